"""What a template sees for a case (SPEC §7)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from procdoc.calendar import date_cn
from procdoc.layout import STATUS_WORDS
from procdoc.process.model import Process

if TYPE_CHECKING:
    from procdoc.model import Case

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


def core_names() -> set[str]:
    """Every variable the context holds whatever the process."""
    names = (
        set(CORE_TEXT) | set(CORE_DATES) | {f"{d}_cn" for d in CORE_DATES} | {"today", "today_cn"}
    )
    return names


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


def context(case: Case, *, office: str, today: date) -> dict[str, Any]:
    """What a template sees for ``case`` (SPEC §7): fields under id and label, the core
    columns, dates also as NAME_cn. Empty values are "" (defined, so not an error)."""
    ctx: dict[str, Any] = {
        "id": case.id,
        "title": case.title,
        "process": case.process.name,
        "process_id": case.process.id,
        "step": case.step_name or "",
        "step_id": case.step.id if case.step else "",
        "status": STATUS_WORDS[case.status],
        "assignee": _show(case.assignee),
        "source": _show(case.source),
        "ref": _show(case.ref),
        "office": office,
        "year": today.year,
        "today": today.isoformat(),
        "today_cn": date_cn(today),
    }
    for name in CORE_DATES:
        value = getattr(case, name)
        ctx[name] = _show(value)
        ctx[f"{name}_cn"] = _cn(value)
    for fid, fdef in case.process.fields.items():
        value = case.fields.get(fid)
        shown = _show(value)
        ctx[fid] = shown
        ctx.setdefault(fdef.label, shown)
        if fdef.type in ("date", "datetime"):
            ctx[f"{fid}_cn"] = _cn(value)
            ctx.setdefault(f"{fdef.label}_cn", _cn(value))
    return ctx
