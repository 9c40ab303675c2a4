"""Report workbooks that print as an office prints them (xlsxwriter): A4, fitted to the
page width, the header row repeated on every page, 第 N 页 共 M 页 in the footer; charts
one to a page. Used by the daily report, the statistics and the 抽查 sheet."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from numbers import Real
from pathlib import Path
from typing import Any

from procdoc.ledger.cells import (
    FIRST_SERIAL_DATE,
    col_letters,
    inline_string,
    number_text,
    serial,
    wrapped_lines,
)
from procdoc.values import display

#: A4 in xlsxwriter's paper codes.
A4 = 9
FOOTER = "&C第 &P 页 共 &N 页"
#: A chart page: a chart of CHART_W x CHART_H pixels in a block of CHART_COLS columns of
#: 64 px by CHART_ROWS rows of 21 px (heights written out: a row left at the default is
#: 15 pt in Excel but 12.75 pt in LibreOffice) that fits one A4 landscape page at 100%
#: within the margins below (271 x 179 mm printable: about 1026 x 678 px).
CHART_W, CHART_H = 960, 600
CHART_COLS, CHART_ROWS = 15, 30
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.6}


def print_setup(
    sheet: Any,
    *,
    landscape: bool = True,
    header_rows: tuple[int, int] | None = None,
    fit_height: int = 0,
    area: tuple[int, int, int, int] | None = None,
) -> None:
    """A4, fitted to one page wide (and ``fit_height`` pages tall; 0: as many as it
    takes), ``header_rows`` repeated on every page, page numbers in the footer."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(**MARGINS)
    sheet.fit_to_pages(1, fit_height)
    if header_rows is not None:
        sheet.repeat_rows(*header_rows)
    if area is not None:
        sheet.print_area(*area)
    sheet.set_footer(FOOTER)


def row_height(row: Sequence[Any], widths: Sequence[float]) -> float | None:
    """The height a row of wrapped text needs (15 points a line, at most 12 lines; None
    for one line): spreadsheets do not grow a row for wrapped text when they open a file
    (LibreOffice cut a long 标题 to its first line)."""
    lines = max(
        (
            wrapped_lines(v, widths[c])
            for c, v in enumerate(row)
            if c < len(widths) and type(v) is str
        ),
        default=1,
    )
    return 15.0 * min(lines, 12) if lines > 1 else None


#: How every report workbook is opened: times without their zone, and text written as
#: the text it is: xlsxwriter's write() would otherwise make a case's text that begins
#: with "=" a formula Excel runs, and link-like text a hyperlink.
WORKBOOK_OPTIONS = {"remove_timezone": True, "strings_to_formulas": False, "strings_to_urls": False}


def _text_rows_sheet() -> type:
    """xlsxwriter's worksheet, but for the rows of a table given as SpreadsheetML text
    (:meth:`ReportBook.table`), written after the rows xlsxwriter holds: its cell-by-cell
    writing took half of a large month's statistics (618,000 cells of 明细 at 100k cases:
    3.3 of 6.7 s)."""
    from xlsxwriter.worksheet import Worksheet

    class TextRowsSheet(Worksheet):  # type: ignore[misc]
        text_rows: list[str]

        def _write_rows(self) -> None:
            super()._write_rows()
            for text in getattr(self, "text_rows", ()):
                self.fh.write(text)

    return TextRowsSheet


class ReportBook:
    """An xlsxwriter workbook with the formats every report uses."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
        self.text_rows_sheet = _text_rows_sheet()
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 16})
        self.note = add({"italic": True, "font_color": "#555555"})
        self.warn = add({"bold": True, "font_color": "#C00000"})
        border = {"border": 1, "valign": "top", "text_wrap": True}
        self.head = add({**border, "bold": True, "bg_color": "#DDEBF7", "valign": "vcenter"})
        self.cell = add(border)
        self.bold = add({**border, "bold": True})
        self.pct = add({**border, "num_format": "0.0%"})
        self.num = add({**border, "num_format": "0.0#"})
        self.date = add({**border, "num_format": "yyyy-mm-dd"})
        self.moment = add({**border, "num_format": "yyyy-mm-dd hh:mm"})
        self.charts = 0

    def close(self) -> None:
        self.wb.close()

    def write(self, sheet: Any, row: int, col: int, value: Any, kind: str = "") -> None:
        """One cell: dates and moments as real dates, rates as percentages, None empty."""
        if value is None:  # (not "—": a chart reads text as 0 and would draw a 0% bar)
            sheet.write_blank(row, col, None, self.cell)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, self.moment)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), self.date)
        elif kind == "pct" and isinstance(value, int | float):
            sheet.write_number(row, col, value, self.pct)
        elif kind == "num" and isinstance(value, int | float):
            sheet.write_number(row, col, value, self.num)
        else:
            style = self.bold if kind == "bold" else self.cell
            kind_of = type(value)
            # text straight to write_string: faster than write()'s guessing (86k cells of
            # a month's statistics: 0.20 -> 0.13 s), and a case's text that begins with
            # "=" or looks like a link stays the text it is, never a formula or a link
            if kind_of is str and value:
                sheet.write_string(row, col, value, style)
            elif kind_of is str:  # a blank cell, as write() made it (COUNTA, ISBLANK)
                sheet.write_blank(row, col, None, style)
            elif kind_of is int or kind_of is float:
                sheet.write_number(row, col, value, style)
            else:
                sheet.write(row, col, value, style)

    def table(
        self,
        name: str,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        widths: Sequence[float] = (),
        kinds: Sequence[str] = (),
        notes: Sequence[str] = (),
        landscape: bool = True,
        empty: str = "本期无数据",
        bold_last: bool = False,
        editable: bool = False,
        height: float | None = None,
        blanks: Mapping[int, Any] | None = None,
    ) -> tuple[Any, int]:
        """A sheet holding one table under a title and notes, ready to print: the header
        row repeated, frozen and filtered. Returns the sheet and the 0-based row of the
        table's first data row. The rows are written as text in one go (:meth:`rows_xml`)
        unless ``editable``: the caller writes into them afterwards (a cell of its own),
        so they are written cell by cell through xlsxwriter. ``height``: every data row's
        height (points; default: as tall as its wrapped text); ``blanks``: the format of an
        empty cell of a column (by 0-based column; default: bordered text), as a form left
        to be filled in by hand wants (a date to write)."""
        sheet = self.wb.add_worksheet(name, worksheet_class=self.text_rows_sheet)
        ncols = len(header)
        sheet.write(0, 0, title, self.title)
        for i, line in enumerate(notes):
            sheet.write(1 + i, 0, line, self.note)
        top = 2 + len(notes)
        sheet.write_row(top, 0, list(header), self.head)
        width = [widths[c] if c < len(widths) else 12 for c in range(ncols)]
        # a Chinese character is about two units of column width: enough lines for each
        lines = max(
            (math.ceil(2.2 * len(h) / w) for h, w in zip(header, width, strict=True)), default=1
        )
        sheet.set_row(top, 16 * min(3, max(1, lines)))
        for c in range(ncols):
            sheet.set_column(c, c, width[c])
        blanks = blanks or {}
        if not editable and rows:
            sheet.text_rows = self.rows_xml(
                top + 1, rows, kinds, width, bold_last=bold_last, height=height, blanks=blanks
            )
            # the table's extent, for the sheet's <dimension> (no cell is held for it)
            sheet._check_dimensions(top + len(rows), max(ncols, *map(len, rows)) - 1)
        for r, row in enumerate(rows if editable else (), start=top + 1):
            last = bold_last and r == top + len(rows)
            for c, value in enumerate(row):
                if value is None and c in blanks:
                    sheet.write_blank(r, c, None, blanks[c])
                    continue
                kind = kinds[c] if c < len(kinds) else ""
                self.write(sheet, r, c, value, "bold" if last and not kind else kind)
            tall = height if height is not None else row_height(row, width)
            if tall is not None:
                sheet.set_row(r, tall)
        if not rows:
            sheet.write(top + 1, 0, empty, self.note)
        sheet.freeze_panes(top + 1, 0)
        if rows:
            sheet.autofilter(top, 0, top + len(rows), ncols - 1)
        print_setup(sheet, landscape=landscape, header_rows=(top, top))
        return sheet, top + 1

    def rows_xml(
        self,
        first: int,
        rows: Sequence[Sequence[Any]],
        kinds: Sequence[str],
        widths: Sequence[float],
        *,
        bold_last: bool,
        height: float | None = None,
        blanks: Mapping[int, Any] | None = None,
    ) -> list[str]:
        """The ``<row>`` elements of ``rows`` from the 0-based row ``first`` on, each cell
        as :meth:`write` writes it (its format, its type; text inline), each row ``height``
        tall or as tall as its wrapped text (:func:`row_height`); an empty cell of a column
        in ``blanks`` in that column's format (see :meth:`table`)."""
        style = {
            kind: fmt._get_xf_index()  # the index xlsxwriter gives a format it writes
            for kind, fmt in (
                ("", self.cell), ("bold", self.bold), ("pct", self.pct), ("num", self.num),
                ("date", self.date), ("moment", self.moment),
            )
        }  # fmt: skip
        blank = {c: fmt._get_xf_index() for c, fmt in (blanks or {}).items()}
        # a height in whole pixels, as xlsxwriter's set_row() keeps it (40 points: 39.75)
        fixed = None if height is None else int(height * 4 / 3 + 0.5) * 0.75
        ncols = max(map(len, rows))
        letters = [col_letters(c) for c in range(ncols)]
        kinds = [kinds[c] if c < len(kinds) else "" for c in range(ncols)]
        out = []
        for i, row in enumerate(rows):
            number = first + i + 1
            last = bold_last and i == len(rows) - 1
            cells = []
            for c, value in enumerate(row):
                kind = kinds[c]
                if kind not in ("pct", "num") or not isinstance(value, int | float):
                    kind = "bold" if kind == "bold" or (last and not kind) else ""
                if type(value) is str and value:  # most cells: text, in line
                    cells.append(
                        f'<c r="{letters[c]}{number}" s="{style[kind]}" t="inlineStr">'
                        f"{inline_string(value)}</c>"
                    )
                elif value is None and c in blank:
                    cells.append(f'<c r="{letters[c]}{number}" s="{blank[c]}"/>')
                else:
                    cells.append(_cell_xml(f"{letters[c]}{number}", value, style, kind))
            points = fixed if fixed is not None else row_height(row, widths)
            tall = f' ht="{points:g}" customHeight="1"' if points is not None else ""
            out.append(f'<row r="{number}"{tall}>{"".join(cells)}</row>')
        return out

    def chart_pages(self, name: str, charts: Sequence[Any]) -> Any:
        """A sheet with one chart a page: each chart in a block of its own, a page break
        after each block, the print area covering the blocks, A4 landscape fitted to
        the width (the blocks are sized so that one fills one page at 100%)."""
        sheet = self.wb.add_worksheet(name)
        if not charts:
            sheet.write(0, 0, "本期无数据，未生成图表", self.note)
            print_setup(sheet)
            return sheet
        # explicit sizes, so that every spreadsheet program agrees on what fills a page
        sheet.set_column_pixels(0, CHART_COLS - 1, 64)
        for r in range(CHART_ROWS * len(charts)):
            sheet.set_row_pixels(r, 21)
        for i, chart in enumerate(charts):
            chart.set_size({"width": CHART_W, "height": CHART_H})
            sheet.insert_chart(i * CHART_ROWS, 0, chart, {"x_offset": 0, "y_offset": 10})
        sheet.set_h_pagebreaks([CHART_ROWS * i for i in range(1, len(charts))])
        print_setup(sheet, area=(0, 0, CHART_ROWS * len(charts) - 1, CHART_COLS - 1))
        return sheet

    def chart(self, kind: str, title: str, *, subtype: str | None = None) -> Any:
        spec = {"type": kind, **({"subtype": subtype} if subtype else {})}
        chart = self.wb.add_chart(spec)
        chart.set_title({"name": title, "name_font": {"size": 14}})
        chart.set_legend({"position": "bottom"})
        return chart

    def series_chart(
        self,
        title: str,
        sheet: str,
        rows: tuple[int, int],
        series: Sequence[tuple[int, str]],
        *,
        labels: str,
        axis: dict[str, Any],
        kind: str = "column",
        subtype: str | None = None,
        categories: int = 0,
    ) -> Any:
        """A chart of ``series`` ((column, name) ...) over ``rows`` (first, last; 0-based)
        of ``sheet``, the categories in column ``categories``, each value labelled in the
        number format ``labels``; ``axis`` for the value axis (gridlines added)."""
        first, last = rows
        chart = self.chart(kind, title, subtype=subtype)
        for col, name in series:
            chart.add_series({
                "name": name,
                "categories": [sheet, first, categories, last, categories],
                "values": [sheet, first, col, last, col],
                "data_labels": {"value": True, "num_format": labels},
            })  # fmt: skip
        value_axis = {**axis, "major_gridlines": {"visible": True}}
        if kind == "bar":  # a bar chart's values run along x; its categories top-down
            chart.set_x_axis(value_axis)
            chart.set_y_axis({"reverse": True})
        else:
            chart.set_y_axis(value_axis)
        if len(series) == 1:
            chart.set_legend({"none": True})
        return chart


def _cell_xml(ref: str, value: Any, style: dict[str, int], kind: str) -> str:
    """One cell of :meth:`ReportBook.rows_xml`, as :meth:`ReportBook.write` writes it:
    ``kind`` is "pct" or "num" for a number so formatted, "bold" or "" for the rest."""
    kind_of = type(value)
    if kind_of is str:
        if value:
            return f'<c r="{ref}" s="{style[kind]}" t="inlineStr">{inline_string(value)}</c>'
        return f'<c r="{ref}" s="{style[kind]}"/>'  # blank, as write() made it
    if value is None:
        return f'<c r="{ref}" s="{style[""]}"/>'
    day = value.date() if isinstance(value, datetime) else value
    # Excel's serials are a day off before 1900-03-01 (its 1900 leap year), negative before
    # 1900: such a date (a typo in a case's cell) is written as its text (QA)
    if isinstance(day, date) and day < FIRST_SERIAL_DATE:
        return _cell_xml(ref, display(value), style, kind)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)  # remove_timezone, as the workbook's option
        return f'<c r="{ref}" s="{style["moment"]}"><v>{number_text(serial(moment))}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style["date"]}"><v>{number_text(serial(value))}</v></c>'
    if isinstance(value, bool) and kind not in ("pct", "num"):  # (so formatted: a number)
        return f'<c r="{ref}" s="{style[kind]}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Real) and math.isfinite(value):
        return f'<c r="{ref}" s="{style[kind]}"><v>{number_text(float(value))}</v></c>'
    return _cell_xml(ref, str(value), style, kind)
