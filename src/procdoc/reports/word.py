"""Word reports (python-docx) in the house style of the process manual: A4, 仿宋_GB2312
body, 黑体 headings, 方正小标宋简体 titles, page numbers `— N —` in the footer; tables
whose rows never break across pages and whose header row repeats on every page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

BODY = "仿宋_GB2312"
HEADING = "黑体"
SUBHEADING = "楷体_GB2312"
TITLE = "方正小标宋简体"


class WordReport:
    """One A4 document being written."""

    def __init__(
        self,
        *,
        landscape: bool = False,
        margins_mm: tuple[float, float, float, float] = (25, 20, 25, 20),
        body_size: float = 12,
    ) -> None:
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm

        self.doc = docx.Document()
        self.body_size = body_size
        section = self.doc.sections[0]
        width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        top, right, bottom, left = margins_mm
        section.top_margin, section.right_margin = Mm(top), Mm(right)
        section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
        section.footer_distance = Mm(10)
        self.text_width_mm = (297 if landscape else 210) - left - right
        style = self.doc.styles["Normal"]
        set_font(style, BODY, body_size)
        style.paragraph_format.space_after = 0
        style.paragraph_format.space_before = 0
        self._page_numbers(section)

    def _page_numbers(self, section: Any) -> None:
        """`— N —` centred in the footer (a PAGE field)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(p.add_run("— "), "宋体", 14)
        run = p.add_run()
        set_font(run, "宋体", 14)
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), ("end", None)):
            if kind is None:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
                continue
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
            if kind == "separate":
                shown = OxmlElement("w:t")
                shown.text = "1"
                run._r.append(shown)
        set_font(p.add_run(" —"), "宋体", 14)

    def title(self, text: str, *, size: float = 22) -> None:
        self.para(text, font=TITLE, size=size, center=True, after=4)

    def heading(self, text: str, *, size: float = 14) -> None:
        self.para(text, font=HEADING, size=size, before=6, after=3, keep_next=True)

    def subheading(self, text: str, *, size: float | None = None) -> None:
        self.para(text, font=SUBHEADING, size=size or self.body_size, bold=True, keep_next=True)

    def para(
        self,
        text: str,
        *,
        font: str = BODY,
        size: float | None = None,
        bold: bool = False,
        center: bool = False,
        color: str | None = None,
        before: float = 0,
        after: float = 0,
        keep_next: bool = False,
        indent: bool = False,
    ) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt, RGBColor

        p = self.doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = p.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        fmt.keep_with_next = keep_next
        if indent:
            fmt.first_line_indent = Pt(2 * (size or self.body_size))
        run = p.add_run(text)
        set_font(run, font, size or self.body_size, bold)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        return p

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        widths_mm: Sequence[float],
        size: float = 10.5,
        bands: Sequence[int] = (),
    ) -> Any:
        """A grid table: the header row repeated on every page, no row split across a
        page break, fixed column widths. ``bands``: indexes of rows that are one merged
        cell across the table (a group's heading), shaded.

        The rows are written as WordprocessingML text and parsed once: python-docx's
        cell-by-cell API costs milliseconds a cell (a daily brief of 500 late cases took
        seconds), this a few microseconds."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.oxml import parse_xml
        from docx.shared import Mm

        table = self.doc.add_table(rows=0, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False  # <w:tblLayout w:type="fixed"/>
        if len(widths_mm) != len(header):
            raise ValueError(f"{len(header)} columns but {len(widths_mm)} widths")
        twips = [Mm(width).twips for width in widths_mm]
        for c, width in enumerate(widths_mm):  # the grid (LibreOffice); each cell for Word
            table.columns[c].width = Mm(width)
        run = _run_xml(size)
        out = [f"<w:tbl {_W}>"]
        for r, values in enumerate([list(header), *rows]):
            out.append(_ROW_HEAD if r == 0 else _ROW)
            if r - 1 in bands:
                text = str(values[0]) if values else ""
                out.append(
                    _cell_xml(sum(twips), text, run, bold=True, shade="E7E6E6", span=len(twips))
                )
            else:
                for c, width in enumerate(twips):
                    text = _text(values[c]) if c < len(values) else ""
                    out.append(
                        _cell_xml(width, text, run, bold=r == 0, shade="DDEBF7" if r == 0 else None)
                    )
            out.append("</w:tr>")
        out.append("</w:tbl>")
        tbl = table._tbl
        for tr in list(parse_xml("".join(out))):
            tbl.append(tr)
        return table

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def save(self, path: Path) -> None:
        self.doc.save(str(path))


#: Digits and Latin letters in Times New Roman, as offices set them beside 仿宋 (narrow
#: and present everywhere; LibreOffice maps it to Liberation Serif).
LATIN = "Times New Roman"


def set_font(target: Any, name: str, size: float, bold: bool = False) -> None:
    """A run's (or style's) font: ``name`` for Chinese text (w:eastAsia, where Word takes
    it from), Times New Roman for digits and Latin letters in the body fonts."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    target.font.name = LATIN if name in (BODY, SUBHEADING) else name
    target.font.size = Pt(size)
    target.font.bold = bold
    rpr = target.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _text(value: Any) -> str:
    from procdoc.values import display

    return display(value)


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
#: every row: never split across a page; the header row: repeated on every page
_ROW = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_ROW_HEAD = "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
#: characters XML 1.0 cannot hold (a control character typed into a cell)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _run_xml(size: float) -> tuple[str, str]:
    """A body run's properties, (not bold, bold): what :func:`set_font` gives a run."""
    fonts = f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{BODY}"/>'
    half_points = f'<w:sz w:val="{int(size * 2)}"/>'
    return (
        f'<w:rPr>{fonts}<w:b w:val="0"/>{half_points}</w:rPr>',
        f"<w:rPr>{fonts}<w:b/>{half_points}</w:rPr>",
    )


def _t(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<w:t{space}>{escape(text, quote=False)}</w:t>"


def _cell_xml(
    width: int,
    text: str,
    run: tuple[str, str],
    *,
    bold: bool,
    shade: str | None = None,
    span: int = 1,
) -> str:
    """One cell: its width, a paragraph 1 pt above and below, the text in one run (line
    breaks as <w:br/>, tabs as <w:tab/>, as python-docx writes them)."""
    props = f'<w:tcW w:type="dxa" w:w="{width}"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shade:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
    body = "<w:br/>".join(
        "<w:tab/>".join(_t(part) if part else "" for part in line.split("\t"))
        for line in _NOT_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return (
        f'<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr><w:spacing w:before="20" w:after="20"/>'
        f"</w:pPr><w:r>{run[bold]}{body}</w:r></w:p></w:tc>"
    )
