"""Registers (登记簿): a header row anywhere in the top rows, title rows above it that
procdoc never touches, labels matched without white space."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from procdoc.errors import LedgerError
from procdoc.ledger import Batch, HeaderSpec, LedgerStore, SheetChanges, Snapshot
from procdoc.ledger.cells import label_key

REGISTER = "收文登记簿"
LABELS = ["收文编号", "收文日期", "来文单位", "标题", "承办人", "状态"]


def store_for(folder: Path) -> LedgerStore:
    return LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc", sheets=(REGISTER,))


def hand_made_register(path: Path, *, header_row: int = 2, rows: int = 4) -> None:
    """A register as an office keeps it: a merged title row, maybe a note row, then the
    header (one label with a line break, one with spaces), then the cases; no 合计 row."""
    wb = xlsxwriter.Workbook(str(path))
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    bold = wb.add_format({"bold": True, "text_wrap": True, "border": 1})
    boxed = wb.add_format({"border": 1})
    ws = wb.add_worksheet(REGISTER)
    ws.merge_range(0, 0, 0, len(LABELS) - 1, "2026年收文登记台账", title)
    if header_row == 3:
        ws.write_string(1, 0, "说明：本表由办公室维护")
    header = [*LABELS]
    header[1] = "收文\n日期"
    header[4] = "承 办 人"
    ws.write_row(header_row - 1, 0, header, bold)
    for r in range(rows):
        ws.write_row(
            header_row + r,
            0,
            [
                f"SW2026-{r + 1:03d}",
                f"2026-03-0{r + 1}",
                "市政府办公厅",
                f"关于第{r + 1}件事的通知",
            ],
            boxed,
        )
        ws.write_string(header_row + r, 4, "张三", boxed)
        ws.write_string(header_row + r, 5, "办理中", boxed)
    ws.autofilter(header_row - 1, 0, header_row - 1 + rows, len(LABELS) - 1)
    wb.close()


def test_label_key_ignores_all_white_space() -> None:
    assert (
        label_key("承 办 人") == label_key("承办\n人") == label_key("\u3000承办人\r\n") == "承办人"
    )
    assert label_key("收文\t日期\u00a0") == "收文日期"
    assert label_key("标题") == "标题"


@pytest.mark.parametrize("header_row", [2, 3])
@pytest.mark.parametrize(
    "spec",
    [
        "fixed",
        HeaderSpec(id_label="收文编号"),
        HeaderSpec(id_label="收 文 编 号"),
        HeaderSpec(labels=("收文日期", "标题", "承办人", "没有的列")),
    ],
    ids=["row", "id_label", "id_label_spaced", "labels"],
)
def test_a_header_below_a_title_is_found(tmp_path: Path, header_row: int, spec: object) -> None:
    hand_made_register(tmp_path / "ledger.xlsx", header_row=header_row)
    if spec == "fixed":
        spec = HeaderSpec(row=header_row)
    assert isinstance(spec, HeaderSpec)
    sheet = store_for(tmp_path).read({REGISTER: spec}).sheets[REGISTER]
    assert sheet.header_row == header_row
    assert sheet.header == ["收文编号", "收文\n日期", "来文单位", "标题", "承 办 人", "状态"]
    assert [row.number for row in sheet.rows] == [header_row + n for n in range(1, 5)]
    assert sheet.value(sheet.rows[0], "收文日期") == "2026-03-01"
    assert sheet.column("承办人") == 4
    assert sheet.column("承办\n人") == 4
    assert sheet.column("收文 日期") == 1
    assert sheet.merged == []  # the title's merge lies above the header


def test_without_a_spec_the_header_is_row_1(tmp_path: Path) -> None:
    hand_made_register(tmp_path / "ledger.xlsx")
    sheet = store_for(tmp_path).read([REGISTER]).sheets[REGISTER]
    assert sheet.header_row == 1
    assert sheet.header == ["2026年收文登记台账"]
    assert sheet.merged == [(1, 0, 1, 5)]
    assert len(sheet.rows) == 5  # the header row 2 is a data row when row 1 is the header


def test_the_id_label_wins_over_more_labels_and_ties_take_the_first(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    ws.write_row(0, 0, ["标题", "承办人", "状态"])  # a note row that repeats labels
    ws.write_row(2, 0, ["收文编号", "标题"])
    ws.write_row(3, 0, ["标题", "承办人", "状态"])
    wb.close()
    store = store_for(tmp_path)
    read = store.read
    assert read({REGISTER: HeaderSpec(id_label="收文编号")}).sheets[REGISTER].header_row == 3
    by_labels = HeaderSpec(labels=("标题", "承办人", "状态"))
    assert read({REGISTER: by_labels}).sheets[REGISTER].header_row == 1
    nothing = HeaderSpec(id_label="编号", labels=("没有",))
    assert read({REGISTER: nothing}).sheets[REGISTER].header_row == 1
    beyond = HeaderSpec(labels=("甲",))
    ws_rows = read({REGISTER: beyond}).sheets[REGISTER]
    assert ws_rows.header_row == 1 and [r.number for r in ws_rows.rows] == [3, 4]


def test_a_header_past_the_top_ten_rows_is_not_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    ws.write_row(10, 0, ["收文编号", "标题"])  # row 11
    ws.write_row(11, 0, ["SW-1", "x"])
    wb.close()
    store = store_for(tmp_path)
    assert store.read({REGISTER: HeaderSpec(id_label="收文编号")}).sheets[REGISTER].header_row == 1
    sheet = store.read({REGISTER: HeaderSpec(row=11)}).sheets[REGISTER]
    assert sheet.header == ["收文编号", "标题"] and [r.values for r in sheet.rows] == [
        ["SW-1", "x"]
    ]


def test_merged_cells_in_the_header_or_the_data_are_reported(tmp_path: Path) -> None:
    """A header over two rows (序号 merged down) and merged cells among the data: the
    caller can refuse such a register; a merge above the header is not reported."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    ws.merge_range("A1:D1", "标题行")
    ws.merge_range("A2:A3", "序号")
    ws.merge_range("B2:C2", "来文")
    ws.write_row(2, 1, ["单位", "日期"])
    ws.write_string(1, 3, "标题")
    ws.merge_range("D5:D6", "合并的数据")
    ws.write_row(3, 0, [1, "市政府", "2026-01-01", "通知"])
    wb.close()
    sheet = store_for(tmp_path).read({REGISTER: HeaderSpec(row=2)}).sheets[REGISTER]
    assert sorted(sheet.merged) == [(2, 0, 3, 0), (2, 1, 2, 2), (5, 3, 6, 3)]


# -- writing below a title ----------------------------------------------------------------


def rewrite_member(path: Path, member: str, edit: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info, edit(data) if info.filename == member else data)


def sheet_xml(path: Path, n: int = 1) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{n}.xml").decode()


def row_xml(xml: str, number: int) -> str:
    m = re.search(rf'<row r="{number}"[ >].*?</row>', xml, re.S)
    assert m is not None, number
    return m.group(0)


@pytest.mark.parametrize("header_row", [2, 3])
def test_writing_a_register_with_a_title_above_its_header(tmp_path: Path, header_row: int) -> None:
    path = tmp_path / "ledger.xlsx"
    hand_made_register(path, header_row=header_row)
    wb = openpyxl.load_workbook(path)
    before = sheet_xml(path)
    above = [row_xml(before, n) for n in range(1, header_row)]
    last = header_row + 4
    store = store_for(tmp_path)
    spec = {REGISTER: HeaderSpec(id_label="收文编号")}

    def plan(snapshot: Snapshot) -> Batch:
        sheet = snapshot.sheets[REGISTER]
        assert sheet.header_row == header_row
        second = sheet.rows[1].number
        return Batch(
            {
                REGISTER: SheetChanges(
                    header_row=sheet.header_row,
                    set={second: {"承办人": "李四", "状态": "已办结"}},
                    append=[
                        {
                            "收文编号": "SW2026-005",
                            "承 办 人": "王五",
                            "办结日期": date(2026, 4, 1),
                        },
                        {"收文编号": "SW2026-006", "承办\n人": "赵六"},
                    ],
                )
            }
        )

    store.update(plan, read_sheets=spec)
    after = sheet_xml(path)
    assert [row_xml(after, n) for n in range(1, header_row)] == above  # byte for byte
    assert '<mergeCell ref="A1:F1"/>' in after
    sheet = store.read(spec).sheets[REGISTER]
    assert sheet.header[-1] == "办结日期" and sheet.column("办结日期") == 6
    assert [sheet.value(r, "收文编号") for r in sheet.rows] == [
        f"SW2026-00{n}" for n in range(1, 7)
    ]
    assert [r.number for r in sheet.rows][-2:] == [last + 1, last + 2]
    assert sheet.value(sheet.rows[1], "承办人") == "李四"
    assert sheet.value(sheet.rows[4], "承办人") == "王五"
    assert sheet.value(sheet.rows[4], "办结日期") == date(2026, 4, 1)
    assert sheet.value(sheet.rows[5], "承办人") == "赵六"
    ws = openpyxl.load_workbook(path)[REGISTER]
    assert ws.cell(header_row, 7).value == "办结日期"
    assert ws.cell(header_row, 7).font.b  # styled like the header's last label
    assert ws.cell(1, 1).value == "2026年收文登记台账"
    assert ws.cell(last + 1, 5).border.left.style == "thin"  # copied from the row above
    assert ws.auto_filter.ref == f"A{header_row}:G{last + 2}"
    assert wb[REGISTER].auto_filter.ref == f"A{header_row}:F{last}"
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert f"收文登记簿!$A${header_row}:$G${last + 2}</definedName>" in workbook  # _FilterDatabase


def test_rows_above_the_header_are_never_written(tmp_path: Path) -> None:
    hand_made_register(tmp_path / "ledger.xlsx", header_row=3)
    store = store_for(tmp_path)
    for row, message in [
        (1, "rows above the header, row 3, are never written"),
        (3, "row 3 is the header"),
    ]:
        with pytest.raises(
            LedgerError, match=re.escape(f"cannot set cells of row {row} ({message})")
        ):
            store.update(
                lambda s, row=row: Batch(
                    {REGISTER: SheetChanges(header_row=3, set={row: {"标题": "x"}})}
                ),
                read_sheets={REGISTER: HeaderSpec(row=3)},
            )


def test_an_empty_register_gets_its_first_row_below_the_header(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    hand_made_register(path, header_row=2, rows=0)
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch(
            {REGISTER: SheetChanges(header_row=2, append=[{"收文编号": "SW-1", "标题": "通知"}])}
        )
    )
    sheet = store.read({REGISTER: HeaderSpec(row=2)}).sheets[REGISTER]
    assert [(r.number, sheet.value(r, "标题")) for r in sheet.rows] == [(3, "通知")]
    ws = openpyxl.load_workbook(path)[REGISTER]
    assert not ws.cell(3, 1).font.b  # not the header's style


def test_a_table_below_a_title_grows_with_its_rows_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    ws.merge_range("A1:C1", "登记簿")
    ws.add_table(
        "A2:C4",
        {
            "columns": [{"header": h} for h in ("编号", "标题", "状态")],
            "data": [["A", "x", "办理中"], ["B", "y", "办理中"]],
        },
    )
    wb.close()
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch(
            {REGISTER: SheetChanges(header_row=2, append=[{"编号": "C", "备 注": "新列"}])}
        )
    )
    with zipfile.ZipFile(path) as z:
        table = z.read("xl/tables/table1.xml").decode()
    assert 'ref="A2:D5"' in table
    assert '<tableColumn id="4" name="备 注"/>' in table
    ws2 = openpyxl.load_workbook(path)[REGISTER]
    assert [c.value for c in ws2[2]] == ["编号", "标题", "状态", "备 注"]
    assert [c.value for c in ws2[5]] == ["C", None, None, "新列"]


# -- drop-downs and conditional formats follow appended rows ------------------------------

X14_VALIDATION = (
    b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:dataValidations xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" '
    b'count="2"><x14:dataValidation type="list" allowBlank="1"><x14:formula1>'
    b"<xm:f>\xe9\x80\x89\xe9\xa1\xb9!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>D3:D6</xm:sqref>"
    b'</x14:dataValidation><x14:dataValidation type="list" allowBlank="1"><x14:formula1>'
    b"<xm:f>\xe9\x80\x89\xe9\xa1\xb9!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>C3:C50</xm:sqref>"
    b"</x14:dataValidation></x14:dataValidations></ext></extLst>"
)


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_drop_downs_and_formats_over_the_data_rows_grow_with_appends(tmp_path: Path) -> None:
    """Ranges that covered exactly the data rows (3 to 6) grow to the new last row; any
    other range stays as it was."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    red = wb.add_format({"font_color": "#9C0006"})
    ws = wb.add_worksheet(REGISTER)
    ws.merge_range("A1:G1", "登记簿")
    ws.write_row(1, 0, ["编号", "标题", "单位", "形式", "状态", "金额", "备注"])
    for r in range(2, 6):
        ws.write_row(r, 0, [f"C-{r}", "标题", "单位", "来信", "办理中", r * 10, ""])
    ws.data_validation("E3:E6", {"validate": "list", "source": ["办理中", "已办结"]})
    ws.data_validation(
        "G3:G6",
        {"validate": "length", "criteria": "<", "value": 50, "multi_range": "G3:G6 A3:A4"},
    )
    ws.data_validation("B3:B100", {"validate": "length", "criteria": "<", "value": 50})
    ws.conditional_format("A3:G6", {"type": "formula", "criteria": '=$E3="已办结"', "format": red})
    ws.conditional_format("F3:F5", {"type": "cell", "criteria": ">", "value": 30, "format": red})
    ws.conditional_format("F3:F6", {"type": "data_bar", "data_bar_2010": True})
    options = wb.add_worksheet("选项")
    options.write_column(0, 0, ["来信", "来访", "电话"])
    wb.close()
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda data: (
            data.replace(b"</worksheet>", X14_VALIDATION + b"</worksheet>")
            if b"<extLst>" not in data
            else data.rpartition(b"</extLst>")[0]
            + X14_VALIDATION[len(b"<extLst>") : -len(b"</extLst>")]
            + b"</extLst></worksheet>"
        ),
    )
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch(
            {REGISTER: SheetChanges(header_row=2, append=[{"编号": "C-7"}, {"编号": "C-8"}])}
        )
    )
    xml = sheet_xml(path)
    sqrefs = re.findall(r'<dataValidation [^>]*sqref="([^"]*)"', xml)
    assert sorted(sqrefs) == ["B3:B100", "E3:E8", "G3:G8 A3:A4"]
    cf = re.findall(r'<conditionalFormatting sqref="([^"]*)"', xml)
    assert sorted(cf) == ["A3:G8", "F3:F5", "F3:F8"]
    assert sorted(re.findall(r"<xm:sqref>([^<]*)</xm:sqref>", xml)) == ["C3:C50", "D3:D8", "F3:F8"]
    ws2 = openpyxl.load_workbook(path)[REGISTER]
    assert sorted(sorted(str(dv.sqref).split()) for dv in ws2.data_validations.dataValidation) == [
        ["A3:A4", "G3:G8"],
        ["B3:B100"],
        ["E3:E8"],
    ]
    assert sorted(str(r.sqref) for r in ws2.conditional_formatting) == ["A3:G8", "F3:F5", "F3:F8"]


def test_nothing_grows_when_no_row_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    ws.write_row(0, 0, ["编号", "状态"])
    ws.write_row(1, 0, ["C-1", "办理中"])
    ws.data_validation("B2:B2", {"validate": "list", "source": ["办理中", "已办结"]})
    wb.close()
    store = store_for(tmp_path)
    store.update(lambda s: Batch({REGISTER: SheetChanges(set={2: {"状态": "已办结"}})}))
    assert 'sqref="B2"' in sheet_xml(path)
    store.update(lambda s: Batch({REGISTER: SheetChanges(append=[{"编号": "C-2"}])}))
    assert 'sqref="B2:B3"' in sheet_xml(path)


def test_a_big_register_below_a_title_is_verified_through_the_probe(tmp_path: Path) -> None:
    """Past the size calamine reads back whole, written cells are checked through the probe
    workbook: with the header in row 3 too."""
    path = tmp_path / "ledger.xlsx"
    hand_made_register(path, header_row=3, rows=3000)
    assert len(sheet_xml(path)) > 256 << 10
    store = store_for(tmp_path)
    spec = {REGISTER: HeaderSpec(id_label="收文编号")}
    store.update(
        lambda s: Batch(
            {
                REGISTER: SheetChanges(
                    header_row=3,
                    set={1500: {"状态": "已办结", "办结日期": date(2026, 5, 1)}},
                    append=[{"收文编号": "SW2026-3001", "承办人": "王五"}],
                )
            }
        ),
        read_sheets=spec,
    )
    sheet = store.read(spec).sheets[REGISTER]
    row = next(r for r in sheet.rows if r.number == 1500)
    assert sheet.value(row, "状态") == "已办结"
    assert sheet.value(row, "办结日期") == date(2026, 5, 1)
    assert sheet.value(sheet.rows[-1], "收文编号") == "SW2026-3001"
    assert sheet.rows[-1].number == 3004
