"""Cases (SPEC §5, §9): open, move, extend, correct, hand over, cancel, withdraw, show,
list. Each write is one call of the engine's rule inside one locked ledger write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from procdoc.calendar import Duration
from procdoc.errors import CalendarError, CaseError, ProcessError, UsageError
from procdoc.i18n import _, name_list
from procdoc.layout import STATUS_IDS
from procdoc.model import Case, HistoryEntry
from procdoc.workspace import Workspace

if TYPE_CHECKING:
    from procdoc.casebook import RowFilter
    from procdoc.engine import Correction, Engine, ExtendResult, MoveResult
    from procdoc.process.model import Process


def new(
    ws: Workspace,
    process: str,
    *,
    title: str,
    sets: Sequence[str] = (),
    by: str | None = None,
    assign: str | None = None,
    at: datetime | None = None,
) -> Case:
    """Open a case at the process's first step."""
    proc = ws.process(process)
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(
        lambda book, change: engine.new(
            book, change, proc, title=title, sets=sets, by=by, assign=assign, at=moment
        )
    )


def advance(
    ws: Workspace,
    case_ids: str | Sequence[str],
    *,
    step: str,
    by: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
    sets: Sequence[str] = (),
    assign: str | None = None,
) -> list[MoveResult]:
    """Move one or several cases in one write, all or none: the first refusal names its
    case and nothing is written."""
    ids = [case_ids] if isinstance(case_ids, str) else list(dict.fromkeys(case_ids))
    if not ids:
        raise UsageError(_("advance needs at least one case id"))
    engine = ws.engine()
    moment = at or ws.now()

    def plan(book, change):  # type: ignore[no-untyped-def]
        out = []
        for cid in ids:
            try:
                out.append(
                    engine.advance(
                        book, change, cid, to=step, by=by, note=note, at=moment, sets=sets,
                        assign=assign,
                    )
                )  # fmt: skip
            except CaseError as err:
                if len(ids) > 1:
                    raise CaseError(
                        _(
                            "{message} (nothing was moved: {n_ids} cases move together or not at all)"
                        ).format(message=err.message, n_ids=len(ids)),
                        hint=err.hint,
                    ) from err
                raise
        return out

    return ws.change(plan)


def extend(
    ws: Workspace,
    case_id: str,
    *,
    by: str,
    reason: str,
    who: str | None = None,
    at: datetime | None = None,
    late: bool = False,
) -> ExtendResult:
    """Extend the current step's deadline (SPEC §4). A duration that cannot be read is
    bad usage, before the case is looked at."""
    try:
        Duration.parse(by)
    except CalendarError as err:
        raise UsageError(_("--by: {message}").format(message=err.message)) from err
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(
        lambda book, change: engine.extend(
            book, change, case_id, amount=by, reason=reason, who=who, at=moment, late=late
        )
    )


def set_fields(
    ws: Workspace,
    case_id: str,
    *,
    sets: Sequence[str],
    by: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Correction:
    """Correct a case's data without moving it (SPEC §9)."""
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(
        lambda book, change: engine.set_fields(
            book, change, case_id, sets=sets, by=by, note=note, at=moment
        )
    )


def assign(
    ws: Workspace,
    case_id: str,
    person: str,
    *,
    by: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Correction:
    """转办: hand a case to another person (SPEC §9)."""
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(
        lambda book, change: engine.assign(
            book, change, case_id, person, by=by, note=note, at=moment
        )
    )


def cancel(
    ws: Workspace,
    case_id: str,
    *,
    reason: str,
    by: str | None = None,
    at: datetime | None = None,
) -> Correction:
    """撤销: close a case as cancelled (SPEC §9)."""
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(
        lambda book, change: engine.cancel(book, change, case_id, reason=reason, by=by, at=moment)
    )


def withdraw(
    ws: Workspace, case_id: str, *, by: str | None = None, at: datetime | None = None
) -> Correction:
    """撤回: take back one's own last move (SPEC §9)."""
    engine = ws.engine()
    moment = at or ws.now()
    return ws.change(lambda book, change: engine.withdraw(book, change, case_id, by=by, at=moment))


def show(ws: Workspace, case_id: str) -> Case:
    """A case with its history: on a cold read, its rows of 流转记录 alone, picked from the
    version of the file the register was read from (see :meth:`Workspace.casebook`)."""
    book = ws.casebook(one_history=True)
    case = book.case(case_id)
    case.history = book.history(case)
    return case


def time_left(ws: Workspace, case: Case, *, now: datetime, short: bool = False) -> str:
    """The time an open case has left (剩余 5 天（3 个工作日）, 已逾期 2 天…), counted to
    the deadline that falls first, the step's or the 办结期限, which is then named
    (办结期限已逾期 2 天…); empty when it has no deadline or is not open."""
    from procdoc.engine import first_due
    from procdoc.reports.overdue import time_left as left

    first = first_due(case)
    if first is None:
        return ""
    which, due = first
    text = left(due, ws.calendar, now=now, short=short)
    return ws.config.labels["case_due"] + text if which == "case" else text


def status_id(status: str | None) -> str | None:
    """``--status``: open, closed, cancelled, or their Chinese words."""
    if status is None:
        return None
    found = STATUS_IDS.get(status.strip())
    if found is None:
        raise UsageError(
            _(
                "--status must be open, closed or cancelled (办理中, 已办结, 已撤销), not '{status}'"
            ).format(status=status)
        )
    return found


@dataclass
class Selection:
    """Which cases a reading command shows."""

    process: str | None = None
    step: str | None = None
    status: str | None = None
    assignee: str | None = None
    dept: str | None = None


def select(
    ws: Workspace,
    cases: Sequence[Case] | None = None,
    sel: Selection | None = None,
    *,
    rows: RowFilter | None = None,
) -> list[Case]:
    """The cases matching ``sel`` (every readable case when None), reading every register
    (only the rows ``rows`` keeps, when given). Cases of process files with errors are
    noted for the CLI to report (SPEC §5)."""
    sel = sel or Selection()
    proc = ws.process(sel.process) if sel.process else None
    check_step(ws, proc, sel.step)
    status = status_id(sel.status)
    unknown: CaseError | None = None
    if sel.assignee:
        try:
            ws.engine().person(sel.assignee, "--assignee")
        except CaseError as err:  # refused below unless a case has this 承办人 (one who left)
            unknown = err
    in_dept = (  # --dept: the engine says who a case waits for
        partial(_in_dept, ws.engine(), dept=sel.dept, members=dept_members(ws, sel.dept))
        if sel.dept
        else None
    )
    if cases is None:
        if rows is None and status == "open":
            from procdoc.casebook import open_rows

            rows = open_rows  # closed and cancelled rows are not built
        cases = list(ws.casebook().cases(rows))
        ws.note_broken()
    if unknown is not None and not any(c.assignee == sel.assignee for c in cases):
        raise unknown
    out = []
    for case in cases:
        if proc and case.process.id != proc.id:
            continue
        if sel.step and (case.step is None or sel.step not in (case.step.id, case.step.name)):
            continue
        if status and case.status != status:
            continue
        if sel.assignee and case.assignee != sel.assignee:
            continue
        if in_dept is not None and not in_dept(case):
            continue
        out.append(case)
    return out


def check_step(ws: Workspace, proc: Process | None, step: str | None) -> None:
    """``--step`` of a command that selects cases: a step (id or name) of ``proc``, or of
    some process when ``proc`` is None; else a ProcessError naming the steps there are
    (a misspelt step must not match nothing silently)."""
    if not step:
        return
    if proc is not None:
        if proc.find_step(step) is None:
            raise ProcessError(
                _("{id} has no step '{step}'").format(id=proc.name, step=step),
                hint=name_list(s.name for s in proc.steps),
            )
        return
    processes = list(ws.processes.values())
    if any(p.find_step(step) is not None for p in processes):
        return
    import difflib

    names = list(dict.fromkeys(s.name for p in processes for s in p.steps))
    near = difflib.get_close_matches(step, names, n=3, cutoff=0.5)
    if near:  # a misspelt step: the steps it is close to, not every step of every process
        hint = _("did you mean {near}?").format(near=name_list(near))
    else:
        steps = "; ".join(f"{p.id}: {', '.join(s.name for s in p.steps)}" for p in processes)
        hint = _("steps: {steps}").format(steps=steps or _("none"))
    raise ProcessError(_("no process has a step '{step}'").format(step=step), hint=hint)


def list_cases(ws: Workspace, sel: Selection | None = None) -> list[Case]:
    """Cases, by process, step, status, assignee or department."""
    return select(ws, None, sel)


def dept_members(ws: Workspace, dept: str) -> set[str]:
    people = ws.config.people
    members = {p.name for p in people.values() if p.dept == dept}
    if people and not members:
        depts = sorted({p.dept for p in people.values() if p.dept})
        raise CaseError(
            _("--dept {dept}: nobody under people: is in that department").format(dept=dept),
            hint=_("departments: {depts}").format(depts=name_list(depts)),
        )
    return members


def _in_dept(engine: Engine, case: Case, dept: str, members: set[str]) -> bool:
    """A case is a department's when it waits for one of its members (as `todo --dept`
    says: the assignee, or a holder of the step's role), or when its 承办单位/承办部门 field
    names the department."""
    if waits_for(engine, case, members) is not None:
        return True
    return any(
        case.fields.get(f.id) == dept
        for f in case.process.fields.values()
        if f.label in ("承办部门", "承办单位", "承办科室", "主办单位")
    )


def waits_for(
    engine: Engine,
    case: Case,
    people: set[str] | None,
    history: Callable[[Case], Sequence[HistoryEntry]] | None = None,
) -> str | None:
    """Why ``case`` waits for one of ``people`` (any when None): its assignee; a holder of
    the current step's role when it has no assignee; a countersign signer not yet signed
    (every signer when ``history`` is not given). `todo`, and `--dept` of `list` and
    `overdue`, ask the same question."""
    step = case.step
    if people is None:
        return "承办人" if case.assignee else "待办"
    if case.assignee in people:
        return "承办人"
    if step is None:
        return None
    if step.kind == "countersign":
        signed = engine._signed(case, history(case)) if history else set()
        for role in step.signers:
            if role not in signed and people & set(engine.holders(role)):
                return f"会签（{role}）"
        return None
    unlisted = bool(engine.people) and case.assignee not in engine.people  # (left the office)
    if (not case.assignee or unlisted) and people & set(engine.holders(step.role)):
        return f"岗位（{step.role}）"
    return None
