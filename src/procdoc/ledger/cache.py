"""A read cache of the ledger's sheets, under the workspace's ``.procdoc/cache/``.

A sheet's cells depend only on its own zip member and on the workbook-level parts
(``xl/workbook.xml`` and its relationships for which member a sheet name is, the styles
for which numbers are dates, the shared strings for the text). The zip's central directory
already holds a CRC-32 and both sizes of every member, so the key of a cached sheet is
read from there: nothing is hashed or inflated to find out whether it still holds.

Key of one entry: the sheet's name and :class:`HeaderSpec`, the name, CRC-32 and sizes of
the sheet's member, and those of every member that is not a worksheet part
(``xl/worksheets/*.xml``). Any foreign change (Excel, WPS, a script) rewrites the members
it touches with new CRCs and sizes, so the entry no longer matches and the sheet is read
again by calamine; procdoc's own writes do the same for the sheets they rewrite (sheets
they copy raw keep their CRCs, so their entries stay valid). A workbook whose member
names clash (two names equal but for case) is never cached.

The file of an entry (``<sha1 of ledger path, sheet and spec>.sheet``): a magic string,
the format version, Python's marshal version and major.minor, the payload's length and its
BLAKE2b digest, then the payload: :mod:`marshal` data (no code can run when it loads, unlike
pickle) of the key and the sheet stored column by column (row numbers, row lengths, one
tuple per column; dates and datetimes as ordinals and ISO texts, shared through a table).
A missing, truncated, corrupt or foreign-version file, or one whose key differs, is
ignored and rebuilt; entries are written to a temp file and renamed into place, so a
reader never sees half of one. Deleting ``.procdoc/cache`` is always safe.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import struct
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procdoc.ledger import zipraw
from procdoc.ledger.model import CellValue, HeaderSpec, Row, Sheet

FORMAT_VERSION = 1
MAGIC = b"procdoc-sheet-cache\n"
_HEAD = struct.Struct("<HHBBQ16s")  # version, marshal version, py major, py minor, length, digest
_DIGEST = 16

MemberKey = tuple[str, int, int, int]
"""A zip member as the central directory describes it: (name, CRC-32, compressed size,
uncompressed size)."""


def _is_worksheet(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("xl/worksheets/") and lower.endswith(".xml") and lower.count("/") == 2


@dataclass
class ZipIndex:
    """What the central directory says about a workbook: every member's key, and the
    key of the parts every sheet depends on (every member but the worksheet parts)."""

    members: dict[str, MemberKey]
    context: tuple[MemberKey, ...]

    @classmethod
    def read(cls, path: Path) -> ZipIndex | None:
        """The index of the workbook at ``path``; None when it cannot be cached (not a zip
        this store reads, clashing member names)."""
        try:
            with open(path, "rb") as f:
                members, _ = zipraw.read_directory(f)
        except (OSError, zipraw.ZipFormatError):
            return None
        keys = {m.name: (m.name, m.crc, m.compressed_size, m.size) for m in members}
        if len(keys) != len(members) or len({n.lower() for n in keys}) != len(keys):
            return None
        context = tuple(sorted(k for n, k in keys.items() if not _is_worksheet(n)))
        return cls(keys, context)


class SheetCache:
    """The cached sheets of one ledger, in ``folder`` (``.procdoc/cache``)."""

    def __init__(self, folder: Path, ledger: Path) -> None:
        self.folder = folder
        self.ledger = str(Path(ledger).resolve())

    def _file(self, name: str, spec: HeaderSpec | None) -> Path:
        digest = hashlib.sha1(
            f"{self.ledger}\0{name}\0{spec!r}".encode("utf-8", "surrogatepass"),
            usedforsecurity=False,
        ).hexdigest()
        return self.folder / f"{digest[:32]}.sheet"

    def _key(
        self, index: ZipIndex, name: str, spec: HeaderSpec | None, member: str
    ) -> tuple[Any, ...] | None:
        found = index.members.get(member)
        if found is None:
            return None
        return (self.ledger, name, _spec_key(spec), found, index.context)

    # -- reading --------------------------------------------------------------------------

    def load(self, index: ZipIndex, name: str, spec: HeaderSpec | None) -> Sheet | None:
        """The cached sheet, when its entry is intact and its key still holds; else None."""
        try:
            data = self._file(name, spec).read_bytes()
        except OSError:
            return None
        payload = _unwrap(data)
        if payload is None:
            return None
        try:
            key, member, body = marshal.loads(payload)
            if key != self._key(index, name, spec, member):
                return None
            return _decode(body)
        except Exception:  # a damaged entry that passed its digest: never trusted
            return None

    # -- writing --------------------------------------------------------------------------

    def store(self, index: ZipIndex, sheet: Sheet, spec: HeaderSpec | None, member: str) -> None:
        """Keep ``sheet`` (read from the workbook ``index`` describes, its cells in zip
        member ``member``). Failing to write the cache is never an error."""
        key = self._key(index, sheet.name, spec, member)
        if key is None:
            return
        try:
            payload = marshal.dumps((key, member, _encode(sheet)))
        except ValueError:  # a value marshal cannot hold: leave the sheet uncached
            return
        target = self._file(sheet.name, spec)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(_wrap(payload))
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _spec_key(spec: HeaderSpec | None) -> tuple[Any, ...] | None:
    if spec is None:
        return None
    return (spec.row, spec.id_label, tuple(spec.labels))


def _wrap(payload: bytes) -> bytes:
    digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    head = _HEAD.pack(FORMAT_VERSION, marshal.version, *sys.version_info[:2], len(payload), digest)
    return MAGIC + head + payload


def _unwrap(data: bytes) -> bytes | None:
    """The payload of an entry's file, or None unless it is whole, of this format, this
    Python's marshal, and matches its digest."""
    start = len(MAGIC) + _HEAD.size
    if len(data) < start or not data.startswith(MAGIC):
        return None
    version, marshal_version, major, minor, length, digest = _HEAD.unpack_from(data, len(MAGIC))
    if (version, marshal_version, major, minor) != (
        FORMAT_VERSION,
        marshal.version,
        *sys.version_info[:2],
    ):
        return None
    payload = data[start:]
    if len(payload) != length:
        return None
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
        return None
    return payload


# -- a sheet column by column -------------------------------------------------------------
#
# marshal holds str, int, float, bool, None and tuples exactly (types included: True stays
# bool, 1.0 stays float) and shares an object met twice, but not dates. A date or datetime
# cell is stood in for by a tuple ("d", ordinal) / ("t", ISO text), the same tuple object
# for equal values; decoding maps each stand-in back through a table, in C (dict.get).


def _encode(sheet: Sheet) -> tuple[Any, ...]:
    """The sheet as marshal data (the garbage collector paused, as in :func:`_decode`)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _encode_body(sheet)
    finally:
        if paused:
            gc.enable()


def _encode_body(sheet: Sheet) -> tuple[Any, ...]:
    rows = sheet.rows
    lengths = array("I", [len(r.values) for r in rows])
    numbers = array("I", [r.number for r in rows])
    width = max(lengths, default=0)
    columns: list[tuple[Any, ...]] = []
    dated: list[int] = []
    stand: dict[object, tuple[str, object]] = {}
    if width:
        pad: list[CellValue] = [None] * width
        grid = zip(
            *[
                (r.values if len(r.values) == width else r.values + pad[len(r.values) :])
                for r in rows
            ],
            strict=True,
        )
        for i, column in enumerate(grid):
            kinds = set(map(type, column))
            if datetime in kinds or date in kinds:
                for value in dict.fromkeys(column):
                    if type(value) is date and value not in stand:
                        stand[value] = ("d", value.toordinal())
                    elif type(value) is datetime and value not in stand:
                        stand[value] = ("t", value.isoformat())
                columns.append(tuple(map(stand.get, column, column)))
                dated.append(i)
            elif kinds - _PLAIN:
                raise ValueError(f"a cell of type {kinds - _PLAIN} cannot be cached")
            else:
                columns.append(column)
    return (
        sheet.name,
        sheet.header,
        sheet.header_row,
        [tuple(m) for m in sheet.merged],
        numbers.tobytes(),
        lengths.tobytes(),
        tuple(stand.values()),
        dated,
        columns,
    )


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _decode(body: tuple[Any, ...]) -> Sheet:
    """The sheet :func:`_encode` stored (the garbage collector paused meanwhile: it
    would walk every new row's list again and again for nothing)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _decode_body(body)
    finally:
        if paused:
            gc.enable()


def _decode_body(body: tuple[Any, ...]) -> Sheet:
    name, header, header_row, merged, numbers_raw, lengths_raw, stands, dated, columns = body
    numbers = array("I")
    numbers.frombytes(numbers_raw)
    lengths = array("I")
    lengths.frombytes(lengths_raw)
    back: dict[object, CellValue] = {
        stand: date.fromordinal(stand[1]) if stand[0] == "d" else datetime.fromisoformat(stand[1])
        for stand in stands
    }
    decoded = list(columns)
    for i in dated:
        column = decoded[i]
        decoded[i] = tuple(map(back.get, column, column))
    width = len(decoded)
    rows = [
        Row(number, list(cells if length == width else cells[:length]))
        for number, length, cells in zip(numbers, lengths, _rows(decoded), strict=True)
    ]
    return Sheet(
        name=name,
        header=list(header),
        rows=rows,
        header_row=header_row,
        merged=[tuple(m) for m in merged],
    )


def _rows(columns: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    if columns:
        return zip(*columns, strict=True)
    return iter(())
