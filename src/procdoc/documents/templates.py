"""The workspace's templates: their checks for `validate` and `procdoc templates`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.documents.context import core_names, names_for
from procdoc.errors import RenderError
from procdoc.i18n import _, name_list
from procdoc.process.loader import Problem
from procdoc.process.model import Process
from procdoc.yamlpos import Pos

if TYPE_CHECKING:
    from procdoc.workspace import Workspace


def check_templates(ws: Workspace, processes: Mapping[str, Process]) -> list[Problem]:
    """Lint every template; check the variables it needs against the fields it can receive
    (a variable it uses only under a guard, ``{{ x|default('') }}`` or ``{% if x is
    defined %}``, is optional: a process need not have it)."""
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
                Problem(
                    problem.severity,
                    Pos(shown, 1, 1),
                    _("{what}: {detail}").format(what=problem.part, detail=problem.message)
                    if problem.part
                    else problem.message,
                )
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
                            _(
                                "uses {missing}, which process {id} (it lists this template) does not provide"
                            ).format(missing=name_list(missing), id=process.id),
                        )
                    )
        else:
            missing = sorted(used - union)
            if missing:
                out.append(
                    Problem(
                        "warning",
                        Pos(shown, 1, 1),
                        _("uses {missing}, which no process provides").format(
                            missing=name_list(missing)
                        ),
                    )
                )
    return out


@dataclass
class TemplateInfo:
    """A template for `procdoc templates`. ``variables``: every variable it uses, by name,
    an optional one (used only under a guard, see ``CompiledTemplate.optional``) marked
    with a ``?`` (``phone?``); ``optional``: those names alone; ``problem``: why it cannot
    be rendered (`validate` says where)."""

    name: str
    title: str
    variables: list[str]
    processes: list[str]
    optional: list[str] = field(default_factory=list)
    #: why the template cannot be rendered (a syntax error), None when it can
    problem: str | None = None


def templates_info(ws: Workspace) -> list[TemplateInfo]:
    from procdoc.docx.lint import template_variable_needs

    out = []
    for name in ws.template_names():
        path = ws.config.templates / f"{name}.docx"
        users = sorted(
            {p.id for p in ws.processes.values() for s in p.steps if name in s.documents}
        )
        problem = None
        try:
            required, optional = template_variable_needs(path)
        except RenderError as err:  # listed all the same, with what is wrong with it
            required = optional = frozenset()
            problem = err.message
        shown = sorted([*required, *(f"{v}?" for v in optional)], key=lambda v: v.rstrip("?"))
        out.append(
            TemplateInfo(
                name,
                template_title(path),
                shown,
                users,
                optional=sorted(optional),
                problem=problem,
            )
        )
    return out


def _opened(path: Path) -> Any:
    """The template as python-docx reads it; None when it is not a readable .docx (the
    template's problem says so where it is listed)."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None


def core_title(path: Path) -> str:
    """The title in the template's properties (Word: 文件 > 信息 > 属性 > 标题; the
    library's templates have one), "" when it has none."""
    doc = _opened(path)
    return str(doc.core_properties.title or "") if doc is not None else ""


def template_title(path: Path) -> str:
    """The document's title: its core property, else its first line without tags."""
    doc = _opened(path)
    if doc is None:
        return ""
    if doc.core_properties.title:
        return str(doc.core_properties.title)
    for para in doc.paragraphs:
        text = str(para.text).strip()
        if text and "{" not in text and "｛" not in text:
            return text
    return ""
