"""Rendering documents for cases (SPEC §7): which cases, safe output names, the record
in 流转记录.

The rendering itself (a template compiled once, autoescaped, strict about undefined
variables, docxtpl as the fallback) lives in :mod:`procdoc.docx`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.documents.context import context
from procdoc.errors import RenderError

if TYPE_CHECKING:
    from procdoc.cases import Case, Change, Ledger
    from procdoc.workspace import Workspace

_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name Windows and Linux both accept."""
    name = _BAD_NAME.sub("_", text).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    return name[:150] or "_"


def output_path(out_dir: Path, pattern: str, case: Case, template: str) -> Path:
    values = {k: safe_name(str(v)) for k, v in {**case.fields, "id": case.id, "template": template, "title": case.title,
              "process": case.process.name, "step": case.step_name or "", "ref": case.ref or ""}.items()}  # fmt: skip

    class Missing(dict[str, str]):
        def __missing__(self, key: str) -> str:
            raise RenderError(
                f"render_name '{pattern}' uses '{{{key}}}', which is not a field or id/template/title/process/step/ref"
            )

    name = pattern.format_map(Missing(values))
    parts = [safe_name(p) for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..")]
    path = out_dir.joinpath(*parts) if parts else out_dir / f"{safe_name(case.id)}-{template}.docx"
    if path.suffix.lower() != ".docx":
        path = path.with_name(path.name + ".docx")
    resolved = path.resolve()
    if not resolved.is_relative_to(out_dir.resolve()):
        raise RenderError(f"render_name '{pattern}' would write outside {out_dir}")
    return path


@dataclass
class RenderResult:
    template: str
    out_dir: Path
    written: list[tuple[str, Path]] = field(default_factory=list)
    kept: list[tuple[str, Path]] = field(
        default_factory=list
    )  # existing files left alone (no --force)
    fast: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "written": [{"id": c, "path": str(p)} for c, p in self.written],
            "kept": [{"id": c, "path": str(p)} for c, p in self.kept],
        }


def _rendered_since_entry(ledger: Ledger, case: Case, template: str) -> bool:
    from procdoc.cases import since_entry

    return any(
        e.action == "render" and (e.note or "").split(" ", 1)[0] == template
        for e in since_entry(case, ledger.history(case))
    )


def select_cases(
    ws: Workspace,
    ledger: Ledger,
    template: str,
    *,
    cases: Sequence[str],
    process: str | None,
    step: str | None,
    overdue: bool,
    all_: bool,
) -> list[Case]:
    if cases:
        return [ledger.case(cid) for cid in cases]
    proc = ws.process(process) if process else None
    chosen: list[Case] = []
    flagged: set[str] | None = None
    if overdue:
        flagged = {f.case.id for f in ws.overdue() if f.level == "overdue"}
    default = not (process or step or overdue)
    for case in ledger.cases():
        if proc and case.process.id != proc.id:
            continue
        if step and (case.step is None or step not in (case.step.id, case.step.name)):
            continue
        if flagged is not None and case.id not in flagged:
            continue
        if default:
            if case.status != "open" or case.step is None or template not in case.step.documents:
                continue
            if not all_ and _rendered_since_entry(ledger, case, template):
                continue
        chosen.append(case)
    return chosen


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
    today: date | None = None,
    workers: int = 0,
    on_done: Callable[[Path], None] | None = None,
) -> RenderResult:
    """Render ``templates/NAME.docx`` once per selected case and record each document."""
    from procdoc.docx import CompiledTemplate, render_batch

    path = ws.config.templates / f"{template}.docx"
    if not path.is_file():
        known = ", ".join(ws.template_names()) or "none"
        raise RenderError(
            f"no template '{template}' in {ws.rel(ws.config.templates)}/", hint=f"known: {known}"
        )
    compiled = CompiledTemplate.compile(path)
    ledger = ws.ledger()
    chosen = select_cases(
        ws, ledger, template, cases=cases, process=process, step=step, overdue=overdue, all_=all_
    )
    out_dir = out or ws.config.output / template
    day = today or date.today()
    result = RenderResult(template=template, out_dir=out_dir, fast=compiled.fast)
    jobs: list[tuple[Path, dict[str, Any]]] = []
    targets: set[Path] = set()
    for case in chosen:
        ctx = context(case, office=ws.config.name, today=day)
        missing = sorted(compiled.variables - ctx.keys())
        if missing:
            raise RenderError(
                f"template {template} uses {', '.join(missing)}, which case {case.id} ({case.process.id}) does not have",
                hint="nothing was written; fix the template or the process fields (procdoc validate checks this)",
            )
        target = output_path(out_dir, ws.config.render_name, case, template)
        if target in targets:
            raise RenderError(
                f"render_name '{ws.config.render_name}' gives two cases the same file {target.name}",
                hint="put {id} in render_name",
            )
        targets.add(target)
        if target.exists() and not force:
            result.kept.append((case.id, target))
            continue
        jobs.append((target, ctx))
        result.written.append((case.id, target))
    if not jobs:
        return result
    from procdoc.errors import LedgerLockedError
    from procdoc.ledger import owner_of

    holder = owner_of(ws.config.ledger)
    if holder:  # refuse before writing documents that could then not be recorded
        raise LedgerLockedError(
            f"{ws.config.ledger.name} is open in {holder}: close it there and run again"
        )
    for target, _ in jobs:
        target.parent.mkdir(parents=True, exist_ok=True)
    render_batch(compiled, jobs, workers=workers, on_done=on_done)
    written = {cid: p for cid, p in result.written}

    def record(ledger: Ledger, change: Change) -> None:
        from procdoc.workspace import now

        moment = now()
        for cid, target in written.items():
            case = ledger.case(cid)
            change.record(
                cid,
                moment,
                "render",
                from_step=case.step,
                to_step=case.step,
                note=f"{template} {ws.rel(target)}",
            )

    ws.change(record)
    return result
