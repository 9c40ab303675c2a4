"""`procdoc sample` (SPEC §10 抽查) on ledger2026.py's ledger.

Closed in March 2026 (by hand): W001 (3/9), W002 (3/20), J001 (3/5), J002 (3/6): 4 cases.
10% of 4 rounded up is 1; 50% is 2; 100% is all 4. W005 and J003 closed in February.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from ledger2026 import build
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.reports.sample import derived_seed
from procdoc.workspace import Workspace

runner = CliRunner()
MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build(tmp_path_factory.mktemp("sample") / "办公室")
    # W001's required 事由 emptied by hand after it closed
    cases.set_fields(Workspace(root), "W001", sets=["subject="], at=datetime(2026, 3, 25))
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sample", *args, "--out", str(root / "rep"), "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def drawn(root: Path, *args: str) -> dict[str, object]:
    code, out, err = run(root, *MARCH, "--format", "json", *args)
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def ids(data: dict[str, object]) -> list[str]:
    return [c["id"] for c in data["cases"]]  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("percent", "count"), [("10", 1), ("25", 1), ("26", 2), ("50", 2), ("100", 4)]
)
def test_share_rounded_up(built: Path, percent: str, count: int) -> None:
    data = drawn(built, "--percent", percent)
    assert (data["population"], data["drawn"], len(ids(data))) == (4, count, count)
    assert set(ids(data)) <= {"W001", "W002", "J001", "J002"}


def test_repeatable(built: Path) -> None:
    first, again = drawn(built, "--percent", "50"), drawn(built, "--percent", "50")
    assert ids(first) == ids(again)  # the seed derived from the period
    assert first["seed_derived"] is True
    assert first["seed"] == derived_seed(date(2026, 3, 1), date(2026, 3, 31), None)
    code, _out, err = run(built, *MARCH, "--percent", "50")
    assert code == 0 and "由期间得出" in err and "再次运行抽取相同案件" in err
    seeded = [ids(drawn(built, "--percent", "50", "--seed", "7")) for _ in range(2)]
    assert seeded[0] == seeded[1]
    assert drawn(built, "--seed", "7")["seed_derived"] is False
    # some seed draws other cases than the derived one (a different seed, a different draw)
    assert any(
        ids(drawn(built, "--percent", "25", "--seed", str(s)))
        != ids(drawn(built, "--percent", "25"))
        for s in range(1, 6)
    )


def test_each_case_steps_and_missing_fields(built: Path) -> None:
    data = drawn(built, "--percent", "100")
    got = {c["id"]: c for c in data["cases"]}  # type: ignore[union-attr]
    assert list(got) == ["J001", "J002", "W001", "W002"]
    w2 = got["W002"]
    # 起草 due 3/4 left 3/5: late by 1 working day; 印发 returned 3/6 (due 3/12); 起草 again
    # due 3/10 left 3/9; 印发 again due 3/16, extended to 3/23, left 3/20.
    assert [(s["step"], s["on_time"], s["late"], s["how"], s["extended"]) for s in w2["steps"]] == [
        ("draft", False, "超时 1 个工作日", "advance", False),
        ("print", True, None, "return", False),
        ("draft", True, None, "advance", False),
        ("print", True, None, "advance", True),
    ]
    assert [s["due"] for s in w2["steps"]] == [
        "2026-03-04",
        "2026-03-12",
        "2026-03-10",
        "2026-03-23",
    ]
    assert got["J002"]["steps"][0]["late"] == "超时 1 小时"  # due 3/6 14:00, left 15:00
    assert got["W001"]["missing_fields"] == ["事由"]
    assert got["W002"]["missing_fields"] == []
    code, out, _err = run(built, *MARCH, "--percent", "100", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "\ufeff序号,编号,流程,标题,承办人,办结时间,各环节时限,必填项缺失"
    rows = {line.split(",")[1]: line.split(",") for line in lines[1:]}
    assert (
        rows["W002"][6] == "起草 超时 1 个工作日；印发 按时，退回；起草 按时；印发 按时（含延期）"
    )
    assert rows["W001"][6:] == ["起草 按时；印发 按时", "事由"]
    assert rows["J002"][5] == "2026-03-06 15:00"


def test_process_filter(built: Path) -> None:
    data = drawn(built, "--percent", "100", "--process", "发文")
    assert (data["process"], data["population"], ids(data)) == ("wen", 2, ["W001", "W002"])
    code, _out, err = run(built, *MARCH, "--process", "nosuch")
    assert code == 1 and "unknown process 'nosuch'" in err


def test_workbook_for_the_auditor(built: Path) -> None:
    data = drawn(built, "--percent", "100")
    path = Path(str(data["xlsx"]))
    assert path.name == "sample-2026-03-01_2026-03-31.xlsx"
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["抽查", "环节明细"]
    rows = wb.get_sheet_by_name("抽查").to_python()
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    assert rows[head][-3:] == ["检查意见", "检查人", "检查日期"]
    assert [r[1] for r in rows[head + 1 : head + 5]] == ["J001", "J002", "W001", "W002"]
    assert "随机种子" in str(rows[1][0]) and "--seed" not in str(rows[1][0])  # printed: QA
    detail = wb.get_sheet_by_name("环节明细").to_python()
    assert sum(1 for r in detail if r and r[0] == "W002") == 4
    head = detail.index(["编号", "环节", "进入时间", "离开时间", "期限", "结果", "离开方式"])
    dues = [r[4] for r in detail[head + 1 :] if r and r[0]]
    # a deadline is a date (or a moment for hours), as 进入时间 and 离开时间 beside it: never
    # ISO text such as 2026-03-27T18:00
    assert dues and all(isinstance(d, date) or d == "" for d in dues), dues
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        book = z.read("xl/workbook.xml").decode()
    assert 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet
    assert 'fitToPage="1"' in sheet and "_xlnm.Print_Titles" in book and "_xlnm.Print_Area" in book


def test_nothing_closed_and_bad_input(built: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(built, tmp_path / "ws"))
    code, out, err = run(root, "--from", "2026-05-01", "--to", "2026-05-31", "--format", "json")
    assert code == 0 and "no cases closed from 2026-05-01 to 2026-05-31" in err
    assert json.loads(out)["cases"] == []
    wb = CalamineWorkbook.from_path(str(root / "rep" / "sample-2026-05-01_2026-05-31.xlsx"))
    assert "本期无办结案件可供抽查" in str(wb.get_sheet_by_name("抽查").to_python())
    for args in (
        ("--percent", "0"),
        ("--percent", "150"),
        ("--from", "2026-04-01", "--to", "2026-03-01"),
    ):
        code, out, err = run(root, *args)
        assert code == 2 and out == "", args


def test_histories_are_read_for_the_drawn_cases_and_those_without_a_closing_time(
    built: Path,
) -> None:
    """The draw reads a case's history (its facts) only when it is drawn, or when its 办结时间
    cell is empty (then the history says when it closed), and draws what reading every
    case's facts first would draw."""
    from dataclasses import replace

    from procdoc.commands.reports import period_cases
    from procdoc.model import Case
    from procdoc.reports.facts import CaseFacts
    from procdoc.reports.sample import closed_at, draw

    ws = Workspace(built)
    _book, found, facts_of = period_cases(ws, "closed", [(date(2026, 3, 1), date(2026, 3, 31))])
    # W002's 办结时间 as if left empty by hand: only its history says it closed on 3/20
    found = [replace(c, closed=None) if c.id == "W002" else c for c in found]
    asked: list[str] = []

    def counted(case: Case) -> CaseFacts:
        asked.append(case.id)
        return facts_of(case)

    first, last = date(2026, 3, 1), date(2026, 3, 31)
    rep = draw(found, counted, start=first, end=last, percent=25, seed=7)
    assert [c.id for c in rep.population] == ["J001", "J002", "W001", "W002"]
    assert sorted(set(asked)) == sorted({"W002", *(f.case.id for f in rep.drawn)})
    assert len(rep.drawn) == 1
    every = [facts_of(c) for c in found]  # the eager way: every case's facts first
    closed_in_march = sorted(
        f.case.id
        for f in every
        if f.status == "closed"
        and (moment := closed_at(f)) is not None
        and first <= moment.date() <= last
    )
    assert [c.id for c in rep.population] == closed_in_march
