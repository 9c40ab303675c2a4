"""Documents (SPEC §7): rendering templates for cases, the template list, the manual."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procdoc.casebook import Casebook, Change
from procdoc.commands.cases import check_step
from procdoc.documents.render import output_path
from procdoc.engine import since_entry
from procdoc.errors import LedgerLockedError, RenderError
from procdoc.i18n import _
from procdoc.model import Case, HistoryEntry
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

    def as_dict(self) -> dict[str, Any]:
        def items(pairs: list[tuple[str, Path]]) -> list[dict[str, str]]:
            return [{"id": c, "path": str(p)} for c, p in pairs]

        return {
            "template": self.template,
            "written": items(self.written),
            "kept": items(self.kept),
            "recorded": items(self.recorded),
            "pdfs": [str(p) for p in self.pdfs],
        }


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
        known = ", ".join(ws.template_names()) or "none"
        raise RenderError(
            _("no template '{template}' in {templates}/").format(
                template=template, templates=ws.rel(ws.config.templates)
            ),
            hint=_("known: {known}").format(known=known),
        )
    compiled = CompiledTemplate.compile(path)
    moment = at or ws.now()
    book = ws.casebook(history=True)
    chosen = _select(ws, book, template, cases, process, step, overdue, all_, moment)
    out_dir = out or ws.config.output / template
    result = RenderResult(template=template, out_dir=out_dir, fast=compiled.fast)
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
                    missing=", ".join(missing),
                    id=job.case.id,
                    id2=job.case.process.id,
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
            ws.change(lambda b, change: _record(ws, b, change, template, to_record, moment))
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


def _record(
    ws: Workspace, book: Casebook, change: Change, template: str, jobs: list[_Job], at: datetime
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
            subject=template,
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
) -> list[Case]:
    """SPEC §7: the cases named; else every open case whose current step lists the
    template and has not had it since entering (a `when: overdue` document only while the
    case is late there); ``overdue``: the late cases whose current step lists it."""
    if ids:
        return [book.case(cid) for cid in ids]
    proc = ws.process(process) if process else None
    check_step(ws, proc, step)
    chosen: list[Case] = []
    default = not (process or step or overdue)
    for case in book.cases():
        if proc and case.process.id != proc.id:
            continue
        if step and (case.step is None or step not in (case.step.id, case.step.name)):
            continue
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
        chosen.append(case)
    ws.note_broken()
    return chosen


def _overdue_only(case: Case) -> frozenset[str]:
    return getattr(case.step, "overdue_documents", frozenset())


def _late(ws: Workspace, case: Case, moment: datetime) -> bool:
    if case.due is None:
        return False
    return classify(case.due, moment, ws.config.reminders.due_soon, ws.calendar) == "overdue"


def _extended(book: Casebook, case: Case) -> bool:
    return any(e.action == "extend" for e in since_entry(case, book.history(case)))


def _rendered_since_entry(book: Casebook, case: Case, template: str) -> bool:
    return any(
        e.action == "render" and e.subject == template
        for e in since_entry(case, book.history(case))
    )


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
    before; else the day the case entered the step that lists it; the day of rendering for
    a `when: overdue` document or one no step lists."""
    for e in reversed(history):
        if e.action == "render" and e.subject == template and isinstance(e.new, date):
            return e.new.date() if isinstance(e.new, datetime) else e.new
    if template in _overdue_only(case):
        return moment.date()
    if case.step is not None and template in case.step.extended_documents:
        granted = [e.at for e in since_entry(case, history) if e.action == "extend" and e.at]
        return granted[-1].date() if granted else moment.date()
    steps = {s.id for s in case.process.steps if template in s.documents}
    if case.step is not None and case.step.id in steps and case.entered is not None:
        return case.entered.date()
    for e in reversed(history):
        if (
            e.to_step in steps
            and e.at is not None
            and e.action in ("advance", "return", "new", "import")
        ):
            return e.at.date()
    return moment.date()


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
