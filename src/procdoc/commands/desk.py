"""The desk (SPEC §9): each person's 待办 (what waits for them) and 已办 (what they did)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from procdoc.calendar import Due
from procdoc.commands.cases import dept_members, time_left, waits_for
from procdoc.commands.reports import stood_at, within_of
from procdoc.engine import WITH_THE_MOVE
from procdoc.errors import UsageError
from procdoc.i18n import _
from procdoc.layout import ACTIONS
from procdoc.model import Case, HistoryEntry
from procdoc.reports.overdue import LEVEL_ORDER, Flag, flag_case
from procdoc.workspace import Workspace

DONE_DAYS = 30


@dataclass
class TodoItem:
    """One case on a desk: why it waits there, how urgent it is."""

    case: Case
    why: str  # 承办人, 岗位 (role holder), 会签 (a signer not yet signed), or what was done
    flag: Flag | None = None  # overdue / due today / due soon, else None
    left: str = ""  # time left, in words
    at: datetime | None = None  # for 已办: when the person last acted

    @property
    def level(self) -> str | None:
        return self.flag.level if self.flag else None

    def as_dict(self) -> dict[str, Any]:
        out = self.case.as_dict()
        out.update(
            level=self.level,
            late_days=self.flag.late_days if self.flag else 0,
            late_workdays=self.flag.late_workdays if self.flag else 0,
            left=self.left,
            why=self.why,
        )
        if self.at is not None:
            out["acted"] = self.at.strftime("%Y-%m-%dT%H:%M")
        return out


def todo(
    ws: Workspace,
    *,
    who: str | None = None,
    dept: str | None = None,
    done: bool = False,
    as_of: datetime | None = None,
) -> list[TodoItem]:
    """The open cases waiting for ``who`` (or anyone of ``dept``; everyone when neither is
    given), most urgent first; with ``done``, the cases they acted on in the last 30 days."""
    engine = ws.engine()
    if who is not None:
        who = engine.person(who, "--who")
    members = dept_members(ws, dept) if dept else None
    if done and who is None and members is None:
        raise UsageError(_("--done lists what a person did: give --who NAME (or --dept DEPT)"))
    moment = as_of or ws.now()
    people = {who} if who else members
    from procdoc.casebook import open_rows

    book = ws.casebook(history=True)
    history = book.history
    if not done and moment < ws.now():  # a moment past: the cases as they stood then
        cases = stood_at(ws, moment, open_rows, book)

        def history(case: Case) -> list[HistoryEntry]:  # who had signed by then (QA)
            return [h for h in book.history(case) if h.at is None or h.at <= moment]
    else:
        cases = list(book.cases(None if done else open_rows))  # waiting: open cases only
        ws.note_broken()
    if done:
        return _done(cases, book, people or set(), moment)
    window = within_of(ws, None)
    items = []
    memo: dict[Any, Any] = {}  # (each deadline read once)
    for case in cases:
        if case.status != "open":
            continue
        why = waits_for(engine, case, people, history)
        if why is None:
            continue
        flag = flag_case(case, moment, window, ws.calendar, ws.config.reminders, memo)
        left = time_left(ws, case, now=moment, short=True)
        items.append(TodoItem(case, why, flag, left))
    items.sort(key=lambda i: _urgency(i.flag, i.case.due, i.case.id))
    return items


def _done(cases: list[Case], book: Any, people: set[str], moment: datetime) -> list[TodoItem]:
    since = moment - timedelta(days=DONE_DAYS)
    items = []
    for case in cases:
        acted = [
            h
            for h in book.history(case)
            if h.by in people and h.at is not None and since <= h.at <= moment
            and h.action != "render"
            and not (h.action == "assign" and h.note == WITH_THE_MOVE)  # part of a move
        ]  # fmt: skip
        if acted:
            last = acted[-1]
            items.append(TodoItem(case, ACTIONS.get(last.action, last.action), at=last.at))
    items.sort(key=lambda i: i.at or moment, reverse=True)
    return items


def _urgency(flag: Flag | None, due: Due | None, cid: str) -> tuple[int, int, str, str]:
    level = LEVEL_ORDER[flag.level] if flag else len(LEVEL_ORDER)
    late = -flag.late_days if flag else 0
    return (level, late, str(due) if due is not None else "9999", cid)
