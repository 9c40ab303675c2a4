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


def a_save_during(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: object, step: str, save: str
) -> Store:
    """Someone saves the ledger (``save``: "copy" in place or "rename" a new file into
    place, as Excel does) right after the first call of ``owner.step``; procdoc must plan
    again on the saved version and keep both changes."""
    ledger = tmp_path / "ledger.xlsx"
    make_ledger(ledger)
    saved = tmp_path / "saved-in-excel.xlsx"
    make_ledger(saved, rows=5)  # the office added case C-5
    real = getattr(owner, step)
    calls: list[int] = []

    def during_a_save(*args: object) -> object:
        result = real(*args)
        if not calls:
            if save == "copy":
                shutil.copyfile(saved, ledger)
                os.utime(ledger, ns=(1, 2))
            else:
                os.utime(saved, ns=(1, 2))
                os.replace(saved, ledger)
        calls.append(1)
        return result

    monkeypatch.setattr(owner, step, during_a_save)
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
    return store


def test_a_save_during_the_backup_copy_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The final check (after the backup copy, right before the replace) sees a save that
    lands during the copy."""
    a_save_during(tmp_path, monkeypatch, Store, "_backup", "copy")
    backups = sorted((tmp_path / ".procdoc" / "backups").iterdir())
    assert len(backups) == 1  # the copy taken during the save was dropped


def test_a_save_by_rename_during_the_final_check_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that renames a new file into place while procdoc hashes the ledger for its
    final check leaves the hash right (the old file is still open), but the file at the
    path is another: procdoc sees that."""
    a_save_during(tmp_path, monkeypatch, store_module, "fingerprint_of", "rename")


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
