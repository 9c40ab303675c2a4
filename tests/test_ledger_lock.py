"""The ledger's lock lives beside the ledger, shared by every workspace that writes it;
the last check before a replace comes after the backup copy; stale temp files."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from procdoc.errors import LedgerLockedError
from procdoc.ledger import Batch, LedgerStore, SheetChanges, Snapshot
from procdoc.ledger import store as store_module
from procdoc.ledger.lock import LedgerLock, lock_path
from procdoc.ledger.store import LedgerStore as Store

LEDGER = "台账"
HISTORY = "流转记录"


def make_ledger(path: Path, rows: int = 4) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"C-{r}", "办理中"])
    hs = wb.add_worksheet(HISTORY)
    hs.write_row(0, 0, ["编号", "时间", "动作"])
    wb.close()


def history_ids(store: LedgerStore) -> list[str]:
    sheet = store.read([HISTORY]).sheets[HISTORY]
    return [str(sheet.value(row, "编号")) for row in sheet.rows]


def append_history(case: str):  # type: ignore[no-untyped-def]
    def plan(snapshot: Snapshot) -> Batch:
        return Batch({HISTORY: SheetChanges(append=[{"编号": case, "动作": "办结"}])})

    return plan


def test_the_lock_file_is_beside_the_ledger_and_gone_afterwards(tmp_path: Path) -> None:
    ledger = tmp_path / "台账.xlsx"
    make_ledger(ledger)
    assert lock_path(ledger) == tmp_path / ".台账.xlsx.procdoc-lock"
    seen: list[bool] = []

    def plan(snapshot: Snapshot) -> Batch:
        seen.append(lock_path(ledger).exists())
        assert not (tmp_path / "state" / "ledger.lock").exists()
        return append_history("C-1")(snapshot)

    Store(ledger, state_dir=tmp_path / "state").update(plan)
    assert seen == [True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state", "台账.xlsx"]
    assert (tmp_path / "state" / "backups").is_dir()


def test_a_writer_from_another_workspace_waits_for_the_lock(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    with LedgerLock(ledger, timeout=1):
        other = Store(ledger, state_dir=tmp_path / "elsewhere" / ".procdoc", lock_timeout=0.2)
        with pytest.raises(LedgerLockedError) as info:
            other.update(append_history("C-1"))
    assert str(info.value) == (
        "another procdoc command is writing ledger.xlsx (waited 0.2 s for "
        ".ledger.xlsx.procdoc-lock); try again when it has finished"
    )
    other.update(append_history("C-1"))  # free again
    assert history_ids(other) == ["C-1"]


def test_a_lock_file_left_by_a_killed_writer_is_taken_over(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    lock_path(ledger).write_bytes(b"")  # the kernel dropped the dead writer's flock
    Store(ledger, state_dir=tmp_path / ".procdoc").update(append_history("C-1"))
    assert not lock_path(ledger).exists()


def _writer(ledger: str, state_dir: str, name: str, count: int) -> None:
    store = Store(Path(ledger), state_dir=Path(state_dir), lock_timeout=120, backups=2)
    for i in range(count):
        store.update(append_history(f"{name}-{i}"), read_sheets=[HISTORY])


def test_writers_from_two_workspaces_lose_no_change(tmp_path: Path) -> None:
    """Two workspaces (two state folders) share one ledger: every row appended by each of
    six writers is there at the end."""
    ledger = tmp_path / "shared" / "ledger.xlsx"
    ledger.parent.mkdir()
    make_ledger(ledger)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    writers = [
        ctx.Process(
            target=_writer,
            args=(str(ledger), str(tmp_path / f"office{n % 2}" / ".procdoc"), f"w{n}", 6),
        )
        for n in range(6)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=240)
    assert [w.exitcode for w in writers] == [0] * 6
    ids = history_ids(Store(ledger, state_dir=tmp_path / "office0" / ".procdoc"))
    assert sorted(ids) == sorted(f"w{n}-{i}" for n in range(6) for i in range(6))
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.xlsx"]


def test_a_save_during_the_backup_copy_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone saves the ledger in Excel while procdoc copies it to the backups: the final
    check (after the copy, right before the replace) sees it, procdoc plans again on the
    saved version, and both changes are in the ledger."""
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    saved = tmp_path / "saved-in-excel.xlsx"
    make_ledger(saved, rows=5)  # the office added case C-5
    real_backup = Store._backup
    calls: list[int] = []

    def backup_during_a_save(self: Store) -> object:
        made = real_backup(self)
        if not calls:
            shutil.copyfile(saved, ledger)  # lands between the copy and the replace
            os.utime(ledger, ns=(1, 2))
        calls.append(1)
        return made

    monkeypatch.setattr(Store, "_backup", backup_during_a_save)
    plans: list[int] = []

    def plan(snapshot: Snapshot) -> Batch:
        plans.append(len(snapshot.sheets[LEDGER].rows))
        return Batch({LEDGER: SheetChanges(set={2: {"状态": "已办结"}})})

    store = Store(ledger, state_dir=tmp_path / ".procdoc")
    store.update(plan)
    assert plans == [4, 5]  # planned again on the saved version
    sheet = store.read([LEDGER]).sheets[LEDGER]
    assert [sheet.value(r, "编号") for r in sheet.rows] == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    assert sheet.value(sheet.rows[0], "状态") == "已办结"
    backups = sorted((tmp_path / ".procdoc" / "backups").iterdir())
    assert len(backups) == 1  # the copy taken during the save was dropped


def test_stale_temp_files_are_removed_only_when_they_are_this_ledgers(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    stale = tmp_path / ".ledger.xlsx.0123456789ab.tmp"  # a killed writer's
    others = [
        tmp_path / ".ledger.xlsx.notes.tmp",  # not a name procdoc makes
        tmp_path / ".other.xlsx.0123456789ab.tmp",  # another ledger's
        tmp_path / "~$ledger.xlsx.tmp",
    ]
    for p in [stale, *others]:
        p.write_bytes(b"x")
    partial = tmp_path / ".procdoc" / "backups" / ".ledger-20260101-090000-000001.xlsx.tmp"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"x")
    Store(ledger, state_dir=tmp_path / ".procdoc").update(append_history("C-1"))
    assert not stale.exists()
    assert not partial.exists()
    assert all(p.exists() for p in others)


def test_a_save_by_rename_during_the_final_check_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel saves by renaming a new file into place. One that lands while procdoc hashes
    the ledger for its final check leaves the hash right (the old file is still open) but
    the file at the path new: procdoc sees that and plans again."""
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    saved = tmp_path / "saved-in-excel.xlsx"
    make_ledger(saved, rows=5)
    real = store_module.fingerprint_of
    calls: list[int] = []

    def hashing_during_a_save(path: Path) -> object:
        result = real(path)
        if not calls:
            os.utime(saved, ns=(1, 2))
            os.replace(saved, ledger)  # lands after the hash, before the replace
        calls.append(1)
        return result

    monkeypatch.setattr(store_module, "fingerprint_of", hashing_during_a_save)
    plans: list[int] = []

    def plan(snapshot: Snapshot) -> Batch:
        plans.append(len(snapshot.sheets[LEDGER].rows))
        return Batch({LEDGER: SheetChanges(set={2: {"状态": "已办结"}})})

    store = Store(ledger, state_dir=tmp_path / ".procdoc")
    store.update(plan)
    assert plans == [4, 5]
    sheet = store.read([LEDGER]).sheets[LEDGER]
    assert [sheet.value(r, "编号") for r in sheet.rows][-1] == "C-5"
    assert sheet.value(sheet.rows[0], "状态") == "已办结"
