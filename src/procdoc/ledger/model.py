"""The ledger's data model: what a read returns and what a plan asks to write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from procdoc.ledger.cells import label_key

_MOMENTS = frozenset({datetime, date, type(None)})

Fingerprint = tuple[int, int, str]
"""``(size, mtime_ns, sha256 hex)`` of a ledger file: how procdoc tells that it changed."""

CellValue = str | int | float | bool | date | datetime | None
"""A cell as procdoc sees it.

Reading gives ``None`` for an empty cell (and for an error cell such as ``#N/A``), ``int``
for a whole number, ``date`` for a date-formatted cell at midnight and ``datetime``
otherwise. Writing ``None`` (or ``""``) clears the value and keeps the cell's style.
"""


@dataclass(slots=True)
class Row:
    """One data row of a sheet."""

    number: int
    """The 1-based Excel row number (rows are found by number, never by position)."""
    values: list[CellValue]
    """Aligned to the sheet's header; trailing empty cells may be missing."""


HEADER_SEARCH_ROWS = 10
"""How many top rows :class:`HeaderSpec` looks through for a header row."""


@dataclass(frozen=True)
class HeaderSpec:
    """Where a sheet's header row is, for reading it.

    ``row`` when it is known (1-based); otherwise the first of the top
    :data:`HEADER_SEARCH_ROWS` rows that holds ``id_label``, else the one of them holding
    the most of ``labels`` (the first such row on a tie), else row 1. Labels are matched by
    :func:`~procdoc.ledger.cells.label_key` (white space ignored).
    """

    row: int | None = None
    id_label: str | None = None
    labels: tuple[str, ...] = ()
    #: For the read cache alone (what is read never depends on it): ``(label, words)``,
    #: the rows whose cell under ``label`` is not one of ``words`` (its text, spaces around
    #: ignored) - a register's open cases - are also kept whole apart from the rest, so
    #: that a command reading those rows alone does not unpack every row near them.
    apart: tuple[str, tuple[str, ...]] | None = field(default=None, repr=False)


MergedRange = tuple[int, int, int, int]
"""Merged cells as ``(first row, first column, last row, last column)``: rows 1-based as
in Excel, columns 0-based as in :attr:`Row.values` (what :func:`cells.parse_range` gives)."""


@dataclass
class Sheet:
    """A sheet read from the ledger: its header row and the data rows below it."""

    name: str
    header: list[str]
    """The header row's labels, ``str()``-ed and stripped; ``""`` for an empty cell."""
    rows: list[Row]
    """Data rows (the rows below the header) in sheet order; fully empty rows are
    skipped. Rows above the header (titles, notes) are never data."""
    header_row: int = 1
    """The header's 1-based row number."""
    merged: list[MergedRange] = field(default_factory=list)
    """The merged ranges that reach the header row or below it: a caller can refuse a
    hand-kept register with merged cells among its data or a header over two rows."""
    _index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def column(self, label: str) -> int | None:
        """The 0-based index of the first header cell labelled ``label``, or ``None``
        (labels compared by :func:`~procdoc.ledger.cells.label_key`)."""
        if self._index is None:
            index: dict[str, int] = {}
            for i, name in enumerate(self.header):
                key = label_key(name)
                if key and key not in index:
                    index[key] = i
            self._index = index
        return self._index.get(label_key(label))

    def value(self, row: Row, label: str) -> CellValue:
        """The value of ``row`` under ``label``; ``None`` when the column is missing."""
        i = self.column(label)
        if i is None or i >= len(row.values):
            return None
        return row.values[i]

    # One-case reads go through these three: a sheet from the read cache answers them
    # without building every row (see :class:`procdoc.ledger.cache.CachedSheet`).

    def n_rows(self) -> int:
        """How many data rows :attr:`rows` holds."""
        return len(self.rows)

    def column_values(self, col: int) -> Sequence[CellValue]:
        """The value of every data row (in :attr:`rows` order) in 0-based column ``col``,
        ``None`` where a row is shorter."""
        return [r.values[col] if col < len(r.values) else None for r in self.rows]

    def row_at(self, index: int) -> Row:
        """The data row at ``index`` of :attr:`rows`."""
        return self.rows[index]

    def later_than(self, col: int, moment: datetime) -> list[int] | None:
        """The indexes of the data rows whose 0-based column ``col`` holds a moment later
        than ``moment`` (a date: its midnight), when the column holds datetimes, dates and
        empty cells only (as procdoc writes 更新时间, a midnight read back as a date); None
        when it holds anything else (the caller reads it)."""
        values = self.column_values(col)
        if not set(map(type, values)) <= _MOMENTS:
            return None
        day = moment.toordinal()
        return [
            i
            for i, v in enumerate(values)
            if v is not None and (v > moment if type(v) is datetime else v.toordinal() > day)  # type: ignore[union-attr]
        ]


@dataclass
class Snapshot:
    """What one read of the ledger saw."""

    path: Path
    exists: bool
    """``False`` when there is no ledger file yet."""
    sheets: dict[str, Sheet]
    """The requested sheets that are present in the workbook, in the order asked for."""
    fingerprint: Fingerprint | None
    """``(size, mtime_ns, sha256)`` of the file read; ``None`` when it does not exist."""
    parsed: frozenset[str] = frozenset()
    """The sheets calamine parsed for this read (the others came from the read cache)."""


ColumnKind = Literal["text", "number", "date", "datetime", "choice"]


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a sheet procdoc creates (see :class:`NewSheet`)."""

    label: str
    kind: ColumnKind = "text"
    """``date`` / ``datetime`` columns are formatted ``yyyy-mm-dd`` / ``yyyy-mm-dd hh:mm``
    as a whole (rows added later stay dates); a ``choice`` column gets a drop-down list of
    ``choices`` over its data rows."""
    choices: tuple[str, ...] = ()
    width: float | None = None
    """In Excel's units (characters of the default font; a Chinese character counts 2);
    None: from the label, the kind and the first values."""
    number_format: str | None = None
    """The Excel number format of a number column (``#,##0.00`` for an amount); None:
    General."""
    wrap: bool = False
    """Text wraps in the cell (on screen and on paper), and rows procdoc adds are made tall
    enough to show it (see :func:`~procdoc.ledger.cells.wrapped_lines`)."""
    folded: bool = False
    """Grouped and folded away (Excel's outline ``+`` above the columns shows it): on
    screen and on paper the column takes no room until someone opens the group."""


@dataclass(frozen=True)
class NewSheet:
    """How procdoc lays out a sheet it creates, ready to print: A4 landscape, every column
    fitted to the page width, the header row repeated on every page, 第 N 页 共 M 页 in the
    footer, panes frozen below the header, an autofilter over it, a drop-down list on each
    choice column, dates formatted as dates, widths for Chinese text, the header bold on a
    light fill, wrapped. With ``title``, a merged title row (bold, larger, centred over the
    header's width) is row 1 and the header row 2 (``SheetChanges.header_row`` must say 2).

    ``columns`` come first, in order; labels the changes use that they do not list follow,
    laid out from their values.
    """

    columns: tuple[ColumnSpec, ...] = ()
    title: str | None = None
    header_at: int | None = None
    """The header's row when it is not right below the title (rows between stay empty);
    None: 2 with a title, else 1."""
    borders: bool = True
    """Thin lines round every cell on paper (printed grid lines; on screen only the
    header cells have borders, so empty rows below the data stay plain)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))  # a list is fine too

    @property
    def header_row(self) -> int:
        if self.header_at is not None:
            return self.header_at
        return 2 if self.title else 1


@dataclass
class SheetChanges:
    """The changes a plan asks for in one sheet.

    Labels used in ``set`` or ``append`` that the header lacks are added to it too (after
    the ones listed in ``header``), so a plan never writes into an unlabelled column.
    """

    header: list[str] = field(default_factory=list)
    """Labels that must exist in the header row; missing ones are appended, in this order,
    after the last used header column."""
    set: dict[int, dict[str, CellValue]] = field(default_factory=dict)
    """Excel row number -> {label: value}; ``None`` clears the value (keeps the style)."""
    append: list[dict[str, CellValue]] = field(default_factory=list)
    """New rows after the last row that holds data, by label."""
    header_row: int = 1
    """The header's row. Rows above it (titles, notes, merged title cells) stay byte for
    byte; ``set`` rows must lie below it; new labels go right of its last label."""
    create: NewSheet | None = None
    """How to lay out the sheet if it does not exist yet (None: a :class:`NewSheet` with
    no title, its columns laid out from the labels and values); unused when it exists."""

    def is_empty(self) -> bool:
        """True when these changes ask for nothing: no labels, cells or rows to write and
        no sheet to create (``create`` alone creates the sheet, with its columns' header,
        when it is missing, and does nothing when it exists)."""
        return self.create is None and not self.touches_cells()

    def touches_cells(self) -> bool:
        """True when there are labels, cells or rows to write."""
        return bool(self.header or any(self.set.values()) or self.append)

    def labels(self) -> list[str]:
        """Every label these changes need in the header, in the order they are added,
        stripped, each once (labels with the same :func:`~procdoc.ledger.cells.label_key`
        are one: the first spelling is kept)."""
        seen: dict[str, str] = {}
        for label in self.header:
            seen.setdefault(label_key(label), label.strip())
        for values in self.set.values():
            for label in values:
                seen.setdefault(label_key(label), label.strip())
        last: object = None
        for values in self.append:
            keys = values.keys()
            if keys == last:  # appended rows mostly share their labels
                continue
            last = keys
            for label in values:
                seen.setdefault(label_key(label), label.strip())
        return list(seen.values())


@dataclass
class Batch:
    """Everything one update writes, sheet by sheet."""

    sheets: dict[str, SheetChanges] = field(default_factory=dict)

    def sheet(self, name: str) -> SheetChanges:
        """The changes for sheet ``name``, created empty on first use."""
        changes = self.sheets.get(name)
        if changes is None:
            changes = self.sheets[name] = SheetChanges()
        return changes

    def is_empty(self) -> bool:
        """True when no sheet has anything to write."""
        return all(changes.is_empty() for changes in self.sheets.values())
