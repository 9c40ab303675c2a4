"""The defects an office met in its first week (issue 11), each pinned by a test."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from conftest import MINI_CONFIG, REPO, advance1, write
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.reports import report_daily
from procdoc.errors import CaseError, WorkspaceError
from procdoc.workspace import Workspace

runner = CliRunner()


def cli(root: Path | None, *args: str) -> tuple[int, str, str]:
    extra = ["-w", str(root)] if root is not None else []
    result = runner.invoke(app, [*args, *extra])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


# -- the SPEC's own sources: example (SPEC §6) ------------------------------------------------

SPEC_SOURCES = """\
sources:
  dingtalk-baoxiao:
    process: baoxiao          # new cases open in this process
    key: 审批编号              # the export's unique id -> the case's `ref` (no need to
                              #   list it under columns)
    columns:                  # export header -> case field id or core column
      标题: title             #   (a list maps one column to several fields)
      发起人姓名: applicant
      发起时间: opened
      总金额（元）: amount
    status_column: 审批状态    # optional: the export's status ...
    status_steps: {审批中: dept_review, 已完成: archive}   # ... and the step it means
    values:                   # optional: the office's words for the export's words
      密级: {无: 非密, "": 非密}
    match: [doc_no, from_org] # optional: fields that identify the same matter across
                              #   sources (the 致远 and the 泛微 export of one 来文)
"""

BAOXIAO = """\
name: 报销
id: baoxiao
case_id: "BX{year}-{seq:04d}"
fields:
  applicant: {label: 申请人, type: text, required: true}
  amount: {label: 金额, type: number}
  doc_no: {label: 文号, type: text}
  from_org: {label: 来文单位, type: text}
  secrecy: {label: 密级, type: choice, choices: [非密, 秘密]}
steps:
  - {id: submit, name: 报销提交, deadline: 3wd, next: [dept_review]}
  - {id: dept_review, name: 部门审核, deadline: 2wd, next: [archive]}
  - {id: archive, name: 归档, final: true}
"""


def test_the_spec_sources_example_validates_and_imports(tmp_path: Path) -> None:
    root = tmp_path / "office"
    write(root / "procdoc.yaml", MINI_CONFIG + SPEC_SOURCES)
    write(root / "processes" / "baoxiao.yaml", BAOXIAO)
    (root / "templates").mkdir()
    code, out, err = cli(root, "validate")
    assert code == 0, out + err
    assert "must also be listed under columns" not in out + err
    export = tmp_path / "钉钉.xlsx"
    wb = xlsxwriter.Workbook(str(export))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["审批编号", "标题", "发起人姓名", "发起时间", "总金额（元）", "审批状态"])
    ws.write_row(
        1, 0, ["202610090001000000001", "差旅报销", "张三", "2026-10-09 09:00", 1200, "审批中"]
    )
    wb.close()
    code, out, err = cli(root, "import", str(export))
    assert code == 0, err
    (case,) = json.loads(cli(root, "list", "--format", "json")[1])
    assert case["ref"] == "202610090001000000001"  # the key, without being under columns
    assert case["step"] == "dept_review" and case["title"] == "差旅报销"


def test_the_spec_sources_example_works_with_the_librarys_own_baoxiao(tmp_path: Path) -> None:
    """SPEC §6 as written, on the library's 报销 process, which has no doc_no or from_org:
    validate warns that such a match never matches (exit 0) and the import goes on."""
    root = tmp_path / "office"
    write(root / "procdoc.yaml", MINI_CONFIG + SPEC_SOURCES)
    (root / "processes").mkdir(parents=True)
    shutil.copy(REPO / "processes" / "baoxiao.yaml", root / "processes" / "baoxiao.yaml")
    shutil.copytree(REPO / "templates", root / "templates")
    code, out, err = cli(root, "validate")
    said = " ".join((out + err).split())
    assert code == 0, said
    assert (
        "match: 'doc_no' is not a field of baoxiao: rows of this source are never matched" in said
    )
    export = tmp_path / "钉钉.xlsx"
    wb = xlsxwriter.Workbook(str(export))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["审批编号", "标题", "发起人姓名", "发起时间", "总金额（元）", "审批状态"])
    ws.write_row(
        1, 0, ["202610090001000000001", "差旅报销", "张三", "2026-10-09 09:00", 1200, "审批中"]
    )
    ws.write_row(
        2, 0, ["202610090001000000002", "差旅报销", "张三", "2026-10-09 09:00", 1200, "审批中"]
    )
    wb.close()
    code, out, err = cli(root, "import", str(export))
    assert code == 0, err
    listed = json.loads(cli(root, "list", "--format", "json")[1])
    assert len(listed) == 2  # two rows alike in every mapped field: nothing matched them


def test_a_source_that_misses_a_required_field_or_names_unknown_targets(mini: Path) -> None:
    cfg = mini / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + "sources:\n  oa:\n    process: mini\n    key: 编号\n    columns: {标题: title, 金额: amout}\n",
        encoding="utf-8",
    )
    code, out, _ = cli(mini, "validate")
    assert code == 3
    assert re.search(r"procdoc\.yaml:\d+:\d+: error: column '金额' maps to 'amout'", out)
    assert "does not map the required field applicant (申请人)" in out


# -- procdoc.yaml errors: all of them ---------------------------------------------------------


def test_validate_lists_every_error_of_procdoc_yaml_and_exits_3(mini: Path) -> None:
    cfg = mini / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + "ledgr: x.xlsx\nbackups: 0\ntimezone: Mars/Olympus\n",
        encoding="utf-8",
    )
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    for message in ("unknown key 'ledgr'", "backups must be", "unknown time zone 'Mars/Olympus'"):
        assert re.search(rf"procdoc\.yaml:\d+:\d+: error: {re.escape(message)}", out), message
    assert "run procdoc validate" not in out + err
    code, _, err = cli(mini, "list")
    assert code == 1 and err.count("Error:") == 3


# -- import --dry-run -------------------------------------------------------------------------


def test_dry_run_shows_key_title_and_old_and_new_values(tmp_path: Path) -> None:
    root = tmp_path / "office"
    write(root / "procdoc.yaml", MINI_CONFIG + SPEC_SOURCES)
    write(root / "processes" / "baoxiao.yaml", BAOXIAO)
    (root / "templates").mkdir()
    export = tmp_path / "钉钉.xlsx"

    def save(amount: int) -> None:
        wb = xlsxwriter.Workbook(str(export))
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["审批编号", "标题", "发起人姓名", "发起时间", "总金额（元）"])
        ws.write_row(1, 0, ["A-1", "差旅报销", "张三", "2026-10-09 09:00", amount])
        wb.close()

    save(1200)
    code, out, _ = cli(root, "import", str(export), "--dry-run")
    assert code == 0 and "A-1" in out and "差旅报销" in out  # key and title of the new case
    cli(root, "import", str(export))
    save(1500)
    code, out, _ = cli(root, "import", str(export), "--dry-run")
    assert "金额" in out and "1200" in out and "1500" in out  # the field, old and new value


# -- init ---------------------------------------------------------------------------------------


def test_init_writes_valid_yaml_for_any_office_name(tmp_path: Path) -> None:
    code, _, err = cli(None, "init", str(tmp_path / "ws"), "--name", '某局: 办公室 #1 "总"')
    assert code == 0, err
    assert Workspace(tmp_path / "ws").config.name == '某局: 办公室 #1 "总"'
    code, out, err = cli(tmp_path / "ws", "validate")
    assert code == 0, out + err


def test_init_with_some_processes_copies_only_their_templates(tmp_path: Path) -> None:
    code, _, err = cli(None, "init", str(tmp_path / "ws"), "--processes", "xinfang,收文办理")
    assert code == 0, err
    procs = sorted(p.name for p in (tmp_path / "ws" / "processes").glob("*.yaml"))
    assert procs == ["shouwen.yaml", "xinfang.yaml"]
    templates = {p.stem for p in (tmp_path / "ws" / "templates").glob("*.docx")}
    assert "accept_notice" in templates and "shouwen" in templates and "baoxiao" not in templates
    assert cli(tmp_path / "ws", "validate")[0] == 0


# -- a process file with errors never hides its cases ---------------------------------------


def test_cases_of_a_broken_process_file_are_named_never_silently_dropped(library: Path) -> None:
    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    cases.new(ws, "shouwen", title="关于秋季防火的通知", sets=["from_org=市政府办公室"], at=at)
    cases.new(ws, "xinfang", title="噪音", sets=["petitioner=张三"], at=at)
    path = library / "processes" / "shouwen.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("deadline: 5wd ", "deadline: 7个工作曰 "),
        encoding="utf-8",
    )
    code, out, err = cli(library, "report", "daily", "--as-of", "2026-11-03")
    assert code == 1
    assert re.search(r"processes/shouwen\.yaml:\d+:\d+: .*7个工作曰", err)
    md = (library / "out" / "reports" / "daily-2026-11-03.md").read_text(encoding="utf-8")
    assert "未计入" in md.split("统计时点")[0] and "shouwen.yaml" in md.split("统计时点")[0]
    for args in (("list",), ("overdue", "--as-of", "2026-12-01")):
        code, out, err = cli(library, *args)
        assert code == 1 and "shouwen.yaml" in err, args
    code, out, _ = cli(library, "list", "--format", "json")
    assert [c["process"] for c in json.loads(out)] == ["xinfang"]  # what it could do


# -- hand-typed values procdoc cannot read ----------------------------------------------------


def _edit(path: Path, sheet: str, edits: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for ref, value in edits.items():
        ws[ref] = value
    wb.save(path)


def _column(path: Path, sheet: str, label: str) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    header = next(wb[sheet].iter_rows(min_row=1, max_row=1, values_only=True))
    from openpyxl.utils import get_column_letter

    return get_column_letter(list(header).index(label) + 1)


def test_unreadable_cells_are_warnings_naming_the_cell_and_the_cases_stay(mini: Path) -> None:
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    ids = [
        cases.new(ws, "mini", title=f"件{i}", sets=["applicant=张三"], at=at).id for i in range(3)
    ]
    ledger = mini / "ledger.xlsx"
    due, step, opened = (
        _column(ledger, "测试流程", x) for x in ("环节期限", "当前环节", "登记时间")
    )
    _edit(
        ledger, "测试流程", {f"{due}2": "下周五", f"{step}3": "审核中", f"{opened}4": "2026-13-45"}
    )
    code, out, err = cli(mini, "list", "--format", "json")
    assert code == 0 and [c["id"] for c in json.loads(out)] == ids  # none dropped
    assert f"测试流程!{due}2" in err and "下周五" in err
    assert f"测试流程!{step}3" in err and "审核中" in err
    assert f"测试流程!{opened}4" in err and "2026-13-45" in err
    code, out, err = cli(mini, "overdue", "--as-of", "2026-10-20", "--format", "json")
    flags = {f["id"]: f["level"] for f in json.loads(out)}
    assert flags[ids[0]] == "unknown"  # its deadline cannot be read: listed, not dropped
    assert code == 0


def test_show_and_a_move_of_one_case_say_nothing_about_the_other_rows(mini: Path) -> None:
    """A case is found and built alone: unreadable cells, a duplicated id and a row
    without an id elsewhere in the register are neither read nor reported (list, check
    and overdue report them)."""
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    ids = [
        cases.new(ws, "mini", title=f"件{i}", sets=["applicant=张三"], at=at).id for i in range(4)
    ]
    ledger = mini / "ledger.xlsx"
    due, step, opened, cid, title = (
        _column(ledger, "测试流程", x) for x in ("环节期限", "当前环节", "登记时间", "编号", "标题")
    )
    _edit(
        ledger,
        "测试流程",
        {
            f"{due}2": "下周五",
            f"{step}3": "审核中",
            f"{opened}4": "2026-13-45",
            f"{cid}4": ids[0],  # ids[0] held twice
            f"{title}7": "无编号的一行",
        },
    )
    code, out, err = cli(mini, "show", ids[3], "--format", "json")
    assert code == 0 and json.loads(out)["id"] == ids[3]
    assert err == ""
    code, out, err = cli(mini, "show", ids[3])
    assert code == 0 and ids[3] in out and err == ""
    code, out, err = cli(mini, "advance", ids[3], "--step", "review", "--at", "2026-10-10 09:00")
    assert code == 0 and err == "", err
    code, out, err = cli(mini, "show", ids[0])
    assert code != 0 and "held twice" in err


def test_a_renamed_core_header_is_refused_never_answered_with_a_second_column(
    mini: Path,
) -> None:
    ws = Workspace(mini)
    cid = cases.new(ws, "mini", title="件", sets=["applicant=张三"], at=datetime(2026, 10, 9)).id
    ledger = mini / "ledger.xlsx"
    col = _column(ledger, "测试流程", "当前环节")
    _edit(ledger, "测试流程", {f"{col}1": "目前环节"})
    before = ledger.read_bytes()
    for args in (("list",), ("advance", cid, "--step", "review", "--at", "2026-10-10")):
        code, _, err = cli(mini, *args)
        assert code == 1 and "no '当前环节' column" in err, args
    assert ledger.read_bytes() == before


# -- labels that make two columns one ---------------------------------------------------------


def test_labels_that_clash_with_a_field_are_a_validate_error_and_nothing_is_written(
    mini: Path,
) -> None:
    cfg = mini / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "labels: {id: 申请人}\n", encoding="utf-8")
    code, out, _ = cli(mini, "validate")
    assert code == 3 and re.search(r"procdoc\.yaml:\d+:\d+: error: .*both labelled '申请人'", out)
    code, out, err = cli(
        mini, "new", "mini", "--title", "件", "--set", "applicant=张三", "--at", "2026-10-09"
    )
    assert code == 1 and "both labelled '申请人'" in err and out == ""
    assert not (mini / "ledger.xlsx").exists()


# -- one clock: Beijing time whatever the host says -------------------------------------------


def test_moments_are_beijing_time_whatever_the_hosts_clock(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import procdoc.clock

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            moment = datetime(2026, 11, 1, 23, 30, 15, tzinfo=UTC)
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    monkeypatch.setattr(procdoc.clock, "datetime", Frozen)
    monkeypatch.setenv("TZ", "UTC")
    assert Workspace(mini).now() == datetime(2026, 11, 2, 7, 30)
    assert cli(mini, "new", "mini", "--title", "件", "--set", "applicant=张三")[0] == 0
    (case,) = json.loads(cli(mini, "list", "--format", "json")[1])
    assert case["opened"] == "2026-11-02T07:30"


# -- the 信访 acceptance limit counts from receipt --------------------------------------------


def test_xinfang_counts_15_days_from_receipt_else_from_registration(library: Path) -> None:
    ws = Workspace(library)
    reg = datetime(2026, 11, 4, 9, 0)
    got = cases.new(
        ws, "xinfang", title="信", sets=["petitioner=张三", "received=2026-11-02"], at=reg
    )
    moved = advance1(ws, got.id, step="accept", at=datetime(2026, 11, 4, 10, 0))
    assert moved.case.due == date(2026, 11, 17)  # 11-02 + 15 日 (第二十二、二十三条)
    other = cases.new(ws, "xinfang", title="访", sets=["petitioner=李四"], at=reg)
    moved = advance1(ws, other.id, step="accept", at=datetime(2026, 11, 4, 10, 0))
    assert moved.case.due == date(2026, 11, 19)  # no 收到日期: from registration


# -- extensions ----------------------------------------------------------------------------------


def test_an_extension_after_the_deadline_needs_late_and_is_recorded_so(mini: Path) -> None:
    ws = Workspace(mini)
    cid = cases.new(
        ws, "mini", title="件", sets=["applicant=张三", "ok=是", "amount=1", "received=2026-09-30"],
        at=datetime(2026, 9, 30, 9, 0),
    ).id  # fmt: skip
    for step, by, day in (
        ("review", None, 9),
        ("sign", None, 9),
        ("issue", "财务", 9),
        ("issue", "部门负责人", 9),
    ):
        advance1(ws, cid, step=step, by=by, at=datetime(2026, 10, day, 10, 0))
    late = datetime(2026, 12, 1, 9, 0)  # the deadline was 11-30
    with pytest.raises(CaseError, match=r"the deadline 2026-11-30 of .* has passed.*--late"):
        cases.extend(ws, cid, by="10d", reason="补充材料", at=late)
    r = cases.extend(ws, cid, by="10d", reason="补充材料", at=late, late=True)
    assert r.late and r.new == date(2026, 12, 9)  # as first counted: 11-29 + 10d
    note = [h.note for h in cases.show(ws, cid).history or [] if h.action == "extend"]
    assert note == ["补充材料（逾期后批准）"]


# -- history stays in time order --------------------------------------------------------------


def test_at_before_the_last_event_is_refused_naming_it(mini: Path) -> None:
    ws = Workspace(mini)
    cid = cases.new(ws, "mini", title="件", sets=["applicant=张三"], at=datetime(2026, 10, 9, 9)).id
    advance1(ws, cid, step="review", at=datetime(2026, 10, 12, 9, 0))
    before = (mini / "ledger.xlsx").read_bytes()
    code, _, err = cli(mini, "advance", cid, "--step", "登记", "--at", "2026-10-10")
    assert code == 1 and "earlier than its last recorded event (流转 at 2026-10-12 09:00)" in err
    code, _, err = cli(mini, "extend", cid, "--by", "1d", "--reason", "x", "--at", "2026-10-10")
    assert code == 1 and "earlier than its last recorded event" in err
    assert (mini / "ledger.xlsx").read_bytes() == before


# -- the daily report as of a past day ---------------------------------------------------------


def test_report_as_of_a_past_day_reports_the_ledger_as_it_stood(library: Path) -> None:
    ws = Workspace(library)
    early = cases.new(
        ws, "xinfang", title="十月信", sets=["petitioner=张三"], at=datetime(2026, 10, 9, 9)
    )
    advance1(ws, early.id, step="accept", at=datetime(2026, 10, 12, 9, 0))
    cases.new(
        ws, "xinfang", title="十一月信", sets=["petitioner=李四"], at=datetime(2026, 11, 3, 9)
    )
    rep = report_daily(ws, as_of=datetime(2026, 10, 10, 17, 0))
    assert rep is not None
    assert sum(n for _, n, _ in rep.open_by_process) == 1  # the November case did not exist
    assert rep.open_by_step == [("信访事项办理", "信访登记", 1)]  # it was still at 登记 then
    assert all(w[3] >= 0 and w[4] >= 0 for w in rep.waits)  # no negative stays


# -- documents ------------------------------------------------------------------------------------


def test_file_errors_are_one_line_and_ctrl_c_is_130(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = cli(mini, "graph", "mini", "-o", str(blocker / "sub" / "g.mmd"))
    assert code == 1 and err.startswith("Error:") and err.count("\n") == 1
    code, _, err = cli(mini, "report", "daily", "--out", str(blocker / "reports"))
    assert code == 1 and err.startswith("Error:")

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("procdoc.commands.cases.list_cases", interrupted)
    assert cli(mini, "list")[0] == 130


def test_reports_get_the_ledgers_permissions(mini: Path) -> None:
    ws = Workspace(mini)
    cases.new(ws, "mini", title="件", sets=["applicant=张三"], at=datetime(2026, 10, 9, 9))
    os.chmod(mini / "ledger.xlsx", 0o664)
    rep = report_daily(Workspace(mini), as_of=datetime(2026, 10, 10, 9))
    assert rep is not None and rep.xlsx is not None and rep.markdown is not None
    for path in (rep.xlsx, rep.markdown):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o664, path


def test_a_workspace_error_has_no_traceback(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        Workspace.find(explicit=tmp_path)
