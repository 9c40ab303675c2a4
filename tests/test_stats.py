"""`report stats` (SPEC §10) on the hand-computed ledger of ledger2026.py.

Every expected figure below is worked out by hand from the moments in ledger2026.py (see
its docstring for each case's stays, deadlines and working days), not by the code under
test. March 2026 is the period: W001-W004, J001, J002; W004 is cancelled (counted apart).
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from ledger2026 import build
from procdoc.cli import app
from procdoc.commands import cases, reports
from procdoc.reports.facts import CaseFacts, case_facts
from procdoc.reports.sample import closed_at
from procdoc.reports.stats import GROUP_HEADER
from procdoc.workspace import Workspace

runner = CliRunner()
MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")
GROUP_KEYS = {
    "group", "opened", "closed", "open", "cancelled", "closed_rate", "on_time_rate",
    "mean_workdays", "median_workdays", "step_workdays", "returns", "return_rate", "extensions",
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("stats") / "办公室")


@pytest.fixture
def office(built: Path, tmp_path: Path) -> Path:
    """A copy of the built ledger that a test may change."""
    return Path(shutil.copytree(built, tmp_path / "办公室"))


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def stats(root: Path, *extra: str) -> dict[str, object]:
    code, out, err = cli(
        root, "report", "stats", *MARCH, "--format", "json", "--out", str(root / "rep"), *extra
    )
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def groups(data: dict[str, object]) -> dict[str | None, dict[str, object]]:
    items = data["groups"]
    assert isinstance(items, list)
    return {g["group"]: g for g in items}


def test_by_process(built: Path) -> None:
    data = stats(built)
    got = groups(data)
    assert list(got) == ["jiyao", "wen"]  # in the processes' order (file names)
    for g in [*got.values(), data["total"]]:
        assert set(g) == GROUP_KEYS  # exactly the SPEC's keys
    # 发文: W001, W002 closed, W003 open -> 3 opened; W004 cancelled apart.
    # On time: W001 yes, W002 no (its first 起草 was late) -> 1/2.
    # To close: W001 5 wd, W002 14 wd -> mean 9.5, median 9.5.
    # 起草 stays that ended: W001 1, W002 3 and 1, W003 1 -> 6/4 = 1.5;
    # 印发 stays that ended: W001 4, W002 1 and 9 -> 14/3 = 4.67 (W003 still there).
    assert got["wen"] == {
        "group": "wen", "opened": 3, "closed": 2, "open": 1, "cancelled": 1,
        "closed_rate": 0.6667, "on_time_rate": 0.5, "mean_workdays": 9.5,
        "median_workdays": 9.5, "step_workdays": {"draft": 1.5, "print": 4.67},
        "returns": 1, "return_rate": 0.3333, "extensions": 1,
    }  # fmt: skip
    # 纪要: J001 on time, J002 an hour late; both 2 wd to close.
    assert got["jiyao"] == {
        "group": "jiyao", "opened": 2, "closed": 2, "open": 0, "cancelled": 0,
        "closed_rate": 1.0, "on_time_rate": 0.5, "mean_workdays": 2.0,
        "median_workdays": 2.0, "step_workdays": {"write": 2.0},
        "returns": 0, "return_rate": 0.0, "extensions": 0,
    }  # fmt: skip
    # All: 5 opened, 4 closed (4/5), on time 2 of 4; to close [2, 2, 5, 14]: mean 23/4,
    # median (2+5)/2; 1 return over 5 cases.
    assert data["total"] == {
        "group": None, "opened": 5, "closed": 4, "open": 1, "cancelled": 1,
        "closed_rate": 0.8, "on_time_rate": 0.5, "mean_workdays": 5.75,
        "median_workdays": 3.5,
        "step_workdays": {"jiyao.write": 2.0, "wen.draft": 1.5, "wen.print": 4.67},
        "returns": 1, "return_rate": 0.2, "extensions": 1,
    }  # fmt: skip
    assert (data["from"], data["to"], data["by"]) == ("2026-03-01", "2026-03-31", "process")


def test_step_time_limits(built: Path) -> None:
    steps = {(s["process"], s["step"]): s for s in stats(built)["steps"]}  # type: ignore[union-attr]
    # 起草 2wd: W001 in time, W002 late then in time, W003 in time -> 3 of 4.
    assert steps[("wen", "draft")] == {
        "process": "wen", "process_name": "发文", "step": "draft", "step_name": "起草",
        "deadline": "2wd", "visits": 4, "on_time": 3, "late": 1, "on_time_rate": 0.75,
        "overdue_open": 0,
    }  # fmt: skip
    # 印发 5wd: W001 in time, W002 returned in time, then in time with its extension;
    # W003 is still there, past 3/18: it will not leave in time, so 3 of 3 + 1 kept it
    p = steps[("wen", "print")]
    assert (p["visits"], p["on_time"], p["on_time_rate"], p["overdue_open"]) == (3, 3, 0.75, 1)
    # 整理 48h: J001 in time, J002 an hour late.
    w = steps[("jiyao", "write")]
    assert (w["deadline"], w["visits"], w["on_time"], w["late"]) == ("48h", 2, 1, 1)
    assert len(steps) == 3  # final steps and steps without a deadline are not listed


def test_by_dept_assignee_and_step(built: Path) -> None:
    dept = groups(stats(built, "--by", "dept"))
    # 办公室: W001, W002, J001, J002, all closed, 2 on time; to close [5, 14, 2, 2].
    # 起草 there: W001 1, W002 3 and 1 -> 5/3.
    assert dept["办公室"] == {
        "group": "办公室", "opened": 4, "closed": 4, "open": 0, "cancelled": 0,
        "closed_rate": 1.0, "on_time_rate": 0.5, "mean_workdays": 5.75,
        "median_workdays": 3.5,
        "step_workdays": {"jiyao.write": 2.0, "wen.draft": 1.67, "wen.print": 4.67},
        "returns": 1, "return_rate": 0.25, "extensions": 1,
    }  # fmt: skip
    # 综合科: W003 open, W004 cancelled: nothing closed, so no rates or times of closing.
    assert dept["综合科"] == {
        "group": "综合科", "opened": 1, "closed": 0, "open": 1, "cancelled": 1,
        "closed_rate": 0.0, "on_time_rate": None, "mean_workdays": None,
        "median_workdays": None, "step_workdays": {"wen.draft": 1.0},
        "returns": 0, "return_rate": 0.0, "extensions": 0,
    }  # fmt: skip
    people = groups(stats(built, "--by", "assignee"))
    assert {k: (g["opened"], g["closed"], g["cancelled"]) for k, g in people.items()} == {
        "李强": (2, 2, 0), "王敏": (2, 2, 0), "赵六": (1, 0, 1),
    }  # fmt: skip
    assert people["王敏"]["return_rate"] == 0.5  # W002's return over 2 cases
    step = groups(stats(built, "--by", "step"))
    assert list(step) == ["jiyao.write", "wen.draft", "wen.print"]  # final steps: no group
    # 印发: W001, W002 closed, W003 open (W004 never got there); both closed ones left
    # every 印发 stay in time; the return and the extension happened at 印发.
    assert step["wen.print"] == {
        "group": "wen.print", "opened": 3, "closed": 2, "open": 1, "cancelled": 0,
        "closed_rate": 0.6667, "on_time_rate": 1.0, "mean_workdays": 9.5,
        "median_workdays": 9.5, "step_workdays": {"print": 4.67},
        "returns": 1, "return_rate": 0.3333, "extensions": 1,
    }  # fmt: skip
    # 起草: W004 was cancelled there; W002 was late there.
    d = step["wen.draft"]
    assert (d["opened"], d["cancelled"], d["on_time_rate"], d["returns"]) == (3, 1, 0.5, 0)


def test_table_and_csv(built: Path) -> None:
    code, out, _ = cli(built, "report", "stats", *MARCH, "--out", str(built / "rep"))
    assert code == 0
    assert "按时办结率" in out and "80.0%" in out and "时限达标率" in out
    # 各环节平均用时 by process: each step once (a 合计 row would repeat it)
    steps_part = out.split("各环节平均用时")[1].split("各环节时限达标情况")[0]
    assert "合计" not in steps_part and "发文" in steps_part
    # by step, a group is its step: one 环节 column, each step once, no 合计 (QA: the
    # table had 环节 twice and a 合计 row for every step again)
    code, out, _ = cli(
        built, "report", "stats", *MARCH, "--by", "step", "--out", str(built / "rep")
    )
    steps_part = out.split("各环节平均用时")[1].split("各环节时限达标情况")[0]
    header = next(line for line in steps_part.splitlines() if "停留次数" in line)
    assert code == 0 and header.count("环节") == 1 and "合计" not in steps_part
    assert steps_part.count("发文·印发") == 1
    code, out, _ = cli(
        built, "report", "stats", *MARCH, "--format", "csv", "--out", str(built / "rep")
    )
    assert code == 0
    assert out.startswith("\ufeff流程,新增,办结,在办,撤销,办结率,按时办结率,")
    rows = [line.split(",") for line in out.lstrip("\ufeff").splitlines()]
    assert rows[-1][:7] == ["合计", "5", "4", "1", "1", "80.0%", "50.0%"]
    assert [r[0] for r in rows[1:]] == ["纪要", "发文", "合计"]


def test_workbook(built: Path) -> None:
    data = stats(built)
    path = Path(str(data["xlsx"]))
    assert path == built / "rep" / "stats-2026-03-01_2026-03-31-process.xlsx"
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["统计", "图表", "环节时限", "文号", "明细"]
    table = wb.get_sheet_by_name("统计").to_python()
    head = next(i for i, r in enumerate(table) if r and r[0] == "流程")
    body = {r[0]: r for r in table[head + 1 :] if r and r[0]}
    assert body["发文"][1:8] == [3, 2, 1, 1, pytest.approx(2 / 3, abs=1e-4), 0.5, 9.5]
    assert body["合计"][1:5] == [5, 4, 1, 1]
    detail = wb.get_sheet_by_name("明细").to_python()
    ids = sorted(r[0] for r in detail if r and re.fullmatch(r"[WJ]\d{3}", str(r[0])))
    assert ids == ["J001", "J002", "W001", "W002", "W003", "W004"]
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert len([n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 4
        book = z.read("xl/workbook.xml").decode()
        sheets = {n: z.read(n).decode() for n in names if n.startswith("xl/worksheets/sheet")}
    charts = sheets["xl/worksheets/sheet2.xml"]  # 图表: one chart a page
    assert 'orientation="landscape"' in charts and 'paperSize="9"' in charts
    assert 'fitToPage="1"' in charts and 'fitToHeight="0"' in charts  # fitted to the width
    assert re.findall(r'<brk id="(\d+)"', charts) == ["30", "60", "90"]  # a page per chart
    assert "_xlnm.Print_Area" in book and "图表!$A$1:$O$120" in book
    for xml in sheets.values():  # every sheet prints on A4 with page numbers
        assert 'paperSize="9"' in xml and "第 &amp;P 页 共 &amp;N 页" in xml


def test_numbers_duplicates_and_gaps(office: Path) -> None:
    """发文字号 as the register holds them: W001 1号, W002 2号, W003 3号, W005 4号 given by
    procdoc; then by hand W003 -> 1号 (a duplicate of W001's) and W004 -> 6号, and a new
    case W006 typed with square brackets. Register 发文: 编号 A, ..., 事由 N, 承办部门 O,
    发文字号 P; rows 2-7 hold W001-W006 in the order they were opened."""
    from procdoc.reports.numbers import check_numbers

    ws = Workspace(office)
    cases.set_fields(ws, "W003", sets=["doc_no=测办发〔2026〕1号"], at=datetime(2026, 3, 25))
    cases.set_fields(
        Workspace(office), "W004", sets=["doc_no=测办发〔2026〕6号"], at=datetime(2026, 3, 25)
    )
    cases.new(
        Workspace(office), "wen", title="手填文号", at=datetime(2026, 4, 1, 9),
        sets=["subject=例", "doc_no=测办发[2026]7号"],
    )  # fmt: skip
    ws = Workspace(office)
    report = check_numbers(ws.casebook(), ws.config.numbering)
    [year] = report.years
    # numbers 1, 2, 1, 6, 4 in five cells: 1号 twice; 3号 and 5号 never given.
    assert (year.sequence, year.year, year.numbered, year.distinct) == ("fawen", 2026, 5, 4)
    assert year.duplicate_rate == 0.2  # (5 - 4) / 5
    [dup] = year.duplicates
    assert dup.number == "测办发〔2026〕1号"
    assert [(c.cell, c.case) for c in dup.cells] == [("发文!P2", "W001"), ("发文!P4", "W003")]
    assert [(g.number, g.after.cell if g.after else None, g.before.cell if g.before else None) for g in year.missing] == [
        ("测办发〔2026〕3号", "发文!P3", "发文!P6"),  # after 2号 (W002), before 4号 (W005)
        ("测办发〔2026〕5号", "发文!P6", "发文!P5"),  # after 4号 (W005), before 6号 (W004)
    ]  # fmt: skip
    [bad] = report.malformed
    assert (bad.cell.cell, bad.cell.value, bad.cell.case) == ("发文!P7", "测办发[2026]7号", "W006")
    lines = report.messages()
    assert any("发文!P2 (W001), 发文!P4 (W003)" in line for line in lines)
    # the stats show the rate for the period's year
    data = stats(office)
    [shown] = data["numbers"]["years"]  # type: ignore[index]
    assert (shown["duplicate_rate"], [d["cells"] for d in shown["duplicates"]]) == (
        0.2,
        [["发文!P2", "发文!P4"]],
    )
    assert [m["seq"] for m in shown["missing"]] == [3, 5]
    # the 文号 sheet holds 重号率 as a rate (shown 20.0%), as the other sheets' rates: QA
    # found it as the text '20.0%', which a formula cannot use
    sheet = CalamineWorkbook.from_path(str(data["xlsx"])).get_sheet_by_name("文号").to_python()
    head = next(i for i, r in enumerate(sheet) if r and r[0] == "编号序列")
    assert sheet[head + 1][4] == pytest.approx(0.2)
    assert sheet[head + 1][0] == "测办发〔2026〕N号"  # the form an office knows, not "fawen"


def test_no_numbers_no_duplicates(built: Path) -> None:
    [year] = stats(built)["numbers"]["years"]  # type: ignore[index]
    # 1号-4号, one each (W005's 4号 was given in February, same year)
    assert (year["numbered"], year["duplicate_rate"], year["missing"]) == (4, 0.0, [])


def test_a_chart_with_nothing_to_show_is_left_out(office: Path, tmp_path: Path) -> None:
    """QA: with no case closed yet, the 办结率 and 办结用时 charts printed whole pages of
    bare axes. A period whose one case is still open charts its counts only."""
    from procdoc.reports.stats import has_values

    assert not has_values([["甲", 0, None], ["乙", 0.0, None]], [1, 2])
    assert has_values([["甲", 0, 3]], [1, 2]) and not has_values([["甲", "3"]], [1])
    proc = next(iter(Workspace(office).processes))
    cases.new(Workspace(office), proc, title="四月的事", at=datetime(2026, 4, 2, 9, 0))
    code, out, err = cli(
        office, "report", "stats", "--from", "2026-04-01", "--to", "2026-04-30",
        "--format", "json", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert (data["total"]["opened"], data["total"]["closed"]) == (1, 0)
    with zipfile.ZipFile(str(data["xlsx"])) as z:
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) == 1 and "件数" in z.read(charts[0]).decode()
    table = CalamineWorkbook.from_path(str(data["xlsx"])).get_sheet_by_name("统计").to_python()
    total = next(r for r in table if r and r[0] == "合计")
    # no rate, no time: a blank cell, which a chart leaves out (text would be drawn as 0)
    assert total[6:9] == ["", "", ""]


def test_empty_period(built: Path, tmp_path: Path) -> None:
    code, out, err = cli(
        built, "report", "stats", "--from", "2026-05-01", "--to", "2026-05-31",
        "--format", "json", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    assert "no cases opened from 2026-05-01 to 2026-05-31" in err
    data = json.loads(out)
    assert data["groups"] == [] and data["steps"] == []
    assert data["total"]["opened"] == 0 and data["total"]["closed_rate"] is None
    wb = CalamineWorkbook.from_path(str(tmp_path / "stats-2026-05-01_2026-05-31-process.xlsx"))
    assert "本期无新增案件" in str(wb.get_sheet_by_name("统计").to_python())
    code, out, _ = cli(
        built, "report", "stats", "--from", "2026-05-01", "--to", "2026-05-31",
        "--format", "csv", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0 and out.splitlines() == ["\ufeff" + ",".join(["流程", *GROUP_HEADER])]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from", "2026-03-31", "--to", "2026-03-01"),
            "--from 2026-03-31 is after --to 2026-03-01",
        ),
        (("--by", "weekday"), "weekday"),
        (("--from", "2026-02-30"), "--from"),
    ],
    ids=["from-after-to", "unknown-by", "bad-date"],
)
def test_bad_usage(built: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = cli(built, "report", "stats", *args)
    assert code == 2
    assert message in err and out == ""


def test_unreadable_dates(office: Path) -> None:
    """Hand-typed non-dates: W001's 办结时间 (发文!J2) and J001's 登记时间 (纪要!I2); and
    J002's 办结时间 (纪要!J3) typed before its 登记时间. Their times to close are unknown:
    never a crash, never negative; the warnings name the cells. J001 still counts in March
    (its history says when it was opened)."""
    wb = openpyxl.load_workbook(office / "ledger.xlsx")
    assert wb["发文"]["J1"].value == "办结时间" and wb["纪要"]["I1"].value == "登记时间"
    wb["发文"]["J2"] = "3月9日"
    wb["纪要"]["I2"] = "3月3日上午"
    wb["纪要"]["J3"] = datetime(2026, 3, 1, 8, 0)
    wb.save(office / "ledger.xlsx")
    code, out, err = cli(
        office, "report", "stats", *MARCH, "--format", "json", "--out", str(office / "rep")
    )
    assert code == 0, err
    data = json.loads(out)
    got = groups(data)
    # 发文: only W002's 14 wd is known; 纪要: neither.
    assert (got["wen"]["mean_workdays"], got["wen"]["median_workdays"]) == (14.0, 14.0)
    assert (got["jiyao"]["opened"], got["jiyao"]["mean_workdays"]) == (2, None)
    assert data["total"]["mean_workdays"] == 14.0 and data["total"]["closed"] == 4
    assert got["wen"]["on_time_rate"] == 0.5  # timeliness comes from 流转记录, still known
    for cell in ("发文!J2", "纪要!I2", "纪要!J3"):
        assert cell in err
        assert any(cell in line for line in data["unknown"])
    assert "Warning:" in err


def test_a_period_builds_only_the_rows_it_may_count(office: Path) -> None:
    """Statistics, the monthly report and 抽查 build only the rows whose 登记时间 (抽查: 办结时间)
    may fall in the period: a date in it, or a cell empty or unreadable (the case then
    decides from 流转记录). What they count is what counting every case gives."""
    wb = openpyxl.load_workbook(office / "ledger.xlsx")
    wb["发文"]["I2"] = "2026-03-02 09:00"  # W001 opened, typed as text
    wb["发文"]["I3"] = None  # W002 opened: empty (流转记录 says 3/2)
    wb["发文"]["I6"] = date(2026, 2, 2)  # W005 opened: a date without its time
    wb["纪要"]["I2"] = "3月3日上午"  # J001 opened: unreadable (流转记录 says 3/3)
    wb["纪要"]["J4"] = "2026-02-11 10:00"  # J003 closed, typed as text
    wb.save(office / "ledger.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = Workspace.find(explicit=office)
        book = ws.casebook(history=True)
        people = ws.config.people
        every = [case_facts(book, ws.engine(), c, people=people) for c in book.cases()]
    feb, mar = (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 31))

    def counted(facts: list[CaseFacts], key: str, periods: list[tuple[date, date]]) -> dict:
        """What stats (opened) or 抽查 (closed) take from the facts: the cases in a period."""
        out = {}
        for f in facts:
            moment = f.opened if key == "opened" else closed_at(f) if f.status == "closed" else None
            if moment is not None and any(a <= moment.date() <= b for a, b in periods):
                out[f.case.id] = (moment, f.status, f.workdays, f.stays, f.returns, f.unknown)
        return out

    built = {}
    for key, periods in (
        ("opened", [feb]),
        ("opened", [mar]),
        ("opened", [mar, feb]),
        ("closed", [feb]),
        ("closed", [mar]),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _book, facts = reports.period_facts(Workspace.find(explicit=office), key, periods)
        assert counted(facts, key, periods) == counted(every, key, periods), (key, periods)
        built[key, tuple(periods)] = {f.case.id for f in facts}
    # February by 登记时间: W005 and J003, and the two whose cell leaves it to 流转记录
    assert built["opened", (feb,)] == {"W005", "J003", "W002", "J001"}
    # February by 办结时间: W005 and J003, and W003 (open, its cell empty)
    assert built["closed", (feb,)] == {"W005", "J003", "W003"}
    code, out, err = cli(
        office, "sample", "--from", "2026-02-01", "--to", "2026-02-28", "--percent", "100",
        "--format", "json", "--out", str(office / "rep"),
    )  # fmt: skip
    assert code == 0, err
    assert [c["id"] for c in json.loads(out)["cases"]] == ["J003", "W005"]


def test_report_cells_keep_text_as_typed(tmp_path: Path) -> None:
    """A case's text that begins with "=" or looks like a link is written as that text
    (never a formula Excel would run, nor a link), numbers as numbers, empty text as a
    blank cell."""
    from procdoc.reports.sheets import ReportBook

    book = ReportBook(tmp_path / "r.xlsx")
    book.table("表", "标题", ["甲", "乙", "丙", "丁"], [["=1+1", "https://example.cn/a", 2.5, ""]])
    book.close()
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["表"]
    row = [sheet.cell(row=4, column=c) for c in (1, 2, 3, 4)]
    assert [(c.value, c.data_type) for c in row] == [
        ("=1+1", "s"),
        ("https://example.cn/a", "s"),
        (2.5, "n"),
        (None, "n"),  # empty text: a blank cell (COUNTA and ISBLANK see it empty)
    ]
    assert row[1].hyperlink is None


def test_a_tables_rows_written_as_text_read_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    """A table's rows written in one go as SpreadsheetML text (the fast path of large
    tables such as 明细) read back in Excel's terms, value, type, number format, bold and
    row height, as the same rows written cell by cell through xlsxwriter; the sheet's
    dimension and filter cover them."""
    from zoneinfo import ZoneInfo

    from procdoc.reports.sheets import ReportBook

    long = "关于进一步加强和改进新形势下机关公文处理与档案管理工作的实施意见（征求意见稿）"
    rows = [
        ["甲-1", "=1+1", 2, 0.25, date(2026, 12, 4), datetime(2026, 12, 4, 9, 30), None, ""],
        ["a<b & c", "  前后空格 ", 3.5, None, "—", datetime(2026, 1, 2, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), True, False],
        ["换行\n第二行", long, -1, 1.0, "未知", "控制\x07字符", 1.5, 7],
        ["合计", "", 10, 0.5, None, None, 2.25, "x"],
    ]  # fmt: skip
    kinds = ["", "", "", "pct", "", "", "num", ""]
    widths = [10, 12, 8, 8, 12, 16, 8, 8]
    header = ["编号", "标题", "件数", "比率", "日期", "时间", "用时", "备注"]
    for editable in (True, False):
        book = ReportBook(tmp_path / f"r{editable}.xlsx")
        book.table(
            "表", "标题", header, rows, widths=widths, kinds=kinds, notes=["注一", "注二"],
            bold_last=True, editable=editable,
        )  # fmt: skip
        book.table(  # a form to fill in by hand: rows of one height, a date column blank
            "表2", "标题", header, rows, widths=widths, kinds=kinds, editable=editable,
            height=40, blanks={6: book.wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})},
        )  # fmt: skip
        book.close()

    def seen(path: Path, name: str = "表") -> list[object]:
        sheet = openpyxl.load_workbook(path)[name]
        cells = [
            (c.coordinate, c.value, c.data_type, c.number_format, c.font.b, c.border.left.style,
             c.alignment.wrap_text, c.alignment.vertical, c.fill.fgColor.rgb)
            for row in sheet.iter_rows()
            for c in row
        ]  # fmt: skip
        heights = {r: d.height for r, d in sheet.row_dimensions.items() if d.height}
        return [sheet.dimensions, sheet.auto_filter.ref, sheet.freeze_panes, heights, cells]

    by_cell, as_text = seen(tmp_path / "rTrue.xlsx"), seen(tmp_path / "rFalse.xlsx")
    assert as_text == by_cell
    form = seen(tmp_path / "rFalse.xlsx", "表2")
    assert form == seen(tmp_path / "rTrue.xlsx", "表2")
    # every data row 40 points, in whole pixels as xlsxwriter keeps it (the header, row 3,
    # as tall as its text)
    assert [form[3][r] for r in range(4, 4 + len(rows))] == [39.75] * len(rows)
    blank = {c[0]: c[1:4] for c in form[4]}
    assert blank["G4"] == (None, "n", "yyyy-mm-dd") and blank["D5"] == (None, "n", "General")
    assert as_text[0] == "A1:H9" and as_text[1] == "A5:H9"
    values = {c[0]: c[1:3] for c in as_text[4]}
    assert values["A6"] == ("甲-1", "s") and values["B6"] == ("=1+1", "s")
    assert values["F7"] == (datetime(2026, 1, 2, 8, 0), "d")  # Beijing wall time, no zone
    assert values["G7"] == (1, "n") and values["H7"] == (False, "b")  # a number when 用时
    assert values["A9"][0] == "合计" and as_text[3][8] > 15  # two lines: 换行

    # text that looks like Excel's escape is written escaped (xlsxwriter leaves it as it
    # is, and Excel then shows "A"); calamine reads what was given
    book = ReportBook(tmp_path / "x.xlsx")
    book.table("表", "标题", ["甲", "乙"], [["a<b & c", "_x0041_"]])
    book.close()
    calamine = CalamineWorkbook.from_path(str(tmp_path / "x.xlsx"))
    assert calamine.get_sheet_by_name("表").to_python()[3] == ["a<b & c", "_x0041_"]
    # a date before 1900-03-01 (a typo in a case's cell) has no serial Excel reads right
    # (its 1900 leap year; negative before 1900): written as its text (QA)
    book = ReportBook(tmp_path / "y.xlsx")
    book.table(
        "表",
        "标题",
        ["甲", "乙", "丙"],
        [[date(1899, 12, 1), datetime(1900, 1, 1, 10), date(1900, 3, 1)]],
    )
    book.close()
    row = [c.value for c in openpyxl.load_workbook(tmp_path / "y.xlsx")["表"][4]]
    assert row == ["1899-12-01", "1900-01-01 10:00", datetime(1900, 3, 1)]


#: An OA export of 发文 that maps no 完成时间: a row 已完成 comes in at 归档 (final), its
#: 办结时间 the moment it was entered and 流转记录 one 导入 row with no step before.
OA_SOURCE = """\
sources:
  oa:
    process: wen
    key: 编号
    columns: {标题: title, 发起时间: opened, 事由: subject}
    status_column: 状态
    status_steps: {已完成: done}
"""


def import_closed(root: Path, tmp_path: Path) -> None:
    """Two 发文 closed in the OA in March (and one in February, for the monthly report's
    month before), imported on 4/1: none has a step in 流转记录."""
    config = root / "procdoc.yaml"
    config.write_text(config.read_text(encoding="utf-8") + OA_SOURCE, encoding="utf-8")
    export = tmp_path / "oa.csv"
    export.write_text(
        "编号,标题,发起时间,事由,状态\n"
        "OA-1,关于印发值班表的通知,2026-03-10 09:00,值班,已完成\n"
        "OA-2,关于报送信息的通知,2026-03-11 09:00,信息,已完成\n"
        "OA-3,关于春节安排的通知,2026-02-09 09:00,春节,已完成\n",
        encoding="utf-8-sig",
    )
    code, _out, err = cli(root, "import", str(export), "--at", "2026-04-01 09:00")
    assert code == 0, err


def test_closed_cases_with_no_step_in_history_are_left_out_of_the_times(
    office: Path, tmp_path: Path
) -> None:
    """A case that came in closed has no 用时 and no 按时 to count: it is neither on time
    nor a 0-day case. It counts as opened and closed; 用时 and 按时办结率 are March's
    cases with steps (test_by_process: on time 2 of 4, [2, 2, 5, 14] wd), and the
    reports say how many were left out and which."""
    import_closed(office, tmp_path)
    code, out, err = cli(
        office, "report", "stats", *MARCH, "--format", "json", "--out", str(office / "rep")
    )
    assert code == 0, err
    data = json.loads(out)
    ids = data["untimed"]
    assert len(ids) == 2 and all(i.startswith("W") for i in ids)
    wen, total = groups(data)["wen"], data["total"]
    assert (wen["opened"], wen["closed"]) == (5, 4)  # W001, W002 and the two imported
    assert (wen["on_time_rate"], wen["mean_workdays"], wen["median_workdays"]) == (0.5, 9.5, 9.5)
    assert (total["closed"], total["on_time_rate"]) == (6, 0.5)
    assert (total["mean_workdays"], total["median_workdays"]) == (5.75, 3.5)
    assert "2 closed cases left out of 用时 and 按时办结率" in err and ids[0] in err
    # the workbook says so under the 统计 title, and 明细 marks each case
    book = CalamineWorkbook.from_path(
        str(office / "rep" / "stats-2026-03-01_2026-03-31-process.xlsx")
    )
    notes = [r[0] for r in book.get_sheet_by_name("统计").to_python()[1:4]]
    assert any(str(n).startswith("未计入用时和按时办结率：2 件已办结案件") for n in notes), notes
    detail = {r[0]: r for r in book.get_sheet_by_name("明细").to_python()[3:]}
    for case_id in ids:
        row = detail[case_id]
        assert (row[8], row[9]) == ("", "")  # 办结用时, 按时办结: blank, not 0 and 是
        assert "未计入用时和按时办结率" in row[13]
    # 抽查 sees no verdict either: the case was never judged on time
    march = [(date(2026, 3, 1), date(2026, 3, 31))]
    _book, facts = reports.period_facts(Workspace(office), "opened", march)
    on_time = {f.case.id: f.on_time for f in facts}
    assert [on_time[i] for i in ids] == [None, None] and on_time["W001"] is True


def test_monthly_report_leaves_out_cases_with_no_step_in_history(
    office: Path, tmp_path: Path
) -> None:
    """The monthly report (March beside February) counts the imported cases as opened and
    closed, keeps them out of 按时办结率 and 用时, and says how many in 需关注的问题."""
    import docx

    import_closed(office, tmp_path)
    out_dir = tmp_path / "rep"
    code, out, err = cli(
        office, "report", "monthly", "--month", "2026-03", "--format", "json", "--out", str(out_dir)
    )
    assert code == 0, err
    data = json.loads(out)
    now, before = data["current"]["total"], data["previous"]["total"]
    assert (now["closed"], now["on_time_rate"], now["mean_workdays"]) == (6, 0.5, 5.75)
    # February: W005 (3 wd) and J003 (1 wd), both on time, beside the imported one
    assert (before["closed"], before["on_time_rate"], before["mean_workdays"]) == (3, 1.0, 2.0)
    assert "2026-03: 2 closed cases left out" in err and "2026-02: 1 closed case left out" in err
    lines = [p.text for p in docx.Document(str(out_dir / "monthly-2026-03.docx")).paragraphs]
    assert any(
        "本月 2 件、上月 1 件已办结案件的流转记录没有办结前的环节" in line for line in lines
    ), lines


def test_a_case_closed_at_a_final_step_counts_for_who_handled_it(mini: Path) -> None:
    """The move into 归档 hands a case to the one who files it; `report stats --by
    assignee`/`dept` and `sample` count it for the 承办人 who had it before (QA: every
    closed case was credited to the archivist)."""
    from conftest import advance1

    ws = Workspace(mini)
    cid = cases.new(ws, "mini", title="测试", sets=["applicant=张三", "ok=否"],
                    assign="王敏", at=datetime(2026, 10, 5, 9)).id  # fmt: skip
    advance1(Workspace(mini), cid, step="review", assign="赵磊", at=datetime(2026, 10, 6, 9))
    advance1(Workspace(mini), cid, step="archive", assign="刘洋", at=datetime(2026, 10, 8, 9))
    assert cases.show(Workspace(mini), cid).assignee == "刘洋"
    # handed over and closed in one minute (QA): the one it was handed to closed it
    other = cases.new(Workspace(mini), "mini", title="另一件", sets=["applicant=李四", "ok=否"],
                      assign="王敏", at=datetime(2026, 10, 5, 9)).id  # fmt: skip
    advance1(Workspace(mini), other, step="review", assign="赵磊", at=datetime(2026, 10, 6, 9))
    cases.assign(Workspace(mini), other, "钱七", at=datetime(2026, 10, 8, 9))
    advance1(Workspace(mini), other, step="archive", at=datetime(2026, 10, 8, 9))
    result = runner.invoke(
        app,
        ["report", "stats", "--from", "2026-10-01", "--to", "2026-10-31", "--by", "assignee",
         "--format", "json", "--out", str(mini / "out"), "-w", str(mini)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    groups = {g["group"]: g for g in json.loads(result.stdout)["groups"]}
    assert groups["赵磊"]["closed"] == 1 and "刘洋" not in groups
    assert groups["钱七"]["closed"] == 1
    result = runner.invoke(
        app,
        ["sample", "--percent", "100", "--from", "2026-10-01", "--to", "2026-10-31",
         "--format", "json", "--out", str(mini / "out"), "-w", str(mini)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sorted(c["assignee"] for c in json.loads(result.stdout)["cases"]) == ["赵磊", "钱七"]
