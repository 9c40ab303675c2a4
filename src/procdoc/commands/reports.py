"""Reports (SPEC §5 `overdue`, §8, §10): what is late, the daily report, statistics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from procdoc.calendar import Duration
from procdoc.commands.cases import Selection, select
from procdoc.errors import CalendarError, UsageError
from procdoc.model import Case
from procdoc.reports.daily import DailyReport, build_daily, write_daily
from procdoc.reports.overdue import Flag
from procdoc.reports.overdue import overdue as flag_cases
from procdoc.workspace import Workspace


def within_of(ws: Workspace, within: str | None) -> Duration:
    """``--within``, or `reminders: due_soon`."""
    if within is None:
        return ws.config.reminders.due_soon
    try:
        return Duration.parse(within)
    except CalendarError as err:
        raise UsageError(f"--within: {err.message}") from err


def overdue(
    ws: Workspace,
    *,
    as_of: datetime | None = None,
    within: str | None = None,
    sel: Selection | None = None,
) -> list[Flag]:
    """Open cases that are overdue, due today or due within the warning window (and those
    whose deadline cell cannot be read, as ``unknown``)."""
    window = within_of(ws, within)
    cases = select(ws, None, sel)
    return flag_cases(
        cases,
        as_of=as_of or ws.now(),
        within=window,
        cal=ws.calendar,
        reminders=ws.config.reminders,
    )


def cases_as_of(ws: Workspace, moment: datetime) -> list[Case]:
    """Every case as it stood at ``moment``: opened by then, with its step, status and
    deadline then (read back from 流转记录 when anything happened since)."""
    book = ws.casebook(history=True)
    cases = list(book.cases())
    ws.note_broken()
    if moment >= ws.now():
        return cases
    engine = ws.engine()
    out = []
    for case in cases:
        then = engine.as_of(case, book.history(case), moment)
        if then is not None:
            out.append(then)
    return out


def report_daily(
    ws: Workspace,
    *,
    as_of: datetime | None = None,
    out: Path | None = None,
    workdays_only: bool = False,
) -> DailyReport | None:
    """Write the daily report; None when ``workdays_only`` and the day is a day off."""
    moment = as_of or ws.now()
    if workdays_only and not ws.calendar.is_workday(moment.date()):
        return None
    cases = cases_as_of(ws, moment)
    rep = build_daily(
        cases,
        as_of=moment,
        within=within_of(ws, None),
        cal=ws.calendar,
        reminders=ws.config.reminders,
        missing=list(ws.blocking),
    )
    write_daily(
        rep, out or ws.config.output / "reports", office=ws.config.name, like=ws.config.ledger
    )
    return rep
