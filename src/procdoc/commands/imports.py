"""Importing OA exports (SPEC §6): read each file, pick its source, merge it by key; or
every export in a folder that has not been imported yet (`--folder`)."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.casebook import Casebook, Change
from procdoc.config import Source
from procdoc.errors import ImportFileError, ProcdocWarning
from procdoc.i18n import _, name_list, ngettext
from procdoc.importer.merge import (
    FileResult,
    Merge,
    Progress,
    SourceError,
    check_source,
    choose_source,
    read_records,
)
from procdoc.importer.reader import read_grid
from procdoc.layout import IMPORT_BY
from procdoc.process.model import Process
from procdoc.workspace import Workspace

if TYPE_CHECKING:
    from procdoc.ledger.reader import ReadAhead

#: Where a workspace remembers the exports it has imported (by content hash).
IMPORTED_FILE = "imported.json"
#: The file kinds `--folder` takes (anything else in the folder is not an export).
EXPORT_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".csv", ".tsv", ".txt", ".htm", ".html"})  # fmt: skip


@dataclass
class _Prepared:
    path: Path
    digest: str
    source: Source
    process: Process
    result: FileResult


@dataclass
class Skipped:
    """A file of the folder left alone, and why."""

    file: str
    reason: str
    imported: bool = False  # True: imported before (not worth a warning)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "reason": self.reason, "imported_before": self.imported}


@dataclass
class FolderImport:
    """What `import --folder` did: the files imported, oldest first, and those skipped."""

    folder: str
    files: list[FileResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def import_files(
    ws: Workspace,
    files: Sequence[Path],
    *,
    source: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import each file (SPEC §6). With ``dry_run`` nothing is written; with ``strict`` a
    file with any bad row is refused whole (nothing is written). After a write, each
    file's content hash is remembered, so `--folder` will not import it again."""
    moment = at or ws.now()
    prepared = []
    ahead: ReadAhead | None = None
    try:
        for path in files:
            if path.is_dir():
                raise ImportFileError(
                    _(
                        "{path} is a folder: import --folder {path} imports the exports in it"
                    ).format(path=path)
                )
            if not path.is_file():
                raise ImportFileError(_("{path}: no such file").format(path=path))
            if ahead is None and not dry_run:  # the ledger is read while the files are
                ahead = ws.read_ahead()
            prepared.append(
                _strict(_prepare(ws, path, _digest(path), source, moment, progress), strict)
            )
        _write(ws, prepared, moment, dry_run, progress, ahead)
    finally:
        if ahead is not None:
            ahead.close()
    return [p.result for p in prepared]


def import_folder(
    ws: Workspace,
    folder: Path,
    *,
    source: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> FolderImport:
    """Import every export in ``folder`` not imported yet (known by content hash), oldest
    first by file time, then by name, in one write. A file that matches no source, or
    cannot be read, is skipped and reported; bad rows are as in :func:`import_files`."""
    if folder.is_file():
        raise ImportFileError(
            _("{folder} is a file, not a folder: import {folder} imports it").format(folder=folder)
        )
    if not folder.is_dir():
        raise ImportFileError(_("{folder}: no such folder").format(folder=folder))
    moment = at or ws.now()
    done = FolderImport(str(folder))
    known = _imported(ws)
    prepared: list[_Prepared] = []
    seen: dict[str, Path] = {}
    ahead: ReadAhead | None = None
    try:
        for path in _exports(folder):
            digest = _digest(path)
            if digest in known:
                when = known[digest].get("at", "")
                done.skipped.append(
                    Skipped(
                        str(path), _("imported before ({when})").format(when=when), imported=True
                    )
                )
                continue
            if digest in seen:
                done.skipped.append(
                    Skipped(
                        str(path), _("the same content as {name}").format(name=seen[digest].name)
                    )
                )
                continue
            if ahead is None and not dry_run:  # the ledger is read while the files are
                ahead = ws.read_ahead()
            try:
                found = _prepare(ws, path, digest, source, moment, progress)
            except SourceError:  # procdoc.yaml's fault, not the file's
                raise
            except ImportFileError as err:  # not an export procdoc knows: not this import's
                done.skipped.append(Skipped(str(path), str(err).removeprefix(f"{path}: ")))
                continue
            prepared.append(_strict(found, strict))
            seen[digest] = path
        _write(ws, prepared, moment, dry_run, progress, ahead)
    finally:
        if ahead is not None:
            ahead.close()
    done.files = [p.result for p in prepared]
    return done


def _exports(folder: Path) -> list[Path]:
    """The folder's exports, oldest first (file time, then name); hidden files and the
    owner files Excel, WPS and LibreOffice keep beside an open file are not exports."""
    found = []
    for path in folder.iterdir():
        name = path.name
        if name.startswith((".", "~$")) or path.suffix.lower() not in EXPORT_SUFFIXES:
            continue
        try:
            if path.is_file():
                found.append((path.stat().st_mtime, name, path))
        except OSError:
            continue
    return [path for _, _, path in sorted(found)]


def _prepare(
    ws: Workspace,
    path: Path,
    digest: str,
    source: str | None,
    moment: datetime,
    progress: Progress | None,
) -> _Prepared:
    shown = str(path)
    if progress:
        progress(shown, 0, 0)  # reading; merging comes next
    grid = read_grid(path)
    src = choose_source(grid, ws.config.sources, source, shown)
    if src.sheet is not None and src.sheet != grid.sheet:
        grid = read_grid(path, sheet=src.sheet)
    process = ws.process(src.process)
    check_source(src, process)
    result, _ = read_records(
        grid, src, process, shown=shown, zone=ws.config.timezone, today=moment.date()
    )
    return _Prepared(path, digest, src, process, result)


def _strict(prepared: _Prepared, strict: bool) -> _Prepared:
    """With ``strict``, a file with any bad row is refused whole."""
    problems = prepared.result.problems
    if strict and problems:
        raise ImportFileError(
            ngettext(
                "{problems} (--strict: {n_problems} bad row, nothing imported)",
                "{problems} (--strict: {n_problems} bad rows, nothing imported)",
                len(problems),
            ).format(problems=problems[0], n_problems=len(problems))
        )
    return prepared


def _write(
    ws: Workspace,
    prepared: list[_Prepared],
    moment: datetime,
    dry_run: bool,
    progress: Progress | None,
    ahead: ReadAhead | None,
) -> None:
    engine = ws.engine()

    def plan(book: Casebook, change: Change) -> None:
        gave: dict[tuple[str, str], Any] = {}  # what the files opened cases with
        for p in prepared:
            p.result.reset()
            by = f"{IMPORT_BY}{p.path.name}"
            Merge(
                engine, book, change, p.process, p.source, p.result, at=moment, by=by, gave=gave
            ).run(progress)
        if progress and not dry_run:
            progress(f"写入 {ws.config.ledger.name}", 0, 0)  # merged; writing comes next

    if dry_run:
        book = ws.casebook()
        plan(book, Change(book))
        return
    if not prepared:
        return
    before = _last_written(ws)
    ws.change(plan, ahead=ahead)
    after = _last_written(ws)
    # an import that changed nothing found its exports' content in the version before
    _remember(ws, prepared, moment, written=after if after != before else before)


# -- which exports were imported ----------------------------------------------------------------


def _digest(path: Path) -> str:
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                hasher.update(block)
    except OSError as err:
        raise ImportFileError(
            _("cannot read {path}: {value}").format(path=path, value=err.strerror or err)
        ) from err
    return hasher.hexdigest()


def _record_path(ws: Workspace) -> Path:
    return ws.config.state_dir / IMPORTED_FILE


def _imported(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The exports imported into this workspace's ledger, by content hash."""
    path = _record_path(ws)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise ImportFileError(
            _("{path} cannot be read ({err})").format(path=ws.rel(path), err=err),
            hint=_(
                "it only lists the exports imported so far: delete it, and `import --folder` imports every export in the folder again (importing one twice changes nothing)"
            ),
        ) from err
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    ledger = ws.rel(ws.config.ledger)
    return {
        digest: entry
        for digest, entry in files.items()
        if isinstance(entry, dict) and entry.get("ledger", ledger) == ledger
    }


def _last_written(ws: Workspace) -> str | None:
    """The SHA-256 of the ledger procdoc last wrote (``undo``'s record), or None."""
    from procdoc.ledger import undo as undo_record

    last = undo_record.load(ws.store.state_dir, ws.store.path)
    return last.sha256 if last is not None else None


def _recorded(path: Path, part: str = "files") -> dict[str, Any]:
    """The entries of .procdoc/imported.json as they are (none when it cannot be read):
    ``files``, the exports imported, or ``undone``, those whose import was undone."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data.get(part, {}) if part != "files" else data["files"]
        if not isinstance(files, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        files = {}
    return files


def _save_record(
    path: Path, files: dict[str, Any], consequence: str, undone: dict[str, Any] | None = None
) -> None:
    from procdoc.fileio import WriteError, atomic_write

    kept = _recorded(path, "undone") if undone is None else undone
    data = {"files": files, "undone": kept} if kept else {"files": files}
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    try:
        atomic_write(path, text + "\n")
    except WriteError as err:  # the ledger is written: say so, do not fail the command
        warnings.warn(f"{err.message}: {consequence}", ProcdocWarning, stacklevel=3)


def _remember(
    ws: Workspace, prepared: list[_Prepared], moment: datetime, *, written: str | None
) -> None:
    """Add the files just imported to .procdoc/imported.json, each with the version of the
    ledger that holds what they brought (``written``, its SHA-256: the version their import
    wrote, or the one before when it changed nothing; None when procdoc has not written
    the ledger yet), so that an ``undo`` of that version forgets them
    (:func:`forget_undone`)."""
    path = _record_path(ws)
    files = _recorded(path)
    ledger = ws.rel(ws.config.ledger)
    for p in prepared:
        entry = {
            "name": p.path.name,
            "source": p.source.name,
            "at": moment.isoformat(timespec="minutes"),
            "ledger": ledger,
        }
        if written is not None:
            entry["written"] = written
        files[p.digest] = entry
    _save_record(
        path,
        files,
        _("`import --folder` will take these exports again (that changes nothing)"),
    )


def forget_undone(ws: Workspace, undone: str, now: str | None) -> tuple[list[str], list[str]]:
    """After ``undo`` put away the version of the ledger whose SHA-256 is ``undone`` and
    wrote the version ``now``: forget the exports whose content came in with ``undone``
    (`import --folder` takes them again, as it would have had they never been imported),
    kept aside under ``undone`` in imported.json; and take back those an earlier undo put
    aside when this one puts their version back (an undo of that undo). The file names
    (forgotten, taken back)."""
    path = _record_path(ws)
    files = _recorded(path)
    put_aside = _recorded(path, "undone")
    gone = [d for d, e in files.items() if isinstance(e, dict) and e.get("written") == undone]
    back = [d for d, e in put_aside.items() if isinstance(e, dict) and e.get("undone_by") == undone]
    if not gone and not back:
        return [], []
    forgotten, restored = [], []
    for digest in back:
        entry = dict(put_aside.pop(digest))
        entry.pop("undone_by", None)
        if now is not None:
            entry["written"] = now
        files[digest] = entry
        restored.append(str(entry.get("name", "")))
    for digest in gone:
        entry = dict(files.pop(digest))
        if now is not None:
            entry["undone_by"] = now
            put_aside[digest] = entry
        forgotten.append(str(entry.get("name", "")))
    _save_record(
        path,
        files,
        _(
            "`import --folder` still takes {names} for imported: import them by name to take them again"
        ).format(names=name_list(forgotten or restored)),
        undone=put_aside,
    )
    return forgotten, restored
