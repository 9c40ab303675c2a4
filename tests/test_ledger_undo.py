"""Undo: procdoc puts back the version before its last write, only while nothing else has
changed the ledger since, and records the undo like any write."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from procdoc.errors import CaseError, LedgerError, LedgerLockedError
from procdoc.ledger import Batch, LedgerStore, SheetChanges, Snapshot

LEDGER = "台账"
HISTORY = "流转记录"


def make_ledger(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态"])
    for r in range(1, 4):
        ws.write_row(r, 0, [f"C-{r}", "办理中"])
    hs = wb.add_worksheet(HISTORY)
    hs.write_row(0, 0, ["编号", "动作"])
    wb.close()


def store_for(folder: Path, **kwargs: object) -> LedgerStore:
    return LedgerStore(
        folder / "ledger.xlsx",
        state_dir=folder / ".procdoc",
        sheets=(LEDGER, HISTORY),
        **kwargs,  # type: ignore[arg-type]
    )


def close_case(case: str):  # type: ignore[no-untyped-def]
    def plan(snapshot: Snapshot) -> Batch:
        sheet = snapshot.sheets[LEDGER]
        number = next(r.number for r in sheet.rows if sheet.value(r, "编号") == case)
        return Batch(
            {
                LEDGER: SheetChanges(set={number: {"状态": "已办结"}}),
                HISTORY: SheetChanges(append=[{"编号": case, "动作": "办结"}]),
            }
        )

    return plan


def record_undo(snapshot: Snapshot) -> Batch:
    assert snapshot.path.parent.name == "backups"  # planned on the version put back
    return Batch({HISTORY: SheetChanges(append=[{"编号": "", "动作": "撤销上次操作"}])})


def state(store: LedgerStore) -> tuple[list[object], list[object]]:
    snapshot = store.read()
    cases, history = snapshot.sheets[LEDGER], snapshot.sheets[HISTORY]
    return (
        [cases.value(r, "状态") for r in cases.rows],
        [history.value(r, "动作") for r in history.rows],
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_undo_puts_back_the_version_before_the_last_write(tmp_path: Path) -> None:
    store = store_for(tmp_path)
    make_ledger(tmp_path / "ledger.xlsx")
    store.update(close_case("C-1"))
    store.update(close_case("C-2"))
    assert state(store) == (["已办结", "已办结", "办理中"], ["办结", "办结"])
    store.undo(record_undo, read_sheets=[HISTORY])
    assert state(store) == (["已办结", "办理中", "办理中"], ["办结", "撤销上次操作"])
    backups = sorted((tmp_path / ".procdoc" / "backups").iterdir())
    assert len(backups) == 3  # the undone version is backed up too
    # the undo is a write like any other: undoing it puts back what it undid
    store.undo(lambda s: Batch())
    assert state(store) == (["已办结", "已办结", "办理中"], ["办结", "办结"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".procdoc", "ledger.xlsx"]


def test_nothing_to_undo(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    with pytest.raises(LedgerError) as info:
        store_for(tmp_path).undo(record_undo)
    assert str(info.value) == (
        "nothing to undo: procdoc has not written ledger.xlsx from this workspace "
        "(.procdoc/last-write.json records no write)"
    )


def test_a_write_that_created_the_ledger_is_not_undone(tmp_path: Path) -> None:
    store = store_for(tmp_path)
    store.update(lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "C-1"}])}))
    with pytest.raises(LedgerError, match=r"procdoc's last write \(.*\) created ledger\.xlsx: "):
        store.undo(record_undo)


def test_without_backups_there_is_nothing_to_put_back(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    store = store_for(tmp_path, backups=0)
    store.update(close_case("C-1"))
    with pytest.raises(LedgerError, match=r"no backup was kept of ledger\.xlsx"):
        store.undo(record_undo)


def test_a_copied_workspace_undoes_while_its_ledger_is_the_version_written(
    tmp_path: Path,
) -> None:
    """The record names the ledger by its absolute path; a workspace copied or moved with
    its state folder still undoes procdoc's last write while its ledger is byte for byte
    the version that write left. Changed since, the refusal names the ledger the record is
    of, not "records no write"."""
    first = tmp_path / "办公室"
    first.mkdir()
    make_ledger(first / "ledger.xlsx")
    store_for(first).update(close_case("C-1"))
    copy = tmp_path / "办公室-副本"
    shutil.copytree(first, copy)
    store_for(copy).undo(record_undo, read_sheets=[HISTORY])
    assert state(store_for(copy)) == (["办理中", "办理中", "办理中"], ["撤销上次操作"])
    assert state(store_for(first)) == (["已办结", "办理中", "办理中"], ["办结"])  # untouched

    again = tmp_path / "又一个副本"
    shutil.copytree(first, again)
    excel_saves_history(again / "ledger.xlsx")
    before = digest(again / "ledger.xlsx")
    with pytest.raises(LedgerError) as info:
        store_for(again).undo(record_undo)
    assert str(info.value).startswith(
        "nothing to undo: procdoc's last write recorded in .procdoc/last-write.json is of "
        f"{(first / 'ledger.xlsx').resolve()} ("
    )
    assert "and ledger.xlsx is not that version" in str(info.value)
    assert digest(again / "ledger.xlsx") == before


def excel_saves_history(path: Path) -> None:
    """What an Excel save that changed the 流转记录 sheet looks like to procdoc."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(
                    b"</sheetData>", b'<row r="9"><c r="A9"><v>1</v></c></row></sheetData>'
                )
            z.writestr(info, data)
    os.utime(path, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))


def test_a_ledger_changed_since_procdocs_write_is_not_undone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path)
    store.update(close_case("C-1"))
    excel_saves_history(path)
    before = digest(path)
    with pytest.raises(LedgerError) as info:
        store.undo(record_undo)
    message = str(info.value)
    assert re.fullmatch(
        r"ledger\.xlsx changed since procdoc's last write \(\d{4}-\d\d-\d\d \d\d:\d\d\): "
        r"sheet 流转记录 differs \(modified 2023-11-1\d \d\d:\d\d\); undoing would lose that, "
        r"so nothing was undone",
        message,
    ), message
    assert digest(path) == before


def test_another_workspaces_write_is_named_by_its_sheets(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store_for(tmp_path).update(close_case("C-1"))
    other = LedgerStore(path, state_dir=tmp_path / "other" / ".procdoc", sheets=(LEDGER, HISTORY))
    other.update(close_case("C-2"))
    with pytest.raises(LedgerError, match="sheets 台账, 流转记录 differ"):
        store_for(tmp_path).undo(record_undo)
    other.undo(record_undo, read_sheets=[HISTORY])  # its own last write it may undo
    assert state(other) == (["已办结", "办理中", "办理中"], ["办结", "撤销上次操作"])


def test_a_removed_or_replaced_ledger_is_not_undone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path)
    store.update(close_case("C-1"))
    path.rename(tmp_path / "moved.xlsx")
    with pytest.raises(LedgerError, match=r"ledger\.xlsx was removed or renamed since procdoc"):
        store.undo(record_undo)
    path.write_bytes(b"not a workbook")
    with pytest.raises(
        LedgerError, match="it was replaced by a file that is not a readable workbook"
    ):
        store.undo(record_undo)
    assert path.read_bytes() == b"not a workbook"


def test_the_backup_must_be_the_one_recorded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path)
    store.update(close_case("C-1"))
    record = json.loads((tmp_path / ".procdoc" / "last-write.json").read_text(encoding="utf-8"))
    backup = tmp_path / ".procdoc" / "backups" / record["backup"]
    shutil.copyfile(path, backup)  # someone overwrote it
    with pytest.raises(LedgerError, match=r"has changed in \.procdoc/backups/; nothing was undone"):
        store.undo(record_undo)
    backup.unlink()
    with pytest.raises(LedgerError, match=r"is gone from \.procdoc/backups/; nothing was undone"):
        store.undo(record_undo)


def test_a_refused_undo_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path)
    store.update(close_case("C-1"))
    before = digest(path)
    backups = sorted((tmp_path / ".procdoc" / "backups").iterdir())

    def refuse(snapshot: Snapshot) -> Batch:
        raise CaseError("refused")

    with pytest.raises(CaseError):
        store.undo(refuse)
    (tmp_path / "~$ledger.xlsx").write_bytes(b"\x04" + "张三".encode("gbk"))
    with pytest.raises(LedgerLockedError, match="open in Excel/WPS by 张三"):
        store.undo(record_undo)
    assert digest(path) == before
    assert sorted((tmp_path / ".procdoc" / "backups").iterdir()) == backups
