"""`check` and `report daily` build only the cases they report (issue 13, round 5).

`check` builds the rows in which :meth:`Casebook.suspect_rows` finds a problem, told from
the columns, and the open ones (a required field may be empty); the daily report builds
the open ones, those opened or closed today and the suspect ones. Whatever the cells
hold, what they report must be what building every case reports: each test compares the
two, the second with every row filter made to keep every row.
"""

from __future__ import annotations

import itertools
import json
import shutil
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import procdoc.casebook
from conftest import MINI_CONFIG, MINI_PROCESS, REPO, write
from procdoc.casebook import _READ_AS_IS, _READS
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.reports import cases_as_of
from procdoc.commands.setup import init_workspace
from procdoc.reports.daily import build_daily
from procdoc.workspace import Workspace

runner = CliRunner()
AT = datetime(2026, 10, 9, 9, 0)
NOW = datetime(2026, 10, 12, 16, 0)
COPIES = itertools.count()

#: what an office types into a cell, good and bad, of each type calamine reads back
VALUES = st.sampled_from(
    [
        None, "", "  ", "张三", "审查", "登记", "审核中", "办理中", "已办结", "已撤销", "搁置",
        "是", "否", "也许", "2026-10-09", "2026-10-12 10:30", "9月10日", "10/12", "三天后",
        "测试流程", "收文", "无此流程", "MN2026-001",
        1, 0, 2, 1.0, 1.5, 45000, 45000.25, -3, True, False,
        date(2026, 10, 12), datetime(2026, 10, 12, 8, 30), datetime(2026, 10, 9, 9, 0),
    ]
)  # fmt: skip


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def keep_every_row(mp: pytest.MonkeyPatch) -> None:
    """Make the filters of check and the daily report keep every row: every case built."""
    mp.setattr(procdoc.casebook, "any_of", lambda *filters: lambda sheet, core: None)


def edited(root: Path, ledger: str, sheet: str, edits: list[tuple[int, int, Any]]) -> Path:
    """A copy of the workspace ``root`` with ``edits`` (data row, column, value) typed in."""
    copy = Path(shutil.copytree(root, root.parent / f"copy-{next(COPIES)}"))
    wb = openpyxl.load_workbook(copy / ledger)
    ws = wb[sheet]
    for row, col, value in edits:
        ws.cell(row=row + 2, column=col + 1).value = value
    wb.save(copy / ledger)
    return copy


def check_json(root: Path) -> dict[str, Any]:
    code, out, err = cli(root, "check", "--format", "json")
    assert code in (0, 3), err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def daily(root: Path) -> dict[str, Any]:
    """What the daily report at NOW says, by case id."""
    ws = Workspace(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cases_as_of(ws, NOW)
    rep = build_daily(
        got,
        as_of=NOW,
        within=ws.config.reminders.due_soon,
        cal=ws.calendar,
        reminders=ws.config.reminders,
    )
    return {
        "unreadable": rep.unreadable,
        "opened": [c.id for c in rep.opened],
        "closed": [c.id for c in rep.closed],
        "flags": [f.as_dict() for f in rep.flags],
        "open_by_process": rep.open_by_process,
        "open_by_step": rep.open_by_step,
        "waits": rep.waits,
    }


def both_ways(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(check, daily) as procdoc makes them, asserting they equal those over every case."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Workspace, "now", lambda self: NOW)
        narrow = check_json(root), daily(root)
        keep_every_row(mp)
        every = check_json(root), daily(root)
    assert narrow == every
    return narrow


@pytest.fixture(scope="module")
def mini_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve cases of the mini process: three at 审查, two cancelled, one opened today."""
    root = tmp_path_factory.mktemp("suspects") / "办公室"
    write(root / "procdoc.yaml", MINI_CONFIG)
    write(root / "processes" / "mini.yaml", MINI_PROCESS)
    (root / "templates").mkdir()
    ws = Workspace(root)
    ids = [
        cases.new(ws, "mini", title=f"件{i}", sets=["applicant=张三", "amount=12.5"], at=AT).id
        for i in range(11)
    ]
    ids.append(cases.new(ws, "mini", title="今天的件", sets=["applicant=李四"], at=NOW).id)
    cases.advance(ws, ids[:3], step="review", at=AT)
    for cid in ids[3:5]:
        cases.cancel(ws, cid, reason="重复登记", at=datetime(2026, 10, 12, 9, 0))
    return root


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 18), VALUES), max_size=8))
# 1, 1.0 and True are equal, but a 金额 (number) reads 1 and 1.0, not True
@example(edits=[(0, 14, 1), (1, 14, True), (2, 14, 1.0), (3, 15, 1), (4, 15, True)])
def test_check_and_the_daily_report_find_what_building_every_case_finds(
    mini_cases: Path, edits: list[tuple[int, int, Any]]
) -> None:
    root = edited(mini_cases, "ledger.xlsx", "测试流程", edits)
    found, _daily = both_ways(root)
    ws = Workspace(root)
    book = ws.casebook()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = list(book.cases())
    assert found["cases"] == len(every) == book.readable_count()
    # each row whose case has a problem is a suspect (the rows are in sheet order)
    ((_reg, sheet, cols),) = book._registers
    suspects = book.suspect_rows(sheet, cols.core)
    assert suspects is not None
    numbers = [sheet.row_at(i).number for i in sorted(suspects)]
    assert {c.row for c in every if c.problems} <= set(numbers)
    shutil.rmtree(root)


def test_the_rows_without_problems_are_not_built(mini_cases: Path) -> None:
    """Of twelve cases, check builds the suspect (a bad 金额, an unknown step) and the
    open ones, not the two cancelled ones whose cells read well."""
    root = edited(mini_cases, "ledger.xlsx", "测试流程", [(6, 14, "十二元"), (7, 2, "审核中")])
    header = [c.value for c in openpyxl.load_workbook(root / "ledger.xlsx")["测试流程"][1]]
    assert (header[14], header[2]) == ("金额", "当前环节")
    ws = Workspace(root)
    book = ws.casebook()
    ((_reg, sheet, cols),) = book._registers
    assert book.suspect_rows(sheet, cols.core) == {6, 7}
    found, _daily = both_ways(root)
    assert found["cases"] == 12 and not found["ok"]
    built = []
    original = procdoc.casebook._build
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            procdoc.casebook,
            "_build",
            lambda cid, *rest: built.append(cid) or original(cid, *rest),
        )
        check_json(root)
    assert len(built) == 10 and not {"MN2026-004", "MN2026-005"} & set(built)


@pytest.mark.parametrize("key", sorted(_READS))
def test_dates_and_empty_cells_are_read_as_they_are(key: str) -> None:
    """suspect_rows does not ask the readers of _READS about these types: none raises."""
    samples = {type(None): None, date: date(2026, 2, 29 - 1), datetime: datetime(1900, 1, 1)}
    assert set(samples) == _READ_AS_IS
    for value in samples.values():
        _READS[key](value)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-sheet 台账 of procdoc 0.1, its processes told apart by the 流程 column."""
    root = init_workspace(tmp_path_factory.mktemp("shared") / "office")
    legacy = REPO / "tests" / "data" / "legacy-0.1"
    for name in ("台账.xlsx", "procdoc.yaml"):
        shutil.copy(legacy / name, root / name)
    shutil.copytree(legacy / "calendar", root / "calendar", dirs_exist_ok=True)
    return root


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 16), VALUES), max_size=6))
def test_a_shared_register_is_checked_process_by_process(
    shared: Path, edits: list[tuple[int, int, Any]]
) -> None:
    """In a 台账 shared by processes, a row's 流程 says which steps and fields its cells
    are read against; a row naming no known process is reported as before."""
    root = edited(shared, "台账.xlsx", "台账", edits)
    found, _daily = both_ways(root)
    assert found["cases"] == Workspace(root).casebook().readable_count()
    shutil.rmtree(root)


def test_a_pairing_is_found_whatever_else_the_subject_column_holds(mini_cases: Path) -> None:
    """check finds the pairings of `match:` sources from the 动作 and 项目 columns of
    流转记录: 1 and True are equal in Python but not the same 项目 (here the ref column is
    labelled "1", so a 项目 of 1 names it and True does not). Found by review: telling the
    values apart by value alone lost the pairing in the row holding 1."""
    root = Path(shutil.copytree(mini_cases, mini_cases.parent / f"copy-{next(COPIES)}"))
    config = root / "procdoc.yaml"
    config.write_text(config.read_text(encoding="utf-8") + 'labels:\n  ref: "1"\n', "utf-8")
    wb = openpyxl.load_workbook(root / "ledger.xlsx")
    history = wb["流转记录"]
    assert [c.value for c in history[1]][:3] == ["编号", "时间", "动作"]
    at = datetime(2026, 10, 1, 9, 0)
    for cid, subject, key in (("MN2026-001", True, "K-TRUE"), ("MN2026-002", 1, "K-ONE")):
        history.append([cid, at, "导入更新", None, None, None, "来自 x.xlsx", subject, None, key])
    wb.save(root / "ledger.xlsx")
    found, _daily = both_ways(root)
    assert [(m["case"], m["key"]) for m in found["matches"]] == [("MN2026-002", "K-ONE")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(
                [
                    "",
                    " ",
                    "A-1",
                    " A-1",
                    "A-1 ",
                    "\u3000A-1",
                    "A-1\n",
                    "甲",
                    "合计",
                    " 合 计",
                    "审核人",
                    "共12件",
                    "合计划",
                ]
            ),
            st.text(max_size=4),
            st.integers(-3, 3),
            st.floats(allow_nan=False),
            st.booleans(),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_every_id_of_a_column_reads_as_one_id_at_a_time(
    values: list[object], as_tuple: bool
) -> None:
    """Each cell read as :func:`_id_of` reads it alone, but a footer's word (合计 typed
    under the last case, 审核人 ...) is no id (hypothesis found 审核人 read both ways)."""
    column = tuple(values) if as_tuple else values
    one_by_one = [procdoc.casebook._id_of(v) for v in values]
    expected = [None if i and procdoc.casebook._footer_id(i) else i for i in one_by_one]
    assert list(procdoc.casebook._ids_of(column)) == expected
