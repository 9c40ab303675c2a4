"""Sheets procdoc creates, laid out ready to print (see :class:`~procdoc.ledger.NewSheet`).

One function, :func:`new_sheet_xml`, makes every sheet procdoc creates: a register or the
history sheet, in a new workbook (which starts as :func:`empty_workbook`, a package with no
sheets) or added to the office's own. It writes the worksheet part with everything but the
header and the rows, which the patcher then writes like any others; :mod:`procdoc.ledger.patch`
adds the workbook-level names (print titles, the autofilter's ``_FilterDatabase``).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from procdoc.errors import LedgerError
from procdoc.i18n import _
from procdoc.ledger.cells import (
    MAX_ROWS,
    col_letters,
    format_range,
    inline_string,
    label_key,
)
from procdoc.ledger.model import CellValue, ColumnKind, ColumnSpec, NewSheet, SheetChanges
from procdoc.ledger.parts import CT, DOC_REL, MAIN, PKG_REL, RT_OFFICE_DOCUMENT, RT_STYLES, Styles

MAX_LIST = 255
"""The most characters Excel takes in a drop-down list written into the rule itself."""
_WIDTHS = {"number": 10.0, "date": 12.0, "datetime": 18.0, "choice": 8.0, "text": 14.0}
_MAX_WIDTH = 40.0
A4_WIDTH = 190.0
"""Width (Excel's units) of the columns shown above which a new sheet is set up for A3
paper: fitted to an A4 page's width they would print below about 7 points."""


def text_width(text: str) -> int:
    """Columns of Excel's width unit ``text`` takes: two for a wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_columns(changes: SheetChanges) -> list[ColumnSpec]:
    """The columns of a sheet about to be created: those ``changes.create`` lists, then
    every other label the changes use, its kind and width taken from its first values."""
    listed = list(changes.create.columns) if changes.create else []
    known = {label_key(c.label) for c in listed}
    rows = [*changes.set.values(), *changes.append[:200]]
    out = listed
    for label in changes.labels():
        if label_key(label) in known:
            continue
        values = [v for v in (row.get(label) for row in rows) if v is not None]
        out.append(ColumnSpec(label, _kind_of(values), width=_width_of(label, values)))
    return out


def _kind_of(values: Sequence[CellValue]) -> ColumnKind:
    if any(isinstance(v, datetime) for v in values):
        return "datetime"
    if any(isinstance(v, date) for v in values):
        return "date"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _width_of(label: str, values: Sequence[CellValue]) -> float | None:
    """A text column's width from its values (the 90th percentile, 14 to 30)."""
    lengths = sorted(text_width(str(v)) for v in values if isinstance(v, str))
    if not lengths:
        return None
    typical = lengths[int(len(lengths) * 0.9)]
    return float(min(30, max(14, text_width(label) + 2, typical + 2)))


def column_width(column: ColumnSpec) -> float:
    """The width given, else room for the label (and the choices) and the kind's values."""
    if column.width is not None:
        return column.width
    room = _WIDTHS[column.kind]
    if column.kind == "choice":
        room = max([room, *(text_width(c) + 4 for c in column.choices)])  # + the arrow
    return min(_MAX_WIDTH, max(room, text_width(column.label) + 2.0))


def new_sheet_xml(
    where: str,
    changes: SheetChanges,
    columns: list[ColumnSpec],
    styles: Styles,
) -> bytes:
    """The worksheet part of a sheet procdoc creates, without its header and data rows.

    ``where`` names the sheet in messages; ``columns`` are :func:`sheet_columns`.
    """
    layout = changes.create or NewSheet()
    header = layout.header_row
    if changes.header_row != header:
        raise LedgerError(
            _(
                "{where} does not exist yet and procdoc creates it with its header in row {header} ({value}), not row {header_row}"
            ).format(
                where=where,
                header=header,
                value="below a title" if layout.title else "no title",
                header_row=changes.header_row,
            )
        )
    last = max(len(columns) - 1, 0)
    first_data = header + 1
    cols = []
    validations = []
    wrapped = any(c.wrap for c in columns)
    for i, column in enumerate(columns):
        style = ""
        code = {"date": Styles.DATE, "datetime": Styles.DATETIME}.get(
            column.kind, column.number_format or "General"
        )
        if wrapped:  # a register: every cell centred in rows that grow for wrapped text
            style = f' style="{styles.body_style(code, wrap=column.wrap)}"'
        elif code != "General":
            style = f' style="{styles.variant(None, code)}"'
        folded = ' hidden="1" outlineLevel="1"' if column.folded else ""
        cols.append(
            f'<col min="{i + 1}" max="{i + 1}" width="{column_width(column):.2f}" '
            f'customWidth="1"{style}{folded}/>'
        )
        if column.kind == "choice" and column.choices:
            listed = _choice_list(where, column)
            sqref = format_range(first_data, i, MAX_ROWS, i)
            validations.append(
                f'<dataValidation type="list" allowBlank="1" showInputMessage="1" '
                f'showErrorMessage="1" sqref="{sqref}"><formula1>{listed}</formula1>'
                "</dataValidation>"
            )
    title = ""
    merge = ""
    if layout.title:
        cell = inline_string(layout.title)
        title = (
            f'<row r="1" ht="30" customHeight="1"><c r="A1" s="{styles.title_style()}" '
            f't="inlineStr">{cell}</c></row>'
        )
        if last:
            merge = f'<mergeCells count="1"><mergeCell ref="A1:{col_letters(last)}1"/></mergeCells>'
    shown = sum(column_width(c) for c in columns if not c.folded)
    paper = 8 if shown > A4_WIDTH else 9  # A3 or A4, landscape
    outline = ' outlineLevelCol="1"' if any(c.folded for c in columns) else ""
    pane = (
        f'<pane ySplit="{header}" topLeftCell="A{first_data}" activePane="bottomLeft" '
        f'state="frozen"/><selection pane="bottomLeft" activeCell="A{first_data}" '
        f'sqref="A{first_data}"/>'
    )
    return "".join(
        [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
            f'<worksheet xmlns="{MAIN}" xmlns:r="{DOC_REL}">',
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1"/>',
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>',
            f'<sheetFormatPr defaultRowHeight="15"{outline}/>',
            f"<cols>{''.join(cols)}</cols>" if cols else "",
            f"<sheetData>{title}</sheetData>" if title else "<sheetData/>",
            f'<autoFilter ref="{format_range(header, 0, header, last)}"/>',
            merge,
            (
                f'<dataValidations count="{len(validations)}">{"".join(validations)}'
                "</dataValidations>"
                if validations
                else ""
            ),
            '<printOptions horizontalCentered="1"'
            + (' gridLines="1"/>' if layout.borders else "/>"),
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
            'footer="0.3"/>',
            f'<pageSetup paperSize="{paper}" orientation="landscape" fitToWidth="1" '
            'fitToHeight="0"/>',
            "<headerFooter><oddFooter>&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter></headerFooter>",
            "</worksheet>",
        ]
    ).encode()


def _choice_list(where: str, column: ColumnSpec) -> str:
    """The ``<formula1>`` of a drop-down list: the choices in quotes, comma-separated."""
    for choice in column.choices:
        if "," in choice:
            raise LedgerError(
                _(
                    "{where}: the choice {choice!r} of {label} holds a comma, which an Excel drop-down list cannot show; use '，' instead"
                ).format(where=where, choice=choice, label=column.label)
            )
    listed = ",".join(column.choices)
    if len(listed) > MAX_LIST:
        raise LedgerError(
            _(
                "{where}: the choices of {label} take {n_listed} characters, more than the {max_list} an Excel drop-down list holds; shorten them"
            ).format(where=where, label=column.label, n_listed=len(listed), max_list=MAX_LIST)
        )
    return html.escape('"' + listed.replace('"', '""') + '"', quote=False)


# -- an empty workbook --------------------------------------------------------------------


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body).encode()


def empty_workbook() -> Iterable[tuple[str, bytes]]:
    """The parts of a workbook with no sheets yet (procdoc adds them as new sheets): a
    workbook part, its relationships, the content types and styles (one font, 等线 11)."""
    sheet_main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    styles_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
    rels_type = "application/vnd.openxmlformats-package.relationships+xml"
    yield (
        "[Content_Types].xml",
        _xml(
            f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="{rels_type}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_main}"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{styles_type}"/></Types>'
        ),
    )
    yield (
        "_rels/.rels",
        _xml(
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{RT_OFFICE_DOCUMENT}" Target="xl/workbook.xml"/></Relationships>'
        ),
    )
    yield (
        "xl/workbook.xml",
        _xml(
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_REL}"><workbookPr/>'
            '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" '
            'windowHeight="9660"/></bookViews><sheets/><calcPr calcId="191029"/></workbook>'
        ),
    )
    yield (
        "xl/_rels/workbook.xml.rels",
        _xml(
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{RT_STYLES}" '
            'Target="styles.xml"/></Relationships>'
        ),
    )
    yield (
        "xl/styles.xml",
        _xml(
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
            '<color indexed="8"/><name val="等线"/><family val="2"/><charset val="134"/>'
            '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
            '<cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
            'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
        ),
    )
