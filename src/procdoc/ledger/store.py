"""LedgerStore: the one way procdoc reads and writes the ledger."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from procdoc.errors import LedgerChangedError, LedgerError, LedgerLockedError
from procdoc.i18n import _
from procdoc.ledger.cache import SheetCache, ZipIndex
from procdoc.ledger.lock import LedgerLock, remove_stale_temps
from procdoc.ledger.model import (
    Batch,
    Fingerprint,
    HeaderSpec,
    Sheet,
    Snapshot,
)
from procdoc.ledger.owners import check_not_open, check_writable
from procdoc.ledger.reader import (
    ReadAhead,
    SheetSpecs,
    fingerprint,
    fingerprint_of,
    read_rows_holding,
    read_snapshot,
    sheet_specs,
    side_by_side,
)

if TYPE_CHECKING:
    from procdoc.ledger import undo as undo_record
    from procdoc.ledger.patch import PatchReport

# The writing modules (patch, create, undo: lxml, the sheet patcher) are imported by the
# methods that write, so a reading command that finds its sheets in the read cache loads
# neither them nor python-calamine.

REPLANS = 3
"""How many times an update re-reads and re-plans when the file changed under it."""


class LedgerStore:
    """Reads the ledger (no lock) and writes it (locked, atomic, verified, backed up).

    ``state_dir`` is the workspace's ``.procdoc/`` folder: the backups go to
    ``state_dir/backups/``, the read cache (``cache=False``: none) to ``state_dir/cache/``
    (see :mod:`procdoc.ledger.cache`); ``cache_specs`` names the sheets (with where their
    headers are) whose entries a write carries over besides those this store has read. The
    cross-process lock lives beside the ledger
    (``.<name>.procdoc-lock``, see :mod:`procdoc.ledger.lock`), so two workspaces that
    share one ledger never write it at the same time.
    """

    def __init__(
        self,
        path: Path,
        *,
        state_dir: Path,
        sheets: Sequence[str] = ("台账", "流转记录"),
        backups: int = 10,
        lock_timeout: float = 10.0,
        timezone: str | None = None,
        cache: bool = True,
        cache_specs: SheetSpecs | None = None,
    ) -> None:
        if not sheets:
            raise ValueError("LedgerStore needs at least one sheet name")
        self.path = Path(path)
        self.state_dir = Path(state_dir)
        self.sheets = tuple(sheets)
        self.backups = backups
        self.lock_timeout = lock_timeout
        self.timezone = timezone  # the clock of the times messages and the undo record give
        self.display = self.path.name
        self.cache = SheetCache(self.state_dir / "cache", self.path) if cache else None
        self._cached: dict[tuple[str, HeaderSpec | None], None] = {}
        """The sheets (with where their headers are) whose read-cache entries a write
        carries over (see :meth:`SheetCache.refresh`): ``cache_specs`` and every sheet
        this store has read. A write's own reads fill the cache like any read: the entries
        of the version it read are then carried over to the version it writes."""
        self._remember(cache_specs or {})
        self._ahead: ReadAhead | None = None  # what the update under way may take from

    # -- reading ----------------------------------------------------------------------------

    def read(
        self, sheets: Sequence[str] | SheetSpecs | None = None, *, hashed: bool = False
    ) -> Snapshot:
        """Read the named sheets (default: all of ``self.sheets``) without taking the lock.

        ``sheets`` names them, each with its header in row 1, or maps each to a
        :class:`HeaderSpec` saying where its header is. A missing file gives
        ``Snapshot(exists=False, sheets={})``; sheets the workbook lacks are absent from
        ``Snapshot.sheets``. The file is hashed only when ``hashed`` (see
        :func:`~procdoc.ledger.reader.read_snapshot`): :meth:`update` hashes what it reads.
        During an :meth:`update` given a read ahead, the sheets it read are taken from it.
        """
        specs = sheet_specs(self.sheets if sheets is None else sheets)
        self._remember(specs)
        return read_snapshot(
            self.path,
            specs,
            display=self.display,
            cache=self.cache,
            hashed=hashed,
            ahead=self._ahead,
        )

    def read_rows_holding(
        self, name: str, spec: HeaderSpec | None, word: str, seen: Fingerprint | None
    ) -> tuple[Sheet, bool] | None:
        """The sheet ``name`` (its header where ``spec`` says) of the version of the file a
        read saw (``seen``: its snapshot's fingerprint), for its rows holding ``word``: the
        whole sheet (``True``) when the read cache holds it, else the rows that may hold
        ``word`` picked from its XML (``False``; see
        :func:`~procdoc.ledger.reader.read_rows_holding`). None when the file is no longer
        that version or the rows cannot be picked so: read the whole sheet."""
        if seen is None:
            return None

        def same() -> bool:
            try:
                st = os.stat(self.path)
            except OSError:
                return False
            return (st.st_size, st.st_mtime_ns) == tuple(seen[:2])

        if not same():
            return None
        if self.cache is not None and (index := ZipIndex.read(self.path)) is not None:
            self._remember({name: spec})
            whole = self.cache.load(index, name, spec)
            if whole is not None and same():
                return whole, True
        picked = read_rows_holding(self.path, name, spec, word)
        if picked is None or not same():
            return None
        return picked, False

    def read_ahead(self, sheets: Sequence[str] | SheetSpecs | None = None) -> ReadAhead | None:
        """Begin reading ``sheets`` (as :meth:`read` names them) in a thread of its own,
        for the :meth:`update` given it as ``ahead`` (see :class:`ReadAhead`): a caller with
        other work to do before it writes (an import's export) has the ledger parsed
        meanwhile. The read under the lock uses what it found only if the file is still
        the version it read. ``close()`` it when it is not given to an update. None (no
        read ahead) for a ledger too large to hold parsed beside the caller's own work
        (see :data:`~procdoc.ledger.reader.SIDE_BY_SIDE_BYTES`), or none yet."""
        if not side_by_side(self.path):
            return None
        specs = sheet_specs(self.sheets if sheets is None else sheets)
        return ReadAhead(self.path, specs, self.cache)

    def _remember(self, specs: SheetSpecs) -> None:
        self._cached.update(dict.fromkeys(specs.items()))

    # -- writing ----------------------------------------------------------------------------

    def update(
        self,
        plan: Callable[[Snapshot], Batch],
        *,
        read_sheets: Sequence[str] | SheetSpecs | None = None,
        ahead: ReadAhead | None = None,
    ) -> Batch:
        """Read, plan and write under the lock; return the batch that was written.

        ``plan`` gets a snapshot of ``read_sheets`` (as for :meth:`read`; default: the
        first of ``self.sheets``) and returns what to write; if it raises, nothing is
        written. If the ledger changes on disk while the new version is being written
        (someone saved it in Excel), the snapshot is read again and ``plan`` run again, up
        to :data:`REPLANS` times. ``ahead``: a :meth:`read_ahead`, from which the first
        planning's reads (``read_sheets``, and any sheet ``plan`` reads through
        :meth:`read`) take what it read of the version they read.
        """
        names = sheet_specs(read_sheets if read_sheets is not None else self.sheets[:1])
        try:
            with self._locked():
                for attempt in range(REPLANS + 1):
                    self._ahead = None if attempt else ahead
                    check_not_open(self.path, self.display)
                    snapshot = self.read(names, hashed=True)
                    batch = plan(snapshot)
                    if batch.is_empty():
                        return batch
                    seen = snapshot.fingerprint
                    del snapshot  # the rows can be large; the write does not need them
                    if self._write(batch, seen):
                        return batch
                raise LedgerChangedError(
                    _(
                        "{display} kept changing while procdoc was writing it ({replans} tries); make sure nobody is saving it and run again"
                    ).format(display=self.display, replans=REPLANS + 1)
                )
        finally:
            self._ahead = None
            if ahead is not None:  # (taking from it waited for it; else it may still run)
                ahead.close()

    def undo(
        self,
        plan: Callable[[Snapshot], Batch],
        *,
        read_sheets: Sequence[str] | SheetSpecs | None = None,
    ) -> Batch:
        """Put back the ledger as it was before procdoc's last write; return what was
        written on top of it.

        Under the lock: if the ledger is still exactly what procdoc last wrote (its size
        and sha256 as recorded after that write), the backup taken before that write is
        the base: ``plan`` gets a snapshot of it (``read_sheets`` as for :meth:`update`)
        and returns what to add (the history row recording the undo). The result replaces
        the ledger like any write: the current version is backed up first, and the undo is
        recorded, so undoing again puts back what this undid. Otherwise - the ledger
        changed, was replaced or removed, or there is nothing to undo - a
        :class:`LedgerError` says so and nothing is written.
        """
        from procdoc.ledger import undo as undo_record

        names = sheet_specs(read_sheets if read_sheets is not None else self.sheets[:1])
        with self._locked():
            record = undo_record.load(self.state_dir, self.path)
            if record is None:
                other = undo_record.load_any(self.state_dir)
                if other is not None:
                    raise LedgerError(
                        _(
                            "nothing to undo: procdoc's last write recorded in {name}/{record} is of {other} ({at}), and {display} is not that version"
                        ).format(
                            name=self.state_dir.name,
                            record=undo_record.RECORD,
                            other=other.ledger,
                            at=other.at,
                            display=self.display,
                        ),
                        hint=_(
                            "undo from the workspace that wrote it; a copied workspace can undo only while its ledger is that version, unchanged"
                        ),
                    )
                raise LedgerError(
                    _(
                        "nothing to undo: procdoc has not written {display} from this workspace ({name}/{record} records no write)"
                    ).format(
                        display=self.display, name=self.state_dir.name, record=undo_record.RECORD
                    )
                )
            base = self._undo_base(record)
            check_not_open(self.path, self.display)
            current = self._current()
            if current is None:
                raise LedgerError(
                    _(
                        "{display} was removed or renamed since procdoc's last write ({at}); nothing was undone"
                    ).format(display=self.display, at=record.at)
                )
            if not record.same_content(current):
                raise LedgerError(
                    _(
                        "{display} changed since procdoc's last write ({at}): {what_changed}; undoing would lose that, so nothing was undone"
                    ).format(
                        display=self.display,
                        at=record.at,
                        what_changed=undo_record.what_changed(
                            record, self.path, self.display, self.timezone
                        ),
                    )
                )
            where = f"{self.state_dir.name}/backups/{base.name}"
            batch = plan(read_snapshot(base, names, display=where))
            if not self._write(batch, current, base=base):
                raise LedgerChangedError(
                    _(
                        "{display} changed while procdoc was undoing its last write; nothing was undone"
                    ).format(display=self.display)
                )
            return batch

    def _undo_base(self, record: undo_record.LastWrite) -> Path:
        """The backup an undo puts back, checked to be the one recorded."""
        if record.created:
            raise LedgerError(
                _(
                    "procdoc's last write ({at}) created {display}: there is no earlier version to put back"
                ).format(at=record.at, display=self.display)
            )
        if record.backup is None:
            raise LedgerError(
                _(
                    "no backup was kept of {display} before procdoc's last write ({at}; backups are off), so there is no earlier version to put back"
                ).format(display=self.display, at=record.at)
            )
        base = self.backup_dir / record.backup
        try:
            digest = fingerprint(base)[2]
        except FileNotFoundError:
            digest = None
        if digest != record.backup_sha256:
            state = "is gone from" if digest is None else "has changed in"
            raise LedgerError(
                _(
                    "the backup of {display} from before procdoc's last write ({backup}) {state} {name}/backups/; nothing was undone"
                ).format(
                    display=self.display,
                    backup=record.backup,
                    state=state,
                    name=self.state_dir.name,
                )
            )
        return base

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the ledger's lock (beside the ledger, shared by every workspace that writes
        it; see :mod:`procdoc.ledger.lock`) and clear what killed writers left behind."""
        if not self.path.parent.is_dir():
            raise LedgerError(
                _("the folder of {display} ({parent}) does not exist").format(
                    display=self.display, parent=self.path.parent
                )
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with LedgerLock(self.path, timeout=self.lock_timeout, display=self.display):
            remove_stale_temps(self.path)
            self._remove_partial_backups()
            yield

    def _write(self, batch: Batch, seen: Fingerprint | None, *, base: Path | None = None) -> bool:
        """Write ``batch`` onto ``base`` (default: the ledger itself; an undo gives a
        backup); False when the ledger changed since ``seen`` (nothing written).

        The order matters: the new version is written to a temp file beside the ledger and
        verified; the current version is copied to the backups; only then is the ledger
        checked once more against ``seen`` (:meth:`_still`), right before ``os.replace``,
        so a save that lands during the backup copy is never overwritten.
        Then the write is recorded for :meth:`undo`.
        """
        from procdoc.fileio import temp_beside
        from procdoc.ledger import undo as undo_record
        from procdoc.ledger.patch import patch_file

        if seen is not None:  # (there is something to write: a batch that is not empty)
            check_writable(self.path, self.display)
        tmp = temp_beside(self.path)
        backup: Path | None = None
        record: Path | None = None
        report: PatchReport | None = None
        try:
            if seen is None:
                self._write_new(tmp, batch)
            else:
                if not _same_stat(self.path, seen):
                    return False
                report = patch_file(
                    base or self.path,
                    tmp,
                    batch,
                    display=self.display,
                    cache=self.cache,
                )
                if base is None and not report.sheets:
                    return True  # nothing to change (a sheet to create that exists)
                shutil.copymode(self.path, tmp)  # a shared ledger stays shared
            written = fingerprint(tmp)  # os.replace keeps the bytes and the mtime
            after = ZipIndex.read(tmp) if self.cache is not None and report is not None else None
            members, sheets = undo_record.parts_of(tmp, self.display)
            if seen is not None:
                backup = self._backup()
            record = undo_record.prepare(
                self.state_dir,
                undo_record.LastWrite(
                    ledger=str(self.path.resolve()),
                    size=written[0],
                    mtime_ns=written[1],
                    sha256=written[2],
                    at=undo_record.when(time.time_ns(), self.timezone),
                    members=members,
                    sheets=sheets,
                    backup=backup.name if backup else None,
                    backup_sha256=seen[2] if backup and seen else None,
                    created=seen is None,
                ),
            )
            check_not_open(self.path, self.display)
            if not self._still(seen):
                return False  # saved by someone else, maybe during the backup copy
            try:
                os.replace(tmp, self.path)
            except PermissionError:
                raise LedgerLockedError(
                    _(
                        "{display} could not be replaced (another program holds it open): close it there and run again"
                    ).format(display=self.display)
                ) from None
            undo_record.commit(record, self.state_dir)
            record = None
            _fsync_dir(self.path.parent)
            if after is not None and report is not None:
                self._carry_cache(report, after)
                with contextlib.suppress(Exception):  # the next write then reads it all
                    self.cache.store_segments(report.segments, after)  # type: ignore[union-attr]
            if backup is not None:
                self._prune_backups(backup)
                backup = None  # kept
            return True
        finally:
            tmp.unlink(missing_ok=True)
            if record is not None:  # the write did not happen: nor did this record
                with contextlib.suppress(OSError):
                    record.unlink(missing_ok=True)
            if backup is not None:  # the write did not happen: this copy backs up nothing
                backup.unlink(missing_ok=True)

    def _carry_cache(self, report: PatchReport, after: ZipIndex) -> None:
        """Carry the read cache over this write (see :meth:`SheetCache.refresh`), so the
        next command finds it warm; a failure only leaves entries to be rebuilt."""
        from procdoc.ledger.patch import expected_read

        before = ZipIndex.of(report.before)
        if self.cache is not None and before is not None:
            with contextlib.suppress(Exception):  # the next read then asks calamine
                self.cache.carry_worksheets(before, after, report.sheets)
        if self.cache is None or before is None or report.styles_changed:
            # A style added at the end of the list is the one a cell whose style number is
            # past the end (Excel reads it as General) now has: such a cell could read
            # differently, in any sheet. Rare (the first date in a column, a new sheet).
            return
        written = {
            name: result.written if name in report.exact else None
            for name, result in report.sheets.items()
        }
        with contextlib.suppress(Exception):
            self.cache.refresh(before, after, list(self._cached), written, expected_read)

    def _current(self) -> Fingerprint | None:
        try:
            return fingerprint(self.path)
        except FileNotFoundError:
            return None

    def _still(self, seen: Fingerprint | None) -> bool:
        """Whether the ledger is still the version ``seen`` (None: still no file), the
        final check before a replace: its size, mtime and hash, and the file hashed is
        still the one at the path (a save that renames a new file into place while it is
        being hashed would otherwise go unseen)."""
        try:
            current, hashed = fingerprint_of(self.path)
            now = os.stat(self.path)
        except FileNotFoundError:
            return seen is None and not self.path.exists()
        return (
            current == seen
            and os.path.samestat(hashed, now)
            and (
                now.st_size,
                now.st_mtime_ns,
            )
            == (hashed.st_size, hashed.st_mtime_ns)
        )

    def _write_new(self, tmp: Path, batch: Batch) -> None:
        """A new ledger: the sheets of ``batch``, the first of ``self.sheets`` first."""
        from procdoc.ledger.create import write_new_workbook

        first = self.sheets[0]
        names = sorted(batch.sheets, key=lambda name: name != first)
        ordered = Batch({name: batch.sheets[name] for name in names})
        write_new_workbook(tmp, ordered, display=self.display)

    # -- backups ----------------------------------------------------------------------------

    @property
    def backup_dir(self) -> Path:
        return self.state_dir / "backups"

    def _backup_pattern(self) -> re.Pattern[str]:
        return re.compile(
            re.escape(self.path.stem) + r"-\d{8}-\d{6}-\d{6}(?:-\d+)?" + re.escape(self.path.suffix)
        )

    def _backup(self) -> Path | None:
        """Copy the ledger as it is now into the backups (the copy, or None when no backups
        are kept). The caller checks afterwards that the ledger is still the version it
        read, so the copy holds that version."""
        if self.backups <= 0:
            return None
        folder = self.backup_dir
        stem = self.path.stem
        # named on the workspace's clock (Beijing time), as the undo record and messages
        zone = ZoneInfo(self.timezone) if self.timezone else None
        stamp = datetime.now(zone).strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{stem}-{stamp}{self.path.suffix}"
        partial = folder / f".{target.name}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            n = 1
            while target.exists():
                target = folder / f"{stem}-{stamp}-{n}{self.path.suffix}"
                n += 1
            partial = folder / f".{target.name}.tmp"
            try:
                shutil.copy2(self.path, partial)
                os.replace(partial, target)
            finally:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
        except OSError as err:
            raise LedgerError(
                _(
                    "cannot back up {display} into {folder}: {reason}; make that folder writable (or set backups: 0 in procdoc.yaml) and run again"
                ).format(display=self.display, folder=folder, reason=err.strerror or err)
            ) from None
        return target

    def _prune_backups(self, made: Path) -> None:
        """Keep the newest backups: ``made`` (the one this write just made, whatever its
        name says: names follow the workspace's clock, which a changed `timezone:` or
        another machine's clock may set back) and the others newest first by name."""
        pattern = self._backup_pattern()
        others = sorted(
            (p for p in self.backup_dir.iterdir() if pattern.fullmatch(p.name) and p != made),
            key=lambda p: p.name,
            reverse=True,
        )
        for old in others[max(self.backups - 1, 0) :]:
            old.unlink(missing_ok=True)

    def _remove_partial_backups(self) -> None:
        """Half-made backup copies of a killed writer (``.<backup name>.tmp``); under the
        lock, as for the ledger's own temp files (see :func:`remove_stale_temps`)."""
        if not self.backup_dir.is_dir():
            return
        pattern = self._backup_pattern()
        for entry in os.scandir(self.backup_dir):
            name = entry.name
            if name.startswith(".") and name.endswith(".tmp") and pattern.fullmatch(name[1:-4]):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _same_stat(path: Path, seen: Fingerprint) -> bool:
    """A cheap early check (size and mtime); the write itself re-checks the hash."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    return (st.st_size, st.st_mtime_ns) == seen[:2]


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot fsync a folder
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
