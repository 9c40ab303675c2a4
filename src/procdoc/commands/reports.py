"""Reports (SPEC §5 `overdue`, §8, §10): what is late, the daily report, statistics."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from procdoc.calendar import Duration
from procdoc.commands.cases import Selection, select
from procdoc.errors import CalendarError, UsageError
from procdoc.i18n import _, name_list
from procdoc.model import Case
from procdoc.reports.overdue import Flag, classify
from procdoc.reports.overdue import overdue as flag_cases
from procdoc.workspace import Workspace

if TYPE_CHECKING:
    from procdoc.casebook import Casebook, RowFilter
    from procdoc.reports.daily import DailyReport
    from procdoc.reports.facts import CaseFacts
    from procdoc.reports.monthly import MonthlyReport
    from procdoc.reports.sample import SampleReport
    from procdoc.reports.stats import StatsReport


def within_of(ws: Workspace, within: str | None) -> Duration:
    """``--within``, or `reminders: due_soon`."""
    if within is None:
        return ws.config.reminders.due_soon
    try:
        return Duration.parse(within)
    except CalendarError as err:
        raise UsageError(_("--within: {message}").format(message=err.message)) from err


def overdue(
    ws: Workspace,
    *,
    as_of: datetime | None = None,
    within: str | None = None,
    sel: Selection | None = None,
) -> list[Flag]:
    """Open cases that are overdue, due today or due within the warning window (and those
    whose deadline cell cannot be read, as ``unknown``)."""
    from procdoc.casebook import due_rows

    window = within_of(ws, within)
    moment = as_of or ws.now()
    cal = ws.calendar
    # only the rows of open cases whose deadline is near, past or unreadable are built
    near = due_rows(lambda due: classify(due, moment, window, cal) is not None)
    if moment < ws.now():  # a moment past: the cases as they stood then (as `report daily`)
        cases = select(ws, stood_at(ws, moment, near), sel)
    else:
        cases = select(ws, None, sel, rows=near)
    return flag_cases(
        cases,
        as_of=moment,
        within=window,
        cal=ws.calendar,
        reminders=ws.config.reminders,
    )


def stood_at(
    ws: Workspace, moment: datetime, rows: RowFilter, book: Casebook | None = None
) -> list[Case]:
    """The cases as they stood at ``moment``, a moment past, among those ``rows`` keeps
    now and those changed since (更新时间 later than ``moment``): a case opened later is
    left out, one that moved, closed or was extended since is read back from 流转记录 as
    it was then (``Engine.as_of``); the others are as their rows say. So `overdue` and
    `todo` of a day past agree with `report daily` of that day (SPEC §8)."""
    from procdoc.casebook import any_of, changed_after

    book = book or ws.casebook()  # 流转记录 is read only if a case changed since
    engine = ws.engine()
    out = []
    for case in book.cases(any_of(rows, changed_after(moment))):
        changed = case.updated is not None and case.updated > moment
        if changed or (case.opened is not None and case.opened > moment):
            then = engine.as_of(case, book.history(case), moment)
            if then is None:
                continue
            case = then
        out.append(case)
    ws.note_broken()
    return out


def cases_as_of(ws: Workspace, moment: datetime) -> list[Case]:
    """The cases the daily report at ``moment`` looks at, as they stood then: the open
    ones, those opened or closed that day and those with a cell that cannot be read (the
    report lists them); the others are not built. For a moment past, those and the ones
    changed since, read back from 流转记录 as they were (:func:`stood_at`)."""
    from procdoc.casebook import any_of, dated_rows, open_rows

    book = ws.casebook(history=True)
    on_the_day = partial(operator.eq, moment.date())
    rows = any_of(
        open_rows,
        book.suspect_rows,
        dated_rows("opened", on_the_day),
        dated_rows("closed", on_the_day),
    )
    if moment < ws.now():
        return stood_at(ws, moment, rows, book)
    cases = list(book.cases(rows))
    ws.note_broken()
    return cases


def report_daily(
    ws: Workspace,
    *,
    as_of: datetime | None = None,
    out: Path | None = None,
    workdays_only: bool = False,
) -> DailyReport | None:
    """Write the daily report; None when ``workdays_only`` and the day is a day off.

    A ledger open in Excel, WPS or LibreOffice is read as last saved: the report is
    written all the same, saying so at its top, and the open ledger is noted for the CLI
    to report (exit 1, as a process file with errors is), so that the person the
    scheduler tells closes it before the day's writes are refused."""
    from procdoc.reports.daily import build_daily, write_daily

    moment = as_of or ws.now()
    if workdays_only and not ws.calendar.is_workday(moment.date()):
        return None
    held = _held_open(ws.config.ledger)
    cases = cases_as_of(ws, moment)
    rep = build_daily(
        cases,
        as_of=moment,
        within=within_of(ws, None),
        cal=ws.calendar,
        reminders=ws.config.reminders,
        missing=list(ws.blocking),
    )
    error = None
    if held is not None:
        user, app, owner = held
        rep.ledger_open = (
            f"{ws.config.ledger.name} 正由 {user} 在 {app} 中打开"
            "，本报告依据其最近一次保存的内容，未保存的修改未计入"
        )
        error = _(
            "{ledger} is open in {app} by {user} ({owner}): the report was written from its last saved version, without unsaved changes; close it there (if nobody has it open, delete {owner})"
        ).format(ledger=ws.rel(ws.config.ledger), app=app, user=user, owner=owner.name)
    folder = out or ws.config.output / "reports"
    write_daily(rep, folder, office=ws.config.name, like=ws.config.ledger)
    from procdoc.reports.brief import write_brief

    write_brief(rep, folder, office=ws.config.name, people=ws.config.people, like=ws.config.ledger)
    if error is not None:  # said once the report is written; the CLI exits 1 on it
        ws.blocking.append(error)
    return rep


def _held_open(ledger: Path) -> tuple[str, str, Path] | None:
    """(user, application, owner file) when the ledger is open in Excel/WPS (its ``~$``
    owner file) or LibreOffice (its lock file); None when it is not, or does not exist."""
    from procdoc.ledger import owner_of
    from procdoc.ledger.owners import excel_owner_file, libreoffice_lock_file

    if not ledger.exists():
        return None
    user = owner_of(ledger)
    if user is None:
        return None
    excel = excel_owner_file(ledger)
    if excel.exists():
        return user, "Excel/WPS", excel
    return user, "LibreOffice", libreoffice_lock_file(ledger)


# -- statistics, the monthly report, 抽查 (SPEC §10) ----------------------------------------


def period_facts(
    ws: Workspace, key: str, periods: Sequence[tuple[date, date]]
) -> tuple[Casebook, list[CaseFacts]]:
    """The facts (stays, returns, extensions, time to close) of every readable case whose
    ``key`` moment (``opened`` or ``closed``) may fall in one of ``periods``: the rows
    whose cell says it does not are never built (see :func:`~procdoc.casebook.dated_rows`),
    so a month's statistics cost the month's cases. Cases of process files with errors
    are noted for the CLI (SPEC §5)."""
    book, cases, facts_of = period_cases(ws, key, periods)
    return book, [facts_of(c) for c in cases]


def period_cases(
    ws: Workspace, key: str, periods: Sequence[tuple[date, date]]
) -> tuple[Casebook, list[Case], Callable[[Case], CaseFacts]]:
    """The cases :func:`period_facts` reads, and how to read the facts of one of them
    (its history): for a command that needs the facts of some of them only."""
    from procdoc.casebook import dated_rows
    from procdoc.reports.facts import case_facts

    book = ws.casebook(history=True)
    rows = dated_rows(key, lambda day: any(first <= day <= last for first, last in periods))
    cases = list(book.cases(rows))
    ws.note_broken()
    engine = ws.engine()
    people = ws.config.people
    return book, cases, partial(case_facts, book, engine, people=people)


def report_stats(
    ws: Workspace,
    *,
    start: date | None = None,
    end: date | None = None,
    by: str = "process",
    out: Path | None = None,
) -> StatsReport:
    """Statistics over the cases opened from ``start`` to ``end`` (default: this month),
    grouped ``by`` process, dept, assignee or step; also written as an .xlsx."""
    from procdoc.reports.numbers import check_numbers
    from procdoc.reports.stats import BY_CHOICES, build_stats, period_of, warn_unknown, write_stats

    if by not in BY_CHOICES:
        raise UsageError(
            _("--by must be one of {by_choices}, not '{by}'").format(
                by_choices=name_list(BY_CHOICES), by=by
            )
        )
    now = ws.now()
    first, last = period_of(start, end, now.date())
    book, facts = period_facts(ws, "opened", [(first, last)])
    numbers = check_numbers(book, ws.config.numbering, years=range(first.year, last.year + 1))
    rep = build_stats(
        facts, start=first, end=last, by=by, as_of=now, processes=ws.processes, numbers=numbers
    )
    rep.missing = list(ws.blocking)
    warn_unknown(rep.unknown)
    write_stats(
        rep, out or ws.config.output / "reports", office=ws.config.name, like=ws.config.ledger
    )
    return rep


def report_monthly(
    ws: Workspace, *, month: str | None = None, out: Path | None = None
) -> MonthlyReport:
    """The monthly report for ``month`` (YYYY-MM; default: the last complete month)
    beside the month before: a Word report and an .xlsx."""
    from procdoc.reports.monthly import MonthlyReport, month_before, parse_month, write_monthly
    from procdoc.reports.numbers import check_numbers
    from procdoc.reports.stats import build_stats, month_end, warn_unknown

    now = ws.now()
    first = parse_month(month, now.date())
    before = month_before(first)
    book, facts = period_facts(
        ws, "opened", [(first, month_end(first)), (before, month_end(before))]
    )
    numbers = check_numbers(book, ws.config.numbering, years=sorted({before.year, first.year}))
    current, previous = (
        build_stats(
            facts,
            start=start,
            end=month_end(start),
            by="process",
            as_of=now,
            processes=ws.processes,
            numbers=numbers,
        )
        for start in (first, before)
    )
    current.missing = previous.missing = list(ws.blocking)
    warn_unknown(current.unknown)
    rep = MonthlyReport(month=first, current=current, previous=previous)
    write_monthly(
        rep, out or ws.config.output / "reports", office=ws.config.name, like=ws.config.ledger
    )
    return rep


def sample(
    ws: Workspace,
    *,
    percent: float = 10,
    process: str | None = None,
    start: date | None = None,
    end: date | None = None,
    seed: int | None = None,
    out: Path | None = None,
) -> SampleReport:
    """抽查: draw ``percent`` % (rounded up) of the cases closed in the period (default:
    this month) at random, repeatably; also written as an .xlsx the auditor fills in."""
    from procdoc.reports.sample import draw, write_sample
    from procdoc.reports.stats import period_of

    first, last = period_of(start, end, ws.now().date())
    proc = ws.process(process).id if process else None
    _book, cases, facts_of = period_cases(ws, "closed", [(first, last)])
    rep = draw(cases, facts_of, start=first, end=last, percent=percent, seed=seed, process=proc)
    write_sample(
        rep, out or ws.config.output / "reports", office=ws.config.name, like=ws.config.ledger
    )
    return rep
