"""The small XML parts of a workbook: workbook.xml, relationships, content types, styles,
shared strings and tables. They are parsed with lxml and only re-serialised when changed."""

from __future__ import annotations

import copy
import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from lxml import etree

from procdoc.errors import LedgerError
from procdoc.i18n import _
from procdoc.ledger import zipraw
from procdoc.ledger.cells import format_kind, sheet_name_problem

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_TYPE = DOC_REL  # relationship types share this prefix
RT_OFFICE_DOCUMENT = f"{REL_TYPE}/officeDocument"
RT_WORKSHEET = f"{REL_TYPE}/worksheet"
RT_CALC_CHAIN = f"{REL_TYPE}/calcChain"
RT_SHARED_STRINGS = f"{REL_TYPE}/sharedStrings"
RT_STYLES = f"{REL_TYPE}/styles"
RT_TABLE = f"{REL_TYPE}/table"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_CALC_CHAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"

Element = Any  # lxml elements are untyped here

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


#: The <workbook> children that come after <calcPr>, in the order the schema fixes (a new
#: <calcPr> goes before the first of them; <definedNames> before <calcPr> itself).
AFTER_CALC_PR = (
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def parse_xml(data: bytes, where: str) -> Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise LedgerError(
            _("{where} is not well-formed XML ({exc})").format(where=where, exc=exc)
        ) from exc


def serialise(root: Element) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


_X_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape_x(text: str) -> str:
    """Decode Excel's ``_xHHHH_`` escapes (``_x005F_`` protects a literal one)."""
    if "_x" not in text:
        return text
    return _X_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def xml_text(raw: bytes) -> str:
    """Element content bytes (no markup) as text: entities and ``_xHHHH_`` decoded."""
    return unescape_x(html.unescape(raw.decode("utf-8")))


@dataclass
class SheetRef:
    name: str
    index: int  # position in <sheets>, which is what localSheetId counts
    rid: str
    path: str | None  # zip member name
    kind: str  # "worksheet", "chartsheet", ...


class Package:
    """A workbook's parts index: sheets, relationships and the members that may change."""

    def __init__(self, f: BinaryIO, members: list[zipraw.Member], display: str) -> None:
        self.f = f
        self.members = members
        self.display = display
        self._by_lower = {m.name.lower(): m for m in members}
        self.changed: dict[str, bytes] = {}  # member name -> new content
        self.dropped: set[str] = set()
        self.added_paths: list[str] = []
        root_rels = self.rels_of("")
        targets = [t for t, typ in root_rels.values() if typ == RT_OFFICE_DOCUMENT]
        if not targets:
            raise LedgerError(
                _("{display} has no workbook part (_rels/.rels names none)").format(display=display)
            )
        self.workbook_path = targets[0]
        self.workbook = parse_xml(self.read(self.workbook_path), self.workbook_path)
        if self.workbook.tag == q("workbook", STRICT_MAIN):
            raise LedgerError(
                _(
                    "{display} is saved as 'Strict Open XML'; save it in Excel as an ordinary Excel Workbook (.xlsx) and run again"
                ).format(display=display)
            )
        if self.workbook.tag != q("workbook"):
            raise LedgerError(
                _("{display}: {workbook_path} is not a SpreadsheetML workbook").format(
                    display=display, workbook_path=self.workbook_path
                )
            )
        self.workbook_rels_path = rels_path(self.workbook_path)
        self.workbook_rels = parse_xml(self.read(self.workbook_rels_path), self.workbook_rels_path)
        self.content_types = parse_xml(self.read("[Content_Types].xml"), "[Content_Types].xml")
        pr = self.workbook.find(q("workbookPr"))
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        rels = self._rels_map(self.workbook_rels, self.workbook_path)
        self.sheets: list[SheetRef] = []
        sheets_el = self.workbook.find(q("sheets"))
        for i, el in enumerate(sheets_el if sheets_el is not None else []):
            if el.tag != q("sheet"):
                continue
            rid = el.get(q("id", DOC_REL), "")
            target, typ = rels.get(rid, (None, ""))
            self.sheets.append(SheetRef(el.get("name", ""), i, rid, target, typ.rsplit("/", 1)[-1]))
        self.calc_chain = next((t for t, typ in rels.values() if typ == RT_CALC_CHAIN), None)
        self.shared_strings = next(
            (t for t, typ in rels.values() if typ == RT_SHARED_STRINGS), None
        )
        self.styles_path = next((t for t, typ in rels.values() if typ == RT_STYLES), None)
        self.workbook_changed = False
        self.rels_changed = False
        self.types_changed = False

    # -- members -----------------------------------------------------------------------

    def member(self, name: str) -> zipraw.Member | None:
        return self._by_lower.get(name.lower())

    def read(self, name: str) -> bytes:
        member = self.member(name)
        if member is None:
            raise LedgerError(
                _("{display} lacks the part {name}").format(display=self.display, name=name)
            )
        return zipraw.read_member(self.f, member)

    def rels_of(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (target member, type) for a part ("" for the package itself)."""
        path = rels_path(part)
        if self.member(path) is None:
            return {}
        return self._rels_map(parse_xml(self.read(path), path), part)

    def _rels_map(self, root: Element, part: str) -> dict[str, tuple[str, str]]:
        base = posixpath.dirname(part)
        out: dict[str, tuple[str, str]] = {}
        for rel in root.iter(q("Relationship", PKG_REL)):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(base, target)
            path = posixpath.normpath(path)
            found = self.member(path)
            out[rel.get("Id", "")] = (found.name if found else path, rel.get("Type", ""))
        return out

    def sheet(self, name: str) -> SheetRef | None:
        for ref in self.sheets:
            if ref.name == name:
                return ref
        return None

    # -- workbook-level edits ----------------------------------------------------------

    def ensure_full_calc(self) -> None:
        """Make Excel recalculate every formula when it opens the file."""
        calc = self.workbook.find(q("calcPr"))
        if calc is not None and calc.get("fullCalcOnLoad") in ("1", "true"):
            return
        if calc is None:
            calc = etree.Element(q("calcPr"))
            insert_before(self.workbook, calc, AFTER_CALC_PR)
        calc.set("fullCalcOnLoad", "1")
        self.workbook_changed = True

    def full_calc_set(self) -> bool:
        calc = self.workbook.find(q("calcPr"))
        return calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")

    def drop_calc_chain(self) -> None:
        """Remove calcChain.xml with its relationship and content type."""
        if self.calc_chain is None:
            return
        self.dropped.add(self.calc_chain)
        for rel in list(self.workbook_rels.iter(q("Relationship", PKG_REL))):
            if rel.get("Type") == RT_CALC_CHAIN:
                rel.getparent().remove(rel)
                self.rels_changed = True
        part = "/" + self.calc_chain
        for el in list(self.content_types.iter(q("Override", CT))):
            if el.get("PartName", "").lower() == part.lower():
                el.getparent().remove(el)
                self.types_changed = True
        self.calc_chain = None

    def filter_database(self, ref: SheetRef, old: str, new: str) -> None:
        """Point the sheet's ``_xlnm._FilterDatabase`` name at ``new`` if it showed ``old``."""
        names = self.workbook.find(q("definedNames"))
        if names is None:
            return
        for el in names.iter(q("definedName")):
            if el.get("name") != "_xlnm._FilterDatabase" or el.get("localSheetId") != str(
                ref.index
            ):
                continue
            text = el.text or ""
            sheet_part, bang, rng = text.rpartition("!")
            if not bang or _strip_dollars(rng) != _strip_dollars(old):
                continue
            el.text = f"{sheet_part}!{_absolute(new)}"
            self.workbook_changed = True

    def grow_print_area(self, ref: SheetRef, last_before: int, last_after: int) -> None:
        """Rows appended right below the sheet's print area join it: an area that ended at
        the last row holding a value (``last_before``) is made to end at ``last_after``,
        so the register prints its new rows as the office printed the old ones. An area
        that ends elsewhere, or names several ranges, is the office's and is left alone."""
        names = self.workbook.find(q("definedNames"))
        if names is None or last_after <= last_before:
            return
        for el in names.iter(q("definedName")):
            if el.get("name") != "_xlnm.Print_Area" or el.get("localSheetId") != str(ref.index):
                continue
            text = el.text or ""
            sheet_part, bang, rng = text.rpartition("!")
            m = re.fullmatch(r"(\$?[A-Za-z]+\$?\d+):(\$?[A-Za-z]+)(\$?)(\d+)", rng)
            if not bang or m is None or int(m.group(4)) != last_before:
                continue
            el.text = f"{sheet_part}!{m.group(1)}:{m.group(2)}{m.group(3)}{last_after}"
            self.workbook_changed = True

    def check_can_add_sheet(self, name: str) -> None:
        """Refuse to add a sheet to a workbook whose structure is protected."""
        protection = self.workbook.find(q("workbookProtection"))
        if protection is not None and protection.get("lockStructure") in ("1", "true"):
            raise LedgerError(
                _(
                    "{display} has a protected structure, so procdoc cannot add the sheet {name}; unprotect it in Excel (审阅 → 保护工作簿) and run again"
                ).format(display=self.display, name=name)
            )

    def add_sheet(self, name: str) -> SheetRef:
        """Add a worksheet part and register it in workbook.xml, its rels and content types.
        A name Excel cannot take is refused (LibreOffice renamed such a sheet Sheet1 on
        saving, and the register was lost: QA)."""
        problem = sheet_name_problem(name)
        if problem is not None:
            raise LedgerError(
                _("{display}: procdoc cannot add the sheet '{name}': {problem}").format(
                    display=self.display, name=name, problem=problem
                ),
                hint=_(
                    "name the register's sheet under registers: in procdoc.yaml (registers: ID: sheet: NAME); nothing was written"
                ),
            )
        existing = {m.name.lower() for m in self.members} | {n.lower() for n in self.added_paths}
        base = posixpath.dirname(self.workbook_path)
        n = 1
        while posixpath.join(base, f"worksheets/sheet{n}.xml").lower() in existing:
            n += 1
        path = posixpath.join(base, f"worksheets/sheet{n}.xml")
        ids = {rel.get("Id") for rel in self.workbook_rels.iter(q("Relationship", PKG_REL))}
        k = len(ids) + 1
        while f"rId{k}" in ids:
            k += 1
        rid = f"rId{k}"
        rel = etree.SubElement(self.workbook_rels, q("Relationship", PKG_REL))
        rel.set("Id", rid)
        rel.set("Type", RT_WORKSHEET)
        rel.set("Target", f"worksheets/sheet{n}.xml")
        self.rels_changed = True
        override = etree.SubElement(self.content_types, q("Override", CT))
        override.set("PartName", "/" + path)
        override.set("ContentType", CT_WORKSHEET)
        self.types_changed = True
        sheets_el = self.workbook.find(q("sheets"))
        if sheets_el is None:
            raise LedgerError(
                _("{display}: workbook.xml has no <sheets>").format(display=self.display)
            )
        ids_used = [int(el.get("sheetId", "0")) for el in sheets_el if el.tag == q("sheet")]
        sheet_el = etree.SubElement(sheets_el, q("sheet"))
        sheet_el.set("name", name)
        sheet_el.set("sheetId", str(max(ids_used, default=0) + 1))
        sheet_el.set(q("id", DOC_REL), rid)
        self.workbook_changed = True
        ref = SheetRef(name, len(self.sheets), rid, path, "worksheet")
        self.sheets.append(ref)
        self.added_paths.append(path)
        return ref

    def add_filter_database(self, ref: SheetRef, rng: str) -> None:
        """The hidden name Excel keeps for a sheet's autofilter range."""
        self._add_name(ref, "_xlnm._FilterDatabase", _absolute(rng), hidden=True)

    def add_print_titles(self, ref: SheetRef, row: int) -> None:
        """Print row ``row`` at the top of every page of the sheet."""
        self._add_name(ref, "_xlnm.Print_Titles", f"${row}:${row}")

    def _add_name(self, ref: SheetRef, name: str, target: str, *, hidden: bool = False) -> None:
        names = self.workbook.find(q("definedNames"))
        if names is None:
            names = etree.Element(q("definedNames"))
            insert_before(self.workbook, names, ("calcPr", *AFTER_CALC_PR))
        el = etree.SubElement(names, q("definedName"))
        el.set("name", name)
        el.set("localSheetId", str(ref.index))
        if hidden:
            el.set("hidden", "1")
        el.text = f"{quote_sheet(ref.name)}!{target}"
        self.workbook_changed = True

    def finish(self) -> None:
        """Serialise the small parts that changed into ``self.changed``."""
        if self.workbook_changed:
            self.changed[self._name(self.workbook_path)] = serialise(self.workbook)
        if self.rels_changed:
            self.changed[self._name(self.workbook_rels_path)] = serialise(self.workbook_rels)
        if self.types_changed:
            self.changed[self._name("[Content_Types].xml")] = serialise(self.content_types)

    def _name(self, path: str) -> str:
        member = self.member(path)
        return member.name if member else path


def rels_path(part: str) -> str:
    if not part:
        return "_rels/.rels"
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def insert_before(parent: Element, child: Element, followers: tuple[str, ...]) -> None:
    """Insert ``child`` before the first existing element named in ``followers``."""
    tags = {q(name) for name in followers}
    for i, el in enumerate(parent):
        if el.tag in tags:
            parent.insert(i, child)
            return
    parent.append(child)


def quote_sheet(name: str) -> str:
    if re.fullmatch(r"[^\W\d]\w*", name) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _strip_dollars(rng: str) -> str:
    return rng.replace("$", "")


def _absolute(rng: str) -> str:
    parts = []
    for ref in rng.split(":"):
        m = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", ref)
        parts.append(f"${m.group(1)}${m.group(2)}" if m else ref)
    return ":".join(parts)


# -- styles ----------------------------------------------------------------------------


class Styles:
    """cellXfs of styles.xml, loaded on first use, with date / plain variants added."""

    DATE = "yyyy-mm-dd"
    DATETIME = "yyyy-mm-dd hh:mm"

    def __init__(self, load: Callable[[], bytes | None], where: str) -> None:
        self._load = load
        self.where = where
        self._root: Element | None = None
        self._kinds: dict[int, str] = {}
        self._variants: dict[tuple[int | None, str], int] = {}
        self.changed = False

    @property
    def root(self) -> Element:
        if self._root is None:
            data = self._load()
            if data is None:
                raise LedgerError(
                    _("{where} has no styles part; open and save it in Excel").format(
                        where=self.where
                    )
                )
            self._root = parse_xml(data, self.where)
        return self._root

    def _cell_xfs(self) -> Element:
        xfs = self.root.find(q("cellXfs"))
        if xfs is None:
            raise LedgerError(_("{where}: styles.xml has no cellXfs").format(where=self.where))
        return xfs

    def _num_fmts(self) -> dict[int, str]:
        fmts: dict[int, str] = {}
        el = self.root.find(q("numFmts"))
        if el is not None:
            for fmt in el.iter(q("numFmt")):
                fmts[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        return fmts

    def _used_fmt_ids(self) -> set[int]:
        """Every numFmtId styles.xml defines or refers to: those of the differential
        formats (``<dxfs>``, used by conditional formats, and their x14 forms in
        ``<extLst>``) included, and ids a style refers to that nothing defines (a new format
        given such an id would change how that style's cells read)."""
        ids: set[int] = set()
        for el in self.root.iter():
            raw = el.get("numFmtId", "")
            if raw.isdigit():
                ids.add(int(raw))
        return ids

    def kind(self, s: int | None) -> str:
        """The kind of number format of cell style ``s``: "date", "time" or "other"."""
        s = s or 0
        if s not in self._kinds:
            if self._root is None:
                data = self._load()
                if data is None:
                    return "other"  # no styles part: every cell is General
                self._root = parse_xml(data, self.where)
            xfs = self._cell_xfs()
            if s >= len(xfs):
                self._kinds[s] = "other"
            else:
                fmt_id = int(xfs[s].get("numFmtId", "0"))
                self._kinds[s] = format_kind(fmt_id, self._num_fmts().get(fmt_id))
        return self._kinds[s]

    def style_for(self, s: int | None, value: object) -> int | None:
        """The style to give a cell of style ``s`` that receives ``value``.

        A date or datetime in a cell that does not show dates gets a copy of its style with
        ``yyyy-mm-dd`` (or ``yyyy-mm-dd hh:mm``); a number in a date/time-formatted cell
        gets a copy with the General format, so it does not read back as a date.
        """
        if isinstance(value, bool | str) or value is None:
            return s
        if isinstance(value, date):
            if self.kind(s) == "date":
                return s
            return self.variant(s, self.DATETIME if isinstance(value, datetime) else self.DATE)
        if self.kind(s) == "other":
            return s
        return self.variant(s, "General")

    def variant(self, s: int | None, code: str) -> int:
        key = (s, code)
        if key in self._variants:
            return self._variants[key]
        fmt_id = 0 if code == "General" else self._fmt_id(code)
        xfs = self._cell_xfs()
        base = xfs[s] if s is not None and s < len(xfs) else xfs[0] if len(xfs) else None
        xf = copy.deepcopy(base) if base is not None else etree.Element(q("xf"))
        if base is None:
            for attr in ("fontId", "fillId", "borderId", "xfId"):
                xf.set(attr, "0")
        xf.set("numFmtId", str(fmt_id))
        xf.set("applyNumberFormat", "1")
        index = self._find_or_add(xfs, xf)
        self._variants[key] = index
        return index

    def _find_or_add(self, parent: Element, child: Element) -> int:
        """The index of ``child`` among ``parent``'s children (cellXfs, fonts, fills,
        borders), added (and ``count`` updated) when no equal one is there."""
        wanted = etree.tostring(child)
        for i, el in enumerate(parent):
            if etree.tostring(el) == wanted:
                return i
        parent.append(child)
        parent.set("count", str(len(parent)))
        self._kinds.pop(len(parent) - 1, None)
        self.changed = True
        return len(parent) - 1

    def _fmt_id(self, code: str) -> int:
        for fmt_id, existing in self._num_fmts().items():
            if existing == code:
                return fmt_id
        el = self.root.find(q("numFmts"))
        if el is None:
            el = etree.Element(q("numFmts"))
            self.root.insert(0, el)
        fmt_id = max([163, *self._used_fmt_ids()]) + 1
        fmt = etree.SubElement(el, q("numFmt"))
        fmt.set("numFmtId", str(fmt_id))
        fmt.set("formatCode", code)
        el.set("count", str(len(el)))
        self.changed = True
        return fmt_id

    def body_style(self, code: str, *, wrap: bool) -> int:
        """A data cell of a register procdoc creates: the workbook's first style with
        ``code`` (``General`` or a date format), centred vertically, text wrapped with
        ``wrap`` (rows procdoc adds grow to show it: see :meth:`wraps`)."""
        key = (None, f"<body {code} {'wrap' if wrap else ''}>")
        if key in self._variants:
            return self._variants[key]
        index = self._find_or_add(self._cell_xfs(), self._body_xf(code, wrap=wrap))
        self._variants[key] = index
        return index

    def _body_xf(self, code: str, *, wrap: bool) -> Element:
        xfs = self._cell_xfs()
        xf = copy.deepcopy(xfs[0]) if len(xfs) else etree.Element(q("xf"))
        if not len(xfs):
            for attr in ("fontId", "fillId", "borderId", "xfId"):
                xf.set(attr, "0")
        for old in xf.findall(q("alignment")):
            xf.remove(old)
        xf.set("numFmtId", str(0 if code == "General" else self._fmt_id(code)))
        if code != "General":
            xf.set("applyNumberFormat", "1")
        xf.set("applyAlignment", "1")
        alignment = etree.SubElement(xf, q("alignment"), vertical="center")
        if wrap:
            alignment.set("wrapText", "1")
        return xf

    def is_wrapped_body(self, s: int | None) -> bool:
        """Whether cell style ``s`` is the wrapped text style of a register procdoc
        created (:meth:`body_style`): its rows' heights are procdoc's."""
        if s is None or not self.wraps(s):
            return False
        xfs = self._cell_xfs()
        return bool(etree.tostring(xfs[s]) == etree.tostring(self._body_xf("General", wrap=True)))

    def wraps(self, s: int | None) -> bool:
        """Whether cell style ``s`` wraps its text."""
        if s is None:
            return False
        if self._root is None:
            data = self._load()
            if data is None:
                return False  # no styles part: nothing wraps
            self._root = parse_xml(data, self.where)
        xfs = self._cell_xfs()
        if s >= len(xfs):
            return False
        alignment = xfs[s].find(q("alignment"))
        return alignment is not None and alignment.get("wrapText") in ("1", "true")

    def header_style(self) -> int:
        """Bold on a light fill, wrapped and centred, thin borders: the header of a sheet
        procdoc creates."""
        return self._made("<header>", fill="FFDDEBF7", border=True, wrap=True)

    def title_style(self) -> int:
        """Bold, 16 pt, centred: the title row of a sheet procdoc creates."""
        return self._made("<title>", size=16)

    def _made(
        self,
        name: str,
        *,
        size: int | None = None,
        fill: str | None = None,
        border: bool = False,
        wrap: bool = False,
    ) -> int:
        """A bold, centred cell style on the workbook's first font (each part it needs
        found or added once)."""
        key = (None, name)
        if key in self._variants:
            return self._variants[key]
        root = self.root
        fonts, fills, borders = (root.find(q(tag)) for tag in ("fonts", "fills", "borders"))
        if fonts is None or fills is None or borders is None or not len(fonts):
            return 0
        font = copy.deepcopy(fonts[0])
        for b in font.findall(q("b")):
            font.remove(b)
        font.insert(0, etree.Element(q("b")))
        if size is not None:
            sz = font.find(q("sz"))
            if sz is None:
                sz = etree.Element(q("sz"))
                insert_before(font, sz, ("color", "name", "family", "charset", "scheme"))
            sz.set("val", str(size))
        xf = etree.Element(q("xf"))
        xf.set("numFmtId", "0")
        xf.set("fontId", str(self._find_or_add(fonts, font)))
        xf.set("fillId", "0")
        xf.set("borderId", "0")
        xf.set("xfId", "0")
        xf.set("applyFont", "1")
        if fill is not None:
            el = etree.Element(q("fill"))
            pattern = etree.SubElement(el, q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb=fill)
            etree.SubElement(pattern, q("bgColor"), indexed="64")
            xf.set("fillId", str(self._find_or_add(fills, el)))
            xf.set("applyFill", "1")
        if border:
            el = etree.Element(q("border"))
            for side in ("left", "right", "top", "bottom"):
                line = etree.SubElement(el, q(side), style="thin")
                etree.SubElement(line, q("color"), indexed="64")
            etree.SubElement(el, q("diagonal"))
            xf.set("borderId", str(self._find_or_add(borders, el)))
            xf.set("applyBorder", "1")
        xf.set("applyAlignment", "1")
        alignment = etree.SubElement(xf, q("alignment"), horizontal="center", vertical="center")
        if wrap:
            alignment.set("wrapText", "1")
        index = self._find_or_add(self._cell_xfs(), xf)
        self._variants[key] = index
        return index

    def to_bytes(self) -> bytes:
        return serialise(self.root)


# -- shared strings ---------------------------------------------------------------------


class SharedStrings:
    """Look up entries of the shared-string table without parsing all of it.

    Only header cells are ever looked up, but the strings of a second sheet's header sit
    after every string of the first sheet, so the table is scanned as bytes (counting
    ``<si>`` starts in C) and only the wanted entries are parsed.
    """

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.found: dict[int, str] = {}

    def get(self, index: int) -> str:
        if index not in self.found:
            self.load({index})
        return self.found[index]

    def load(self, wanted: set[int]) -> None:
        """Find the entries ``wanted`` (one pass over the table)."""
        todo = {i for i in wanted if i not in self.found}
        if not todo:
            return
        member = self.pkg.member(self.pkg.shared_strings) if self.pkg.shared_strings else None
        if member is None:
            raise LedgerError(
                _("{display}: a cell refers to a missing shared string").format(
                    display=self.pkg.display
                )
            )
        last = max(todo)
        seen = 0  # <si> elements before the start of ``buf``
        buf = b""
        for chunk in zipraw.iter_inflated(self.pkg.f, member):
            buf += chunk
            cut = buf.rfind(b"<")
            region = buf[:cut]
            n = region.count(b"<si")  # no other element of the table starts so (one pass)
            if seen + n <= min(todo):
                seen += n
                buf = buf[cut:]
                continue
            # an entry we want starts in this region: step from <si> to <si> (C-level finds),
            # parsing only the wanted entries
            pos = 0
            while True:
                start = buf.find(b"<si", pos)
                if start < 0 or start >= cut:
                    break
                after = buf[start + 3 : start + 4]
                if after == b"/":  # <si/>
                    end, text = buf.find(b">", start) + 1, ""
                elif after in (b">", b" ", b"\t", b"\n", b"\r"):
                    close = buf.find(b"</si>", start)
                    if close < 0:
                        break  # the entry continues in the next chunk
                    end = close + len(b"</si>")
                    text = _si_text(buf[buf.find(b">", start) + 1 : close]) if seen in todo else ""
                else:  # another element whose name starts with "si"
                    pos = start + 3
                    continue
                if seen in todo:
                    self.found[seen] = text
                    todo.discard(seen)
                    if not todo:
                        return
                seen += 1
                pos = end
            buf = buf[pos:]
            if seen > last:
                break
        raise LedgerError(
            _("{display}: a cell refers to shared string {min}, which does not exist").format(
                display=self.pkg.display, min=min(todo)
            )
        )


_T = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)


def _si_text(body: bytes) -> str:
    """The text of a shared-string entry (its runs joined, phonetic hints left out)."""
    body = _RPH.sub(b"", body)
    return "".join(xml_text(m.group(1)) for m in _T.finditer(body))
