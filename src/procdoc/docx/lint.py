"""Template checks: the mistakes docxtpl passes over silently or reports obscurely.

- Jinja syntax errors, with the part and the document text near them.
- Tags typed with full-width braces or percent signs (``｛｛ ｝｝ ｛％ ％｝`` and mixed forms
  like ``｛{``), a Chinese input-method habit: docxtpl leaves them in the document as text.
- ``{%p``, ``{%tr`` or ``{%tc`` used twice in one paragraph, row or cell: docxtpl replaces
  the whole paragraph, row or cell by the first tag and drops the second.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from lxml import etree

from procdoc.docx.engine import (
    W_NS,
    CompiledTemplate,
    TemplatePart,
    describe_syntax_error,
    jinja_environment,
    prepare_part,
    read_template_parts,
)
from procdoc.errors import RenderError
from procdoc.i18n import _

__all__ = ["TemplateProblem", "lint_template", "template_variable_needs", "template_variables"]

Severity = Literal["error", "warning"]

_W_P: Final = f"{{{W_NS}}}p"
_W_T: Final = f"{{{W_NS}}}t"
_W_TR: Final = f"{{{W_NS}}}tr"
_W_TC: Final = f"{{{W_NS}}}tc"

_FULL_WIDTH: Final = "｛｝％"
# A brace pair or brace-percent pair in which at least one character is full-width.
_BRACES: Final = re.compile(r"[{｛][{｛%％#]|[}｝%％#][}｝]")
_OPENING: Final = re.compile(r"[{｛][{｛%％#]")
_CLOSING: Final = re.compile(r"[}｝%％#][}｝]")
_LEVEL_TAG: Final = {level: re.compile(r"\{[%{#]" + level + r" ") for level in ("p", "tr", "tc")}
_LEVEL_NAME: Final = {"p": "paragraph", "tr": _("table row"), "tc": _("table cell")}


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem of a template: where it is and what is wrong."""

    template: str  # the template's name (file stem)
    part: str  # the zip member, e.g. "word/document.xml"; "" for the file itself
    message: str
    severity: Severity


def template_variables(path: Path) -> frozenset[str]:
    """The variables the template needs: it uses them, does not define them itself and
    uses them somewhere without a guard (RenderError if the template is broken)."""
    return CompiledTemplate.compile(path).variables


def template_variable_needs(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """``(required, optional)``: the variables the template needs, and those it uses only
    under a guard (``{{ x|default('') }}``, ``{% if x is defined %}``), which a case may
    lack. RenderError if the template is broken."""
    compiled = CompiledTemplate.compile(path)
    return compiled.variables, compiled.optional


def lint_template(path: Path) -> list[TemplateProblem]:
    """All problems found in the template at ``path``, in document order."""
    name = path.stem
    try:
        source, parts = read_template_parts(path)
    except RenderError as exc:
        return [TemplateProblem(name, "", exc.message, "error")]
    helper = DocxTemplate(io.BytesIO(source))
    problems: list[TemplateProblem] = []
    for part in parts:
        problems.extend(
            TemplateProblem(name, part.name, message, severity)
            for severity, message in _check_part(helper, part)
        )
    return problems


def _check_part(helper: Any, part: TemplatePart) -> list[tuple[Severity, str]]:
    found: list[tuple[Severity, str]] = []
    root = etree.fromstring(part.xml)
    if part.kind == "core":
        texts = ["".join(root.itertext())]
    else:
        texts = [_own_text(paragraph) for paragraph in root.iter(_W_P)]
    for text in texts:
        snippet = _full_width_tag(text)
        if snippet is not None:
            found.append(
                (
                    "error",
                    _(
                        "full-width braces in a tag: '{snippet}' (docxtpl leaves it as text); type the tag with half-width {{{{ }}}} or {{% %}}"
                    ).format(snippet=snippet),
                )
            )
    if part.kind != "core":
        found.extend(("warning", message) for message in _doubled_level_tags(root))
    if part.templated:
        source = prepare_part(helper, part)
        try:
            jinja_environment().parse(source)
        except TemplateSyntaxError as exc:
            found.append(
                (
                    "error",
                    _("template syntax error {describe_syntax_error}").format(
                        describe_syntax_error=describe_syntax_error(source, exc)
                    ),
                )
            )
    return found


def _own_text(paragraph: Any) -> str:
    """The paragraph's text, without that of paragraphs nested in it (text boxes)."""
    parts: list[str] = []
    for text in paragraph.iter(_W_T):
        owner = next(text.iterancestors(_W_P), None)
        if owner is paragraph and text.text:
            parts.append(text.text)
    return "".join(parts)


def _full_width_tag(text: str) -> str | None:
    """The text around the first tag typed with full-width characters, if any."""
    for match in _BRACES.finditer(text):
        if not any(ch in _FULL_WIDTH for ch in match.group()):
            continue
        start, end = match.start(), match.end()
        if match.group()[0] in "{｛":  # an opening pair: show up to its closing pair
            closing = _CLOSING.search(text, end, end + 40)
            end = closing.end() if closing else min(len(text), end + 20)
        else:  # a closing pair: show from its opening pair
            openings = list(_OPENING.finditer(text, max(0, start - 40), start))
            start = openings[-1].start() if openings else max(0, start - 20)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return None


def _doubled_level_tags(root: Any) -> list[str]:
    messages: list[str] = []
    scopes = (("p", root.iter(_W_P)), ("tr", root.iter(_W_TR)), ("tc", root.iter(_W_TC)))
    for level, elements in scopes:
        for element in elements:
            text = _own_text(element) if level == "p" else _all_text(element)
            count = len(_LEVEL_TAG[level].findall(text))
            if count > 1:
                shown = text if len(text) <= 60 else text[:59] + "…"
                messages.append(
                    _(
                        "{{%{level} used {count} times in one {level_name} ('{shown}'): docxtpl keeps only the first; give each its own {level_name}"
                    ).format(level=level, count=count, level_name=_LEVEL_NAME[level], shown=shown)
                )
    return messages


def _all_text(element: Any) -> str:
    return "".join(text.text or "" for text in element.iter(_W_T))
