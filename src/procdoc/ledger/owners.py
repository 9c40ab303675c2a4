"""Who has the ledger open: Excel/WPS and LibreOffice owner files, Windows share mode."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

from procdoc.errors import LedgerError, LedgerLockedError
from procdoc.i18n import _


def excel_owner_file(path: Path) -> Path:
    return path.with_name("~$" + path.name)


def libreoffice_lock_file(path: Path) -> Path:
    return path.with_name(".~lock." + path.name + "#")


def _printable(name: str) -> bool:
    return bool(name) and all(ch.isprintable() for ch in name)


def parse_excel_owner(data: bytes) -> str | None:
    """The user name in an Excel/WPS ``~$`` owner file.

    Layout (LibreOffice's MSODocumentLockFile documents it): byte 0 is the length of the
    name in the ANSI code page, which follows; the block is padded with spaces, and from
    offset 55 a 16-bit length and the name in UTF-16LE. The UTF-16 name is exact, so it is
    preferred; the ANSI one is tried as UTF-8 first (strict UTF-8 rarely accepts GBK
    bytes, while GBK accepts UTF-8 bytes as mojibake), then as GBK (Chinese Windows).
    """
    for offset in (55, 54, 53, 56):
        if len(data) < offset + 2:
            continue
        (length,) = struct.unpack_from("<H", data, offset)
        end = offset + 2 + 2 * length
        if 0 < length <= 255 and end <= len(data):
            try:
                name = data[offset + 2 : end].decode("utf-16-le").strip()
            except UnicodeDecodeError:
                continue
            if _printable(name):
                return name
    if data:
        raw = data[1 : 1 + data[0]].rstrip(b" \x00")
        for encoding in ("utf-8", "gbk"):
            try:
                name = raw.decode(encoding).strip()
            except UnicodeDecodeError:
                continue
            if _printable(name):
                return name
    return None


def parse_libreoffice_lock(text: str) -> list[str]:
    """The fields of a LibreOffice lock file (``\\`` escapes ``,`` ``;`` and itself)."""
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            fields.append("".join(current))
            current = []
        elif ch == ";":
            break
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def _holder(path: Path) -> tuple[str, str, Path] | None:
    """(user, application, owner file) of whoever holds ``path`` open, if anyone."""
    owner = excel_owner_file(path)
    try:
        with open(owner, "rb") as f:
            data = f.read(4096)
    except FileNotFoundError:
        pass
    except OSError:
        return (_("an unknown user"), "Excel/WPS", owner)
    else:
        return (parse_excel_owner(data) or _("an unknown user"), "Excel/WPS", owner)
    lock = libreoffice_lock_file(path)
    try:
        with open(lock, "rb") as f:
            text = f.read(4096).decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    except OSError:
        return (_("an unknown user"), "LibreOffice", lock)
    fields = parse_libreoffice_lock(text)
    user = next((f.strip() for f in fields[:2] if f.strip()), _("an unknown user"))
    return (user, "LibreOffice", lock)


def owner_of(path: Path) -> str | None:
    """The name of whoever has ``path`` open in Excel, WPS or LibreOffice, from their owner
    files; ``"an unknown user"`` when an owner file is there but names nobody; ``None``
    when there is no owner file. (A stale owner file left by a crash also counts.)"""
    holder = _holder(path)
    return holder[0] if holder else None


def check_writable(path: Path, display: str) -> None:
    """Raise :class:`LedgerError` if the ledger's file is marked read-only: replacing it
    would go round the mark, as Excel will not. Checked when there is something to write
    (an import that changes nothing runs on an archived, read-only ledger)."""
    if _read_only(path):
        raise LedgerError(
            _(
                "{display} is marked read-only: make it writable (uncheck Read-only in its Properties, or chmod u+w) and run again"
            ).format(display=display)
        )


def _read_only(path: Path) -> bool:
    try:
        return not os.stat(path).st_mode & stat.S_IWUSR
    except OSError:
        return False


def check_not_open(path: Path, display: str) -> None:
    """Raise :class:`LedgerLockedError` if another program has the ledger open."""
    holder = _holder(path)
    if holder is not None:
        user, app, owner = holder
        raise LedgerLockedError(
            _(
                "{display} is open in {app} by {user} ({name}): close it there and run again; if nobody has it open, delete that file"
            ).format(display=display, app=app, user=user, name=owner.name)
        )
    # (a read-only file cannot be opened for writing either: check_writable says why)
    if os.name == "nt" and path.exists() and not _read_only(path):  # pragma: no cover
        try:
            with open(path, "r+b"):
                pass
        except PermissionError:
            raise LedgerLockedError(
                _(
                    "{display} is open in another program (Windows refuses to let procdoc write it): close it there and run again"
                ).format(display=display)
            ) from None
