#!/usr/bin/env python3
"""Build the library's Word templates: templates/*.docx.

    .venv/bin/python tools/make_templates.py [OUT_DIR]

The templates are docxtpl (Jinja) documents laid out after GB/T 9704-2012 where it
makes sense: A4, margins 37/35/28/26 mm (top/bottom/left/right), titles in
方正小标宋简体 22 pt, body in 仿宋_GB2312 16 pt, level-1 headings in 黑体, the
发文机关标志 in red with a red rule under it, the page number "— 1 —" in the footers (odd pages right, even pages left,
one character in; no running header). Every run carries its East Asian font
(w:eastAsia), so Chinese text keeps the font whatever Word's theme says. The forms
(催办通知书, 督办单, 收文处理笺, 送达回证) and the notices fit one A4 page: their table
rows have heights that add up to less than the 225 mm text block, never split across
pages, and long texts are set in 小四 (12 pt).

The output is deterministic: fixed document properties and fixed zip timestamps,
so running the script twice gives byte-identical files and git only sees real
changes. Edit the layouts here, not in Word, and run the script again.

Variables: a template may use only the case fields of the process(es) that list it
in `documents` (by field id) and the core values the renderer always provides:
id, title, process, step, status, assignee, ref, source, opened, entered, due,
case_due, closed, today, year, office, date (the document's date, 成文日期), history,
people, extensions, extended, last_extension, late_days, late_workdays, step_limit,
limits, registered_by, addressee, source_org, source_no, and NAME_cn for each date
(e.g. due_cn, date_cn); besides Jinja's filters, procdoc's rmb_upper (an amount in
capital numerals, 金额大写). `urge_notice` serves every process and so uses core values
only. See templates/README.md for the list per template.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates"

FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Fonts named as Chinese offices install them.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
SONGTI = "宋体"

RED = RGBColor(0xFF, 0x00, 0x00)

#: fontTable entries: GB2312 charset and the name to fall back on where the
#: office font is not installed (many machines have 仿宋 but not 仿宋_GB2312).
FONT_TABLE = {
    FANGSONG: ("仿宋", "modern", "fixed"),
    XIAOBIAOSONG: ("宋体", "auto", "variable"),
    HEITI: ("SimHei", "modern", "fixed"),
    SONGTI: ("SimSun", "auto", "variable"),
}

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 14  # 四号
LINE_PT = 28  # fixed line spacing: 22 lines on the 225 mm type area

SMALL_PT = 12  # 小四: long texts in table cells
TEXT_WIDTH_MM = 156  # 版心宽 = 210 - 28 - 26
TEXT_HEIGHT_MM = 225  # 版心高 = 297 - 37 - 35
CHAR_MM = BODY_PT * 25.4 / 72  # one 三号 character
#: 成文日期 four characters in from the right; the 署名 centred over it. Both sit on a
#: centre tab at the middle of a typical date (2026年9月15日: 6.5 characters wide).
SIGN_CENTER_MM = TEXT_WIDTH_MM - CHAR_MM * (4 + 6.5 / 2)

LEFT = WD_PARAGRAPH_ALIGNMENT.LEFT
CENTER = WD_PARAGRAPH_ALIGNMENT.CENTER
RIGHT = WD_PARAGRAPH_ALIGNMENT.RIGHT
JUSTIFY = WD_PARAGRAPH_ALIGNMENT.JUSTIFY


# --------------------------------------------------------------------------- low level


def set_fonts(rpr_parent, font: str) -> None:
    """Give an element's rPr explicit ascii/hAnsi/eastAsia/cs fonts (no theme fonts)."""
    rpr = rpr_parent.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)


def style_run(run, font: str, size: float, *, bold: bool = False, color: RGBColor | None = None):
    run.font.name = font
    set_fonts(run._r, font)
    run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    if color is not None:
        run.font.color.rgb = color
    return run


def fixed_spacing(paragraph, line_pt: float | None, *, before: float = 0, after: float = 0) -> None:
    pf = paragraph.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line_pt is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_pt)


def add_field(paragraph, instr: str, placeholder: str, font: str, size: float) -> None:
    """A complex field (e.g. PAGE) with its cached result."""

    def fld_char(kind: str):
        r = paragraph.add_run()
        style_run(r, font, size)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r._r.append(el)

    fld_char("begin")
    r = paragraph.add_run()
    style_run(r, font, size)
    instr_el = OxmlElement("w:instrText")
    instr_el.set(qn("xml:space"), "preserve")
    instr_el.text = f" {instr} "
    r._r.append(instr_el)
    fld_char("separate")
    style_run(paragraph.add_run(placeholder), font, size)
    fld_char("end")


def bottom_border(
    paragraph,
    *,
    color: str = "FF0000",
    size_eighths: int = 12,
    side: str = "bottom",
    style: str = "single",
) -> None:
    """A rule under (``side``: over) the paragraph as wide as the type area (the red
    分隔线; dashed, the cut line of a 回执)."""
    ppr = paragraph._p.get_or_add_pPr()
    pbdr = OxmlElement("w:pBdr")
    bottom = OxmlElement(f"w:{side}")
    bottom.set(qn("w:val"), style)
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), color)
    pbdr.append(bottom)
    # pBdr must come before spacing/ind/jc in CT_PPr order
    anchor = None
    for tag in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc"):
        anchor = ppr.find(qn(tag))
        if anchor is not None:
            break
    if anchor is not None:
        anchor.addprevious(pbdr)
    else:
        ppr.append(pbdr)


def table_properties(table, *, width_mm: float, cell_margin_mm: float = 1.5) -> None:
    """Total width and left/right cell margins, in the order CT_TblPr requires.

    python-docx already writes tblLayout=fixed (autofit = False) and tblLook; the
    width replaces its tblW "auto" and tblCellMar goes right before tblLook.
    """
    tblpr = table._tbl.tblPr
    tblw = tblpr.find(qn("w:tblW"))
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(Mm(width_mm).twips)))
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(Mm(cell_margin_mm).twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    look = tblpr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(mar)
    else:
        tblpr.append(mar)


# --------------------------------------------------------------------------- the builder


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, the grid columns it spans, its font size and whether its
    text must stay on one line (a 文号: shrink the font rather than wrap)."""

    text: str
    span: int = 1
    size: float | None = None
    nowrap: bool = False


CellSpec = str | tuple[str, int] | Cell


def _cell(spec: CellSpec) -> Cell:
    if isinstance(spec, Cell):
        return spec
    if isinstance(spec, tuple):
        return Cell(spec[0], spec[1])
    return Cell(spec)


def _on_off(parent, tag: str) -> None:
    """Append an on/off property such as <w:cantSplit/> (in schema order: callers
    append to property elements that have nothing after it)."""
    if parent.find(qn(tag)) is None:
        parent.append(OxmlElement(tag))


class Template:
    """One template document, built paragraph by paragraph."""

    def __init__(self, title: str) -> None:
        self.title_text = title
        self.doc = Document()
        self._setup_styles()
        self._setup_page()
        self._setup_footers()
        self._setup_font_table()
        self._drop_thumbnail()
        # Document() starts with one empty paragraph; reuse it as the first one.
        self._first = self.doc.paragraphs[0] if self.doc.paragraphs else None

    # ----- setup

    def _setup_styles(self) -> None:
        styles = self.doc.styles
        # docDefaults: explicit Chinese fonts, zh-CN, no spacing after
        rpr_default = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
        rpr = rpr_default.find(qn("w:rPr"))
        rfonts = rpr.find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), FANGSONG)
        lang = rpr.find(qn("w:lang"))
        lang.set(qn("w:eastAsia"), "zh-CN")
        ppr_default = styles.element.find(qn("w:docDefaults")).find(qn("w:pPrDefault"))
        spacing = ppr_default.find(qn("w:pPr")).find(qn("w:spacing"))
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")

        normal = styles["Normal"]
        normal.font.name = FANGSONG
        set_fonts(normal.element, FANGSONG)
        normal.font.size = Pt(BODY_PT)
        pf = normal.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(LINE_PT)
        pf.widow_control = False

        for name in ("Header", "Footer"):
            st = styles[name]
            st.font.name = SONGTI
            set_fonts(st.element, SONGTI)
            st.font.size = Pt(14)
            st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

        table_style = styles["Table Grid"]
        table_style.font.name = FANGSONG
        set_fonts(table_style.element, FANGSONG)
        table_style.font.size = Pt(TABLE_PT)

    def _setup_font_table(self) -> None:
        font_table = None
        for rel in self.doc.part.rels.values():
            if rel.reltype == RT.FONT_TABLE:
                font_table = rel.target_part
        if font_table is None:  # pragma: no cover - python-docx's template has one
            return
        root = parse_xml(font_table.blob)
        known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
        for name, (alt, family, pitch) in FONT_TABLE.items():
            if name in known:
                continue
            font = OxmlElement("w:font")
            font.set(qn("w:name"), name)
            for tag, val in (
                ("w:altName", alt),
                ("w:charset", "86"),
                ("w:family", family),
                ("w:pitch", pitch),
            ):
                el = OxmlElement(tag)
                el.set(qn("w:val"), val)
                font.append(el)
            root.append(font)
        font_table._blob = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", standalone=True
        )

    def _drop_thumbnail(self) -> None:
        """python-docx's default package carries a JPEG thumbnail: no images in templates."""
        rels = self.doc.part.package.rels
        for rid, rel in list(rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                rels.pop(rid)

    def _setup_page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Mm(210)
        section.page_height = Mm(297)
        section.top_margin = Mm(37)
        section.bottom_margin = Mm(35)
        section.left_margin = Mm(28)
        section.right_margin = Mm(26)
        section.header_distance = Mm(20)
        # 页码一字线上距版心下边缘 7 mm: 35 - 7 - about 5 mm of 四号 text
        section.footer_distance = Mm(23)

    def _setup_footers(self) -> None:
        """GB/T 9704 7.5: 4号半角宋体阿拉伯数字，左右各一条一字线；单页码居右空一字，
        双页码居左空一字. Odd pages use the default footer, even pages the even one
        (w:evenAndOddHeaders in the settings). No header: no running case number."""
        self.doc.settings.odd_and_even_pages_header_footer = True
        # a value's newline is a line break in a justified paragraph: without this, Word
        # and LibreOffice spread the line before it across the page (QA)
        compat = self.doc.settings.element.find(qn("w:compat"))
        if compat is not None and compat.find(qn("w:doNotExpandShiftReturn")) is None:
            compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
        section = self.doc.sections[0]
        for footer, align in ((section.footer, RIGHT), (section.even_page_footer, LEFT)):
            fp = footer.paragraphs[0]
            fp.alignment = align
            fixed_spacing(fp, None)
            if align == RIGHT:
                fp.paragraph_format.right_indent = Pt(BODY_PT)
            else:
                fp.paragraph_format.left_indent = Pt(BODY_PT)
            style_run(fp.add_run("— "), SONGTI, 14)
            add_field(fp, "PAGE", "1", SONGTI, 14)
            style_run(fp.add_run(" —"), SONGTI, 14)

    # ----- paragraphs

    def _new_paragraph(self):
        if self._first is not None:
            p, self._first = self._first, None
            return p
        return self.doc.add_paragraph()

    def para(
        self,
        text: str = "",
        *,
        font: str = FANGSONG,
        size: float = BODY_PT,
        align=JUSTIFY,
        indent: bool = True,
        bold: bool = False,
        color: RGBColor | None = None,
        line: float | None = LINE_PT,
        before: float = 0,
        after: float = 0,
        keep_next: bool = False,
    ):
        p = self._new_paragraph()
        p.alignment = align
        fixed_spacing(p, line, before=before, after=after)
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if keep_next:
            p.paragraph_format.keep_with_next = True
        if text:
            style_run(p.add_run(text), font, size, bold=bold, color=color)
        return p

    def blank(self, line: float | None = LINE_PT):
        return self.para("", indent=False, line=line)

    def banner(self, text: str = "{{ office }}") -> None:
        """发文机关标志 in red 小标宋, with the red rule under it."""
        self.para(text, font=XIAOBIAOSONG, size=26, align=CENTER, indent=False, color=RED, line=36)
        rule = self.para("", indent=False, line=6, after=0)
        bottom_border(rule)

    def title(self, text: str, *, before: float = 14, after: float = 14) -> None:
        """公文标题: 2号小标宋, centered."""
        self.para(
            text,
            font=XIAOBIAOSONG,
            size=TITLE_PT,
            align=CENTER,
            indent=False,
            line=36,
            before=before,
            after=after,
        )

    def addressee(self, text: str) -> None:
        """主送机关: flush left, full-width colon."""
        self.para(text, indent=False, align=LEFT)

    def heading1(self, text: str) -> None:
        """第一层结构层次 “一、” in 黑体."""
        self.para(text, font=HEITI)

    def signature(self, office: str = "{{ office }}", date: str = "{{ date_cn }}") -> None:
        """发文机关署名 and 成文日期, as with a seal (GB/T 9704 7.3.5.1): the date four
        characters in from the right, the 署名 centred over it (one centre tab stop)."""
        body = self.doc.paragraphs
        if body:  # no page with the signature alone (GB/T 9704 7.3.5.4): the last line goes along
            body[-1].paragraph_format.keep_with_next = True
        for text, before in ((office, LINE_PT), (date, 0)):
            # the 署名 keeps with its date: never a page that starts with a date alone
            p = self.para(indent=False, align=LEFT, before=before, keep_next=bool(before))
            p.paragraph_format.tab_stops.add_tab_stop(Mm(SIGN_CENTER_MM), WD_TAB_ALIGNMENT.CENTER)
            style_run(p.add_run(f"\t{text}"), FANGSONG, BODY_PT)

    def line_with_right(self, left: str, right: str, *, size: float = TABLE_PT, after=3) -> None:
        """One line with text flush left and text flush right (a right tab stop)."""
        p = self.para(indent=False, align=LEFT, line=size + 4, after=after, keep_next=True)
        p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
        style_run(p.add_run(f"{left}\t{right}"), FANGSONG, size)

    # ----- tables

    def table(
        self,
        widths_mm: Sequence[float],
        rows: Sequence[Sequence[CellSpec]],
        *,
        heights_mm: dict[int, float] | None = None,
        exact: Sequence[int] = (),
        label_cols: Sequence[int] = (0, 2),
        header_rows: Sequence[int] = (),
        size: float = TABLE_PT,
        row_mm: float = 10,
        flow: Sequence[int] = (),
    ):
        """A form table. Each row is a list of cells (text, (text, span) or a Cell).

        Cells in `label_cols` (grid positions) are labels, centered in 仿宋.
        Rows in `header_rows` are shaded headings in 黑体. Every row is at least
        `row_mm` high (`heights_mm` per row; rows in `exact` exactly that high), never
        splits across pages, and keeps with the next, so the table stays on one page
        with what follows it. Rows in `flow` hold a text of any length (a 督办事项 of
        1,200 characters): they may split across pages and do not keep with the next,
        so a long text runs on to the next page where it must, the table starting on
        the first (a chain of rows kept together that no page can hold would be pushed
        whole to the next page, leaving the title alone on the first).
        """
        # a table needs a paragraph-level anchor: consume the pending first paragraph
        if self._first is not None:
            self._first._p.getparent().remove(self._first._p)
            self._first = None
        ncols = len(widths_mm)
        if abs(sum(widths_mm) - TEXT_WIDTH_MM) > 0.01:
            raise ValueError(f"{self.title_text!r}: table is {sum(widths_mm)} mm wide")
        table = self.doc.add_table(rows=len(rows), cols=ncols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False  # tblLayout fixed
        table_properties(table, width_mm=sum(widths_mm))
        grid = table._tbl.tblGrid
        for gc, w in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
            gc.set(qn("w:w"), str(int(Mm(w).twips)))
        heights_mm = heights_mm or {}
        for r, spec in enumerate(rows):
            row = table.rows[r]
            height = heights_mm.get(r, row_mm)
            row.height = Mm(height)
            row.height_rule = (
                WD_ROW_HEIGHT_RULE.EXACTLY if r in exact else WD_ROW_HEIGHT_RULE.AT_LEAST
            )
            if r not in flow:
                _on_off(row._tr.get_or_add_trPr(), "w:cantSplit")
            cells = [_cell(c) for c in spec]
            if sum(c.span for c in cells) != ncols:
                raise ValueError(f"row {r} of {self.title_text!r} spans {cells} != {ncols}")
            col = 0
            for spec_cell in cells:
                cell = row.cells[col]
                if spec_cell.span > 1:
                    cell = cell.merge(row.cells[col + spec_cell.span - 1])
                cell.width = Mm(sum(widths_mm[col : col + spec_cell.span]))
                is_label = col in label_cols and spec_cell.span == 1
                is_head = r in header_rows
                self._fill_cell(
                    cell,
                    spec_cell,
                    size=spec_cell.size or size,
                    font=HEITI if is_head else FANGSONG,
                    align=CENTER if (is_label or is_head) else LEFT,
                    tall=height > 15,
                    keep_next=r < len(rows) - 1 and r not in flow,
                )
                col += spec_cell.span
        # the tcW of every grid cell, so Word and LibreOffice agree on widths
        for row in table.rows:
            for idx, cell in enumerate(row.cells):
                if cell._tc.grid_span == 1:
                    cell.width = Mm(widths_mm[idx])
        return table

    def _fill_cell(
        self, cell, spec: Cell, *, size: float, font: str, align, tall: bool, keep_next: bool
    ) -> None:
        for extra in cell.paragraphs[1:]:
            extra._p.getparent().remove(extra._p)
        cell.vertical_alignment = (
            WD_CELL_VERTICAL_ALIGNMENT.TOP if tall else WD_CELL_VERTICAL_ALIGNMENT.CENTER
        )
        if spec.nowrap:
            tcpr = cell._tc.get_or_add_tcPr()
            no_wrap = OxmlElement("w:noWrap")
            anchor = tcpr.find(qn("w:vAlign"))  # CT_TcPr: noWrap comes before tcMar and vAlign
            if anchor is not None:
                anchor.addprevious(no_wrap)
            else:
                tcpr.append(no_wrap)
        lines = spec.text.split("\n")
        for i, line_text in enumerate(lines):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.alignment = align
            # exact line spacing: the row heights hold whatever font is substituted
            fixed_spacing(p, size + 4, before=2 if i == 0 else 0, after=2)
            if keep_next:
                p.paragraph_format.keep_with_next = True
            if line_text:
                style_run(p.add_run(line_text), font, size)

    def note(
        self, text: str, *, size: float = SMALL_PT, before: float = 4, keep_next: bool = False
    ) -> None:
        self.para(
            text,
            size=size,
            indent=False,
            align=LEFT,
            line=size + 4,
            before=before,
            keep_next=keep_next,
        )

    # ----- output

    def save(self, path: Path) -> None:
        cp = self.doc.core_properties
        cp.title = self.title_text
        cp.subject = "procdoc template"
        cp.author = "procdoc"
        cp.last_modified_by = "procdoc"
        cp.comments = "Generated by tools/make_templates.py; edit the script, not this file."
        cp.keywords = ""
        cp.category = ""
        cp.revision = 1
        cp.created = FIXED_TIME
        cp.modified = FIXED_TIME
        cp.last_printed = FIXED_TIME
        buf = io.BytesIO()
        self.doc.save(buf)
        path.write_bytes(normalize_zip(buf.getvalue()))


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a .docx with fixed timestamps and attributes so builds are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- the templates
#
# Jinja notes: every tag sits inside one run (the builder writes each text as one run),
# so docxtpl sees it whole. Empty fields are "" (defined), hence `or` defaults and
# `{% if x %}` guards. A field a minimal process may not have at all (SPEC §2's 信访事项办理
# has no content, handler_org or phone) is guarded with Jinja's own means instead,
# `x|default(y, true)` and `{% if x is defined and x %}`: validate then counts it as
# optional, and the document reads the same when the field is there.
# Numbers are formatted only when they are numbers (`is number`).
# No curly quotes inside {{ }} / {% %}: docxtpl turns them into straight quotes.

#: the amount in figures, 2,130.40 (procdoc's filter money; a text as given, "" when empty)
NUMBER_OR_BLANK = "{{ amount|money }}"
#: the amount in capital numerals (procdoc's filter rmb_upper: 1234.5 -> 壹仟贰佰叁拾肆元伍角整;
#: "" when empty, a text that holds no number as it is)
AMOUNT_UPPER = "{{ amount|rmb_upper }}"


#: The 信访人 and the matter, as the 信访 letters open.
PETITION = (
    "你于{{ received_cn|default(opened_cn, true) }}"
    "{% if channel is defined and channel %}以{{ channel }}形式{% endif %}提出的信访事项"
)
MATTER = "信访事项：{{ content|default(title, true) }}"


def letter(title: str, to: str = "{{ petitioner }}：", *, spacing: float = 14) -> Template:
    """A letter: 发文机关标志, title (``spacing`` pt above and below) and 主送."""
    t = Template(title)
    t.banner()
    t.title(title, before=spacing, after=spacing)
    t.addressee(to)
    return t


def petition_letter(title: str, received: str) -> Template:
    """A letter to the 信访人 that says when and how the matter came (``received`` ends
    that sentence) and the matter."""
    t = letter(title)
    t.para(PETITION + received)
    t.para(MATTER)
    return t


def build_urge_notice() -> Template:
    """催办通知书 — any process; core variables only. Listed as
    `{template: urge_notice, when: overdue}` on the steps that do the work."""
    t = letter("催办通知书", "{{ addressee }}：", spacing=10)
    t.para(
        "由你承办的“{{ title }}”（{{ process }}，编号{{ id }}"
        "{% if source_org %}，来文单位：{{ source_org }}{% endif %}"
        "{% if source_no %}，来文字号：{{ source_no }}{% endif %}）"
        "目前处于“{{ step }}”环节"
        "{% if step_limit %}，该环节办理时限为{{ step_limit }}{% endif %}"
        "{% if due_cn %}，应于{{ due_cn }}前办结{% endif %}。"
        "{% if late_days %}截至{{ date_cn }}，已逾期{{ late_days }}日"
        "{% if late_workdays %}（{{ late_workdays }}个工作日）{% endif %}，尚未办结。"
        "{% else %}截至{{ date_cn }}，该事项尚未办结。{% endif %}"
    )
    t.para(
        "请抓紧办理，并于收到本通知后一个工作日内填写下方回执，反馈办理进展；"
        "确有困难不能按期办结的，请书面说明原因和预计办结时间，经批准后办理延期。"
    )
    t.para("特此催办。")
    t.signature()
    # the cut line: a dashed rule over the whole type area (dashes typed as text fell
    # short of the table's width on paper: QA), 回执 centred under it
    cut = t.para("回　执", size=SMALL_PT, align=CENTER, indent=False, line=SMALL_PT + 4,
                 before=10, keep_next=True)  # fmt: skip
    bottom_border(cut, color="000000", size_eighths=6, side="top", style="dashed")
    t.table(
        [26, 52, 26, 52],
        [
            ["事项", Cell("{{ title }}", 3, SMALL_PT)],
            ["办理进展", ("", 3)],
            ["反馈人", "", "反馈日期", "　　年　　月　　日"],
        ],
        heights_mm={1: 22},
        row_mm=9,
    )
    return t


#: The 办结期限 as it stood before any extension: the deadline the first extension of the
#: 信访办理 step moved (in the library's 信访 process the 办结期限 is that step's; a 复核
#: extension is not the 办结期限's), else the case's.
FIRST_DUE = (
    "{% for e in extensions if e.step_id == 'handle' and e.old_cn %}"
    "{% if loop.first %}{{ e.old_cn }}{% endif %}{% else %}{{ case_due_cn }}{% endfor %}"
)


def build_accept_notice() -> Template:
    """信访事项受理告知书 — xinfang, step 受理交办."""
    t = petition_letter("信访事项受理告知书", "收悉。")
    t.para(
        "根据《信访工作条例》有关规定，经审查，该事项属于本机关职权范围，决定予以受理"
        "{% if handler_org is defined and handler_org %}，并已交由{{ handler_org }}办理{% endif %}。"
    )
    # the deadline as it stood at 受理 (the letter's date): an extension granted later is
    # told by the 延期办理告知书, never by a letter dated before it (QA)
    t.para(
        "{% if case_due_cn %}本机关将于" + FIRST_DUE + "前办结（自受理之日起60日内）；"
        "情况复杂的，经本机关负责人批准可以适当延长办理期限，但延长期限不超过30日，届时将告知你"
        "延期理由。{% else %}本机关将自受理之日起60日内办结；情况复杂的，经本机关负责人批准可以"
        "适当延长办理期限，但延长期限不超过30日，届时将告知你延期理由。{% endif %}"
        "办结后将向你出具书面信访处理意见。"
    )
    t.para(
        "请保持联系方式畅通{% if phone is defined and phone %}（登记的联系电话：{{ phone }}）{% endif %}，"
        "联系方式变更的请及时告知。"
    )
    t.para("特此告知。")
    t.signature()
    return t


def build_reject_notice() -> Template:
    """信访事项不予受理告知书 — xinfang, step 不予受理告知."""
    t = petition_letter("信访事项不予受理告知书", "收悉。")
    t.para(
        "经审查，根据《信访工作条例》有关规定，本机关决定不予受理。"
        "{% if reject_reason %}理由如下：{{ reject_reason }}{% endif %}"
    )
    t.para(
        "对依法应当通过诉讼、仲裁、行政复议等法定途径解决的事项，"
        "请依照有关法律、行政法规规定的程序向有关机关提出。"
    )
    t.para("特此告知。")
    t.signature()
    return t


def build_extend_notice() -> Template:
    """信访事项延期办理告知书 — xinfang, step 信访办理 (信访工作条例 第三十四条)."""
    t = petition_letter("信访事项延期办理告知书", "，本机关已依法受理。")
    t.para(
        "{% if extended %}因{{ last_extension.reason }}，该事项不能在规定期限内办结。"
        "根据《信访工作条例》第三十四条，经本机关负责人批准，办理期限延长"
        "{{ last_extension.duration }}，延长后的办结期限为"
        "{{ last_extension.new_cn or case_due_cn or due_cn }}。"
        "{% else %}该事项情况复杂，不能在规定期限内办结。根据《信访工作条例》第三十四条，"
        "经本机关负责人批准，办理期限适当延长，延长后的办结期限为"
        "{{ case_due_cn or due_cn }}。{% endif %}"
    )
    t.para("办结后将向你出具书面信访处理意见。请保持联系方式畅通。")
    t.para("特此告知。")
    t.signature()
    return t


def build_xinfang_opinion() -> Template:
    """信访处理意见书 — xinfang, step 信访办理 (信访工作条例 第三十二条)."""
    t = petition_letter("信访处理意见书", "，本机关已依法受理。")
    t.para(
        "本机关{% if handler_org %}（承办单位：{{ handler_org }}）{% endif %}"
        "依照《信访工作条例》第三十二条的规定，对该事项进行了调查核实，听取了你的意见。"
        "现将处理意见告知如下："
    )
    t.para("{{ result }}")
    t.para("如对本处理意见不服，可以自收到本意见书之日起30日内，请求原办理机关的上一级机关复查。")
    t.signature()
    return t


def build_review_opinion() -> Template:
    """信访事项复查意见书 — xinfang, step 信访复查 (信访工作条例 第三十五条)."""
    t = letter("信访事项复查意见书")
    t.para(
        "你对{{ handler_org or '原办理机关' }}就你"
        + PETITION[1:]
        + "作出的信访处理意见不服，{% if entered_cn %}于{{ entered_cn }}{% endif %}"
        "提出复查请求。本机关依照《信访工作条例》第三十五条的规定进行了复查。"
    )
    t.para(MATTER)
    t.para("{% if result %}原处理意见：{{ result }}{% endif %}")
    t.heading1("复查意见")
    t.para("{{ review_result }}")
    t.para("如对本复查意见不服，可以自收到本意见书之日起30日内，向复查机关的上一级机关请求复核。")
    t.signature()
    return t


def build_transfer_letter() -> Template:
    """信访事项转送（交办）函 — xinfang, step 受理交办 (信访工作条例 第二十二、二十三条)."""
    t = letter("信访事项转送（交办）函", "{{ handler_org or '有关单位' }}：")
    t.para(
        "现将{{ petitioner }}{% if phone %}（联系电话：{{ phone }}）{% endif %}"
        "于{{ received_cn or opened_cn }}{% if channel %}以{{ channel }}形式{% endif %}"
        "反映的信访事项（编号{{ id }}）转送你单位办理。"
    )
    t.para(MATTER)
    t.para(
        "请依照《信访工作条例》的规定及时办理，自受理之日起60日内办结"
        "{% if case_due_cn %}（" + FIRST_DUE + "前）{% endif %}，"
        "书面答复信访人，并将办理结果报送本机关。"
        "该事项不属于你单位职权范围的，请自收到本函之日起5个工作日内提出异议并说明理由。"
    )
    t.para("附件：信访材料　　份")
    t.signature()
    return t


def build_delivery_receipt() -> Template:
    """送达回证 — xinfang, steps 受理交办, 不予受理告知, 信访答复, 复查答复."""
    t = Template("送达回证")
    t.title("{{ office }}\n送达回证", before=0)
    t.line_with_right("编号：{{ id }}", "")
    document = (
        "{% if step_id == 'assign' %}信访事项受理告知书"
        "{% elif step_id == 'reject' %}信访事项不予受理告知书"
        "{% elif step_id == 'reply' %}信访处理意见书"
        "{% elif step_id == 'review_reply' %}信访事项复查意见书"
        # rendered for a case at another step (`render --case`): a line to write the
        # document's name on, not an empty cell that reads as nothing sent
        "{% else %}＿＿＿＿＿＿＿＿＿＿＿＿（文书名称）{% endif %}"
    )
    t.table(
        [34, 122],
        [
            ["送达文书", document],
            ["受送达人", "{{ petitioner }}"],
            ["送达地址", Cell("{{ address }}", size=SMALL_PT)],
            ["联系电话", "{{ phone }}"],
            ["送达方式", "□直接送达　□邮寄送达　□委托送达　□电子送达"],
            ["送达人", ""],
            ["受送达人\n签名或盖章", "\n\n　　　　　　　　　　　　　　　　年　　月　　日"],
            ["代收人及\n代收理由", "\n\n　　　　　　　　　　　　　　　　年　　月　　日"],
            ["备注", ""],
        ],
        heights_mm={6: 30, 7: 26, 8: 20},
        label_cols=(0,),
        row_mm=14,
    )
    t.note(
        "注：受送达人拒绝签收的，送达人应在备注栏注明拒收事由和日期，由送达人、见证人签名，"
        "把文书留在受送达人的住所，即视为送达。本回证随信访案卷归档。",
        before=6,
    )
    return t


def build_notice() -> Template:
    """会议通知 — huiyi, step 发会议通知."""
    t = Template("会议通知")
    t.banner()
    t.title("关于召开{{ meeting_name or title }}的通知")
    t.addressee("各有关单位：")
    t.para("经研究，决定召开{{ meeting_name or title }}。现将有关事项通知如下：")
    t.heading1("一、会议时间")
    t.para(
        "{{ meeting_time_cn }}"
        "{% if meeting_time is string and meeting_time|length > 10 %}"
        "{{ meeting_time[11:13]|int }}:{{ meeting_time[14:16] }}{% endif %}"
        "{% if meeting_time_cn %}。{% endif %}"
        "{% if host %}会议由{{ host }}主持。{% endif %}"
    )
    t.heading1("二、会议地点")
    t.para("{{ place }}")
    t.heading1("三、会议议题")
    t.para("{{ agenda }}")
    t.heading1("四、参会人员")
    t.para("{{ attendees }}")
    t.heading1("五、有关要求")
    t.para(
        "{{ requirements or '请参会人员提前10分钟到达会场签到，会议期间将手机调至静音；"
        "因故不能参会的，请提前向会议联系人请假。' }}"
    )
    t.para(
        "{% if contact or phone %}联系人：{{ contact }}{% if phone %}，"
        "联系电话：{{ phone }}{% endif %}{% endif %}"
    )
    t.signature()
    return t


def build_duban() -> Template:
    """督办单 — duban, step 督办交办."""
    t = Template("督办单")
    t.title("{{ office }}督办单", before=0)
    t.line_with_right("督办编号：{{ id }}", "交办日期：{{ date_cn }}")
    small = SMALL_PT
    t.table(
        [26, 52, 26, 52],
        [
            ["督办事项", ("{{ title }}", 3)],
            ["来源", "{{ source_type }}", "批示领导", "{{ leader }}"],
            ["事项内容", Cell("{{ matter }}", 3, small)],
            ["任务要求", Cell("{{ requirement }}", 3, small)],
            [
                "主办单位",
                Cell("{{ lead_org }}", size=small),
                "协办单位",
                Cell("{{ co_org }}", size=small),
            ],
            ["主办人", "{{ owner }}", "分管领导", "{{ supervisor }}"],
            ["完成时限", "{{ due_date_cn }}", "反馈频次", "{{ feedback_freq }}"],
            ["最近反馈", "{{ last_feedback_cn }}", "状态", "{{ status }}"],
            ["进展情况", Cell("{{ progress }}", 3, small)],
            ["督办意见", ("", 3)],
            ["办结情况", ("", 3)],
        ],
        heights_mm={0: 12, 2: 26, 3: 22, 4: 12, 8: 32, 9: 15, 10: 15},
        row_mm=9,
        flow=(2, 3, 8),  # 事项内容, 任务要求, 进展情况: texts of any length
    )
    t.note(
        "说明：请主办单位按反馈频次报送进展情况，于完成时限前办结并书面报告办理结果；"
        "不能按期办结的，应提前说明原因，经分管领导同意后延期。"
    )
    return t


#: The 办理时限 of a 收文 by its 紧急程度: the limit of the 承办 step it goes to.
SHOUWEN_LIMIT = (
    "{% if urgency == '特急' %}{{ limits.handle_urgent }}"
    "{% elif urgency == '加急' %}{{ limits.handle_priority }}"
    "{% else %}{{ limits.handle_normal }}{% endif %}"
)


def build_shouwen() -> Template:
    """收文处理笺 — shouwen, steps 收文登记 / 收文初审 / 领导批办."""
    t = Template("收文处理笺")
    t.title("{{ office }}收文处理笺", before=0)
    t.line_with_right("收文编号：{{ recv_no }}", "登记日期：{{ opened_cn }}")
    small = SMALL_PT
    t.table(
        [24, 54, 24, 54],
        [
            [
                "来文单位",
                Cell("{{ from_org }}", size=small),
                "来文字号",
                Cell("{{ doc_no }}", size=small, nowrap=True),
            ],
            [  # every short value in 小四, as the long ones beside them (QA: two sizes)
                "来文日期",
                Cell("{{ received_cn }}", size=small),
                "份数",
                Cell("{{ copies|int if copies is number else copies }}", size=small),
            ],
            [
                "紧急程度",
                Cell("{{ urgency }}", size=small),
                "密级",
                Cell("{{ secrecy }}", size=small),
            ],
            ["文件标题", Cell("{{ title }}", 3)],
            [
                "办理时限",
                Cell(SHOUWEN_LIMIT, size=small),
                "承办部门",
                Cell("{{ undertaker }}", size=small),
            ],
            ["拟办意见", Cell("{{ opinion }}", 3, small)],
            ["领导批示", Cell("{{ instruction }}\n批示领导：{{ leader }}", 3, small)],
            ["办理结果", Cell("{{ result }}", 3, small)],
            [  # (承办人, not procdoc's 当前环节: the form is the office's)
                "登记人",
                Cell("{{ registrar or registered_by }}", size=small),
                "承办人",
                Cell("{{ assignee }}", size=small),
            ],
            ["备注", Cell("", 3, small)],
        ],
        heights_mm={3: 14, 5: 18, 6: 66, 7: 18, 9: 14},
        row_mm=9,
    )
    t.note("注：紧急公文须在处理笺上注明办理时限，并由专人负责催办。")
    return t


def build_baoxiao() -> Template:
    """报销审批单 — baoxiao, steps 报销提交 / 出纳付款."""
    t = Template("报销审批单")
    t.title("{{ office }}报销审批单")
    t.line_with_right("单据编号：{{ id }}", "填报日期：{{ opened_cn }}")
    t.table(
        [26, 52, 26, 52],
        [
            ["申请人", "{{ applicant }}", "部门", "{{ department }}"],
            [
                "费用类别",
                "{{ category }}",
                "票据张数",
                "{% if invoice_count is number %}{{ invoice_count|int }} 张"
                "{% else %}{{ invoice_count }}{% endif %}",
            ],
            ["报销事由", ("{{ reason }}", 3)],
            ["报销金额", ("人民币（小写）：¥" + NUMBER_OR_BLANK, 3)],
            ["金额大写", ("人民币（大写）：" + AMOUNT_UPPER, 3)],
        ],
        heights_mm={2: 22},
    )
    t.note("审批记录", size=TABLE_PT, before=8, keep_next=True)
    t.table(
        [40, 60, 28, 28],  # 部门负责人会签 on one line (at 34 mm it broke before 签: QA)
        [
            ["审批环节", "审批意见", "签字", "日期"],
            ["部门审核", "", "", ""],
            ["财务会签", "", "", ""],
            ["部门负责人会签", "", "", ""],
            [
                "总经理审批",
                "{% if amount is number and amount <= 5000 %}金额未超过5000元，无需审批{% endif %}",
                "",
                "",
            ],
            ["出纳付款", "", "", "{{ paid_date_cn }}"],
        ],
        heights_mm={1: 16, 2: 16, 3: 16, 4: 16, 5: 16},
        label_cols=(0,),
        header_rows=(0,),
    )
    return t  # (no 当前环节/状态 line: procdoc's bookkeeping is not the form's, QA)


TEMPLATES = {
    "accept_notice": build_accept_notice,
    "reject_notice": build_reject_notice,
    "extend_notice": build_extend_notice,
    "xinfang_opinion": build_xinfang_opinion,
    "review_opinion": build_review_opinion,
    "transfer_letter": build_transfer_letter,
    "delivery_receipt": build_delivery_receipt,
    "urge_notice": build_urge_notice,
    "duban": build_duban,
    "notice": build_notice,
    "shouwen": build_shouwen,
    "baoxiao": build_baoxiao,
}


def main(argv: Sequence[str] = ()) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    for name, build in TEMPLATES.items():
        path = out / f"{name}.docx"
        build().save(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
