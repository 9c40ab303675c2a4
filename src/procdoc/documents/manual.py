"""The process manual (流程手册), as Markdown or Word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from procdoc.process.graph import readable, start_name
from procdoc.process.model import Process


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
