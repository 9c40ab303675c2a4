"""LedgerStore: the one way procdoc reads and writes the ledger."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from procdoc.errors import LedgerChangedError, LedgerError, LedgerLockedError
from procdoc.ledger.create import temp_beside, write_new_workbook
from procdoc.ledger.lock import LedgerLock, remove_stale_temps
from procdoc.ledger.model import (
    Batch,
    Fingerprint,
    Snapshot,
)
from procdoc.ledger.owners import check_not_open
from procdoc.ledger.patch import patch_file
from procdoc.ledger.reader import SheetSpecs, fingerprint, read_snapshot, sheet_specs

REPLANS = 3
"""How many times an update re-reads and re-plans when the file changed under it."""


class LedgerStore:
    """Reads the ledger (no lock) and writes it (locked, atomic, verified, backed up).

    ``state_dir`` is the workspace's ``.procdoc/`` folder: the backups go to
    ``state_dir/backups/``. The cross-process lock lives beside the ledger
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
    ) -> None:
        if not sheets:
            raise ValueError("LedgerStore needs at least one sheet name")
        self.path = Path(path)
        self.state_dir = Path(state_dir)
        self.sheets = tuple(sheets)
        self.backups = backups
        self.lock_timeout = lock_timeout
        self.display = self.path.name

    # -- reading ----------------------------------------------------------------------------

    def read(self, sheets: Sequence[str] | SheetSpecs | None = None) -> Snapshot:
        """Read the named sheets (default: all of ``self.sheets``) without taking the lock.

        ``sheets`` names them, each with its header in row 1, or maps each to a
        :class:`HeaderSpec` saying where its header is. A missing file gives
        ``Snapshot(exists=False, sheets={})``; sheets the workbook lacks are absent from
        ``Snapshot.sheets``.
        """
        return read_snapshot(
            self.path, sheet_specs(self.sheets if sheets is None else sheets), display=self.display
        )

    # -- writing ----------------------------------------------------------------------------

    def update(
        self,
        plan: Callable[[Snapshot], Batch],
        *,
        read_sheets: Sequence[str] | SheetSpecs | None = None,
    ) -> Batch:
        """Read, plan and write under the lock; return the batch that was written.

        ``plan`` gets a snapshot of ``read_sheets`` (as for :meth:`read`; default: the
        first of ``self.sheets``) and returns what to write; if it raises, nothing is
        written. If the ledger changes on disk while the new version is being written
        (someone saved it in Excel), the snapshot is read again and ``plan`` run again, up
        to :data:`REPLANS` times.
        """
        names = sheet_specs(read_sheets if read_sheets is not None else self.sheets[:1])
        with self._locked():
            for _attempt in range(REPLANS + 1):
                check_not_open(self.path, self.display)
                snapshot = self.read(names)
                batch = plan(snapshot)
                if batch.is_empty():
                    return batch
                seen = snapshot.fingerprint
                del snapshot  # the rows can be large; the write does not need them
                if self._write(batch, seen):
                    return batch
            raise LedgerChangedError(
                f"{self.display} kept changing while procdoc was writing it ({REPLANS + 1} "
                "tries); make sure nobody is saving it and run again"
            )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the ledger's lock (beside the ledger, shared by every workspace that writes
        it; see :mod:`procdoc.ledger.lock`) and clear what killed writers left behind."""
        if not self.path.parent.is_dir():
            raise LedgerError(f"the folder of {self.display} ({self.path.parent}) does not exist")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with LedgerLock(self.path, timeout=self.lock_timeout, display=self.display):
            remove_stale_temps(self.path)
            self._remove_partial_backups()
            yield

    def _write(self, batch: Batch, seen: Fingerprint | None) -> bool:
        """Write ``batch``; False when the ledger changed since ``seen`` (nothing written).

        The order matters: the new version is written to a temp file beside the ledger and
        verified; the current version is copied to the backups; only then is the ledger
        checked once more against ``seen`` (size, mtime and hash), right before
        ``os.replace``, so a save that lands during the backup copy is never overwritten.
        """
        tmp = temp_beside(self.path)
        backup: tuple[Path, str] | None = None
        try:
            if seen is None:
                self._write_new(tmp, batch)
            else:
                if not _same_stat(self.path, seen):
                    return False
                patch_file(self.path, tmp, batch, display=self.display)
                shutil.copymode(self.path, tmp)  # a shared ledger stays shared
            if seen is not None:
                backup = self._backup()
                if backup is not None and backup[1] != seen[2]:
                    return False  # saved by someone else during the copy
            check_not_open(self.path, self.display)
            if self._current() != seen:
                return False
            try:
                os.replace(tmp, self.path)
            except PermissionError:
                raise LedgerLockedError(
                    f"{self.display} could not be replaced (another program holds it open): "
                    "close it there and run again"
                ) from None
            _fsync_dir(self.path.parent)
            if backup is not None:
                self._prune_backups()
                backup = None  # kept
            return True
        finally:
            tmp.unlink(missing_ok=True)
            if backup is not None:  # the write did not happen: this copy backs up nothing
                backup[0].unlink(missing_ok=True)

    def _current(self) -> Fingerprint | None:
        try:
            return fingerprint(self.path)
        except FileNotFoundError:
            return None

    def _write_new(self, tmp: Path, batch: Batch) -> None:
        """A new ledger: the sheets of ``batch``, the first of ``self.sheets`` first."""
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

    def _backup(self) -> tuple[Path, str] | None:
        """Copy the ledger as it is now into the backups; the copy and the sha256 of what
        was copied (hashed as it is copied), or None when no backups are kept."""
        if self.backups <= 0:
            return None
        folder = self.backup_dir
        folder.mkdir(parents=True, exist_ok=True)
        stem = self.path.stem
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{stem}-{stamp}{self.path.suffix}"
        n = 1
        while target.exists():
            target = folder / f"{stem}-{stamp}-{n}{self.path.suffix}"
            n += 1
        partial = folder / f".{target.name}.tmp"
        try:
            digest = _copy_hashed(self.path, partial)
            shutil.copystat(self.path, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target, digest

    def _prune_backups(self) -> None:
        pattern = self._backup_pattern()
        kept = sorted(
            (p for p in self.backup_dir.iterdir() if pattern.fullmatch(p.name)),
            key=lambda p: p.name,
            reverse=True,
        )
        for old in kept[self.backups :]:
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


def _copy_hashed(src: Path, dst: Path) -> str:
    """Copy ``src`` to ``dst`` (fsynced); the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with open(src, "rb") as f, open(dst, "wb") as g:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            g.write(chunk)
        g.flush()
        os.fsync(g.fileno())
    return digest.hexdigest()


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
