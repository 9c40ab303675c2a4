"""Cases: open, advance, return, countersign, extend, show and list (SPEC §3-§5)."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import advance1, cli, write
from procdoc.commands import cases
from procdoc.errors import CaseError, ProcdocError, ProcdocWarning
from procdoc.workspace import Workspace

AT = datetime(2026, 9, 30, 9, 0)


def ws_of(root: Path) -> Workspace:
    return Workspace(root)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def opened(root: Path, **sets: str) -> str:
    pairs = [f"{k}={v}" for k, v in {"applicant": "张三", **sets}.items()]
    return cases.new(ws_of(root), "mini", title="测试案件", sets=pairs, by="王敏", at=AT).id


def test_a_case_of_a_process_file_procdoc_cannot_read_is_not_just_unknown(
    library: Path,
) -> None:
    """A process file with a YAML syntax error: its cases cannot be found, and the error
    says which file and where, not only "unknown case" (SPEC §5; found by QA)."""
    cid = cases.new(ws_of(library), "xinfang", title="反映噪音", sets=["petitioner=张三"], at=AT).id
    path = library / "processes" / "xinfang.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nsteps:", "\n steps:", 1), encoding="utf-8")
    code, _out, err = cli(library, "show", cid)
    assert code == 1
    assert f"unknown case '{cid}'" in err
    assert "processes/xinfang.yaml:" in err and "cannot be found until it is fixed" in err
    cases.new(ws_of(library), "baoxiao", title="差旅", sets=["applicant=李四", "amount=100"], at=AT)
    code, _out, err = cli(library, "show", "BX2026-0011")  # a typo of a case that is there
    assert code == 1 and "did you mean BX2026-0001" in err  # the near ids come first


def test_a_deleted_rows_id_is_not_given_again(mini: Path) -> None:
    """A row deleted by hand leaves its history in 流转记录: its id is not given to a new
    case, which would inherit that history (found by QA)."""
    import openpyxl

    first, second = opened(mini), opened(mini)
    assert (first, second) == ("MN2026-001", "MN2026-002")
    path = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(path)
    register = next(ws for ws in wb.worksheets if ws.title != "流转记录")
    row = next(r for r in range(1, register.max_row + 1) if register.cell(r, 1).value == second)
    register.delete_rows(row)
    wb.save(path)
    third = opened(mini)
    assert third == "MN2026-003"
    assert [h.action for h in cases.show(ws_of(mini), third).history or []] == ["new"]


def test_new_case_gets_id_step_deadline_and_history(mini: Path) -> None:
    case = cases.new(
        ws_of(mini), "mini", title="测试", sets=["applicant=张三", "amount=1,200"], by="王敏", at=AT
    )
    assert case.id == "MN2026-001"
    assert case.step is not None and case.step.id == "register"
    assert case.due == date(
        2026, 10, 8
    )  # 1wd after 9-30 skips the National Day holiday (10-1..10-7)
    shown = cases.show(ws_of(mini), case.id)
    assert shown.fields["amount"] == 1200
    assert shown.fields["applicant"] == "张三"
    assert [h.action for h in shown.history or []] == ["new"]
    assert (
        shown.history and shown.history[0].by == "王敏" and shown.history[0].to_step == "register"
    )
    second = cases.new(ws_of(mini), "mini", title="第二件", sets=["applicant=李四"], at=AT)
    assert second.id == "MN2026-002"


def test_sequence_restarts_each_year(mini: Path) -> None:
    cases.new(ws_of(mini), "mini", title="一", sets=["applicant=甲"], at=AT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProcdocWarning)
        case = cases.new(
            ws_of(mini), "mini", title="二", sets=["applicant=乙"], at=datetime(2027, 1, 4, 9, 0)
        )
    assert case.id == "MN2027-001"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ([], "required field(s) missing: applicant"),
        (["applicant=张三", "amount=很多"], "field amount (金额, number)"),
        (["applicant=张三", "ok=也许"], "'也许' is not one of 是, 否"),
        (["applicant=张三", "received=2026-13-01"], "field received (收到日期, date)"),
        (["applicant=张三", "nosuch=1"], "has no field 'nosuch'"),
        (["applicant"], "must be FIELD=VALUE"),  # bad usage (UsageError, exit 2)
    ],
)
def test_new_refuses_bad_values_and_writes_nothing(
    mini: Path, sets: list[str], message: str
) -> None:
    with pytest.raises(ProcdocError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cases.new(ws_of(mini), "mini", title="x", sets=sets, at=AT)
    assert not (mini / "ledger.xlsx").exists()


def test_advance_by_id_and_by_name_and_branch_conditions(mini: Path) -> None:
    cid = opened(mini)
    ws = ws_of(mini)
    moved = advance1(ws, cid, step="审查", at=datetime(2026, 10, 9, 10, 0))
    assert moved.to_step is not None and moved.to_step.id == "review"
    assert moved.case.due == date(2026, 10, 26)  # 15d from 10-09 is Saturday 10-24 -> Monday
    assert moved.case.case_due == date(
        2026, 11, 9
    )  # the process: 30d from entering review (Sunday -> Monday)
    before = digest(mini / "ledger.xlsx")
    with pytest.raises(
        CaseError, match=r"condition ok == '是' does not hold \(ok is empty\)"
    ) as err:
        advance1(ws_of(mini), cid, step="sign")
    assert err.value.hint and "归档 (archive)" in err.value.hint
    assert digest(mini / "ledger.xlsx") == before  # refused: nothing written
    moved = advance1(ws_of(mini), cid, step="sign", sets=["ok=是"], at=datetime(2026, 10, 10, 9, 0))
    assert moved.case.step is not None and moved.case.step.id == "sign"
    assert moved.case.fields["ok"] == "是"


def test_fallback_closed_when_an_earlier_branch_holds(mini: Path) -> None:
    cid = opened(mini, ok="是")
    advance1(ws_of(mini), cid, step="review", at=AT)
    with pytest.raises(CaseError, match="fallback is closed"):
        advance1(ws_of(mini), cid, step="archive", at=AT)


def test_unknown_step_and_case(mini: Path) -> None:
    cid = opened(mini)
    with pytest.raises(CaseError, match="has no step 'nowhere'") as err:
        advance1(ws_of(mini), cid, step="nowhere")
    assert err.value.hint and "审查" in err.value.hint
    with pytest.raises(CaseError, match="unknown case 'MN2026-01'") as err:
        advance1(ws_of(mini), "MN2026-01", step="review")
    assert err.value.hint and "MN2026-001" in err.value.hint


def _to_sign(mini: Path, amount: str = "8000") -> str:
    cid = opened(mini, ok="是", amount=amount, received="2026-09-30")
    advance1(ws_of(mini), cid, step="review", at=AT)
    advance1(ws_of(mini), cid, step="sign", at=datetime(2026, 10, 9, 9, 0))
    return cid


def test_withdraw_keeps_the_earlier_moves_assignee(mini: Path) -> None:
    """Two moves in one minute, both to 乙: the second writes no 转办 row (nothing changes),
    so withdrawing it must not put back the first move's (承办人 was emptied: a review)."""
    cid = opened(mini, ok="是", amount="100", received="2026-09-30")
    at = datetime(2026, 10, 9, 10, 0)
    advance1(ws_of(mini), cid, step="review", assign="乙", at=at)
    advance1(ws_of(mini), cid, step="sign", assign="乙", at=at)
    back = cases.withdraw(ws_of(mini), cid, at=datetime(2026, 10, 9, 10, 1))
    assert back.case.step is not None and back.case.step.id == "review"
    assert back.case.assignee == "乙"
    assert cases.show(ws_of(mini), cid).assignee == "乙"


def test_countersign_all_waits_for_every_signer(mini: Path) -> None:
    cid = _to_sign(mini)
    first = advance1(
        ws_of(mini), cid, step="boss", by="财务:李会计", at=datetime(2026, 10, 9, 10, 0)
    )
    assert first.action == "sign" and first.awaiting == ["部门负责人"]
    assert cases.show(ws_of(mini), cid).step.id == "sign"  # type: ignore[union-attr]
    with pytest.raises(CaseError, match="awaiting 部门负责人"):
        advance1(ws_of(mini), cid, step="boss", by="路人甲")
    before = (mini / "ledger.xlsx").read_bytes()
    with pytest.raises(CaseError, match=r"财务 has already signed at .*; awaiting 部门负责人"):
        advance1(ws_of(mini), cid, step="boss", by="财务", at=datetime(2026, 10, 9, 10, 30))
    assert (mini / "ledger.xlsx").read_bytes() == before  # refused: counted once, nothing written
    done = advance1(ws_of(mini), cid, step="boss", by="部门负责人", at=datetime(2026, 10, 9, 11, 0))
    assert done.action == "advance" and done.case.step is not None and done.case.step.id == "boss"
    assert done.case.due == datetime(2026, 10, 10, 11, 0)  # 24h straight through
    actions = [h.action for h in cases.show(ws_of(mini), cid).history or []]
    assert actions.count("sign") == 2


def test_withdrawing_the_move_a_countersign_made_keeps_the_earlier_signature(mini: Path) -> None:
    """财务 signs, then 部门负责人's signature moves the case on: withdrawing that move takes
    back 部门负责人's signature, the move and what it corrected, and 财务's stays in force
    (the signatures were read from the rows the withdrawal took back, so 财务's was lost:
    QA)."""
    cid = _to_sign(mini, amount="100")
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    moved = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", sets=["amount=200"],
        at=datetime(2026, 10, 9, 11, 0),
    )  # fmt: skip
    assert moved.action == "advance" and moved.case.step is not None
    assert moved.case.step.id == "issue"
    back = cases.withdraw(ws_of(mini), cid, by="部门负责人", at=datetime(2026, 10, 9, 11, 30))
    assert back.case.step is not None and back.case.step.id == "sign"
    assert back.awaiting == ["部门负责人"]
    assert back.case.fields["amount"] == 100  # corrected with the move: put back
    assert back.case.due == date(2026, 10, 13)  # the deadline it had at 会签
    hist = cases.show(ws_of(mini), cid).history or []
    assert [(h.action, h.from_step, h.to_step, h.subject) for h in hist[-2:]] == [
        ("withdraw", "issue", "sign", "流转"),
        ("withdraw", "sign", "sign", "部门负责人"),  # the signature taken back, said so
    ]
    with pytest.raises(CaseError, match=r"财务 has already signed at 会签; awaiting 部门负责人"):
        advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 12, 0))
    again = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 12, 0)
    )
    assert again.action == "advance" and again.case.step is not None
    assert again.case.step.id == "issue"


def test_a_withdrawal_recorded_before_the_fix_keeps_the_earlier_signature_too(
    mini: Path,
) -> None:
    """A ledger written before withdraw recorded the signature it took back (one 撤回 row,
    of the move): the signature just before the withdrawn move is taken back with it, the
    earlier one stays, and the case waits for the withdrawn signer (not for nobody)."""
    import openpyxl

    cid = _to_sign(mini, amount="100")
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    advance1(ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 11, 0))
    cases.withdraw(ws_of(mini), cid, by="部门负责人", at=datetime(2026, 10, 9, 11, 30))
    ledger = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(ledger)  # the test plays the older procdoc's ledger
    history = wb["流转记录"]
    assert "撤回会签：部门负责人" in [c.value for c in history[history.max_row]]
    history.delete_rows(history.max_row)
    wb.save(ledger)
    with pytest.raises(CaseError, match=r"财务 has already signed at 会签; awaiting 部门负责人"):
        advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 12, 0))
    again = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 12, 0)
    )
    assert again.action == "advance"


def test_withdrawing_a_signature_keeps_the_other_signers(mini: Path) -> None:
    """Three signers: taking back the second signature leaves the first in force (the
    withdrawal was read as the case entering 会签 again, every signature lost: QA)."""
    proc = mini / "processes" / "mini.yaml"
    text = proc.read_text(encoding="utf-8")
    proc.write_text(
        text.replace("[财务, 部门负责人]", "[财务, 部门负责人, 领导]"), encoding="utf-8"
    )
    cid = _to_sign(mini, amount="100")
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    advance1(ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 11, 0))
    back = cases.withdraw(ws_of(mini), cid, by="部门负责人", at=datetime(2026, 10, 9, 11, 30))
    assert back.changes == [("会签", "部门负责人", None)]
    assert back.awaiting == ["部门负责人", "领导"]
    signed = advance1(ws_of(mini), cid, step="issue", by="领导", at=datetime(2026, 10, 9, 12, 0))
    assert signed.action == "sign" and signed.awaiting == ["部门负责人"]
    assert signed.signed == ["财务", "领导"]


def test_time_left_counts_to_the_deadline_that_falls_first(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 发文 the step's deadline (11-30) is later than the 办结期限 (30 日 from 审查:
    10-30): show's 剩余 and todo's count to the 办结期限, name it, and say 逾期 once it has
    passed, as `overdue` flags the case (they counted to 11-30: QA)."""
    from procdoc.commands.desk import todo
    from procdoc.commands.reports import overdue

    cid = _to_sign(mini, amount="100")
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    advance1(ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 11, 0))
    ws = ws_of(mini)
    case = cases.show(ws, cid)
    assert (case.due, case.case_due) == (date(2026, 11, 30), date(2026, 10, 30))
    before = datetime(2026, 10, 26, 9, 0)
    assert cases.time_left(ws, case, now=before) == "办结期限剩余 4 天（4 个工作日）"
    as_of = datetime(2026, 11, 5, 9, 0)
    (flag,) = overdue(ws, as_of=as_of)
    assert (flag.deadline, flag.late_days, flag.late_workdays) == ("case", 6, 4)
    assert cases.time_left(ws, case, now=as_of) == "办结期限已逾期 6 天（4 个工作日）"
    (item,) = todo(ws, as_of=as_of)
    assert item.level == "overdue" and item.left == "办结期限逾期 6 天"
    monkeypatch.setattr(Workspace, "now", lambda self: as_of)
    code, out, _ = cli(mini, "show", cid, "--format", "csv")
    assert code == 0 and "剩余,办结期限已逾期 6 天（4 个工作日）" in out.splitlines()
    other = opened(mini)  # at 登记: only the step's deadline (10-08)
    assert cases.time_left(ws, cases.show(ws, other), now=as_of) == "已逾期 28 天（21 个工作日）"


def test_countersign_any_and_return(mini: Path) -> None:
    proc = mini / "processes" / "mini.yaml"
    proc.write_text(
        proc.read_text(encoding="utf-8").replace("mode: all", "mode: any"), encoding="utf-8"
    )
    cid = _to_sign(mini, amount="100")
    moved = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 10, 0)
    )
    assert moved.case.step is not None and moved.case.step.id == "issue"
    back = advance1(
        ws_of(mini), cid, step="review", note="材料不全", at=datetime(2026, 10, 10, 9, 0)
    )
    assert back.action == "return"
    hist = cases.show(ws_of(mini), cid).history or []
    assert (
        hist[-1].action == "return"
        and hist[-1].note == "材料不全"
        and hist[-1].from_step == "issue"
    )


def test_deadline_from_field_numbering_and_final(mini: Path) -> None:
    cid = _to_sign(mini, amount="100")
    moved = advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    assert moved.action == "sign"
    moved = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 11, 0)
    )
    assert moved.case.due == date(
        2026, 11, 30
    )  # 60d from received 09-30 = 11-29 (Sunday) -> Monday
    assert moved.number == "测办发〔2026〕1号"
    assert moved.case.fields["doc_no"] == "测办发〔2026〕1号"
    other = _to_sign(mini, amount="100")
    advance1(ws_of(mini), other, step="issue", by="财务", at=datetime(2026, 10, 9, 12, 0))
    numbered = advance1(
        ws_of(mini), other, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 12, 5)
    )
    assert numbered.number == "测办发〔2026〕2号"
    # a case that comes back keeps its own number
    advance1(ws_of(mini), cid, step="review", at=datetime(2026, 10, 12, 9, 0))
    advance1(ws_of(mini), cid, step="sign", at=datetime(2026, 10, 12, 9, 5))
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 12, 9, 6))
    again = advance1(
        ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 12, 9, 7)
    )
    assert again.number is None and again.case.fields["doc_no"] == "测办发〔2026〕1号"
    closed = advance1(ws_of(mini), cid, step="归档", at=datetime(2026, 10, 13, 9, 0))
    assert closed.action == "close" and closed.case.status == "closed"
    with pytest.raises(CaseError, match="is closed"):
        advance1(ws_of(mini), cid, step="review")


def test_extend_within_and_past_the_limit(mini: Path) -> None:
    cid = _to_sign(mini, amount="100")
    advance1(ws_of(mini), cid, step="issue", by="财务", at=datetime(2026, 10, 9, 10, 0))
    advance1(ws_of(mini), cid, step="issue", by="部门负责人", at=datetime(2026, 10, 9, 11, 0))
    later = datetime(2026, 10, 20, 9, 0)
    r = cases.extend(ws_of(mini), cid, by="20d", reason="需补充调查", who="领导", at=later)
    # 60d from received 09-30 is 11-29 (Sunday), rolled to 11-30; extensions add up on
    # 11-29 as first counted: 11-29 + 20d = 12-19 (Saturday) -> Monday 12-21
    assert r.old == date(2026, 11, 30) and r.new == date(2026, 12, 21)
    before = digest(mini / "ledger.xlsx")
    with pytest.raises(CaseError, match="at most 30d in all, and 20d was already granted"):
        cases.extend(ws_of(mini), cid, by="15d", reason="再延", at=later)
    assert digest(mini / "ledger.xlsx") == before
    r = cases.extend(ws_of(mini), cid, by="10d", reason="最后一次", at=later)
    assert r.new == date(2026, 12, 29)  # where one 30d ends: 11-29 + 30d, a Tuesday
    hist = cases.show(ws_of(mini), cid).history or []
    assert [(h.subject, h.note) for h in hist if h.action == "extend"] == [
        ("20日", "需补充调查"),
        ("10日", "最后一次"),
    ]
    advance1(ws_of(mini), cid, step="review", at=datetime(2026, 10, 21, 9, 0))
    with pytest.raises(CaseError, match="may not be extended"):
        cases.extend(ws_of(mini), cid, by="1d", reason="x")


def test_2027_deadline_warns_and_calendar_file_counts(mini: Path) -> None:
    with pytest.warns(ProcdocWarning, match="2027"):
        case = cases.new(
            ws_of(mini),
            "mini",
            title="跨年",
            sets=["applicant=甲"],
            at=datetime(2026, 12, 31, 9, 0),
        )
    assert case.due == date(2027, 1, 1)  # Monday-Friday counting: 2027-01-01 is a Friday
    write(mini / "calendar" / "2027.yaml", "holidays: [2027-01-01]\n")
    cfg = mini / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(
            "calendar:\n  holidays: []", "calendar:\n  files: [calendar/2027.yaml]"
        ),
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcdocWarning)
        case = cases.new(
            ws_of(mini),
            "mini",
            title="跨年二",
            sets=["applicant=乙"],
            at=datetime(2026, 12, 31, 9, 0),
        )
    assert case.due == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("start", "rule", "due"),
    [
        ("2026-09-30", "5wd", date(2026, 10, 13)),
        ("2026-02-12", "3wd", date(2026, 2, 24)),
        ("2026-01-01", "1wd", date(2026, 1, 4)),
        ("2026-01-05", "60d", date(2026, 3, 6)),
        ("2026-09-20", "15d", date(2026, 10, 8)),
    ],
)
def test_domain_worked_examples_through_a_case(
    mini: Path, start: str, rule: str, due: date
) -> None:
    write(
        mini / "processes" / "one.yaml",
        f"name: 一步\nsteps:\n  - id: a\n    deadline: {rule}\n    next: [b]\n  - id: b\n    final: true\n",
    )
    case = cases.new(ws_of(mini), "one", title="例", at=datetime.fromisoformat(start))
    assert case.due == due


def test_cli_show_list_json_shapes(mini: Path) -> None:
    cid = opened(mini)
    code, out, _ = cli(mini, "show", cid, "--format", "json")
    assert code == 0
    data = json.loads(out)
    for key in (
        "id",
        "process",
        "title",
        "step",
        "step_name",
        "status",
        "assignee",
        "opened",
        "entered",
        "due",
        "case_due",
        "closed",
        "ref",
        "fields",
        "history",
    ):
        assert key in data
    assert data["process"] == "mini" and data["step"] == "register" and data["step_name"] == "登记"
    assert (
        data["status"] == "open"
        and data["due"] == "2026-10-08"
        and data["entered"] == "2026-09-30T09:00"
    )
    assert data["history"][0] == {
        "at": "2026-09-30T09:00",
        "action": "new",
        "from": None,
        "to": "register",
        "by": "王敏",
        "note": None,
    }
    code, out, _ = cli(mini, "list", "--format", "json", "--status", "open")
    assert code == 0 and [c["id"] for c in json.loads(out)] == [cid]
    code, out, _ = cli(mini, "list", "--format", "json", "--status", "closed")
    assert json.loads(out) == []
    code, out, _ = cli(mini, "list", "--format", "csv", "--step", "登记")
    assert out.splitlines()[0] == "\ufeff编号,流程,标题,当前环节,状态,承办人,环节期限,办结期限"
    assert cid in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["advance", "NOPE-1", "--step", "review"], "unknown case 'NOPE-1'"),
        (
            ["advance", "MN2026-001", "--step", "sign"],
            "has no such move (allowed now: 审查 (review))",
        ),
        (
            ["advance", "MN2026-001", "--step", "review", "--set", "amount=abc"],
            "'abc' is not a number",
        ),
        (["advance", "MN2026-001", "--step", "review", "--at", "2026-13-01"], "bad time"),
        (  # the loser of two advances at once: the case is where it asked to go
            ["advance", "MN2026-001", "--step", "register"],
            "MN2026-001 is already at 登记 (since 2026-",
        ),
        (["new", "nosuch", "--title", "x"], "unknown process 'nosuch'"),
        (["extend", "MN2026-001", "--by", "3x", "--reason", "r"], "bad duration"),
    ],
)
def test_cli_user_errors_exit_1_or_2_without_traceback(
    mini: Path, args: list[str], message: str
) -> None:
    opened(mini)
    before = digest(mini / "ledger.xlsx")
    code, out, err = cli(mini, *args)
    assert code in (1, 2), out + err
    assert err.startswith("Error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 or "Warning" in err
    assert digest(mini / "ledger.xlsx") == before


def test_cli_new_prints_the_id_on_stdout(mini: Path) -> None:
    code, out, _err = cli(
        mini,
        "new",
        "mini",
        "--title",
        "标题",
        "--set",
        "applicant=[red]张三[/red]",
        "--at",
        "2026-09-30 09:00",
    )
    assert code == 0 and out.strip() == "MN2026-001"
    code, out, _ = cli(mini, "show", "MN2026-001")
    assert "[red]张三[/red]" in out  # user text is data, not Rich markup


def test_case_of_a_broken_process_names_the_file_error(mini: Path) -> None:
    cid = opened(mini)
    proc = mini / "processes" / "mini.yaml"
    proc.write_text(
        proc.read_text(encoding="utf-8").replace("    deadline: 1wd\n", "    dedline: 1wd\n"),
        encoding="utf-8",
    )
    before = digest(mini / "ledger.xlsx")
    code, _, err = cli(mini, "advance", cid, "--step", "review")
    assert code == 1
    assert "belongs to process '测试流程', whose file has errors: processes/mini.yaml:" in err
    assert "unknown key 'dedline'" in err
    assert digest(mini / "ledger.xlsx") == before


# -- finding one case's rows by its id column -------------------------------------------------

_cell = st.one_of(
    st.none(),
    st.sampled_from(["A-1", " A-1", "A-1\u3000", "A-10", "xA-1", "A-1\x00", "\x00", "None", "5"]),
    st.text(alphabet="A-15 \x00\t", max_size=5),
    st.integers(0, 20),
    st.floats(0, 1e17, allow_nan=False),
    st.booleans(),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 3)),
)


@given(st.lists(_cell, max_size=12), st.sampled_from(["A-1", "A-10", "5", "None", "", " A-1"]))
def test_the_id_scan_finds_the_rows_text_reads_as_the_id(values: list[object], cid: str) -> None:
    from procdoc.casebook import _matches
    from procdoc.values import text

    assert _matches(values, cid) == [i for i, v in enumerate(values) if text(v) == cid]
    assert _matches(tuple(values), cid) == _matches(values, cid)


def test_a_case_at_an_unknown_step_names_its_cell_as_check_does(mini: Path) -> None:
    """`advance` named the row (sheet!row 2) where `check` names the cell (sheet!D2)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    cid = opened(mini)
    path = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = next(ws for ws in wb.worksheets if ws.title != "流转记录")
    col = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(1, c).value == "当前环节")
    sheet.cell(2, col).value = "不存在的环节"
    wb.save(path)
    cell = f"{sheet.title}!{get_column_letter(col)}2"
    code, _out, err = cli(mini, "advance", cid, "--step", "review")
    assert code == 1 and f"fix its 当前环节 cell ({cell})" in err
    code, out, _err = cli(mini, "check")
    assert code == 3 and cell in out


def test_a_person_holding_two_signer_roles_signs_for_the_one_not_yet_signed(
    mini: Path,
) -> None:
    """吴双 holds 财务 and 部门负责人; once 钱会计 has signed for 财务, 吴双's signature is
    部门负责人's (todo lists the case for 吴双: it was refused as '财务 has already signed')."""
    config = mini / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "people:\n"
        + "  王敏: {roles: [登记员, 承办人]}\n"
        + "  钱会计: {roles: [财务]}\n"
        + "  吴双: {roles: [财务, 部门负责人]}\n",
        encoding="utf-8",
    )
    cid = opened(mini, ok="是", amount="100", received="2026-09-30")
    advance1(ws_of(mini), cid, step="review", by="王敏", at=AT)
    advance1(ws_of(mini), cid, step="sign", by="王敏", at=datetime(2026, 10, 9, 9, 0))
    first = advance1(ws_of(mini), cid, step="issue", by="钱会计", at=datetime(2026, 10, 9, 10, 0))
    assert first.signed == ["财务"]
    done = advance1(ws_of(mini), cid, step="issue", by="吴双", at=datetime(2026, 10, 9, 11, 0))
    assert done.to_step.id == "issue"
    history = ws_of(mini).casebook().history(cases.show(ws_of(mini), cid))
    assert [h.subject for h in history if h.action == "sign"] == ["财务", "部门负责人"]


def test_withdraw_refuses_when_the_step_was_changed_by_hand_since_the_move(mini: Path) -> None:
    """QA: the clerk moved the case on in the register by hand; withdraw put it back where
    the last recorded move had come from, and the hand edit was lost (exit 0)."""
    import openpyxl

    cid = opened(mini, ok="是", amount="100", received="2026-09-30")
    advance1(ws_of(mini), cid, step="review", at=AT)
    ledger = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(ledger)
    sheet = wb["测试流程"]
    col = next(c.column_letter for c in sheet[1] if c.value == "当前环节")
    sheet[f"{col}2"] = "会签"
    wb.save(ledger)
    before = digest(ledger)
    with pytest.raises(
        CaseError, match=f"{cid} is at 会签, not at 审查 where its last move left it"
    ):
        cases.withdraw(ws_of(mini), cid, at=datetime(2026, 10, 9, 10, 1))
    assert digest(ledger) == before


def test_set_will_not_empty_the_title_or_a_required_field_of_an_open_case(mini: Path) -> None:
    """QA: `set --set title=` and `--set applicant=` (required) were taken on an open
    case, while `new` refuses a case without them."""
    cid = opened(mini, ok="是", amount="100", received="2026-09-30")
    ledger = mini / "ledger.xlsx"
    before = digest(ledger)
    for typed, named in (("title=", "title (标题)"), ("applicant=", "applicant (申请人)")):
        with pytest.raises(CaseError, match=rf"{cid}: {re.escape(named)} cannot be emptied"):
            cases.set_fields(ws_of(mini), cid, sets=[typed], at=AT)
    assert digest(ledger) == before
    done = cases.set_fields(ws_of(mini), cid, sets=["amount="], at=AT)  # not required: fine
    assert done.changes and done.changes[0][2] is None


def test_a_misspelt_field_in_set_is_answered_with_the_fields_it_is_close_to(mini: Path) -> None:
    """QA: `--set nosuch=1` listed every field of the process in one line; a near miss
    (amout) now names the field it is close to, a far one still lists them all."""
    with pytest.raises(CaseError) as near:
        cases.new(ws_of(mini), "mini", title="x", sets=["applicant=张三", "amout=1"], at=AT)
    assert near.value.hint == "did you mean amount?"
    with pytest.raises(CaseError) as far:
        cases.new(ws_of(mini), "mini", title="x", sets=["applicant=张三", "nosuch=1"], at=AT)
    assert far.value.hint is not None and far.value.hint.startswith("fields: applicant (申请人")


def test_an_extension_must_extend_and_a_field_is_set_once(library: Path) -> None:
    """A day's deadline extended by hours ended at 03:00 of that day (earlier: QA), an
    extension of 0d was written, and a field given twice took the last value silently:
    each is refused, nothing written."""
    ws = Workspace(library)
    cid = cases.new(
        ws, "duban", title="D", sets=["due_date=2026-11-10"], at=datetime(2026, 11, 2, 9)
    ).id
    advance1(ws, cid, step="assign", at=datetime(2026, 11, 2, 10))
    advance1(ws, cid, step="feedback", at=datetime(2026, 11, 2, 11))
    ledger = library / "ledger.xlsx"
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    code, _out, err = cli(
        library, "extend", cid, "--by", "3h", "--reason", "补材料", "--at", "2026-11-05 09:00"
    )
    assert code == 1 and "is a day, which hours cannot extend; extend it by days" in err
    code, _out, err = cli(
        library, "extend", cid, "--by", "0d", "--reason", "x", "--at", "2026-11-05 09:00"
    )
    assert code == 1 and "an extension of nothing" in err
    for pair in (["title=a", "title=b"], ["due_date=2026-11-11", "完成时限=2026-11-12"]):
        sets = [arg for value in pair for arg in ("--set", value)]
        code, _out, err = cli(library, "set", cid, *sets)
        assert code == 2 and "is given twice; give it once" in err, err
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_a_history_is_the_same_found_by_scanning_or_by_the_index(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first few histories asked for are found by scanning 流转记录's id column, the
    rest through an index of it: both give every case its own rows, an id typed by hand
    with spaces around it included."""
    import openpyxl

    from procdoc import casebook

    ids = [opened(mini) for _ in range(7)]
    for cid in ids[::2]:
        advance1(ws_of(mini), cid, step="review", at=datetime(2026, 10, 10, 9, 0))
    path = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(path)
    log = wb["流转记录"]
    cell = next(c for c in log["A"] if c.value == ids[4] and c.row > 1)
    cell.value = f" {ids[4]} "  # typed again by hand
    wb.save(path)

    def histories(scans: int) -> list[list[tuple[object, ...]]]:
        monkeypatch.setattr(casebook, "_HISTORY_SCANS", scans)
        book = ws_of(mini).casebook()
        return [
            [(h.case, h.action, h.to_step, h.row) for h in book.history(book.case(cid))]
            for cid in ids
        ]

    scanned, indexed, both = histories(100), histories(0), histories(4)
    assert scanned == indexed == both
    assert [len(h) for h in scanned] == [2, 1, 2, 1, 2, 1, 2]
    assert all(h[0] == cid for cid, rows in zip(ids, scanned, strict=True) for h in rows)


@settings(suppress_health_check=[HealthCheck.too_slow])  # (a loaded CI machine: 1.5 s once)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=5),
            st.dates(),
            st.datetimes(),
        ),
    ),
    st.lists(st.datetimes(), max_size=8),
)
def test_json_shows_fields_and_moments_as_iso_reads_each(
    fields: dict[str, object], moments: list[datetime]
) -> None:
    """A case's fields are copied whole when none is a date, and a moment's text is
    remembered (at most so many): the JSON is what reading each value gives."""
    from procdoc import model
    from procdoc.calendar import format_moment

    def one(value: object) -> object:
        if isinstance(value, datetime):
            return format_moment(value)
        return value.isoformat() if isinstance(value, date) else value

    saved = model._MOMENTS_KEPT
    model._MOMENTS_KEPT = 3  # cleared as it fills
    try:
        assert model._json_fields(fields) == {k: one(v) for k, v in fields.items()}
        assert model._json_fields(fields) is not fields
        assert [model.iso(m) for m in moments * 2] == [format_moment(m) for m in moments * 2]
    finally:
        model._MOMENTS_KEPT = saved
