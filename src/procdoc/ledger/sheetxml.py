"""Streaming splice of one worksheet's XML.

The sheet is read in pieces of about a megabyte and passed through as bytes; only the rows
procdoc writes are parsed and rebuilt (by regular expressions over that row's bytes, so
every other cell keeps its exact bytes). What the splice needs to know as it goes:

* the header row (row 1 unless ``SheetChanges.header_row`` says otherwise) maps labels to
  columns, matched by :func:`~procdoc.ledger.cells.label_key`; it is always the first row
  rebuilt, and rows above it (titles, notes) pass through untouched;
* the last row that holds a value (``<v>``, ``<f>`` or ``<is>``) is where appends go. Rows
  after it that hold no value (pre-formatted empty rows) are held back until the end, so an
  appended row can be merged into an existing empty ``<row>`` element of the same number;
* the ``<dimension>`` before ``<sheetData>`` can only be fixed once the rows are through,
  so the part before ``<sheetData>`` is returned separately and compressed last (see
  :mod:`procdoc.ledger.patch`);
* after ``<sheetData>``: the autofilter, and the drop-downs and conditional formats (x14
  forms included) that covered exactly the data rows, grow with the rows appended; no
  written cell may fall inside merged cells.

Anything the splice cannot handle safely raises :class:`LedgerError` naming the place.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Literal

from procdoc.errors import LedgerError
from procdoc.i18n import _
from procdoc.ledger.cells import (
    LINE_HEIGHT,
    MAX_COLS,
    MAX_LINES,
    MAX_ROWS,
    cell_ref,
    check_value,
    check_values,
    col_index,
    col_letters,
    format_range,
    inline_string,
    is_plain,
    label_key,
    label_of,
    number_text,
    parse_range,
    parse_ref,
    serial,
    wrapped_lines,
)
from procdoc.ledger.model import CellValue, SheetChanges
from procdoc.ledger.parts import MAIN, STRICT_MAIN, SharedStrings, Styles, xml_text
from procdoc.ledger.segments import Span, StaleSegments

_SHEET_DATA = re.compile(rb"<sheetData\b[^>]*?(/?)>")
_ROOT = re.compile(rb"<([^\s>/?!]+)([^>]*)>")
_XMLNS = re.compile(rb"""\sxmlns\s*=\s*["']([^"']*)["']""")
_DIMENSION = re.compile(rb"""(<dimension\b[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""")
_COL = re.compile(rb"<col\b[^>]*>")
_ROW = re.compile(rb"""<row\b(?:[^>]*?\sr\s*=\s*["'](\d+)["'])?[^>]*>""")
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c\s*>)", re.S)
_SPANS = re.compile(rb"""\sspans\s*=\s*["'](\d+):(\d+)["']""")
_ATTR = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
#: The r= attribute of a cell's start tag (the common case, without parsing the others).
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_FORMULA = re.compile(rb"<f\b([^>]*)")
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:row|c)[\s>/]")
_MERGE = re.compile(rb"""<mergeCell\b[^>]*?\bref\s*=\s*["']([^"']+)["']""")
_AUTOFILTER = re.compile(rb"""(<autoFilter\b[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""")
#: where drop-downs and conditional formats say which cells they cover: the ``sqref`` of
#: <dataValidation> and <conditionalFormatting>, and the <xm:sqref> of their x14 forms
#: an active sort's ranges (<sortState>, in <autoFilter> or on its own, and its
#: <sortCondition>s): they grow with the filter, or a sort applied again leaves out the
#: rows appended (QA)
_SORT_REF = re.compile(rb"""(<sort(?:State|Condition)\b[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""")
_SQREF = re.compile(
    rb"""((?:<(?:dataValidation|conditionalFormatting)\b[^>]*?\ssqref\s*=\s*["'])"""
    rb"""|<(?:[\w.-]+:)?sqref>)([^"'<]*)(["']|</(?:[\w.-]+:)?sqref>)"""
)
_VALUE_MARKS = (b"<v>", b"<f>", b"<f ", b"<is>")
REST_MEMORY = 1 << 16
"""How many distinct written cells the patcher remembers (new cells by style, type and
value, with their XML; overwritten cells by bytes and value), each with the probe columns
it went to: the same bytes in the same column read back the same, so the probe checks one
of them. Text over 64 characters (titles, notes: seldom repeated) is not remembered, nor
anything past this many; such cells are always probed."""
_ROW_COPY_ATTRS = (b"s", b"customFormat", b"ht", b"customHeight")
_ROW_HEIGHT = re.compile(rb' ht="([0-9.]+)"')
_ROW_HEIGHT_ATTRS = re.compile(rb' (?:ht|customHeight)="[^"]*"')
DEFAULT_COL_WIDTH = 8.43
"""Excel's width of a column ``<cols>`` does not size."""


@dataclass
class SheetResult:
    preamble: bytes  # everything before <sheetData>, with <dimension> updated
    root_tag: bytes  # the <worksheet ...> start tag (its namespace declarations)
    last_row_before: int  # last row holding a value before the change (0: none)
    last_row: int  # the same after it
    header_row: int
    header_before: int  # last used header column before (-1: none)
    header_after: int
    columns: dict[str, int]  # header columns by label_key
    #: every cell procdoc wrote: row -> column -> value (None: emptied)
    written: dict[int, dict[int, CellValue]] = field(default_factory=dict)
    #: the probe (see :func:`procdoc.ledger.patch._probe`): rows numbered 1, 2, ... each
    #: holding cells procdoc wrote to one real row, exactly as written; for each, the real
    #: row number and the value each of its cells must read back as
    probe_rows: list[bytes] = field(default_factory=list)
    probe_numbers: list[int] = field(default_factory=list)
    probe_values: list[dict[int, CellValue]] = field(default_factory=list)
    has_formulas: bool = False
    formulas_removed: bool = False
    filter_old: str | None = None
    filter_new: str | None = None
    appended: bool = False


class _Cell:
    """A cell of a row being rebuilt. Its attributes are parsed on first use: most cells
    of a row are copied as they are and never need them."""

    __slots__ = ("_attrs", "col", "raw")

    def __init__(self, raw: bytes, col: int) -> None:
        self.raw = raw
        self._attrs: dict[bytes, bytes] | None = None
        self.col = col

    @property
    def attrs(self) -> dict[bytes, bytes]:
        if self._attrs is None:
            self._attrs = _attrs(self.raw[: self.raw.find(b">") + 1])
        return self._attrs


class _RowOut:
    """The cells procdoc writes to one row, as they go to the sheet and to the probe: each
    goes to the sheet as ``<c r="B7"...>`` and, unless the same bytes in the same column
    were probed for the same value already, to the probe as ``<c r="B{k}"...>``, k being
    the probe row (see :func:`procdoc.ledger.patch._probe`)."""

    __slots__ = ("expect", "here", "mine", "number", "probe")

    def __init__(self, number: int, probe_row: int) -> None:
        self.number = number
        self.here = b"%d" % number
        self.probe = b"%d" % probe_row
        self.mine: list[bytes] = []
        self.expect: dict[int, CellValue] = {}

    def cell(self, col: int, rest: bytes, probed: set[int], value: CellValue) -> bytes:
        """The cell's XML for the sheet (``b""`` when ``rest`` is: no cell)."""
        if not rest:
            return b""
        letters = _LETTERS.get(col) or _letters(col)
        if col not in probed:
            probed.add(col)
            self.mine.append(b'<c r="' + letters + self.probe + rest)
            self.expect[col] = value
        return b'<c r="' + letters + self.here + rest


class _ColumnOf(dict[str, int]):
    """Columns by label as a plan spells it, each found by its :func:`label_key` once."""

    def __init__(self, columns: dict[str, int]) -> None:
        super().__init__()
        self.columns = columns

    def __missing__(self, label: str) -> int:
        col = self[label] = self.columns[label_key(label)]
        return col


class _StyleMap(dict[int, "int | None"]):
    """Styles by column, each worked out by ``find(col)`` when first asked."""

    def __init__(self, find: Callable[[int], int | None]) -> None:
        super().__init__()
        self.find = find

    def __missing__(self, col: int) -> int | None:
        style = self[col] = self.find(col)
        return style


#: column letters as written in cell references, both ways (A to ZZ up front, the rest
#: filled as they are met)
_LETTERS: dict[int, bytes] = {col: col_letters(col).encode("ascii") for col in range(702)}
_COLUMN_OF: dict[bytes, int] = {letters: col for col, letters in _LETTERS.items()}


def _grow_to(last: int, new_last: int, m: re.Match[bytes]) -> bytes:
    """A range (of :data:`_SORT_REF`) that ended on row ``last`` made to end on
    ``new_last``; any other as it is."""
    try:
        r1, c1, r2, c2 = parse_range(m.group(2).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return m.group(0)
    if r2 != last:
        return m.group(0)
    return m.group(1) + format_range(r1, c1, new_last, c2).encode() + m.group(3)


def _letters(col: int) -> bytes:
    letters = _LETTERS.get(col)
    if letters is None:
        letters = _LETTERS[col] = col_letters(col).encode("ascii")
    return letters


def _column_of(letters: bytes) -> int:
    col = _COLUMN_OF.get(letters)
    if col is None:
        col = _COLUMN_OF[letters] = col_index(letters.decode("ascii"))
    return col


def _plain_body(body: bytes) -> bool:
    """Whether a row's content is ``<c r="...">`` cells and nothing the fast row paths
    could mistake. Text and attribute values cannot hold a raw "<", so then each ``<c r="``
    starts a cell. Not so in a comment, CDATA section or processing instruction; a prefixed
    ``<x:c>`` would be taken for part of the cell before it; ``<row`` inside means the
    row's end tag was written ``</row >`` and the next row was taken in with it."""
    return (
        body.startswith(b'<c r="')
        and b"<!" not in body
        and b"<?" not in body
        and b":c" not in body
        and b"<row" not in body
        and b"</row" not in body
        and body.count(b"<c") == body.count(b'<c r="')
    )


def _one_cell(piece: bytes) -> bool:
    """Whether ``piece``, a cell's bytes after ``<c r="`` up to the next cell, is exactly
    one cell: ended by its first ``</c>``, or self-closing with no other tag in it (not a
    cell followed by an ``<extLst/>`` or anything else that must not go with it)."""
    if piece.endswith(b"</c>"):
        return piece.find(b"</c>") == len(piece) - len(b"</c>")
    return piece.endswith(b"/>") and b"<" not in piece


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for m in _ATTR.finditer(tag):
        out[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def _last_value(region: bytes) -> tuple[int, re.Match[bytes] | None] | None:
    """Where the last row holding a value (``<v>``, ``<f>``, ``<is>``) starts in a run of
    whole rows, with its start tag matched (None when it has no r= tag there); None when
    no row in it holds a value."""
    p = -1
    for mark in _VALUE_MARKS:  # each search only covers what follows the best hit yet
        p = max(p, region.rfind(mark, p + 1))
    if p < 0:
        return None
    start = region.rfind(b"<row", 0, p)
    return start, _ROW.match(region, start) if start >= 0 else None


def last_value_row(rows: bytes) -> int:
    """The number of the last row holding a value in ``rows`` (whole rows, as the patcher
    writes them); 0 when there is none or it has no r=."""
    found = _last_value(rows)
    if found is None or found[1] is None or found[1].group(1) is None:
        return 0
    return int(found[1].group(1))


class SheetPatcher:
    """Applies one sheet's :class:`SheetChanges` to its XML in a single streaming pass."""

    def __init__(
        self,
        *,
        sheet: str,
        display: str,
        changes: SheetChanges,
        styles: Styles,
        strings: SharedStrings,
        date1904: bool,
        header_style: int | None = None,
    ) -> None:
        self.sheet = sheet
        self.where = f"{display} {sheet}"
        self.styles = styles
        self.strings = strings
        self.date1904 = date1904
        self.header_style = header_style
        self.labels = changes.labels()
        for label in self.labels:
            if not label:
                raise LedgerError(
                    _("{where}: an empty column label cannot be written").format(where=self.where)
                )
        self.header_row = header = changes.header_row
        if not 1 <= header < MAX_ROWS:
            raise LedgerError(
                _("{where}: the header cannot be in row {header}").format(
                    where=self.where, header=header
                )
            )
        self.set_rows: dict[int, dict[str, CellValue]] = {}
        for number, values in sorted(changes.set.items()):
            if not values:
                continue
            if number <= header or number > MAX_ROWS:
                what = (
                    _("row {number} is out of range").format(number=number)
                    if number > MAX_ROWS or number < 1
                    else _("row {header} is the header").format(header=header)
                    if number == header
                    else _("rows above the header, row {header}, are never written").format(
                        header=header
                    )
                )
                raise LedgerError(
                    _("{where}: cannot set cells of row {number} ({what})").format(
                        where=self.where, number=number, what=what
                    )
                )
            self.set_rows[number] = check_values(values, f"{self.where} row {number}")
        # appended values are checked as they are written, each distinct one once (see
        # _new_cell): a large import appends the same few values over and over
        self.appends = changes.append
        # targets: row number -> ("header" | "set" | "append", values by label); the
        # header is the first (rows above it pass through untouched)
        self.targets: dict[int, tuple[str, dict[str, CellValue]]] = {header: ("header", {})}
        for number, values in self.set_rows.items():
            self.targets[number] = ("set", values)
        self.order = sorted(self.targets)
        self.ti = 0
        self.last_num = 0
        self.held: list[bytes] = []
        self.last_data = 0
        self.anchor: bytes | None = None  # the XML of the last row holding a value
        self.anchor_styles: dict[int, int | None] | None = None
        self.anchor_row_attrs = b""
        self.col_styles: list[tuple[int, int, int]] = []
        self.col_widths: list[tuple[int, int, float]] = []
        #: an appended row's wrapping cells (label, column width) by the row's labels
        self.wrapping: dict[tuple[str, ...], list[tuple[str, float]]] = {}
        #: header columns by :func:`label_key`, and by labels as the plan spells them
        self.columns: dict[str, int] = {}
        self.column_of = _ColumnOf(self.columns)
        self.header_before = -1
        self.header_after = -1
        self.header_cell_style: int | None = None
        self.written: dict[int, dict[int, CellValue]] = {}
        self.box: list[int] | None = None  # first row, col, last row, col with a value
        self.probe_rows: list[bytes] = []
        self.probe_numbers: list[int] = []
        self.probe_values: list[dict[int, CellValue]] = []
        #: the probe columns of rewritten cells by (bytes, type, value); new cells keep
        #: theirs in ``rests``
        self.probed: dict[tuple[bytes, type, CellValue], set[int]] = {}
        self.heads: dict[tuple[int | None, type], bytes] = {}
        self.new_styles: dict[int | Literal["anchor"] | None, _StyleMap] = {}
        self.rests: dict[tuple[int | None, type, CellValue], tuple[bytes, set[int], CellValue]] = {}
        #: appended rows' cells (column, label, style) by the row's labels
        self.layouts: dict[tuple[str, ...], list[tuple[int, str, int | None, bytes]]] = {}
        self.has_formulas = False
        self.formulas_removed = False
        self.checked = False
        self.append_start = 0
        self.filter_old: str | None = None
        self.filter_new: str | None = None
        self._sink: Callable[[bytes | Span], None] = lambda data: None

    # -- driver ---------------------------------------------------------------------------

    def run(
        self, chunks: Iterable[bytes | Span], sink: Callable[[bytes | Span], None]
    ) -> SheetResult:
        """Stream the sheet XML from ``chunks``; write the part from ``<sheetData>`` on to
        ``sink``; return the (updated) part before it and what was done.

        Within ``<sheetData>``, ``chunks`` may hold a :class:`~procdoc.ledger.segments.Span`
        where a piece ends at the end of a row: rows the write does not touch, none of them
        the header or the last holding a value; they go to ``sink`` as they are."""
        self._sink = sink
        it = iter(chunks)
        buf = b""
        root_tag = b""
        while True:
            if not root_tag and _ROOT.search(buf):
                root_tag = self._check_root(buf)
            m = _SHEET_DATA.search(buf) if root_tag else None
            if m is not None:
                break
            chunk = next(it, None)
            if chunk is None:
                raise LedgerError(
                    _("{where}: the sheet has no <sheetData> element").format(where=self.where)
                )
            if isinstance(chunk, Span):
                raise StaleSegments(self.where)  # before <sheetData>: never expected
            buf += chunk
        pre = buf[: m.start()]
        self._parse_cols(pre)
        buf = buf[m.end() :]
        sink(b"<sheetData>")
        if not m.group(1):
            while True:
                end = buf.find(b"</sheetData>")
                if end >= 0:
                    self._region(buf[:end])
                    buf = buf[end + len(b"</sheetData>") :]
                    break
                cut = buf.rfind(b"<row")
                if cut > 0:
                    self._region(buf[:cut])
                    buf = buf[cut:]
                chunk = next(it, None)
                if chunk is None:
                    raise LedgerError(
                        _("{where}: the sheet XML ends inside <sheetData>").format(where=self.where)
                    )
                if isinstance(chunk, Span):
                    self._region(buf)
                    buf = b""
                    self._pass(chunk)
                    continue
                buf += chunk
        self._finish()
        sink(b"</sheetData>")
        rest = list(it)
        if any(isinstance(c, Span) for c in rest):
            raise StaleSegments(self.where)  # rows after </sheetData>: never expected
        post = b"".join([buf, *rest])  # type: ignore[list-item]
        post = self._fix_postamble(post)
        sink(post)
        return SheetResult(
            preamble=self._fix_dimension(pre),
            root_tag=root_tag,
            last_row_before=self.last_data,
            last_row=max(self.last_data, self.box[2] if self.box else 0),
            header_row=self.header_row,
            header_before=self.header_before,
            header_after=self.header_after,
            columns=self.columns,
            written=self.written,
            probe_rows=self.probe_rows,
            probe_numbers=self.probe_numbers,
            probe_values=self.probe_values,
            has_formulas=self.has_formulas,
            formulas_removed=self.formulas_removed,
            filter_old=self.filter_old,
            filter_new=self.filter_new,
            appended=bool(self.appends),
        )

    def _check_root(self, pre: bytes) -> bytes:
        m = _ROOT.search(pre)
        if m is None:
            raise LedgerError(
                _("{where}: the sheet XML has no root element").format(where=self.where)
            )
        name = m.group(1)
        if b":" in name:
            raise LedgerError(
                _(
                    "{where}: the sheet XML uses a namespace prefix (<{decode}>), which procdoc cannot patch safely; open the ledger in Excel and save it once"
                ).format(where=self.where, decode=name.decode("utf-8", "replace"))
            )
        if name != b"worksheet":
            raise LedgerError(
                _("{where} is a {decode}, not a worksheet").format(
                    where=self.where, decode=name.decode("utf-8", "replace")
                )
            )
        ns = _XMLNS.search(m.group(2))
        if ns is None or ns.group(1) != MAIN.encode():
            if ns is not None and ns.group(1) == STRICT_MAIN.encode():
                raise LedgerError(
                    _(
                        "{where}: the workbook is saved as 'Strict Open XML'; save it in Excel as an ordinary Excel Workbook (.xlsx) and run again"
                    ).format(where=self.where)
                )
            raise LedgerError(
                _("{where}: the sheet XML is not in the SpreadsheetML namespace").format(
                    where=self.where
                )
            )
        return m.group(0)

    def _parse_cols(self, pre: bytes) -> None:
        for m in _COL.finditer(pre):
            a = _attrs(m.group(0))
            if b"min" not in a or b"max" not in a:
                continue
            lo, hi = int(a[b"min"]) - 1, int(a[b"max"]) - 1
            if b"style" in a:
                self.col_styles.append((lo, hi, int(a[b"style"])))
            if b"width" in a:
                with contextlib.suppress(ValueError):
                    self.col_widths.append((lo, hi, float(a[b"width"])))

    def _col_width(self, col: int) -> float:
        for lo, hi, width in self.col_widths:
            if lo <= col <= hi:
                return width
        return DEFAULT_COL_WIDTH

    def _col_style(self, col: int) -> int | None:
        for lo, hi, style in self.col_styles:
            if lo <= col <= hi:
                return style
        return None

    # -- rows -----------------------------------------------------------------------------

    def _region(self, region: bytes) -> None:
        """Take a run of whole ``<row>`` elements from the input."""
        if not region:
            return
        if not self.checked:
            # A writer that uses prefixes or comments does so from the first rows on; rows
            # procdoc rebuilds are checked again one by one (see _split_row).
            self._check_plain(region, _("the sheet data"))
            self.checked = True
        if not self.has_formulas and b"<f" in region:
            self.has_formulas = True
        found = _last_value(region)
        if found is None:
            self.held.append(region)
            return
        start, m = found
        if m is None:
            raise LedgerError(
                _("{where}: a cell value lies outside any <row>").format(where=self.where)
            )
        number = self._row_number(m)
        end = self._row_end(region, m, number)
        self.last_data = number
        self.anchor = region[start:end]
        self.anchor_styles = None
        data = region[:end]
        if self.held:
            data = b"".join([*self.held, data])
        self.held = [region[end:]] if end < len(region) else []
        self._emit(data)

    def _pass(self, span: Span) -> None:
        """Take a span of rows as they are (see :meth:`run`); everything before it is out."""
        self._emit(b"".join(self.held))
        self.held = []
        out = []
        while self.ti < len(self.order) and self.order[self.ti] < span.first_row:
            out.append(self._build_row(self.order[self.ti], None))  # a row the XML lacks
            self.ti += 1
        if out:
            self._sink(b"".join(out))
        pending = self.order[self.ti] if self.ti < len(self.order) else 0
        if span.first_row <= self.last_num or span.first_row <= pending <= span.last_row:
            raise StaleSegments(self.where)  # the index does not fit: never expected
        self.last_num = span.last_row
        if span.last_data:
            # The last row holding a value is never in a span (see segments.plan): a later
            # row sets the anchor appended rows copy their styles from (_finish checks).
            self.last_data = span.last_data
            self.anchor = None
            self.anchor_styles = None
        if span.formulas:
            self.has_formulas = True
        self._sink(span)

    def _check_plain(self, data: bytes, where: str | int) -> None:
        """Refuse XML the splice cannot handle; ``where`` is what ``data`` is, or its row
        number (the message is only put together when it is needed)."""
        if b"<!" not in data and not (b":row" in data or b":c" in data):
            return
        what = f"row {where}" if isinstance(where, int) else where
        if b"<!" in data:
            raise LedgerError(
                _(
                    "{where}: {what} holds an XML comment or CDATA section, which procdoc cannot patch safely; open the ledger in Excel and save it once"
                ).format(where=self.where, what=what)
            )
        if (b":row" in data or b":c" in data) and _PREFIXED.search(data):
            raise LedgerError(
                _(
                    "{where}: {what} uses namespace-prefixed elements (like <x:row>), which procdoc cannot patch safely; open the ledger in Excel and save it once"
                ).format(where=self.where, what=what)
            )

    def _row_number(self, m: re.Match[bytes]) -> int:
        if m.group(1) is None:
            raise LedgerError(
                _(
                    "{where}: a <row> after row {last_num} has no r= attribute; procdoc cannot place cells safely (open the ledger in Excel and save it once)"
                ).format(where=self.where, last_num=self.last_num)
            )
        return int(m.group(1))

    def _row_end(self, data: bytes, m: re.Match[bytes], number: int) -> int:
        if m.group(0).endswith(b"/>"):
            return m.end()
        end = data.find(b"</row>", m.end())
        if end < 0:
            raise LedgerError(
                _("{where}: row {number} is not closed").format(where=self.where, number=number)
            )
        return end + len(b"</row>")

    def _emit(self, data: bytes) -> None:
        """Pass whole rows through, rebuilding the target rows among them."""
        if not data:
            return
        start = data.rfind(b"<row")
        m = _ROW.match(data, start) if start >= 0 else None
        last = self._row_number(m) if m is not None else 0
        if last and self.ti < len(self.order) and self.order[self.ti] <= last:
            self._emit_targets(data)
            return
        if last:
            if last <= self.last_num:
                raise LedgerError(
                    _(
                        "{where}: row {last} comes after row {last_num} in the sheet XML; open the ledger in Excel and save it once"
                    ).format(where=self.where, last=last, last_num=self.last_num)
                )
            self.last_num = last
        self._sink(data)

    def _emit_targets(self, data: bytes) -> None:
        order = self.order
        out: list[bytes] = []
        pos = 0
        for m in _ROW.finditer(data):
            number = self._row_number(m)
            if number <= self.last_num:
                raise LedgerError(
                    _(
                        "{where}: row {number} comes after row {last_num} in the sheet XML; open the ledger in Excel and save it once"
                    ).format(where=self.where, number=number, last_num=self.last_num)
                )
            self.last_num = number
            while self.ti < len(order) and order[self.ti] < number:
                out.append(data[pos : m.start()])
                pos = m.start()
                out.append(self._build_row(order[self.ti], None))
                self.ti += 1
            if self.ti < len(order) and order[self.ti] == number:
                end = self._row_end(data, m, number)
                out.append(data[pos : m.start()])
                out.append(self._build_row(number, data[m.start() : end]))
                pos = end
                self.ti += 1
        out.append(data[pos:])
        self._sink(b"".join(out))

    def _finish(self) -> None:
        tail = b"".join(self.held)
        self.held = []
        if self.appends and self.anchor is None and self.last_data > self.header_row:
            raise StaleSegments(self.where)  # the last value came in a span: never expected
        if self.appends:
            with_values = [
                n
                for n, values in self.set_rows.items()
                if any(v is not None for v in values.values())
            ]
            start = max([self.last_data, self.header_row, *with_values]) + 1
            if start + len(self.appends) - 1 > MAX_ROWS:
                raise LedgerError(
                    _("{where}: the sheet is full (row {max_rows} reached)").format(
                        where=self.where, max_rows=MAX_ROWS
                    )
                )
            self.append_start = start
            for i, values in enumerate(self.appends):
                self.targets[start + i] = ("append", values)
            self.order = self.order[: self.ti] + sorted(
                [*self.order[self.ti :], *range(start, start + len(self.appends))]
            )
        self._emit(tail)
        out = []
        while self.ti < len(self.order):
            out.append(self._build_row(self.order[self.ti], None))
            self.ti += 1
        if out:
            self._sink(b"".join(out))

    # -- rebuilding a row -------------------------------------------------------------------

    def _split_row(self, raw: bytes, number: int) -> tuple[bytes, dict[int, bytes], bytes]:
        """A row's start tag, its cells' bytes by column, and what follows the cells."""
        m = _ROW.match(raw)
        assert m is not None
        open_tag = m.group(0)
        if open_tag.endswith(b"/>"):
            self._check_plain(raw, number)
            return open_tag[:-2].rstrip() + b">", {}, b""
        body = raw[m.end() : -len(b"</row>")]
        # Fast path: the row is <c r="B7"...> cells of this row one after the other, as
        # Excel, WPS, openpyxl, xlsxwriter and procdoc write them (see _plain_body). A
        # piece that is not exactly one cell, or does not begin with letters in
        # _COLUMN_OF (A to ZZ) and this row's number, sends the row the general way.
        first, *pieces = body.split(b'<c r="')
        if not first and _plain_body(body) and all(map(_one_cell, pieces)):
            ref_end = b'%d"' % number
            try:
                cells = {_COLUMN_OF[p.partition(ref_end)[0]]: b'<c r="' + p for p in pieces}
            except KeyError:
                return self._split_cells(raw, open_tag, body, number)
            if len(cells) < len(pieces):
                raise LedgerError(
                    _("{where}: row {number} has two cells in one column").format(
                        where=self.where, number=number
                    )
                )
            return open_tag, cells, b""
        return self._split_cells(raw, open_tag, body, number)

    def _split_cells(
        self, raw: bytes, open_tag: bytes, body: bytes, number: int
    ) -> tuple[bytes, dict[int, bytes], bytes]:
        """:meth:`_split_row` for any other row: whitespace between cells, other quoting,
        lower-case references, columns past ZZ, something after the cells."""
        self._check_plain(raw, number)
        cells: dict[int, bytes] = {}
        pos = 0
        while True:
            while pos < len(body) and body[pos : pos + 1].isspace():
                pos += 1
            cm = _CELL.match(body, pos)
            if cm is None:
                break
            cell = cm.group(0)
            tag = cell[: cell.find(b">") + 1]
            rm = _R_ATTR.search(tag)
            ref = rm.group(1) if rm is not None else _attrs(tag).get(b"r")
            if ref is None:
                raise LedgerError(
                    _(
                        "{where}: a cell in row {number} has no r= attribute; procdoc cannot place cells safely (open the ledger in Excel and save it once)"
                    ).format(where=self.where, number=number)
                )
            try:
                row, col = parse_ref(ref.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                raise LedgerError(
                    _("{where}: row {number} has a cell with a bad reference {ref!r}").format(
                        where=self.where, number=number, ref=ref
                    )
                ) from None
            if row != number:
                raise LedgerError(
                    _("{where}: cell {decode} sits in row {number} of the sheet XML").format(
                        where=self.where, decode=ref.decode(), number=number
                    )
                )
            if col in cells:
                raise LedgerError(
                    _("{where}: row {number} has two cells in one column").format(
                        where=self.where, number=number
                    )
                )
            cells[col] = cell
            pos = cm.end()
        tail = body[pos:]
        if b"<c" in tail.replace(b"<cm", b""):
            raise LedgerError(
                _("{where}: row {number} holds a cell procdoc cannot parse").format(
                    where=self.where, number=number
                )
            )
        return open_tag, cells, tail

    def _decode(self, cell: _Cell) -> object:
        t = cell.attrs.get(b"t", b"n")
        raw = cell.raw
        if t == b"inlineStr":
            body = _PHONETIC.sub(b"", raw)
            return "".join(xml_text(m.group(1)) for m in _TEXT.finditer(body))
        vm = _VALUE.search(raw)
        if vm is None:
            return None
        v = vm.group(1)
        if t == b"s":
            return self.strings.get(int(v))
        if t in (b"str", b"d"):
            return xml_text(v)
        if t == b"b":
            return v.strip() == b"1"
        if t == b"e":
            return None
        try:
            return float(v)
        except ValueError:
            return xml_text(v)

    def _header(self, by_col: dict[int, bytes]) -> dict[int, CellValue]:
        cells = [_Cell(raw, col) for col, raw in by_col.items()]
        shared = set()
        for cell in cells:
            if cell.attrs.get(b"t") == b"s":
                vm = _VALUE.search(cell.raw)
                if vm is not None and vm.group(1).strip().isdigit():
                    shared.add(int(vm.group(1)))
        if shared:
            self.strings.load(shared)
        last_used = -1
        style: int | None = None
        for cell in cells:
            key = label_key(label_of(self._decode(cell)))
            if key:
                self.columns.setdefault(key, cell.col)
                if cell.col > last_used:
                    last_used = cell.col
                    s = cell.attrs.get(b"s")
                    style = int(s) if s is not None else None
        self.header_before = last_used
        self.header_cell_style = style if last_used >= 0 else self.header_style
        writes: dict[int, CellValue] = {}
        col = last_used + 1
        for label in self.labels:
            key = label_key(label)
            if key not in self.columns:
                if col >= MAX_COLS:
                    raise LedgerError(
                        _("{where}: no room for column {label!r}").format(
                            where=self.where, label=label
                        )
                    )
                self.columns[key] = col
                writes[col] = label
                col += 1
        self.header_after = col - 1
        return writes

    def _resolve(self, values: dict[str, CellValue]) -> dict[int, CellValue]:
        column_of = self.column_of
        return {column_of[label]: value for label, value in values.items()}

    def _anchor(self) -> dict[int, int | None]:
        if self.anchor_styles is None:
            styles: dict[int, int | None] = {}
            self.anchor_row_attrs = b""
            if self.anchor is not None and self.last_data > self.header_row:
                open_tag, cells, _ = self._split_row(self.anchor, self.last_data)
                row_attrs = _attrs(open_tag)
                self.anchor_row_attrs = b"".join(
                    b' %s="%s"' % (name, row_attrs[name])
                    for name in _ROW_COPY_ATTRS
                    if name in row_attrs
                )
                for col, raw in cells.items():
                    s = _Cell(raw, col).attrs.get(b"s")
                    styles[col] = int(s) if s is not None else None
                if b"ht" in row_attrs and (
                    any(self.styles.is_wrapped_body(s) for s in styles.values())
                    or self._sized_for_its_text(row_attrs, cells, styles)
                ):
                    # procdoc made that row tall for its own text (in a register it
                    # created every height is procdoc's, even after `set` shortened the
                    # text): a new row is sized for its own; an office's height is kept
                    self.anchor_row_attrs = _ROW_HEIGHT_ATTRS.sub(b"", self.anchor_row_attrs)
            self.anchor_styles = styles
        return self.anchor_styles

    def _sized_for_its_text(
        self, row_attrs: dict[bytes, bytes], cells: dict[int, bytes], styles: dict[int, int | None]
    ) -> bool:
        """Whether a row's height is the one :meth:`_row_attrs` gives its wrapped text."""
        lines = 1
        for col, raw in cells.items():
            if self.styles.wraps(styles[col]):
                value = self._decode(_Cell(raw, col))
                if isinstance(value, str):
                    lines = max(lines, wrapped_lines(value, self._col_width(col)))
        try:
            height = float(row_attrs[b"ht"])
        except ValueError:
            return False
        return lines > 1 and height == LINE_HEIGHT * min(lines, MAX_LINES)

    def _build_row(self, number: int, existing: bytes | None) -> bytes:
        kind, values = self.targets[number]
        if existing is None and kind == "append":
            return self._build_new_row(number, values)
        if kind == "append":  # into an empty <row> the office formatted
            values = check_values(values, f"{self.where} row {number}")
        writes = self._resolve(values)
        if existing is not None and kind == "set":
            done = self._overwrite_in_place(existing, number, writes)
            if done is not None:
                return done
        if existing is not None:
            open_tag, cells, tail = self._split_row(existing, number)
        else:
            open_tag, cells, tail = b"", {}, b""
        if kind == "header":
            writes = self._header(cells)
        if not writes and existing is not None:
            return existing
        style_of = self._new_cell_styles(kind, open_tag)
        row = _RowOut(number, len(self.probe_rows) + 1)
        out: list[bytes] = []
        for col in sorted(cells.keys() | writes.keys()):
            raw = cells.get(col)
            if col not in writes:
                assert raw is not None
                out.append(raw)
                continue
            value = writes[col]
            if raw is None:
                rest, probed, _ = self._new_cell(value, style_of[col], number, col)
            else:
                rest, probed = self._overwritten(number, col, raw, value)
            xml = row.cell(col, rest, probed, value)
            if xml:
                out.append(xml)
        self._wrote(number, writes)
        self._probe(row)
        if not out and existing is None:
            return b""
        if existing is None:
            extra = self._anchor_attrs() if kind == "append" else b""
            open_tag = b'<row r="%d"%s>' % (number, extra)
        else:
            open_tag = self._fix_spans(open_tag, cells, writes)
        return b"".join([open_tag, *out, tail, b"</row>"])

    def _overwrite_in_place(
        self, raw: bytes, number: int, writes: dict[int, CellValue]
    ) -> bytes | None:
        """Row ``raw`` with the cells of ``writes`` replaced where they stand, found by
        their references without taking the row apart: how a large import updates
        cases. None when a cell is not there yet, or the row is not plain cells (see
        :func:`_plain_body`): the row is then put together in column order."""
        m = _ROW.match(raw)
        assert m is not None
        body_start = m.end()
        body = raw[body_start : -len(b"</row>")]
        if not (writes and _plain_body(body)):
            return None
        here = b'%d"' % number
        spans: list[tuple[int, int, int]] = []
        for col in writes:
            needle = b'<c r="' + (_LETTERS.get(col) or _letters(col)) + here
            at = body.find(needle)
            if at < 0:
                return None
            end = body.find(b'<c r="', at + 1)
            end = len(body) if end < 0 else end
            if body.find(needle, end) >= 0:
                raise LedgerError(
                    _("{where}: row {number} has two cells in one column").format(
                        where=self.where, number=number
                    )
                )
            if not _one_cell(body[at + len(b'<c r="') : end]):
                return None  # something after the cell (an <extLst>): the general way
            spans.append((at, end, col))
        spans.sort()
        row = _RowOut(number, len(self.probe_rows) + 1)
        out = [raw[:body_start]]
        pos = 0
        for at, end, col in spans:
            value = writes[col]
            rest, probed = self._overwritten(number, col, body[at:end], value)
            out += (body[pos:at], row.cell(col, rest, probed, value))
            pos = end
        out += (body[pos:], b"</row>")
        self._wrote(number, writes)
        self._probe(row)
        return b"".join(out)

    def _overwritten(
        self, number: int, col: int, raw: bytes, value: CellValue
    ) -> tuple[bytes, set[int]]:
        """What :meth:`_new_cell` gives, for a cell that is there: its style and other
        attributes kept, the probe columns remembered per (bytes, type, value)."""
        cell = _Cell(raw, col)
        s_raw = cell.attrs.get(b"s")
        style = int(s_raw) if s_raw is not None else None
        rest = self._cell_rest(number, col, value, cell, style) or b""
        key = (rest, type(value), value)
        probed = self.probed.get(key)
        if probed is None:
            probed = set()
            if len(self.probed) < REST_MEMORY and not (type(value) is str and len(value) > 64):
                self.probed[key] = probed
        return rest, probed

    def _probe(self, row: _RowOut) -> None:
        if row.mine:
            self._probe_row(row.number, row.probe, row.mine, row.expect)

    def _probe_row(
        self, number: int, probe: bytes, cells: list[bytes], expect: dict[int, CellValue]
    ) -> None:
        """Put ``cells`` of row ``number`` in the probe, as its row ``probe``."""
        self.probe_rows.append(b"".join([b'<row r="', probe, b'">', *cells, b"</row>"]))
        self.probe_numbers.append(number)
        self.probe_values.append(expect)

    def _new_cell_styles(self, kind: str, open_tag: bytes) -> dict[int, int | None]:
        """The style of a cell procdoc adds to a row of ``kind`` by column: an appended row
        takes the styles of the last row with values, the header row its last label's
        style, a row the office formatted (``customFormat``) its row style; otherwise the
        column's style (``<col style=>``)."""
        given: int | Literal["anchor"] | None
        if kind == "append":
            given = "anchor"
        elif kind == "header":
            given = self.header_cell_style
        else:
            given = None
            if b"customFormat" in open_tag:
                row_attrs = _attrs(open_tag)
                if row_attrs.get(b"customFormat") in (b"1", b"true") and b"s" in row_attrs:
                    given = int(row_attrs[b"s"])
        styles = self.new_styles.get(given)
        if styles is None:
            styles = self.new_styles[given] = _StyleMap(partial(self._new_cell_style, given))
        return styles

    def _new_cell_style(self, given: int | Literal["anchor"] | None, col: int) -> int | None:
        if given == "anchor":
            anchor = self._anchor()
            return anchor[col] if col in anchor else self._col_style(col)
        return given if given is not None else self._col_style(col)

    def _build_new_row(self, number: int, values: dict[str, CellValue]) -> bytes:
        """:meth:`_build_row` for a row appended where there was none: the common case
        of a large import, so its cells are laid out once per set of labels, and what
        :class:`_RowOut` and :meth:`_wrote` do is done inline (15,000 rows of an import
        of 10k rows: 0.34 -> 0.2 s)."""
        key = tuple(values)
        layout = self.layouts.get(key)
        if layout is None:
            style_of = self._new_cell_styles("append", b"")
            column_of = self.column_of
            by_col = {column_of[label]: label for label in values}  # last one wins
            layout = self.layouts[key] = [
                (col, label, style_of[col], b'<c r="' + _letters(col))
                for col, label in sorted(by_col.items())
            ]
            self.wrapping[key] = [
                (label, self._col_width(col))
                for col, label, style, _cell in layout
                if self.styles.wraps(style)
            ]
        here = b"%d" % number
        out: list[bytes] = [b""]  # the row's tag, once it is known to hold a cell
        writes: dict[int, CellValue] = {}
        mine: list[bytes] = []
        expect: dict[int, CellValue] = {}
        probe = b""
        lo = hi = -1
        rests = self.rests
        for col, label, style, cell in layout:
            value = values[label]
            entry = rests.get((style, type(value), value))
            if entry is None:
                entry = self._new_cell(value, style, number, col)
            rest, probed, value = entry
            writes[col] = value
            if value is not None:
                if lo < 0:
                    lo = col
                hi = col
            if rest:  # (empty, without a style: no cell)
                if col not in probed:
                    probed.add(col)
                    if not mine:
                        probe = b"%d" % (len(self.probe_rows) + 1)
                    mine.append(cell + probe + rest)
                    expect[col] = value
                out.append(cell + here + rest)
        self.written[number] = writes
        if lo >= 0:
            self._widen(number, lo, hi)
        if mine:
            self._probe_row(number, probe, mine, expect)
        if len(out) == 1:
            return b""
        out[0] = b'<row r="%d"%s>' % (number, self._row_attrs(values, self.wrapping[key]))
        out.append(b"</row>")
        return b"".join(out)

    def _row_attrs(self, values: dict[str, CellValue], wrapping: list[tuple[str, float]]) -> bytes:
        """An appended row's attributes: the last row's (its style, its height), made taller
        when a cell that wraps holds more lines than that height shows."""
        attrs = self._anchor_attrs()
        if not wrapping:
            return attrs
        lines = max(
            (
                wrapped_lines(v, width)
                for label, width in wrapping
                if type(v := values[label]) is str
            ),
            default=1,
        )
        if lines <= 1:
            return attrs
        height = LINE_HEIGHT * min(lines, MAX_LINES)
        found = _ROW_HEIGHT.search(attrs)
        with contextlib.suppress(ValueError):  # (a height that is no number is replaced)
            if found is not None and float(found.group(1)) >= height:
                return attrs
        kept = _ROW_HEIGHT_ATTRS.sub(b"", attrs)
        return kept + b' ht="%s" customHeight="1"' % number_text(height).encode()

    def _wrote(self, number: int, writes: dict[int, CellValue]) -> None:
        """Record the cells written to row ``number``; widen the box that holds values."""
        self.written[number] = writes
        filled = [col for col, value in writes.items() if value is not None]
        if filled:
            self._widen(number, min(filled), max(filled))

    def _widen(self, number: int, lo: int, hi: int) -> None:
        """Widen the box that holds values to row ``number``, columns ``lo`` to ``hi``."""
        box = self.box
        if box is None:
            self.box = [number, lo, number, hi]
        else:
            box[0] = min(box[0], number)
            box[1] = min(box[1], lo)
            box[2] = max(box[2], number)
            box[3] = max(box[3], hi)

    def _anchor_attrs(self) -> bytes:
        self._anchor()
        return self.anchor_row_attrs

    def _fix_spans(
        self, open_tag: bytes, by_col: dict[int, bytes], writes: dict[int, CellValue]
    ) -> bytes:
        m = _SPANS.search(open_tag)
        if m is None or not writes:
            return open_tag
        cols = [c + 1 for c in by_col.keys() | writes.keys()]
        lo = min(int(m.group(1)), *cols)
        hi = max(int(m.group(2)), *cols)
        return open_tag[: m.start()] + b' spans="%d:%d"' % (lo, hi) + open_tag[m.end() :]

    def _new_cell(
        self, value: CellValue, style: int | None, row: int, col: int
    ) -> tuple[bytes, set[int], CellValue]:
        """The XML of a new cell after the row number of its reference (empty: no cell),
        the columns where these bytes were put in the probe for this value, and the value
        as written (checked by :func:`check_value`: ``""`` is None, datetimes are rounded to
        the millisecond). Rows repeat the same few values, so all three are kept per
        (style, type, value), up to :data:`REST_MEMORY` of them and for text up to 64
        characters; ``row`` and ``col`` are the cell's, for messages."""
        known = (style, type(value), value)
        entry = self.rests.get(known)
        if entry is None:
            checked = (
                value
                if is_plain(value)
                else check_value(value, lambda: f"{self.where} row {row} {self._label(col)}")
            )
            rest = self._cell_rest(row, col, checked, None, style) or b""
            entry = (rest, set(), checked)
            if len(self.rests) < REST_MEMORY and not (type(value) is str and len(value) > 64):
                self.rests[known] = entry
        return entry

    def _label(self, col: int) -> str:
        return next(
            (label for label, c in self.columns.items() if c == col),
            cell_ref(self.header_row, col),
        )

    def _cell_rest(
        self, row: int, col: int, value: CellValue, cell: _Cell | None, style: int | None
    ) -> bytes | None:
        """A written cell's XML after the row number of its reference (``"`` and the
        rest), or None when the cell is to be left out (empty, without a style)."""
        extra = b""
        if cell is not None:
            if b"<f" in cell.raw:
                self._check_overwrite(cell, row, col)
            extra = b"".join(
                b' %s="%s"' % (name, val)
                for name, val in cell.attrs.items()
                if name not in (b"r", b"s", b"t", b"cm", b"vm")
            )
        kind = type(value)
        head = self.heads.get((style, kind))
        if head is None:
            head = self.heads[(style, kind)] = self._head(style, value)
        if value is None:
            if head == b'"' and not extra:
                return None
            return head + extra + b"/>"
        if type(value) is str:
            inner = inline_string(value).encode("utf-8")
        elif type(value) is int:
            inner = b"<v>%d</v>" % value
        elif isinstance(value, bool):
            inner = b"<v>1</v>" if value else b"<v>0</v>"
        elif isinstance(value, str):
            inner = inline_string(value).encode("utf-8")
        elif isinstance(value, int | float):
            inner = b"<v>%s</v>" % number_text(value).encode()
        else:
            day = value.date() if isinstance(value, datetime) else value
            if self.date1904 and day < date(1904, 1, 1):
                raise LedgerError(
                    _(
                        "{where}!{cell_ref}: the workbook uses the 1904 date system, which cannot store {value:%Y-%m-%d}"
                    ).format(where=self.where, cell_ref=cell_ref(row, col), value=value)
                )
            inner = b"<v>%s</v>" % number_text(serial(value, date1904=self.date1904)).encode()
        return head + extra + b">" + inner + b"</c>"

    def _head(self, style: int | None, value: CellValue) -> bytes:
        """The end of the r= attribute, the style and the type of a written cell (the
        same for every value of one type written over one style)."""
        s = self.styles.style_for(style, value)
        head = b'" s="%d"' % s if s else b'"'
        if isinstance(value, str):
            return head + b' t="inlineStr"'
        if isinstance(value, bool):
            return head + b' t="b"'
        return head

    def _check_overwrite(self, cell: _Cell, row: int, col: int) -> None:
        m = _FORMULA.search(cell.raw)
        if m is None:
            return
        a = _attrs(m.group(1))
        kind = a.get(b"t", b"normal")
        span = a.get(b"ref")
        where = f"{self.where}!{cell_ref(row, col)}"
        if kind == b"shared" and span is not None:
            raise LedgerError(
                _(
                    "{where} holds a shared formula that other cells copy ({decode}); procdoc will not overwrite it. Move the formula out of this column"
                ).format(where=where, decode=span.decode())
            )
        if kind == b"array" and span is not None and b":" in span:
            r1, c1, r2, c2 = parse_range(span.decode())
            if (r1, c1) != (r2, c2):
                raise LedgerError(
                    _(
                        "{where} is part of an array formula ({decode}); procdoc will not overwrite it"
                    ).format(where=where, decode=span.decode())
                )
        if kind == b"dataTable":
            raise LedgerError(
                _("{where} is part of a data table; procdoc will not overwrite it").format(
                    where=where
                )
            )
        self.formulas_removed = True

    # -- before and after <sheetData> ---------------------------------------------------------

    def _fix_dimension(self, pre: bytes) -> bytes:
        m = _DIMENSION.search(pre)
        box = self.box
        if m is None or box is None:
            return pre
        try:
            r1, c1, r2, c2 = parse_range(m.group(2).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            r1, c1, r2, c2 = box
        r1, c1 = min(r1, box[0]), min(c1, box[1])
        r2, c2 = max(r2, box[2]), max(c2, box[3])
        ref = format_range(r1, c1, r2, c2)
        return pre[: m.start(2)] + ref.encode() + pre[m.end(2) :]

    def _grow_sqref(self, new_last: int, m: re.Match[bytes]) -> bytes:
        """A drop-down's or conditional format's ``sqref`` with each range that covered
        exactly the data rows (first to last, any columns) grown to ``new_last``."""
        first = self.header_row + 1
        ranges = []
        for token in m.group(2).decode("ascii", "replace").split():
            try:
                r1, c1, r2, c2 = parse_range(token)
            except ValueError:
                ranges.append(token)
                continue
            if (r1, r2) == (first, self.last_data):
                token = format_range(r1, c1, new_last, c2)
                token = token if ":" in token else f"{token}:{token}"
            ranges.append(token)
        return m.group(1) + " ".join(ranges).encode() + m.group(3)

    def _fix_postamble(self, post: bytes) -> bytes:
        merges = [parse_range(m.group(1).decode("ascii")) for m in _MERGE.finditer(post)]
        written = self.written
        for r1, c1, r2, c2 in merges:
            # walk whichever is shorter: the merged rows or the rows written
            rows = range(r1, r2 + 1) if r2 - r1 < len(written) else sorted(written)
            for row in rows:
                if not r1 <= row <= r2 or row not in written:
                    continue
                for col, value in written[row].items():
                    if value is not None and c1 <= col <= c2 and (row, col) != (r1, c1):
                        raise LedgerError(
                            _(
                                "{where}!{cell_ref} lies inside the merged cells {format_range}; unmerge them in Excel first"
                            ).format(
                                where=self.where,
                                cell_ref=cell_ref(row, col),
                                format_range=format_range(r1, c1, r2, c2),
                            )
                        )
        new_last = max(self.last_data, self.box[2] if self.box else 0)
        if self.appends and self.header_row < self.last_data < new_last:
            post = _SQREF.sub(partial(self._grow_sqref, new_last), post)
        m = _AUTOFILTER.search(post)
        if m is None:
            return post
        old = m.group(2).decode("ascii")
        try:
            r1, c1, r2, c2 = parse_range(old)
        except ValueError:
            return post
        if self.appends and self.last_data <= r2 < new_last:
            r2 = new_last
        if self.header_after > self.header_before >= 0 and (r1, c2) == (
            self.header_row,
            self.header_before,
        ):
            c2 = self.header_after
        new = format_range(r1, c1, r2, c2)
        if ":" not in new:
            new = f"{new}:{new}"
        if (r1, c1, r2, c2) == parse_range(old):
            return post
        self.filter_old, self.filter_new = old, new
        post = post[: m.start(2)] + new.encode() + post[m.end(2) :]
        old_last = parse_range(old)[2]
        if r2 > old_last:
            post = _SORT_REF.sub(partial(_grow_to, old_last, r2), post)
        return post
