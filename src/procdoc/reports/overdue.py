"""What is late and what is about to be (SPEC §5 `overdue`).

Levels follow DOMAIN.md's colour ladder, with the numbers as settings (`reminders:`):
``due_soon`` (蓝) when the deadline is within the warning window, ``due_today`` (黄) on the
day it falls due, ``overdue`` (红) after it. A case is also flagged for a 催办 once it is
``urge_after`` late and for escalation to the 分管领导 once ``escalate_after`` late. A case
whose deadline cell cannot be read is listed as ``unknown`` with the cell named, never
dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from procdoc.calendar import Due, Duration, WorkCalendar
from procdoc.model import iso

if TYPE_CHECKING:
    from procdoc.config import Reminders
    from procdoc.model import Case

Level = Literal["overdue", "due_today", "due_soon", "unknown"]
LEVEL_ORDER: dict[str, int] = {"overdue": 0, "due_today": 1, "due_soon": 2, "unknown": 3}
LEVEL_CN = {"overdue": "逾期", "due_today": "今日到期", "due_soon": "临期", "unknown": "无法判断"}
COLOUR_CN = {"overdue": "红", "due_today": "黄", "due_soon": "蓝", "unknown": ""}


@dataclass
class Flag:
    """One case on the overdue list."""

    case: Case
    level: Level
    deadline: Literal["step", "case"]  # which deadline put it here
    due: Due | None  # None for ``unknown``: the deadline cell cannot be read
    late_days: int
    late_workdays: int
    urge: bool = False
    escalate: bool = False

    def as_dict(self) -> dict[str, Any]:
        out = self.case.as_dict()
        out["level"] = self.level  # (a key at a time: 10,000 flags of a list)
        out["late_days"] = self.late_days
        out["late_workdays"] = self.late_workdays
        out["deadline"] = self.deadline
        out["deadline_due"] = iso(self.due)
        out["colour"] = COLOUR_CN[self.level]
        out["urge"] = self.urge
        out["escalate"] = self.escalate
        return out


def _due_date(due: Due) -> date:
    return due.date() if isinstance(due, datetime) else due


def _window_end(as_of: datetime, within: Duration, cal: WorkCalendar) -> datetime:
    if within.unit == "h":
        return as_of + timedelta(hours=within.amount)
    day = as_of.date()
    end = (
        cal.add_workdays(day, within.amount)
        if within.unit == "wd"
        else day + timedelta(days=within.amount)
    )
    return datetime(end.year, end.month, end.day) + timedelta(days=1)


def classify(due: Due, as_of: datetime, within: Duration, cal: WorkCalendar) -> Level | None:
    """The level of one deadline at ``as_of``, or None when it is not close."""
    today = as_of.date()
    if isinstance(due, datetime):
        if as_of > due:
            return "overdue"
        if due.date() == today:
            return "due_today"
        return "due_soon" if due <= _window_end(as_of, within, cal) else None
    if today > due:
        return "overdue"
    if today == due:
        return "due_today"
    return (
        "due_soon"
        if datetime(due.year, due.month, due.day) < _window_end(as_of, within, cal)
        else None
    )


_Reading = tuple["Level | None", int, int, bool, bool]
"""A deadline's level at a moment, its days and workdays late, whether to urge, to escalate."""


def flag_case(
    case: Case,
    as_of: datetime,
    within: Duration,
    cal: WorkCalendar,
    reminders: Reminders,
    memo: dict[Due, _Reading] | None = None,
) -> Flag | None:
    """The flag of ``case`` at ``as_of``, or None when no deadline of it is close.
    ``memo``: the reading of each deadline met before, kept by a caller that flags many
    cases (a register's cases share a few hundred deadlines)."""
    if case.status != "open":
        return None
    if "due" in case.unread and case.case_due is None:  # a deadline typed by hand, unreadable
        return Flag(case, "unknown", "step", None, 0, 0)
    best: Flag | None = None
    for which, due in (("step", case.due), ("case", case.case_due)):
        if due is None:
            continue
        reading = memo.get(due) if memo is not None else None
        if reading is None:
            reading = _reading(due, as_of, within, cal, reminders)
            if memo is not None:
                memo[due] = reading
        level, late_days, late_work, urge, escalate = reading
        if level is None:
            continue
        flag = Flag(case, level, which, due, late_days, late_work, urge, escalate)  # type: ignore[arg-type]
        if best is None or urgency(flag) < urgency(best):
            best = flag
    return best


def _reading(
    due: Due, as_of: datetime, within: Duration, cal: WorkCalendar, reminders: Reminders
) -> _Reading:
    level = classify(due, as_of, within, cal)
    if level != "overdue":
        return level, 0, 0, False, False
    due_day = _due_date(due)
    late_work = cal.workdays_after(due_day, as_of.date())
    return (
        level,
        max(0, (as_of.date() - due_day).days),
        late_work,
        late_work >= _workdays(reminders.urge_after),
        late_work >= _workdays(reminders.escalate_after),
    )


def _workdays(d: Duration) -> int:
    return (
        d.amount
        if d.unit == "wd"
        else max(1, d.amount * 5 // 7)
        if d.unit == "d"
        else max(1, d.amount // 24)
    )


def overdue(
    cases: Iterable[Case],
    *,
    as_of: datetime,
    within: Duration,
    cal: WorkCalendar,
    reminders: Reminders,
) -> list[Flag]:
    """Every open case that is overdue, due today or due within ``within``, grouped by
    process and sorted by lateness (most late first)."""
    memo: dict[Due, _Reading] = {}
    flags = [
        f for c in cases if (f := flag_case(c, as_of, within, cal, reminders, memo)) is not None
    ]
    flags.sort(key=lambda f: (f.case.process.name, *urgency(f)))
    return flags


def urgency(f: Flag) -> tuple[int, int, date, str]:
    """Most urgent first: level, then the most days late, then the earliest deadline."""
    return (
        LEVEL_ORDER[f.level],
        -f.late_days,
        _due_date(f.due) if f.due is not None else date.max,
        f.case.id,
    )


def _hours_text(hours: float, *, late: bool = False) -> str:
    """N 小时, or N 分钟 under an hour (QA: 10 minutes late read 逾期 0 小时); a late
    deadline is at least 1 分钟 late."""
    if hours >= 1:
        return f"{hours:.0f} 小时"
    minutes = round(hours * 60)
    return f"{max(minutes, 1) if late else minutes} 分钟"


def time_left(
    due: Due, cal: WorkCalendar, *, now: datetime | None = None, short: bool = False
) -> str:
    """A person's reading of a deadline: 剩余 5 天（3 个工作日）/ 今日到期 / 已逾期 2 天（2 个
    工作日）. ``short`` (a desk's column at 80 columns): 剩 3 个工作日 / 逾期 2 天."""
    moment = now or datetime.now()
    if isinstance(due, datetime):
        hours = (due - moment).total_seconds() / 3600
        if hours >= 0:
            return f"{'剩' if short else '剩余'} {_hours_text(hours)}"
        return f"{'逾期' if short else '已逾期'} {_hours_text(-hours, late=True)}"
    today = moment.date()
    if due == today:
        return "今日到期"
    if due < today:
        if short:
            return f"逾期 {(today - due).days} 天"
        return f"已逾期 {(today - due).days} 天（{cal.workdays_after(due, today)} 个工作日）"
    if short:
        return f"剩 {cal.workdays_after(today, due)} 个工作日"
    return f"剩余 {(due - today).days} 天（{cal.workdays_after(today, due)} 个工作日）"


def flag_row(f: Flag) -> list[Any]:
    c = f.case
    return [c.id, c.process.name, c.title, c.step_name, c.assignee, LEVEL_CN[f.level], "环节" if f.deadline == "step" else "办结",
            f.due, f.late_days, f.late_workdays, "是" if f.urge else "", "是" if f.escalate else ""]  # fmt: skip


FLAG_HEADER = [
    "编号",
    "流程",
    "标题",
    "当前环节",
    "承办人",
    "等级",
    "期限类型",
    "期限",
    "逾期天数",
    "逾期工作日",
    "需催办",
    "需上报",
]


def flag_view(flags: Iterable[Flag]) -> tuple[list[str], list[list[Any]]]:
    """The overdue list as a person reads it on a screen (one process at a time): fewer,
    merged columns than :data:`FLAG_HEADER`, so it fits 80 columns."""
    rows = []
    for f in flags:
        c = f.case
        remind = "上报" if f.escalate else "催办" if f.urge else ""  # 上报 follows 催办
        which = "" if f.deadline == "step" else "（办结）"
        rows.append(
            [
                c.id,
                c.title,
                c.step_name,
                c.assignee,
                LEVEL_CN[f.level] + which,
                f.due,
                str(f.late_days) if f.late_days else "",  # (text: a table of 10,000)
                str(f.late_workdays) if f.late_workdays else "",
                remind,
            ]
        )
    header = ["编号", "标题", "当前环节", "承办人", "等级", "期限", "逾期天数", "工作日", "提醒"]
    return header, rows
