"""Documents (SPEC §7): rendering templates for cases, the template list, the manual."""

from __future__ import annotations

import contextlib
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procdoc.casebook import Casebook, Change
from procdoc.commands.cases import check_step
from procdoc.documents.render import output_path
from procdoc.documents.templates import core_title
from procdoc.engine import Engine, reachable, since_entry
from procdoc.errors import LedgerLockedError, ProcdocWarning, RenderError
from procdoc.i18n import _, name_list
from procdoc.model import Case, HistoryEntry
from procdoc.process.model import Process, Step
from procdoc.reports.overdue import classify
from procdoc.workspace import Workspace


@dataclass
class RenderResult:
    template: str
    out_dir: Path
    written: list[tuple[str, Path]] = field(default_factory=list)
    kept: list[tuple[str, Path]] = field(default_factory=list)  # there already, and known
    recorded: list[tuple[str, Path]] = field(default_factory=list)  # there already, unknown
    pdfs: list[Path] = field(default_factory=list)
    pdf_error: str | None = None  # why the PDFs were not written (the documents were)
    fast: bool = True
    #: due but not rendered (without --case): a field the document requires is empty
    skipped: list[Skipped] = field(default_factory=list)
    #: cases --process/--step chose that no step they reached calls for the template
    not_due: int = 0
    #: cancelled cases --process/--step left out (a document goes to one only by --case)
    cancelled: int = 0
    #: of ``kept``: files made before the case entered the step it is at, which this
    #: step's document would have replaced (a 送达回证 for another 送达文书: QA)
    earlier: set[Path] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        def items(pairs: list[tuple[str, Path]]) -> list[dict[str, str]]:
            return [{"id": c, "path": str(p)} for c, p in pairs]

        return {
            "template": self.template,
            "written": items(self.written),
            "kept": items(self.kept),
            "recorded": items(self.recorded),
            "pdfs": [str(p) for p in self.pdfs],
            "skipped": [
                {"id": k.case, "step": k.step, "empty": list(k.fields), "labels": list(k.labels)}
                for k in self.skipped
            ],
            "not_due": self.not_due,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class Skipped:
    """A document due for a case that ``render`` without ``--case`` did not write: the
    fields its step says it requires (``requires:``) are empty."""

    case: str
    step: str  # the step that lists the document (its name)
    fields: tuple[str, ...]  # the empty fields' ids
    labels: tuple[str, ...]  # ... and their labels


@dataclass
class _Job:
    case: Case
    target: Path
    doc_date: date
    history: list[HistoryEntry]


def render(
    ws: Workspace,
    template: str,
    *,
    cases: Sequence[str] = (),
    process: str | None = None,
    step: str | None = None,
    overdue: bool = False,
    all_: bool = False,
    out: Path | None = None,
    force: bool = False,
    doc_date: date | None = None,
    at: datetime | None = None,
    pdf: bool = False,
    workers: int = 0,
    on_done: Callable[[Path], None] | None = None,
) -> RenderResult:
    """Render ``templates/NAME.docx`` once per selected case and record each document in
    流转记录 (also the ones written before a failure part-way through the batch)."""
    from procdoc.docx import CompiledTemplate, render_batch

    path = ws.config.templates / f"{template}.docx"
    if not path.is_file():
        known = name_list(ws.template_names()) or _("none")
        raise RenderError(
            _("no template '{template}' in {templates}/").format(
                template=template, templates=ws.rel(ws.config.templates)
            ),
            hint=_("known: {known}").format(known=known),
        )
    compiled = CompiledTemplate.compile(path)
    moment = at or ws.now()
    book = ws.casebook(history=True)
    chosen, skipped, not_due, cancelled = _select(
        ws, book, template, cases, process, step, overdue, all_, moment
    )
    out_dir = out or ws.config.output / template
    result = RenderResult(template=template, out_dir=out_dir, fast=compiled.fast)
    result.skipped, result.not_due, result.cancelled = skipped, not_due, cancelled
    owners = _rendered_files(ws, book)
    jobs: list[_Job] = []
    targets: dict[Path, str] = {}
    for case in chosen:
        history = book.history(case)
        target = output_path(out_dir, ws.config.render_name, case, template)
        if target in targets:
            raise RenderError(
                _(
                    "render_name '{render_name}' gives {targets} and {id} the same file {target}"
                ).format(
                    render_name=ws.config.render_name,
                    targets=targets[target],
                    id=case.id,
                    target=ws.rel(target),
                ),
                hint=_("put {id} in render_name; nothing was written"),
            )
        targets[target] = case.id
        owner = owners.get(ws.rel(target))
        if owner is not None and owner != case.id:
            raise RenderError(
                _(
                    "{target} is {owner}'s document, but render_name '{render_name}' gives it to {id} too"
                ).format(
                    target=ws.rel(target),
                    owner=owner,
                    render_name=ws.config.render_name,
                    id=case.id,
                ),
                hint=_("put {id} in render_name; nothing was written"),
            )
        day = doc_date or _document_date(case, history, template, moment)
        job = _Job(case, target, day, history)
        if target.exists() and not force:
            (result.kept if owner == case.id else result.recorded).append((case.id, target))
            if owner == case.id and not any(
                is_render_of(e, template) for e in since_entry(case, history)
            ):
                result.earlier.add(target)
            if owner != case.id:
                jobs.append(job)  # recorded below, not rendered
            continue
        jobs.append(job)
    contexts: list[tuple[Path, dict[str, Any]]] = []
    recorded = {t for _unused, t in result.recorded}
    for job in jobs:
        if job.target in recorded:
            continue
        ctx = _context(ws, job, moment)
        missing = sorted(compiled.variables - ctx.keys())
        if missing:
            raise RenderError(
                _(
                    "template {template} uses {missing}, which case {id} ({id2}) does not have"
                ).format(
                    template=template,
                    missing=name_list(missing),
                    id=job.case.id,
                    id2=job.case.process.name,
                ),
                hint=_(
                    "nothing was written; fix the template or the process fields (procdoc validate checks this)"
                ),
            )
        contexts.append((job.target, ctx))
    if not jobs:
        return result
    from procdoc.ledger import owner_of

    holder = owner_of(ws.config.ledger)
    if holder:  # refuse before writing documents that could then not be recorded
        raise LedgerLockedError(
            _("{name} is open in {holder}: close it there and run again").format(
                name=ws.config.ledger.name, holder=holder
            )
        )
    written: list[Path] = []

    def done(target: Path) -> None:
        written.append(target)
        if on_done is not None:
            on_done(target)

    try:
        if contexts:
            render_batch(compiled, contexts, workers=workers, on_done=done)
    finally:
        done_set = set(written) | recorded
        to_record = [j for j in jobs if j.target in done_set]
        result.written = [(j.case.id, j.target) for j in to_record if j.target not in recorded]
        if to_record:
            subject = rendered_subject(template, core_title(path))
            ws.change(lambda b, change: _record(ws, b, change, subject, to_record, moment))
        if ws.config.ledger.exists():  # documents are as readable as the ledger
            for path in written:
                with contextlib.suppress(OSError):
                    shutil.copymode(ws.config.ledger, path)
    if pdf and result.written:
        from procdoc.docx.pdf import to_pdf

        try:
            result.pdfs = to_pdf([p for _unused, p in result.written])
        except RenderError as err:
            result.pdf_error = str(err)
    return result


def rendered_subject(template: str, title: str) -> str:
    """The 项目 of a 生成文书 row: the document's title (the one in its properties, never
    guessed from its text) with its template, ``信访事项受理告知书（accept_notice）``, as a
    person reading 流转记录 knows it; the template alone when it has no title."""
    title = " ".join(title.split())  # a title on two lines (某局\n送达回证) on one
    return f"{title}（{template}）" if title and title != template else template


def is_render_of(entry: HistoryEntry, template: str) -> bool:
    """Whether ``entry`` records a document of ``template`` (its 项目 as
    :func:`rendered_subject` writes it, or the template alone as written before)."""
    subject = entry.subject or ""
    return entry.action == "render" and (subject == template or subject.endswith(f"（{template}）"))


def _record(
    ws: Workspace, book: Casebook, change: Change, subject: str, jobs: list[_Job], at: datetime
) -> None:
    for job in jobs:
        case = book.case(job.case.id)
        change.record(
            case.id,
            at,
            "render",
            from_step=case.step,
            to_step=case.step,
            note=ws.rel(job.target),
            subject=subject,
            new=job.doc_date,
        )


def _select(
    ws: Workspace,
    book: Casebook,
    template: str,
    ids: Sequence[str],
    process: str | None,
    step: str | None,
    overdue: bool,
    all_: bool,
    moment: datetime,
) -> tuple[list[Case], list[Skipped], int, int]:
    """SPEC §7: the cases named (whatever their state); else the cases the document is due
    for. Plain ``render``: every open case whose current step lists the template and has
    not had it since entering (a `when: overdue` document only while the case is late
    there, a `when: extended` one once its deadline there was extended); ``overdue``: the
    late cases whose current step lists it. ``process``/``step``: their cases that reached
    a step listing it (a 受理告知书 for the cases that were accepted, not for those refused
    or not yet decided), or every one of them when no step of their process lists it.
    Without ``ids``, a document whose step says it ``requires:`` a field is left out,
    with why, while that field is empty (a 信访处理意见书 without its 处理意见). Returns
    the cases, the ones left out for an empty field, how many ``process``/``step`` chose
    that the document is not due for, and how many cancelled cases they left out (a
    cancelled case gets a document only when ``ids`` name it)."""
    if ids:
        named = [book.case(cid) for cid in ids]
        for case in named:
            _warn_blank(case, template)
        return named, [], 0, 0
    proc = ws.process(process) if process else None
    check_step(ws, proc, step)
    chosen: list[Case] = []
    skipped: list[Skipped] = []
    not_due = cancelled = 0
    default = not (process or step or overdue)
    engine = None if default or overdue else ws.engine()
    for case in book.cases():
        if proc and case.process.id != proc.id:
            continue
        if step and (case.step is None or step not in (case.step.id, case.step.name)):
            continue
        listing: Step | None = None
        if overdue or default:
            lists = case.step is not None and template in case.step.documents
            if case.status != "open" or not lists:
                continue
            late = _late(ws, case, moment)
            if overdue and not late:
                continue
            if default:
                assert case.step is not None
                if template in _overdue_only(case) and not late:
                    continue
                if template in case.step.extended_documents and not _extended(book, case):
                    continue
                if not all_ and _rendered_since_entry(book, case, template):
                    continue
            listing = case.step
        elif case.status == "cancelled":
            cancelled += 1
            continue
        elif any(template in s.documents for s in case.process.steps):
            assert engine is not None
            due_at = _due_at(ws, engine, book, case, template, moment)
            if due_at is None:
                not_due += 1
                continue
            listing = due_at
        empty = [fid for fid in listing.requires(template) if _empty(case, fid)] if listing else []
        if empty and listing is not None:
            labels = tuple(case.process.fields[f].label for f in empty)
            skipped.append(Skipped(case.id, listing.name, tuple(empty), labels))
            continue
        chosen.append(case)
    ws.note_broken()
    return chosen, skipped, not_due, cancelled


def _warn_blank(case: Case, template: str) -> None:
    """``--case`` renders a case as it is: say so when a field the document requires (at
    its current step, else any step listing it) is empty, so that a letter printed with a
    blank where its 处理意见 goes is not taken for a finished one (QA)."""
    steps = [case.step] if case.step is not None and template in case.step.documents else []
    steps = steps or [s for s in case.process.steps if template in s.documents]
    missing = dict.fromkeys(f for s in steps for f in s.requires(template) if _empty(case, f))
    fields = case.process.fields
    unread = [f for f in missing if f in case.unread and f in fields]
    empty = [f for f in missing if f not in case.unread and f in fields]
    if empty:
        warnings.warn(
            _(
                "{id}: {labels} is empty: the document is written with it blank (plain `procdoc render` waits until it is filled)"
            ).format(id=case.id, labels=name_list(fields[f].label for f in empty)),
            ProcdocWarning,
            stacklevel=2,
        )
    if unread:
        warnings.warn(
            _(
                "{id}: {labels} does not read as its field allows (procdoc check says why): the document prints the cell as it stands (plain `procdoc render` waits until it is fixed)"
            ).format(id=case.id, labels=name_list(fields[f].label for f in unread)),
            ProcdocWarning,
            stacklevel=2,
        )


def _empty(case: Case, fid: str) -> bool:
    """Whether a field a document requires is not there to print: empty, or a cell that
    cannot be read as its type (金额 typed as 一千二 would print as its own 大写)."""
    value = case.fields.get(fid)
    return value is None or (isinstance(value, str) and not value.strip()) or fid in case.unread


def _due_at(
    ws: Workspace, engine: Engine, book: Casebook, case: Case, template: str, moment: datetime
) -> Step | None:
    """The step at which ``template`` is due for the case, ``--process``/``--step``'s
    way: its current step when that lists it (a `when: overdue` document while the case
    is late there, a `when: extended` one once extended there), else the last step it
    reached, and did not leave by taking the move back (撤回), that lists a plain
    document or a `when: extended` one it was extended at; None: the document is not
    due for it."""
    current = case.step
    if current is not None and case.status == "open" and template in current.documents:
        if template in _overdue_only(case):
            return current if _late(ws, case, moment) else None
        if template in current.extended_documents:
            return current if _extended(book, case) else None
        return current
    history = book.history(case)
    extended_at = {e.from_step for e in history if e.action == "extend"}
    visits = engine.visits(case, history)
    for visit in reversed(visits):
        s = visit.step
        if visit.how == "withdraw" or template not in s.documents:
            continue
        if template in s.overdue_documents:
            continue
        if template in s.extended_documents and s.id not in extended_at:
            continue
        return s
    # a case imported or taken over at a later step (its history begins there) has
    # passed every step that lies on each way to it
    first = visits[0].step if visits else current
    for s in reversed(passed_before(case.process, first) if first is not None else []):
        if template in s.documents and not (
            template in s.overdue_documents or template in s.extended_documents
        ):
            return s
    return None


def passed_before(process: Process, step: Step) -> list[Step]:
    """The steps, in the process's order, that every way from its first step to ``step``
    goes through by `next` moves (``step`` itself left out): those a case that starts its
    history at ``step`` (imported, or taken over, there) has passed; none when ``step``
    cannot be reached from the first step at all."""
    known = _PASSED.get((process.id, step.id))
    if known is not None and known[0] is process:
        return known[1]
    steps = process.steps
    first = [steps[0].id] if steps else []
    passed = (
        [s for s in steps if s.id != step.id and step.id not in reachable(process, first, s.id)]
        if step.id in reachable(process, first)
        else []
    )
    _PASSED[process.id, step.id] = (process, passed)
    return passed


#: passed_before's answers (a batch asks once per case), for the Process object asked of
_PASSED: dict[tuple[str, str], tuple[Process, list[Step]]] = {}


def _overdue_only(case: Case) -> frozenset[str]:
    return getattr(case.step, "overdue_documents", frozenset())


def _late(ws: Workspace, case: Case, moment: datetime) -> bool:
    if case.due is None:
        return False
    return classify(case.due, moment, ws.config.reminders.due_soon, ws.calendar) == "overdue"


def _extended(book: Casebook, case: Case) -> bool:
    return any(e.action == "extend" for e in since_entry(case, book.history(case)))


def _rendered_since_entry(book: Casebook, case: Case, template: str) -> bool:
    return any(is_render_of(e, template) for e in since_entry(case, book.history(case)))


def _rendered_files(ws: Workspace, book: Casebook) -> dict[str, str]:
    """Which case each document file recorded in 流转记录 belongs to."""
    out: dict[str, str] = {}
    for case in book.cases():
        for e in book.history(case):
            if e.action == "render" and e.note:
                out.setdefault(e.note, case.id)
    return out


def _document_date(
    case: Case, history: Sequence[HistoryEntry], template: str, moment: datetime
) -> date:
    """The document's date (成文日期), SPEC §7: the date it was first given when rendered
    before; else the day the case entered the step that lists it, or, for a document
    that step says ``requires:`` fields (a 信访处理意见书 its 处理意见), the day they were
    last filled in when that is later: the day of the decision it states; the day of
    rendering for a `when: overdue` document or one no step lists."""
    for e in reversed(history):
        if is_render_of(e, template) and isinstance(e.new, date):
            return e.new.date() if isinstance(e.new, datetime) else e.new
    if template in _overdue_only(case):
        return moment.date()
    if case.step is not None and template in case.step.extended_documents:
        granted = [e.at for e in since_entry(case, history) if e.action == "extend" and e.at]
        return granted[-1].date() if granted else moment.date()
    steps = {s.id for s in case.process.steps if template in s.documents}
    entered: tuple[Step, date] | None = None
    if case.step is not None and case.step.id in steps and case.entered is not None:
        entered = case.step, case.entered.date()
    else:
        for e in reversed(history):
            if (
                e.to_step in steps
                and e.at is not None
                and e.action in ("advance", "return", "new", "import")
            ):
                entered = case.process.step(e.to_step), e.at.date()
                break
    if entered is None:
        return moment.date()
    listing, day = entered
    labels = {case.process.fields[f].label for f in listing.requires(template)}
    filled = [
        e.at.date()
        for e in history
        if e.action in ("set", "update")
        and e.subject in labels
        and e.at is not None
        and e.new not in (None, "")
    ]
    return max([day, *filled])


def _context(ws: Workspace, job: _Job, moment: datetime) -> dict[str, Any]:
    from procdoc.documents.context import context

    step = job.case.step
    # a document says how late a case is as of its own date (截至{date}，已逾期N日): a
    # 催办通知书 rendered again keeps its first date, and --date sets another
    dated = job.doc_date
    as_of: date | datetime = moment if dated is None or dated == moment.date() else dated
    return context(
        job.case,
        office=ws.config.name,
        today=moment.date(),
        doc_date=dated,
        history=job.history,
        people=ws.engine().holders(step.role) if step else [],
        calendar=ws.calendar,
        as_of=as_of,
    )
