"""Sheets procdoc creates are ready to print, in a new workbook and in an existing one."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from procdoc.errors import LedgerError
from procdoc.ledger import (
    Batch,
    ColumnSpec,
    HeaderSpec,
    LedgerStore,
    NewSheet,
    SheetChanges,
    create_workbook,
)

REGISTER = "信访登记簿"
HISTORY = "流转记录"
COLUMNS = (
    ColumnSpec("信访编号"),
    ColumnSpec("收到日期", "date"),
    ColumnSpec("登记时间", "datetime"),
    ColumnSpec("信访形式", "choice", choices=("来信", "来访", "电话", "网络")),
    ColumnSpec("金额", "number"),
    ColumnSpec("诉求内容", width=40),
)
LABELS = [c.label for c in COLUMNS]


def store_for(folder: Path) -> LedgerStore:
    return LedgerStore(
        folder / "ledger.xlsx", state_dir=folder / ".procdoc", sheets=(REGISTER, HISTORY)
    )


def register_rows(n: int, start: int = 1) -> list[dict[str, object]]:
    return [
        {
            "信访编号": f"XF2026-{k:04d}",
            "收到日期": date(2026, 3, k),
            "登记时间": datetime(2026, 3, k, 9, 30),
            "信访形式": "来信",
            "金额": 1200.5,
            "诉求内容": "要求尽快处理小区噪声扰民问题",
            "备注": "后加的列",
        }
        for k in range(start, start + n)
    ]


def create_register(store: LedgerStore, *, title: str | None, rows: int = 3) -> None:
    layout = NewSheet(columns=COLUMNS, title=title)
    store.update(
        lambda s: Batch(
            {
                REGISTER: SheetChanges(
                    header_row=layout.header_row,
                    create=layout,
                    append=register_rows(rows),  # type: ignore[arg-type]
                ),
                HISTORY: SheetChanges(
                    header=["编号", "时间", "动作"],
                    append=[{"编号": "XF2026-0001", "时间": datetime(2026, 3, 1, 9, 30)}],
                ),
            }
        ),
        read_sheets=[REGISTER],
    )


def check_print_ready(path: Path, name: str, *, header_row: int, columns: int, last: int) -> None:
    """What a sheet procdoc creates must have, read back by openpyxl."""
    ws = openpyxl.load_workbook(path)[name]
    last_col = openpyxl.utils.get_column_letter(columns)
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref == f"A{header_row}:{last_col}{last}"
    assert ws.print_options.gridLines
    head = ws.cell(header_row, 1)
    assert head.font.b and head.fill.fgColor.rgb.endswith("DDEBF7")
    assert head.alignment.wrap_text and head.border.bottom.style == "thin"
    assert ws.cell(header_row, columns).font.b


@pytest.mark.parametrize("title", [None, "2026年信访事项登记台账"])
def test_a_register_in_a_new_workbook_is_ready_to_print(tmp_path: Path, title: str | None) -> None:
    store = store_for(tmp_path)
    create_register(store, title=title)
    path = tmp_path / "ledger.xlsx"
    header_row = 2 if title else 1
    check_print_ready(path, REGISTER, header_row=header_row, columns=7, last=header_row + 3)
    check_print_ready(path, HISTORY, header_row=1, columns=3, last=2)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [REGISTER, HISTORY]
    ws = wb[REGISTER]
    if title:
        assert ws["A1"].value == title
        assert ws["A1"].font.b and ws["A1"].font.sz == 16
        assert ws["A1"].alignment.horizontal == "center"
        assert [str(r) for r in ws.merged_cells.ranges] == ["A1:G1"]
    assert [c.value for c in ws[header_row]] == [*LABELS, "备注"]
    first = header_row + 1
    assert ws.cell(first, 2).number_format == "yyyy-mm-dd"
    assert ws.cell(first, 3).number_format == "yyyy-mm-dd hh:mm"
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"来信,来访,电话,网络"'
    assert str(validation.sqref) == f"D{first}:D1048576"
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEFG"}
    assert widths["B"] == pytest.approx(12) and widths["C"] == pytest.approx(18)
    assert widths["F"] == pytest.approx(40)  # as given
    assert 10 <= widths["A"] <= 20 and widths["D"] >= 10
    sheet = store.read({REGISTER: HeaderSpec(row=header_row)}).sheets[REGISTER]
    assert sheet.header == [*LABELS, "备注"]
    assert sheet.value(sheet.rows[0], "收到日期") == date(2026, 3, 1)
    assert sheet.value(sheet.rows[2], "登记时间") == datetime(2026, 3, 3, 9, 30)
    assert sheet.value(sheet.rows[0], "金额") == 1200.5


def test_a_register_added_to_an_existing_workbook_is_ready_to_print(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("台账")
    ws.write_row(0, 0, ["编号", "标题"])
    ws.write_row(1, 0, ["C-1", "旧案件"])
    ws.repeat_rows(0)  # the office's own print titles stay
    wb.close()
    store = store_for(tmp_path)
    create_register(store, title="2026年信访事项登记台账")
    check_print_ready(path, REGISTER, header_row=2, columns=7, last=5)
    check_print_ready(path, HISTORY, header_row=1, columns=3, last=2)
    wb2 = openpyxl.load_workbook(path)
    assert wb2.sheetnames == ["台账", REGISTER, HISTORY]
    assert wb2["台账"].print_title_rows == "$1:$1"
    assert [str(r) for r in wb2[REGISTER].merged_cells.ranges] == ["A1:G1"]
    # later rows keep the column formats: dates stay dates
    store.update(
        lambda s: Batch(
            {REGISTER: SheetChanges(header_row=2, append=register_rows(2, start=4))}  # type: ignore[arg-type]
        )
    )
    ws2 = openpyxl.load_workbook(path)[REGISTER]
    assert ws2["B7"].number_format == "yyyy-mm-dd" and ws2["C7"].number_format == "yyyy-mm-dd hh:mm"
    assert ws2.auto_filter.ref == "A2:G7"
    sheet = store.read({REGISTER: HeaderSpec(row=2)}).sheets[REGISTER]
    assert sheet.value(sheet.rows[-1], "收到日期") == date(2026, 3, 5)


def test_an_empty_register_is_created_with_its_header_only(tmp_path: Path) -> None:
    store = store_for(tmp_path)
    layout = NewSheet(columns=COLUMNS, title="登记台账")
    only_create = Batch({REGISTER: SheetChanges(header_row=2, create=layout)})
    assert not only_create.is_empty()
    store.update(lambda s: only_create)
    path = tmp_path / "ledger.xlsx"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(REGISTER)
    assert rows.to_python() == [["登记台账", "", "", "", "", ""], LABELS]
    check_print_ready(path, REGISTER, header_row=2, columns=6, last=2)
    # once it exists, asking to create it again changes nothing
    before = path.stat().st_mtime_ns
    store.update(lambda s: only_create)
    assert path.stat().st_mtime_ns == before
    assert not (tmp_path / ".procdoc" / "backups").exists()


def test_the_history_sheet_is_ready_to_print_without_a_layout(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    create_workbook(path, {HISTORY: (["编号", "时间", "动作"], [{"编号": "A", "动作": "新建"}])})
    check_print_ready(path, HISTORY, header_row=1, columns=3, last=2)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert "xl/worksheets/sheet1.xml" in names


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            SheetChanges(create=NewSheet(title="台账"), append=[{"a": 1}]),
            "ledger.xlsx 信访登记簿 does not exist yet and procdoc creates it with its header "
            "in row 2 (below a title), not row 1",
        ),
        (
            SheetChanges(header_row=3, append=[{"a": 1}]),
            "ledger.xlsx 信访登记簿 does not exist yet and procdoc creates it with its header "
            "in row 1 (no title), not row 3",
        ),
        (
            SheetChanges(
                create=NewSheet(columns=(ColumnSpec("形式", "choice", choices=("来信,来访",)),)),
                append=[{"形式": "来信"}],
            ),
            "ledger.xlsx 信访登记簿: the choice '来信,来访' of 形式 holds a comma, which an "
            "Excel drop-down list cannot show; use '，' instead",
        ),
        (
            SheetChanges(
                create=NewSheet(
                    columns=(
                        ColumnSpec("单位", "choice", choices=tuple(f"单位{n}" for n in range(60))),
                    )
                ),
                append=[{"单位": "单位1"}],
            ),
            "ledger.xlsx 信访登记簿: the choices of 单位 take 289 characters, more than the 255 "
            "an Excel drop-down list holds; shorten them",
        ),
    ],
)
def test_a_sheet_that_cannot_be_laid_out_is_refused(
    tmp_path: Path, changes: SheetChanges, message: str
) -> None:
    with pytest.raises(LedgerError) as info:
        store_for(tmp_path).update(lambda s: Batch({REGISTER: changes}))
    assert str(info.value) == message
    assert not (tmp_path / "ledger.xlsx").exists()


def test_a_wide_register_folds_bookkeeping_columns_and_prints_on_a3(tmp_path: Path) -> None:
    """Thirty columns fitted to A4 print too small to read: a sheet whose shown columns are
    wider than an A4 page takes A3, and folded columns (procdoc's bookkeeping) are grouped
    and hidden, so they take no room on paper until someone opens the group."""
    columns = (
        ColumnSpec("编号"),
        ColumnSpec("更新时间", "datetime", folded=True),
        *(ColumnSpec(f"字段{i}", width=14) for i in range(14)),
    )
    layout = NewSheet(columns=columns, title="2026年收文登记台账")
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch({
            REGISTER: SheetChanges(header_row=2, create=layout, append=[{"编号": "SW-1"}]),
        }),
        read_sheets=[REGISTER],
    )  # fmt: skip
    ws = openpyxl.load_workbook(tmp_path / "ledger.xlsx")[REGISTER]
    assert ws.page_setup.paperSize == 8  # A3
    assert ws.column_dimensions["B"].hidden and ws.column_dimensions["B"].outline_level == 1
    assert not ws.column_dimensions["A"].hidden and not ws.column_dimensions["C"].hidden
    narrow = NewSheet(columns=columns[:5])
    store_b = store_for(tmp_path / "b")
    (tmp_path / "b").mkdir()
    store_b.update(
        lambda s: Batch({REGISTER: SheetChanges(create=narrow, append=[{"编号": "SW-1"}])}),
        read_sheets=[REGISTER],
    )
    assert (
        openpyxl.load_workbook(tmp_path / "b" / "ledger.xlsx")[REGISTER].page_setup.paperSize == 9
    )


def test_wrapped_text_columns_grow_the_rows_procdoc_adds(tmp_path: Path) -> None:
    """A register procdoc creates wraps its text columns, and each row it adds is made
    tall enough for its longest wrapped cell: a long 标题 was cut off on paper (QA). A
    short row keeps the default height; appending later rows does not copy a tall one."""
    columns = (
        ColumnSpec("编号"),
        ColumnSpec("标题", width=20, wrap=True),
        ColumnSpec("日期", "date"),
    )
    layout = NewSheet(columns=columns, title="登记簿")
    long_title = "关于进一步加强和改进机关公文处理工作的通知（试行）"  # 26 characters: 3 lines
    rows = [
        {"编号": "A-1", "标题": long_title, "日期": date(2026, 3, 1)},
        {"编号": "A-2", "标题": "短标题", "日期": date(2026, 3, 2)},
        {"编号": "A-3", "标题": "第一行\n第二行", "日期": date(2026, 3, 3)},
    ]
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch({REGISTER: SheetChanges(header_row=2, create=layout, append=rows)}),
        read_sheets=[REGISTER],
    )  # type: ignore[arg-type]
    store.update(
        lambda s: Batch(
            {REGISTER: SheetChanges(header_row=2, append=[{"编号": "A-4", "标题": "又一个短标题"}])}
        ),
        read_sheets=[REGISTER],
    )  # a later write: its anchor is the short row before it
    ws = openpyxl.load_workbook(tmp_path / "ledger.xlsx")[REGISTER]
    assert ws["B3"].alignment.wrap_text and ws["B4"].alignment.wrap_text
    assert ws["B3"].value == long_title
    heights = {r: ws.row_dimensions[r].height for r in range(3, 7)}
    assert heights[3] == 45  # three lines of 15 points
    assert heights[4] is None and heights[6] is None  # one line: the default height
    assert heights[5] == 30  # a line break in the cell: two lines
    assert not ws["A3"].alignment.wrap_text  # an id column is not wrapped
    assert ws["C3"].number_format == "yyyy-mm-dd"  # dates stay dates


def test_a_height_procdoc_gave_is_not_copied_after_the_text_is_shortened(
    tmp_path: Path,
) -> None:
    """Review: after `set` shortened a four-line text, the row kept its 60 points (its
    text no longer explains them) and every row appended after it copied them."""
    columns = (ColumnSpec("编号"), ColumnSpec("事项", width=20, wrap=True))
    layout = NewSheet(columns=columns)
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch({REGISTER: SheetChanges(create=layout, append=[
            {"编号": "A-1", "事项": "第一行\n第二行\n第三行\n第四行"},
        ])}),
        read_sheets=[REGISTER],
    )  # fmt: skip
    store.update(
        lambda s: Batch({REGISTER: SheetChanges(set={2: {"事项": "短"}})}),
        read_sheets=[REGISTER],
    )
    for k in (2, 3):
        store.update(
            lambda s, k=k: Batch(
                {REGISTER: SheetChanges(append=[{"编号": f"A-{k}", "事项": "又一个"}])}
            ),
            read_sheets=[REGISTER],
        )
    ws = openpyxl.load_workbook(tmp_path / "ledger.xlsx")[REGISTER]
    assert ws["B2"].value == "短" and ws.row_dimensions[2].height == 60  # (as set left it)
    assert ws.row_dimensions[3].height is None and ws.row_dimensions[4].height is None


def test_an_office_registers_row_height_is_kept_when_it_shows_the_text(tmp_path: Path) -> None:
    """Rows the office made tall stay as tall: procdoc only ever grows an appended row."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(REGISTER)
    wrap = wb.add_format({"text_wrap": True})
    ws.set_column(1, 1, 20)
    ws.write_row(0, 0, ["编号", "标题"])
    ws.set_row(1, 60)  # the office's rows are 60 points, room to write by hand
    ws.write_row(1, 0, ["A-1", "短"], wrap)
    wb.close()
    store = store_for(tmp_path)
    long_title = "关于进一步加强和改进机关公文处理工作的通知（试行）"
    store.update(
        lambda s: Batch({REGISTER: SheetChanges(append=[{"编号": "A-2", "标题": long_title}])}),
        read_sheets=[REGISTER],
    )
    longer = long_title * 3  # eight lines: taller than the office's rows
    store.update(
        lambda s: Batch({REGISTER: SheetChanges(append=[{"编号": "A-3", "标题": longer}])}),
        read_sheets=[REGISTER],
    )
    sheet = openpyxl.load_workbook(path)[REGISTER]
    assert sheet.row_dimensions[3].height == 60  # the anchor's height shows three lines
    assert sheet.row_dimensions[4].height == 120  # eight lines, grown past the office's 60
