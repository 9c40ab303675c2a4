"""`report monthly` (SPEC §10): March 2026 beside February on ledger2026.py's ledger.

February by hand: W005 (3 wd, on time) and J003 (1 wd, on time): 2 opened, 2 closed,
on time 2/2, to close [3, 1] -> mean 2, median 2, no return, no extension.
March: see test_stats.py (5 opened, 4 closed, 1 open, 1 cancelled, on time 2/4, to close
[2, 2, 5, 14] -> mean 5.75, median 3.5, 1 return, 1 extension).
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from ledger2026 import build
from procdoc.cli import app
from procdoc.reports.monthly import parse_month

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("monthly") / "办公室")


def monthly(root: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["report", "monthly", *args, "--out", str(out), "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_month_beside_the_month_before(built: Path, tmp_path: Path) -> None:
    code, out, err = monthly(built, tmp_path, "--month", "2026-03", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["month"], data["previous_month"]) == ("2026-03", "2026-02")
    before = data["previous"]["total"]
    assert (before["opened"], before["closed"], before["on_time_rate"]) == (2, 2, 1.0)
    assert (before["mean_workdays"], before["median_workdays"]) == (2.0, 2.0)
    assert data["current"]["total"]["opened"] == 5
    # counts: (this - last) / last; rates and times: the difference; nothing against 0
    assert data["change"] == {
        "opened": 1.5, "closed": 1.0, "open": None, "cancelled": None,
        "closed_rate": -0.2, "on_time_rate": -0.5, "mean_workdays": 3.75,
        "median_workdays": 1.5, "returns": None, "return_rate": 0.2, "extensions": None,
    }  # fmt: skip
    assert data["docx"] == str(tmp_path / "monthly-2026-03.docx")


def test_word_report(built: Path, tmp_path: Path) -> None:
    code, _out, err = monthly(built, tmp_path, "--month", "2026-03")
    assert code == 0, err
    assert "monthly-2026-03.docx" in err and "monthly-2026-03.xlsx" in err
    doc = docx.Document(str(tmp_path / "monthly-2026-03.docx"))
    [section] = doc.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert "PAGE" in section.footer.paragraphs[0]._p.xml
    lines = [p.text for p in doc.paragraphs if p.text.strip()]
    assert lines[:3] == [
        "2026年3月流程运行情况月报",
        "统计测试办公室",
        "统计范围：2026年3月1日至2026年3月31日新增的案件",
    ]
    assert lines[4] == "一、总体情况"
    assert lines[5] == (
        "3月共新增案件 5 件（上月 2 件，环比增长 150.0%）；办结 4 件，办结率 80.0%（上月 100.0%，"
        "环比下降 20.0 个百分点）；按时办结率 50.0%（上月 100.0%，环比下降 50.0 个百分点）；"
        "平均办结用时 5.75 个工作日（上月 2 个工作日，环比增加 3.75 个工作日）。"
        "退回 1 次，延期 1 次，撤销 1 件。"
    )
    headings = [p.text for p in doc.paragraphs if p.runs and p.runs[0].font.name == "黑体"]
    assert headings == [
        "一、总体情况",
        "二、分流程情况",
        "三、环节时限执行情况",
        "四、文号管理",
        "五、需关注的问题",
    ]
    compare, processes, limits = doc.tables
    rows = [[c.text for c in r.cells] for r in compare.rows]
    assert rows[0] == ["指标", "本月", "上月", "环比"]
    assert rows[5] == ["办结率", "80.0%", "100.0%", "-20.0个百分点"]
    assert rows[7] == ["平均办结用时（工作日）", "5.75", "2", "+3.75个工作日"]
    assert [[c.text for c in r.cells] for r in processes.rows][1:] == [
        ["纪要", "2（1）", "100.0%（100.0%）", "50.0%（100.0%）", "2（1）"],
        ["发文", "3（1）", "66.7%（100.0%）", "50.0%（100.0%）", "9.5（3）"],
    ]
    assert [[c.text for c in r.cells] for r in limits.rows][1:] == [
        ["纪要·整理", "48小时", "50.0%", "100.0%", "0"],
        ["发文·起草", "2个工作日", "75.0%", "100.0%", "0"],
        ["发文·印发", "5个工作日", "75.0%", "100.0%", "1"],
    ]
    assert (
        "编号序列 测办发〔2026〕N号：2026 年共编号 4 件，重号率 0.0%（标准为 0），重号 0 个，缺号：无。"
        in lines
    )
    attention = lines[lines.index("五、需关注的问题") + 1 :]
    assert attention == [
        "1. 纪要“整理”环节时限达标率 50.0%（1 次超时，时限 48小时）。",
        "2. 发文“起草”环节时限达标率 75.0%（1 次超时，时限 2个工作日）。",
        "3. 发文“印发”环节时限达标率 75.0%（1 件在办已超时限，时限 5个工作日）。",
    ]
    for table in doc.tables:
        for row in table.rows:
            assert row._tr.trPr.find(docx.oxml.ns.qn("w:cantSplit")) is not None


def test_workbook(built: Path, tmp_path: Path) -> None:
    assert monthly(built, tmp_path, "--month", "2026-03")[0] == 0
    path = tmp_path / "monthly-2026-03.xlsx"
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["环比", "统计", "图表", "环节时限", "文号", "明细"]
    sheet = wb.get_sheet_by_name("环比").to_python()
    figures = {r[0]: r[1:4] for r in sheet if r and r[0] in ("新增件数", "按时办结率", "在办件数")}
    assert figures["新增件数"] == [5, 2, 1.5]
    assert figures["按时办结率"][:2] == [0.5, 1.0] and figures["按时办结率"][2] == pytest.approx(
        -50
    )
    assert figures["在办件数"] == [1, 0, "—"]
    per = {r[0]: r[1:3] for r in sheet if r and r[0] in ("纪要", "发文")}
    assert per == {"纪要": [2, 1], "发文": [3, 1]}
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 6  # 2 month-on-month charts + the 4 of the statistics


def test_default_month_and_bad_month(built: Path, tmp_path: Path) -> None:
    assert parse_month(None, date(2026, 12, 2)) == date(2026, 11, 1)  # the last full month
    assert parse_month(None, date(2026, 1, 15)) == date(2025, 12, 1)
    assert parse_month("2026-3", date(2026, 12, 2)) == date(2026, 3, 1)
    code, out, err = monthly(built, tmp_path, "--month", "2026-13")
    assert code == 2 and "--month" in err and out == ""


def test_empty_month(built: Path, tmp_path: Path) -> None:
    code, _out, err = monthly(built, tmp_path, "--month", "2026-05")
    assert code == 0 and "no cases opened in 2026-05" in err
    doc = docx.Document(str(tmp_path / "monthly-2026-05.docx"))
    assert "5月无新增案件。" in [p.text for p in doc.paragraphs]
    assert (
        CalamineWorkbook.from_path(str(tmp_path / "monthly-2026-05.xlsx")).sheet_names[0] == "环比"
    )


def test_steps_seen_only_in_the_month_before_are_listed(built: Path, tmp_path: Path) -> None:
    """环节时限执行情况 lists every step with a deadline that cases of either month reached:
    April has one 纪要 (J005, 整理 left in time), so 发文's 起草 and 印发 were seen in March
    only; they are listed with March's rates and nothing for April."""
    import shutil

    from conftest import advance1
    from procdoc.commands import cases
    from procdoc.workspace import Workspace

    root = Path(shutil.copytree(built, tmp_path / "办公室"))
    j5 = cases.new(Workspace(root), "jiyao", title="4月周例会纪要", at=datetime(2026, 4, 1, 9)).id
    advance1(Workspace(root), j5, step="done", at=datetime(2026, 4, 2, 9))
    code, _out, err = monthly(root, tmp_path / "rep", "--month", "2026-04")
    assert code == 0, err
    doc = docx.Document(str(tmp_path / "rep" / "monthly-2026-04.docx"))
    limits = doc.tables[2]
    assert [c.text for c in limits.rows[0].cells] == [
        "流程·环节",
        "时限",
        "本月达标率",
        "上月达标率",
        "在办超时",
    ]
    assert [[c.text for c in r.cells] for r in limits.rows][1:] == [
        ["纪要·整理", "48小时", "100.0%", "50.0%", "0"],
        ["发文·起草", "2个工作日", "—", "75.0%", "0"],
        ["发文·印发", "5个工作日", "—", "75.0%", "0"],
    ]
