"""Flowcharts of a process: Mermaid and Graphviz DOT text, SVG/PNG through Graphviz."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from typing import Literal

from procdoc.errors import ProcdocError
from procdoc.i18n import _
from procdoc.process.expr import Expression
from procdoc.process.model import DeadlineRule, Process, Step

GraphFormat = Literal["mermaid", "dot", "svg", "png"]
KIND_CN = {"task": "", "approval": "审批", "countersign": "会签"}


def readable(process: Process, text: str) -> str:
    """A condition with field ids replaced by their labels: 是否受理 == '是'."""

    def label(m: re.Match[str]) -> str:
        name = m.group(0)
        return process.fields[name].label if name in process.fields else name

    return re.sub(r"[^\W\d]\w*", label, text)


def start_name(process: Process, key: str | DeadlineRule) -> str:
    """What a deadline's ``from`` names, in words: a step's name or a field's label (for
    a rule with fallbacks: ``收到日期（无则信访登记）``)."""
    if isinstance(key, DeadlineRule):
        first, *rest = key.starts
        return start_name(process, first) + (
            f"（无则{'、'.join(start_name(process, k) for k in rest)}）" if rest else ""
        )
    step = process.find_step(key)
    if step is not None:
        return step.name
    return process.fields[key].label if key in process.fields else key


def deadline_words(process: Process, rule: DeadlineRule, *, extend: str = "") -> str:
    """A deadline in words: ``5个工作日``, ``60日（自受理审查起）``, ``至完成时限``;
    ``extend`` (e.g. ``30日``) adds ``可延长30日`` inside the brackets."""
    text, notes = rule.label_cn(), []
    if rule.start is not None:
        name = start_name(process, rule.start)
        if rule.duration.amount == 0:
            text = f"至{name}"
        else:
            notes.append(f"自{name}起")
    if extend:
        notes.append(f"可延长{extend}")
    return text + (f"（{'，'.join(notes)}）" if notes else "")


def step_limit(process: Process, step: Step) -> str:
    """A step's time limit in words with what ``extend`` allows, "" when it has none:
    ``5个工作日（可延长2个工作日）``."""
    if step.deadline is None:
        return ""
    return deadline_words(
        process, step.deadline, extend=step.extend.label_cn() if step.extend else ""
    )


_COMPARE_WORDS: dict[type[ast.cmpop], str] = {
    ast.Eq: "为", ast.NotEq: "不为", ast.Lt: "小于", ast.LtE: "小于或等于", ast.Gt: "大于",
    ast.GtE: "大于或等于", ast.In: "为", ast.NotIn: "不为",
}  # fmt: skip
_ARITH_WORDS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "×", ast.Div: "÷", ast.Mod: "除以后的余数",
}  # fmt: skip


def condition_words(process: Process, condition: Expression) -> str:
    """A `when` condition as an office document says it, field labels for ids:
    ``初审结论为退回来文单位``, ``金额大于5000且费用类别为差旅费``."""

    def value(node: ast.AST) -> str:
        match node:
            case ast.Name(id=name):
                if name in ("true", "True"):
                    return "是"
                if name in ("false", "False"):
                    return "否"
                if name in ("null", "None"):
                    return "空"
                return process.fields[name].label if name in process.fields else name
            case ast.Constant(value=True):
                return "是"
            case ast.Constant(value=False):
                return "否"
            case ast.Constant(value=None | ""):
                return "空"
            case ast.Constant(value=constant):
                return str(constant)
            case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
                names = [value(item) for item in items]
                return (
                    "、".join(names[:-1]) + "或" + names[-1] if len(names) > 1 else "".join(names)
                )
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return f"-{value(operand)}"
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return f"并非{inner(operand)}"
            case ast.BinOp(left=left, op=op, right=right):
                return f"{value(left)}{_ARITH_WORDS.get(type(op), '?')}{value(right)}"
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                parts, a = [], left
                for cmp, b in zip(ops, comparators, strict=True):
                    parts.append(f"{value(a)}{_COMPARE_WORDS[type(cmp)]}{value(b)}")
                    a = b
                return "且".join(parts)
            case ast.BoolOp(op=boolop, values=items):
                joiner = "且" if isinstance(boolop, ast.And) else "或"
                return joiner.join(inner(item) for item in items)
        return ast.unparse(node)  # pragma: no cover - the loader allows nothing else

    def inner(node: ast.AST) -> str:
        text = value(node)
        return f"（{text}）" if isinstance(node, ast.BoolOp) else text

    return value(condition.tree)


def _node_lines(process: Process, step: Step) -> list[str]:
    lines = [step.name]
    meta = [m for m in (step.role, step.deadline.label_cn() if step.deadline else None) if m]
    if step.deadline and step.deadline.start:
        meta[-1] = f"{meta[-1]}（自{start_name(process, step.deadline)}起）"
    deadline = deadline_words(process, step.deadline) if step.deadline else None
    meta = [m for m in (step.role, deadline) if m]
    if meta:
        lines.append(" · ".join(meta))
    if step.kind == "countersign":
        lines.append(
            f"会签（{'全部' if step.mode == 'all' else '任一'}）：{'、'.join(step.signers)}"
        )
    elif step.kind == "approval":
        lines.append("审批")
    return lines


def _edges(process: Process, *, words: bool = False) -> list[tuple[str, str, str, bool]]:
    """(from, to, label, is_return); ``words``: conditions as a document says them."""
    out = []
    for step in process.steps:
        for branch in step.next:
            label = (
                (
                    condition_words(process, branch.when)
                    if words
                    else readable(process, branch.when.text)
                )
                if branch.when
                else ("其他" if len(step.next) > 1 else "")
            )
            out.append((step.id, branch.to, label, False))
        for target in step.back:
            out.append((step.id, target, "退回", True))
    return out


def to_mermaid(process: Process, *, current: str | None = None, words: bool = False) -> str:
    def q(text: str) -> str:
        return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")

    lines = ["flowchart TD", f"  %% {process.name} ({process.id})"]
    for step in process.steps:
        label = "<br/>".join(q(line) for line in _node_lines(process, step))
        shape = ('(["', '"])') if step.final or step is process.first_step else ('["', '"]')
        if step.kind == "approval":
            shape = ('{{"', '"}}')
        lines.append(f"  {step.id}{shape[0]}{label}{shape[1]}")
    for src, dst, label, is_return in _edges(process, words=words):
        arrow = "-.->" if is_return else "-->"
        lines.append(f'  {src} {arrow}|"{q(label)}"| {dst}' if label else f"  {src} {arrow} {dst}")
    if current:
        lines.append("  classDef current fill:#ffe08a,stroke:#c77c00,stroke-width:2px")
        lines.append(f"  class {current} current")
    return "\n".join(lines) + "\n"


def to_dot(process: Process, *, current: str | None = None, words: bool = False) -> str:
    def q(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    lines = [
        f'digraph "{q(process.id)}" {{',
        f'  label="{q(process.name)}"; labelloc=t; fontsize=18;',
        '  graph [fontname="Noto Sans CJK SC,WenQuanYi Zen Hei,SimHei,sans-serif", rankdir=TB];',
        '  node [shape=box, style="rounded", fontname="Noto Sans CJK SC,WenQuanYi Zen Hei,SimHei,sans-serif"];',
        '  edge [fontname="Noto Sans CJK SC,WenQuanYi Zen Hei,SimHei,sans-serif", fontsize=10];',
    ]
    for step in process.steps:
        attrs = [f'label="{q(chr(10).join(_node_lines(process, step)))}"']
        if step.final:
            attrs.append("peripheries=2")
        if step.kind == "approval":
            attrs.append('shape=hexagon, style=""')
        if step.id == current:
            attrs.append('style="rounded,filled", fillcolor="#ffe08a"')
        lines.append(f'  "{step.id}" [{", ".join(attrs)}];')
    for src, dst, label, is_return in _edges(process, words=words):
        attrs = []
        if label:
            attrs.append(f'label="{q(label)}"')
        if is_return:
            attrs.append("style=dashed, constraint=false")
        lines.append(f'  "{src}" -> "{dst}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphviz_available() -> bool:
    return shutil.which("dot") is not None


def render_graphviz(dot_text: str, fmt: Literal["svg", "png"]) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise ProcdocError(
            _("--format {fmt} needs the Graphviz program `dot`, which is not installed").format(
                fmt=fmt
            ),
            hint=_(
                "install Graphviz (apt install graphviz / winget install graphviz), or use --format mermaid or dot"
            ),
        )
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ProcdocError(_("Graphviz failed: {err}").format(err=err)) from err
    if done.returncode != 0:
        raise ProcdocError(
            _("Graphviz failed: {decode}").format(
                decode=done.stderr.decode("utf-8", "replace").strip()
            )
        )
    return done.stdout
