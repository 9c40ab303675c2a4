"""The head's brief beside the daily report (SPEC §8), and the daily workbook's print setup.

The ledger is ledger2026.py's, plus two cases opened here; the figures are worked by hand
(default reminders: urge after 1wd late, escalate after 5wd late, due soon within 3wd).
As of 2026-03-27 17:00:
- W003 (赵六) is at 印发, due 3/18: late 3/19, 20, 23-27 = 7 working days -> escalate.
- W006 (钱七, 承办部门 综合科) is at 起草 since 3/20, due 3/24: 3 working days late -> 催办.
- J004 (孙八, no 承办部门) opened 3/25 18:00, 整理 48h -> due 3/27 18:00: due today.
``people:`` (added after the moves) gives 赵六 the dept 秘书科, which wins over W003's
承办部门 field; 钱七 is not listed, so W006 is 综合科's; J004 falls back to its assignee.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from typer.testing import CliRunner

from conftest import cli, write
from ledger2026 import build
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.workspace import Workspace

needs_libreoffice = pytest.mark.skipif(
    __import__("procdoc.docx.pdf", fromlist=["find_soffice"]).find_soffice() is None,
    reason="LibreOffice is not installed",
)


def brief_pdf(root: Path, at: str, tmp_path: Path) -> bytes:
    """The PDF LibreOffice makes of the brief of `report daily --at at` in ``root``."""
    from procdoc.docx import pdf

    code, _out, err = daily(root, at, tmp_path)
    assert code == 0, err
    [made] = pdf.to_pdf([tmp_path / f"daily-{at[:10]}.docx"], tmp_path / "pdf")
    return made.read_bytes()


def pages(data: bytes) -> int:
    """The pages of a PDF."""
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build(tmp_path_factory.mktemp("brief") / "办公室")
    cases.new(
        Workspace(root), "wen", title="关于补报材料的通知", assign="钱七",
        sets=["subject=补报", "dept=综合科"], at=datetime(2026, 3, 20, 9),
    )  # fmt: skip
    cases.new(
        Workspace(root), "jiyao", title="专项检查纪要", assign="孙八", at=datetime(2026, 3, 25, 18)
    )
    config = (root / "procdoc.yaml").read_text(encoding="utf-8")
    write(root / "procdoc.yaml", config + "people:\n  赵六: {dept: 秘书科}\n")
    return root


def daily(root: Path, as_of: str, out: Path) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["report", "daily", "--as-of", as_of, "--out", str(out), "-w", str(root)]
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def texts(doc: docx.document.Document) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text.strip()]


def rows(table: docx.table.Table) -> list[list[str]]:
    out = []
    for row in table.rows:
        cells = [c.text for c in row.cells]
        out.append(cells[:1] if len(set(cells)) == 1 else cells)  # a merged band: one cell
    return out


def test_brief(built: Path, tmp_path: Path) -> None:
    code, _out, err = daily(built, "2026-03-27 17:00", tmp_path)
    assert code == 0, err
    path = tmp_path / "daily-2026-03-27.docx"
    assert f"{path}" in err  # the CLI says where it wrote it
    doc = docx.Document(str(path))
    [section] = doc.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert texts(doc) == [
        "流程运行日报",
        "统计测试办公室　2026年3月27日（星期五）　统计时点 17:00",
        "一、需上报的案件",
        "二、逾期与今日到期（逾期 2 件，今日到期 1 件）",
        "三、今日情况",
        "今日新增 0 件，办结 0 件；在办 3 件，其中逾期 2 件、今日到期 1 件、临期 0 件。",
        "在办分布：发文 2 件（逾期 2 件）；纪要 1 件。",
        "滞留最久：发文·印发（W003，16 天）。",
    ]
    escalate, by_dept = doc.tables
    assert rows(escalate) == [
        ["编号", "标题", "流程·环节", "承办部门", "期限", "逾期"],
        ["W003", "关于报送一季度数据的函", "发文·印发", "秘书科", "2026-03-18", "逾期7个工作日"],
    ]
    assert rows(by_dept) == [
        ["编号", "标题", "流程·环节", "承办人", "期限", "情况"],
        ["秘书科：逾期 1 件，均需上报（见上表）"],
        ["综合科：逾期 1 件，今日到期 0 件"],
        ["W006", "关于补报材料的通知", "发文·起草", "钱七", "2026-03-24", "逾期3个工作日，需催办"],
        ["孙八：逾期 0 件，今日到期 1 件"],
        ["J004", "专项检查纪要", "纪要·整理", "孙八", "2026-03-27 18:00", "今日到期"],
    ]
    for table in doc.tables:  # rows never split across pages; the header repeats
        for i, row in enumerate(table.rows):
            trpr = row._tr.trPr
            assert trpr is not None and trpr.find(docx.oxml.ns.qn("w:cantSplit")) is not None
            header = trpr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
            assert header is (i == 0)
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer  # page numbers
    runs = [r for p in doc.paragraphs for r in p.runs if r.text == "一、需上报的案件"]
    assert runs[0].font.name == "黑体"


def test_brief_nothing_late_and_missing_process(built: Path, tmp_path: Path) -> None:
    """A process file with errors is named at the top of the brief (and the report exits
    1 after writing everything, SPEC §5); a quiet day says 无."""
    root = Path(shutil.copytree(built, tmp_path / "ws"))
    write(root / "processes" / "broken.yaml", "name: 坏流程\nsteps: 3\n")
    code, _out, err = daily(root, "2026-03-02 17:00", tmp_path / "out")
    assert code == 1 and "broken.yaml" in err
    doc = docx.Document(str(tmp_path / "out" / "daily-2026-03-02.docx"))
    lines = texts(doc)
    assert lines[2].startswith("未计入：") and "broken.yaml" in lines[2]
    assert lines[3:7] == [
        "一、需上报的案件",
        "无。",
        "二、逾期与今日到期（逾期 0 件，今日到期 0 件）",
        "无。",
    ]
    assert doc.tables == []
    assert "今日新增 2 件" in lines[8]  # W001 and W002 were opened on 3/2


def test_dept_of() -> None:
    from procdoc.config import Person
    from procdoc.model import Case
    from procdoc.process.model import FieldDef, Process
    from procdoc.reports.facts import dept_of

    fields = {"unit": FieldDef("unit", "承办单位"), "note": FieldDef("note", "备注")}
    process = Process("p", "流程", Path("p.yaml"), "p.yaml", steps=[], fields=fields)
    case = Case("X1", process, None, assignee="王敏", fields={"unit": "某区城管局", "note": "甲"})
    people = {"王敏": Person("王敏", "办公室"), "李强": Person("李强", None)}
    assert dept_of(case, people) == "办公室"  # the assignee's dept under people:
    case.assignee = "李强"  # listed, but without a dept: the case's 承办单位
    assert dept_of(case, people) == "某区城管局"
    case.fields = {"unit": None, "note": "甲"}  # no 承办单位 either: the assignee
    assert dept_of(case, people) == "李强"
    case.assignee = None
    assert dept_of(case, people) is None


def test_daily_workbook_prints(built: Path, tmp_path: Path) -> None:
    code, _out, _err = daily(built, "2026-03-27 17:00", tmp_path)
    assert code == 0
    with zipfile.ZipFile(tmp_path / "daily-2026-03-27.xlsx") as z:
        book = z.read("xl/workbook.xml").decode()
        summary = z.read("xl/worksheets/sheet1.xml").decode()
        late = z.read("xl/worksheets/sheet2.xml").decode()
    assert 'orientation="landscape"' in summary and 'paperSize="9"' in summary
    assert 'fitToPage="1"' in summary and 'fitToHeight="0"' in summary  # fitted width
    # the print area holds the chart (E4 down 16 rows of 20 px: to N19) on one page
    area = re.search(r"汇总!\$A\$1:\$N\$(\d+)", book)
    assert area is not None and int(area.group(1)) >= 20
    assert "<rowBreaks" not in summary
    assert "_xlnm.Print_Titles" in book and "逾期!$1:$1" in book  # header row repeated
    assert 'orientation="landscape"' in late


def test_word_tables_hold_any_text(tmp_path: Path) -> None:
    """Cell text is escaped; line breaks and tabs become Word's; characters XML cannot
    hold (a control character, a lone surrogate from a YAML escape) are left out."""
    import docx

    from procdoc.reports.word import WordReport

    doc = WordReport()
    doc.table(
        ["编号", "标题"],
        [["A&B<1>", "第一行\r\n第二行\t甲"], ["x\x01\ud800y", "  留空  "]],
        widths_mm=[30, 60],
    )
    doc.save(tmp_path / "t.docx")
    rows = [
        [c.text for c in row.cells]
        for row in docx.Document(str(tmp_path / "t.docx")).tables[0].rows
    ]
    assert rows == [["编号", "标题"], ["A&B<1>", "第一行\n第二行\t甲"], ["xy", "  留空  "]]
    with pytest.raises(ValueError, match="2 columns but 1 widths"):
        doc.table(["编号", "标题"], [], widths_mm=[30])


def test_a_word_report_is_a_whole_package_written_without_python_docx(tmp_path: Path) -> None:
    """WordReport writes its own package (python-docx and its template cost 0.1 s of a
    daily report): every part well-formed and typed, the page set as asked, Table Grid
    and the footer's page number there, and a table at the end followed by a paragraph
    (Word wants one before the section's end). python-docx is not loaded to write it."""
    import subprocess
    import sys

    from lxml import etree

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from procdoc.reports.word import WordReport\n"
        "doc = WordReport(landscape=True, margins_mm=(20, 18, 18, 18))\n"
        "doc.title('标题')\n"
        "doc.para('正文', indent=True, color='C00000', bold=True)\n"
        "doc.page_break()\n"
        "doc.table(['甲', '乙'], [['1', '2']], widths_mm=[30, 40])\n"
        f"doc.save(Path({str(tmp_path / 'w.docx')!r}))\n"
        "assert 'docx' not in sys.modules, 'python-docx was loaded'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    path = tmp_path / "w.docx"
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    for data in parts.values():
        etree.fromstring(data)  # well-formed
    types = parts["[Content_Types].xml"].decode()
    for name in parts:
        if not name.endswith(".rels") and name != "[Content_Types].xml":
            assert f'PartName="/{name}"' in types, name
    doc = docx.Document(str(path))
    [section] = doc.sections
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    assert round(section.left_margin.mm) == 18 and round(section.top_margin.mm) == 20
    assert "PAGE" in section.footer.paragraphs[0]._p.xml
    assert doc.tables[0].style.name == "Table Grid"
    assert [p.text for p in doc.paragraphs] == ["标题", "正文", "", ""]  # the break; the end
    body = doc.paragraphs[1]
    assert body.paragraph_format.first_line_indent.pt == 24 and body.runs[0].bold
    assert str(body.runs[0].font.color.rgb) == "C00000"


def test_daily_workbook_writes_a_cases_text_as_text(built: Path, tmp_path: Path) -> None:
    """A late case whose title begins with "=" (or looks like a link) is that text in the
    daily workbook's sheets, never a formula Excel would run nor a hyperlink."""
    import openpyxl

    root = Path(shutil.copytree(built, tmp_path / "ws"))
    wb = openpyxl.load_workbook(root / "ledger.xlsx")
    titles = {"W003": '=HYPERLINK("https://example.cn","点击")', "W006": "https://example.cn/a"}
    for sheet in wb.worksheets:
        header = [c.value for c in sheet[1]]
        if "编号" not in header or "标题" not in header:
            continue
        for row in sheet.iter_rows(min_row=2):
            title = titles.get(str(row[header.index("编号")].value))
            if title is not None:
                cell = row[header.index("标题")]
                cell.value = title
                cell.data_type = "s"  # text in the ledger, as an office would type it
    wb.save(root / "ledger.xlsx")
    code, _out, err = daily(root, "2026-03-27 17:00", tmp_path / "out")
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "out" / "daily-2026-03-27.xlsx") as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith((".xml", ".rels")))
    assert "<f>" not in xml and "HYPERLINK" in xml and "https://example.cn/a" in xml
    assert "<hyperlink" not in xml and "relationships/hyperlink" not in xml


@needs_libreoffice
def test_the_brief_opens_in_libreoffice(built: Path, tmp_path: Path) -> None:
    """The brief procdoc zips itself is a document LibreOffice opens and lays out: one A4
    page for this day's three late cases."""
    data = brief_pdf(built, "2026-03-27 17:00", tmp_path)
    assert data.startswith(b"%PDF")
    assert pages(data) == 1


def test_daily_workbook_wraps_long_texts_and_lists_closing_times(
    built: Path, tmp_path: Path
) -> None:
    """The lists of the daily workbook print a long title whole: every text cell wraps
    (top-aligned, in borders) and its row is as tall as its lines (LibreOffice sizes no
    row when it opens a file: QA saw the title cut to its first line; Excel and WPS
    keep the height written). An empty list says 无 under its header rather than print a
    bare header. 今日办结 gives each case's 办结时间 (W002: closed 3/20 09:00, opened 3/2),
    as 今日新增 gives the 登记时间 (W006: 3/20 09:00)."""
    import openpyxl

    root = Path(shutil.copytree(built, tmp_path / "ws"))
    long_title = "关于报送2026年第一季度各项业务统计数据及重点工作任务推进落实情况的函" * 2
    code, _out, err = cli(
        root,
        "set",
        "W003",
        "--set",
        f"title={long_title}",
        "--by",
        "赵六",
        "--at",
        "2026-03-19 09:00",
    )
    assert code == 0, err
    code, _out, err = daily(root, "2026-03-20 17:00", tmp_path / "out")
    assert code == 0, err
    wb = openpyxl.load_workbook(tmp_path / "out" / "daily-2026-03-20.xlsx")
    late = wb["逾期"]
    assert [c.value for c in late[1]][:3] == ["编号", "流程", "标题"]
    [row] = [r for r in late.iter_rows(min_row=2) if r[0].value == "W003"]
    assert row[2].value == long_title
    for cell in row:
        if isinstance(cell.value, str):
            assert cell.alignment.wrap_text, cell.coordinate
    assert late.row_dimensions[row[0].row].height == 15 * 4  # 70 characters in 36: 4 lines
    assert row[0].border.left.style == "thin"
    for name in ("逾期", "临期", "在办分布", "滞留环节", "今日新增", "今日办结"):
        sheet = wb[name]
        assert sheet.max_row >= 2, name  # a row under the header: a case, or 无
        for r in range(2, sheet.max_row + 1):
            for cell in sheet[r]:
                if isinstance(cell.value, str):
                    assert cell.alignment.wrap_text, (name, cell.coordinate)
            if long_title not in [c.value for c in sheet[r]]:  # short texts: 1 to 3 lines
                assert sheet.row_dimensions[r].height in (None, 30, 45), (name, r)
    empty = [n for n in wb.sheetnames if wb[n]["A2"].value == "无"]
    assert all(wb[n].max_row == 2 for n in empty)  # an empty list says so, alone
    closed = [[c.value for c in r] for r in wb["今日办结"].iter_rows()]
    assert closed[0][4] == "办结时间"
    assert closed[1][0] == "W002" and closed[1][4] == datetime(2026, 3, 20, 9, 0)
    opened = [[c.value for c in r] for r in wb["今日新增"].iter_rows()]
    assert opened[0][4] == "登记时间"
    assert opened[1][0] == "W006" and opened[1][4] == datetime(2026, 3, 20, 9, 0)


LONG = "关于进一步加强和改进机关公文处理工作规范化建设的实施意见（征求意见稿）"


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ledger2026.py's office with 60 more late cases across five departments, some of
    them long enough to wrap in the brief's 标题 column."""
    root = build(tmp_path_factory.mktemp("crowded") / "办公室")
    depts = ["办公室", "综合科", "秘书科", "信息科", "督查室"]
    for n in range(60):
        title = LONG if n % 3 == 0 else f"关于第{n + 1}项工作的通知"
        cases.new(
            Workspace(root), "wen", title=title, assign=f"承办人{n % 7}",
            sets=["subject=例行", f"dept={depts[n % 5]}"], at=datetime(2026, 3, 2 + n % 18, 9),
        )  # fmt: skip
    return root


def test_a_crowded_day_s_brief_stays_one_page_and_counts_what_it_leaves_out(
    crowded: Path, tmp_path: Path
) -> None:
    """SPEC §8's brief is one page: on a day with more late cases than a page holds, the
    most urgent are listed and each department's heading says how many more the daily
    workbook lists (LibreOffice lays it out on one A4 page: the test below)."""
    import re as regex

    code, _out, err = daily(crowded, "2026-03-27 17:00", tmp_path)
    assert code == 0, err
    path = tmp_path / "daily-2026-03-27.docx"
    doc = docx.Document(str(path))
    escalate, by_dept = doc.tables
    heading = next(t for t in texts(doc) if t.startswith("二、"))
    overdue, today = (int(n) for n in regex.findall(r"(\d+) 件", heading))
    listed_escalate = [r for r in rows(escalate)[1:] if len(r) > 1]
    more = [r[0] for r in rows(escalate)[1:] if len(r) == 1]
    escalated = len(listed_escalate) + sum(int(regex.search(r"另有 (\d+) 件", m)[1]) for m in more)
    bands = [r[0] for r in rows(by_dept)[1:] if len(r) == 1]
    listed = [r for r in rows(by_dept)[1:] if len(r) > 1]
    left_out = [int(m[1]) for b in bands if (m := regex.search(r"另 (\d+) 件未列出", b))]
    assert left_out and all("见 daily-2026-03-27.xlsx" in b for b in bands if "未列出" in b)
    # every late case is listed or counted: in 一 (escalated) or in its department in 二
    assert escalated + len(listed) + sum(left_out) == overdue + today
    assert len(bands) == 5  # the five departments
    # cases to escalate left out of 一: a heading does not send the reader to 上表 alone
    assert more and any("见上表及 daily-2026-03-27.xlsx" in b for b in bands)
    assert not any(b.endswith("（见上表）") for b in bands)


@needs_libreoffice
def test_a_crowded_day_s_brief_is_one_page_in_libreoffice(crowded: Path, tmp_path: Path) -> None:
    data = brief_pdf(crowded, "2026-03-27 17:00", tmp_path)
    assert pages(data) == 1


@pytest.fixture(scope="module")
def departments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ledger2026.py's office with 40 departments of long names under people:, two late
    cases each (QA: their headings alone ran past the page)."""
    root = build(tmp_path_factory.mktemp("depts") / "办公室")
    for n in range(80):
        cases.new(
            Workspace(root), "wen", title=f"关于第{n + 1}项工作的通知", assign=f"经办{n % 40:02d}",
            sets=["subject=例行"], at=datetime(2026, 3, 2 + n % 15, 9),
        )  # fmt: skip
    people = "".join(f"  经办{n:02d}: {{dept: 第{n}业务综合协调处}}\n" for n in range(40))
    config = (root / "procdoc.yaml").read_text(encoding="utf-8")
    write(root / "procdoc.yaml", config + "people:\n" + people)
    return root


def test_many_departments_fit_the_page_and_the_rest_are_counted(
    departments: Path, tmp_path: Path
) -> None:
    import re as regex

    code, _out, err = daily(departments, "2026-03-27 17:00", tmp_path)
    assert code == 0, err
    doc = docx.Document(str(tmp_path / "daily-2026-03-27.docx"))
    _escalate, by_dept = doc.tables
    heading = next(t for t in texts(doc) if t.startswith("二、"))
    overdue, today = (int(n) for n in regex.findall(r"(\d+) 件", heading))
    bands = [r[0] for r in rows(by_dept)[1:] if len(r) == 1]
    *shown, rest = bands
    found = regex.match(
        r"另有 (\d+) 个部门逾期 (\d+) 件、今日到期 (\d+) 件（其中需上报 \d+ 件），未列出", rest
    )
    assert found is not None, rest
    assert 0 < len(shown) < 40 and int(found[1]) + len(shown) >= 40
    # every late case is counted once: in a department's heading or on the last line
    late = sum(int(regex.search(r"逾期 (\d+) 件", b)[1]) for b in shown) + int(found[2])
    assert late == overdue and today == 0


@needs_libreoffice
def test_many_departments_brief_is_one_page_in_libreoffice(
    departments: Path, tmp_path: Path
) -> None:
    data = brief_pdf(departments, "2026-03-27 17:00", tmp_path)
    assert pages(data) == 1


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QA's day: 19 late cases to escalate, two of them with long titles, on a page with
    room for all (the brief left 5 out with a fifth of the page empty)."""
    from procdoc.commands.setup import init_workspace

    root = init_workspace(tmp_path_factory.mktemp("roomy") / "office", name="某市某局办公室")
    titles = [LONG_QA, "关于召开2026年第四季度安全生产工作会议的通知"]
    for n in range(15):
        cases.new(
            Workspace(root), "baoxiao", title=titles[n] if n < 2 else f"报销{n}",
            sets=["applicant=张三", "amount=100"], at=datetime(2026, 11, 5 + n % 5, 9),
        )  # fmt: skip
    for org in ("甲局", "乙局", "丙局", "丁局"):
        cases.new(
            Workspace(root), "xinfang", title=f"信访{org}",
            sets=["petitioner=李四", f"handler_org={org}"], at=datetime(2026, 11, 2, 9),
        )  # fmt: skip
    return root


LONG_QA = (
    "关于印发《某省2026—2027年度冬春季森林草原防灭火工作方案》及做好岁末年初安全防范工作的紧急通知"
)


def test_a_brief_with_room_lists_every_case(roomy: Path, tmp_path: Path) -> None:
    """Nothing is left out while the page has room: rows are counted by their lines as
    Word and LibreOffice wrap Chinese (and their padding), a department whose cases are
    all escalated is not measured as if some were left out (QA)."""
    code, _out, err = daily(roomy, "2026-12-04 08:00", tmp_path)
    assert code == 0, err
    doc = docx.Document(str(tmp_path / "daily-2026-12-04.docx"))
    escalate, _by_dept = doc.tables
    assert len(rows(escalate)) == 1 + 19  # the header and every case
    assert not any("未列出" in t for t in texts(doc))
    assert not any("未列出" in r[0] for table in doc.tables for r in rows(table))


@needs_libreoffice
def test_a_brief_with_room_is_one_page_in_libreoffice(roomy: Path, tmp_path: Path) -> None:
    data = brief_pdf(roomy, "2026-12-04 08:00", tmp_path)
    assert pages(data) == 1


def test_lines_are_counted_as_libreoffice_sets_them() -> None:
    """Widths measured in LibreOffice's PDFs of briefs: a case id on one line of the 25 mm
    编号 column (24 mm wrapped SW2026-0001: QA), 逾期 23 个工作日 on one line of 30 mm, 4
    characters a line of the 20 mm 承办部门 column around a digit (第5业务 / 综合协调 / 处), a
    Latin word kept whole, a line break in the text a line of its own (QA: 6 lines
    counted as 3)."""
    from procdoc.reports.brief import DEPT_WIDTHS, _text_lines

    def lines(text: str, col: int) -> int:
        return _text_lines(text, DEPT_WIDTHS[col] - 3.8, 10)

    assert DEPT_WIDTHS == (25, 42, 35, 20, 22, 30)
    assert [lines(i, 0) for i in ("SW2026-0001", "XF2026-0123", "BX2026-9999")] == [1, 1, 1]
    assert lines("逾期 23 个工作日", 5) == 1 and lines("2026-11-03", 4) == 1
    assert lines("第5业务综合协调处", 3) == 3 and lines("收文办理·收文签收", 2) == 1
    assert lines("关于开展检查\n的通知\n（第一部分）\n附件一\n附件二\n附件三", 1) == 6
    english = "关于举办2026 International Conference on Administrative Modernization and Interoperability Standardization第3次筹备会的通知"
    assert lines(english, 1) == 7  # as LibreOffice sets it (6 counted ran the page over: QA)


@pytest.fixture(scope="module")
def latin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 late 报销 cases, half with a title of long English words, half with a title of
    six lines (QA: both ran the brief to a second page)."""
    from procdoc.commands.setup import init_workspace

    root = init_workspace(tmp_path_factory.mktemp("latin") / "office", name="某市某局办公室")
    english = "关于举办2026 International Conference on Administrative Modernization and Interoperability Standardization第{}次筹备会的通知"
    lines = "关于开展检查\n的通知\n（第一部分）\n附件一\n附件二\n附件三"
    for n in range(40):
        cases.new(
            Workspace(root), "baoxiao", title=english.format(n) if n % 2 else lines,
            sets=["applicant=张三", "amount=100"], at=datetime(2026, 11, 2 + n % 20, 9),
        )  # fmt: skip
    return root


@needs_libreoffice
def test_a_brief_of_english_and_many_line_titles_is_one_page(latin: Path, tmp_path: Path) -> None:
    data = brief_pdf(latin, "2026-12-04 08:00", tmp_path)
    assert pages(data) == 1
