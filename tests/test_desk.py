"""People and the desk (SPEC §9): who may act, 承办人, 待办/已办, the everyday corrections."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import PEOPLE, advance1, cli
from procdoc.commands import cases
from procdoc.commands.desk import todo
from procdoc.commands.reports import overdue
from procdoc.commands.setup import validate
from procdoc.errors import CaseError
from procdoc.workspace import Workspace


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def office(library: Path) -> Path:
    cfg = library / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + PEOPLE, encoding="utf-8")
    return library


def letter(root: Path, title: str = "反映噪音", day: int = 2) -> str:
    return cases.new(
        Workspace(root), "xinfang", title=title, sets=["petitioner=张三"], by="王敏",
        at=datetime(2026, 11, day, 9, 0),
    ).id  # fmt: skip


def test_validate_warns_about_roles_nobody_holds(office: Path) -> None:
    report = validate(Workspace(office))
    warned = [p.message for p in report.warnings if "held by nobody" in p.message]
    assert any("xinfang: role 复查机关" in m for m in warned)
    assert not report.errors


def test_validate_warns_about_a_listed_role_no_step_uses_and_nobody_holds(office: Path) -> None:
    """SPEC §9: "a process role nobody in people: holds", also one under roles: that no
    step names yet (it was left out: a SPEC review)."""
    path = office / "processes" / "xinfang.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nroles: [") + len("\nroles: [")
    path.write_text(text[:start] + "督查员, " + text[start:], encoding="utf-8")
    report = validate(Workspace(office))
    warned = [p.message for p in report.warnings if "held by nobody" in p.message]
    assert "xinfang: role 督查员 is held by nobody under people:" in warned
    assert not report.errors


def test_every_write_names_a_listed_person_who_holds_the_steps_role(office: Path) -> None:
    cid = letter(office)
    ledger = office / "ledger.xlsx"
    before = digest(ledger)
    code, _, err = cli(office, "advance", cid, "--step", "accept", "--at", "2026-11-02 10:00")
    assert code == 1 and "every write names who does it" in err
    # extend names its writer with --who (its --by is the duration): required too (QA)
    code, _, err = cli(office, "extend", cid, "--by", "5wd", "--reason", "需会商")
    assert code == 1 and "every write names who does it (add --who NAME" in err
    code, _, err = cli(
        office, "advance", cid, "--step", "accept", "--by", "王明", "--at", "2026-11-02 10:00"
    )
    assert code == 1 and "no such person" in err and "王敏" in err  # the nearest name
    code, _, err = cli(
        office, "advance", cid, "--step", "accept", "--by", "李强", "--at", "2026-11-02 10:00"
    )
    assert code == 1 and "李强 does not hold the role 登记员" in err and "who may: 王敏" in err
    assert digest(ledger) == before
    moved = advance1(Workspace(office), cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    assert moved.case.assignee is None  # two people hold 信访部门: the case waits for both


def test_entering_a_step_sets_the_assignee_and_assign_hands_it_over(office: Path) -> None:
    cid = letter(office)
    ws = Workspace(office)
    moved = advance1(
        ws, cid, step="accept", by="王敏", assign="赵刚", at=datetime(2026, 11, 2, 10, 0)
    )
    assert moved.case.assignee == "赵刚"
    moved = advance1(
        ws, cid, step="assign", by="赵刚", sets=["accepted=是"], at=datetime(2026, 11, 3, 9, 0)
    )
    assert moved.case.assignee is None  # 信访部门 has two holders
    done = cases.assign(ws, cid, "李强", by="赵刚", note="请主任签发", at=datetime(2026, 11, 3, 10))
    assert done.changes == [("承办人", None, "李强")]
    hist = cases.show(ws, cid).history or []
    assert (hist[-1].action, hist[-1].old, hist[-1].new) == ("assign", None, "李强")
    moved = advance1(ws, cid, step="handle", by="李强", at=datetime(2026, 11, 4, 9, 0))
    assert moved.case.assignee == "某区城管局"  # the one holder of 承办单位
    code, _, err = cli(office, "assign", cid, "没有这个人", "--by", "李强")
    assert code == 1 and "no such person" in err


def test_todo_lists_a_persons_desk_most_urgent_first(office: Path) -> None:
    ws = Workspace(office)
    early, late, other = letter(office, "一", 2), letter(office, "二", 3), letter(office, "三", 3)
    advance1(ws, early, step="accept", by="王敏", assign="赵刚", at=datetime(2026, 11, 3, 9))
    advance1(ws, late, step="accept", by="王敏", at=datetime(2026, 11, 4, 9))
    as_of = datetime(2026, 11, 19, 9, 0)
    mine = todo(ws, who="赵刚", as_of=as_of)
    assert [(i.case.id, i.why) for i in mine] == [
        (early, "承办人"),  # due 11-17: overdue
        (late, "岗位（信访部门）"),  # no assignee: waits for every holder; due 11-18
    ]
    assert mine[0].level == "overdue" and mine[0].left == "逾期 2 天"
    assert [i.case.id for i in todo(ws, who="王敏", as_of=as_of)] == [other]  # still at 登记
    assert {i.case.id for i in todo(ws, dept="办公室", as_of=as_of)} == {late, other}
    done = todo(ws, who="王敏", done=True, as_of=as_of)
    assert {i.case.id for i in done} == {early, late, other}
    # 王敏 moved `early` (handing it to 赵刚 with the move): 已办 says 流转, not 转办
    assert {i.case.id: i.why for i in done}[early] == "流转"
    from procdoc.cli import _change_text  # show's 变化 column

    assert _change_text("承办人", "王敏", None) == "承办人：王敏 → （空）"  # cleared, said so
    assert _change_text("流转", None, None) == "流转"  # a withdrawal names the move it undid
    code, out, _ = cli(
        office, "todo", "--who", "赵刚", "--as-of", "2026-11-19 09:00", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data[0]["id"] == early and data[0]["level"] == "overdue"
    assert data[0]["late_days"] == 2
    code, out, _ = cli(office, "todo", "--who", "赵刚", "--as-of", "2026-11-19", "--format", "csv")
    assert out.startswith("\ufeff编号,流程,标题,当前环节,待办原因,等级,环节期限,剩余")
    code, out, _ = cli(office, "list", "--assignee", "赵刚", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [early]
    code, out, _ = cli(
        office, "overdue", "--dept", "信访科", "--as-of", "2026-11-19", "--format", "json"
    )
    # 赵刚's own case, and the one waiting for every holder of his role (as todo --dept)
    assert [c["id"] for c in json.loads(out)] == [early, late]


def test_set_corrects_without_moving_one_row_per_value(office: Path) -> None:
    cid = letter(office)
    ws = Workspace(office)
    done = cases.set_fields(
        ws, cid, sets=["phone=02087654321", "title=反映夜间噪音"], by="王敏",
        at=datetime(2026, 11, 2, 11, 0),
    )  # fmt: skip
    assert done.changes == [("联系电话", None, "02087654321"), ("标题", "反映噪音", "反映夜间噪音")]
    shown = cases.show(ws, cid)
    assert shown.step is not None and shown.step.id == "register" and shown.title == "反映夜间噪音"
    sets = [(h.subject, h.old, h.new) for h in shown.history or [] if h.action == "set"]
    assert sets == [("联系电话", None, "02087654321"), ("标题", "反映噪音", "反映夜间噪音")]
    before = digest(office / "ledger.xlsx")
    for args, message in (
        (["--set", "nosuch=1"], "has no field 'nosuch'"),
        (["--set", "received=下周"], "is not a date"),
        (["--set", "channel=传真"], "is not one of 来信, 来访, 电话, 网络"),
    ):
        code, _, err = cli(office, "set", cid, *args, "--by", "王敏")
        assert code == 1 and message in err, args
    assert digest(office / "ledger.xlsx") == before


def test_cancel_closes_as_cancelled_out_of_every_overdue_list(office: Path) -> None:
    cid = letter(office)
    ws = Workspace(office)
    cases.cancel(ws, cid, reason="信访人撤回", by="王敏", at=datetime(2026, 11, 2, 12, 0))
    shown = cases.show(ws, cid)
    assert shown.status == "cancelled" and shown.due is None
    assert overdue(ws, as_of=datetime(2026, 12, 30)) == []
    code, out, _ = cli(office, "list", "--status", "已撤销", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [cid]
    code, _, err = cli(office, "cancel", cid, "--reason", "again", "--by", "王敏")
    assert code == 1 and "is cancelled" in err


def test_withdraw_takes_back_ones_own_last_move_only(office: Path) -> None:
    cid = letter(office)
    ws = Workspace(office)
    holder = cases.show(ws, cid).assignee
    moved = advance1(ws, cid, step="accept", by="王敏", assign="赵刚", at=datetime(2026, 11, 2, 10))
    assert moved.case.assignee == "赵刚" and holder != "赵刚"
    before = digest(office / "ledger.xlsx")
    code, _, err = cli(office, "withdraw", cid, "--by", "李强", "--at", "2026-11-02 11:00")
    assert code == 1 and "the last move was made by 王敏" in err
    assert digest(office / "ledger.xlsx") == before
    back = cases.withdraw(ws, cid, by="王敏", at=datetime(2026, 11, 2, 11, 0))
    assert back.case.step is not None and back.case.step.id == "register"
    assert back.case.due == date(2026, 11, 3)  # the deadline it had at 登记
    assert back.case.assignee == holder  # the move's 转办 is taken back with it
    assert cases.show(ws, cid).assignee == holder
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 12, 0))
    cases.set_fields(ws, cid, sets=["phone=123"], by="李强", at=datetime(2026, 11, 2, 13, 0))
    with pytest.raises(CaseError, match=r"last event is not a move \(.* at 2026-11-02 13:00\)"):
        cases.withdraw(ws, cid, by="王敏", at=datetime(2026, 11, 2, 14, 0))


def test_a_history_sorted_newest_first_in_excel_still_reads_oldest_first(office: Path) -> None:
    """An office that sorts 流转记录 newest first in Excel (a stable sort: one command's
    rows keep their order) does not change what procdoc reads: `show` lists the history
    oldest first, and `withdraw` finds the last move and who made it (QA: it named the
    wrong event)."""
    cid = letter(office)
    ws = Workspace(office)
    advance1(ws, cid, step="accept", by="王敏", assign="赵刚", at=datetime(2026, 11, 2, 10))
    expected = [(h.action, h.at) for h in cases.show(ws, cid).history or []]
    ledger = office / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    sheet = book["流转记录"]
    header = [c.value for c in sheet[1]]
    when = header.index("时间")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    # Excel's 降序 by 时间: newest first, rows of one moment keeping their order (stable)
    order = sorted(range(len(rows)), key=lambda i: (rows[i][when], -i), reverse=True)
    rows = [rows[i] for i in order]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(row=r, column=c).value = value
    book.save(ledger)
    ws = Workspace(office)
    assert [(h.action, h.at) for h in cases.show(ws, cid).history or []] == expected
    with pytest.raises(CaseError, match="the last move was made by 王敏, not 李强"):
        cases.withdraw(ws, cid, by="李强", at=datetime(2026, 11, 2, 11))
    back = cases.withdraw(ws, cid, by="王敏", at=datetime(2026, 11, 2, 11))
    assert back.case.step is not None and back.case.step.id == "register"


def test_a_withdrawn_move_is_no_stay_in_the_case_s_history(office: Path) -> None:
    """Statistics, 抽查 and the daily report as of a past day read a case's stays from
    流转记录: a move taken back is not a stay at the step it reached, and the stay it
    ended goes on with its own entry and deadline (not a second, fresh one)."""
    cid = letter(office)
    ws = Workspace(office)
    first = cases.show(ws, cid)
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    cases.withdraw(ws, cid, by="王敏", at=datetime(2026, 11, 2, 10, 30))
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 3, 16))
    book, engine = ws.casebook(history=True), ws.engine()
    case = book.case(cid)
    stays = [
        (v.step.id, v.entered, v.left, v.due, v.how)
        for v in engine.visits(case, book.history(case))
    ]
    assert stays[0] == ("register", first.entered, datetime(2026, 11, 3, 16), first.due, "advance")
    assert [s[0] for s in stays] == ["register", "accept"] and stays[1][4] == "open"
    then = engine.as_of(case, book.history(case), datetime(2026, 11, 2, 11))
    assert then is not None and then.step is not None and then.step.id == "register"
    assert (then.entered, then.due) == (first.entered, first.due)


def test_a_withdrawn_move_counts_no_entry_for_the_deadlines_counted_from_a_step(
    office: Path,
) -> None:
    """QA: the 60 days of 办理 count from 受理; a withdrawal back to 受理 counted as entering
    it again (7 days more), a second withdrawal put 环节开始 at the first withdrawal's time,
    and a 办结期限 counted by a withdrawn move stayed (and was not counted again when the
    case entered 受理 for real)."""
    cid = letter(office)
    ws = Workspace(office)
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    assert cases.show(ws, cid).case_due == date(2027, 1, 1)
    advance1(ws, cid, step="assign", by="李强", sets=["accepted=是"], at=datetime(2026, 11, 9, 10))
    cases.withdraw(ws, cid, by="李强", at=datetime(2026, 11, 9, 10, 30))
    advance1(ws, cid, step="assign", by="李强", sets=["accepted=是"], at=datetime(2026, 11, 10, 10))
    cases.withdraw(ws, cid, by="李强", at=datetime(2026, 11, 10, 10, 30))
    assert cases.show(ws, cid).entered == datetime(2026, 11, 2, 10)  # not the first withdrawal
    advance1(ws, cid, step="assign", by="李强", sets=["accepted=是"], at=datetime(2026, 11, 10, 11))
    moved = advance1(ws, cid, step="handle", by="李强", at=datetime(2026, 11, 10, 12))
    assert moved.case.due == date(2027, 1, 1) == moved.case.case_due  # 60日 from 11-02

    other = letter(office, title="反映路灯不亮")
    advance1(ws, other, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    cases.withdraw(ws, other, by="王敏", at=datetime(2026, 11, 4, 9))
    assert cases.show(ws, other).case_due is None  # counted by the move: taken back with it
    advance1(ws, other, step="accept", by="王敏", at=datetime(2026, 11, 4, 10))
    assert cases.show(ws, other).case_due == date(2027, 1, 4)  # 60日 from 11-04
    advance1(
        ws, other, step="assign", by="李强", sets=["accepted=是"], at=datetime(2026, 11, 6, 10)
    )
    moved = advance1(ws, other, step="handle", by="李强", at=datetime(2026, 11, 6, 11))
    assert moved.case.due == moved.case.case_due == date(2027, 1, 4)


def test_a_withdrawn_return_is_no_return_in_the_statistics(office: Path) -> None:
    cid = letter(office)
    ws = Workspace(office)
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    advance1(ws, cid, step="assign", by="李强", sets=["accepted=是"], at=datetime(2026, 11, 3, 10))
    advance1(ws, cid, step="handle", by="李强", at=datetime(2026, 11, 3, 11))
    advance1(ws, cid, step="accept", by="某区城管局", at=datetime(2026, 11, 4, 11))  # 退回
    cases.withdraw(ws, cid, by="某区城管局", at=datetime(2026, 11, 4, 11, 30))
    code, out, err = cli(office, "report", "stats", "--from", "2026-11-01", "--to", "2026-11-30",
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    group = json.loads(out)["groups"][0]
    assert group["returns"] == 0 and group["return_rate"] == 0


def test_withdraw_without_by_names_who_made_the_move(library: Path) -> None:
    """QA: without `people:` and without --by, the refusal read 'made by 王敏, not nobody
    named' (and kept 'nobody named' in English in the Chinese message)."""
    cid = letter(library)
    advance1(Workspace(library), cid, step="accept", by="王敏", at=datetime(2026, 11, 3, 9))
    before = digest(library / "ledger.xlsx")
    code, _, err = cli(library, "withdraw", cid, "--at", "2026-11-03 09:10")
    assert code == 1 and "the last move was made by 王敏: say who withdraws it with --by" in err
    assert "add --by 王敏" in err and "nobody" not in err
    assert digest(library / "ledger.xlsx") == before


def test_withdraw_after_moves_in_one_minute_takes_back_the_last_only(office: Path) -> None:
    """Moves by one person given the same --at share a moment in 流转记录: withdraw takes
    back the last of them (it took the case back to before the first: a SPEC review)."""
    cid = letter(office)
    ws = Workspace(office)
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    at = datetime(2026, 11, 3, 10)
    advance1(ws, cid, step="assign", by="李强", sets=["accepted=是"], assign="赵刚", at=at)
    advance1(ws, cid, step="handle", by="李强", assign="某区城管局", at=at)
    back = cases.withdraw(ws, cid, by="李强", at=datetime(2026, 11, 3, 11))
    assert back.case.step is not None and back.case.step.id == "assign"
    assert back.case.assignee == "赵刚"  # the last move's 转办 only is taken back
    assert back.case.fields["accepted"] == "是"  # set with the move before: kept
    with pytest.raises(CaseError, match="last event is not a move"):  # one move back only
        cases.withdraw(ws, cid, by="李强", at=datetime(2026, 11, 3, 12))


#: An office for 报销's 财务会签 (signers 财务 and 部门负责人; 财务 held by two people).
SIGNERS = """
people:
  张三: {dept: 综合科, roles: [申请人]}
  李四: {dept: 综合科, roles: [部门负责人]}
  王五: {dept: 财务科, roles: [财务]}
  钱六: {dept: 财务科, roles: [财务]}
"""


def signed_for_finance(library: Path) -> tuple[Workspace, str]:
    """A 报销 case at 财务会签, signed by 王五 for 财务 (部门负责人 still to sign)."""
    cfg = library / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + SIGNERS, encoding="utf-8")
    ws = Workspace(library)
    cid = cases.new(
        ws, "baoxiao", title="差旅", sets=["applicant=张三", "amount=100"], by="张三",
        at=datetime(2026, 11, 2, 9),
    ).id  # fmt: skip
    advance1(ws, cid, step="dept_review", by="张三", at=datetime(2026, 11, 2, 10))
    advance1(ws, cid, step="countersign", by="李四", at=datetime(2026, 11, 2, 11))
    advance1(ws, cid, step="pay", by="王五", at=datetime(2026, 11, 3, 9))
    return ws, cid


def test_withdrawing_a_signature_says_the_case_stays_where_it_is(library: Path) -> None:
    """QA: a signature taken back read 'withdrawn, back at 财务会签', as if the case had
    moved; it never left the step."""
    _ws, cid = signed_for_finance(library)
    code, out, err = cli(library, "withdraw", cid, "--by", "王五", "--at", "2026-11-03 10:00")
    assert code == 0, err
    assert out.strip().startswith(f"{cid}: the signature of 财务 withdrawn, still at 财务会签")
    assert "awaiting" in out and "财务" in out.split("awaiting")[1]
    shown = cli(library, "show", cid)[1]
    assert "收回会签：" in shown  # the 撤回 row says what it took back (财务 wraps at 80)


def test_withdrawing_the_last_countersign_leaves_it_on_the_withdrawn_signers_desk_only(
    library: Path,
) -> None:
    """王五 signs for 财务, 李四's signature moves the case on, 李四 withdraws: the case is
    back at 财务会签 waiting for 李四 alone, as withdraw, show and todo all say (todo put
    it back on the desks of 财务 too, their signature lost: QA)."""
    ws, cid = signed_for_finance(library)
    advance1(ws, cid, step="pay", by="李四", at=datetime(2026, 11, 3, 10))
    code, out, err = cli(library, "withdraw", cid, "--by", "李四", "--at", "2026-11-03 11:00")
    assert code == 0, err
    assert out.strip() == f"{cid}: withdrawn, back at 财务会签, due 2026-11-04; awaiting 部门负责人"
    shown = json.loads(cli(library, "show", cid, "--format", "json")[1])
    assert shown["step"] == "countersign" and shown["assignee"] is None
    assert [(h["action"], h.get("subject")) for h in shown["history"][-2:]] == [
        ("withdraw", "流转"),
        ("withdraw", "部门负责人"),
    ]
    as_of = datetime(2026, 11, 3, 12)
    assert [(i.case.id, i.why) for i in todo(ws, who="李四", as_of=as_of)] == [
        (cid, "会签（部门负责人）")
    ]
    assert todo(ws, who="王五", as_of=as_of) == todo(ws, who="钱六", as_of=as_of) == []
    code, _, err = cli(library, "advance", cid, "--step", "pay", "--by", "钱六")
    assert code == 1 and "财务 has already signed at 财务会签; awaiting 部门负责人" in err


def test_a_desk_of_a_moment_past_has_the_countersigns_not_yet_signed_then(library: Path) -> None:
    """`todo --as-of` a moment past: a countersign signed since, or a case closed since,
    is on the desks of those who had not signed by then (it read today's signatures: the
    case was on no signer's desk of the past once it closed: QA)."""
    ws, cid = signed_for_finance(library)  # 王五 signed for 财务 on 11-03 09:00
    before = datetime(2026, 11, 2, 12)
    assert [i.case.id for i in todo(ws, who="钱六", as_of=before)] == [cid]
    assert [i.why for i in todo(ws, who="李四", as_of=before)] == ["会签（部门负责人）"]
    advance1(ws, cid, step="pay", by="李四", at=datetime(2026, 11, 3, 10))  # on to 支付
    ws = Workspace(library)
    assert [i.why for i in todo(ws, who="王五", as_of=before)] == ["会签（财务）"]
    assert [i.why for i in todo(ws, who="李四", as_of=datetime(2026, 11, 3, 9, 30))] == [
        "会签（部门负责人）"
    ]
    assert todo(ws, who="王五", as_of=datetime(2026, 11, 3, 9, 30)) == []


def test_advance_moves_several_cases_all_or_none(office: Path) -> None:
    one, two = letter(office, "一"), letter(office, "二")
    ws = Workspace(office)
    advance1(ws, two, step="accept", by="王敏", at=datetime(2026, 11, 2, 10, 0))
    before = digest(office / "ledger.xlsx")
    code, _, err = cli(
        office, "advance", one, two, "--step", "accept", "--by", "王敏", "--at", "2026-11-02 11:00"
    )
    assert code == 1 and two in err and "nothing was moved" in err
    assert digest(office / "ledger.xlsx") == before
    three = letter(office, "三")
    code, out, _ = cli(
        office,
        "advance",
        one,
        three,
        "--step",
        "accept",
        "--by",
        "王敏",
        "--at",
        "2026-11-02 11:00",
    )
    assert code == 0 and out.count("moved 受理审查") == 2


def test_undo_puts_back_the_last_write_and_refuses_after_a_foreign_save(mini: Path) -> None:
    """`procdoc undo` (SPEC §3): the version before procdoc's last write comes back, the
    undo is one 撤销写入 row in 流转记录 on the clock of the workspace, a second undo puts
    back what the first undid; after someone else saved the ledger it refuses, names the
    sheet that changed, and writes nothing."""
    ws = Workspace(mini)
    case = cases.new(ws, "mini", title="甲", sets=["applicant=张三"], at=datetime(2026, 11, 2, 9))
    advance1(ws, case.id, step="review", at=datetime(2026, 11, 2, 10))
    ledger = mini / "ledger.xlsx"
    code, out, err = cli(mini, "undo", "--at", "2026-11-02 11:00")
    assert code == 0, err
    assert "put back as it was before procdoc's write of" in out
    shown = json.loads(cli(mini, "show", case.id, "--format", "json")[1])
    assert shown["step"] == "register"  # the advance is undone
    assert [h["action"] for h in shown["history"]] == ["new"]
    history = openpyxl.load_workbook(ledger)["流转记录"]
    last = [c.value for c in history[history.max_row]]
    assert "撤销写入" in last and datetime(2026, 11, 2, 11) in last
    code, _, err = cli(mini, "undo", "--at", "2026-11-02 11:05")
    assert code == 0, err
    assert json.loads(cli(mini, "show", case.id, "--format", "json")[1])["step"] == "review"
    wb = openpyxl.load_workbook(ledger)
    wb["测试流程"]["A30"] = "手填"
    wb.save(ledger)
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    code, _, err = cli(mini, "undo")
    assert code == 1
    assert "changed since procdoc's last write" in err and "测试流程" in err
    assert "nothing was undone" in err
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_dept_means_the_same_in_todo_list_and_overdue(office: Path) -> None:
    """A case waiting at a step whose role a 信访科 member holds (no assignee: two people
    hold the role) is the department's in `todo`, `list` and `overdue` alike."""
    cid = letter(office)
    ws = Workspace(office)
    moved = advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10, 0))
    assert moved.case.assignee is None  # 李强 and 赵刚 both hold 信访部门
    late = "2026-12-30"
    _, out, _ = cli(office, "todo", "--dept", "信访科", "--as-of", late, "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [cid]
    _, out, _ = cli(office, "list", "--dept", "信访科", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [cid]
    _, out, _ = cli(office, "overdue", "--dept", "信访科", "--as-of", late, "--format", "json")
    assert [f["id"] for f in json.loads(out)] == [cid]
    _, out, _ = cli(office, "overdue", "--dept", "承办单位", "--as-of", late, "--format", "json")
    assert json.loads(out) == []


def test_undo_names_only_the_sheets_the_write_changed(office: Path) -> None:
    ws = Workspace(office)
    cases.new(ws, "shouwen", title="来文", sets=["from_org=市政府办公室"], by="王敏",
              at=datetime(2026, 11, 2, 9))  # fmt: skip
    cid = letter(office)
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    code, out, err = cli(office, "undo", "--by", "王敏", "--at", "2026-11-02 11:00")
    assert code == 0, err
    named = out.rstrip().rsplit("(", 1)[1].rstrip(")").split(", ")
    assert sorted(named) == sorted(["信访事项办理", "流转记录"])  # not 收文办理


def test_correcting_the_date_a_deadline_counts_from_counts_it_again(office: Path) -> None:
    """受理审查 counts 15日 from [received, register]: setting 收到日期 right moves the
    running deadline, and the change says so in 流转记录 (it stayed, so a statutory 告知
    deadline could pass unnoticed: QA). A deadline counted from a step stays."""
    ws = Workspace(office)
    cid = cases.new(
        ws, "xinfang", title="反映噪音", sets=["petitioner=张三"], by="王敏",
        at=datetime(2026, 9, 30, 16, 0),
    ).id  # fmt: skip
    moved = advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 10, 8, 9, 0))
    assert moved.case.due == date(2026, 10, 15)  # 9-30 + 15日
    done = cases.set_fields(
        ws, cid, sets=["received=2026-09-28"], by="王敏", at=datetime(2026, 10, 8, 10, 0)
    )
    assert done.case.due == date(2026, 10, 13)  # 9-28 + 15日, a working day
    assert cases.show(ws, cid).due == date(2026, 10, 13)
    rows = [(h.action, h.subject, h.old, h.new) for h in cases.show(ws, cid).history or []]
    assert ("set", "环节期限", date(2026, 10, 15), date(2026, 10, 13)) in rows
    code, out, _err = cli(office, "overdue", "--as-of", "2026-10-14", "--format", "json")
    assert code == 0 and cid in out


def test_a_case_is_handed_only_to_a_holder_of_its_steps_role(office: Path) -> None:
    """`--assign` and `assign` to someone who does not hold the step's role: that person
    could not move it, and the case left the desks of those who can (QA). Refused, naming
    who may; nothing written."""
    cid = letter(office)
    ledger = office / "ledger.xlsx"
    before = digest(ledger)
    code, _out, err = cli(
        office, "advance", cid, "--step", "accept", "--by", "王敏", "--assign", "王敏"
    )
    assert code == 1 and "王敏 does not hold the role 信访部门 of step 受理审查" in err
    assert "李强, 赵刚" in err
    assert digest(ledger) == before
    advance1(Workspace(office), cid, step="accept", by="王敏", at=datetime(2026, 11, 2, 10))
    before = digest(ledger)
    code, _out, err = cli(office, "assign", cid, "某区城管局", "--by", "李强")
    assert code == 1 and "某区城管局 does not hold the role 信访部门" in err
    assert digest(ledger) == before
    code, _out, err = cli(office, "assign", cid, "赵刚", "--by", "李强")
    assert code == 0, err


def test_an_extension_after_a_return_extends_the_case_deadline_too(office: Path) -> None:
    """信访 办理 and the 办结期限 count 60日 from 受理. After a 退回 to 受理审查 the step's
    deadline counts from the latest entry, the 办结期限 from the first; an extension of 办理
    left the 办结期限 where it was, and `overdue` called the extended case late (QA)."""
    ws = Workspace(office)
    cid = cases.new(
        ws, "xinfang", title="反映噪音", sets=["petitioner=张三", "received=2026-10-09"],
        by="王敏", at=datetime(2026, 10, 9, 9, 0),
    ).id  # fmt: skip
    moves = [
        ("accept", "王敏", datetime(2026, 10, 10, 9), ["accepted=是"]),
        ("assign", "李强", datetime(2026, 10, 12, 9), []),
        ("handle", "李强", datetime(2026, 10, 13, 9), []),
        ("accept", "某区城管局", datetime(2026, 10, 20, 9), []),  # 退回
        ("assign", "李强", datetime(2026, 10, 20, 10), []),
        ("handle", "李强", datetime(2026, 10, 21, 9), []),
    ]
    for step, by, at, sets in moves:
        advance1(ws, cid, step=step, by=by, at=at, sets=sets)
    before = cases.show(ws, cid)
    assert before.case_due == date(2026, 12, 9)  # 10-10 + 60日
    done = cases.extend(
        ws, cid, by="30d", reason="情况复杂", who="李强", at=datetime(2026, 11, 20, 9)
    )
    assert done.case.case_due is not None and done.case.case_due > date(2026, 12, 9)
    code, out, _err = cli(office, "overdue", "--as-of", "2026-12-15", "--format", "json")
    assert code == 0 and cid not in out


def test_a_total_row_typed_in_the_id_column_is_no_case(office: Path) -> None:
    """An office ends its register with 合计 in the 编号 column and a formula beside it:
    that row is no case for `list`, `check` or the counts (QA: it became an open case
    named 合计, and `check` asked for its 来文单位)."""
    first, second = letter(office), letter(office, title="反映停车", day=3)
    ledger = office / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    sheet = book[Workspace(office).layout.register_of(Workspace(office).process("xinfang")).sheet]
    last = sheet.max_row + 1
    sheet.cell(row=last, column=1, value="合计")
    sheet.cell(row=last, column=2, value=f'=COUNTA(A2:A{last - 1})&"件"')
    book.save(ledger)
    code, out, err = cli(office, "list", "--format", "json")
    assert code == 0, err
    assert sorted(c["id"] for c in json.loads(out)) == sorted([first, second])
    code, out, _err = cli(office, "check")
    assert "合计" not in out


def test_a_day_past_names_the_assignee_of_that_day(office: Path) -> None:
    """`overdue`/`report daily` of a moment past read a case as it stood then: its 承办人
    too, not the one given since (QA: the 10-09 report named the 承办人 of 10-12)."""
    from procdoc.casebook import open_rows
    from procdoc.commands.reports import stood_at

    cid = letter(office)
    ws = Workspace(office)
    holder = cases.show(ws, cid).assignee
    advance1(ws, cid, step="accept", by="王敏", assign="赵刚", at=datetime(2026, 11, 3, 10))
    assert cases.show(Workspace(office), cid).assignee == "赵刚"
    ws = Workspace(office)
    [then] = [c for c in stood_at(ws, datetime(2026, 11, 2, 17), open_rows) if c.id == cid]
    assert then.step is not None and then.step.id == "register" and then.assignee == holder
    [now] = [c for c in stood_at(ws, datetime(2026, 11, 3, 17), open_rows) if c.id == cid]
    assert now.assignee == "赵刚"


def test_a_case_of_someone_who_left_is_on_the_desks_of_the_steps_role(office: Path) -> None:
    """A 承办人 taken off people: (left the office) leaves an open case on nobody's desk:
    the holders of its step's role see it, `list --assignee` still finds it by the name in
    the ledger, and `check` says so with the cell (QA: the case was on no desk at all)."""
    from procdoc.commands.desk import todo

    cid = letter(office)
    advance1(
        Workspace(office),
        cid,
        step="accept",
        by="王敏",
        assign="赵刚",
        at=datetime(2026, 11, 3, 10),
    )
    cfg = office / "procdoc.yaml"
    cfg.write_text(
        "".join(line for line in cfg.read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith("  赵刚:")),
        encoding="utf-8",
    )  # fmt: skip
    ws = Workspace(office)
    step = cases.show(ws, cid).step
    assert step is not None and step.role == "信访部门"
    assert [(i.case.id, i.why) for i in todo(ws, who="李强")] == [(cid, "岗位（信访部门）")]
    assert todo(ws, who="王敏") == []
    code, out, err = cli(office, "list", "--assignee", "赵刚", "--format", "json")
    assert code == 0, err
    assert [c["id"] for c in json.loads(out)] == [cid]
    code, _out, err = cli(office, "list", "--assignee", "赵钢")
    assert code != 0 and "no such person" in err
    code, out, _err = cli(office, "check")
    assert code == 3 and "承办人 赵刚 is not under people:" in out
    assert f"procdoc assign {cid} NAME" in out


def test_a_moment_past_has_the_title_and_fields_of_then(office: Path) -> None:
    """`overdue`/`report daily` of a moment past read the title and fields as they stood
    then, from the old values of the corrections made since (they gave the title set two
    days later: QA)."""
    from procdoc.casebook import open_rows
    from procdoc.commands.reports import stood_at

    cid = letter(office, title="反映噪音")
    cases.set_fields(
        Workspace(office), cid, sets=["title=反映夜间施工噪音", "petitioner=李四"], by="王敏",
        at=datetime(2026, 11, 4, 9, 0),
    )  # fmt: skip
    [then] = [
        c for c in stood_at(Workspace(office), datetime(2026, 11, 3, 17), open_rows) if c.id == cid
    ]
    assert (then.title, then.fields["petitioner"]) == ("反映噪音", "张三")
    [now] = [
        c for c in stood_at(Workspace(office), datetime(2026, 11, 4, 17), open_rows) if c.id == cid
    ]
    assert (now.title, now.fields["petitioner"]) == ("反映夜间施工噪音", "李四")
