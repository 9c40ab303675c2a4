"""The cross-process lock of one ledger, and the temp files only its holder may write.

The lock is a file beside the ledger, ``.<ledger name>.procdoc-lock`` (for ``台账.xlsx``:
``.台账.xlsx.procdoc-lock``): every procdoc that writes the ledger takes it, whichever
workspace (and so whichever ``.procdoc/`` state folder) it runs from. The name starts with
a dot and does not end in ``.xlsx``, so neither Excel's file dialog nor procdoc takes it
for a workbook. It exists only while a procdoc writes: the holder deletes it before it lets
go (see :class:`LedgerLock`), so the office's folder holds nothing extra between commands.

On POSIX the lock is ``flock`` on that file, which the kernel drops when the holder dies:
a killed procdoc never leaves the ledger locked. (``flock`` across machines depends on the
network filesystem; the fingerprint check just before each replace is the second line of
defence, see :mod:`procdoc.ledger.store`.) Elsewhere it is :class:`filelock.FileLock`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from procdoc.errors import LedgerError, LedgerLockedError
from procdoc.i18n import _

if TYPE_CHECKING:
    import filelock

POLL = 0.05
"""Seconds between attempts while another procdoc holds the lock."""


def lock_path(ledger: Path) -> Path:
    """``.<name>.procdoc-lock`` beside the ledger."""
    return ledger.with_name(f".{ledger.name}.procdoc-lock")


def temp_pattern(ledger: Path) -> re.Pattern[str]:
    """The names of the temp files writers of ``ledger`` make beside it (see
    :func:`procdoc.ledger.create.temp_beside`): ``.<name>.<12 hex digits>.tmp``."""
    return re.compile(re.escape(f".{ledger.name}.") + r"[0-9a-f]{12}\.tmp")


def remove_stale_temps(ledger: Path) -> None:
    """Delete the temp files a killed writer of ``ledger`` left beside it.

    Call it only while holding the ledger's :class:`LedgerLock`. It is safe then: every
    writer of this ledger, from any workspace, creates these files only while it holds that
    same lock and renames or deletes them before letting go, so while we hold it none of
    them belongs to a live writer. Only names of exactly that form are touched (another
    program's temp files, or another ledger's, never match).
    """
    folder = ledger.parent
    if not folder.is_dir():
        return
    pattern = temp_pattern(ledger)
    for entry in os.scandir(folder):
        if pattern.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


class LedgerLock:
    """An exclusive lock on one ledger across processes (a context manager).

    POSIX: the lock file is opened (created if missing) and ``flock``-ed; the holder then
    checks that the file it locked is still the one at the path, because a holder deletes
    the path before it unlocks: a waiter that opened the old file wins a lock on a file
    nobody else will look at again, sees that, and starts over on the new one.
    """

    def __init__(self, ledger: Path, *, timeout: float, display: str | None = None) -> None:
        self.ledger = Path(ledger)
        self.path = lock_path(self.ledger)
        self.timeout = timeout
        self.display = display or self.ledger.name
        self._fd: int | None = None
        self._other: filelock.BaseFileLock | None = None  # where there is no flock

    def __enter__(self) -> LedgerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _timeout(self) -> LedgerLockedError:
        return LedgerLockedError(
            _(
                "another procdoc command is writing {display} (waited {timeout:g} s for {name}); try again when it has finished"
            ).format(display=self.display, timeout=self.timeout, name=self.path.name)
        )

    def acquire(self) -> None:
        if os.name != "posix":  # pragma: no cover - Windows
            self._acquire_filelock()
            return
        import fcntl

        deadline = time.monotonic() + self.timeout
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise self._timeout() from None
                time.sleep(POLL)
                continue
            except OSError as exc:
                os.close(fd)
                raise LedgerError(
                    _(
                        "cannot lock {display}: the filesystem of {parent} does not support file locks ({strerror}); keep the ledger on a local or SMB/NFS folder that does"
                    ).format(display=self.display, parent=self.ledger.parent, strerror=exc.strerror)
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)  # its holder deleted it as it let go: lock the new one

    def _open(self) -> int:
        flags = os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            return os.open(self.path, os.O_RDWR | flags, 0o666)
        except PermissionError:
            try:  # left by a killed writer of another account: flock needs no write access
                return os.open(self.path, os.O_RDONLY | flags, 0o666)
            except OSError as exc:
                raise self._cannot_create(exc) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LedgerError(
                    _("{path} is a symbolic link; delete it").format(path=self.path)
                ) from None
            raise self._cannot_create(exc) from None

    def _cannot_create(self, exc: OSError) -> LedgerError:
        return LedgerError(
            _(
                "cannot create the lock file {name} beside {display} ({strerror}): procdoc needs write access to {parent}"
            ).format(
                name=self.path.name,
                display=self.display,
                strerror=exc.strerror,
                parent=self.ledger.parent,
            )
        )

    def _acquire_filelock(self) -> None:  # pragma: no cover - Windows
        import filelock

        lock = filelock.FileLock(str(self.path), timeout=self.timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise self._timeout() from None
        self._other = lock

    def release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
            self._other = None
            return
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):  # the path is ours while we hold it
                os.unlink(self.path)
        finally:
            os.close(fd)  # unlocks
