"""What a template sees for a case (SPEC §7).

:func:`context` is a pure function of what it is given: the case, its history, the
people of its step's role, the calendar, the document's date and the moment lateness
is measured at. It reads no ledger, clock or file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from procdoc.calendar import WorkCalendar, date_cn
from procdoc.layout import IMPORT_BY, STATUS_WORDS
from procdoc.process.graph import step_limit
from procdoc.process.model import Process

if TYPE_CHECKING:
    from procdoc.model import Case, HistoryEntry

CORE_DATES = ("opened", "entered", "due", "case_due", "closed", "updated")
CORE_TEXT = (
    "id",
    "title",
    "process",
    "process_id",
    "step",
    "step_id",
    "status",
    "assignee",
    "source",
    "ref",
    "office",
    "year",
)
#: The variables added for issue 17 (see templates/README.md for what each holds).
CORE_MORE = (
    "date",
    "date_cn",
    "history",
    "people",
    "extensions",
    "extended",
    "last_extension",
    "late_days",
    "late_workdays",
    "step_limit",
    "limits",
    "registered_by",
    "addressee",
    "source_org",
    "source_no",
)

#: The default addressee: the first filled field with one of these labels ...
ADDRESSEE_ORG_LABELS = ("主办单位", "承办单位", "承办部门")
#: ... followed by this person when filled; else the assignee, else NOBODY.
ADDRESSEE_PERSON_LABEL = "主办人"
NOBODY = "有关承办单位（人员）"
SOURCE_ORG_LABEL = "来文单位"
SOURCE_NO_LABEL = "来文字号"


def core_names() -> set[str]:
    """Every variable the context holds whatever the process."""
    return (
        set(CORE_TEXT)
        | set(CORE_DATES)
        | {f"{d}_cn" for d in CORE_DATES}
        | {"today", "today_cn"}
        | set(CORE_MORE)
    )


def names_for(process: Process) -> set[str]:
    names = core_names()
    for fid, fdef in process.fields.items():
        names |= {fid, fdef.label}
        if fdef.type in ("date", "datetime"):
            names |= {f"{fid}_cn", f"{fdef.label}_cn"}
    return names


def _show(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour, value.minute) != (0, 0)
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _cn(value: Any) -> str:
    return date_cn(value) if isinstance(value, date) else ""


def context(
    case: Case,
    *,
    office: str,
    today: date,
    doc_date: date | None = None,
    history: Sequence[HistoryEntry] = (),
    people: Sequence[str] = (),
    calendar: WorkCalendar | None = None,
    as_of: date | datetime | None = None,
) -> dict[str, Any]:
    """What a template sees for ``case`` (SPEC §7).

    Fields under id and label, the core columns, and: ``date`` (the document's date,
    ``doc_date``, default ``today``), ``history``, ``people`` (of the step's role),
    ``extensions``/``extended``/``last_extension``, ``late_days``/``late_workdays``
    (at ``as_of``, default the end of ``today``; working days on ``calendar``),
    ``step_limit``/``limits``, ``registered_by``, ``addressee``,
    ``source_org``/``source_no``. Every date also as NAME_cn. Empty values are ""
    (defined, so not an error); a field with the id of a core variable hides it.
    """
    process = case.process
    day = doc_date or today
    ctx: dict[str, Any] = {
        "id": case.id,
        "title": case.title,
        "process": process.name,
        "process_id": process.id,
        "step": case.step_name or "",
        "step_id": case.step.id if case.step else "",
        "status": STATUS_WORDS[case.status],
        "assignee": _show(case.assignee),
        "source": _show(case.source),
        "ref": _show(case.ref),
        "office": office,
        "year": day.year,
        "today": today.isoformat(),
        "today_cn": date_cn(today),
        "date": day.isoformat(),
        "date_cn": date_cn(day),
        "history": [_event(process, entry) for entry in history],
        "people": list(people),
        "step_limit": step_limit(process, case.step) if case.step else "",
        "limits": {step.id: step_limit(process, step) for step in process.steps},
        "registered_by": registered_by(process, history),
        "addressee": addressee(case),
        "source_org": _by_label(case, SOURCE_ORG_LABEL),
        "source_no": _by_label(case, SOURCE_NO_LABEL),
    }
    extensions = [_extension(process, entry) for entry in history if entry.action == "extend"]
    ctx["extensions"] = extensions
    ctx["extended"] = bool(extensions)
    ctx["last_extension"] = extensions[-1] if extensions else dict.fromkeys(_extension_keys(), "")
    moment = as_of if as_of is not None else today
    ctx["late_days"], ctx["late_workdays"] = lateness(case, moment, calendar or WorkCalendar())
    for name in CORE_DATES:
        value = getattr(case, name)
        ctx[name] = _show(value)
        ctx[f"{name}_cn"] = _cn(value)
    for fid, fdef in process.fields.items():
        value = case.fields.get(fid)
        shown = _show(value)
        ctx[fid] = shown
        ctx.setdefault(fdef.label, shown)
        if fdef.type in ("date", "datetime"):
            ctx[f"{fid}_cn"] = _cn(value)
            ctx.setdefault(f"{fdef.label}_cn", _cn(value))
    return ctx


def _step_name(process: Process, key: str | None) -> str:
    if not key:
        return ""
    step = process.find_step(key)
    return step.name if step else key


def _action_word(action: str) -> str:
    from procdoc.layout import ACTIONS

    return ACTIONS.get(action, action)


def _event(process: Process, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "at": _show(entry.at),
        "at_cn": _cn(entry.at),
        "action": _action_word(entry.action),
        "from": _step_name(process, entry.from_step),
        "to": _step_name(process, entry.to_step),
        "by": entry.by or "",
        "note": entry.note or "",
    }


def _extension_keys() -> tuple[str, ...]:
    return ("duration", "reason", "at_cn", "old_cn", "new_cn", "step", "step_id")


def _extension(process: Process, entry: HistoryEntry) -> dict[str, str]:
    """One 'extend' event: subject the duration, old/new the deadlines, note the reason,
    the step extended (its name and id). Ledgers written before events had a subject
    keep ``30日：reason`` in the note."""
    duration, reason = entry.subject or "", entry.note or ""
    if not duration and "：" in reason:
        duration, reason = reason.split("：", 1)
    if duration:
        from procdoc.calendar import Duration
        from procdoc.errors import CalendarError

        with contextlib.suppress(CalendarError):
            duration = Duration.parse(duration).label_cn()
    return {
        "duration": duration,
        "reason": reason.strip(),
        "at_cn": _cn(entry.at),
        "old_cn": _cn(entry.old),
        "new_cn": _cn(entry.new),
        "step": _step_name(process, entry.from_step),
        "step_id": step.id if (step := process.find_step(entry.from_step or "")) else "",
    }


def registered_by(process: Process, history: Sequence[HistoryEntry]) -> str:
    """Who opened or registered the case: the ``by`` of its 'new' or 'import' event, or
    of the first event entering the first step; "" when an import opened it (its 办理人
    names the export file, not a person: QA found 登记人 导入:泛微-收文-2026-10-09.xls)."""
    first = process.first_step.id if process.steps else None
    for entry in history:
        if entry.by and (entry.action in ("new", "import") or entry.to_step == first):
            return "" if entry.by.startswith(IMPORT_BY) else entry.by
    return ""


def addressee(case: Case) -> str:
    """To whom a notice about ``case`` goes.

    A process that lists ``addressee: [field, ...]`` gets those fields' filled values
    joined by a space. Otherwise: the first filled field labelled 主办单位, 承办单位 or
    承办部门, with 主办人 appended when filled; else the assignee; else 有关承办单位（人员）.
    """
    process = case.process
    if process.addressee:
        values = [str(_show(case.fields.get(fid))).strip() for fid in process.addressee]
        found = " ".join(v for v in values if v)
    else:
        orgs = (_by_label(case, label) for label in ADDRESSEE_ORG_LABELS)
        org = next((v for v in orgs if v), "")
        person = _by_label(case, ADDRESSEE_PERSON_LABEL)
        found = " ".join(v for v in (org, person) if v)
    return found or (case.assignee or "").strip() or NOBODY


def _by_label(case: Case, label: str) -> str:
    fdef = case.process.field_by_label(label)
    if fdef is None:
        return ""
    return str(_show(case.fields.get(fdef.id))).strip()


def lateness(case: Case, as_of: date | datetime, calendar: WorkCalendar) -> tuple[int, int]:
    """(calendar days, working days) the case is late at its current step at ``as_of``;
    (0, 0) when it is not late. A date ``as_of`` means the end of that day; a case late
    by less than a day is late by 1 day."""
    due = case.due
    if case.status == "closed" or due is None:
        return 0, 0
    moment = as_of if isinstance(as_of, datetime) else datetime.combine(as_of, time.max)
    if moment < WorkCalendar.due_moment(due):
        return 0, 0
    due_day = due.date() if isinstance(due, datetime) else due
    day = moment.date()
    return max(1, (day - due_day).days), calendar.workdays_after(due_day, day)
