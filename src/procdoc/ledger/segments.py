"""Sync points in the sheets procdoc writes, so that a later write rewrites only the
stretch of rows it changes ("a write costs what it writes").

When procdoc rewrites a worksheet part it deflates the part before ``<sheetData>`` (the
*head*) on its own, then the rows in *segments*: each time :func:`segment_size` bytes of
rows have gone through since the last sync point, at the end of a row, the compressor is
flushed with ``Z_FULL_FLUSH``. Its output then ends on a byte boundary and nothing after
it refers back to anything before it, so a segment's compressed bytes inflate on their own
and can be copied into another deflate stream that is at such a point. The result is an
ordinary deflate stream that every zip reader inflates; the flushes cost a few bytes each.

What the write knows about each segment (:class:`Segment`: its sizes, the CRC-32 of its
bytes before and after compression, its first, last and last non-empty row; and whether
the sheet held formulas) is kept as a :class:`SegmentIndex` in the read cache, keyed by
the member's CRC-32 and sizes (:meth:`procdoc.ledger.cache.SheetCache.load_segments`).
A member anyone else wrote (Excel, WPS, a script) has another key, so it has no index and
the next write goes through the whole sheet, as before, and leaves the index for the one
after. An index that matches the key but not the bytes (never expected) raises
:class:`StaleSegments`, and the write goes through the whole sheet instead.

The next write of the sheet (:func:`plan`) inflates and patches only the head and the
*live* segments: the first (the header is there), every segment holding a row it writes,
and the last one holding a value with all after it (rows are appended there). Each run
of the others is handed to the patcher as a :class:`Span`: the patcher takes its rows as
they are (checking their order), and the member gets the span's compressed bytes, each
segment checked against its compressed CRC-32 as it is copied, its uncompressed CRC-32
combined into the member's. What the span stood for was read, checked and written by
procdoc when the index was made, and its bytes are the same ones.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from procdoc.ledger import zipraw

FIRST_SEGMENT = 64 << 10
"""Rows before the first sync point: the first segment (the header's) is always patched,
so it is kept small."""
MIN_SEGMENT = 1 << 20
SEGMENTS = 64
"""A sheet's rows are cut into about this many segments of at least :data:`MIN_SEGMENT`
bytes: enough that a write rewrites a small part of a big sheet, few enough that the index
stays small and combining the segments' CRCs stays cheap."""


def segment_size(size: int) -> int:
    """The segment size for a sheet part of ``size`` bytes (uncompressed)."""
    return max(MIN_SEGMENT, size // SEGMENTS)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a member's deflate stream that inflates on its own."""

    ulen: int  # uncompressed bytes
    clen: int  # compressed bytes
    crc: int  # CRC-32 of the uncompressed bytes
    ccrc: int  # CRC-32 of the compressed bytes
    first_row: int = 0  # the first row that starts in it (0: none)
    last_row: int = 0
    last_data: int = 0  # the last row holding a value (0: none)

    def to_data(self) -> tuple[Any, ...]:
        return (
            self.ulen,
            self.clen,
            self.crc,
            self.ccrc,
            self.first_row,
            self.last_row,
            self.last_data,
        )

    @classmethod
    def from_data(cls, data: tuple[Any, ...]) -> Segment:
        ulen, clen, crc, ccrc, first, last, last_data = data
        return cls(ulen, clen, crc, ccrc, first, last, last_data)


@dataclass(frozen=True)
class SegmentIndex:
    """A member's head and row segments, in order; together they are the whole member.
    ``formulas``: whether the sheet's rows held a formula when it was written (then a span
    may hold one: the write treats the sheet as one with formulas, as it would reading it
    whole)."""

    head: Segment
    rows: tuple[Segment, ...]
    formulas: bool

    def to_data(self) -> tuple[Any, ...]:
        return (self.head.to_data(), tuple(s.to_data() for s in self.rows), self.formulas)

    @classmethod
    def from_data(cls, data: tuple[Any, ...]) -> SegmentIndex:
        head, rows, formulas = data
        return cls(
            Segment.from_data(head), tuple(Segment.from_data(s) for s in rows), bool(formulas)
        )

    def fits(self, member: zipraw.Member) -> bool:
        """Whether the segments add up to ``member`` (sizes and CRC-32) and their rows
        come in order."""
        if member.method != 8 or not self.rows:
            return False
        parts = (self.head, *self.rows)
        if sum(s.ulen for s in parts) != member.size:
            return False
        if sum(s.clen for s in parts) != member.compressed_size:
            return False
        last = 0
        for s in self.rows:
            if s.first_row:
                if not last < s.first_row <= s.last_row:
                    return False
                last = s.last_row
        return combined_crc(parts) == member.crc


class StaleSegments(Exception):
    """A segment index that matched its member's key does not fit its bytes after all
    (never expected): the write goes through the whole sheet instead."""


def combined_crc(parts: Iterable[Segment]) -> int:
    crc = 0
    for s in parts:
        crc = zipraw.crc32_combine(crc, s.crc, s.ulen)
    return crc


@dataclass
class Span:
    """A run of segments the patcher takes as they are, and the member gets copied."""

    segments: list[Segment]
    start: int  # where the first one's compressed bytes start in the file
    source: BinaryIO
    name: str  # the member's name (in messages)
    formulas: bool  # the sheet held a formula (see SegmentIndex)
    first_row: int = field(init=False)
    last_row: int = field(init=False)
    last_data: int = field(init=False)

    def __post_init__(self) -> None:
        with_rows = [s for s in self.segments if s.first_row]
        self.first_row = with_rows[0].first_row if with_rows else 0
        self.last_row = with_rows[-1].last_row if with_rows else 0
        data = [s for s in self.segments if s.last_data]
        self.last_data = data[-1].last_data if data else 0

    def copies(self) -> Iterator[tuple[Segment, bytes]]:
        """Each segment with its compressed bytes, checked against their CRC-32."""
        pos = self.start
        for s in self.segments:
            raw = zipraw.read_at(self.source, pos, s.clen, self.name)
            if zipraw.crc32(raw, 0) != s.ccrc:
                raise StaleSegments(self.name)
            pos += s.clen
            yield s, raw


def inflate(f: BinaryIO, start: int, s: Segment, name: str, *, last: bool = False) -> bytes | None:
    """A segment's bytes, inflated on their own; None unless they match its CRC-32 and
    size and end where it does (with the final block when ``last``)."""
    raw = zipraw.read_at(f, start, s.clen, name)
    inflater = zipraw.inflater()
    try:
        data = inflater.decompress(raw)
    except zipraw.INFLATE_ERRORS:
        return None
    if (
        len(data) != s.ulen
        or zipraw.crc32(data, 0) != s.crc
        or inflater.unconsumed_tail
        or inflater.eof != last
        or (inflater.eof and inflater.unused_data)
    ):
        return None
    return data


def _inflated(f: BinaryIO, start: int, s: Segment, name: str, *, last: bool = False) -> bytes:
    data = inflate(f, start, s, name, last=last)
    if data is None:
        raise StaleSegments(name)
    return data


def plan(
    f: BinaryIO,
    member: zipraw.Member,
    index: SegmentIndex,
    rows: Iterable[int],
) -> Iterator[bytes | Span]:
    """The member's XML for the patcher: the head and the live segments inflated, each run
    of the others as a :class:`Span`. ``rows`` are the row numbers the write may touch
    (the header's and those it sets; appended rows go after the last value). Raises
    :class:`StaleSegments` (as it reaches them) when the bytes do not match the index."""
    segs = index.rows
    n = len(segs)
    tail = max((i for i, s in enumerate(segs) if s.last_data), default=0)
    live = [i == 0 or i >= tail or not segs[i].first_row for i in range(n)]
    starts = [(s.first_row, i) for i, s in enumerate(segs) if s.first_row]
    for row in rows:
        # the segment whose rows run from its first row to the next segment's first row
        hit = 0
        for first, i in starts:
            if first > row:
                break
            hit = i
        live[hit] = True
    pos = zipraw.data_offset(f, member)
    yield _inflated(f, pos, index.head, member.name)
    pos += index.head.clen
    i = 0
    while i < n:
        if live[i]:
            yield _inflated(f, pos, segs[i], member.name, last=i == n - 1)
            pos += segs[i].clen
            i += 1
            continue
        j = i
        while j < n and not live[j]:
            j += 1
        yield Span(list(segs[i:j]), pos, f, member.name, index.formulas)
        pos += sum(s.clen for s in segs[i:j])
        i = j


class SegmentWriter:
    """Deflates a sheet's rows into segments (see the module's docstring) and records
    them; :meth:`copy` puts a :class:`Span`'s segments in as they are.

    A segment other than the first starts with a ``<row`` tag: one that is full ends
    where the next row starts, whitespace between rows staying with the row before. Its
    first and last row numbers are read from its first and last row tags when they are
    spelt ``<row r="N"``, as Excel, WPS and procdoc write them; a segment whose first or
    last tag is spelt otherwise (``r='N'``, no ``r=``) is recorded without row numbers,
    so later writes always patch it (:func:`plan`). The work a piece costs does not grow
    with its size but for the deflating: its last value row is looked for at the end of
    the segment, from its last piece back."""

    def __init__(
        self,
        deflater_factory: Callable[[], zipraw.Deflater],
        out: Callable[[bytes], object],
        size: int,
        last_value_row: Callable[[bytes], int],
    ) -> None:
        self.out = out
        self.deflater = deflater_factory()
        self.size = size
        self.last_value_row = last_value_row
        self.segments: list[Segment] = []
        self.rows_open = False  # between <sheetData> and </sheetData>
        self.started = False
        self._reset()

    def _reset(self) -> None:
        self.ulen = 0
        self.crc = 0
        self.clen = 0
        self.ccrc = 0
        self.first_row = 0
        self.last_row = 0
        self.odd = False  # its first or last row tag not spelt <row r="N"
        self.full = False  # ends where the next row starts
        self.pieces: list[bytes] = []  # its pieces of rows

    def _put(self, data: bytes) -> None:
        if data:
            self.clen += len(data)
            self.ccrc = zipraw.crc32(data, self.ccrc)
            self.out(data)

    def write(self, data: bytes) -> None:
        if not self.started:
            self.started = self.rows_open = True  # the first piece is <sheetData>
        elif data == b"</sheetData>":
            self.rows_open = False
        elif self.rows_open:  # whole rows, maybe whitespace between them
            self._write_rows(data)
            return
        self._take(data)

    def _write_rows(self, data: bytes) -> None:
        while data:
            room = 0 if self.full else self._room()
            if len(data) <= room:
                self._rows(data)
                self.full = self._room() <= 0
                return
            cut = _row_start(data, room)
            if cut < 0:
                self._rows(data)
                self.full = True
                return
            if cut:
                self._rows(data[:cut])
            self._close(zlib.Z_FULL_FLUSH)
            data = data[cut:]

    def _room(self) -> int:
        """Bytes the open segment may still take."""
        return (self.size if self.segments else FIRST_SEGMENT) - self.ulen

    def _take(self, data: bytes) -> None:
        self.crc = zipraw.crc32(data, self.crc)
        self.ulen += len(data)
        self._put(self.deflater.compress(data))

    def _rows(self, data: bytes) -> None:
        """Take ``data`` (whole rows) into the open segment, noting what rows they are."""
        first = data.find(b"<row")
        if first >= 0:
            last = data.rfind(b"<row")
            if not self.first_row and not self.odd:
                self.first_row = _row_number(data, first)
                self.odd = not self.first_row
            self.last_row = _row_number(data, last)
            self.pieces.append(data)
        self._take(data)

    def _last_data(self) -> int:
        for piece in reversed(self.pieces):
            number = self.last_value_row(piece)
            if number:
                return number
        return 0

    def _close(self, mode: int) -> None:
        if mode != zlib.Z_FINISH and not (self.ulen or self.clen):
            return  # nothing since the last flush: the stream is at a sync point
        self._put(self.deflater.flush(mode))
        odd = self.odd or not (0 < self.first_row <= self.last_row)
        self.segments.append(
            Segment(
                self.ulen,
                self.clen,
                self.crc,
                self.ccrc,
                0 if odd else self.first_row,
                0 if odd else self.last_row,
                self._last_data(),
            )
        )
        self._reset()

    def copy(self, span: Span) -> range:
        """Put ``span``'s segments in; their positions in :attr:`segments`."""
        self._close(zlib.Z_FULL_FLUSH)
        self.full = False
        first = len(self.segments)
        for s, raw in span.copies():
            self.out(raw)
            self.segments.append(s)
        return range(first, len(self.segments))

    def finish(self) -> None:
        self._close(zlib.Z_FINISH)


def _row_start(data: bytes, at: int) -> int:
    """Where the first row starting at or after ``at`` starts; -1: none does."""
    while True:
        at = data.find(b"<row", at)
        if at < 0 or data[at + 4 : at + 5] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            return at
        at += 4


def _row_number(data: bytes, at: int) -> int:
    """N of the ``<row r="N"`` at ``at`` (0: the tag there is spelt otherwise)."""
    if not data.startswith(b'<row r="', at):
        return 0
    end = data.find(b'"', at + 8)
    digits = data[at + 8 : end]
    return int(digits) if end > 0 and digits.isdigit() else 0
