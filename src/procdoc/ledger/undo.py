"""What ``procdoc undo`` needs: a record of procdoc's last write of the ledger.

After each write the store saves (atomically) ``<state_dir>/last-write.json``: the
fingerprint of the file it wrote, the CRC of each of its zip members and the member of each
sheet, and the backup holding the version before. :meth:`LedgerStore.undo` puts that backup
back only while the ledger is still exactly what procdoc wrote; otherwise
:func:`what_changed` says, in one line, what differs.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from procdoc.errors import LedgerError
from procdoc.i18n import _, name_list, ngettext
from procdoc.ledger import zipraw
from procdoc.ledger.model import Fingerprint
from procdoc.ledger.parts import Package

RECORD = "last-write.json"


@dataclass
class LastWrite:
    """procdoc's last write of one ledger, as recorded in the state folder."""

    ledger: str  # the ledger's absolute path
    size: int
    mtime_ns: int
    sha256: str
    at: str  # when it was written (local time, ISO 8601)
    members: dict[str, int]  # zip member -> CRC-32
    sheets: dict[str, str]  # sheet name -> zip member
    backup: str | None  # the file in backups/ holding the version before; None: none kept
    backup_sha256: str | None
    created: bool  # the write created the ledger (there was no version before)

    def same_content(self, current: Fingerprint | None) -> bool:
        return current is not None and (current[0], current[2]) == (self.size, self.sha256)


def parts_of(path: Path, display: str) -> tuple[dict[str, int], dict[str, str]]:
    """A workbook's zip members with their CRCs, and the member of each sheet."""
    with open(path, "rb") as f:
        members, _ = zipraw.read_directory(f)
        pkg = Package(f, members, display)
        sheets = {ref.name: ref.path for ref in pkg.sheets if ref.path}
    return {m.name: m.crc for m in members}, sheets


def sheets_written(record: LastWrite, backup_dir: Path, display: str) -> list[str]:
    """The sheets procdoc's last write changed or added: those whose part differs (by CRC)
    from the backup of the version before it; every sheet when that cannot be read."""
    if record.backup is None:
        return sorted(record.sheets)
    try:
        members, sheets = parts_of(backup_dir / record.backup, display)
    except (LedgerError, OSError):
        return sorted(record.sheets)
    return [
        name
        for name, member in record.sheets.items()
        if sheets.get(name) != member or members.get(member) != record.members.get(member)
    ]


def prepare(state_dir: Path, record: LastWrite) -> Path:
    """Write the record of a write about to happen beside where it goes, before the ledger
    is replaced: a state folder procdoc cannot write then refuses the write, rather than
    leaving a new ledger that ``undo`` cannot match. :func:`commit` puts it in place."""
    partial = state_dir / f".{RECORD}.tmp"
    try:
        partial.write_text(json.dumps(asdict(record), ensure_ascii=False), encoding="utf-8")
    except OSError as err:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise LedgerError(
            _(
                "cannot write {path}: {reason}; procdoc keeps the record of its last write there (for undo): make the folder writable and run again"
            ).format(path=state_dir / RECORD, reason=err.strerror or err)
        ) from None
    return partial


def commit(partial: Path, state_dir: Path) -> None:
    """Put a :func:`prepare`-d record in place once the ledger is replaced; should even
    that fail, make sure no stale record remains (an undo then finds nothing to undo
    rather than a wrong version)."""
    target = state_dir / RECORD
    try:
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)


def load(state_dir: Path, ledger: Path) -> LastWrite | None:
    """The record of the last write of ``ledger`` from this state folder, if any. A record
    made at another path counts when ``ledger`` holds exactly what it records (the
    workspace was copied or moved, its state folder with it)."""
    record = load_any(state_dir)
    if record is None:
        return None
    if record.ledger == str(ledger.resolve()) or _holds(ledger, record):
        return record
    return None


def load_any(state_dir: Path) -> LastWrite | None:
    """The record in this state folder, whichever ledger it names; None when there is none
    (or it cannot be read)."""
    try:
        data = json.loads((state_dir / RECORD).read_text(encoding="utf-8"))
        return LastWrite(**data)
    except (OSError, ValueError, TypeError):
        return None


def _holds(ledger: Path, record: LastWrite) -> bool:
    """Whether ``ledger`` is byte for byte the version ``record`` says procdoc wrote (its
    size first: only a file of that size is hashed)."""
    from procdoc.ledger.reader import fingerprint

    try:
        return os.stat(ledger).st_size == record.size and fingerprint(ledger)[2] == record.sha256
    except OSError:
        return False


def when(mtime_ns: int, zone: str | None = None) -> str:
    """A file time for messages, on the workspace's clock (``zone``) when given."""
    tz = ZoneInfo(zone) if zone else None
    return datetime.fromtimestamp(mtime_ns / 1e9, tz).strftime("%Y-%m-%d %H:%M")


def what_changed(record: LastWrite, path: Path, display: str, zone: str | None = None) -> str:
    """What differs between the ledger now and what procdoc last wrote, for a message:
    the sheets whose parts differ (by CRC), sheets added or removed, other parts, or that
    the file was replaced; with when the file was modified."""
    modified = when(os.stat(path).st_mtime_ns, zone)
    try:
        members, sheets = parts_of(path, display)
    except (LedgerError, OSError):
        return _(
            "it was replaced by a file that is not a readable workbook (modified {modified})"
        ).format(modified=modified)
    found = []
    differ = [
        name
        for name, member in sheets.items()
        if name in record.sheets
        and (member != record.sheets[name] or members.get(member) != record.members.get(member))
    ]
    if differ:
        found.append(
            ngettext("sheet {names} differs", "sheets {names} differ", len(differ)).format(
                names=name_list(differ)
            )
        )
    added = [name for name in sheets if name not in record.sheets]
    if added:
        found.append(
            ngettext("sheet {names} was added", "sheets {names} were added", len(added)).format(
                names=name_list(added)
            )
        )
    removed = [name for name in record.sheets if name not in sheets]
    if removed:
        found.append(
            ngettext(
                "sheet {names} was removed", "sheets {names} were removed", len(removed)
            ).format(names=name_list(removed))
        )
    sheet_members = set(sheets.values()) | set(record.sheets.values())
    others = sorted(
        name
        for name in members.keys() | record.members.keys()
        if name not in sheet_members and members.get(name) != record.members.get(name)
    )
    if others and not found:
        found.append(_("its other parts differ ({others})").format(others=name_list(others[:3])))
    if not found:
        found.append(_("it was saved again, its parts unchanged"))
    return _("{changes} (modified {modified})").format(
        changes=_("; ").join(found), modified=modified
    )
