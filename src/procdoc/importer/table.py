"""Find the table inside a grid: its header row, its columns, its data rows.

OA exports and hand-kept 台账 put title rows above the header, split the header over two
rows under merged group cells, break header text over lines or pad it with spaces, and
end with 合计 / 制表人 rows. Columns are found by header text, never by position.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from procdoc.errors import ImportFileError
from procdoc.i18n import _, name_list
from procdoc.importer.reader import CellValue, Grid
from procdoc.layout import FOOTER, FOOTER_FIRST

__all__ = ["Table", "header_key", "locate_table", "match_score", "normalize_header"]

_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_LEADING = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]*")
_FOOTER = FOOTER
_FOOTER_FIRST = FOOTER_FIRST


def normalize_header(value: CellValue) -> str:
    """Header text as written, with every kind of whitespace removed.

    Line breaks, U+3000 and NBSP go; full-width characters such as （） stay as written.
    """
    if value is None:
        return ""
    return _INVISIBLE.sub("", str(value))


def header_key(value: CellValue) -> str:
    """The form headers are matched by: :func:`normalize_header`, then NFKC (full-width
    parentheses, colons, letters and digits become half-width) and case-folded."""
    folded = unicodedata.normalize("NFKC", normalize_header(value)).casefold()
    return _INVISIBLE.sub("", folded)


@dataclass
class Table:
    """The located table. Row numbers are the spreadsheet's own (1-based).

    ``columns`` is keyed by :func:`header_key` of the wanted names (``总金额（元）`` is
    found under ``总金额(元)``); :meth:`column` looks a name up either way.
    """

    header_row: int
    columns: dict[str, int]
    headers: list[str]
    rows: list[tuple[int, list[CellValue]]]
    skipped: list[tuple[int, str]]

    def column(self, name: str) -> int | None:
        """The 0-based index of the wanted column ``name``, or None when not found."""
        return self.columns.get(header_key(name))


@dataclass
class _Candidate:
    header_row: int  # 1-based, the lower row of a two-row header
    two_rows: bool
    headers: list[str]
    columns: dict[str, int]

    @property
    def score(self) -> int:
        return len(self.columns)

    def rank(self) -> tuple[int, int, int]:
        """Higher is better: more matches, then the earlier row, then one row over two."""
        return (self.score, -self.header_row, -int(self.two_rows))


def _match(wanted: Collection[str], keys: Sequence[Collection[str]]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for name in wanted:
        for index, column_keys in enumerate(keys):
            if name in column_keys:
                columns[name] = index
                break
    return columns


def _candidates(grid: Grid, wanted: Collection[str], scan_rows: int) -> list[_Candidate]:
    """Every row among the first ``scan_rows`` as a header, alone and under the row above."""
    found: list[_Candidate] = []
    previous: list[str] = []
    for index, row in enumerate(grid.rows[:scan_rows]):
        texts = [normalize_header(value) for value in row]
        keys = [{header_key(text)} - {""} for text in texts]
        found.append(_Candidate(index + 1, False, texts, _match(wanted, keys)))
        if index > 0:
            headers: list[str] = []
            keys = []
            for upper, lower in zip_longest(previous, texts, fillvalue=""):
                text = lower if lower and lower != upper else upper
                headers.append(text)
                column_keys = {header_key(text)} - {""}
                if upper and lower and upper != lower:
                    column_keys.add(header_key(upper + lower))  # 发起人 over 姓名: 发起人姓名
                keys.append(column_keys)
            found.append(_Candidate(index + 1, True, headers, _match(wanted, keys)))
        previous = texts
    return found


def _wanted_keys(wanted: Collection[str], key: str | None) -> dict[str, str]:
    names = {header_key(name): name for name in wanted}
    if key is not None:
        names.setdefault(header_key(key), key)
    names.pop("", None)
    if not names:
        raise ValueError("locate_table needs at least one wanted column name")
    return names


def match_score(grid: Grid, wanted: Collection[str], *, scan_rows: int = 30) -> int:
    """How many of the ``wanted`` names the best header row of ``grid`` matches."""
    keys = _wanted_keys(wanted, None)
    return max((c.score for c in _candidates(grid, keys, scan_rows)), default=0)


def locate_table(
    grid: Grid, wanted: Collection[str], *, key: str | None = None, scan_rows: int = 30
) -> Table:
    """Find the header row matching the most ``wanted`` names, and the data rows under it.

    ``key``, when given, is wanted too and must be found. At least ``min(3, len(wanted))``
    names must match. Data rows run from the row after the header to the first footer row
    (合计, 制表人, 备注：, ...); blank rows between data rows are listed in ``skipped``,
    and so are the footer and everything after it.
    """
    names = _wanted_keys(wanted, key)
    candidates = _candidates(grid, names, scan_rows)
    best = max(candidates, key=_Candidate.rank, default=None)
    needed = min(3, len(names))
    if best is None or best.score < needed:
        raise ImportFileError(_no_header_message(grid, names.values(), candidates, scan_rows))
    key_column: int | None = None
    if key is not None:
        key_column = best.columns.get(header_key(key))
        if key_column is None:
            found = name_list(text for text in best.headers if text) or _("nothing")
            raise ImportFileError(
                _(
                    "the key column {key} is not in the header (row {header_row}) of {path}; the header has: {found}"
                ).format(key=key, header_row=best.header_row, path=grid.path, found=found)
            )
    rows, skipped = _data_rows(grid, best, key_column)
    return Table(
        header_row=best.header_row,
        columns=best.columns,
        headers=best.headers,
        rows=rows,
        skipped=skipped,
    )


def _no_header_message(
    grid: Grid, wanted: Collection[str], candidates: list[_Candidate], scan_rows: int
) -> str:
    expected = name_list([*list(wanted)[:4], *(["…"] if len(wanted) > 4 else [])])
    fullest = max(
        (c for c in candidates if not c.two_rows),
        key=lambda c: (c.score, sum(1 for text in c.headers if text)),
        default=None,
    )
    if fullest is None or not any(fullest.headers):
        found = _("only empty rows")
    else:
        texts = [text for text in fullest.headers if text]
        shown = name_list([*texts[:8], *(["…"] if len(texts) > 8 else [])])
        found = f"row {fullest.header_row}: {shown}"
    return _(
        "no header row matching the source's columns in the first {scan_rows} rows of {path}; expected e.g. {expected}; found {found}"
    ).format(scan_rows=scan_rows, path=grid.path, expected=expected, found=found)


def _is_empty(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(row: Sequence[CellValue]) -> bool:
    return all(_is_empty(value) for value in row)


def footer_text(row: Sequence[CellValue], key_column: int | None) -> str | None:
    """The cell text that makes ``row`` a footer row (合计, 制表人 ...), or None: an
    export's, or a hand-kept register's below its last case."""
    first = next((value for value in row if not _is_empty(value)), None)
    cells = [first]
    if key_column is not None and key_column < len(row):
        cells.append(row[key_column])
    for value in cells:
        if isinstance(value, str):
            start = _LEADING.match(value).end()  # type: ignore[union-attr]
            if unicodedata.normalize("NFKC", value[start : start + 1]) not in _FOOTER_FIRST:
                continue
            text = header_key(value)
            if _FOOTER.match(text):
                return normalize_header(value)
    return None


def _short(value: CellValue) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 20 else text[:19] + "…"


def _data_rows(
    grid: Grid, header: _Candidate, key_column: int | None
) -> tuple[list[tuple[int, list[CellValue]]], list[tuple[int, str]]]:
    rows: list[tuple[int, list[CellValue]]] = []
    skipped: list[tuple[int, str]] = []
    blank: list[int] = []  # listed only when data follows: trailing blank rows are noise
    footer_row: int | None = None
    header_keys = {index: header_key(header.headers[index]) for index in header.columns.values()}
    width = len(header.headers)
    for index in range(header.header_row, len(grid.rows)):
        number, row = index + 1, grid.rows[index]
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        if _is_blank(row):
            blank.append(number)
            continue
        if footer_row is not None:
            shown = _short(next(v for v in row if not _is_empty(v)))
            skipped.append(
                (
                    number,
                    _("below the footer row {footer_row}: {shown}").format(
                        footer_row=footer_row, shown=shown
                    ),
                )
            )
            continue
        footer = footer_text(row, key_column)
        if footer is not None:
            footer_row = number
            skipped.append((number, f"footer: {_short(footer)}"))
            continue
        skipped.extend((b, _("blank row")) for b in blank)
        blank.clear()
        if all(header_key(row[i]) == text for i, text in header_keys.items()):
            skipped.append((number, _("the header repeated")))
            continue
        rows.append((number, list(row)))
    return rows, skipped
