"""Documents (SPEC §7): the template context, which cases to render, safe output names,
the record in 流转记录, template checks for `validate`, and the process manual.

The rendering itself (a template compiled once, autoescaped, strict about undefined
variables, docxtpl as the fallback) lives in :mod:`procdoc.docx`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.calendar import date_cn
from procdoc.config import STATUS_CLOSED, STATUS_OPEN
from procdoc.errors import RenderError
from procdoc.process.graph import readable, start_name
from procdoc.process.loader import Problem
from procdoc.process.model import Process
from procdoc.yamlpos import Pos

if TYPE_CHECKING:
    from procdoc.cases import Case, Change, Ledger
    from procdoc.workspace import Workspace

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
_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


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
        "status": STATUS_CLOSED if case.status == "closed" else STATUS_OPEN,
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


# -- checks for validate -------------------------------------------------------------------------


def check_templates(ws: Workspace, processes: Mapping[str, Process]) -> list[Problem]:
    """Lint every template; check its variables against the fields it can receive."""
    from procdoc.docx.lint import lint_template, template_variables

    out: list[Problem] = []
    users: dict[str, list[Process]] = {}
    for process in processes.values():
        for step in process.steps:
            for doc in step.documents:
                if process not in users.setdefault(doc, []):
                    users[doc].append(process)
    union = set().union(*(names_for(p) for p in processes.values())) if processes else core_names()
    for name in ws.template_names():
        path = ws.config.templates / f"{name}.docx"
        shown = ws.rel(path)
        problems = lint_template(path)
        for problem in problems:
            out.append(
                Problem(problem.severity, Pos(shown, 1, 1), f"{problem.part}: {problem.message}")
            )
        if any(p.severity == "error" for p in problems):
            continue
        try:
            used = template_variables(path)
        except RenderError as err:
            out.append(Problem("error", Pos(shown, 1, 1), err.message))
            continue
        if name in users:
            for process in users[name]:
                missing = sorted(used - names_for(process))
                if missing:
                    out.append(
                        Problem(
                            "error",
                            Pos(shown, 1, 1),
                            f"uses {', '.join(missing)}, which process {process.id} (it lists this template) does not provide",
                        )
                    )
        else:
            missing = sorted(used - union)
            if missing:
                out.append(
                    Problem(
                        "warning",
                        Pos(shown, 1, 1),
                        f"uses {', '.join(missing)}, which no process provides",
                    )
                )
    return out


@dataclass
class TemplateInfo:
    name: str
    title: str
    variables: list[str]
    processes: list[str]


def templates_info(ws: Workspace) -> list[TemplateInfo]:
    from procdoc.docx.lint import template_variables

    out = []
    for name in ws.template_names():
        path = ws.config.templates / f"{name}.docx"
        users = sorted(
            {p.id for p in ws.processes.values() for s in p.steps if name in s.documents}
        )
        try:
            variables = sorted(template_variables(path))
        except RenderError:
            variables = []
        out.append(TemplateInfo(name, _title(path), variables, users))
    return out


def _title(path: Path) -> str:
    """The document's title: its core property, else its first line without tags."""
    import docx

    doc = docx.Document(str(path))
    if doc.core_properties.title:
        return str(doc.core_properties.title)
    for para in doc.paragraphs:
        text = para.text.strip()
        if text and "{" not in text and "｛" not in text:
            return text
    return ""


# -- the process manual -------------------------------------------------------------------------


def manual_markdown(process: Process, *, office: str) -> str:
    lines = [f"# {process.name} 流程手册", "", f"{office}　　流程编号：{process.id}", ""]
    lines += [
        "## 一、目的",
        "",
        process.description or f"规范{process.name}的办理，明确各环节的责任人和时限。",
        "",
    ]
    lines += (
        ["## 二、角色", ""]
        + [f"- {role}：{_role_steps(process, role)}" for role in process.roles]
        + [""]
    )
    if process.deadline:
        lines += [
            f"全流程办结时限：{process.deadline.label_cn()}"
            + (
                f"（自{_step_name(process, process.deadline.start)}起）"
                if process.deadline.start
                else ""
            ),
            "",
        ]
    lines += ["## 三、流程图", "", "```mermaid"]
    from procdoc.process.graph import to_mermaid

    lines += [to_mermaid(process).rstrip(), "```", ""]
    lines += [
        "## 四、环节说明",
        "",
        "| 序号 | 环节 | 责任角色 | 时限 | 下一环节 | 可退回至 |",
        "|---|---|---|---|---|---|",
    ]
    for i, step in enumerate(process.steps, start=1):
        lines.append(
            f"| {i} | {step.name} | {_role_text(step)} | {_deadline_text(process, step)} | {_next_text(process, step)} | {'、'.join(_step_name(process, b) for b in step.back) or '—'} |"
        )
    lines.append("")
    for i, step in enumerate(process.steps, start=1):
        lines += [f"### {i}. {step.name}", ""]
        if step.description:
            lines += [step.description, ""]
        lines += [f"- 责任角色：{_role_text(step)}", f"- 时限：{_deadline_text(process, step)}"]
        if step.extend:
            lines.append(f"- 可延期：至多{step.extend.label_cn()}")
        for label, items in (
            ("输入", step.inputs),
            ("输出", step.outputs),
            ("风险点", step.risks),
            ("生成文书", step.documents),
        ):
            if items:
                lines.append(f"- {label}：" + "；".join(items))
        lines.append("")
    if process.fields:
        lines += [
            "## 五、登记事项",
            "",
            "| 字段 | 名称 | 类型 | 必填 | 可选值 |",
            "|---|---|---|---|---|",
        ]
        for fdef in process.fields.values():
            lines.append(
                f"| {fdef.id} | {fdef.label} | {fdef.type} | {'是' if fdef.required else ''} | {'、'.join(fdef.choices)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _step_name(process: Process, key: str | None) -> str:
    return start_name(process, key) if key else ""


def _role_text(step: Any) -> str:
    if step.kind == "countersign":
        return f"会签（{'全部' if step.mode == 'all' else '任一'}）：{'、'.join(step.signers)}"
    return str(step.role or "—")


def _deadline_text(process: Process, step: Any) -> str:
    if not step.deadline:
        return "—"
    text = str(step.deadline.label_cn())
    if step.deadline.start:
        text += f"（自{_step_name(process, step.deadline.start)}起）"
    return text


def _next_text(process: Process, step: Any) -> str:
    if step.final:
        return "（办结）"
    parts = []
    for branch in step.next:
        name = _step_name(process, branch.to)
        parts.append(f"{name}（当 {readable(process, branch.when.text)}）" if branch.when else name)
    return "；".join(parts)


def _role_steps(process: Process, role: str) -> str:
    names = [s.name for s in process.steps if s.role == role or role in s.signers]
    return "、".join(names) or "—"


def write_manual(process: Process, target: Path, *, office: str, fmt: str) -> Path:
    """The manual as Markdown or Word (with the flowchart when Graphviz is present)."""
    text = manual_markdown(process, office=office)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        target.write_text(text, encoding="utf-8")
        return target
    _markdown_to_docx(process, text, target)
    return target


def _markdown_to_docx(process: Process, text: str, target: Path) -> None:
    import io
    import os
    import tempfile

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    from procdoc.process.graph import graphviz_available, render_graphviz, to_dot

    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def font(run: Any, name: str, size: float, bold: bool = False) -> None:
        run.font.name = name
        run.font.size = Pt(size)
        run.font.bold = bold
        rpr = run._element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), name)

    def para(
        content: str,
        *,
        name: str = "仿宋_GB2312",
        size: float = 16,
        bold: bool = False,
        center: bool = False,
    ) -> None:
        p = doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        font(p.add_run(content), name, size, bold)

    in_code = False
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if not table_rows:
            return
        header, *body = table_rows
        table = doc.add_table(rows=1 + len(body), cols=len(header))
        table.style = "Table Grid"
        for r, row in enumerate([header, *body]):
            for c, value in enumerate(row[: len(header)]):
                cell = table.cell(r, c)
                cell.text = ""
                font(cell.paragraphs[0].add_run(value), "仿宋_GB2312", 10.5, bold=(r == 0))
        table_rows.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            if not in_code and graphviz_available():
                png = render_graphviz(to_dot(process), "png")
                doc.add_picture(io.BytesIO(png), width=Mm(150))
            elif not in_code:
                para(
                    "（安装 Graphviz 后重新生成本手册即可插入流程图；Markdown 版含 Mermaid 流程图。）",
                    size=12,
                )
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                table_rows.append(cells)
            continue
        flush_table()
        if line.startswith("# "):
            para(line[2:], name="方正小标宋简体", size=22, center=True)
        elif line.startswith("## "):
            para(line[3:], name="黑体", size=16)
        elif line.startswith("### "):
            para(line[4:], name="楷体_GB2312", size=16, bold=True)
        elif line.startswith("- "):
            para(line[2:])
        elif line.strip():
            para(line)
    flush_table()
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".docx", dir=target.parent)
    os.close(fd)
    try:
        doc.save(name)
        os.replace(name, target)
    finally:
        if os.path.exists(name):
            os.unlink(name)
