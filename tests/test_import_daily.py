"""The daily OA sync (issue 15): the 致远 and 泛微 exports of the same 20 来文 in
samples/oa/, imported day by day with the `sources:` block of samples/oa/README.md.

Document *n* (1..20) is 泛微's 收〔2026〕(400+n)号 and 致远's SW-2026-(0230+n); the expected
outcome of each day is the table in samples/oa/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.imports import import_files, import_folder
from procdoc.commands.setup import init_workspace
from procdoc.errors import ImportFileError
from procdoc.importer.match import match_pairs
from procdoc.importer.merge import FileResult
from procdoc.model import Case
from procdoc.workspace import Workspace

OA = REPO / "samples" / "oa"
FANWEI = [
    (OA / "泛微-收文-2026-10-09.xls", datetime(2026, 10, 9, 16, 40)),
    (OA / "泛微-收文-2026-10-10.xls", datetime(2026, 10, 10, 17, 10)),
    (OA / "泛微-收文-2026-10-12.xls", datetime(2026, 10, 12, 16, 55)),
]
ZHIYUAN = (OA / "致远-收文登记簿-2026-10-12.xlsx", datetime(2026, 10, 12, 17, 5))
runner = CliRunner()


def fanwei_key(n: int) -> str:
    return f"收〔2026〕{400 + n}号"


def zhiyuan_key(n: int) -> str:
    return f"SW-2026-{230 + n:04d}"


def sources_block() -> str:
    """The `sources:` block samples/oa/README.md gives for these exports, as written."""
    readme = (OA / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(sources:\n.*?)```", readme, re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    root = init_workspace(tmp_path / "office", name="某区人民政府办公室")
    config = root / "procdoc.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + sources_block(), "utf-8")
    return root


def imp(root: Path, export: tuple[Path, datetime], **options: object) -> FileResult:
    (result,) = import_files(Workspace(root), [export[0]], at=export[1], **options)  # type: ignore[arg-type]
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def by_doc(root: Path, key: Callable[[int], str] = fanwei_key) -> dict[int, Case]:
    """The cases by document number, found by their ref."""
    book = Workspace(root).casebook(history=True)
    refs = {c.ref: c for c in book.cases()}
    return {n: refs[key(n)] for n in range(1, 21) if key(n) in refs}


#: Document numbers by either export's key.
NUMBER = {key(n): n for n in range(1, 21) for key in (fanwei_key, zhiyuan_key)}


def moves(result: FileResult) -> dict[int, tuple[str, str]]:
    return {NUMBER[m.key]: (m.from_step.id, m.to_step.id) for m in result.moved}


def opened(result: FileResult) -> dict[int, str]:
    return {NUMBER[n.key]: n.step.id for n in result.new if n.step is not None}


def reported(result: FileResult) -> list[int]:
    return [p.row for p in result.reported]


DAY1_NEW = {
    1: "handle_priority", 2: "handle_priority", 3: "handle_normal", 4: "circulate",
    5: "instruct", 6: "instruct", 7: "review", 8: "review", 12: "review",
    9: "register", 10: "register", 11: "register",
}  # fmt: skip
DAY2_NEW = {13: "register", 15: "register", 16: "register", 14: "review"}
DAY2_MOVED = {
    1: ("handle_priority", "followup"), 4: ("circulate", "archive"),
    5: ("instruct", "handle_normal"), 7: ("review", "instruct"), 8: ("review", "instruct"),
    9: ("register", "review"), 10: ("register", "instruct"), 12: ("review", "handle_urgent"),
}  # fmt: skip
DAY3_NEW = {17: "register", 18: "register", 19: "instruct", 20: "receive"}
DAY3_MOVED = {
    1: ("followup", "reply"), 2: ("handle_priority", "followup"),
    3: ("handle_normal", "followup"), 7: ("instruct", "handle_priority"),
    8: ("instruct", "handle_normal"), 9: ("review", "instruct"), 14: ("review", "instruct"),
    16: ("register", "instruct"), 10: ("instruct", "circulate"), 11: ("register", "instruct"),
    12: ("handle_urgent", "reply"), 13: ("register", "return_doc"), 15: ("register", "review"),
}  # fmt: skip


def three_days(root: Path) -> list[FileResult]:
    return [imp(root, day) for day in FANWEI]


def test_fanwei_day_by_day_moves_forward_and_reports_the_rest(office: Path) -> None:
    ledger = office / "ledger.xlsx"
    # 10-09: 12 new cases, each at the step its 当前节点 maps to
    day1 = imp(office, FANWEI[0])
    assert opened(day1) == DAY1_NEW and not day1.moved and not day1.reported
    # in file order, newest first: SW2026-0001 is #12 ... SW2026-0012 is #1
    assert [n.key for n in day1.new] == [fanwei_key(n) for n in range(12, 0, -1)]
    assert [n.id for n in day1.new] == [f"SW2026-{i:04d}" for i in range(1, 13)]
    again = imp(office, FANWEI[0])
    assert (again.new, again.moved, again.changed, again.unchanged) == ([], [], [], 12)

    # 10-10: 4 new, 8 moved, 2 unchanged; #6 backwards and #11 挂起 reported, no step change
    before = digest(ledger)
    day2 = imp(office, FANWEI[1])
    assert opened(day2) == DAY2_NEW
    assert [n.id for n in day2.new] == [f"SW2026-{i:04d}" for i in range(13, 17)]
    assert moves(day2) == DAY2_MOVED
    assert day2.unchanged == 2 and not day2.changed and not day2.problems
    assert reported(day2) == [8, 13]
    suspended, backwards = day2.reported
    assert (
        "当前节点 (F8) '挂起' is not under status_steps of source fanwei-shouwen"
        in suspended.message
    )
    assert "SW2026-0002 stays at 收文登记" in suspended.message
    assert "当前节点 (F13) '收文初审' is not ahead of 领导批办" in backwards.message
    assert str(backwards).startswith(f"{FANWEI[1][0]}: row 13: ")
    cases_now = by_doc(office)
    assert cases_now[6].step is not None and cases_now[6].step.id == "instruct"
    assert cases_now[11].step is not None and cases_now[11].step.id == "register"
    assert cases_now[4].status == "closed"  # 归档 is final
    assert digest(ledger) != before
    before = digest(ledger)
    again = imp(office, FANWEI[1])  # the same file again: nothing changes, same reports
    assert (again.new, again.moved, again.changed) == ([], [], [])
    assert reported(again) == [8, 13] and again.unchanged == 14
    assert digest(ledger) == before

    # 10-12: 4 new (#20 at the first step, reported), 13 moved, 3 unchanged
    day3 = imp(office, FANWEI[2])
    assert opened(day3) == DAY3_NEW
    assert [n.id for n in day3.new] == [f"SW2026-{i:04d}" for i in range(17, 21)]
    assert moves(day3) == DAY3_MOVED
    assert day3.unchanged == 3 and reported(day3) == [3]
    assert "'挂起' is not under status_steps" in day3.reported[0].message
    assert "opened at the first step 收文签收" in day3.reported[0].message
    before = digest(ledger)
    again = imp(office, FANWEI[2])
    assert (again.new, again.moved, again.changed) == ([], [], [])
    assert reported(again) == [3] and digest(ledger) == before


def test_import_moves_are_history_rows_and_enter_the_step(office: Path) -> None:
    three_days(office)
    book = Workspace(office).casebook(history=True)
    first = by_doc(office)[1]  # 加急承办 > 收文催办 > 收文答复
    history = book.history(first)
    assert [(h.action, h.from_step, h.to_step) for h in history] == [
        ("import", None, "handle_priority"),
        ("import", "handle_priority", "followup"),
        ("import", "followup", "reply"),
    ]
    assert history[0].at == datetime(2026, 9, 28)  # opened: the 创建日期
    assert history[2].at == FANWEI[2][1] and "泛微-收文-2026-10-12.xls 第22行" in (
        history[2].note or ""
    )
    assert first.entered == FANWEI[2][1]
    assert first.due == date(2026, 10, 15)  # 收文答复: 3 working days from 10-12
    assert first.opened == datetime(2026, 9, 28)


def test_cli_import_at_dates_the_moves_when_the_export_was_made(office: Path) -> None:
    """`import --at` (README: every command takes --at): the cases an export moves enter
    their steps then, and their deadlines count from then, not from the moment the clerk
    ran the import (QA: a batch of old exports was dated today)."""
    for path, moment in FANWEI[:2]:
        code, _out, err = cli(office, "import", str(path), "--at", f"{moment:%Y-%m-%d %H:%M}")
        assert code == 0, err
    moved = by_doc(office)[9]  # 收文登记 -> 收文初审 in the 10-10 export
    assert moved.entered == datetime(2026, 10, 10, 17, 10)
    code, _out, err = cli(office, "import", str(FANWEI[2][0]), "--at", "2026-10-32")
    assert code == 2 and "--at" in err


def test_an_import_dated_before_a_case_entered_its_step_says_so(office: Path) -> None:
    """QA: `--at 2026-10-01` (a typo for 10-11) on the 10-10 export moved cases, dated at
    their entry to the step they left (history stays in time order), without a word."""
    imp(office, FANWEI[0])
    early = imp(office, (FANWEI[1][0], datetime(2026, 10, 1, 9, 0)))
    assert early.moved
    late = [p.message for p in early.reported if "is earlier (check --at)" in p.message]
    # (the cases that entered their step before 10-01 move then, in time order: not said)
    assert late and all(any(m.id in line for m in early.moved) for line in late), late
    assert late[0].endswith("the import's moment 2026-10-01 09:00 is earlier (check --at)")


def test_zhiyuan_after_fanwei_matches_all_20(office: Path) -> None:
    three_days(office)
    steps = {n: c.step.id for n, c in by_doc(office).items() if c.step}
    result = imp(office, ZHIYUAN)
    assert result.source == "zhiyuan-shouwen"
    assert result.new == [] and result.moved == [] and not result.problems
    assert not result.reported and len(result.matched) == 20 and len(result.changed) == 20
    now = by_doc(office)
    assert len(now) == 20  # every case keeps its 泛微 ref
    assert {m.key: m.id for m in result.matched} == {
        zhiyuan_key(n): now[n].id for n in range(1, 21)
    }
    assert {n: c.step.id for n, c in now.items() if c.step} == steps  # 致远 has no status
    changed = {label for u in result.changed for label, _, _ in u.changes}
    assert changed == {"收文编号", "来文日期", "密级", "份数", "登记人", "承办人"}
    assert all(now[n].fields["recv_no"] == zhiyuan_key(n) for n in now)
    assert all(now[n].fields["secrecy"] == "非密" for n in now)  # 无 and empty alike
    assert {n for n, c in now.items() if c.assignee} == {1, 2, 3, 5, 7, 8, 12}
    assert now[3].fields["copies"] == 2 and now[8].fields["copies"] == 1  # 2份, 1 份
    assert now[16].fields["copies"] == 2 and now[11].fields["copies"] == 1
    # 来文日期 without a year (rows 6, 11, 13, 14) take 2026 from the row's 登记日期
    assert now[5].fields["received"] == date(2026, 9, 30)
    assert [now[n].fields["received"] for n in (10, 12, 13)] == [date(2026, 10, 9)] * 3
    assert now[1].fields["urgency"] == "加急" and now[3].fields["urgency"] == "平件"
    # the 致远 key is in the history; match_pairs lists the pairs for other commands
    pairs = match_pairs(Workspace(office).casebook(history=True))
    assert {(p.case, p.key) for p in pairs} == {(now[n].id, zhiyuan_key(n)) for n in now}
    assert all(p.note and "zhiyuan-shouwen" in p.note and "某" in p.note for p in pairs)
    _, out, err = cli(office, "check", "--format", "json")  # check lists them too
    listed = json.loads(out)["matches"]
    assert {(m["case"], m["key"]) for m in listed} == {(p.case, p.key) for p in pairs}, err
    _, out, _ = cli(office, "check")
    assert "the same matter found in two sources" in " ".join(out.split())
    assert zhiyuan_key(1) in out
    row = next(
        h
        for h in Workspace(office).casebook(history=True).history(now[1])
        if h.new == zhiyuan_key(1)
    )
    assert (row.action, row.subject, row.old) == ("update", "来源编号", None)
    # again: the recorded keys find the cases; nothing changes
    before = digest(office / "ledger.xlsx")
    again = imp(office, ZHIYUAN)
    assert (again.new, again.matched, again.changed, again.unchanged) == ([], [], [], 20)
    assert digest(office / "ledger.xlsx") == before


def test_zhiyuan_first_then_fanwei_moves_the_same_cases(office: Path) -> None:
    first = imp(office, ZHIYUAN)
    assert len(first.new) == 20 and not first.problems
    assert {n.step.id for n in first.new if n.step} == {"receive"}
    now = by_doc(office, zhiyuan_key)
    assert now[10].opened == datetime(2026, 10, 9, 9, 30)  # 2026-10-09T01:30:00Z in Beijing
    assert now[1].opened == datetime(2026, 9, 28, 9, 8)
    assert now[5].fields["received"] == date(2026, 9, 30)
    day1, day2, day3 = three_days(office)
    assert day1.new == [] and len(day1.matched) == 12
    assert moves(day1) == {n: ("receive", step) for n, step in DAY1_NEW.items()}
    assert day2.new == [] and len(day2.matched) == 4
    assert moves(day2) == {
        **DAY2_MOVED,
        **{n: ("receive", step) for n, step in DAY2_NEW.items()},
    }
    assert reported(day2) == [8, 13]
    assert day3.new == [] and len(day3.matched) == 4 and reported(day3) == [3]
    assert moves(day3) == {
        **DAY3_MOVED,
        **{n: ("receive", step) for n, step in DAY3_NEW.items() if n != 20},
    }
    now = by_doc(office, zhiyuan_key)
    assert len(now) == 20  # the 致远 refs stay
    assert now[20].step is not None and now[20].step.id == "receive"


def _fanwei_with(tmp_path: Path, n: int, org: str, doc_no: str) -> Path:
    """The 10-10 泛微 export with document ``n``'s 来文单位 and 来文字号 changed."""
    source = FANWEI[1][0]
    html = source.read_text(encoding="utf-8")
    rows = html.split("<tr")
    i = next(i for i, row in enumerate(rows) if fanwei_key(n) in row)
    cells = re.findall(r"<td>(.*?)</td>", rows[i])
    old_org, old_no = cells[7], cells[8]
    rows[i] = rows[i].replace(f"<td>{old_org}</td>", f"<td>{org}</td>", 1)
    rows[i] = rows[i].replace(f"<td>{old_no}</td>", f"<td>{doc_no}</td>", 1)
    target = tmp_path / "泛微-收文-改.xls"
    target.write_text("<tr".join(rows), encoding="utf-8")
    return target


def test_two_sources_naming_two_cases_for_one_row_writes_nothing(
    office: Path, tmp_path: Path
) -> None:
    imp(office, ZHIYUAN)
    imp(office, FANWEI[0])  # #1 and #2 matched: their 泛微 keys are recorded
    changed = _fanwei_with(tmp_path, 1, "市发展改革委", "某发改投资〔2026〕187号")  # #2's
    before = digest(office / "ledger.xlsx")
    with pytest.raises(ImportFileError) as err:
        import_files(Workspace(office), [changed], at=FANWEI[1][1])
    message = str(err.value)
    assert "row 18" in message and fanwei_key(1) in message and "nothing imported" in message
    assert "two cases for one matter" in message and "\n" not in message
    assert digest(office / "ledger.xlsx") == before


def test_one_row_matching_two_cases_writes_nothing(office: Path) -> None:
    imp(office, ZHIYUAN)
    ws = Workspace(office)
    cases.new(
        ws,
        "shouwen",
        title="关于做好2026年秋冬季安全生产工作的通知（重复登记）",
        sets=["from_org=市政府办公室", "doc_no=某府办发〔2026〕45号"],
        by="王敏",
        at=datetime(2026, 10, 9, 9, 0),
    )
    before = digest(office / "ledger.xlsx")
    code, _, err = cli(office, "import", str(FANWEI[0][0]))
    assert code == 1 and err.strip().count("\n") == 0 and "match 2 cases" in err
    assert "row 14" in err and "nothing imported" in err
    assert digest(office / "ledger.xlsx") == before
    # cancelling the duplicate settles it
    found = [c for c in ws.casebook().cases() if c.title.endswith("（重复登记）")]
    cases.cancel(
        Workspace(office), found[0].id, reason="重复登记", by="王敏", at=datetime(2026, 10, 9, 10)
    )
    assert len(imp(office, FANWEI[0]).matched) == 12


def test_a_matter_cancelled_outright_is_not_opened_again_by_the_other_source(
    office: Path,
) -> None:
    """A case cancelled with no other case of its matter (重复登记 in the OA, say) is still
    that matter's case: the other source's row that `match:` finds only it for is that
    case, reported as cancelled, not opened anew; and the first source's next export,
    whose key names the cancelled case, goes in (QA: a second case was opened, and then
    every 泛微 import stopped with "two cases for one matter")."""
    imp(office, FANWEI[1])  # the 10-10 export opens document #11 among others
    ws = Workspace(office)
    cancelled = by_doc(office)[11].id
    cases.cancel(ws, cancelled, reason="重复登记", by="王敏", at=datetime(2026, 10, 10, 18))
    doc_no = Workspace(office).casebook().case(cancelled).fields["doc_no"]
    zhiyuan = imp(office, ZHIYUAN)
    same = [c.id for c in Workspace(office).casebook().cases() if c.fields.get("doc_no") == doc_no]
    assert same == [cancelled]  # no second case of the matter
    assert cancelled in {m.id for m in zhiyuan.matched}
    later = imp(office, FANWEI[2])  # 10-12: its key names the cancelled case
    assert later.new == [] or all(n.key != fanwei_key(11) for n in later.new)
    assert Workspace(office).casebook().case(cancelled).status == "cancelled"


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_dry_run_shows_new_cases_updates_moves_and_matches(office: Path) -> None:
    imp(office, FANWEI[0])
    record = (office / ".procdoc" / "imported.json").read_text(encoding="utf-8")
    code, out, err = cli(office, "import", str(FANWEI[1][0]), "--dry-run")
    assert code == 0
    assert (office / ".procdoc" / "imported.json").read_text(encoding="utf-8") == record
    assert "流转" in out and "加急承办" in out and "收文催办" in out  # #1 moves
    assert "SW2026-0013" in out and "新建" in out and "当前环节" in out
    assert "row 13" in err and "挂起" in err
    assert "dry run" in out + err
    code, out, _ = cli(office, "import", str(ZHIYUAN[0]), "--dry-run", "--format", "json")
    data = json.loads(out)["files"][0]
    assert len(data["matched"]) == 12 and len(data["new"]) == 8
    first = next(m for m in data["matched"] if m["key"] == zhiyuan_key(1))
    assert first["ref"] == fanwei_key(1)
    assert first["on"] == {"来文字号": "某府办发〔2026〕45号", "来文单位": "市政府办公室"}
    code, out, _ = cli(office, "import", str(ZHIYUAN[0]), "--dry-run")
    assert any("匹配" in line and "SW2026-" in line for line in out.splitlines()[3:])
    code, out, _ = cli(office, "import", str(FANWEI[1][0]), "--format", "json")
    moved = json.loads(out)["files"][0]["moved"]
    assert {"from": "handle_priority", "to": "followup"}.items() <= next(
        m for m in moved if m["key"] == fanwei_key(1)
    ).items()


def test_summary_table_counts_moves_matches_and_reports(office: Path) -> None:
    imp(office, FANWEI[0])
    code, out, _ = cli(office, "import", str(FANWEI[1][0]), "--format", "csv")
    assert code == 0
    header, row = out.lstrip("\ufeff").splitlines()[:2]
    assert header == "文件,来源,新建,更新,流转,匹配,未变,拒绝,提示"
    assert row.endswith(",fanwei-shouwen,4,0,8,0,2,0,2")


# -- the folder a clerk saves each day's exports to -------------------------------------


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "OA导出"
    folder.mkdir()
    files = [*[day for day, _ in FANWEI], ZHIYUAN[0]]
    days = [9, 10, 12, 12]  # the last two saved at the same time: taken by name
    for path, day in reversed(list(zip(files, days, strict=True))):  # copied newest first
        target = folder / path.name
        shutil.copy(path, target)
        moment = datetime(2026, 10, day, 17).timestamp()
        os.utime(target, (moment, moment))
    (folder / "名单.csv").write_text("姓名,年龄\n张三,30\n", encoding="gbk")
    (folder / "说明.pdf").write_bytes(b"%PDF-1.4")  # not an export: not looked at
    (folder / "~$泛微-收文-2026-10-12.xls").write_bytes(b"\x00")  # Excel's owner file
    return folder


def test_folder_imports_what_is_new_oldest_first_and_remembers(
    office: Path, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    preview = import_folder(Workspace(office), folder, dry_run=True, at=ZHIYUAN[1])
    assert [Path(r.file).name for r in preview.files] == [
        "泛微-收文-2026-10-09.xls",
        "泛微-收文-2026-10-10.xls",
        "泛微-收文-2026-10-12.xls",
        "致远-收文登记簿-2026-10-12.xlsx",
    ]
    assert not (office / "ledger.xlsx").exists()
    assert not (office / ".procdoc" / "imported.json").exists()  # a dry run records nothing
    done = import_folder(Workspace(office), folder, at=ZHIYUAN[1])
    assert [Path(r.file).name for r in done.files] == [Path(r.file).name for r in preview.files]
    day1, day2, day3, zhiyuan = done.files
    assert opened(day1) == DAY1_NEW and moves(day2) == DAY2_MOVED and moves(day3) == DAY3_MOVED
    assert reported(day2) == [8, 13] and reported(day3) == [3]
    assert len(zhiyuan.matched) == 20 and zhiyuan.new == []
    assert [(Path(s.file).name, s.imported) for s in done.skipped] == [("名单.csv", False)]
    assert "no source matches" in done.skipped[0].reason
    record = json.loads((office / ".procdoc" / "imported.json").read_text(encoding="utf-8"))
    assert sorted(e["name"] for e in record["files"].values()) == sorted(
        Path(r.file).name for r in done.files
    )
    # the next day: nothing new; the junk file is reported again, the rest skipped quietly
    before = digest(office / "ledger.xlsx")
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0 and "nothing new to import" in err and "4 exports" in err
    assert "Skipped:" in err and "名单.csv" in err
    assert digest(office / "ledger.xlsx") == before
    # a new export saved there is imported alone
    newer = folder / "泛微-收文-2026-10-12-再次导出.xls"
    newer.write_text(
        FANWEI[2][0].read_text(encoding="utf-8").replace("16:45", "17:45"), encoding="utf-8"
    )
    again = import_folder(Workspace(office), folder, at=datetime(2026, 10, 12, 18))
    assert [Path(r.file).name for r in again.files] == [newer.name]
    assert again.files[0].new == [] and again.files[0].unchanged == 19


def test_folder_skips_exports_imported_by_name_and_copies(office: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FANWEI[0][0], folder / "a.xls")
    shutil.copy(FANWEI[0][0], folder / "b.xls")  # the same export saved twice
    shutil.copy(FANWEI[1][0], folder / "c.xls")
    import_files(Workspace(office), [folder / "c.xls"], at=FANWEI[1][1])
    done = import_folder(Workspace(office), folder, at=FANWEI[1][1])
    assert [Path(r.file).name for r in done.files] == ["a.xls"]
    reasons = {Path(s.file).name: s.reason for s in done.skipped}
    assert reasons["b.xls"] == "the same content as a.xls"
    assert reasons["c.xls"].startswith("imported before")


def test_an_undone_import_is_taken_again_by_the_folder_import(office: Path, tmp_path: Path) -> None:
    """`undo` of an import forgets its exports: the next `import --folder` (cron's daily
    run) imports them again instead of skipping them as imported while the ledger no
    longer holds what they brought. An undo of another write forgets nothing."""
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FANWEI[0][0], folder / "a.xls")
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0, err
    ledger = office / "ledger.xlsx"
    imported = digest(ledger)
    shutil.copy(FANWEI[1][0], folder / "b.xls")
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0, err
    code, out, err = cli(office, "undo")
    assert code == 0, err
    assert "b.xls: their import is undone; `import --folder` takes them again" in out + err
    assert "a.xls" not in out + err
    record = json.loads((office / ".procdoc" / "imported.json").read_text(encoding="utf-8"))
    assert sorted(e["name"] for e in record["files"].values()) == ["a.xls"]
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0, err
    again = import_folder(Workspace(office), folder, dry_run=True, at=FANWEI[1][1])
    assert again.files == [] and {Path(s.file).name for s in again.skipped} == {"a.xls", "b.xls"}
    assert digest(ledger) != imported  # b.xls is in the ledger again
    # an undo of a write that imported nothing forgets nothing
    case = next(iter(by_doc(office).values())).id
    code, _, err = cli(office, "set", case, "--set", "opinion=手改", "--by", "张三")
    assert code == 0, err
    code, out, err = cli(office, "undo")
    assert code == 0, err
    assert "import --folder" not in out + err
    record = json.loads((office / ".procdoc" / "imported.json").read_text(encoding="utf-8"))
    assert sorted(e["name"] for e in record["files"].values()) == ["a.xls", "b.xls"]


def names(office: Path, part: str = "files") -> list[str]:
    record = json.loads((office / ".procdoc" / "imported.json").read_text(encoding="utf-8"))
    return sorted(e["name"] for e in record.get(part, {}).values())


def test_an_undone_import_forgets_the_exports_it_made_redundant_and_a_redo_remembers(
    office: Path, tmp_path: Path
) -> None:
    """An export whose import changed nothing (its content already in the ledger) owes
    its content to the version it found: an undo of that version forgets it too. An undo
    of the undo puts the forgotten exports back as imported, and says so (QA)."""
    code, _, err = cli(
        office, "new", "duban", "--title", "先有的案件", "--set", "due_date=2026-12-31"
    )
    assert code == 0, err
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(FANWEI[0][0], first / "a.xls")
    code, _, err = cli(office, "import", str(first / "a.xls"))
    assert code == 0, err
    folder = tmp_path / "exports"
    folder.mkdir()
    copy = folder / "a-again.xls"  # the same export saved again: another file, no change
    copy.write_bytes(FANWEI[0][0].read_bytes() + b"\n")
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0, err
    assert names(office) == ["a-again.xls", "a.xls"]
    code, out, err = cli(office, "undo")
    assert code == 0, err
    assert "a.xls, a-again.xls: their import is undone" in out + err
    assert names(office) == [] and names(office, "undone") == ["a-again.xls", "a.xls"]
    code, out, err = cli(office, "undo")  # the undo undone: the import is back
    assert code == 0, err
    assert "imported again with the version put back" in out + err
    assert names(office) == ["a-again.xls", "a.xls"] and names(office, "undone") == []
    preview = import_folder(Workspace(office), folder, dry_run=True, at=FANWEI[0][1])
    assert preview.files == []  # the folder's export is known again
    code, out, err = cli(office, "undo")  # and undone once more
    assert code == 0, err
    preview = import_folder(Workspace(office), folder, dry_run=True, at=FANWEI[0][1])
    assert [Path(r.file).name for r in preview.files] == ["a-again.xls"]
    assert len(preview.files[0].new) == 12


def test_import_needs_files_or_a_folder(office: Path, tmp_path: Path) -> None:
    code, _, err = cli(office, "import")
    assert code == 2 and "nothing to import" in err
    code, _, err = cli(office, "import", str(FANWEI[0][0]), "--folder", str(tmp_path))
    assert code == 2 and "not both" in err
    code, _, err = cli(office, "import", "--folder", str(tmp_path / "nope"))
    assert code == 1 and "no such folder" in err


def test_folder_strict_refuses_a_file_with_bad_rows(office: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    bad = folder / "泛微.csv"
    bad.write_text(
        "请求标题,创建日期,来文单位,来文字号,紧急程度,收文编号,当前节点\n"
        "关于甲的通知,2026-10-09,市甲局,某甲〔2026〕1号,平件,收〔2026〕501号,收文登记\n"
        "关于乙的通知,2026-10-09,,某乙〔2026〕2号,平件,收〔2026〕502号,收文登记\n",
        encoding="utf-8",
    )
    code, _, err = cli(office, "import", "--folder", str(folder), "--strict")
    assert code == 1 and "row 3" in err and "(--strict: 1 bad row, nothing imported)" in err
    assert not (office / "ledger.xlsx").exists()
    assert not (office / ".procdoc" / "imported.json").exists()
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0
    assert f"{bad}: row 3: 来文单位 (C3) is empty, but 来文单位 is required: row left out" in (
        " ".join(err.split())
    )


def test_the_same_matter_twice_in_one_export_keeps_the_first_row(
    office: Path, tmp_path: Path
) -> None:
    path = tmp_path / "泛微.csv"
    path.write_text(
        "请求标题,创建日期,来文单位,来文字号,紧急程度,收文编号,当前节点\n"
        "关于甲的通知,2026-10-09,市甲局,某甲〔2026〕1号,平件,收〔2026〕501号,收文登记\n"
        "关于甲的通知,2026-10-09,市甲局 ,某甲〔2026〕1号,平件,收〔2026〕502号,收文登记\n",
        encoding="utf-8",
    )
    result = imp(office, (path, datetime(2026, 10, 9, 17)))
    assert [n.key for n in result.new] == ["收〔2026〕501号"]
    assert [str(p) for p in result.problems] == [
        f"{path}: row 3: the same matter as row 2 (来文字号 某甲〔2026〕1号 (D3)、来文单位 市甲局 (C3), "
        "case SW2026-0001): row left out"
    ]


def test_a_source_error_stops_a_folder_import(office: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FANWEI[0][0], folder)
    code, _, err = cli(office, "import", "--folder", str(folder), "--source", "nope")
    assert code == 1 and "unknown source 'nope'" in err and "Skipped" not in err
    assert not (office / "ledger.xlsx").exists()


def test_an_unwritable_record_of_imports_is_a_warning(office: Path) -> None:
    (office / ".procdoc" / "imported.json").mkdir(parents=True)  # cannot be written
    code, _, err = cli(office, "import", str(FANWEI[0][0]))
    assert code == 0 and "Warning:" in err and "imported.json" in err
    assert (office / "ledger.xlsx").exists()
    code, _, err = cli(office, "import", "--folder", str(OA))
    assert code == 1 and "imported.json cannot be read" in err


PEOPLE_WEEK = """
people:
  王敏: {dept: 办公室, roles: [收发员, 登记员]}
  刘洋: {dept: 办公室, roles: [登记员, 档案员]}
  李建国: {dept: 办公室, roles: [办公室主任]}
  韩志强: {dept: 局领导, roles: [批示领导]}
  冯雪梅: {dept: 局领导, roles: [批示领导]}
  陈静: {dept: 综合科, roles: [承办人]}
  赵磊: {dept: 综合科, roles: [承办人]}
  孙婷: {dept: 财务科, roles: [承办人]}
  周强: {dept: 规划科, roles: [承办人]}
  何军: {dept: 督查室, roles: [督办员]}
"""


def test_an_export_s_assignee_who_cannot_move_the_case_is_written_and_said(
    office: Path,
) -> None:
    """The OA is the source of truth for 承办人, so an export's is written; with `people:`
    set, one who does not hold the role of the case's step is said with who may move it
    there (QA: cases at 收文催办 went to 承办人 who cannot move them, and left 何军's 待办
    without a word)."""
    config = office / "procdoc.yaml"
    config.write_text(config.read_text(encoding="utf-8") + PEOPLE_WEEK, encoding="utf-8")
    for export in FANWEI:
        imp(office, export)
    result = imp(office, ZHIYUAN)
    said = [p.message for p in result.reported if "does not hold the role" in p.message]
    assert said and all(
        "of step 收文催办: written as the OA gives it, but only 何军" in m for m in said
    )
    waiting = [c for c in Workspace(office).casebook().cases() if c.step_name == "收文催办"]
    assert any(c.assignee in ("赵磊", "孙婷") for c in waiting)  # written as the OA gives it


def test_a_cancelled_duplicate_never_blocks_the_key_s_own_case_nor_repeats_its_match(
    office: Path, tmp_path: Path
) -> None:
    """QA: with a typo in one export, the other source opened a second case of the matter,
    which the office cancelled. When the typo is fixed, the key's own case in force takes
    the row (the cancelled duplicate that `match:` now finds does not block the import);
    the other source's key, whose case was cancelled, goes to the case in force, and its
    match is recorded once, not again on every import."""
    typo = _fanwei_with(tmp_path, 2, "市发展改革委", "某发改笔误〔2026〕1号")
    imp(office, (typo, FANWEI[1][1]))
    imp(office, ZHIYUAN)  # doc 2 does not match the typo: a second case of it is opened
    ws = Workspace(office)
    twins = [c for c in ws.casebook().cases() if c.ref == zhiyuan_key(2)]
    assert len(twins) == 1
    cases.cancel(ws, twins[0].id, reason="重复", by="王敏", at=datetime(2026, 10, 10, 18))
    fixed = imp(office, FANWEI[1])  # the real export: doc 2's key is its own case
    assert fixed.new == []
    kept = next(c for c in Workspace(office).casebook().cases() if c.ref == fanwei_key(2))
    assert kept.fields["doc_no"] != "某发改笔误〔2026〕1号"  # updated from the export
    for _ in range(2):  # the 致远 key of the cancelled twin goes to the case in force
        imp(office, ZHIYUAN)
    history = cases.show(Workspace(office), kept.id).history or []
    pairs = [h for h in history if h.subject == "来源编号" and h.new == zhiyuan_key(2)]
    assert len(pairs) == 1  # the match, recorded once
