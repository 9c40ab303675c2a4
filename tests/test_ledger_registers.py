"""Registers (登记簿): a header row anywhere in the top rows, title rows above it that
procdoc never touches, labels matched without white space."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from procdoc.ledger import HeaderSpec, LedgerStore
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
        )
        ws.write_string(header_row + r, 4, "张三")
        ws.write_string(header_row + r, 5, "办理中")
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
