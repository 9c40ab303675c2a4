"""Writing files the way a ledger is written: atomically (a temp file beside the target,
then a rename), never half-written, with the permissions the ledger has (so a report on
a shared folder is as readable as the ledger), and an OSError told in one line."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from procdoc.errors import ProcdocError
from procdoc.i18n import _


class WriteError(ProcdocError):
    """A file that cannot be written (no such folder, no permission, disk full)."""


def temp_beside(path: Path) -> Path:
    """A new empty temp file next to ``path``, named ``.<name>.<random>.tmp`` (so nothing
    takes it for the file), created with the default permissions (umask applied), not
    mkstemp's 0600."""
    for _unused in range(100):
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise WriteError(
        _("cannot create a temp file next to {name}").format(name=path.name)
    )  # pragma: no cover


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents (those there are kept); WriteError on an OSError,
    saying which folder and what to do (a bare "File exists" said neither: QA)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WriteError(
            _("cannot make the folder {folder}: {reason}").format(
                folder=folder, reason=err.strerror or err
            ),
            hint=_(
                "a file of that name is in the way, or the place cannot be written: give another folder (--out)"
            )
            if isinstance(err, FileExistsError | NotADirectoryError)
            else _("give a folder you can write to (--out)"),
        ) from None


def atomic_write(
    target: Path, content: bytes | str | Callable[[Path], object], *, like: Path | None = None
) -> Path:
    """Write ``content`` (bytes, text as UTF-8, or a function writing the temp path it is
    given) to ``target`` atomically; give it the permission bits of ``like`` (the ledger)
    when that exists. Raises :class:`WriteError` naming the file on an OSError."""
    tmp: Path | None = None
    make_folder(target.parent)
    try:
        tmp = temp_beside(target)
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        elif isinstance(content, str):
            tmp.write_text(content, encoding="utf-8")
        else:
            content(tmp)
        if like is not None:
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(os.stat(like).st_mode))
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise WriteError(
            _("cannot write {target}: {value}").format(target=target, value=err.strerror or err)
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return target
