"""Flowcharts of a process: Mermaid and Graphviz DOT text, SVG/PNG through Graphviz."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Literal

from procdoc.errors import ProcdocError
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


def _node_lines(process: Process, step: Step) -> list[str]:
    lines = [step.name]
    meta = [m for m in (step.role, step.deadline.label_cn() if step.deadline else None) if m]
    if step.deadline and step.deadline.start:
        meta[-1] = f"{meta[-1]}（自{start_name(process, step.deadline)}起）"
    if meta:
        lines.append(" · ".join(meta))
    if step.kind == "countersign":
        lines.append(
            f"会签（{'全部' if step.mode == 'all' else '任一'}）：{'、'.join(step.signers)}"
        )
    elif step.kind == "approval":
        lines.append("审批")
    return lines


def _edges(process: Process) -> list[tuple[str, str, str, bool]]:
    """(from, to, label, is_return)."""
    out = []
    for step in process.steps:
        for branch in step.next:
            label = (
                readable(process, branch.when.text)
                if branch.when
                else ("其他" if len(step.next) > 1 else "")
            )
            out.append((step.id, branch.to, label, False))
        for target in step.back:
            out.append((step.id, target, "退回", True))
    return out


def to_mermaid(process: Process, *, current: str | None = None) -> str:
    def q(text: str) -> str:
        return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")

    lines = ["flowchart TD", f"  %% {process.name} ({process.id})"]
    for step in process.steps:
        label = "<br/>".join(q(line) for line in _node_lines(process, step))
        shape = ('(["', '"])') if step.final or step is process.first_step else ('["', '"]')
        if step.kind == "approval":
            shape = ('{{"', '"}}')
        lines.append(f"  {step.id}{shape[0]}{label}{shape[1]}")
    for src, dst, label, is_return in _edges(process):
        arrow = "-.->" if is_return else "-->"
        lines.append(f'  {src} {arrow}|"{q(label)}"| {dst}' if label else f"  {src} {arrow} {dst}")
    if current:
        lines.append("  classDef current fill:#ffe08a,stroke:#c77c00,stroke-width:2px")
        lines.append(f"  class {current} current")
    return "\n".join(lines) + "\n"


def to_dot(process: Process, *, current: str | None = None) -> str:
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
    for src, dst, label, is_return in _edges(process):
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
            f"--format {fmt} needs the Graphviz program `dot`, which is not installed",
            hint="install Graphviz (apt install graphviz / winget install graphviz), or use --format mermaid or dot",
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
        raise ProcdocError(f"Graphviz failed: {err}") from err
    if done.returncode != 0:
        raise ProcdocError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
