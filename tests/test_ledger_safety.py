"""The ledger store's safety: owner files, locks, failed plans, concurrent changes,
backups, damaged files, killed writers and concurrent procdoc processes."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import filelock
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from procdoc.errors import CaseError, LedgerChangedError, LedgerError, LedgerLockedError
from procdoc.ledger import Batch, LedgerStore, SheetChanges, Snapshot, owner_of

LEDGER = "台账"
HISTORY = "流转记录"
SRC = Path(__file__).resolve().parents[1] / "src"


def make_ledger(path: Path, rows: int = 8, cols: int = 6) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态", *(f"字段{i}" for i in range(cols - 2))])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"C-{r}", "办理中", *(f"内容{r}-{i}" for i in range(cols - 2))])
    hs = wb.add_worksheet(HISTORY)
    hs.write_row(0, 0, ["编号", "时间", "动作"])
    wb.close()


def store_for(folder: Path, **kwargs: object) -> LedgerStore:
    return LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc", **kwargs)  # type: ignore[arg-type]


def set_status(case: str, status: str):  # type: ignore[no-untyped-def]
    def plan(snapshot: Snapshot) -> Batch:
        sheet = snapshot.sheets[LEDGER]
        number = next(r.number for r in sheet.rows if sheet.value(r, "编号") == case)
        return Batch({LEDGER: SheetChanges(set={number: {"状态": status}})})

    return plan


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- owner files --------------------------------------------------------------------------


def excel_owner_file(name: str, *, ansi: bytes | None = None) -> bytes:
    """An Excel/WPS owner file as LibreOffice documents it (165 bytes)."""
    raw = name.encode("gbk") if ansi is None else ansi
    data = bytes([len(raw)]) + raw
    data = data.ljust(55, b" ")
    data += struct.pack("<H", len(name)) + name.encode("utf-16-le")
    return data.ljust(165, b"\x00")


@pytest.mark.parametrize(
    ("content", "holder"),
    [
        (excel_owner_file("张三"), "张三"),
        (excel_owner_file("李 四"), "李 四"),
        (bytes([4]) + "王五".encode("gbk") + b" " * 50, "王五"),  # ANSI (GBK) name only
        (bytes([6]) + "赵六".encode() + b" " * 50, "赵六"),  # a UTF-8 name (Samba, WPS on Linux)
    ],
)
def test_excel_owner_file_refuses_with_the_name(
    tmp_path: Path, content: bytes, holder: str
) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    before = digest(tmp_path / "ledger.xlsx")
    owner = tmp_path / "~$ledger.xlsx"
    owner.write_bytes(content)
    store = store_for(tmp_path)
    with pytest.raises(LedgerLockedError) as info:
        store.update(set_status("C-1", "已办结"))
    message = str(info.value)
    assert f"open in Excel/WPS by {holder} (~$ledger.xlsx)" in message
    assert "close it there and run again; if nobody has it open, delete that file" in message
    assert digest(tmp_path / "ledger.xlsx") == before
    assert owner.read_bytes() == content  # never deleted
    assert owner_of(tmp_path / "ledger.xlsx") == holder
    assert store.read().exists  # reading is still allowed


def test_libreoffice_lock_file_refuses_with_the_name(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    before = digest(tmp_path / "ledger.xlsx")
    lock = tmp_path / ".~lock.ledger.xlsx#"
    lock.write_text("张\\,三,zhang,PC-07,21.11.2026 09:30,file:///home/zhang;", encoding="utf-8")
    with pytest.raises(LedgerLockedError, match=r"LibreOffice by 张,三 \(\.~lock\.ledger\.xlsx#\)"):
        store_for(tmp_path).update(set_status("C-1", "已办结"))
    assert digest(tmp_path / "ledger.xlsx") == before
    lock.write_text(",zhang,PC-07,21.11.2026 09:30,;", encoding="utf-8")
    assert owner_of(tmp_path / "ledger.xlsx") == "zhang"
    lock.unlink()
    assert owner_of(tmp_path / "ledger.xlsx") is None


def test_owner_file_appearing_during_the_write_stops_it(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    before = digest(tmp_path / "ledger.xlsx")

    def plan(snapshot: Snapshot) -> Batch:
        (tmp_path / "~$ledger.xlsx").write_bytes(excel_owner_file("张三"))
        return set_status("C-2", "已办结")(snapshot)

    with pytest.raises(LedgerLockedError, match="张三"):
        store_for(tmp_path).update(plan)
    assert digest(tmp_path / "ledger.xlsx") == before
    assert folder_listing(tmp_path) == [".procdoc", "ledger.xlsx", "~$ledger.xlsx"]


def test_another_procdoc_holding_the_lock(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    (tmp_path / ".procdoc").mkdir()
    with filelock.FileLock(str(tmp_path / ".ledger.xlsx.procdoc-lock")):
        store = store_for(tmp_path, lock_timeout=0.2)
        with pytest.raises(LedgerLockedError, match="another procdoc command is writing"):
            store.update(set_status("C-1", "已办结"))


# -- plans and changes on disk ------------------------------------------------------------


def test_a_plan_that_raises_writes_nothing(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    before = digest(tmp_path / "ledger.xlsx")

    def plan(snapshot: Snapshot) -> Batch:
        raise CaseError("unknown case XF-9")

    with pytest.raises(CaseError):
        store_for(tmp_path).update(plan)
    assert digest(tmp_path / "ledger.xlsx") == before
    assert folder_listing(tmp_path) == [".procdoc", "ledger.xlsx"]
    assert not (tmp_path / ".procdoc" / "backups").exists()


def test_an_empty_batch_writes_nothing(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx")
    before = (tmp_path / "ledger.xlsx").stat().st_mtime_ns
    batch = store_for(tmp_path).update(lambda s: Batch({LEDGER: SheetChanges()}))
    assert batch.is_empty()
    assert (tmp_path / "ledger.xlsx").stat().st_mtime_ns == before


def test_a_change_on_disk_is_detected_and_replanned(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    other = tmp_path / "saved-in-excel.xlsx"
    make_ledger(other, rows=9)  # what the user's Excel save looks like: one more case
    calls: list[int] = []

    def plan(snapshot: Snapshot) -> Batch:
        calls.append(len(snapshot.sheets[LEDGER].rows))
        if len(calls) == 1:
            shutil.copyfile(other, path)  # someone saves in Excel meanwhile
            os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
        return (
            set_status("C-9", "已办结")(snapshot)
            if len(calls) > 1
            else Batch({LEDGER: SheetChanges(set={2: {"状态": "x"}})})
        )

    store_for(tmp_path).update(plan)
    assert calls == [8, 9]
    sheet = store_for(tmp_path).read([LEDGER]).sheets[LEDGER]
    assert len(sheet.rows) == 9
    assert [sheet.value(r, "状态") for r in sheet.rows] == ["办理中"] * 8 + ["已办结"]


def test_a_ledger_that_keeps_changing_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    versions = []
    for n in range(6):
        version = tmp_path / f"v{n}.xlsx"
        make_ledger(version, rows=10 + n)
        versions.append(version)
    calls = 0

    def plan(snapshot: Snapshot) -> Batch:
        nonlocal calls
        shutil.copyfile(versions[calls], path)
        calls += 1
        return Batch({LEDGER: SheetChanges(set={2: {"状态": "x"}})})

    with pytest.raises(LedgerChangedError, match="kept changing"):
        store_for(tmp_path).update(plan)
    assert calls == 4
    assert digest(path) == digest(versions[3])  # the user's last save stands
    assert not list(tmp_path.glob(".ledger.xlsx.*.tmp"))


# -- backups ------------------------------------------------------------------------------


def test_backups_rotate(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path, backups=3)
    digests = []
    for n in range(5):
        digests.append(digest(path))
        store.update(set_status(f"C-{n + 1}", "已办结"))
    backups = sorted((tmp_path / ".procdoc" / "backups").iterdir())
    assert len(backups) == 3
    assert all(b.name.startswith("ledger-") and b.suffix == ".xlsx" for b in backups)
    assert [digest(b) for b in backups] == digests[-3:]  # the newest three, oldest first
    # backups named later than now (another clock, a changed timezone:): the one a write
    # makes is kept all the same, and undo finds it (it was pruned at once: a review)
    for b in backups:
        b.rename(b.with_name("ledger-2099" + b.name[len("ledger-2026") :]))
    before = digest(path)
    store.update(set_status("C-6", "已办结"))
    assert before in [digest(b) for b in (tmp_path / ".procdoc" / "backups").iterdir()]
    assert len(list((tmp_path / ".procdoc" / "backups").iterdir())) == 3


# -- damaged files ------------------------------------------------------------------------


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _old_xls(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


@pytest.mark.parametrize("damage", [_truncated, _garbage, _empty, _old_xls, _zip_without_workbook])
def test_a_damaged_ledger_gives_a_clear_error(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    damage(path)
    before = path.read_bytes()
    store = store_for(tmp_path)
    with pytest.raises(LedgerError, match=r"ledger\.xlsx") as info:
        store.read()
    assert "restore it from .procdoc/backups/ or fix it in Excel" in str(info.value)
    with pytest.raises(LedgerError):
        store.update(lambda s: Batch({HISTORY: SheetChanges(append=[{"编号": "x"}])}))
    assert path.read_bytes() == before


# -- killed writers -----------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {src!r})
    from procdoc.ledger import Batch, LedgerStore, SheetChanges
    folder = Path(sys.argv[1])
    store = LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc", backups=2)
    n = 0
    while True:
        n += 1
        store.update(
            lambda s: Batch({{
                "台账": SheetChanges(set={{2 + n % 50: {{"状态": f"第{{n}}次"}}}}),
                "流转记录": SheetChanges(append=[{{"编号": f"C-{{n}}", "动作": "改"}}]),
            }}),
            read_sheets=["台账"],
        )
        print(n, flush=True)
    """
)


def test_a_killed_writer_leaves_a_whole_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path, rows=3000, cols=12)
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(src=str(SRC)), encoding="utf-8")
    rng = random.Random(7)
    history_rows = 0
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # one update done: the next ones are under way
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
        wb = CalamineWorkbook.from_path(str(path))
        assert len(wb.get_sheet_by_name(LEDGER).to_python()) == 3001
        rows = len(wb.get_sheet_by_name(HISTORY).to_python())
        assert rows > history_rows  # every update that finished is whole in the file
        history_rows = rows
    # a temp file left by a kill is never taken for the ledger, and the next update clears it
    store = store_for(tmp_path)
    store.update(lambda s: Batch({HISTORY: SheetChanges(append=[{"编号": "last"}])}))
    assert not list(tmp_path.glob(".ledger.xlsx.*.tmp"))
    assert folder_listing(tmp_path) == [".procdoc", "ledger.xlsx", "writer.py"]


# -- concurrent procdoc processes ---------------------------------------------------------

_CHANGER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {src!r})
    from procdoc.ledger import Batch, LedgerStore, SheetChanges
    folder, case = Path(sys.argv[1]), sys.argv[2]
    store = LedgerStore(folder / "ledger.xlsx", state_dir=folder / ".procdoc", lock_timeout=60)

    def plan(snapshot):
        sheet = snapshot.sheets["台账"]
        number = next(r.number for r in sheet.rows if sheet.value(r, "编号") == case)
        return Batch({{
            "台账": SheetChanges(set={{number: {{"状态": "已办结 " + case}}}}),
            "流转记录": SheetChanges(append=[{{"编号": case, "动作": "办结"}}]),
        }})

    store.update(plan)
    """
)


def test_eight_processes_lose_no_change(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.xlsx", rows=20)
    script = tmp_path / "changer.py"
    script.write_text(_CHANGER.format(src=str(SRC)), encoding="utf-8")
    cases = [f"C-{n}" for n in range(3, 19, 2)]
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path), case]) for case in cases]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    snapshot = store_for(tmp_path).read()
    sheet = snapshot.sheets[LEDGER]
    statuses = {sheet.value(r, "编号"): sheet.value(r, "状态") for r in sheet.rows}
    for case in cases:
        assert statuses[case] == f"已办结 {case}"
    assert sum(1 for s in statuses.values() if s == "办理中") == 12
    history = snapshot.sheets[HISTORY]
    assert sorted(str(history.value(r, "编号")) for r in history.rows) == sorted(cases)
    assert len(list((tmp_path / ".procdoc" / "backups").iterdir())) == 8


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_ledger_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    path.chmod(0o664)  # shared with the office's group
    store_for(tmp_path).update(set_status("C-1", "已办结"))
    assert path.stat().st_mode & 0o777 == 0o664
    fresh = tmp_path / "new"
    fresh.mkdir()
    old = os.umask(0o022)
    try:
        store_for(fresh).update(lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "A"}])}))
    finally:
        os.umask(old)
    assert (fresh / "ledger.xlsx").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_a_read_only_ledger_is_not_written(tmp_path: Path) -> None:
    """Marked read-only (chmod a-w; the Read-only box on Windows): refused in one line, as
    Excel refuses to save over it; replacing the file would go round the mark."""
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    path.chmod(0o444)
    before = digest(path)
    try:  # nothing to write (an import that changes nothing): not refused
        store_for(tmp_path).update(lambda s: Batch())
        with pytest.raises(
            LedgerError, match=r"ledger\.xlsx is marked read-only: make it writable"
        ):
            store_for(tmp_path).update(set_status("C-1", "已办结"))
        assert digest(path) == before
        assert path.stat().st_mode & 0o777 == 0o444
        assert not (tmp_path / ".procdoc" / "backups").exists()
    finally:
        path.chmod(0o644)


def test_a_state_folder_that_cannot_take_the_record_refuses_the_write(tmp_path: Path) -> None:
    """The record `undo` needs is written before the ledger is replaced: when it cannot
    be (here its temp path is taken by a folder; in an office, .procdoc is read-only), the
    ledger stays as it was and the previous record with it, instead of a new ledger that
    undo cannot match."""
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path)
    store.update(set_status("C-1", "已办结"))
    record = tmp_path / ".procdoc" / "last-write.json"
    last = record.read_bytes()
    before = digest(path)
    (tmp_path / ".procdoc" / ".last-write.json.tmp").mkdir()
    with pytest.raises(LedgerError, match=r"cannot write .*last-write\.json: .*run again"):
        store.update(set_status("C-2", "已办结"))
    assert digest(path) == before
    assert record.read_bytes() == last
    assert len(list((tmp_path / ".procdoc" / "backups").iterdir())) == 1  # the first write's
    (tmp_path / ".procdoc" / ".last-write.json.tmp").rmdir()
    store.update(set_status("C-2", "已办结"))
    assert digest(path) != before
    assert not (tmp_path / ".procdoc" / ".last-write.json.tmp").exists()


def test_backups_are_named_on_the_workspace_clock_and_a_failed_backup_says_what(
    tmp_path: Path,
) -> None:
    """A backup's name is its time on the workspace's clock (Beijing time, whatever the
    host's), as the undo record's; a backup folder procdoc cannot write refuses the write in
    one line with what to do (it said only "<temp file>: Permission denied")."""
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    store = store_for(tmp_path, timezone="Asia/Shanghai")
    store.update(set_status("C-1", "已办结"))
    (backup,) = (tmp_path / ".procdoc" / "backups").iterdir()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    stamp = datetime.strptime(backup.name[len("ledger-") : len("ledger-") + 15], "%Y%m%d-%H%M%S")
    assert abs((now.replace(tzinfo=None) - stamp).total_seconds()) < 120
    shutil.rmtree(tmp_path / ".procdoc" / "backups")
    (tmp_path / ".procdoc" / "backups").write_text("a file where the folder should be")
    before = digest(path)
    with pytest.raises(
        LedgerError, match=r"cannot back up ledger\.xlsx into .*backups: .*run again"
    ):
        store.update(set_status("C-2", "已办结"))
    assert digest(path) == before


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_ledger_that_is_a_link_is_written_where_it_points(library: Path, tmp_path: Path) -> None:
    """A workspace whose ledger is a symbolic link to the office's file on a share: procdoc
    writes that file and keeps the link (replacing the link made a copy of its own that
    the office never saw), and an owner file beside that file refuses the write."""
    from conftest import cli

    share = tmp_path / "共享 盘"
    share.mkdir()
    new = [
        "new",
        "xinfang",
        "--title",
        "甲",
        "--set",
        "petitioner=张三",
        "--at",
        "2026-11-02 09:00",
    ]
    assert cli(library, *new)[0] == 0
    real = share / "台账.xlsx"
    shutil.move(library / "ledger.xlsx", real)
    (library / "ledger.xlsx").symlink_to(real)
    code, _out, err = cli(library, *new[:3], "乙", *new[4:])
    assert code == 0, err
    assert (library / "ledger.xlsx").is_symlink()
    ids = [
        r[0]
        for r in CalamineWorkbook.from_path(str(real)).get_sheet_by_name("信访事项办理").to_python()
    ]
    assert ids[-2:] == ["XF2026-0001", "XF2026-0002"]
    before = digest(real)
    (share / ".~lock.台账.xlsx#").write_text(
        ",张三,pc,张三,05.12.2026 10:00,file:///x;", encoding="utf-8"
    )
    code, _out, err = cli(library, *new[:3], "丙", *new[4:])
    assert code != 0 and "张三" in err
    assert digest(real) == before and (library / "ledger.xlsx").is_symlink()
