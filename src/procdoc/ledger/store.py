"""LedgerStore: the one way procdoc reads and writes the ledger."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import filelock

from procdoc.errors import LedgerChangedError, LedgerError, LedgerLockedError
from procdoc.ledger.create import SheetData, temp_beside, write_workbook
from procdoc.ledger.model import Batch, CellValue, SheetChanges, Snapshot
from procdoc.ledger.owners import check_not_open
from procdoc.ledger.patch import patch_file
from procdoc.ledger.reader import fingerprint, read_snapshot

REPLANS = 3
"""How many times an update re-reads and re-plans when the file changed under it."""


class LedgerStore:
    """Reads the ledger (no lock) and writes it (locked, atomic, verified, backed up).

    ``state_dir`` is the workspace's ``.procdoc/`` folder: the cross-process lock is
    ``state_dir/ledger.lock`` and the backups go to ``state_dir/backups/``.
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

    def read(self, sheets: Sequence[str] | None = None) -> Snapshot:
        """Read the named sheets (default: all of ``self.sheets``) without taking the lock.

        A missing file gives ``Snapshot(exists=False, sheets={})``; sheets the workbook
        lacks are absent from ``Snapshot.sheets``.
        """
        names = self.sheets if sheets is None else tuple(sheets)
        return read_snapshot(self.path, names, display=self.display)

    # -- writing ----------------------------------------------------------------------------

    def update(
        self,
        plan: Callable[[Snapshot], Batch],
        *,
        read_sheets: Sequence[str] | None = None,
    ) -> Batch:
        """Read, plan and write under the lock; return the batch that was written.

        ``plan`` gets a snapshot of ``read_sheets`` (default: the first of ``self.sheets``)
        and returns what to write; if it raises, nothing is written. If the ledger changes
        on disk while the new version is being written (someone saved it in Excel), the
        snapshot is read again and ``plan`` run again, up to :data:`REPLANS` times.
        """
        names = tuple(read_sheets) if read_sheets is not None else self.sheets[:1]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.state_dir / "ledger.lock"), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LedgerLockedError(
                f"another procdoc command is writing {self.display} (waited "
                f"{self.lock_timeout:g} s for {self.state_dir.name}/ledger.lock); try again "
                "when it has finished"
            ) from None
        try:
            self._remove_stale_temps()
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
        finally:
            lock.release()

    def _remove_stale_temps(self) -> None:
        """Temp files of a writer that was killed (only the lock holder writes them)."""
        if not self.path.parent.is_dir():
            return
        for stale in self.path.parent.glob(f".{glob_escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def _write(self, batch: Batch, seen: tuple[int, int, str] | None) -> bool:
        """Write ``batch``; False when the ledger changed since ``seen`` (nothing written)."""
        if not self.path.parent.is_dir():
            raise LedgerError(f"the folder of {self.display} ({self.path.parent}) does not exist")
        tmp = temp_beside(self.path)
        try:
            if seen is None:
                self._write_new(tmp, batch)
            else:
                if not _same_stat(self.path, seen):
                    return False
                patch_file(self.path, tmp, batch, display=self.display)
                shutil.copymode(self.path, tmp)  # a shared ledger stays shared
            check_not_open(self.path, self.display)
            if self._current() != seen:
                return False
            if seen is not None:
                self._backup()
            try:
                os.replace(tmp, self.path)
            except PermissionError:
                raise LedgerLockedError(
                    f"{self.display} could not be replaced (another program holds it open): "
                    "close it there and run again"
                ) from None
            _fsync_dir(self.path.parent)
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _current(self) -> tuple[int, int, str] | None:
        try:
            return fingerprint(self.path)
        except FileNotFoundError:
            return None

    def _write_new(self, tmp: Path, batch: Batch) -> None:
        first = self.sheets[0]
        names = sorted(batch.sheets, key=lambda name: name != first)
        sheets: dict[str, SheetData] = {}
        for name in names:
            changes = batch.sheets[name]
            if changes.is_empty():
                continue
            sheets[name] = (changes.labels(), _rows_of(changes))
        write_workbook(tmp, sheets, display=self.display)

    def _backup(self) -> None:
        if self.backups <= 0:
            return
        folder = self.state_dir / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        stem = self.path.stem
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{stem}-{stamp}{self.path.suffix}"
        n = 1
        while target.exists():
            target = folder / f"{stem}-{stamp}-{n}{self.path.suffix}"
            n += 1
        partial = folder / f".{target.name}.tmp"
        shutil.copy2(self.path, partial)
        os.replace(partial, target)
        pattern = re.compile(
            re.escape(stem) + r"-\d{8}-\d{6}-\d{6}(?:-\d+)?" + re.escape(self.path.suffix)
        )
        kept = sorted(
            (p for p in folder.iterdir() if pattern.fullmatch(p.name)),
            key=lambda p: p.name,
            reverse=True,
        )
        for old in kept[self.backups :]:
            old.unlink(missing_ok=True)


def _same_stat(path: Path, seen: tuple[int, int, str]) -> bool:
    """A cheap early check (size and mtime); the write itself re-checks the hash."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    return (st.st_size, st.st_mtime_ns) == seen[:2]


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot fsync a folder
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rows_of(changes: SheetChanges) -> list[dict[str, CellValue]]:
    """The rows of a sheet that does not exist yet: ``set`` rows at their numbers (gaps
    left empty), then the appended rows."""
    rows: list[dict[str, CellValue]] = []
    for number, values in sorted(changes.set.items()):
        if number < 2:
            raise LedgerError(f"cannot set cells of row {number} (row 1 is the header)")
        while len(rows) < number - 2:
            rows.append({})
        rows.append(dict(values))
    rows.extend(dict(values) for values in changes.append)
    return rows
