"""The process manual (流程手册), as Markdown or Word."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from procdoc.errors import ProcdocWarning
from procdoc.i18n import _
from procdoc.process.graph import condition_words, deadline_words, start_name
from procdoc.process.model import Process

#: Chapter numbers: the sections a process gives are numbered in order.
_NUMERALS = "一二三四五六七八九十"


def manual_markdown(
    process: Process, *, office: str, titles: Mapping[str, str] | None = None
) -> str:
    """The manual (a 流程文档: 目的, 法律依据, 名词解释, 角色, 流程图, 环节说明, 登记事项,
    常见问题; the optional ones when the process gives them). ``titles`` maps a template
    name to its Chinese title, for the documents each step produces."""
    titles = titles or {}
    chapters = iter(_NUMERALS)

    def chapter(name: str) -> list[str]:
        return [f"## {next(chapters)}、{name}", ""]

    lines = [f"# {process.name} 流程手册", "", office, ""]
    lines += chapter("目的")
    lines += [
        _prose(process.purpose or process.description)
        or f"规范{process.name}的办理，明确各环节的责任人和时限。",
        "",
    ]
    if process.purpose and process.description:
        lines += [_prose(process.description), ""]
    if process.basis:
        lines += chapter("法律依据") + [f"- {_prose(item)}" for item in process.basis] + [""]
    if process.terms:
        lines += chapter("名词解释")
        lines += [f"- {t}：{_prose(text)}" for t, text in process.terms.items()]
        lines.append("")
    lines += (
        chapter("角色")
        + [f"- {role}：{_role_steps(process, role)}" for role in process.roles]
        + [""]
    )
    if process.deadline:
        lines += [f"全流程办结时限：{deadline_words(process, process.deadline)}", ""]
    lines += [*chapter("流程图"), "```mermaid"]
    from procdoc.process.graph import to_mermaid

    lines += [to_mermaid(process, words=True).rstrip(), "```", ""]
    lines += chapter("环节说明")
    lines += [
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
            lines += [_prose(step.description), ""]
        lines += [f"- 责任角色：{_role_text(step)}", f"- 时限：{_deadline_text(process, step)}"]
        if step.extend:
            lines.append(f"- 可延期：至多{step.extend.label_cn()}")
        for label, items in (
            ("输入", step.inputs),
            ("输出", step.outputs),
            ("风险点", step.risks),
            ("生成文书", _documents_text(step, titles)),
        ):
            if items:
                lines.append(f"- {label}：" + "；".join(items))
        lines.append("")
    if process.fields:
        lines += chapter("登记事项")
        lines += ["| 名称 | 类型 | 必填 | 可选值 | 说明 |", "|---|---|---|---|---|"]
        for fdef in process.fields.values():
            lines.append(
                f"| {fdef.label} | {_TYPE_CN.get(fdef.type, fdef.type)} | {'是' if fdef.required else ''} | {'、'.join(fdef.choices)} | {_prose(fdef.description)} |"
            )
        lines.append("")
    if process.faq:
        lines += chapter("常见问题")
        for i, item in enumerate(process.faq, start=1):
            lines += [f"### 问{i}：{_prose(item.q)}", "", _prose(item.a), ""]
    return "\n".join(lines)


#: Spaces YAML's folded text leaves between two Chinese characters or punctuation marks.
_CJK_GAP = re.compile(
    r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) +(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])"
)


def _prose(text: str) -> str:
    """Text from a process file, without the spaces folding left between Chinese."""
    return _CJK_GAP.sub("", text)


_TYPE_CN = {"text": "文本", "number": "数字", "date": "日期", "datetime": "日期时间",
            "choice": "选项", "bool": "是/否"}  # fmt: skip


def _documents_text(step: Any, titles: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(
        titles.get(name, name) + ("（逾期时）" if name in step.overdue_documents else "")
        for name in step.documents
    )


def _step_name(process: Process, key: str | None) -> str:
    return start_name(process, key) if key else ""


def _role_text(step: Any) -> str:
    if step.kind == "countersign":
        return f"会签（{'全部' if step.mode == 'all' else '任一'}）：{'、'.join(step.signers)}"
    return str(step.role or "—")


def _deadline_text(process: Process, step: Any) -> str:
    return deadline_words(process, step.deadline) if step.deadline else "—"


def _next_text(process: Process, step: Any) -> str:
    if step.final:
        return "（办结）"
    parts = []
    for branch in step.next:
        name = _step_name(process, branch.to)
        if branch.when:
            parts.append(f"{name}（{condition_words(process, branch.when)}时）")
        else:
            parts.append(f"{name}（其他情况）" if len(step.next) > 1 else name)
    return "；".join(parts)


def _role_steps(process: Process, role: str) -> str:
    names = [s.name for s in process.steps if s.role == role or role in s.signers]
    return "、".join(names) or "—"


def template_titles(folder: Path | None, names: Any) -> dict[str, str]:
    """The Chinese titles of the templates ``names`` in ``folder`` (those it has)."""
    from procdoc.documents.templates import template_title

    out: dict[str, str] = {}
    for name in names:
        path = folder / f"{name}.docx" if folder else None
        if path is not None and path.is_file():
            title = template_title(path)
            if title:
                out[name] = title
    return out


#: The text block of an A4 page with the manual's margins (28 and 26 mm).
TEXT_WIDTH_MM = 156.0


def column_widths(rows: list[list[str]], total: float) -> list[float]:
    """Column widths (mm) adding up to ``total``, each growing with its longest text (a
    Chinese character two units, 6 to 40 of them, damped: a long column does not starve
    the short ones): Word's equal columns put the manual's 下一环节 on five lines beside a
    序号 column of one digit (QA)."""
    from procdoc.ledger.newsheet import text_width

    n = len(rows[0])  # the header's columns: a cell beyond them is not shown
    weights = [
        min(40, max(6, *(text_width(r[c]) for r in rows if c < len(r)))) ** 0.7 for c in range(n)
    ]
    return [total * w / sum(weights) for w in weights]


def write_manual(
    process: Process, target: Path, *, office: str, fmt: str, templates: Path | None = None
) -> Path:
    """The manual as Markdown or Word (with the flowchart when Graphviz is present).
    ``templates``: the templates folder, for the documents' titles (default: the folder
    ``templates`` beside the process file's folder)."""
    folder = templates or process.path.resolve().parent.parent / "templates"
    titles = template_titles(folder, {d for s in process.steps for d in s.documents})
    text = manual_markdown(process, office=office, titles=titles)
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
    section.footer_distance = Mm(23)

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

    # GB/T 9704: "— N —" in 4号宋体, odd pages right and even pages left, one character in
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
        if odd:
            p.paragraph_format.right_indent = Pt(16)
        else:
            p.paragraph_format.left_indent = Pt(16)
        font(p.add_run("— "), "宋体", 14)
        field = p._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): " PAGE "})
        number = p.add_run("1")
        font(number, "宋体", 14)
        field.append(number._r)
        p._p.append(field)
        font(p.add_run(" —"), "宋体", 14)

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
        table.autofit = False
        widths = column_widths([header, *body], TEXT_WIDTH_MM)
        for column, width in zip(table.columns, widths, strict=False):
            column.width = Mm(width)  # the grid (LibreOffice reads it) and each cell (Word)
        for r, row in enumerate([header, *body]):
            for c, value in enumerate(row[: len(header)]):
                cell = table.cell(r, c)
                cell.width = Mm(widths[c])
                cell.text = ""
                font(cell.paragraphs[0].add_run(value), "仿宋_GB2312", 10.5, bold=(r == 0))
        table_rows.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            if not in_code and graphviz_available():
                png = render_graphviz(to_dot(process, words=True), "png")
                doc.add_picture(io.BytesIO(png), width=Mm(150))
            elif not in_code:
                # no Graphviz here: the page says where the flow is, the CLI how to
                # get the picture
                para("各环节的办理顺序及去向见下文“环节说明”表。", size=12)
                warnings.warn(
                    _(
                        "the Word manual has no flowchart: Graphviz (`dot`) is not installed; install it and run procdoc manual again (the Markdown manual has a Mermaid flowchart)"
                    ),
                    ProcdocWarning,
                    stacklevel=2,
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
