"""`overdue` and `report daily` (SPEC §5, §8)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from conftest import advance1, write
from procdoc.calendar import Duration
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.workspace import Workspace

runner = CliRunner()

PROCESS = """\
name: 例行事项
id: task
case_id: "T{seq:03d}"
deadline: 10d
steps:
  - id: work
    name: 办理
    deadline: 5wd
    next: [slow]
  - id: slow
    name: 慢办
    deadline: 60d
    next: [done]
  - id: done
    name: 办结
    final: true
"""


PLAIN = """\
name: 单步事项
id: plain
case_id: "P{seq:03d}"
steps:
  - id: work
    name: 承办
    deadline: 5wd
    next: [done]
  - id: done
    name: 完结
    final: true
"""


@pytest.fixture
def office(mini: Path) -> Path:
    write(mini / "processes" / "task.yaml", PROCESS)
    write(mini / "processes" / "plain.yaml", PLAIN)
    return mini


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def overdue_json(root: Path, as_of: str, *extra: str) -> list[dict[str, object]]:
    code, out, err = cli(root, "overdue", "--as-of", as_of, "--format", "json", *extra)
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def test_both_sides_of_a_worked_deadline(office: Path) -> None:
    cases.new(
        Workspace(office), "plain", title="五个工作日", at=datetime(2026, 9, 30, 9, 0)
    )  # due 2026-10-13
    assert overdue_json(office, "2026-10-07") == []  # a holiday, well before the window
    soon = overdue_json(office, "2026-10-09")
    assert [(f["level"], f["late_days"], f["late_workdays"]) for f in soon] == [("due_soon", 0, 0)]
    today = overdue_json(office, "2026-10-13 16:00")
    assert today[0]["level"] == "due_today" and today[0]["due"] == "2026-10-13"
    late = overdue_json(office, "2026-10-14")
    assert (late[0]["level"], late[0]["late_days"], late[0]["late_workdays"]) == ("overdue", 1, 1)
    assert late[0]["urge"] is True and late[0]["escalate"] is False
    later = overdue_json(office, "2026-10-20")
    assert (later[0]["late_days"], later[0]["late_workdays"], later[0]["escalate"]) == (7, 5, True)


def test_make_up_saturday_counts_as_a_working_day(office: Path) -> None:
    cases.new(
        Workspace(office), "plain", title="例", at=datetime(2026, 9, 25, 9, 0)
    )  # 5wd: 9-28..9-30, 10-8, 10-9
    sat = overdue_json(office, "2026-10-10")  # 调休 Saturday: a working day
    assert (sat[0]["level"], sat[0]["late_days"], sat[0]["late_workdays"]) == ("overdue", 1, 1)
    sun = overdue_json(office, "2026-10-11")  # an ordinary Sunday
    assert (sun[0]["late_days"], sun[0]["late_workdays"]) == (2, 1)


def test_past_the_overall_deadline_but_not_the_step_deadline(office: Path) -> None:
    ws = Workspace(office)
    case = cases.new(ws, "task", title="总期限", at=datetime(2026, 11, 2, 9, 0))
    advance1(
        Workspace(office), case.id, step="slow", at=datetime(2026, 11, 3, 9, 0)
    )  # step due in 60d
    flags = overdue_json(office, "2026-11-16")  # 10d from 11-02 = 11-12
    assert len(flags) == 1
    assert (
        flags[0]["deadline"] == "case"
        and flags[0]["level"] == "overdue"
        and flags[0]["case_due"] == "2026-11-12"
    )
    assert flags[0]["due"] == "2027-01-04"  # the step: 60d -> Saturday 2027-01-02 -> Monday


def test_closed_cases_and_empty_ledger(office: Path) -> None:
    assert overdue_json(office, "2026-11-20") == []  # no ledger yet
    code, _out, err = cli(office, "overdue", "--as-of", "2026-11-20")
    assert code == 0 and "nothing overdue" in err
    case = cases.new(Workspace(office), "task", title="办完", at=datetime(2026, 9, 1, 9, 0))
    advance1(Workspace(office), case.id, step="slow", at=datetime(2026, 9, 2, 9, 0))
    advance1(Workspace(office), case.id, step="done", at=datetime(2026, 9, 3, 9, 0))
    assert overdue_json(office, "2026-11-20") == []


def test_process_filter_and_window(office: Path) -> None:
    cases.new(Workspace(office), "task", title="一", at=datetime(2026, 11, 2, 9, 0))  # due 11-09
    cases.new(
        Workspace(office), "mini", title="二", sets=["applicant=甲"], at=datetime(2026, 11, 2, 9, 0)
    )  # due 11-03
    assert {f["process"] for f in overdue_json(office, "2026-11-03")} == {
        "mini"
    }  # task: 11-09 is 4wd away
    assert {f["process"] for f in overdue_json(office, "2026-11-03", "--within", "5wd")} == {
        "mini",
        "task",
    }
    assert {
        f["process"]
        for f in overdue_json(office, "2026-11-03", "--within", "5wd", "--process", "task")
    } == {"task"}


def _report(office: Path, as_of: str, *extra: str) -> tuple[int, str, str]:
    return cli(office, "report", "daily", "--as-of", as_of, "--out", str(office / "rep"), *extra)


def test_daily_report_workbook_holds_the_figures(office: Path) -> None:
    ws = Workspace(office)
    cases.new(
        ws, "task", title="逾期的", at=datetime(2026, 11, 2, 9, 0)
    )  # due 11-09: overdue on 11-20
    cases.new(ws, "task", title="今天到期", at=datetime(2026, 11, 13, 9, 0))  # due 11-20
    cases.new(
        Workspace(office),
        "mini",
        title="今日新增",
        sets=["applicant=甲"],
        at=datetime(2026, 11, 20, 8, 30),
    )
    code, out, err = _report(office, "2026-11-20 18:00")
    assert code == 0, err
    assert "今日新增 1 件，今日办结 0 件，在办 3 件" in out and "逾期 1 件" in out
    xlsx = office / "rep" / "daily-2026-11-20.xlsx"
    md = office / "rep" / "daily-2026-11-20.md"
    assert xlsx.exists() and md.exists()
    wb = CalamineWorkbook.from_path(str(xlsx))
    assert wb.sheet_names == [
        "汇总",
        "逾期",
        "临期",
        "在办分布",
        "滞留环节",
        "今日新增",
        "今日办结",
    ]
    summary = {
        r[0]: r[1]
        for r in wb.get_sheet_by_name("汇总").to_python()
        if r and r[0] in ("今日新增", "今日办结", "在办", "逾期", "今日到期/临期")
    }
    assert summary == {"今日新增": 1, "今日办结": 0, "在办": 3, "逾期": 1, "今日到期/临期": 2}
    late = wb.get_sheet_by_name("逾期").to_python()
    assert late[1][0] == "T001" and late[1][5] == "逾期" and late[1][8] == 11
    spread = wb.get_sheet_by_name("在办分布").to_python()
    assert sorted((r[0], r[1], r[2]) for r in spread[1:]) == [
        ("例行事项", "办理", 2),
        ("测试流程", "登记", 1),
    ]
    with zipfile.ZipFile(xlsx) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())  # a native Excel chart
    text = md.read_text(encoding="utf-8")
    assert "## 逾期" in text and "T001" in text


def test_report_never_writes_the_ledger(office: Path) -> None:
    cases.new(Workspace(office), "task", title="例", at=datetime(2026, 11, 2, 9, 0))
    before = (office / "ledger.xlsx").read_bytes()
    assert _report(office, "2026-11-20")[0] == 0
    assert (office / "ledger.xlsx").read_bytes() == before


@pytest.mark.parametrize(
    ("day", "runs"),
    [("2026-10-10", True), ("2026-10-11", False), ("2026-10-01", False), ("2026-11-20", True)],
    ids=["make-up Saturday", "Sunday", "National Day", "Friday"],
)
def test_workdays_only(office: Path, day: str, runs: bool) -> None:
    code, _, err = _report(office, day, "--workdays-only")
    assert code == 0
    written = (office / "rep" / f"daily-{day}.xlsx").exists()
    assert written is runs
    if not runs:
        assert "not a working day" in err


def test_report_on_an_empty_ledger(office: Path) -> None:
    code, out, _ = _report(office, "2026-11-20")
    assert code == 0 and "在办 0 件" in out


def test_overdue_builds_only_the_rows_that_could_be_listed_and_lists_the_same(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`overdue` tells from the 状态 and deadline columns which rows could be listed and
    builds only those cases; the list is the one every case would give, whatever the day,
    the window, and cells typed by hand (a deadline as text, one that cannot be read, a
    status word that is none)."""
    from procdoc import casebook
    from procdoc.commands.desk import todo
    from procdoc.commands.reports import overdue
    from procdoc.errors import ProcdocWarning
    from procdoc.ledger import Batch, SheetChanges
    from procdoc.reports.overdue import overdue as flag_cases

    ws = Workspace(office)
    made = [
        cases.new(ws, "task", title=f"事项{i}", at=datetime(2026, 9, 1 + 3 * i, 9, 0))
        for i in range(9)
    ]
    for case in made[:4]:  # closed
        advance1(Workspace(office), case.id, step="slow", at=datetime(2026, 10, 9, 9, 0))
        advance1(Workspace(office), case.id, step="done", at=datetime(2026, 10, 10, 9, 0))
    advance1(Workspace(office), made[4].id, step="slow", at=datetime(2026, 10, 9, 9, 0))  # 60d
    cases.cancel(Workspace(office), made[5].id, reason="重复")
    book = Workspace(office).casebook()
    made = [book.case(case.id) for case in made]  # where each row is
    hand = [(made[6], "2026-11-02"), (made[7], "下周五"), (made[8], "2026-12-01 15:30")]

    def typed(_snapshot: object) -> Batch:
        changes: dict[str, SheetChanges] = {}
        for case, due in hand:
            changes.setdefault(case.sheet, SheetChanges(set={}))
            changes[case.sheet].set[case.row] = {"环节期限": due}
        changes[made[0].sheet].set[made[0].row] = {"状态": "办完了"}  # no status word
        for twice in (made[3], made[2]):  # ids held twice: left out, with a warning each
            changes[made[0].sheet].append.append(
                {"编号": twice.id, "状态": "办理中", "当前环节": "办理", "环节期限": "2026-09-01"}
            )
        return Batch(changes)

    Workspace(office).store.update(typed)
    # the ledger as it is now, asked about any day: the clock is put before every day asked
    # (a day past reads the cases as they stood then: see the test after this one)
    monkeypatch.setattr(Workspace, "now", lambda _self: datetime(2026, 9, 1, 8, 0))
    built: list[str] = []
    real_build = casebook._build

    def counting(case_id: str, *args: object, **kwargs: object) -> object:
        built.append(case_id)
        return real_build(case_id, *args, **kwargs)  # type: ignore[arg-type]

    for day in ("2026-09-05", "2026-10-12", "2026-11-02", "2026-12-01 16:00", "2026-12-30"):
        for within in ("1wd", "10d", "24h"):
            moment = datetime.fromisoformat(day if " " in day else f"{day} 09:00")
            ws = Workspace(office)
            every = flag_cases(
                list(ws.casebook().cases()),
                as_of=moment,
                within=Duration.parse(within),
                cal=ws.calendar,
                reminders=ws.config.reminders,
            )
            built.clear()
            with monkeypatch.context() as m, pytest.warns(ProcdocWarning, match="下周五"):
                m.setattr(casebook, "_build", counting)
                got = overdue(Workspace(office), as_of=moment, within=within)
            assert [(f.case.id, f.level, f.due) for f in got] == [
                (f.case.id, f.level, f.due) for f in every
            ], (day, within)
            assert made[1].id not in built and made[5].id not in built  # closed, cancelled
            assert made[7].id in built  # a deadline that cannot be read: the case says
            assert made[2].id not in {f.case.id for f in got}
    assert made[7].id in {f.case.id for f in got}  # late by its 办结期限

    def held_twice(run: Callable[[], object]) -> list[str]:
        with pytest.warns(ProcdocWarning) as caught:
            run()
        return [str(w.message) for w in caught if "held twice" in str(w.message)]

    # the same warnings, in the same order, with and without building every row
    filtered = held_twice(lambda: overdue(Workspace(office), as_of=datetime(2026, 12, 1, 9)))
    every_row = held_twice(lambda: list(Workspace(office).casebook().cases()))
    assert filtered == every_row and len(filtered) == 2
    assert made[3].id in filtered[0] and made[2].id in filtered[1]  # by their second rows
    # todo looks at open cases only: a status that is no status word is the case's to say
    built.clear()
    with monkeypatch.context() as m, pytest.warns(ProcdocWarning, match="办完了"):
        m.setattr(casebook, "_build", counting)
        todo(Workspace(office))
    assert made[0].id in built and made[1].id not in built and made[5].id not in built
    # so does `list --status open`, with the same cases as a filter over every case
    every_case = list(Workspace(office).casebook().cases())
    built.clear()
    with monkeypatch.context() as m, pytest.warns(ProcdocWarning, match="办完了"):
        m.setattr(casebook, "_build", counting)
        listed = cases.list_cases(Workspace(office), cases.Selection(status="open"))
    assert [c.id for c in listed] == [c.id for c in every_case if c.status == "open"]
    assert made[1].id not in built and made[5].id not in built


def test_a_day_past_reads_the_cases_as_they_stood_then(office: Path) -> None:
    """QA: `overdue --as-of` and `todo --as-of` a day past read today's ledger: they listed
    a case opened days later, and a case at the step it reached since, where `report daily`
    of that day does not (SPEC §8). A day past reads the cases as they stood then."""
    from procdoc.commands.desk import todo

    ws = Workspace(office)
    early = cases.new(ws, "task", title="早", at=datetime(2026, 9, 20, 9, 0)).id
    later = cases.new(ws, "task", title="晚", at=datetime(2026, 10, 14, 9, 0)).id
    advance1(Workspace(office), early, step="slow", at=datetime(2026, 10, 20, 9, 0))
    listed = overdue_json(office, "2026-10-12 09:00", "--within", "30d")
    assert [(c["id"], c["step"]) for c in listed] == [(early, "work")]  # as it stood
    now = overdue_json(office, "2026-12-30 09:00", "--within", "30d")
    assert {c["id"] for c in now} == {early, later}
    waiting = todo(Workspace(office), as_of=datetime(2026, 10, 12, 9, 0))
    assert [(i.case.id, i.case.step.id if i.case.step else None) for i in waiting] == [
        (early, "work")
    ]
    code, out, err = _report(office, "2026-10-12 09:00")
    assert code == 0, err
    assert "在办 1 件" in out  # as `report daily` of that day counts


def test_an_hour_deadline_at_midnight_is_that_moment(
    mini: Path, make_process: Callable[[str, str], Path]
) -> None:
    """A 2h deadline from 22:00 falls at 00:00, which the 办理期限 cell cannot tell from a
    day: it is read as that moment (due 00:00, late from then), not the end of that day."""
    from conftest import cli

    make_process(
        "h.yaml",
        "name: 急件\nid: h\nroles: [甲]\nsteps:\n"
        "  - {id: a, name: 受理, role: 甲, deadline: 2h, next: [b]}\n"
        "  - {id: b, name: 完成, role: 甲, final: true}\n",
    )
    assert cli(mini, "new", "h", "--title", "零点", "--at", "2026-10-09 22:00")[0] == 0
    code, out, err = cli(mini, "show", "CASE-1", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["due"] == "2026-10-10T00:00"
    code, out, err = cli(mini, "overdue", "--as-of", "2026-10-10 08:00", "--format", "json")
    assert code == 0, err
    (case,) = json.loads(out)
    assert (case["level"], case["deadline_due"]) == ("overdue", "2026-10-10T00:00")


def test_an_hour_deadline_under_an_hour_away_reads_in_minutes() -> None:
    """剩 30 分钟 / 逾期 10 分钟, not 剩 0 小时 / 逾期 0 小时 (QA); hours from one on."""
    from procdoc.calendar import WorkCalendar
    from procdoc.reports.overdue import time_left

    cal = WorkCalendar()
    due = datetime(2026, 10, 9, 14, 0)
    said = {
        at: (time_left(due, cal, now=datetime(2026, 10, 9, *at)),
             time_left(due, cal, now=datetime(2026, 10, 9, *at), short=True))
        for at in ((13, 30), (14, 0), (14, 10), (14, 0, 20), (16, 40), (11, 0))
    }  # fmt: skip
    assert said == {
        (13, 30): ("剩余 30 分钟", "剩 30 分钟"),
        (14, 0): ("剩余 0 分钟", "剩 0 分钟"),
        (14, 10): ("已逾期 10 分钟", "逾期 10 分钟"),
        (14, 0, 20): ("已逾期 1 分钟", "逾期 1 分钟"),
        (16, 40): ("已逾期 3 小时", "逾期 3 小时"),
        (11, 0): ("剩余 3 小时", "剩 3 小时"),
    }


@given(
    dues=st.lists(  # each day as a date and as a moment of that day
        st.tuples(st.dates(min_value=date(2026, 10, 1), max_value=date(2026, 10, 31)), st.times()),
        min_size=1,
        max_size=15,
    ).map(lambda days: [due for d, t in days for due in (d, datetime.combine(d, t))]),
    case_dues=st.lists(st.integers(min_value=-1, max_value=29), min_size=1, max_size=60),
    hour=st.integers(min_value=0, max_value=23),
)
def test_flags_read_with_each_deadline_read_once_are_the_flags_read_one_by_one(
    dues: list[date], case_dues: list[int], hour: int
) -> None:
    """`overdue` reads each deadline once for every case that has it (a register's cases
    share a few hundred): the flags are those of each case read alone, a day and that day
    at 00:00 kept apart."""
    from procdoc.calendar import WorkCalendar
    from procdoc.config import Reminders
    from procdoc.model import Case
    from procdoc.process.model import Process
    from procdoc.reports.overdue import flag_case, overdue

    process = Process(id="p", name="事项", path=Path("p.yaml"), file="p.yaml", steps=[])
    cal, reminders, within = WorkCalendar(), Reminders(), Duration.parse("3wd")
    as_of = datetime(2026, 10, 12, hour, 30)
    made = [
        Case(id=f"C{i:03d}", process=process, step=None, due=dues[k % len(dues)] if k >= 0 else None,
             case_due=dues[(k * 7) % len(dues)] if k % 3 == 0 else None)
        for i, k in enumerate(case_dues)
    ]  # fmt: skip
    alone = [f for c in made if (f := flag_case(c, as_of, within, cal, reminders)) is not None]
    got = overdue(made, as_of=as_of, within=within, cal=cal, reminders=reminders)
    assert sorted(got, key=lambda f: f.case.id) == sorted(alone, key=lambda f: f.case.id)
