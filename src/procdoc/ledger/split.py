"""A large worksheet parsed in parts, side by side (the cold read of a large register).

calamine parses a sheet in one thread: at 100,000 cases of 30 columns (150 MB of XML)
that is 1.9 s of a cold `overdue`'s 3.4 s, while the second core waits. SpreadsheetML's
rows stand alone: each ``<row>`` carries its number (``r``) and each cell its reference,
so the sheet's XML cut between two rows gives sheets calamine reads on their own, each
holding the same rows at the same places. Here the sheet is inflated (ISA-L, 0.05 s at
100k), cut into parts of about :data:`PART_BYTES` between two rows, and each part, with
the sheet's head (everything before ``<sheetData>``: columns, formats) and a closing tag,
becomes a small zip of its own: stored, with the workbook's other small parts copied raw
(its workbook part, styles, shared strings). Threads have calamine parse the parts (Rust
that lets go of the GIL) while the caller makes Python values of the parts parsed before.
The last part gets the sheet's real tail, where its merged ranges are.

Whatever is out of the ordinary gives None before a row is read, and the sheet is parsed
whole as always: a sheet under :data:`SPLIT_BYTES`, one core, a member neither stored nor
deflated, no ``<sheetData>`` where it belongs, a first row without its number. What goes
wrong later (a cut row without its number, a damaged member, a part calamine refuses)
raises :class:`SplitFailed`, and the caller parses the sheet whole, meeting whatever error
there is where it always did. A test holds the parts' rows equal to the whole sheet's.
"""

from __future__ import annotations

import io
import os
import re
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from procdoc.ledger import zipraw

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from python_calamine import CalamineSheet

SPLIT_BYTES = 40 << 20
"""The smallest sheet (bytes of XML) parsed in parts: about 27,000 cases of 30 columns.
Below it the parts' overhead (a zip each, the shared strings parsed again) eats the gain."""

PART_BYTES = 6 << 20
"""About how much of the sheet's XML a part holds (the parts are cut between rows), at
least: see :data:`STRINGS_SHARE`."""

STRINGS_SHARE = 16
"""A sheet is parsed in parts only when its XML is at least this many times that of the
workbook's parts calamine reads as it opens (shared strings, styles), which each part's
workbook reads again: a 100k register as Excel saves it (105 MB of sheet, 15 MB of
shared strings) is read no faster in parts (2.76 s against 2.80 s whole, its peak
memory 420 MB against 255 MB); as procdoc and xlsxwriter write it (inline strings, no
shared strings) 2.0 s against 3.2 s, its peak 230 MB against 300 MB."""

AHEAD = 3
"""How many parts are handed to the threads beyond the one being read: enough to keep two
cores busy, few enough that the parts waiting hold little memory."""

WORKERS = 2
"""Threads parsing parts (the caller's thread makes the values)."""

_LEAVE_OUT = (
    "xl/worksheets/",
    "xl/chartsheets/",
    "xl/dialogsheets/",
    "xl/macrosheets/",
    "xl/drawings/",
    "xl/media/",
    "xl/charts/",
    "xl/embeddings/",
    "xl/pivotCache/",
    "xl/pivotTables/",
    "xl/printerSettings/",
    "xl/externalLinks/",
    "xl/tables/",
    "xl/queryTables/",
    "xl/threadedComments/",
    "xl/comments",
    "customXml/",
    "docProps/",
)
"""Members a part's zip leaves out: other sheets and what only they refer to (calamine
reads a sheet's cells from its own part, and the workbook's parts when it opens)."""

SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")
ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?worksheet)[\s>]")
NUMBERED = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br\s*=\s*["']\d+["']""")


class SplitFailed(Exception):
    """A part could not be cut or parsed: parse the sheet whole."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # Windows, macOS
        return os.cpu_count() or 1


def worth_a_look(path: str) -> bool:
    """Whether the workbook at ``path`` is large enough to hold a sheet parsed in parts
    (its XML deflates to a tenth or so: a smaller file is not opened to look)."""
    try:
        return os.stat(path).st_size * 16 >= SPLIT_BYTES
    except OSError:
        return False


def split_sheet(path: str, member: str, name: str) -> SplitSheet | None:
    """The worksheet ``name`` (held in zip member ``member``) of the workbook at ``path``
    being parsed in parts, or None: parse it whole (see the module's text)."""
    if cores() < 2:
        return None
    try:
        with open(path, "rb") as f:
            members, _comment = zipraw.read_directory(f)
            sheet = next((m for m in members if m.name == member), None)
            if sheet is None or sheet.size < SPLIT_BYTES or sheet.method not in (0, 8):
                return None
            kept = kept_members(members, sheet)
            if sheet.size < STRINGS_SHARE * sum(m.size for m in kept):
                return None
            zips = PartZips.of(f, kept, member)
    except (OSError, zipraw.ZipFormatError):
        return None
    parts = _Cutter(_inflated(path, sheet), PART_BYTES)
    try:
        first = parts.first()
    except SplitFailed:
        first = None
    if first is None:
        parts.close()
        return None
    return SplitSheet(name, zips, first, parts)


def _inflated(path: str, member: zipraw.Member) -> Iterator[bytes]:
    """The member's XML in pieces of about a megabyte, its CRC checked at the end."""
    try:
        with open(path, "rb") as f:
            yield from zipraw.iter_inflated(f, member)
    except (OSError, zipraw.ZipFormatError):
        raise SplitFailed from None


class _Cutter:
    """Cuts a sheet's XML, as it is inflated, into parts between two rows."""

    def __init__(self, pieces: Iterator[bytes], part_bytes: int) -> None:
        self.pieces = pieces
        self.part_bytes = part_bytes
        self.buf = bytearray()
        self.head = b""
        self.closing = b""
        self.row_tag = b""
        self.done = False

    def first(self) -> tuple[bytes, bytes] | None:
        """The first part (its rows, its tail); None when the sheet's head is not what
        a split needs (the sheet is then parsed whole)."""
        buf = self.buf
        for piece in self.pieces:
            buf += piece
            found = SHEET_DATA.search(buf)
            if found is not None:
                break
        else:
            return None
        root = ROOT.search(buf, 0, found.start())
        if found.group(2) or root is None:  # <sheetData/>: no rows at all
            return None
        prefix = found.group(1)
        self.head = bytes(buf[: found.end()])
        self.closing = b"</" + prefix + b"sheetData></" + root.group(1) + b">"
        self.row_tag = b"<" + prefix + b"row"
        self.end_tag = b"</" + prefix + b"sheetData>"
        del buf[: found.end()]
        at = buf.find(self.row_tag)
        if at >= 0 and not self._numbered(at):  # rows counted, not numbered
            return None
        return next(self, None)

    def close(self) -> None:
        """Close the file the XML is inflated from (Windows would refuse to replace it)."""
        close = getattr(self.pieces, "close", None)
        if close is not None:
            close()

    def _numbered(self, at: int) -> bool:
        return NUMBERED.match(self.buf, at) is not None

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        return self

    def __next__(self) -> tuple[bytes, bytes]:
        """The next part: (its rows, the tail to close it with)."""
        if self.done:
            raise StopIteration
        buf = self.buf
        seen = 0  # where </sheetData> is not, up to the last few bytes
        while True:
            end = buf.find(self.end_tag, seen)
            seen = max(0, len(buf) - len(self.end_tag))
            if (end if end >= 0 else len(buf)) > self.part_bytes:
                at = self._row_from(buf, self.part_bytes)
                if at > 0 and (end < 0 or at < end):
                    if not self._numbered(at):
                        raise SplitFailed
                    rows = bytes(memoryview(buf)[:at])
                    del buf[:at]
                    return rows, self.closing
            if end >= 0:
                for piece in self.pieces:  # the rest is the tail: read to the CRC check
                    buf += piece
                self.done = True
                rows = bytes(memoryview(buf)[:end])
                tail = bytes(memoryview(buf)[end:])
                buf.clear()
                return rows, tail
            more = next(self.pieces, None)
            if more is None:  # no </sheetData>: let calamine say what is wrong
                raise SplitFailed
            buf += more

    def _row_from(self, buf: bytearray, start: int) -> int:
        """Where the first row tag in ``buf`` from ``start`` on starts, its ``>`` read
        too (0: none yet)."""
        tag = self.row_tag
        at = start
        while True:
            at = buf.find(tag, at)
            if at < 0:
                return 0
            after = at + len(tag)
            if after < len(buf) and buf[after] in b" \t\r\n>/":  # not <rowBreaks
                return at if buf.find(b">", after) > 0 else 0
            at = after


def kept_members(members: list[zipraw.Member], sheet: zipraw.Member) -> list[zipraw.Member]:
    """The members a part's zip holds beside its sheet: the workbook's parts calamine reads
    as it opens (see :data:`_LEAVE_OUT`)."""
    return [m for m in members if m is not sheet and not m.name.startswith(_LEAVE_OUT)]


class PartZips:
    """Makes the zip calamine reads a part from: the workbook's kept members copied raw,
    then the part's sheet, stored."""

    def __init__(self, prefix: bytes, records: list[bytes], member: str) -> None:
        self.prefix = prefix
        self.records = records
        self.member = member

    @classmethod
    def of(cls, f: BinaryIO, kept: list[zipraw.Member], member: str) -> PartZips:
        """The zips of parts of the sheet held in ``member``, with the ``kept`` members of
        the workbook open in ``f`` (see :func:`kept_members`)."""
        prefix = io.BytesIO()
        writer = zipraw.ZipWriter(prefix)
        for m in kept:
            writer.copy(f, m)
        return cls(prefix.getvalue(), writer.records, member)

    def zip(self, head: bytes, rows: bytes, tail: bytes) -> bytes:
        out = io.BytesIO()
        out.write(self.prefix)
        writer = zipraw.ZipWriter(out)
        writer.records = list(self.records)
        crc = zipraw.crc32(tail, zipraw.crc32(rows, zipraw.crc32(head, 0)))
        size = len(head) + len(rows) + len(tail)
        writer.write(self.member, [head, rows, tail], crc=crc, size=size, method=0)
        writer.close()
        return out.getvalue()


def _parse(data: bytes, name: str) -> CalamineSheet:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
        return wb.get_sheet_by_name(name)


class SplitSheet:
    """A worksheet whose parts threads are parsing; :meth:`grid` gives its rows, as
    :func:`procdoc.ledger.reader.iter_grid` gives a whole sheet's."""

    def __init__(
        self, name: str, zips: PartZips, first: tuple[bytes, bytes], rest: _Cutter
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.name = name
        self.zips = zips
        self.rest = rest
        self.pool: ThreadPoolExecutor = ThreadPoolExecutor(WORKERS)
        self.pending: deque[Future[CalamineSheet]] = deque()
        self.merged_cell_ranges: list[Any] | None = None
        self.after: SplitSheet | None = None
        """The sheet read after this one, whose parts are handed out once this one's are."""
        self.parts = 0
        self._hand(first)

    def _hand(self, part: tuple[bytes, bytes]) -> None:
        rows, tail = part
        data = self.zips.zip(self.rest.head, rows, tail)
        self.pending.append(self.pool.submit(_parse, data, self.name))
        self.parts += 1

    def _fill(self) -> None:
        while len(self.pending) <= AHEAD and not self.rest.done:
            self._hand(next(self.rest))
        if self.rest.done and self.after is not None:  # all cut: the next sheet's turn
            self.after._fill()

    def _next_part(self) -> CalamineSheet | None:
        """The next part, parsed (None: no more); SplitFailed when it could not be."""
        self._fill()
        if not self.pending:
            return None
        try:
            return self.pending.popleft().result()
        except BaseException as exc:  # Ctrl-C stays Ctrl-C (second look: it was read whole)
            if isinstance(exc, Exception) or type(exc).__name__ == "PanicException":
                raise SplitFailed from None
            raise

    def grid(self, top: Any) -> Iterator[tuple[int, list[Any]]]:
        """``(excel_row_number, raw values from column A)`` of each row; ``top``: how
        the first part (the sheet's top) gives its rows (``iter_grid``)."""
        try:
            first = self._next_part()
            assert first is not None
            last = first
            yield from top(first)
            below = first.end[0] + 1 if first.end is not None else 0
            del first
            while (part := self._next_part()) is not None:
                last = part
                start, end = part.start, part.end
                if start is None or end is None:
                    continue
                if start[0] < below:  # rows out of order (a sheet's rows ascend)
                    raise SplitFailed
                below = end[0] + 1
                (row0, col0), rows = start, part.to_python(skip_empty_area=True)
                if col0:
                    pad = [""] * col0
                    rows = [pad + raw for raw in rows]
                yield from zip(range(row0 + 1, row0 + 1 + len(rows)), rows, strict=True)
                del rows
            self.merged_cell_ranges = last.merged_cell_ranges
        finally:
            self.close()

    def close(self) -> None:
        """Stop the threads (a read that failed half way leaves none behind)."""
        for future in self.pending:
            future.cancel()
        self.pool.shutdown(wait=True)
        self.pending.clear()
        self.rest.close()
