"""Reading OA exports: sniffing, raw grids, header finding and value conversion."""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from procdoc.errors import ImportFileError
from procdoc.importer.convert import (
    ConversionError,
    NoYear,
    to_date,
    to_datetime,
    to_number,
    to_text,
    year_near,
)
from procdoc.importer.reader import CellValue, Grid, read_grid, sniff
from procdoc.importer.table import header_key, locate_table, match_score, normalize_header

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "oa"


# --------------------------------------------------------------------------- helpers


def make_xlsx(path: Path, build: Callable[[xlsxwriter.Workbook], None]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    build(workbook)
    workbook.close()
    return path


def make_ole(path: Path, streams: list[str]) -> Path:
    """A minimal OLE compound file (version 3) whose directory holds ``streams``."""
    free, end = 0xFFFFFFFF, 0xFFFFFFFE
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, end, *([free] * 126))
    entries = b""
    for index, (name, kind) in enumerate([("Root Entry", 5)] + [(s, 2) for s in streams]):
        raw = name.encode("utf-16-le") + b"\0\0"
        child = 1 if kind == 5 else free
        right = index + 1 if 0 < index < len(streams) else free
        entries += raw.ljust(64, b"\0")
        entries += struct.pack("<HBBIII", len(raw), kind, 1, free, right, child)
        entries += bytes(36) + struct.pack("<IQ", end, 0)
    path.write_bytes(header + fat + entries.ljust(512, b"\0"))
    return path


def grid_of(rows: list[list[CellValue]]) -> Grid:
    return Grid(path=Path("t.xlsx"), kind="xlsx", sheet="S", rows=rows)


@pytest.fixture
def simple_xlsx(tmp_path: Path) -> Path:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("数据")
        sheet.write_row(0, 0, ["编号", "姓名", "电话", "金额"])
        sheet.write_row(1, 0, ["000123", "张三", "02087654321", 1234.5])

    return make_xlsx(tmp_path / "simple.xlsx", build)


# --------------------------------------------------------------------------- sniff


def test_sniff_tells_xlsx_by_content_even_named_csv(simple_xlsx: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "导出.csv"
    shutil.copy(simple_xlsx, renamed)
    assert sniff(renamed) == "xlsx"
    grid = read_grid(renamed)
    assert grid.kind == "xlsx"
    assert grid.sheet == "数据"
    assert grid.rows[1][:3] == ["000123", "张三", "02087654321"]


def test_sniff_html_named_xls(tmp_path: Path) -> None:
    path = tmp_path / "收文.xls"
    path.write_text("\ufeff \r\n<!DOCTYPE HTML><HTML><body><table><tr><td>a</td></tr></table>")
    assert sniff(path) == "html"
    path.write_bytes(b"  <TABLE><tr><td>a</td></tr></TABLE>")
    assert sniff(path) == "html"


def test_sniff_and_read_utf16_html(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    page = "<html><table><tr><th>收文编号</th></tr><tr><td>007</td></tr></table></html>"
    path.write_bytes(page.encode("utf-16"))
    assert sniff(path) == "html"
    grid = read_grid(path)
    assert grid.rows == [["收文编号"], ["007"]]
    assert grid.encoding == "utf-16"
    path.write_bytes(page.encode("utf-16-le"))  # no BOM
    assert read_grid(path).rows == [["收文编号"], ["007"]]


def test_sniff_plain_text_is_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("编号,姓名\n1,张三\n", encoding="utf-8")
    assert sniff(path) == "csv"


def test_password_protected_xlsx(tmp_path: Path) -> None:
    path = make_ole(tmp_path / "报销.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    with pytest.raises(ImportFileError, match="password-protected") as info:
        sniff(path)
    assert "保护工作簿" in str(info.value)
    assert "报销.xlsx" in str(info.value)


def test_ole_word_document_is_refused(tmp_path: Path) -> None:
    path = make_ole(tmp_path / "x.xls", ["WordDocument"])
    with pytest.raises(ImportFileError, match=r"not an Excel workbook \(a Word document\)"):
        sniff(path)


def test_ole_with_a_workbook_stream_is_xls(tmp_path: Path) -> None:
    assert sniff(make_ole(tmp_path / "x.bin", ["Workbook"])) == "xls"


def test_excel_2003_xml_says_resave_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    with pytest.raises(ImportFileError, match=r"Excel 2003 XML.*save it as \.xlsx"):
        sniff(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError, match=r"empty\.xlsx is empty"):
        read_grid(path)


def test_truncated_zip(simple_xlsx: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(simple_xlsx.read_bytes()[:1500])
    with pytest.raises(ImportFileError, match=r"cut\.xlsx is damaged or incomplete.*again"):
        read_grid(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ImportFileError, match=r"not an Excel workbook \(a Word document\)"):
        sniff(path)


def test_damaged_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes((SAMPLES / "报销-旧版.xls").read_bytes()[:3000])
    with pytest.raises(ImportFileError, match=r"old\.xls cannot be read.*save it again"):
        read_grid(path)


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.7\n\x80\x81\xff\xfe"],
)
def test_binary_junk(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFileError, match="is not a spreadsheet, CSV or HTML table"):
        sniff(path)


@settings(max_examples=60)
@given(
    st.one_of(
        st.binary(min_size=1),
        st.binary().map(lambda tail: b"PK\x03\x04" + tail),
        st.binary().map(lambda tail: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + tail),
        st.text(min_size=1).map(lambda text: text.encode("utf-8")),
        st.text().map(lambda text: ("<table><tr><td>" + text).encode("utf-8")),
    )
)
def test_any_bytes_give_a_grid_or_an_import_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xls"
        path.write_bytes(data)
        try:
            grid = read_grid(path)
        except ImportFileError as err:
            assert "export.xls" in str(err)
        else:
            assert len({len(row) for row in grid.rows}) <= 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot open"):
        read_grid(tmp_path / "nope.xlsx")


# --------------------------------------------------------------------------- workbooks


def test_xlsx_grid_keeps_positions_fills_merges_and_keeps_text(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        hidden = workbook.add_worksheet("说明")
        hidden.write("A1", "hidden first sheet")
        hidden.hide()
        sheet = workbook.add_worksheet("台账")
        sheet.activate()  # xlsxwriter cannot hide the active sheet
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        clock = workbook.add_format({"num_format": "hh:mm"})
        sheet.merge_range("B3:E3", "案件导出")
        sheet.write_string("B5", "000123")
        sheet.write_string("C5", "202610151030000123456")
        sheet.write_number("D5", 13800002222)
        sheet.write_datetime("B6", datetime(2026, 10, 1), day)
        sheet.write_datetime("C6", datetime(2026, 10, 1, 9, 30), moment)
        sheet.write_number("D6", 46300)
        sheet.write_datetime("E6", datetime(1899, 12, 31, 9, 30), clock)
        sheet.merge_range("B8:B9", "李强")  # reaches below the last cell with data
        sheet.write_boolean("C8", True)

    grid = read_grid(make_xlsx(tmp_path / "t.xlsx", build))
    assert grid.sheet == "台账"
    assert len(grid.rows) == 9
    assert {len(row) for row in grid.rows} == {5}
    assert grid.rows[0] == [None] * 5
    assert grid.rows[2] == [None, "案件导出", "案件导出", "案件导出", "案件导出"]
    assert grid.rows[4][1:4] == ["000123", "202610151030000123456", 13800002222.0]
    assert isinstance(grid.rows[4][3], float)
    assert grid.rows[5][1:5] == [
        date(2026, 10, 1),
        datetime(2026, 10, 1, 9, 30),
        46300.0,
        "09:30:00",
    ]
    assert grid.rows[7][1:3] == ["李强", True]
    assert grid.rows[8][1] == "李强"


def test_named_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        workbook.add_worksheet("一月").write("A1", "a")
        workbook.add_worksheet("二月").write("A1", "b")

    path = make_xlsx(tmp_path / "t.xlsx", build)
    assert read_grid(path).rows == [["a"]]
    assert read_grid(path, sheet="二月").rows == [["b"]]
    with pytest.raises(ImportFileError, match=r"no sheet named '三月'; its sheets: 一月, 二月"):
        read_grid(path, sheet="三月")


def test_real_xls_sample_keeps_text_ids() -> None:
    grid = read_grid(SAMPLES / "报销-旧版.xls")
    assert grid.kind == "xls"
    assert grid.sheet == "报销明细"
    assert grid.rows[0] == ["2026年第四季度费用报销明细"] * 9  # merged title filled
    assert grid.rows[2][0] == "000123"


# --------------------------------------------------------------------------- CSV


def test_gbk_csv_with_semicolons_and_title_lines(tmp_path: Path) -> None:
    path = tmp_path / "导出.csv"
    text = (
        "某局收文登记簿\r\n导出时间：2026-11-20 17:30\r\n\r\n"
        '序号;"收文\n编号";标题;金额\r\n'
        "1;000123;关于做好年终工作的通知,请阅;1,234.00\r\n"
        "2;02087654321;关于报送预算的通知;￥5,000\r\n"
    )
    path.write_bytes(text.encode("gbk"))
    grid = read_grid(path)
    assert (grid.kind, grid.encoding, grid.delimiter) == ("csv", "gb18030", ";")
    assert grid.rows[0] == ["某局收文登记簿", None, None, None]
    assert grid.rows[2] == [None] * 4
    assert grid.rows[3] == ["序号", "收文\n编号", "标题", "金额"]
    assert grid.rows[4] == ["1", "000123", "关于做好年终工作的通知,请阅", "1,234.00"]
    table = locate_table(grid, ["收文编号", "标题", "金额"], key="收文编号")
    assert table.header_row == 4
    assert [to_text(row[1]) for _, row in table.rows] == ["000123", "02087654321"]
    assert [to_number(row[3]) for _, row in table.rows] == [1234, 5000]


def test_utf8_bom_csv_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    text = "审批编号\t标题\t金额\n202610151030000123456\t报销, 差旅\t1,234.5\n"
    path.write_bytes(text.encode("utf-8-sig"))
    grid = read_grid(path)
    assert (grid.encoding, grid.delimiter) == ("utf-8-sig", "\t")
    assert grid.rows[0] == ["审批编号", "标题", "金额"]
    assert grid.rows[1] == ["202610151030000123456", "报销, 差旅", "1,234.5"]


def test_utf16_tab_text_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("编号\t姓名\r\n000123\t张三\r\n".encode("utf-16"))
    grid = read_grid(path)
    assert (grid.kind, grid.encoding, grid.delimiter) == ("csv", "utf-16", "\t")
    assert grid.rows == [["编号", "姓名"], ["000123", "张三"]]


def test_csv_that_the_csv_module_refuses(tmp_path: Path) -> None:
    """A quote left open takes the rest of the file into one cell: refused, naming the line
    it opens on (a small file lost its rows after it without a word: QA); a long field
    alone is read (the csv module's 131,072 limit refused it)."""
    path = tmp_path / "broken.csv"
    path.write_text('编号,标题\n1,"' + "x" * 140_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"broken\.csv is not a readable CSV file"):
        read_grid(path)
    path.write_text('编号,标题\n1,甲\n2,"乙\n3,丙\n4,丁\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"a quote opened on line 3 is never closed"):
        read_grid(path)
    path.write_text(
        '编号,标题\n1,"' + "x" * 140_000 + '"\n2,"关于""十四五""规划"\n', encoding="utf-8"
    )
    assert [len(r[1] or "") for r in read_grid(path).rows[1:]] == [140_000, 9]
    # a literal quote in a cell that does not start with one is no quoting, and a cell of
    # two lines at the very end is closed (an odd count of quotes refused this: QA)
    path.write_text(
        '收文编号,公文标题,来文单位,紧急程度\nS001,关于"十四五规划的通知,市政府,平件\n'
        'S002,检查通知,市财政局,"加急\n特急"\n', encoding="utf-8",
    )  # fmt: skip
    assert [r[0] for r in read_grid(path).rows[1:]] == ["S001", "S002"]
    # a quote opened and closed only by a literal one rows later: the rows between were
    # one cell (lost without a word: QA)
    path.write_text(
        '收文编号,公文标题,来文单位,紧急程度\nS001,"检查通知,市政府,平件\nS002,x,y,z\n'
        'S003,21" 显示器,市政府,平件\n', encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ImportFileError, match=r"a quote opened on line 2 runs over the rows"):
        read_grid(path)


def test_plain_utf8_csv_and_excel_text_formula(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text('编号,电话,备注\n="000123",="02087654321",\n', encoding="utf-8")
    grid = read_grid(path)
    assert (grid.encoding, grid.delimiter) == ("utf-8", ",")
    assert grid.rows[1] == ["000123", "02087654321", None]


def test_csv_pipe_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("标题\n编号|姓名|部门\n1|张三|综合部\n2|李四|财务部\n", encoding="utf-8")
    assert read_grid(path).delimiter == "|"


# --------------------------------------------------------------------------- HTML


def test_html_table_spans_breaks_and_largest_table(tmp_path: Path) -> None:
    page = """<html><head><meta charset="gbk"><title>导出</title></head><body>
    <table><tr><td>页眉</td></tr></table>
    <table border=1>
      <tr><td colspan="3"> 收文流程查询 </td></tr>
      <tr><th>收文编号</th><th>来文单位</th><th>未操作者</th></tr>
      <tr><td>007</td><td rowspan="2">某市财政局</td><td>张伟<br>李娜</td></tr>
      <tr><td>008</td><td>&nbsp;</td></tr>
      <tr><td>009</td><td>某市
          档案局</td><td><table><tr><td>nested</td></tr></table></td></tr>
    </table></body></html>"""
    path = tmp_path / "泛微.xls"
    path.write_bytes(page.encode("gbk"))
    grid = read_grid(path)
    assert (grid.kind, grid.encoding) == ("html", "gb18030")
    assert grid.rows == [
        ["收文流程查询"] * 3,
        ["收文编号", "来文单位", "未操作者"],
        ["007", "某市财政局", "张伟\n李娜"],
        ["008", "某市财政局", None],
        ["009", "某市 档案局", "nested"],
    ]


def test_html_without_table(tmp_path: Path) -> None:
    path = tmp_path / "x.xls"
    path.write_text("<html><body><p>会话已过期，请重新登录</p></body></html>")
    with pytest.raises(ImportFileError, match="holds no table"):
        read_grid(path)


# --------------------------------------------------------------------------- headers


def test_normalize_header_and_key() -> None:
    assert normalize_header(" 紧急程度 ") == "紧急程度"
    assert normalize_header("收文\n编号") == "收文编号"
    assert normalize_header("收\u3000文\xa0编 号\r\n") == "收文编号"
    assert normalize_header("总金额（元）") == "总金额（元）"
    assert normalize_header(None) == ""
    assert header_key("总金额（元）") == header_key("总金额(元)") == "总金额(元)"
    assert header_key("备注：") == header_key("备注:")
    assert header_key("ＩＤ") == header_key("id")


def test_two_row_merged_header_with_title_rows(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet()
        sheet.merge_range("A1:F1", "XX市XX局收文登记簿")
        sheet.write("A2", "导出时间：2026-11-20 17:30")
        sheet.merge_range("A4:A5", "收文\n编号")
        sheet.merge_range("B4:B5", "公文标题")
        sheet.merge_range("C4:E4", "来文信息")
        sheet.write_row("C5", ["来文单位", "来文字号", "来文日期"])
        sheet.merge_range("F4:F5", " 紧急程度 ")
        sheet.write_row("A6", ["SW-1", "通知一", "某市财政局", "某市财预〔2026〕1号", "2026.10.12"])
        sheet.write_row("A7", ["7-100", "通知二", "某市档案局", None, "2026年10月9日", "特急"])

    grid = read_grid(make_xlsx(tmp_path / "r.xlsx", build))
    table = locate_table(grid, ["来文单位", "来文日期", "紧急程度", "公文标题"], key="收文编号")
    assert table.header_row == 5
    assert table.headers == ["收文编号", "公文标题", "来文单位", "来文字号", "来文日期", "紧急程度"]
    assert table.columns == {
        "来文单位": 2,
        "来文日期": 4,
        "紧急程度": 5,
        "公文标题": 1,
        "收文编号": 0,
    }
    assert [number for number, _ in table.rows] == [6, 7]
    assert [to_date(row[4]) for _, row in table.rows] == [date(2026, 10, 12), date(2026, 10, 9)]


def test_two_row_header_without_merges() -> None:
    grid = grid_of(
        [
            ["序号", "收文编号", "来文信息", None, "紧急程度"],
            [None, None, "来文单位", "来文日期", None],
            ["1", "SW-1", "某市财政局", "2026-10-12", "平件"],
        ]
    )
    table = locate_table(grid, ["收文编号", "来文单位", "来文日期", "紧急程度"])
    assert table.header_row == 2
    assert table.headers == ["序号", "收文编号", "来文单位", "来文日期", "紧急程度"]
    assert table.rows == [(3, ["1", "SW-1", "某市财政局", "2026-10-12", "平件"])]


def test_group_and_sub_header_concatenated() -> None:
    grid = grid_of(
        [
            ["审批编号", "发起人", "发起人", "总金额（元）"],
            ["审批编号", "姓名", "部门", "总金额（元）"],
            ["1", "张伟", "综合部", "100"],
        ]
    )
    table = locate_table(grid, ["发起人姓名", "发起人部门", "总金额(元)"], key="审批编号")
    assert table.header_row == 2
    assert table.columns == {"发起人姓名": 1, "发起人部门": 2, "总金额(元)": 3, "审批编号": 0}
    assert table.column("总金额（元）") == table.column("总金额(元)") == 3
    assert table.column("事由") is None


def test_footer_rows_and_blank_rows() -> None:
    grid = grid_of(
        [
            ["序号", "编号", "标题", "金额"],
            [1, "A-1", "一", 10],
            [None, None, "  ", None],
            [2, "A-2", "二", 20],
            [None, "合\u3000计", None, 30],
            [None, None, None, None],
            ["制表人：王敏", None, None, None],
            [None, None, None, None],
        ]
    )
    table = locate_table(grid, ["编号", "标题", "金额"], key="编号")
    assert [number for number, _ in table.rows] == [2, 4]
    assert table.skipped == [
        (3, "blank row"),
        (5, "footer: 合计"),
        (7, "below the footer row 5: 制表人：王敏"),
    ]


@pytest.mark.parametrize(
    "footer",
    [
        "合计",
        "总计：3笔",
        "小计",
        "制表：王敏",
        "审核人：李",
        "审核：",
        "备注：无",
        "说明:以上",
        "导出时间：2026-11-20",
        "打印时间 2026-11-20",
        "共 25 条记录",
    ],
)
def test_footer_forms(footer: str) -> None:
    grid = grid_of([["编号", "标题", "金额"], ["1", "一", 1], [footer, None, None]])
    table = locate_table(grid, ["编号", "标题", "金额"])
    assert len(table.rows) == 1
    assert table.skipped[0][0] == 3


def test_data_that_only_looks_like_a_footer_is_kept() -> None:
    grid = grid_of([["来文单位", "标题", "金额"], ["共青团某市委员会", "合计报告", 1]])
    assert len(locate_table(grid, ["来文单位", "标题", "金额"]).rows) == 1


def test_repeated_header_row_is_skipped() -> None:
    grid = grid_of(
        [["编号", "标题", "金额"], ["1", "一", 1], ["编号", "标题", "金额"], ["2", "二", 2]]
    )
    table = locate_table(grid, ["编号", "标题", "金额"])
    assert [number for number, _ in table.rows] == [2, 4]
    assert table.skipped == [(3, "the header repeated")]


def test_no_header_row_found() -> None:
    grid = grid_of([["导出"], ["编号", "名称", "备注"], ["1", "x", None]])
    with pytest.raises(ImportFileError) as info:
        locate_table(grid, ["审批编号", "标题", "发起人姓名", "总金额（元）", "事由"])
    message = str(info.value)
    assert "no header row matching the source's columns in the first 30 rows of t.xlsx" in message
    assert "expected e.g. 审批编号, 标题, 发起人姓名, 总金额（元）, …" in message
    assert "found row 2: 编号, 名称, 备注" in message


def test_fewer_than_three_matches_is_not_a_header() -> None:
    grid = grid_of([["审批编号", "标题", "x"], ["1", "a", "b"]])
    with pytest.raises(ImportFileError, match="no header row"):
        locate_table(grid, ["审批编号", "标题", "事由", "金额"])
    assert locate_table(grid, ["审批编号", "标题"]).header_row == 1  # min(3, len(wanted))


def test_missing_key_column() -> None:
    grid = grid_of([["标题", "事由", "金额"], ["a", "b", 1]])
    with pytest.raises(
        ImportFileError, match=r"the key column 审批编号 is not in the header \(row 1\)"
    ):
        locate_table(grid, ["标题", "事由", "金额"], key="审批编号")


def test_header_beyond_scan_rows_is_not_found() -> None:
    rows: list[list[CellValue]] = [["title", None, None] for _ in range(5)]
    rows.append(["编号", "标题", "金额"])
    assert locate_table(grid_of(rows), ["编号", "标题", "金额"]).header_row == 6
    with pytest.raises(ImportFileError, match="in the first 5 rows"):
        locate_table(grid_of(rows), ["编号", "标题", "金额"], scan_rows=5)


def test_match_score_picks_the_fitting_source() -> None:
    grid = read_grid(SAMPLES / "钉钉-报销审批.xlsx")
    baoxiao = ["审批编号", "发起人姓名", "发起人部门", "费用类别", "总金额(元)", "事由", "票据张数"]
    shouwen = ["收文编号", "来文单位", "来文字号", "来文日期", "紧急程度", "秘密等级", "登记人"]
    assert match_score(grid, baoxiao) == 7
    assert match_score(grid, shouwen) == 0


# --------------------------------------------------------------------------- to_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("000123", "000123"),
        ("  02087654321 ", "02087654321"),
        ("202610151030000123456", "202610151030000123456"),
        (13800002222.0, "13800002222"),
        (13800002222, "13800002222"),
        (1e20, "100000000000000000000"),
        (2.02610151030000e20, "202610151030000000000"),  # as Excel shows a rounded id
        (float("202610151030000123456"), "202610151030000120000"),
        (0.00001, "0.00001"),
        (12.5, "12.5"),
        (True, "TRUE"),
        (date(2026, 10, 1), "2026-10-01"),
        (datetime(2026, 10, 1, 9, 30), "2026-10-01T09:30"),
        (datetime(2026, 10, 1, 9, 30, 5), "2026-10-01T09:30:05"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_to_text(value: object, expected: str | None) -> None:
    assert to_text(value) == expected  # type: ignore[arg-type]


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_to_text_whole_numbers_round_trip(number: int) -> None:
    assert to_text(number) == str(number)
    assert to_text(float(number)) == str(number)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_to_text_never_uses_scientific_notation(number: float) -> None:
    text = to_text(number)
    assert text is not None
    assert "e" not in text.lower()
    assert float(text) == number


@given(st.text())
def test_to_text_keeps_text(text: str) -> None:
    assert to_text(text) == (text.strip() or None)


# --------------------------------------------------------------------------- to_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234,567.00", 1234567),
        ("￥5,000", 5000),
        ("¥ 1，234.50 元", 1234.5),
        ("5000元", 5000),
        ("-12.5", -12.5),
        (" 42 ", 42),
        ("１２３", 123),
        (3000.0, 3000),
        (12.25, 12.25),
        (7, 7),
        ("", None),
        (None, None),
    ],
)
def test_to_number(value: object, expected: float | None) -> None:
    result = to_number(value)  # type: ignore[arg-type]
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", ["12.5%", "约500", "1,2,3", "¥", "五千", True, date(2026, 1, 1)])
def test_to_number_refuses(value: object) -> None:
    with pytest.raises(ConversionError, match="is not a number"):
        to_number(value)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_to_number_amount_forms_round_trip(number: int) -> None:
    assert to_number(f"{number:,}") == number
    assert to_number(f"￥{number:,}.00") == number
    assert to_number(str(number)) == number


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_to_number_decimal_text_round_trip(number: float) -> None:
    assert to_number(to_text(number)) == number


# --------------------------------------------------------------------------- to_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 7, 1), date(2024, 7, 1)),
        (datetime(2024, 7, 1, 9, 0), date(2024, 7, 1)),
        (45474, date(2024, 7, 1)),
        (45474.0, date(2024, 7, 1)),
        (45474.375, date(2024, 7, 1)),
        ("45474", date(2024, 7, 1)),
        ("2024年7月1日", date(2024, 7, 1)),
        ("2024/7/1", date(2024, 7, 1)),
        ("2024/7/1 9:00", date(2024, 7, 1)),
        ("2024年7月2日 14:30", date(2024, 7, 2)),
        ("2024-07-04T09:00:00", date(2024, 7, 4)),
        ("2024.7.5", date(2024, 7, 5)),
        ("2022.05.09", date(2022, 5, 9)),
        (20240701, date(2024, 7, 1)),
        (20240701.0, date(2024, 7, 1)),
        ("20240701", date(2024, 7, 1)),
        ("２０２４年７月１日", date(2024, 7, 1)),
        (" 2024-07-01 ", date(2024, 7, 1)),
        ("", None),
        (None, None),
    ],
)
def test_to_date(value: object, expected: date | None) -> None:
    assert to_date(value) == expected  # type: ignore[arg-type]


def test_to_date_1904_serial() -> None:
    assert to_date(44012, epoch1904=True) == date(2024, 7, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024年13月1日", r"'2024年13月1日' is not a date \(no such month\)"),
        ("2026-09-31 09:15", r"'2026-09-31 09:15' is not a date \(no such day in that month"),
        ("20241301", r"'20241301' is not a date \(no such month"),
        (20240230, r"20240230 is not a date \(no such day in that month"),
        ("7/1/2024", r"'7/1/2024' is ambiguous"),
        ("1.7.2024", "ambiguous"),
        ("24/7/1", "ambiguous"),
        ("2024年7月", r"'2024年7月' is not a date$"),
        ("下周一", "is not a date"),
        (12345, r"12345 is not a date \(neither yyyymmdd nor an Excel date serial\)"),
        (3.5, "is not a date"),
        (10**400, "is not a date"),
        ("2024-07-04T25:00:00", r"is not a date \(no such hour\)"),
        (True, "'TRUE' is not a date"),
    ],
)
def test_to_date_refuses(value: object, reason: str) -> None:
    with pytest.raises(ConversionError, match=reason):
        to_date(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024/7/1 9:00", datetime(2024, 7, 1, 9, 0)),
        ("2024年7月2日 14:30", datetime(2024, 7, 2, 14, 30)),
        ("2024年7月2日14时30分", datetime(2024, 7, 2, 14, 30)),
        ("2024-07-04T09:00:00", datetime(2024, 7, 4, 9, 0)),
        ("2024-07-04T09:00:00.250+08:00", datetime(2024, 7, 4, 9, 0, 0, 250000)),
        ("2024-07-04 09:00:07", datetime(2024, 7, 4, 9, 0, 7)),
        ("2024.7.5", date(2024, 7, 5)),
        (45474.375, datetime(2024, 7, 1, 9, 0)),
        (45474, date(2024, 7, 1)),
        (datetime(2024, 7, 1, 9, 0), datetime(2024, 7, 1, 9, 0)),
        (date(2024, 7, 1), date(2024, 7, 1)),
    ],
)
def test_to_datetime(value: object, expected: date) -> None:
    result = to_datetime(value)  # type: ignore[arg-type]
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2份", 2),
        ("1 份", 1),
        ("3 件", 3),
        ("１２张", 12),
        ("1,200元", 1200),
        ("2.5 页", 2.5),
        (2.0, 2),
    ],
)
def test_to_number_with_units(value: object, expected: float) -> None:
    """A count written with its counting word, where that is unambiguous."""
    assert to_number(value, units=True) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["约500元", "1.2万元", "2份以上", "2-3份", "第2份", "份"])
def test_to_number_with_units_refuses_what_is_not_one_number(value: str) -> None:
    with pytest.raises(ConversionError, match="is not a number"):
        to_number(value, units=True)


def test_to_number_takes_units_only_when_asked() -> None:
    with pytest.raises(ConversionError):
        to_number("2份")


@pytest.mark.parametrize(
    ("value", "near", "expected"),
    [
        ("10月9日", date(2026, 10, 12), date(2026, 10, 9)),
        ("9月30日", date(2026, 10, 9), date(2026, 9, 30)),
        ("10月9号", date(2026, 1, 2), date(2025, 10, 9)),  # the autumn before
        ("12月30日", date(2027, 1, 4), date(2026, 12, 30)),  # across the new year
        ("1月3日", date(2026, 12, 28), date(2027, 1, 3)),
        ("3月1日", date(2026, 9, 30), date(2026, 3, 1)),  # more than half a year: same year
        ("10月9日 9:30", date(2026, 10, 12), datetime(2026, 10, 9, 9, 30)),
    ],
)
def test_a_date_without_a_year_takes_one_near(value: str, near: date, expected: date) -> None:
    assert to_datetime(value, near=near) == expected


def test_a_date_without_a_year_and_nothing_near_is_refused() -> None:
    with pytest.raises(NoYear, match=r"'10月9日' is not a date: it has no year"):
        to_date("10月9日")
    with pytest.raises(NoYear, match=r"\(write e\.g\. 2026年9月10日\)"):  # its own month and day
        to_date("9月10日")
    with pytest.raises(ConversionError, match="no such day"):
        to_datetime("2月30日", near=date(2026, 2, 1))
    assert year_near(2, 29, date(2028, 3, 1)) == 2028


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-09T01:30:00Z", datetime(2026, 10, 9, 9, 30)),
        ("2026-10-08T20:00:00+00:00", datetime(2026, 10, 9, 4, 0)),
        ("2026-10-09T09:30:00+08:00", datetime(2026, 10, 9, 9, 30)),
        ("2026-10-09 09:30", datetime(2026, 10, 9, 9, 30)),  # no zone: taken as it is
    ],
)
def test_a_moment_with_a_zone_is_read_in_the_workspace_zone(value: str, expected: datetime) -> None:
    assert to_datetime(value, zone="Asia/Shanghai") == expected
    assert to_datetime("2026-10-09T01:30:00Z") == datetime(2026, 10, 9, 1, 30)  # no zone asked


DATES = st.dates(min_value=date(1960, 1, 1), max_value=date(2099, 12, 31))


@given(DATES)
def test_to_date_forms_round_trip(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert to_date(day) == day
    assert to_date(serial) == day
    assert to_date(float(serial)) == day
    assert to_date(int(day.strftime("%Y%m%d"))) == day
    assert to_date(day.strftime("%Y%m%d")) == day
    assert to_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert to_date(f"{day.year}.{day.month}.{day.day}") == day
    assert to_date(f"{day.year}/{day.month}/{day.day}") == day
    assert to_date(day.isoformat()) == day
    assert to_date(to_text(day)) == day


@given(DATES, st.integers(0, 23), st.integers(0, 59))
def test_to_datetime_round_trip(day: date, hour: int, minute: int) -> None:
    moment = datetime(day.year, day.month, day.day, hour, minute)
    assert to_datetime(f"{day.year}/{day.month}/{day.day} {hour}:{minute:02d}") == moment
    assert to_datetime(moment.isoformat()) == moment
    assert to_datetime(to_text(moment)) == moment
    serial = (moment - datetime(1899, 12, 30)) / timedelta(days=1)
    if hour or minute:
        assert to_datetime(serial) == moment


@given(
    st.one_of(
        st.text(),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.from_regex(r"\d{4}[年/.-]\d{1,2}[月/.-]\d{1,2}日?( \d{1,2}:\d{1,2})?", fullmatch=True),
    )
)
def test_conversions_fail_only_with_conversion_error(value: CellValue) -> None:
    for convert in (to_text, to_number, to_date, to_datetime):
        with contextlib.suppress(ConversionError):
            convert(value)


# --------------------------------------------------------------------------- samples

BAOXIAO = ["标题", "发起人姓名", "发起人部门", "费用类别", "总金额（元）", "事由", "票据张数"]
SHOUWEN = ["来文单位", "来文字号", "来文日期", "收文编号", "紧急程度", "秘密等级", "登记人"]


def test_sample_dingtalk() -> None:
    grid = read_grid(SAMPLES / "钉钉-报销审批.xlsx")
    table = locate_table(grid, [*BAOXIAO, "发起时间"], key="审批编号")
    assert table.header_row == 1
    assert [table.rows[0][0], table.rows[-1][0]] == [2, 31]
    assert len(table.rows) == 30
    assert table.skipped == []
    key, started, amount = table.columns["审批编号"], table.columns["发起时间"], 10
    by_row = dict(table.rows)
    ids = [row[key] for _, row in table.rows]
    assert all(isinstance(i, str) and len(i) == 21 and i.isdigit() for i in ids)
    assert "202610151030000123456" in ids
    assert by_row[20][key] == by_row[8][key]  # the duplicate on purpose
    assert len(set(ids)) == 29
    assert by_row[25][started] == "2026-09-31 09:15"  # the bad time on purpose
    with pytest.raises(ConversionError, match="no such day in that month"):
        to_datetime(by_row[25][started])
    others = [to_datetime(row[started]) for number, row in table.rows if number != 25]
    assert all(
        isinstance(moment, datetime) and datetime(2026, 9, 1) <= moment < datetime(2026, 12, 1)
        for moment in others
    )
    amounts = [to_number(row[amount]) for _, row in table.rows]
    assert sum(1 for a in amounts if a is not None and a > 5000) >= 3
    assert table.headers[amount] == "总金额（元）"


def shouwen_records(path: Path) -> list[dict[str, object]]:
    table = locate_table(read_grid(path), [*SHOUWEN, "公文标题", "承办人"], key="收文编号")
    assert table.header_row == 5
    assert [number for number, _ in table.rows] == list(range(6, 31))
    assert [number for number, _ in table.skipped] == [31, 32]
    assert table.skipped[0][1] == "footer: 合计"
    col = table.columns
    return [
        {
            "recv_no": to_text(row[col["收文编号"]]),
            "title": to_text(row[col["公文标题"]]),
            "from_org": to_text(row[col["来文单位"]]),
            "doc_no": to_text(row[col["来文字号"]]),
            "received": to_date(row[col["来文日期"]]),
            "urgency": to_text(row[col["紧急程度"]]),
            "secrecy": to_text(row[col["秘密等级"]]),
            "handler": to_text(row[col["承办人"]]),
            "registrar": to_text(row[col["登记人"]]),
        }
        for _, row in table.rows
    ]


def test_sample_zhiyuan_register_xlsx() -> None:
    records = shouwen_records(SAMPLES / "致远-收文登记簿.xlsx")
    assert records[0]["recv_no"] == "SW-2026-0101"
    assert records[6]["recv_no"] == "SW-2026-0107"
    assert records[-1]["recv_no"] == "SW-2026-0123"
    assert [r["recv_no"] for r in records[14:16]] == ["7-100", "7-101"]
    assert records[3]["doc_no"] == "某市政发〔2026〕15号"
    received = [r["received"] for r in records]
    assert all(isinstance(day, date) for day in received)
    assert received[3:8] == [
        date(2026, 10, 9),  # 2026年10月9日
        date(2026, 10, 10),
        date(2026, 10, 12),  # 2026.10.12
        date(2026, 10, 13),  # 20261013
        date(2026, 10, 14),  # a serial in a General cell
    ]
    assert received[11] == date(2026, 10, 20)  # 2026/10/20
    assert received == sorted(received, key=str)
    assert {r["urgency"] for r in records} == {"特急", "加急", "平件"}
    assert {r["secrecy"] for r in records} == {None, "秘密"}
    assert records[9]["handler"] == records[10]["handler"]  # merged 承办人 cell
    assert {r["registrar"] for r in records} == {"王敏", "刘洋"}


def test_sample_zhiyuan_gbk_csv_matches_the_xlsx() -> None:
    grid = read_grid(SAMPLES / "致远-收文登记簿-GBK.csv")
    assert (grid.kind, grid.encoding, grid.delimiter) == ("csv", "gb18030", ",")
    from_csv = shouwen_records(SAMPLES / "致远-收文登记簿-GBK.csv")
    from_xlsx = shouwen_records(SAMPLES / "致远-收文登记簿.xlsx")
    assert from_csv[10]["handler"] is None  # CSV keeps a merged cell's value once
    for record in (from_csv[10], from_xlsx[10]):
        record.pop("handler")
    assert from_csv == from_xlsx


def test_sample_weaver_html() -> None:
    grid = read_grid(SAMPLES / "泛微-收文.xls")
    assert (grid.kind, grid.encoding) == ("html", "gb18030")
    wanted = ["请求标题", "工作流", "创建日期", "创建时间", "当前节点", "未操作者", "来文单位"]
    table = locate_table(grid, wanted, key="收文编号")
    assert table.header_row == 2
    assert len(table.rows) == 20
    assert [table.rows[0][0], table.rows[-1][0]] == [3, 22]
    col = table.columns
    first = table.rows[0][1]
    assert first[col["收文编号"]] == "收〔2026〕131号"
    assert first[col["请求标题"]] == "收文办理：关于做好2026年国庆节、中秋节期间安全生产工作的通知"
    day, clock = first[col["创建日期"]], first[col["创建时间"]]
    assert to_datetime(f"{day} {clock}") == datetime(2026, 9, 25, 10, 26, 23)
    by_row = dict(table.rows)
    assert by_row[10][col["来文单位"]] == by_row[9][col["来文单位"]]  # rowspan
    assert any(row[col["未操作者"]] == "韩志强\n冯雪梅" for _, row in table.rows)
    assert by_row[3][col["未操作者"]] is None  # &nbsp; when the flow is done


def test_sample_legacy_xls() -> None:
    grid = read_grid(SAMPLES / "报销-旧版.xls")
    table = locate_table(grid, ["报销人", "所属部门", "费用类别", "报销金额"], key="单据编号")
    assert table.header_row == 2
    assert [table.rows[0][0], table.rows[-1][0]] == [3, 22]
    assert [number for number, _ in table.skipped] == [23, 24]
    by_row = dict(table.rows)
    assert [to_text(by_row[n][0]) for n in (3, 22)] == ["000123", "000142"]
    assert to_text(by_row[3][8]) == "02064659064"
    assert by_row[5][8] == 13800002222.0
    assert to_text(by_row[5][8]) == "13800002222"
    assert by_row[9][4] == "1,280.00"
    assert to_number(by_row[9][4]) == 1280
    assert by_row[14][5] == 20261030
    assert all(isinstance(to_date(row[5]), date) for _, row in table.rows)


def load_make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_samples", ROOT / "tools" / "make_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_samples_are_what_the_script_makes(tmp_path: Path) -> None:
    load_make_samples().main(["make_samples.py", str(tmp_path)])
    made = sorted(path.name for path in tmp_path.iterdir())
    assert set(made) <= {path.name for path in SAMPLES.iterdir()}
    for name in made:
        if name.endswith((".csv", ".xls")) and sniff(tmp_path / name) != "xls":
            assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
        else:
            assert read_grid(tmp_path / name).rows == read_grid(SAMPLES / name).rows, name


# --------------------------------------------------------------------------- not the workbook its name says


@pytest.mark.parametrize("name", ["fake.xlsx", "fake.xls", "fake.xlsm"])
def test_text_named_as_a_workbook_is_not_the_workbook_its_name_says(
    tmp_path: Path, name: str
) -> None:
    """It was read as a one-column CSV: `no source matches its header (0 columns match)`,
    or with --source `no header row ... found row 1: 不是表格`."""
    path = tmp_path / name
    path.write_text("不是表格\n", encoding="utf-8")
    suffix = path.suffix
    with pytest.raises(ImportFileError) as info:
        read_grid(path)
    assert str(info.value) == (
        f"{path} is named {suffix} but is not an Excel workbook: it is plain text "
        "beginning '不是表格'; download or export it again from the OA system (as .xlsx, "
        ".xls or .csv) and import that"
    )


def test_a_web_page_named_as_a_workbook_says_what_page_it_is(tmp_path: Path) -> None:
    path = tmp_path / "收文.xlsx"
    path.write_text(
        "<html><head><title>会话已过期</title></head><body>请重新登录</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match=r"is named \.xlsx but is not an Excel workbook"):
        read_grid(path)
    with pytest.raises(
        ImportFileError, match="a web page that holds no table, titled '会话已过期'"
    ):
        read_grid(path)
    path = tmp_path / "page.html"  # its name promises no workbook: as before
    path.write_text("<html><body>请重新登录</body></html>", encoding="utf-8")
    with pytest.raises(ImportFileError, match="looks like a web page but holds no table"):
        read_grid(path)


def test_tables_saved_as_text_under_a_workbook_name_are_still_read(tmp_path: Path) -> None:
    """What OA systems do and procdoc reads by content (SPEC §6) stays: an HTML table or
    delimited text saved as .xls, a header alone (a quiet day's export), text named .csv."""
    tsv = tmp_path / "导出.xls"
    tsv.write_bytes("收文编号\t标题\t来文单位\n007\t通知\t市政府\n".encode("gbk"))
    assert read_grid(tsv).rows == [["收文编号", "标题", "来文单位"], ["007", "通知", "市政府"]]
    header_only = tmp_path / "空.xls"
    header_only.write_text("收文编号,标题,来文单位\n", encoding="utf-8")
    assert read_grid(header_only).rows == [["收文编号", "标题", "来文单位"]]
    html = tmp_path / "泛微.xlsx"
    html.write_text("<table><tr><td>收文编号</td></tr><tr><td>007</td></tr></table>")
    assert read_grid(html).rows == [["收文编号"], ["007"]]
    note = tmp_path / "note.csv"
    note.write_text("不是表格\n", encoding="utf-8")
    assert read_grid(note).rows == [["不是表格"]]


@pytest.mark.parametrize("source", [[], ["--source", "any"]])
def test_cli_import_of_text_named_xlsx_is_one_line_exit_1(
    library: Path, tmp_path: Path, source: list[str]
) -> None:
    from typer.testing import CliRunner

    from procdoc.cli import app

    fake = tmp_path / "fake.xlsx"
    fake.write_text("不是表格\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(fake), *source, "-w", str(library)])
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"Error: {fake} is named .xlsx but is not an Excel workbook")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
