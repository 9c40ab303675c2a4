"""Workbook-level parts: number format ids, a protected structure."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from procdoc.errors import LedgerError
from procdoc.ledger import Batch, LedgerStore, SheetChanges
from test_ledger_registers import rewrite_member

LEDGER = "台账"


def store_for(folder: Path) -> LedgerStore:
    return LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc")


def test_new_number_formats_do_not_take_a_conditional_formats_id(tmp_path: Path) -> None:
    """xlsxwriter numbers a conditional format's own number format 164 in <dxfs> without
    listing it in <numFmts>: the date format procdoc adds must get another id."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    money = wb.add_format({"num_format": '"¥"#,##0.00', "bg_color": "#FFC7CE"})
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "金额", "日期"])
    ws.write_row(1, 0, ["C-1", 5, "x"])
    ws.conditional_format("B2:B100", {"type": "cell", "criteria": ">", "value": 1, "format": money})
    wb.close()
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    assert re.search(r'<dxf>.*numFmtId="164"', styles) and "<numFmts" not in styles

    store_for(tmp_path).update(
        lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "C-2", "日期": date(2026, 3, 1)}])})
    )
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    top = re.search(r"<numFmts.*?</numFmts>", styles, re.S)
    assert top is not None
    ids = re.findall(r'numFmtId="(\d+)"', top.group(0))
    assert ids == ["165"]
    assert re.search(r'<dxf>.*numFmtId="164" formatCode="&quot;¥&quot;#,##0.00"', styles)
    ws2 = openpyxl.load_workbook(path)[LEDGER]
    assert ws2["C3"].number_format == "yyyy-mm-dd"
    assert ws2["C3"].value.date() == date(2026, 3, 1)


def test_a_workbook_with_a_protected_structure_gets_no_new_sheet(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态"])
    ws.write_row(1, 0, ["C-1", "办理中"])
    wb.close()
    rewrite_member(
        path,
        "xl/workbook.xml",
        lambda data: data.replace(
            b"<bookViews>", b'<workbookProtection lockStructure="1"/><bookViews>'
        ),
    )
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    store = store_for(tmp_path)
    with pytest.raises(LedgerError) as info:
        store.update(
            lambda s: Batch(
                {
                    LEDGER: SheetChanges(set={2: {"状态": "已办结"}}),
                    "流转记录": SheetChanges(append=[{"编号": "C-1", "动作": "办结"}]),
                }
            )
        )
    assert str(info.value) == (
        "ledger.xlsx has a protected structure, so procdoc cannot add the sheet 流转记录; "
        "unprotect it in Excel (审阅 → 保护工作簿) and run again"
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    store.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"状态": "已办结"}})}))
    assert store.read([LEDGER]).sheets[LEDGER].rows[0].values == ["C-1", "已办结"]


def test_a_new_number_format_takes_no_id_a_style_already_refers_to(tmp_path: Path) -> None:
    """A style may name a number format id that nothing defines (Excel shows General): the
    date format procdoc adds must not take that id, or those cells would read as dates."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    money = wb.add_format({"num_format": "0.000"})
    ws.write_row(0, 0, ["编号", "金额", "日期"])
    ws.write_row(1, 0, ["C-1", 5], None)
    ws.write(1, 1, 5, money)
    wb.close()
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    # the money style now points at an id one above the highest defined one, undefined
    broken = re.sub(r'(<xf numFmtId=")164(")', r"\g<1>165\2", styles, count=1)
    assert broken != styles
    rewrite_member(path, "xl/styles.xml", lambda _old: broken.encode())

    store_for(tmp_path).update(
        lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "C-2", "日期": date(2026, 3, 1)}])})
    )
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    top = re.search(r"<numFmts.*?</numFmts>", styles, re.S)
    assert top is not None
    assert re.findall(r'numFmtId="(\d+)"', top.group(0)) == ["164", "166"]
    wb2 = openpyxl.load_workbook(path)
    assert wb2[LEDGER]["B2"].value == 5  # still a number, not a date
