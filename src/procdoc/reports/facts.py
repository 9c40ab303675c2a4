"""What the statistics, the 抽查 and the head's brief know about one case: when it was
opened and closed, its stays at each step read back from 流转记录 and whether each left
in time, its returns and extensions, its department (SPEC §8, §10).

Durations are counted as SPEC §4 counts deadlines: in working days, the start day not
counted (``WorkCalendar.workdays_after``). A date or time that cannot be read (a hand-typed
``9月10日`` in 登记时间), or one that would make a duration negative, makes that duration
unknown, with a message naming the cell; it is never guessed and never negative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from procdoc.i18n import _, name_list
from procdoc.ledger.cells import col_letters
from procdoc.values import text

if TYPE_CHECKING:
    from procdoc.calendar import WorkCalendar
    from procdoc.casebook import Casebook
    from procdoc.config import Person
    from procdoc.engine import Engine, Visit
    from procdoc.model import Case, HistoryEntry
    from procdoc.process.model import Step

#: Field labels that name a case's department when its assignee is not under `people:`.
DEPT_LABELS = ("承办单位", "承办部门", "主办单位", "承办科室")
NO_DEPT = "未指定"


def dept_of(case: Case, people: Mapping[str, Person]) -> str | None:
    """The case's 承办部门: its assignee's `dept` under `people:`, else a
    承办单位/承办部门/主办单位 field of the case, else the assignee."""
    return dept_for(case, people, case.assignee)


def dept_for(case: Case, people: Mapping[str, Person], who: str | None) -> str | None:
    """:func:`dept_of` with ``who`` as the case's 承办人 (whom it counts for)."""
    person = people.get(who or "")
    if person is not None and person.dept:
        return person.dept
    for label in DEPT_LABELS:
        for fdef in case.process.fields.values():
            if fdef.label == label and case.fields.get(fdef.id):
                return str(case.fields[fdef.id])
    return who


def handler_of(
    case: Case, stays: Sequence[Stay], history: Sequence[HistoryEntry], label: str
) -> str | None:
    """Whom a case counts for in the statistics and 抽查: its 承办人; for a case closed at
    a final step, the one who had it before it got there (the move into 归档 hands it to
    the 档案员, who did not handle the matter: QA found every closed case credited to
    the archivist). Read from the first change of 承办人 (``label``) after the row of the
    move into that step, where a move writes its 转办 (an `assign` in the same minute,
    before the move, is the handler's own)."""
    last = stays[-1] if stays else None
    if case.status != "closed" or last is None or not last.step.final:
        return case.assignee
    step = last.step.id
    into = next(
        (
            i
            for i in range(len(history) - 1, -1, -1)
            if history[i].to_step == step and history[i].from_step != step
        ),
        None,
    )
    if into is None:
        return case.assignee
    change = next((h for h in history[into + 1 :] if h.subject == label), None)
    return text(change.old) if change is not None else case.assignee


@dataclass
class Stay:
    """One stay at a step as the reports show it."""

    step: Step
    entered: datetime
    left: datetime | None
    due: date | datetime | None
    how: str  # how it left: advance, return, close, cancel, withdraw; open while there
    workdays: int | None  # working days at the step (start day not counted); None: unknown
    on_time: bool | None  # None: no deadline, or still there
    late: str = ""  # 超时 3 个工作日 / 超时 5 小时
    extended: bool = False  # its deadline was extended (the due includes it)

    @property
    def limited(self) -> bool:
        return self.due is not None


@dataclass
class CaseFacts:
    case: Case
    opened: datetime | None  # the register's 登记时间, else the first event's moment
    dept: str | None
    stays: list[Stay] = field(default_factory=list)
    assignee: str | None = None  # whom it counts for (see handler_of)
    returns: list[str] = field(default_factory=list)  # the step id each return left from
    extensions: list[str] = field(default_factory=list)  # the step id of each extension
    workdays: int | None = None  # to close; None when open, cancelled, untimed or unknown
    unknown: list[str] = field(default_factory=list)  # why a duration is unknown

    @property
    def status(self) -> str:
        return self.case.status

    @property
    def untimed(self) -> bool:
        """A closed case whose 流转记录 records no step before its final one: no history at
        all, or only the row that put it in the ledger already closed (an OA export's
        已完成 row, a register taken over as 已办结). Nothing tells how long it took or
        whether a deadline was kept (its 办结时间 is the moment it was entered), so it is
        left out of 用时 and 按时办结率, and the reports say how many were."""
        return self.case.status == "closed" and not any(not s.step.final for s in self.stays)

    @property
    def on_time(self) -> bool | None:
        """A closed case left every step by its deadline (extensions included); None
        when it is not closed or its history holds no step to judge by (``untimed``)."""
        if self.case.status != "closed" or self.untimed:
            return None
        return all(s.on_time is not False for s in self.stays)

    def on_time_at(self, step_id: str) -> bool | None:
        """Every stay at ``step_id`` left in time (None: the case is not closed)."""
        if self.case.status != "closed":
            return None
        return all(s.on_time is not False for s in self.stays if s.step.id == step_id)

    def missing_fields(self) -> list[str]:
        """The labels of required fields left empty."""
        return [
            fdef.label
            for fid, fdef in self.case.process.fields.items()
            if fdef.required and self.case.fields.get(fid) in (None, "")
        ]


def cell_of(book: Casebook, case: Case, key: str) -> str:
    """``sheet!A1`` of a core column of the case's row (for messages)."""
    reg = book.layout.register_of(case.process)
    sheet = book.snapshot.sheets.get(reg.sheet)
    col = sheet.column(reg.core[key]) if sheet is not None else None
    if col is None or case.row is None:
        return f"{reg.sheet}!row {case.row}"
    return f"{reg.sheet}!{col_letters(col)}{case.row}"


def case_facts(
    book: Casebook,
    engine: Engine,
    case: Case,
    *,
    people: Mapping[str, Person],
    history: Sequence[HistoryEntry] | None = None,
) -> CaseFacts:
    """The facts of one case, read from its row and its history."""
    from procdoc.engine import standing

    cal = engine.calendar
    hist = list(book.history(case) if history is None else history)
    labels = book.layout.register_of(case.process).core
    opened = case.opened if "opened" not in case.unread else None
    if opened is None:
        opened = next((h.at for h in hist if h.at is not None), None)
    facts = CaseFacts(case, opened, None)
    for visit in engine.visits(case, hist):
        facts.stays.append(_stay(visit, cal))
    facts.assignee = handler_of(case, facts.stays, hist, engine.config.labels["assignee"])
    facts.dept = dept_for(case, people, facts.assignee)
    for entry in standing(hist):  # a 退回 taken back by `withdraw` is no return
        if entry.action == "return" and entry.from_step:
            facts.returns.append(entry.from_step)
        elif entry.action == "extend":
            facts.extensions.append(entry.from_step or "")
    if case.status != "closed" or facts.untimed:
        return facts  # no time to close: open, or nothing recorded to count it from
    bad = [k for k in ("opened", "closed") if k in case.unread]
    if bad:
        cells = name_list(f"{labels[k]} {cell_of(book, case, k)}" for k in bad)
        facts.unknown.append(
            _("{id}: {cells} cannot be read as a date: its time to close is unknown").format(
                id=case.id, cells=cells
            )
        )
    elif case.opened is None or case.closed is None:
        empty = [labels[k] for k in ("opened", "closed") if getattr(case, k) is None]
        facts.unknown.append(
            _("{id}: {empty} empty ({cell_of}): its time to close is unknown").format(
                id=case.id,
                empty="、".join(empty),
                cell_of=cell_of(book, case, "opened" if case.opened is None else "closed"),
            )
        )
    elif case.closed < case.opened:
        facts.unknown.append(
            _(
                "{id}: {labels} {cell_of} ({closed:%Y-%m-%d %H:%M}) is before {labels2} {cell_of2} ({opened:%Y-%m-%d %H:%M}): its time to close is unknown"
            ).format(
                id=case.id,
                labels=labels["closed"],
                cell_of=cell_of(book, case, "closed"),
                closed=case.closed,
                labels2=labels["opened"],
                cell_of2=cell_of(book, case, "opened"),
                opened=case.opened,
            )
        )
    else:
        facts.workdays = cal.workdays_after(case.opened.date(), case.closed.date())
    return facts


def _stay(visit: Visit, cal: WorkCalendar) -> Stay:
    left = visit.left
    workdays = None
    if left is not None and left >= visit.entered:
        workdays = cal.workdays_after(visit.entered.date(), left.date())
    on_time = visit.on_time(cal) if visit.how != "cancel" else None
    stay = Stay(visit.step, visit.entered, left, visit.due, visit.how, workdays, on_time)
    stay.extended = bool(visit.extended)
    if on_time is False and left is not None and visit.due is not None:
        stay.late = late_text(visit.due, left, cal)
    return stay


def late_text(due: date | datetime, left: datetime, cal: WorkCalendar) -> str:
    """How late a step was left: 超时 N 个工作日 (a date deadline) or 超时 N 小时."""
    if isinstance(due, datetime):
        hours = (left - due) / timedelta(hours=1)
        return f"超时 {hours:.0f} 小时" if hours >= 1 else f"超时 {max(1, round(hours * 60))} 分钟"
    days = cal.workdays_after(due, left.date())
    return f"超时 {days} 个工作日" if days else f"超时 {(left.date() - due).days} 天"
