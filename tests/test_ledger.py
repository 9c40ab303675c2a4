"""The ledger store: reading, patching, fidelity of everything procdoc does not own."""

from __future__ import annotations

import operator
import re
import struct
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from procdoc.errors import LedgerError
from procdoc.ledger import Batch, LedgerStore, SheetChanges, Snapshot, create_workbook, zipraw
from procdoc.ledger import patch as patch_mod
from procdoc.ledger.cells import MAX_NUMBER, MIN_NUMBER, check_value, is_plain
from procdoc.ledger.patch import expected_read
from procdoc.ledger.sheets import sheet_members

LEDGER = "台账"
HISTORY = "流转记录"
HEADER = ["编号", "流程", "标题", "当前环节", "状态", "环节期限"]
HISTORY_HEADER = ["编号", "时间", "动作", "从环节", "到环节", "办理人", "意见"]


# -- helpers ------------------------------------------------------------------------------


def store_for(folder: Path, **kwargs: object) -> LedgerStore:
    return LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc", **kwargs)  # type: ignore[arg-type]


def raw_members(path: Path) -> dict[str, tuple[int, bytes]]:
    """Each member's CRC and raw (still compressed) bytes, read with zipfile's offsets."""
    out: dict[str, tuple[int, bytes]] = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset)
            header = f.read(30)
            n, m = struct.unpack("<HH", header[26:30])
            f.seek(info.header_offset + 30 + n + m)
            out[info.filename] = (info.CRC, f.read(info.compress_size))
    return out


def member_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def read_xml(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(member).decode("utf-8")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\xff\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def simple_ledger(path: Path, rows: int = 5, *, history: bool = True) -> None:
    """A plain ledger built like a hand-made one: shared strings, a date column style."""
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, HEADER, bold)
    for r in range(1, rows + 1):
        ws.write_string(r, 0, f"XF2026-{r:04d}")
        ws.write_string(r, 1, "信访事项办理")
        ws.write_string(r, 2, f"来信{r}")
        ws.write_string(r, 3, "登记")
        ws.write_string(r, 4, "办理中")
        ws.write_datetime(r, 5, datetime(2026, 1, r), day)
    ws.autofilter(0, 0, rows, len(HEADER) - 1)
    ws.freeze_panes(1, 0)
    if history:
        hs = wb.add_worksheet(HISTORY)
        hs.write_row(0, 0, HISTORY_HEADER, bold)
        hs.write_row(1, 0, ["XF2026-0001", "2026-01-01 09:00", "新建"])
    wb.close()


def find_row(snapshot: Snapshot, case_id: str) -> int:
    sheet = snapshot.sheets[LEDGER]
    for row in sheet.rows:
        if sheet.value(row, "编号") == case_id:
            return row.number
    raise AssertionError(case_id)


def fidelity_ledger(path: Path) -> None:
    """A ledger with what offices add by hand: a chart sheet, an image, drop-downs (one
    taking its list from another sheet), conditional formatting, a note, formulas with
    cached values, an autofilter, frozen panes, defined names, a user column and sheet."""
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#FFF2CC"})
    day = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    red = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
    ws = wb.add_worksheet(LEDGER)
    header = [*HEADER, "备注（用户列）"]
    ws.write_row(0, 0, header, bold)
    for r in range(1, 9):
        ws.write_string(r, 0, f"XF2026-{r:04d}")
        ws.write_string(r, 1, "信访事项办理")
        ws.write_string(r, 2, f"关于{r}号楼的来信")
        ws.write_string(r, 3, "登记" if r % 2 else "办理")
        ws.write_string(r, 4, "办理中")
        ws.write_datetime(r, 5, datetime(2026, 3, r), day)
        ws.write_string(r, 6, f"用户备注{r}")
    ws.data_validation("E2:E200", {"validate": "list", "source": ["办理中", "已办结"]})
    ws.data_validation("D2:D200", {"validate": "list", "source": "=选项!$A$1:$A$3"})
    ws.conditional_format(
        "F2:F200", {"type": "cell", "criteria": "<", "value": 46000, "format": red}
    )
    ws.write_comment("C2", "来信人要求书面答复")
    png = path.with_suffix(".png")
    png.write_bytes(tiny_png())
    ws.insert_image("I2", str(png))
    ws.autofilter(0, 0, 8, len(header) - 1)
    ws.freeze_panes(1, 1)
    options = wb.add_worksheet("选项")
    options.write_column(0, 0, ["登记", "办理", "归档"])
    stats = wb.add_worksheet("统计")
    stats.write_row(0, 0, ["办理中", "登记"])
    stats.write_formula(1, 0, '=COUNTIF(台账!E:E,"办理中")', None, 8)
    stats.write_formula(1, 1, '=COUNTIF(台账!D:D,"登记")', None, 4)
    stats.write_formula(2, 0, '=IF(A2>5,"多","少")', None, "多")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=统计!$A$1:$B$1", "values": "=统计!$A$2:$B$2"})
    chartsheet = wb.add_chartsheet("图表")
    chartsheet.set_chart(chart)
    hs = wb.add_worksheet(HISTORY)
    hs.write_row(0, 0, HISTORY_HEADER, bold)
    hs.write_row(1, 0, ["XF2026-0001", None, "新建"])
    hs.write_datetime(
        1, 1, datetime(2026, 3, 1, 9), wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    )
    wb.define_name("案件编号", "=台账!$A$2:$A$200")
    wb.define_name("统计!本地名", "=统计!$A$2")
    wb.close()


# -- reading ------------------------------------------------------------------------------


def test_read_missing_file(tmp_path: Path) -> None:
    snapshot = store_for(tmp_path).read()
    assert snapshot.exists is False
    assert snapshot.sheets == {}
    assert snapshot.fingerprint is None


def test_read_values_and_types(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, [" 编号 ", "数", "小数", "真", "日期", "时刻", "午夜", "", "错误", 2026])
    ws.write_string(1, 0, "000123")
    ws.write_number(1, 1, 5.0)
    ws.write_number(1, 2, 2.5)
    ws.write_boolean(1, 3, True)
    ws.write_datetime(1, 4, datetime(2026, 5, 6), day)
    ws.write_datetime(1, 5, datetime(2026, 5, 6, 9, 30), moment)
    ws.write_datetime(1, 6, datetime(2026, 5, 6), moment)
    ws.write_formula(1, 8, "=1/0", None, "#DIV/0!")
    ws.write_string(3, 0, "123456789012345678901")  # row 3 left empty
    ws.write_string(3, 9, "  空格  ")
    wb.close()
    snapshot = store_for(tmp_path).read([LEDGER, "没有这个表"])
    assert list(snapshot.sheets) == [LEDGER]
    sheet = snapshot.sheets[LEDGER]
    assert sheet.header == ["编号", "数", "小数", "真", "日期", "时刻", "午夜", "", "错误", "2026"]
    assert [r.number for r in sheet.rows] == [2, 4]
    first, second = sheet.rows
    assert first.values[:7] == [
        "000123",
        5,
        2.5,
        True,
        date(2026, 5, 6),
        datetime(2026, 5, 6, 9, 30),
        date(2026, 5, 6),  # midnight reads as a date (calamine's choice, documented)
    ]
    assert type(first.values[1]) is int
    assert sheet.value(first, "错误") is None
    assert sheet.value(second, "编号") == "123456789012345678901"
    assert sheet.value(second, "2026") == "  空格  "
    assert sheet.value(second, "没有") is None
    assert sheet.column("编号") == 0 and sheet.column(" 编号") == 0
    assert snapshot.fingerprint is not None and snapshot.fingerprint[0] == path.stat().st_size


def test_sheets_read_together_equal_sheets_read_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of several sheets parses all but the first in a thread of its own
    (reader._ParseAhead); what it reads is what reading each sheet alone gives, also when
    that thread cannot open the workbook (the sheet is then parsed where it always was)."""
    from procdoc.ledger import reader

    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for s, name in enumerate(["甲", "乙", "丙"]):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["编号", "日期", "数"])
        for r in range(1, 300 * (s + 1)):
            ws.write_string(r, 0, f"{name}-{r}")
            ws.write_datetime(r, 1, datetime(2026, 1, 1) + timedelta(days=r), day)
            ws.write_number(r, 2, r / 4)
    wb.close()
    names = {"乙": None, "没有": None, "甲": None, "丙": None}
    alone = {name: reader._read_sheets(path, {name: None}, "x")[0].get(name) for name in names}
    together, worksheets = reader._read_sheets(path, names, "x")
    assert worksheets == ["甲", "乙", "丙"]
    assert list(together) == ["乙", "甲", "丙"]
    for name, sheet in together.items():
        assert sheet == alone[name]
    refused: list[str] = []
    real = CalamineWorkbook.from_path

    def from_path(at: str) -> CalamineWorkbook:
        if threading.current_thread() is not threading.main_thread():
            refused.append(at)
            raise OSError("busy")
        return real(at)

    monkeypatch.setattr(CalamineWorkbook, "from_path", from_path)
    assert reader._read_sheets(path, names, "x")[0] == together
    assert refused == [str(path)]
    # a ledger larger than SIDE_BY_SIDE_BYTES: one sheet at a time, and no read ahead
    monkeypatch.setattr(reader, "SIDE_BY_SIDE_BYTES", path.stat().st_size - 1)
    refused.clear()
    assert reader._read_sheets(path, names, "x")[0] == together
    assert refused == []
    assert LedgerStore(path, state_dir=tmp_path / ".procdoc").read_ahead(list(names)) is None


@pytest.mark.parametrize("cache", [True, False])
def test_a_read_ahead_is_used_only_for_the_version_it_read(tmp_path: Path, cache: bool) -> None:
    """LedgerStore.read_ahead (an import has the ledger parsed while it reads its export):
    the update given it plans on exactly what a read under the lock gives, whether the file
    stayed as the thread read it, was written by procdoc meanwhile, or by another program;
    a read ahead gives only the sheets it read, each once (an update reading more reads
    the others itself)."""
    from procdoc.ledger import reader
    from test_ledger_registers import rewrite_member

    store = store_for(tmp_path, cache=cache)
    store.update(
        lambda s: Batch(
            {
                LEDGER: SheetChanges(header=HEADER, append=[{"编号": "A-1", "标题": "甲"}]),
                HISTORY: SheetChanges(header=HISTORY_HEADER, append=[{"编号": "A-1"}]),
            }
        ),
        read_sheets=[LEDGER, HISTORY],
    )
    taken: list[tuple[int, int]] = []
    real_take = reader.ReadAhead.take

    def take(self: reader.ReadAhead, index: object, names: object) -> object:
        loaded, parsed = real_take(self, index, names)  # type: ignore[arg-type]
        taken.append((len(loaded), len(parsed)))
        return loaded, parsed

    seen: list[list[object]] = []

    def plan(snap: Snapshot) -> Batch:
        seen.append([snap.sheets[LEDGER].rows[0].values[2], len(snap.sheets[HISTORY].rows)])
        return Batch({HISTORY: SheetChanges(append=[{"编号": "A-1"}])})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reader.ReadAhead, "take", take)
        ahead = store.read_ahead([LEDGER, HISTORY])  # as it is: used
        store.update(plan, read_sheets=[LEDGER, HISTORY], ahead=ahead)
        ahead = store.read_ahead([LEDGER, HISTORY])  # again: from the cache, if there is one
        store.update(plan, read_sheets=[LEDGER, HISTORY], ahead=ahead)
        ahead = store.read_ahead([LEDGER, HISTORY])  # then written by procdoc: not used
        ahead.close()
        store.update(
            lambda s: Batch({LEDGER: SheetChanges(set={2: {"标题": "乙"}})}), read_sheets=[LEDGER]
        )
        store.update(plan, read_sheets=[LEDGER, HISTORY], ahead=ahead)
        ahead = store.read_ahead([LEDGER, HISTORY])  # then changed by another program: not used
        ahead.close()
        rewrite_member(
            tmp_path / "ledger.xlsx",
            sheet_members(tmp_path / "ledger.xlsx")[LEDGER],
            lambda data: data.replace("乙".encode(), "丙".encode()),
        )
        store.update(plan, read_sheets=[LEDGER, HISTORY], ahead=ahead)
        ahead = store.read_ahead([LEDGER])  # of one of the two sheets: that one
        store.update(plan, read_sheets=[LEDGER, HISTORY], ahead=ahead)
        assert ahead is not None and ahead.take(ahead.index, {LEDGER: None}) == ({}, {})
    assert seen == [["甲", 1], ["甲", 2], ["乙", 3], ["丙", 4], ["丙", 5]]
    last = (1, 0) if cache else (0, 1)
    assert taken[:-1] == [(0, 2), (2, 0) if cache else (0, 2), (0, 0), (0, 0), last]


def test_a_read_hashes_nothing_and_no_write_could_trust_it(tmp_path: Path) -> None:
    """Reading commands skip the SHA-256 of the file (10 ms at 100k rows, plus loading
    OpenSSL); a snapshot without it matches no file, so a write could never rely on it."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet(LEDGER).write_row(0, 0, ["编号", "状态"])
    wb.close()
    store = store_for(tmp_path)
    plain = store.read([LEDGER]).fingerprint
    hashed = store.read([LEDGER], hashed=True).fingerprint
    st = path.stat()
    assert plain == (st.st_size, st.st_mtime_ns, "")
    assert hashed is not None and hashed[:2] == plain[:2] and len(hashed[2]) == 64
    assert store._still(hashed) and not store._still(plain)
    seen = []
    store.update(lambda snap: (seen.append(snap.fingerprint), Batch())[1], read_sheets=[LEDGER])
    assert seen == [hashed]


def test_read_sheet_not_starting_at_a1(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_string(2, 2, "x")
    ws.write_string(3, 4, "y")
    wb.close()
    sheet = store_for(tmp_path).read([LEDGER]).sheets[LEDGER]
    assert sheet.header == []
    assert [(r.number, r.values) for r in sheet.rows] == [
        (3, [None, None, "x"]),
        (4, [None, None, None, None, "y"]),
    ]


# -- creating -----------------------------------------------------------------------------


def test_new_ledger_is_created(tmp_path: Path) -> None:
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        assert not snapshot.exists
        batch = Batch()
        history = batch.sheet(HISTORY)
        history.header = HISTORY_HEADER
        history.append.append({"编号": "000123", "时间": datetime(2026, 5, 6, 9, 30)})
        cases = batch.sheet(LEDGER)
        cases.header = HEADER
        cases.append.append(
            {"编号": "000123", "标题": "关于〔2026〕1号的来信", "环节期限": date(2026, 5, 20)}
        )
        cases.append.append({"编号": "000124", "标题": "第二件", "环节期限": date(2026, 6, 1)})
        return batch

    store.update(plan)
    path = tmp_path / "ledger.xlsx"
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [LEDGER, HISTORY]
    snapshot = store.read()
    cases = snapshot.sheets[LEDGER]
    assert cases.header == HEADER
    assert [cases.value(r, "编号") for r in cases.rows] == ["000123", "000124"]
    assert cases.value(cases.rows[0], "环节期限") == date(2026, 5, 20)
    history = snapshot.sheets[HISTORY]
    assert history.value(history.rows[0], "时间") == datetime(2026, 5, 6, 9, 30)

    wb = openpyxl.load_workbook(path)
    ws = wb[LEDGER]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F3"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws["F2"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["F"].width == pytest.approx(12, abs=1)
    assert 14 <= ws.column_dimensions["C"].width <= 30
    assert wb[HISTORY]["B2"].number_format == "yyyy-mm-dd hh:mm"
    # the date column's default format keeps later rows dates
    cols = read_xml(path, "xl/worksheets/sheet1.xml")
    assert re.search(r'<col min="6" max="6"[^>]*style="\d+"', cols)
    assert list((tmp_path / ".procdoc" / "backups").glob("*")) == []


def test_create_workbook_is_atomic_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    create_workbook(path, {"表": (["a", "b"], [{"a": "x", "b": 1}, {"c": date(2026, 1, 2)}])})
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()
    assert rows == [["a", "b", "c"], ["x", 1.0, ""], ["", "", date(2026, 1, 2)]]
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# -- patching -----------------------------------------------------------------------------


def test_fidelity_of_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    fidelity_ledger(path)
    before = raw_members(path)
    names_before = member_names(path)
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        number = find_row(snapshot, "XF2026-0004")
        batch = Batch()
        batch.sheet(LEDGER).set[number] = {"当前环节": "归档", "环节期限": date(2026, 4, 30)}
        batch.sheet(LEDGER).append.append(
            {
                "编号": "XF2026-0009",
                "标题": "新来信",
                "状态": "办理中",
                "环节期限": date(2026, 5, 1),
            }
        )
        batch.sheet(HISTORY).append.append(
            {"编号": "XF2026-0004", "时间": datetime(2026, 4, 1, 10, 0), "动作": "归档"}
        )
        return batch

    store.update(plan)
    after = raw_members(path)
    assert member_names(path) == names_before  # same parts, same order
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {
        "xl/worksheets/sheet1.xml",  # 台账
        "xl/worksheets/sheet4.xml",  # 流转记录
        "xl/workbook.xml",  # _xlnm._FilterDatabase follows the autofilter
    }
    for name in set(before) - changed:
        assert before[name][0] == after[name][0]

    wb = CalamineWorkbook.from_path(str(path))
    stats = wb.get_sheet_by_name("统计").to_python()
    assert stats[1] == [8.0, 4.0] and stats[2][0] == "多"  # cached formula values survive
    snapshot = store.read([LEDGER, HISTORY])
    cases = snapshot.sheets[LEDGER]
    row4 = next(r for r in cases.rows if r.number == 5)
    assert cases.value(row4, "当前环节") == "归档"
    assert cases.value(row4, "环节期限") == date(2026, 4, 30)
    assert [cases.value(r, "备注（用户列）") for r in cases.rows] == [
        *(f"用户备注{r}" for r in range(1, 9)),
        None,
    ]
    assert cases.rows[-1].number == 10 and cases.value(cases.rows[-1], "编号") == "XF2026-0009"
    history = snapshot.sheets[HISTORY]
    assert [history.value(r, "动作") for r in history.rows] == ["新建", "归档"]

    sheet_xml = read_xml(path, "xl/worksheets/sheet1.xml")
    assert '<dimension ref="A1:G10"/>' in sheet_xml
    assert '<autoFilter ref="A1:G10"/>' in sheet_xml
    assert "台账!$A$1:$G$10" in read_xml(path, "xl/workbook.xml")
    # the appended date kept the column's own 年月日 style, taken from the row above
    styles = re.findall(r'<c r="F(\d+)" s="(\d+)"', sheet_xml)
    assert len({s for row, s in styles if row != "1"}) == 1

    ro = openpyxl.load_workbook(path, read_only=True)
    assert ro.sheetnames == [LEDGER, "选项", "统计", "图表", HISTORY]
    full = openpyxl.load_workbook(path)
    ws = full[LEDGER]
    assert ws.freeze_panes == "B2"
    assert ws["F10"].number_format == 'yyyy"年"m"月"d"日"'
    assert len(ws.data_validations.dataValidation) == 2
    assert ws["C2"].comment is not None


def test_header_labels_are_added_after_the_last_used_column(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "", "标题"], bold)
    ws.write_row(1, 0, ["A-1", "x", "t"])
    wb.close()
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        batch = Batch()
        changes = batch.sheet(LEDGER)
        changes.header = ["标题", "状态", "承办人"]
        changes.set[2] = {"承办人": "张三", "来源": "OA"}
        return batch

    store.update(plan)
    sheet = store.read([LEDGER]).sheets[LEDGER]
    assert sheet.header == ["编号", "", "标题", "状态", "承办人", "来源"]
    assert sheet.rows[0].values == ["A-1", "x", "t", None, "张三", "OA"]
    xml = read_xml(path, "xl/worksheets/sheet1.xml")
    header_styles = re.findall(r'<c r="[A-F]1" s="(\d+)"', xml)
    assert len(header_styles) == 6 and len(set(header_styles)) == 1  # new labels look bold too


def test_append_copies_styles_and_fixes_dates(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    money = wb.add_format({"num_format": '"¥"#,##0.00', "border": 1})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["编号", "金额", "日期", "收到"])
    ws.write_string(1, 0, "A-1")
    ws.write_number(1, 1, 12.5, money)
    ws.write_datetime(1, 2, datetime(2026, 1, 2), day)
    ws.write_number(1, 3, 7, money)
    wb.close()
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        batch = Batch()
        batch.sheet(LEDGER).append.append(
            {"编号": "A-2", "金额": 99, "日期": 3, "收到": datetime(2026, 2, 3, 8, 15)}
        )
        batch.sheet(LEDGER).append.append({"编号": "A-3", "收到": date(2026, 2, 4)})
        return batch

    store.update(plan)
    sheet = store.read([LEDGER]).sheets[LEDGER]
    assert [r.values for r in sheet.rows[1:]] == [
        ["A-2", 99, 3, datetime(2026, 2, 3, 8, 15)],
        ["A-3", None, None, date(2026, 2, 4)],
    ]
    ws2 = openpyxl.load_workbook(path)[LEDGER]
    assert ws2["B3"].number_format == '"¥"#,##0.00' and ws2["B3"].border.left.style == "thin"
    assert ws2["C3"].number_format == "General"  # a number in a date column stays a number
    assert ws2["D3"].number_format == "yyyy-mm-dd hh:mm"  # a datetime in a money cell
    assert ws2["D3"].border.left.style == "thin"  # ... keeps the rest of its style
    assert ws2["D4"].number_format == "yyyy-mm-dd"


def test_set_none_clears_value_and_keeps_style(tmp_path: Path) -> None:
    simple_ledger(tmp_path / "ledger.xlsx")
    store = store_for(tmp_path)
    store.update(lambda s: Batch({LEDGER: SheetChanges(set={3: {"环节期限": None, "状态": ""}})}))
    sheet = store.read([LEDGER]).sheets[LEDGER]
    row = next(r for r in sheet.rows if r.number == 3)
    assert sheet.value(row, "环节期限") is None and sheet.value(row, "状态") is None
    xml = read_xml(tmp_path / "ledger.xlsx", "xl/worksheets/sheet1.xml")
    assert re.search(r'<c r="F3" s="\d+"/>', xml)
    assert '<c r="E3"' not in xml  # no style to keep: the cell is gone


def test_rows_are_found_by_number_after_sorting(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态"])
    for r, case in enumerate(["C-3", "C-1", "C-2"], start=1):  # sorted by hand, descending
        ws.write_row(r, 0, [case, "办理中"])
    wb.close()
    store = store_for(tmp_path)
    store.update(
        lambda snapshot: Batch(
            {LEDGER: SheetChanges(set={find_row_id(snapshot, "C-1"): {"状态": "已办结"}})}
        )
    )
    sheet = store.read([LEDGER]).sheets[LEDGER]
    assert [(sheet.value(r, "编号"), sheet.value(r, "状态")) for r in sheet.rows] == [
        ("C-3", "办理中"),
        ("C-1", "已办结"),
        ("C-2", "办理中"),
    ]


def find_row_id(snapshot: Snapshot, case_id: str) -> int:
    sheet = snapshot.sheets[LEDGER]
    return next(r.number for r in sheet.rows if sheet.value(r, "编号") == case_id)


def test_missing_history_sheet_is_added(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path, history=False)
    before = raw_members(path)
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        batch = Batch()
        batch.sheet(HISTORY).header = HISTORY_HEADER
        batch.sheet(HISTORY).append.append(
            {"编号": "XF2026-0001", "时间": datetime(2026, 1, 5, 9, 0), "动作": "新建"}
        )
        return batch

    store.update(plan)
    after = raw_members(path)
    assert set(after) - set(before) == {"xl/worksheets/sheet2.xml"}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
        "xl/workbook.xml",
        "xl/styles.xml",  # the header style and the datetime format of the new sheet
    }
    history = store.read([HISTORY]).sheets[HISTORY]
    assert history.header == HISTORY_HEADER
    assert history.rows[0].values[:3] == ["XF2026-0001", datetime(2026, 1, 5, 9, 0), "新建"]
    ws = openpyxl.load_workbook(path)[HISTORY]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G2"
    assert ws["A1"].font.b and ws["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_tables_and_defined_names_follow_appends(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.add_table("A1:C3", {"columns": [{"header": h} for h in ["编号", "状态", "标题"]]})
    ws.write_row(1, 0, ["T-1", "办理中", "一"])
    ws.write_row(2, 0, ["T-2", "办理中", "二"])
    wb.close()
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        batch = Batch()
        batch.sheet(LEDGER).header = ["承办人"]
        batch.sheet(LEDGER).append.append({"编号": "T-3", "承办人": "李四"})
        return batch

    store.update(plan)
    table = read_xml(path, "xl/tables/table1.xml")
    assert 'ref="A1:D4"' in table and '<autoFilter ref="A1:D4"/>' in table
    assert 'name="承办人"' in table and 'count="4"' in table
    ws2 = openpyxl.load_workbook(path)[LEDGER]
    assert ws2.tables["Table1"].ref == "A1:D4"
    assert ws2["D4"].value == "李四"


def test_table_with_totals_row_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.add_table(
        "A1:B4",
        {
            "total_row": True,
            "columns": [
                {"header": "编号", "total_string": "合计"},
                {"header": "金额", "total_function": "sum"},
            ],
        },
    )
    ws.write_row(1, 0, ["T-1", 1])
    ws.write_row(2, 0, ["T-2", 2])
    wb.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="totals row"):
        store_for(tmp_path).update(
            lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "T-3"}])})
        )
    assert path.read_bytes() == before


def test_overwriting_a_formula_drops_calc_chain_and_recalculates(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    _add_formula_and_calc_chain(path)
    store = store_for(tmp_path)
    store.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"状态": "已办结"}})}))
    names = member_names(path)
    assert "xl/calcChain.xml" not in names
    assert "calcChain" not in read_xml(path, "[Content_Types].xml")
    assert "calcChain" not in read_xml(path, "xl/_rels/workbook.xml.rels")
    assert 'fullCalcOnLoad="1"' in read_xml(path, "xl/workbook.xml")
    assert store.read([LEDGER]).sheets[LEDGER].rows[0].values[4] == "已办结"
    openpyxl.load_workbook(path)


def _rewrite(
    path: Path, edits: dict[str, bytes | None], extra: dict[str, bytes] | None = None
) -> None:
    """Replace (or with None drop) zip members, as another tool saving the file would."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name in edits:
                new = edits[name]
                if new is None:
                    continue
                data = new
            z.writestr(name, data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)


def _add_formula_and_calc_chain(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
        workbook = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
        types = z.read("[Content_Types].xml")
    sheet = re.sub(
        rb'<c r="E2"[^>]*>.*?</c>', b'<c r="E2" t="str"><f>D2&amp;"!"</f><v>x</v></c>', sheet
    )
    workbook = workbook.replace(b' fullCalcOnLoad="1"', b"")
    rels = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    chain = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns='
        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="E2" i="1"/></calcChain>'
    )
    _rewrite(
        path,
        {
            "xl/worksheets/sheet1.xml": sheet,
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": rels,
            "[Content_Types].xml": types,
        },
        {"xl/calcChain.xml": chain},
    )


def test_formulas_elsewhere_make_excel_recalculate(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    fidelity_ledger(path)
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")
    _rewrite(path, {"xl/workbook.xml": workbook})
    store_for(tmp_path).update(lambda s: Batch({HISTORY: SheetChanges(append=[{"编号": "x"}])}))
    assert 'fullCalcOnLoad="1"' in read_xml(path, "xl/workbook.xml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda x: (
                x.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
                .replace(b"</worksheet>", b"</x:worksheet>")
                .replace(b"<sheetData", b"<x:sheetData")
                .replace(b"</sheetData>", b"</x:sheetData>")
            ),
            "namespace prefix",
        ),
        (lambda x: x.replace(b'<c r="E3"', b"<c"), "no r= attribute"),
        (lambda x: x.replace(b'<row r="3"', b"<row"), "no r= attribute"),
        (
            lambda x: re.sub(
                rb'<c r="E3"[^>]*>.*?</c>',
                b'<c r="E3"><f t="shared" ref="E3:E5" si="0">D3</f><v>1</v></c>',
                x,
            ),
            "shared formula",
        ),
        (
            lambda x: x.replace(
                b"</sheetData>",
                b'</sheetData><mergeCells count="1"><mergeCell ref="D3:E3"/></mergeCells>',
            ),
            "merged cells",
        ),
        (lambda x: x.replace(b'<row r="3"', b'<!-- note --><row r="3"'), "comment or CDATA"),
        # the cell to write is there twice (an untouched column there twice is passed on
        # as it is, like every row procdoc does not change)
        (lambda x: x.replace(b'<c r="D3"', b'<c r="E3"'), "two cells in one column"),
        (
            lambda x: x.replace(b'<c r="B3"', b'<c r="A3"').replace(b'<c r="C3"', b"<c r='C3'"),
            "two cells in one column",
        ),
    ],
)
def test_unsafe_workbooks_are_refused(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    new = edit(sheet)
    assert new != sheet
    _rewrite(path, {"xl/worksheets/sheet1.xml": new})
    before = path.read_bytes()
    with pytest.raises(LedgerError, match=message) as info:
        store_for(tmp_path).update(
            lambda s: Batch({LEDGER: SheetChanges(set={3: {"状态": "已办结"}})})
        )
    assert "台账" in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".procdoc", "ledger.xlsx"]


def test_overwriting_cells_keeps_the_rest_of_the_row_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    with zipfile.ZipFile(path) as z:
        before = z.read("xl/worksheets/sheet1.xml").decode()
    store_for(tmp_path).update(
        lambda s: Batch({LEDGER: SheetChanges(set={3: {"状态": "已办结", "标题": None}})})
    )
    after = read_xml(path, "xl/worksheets/sheet1.xml")
    row = re.compile(r'<row r="3".*?</row>', re.S)
    old, new = row.search(before), row.search(after)
    assert old is not None and new is not None
    cell = re.compile(r'<c r="([CE])3".*?(?:/>|</c>)')
    assert cell.sub("", old.group(0)) == cell.sub("", new.group(0))  # the rest: same bytes
    assert '<c r="C3"' not in new.group(0)  # emptied, unstyled: gone
    assert '<c r="E3" t="inlineStr"><is><t>已办结</t></is></c>' in new.group(0)
    assert row.sub("", before) == row.sub("", after)  # and the rest of the sheet


def test_rows_written_unusually_are_patched_the_same(tmp_path: Path) -> None:
    """Rows with whitespace between cells, single quotes or lower-case references take the general path of the row splitter and come out with the same values, the
    untouched cells keeping their bytes."""
    results = []
    for unusual in (False, True):
        folder = tmp_path / f"unusual{unusual}"
        folder.mkdir()
        path = folder / "ledger.xlsx"
        simple_ledger(path)
        with zipfile.ZipFile(path) as z:
            sheet = z.read("xl/worksheets/sheet1.xml")
        if unusual:
            sheet = sheet.replace(b'<c r="A3"', b"\n  <c r='A3'").replace(
                b'<c r="C3"', b'\n  <c r="c3"'
            )
            _rewrite(path, {"xl/worksheets/sheet1.xml": sheet})
        store_for(folder).update(
            lambda s: Batch({LEDGER: SheetChanges(set={3: {"状态": "已办结", "标题": None}})})
        )
        xml = read_xml(path, "xl/worksheets/sheet1.xml")
        row3 = re.search(r'<row r="3".*?</row>', xml, re.S)
        assert row3 is not None
        if unusual:
            # the untouched cell keeps its bytes (whitespace between cells is not kept)
            assert "<c r='A3' t=\"s\"><v>" in row3.group(0)
            assert 'r="c3"' not in row3.group(0)  # emptied, unstyled: left out
        results.append(store_for(folder).read([LEDGER]).sheets[LEDGER].rows[1].values)
    assert results[0] == results[1]
    assert results[0][2] is None and results[0][4] == "已办结"


def test_a_prefixed_cell_deep_in_the_sheet_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first piece of the sheet is checked for prefixed elements as a whole; a row
    procdoc rewrites further down is checked again, and a cell written as <x:c> next to
    the one procdoc overwrites (D7, whose bytes it takes up to the next <c r=) is never
    swallowed."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path, rows=8)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b'<c r="E7"')
    end = sheet.index(b"</c>", start) + len(b"</c>")
    cell = sheet[start:end].replace(b"<c ", b'<x:c xmlns:x="urn:x" ').replace(b"</c>", b"</x:c>")
    _rewrite(path, {"xl/worksheets/sheet1.xml": sheet[:start] + cell + sheet[end:]})
    real = zipraw.iter_inflated

    def small(f, member):  # type: ignore[no-untyped-def]
        for chunk in real(f, member):
            for i in range(0, len(chunk), 64):
                yield chunk[i : i + 64]

    monkeypatch.setattr(zipraw, "iter_inflated", small)
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="namespace-prefixed"):
        store_for(tmp_path).update(
            lambda s: Batch({LEDGER: SheetChanges(set={7: {"当前环节": "办理"}})})
        )
    assert path.read_bytes() == before


def _row_xml(path: Path, number: int) -> str:
    found = re.search(rf'<row r="{number}".*?</row>', read_xml(path, "xl/worksheets/sheet1.xml"))
    assert found is not None
    return found.group(0)


def _edit_sheet(path: Path, edit: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    new = edit(sheet)
    assert new != sheet
    _rewrite(path, {"xl/worksheets/sheet1.xml": new})


@pytest.mark.parametrize("probe", [False, True])
@pytest.mark.parametrize(
    "edit",
    [
        # an end tag written "</row >" (legal XML): row 4 must not be taken into row 3
        lambda x: x.replace(b"</row>", b"</row >", 3).replace(b"</row >", b"</row>", 2),
        # a processing instruction holding a raw <c r=...> inside the row
        lambda x: x.replace(b'<c r="E3"', b'<?n <c r="E3"/?><c r="E3"'),
    ],
    ids=["end-tag-with-space", "processing-instruction"],
)
def test_rows_the_fast_paths_must_not_take_are_refused(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit, probe: bool
) -> None:
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    _edit_sheet(path, edit)
    if probe:
        monkeypatch.setattr(patch_mod, "FULL_VERIFY_LIMIT", 0)
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="row 3 holds a cell procdoc cannot parse"):
        store_for(tmp_path).update(
            lambda s: Batch({LEDGER: SheetChanges(set={3: {"状态": "已办结"}})})
        )
    assert path.read_bytes() == before


def test_what_follows_a_rows_cells_stays_after_them(tmp_path: Path) -> None:
    """A row's own <extLst/> after its cells is neither swallowed with the last cell nor
    moved between cells."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    _edit_sheet(path, lambda x: x.replace(b"</c></row>", b"</c><extLst/></row>", 3))  # rows 1-3
    store_for(tmp_path).update(
        lambda s: Batch(
            {LEDGER: SheetChanges(set={2: {"环节期限": date(2026, 7, 1)}, 3: {"新列": "x"}})}
        )
    )
    assert _row_xml(path, 1).endswith("</c><extLst/></row>")  # 新列 added to the header
    assert _row_xml(path, 2).endswith("</c><extLst/></row>")
    assert _row_xml(path, 3).endswith("</c><extLst/></row>") and '<c r="G3"' in _row_xml(path, 3)
    values = store_for(tmp_path).read([LEDGER]).sheets[LEDGER].rows
    assert values[0].values[5] == date(2026, 7, 1) and values[1].values[6] == "x"


def test_a_cell_end_tag_with_a_space_does_not_take_its_neighbour(tmp_path: Path) -> None:
    """ "</c >" (legal XML) in a row the general path takes apart (a rich-text cell sends
    it there): overwriting that cell keeps the next one."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    rich = (
        b'<c r="C3" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>red</t></r></is></c>'
    )
    _edit_sheet(
        path,
        lambda x: re.sub(
            rb'<c r="C3".*?</c>', rich, x.replace(b'</c><c r="B3"', b'</c ><c r="B3"')
        ),
    )
    store_for(tmp_path).update(
        lambda s: Batch({LEDGER: SheetChanges(set={3: {"编号": "XF2026-9999"}})})
    )
    row = store_for(tmp_path).read([LEDGER]).sheets[LEDGER].rows[1].values
    assert row[:3] == ["XF2026-9999", "信访事项办理", "red"]


def test_values_excel_cannot_hold_are_refused(tmp_path: Path) -> None:
    simple_ledger(tmp_path / "ledger.xlsx")
    before = (tmp_path / "ledger.xlsx").read_bytes()
    store = store_for(tmp_path)
    for value, message in [
        ("x" * 32768, "at most 32767"),
        ("😀" * 16384, "32768 characters long as Excel counts them"),  # 2 UTF-16 units each
        (1e308, "cannot be stored"),
        (1e-310, "cannot be stored"),
        (2**60, "store it as text"),
        (float("nan"), "cannot be stored"),
        (date(1899, 12, 31), "cannot store the date"),
        ("a\ud800b", "U\\+D800"),
        ("a\ufffeb", "U\\+FFFE"),
    ]:
        with pytest.raises(LedgerError, match=f"台账 row 2 标题: .*{message}"):
            store.update(lambda s, v=value: Batch({LEDGER: SheetChanges(set={2: {"标题": v}})}))
        # appended rows: their values are checked as they are written (after rows that
        # repeat a value already written)
        rows = [{"编号": "N-1", "标题": "正常"}, {"编号": "N-2", "标题": value}]
        with pytest.raises(LedgerError, match=f"台账 row 8 标题: .*{message}"):
            store.update(lambda s, r=rows: Batch({LEDGER: SheetChanges(append=r)}))
    assert (tmp_path / "ledger.xlsx").read_bytes() == before
    with pytest.raises(LedgerError, match="row 1 is the header"):
        store.update(lambda s: Batch({LEDGER: SheetChanges(set={1: {"标题": "x"}})}))


def test_labels_that_differ_only_in_spaces_are_one_column(tmp_path: Path) -> None:
    """ "标题" and "标题 " name the same column; the value given last is written, once."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    store = store_for(tmp_path)
    row = {"编号": "N-1", "标题": "先", " 标题 ": "后"}
    store.update(lambda s: Batch({LEDGER: SheetChanges(append=[row], set={3: dict(row)})}))
    assert _row_xml(path, 7).count('r="C7"') == 1 and _row_xml(path, 3).count('r="C3"') == 1
    rows = store.read([LEDGER]).sheets[LEDGER].rows
    assert rows[1].values[2] == "后" and rows[-1].values[:3] == ["N-1", None, "后"]


def test_date1904_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "日期"])
    ws.write_row(1, 0, ["A-1"])
    ws.write_datetime(1, 1, datetime(2026, 1, 2), wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    store = store_for(tmp_path)
    store.update(
        lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "A-2", "日期": date(2026, 3, 4)}])})
    )
    assert store.read([LEDGER]).sheets[LEDGER].rows[1].values == ["A-2", date(2026, 3, 4)]
    assert openpyxl.load_workbook(path)[LEDGER]["B3"].value == datetime(2026, 3, 4)
    before = path.read_bytes()
    for early in (date(1903, 12, 31), datetime(1903, 12, 31, 9, 0)):
        with pytest.raises(LedgerError, match="1904 date system, which cannot store 1903-12-31"):
            store.update(
                lambda s, v=early: Batch({LEDGER: SheetChanges(append=[{"日期": v}])})  # type: ignore[misc]
            )
    assert path.read_bytes() == before


def test_small_chunks_splice_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streaming splice must not depend on where the inflated pieces end."""
    outputs = []
    for piece in (None, 7, 64, 1000):
        folder = tmp_path / f"run{piece}"
        folder.mkdir()
        fidelity_ledger(folder / "ledger.xlsx")
        if piece is not None:
            real = zipraw.iter_inflated

            def small(f, member, real=real, piece=piece):  # type: ignore[no-untyped-def]
                for chunk in real(f, member):
                    for i in range(0, len(chunk), piece):
                        yield chunk[i : i + piece]

            monkeypatch.setattr(zipraw, "iter_inflated", small)
        store_for(folder).update(
            lambda s: Batch(
                {
                    LEDGER: SheetChanges(
                        header=["新列"],
                        set={4: {"状态": "x"}, 12: {"编号": "gap"}},
                        append=[{"编号": "n1"}, {"编号": "n2", "新列": 1.5}],
                    ),
                    HISTORY: SheetChanges(append=[{"编号": "h"}]),
                }
            )
        )
        monkeypatch.undo()
        outputs.append(
            (
                read_xml(folder / "ledger.xlsx", "xl/worksheets/sheet1.xml"),
                read_xml(folder / "ledger.xlsx", "xl/worksheets/sheet4.xml"),
            )
        )
    assert all(o == outputs[0] for o in outputs)
    sheet = outputs[0][0]
    assert '<row r="12"><c r="A12" t="inlineStr"><is><t>gap</t></is></c></row>' in sheet
    # appends go after the last row holding a value, here the one set at row 12
    assert 'r="10"' not in sheet and 'r="11"' not in sheet
    assert sheet.index('<row r="9"') < sheet.index('<row r="12"') < sheet.index('<row r="14"')


def test_probe_verification_catches_a_bad_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big sheets are checked through a probe workbook; a wrong cell is caught and the
    ledger left alone."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)
    store = store_for(tmp_path)
    monkeypatch.setattr(patch_mod, "FULL_VERIFY_LIMIT", 0)
    store.update(lambda s: Batch({LEDGER: SheetChanges(set={3: {"环节期限": date(2026, 7, 1)}})}))
    assert store.read([LEDGER]).sheets[LEDGER].rows[1].values[5] == date(2026, 7, 1)
    before = path.read_bytes()
    import procdoc.ledger.sheetxml as sheetxml

    monkeypatch.setattr(sheetxml, "serial", lambda value, date1904=False: 1.5)
    with pytest.raises(LedgerError, match="reads back"):
        store.update(
            lambda s: Batch({LEDGER: SheetChanges(set={4: {"环节期限": date(2026, 7, 2)}})})
        )
    assert path.read_bytes() == before


def test_probe_checks_each_distinct_cell_once_and_every_distinct_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells whose bytes and value repeat are probed once; a value that comes out as the
    bytes of another value is still probed, and caught."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path, rows=2)
    rows = [{"编号": f"N-{i}", "状态": "办理中", "环节期限": date(2026, 7, 1)} for i in range(50)]
    report = patch_mod.patch_file(
        path, tmp_path / "out.xlsx", Batch({LEDGER: SheetChanges(append=rows)}), display="x"
    )
    result = report.sheets[LEDGER]
    probed = sum(len(cells) for cells in result.probe_values)
    assert sum(len(cells) for cells in result.written.values()) == 150
    assert probed == 50 + 1 + 1  # each id; 办理中 and the date once
    import procdoc.ledger.sheetxml as sheetxml

    real = sheetxml.serial
    wrong = real(date(2026, 7, 1))  # 7-2 written as 7-1's serial: a bug the probe must see
    monkeypatch.setattr(
        sheetxml, "serial", lambda v, date1904=False: wrong if v == date(2026, 7, 2) else real(v)
    )
    monkeypatch.setattr(patch_mod, "FULL_VERIFY_LIMIT", 0)
    before = path.read_bytes()
    rows = [
        {"编号": "N-1", "环节期限": date(2026, 7, 1)},
        {"编号": "N-2", "环节期限": date(2026, 7, 2)},
    ]
    with pytest.raises(LedgerError, match="reads back"):
        store_for(tmp_path).update(lambda s: Batch({LEDGER: SheetChanges(append=rows)}))
    assert path.read_bytes() == before


def test_crc32_combine_matches_zlib() -> None:
    @given(st.binary(max_size=300), st.binary(max_size=3000))
    def check(a: bytes, b: bytes) -> None:
        assert zipraw.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)

    check()


# -- round trip ---------------------------------------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff")
_text = st.text(_chars, max_size=40) | st.sampled_from(
    [
        "& < > \" '",
        "某办发〔2026〕12号",
        "emoji 😀👍🏽",
        "line1\nline2\r\nline3\r",
        "  leading and trailing  ",
        "\t",
        "ctrl\x00\x01\x08\x0b\x0c\x1f\x7f\x85",
        "_x0041_ literal escape",
        "000123",
        "123456789012345678901",
        "=SUM(A1:A2)",
    ]
)
_values = st.one_of(
    st.none(),
    st.booleans(),
    _text,
    st.integers(min_value=-(2**53), max_value=2**53),
    # the numbers an Excel cell holds (the others are refused: see
    # test_values_excel_cannot_hold_are_refused)
    st.floats(min_value=-MAX_NUMBER, max_value=MAX_NUMBER).filter(
        lambda f: f == 0 or abs(f) >= MIN_NUMBER
    ),
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31, 23, 59, 58)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.text(),
        st.builds(operator.mul, st.sampled_from(["长", "a", "😀"]), st.integers(16000, 17000)),
        st.integers(),
        st.floats(),
        st.dates(),
        st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    )
)
def test_the_fast_value_check_agrees_with_the_full_one(value: object) -> None:
    """A value is_plain passes is one check_value accepts and returns unchanged."""
    if is_plain(value):  # type: ignore[arg-type]
        checked = check_value(value, "x")  # type: ignore[arg-type]
        assert type(checked) is type(value) and checked == value


def _expected(value: object) -> object:
    return expected_read(check_value(value, "test"))  # type: ignore[arg-type]


def _matches(want: object, got: object) -> bool:
    if isinstance(want, datetime) and isinstance(got, datetime):
        return abs(want - got) <= timedelta(milliseconds=1)
    return type(want) is type(got) and want == got


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_values, min_size=1, max_size=6))
def test_values_round_trip_through_a_patch(values: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        create_workbook(folder / "ledger.xlsx", {LEDGER: (["编号"], [{"编号": "A-1"}])})
        store = store_for(folder)
        labels = [f"c{i}" for i in range(len(values))]
        cells = dict(zip(labels, values, strict=True))
        store.update(lambda s: Batch({LEDGER: SheetChanges(set={2: cells}, append=[dict(cells)])}))
        sheet = store.read([LEDGER]).sheets[LEDGER]
        for row in sheet.rows:
            for label, value in cells.items():
                assert _matches(_expected(value), sheet.value(row, label)), (label, value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_values, min_size=1, max_size=6))
def test_values_round_trip_through_a_new_workbook(values: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = store_for(folder)
        cells = {f"c{i}": v for i, v in enumerate(values)}
        store.update(lambda s: Batch({LEDGER: SheetChanges(append=[cells])}))
        sheet = store.read([LEDGER]).sheets[LEDGER]
        for label, value in cells.items():
            got = sheet.value(sheet.rows[0], label) if sheet.rows else None
            assert _matches(_expected(value), got), (label, value)


def test_an_active_sort_grows_with_the_filter_when_rows_are_appended(tmp_path: Path) -> None:
    """A register sorted by a column in Excel keeps its sort's ranges (<sortState>, its
    <sortCondition>) over the rows appended, as the filter's, so sorting again takes the
    new rows in (they stayed at A2:F6: QA); a sort range that ends elsewhere is left."""
    path = tmp_path / "ledger.xlsx"
    simple_ledger(path)  # 5 rows under the header, the filter A1:F6
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    xml = parts[member].decode("utf-8")
    assert '<autoFilter ref="A1:F6"/>' in xml
    parts[member] = xml.replace(
        '<autoFilter ref="A1:F6"/>',
        '<autoFilter ref="A1:F6"><sortState ref="A2:F6"><sortCondition descending="1" '
        'ref="F2:F6"/><sortCondition ref="B2:B4"/></sortState></autoFilter>',
    ).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    store = store_for(tmp_path)

    def plan(snapshot: Snapshot) -> Batch:
        batch = Batch()
        batch.sheet(LEDGER).append.append(
            {"编号": "XF2026-0009", "标题": "新来信", "状态": "办理中"}
        )
        return batch

    store.update(plan)
    xml = read_xml(path, member)
    assert (
        '<autoFilter ref="A1:F7"><sortState ref="A2:F7"><sortCondition descending="1" '
        'ref="F2:F7"/><sortCondition ref="B2:B4"/></sortState></autoFilter>'
    ) in xml
