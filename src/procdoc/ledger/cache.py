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

The file of an entry (``<sha1 of ledger path, sheet and spec>.sheet``) is framed and
checked as every entry under ``.procdoc/cache`` is (:mod:`procdoc.cachefile`: magic, format
version, Python's marshal version, length, CRC-32); its payload is :mod:`marshal` data (no
code can run when it loads, unlike pickle) of the key and the sheet stored column by column
in blocks of :data:`BLOCK_ROWS` rows (row numbers, row lengths, then per block one
marshalled tuple per column; dates and datetimes as ordinals and ISO texts, shared through
a table), so that a read of one case unpacks the id column and one block, not the sheet
(:class:`CachedSheet`). The blocks' marshal data follow the rest, which says where each
lies (:func:`_pack_entry`): a read takes them where they lie in the file as read, instead
of copying 30 MB again for a 100k register (its load 45 -> 33 ms). The file is read, not
mapped (17 ms): a mapping would see a change made to the file in place by another program
after its check (a second look: a bus error, or another answer), and a network share
replacing it under the mapping. When the spec says so (:attr:`HeaderSpec.apart`: a
register's open cases), the rows it names are also kept whole, a tuple each, apart from the blocks, while
they are at most one in :data:`APART_SHARE`: a command that builds only those rows, spread
one in twenty over a year's register, reads them without unpacking every block. A missing,
truncated, corrupt or foreign-version file, or one whose key differs, is ignored and
rebuilt. Deleting ``.procdoc/cache`` is always safe.

Beside the entries of sheets: the names of the workbook's worksheets, keyed by the
workbook-level parts (so a sheet the workbook lacks is not looked for by calamine on every
read), and what is kept of a zip member for procdoc's next write (its segments, whether it
holds formulas).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import marshal
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.cachefile import EntryFormat, entry_name
from procdoc.ledger import zipraw
from procdoc.ledger.cells import label_key
from procdoc.ledger.model import HEADER_SEARCH_ROWS, CellValue, HeaderSpec, Row, Sheet

if TYPE_CHECKING:
    from procdoc.ledger.segments import SegmentIndex

FORMAT_VERSION = 4
MAGIC = b"procdoc-sheet-cache\n"
_FORMAT = EntryFormat(MAGIC, FORMAT_VERSION)
BLOCK_ROWS = 1024
"""Rows a block: a one-case read unpacks the id column and the block holding its row."""
SEGMENTS_VERSION = 3
"""Of what is kept of a zip member (a segment index, see procdoc.ledger.segments; whether
it holds formulas); part of the key."""

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
        return cls.of(members)

    @classmethod
    def of(cls, members: Sequence[zipraw.Member]) -> ZipIndex | None:
        """The index of a central directory already read (None as for :meth:`read`)."""
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
        return self.folder / f"{entry_name(self.ledger, name, repr(spec))}.sheet"

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
        payload = _read_entry(self._file(name, spec))
        if payload is None:
            return None
        try:
            key, member, body = _unpack_entry(payload)
            if key != self._key(index, name, spec, member):
                return None
            return _decode(body)
        except Exception:  # a damaged entry that passed its digest: never trusted
            return None

    # -- which worksheets the workbook has ---------------------------------------------------

    def _worksheets_file(self) -> Path:
        return self.folder / f"{entry_name(self.ledger, 'worksheets')}.names"

    def load_worksheets(self, index: ZipIndex) -> frozenset[str] | None:
        """The names of the workbook's worksheets as calamine last listed them, when the
        parts that say which sheets there are (every member but the worksheet parts: the
        workbook part, its relationships, the content types) are unchanged; else None."""
        names = _FORMAT.load(self._worksheets_file(), (self.ledger, index.context))
        if type(names) is not tuple or not all(type(name) is str for name in names):
            return None
        return frozenset(names)

    def store_worksheets(self, index: ZipIndex, names: Iterable[str]) -> None:
        """Keep the names of the worksheets calamine listed in the workbook ``index``
        describes (failing to is never an error)."""
        _FORMAT.dump(self._worksheets_file(), (self.ledger, index.context), tuple(names))

    def carry_worksheets(self, before: ZipIndex, after: ZipIndex, written: Iterable[str]) -> None:
        """Carry the worksheet names over a write by procdoc, from the workbook ``before``
        describes to the one ``after`` describes: the write removes no sheet and adds
        those of ``written`` it did not find (every sheet procdoc writes is a worksheet)."""
        names = self.load_worksheets(before)
        if names is not None:
            self.store_worksheets(after, sorted(names.union(written)))

    # -- what is kept of one zip member: its segments (procdoc.ledger.segments), formulas

    def _member_file(self, member: str, kind: str) -> Path:
        return self.folder / f"{entry_name(self.ledger, kind, member)}.{kind}"

    def _member_key(self, member: zipraw.Member) -> tuple[Any, ...]:
        return (
            self.ledger,
            SEGMENTS_VERSION,
            member.name,
            member.crc,
            member.compressed_size,
            member.size,
        )

    def _load_member(self, member: zipraw.Member, kind: str) -> Any:
        """What was kept of exactly this member (its name, CRC-32 and sizes), or None."""
        return _FORMAT.load(self._member_file(member.name, kind), self._member_key(member))

    def load_segments(self, member: zipraw.Member) -> SegmentIndex | None:
        """The segment index a write by procdoc left for ``member``, when it is intact and
        made for this very member (its name, CRC-32 and sizes); else None."""
        from procdoc.ledger.segments import SegmentIndex  # (a write's alone)

        body = self._load_member(member, "segments")
        try:
            return SegmentIndex.from_data(body) if body is not None else None
        except Exception:  # a damaged entry that passed its digest: never trusted
            return None

    def has_formulas(self, member: zipraw.Member) -> bool | None:
        """Whether the sheet part ``member`` holds a formula, if it was looked at before."""
        body = self._load_member(member, "formulas")
        return body if type(body) is bool else None

    def remember_formulas(self, member: zipraw.Member, found: bool) -> None:
        """Keep whether ``member`` holds a formula (failing to is never an error)."""
        _FORMAT.dump(self._member_file(member.name, "formulas"), self._member_key(member), found)

    def store_segments(self, indexes: Mapping[str, SegmentIndex], after: ZipIndex) -> None:
        """Keep the segment indexes of the members a write rewrote (``after`` describes
        the workbook written). Failing to write one is never an error."""
        for name, index in indexes.items():
            found = after.members.get(name)
            if found is None:
                continue
            _name, crc, csize, size = found
            key = (self.ledger, SEGMENTS_VERSION, name, crc, csize, size)
            _FORMAT.dump(self._member_file(name, "segments"), key, index.to_data())

    # -- writing --------------------------------------------------------------------------

    def store(self, index: ZipIndex, sheet: Sheet, spec: HeaderSpec | None, member: str) -> None:
        """Keep ``sheet`` (read from the workbook ``index`` describes, its cells in zip
        member ``member``). Failing to write the cache is never an error."""
        key = self._key(index, sheet.name, spec, member)
        if key is None:
            return
        body = sheet.packed if isinstance(sheet, CachedSheet) else None
        if body is None:
            try:
                body = _encode(sheet, spec)
            except ValueError:  # a value marshal cannot hold: leave the sheet uncached
                return
        self._put(sheet.name, spec, key, member, body)

    def refresh(
        self,
        before: ZipIndex,
        after: ZipIndex,
        specs: Iterable[tuple[str, HeaderSpec | None]],
        written: Mapping[str, Mapping[int, Mapping[int, CellValue]] | None],
        read_as: Callable[[CellValue], CellValue],
    ) -> list[str]:
        """Carry the entries of ``specs`` over a write by procdoc itself, from the workbook
        ``before`` describes to the one ``after`` describes; the names of the sheets whose
        entries were carried over.

        A sheet the write did not rewrite keeps its cells (procdoc's changes to the other
        parts - a new style at the end of the list, a defined name, a table's range - do
        not change how they read): its entry is given the new key. A sheet it rewrote is in
        ``written``: every cell procdoc wrote, by row and column (``read_as`` gives what
        calamine read back; None when the read-back was not exact: a time off by less than
        the millisecond the verification allows). Its entry is patched where those rows
        are, a block at a time, when that is sure to equal a cold read: the header row and
        the rows that could hold it untouched, no data row emptied and no row added above
        the last. Otherwise the entry is left stale (its key no longer holds) and the next
        read rebuilds it."""
        carried = []
        for name, spec in specs:
            payload = _read_entry(self._file(name, spec))
            if payload is None:
                continue
            try:
                key, member, stored = _unpack_entry(payload)
                body: tuple[Any, ...] | None = stored
                if key != self._key(before, name, spec, member):
                    continue
                new_key = self._key(after, name, spec, member)
                if new_key is None:
                    continue
                if name in written:
                    cells = written[name]
                    body = _patched(stored, spec, cells, read_as) if cells is not None else None
                elif after.members.get(member) != before.members.get(member):
                    body = None
            except Exception:  # a damaged entry that passed its digest: left to be rebuilt
                continue
            if body is not None and self._put(name, spec, new_key, member, body):
                carried.append(name)
        return carried

    def _put(
        self, name: str, spec: HeaderSpec | None, key: tuple[Any, ...], member: str, body: Any
    ) -> bool:
        try:
            parts = _pack_entry(key, member, body)
        except ValueError:
            return False
        return self._write_file(self._file(name, spec), parts)

    def _write_file(self, target: Path, parts: Sequence[bytes | memoryview]) -> bool:
        """Write an entry's file whole or not at all; False when it could not be written."""
        return _FORMAT.write_parts(target, parts)


def _spec_key(spec: HeaderSpec | None) -> tuple[Any, ...] | None:
    if spec is None:
        return None
    return (spec.row, spec.id_label, tuple(spec.labels), spec.apart)


def _read_entry(path: Path) -> memoryview | None:
    """The payload of the entry file at ``path``; None: none there to trust."""
    return _FORMAT.read(path)


_MARSHALLED = struct.Struct("<Q")


def _pack_entry(key: tuple[Any, ...], member: str, body: tuple[Any, ...]) -> list[Any]:
    """A sheet's entry as the parts of its payload: the length of the marshalled part,
    that part (the key, the member, and the body with each block's columns given as
    ``(offset, length)`` in what follows), then the columns' marshal data themselves,
    which a read takes where they lie (no copy: see :func:`_unpack_entry`)."""
    *head, blocks, apart = body
    where: list[tuple[tuple[int, int], ...]] = []
    columns: list[bytes | memoryview] = []
    at = 0
    for block in blocks:
        spans = []
        for part in block:
            spans.append((at, len(part)))
            columns.append(part)
            at += len(part)
        where.append(tuple(spans))
    marshalled = marshal.dumps((key, member, (*head, where, apart)))
    return [_MARSHALLED.pack(len(marshalled)), marshalled, *columns]


def _unpack_entry(payload: memoryview) -> tuple[Any, str, tuple[Any, ...]]:
    """(key, member, body) of an entry's payload (see :func:`_pack_entry`): each block's
    columns are views of the payload (the file as read, in memory), unmarshalled when a
    read asks for them."""
    (size,) = _MARSHALLED.unpack_from(payload)
    start = _MARSHALLED.size + size
    key, member, (*head, where, apart) = marshal.loads(payload[_MARSHALLED.size : start])
    data = payload[start:]
    if any(at < 0 or n < 0 or at + n > len(data) for spans in where for at, n in spans):
        raise ValueError("a block lies outside the entry")
    blocks = [tuple(data[at : at + n] for at, n in spans) for spans in where]
    return key, member, (*head, blocks, apart)


_unwrap = _FORMAT.unwrap


# -- a sheet column by column -------------------------------------------------------------
#
# marshal holds str, int, float, bool, None and tuples exactly (types included: True stays
# bool, 1.0 stays float) and shares an object met twice, but not dates. A date or datetime
# cell is stood in for by a tuple ("d", ordinal) / ("t", ISO text), the same tuple object
# for equal values; decoding maps each stand-in back through :class:`_Back`, in C for every
# value met before.


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The garbage collector paused: unpacking a block makes thousands of objects that hold
    no cycles, and each few hundred of them would otherwise start a collection. (Around
    :meth:`CachedSheet.row_at` alone this gains nothing measurable: 5,000 rows spread over
    a 100k-row sheet took 0.24-0.28 s either way; it is there as around the other three.)"""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _encode(sheet: Sheet, spec: HeaderSpec | None) -> tuple[Any, ...]:
    """The sheet as marshal data (the garbage collector paused: see :func:`_gc_paused`)."""
    with _gc_paused():
        return _encode_body(sheet, spec)


def _encode_body(sheet: Sheet, spec: HeaderSpec | None) -> tuple[Any, ...]:
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
                columns.append(_dates_stood_in(column, stand))
                dated.append(i)
            elif kinds - _PLAIN:
                raise ValueError(f"a cell of type {kinds - _PLAIN} cannot be cached")
            else:
                columns.append(column)
    blocks = [
        tuple(marshal.dumps(column[start : start + BLOCK_ROWS]) for column in columns)
        for start in range(0, len(rows), BLOCK_ROWS)
    ]
    apart = None
    found = _apart_column(spec, sheet.header, width)
    if found is not None:
        col, words = found
        chosen = [i for i, value in enumerate(columns[col]) if _is_apart(value, words)]
        if len(chosen) * APART_SHARE <= len(rows):  # else not packed only to be dropped
            kept = {i: tuple(column[i] for column in columns[: lengths[i]]) for i in chosen}
            apart = _pack_apart(kept, len(rows))
    return (
        sheet.name,
        sheet.header,
        sheet.header_row,
        [tuple(m) for m in sheet.merged],
        numbers.tobytes(),
        lengths.tobytes(),
        dated,
        width,
        blocks,
        apart,
    )


class Packer:
    """Builds what :func:`_encode` stores straight from calamine's rows, a block at a
    time (the first read of a sheet, cold): the rows are turned into columns in C, each
    column normalised as a whole (a column of text, dates and whole numbers by a table of
    its distinct values, in C; any other through the reader's memo, as
    :func:`~procdoc.ledger.reader` normalises a cell) and marshalled, and no
    :class:`Row` is made. The sheet it gives (:func:`_decode` of its body: what a warm
    read gives) equals the row by row reader's (a test holds them equal, whole and a
    column and a row at a time); at 100k rows of 30 columns it costs 1.10 s where reading
    row by row and encoding cost 1.33 s, calamine's making of the values (0.5-0.7 s)
    included. It may keep no rows apart where ``_encode``, which sees the whole sheet at
    once, keeps them (see :meth:`_flush`); reads are the same either way."""

    def __init__(
        self,
        header: list[str],
        spec: HeaderSpec | None,
        normalise: Callable[[object], CellValue],
    ) -> None:
        self.normalise = normalise
        self.numbers = array("I")
        self.lengths = array("I")
        self.width = 0
        self.dated: set[int] = set()
        self.blocks: list[list[bytes]] = []
        self.block_rows: list[int] = []
        self.apart_at = _apart_column(spec, header, len(header))
        self.kept: dict[int, tuple[Any, ...]] | None = {}
        self._raws: list[list[Any]] = []
        self._lens: list[int] = []
        self.unique: set[int] = set()
        """Columns of mostly distinct values in a whole block: not shared from then on."""

    def add_rows(self, grid: Iterable[tuple[int, list[Any]]]) -> None:
        """Each ``(number, raw)`` of ``grid``: a row as calamine gives it (``""`` for an
        empty cell), its number; a row of empty cells is skipped, as the reader skips it.
        One call for the sheet's rows (a call a row was a tenth of a cold read's packing)."""
        number_of, raws, lens = self.numbers.append, self._raws, self._lens
        for number, raw in grid:
            n = len(raw)
            while n and (raw[n - 1] == "" or raw[n - 1] is None):
                n -= 1
            if not n:
                continue
            number_of(number)
            lens.append(n)
            raws.append(raw)
            if len(raws) == BLOCK_ROWS:
                self._flush()
                raws, lens = self._raws, self._lens

    def _flush(self) -> None:
        raws, lens = self._raws, self._lens
        if not raws:
            return
        width = max(lens)
        if len({len(raw) for raw in raws}) != 1:
            raws = [raw + [""] * (width - len(raw)) for raw in raws]
        columns: list[tuple[Any, ...]] = [
            self._normal(i, column)
            for i, column in enumerate(itertools.islice(zip(*raws, strict=True), width))
        ]
        stand: dict[object, tuple[str, object]] = {}
        for i, column in enumerate(columns):
            kinds = set(map(type, column))
            if datetime in kinds or date in kinds:
                columns[i] = _dates_stood_in(column, stand)
                self.dated.add(i)
        kept = self.kept
        if self.apart_at is not None and kept is not None:
            col, words = self.apart_at
            base = len(self.numbers) - len(raws)
            deciding = columns[col] if col < width else (None,) * len(raws)
            for at, value in enumerate(deciding):
                if _is_apart(value, words):
                    kept[base + at] = tuple(column[at] for column in columns[: lens[at]])
            if len(kept) * APART_SHARE > len(self.numbers) >= APART_SHARE * BLOCK_ROWS:
                # most rows so far are kept apart: the blocks will serve them (where
                # _encode, seeing the whole sheet, may still keep them when closed rows
                # follow; reads are the same either way)
                self.kept = None
        self.blocks.append([marshal.dumps(column) for column in columns])
        self.block_rows.append(len(raws))
        self.lengths.extend(lens)
        self.width = max(self.width, width)
        self._raws, self._lens = [], []

    def _normal(self, i: int, column: tuple[Any, ...]) -> tuple[CellValue, ...]:
        kinds = set(map(type, column))
        if not kinds <= _BY_TABLE:
            return tuple(map(self.normalise, column))
        if i in self.unique:  # ids, titles, moments: nothing to share
            return tuple(map(_EMPTY.get, column, column))
        # no two values of different types are equal here (as 1, 1.0 and True are): one
        # object per distinct value, marshalled once a block
        distinct = dict.fromkeys(column)
        if len(distinct) * 2 > len(column) >= BLOCK_ROWS:
            self.unique.add(i)
        table: dict[Any, CellValue] = dict(zip(distinct, distinct, strict=True))
        if "" in table:
            table[""] = None
        return tuple(map(table.__getitem__, column))

    def body(
        self, name: str, header: list[str], header_row: int, merged: list[Any]
    ) -> tuple[Any, ...]:
        """What :func:`_encode` would store for the sheet of the rows added."""
        self._flush()
        width = self.width
        blocks = []
        for block, rows in zip(self.blocks, self.block_rows, strict=True):
            if len(block) < width:
                empty = marshal.dumps((None,) * rows)
                block = block + [empty] * (width - len(block))
            blocks.append(tuple(block))
        apart = None
        if self.apart_at is not None and self.kept is not None and self.apart_at[0] < width:
            apart = _pack_apart(self.kept, len(self.numbers))
        return (
            name,
            header,
            header_row,
            [tuple(m) for m in merged],
            self.numbers.tobytes(),
            self.lengths.tobytes(),
            sorted(self.dated),
            width,
            blocks,
            apart,
        )


_EMPTY: dict[Any, CellValue] = {"": None}

_BY_TABLE = frozenset({str, int, date, datetime, type(None)})
"""The types of a column :meth:`Packer._normal` normalises by a table of its values
(calamine gives floats for numbers: a float needs the memo, which makes 3.0 an int)."""


def packed_sheet(body: tuple[Any, ...]) -> CachedSheet:
    """The sheet of a body :class:`Packer` made, keeping the body for :meth:`SheetCache.store`."""
    sheet = _decode(body)
    sheet.packed = body
    return sheet


def _dates_stood_in(
    column: tuple[Any, ...], stand: dict[object, tuple[str, object]]
) -> tuple[Any, ...]:
    """A column holding dates or datetimes as stored: each one by its stand-in, one tuple
    per distinct value (kept in ``stand``, shared by the columns of one marshalling)."""
    distinct = dict.fromkeys(column)
    moments = [v for v in distinct if type(v) is datetime and v not in stand]
    stand.update(_stand_ins("t", moments, map(datetime.isoformat, moments)))
    days = [v for v in distinct if type(v) is date and v not in stand]
    stand.update(_stand_ins("d", days, map(date.toordinal, days)))
    return tuple(map(stand.get, column, column))


def _stand_ins(
    tag: str, values: Sequence[date], stored: Iterable[object]
) -> Iterator[tuple[date, tuple[str, object]]]:
    """(value, its stand-in) for each of ``values``, the stand-in ``(tag, stored)`` made
    in C (a 100k register has 100,000 distinct datetimes)."""
    tags = itertools.repeat(tag, len(values))
    return zip(values, zip(tags, stored, strict=True), strict=True)


APART_SHARE = 4
"""Rows are kept apart (see :attr:`HeaderSpec.apart`) only while they are at most one in
this many of the sheet's: when most rows are wanted, unpacking the blocks costs no more."""


def _apart_column(
    spec: HeaderSpec | None, header: Sequence[str], width: int
) -> tuple[int, frozenset[str]] | None:
    """The column whose cell decides which rows are kept apart, and the words that keep a
    row with the rest; None: no rows are kept apart."""
    if spec is None or spec.apart is None:
        return None
    label, words = spec.apart
    wanted = label_key(label)
    col = next((i for i, name in enumerate(header) if label_key(name) == wanted), None)
    return None if col is None or col >= width else (col, frozenset(words))


def _is_apart(value: object, words: frozenset[str]) -> bool:
    """Whether a row whose deciding cell holds ``value`` (as stored) is kept apart."""
    return not (type(value) is str and value.strip() in words)


def _pack_apart(kept: Mapping[int, tuple[Any, ...]], n_rows: int) -> tuple[bytes, bytes] | None:
    """The rows kept apart as stored: their indexes, and their cells a tuple each."""
    if len(kept) * APART_SHARE > n_rows:
        return None
    order = sorted(kept)
    return array("I", order).tobytes(), marshal.dumps(tuple(kept[i] for i in order))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _stand_in(value: CellValue) -> object:
    """A value as :func:`_encode` stores it in a column."""
    if type(value) is date:
        return ("d", value.toordinal())
    if type(value) is datetime:
        return ("t", value.isoformat())
    if type(value) not in _PLAIN:
        raise ValueError(f"a cell of type {type(value)} cannot be cached")
    return value


def _patched(
    body: tuple[Any, ...],
    spec: HeaderSpec | None,
    cells: Mapping[int, Mapping[int, CellValue]],
    read_as: Callable[[CellValue], CellValue],
) -> tuple[Any, ...] | None:
    """The stored sheet ``body`` with ``cells`` (row -> column -> value, each read back as
    ``read_as`` says; text as the reader reads it: itself, empty as None) in place,
    unpacking and packing again only the blocks that hold those rows; None when the result
    could differ from a cold read of the new sheet (see :meth:`SheetCache.refresh`)."""
    name, header, header_row, merged, numbers_raw, lengths_raw, dated, width, blocks, apart = body
    numbers = array("I")
    numbers.frombytes(numbers_raw)
    lengths = array("I")
    lengths.frombytes(lengths_raw)
    if len(blocks) != -(-len(numbers) // BLOCK_ROWS):
        return None  # made with another block size
    if not cells:
        return body
    # A header found by its id label stays where it is whatever is written below it; one
    # found by the most labels (or not found) could move to a row written among the top.
    searched = (
        spec is not None
        and spec.row is None
        and not (spec.id_label and label_key(spec.id_label) in map(label_key, header))
    )
    if min(cells) <= (max(header_row, HEADER_SEARCH_ROWS) if searched else header_row):
        return None  # the header (or where it is looked for) was written
    last = numbers[-1] if numbers else 0
    edits = sorted(number for number in cells if number <= last)
    adds = sorted(number for number in cells if number > last)
    wide = max((max(cells[n], default=-1) + 1 for n in cells), default=0)
    blocks = list(blocks)
    dated = set(dated)
    if wide > width:  # a column right of every value so far: every block gets it
        for b, parts in enumerate(blocks):
            rows_in = min(BLOCK_ROWS, len(numbers) - b * BLOCK_ROWS)
            blocks[b] = (*parts, *[marshal.dumps((None,) * rows_in)] * (wide - width))
        width = wide
    work: dict[int, list[list[Any]]] = {}
    touched: list[int] = []  # the indexes of the rows written
    convert: dict[tuple[type, CellValue], object] = {}

    def stored(col: int, value: CellValue) -> object:
        if value is None:
            return None
        key = (type(value), value)
        found = convert.get(key, convert)
        if found is convert:
            found = convert[key] = _stand_in(read_as(value))
        if type(found) is tuple:
            dated.add(col)
        return found

    for number in edits:
        i = bisect.bisect_left(numbers, number)
        if numbers[i] != number:
            return None  # a row where the sheet had none, above its last: rows would move
        b, at = divmod(i, BLOCK_ROWS)
        touched.append(i)
        columns = work.get(b)
        if columns is None:
            columns = work[b] = [list(marshal.loads(part)) for part in blocks[b]]
        for col, value in cells[number].items():
            columns[col][at] = (value or None) if type(value) is str else stored(col, value)
        length = max(lengths[i], wide)
        while length and columns[length - 1][at] is None:
            length -= 1
        if not length:
            return None  # a row emptied: the rows after it would move
        lengths[i] = length
    added: list[list[object]] = []
    for number in adds:
        values: list[object] = [None] * width
        for col, value in cells[number].items():
            values[col] = (value or None) if type(value) is str else stored(col, value)
        length = width
        while length and values[length - 1] is None:
            length -= 1
        if length:  # an empty row reads as none
            added.append(values)
            numbers.append(number)
            lengths.append(length)
    if added:
        first = len(numbers) - len(added)
        touched.extend(range(first, len(numbers)))
        b = first // BLOCK_ROWS
        at = first
        grid = list(zip(*added, strict=True)) if width else []
        while at < len(numbers):
            stop = min((b + 1) * BLOCK_ROWS, len(numbers))
            columns = work.get(b)
            if columns is None:
                columns = work[b] = (
                    [list(marshal.loads(part)) for part in blocks[b]]
                    if b < len(blocks)
                    else [[] for _col in range(width)]
                )
            for column, new in zip(columns, grid, strict=True):
                column.extend(new[at - first : stop - first])
            at = stop
            b += 1
    found = _apart_column(spec, header, width)
    if apart is not None and found is not None:
        col, words = found
        indexes_raw, rows_raw = apart
        indexes = array("I")
        indexes.frombytes(indexes_raw)
        kept = dict(zip(indexes, marshal.loads(rows_raw), strict=True))
        for i in touched:
            b, at = divmod(i, BLOCK_ROWS)
            columns = work[b]
            if _is_apart(columns[col][at], words):
                kept[i] = tuple(column[at] for column in columns[: lengths[i]])
            else:
                kept.pop(i, None)
        apart = _pack_apart(kept, len(numbers))
    else:
        apart = None  # a sheet none were kept apart in is left so until it is read again
    for b, columns in work.items():
        part = tuple(marshal.dumps(tuple(column)) for column in columns)
        if b < len(blocks):
            blocks[b] = part
        else:
            blocks.append(part)
    return (
        name,
        header,
        header_row,
        merged,
        numbers.tobytes(),
        lengths.tobytes(),
        sorted(dated),
        width,
        blocks,
        apart,
    )


class _Back(dict[object, CellValue]):
    """A dated column's values from what :func:`_encode` stored: a stand-in tuple gives its
    date or datetime (made once per distinct value, when first met), anything else itself."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, key: object) -> CellValue:
        if type(key) is not tuple:
            return key  # type: ignore[return-value]
        kind, raw = key
        value: CellValue = date.fromordinal(raw) if kind == "d" else datetime.fromisoformat(raw)
        self[key] = value
        return value


def _decode(body: tuple[Any, ...]) -> CachedSheet:
    """The sheet :func:`_encode` stored, its rows left packed until asked for."""
    name, header, header_row, merged, numbers_raw, lengths_raw, dated, width, blocks, apart = body
    numbers = array("I")
    numbers.frombytes(numbers_raw)
    lengths = array("I")
    lengths.frombytes(lengths_raw)
    if len(numbers) != len(lengths) or len(blocks) != -(-len(numbers) // BLOCK_ROWS):
        raise ValueError("an entry whose parts disagree")
    if any(len(block) != width for block in blocks):
        raise ValueError("an entry whose parts disagree")
    if apart is not None and (type(apart) is not tuple or len(apart) != 2):
        raise ValueError("an entry whose parts disagree")
    return CachedSheet(
        name=name,
        header=list(header),
        header_row=header_row,
        merged=[tuple(m) for m in merged],
        numbers=numbers,
        lengths=lengths,
        dated=frozenset(dated),
        width=width,
        blocks=[tuple(block) for block in blocks],
        apart=apart,
    )


class CachedSheet(Sheet):
    """A sheet read from the cache: its cells stay marshalled, :data:`BLOCK_ROWS` rows a
    block and one column a part, until they are asked for. :meth:`column_values` unpacks
    one column of every block, :meth:`row_at` the block holding that row, :attr:`rows`
    everything (once). It equals the sheet it was made from."""

    def __init__(
        self,
        *,
        name: str,
        header: list[str],
        header_row: int,
        merged: list[Any],
        numbers: array[int],
        lengths: array[int],
        dated: frozenset[int],
        width: int,
        blocks: list[tuple[bytes, ...]],
        apart: tuple[bytes, bytes] | None = None,
    ) -> None:
        self.name = name
        self.header = header
        self.header_row = header_row
        self.merged = merged
        self._index = None
        self._numbers = numbers
        self._lengths = lengths
        self._back = _Back()
        self._dated = dated
        self._width = width
        self._blocks = blocks
        self._apart = apart
        self._kept: dict[int, tuple[Any, ...]] | None = None
        self._block_rows: dict[int, list[tuple[Any, ...]]] = {}
        """Each block asked a row of: its rows, dates made (:meth:`row_at`)."""
        self._columns: dict[int, tuple[CellValue, ...]] = {}
        self._rows: list[Row] | None = None
        self.packed: tuple[Any, ...] | None = None
        """The body a cold read packed this sheet from, until it is stored."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sheet):
            return NotImplemented
        return (self.name, self.header, self.rows, self.header_row, self.merged) == (
            other.name,
            other.header,
            other.rows,
            other.header_row,
            other.merged,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CachedSheet(name={self.name!r}, rows={len(self._numbers)})"

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            with _gc_paused():
                self._rows = self._all_rows()
            # every row is built now: the packed cells and what was unpacked are dropped
            self._blocks = []
            self._apart = self._kept = None
            self._block_rows.clear()
            self._columns.clear()
        return self._rows

    @rows.setter
    def rows(self, value: list[Row]) -> None:
        self._rows = value

    def n_rows(self) -> int:
        return len(self._numbers) if self._rows is None else len(self._rows)

    def column_values(self, col: int) -> Sequence[CellValue]:
        if self._rows is not None:
            return super().column_values(col)
        found = self._columns.get(col)
        if found is not None:
            return found
        if col >= self._width:
            return (None,) * len(self._numbers)
        with _gc_paused():
            parts = [marshal.loads(block[col]) for block in self._blocks]
            values: tuple[Any, ...] = tuple(itertools.chain.from_iterable(parts))
            if col in self._dated:
                values = tuple(map(self._back.__getitem__, values))
        self._columns[col] = values
        return values

    def later_than(self, col: int, moment: datetime) -> list[int] | None:
        # compared as stored, without making a datetime of each value: a datetime is kept
        # as ("t", its ISO text), and ISO texts of one form sort as the moments they name;
        # a date as ("d", its ordinal), later when its day is
        if self._rows is not None or col in self._columns or col not in self._dated:
            return super().later_than(col, moment)
        with _gc_paused():
            parts = [marshal.loads(block[col]) for block in self._blocks]
        stamp, day = moment.isoformat(), moment.toordinal()
        out = []
        for i, value in enumerate(itertools.chain.from_iterable(parts)):
            if value is None:
                continue
            if type(value) is not tuple:
                return None  # text, a number: the caller reads the column
            kind, stored = value
            if stored > stamp if kind == "t" else stored > day:
                out.append(i)
        return out

    def row_at(self, index: int) -> Row:
        if self._rows is not None:
            return self._rows[index]
        if index < 0:
            index += len(self._numbers)
        if self._apart is not None:
            kept = self._kept_apart().get(index)
            if kept is not None:
                values = list(kept)
                for i in self._dated:
                    if i < len(values):
                        values[i] = self._back[values[i]]
                return Row(self._numbers[index], values)
        block, at = divmod(index, BLOCK_ROWS)
        rows = self._block_rows.get(block)
        if rows is None:  # the block's rows at once, in C (a list of every case asks them all)
            with _gc_paused():
                rows = self._block_rows[block] = self._rows_of(block)
        cells = rows[at]
        length = self._lengths[index]
        return Row(self._numbers[index], list(cells if len(cells) == length else cells[:length]))

    def _kept_apart(self) -> dict[int, tuple[Any, ...]]:
        """The rows kept apart (see :attr:`HeaderSpec.apart`) by index, unpacked once;
        none when the entry's parts disagree (the blocks then serve every row)."""
        if self._kept is None:
            self._kept = {}
            if self._apart is not None:
                indexes = array("I")
                with contextlib.suppress(Exception), _gc_paused():
                    indexes.frombytes(self._apart[0])
                    rows = marshal.loads(self._apart[1])
                    n = len(self._numbers)
                    if (
                        type(rows) is tuple
                        and len(rows) == len(indexes)
                        and max(indexes, default=0) < n
                    ):
                        self._kept = {
                            i: row
                            for i, row in zip(indexes, rows, strict=True)
                            if type(row) is tuple and len(row) == self._lengths[i]
                        }
        return self._kept

    def _all_rows(self) -> list[Row]:
        numbers, lengths, width = self._numbers, self._lengths, self._width
        rows: list[Row] = []
        for b in range(len(self._blocks)):
            start = b * BLOCK_ROWS
            rows.extend(
                Row(number, list(values if length == width else values[:length]))
                for number, length, values in zip(
                    numbers[start : start + BLOCK_ROWS],
                    lengths[start : start + BLOCK_ROWS],
                    self._block_rows.get(b) or self._rows_of(b),  # (made once)
                    strict=True,
                )
            )
        return rows

    def _rows_of(self, block: int) -> list[tuple[Any, ...]]:
        """The block's rows as wide as the sheet, dates made (a column at a time, the
        columns zipped in C)."""
        back = self._back
        columns = [marshal.loads(part) for part in self._blocks[block]]
        for i in self._dated:
            columns[i] = tuple(map(back.__getitem__, columns[i]))
        if columns:
            return list(zip(*columns, strict=True))
        return [()] * len(self._numbers[block * BLOCK_ROWS : (block + 1) * BLOCK_ROWS])
