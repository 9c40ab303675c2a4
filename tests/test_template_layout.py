"""The library's templates measured from their XML (GB/T 9704-2012, issue 17).

Page size and margins, fonts and sizes of body and title, 署名 centred over the 成文日期,
page numbers in both footers with evenAndOddHeaders, no case number in a header, table
rows that never split and whose heights fit the 225 mm text block; and, where
LibreOffice is installed, the forms rendered with long texts come out as one page.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO
from procdoc.commands import cases

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}
TEMPLATES = sorted((REPO / "templates").glob("*.docx"))
#: One A4 page with long texts (意见书 may run longer: their conclusions have no limit).
ONE_PAGE = ["accept_notice", "reject_notice", "urge_notice", "duban", "shouwen",
            "extend_notice", "transfer_letter", "delivery_receipt", "baoxiao"]  # fmt: skip
#: The rows (their first cell's text) that may split across pages: texts of any length.
FLOWING = {"duban": ("事项内容", "任务要求", "进展情况")}
SIGNED = ["accept_notice", "reject_notice", "urge_notice", "notice", "extend_notice",
          "xinfang_opinion", "review_opinion", "transfer_letter"]  # fmt: skip


def twips(mm: float) -> float:
    return mm * 1440 / 25.4


def w(name: str) -> str:
    return f"{{{W}}}{name}"


class Package:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.document = self.xml("word/document.xml")

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    def related(self, rid: str) -> etree._Element:
        rels = self.xml("word/_rels/document.xml.rels")
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        return self.xml(f"word/{target}")

    def style(self, style_id: str) -> etree._Element:
        styles = self.xml("word/styles.xml")
        return styles.xpath(f"w:style[@w:styleId='{style_id}']", namespaces=NS)[0]


def text(element: etree._Element) -> str:
    """The element's text, a <w:tab/> as a tab character."""
    return "".join(
        "\t" if node.tag == w("tab") and node.getparent().tag == w("r") else (node.text or "")
        for node in element.iter(w("t"), w("tab"))
    )


def run_props(paragraph: etree._Element) -> tuple[str | None, int | None]:
    """(eastAsia font, size in half-points) of the paragraph's first run with text."""
    for run in paragraph.iter(w("r")):
        if run.find(w("t")) is not None:
            fonts = run.find(f"{w('rPr')}/{w('rFonts')}")
            size = run.find(f"{w('rPr')}/{w('sz')}")
            return (
                fonts.get(w("eastAsia")) if fonts is not None else None,
                int(size.get(w("val"))) if size is not None else None,
            )
    return None, None


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_page_fonts_footers_and_tables(path: Path) -> None:
    pkg = Package(path)
    sect = pkg.document.find(f"{w('body')}/{w('sectPr')}")
    size, margins = sect.find(w("pgSz")), sect.find(w("pgMar"))
    assert (int(size.get(w("w"))), int(size.get(w("h")))) == pytest.approx(
        (twips(210), twips(297)), abs=2
    )
    for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert int(margins.get(w(side))) == pytest.approx(twips(mm), abs=2), side
    # body 仿宋_GB2312 三号; title 方正小标宋简体 二号
    normal = pkg.style("Normal")
    assert normal.find(f"{w('rPr')}/{w('rFonts')}").get(w("eastAsia")) == "仿宋_GB2312"
    assert normal.find(f"{w('rPr')}/{w('sz')}").get(w("val")) == "32"
    paragraphs = pkg.document.findall(f"{w('body')}/{w('p')}")
    assert ("方正小标宋简体", 44) in [run_props(p) for p in paragraphs]
    # no running header, and no case number anywhere in a header
    assert sect.findall(w("headerReference")) == []
    assert not [n for n in pkg.zip.namelist() if "header" in n and "{{" in pkg.zip.read(n).decode()]
    # page numbers: both footers, evenAndOddHeaders, odd right and even left one character in
    settings = pkg.xml("word/settings.xml")
    assert settings.find(w("evenAndOddHeaders")) is not None
    footers = {ref.get(w("type")): pkg.related(ref.get(f"{{{R}}}id"))
               for ref in sect.findall(w("footerReference"))}  # fmt: skip
    assert set(footers) == {"default", "even"}
    for kind, (align, side) in {"default": ("right", "right"), "even": ("left", "left")}.items():
        para = footers[kind].find(w("p"))
        assert "PAGE" in "".join(para.xpath(".//w:instrText/text()", namespaces=NS))
        assert text(para).startswith("— ") and text(para).endswith(" —")
        ppr = para.find(w("pPr"))
        assert ppr.find(w("jc")).get(w("val")) == align
        assert int(ppr.find(w("ind")).get(w(side))) == 320  # one 三号 character
        assert run_props(para) == ("宋体", 28)  # 4号
    # tables: rows never split, but for a row that holds a text of any length (督办单's
    # 事项内容): it flows on to the next page and does not keep with the next row; the
    # rows' heights add up to less than the text block
    for table in pkg.document.iter(w("tbl")):
        rows = table.findall(w("tr"))
        flowing = [r for r in rows if r.find(f"{w('trPr')}/{w('cantSplit')}") is None]
        assert tuple(text(r.find(w("tc"))) for r in flowing) == FLOWING.get(path.stem, ())
        assert not [k for r in flowing for k in r.iter(w("keepNext"))], path.stem
        heights = [int(r.find(f"{w('trPr')}/{w('trHeight')}").get(w("val"))) for r in rows]
        assert sum(heights) < twips(225)
        width = sum(int(c.get(w("w"))) for c in table.find(w("tblGrid")))
        assert width <= twips(156) + 2
    # the document's date, not the day of rendering
    assert "today_cn" not in pkg.zip.read("word/document.xml").decode()


@pytest.mark.parametrize("name", SIGNED)
def test_signature_centred_over_the_date(name: str) -> None:
    pkg = Package(REPO / "templates" / f"{name}.docx")
    paragraphs = pkg.document.findall(f"{w('body')}/{w('p')}")
    at = next(i for i, p in enumerate(paragraphs) if text(p) == "\t{{ date_cn }}")
    office, day = paragraphs[at - 1], paragraphs[at]
    assert text(office) == "\t{{ office }}" and text(day) == "\t{{ date_cn }}"
    stops = [p.find(f"{w('pPr')}/{w('tabs')}/{w('tab')}") for p in (office, day)]
    assert [s.get(w("val")) for s in stops] == ["center", "center"]
    assert stops[0].get(w("pos")) == stops[1].get(w("pos"))
    assert office.find(f"{w('pPr')}/{w('keepNext')}") is not None
    # the centre of a 6.5-character date four characters in from the right
    chars_in = (twips(156) - int(stops[1].get(w("pos")))) / 320
    assert chars_in == pytest.approx(4 + 6.5 / 2, abs=0.05)


@pytest.mark.parametrize("name", ["shouwen", "duban", "urge_notice", "delivery_receipt"])
def test_forms_estimated_height_fits(name: str) -> None:
    """Row heights plus the fixed lines of the paragraphs stay inside 225 mm."""
    pkg = Package(REPO / "templates" / f"{name}.docx")
    total = 0.0
    for element in pkg.document.find(w("body")):
        if element.tag == w("tbl"):
            for row in element.findall(w("tr")):
                total += int(row.find(f"{w('trPr')}/{w('trHeight')}").get(w("val")))
        elif element.tag == w("p"):
            spacing = element.find(f"{w('pPr')}/{w('spacing')}")
            if spacing is not None:
                total += sum(int(spacing.get(w(k), 0)) for k in ("before", "after", "line"))
    assert total < twips(225), f"{name}: {total / twips(1):.0f} mm"


def test_wen_hao_cell_does_not_wrap() -> None:
    pkg = Package(REPO / "templates" / "shouwen.docx")
    cell = next(c for c in pkg.document.iter(w("tc")) if text(c) == "{{ doc_no }}")
    assert cell.find(f"{w('tcPr')}/{w('noWrap')}") is not None
    _, size = run_props(cell.find(w("p")))
    width = int(cell.find(f"{w('tcPr')}/{w('tcW')}").get(w("w")))
    # 某某府办发〔2026〕112号: 11 characters at the cell's size fit its width
    assert 11 * size * 10 < width - 2 * 85


LONG = (
    "请综合科牵头，会同法规科、财务科认真研究来文提出的各项工作要求，结合我局实际提出贯彻落实意见，"
    * 6
)


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_forms_are_one_page_in_libreoffice(library: Path, tmp_path: Path) -> None:
    from procdoc.documents.context import context
    from procdoc.docx import CompiledTemplate
    from procdoc.docx.pdf import find_soffice, to_pdf
    from procdoc.workspace import Workspace

    if find_soffice() is None:
        pytest.skip("LibreOffice is not installed")
    ws = Workspace(library)
    long300 = LONG[:300]
    sw = cases.new(ws, "shouwen", title="关于进一步加强城市道路占道施工管理工作的通知", sets=[
        "from_org=某市人民政府办公室", "doc_no=某府办发〔2026〕112号", "urgency=平件",
        f"instruction={long300}", f"opinion={LONG[:60]}", f"result={LONG[:60]}", "leader=王局长",
        "undertaker=综合科（城市管理科配合）"], by="周登记", at=datetime(2026, 9, 1, 9, 0)).id  # fmt: skip
    xf = cases.new(Workspace(library), "xinfang", title="噪声扰民", sets=[
        "petitioner=王五", "received=2026-01-05", f"content={LONG[:100]}", f"result={LONG[:200]}",
        f"review_result={LONG[:150]}", f"reject_reason={LONG[:100]}", "handler_org=市生态环境局",
        f"address={LONG[:40]}"], at=datetime(2026, 1, 5, 9, 0)).id  # fmt: skip
    db = cases.new(Workspace(library), "duban", title="推进老旧小区改造项目", sets=[
        "due_date=2026-10-30", f"matter={LONG[:100]}", f"requirement={LONG[:80]}",
        f"progress={LONG[:150]}", "lead_org=市住房和城乡建设局", "co_org=市财政局、市自然资源和规划局",
        "owner=张三"], at=datetime(2026, 9, 1, 9, 0)).id  # fmt: skip
    bx = cases.new(Workspace(library), "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=3260.5",
                                     f"reason={LONG[:60]}"], at=datetime(2026, 9, 1, 9, 0)).id  # fmt: skip
    by_template = {"shouwen": sw, "urge_notice": sw, "duban": db, "baoxiao": bx}
    docs = []
    for name in ONE_PAGE:
        case = cases.show(Workspace(library), by_template.get(name, xf))
        ctx = context(case, office="某市某局办公室", today=date(2026, 9, 15),
                      history=case.history or [], calendar=ws.calendar)  # fmt: skip
        out = tmp_path / f"{name}.docx"
        out.write_bytes(CompiledTemplate.compile(REPO / "templates" / f"{name}.docx").render(ctx))
        docs.append(out)
    pages = {p.stem: _pdf_pages(p.read_bytes()) for p in to_pdf(docs, tmp_path / "pdf")}
    assert pages == dict.fromkeys(ONE_PAGE, 1)


def test_duban_long_matter_starts_on_page_one_and_flows(library: Path, tmp_path: Path) -> None:
    """A 督办单 whose 督办事项 runs to 1,200 characters: the title, the 督办编号 line and the
    table start on page 1, the matter runs on to page 2, and the rest of the form follows
    it there (the rows kept together used to push the whole table to page 2, leaving the
    title alone on page 1)."""
    import shutil
    import subprocess

    from procdoc.commands.documents import render
    from procdoc.docx.pdf import find_soffice, to_pdf
    from procdoc.workspace import Workspace

    if find_soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    matter = (LONG * 5)[:1200]
    assert len(matter) == 1200
    db = cases.new(Workspace(library), "duban", title="推进老旧小区改造项目", sets=[
        "due_date=2026-10-30", f"matter={matter}", "requirement=按月报送进展",
        "lead_org=市住房和城乡建设局", "owner=张三"], at=datetime(2026, 9, 1, 9, 0)).id  # fmt: skip
    result = render(Workspace(library), "duban", cases=[db], out=tmp_path, at=datetime(2026, 9, 2))
    [(_id, docx_path)] = result.written
    [pdf] = to_pdf([docx_path], tmp_path / "pdf")

    def page(n: int) -> str:
        args = ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"]
        return "".join(
            subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
        )

    assert _pdf_pages(pdf.read_bytes()) == 2
    first, second = page(1), page(2)
    assert "督办单" in first and "督办编号" in first
    assert "督办事项" in first and "事项内容" in first and matter[:40] in first
    assert "办结情况" in second and "说明" in second and matter[-20:] in second


@pytest.mark.parametrize(
    ("step_id", "sent"),
    [
        ("assign", "信访事项受理告知书"),
        ("reply", "信访处理意见书"),
        ("handle", "＿＿＿＿＿＿＿＿＿＿＿＿（文书名称）"),  # `render --case` at another step
    ],
)
def test_the_delivery_receipt_names_what_it_delivers_or_leaves_a_line(
    step_id: str, sent: str
) -> None:
    """送达回证's 送达文书 names the document of the step the case is at; rendered for a
    case at a step with no document to deliver, it is a line to write the name on, not an
    empty cell that reads as nothing sent (QA's known list)."""
    import io

    import docx

    from procdoc.docx import CompiledTemplate

    template = CompiledTemplate.compile(REPO / "templates" / "delivery_receipt.docx")
    values = {"office": "某局", "id": "XF2026-0001", "step_id": step_id}
    data = template.render({**values, "petitioner": "张三", "address": "某路1号", "phone": "1"})
    first = docx.Document(io.BytesIO(data)).tables[0].rows[0].cells
    assert [c.text for c in first] == ["送达文书", sent]
