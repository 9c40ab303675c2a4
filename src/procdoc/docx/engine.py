"""Render .docx templates fast: docxtpl's preparation done once per template.

docxtpl re-reads the package, re-runs ``patch_xml`` and recompiles every part with Jinja
on every ``render()``; that is about 95 % of its cost per document (notes/docx-render.md).
:class:`CompiledTemplate` runs docxtpl's own preparation once (pinned to docxtpl 0.20.x),
compiles each templated part with one shared Jinja environment and keeps a zip of the
untouched package members. A document is then: render the parts, the post-processing
docxtpl would do (only the steps the output needs), a strict XML check, and appending
the parts to the pre-built zip.

Templated parts: the main document, the headers and footers it references, the footnotes
(as docxtpl), and the endnotes and ``docProps/core.xml`` when they contain tags (docxtpl
leaves endnotes alone and renders six core properties as plain strings).

Documents whose context holds docxtpl objects bound to a ``DocxTemplate`` (``InlineImage``,
``Subdoc``, ``RichText`` with hyperlinks) are rendered by docxtpl itself, one fresh
``DocxTemplate`` per document, with the same environment.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import glob
import html
import io
import math
import multiprocessing
import os
import re
import secrets
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

import docxtpl
from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate, InlineImage, RichText, RichTextParagraph
from jinja2 import (
    Environment,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    UndefinedError,
    meta,
    nodes,
)
from lxml import etree

from procdoc.errors import RenderError
from procdoc.fileio import make_folder
from procdoc.i18n import _, kind_word
from procdoc.nobreak import keep_numbers_whole

__all__ = [
    "CompiledTemplate",
    "PartKind",
    "TemplatePart",
    "describe_syntax_error",
    "jinja_environment",
    "read_template_parts",
    "render_batch",
    "variable_needs",
]

PartKind = Literal["document", "header", "footer", "footnotes", "endnotes", "core"]

W_NS: Final = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R_NS: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# Characters XML 1.0 does not allow. \a and \f are among them, but docxtpl's listing
# handling turns those into a new paragraph and a page break first.
_ILLEGAL_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_UNDEFINED_NAME: Final = re.compile(r"^'([^']+)' is undefined$")
_PARAGRAPH_START: Final = re.compile(r"<w:p([ >])")
_TAGS: Final = re.compile(r"<[^>]*>")
_DOCXTPL_ESCAPES: Final = ("{_{", "}_}", "{_%", "%_}")

# Zip compression level of the rendered parts (the untouched members are compressed once).
_COMPRESSLEVEL: Final = 6

# Batches below this size render in-process: starting workers costs more than it saves.
_PARALLEL_MIN_FAST: Final = 200
_PARALLEL_MIN_DOCXTPL: Final = 24
# Start method for render_batch's pool; None is the platform default (tests set "spawn").
_MP_START_METHOD: str | None = None

_Subdoc: type[Any] | None = getattr(docxtpl, "Subdoc", None)  # needs docxcompose

_ENVIRONMENT: Environment | None = None


def jinja_environment() -> Environment:
    """The one Jinja environment of procdoc's documents: autoescape, StrictUndefined, and
    sandboxed (Jinja's immutable sandbox): a template is a Word file anyone may drop into
    templates/, so it reaches no Python internals (``x.__class__``, ``cycler.__init__``
    and on to ``os``: a QA template ran a shell command through them) and changes no
    value it is given, as the safe `when` expressions of the process files. Besides
    Jinja's filters, a template may use procdoc's (:mod:`procdoc.docx.filters`):
    ``{{ amount|rmb_upper }}`` writes an amount in capital numerals (金额大写),
    ``{{ amount|money }}`` in figures (``2,130.40``)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        from procdoc.docx.filters import FILTERS

        env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
        env.filters.update(FILTERS)
        _ENVIRONMENT = env
    return _ENVIRONMENT


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """One XML part of a template that Jinja tags may appear in."""

    name: str  # zip member name, e.g. "word/header1.xml"
    kind: PartKind
    xml: str  # normalised with an lxml round-trip, no XML declaration
    templated: bool  # whether rendering can change it


def _display(path: Path) -> str:
    return path.as_posix()


def _not_docx(path: Path, why: str) -> RenderError:
    return RenderError(
        _("{display}: not a Word .docx file ({why})").format(display=_display(path), why=why),
        hint=_("save the template from Word or WPS as .docx (not .doc, .wps or .docm)"),
    )


def _normalise(raw: bytes) -> str:
    """The part as docxtpl sees it: parsed like python-docx does, serialised again."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
    root = etree.fromstring(raw, parser)
    return str(etree.tostring(root, encoding="unicode"))


def read_template_parts(path: Path) -> tuple[bytes, list[TemplatePart]]:
    """The template's bytes and its XML parts that tags may appear in, main document first.

    Raises :class:`RenderError` when the file is missing or is not a .docx.
    """
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise RenderError(
            _("template not found: {display}").format(display=_display(path))
        ) from None
    except OSError as exc:
        raise RenderError(
            _("cannot read template {display}: {strerror}").format(
                display=_display(path), strerror=exc.strerror
            )
        ) from exc
    if not zipfile.is_zipfile(io.BytesIO(source)):
        raise _not_docx(path, _("it is not a zip package"))
    try:
        document = Document(io.BytesIO(source))
    except Exception as exc:  # PackageNotFoundError, KeyError, ValueError, XMLSyntaxError...
        raise _not_docx(path, str(exc) or type(exc).__name__) from exc

    found: list[tuple[str, PartKind]] = [(str(document.part.partname).lstrip("/"), "document")]
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype not in (RT.HEADER, RT.FOOTER):
            continue
        kind: PartKind = "header" if rel.reltype == RT.HEADER else "footer"
        found.append((str(rel.target_part.partname).lstrip("/"), kind))
    package = document.part.package
    for part in package.iter_parts():
        if part.content_type == CT.WML_FOOTNOTES:
            found.append((str(part.partname).lstrip("/"), "footnotes"))
        elif part.content_type == CT.WML_ENDNOTES:
            found.append((str(part.partname).lstrip("/"), "endnotes"))
    for rel in package.rels.values():
        if not rel.is_external and rel.reltype == RT.CORE_PROPERTIES:
            found.append((str(rel.target_part.partname).lstrip("/"), "core"))

    parts: list[TemplatePart] = []
    seen: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        members = set(archive.namelist())
        for name, kind in found:
            if name in seen or name not in members:
                continue
            seen.add(name)
            try:
                xml = _normalise(archive.read(name))
            except etree.XMLSyntaxError as exc:
                raise _not_docx(
                    path, _("{name} is not well-formed XML: {exc}").format(name=name, exc=exc)
                ) from exc
            parts.append(TemplatePart(name, kind, xml, _is_templated(kind, xml)))
    return source, parts


def _is_templated(kind: PartKind, xml: str) -> bool:
    if kind == "document":
        return True
    if kind == "core":
        return "{{" in xml or "{%" in xml or "{#" in xml
    if kind == "endnotes":
        return "{" in xml
    # docxtpl renders headers, footers and footnotes always; without a "{" only its
    # listing handling of literal tabs and newlines can change them.
    return "{" in xml or "\t" in xml or "\n" in xml


# ------------------------------------------------------------------------- compiling


def _near(source: str, lineno: int | None) -> str:
    """The document text around a line of a prepared part (one paragraph a line)."""
    lines = source.split("\n")
    if not lines:
        return ""
    index = min(max((lineno or 1) - 1, 0), len(lines) - 1)
    text = ""
    for i in range(index, max(index - 4, -1), -1):
        text = " ".join(html.unescape(_TAGS.sub("", lines[i])).split())
        if text:
            break
    if len(text) > 60:
        at = max(text.find("{%"), text.find("{{"), 0)
        start = max(0, min(at - 10, len(text) - 60))
        text = ("…" if start else "") + text[start : start + 60] + "…"
    return text


def describe_syntax_error(source: str, exc: TemplateSyntaxError) -> str:
    """``near '<document text>': <what is wrong>`` for a syntax error in a prepared part."""
    message = exc.message or ""
    line = exc.lineno
    innermost = _INNERMOST.search(message)
    if message.startswith("Unexpected end of template") and innermost:
        line = _unclosed_line(source, innermost.group(1)) or line  # where the block opens
    return _("near '{text}': {message}").format(
        text=_near(source, line), message=syntax_message(message)
    )


def _unclosed_line(source: str, block: str) -> int | None:
    """The line of the innermost ``{% block %}`` left open in ``source`` (Jinja says the
    end of the template, which is far from the tag to fix)."""
    from jinja2 import TemplateSyntaxError as _Syntax

    opened: list[tuple[str, int]] = []
    after_begin = False
    try:
        for lineno, kind, value in jinja_environment().lex(source):
            if kind == "block_begin":
                after_begin = True
                continue
            if kind == "whitespace":
                continue
            if after_begin and kind == "name":
                if value in ("if", "for", "with", "macro", "call", "filter"):
                    opened.append((value, lineno))
                elif value.startswith("end") and opened and opened[-1][0] == value[3:]:
                    opened.pop()
            after_begin = False
    except _Syntax:
        return None
    lines = [n for tag, n in opened if tag == block]
    return lines[-1] if lines else None


def _tag(name: str) -> str:
    return "{% " + name + " %}"


def syntax_message(message: str) -> str:
    """Jinja's message for a syntax error, said in the office's terms (and translated)
    for the mistakes made in Word: a block never closed, closed in the wrong order or
    twice, an unknown tag, a ``{{`` never closed. Any other message is Jinja's own."""
    innermost = _INNERMOST.search(message)
    unknown = _UNKNOWN_TAG.match(message)
    if message.startswith("Unexpected end of template") and innermost:
        block = innermost.group(1)
        return _("{tag} is never closed: add {end} where the block ends").format(
            tag=_tag(block), end=_tag("end" + block)
        )
    if unknown and innermost:
        block = innermost.group(1)
        if block == "for" and unknown.group(1) == "else":  # a second {% else %}
            return _(
                "{found} after the {else_tag} of this {tag}: a {tag} has one {else_tag}, last"
            ).format(found=_tag("else"), else_tag=_tag("else"), tag=_tag("for"))
        if block == "if" and unknown.group(1) in ("else", "elif"):  # after an {% else %}
            return _(
                "{found} after the {else_tag} of this {tag}: an {tag} has one {else_tag}, last (a further choice is an {elif_tag} before it)"
            ).format(
                found=_tag(unknown.group(1)),
                else_tag=_tag("else"),
                tag=_tag("if"),
                elif_tag=_tag("elif"),
            )
        return _("{found} where {end} is expected: close the inner {tag} block first").format(
            found=_tag(unknown.group(1)), end=_tag("end" + block), tag=_tag(block)
        )
    if unknown and unknown.group(1) in _CLOSING:
        return _("{found} has no opening tag before it: remove it or add the opening tag").format(
            found=_tag(unknown.group(1))
        )
    if unknown:
        return _("unknown tag {found}: the tags are if, elif, else, for and their end tags").format(
            found=_tag(unknown.group(1))
        )
    no_filter = _NO_FILTER.match(message)
    if no_filter:
        return _("no filter named '{name}': the filters are Jinja's, rmb_upper and money").format(
            name=no_filter[1]
        )
    if message.startswith("unexpected end of template, expected 'end of print statement'"):
        return _("'{{' is never closed: add '}}' after the name")
    got = _GOT.match(message)
    if got and got.group(1) == "end of print statement":
        return _("a '{{ }}' that ends before its name or expression does: complete it")
    if got and got.group(1) == "end of statement block":
        return _("a tag with no condition in it: write what it tests")
    if got:
        return _(
            "unexpected '{got}' in a tag: one name in each {braces}; check the spelling"
        ).format(got=got.group(1), braces="{{ }}")
    return message


_NO_ATTRIBUTE: Final = re.compile(
    r"^'(?:(?:[\w]+\.)*(\w+) object|(None))' has no attribute '([^']+)'$"
)


def _kind(python_type: str) -> str:
    """What a template's value is, in the office's words (Jinja names Python's type)."""
    kinds = {"str": "text", "int": "number", "float": "number", "Decimal": "number",
             "date": "date", "datetime": "date", "list": "list", "dict": "mapping"}  # fmt: skip
    return kind_word(kinds.get(python_type, python_type))


_INNERMOST: Final = re.compile(r"The innermost block that needs to be closed is '(\w+)'")
_UNKNOWN_TAG: Final = re.compile(r"Encountered unknown tag '(\w+)'")
_GOT: Final = re.compile(
    r"(?:(?:Expected an expression|expected token '[^']*'), got|^unexpected) '([^']*)'$"
)
_NO_FILTER: Final = re.compile(r"No filter named '([^']+)'")
_CLOSING: Final = frozenset({"endif", "endfor", "else", "elif", "endwith", "endmacro"})


def _syntax_error(path: Path, part: str, source: str, exc: TemplateSyntaxError) -> RenderError:
    return RenderError(
        _("{display}: template syntax error in {part} {describe_syntax_error}").format(
            display=_display(path),
            part=part,
            describe_syntax_error=describe_syntax_error(source, exc),
        ),
        hint=_("fix the tag in Word; `{{ name }}` for values, `{% if %}…{% endif %}` for logic"),
    )


def prepare_part(helper: Any, part: TemplatePart) -> str:
    """docxtpl's preparation of one part: ``patch_xml``, then a line per paragraph."""
    patched = str(helper.patch_xml(part.xml))
    return _PARAGRAPH_START.sub(r"\n<w:p\1", patched)


def compile_part(
    path: Path, part: TemplatePart, source: str
) -> tuple[Template, frozenset[str], frozenset[str]]:
    """The compiled part, the variables it needs and those it uses only under a guard
    (see :func:`variable_needs`); RenderError on a syntax error."""
    env = jinja_environment()
    try:
        required, optional = variable_needs(env.parse(source))
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise _syntax_error(path, part.name, source, exc) from exc
    own = frozenset(env.globals)
    return template, required - own, optional - own


# ------------------------------------------------------------- optional variables

_DEFAULT_FILTERS: Final = frozenset({"default", "d"})
_Names = frozenset[str]
_NO_NAMES: Final[_Names] = frozenset()


def variable_needs(tree: nodes.Template) -> tuple[frozenset[str], frozenset[str]]:
    """The undeclared variables of a parsed template: ``(required, optional)``.

    A variable is optional when every use of it is guarded with Jinja's own means, so
    that rendering without it cannot fail under StrictUndefined: ``{{ x|default(...) }}``
    (or ``|d``), the test ``x is defined`` / ``x is undefined``, and whatever only runs
    when ``x`` is defined: the body of ``{% if x is defined %}`` (and of ``{% elif %}`` /
    ``{% else %}`` after ``x is not defined``), the right side of ``x is defined and …``
    or ``x is undefined or …``, the branches of ``… if x is defined else …``, and the
    body of ``{% if x|default('') %}``. Any other use makes it required: ``{{ x }}``,
    ``{% if x %}``, ``x or y``, ``x.attr|default('')`` (the attribute of an undefined
    variable is an error before the filter sees it). The guarded uses are taken out of
    ``tree`` (it is changed) and Jinja's own scoping finds what remains undeclared.
    """
    everything = frozenset(meta.find_undeclared_variables(tree))
    if not _take_out_guarded(tree, _NO_NAMES):
        return everything, _NO_NAMES
    required = frozenset(meta.find_undeclared_variables(tree)) & everything
    return required, everything - required


def _guarded_name(node: nodes.Node) -> str | None:
    """``x`` when ``node`` is ``x|default(...)``, ``x is defined`` or ``x is undefined``."""
    guard = (isinstance(node, nodes.Filter) and node.name in _DEFAULT_FILTERS) or (
        isinstance(node, nodes.Test) and node.name in ("defined", "undefined")
    )
    inner = getattr(node, "node", None) if guard else None
    return inner.name if isinstance(inner, nodes.Name) and inner.ctx == "load" else None


def _implies(test: nodes.Node) -> tuple[_Names, _Names]:
    """The variables certainly defined when ``test`` is true, and when it is false."""
    if isinstance(test, nodes.Not):
        when_true, when_false = _implies(test.node)
        return when_false, when_true
    if isinstance(test, nodes.And):
        left, right = _implies(test.left), _implies(test.right)
        return left[0] | right[0], left[1] & right[1]
    if isinstance(test, nodes.Or):
        left, right = _implies(test.left), _implies(test.right)
        return left[0] & right[0], left[1] | right[1]
    name = _guarded_name(test)
    if name is None:
        return _NO_NAMES, _NO_NAMES
    if isinstance(test, nodes.Test):
        if test.name == "defined":
            return frozenset({name}), _NO_NAMES
        return _NO_NAMES, frozenset({name})
    # x|default(v) is true only when x is defined if v is a false constant ('' or none)
    assert isinstance(test, nodes.Filter)
    plain = not (test.kwargs or test.dyn_args or test.dyn_kwargs)
    if plain and (not test.args or _false_constant(test.args[0])):
        return frozenset({name}), _NO_NAMES
    return _NO_NAMES, _NO_NAMES


def _false_constant(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and not node.value


def _take_out_guarded(node: nodes.Node, defined: _Names) -> bool:
    """Replace each guarded use of a variable under ``node`` by a constant; ``defined``:
    the variables certainly defined where ``node`` is. Whether anything was replaced."""
    changed = False

    def visit(child: Any, known: _Names) -> Any:
        nonlocal changed
        if isinstance(child, nodes.Name) and child.ctx == "load" and child.name in known:
            changed = True
            return nodes.Const(None, lineno=child.lineno)
        changed |= _take_out_guarded(child, known)
        return child

    def visit_all(children: list[Any], known: _Names) -> list[Any]:
        return [visit(child, known) for child in children]

    if isinstance(node, nodes.Filter | nodes.Test) and _guarded_name(node) is not None:
        node.node = nodes.Const(None, lineno=node.lineno)
        changed = True
    if isinstance(node, nodes.If):
        when_true, when_false = _implies(node.test)
        node.test = visit(node.test, defined)
        node.body = visit_all(node.body, defined | when_true)
        known = defined | when_false
        for branch in node.elif_:
            branch_true, branch_false = _implies(branch.test)
            branch.test = visit(branch.test, known)
            branch.body = visit_all(branch.body, known | branch_true)
            branch.elif_ = visit_all(branch.elif_, known | branch_false)
            branch.else_ = visit_all(branch.else_, known | branch_false)
            known = known | branch_false
        node.else_ = visit_all(node.else_, known)
        return changed
    if isinstance(node, nodes.CondExpr):
        when_true, when_false = _implies(node.test)
        node.test = visit(node.test, defined)
        node.expr1 = visit(node.expr1, defined | when_true)
        if node.expr2 is not None:
            node.expr2 = visit(node.expr2, defined | when_false)
        return changed
    if isinstance(node, nodes.And | nodes.Or):
        when_true, when_false = _implies(node.left)
        node.left = visit(node.left, defined)
        node.right = visit(
            node.right, defined | (when_true if isinstance(node, nodes.And) else when_false)
        )
        return changed
    for field in node.fields:
        value = getattr(node, field, None)
        if isinstance(value, nodes.Node):
            setattr(node, field, visit(value, defined))
        elif isinstance(value, list):
            setattr(
                node,
                field,
                [visit(item, defined) if isinstance(item, nodes.Node) else item for item in value],
            )
    return changed


@dataclass(frozen=True, slots=True)
class _CompiledPart:
    name: str
    kind: PartKind
    template: Template
    date_time: tuple[int, int, int, int, int, int]
    encoded_name: bytes
    unescape: bool  # the template uses docxtpl's {_{ }_} {_% %_} escapes
    main: bool


class CompiledTemplate:
    """A .docx template prepared once, rendered many times (thread-safe rendering).

    ``variables`` are the top-level names the template uses and does not define itself
    (docxtpl's ``get_undeclared_template_variables``, over every part rendered here, less
    Jinja's globals such as ``range``) and that it needs: those used somewhere without a
    guard. ``optional`` are the others, used only under a guard such as
    ``{{ x|default('') }}`` or ``{% if x is defined %}`` (:func:`variable_needs`): a
    context may lack them. Rendering refuses any undefined variable used unguarded
    (StrictUndefined). ``fast`` is False when every document goes through
    docxtpl: when asked for, or when the package has no main document part of its own
    name. A fast template still hands a document to docxtpl when its context holds an
    ``InlineImage``, a ``Subdoc`` or a ``RichText`` with hyperlinks.
    """

    name: str
    path: Path
    variables: frozenset[str]
    optional: frozenset[str]
    fast: bool

    def __init__(
        self,
        *,
        path: Path,
        source: bytes,
        variables: frozenset[str],
        optional: frozenset[str] = frozenset(),
        fast: bool,
        parts: tuple[_CompiledPart, ...],
        prebuilt: bytes,
        drawings: bool,
        tables: bool,
    ) -> None:
        self.name = path.stem
        self.path = path
        self.variables = variables
        self.optional = optional
        self.fast = fast
        self._source = source
        self._parts = parts
        self._package = _Package(prebuilt)
        self._drawings = drawings
        self._tables = tables
        self._helper = DocxTemplate(io.BytesIO(source))  # stateless helpers only

    def __repr__(self) -> str:
        return f"CompiledTemplate({_display(self.path)!r}, fast={self.fast})"

    @property
    def templated_parts(self) -> tuple[str, ...]:
        """The zip members that rendering writes anew."""
        return tuple(part.name for part in self._parts)

    @classmethod
    def compile(cls, path: Path, *, force_docxtpl: bool = False) -> CompiledTemplate:
        """Prepare ``path`` once. ``force_docxtpl`` renders every document with docxtpl."""
        source, parts = read_template_parts(path)
        source = _breaks_not_justified(source)
        helper = DocxTemplate(io.BytesIO(source))
        compiled: list[_CompiledPart] = []
        variables: set[str] = set()
        optional: set[str] = set()
        drawings = tables = False
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            for part in parts:
                if not part.templated:
                    continue
                prepared = prepare_part(helper, part)
                template, names, guarded = compile_part(path, part, prepared)
                variables |= names
                optional |= guarded
                if part.kind == "document":
                    drawings = "docPr" in prepared
                    tables = "tbl" in prepared
                compiled.append(
                    _CompiledPart(
                        name=part.name,
                        kind=part.kind,
                        template=template,
                        date_time=infos[part.name].date_time,
                        encoded_name=part.name.encode("utf-8"),
                        unescape=any(e in prepared for e in _DOCXTPL_ESCAPES),
                        main=part.kind == "document",
                    )
                )
            templated = {part.name for part in compiled}
            prebuilt = io.BytesIO()
            with zipfile.ZipFile(prebuilt, "w", zipfile.ZIP_DEFLATED) as out:
                for info in archive.infolist():
                    if info.filename in templated:
                        continue
                    member = zipfile.ZipInfo(info.filename, info.date_time)
                    member.compress_type = zipfile.ZIP_DEFLATED
                    member.external_attr = info.external_attr
                    out.writestr(member, archive.read(info))
        return cls(
            path=path,
            source=source,
            variables=frozenset(variables),
            optional=frozenset(optional - variables),
            # The fast path needs the main document part under its own name in the zip.
            fast=not force_docxtpl and bool(compiled) and compiled[0].main,
            parts=tuple(compiled),
            prebuilt=prebuilt.getvalue(),
            drawings=drawings,
            tables=tables,
        )

    # ----------------------------------------------------------------- rendering

    def builder(self) -> DocxTemplate:
        """A DocxTemplate of this template to make docxtpl objects with for a context:
        ``new_subdoc()``, ``build_url_id()`` for RichText hyperlinks, ``InlineImage``,
        ``replace_media()`` and the other ``replace_*``. Pass it to :meth:`render` (images
        and subdocuments name it themselves); one builder a document, as with docxtpl."""
        return DocxTemplate(io.BytesIO(self._source))

    def render(self, context: Mapping[str, Any], *, builder: DocxTemplate | None = None) -> bytes:
        """The .docx bytes for ``context``. RenderError on an undefined variable.

        ``builder``: the DocxTemplate the context's docxtpl objects were made with (see
        :meth:`builder`); found from the images and subdocuments when not given. The
        document then keeps every part and relationship docxtpl would give it."""
        if not self.fast or builder is not None or _needs_docxtpl(context):
            return self._render_docxtpl(context, builder)
        ctx = context if type(context) is dict else dict(context)
        rendered = [(part, self._render_part(part, ctx)) for part in self._parts]
        return self._package.assemble(rendered)

    def _render_part(self, part: _CompiledPart, context: dict[str, Any]) -> bytes:
        try:
            xml = part.template.render(context)
        except Exception as exc:  # the template's own expressions can raise anything
            raise self._render_error(exc, part.name) from exc
        # What docxtpl's render_xml_part does after rendering, each step only if needed.
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        if part.unescape:
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%")
            xml = xml.replace("%_}", "%}")
        if "\r" in xml:  # only values can bring a raw CR: treat CRLF and CR as newlines
            xml = xml.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" in xml or "\t" in xml or "\a" in xml or "\f" in xml:
            xml = str(self._helper.resolve_listing(xml))
        if "-" in xml:
            xml = keep_numbers_whole(xml)
        xml, data, tree = self._well_formed(part, xml)
        if part.main and (self._drawings or self._tables):
            fix_tables = self._tables and _tables_need_fix(tree)
            if fix_tables or self._drawings:
                data = self._fix_main(xml, tree, fix_tables=fix_tables)
        return data

    def _well_formed(self, part: _CompiledPart, xml: str) -> tuple[str, bytes, Any]:
        """Encode and parse strictly; XML-illegal characters (from values) are removed."""
        try:
            data = _DECLARATION + xml.encode("utf-8")
            return xml, data, etree.fromstring(data, _strict_parser())
        except (UnicodeEncodeError, etree.XMLSyntaxError) as exc:
            cleaned = _ILLEGAL_XML.sub("", xml)
            if cleaned == xml:
                raise self._malformed(part.name, exc) from exc
        try:
            data = _DECLARATION + cleaned.encode("utf-8")
            return cleaned, data, etree.fromstring(data, _strict_parser())
        except (UnicodeEncodeError, etree.XMLSyntaxError) as exc:
            raise self._malformed(part.name, exc) from exc

    def _fix_main(self, xml: str, tree: Any, *, fix_tables: bool) -> bytes:
        """docxtpl's fix_tables (when a table's grid no longer fits) and docPr renumbering."""
        helper = DocxTemplate(io.BytesIO(self._source))  # fix_docpr_ids keeps a counter
        if fix_tables:
            try:
                tree = helper.fix_tables(xml)
            except (ValueError, TypeError, AttributeError) as exc:
                raise RenderError(
                    _("template {name}: cannot fix the table grid after rendering: {exc}").format(
                        name=self.name, exc=exc
                    ),
                    hint=_("check the {%tc %}, colspan and hm tags in its tables"),
                ) from exc
        if self._drawings:
            helper.docx_ids_index = 1000
            helper.fix_docpr_ids(tree)
        return bytes(etree.tostring(tree, encoding="UTF-8", standalone=True))

    def _render_error(self, exc: Exception, part: str) -> RenderError:
        if isinstance(exc, UndefinedError):
            match = _UNDEFINED_NAME.match(exc.message or "")
            if match:
                return RenderError(
                    _("template {name} uses undefined variable '{group}'").format(
                        name=self.name, group=match.group(1)
                    ),
                    hint=_("add the field to the case or fix the name in the template"),
                )
            attribute = _NO_ATTRIBUTE.match(exc.message or "")
            return RenderError(
                _("template {name}: {message} (in {part})").format(
                    name=self.name,
                    message=(
                        _("an empty value has no '.{attr}'").format(attr=attribute[3])
                        if attribute and attribute[2]
                        else _("a {kind} has no '.{attr}'").format(
                            kind=_kind(attribute[1]), attr=attribute[3]
                        )
                        if attribute
                        else exc.message
                    ),
                    part=part,
                ),
                hint=_("check the name after the dot in the template"),
            )
        detail = str(exc) or type(exc).__name__
        return RenderError(
            _("template {name}: error in {part}: {detail}").format(
                name=self.name, part=part, detail=detail
            ),
            hint=_("fix the expression in the template; this document was not written"),
        )

    def _malformed(self, part: str, exc: Exception) -> RenderError:
        return RenderError(
            _("template {name}: rendering {part} did not give well-formed XML ({exc})").format(
                name=self.name, part=part, exc=exc
            ),
            hint=_(
                "check that each {%p %}, {%tr %} and {%tc %} tag has a paragraph, row or cell of its own"
            ),
        )

    def _render_docxtpl(self, context: Mapping[str, Any], builder: Any = None) -> bytes:
        """docxtpl itself: one fresh DocxTemplate for this document, holding what the
        builder gained (a subdocument's styles, numbering and images; hyperlink targets;
        replacements), as rendering with the builder itself would."""
        builder = builder if builder is not None else _bound_template(context)
        template = _DocxTemplate(io.BytesIO(self._with_builder(builder)))
        if builder is not None:
            for name in ("crc_to_new_media", "crc_to_new_embedded", "zipname_to_replace",
                         "pics_to_replace"):  # fmt: skip
                setattr(template, name, dict(getattr(builder, name)))
            template.allow_missing_pics = builder.allow_missing_pics
        ctx = _for_docxtpl(context, template)
        try:
            template.render(ctx, jinja_env=jinja_environment(), autoescape=True)
            out = io.BytesIO()
            template.save(out)
        except etree.XMLSyntaxError as exc:
            raise self._malformed(_("a header or footer"), exc) from exc
        except TemplateSyntaxError as exc:
            raise RenderError(
                _("{display}: template syntax error: {message}").format(
                    display=_display(self.path), message=syntax_message(exc.message or "")
                )
            ) from exc
        except Exception as exc:
            raise self._render_error(exc, _("the document")) from exc
        data = _numbers_kept_whole(out.getvalue(), [part.name for part in self._parts])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in self._parts:
                try:
                    tree = etree.fromstring(archive.read(part.name), _strict_parser())
                except (KeyError, etree.XMLSyntaxError) as exc:
                    raise self._malformed(part.name, exc) from exc
                self._check_relationships(archive, part.name, tree)
        return data

    def _with_builder(self, builder: Any) -> bytes:
        """The package to render: the template, or the builder's document as it stands
        (with what new_subdoc and build_url_id related to it) when it is unrendered."""
        if builder is None:
            return self._source
        origin = builder.template_file
        if isinstance(origin, io.BytesIO):
            pristine = origin.getvalue()
        elif isinstance(origin, str | os.PathLike):
            pristine = Path(origin).read_bytes()
        else:
            pristine = self._source
        if pristine != self._source:
            raise RenderError(
                _(
                    "template {name}: the context's docxtpl objects were made with another template"
                ).format(name=self.name),
                hint=_("make them with this template's CompiledTemplate.builder()"),
            )
        if builder.docx is None or builder.is_rendered:
            return self._source
        state = io.BytesIO()
        builder.docx.save(state)
        return state.getvalue()

    def _check_relationships(self, archive: zipfile.ZipFile, name: str, tree: Any) -> None:
        """Every r:id, r:embed and r:link of a rendered part names one of its relationships
        (a RichText hyperlink built with a DocxTemplate procdoc was not given does not)."""
        folder, _unused, base = name.rpartition("/")
        rels_name = f"{folder}/_rels/{base}.rels"
        ids = {
            rel.get("Id")
            for rel in (
                etree.fromstring(archive.read(rels_name)) if rels_name in archive.namelist() else []
            )
        }
        for element in tree.iter():
            for attr, value in element.attrib.items():
                if attr.startswith(_R_NS) and value not in ids:
                    raise RenderError(
                        _(
                            "template {name}: {name2} refers to relationship {value}, which it does not have"
                        ).format(name=self.name, name2=name, value=value),
                        hint=_(
                            "make RichText hyperlinks with CompiledTemplate.builder() and pass render(..., builder=)"
                        ),
                    )


class _DocxTemplate(DocxTemplate):  # type: ignore[misc]  # docxtpl is untyped
    """docxtpl, but the core properties are rendered without HTML escaping.

    docxtpl renders them with the document's environment, so with autoescape a title
    ``{{ name }}`` with ``A&B`` became ``A&amp;B``; python-docx escapes them itself.
    """

    def render_properties(
        self, context: dict[str, Any], jinja_env: Environment | None = None
    ) -> None:
        super().render_properties(context, _plain_environment())


_PLAIN_ENVIRONMENT: Environment | None = None


def _plain_environment() -> Environment:
    global _PLAIN_ENVIRONMENT
    if _PLAIN_ENVIRONMENT is None:
        _PLAIN_ENVIRONMENT = jinja_environment().overlay(autoescape=False)
    return _PLAIN_ENVIRONMENT


_LOCAL_HEADER: Final = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER: Final = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD: Final = struct.Struct("<IHHHHIIH")
_UTF8_NAME: Final = 0x800


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


_COMPAT = re.compile(rb"<(\w+):compat(?:\s*/>|\s*>)")


def _breaks_not_justified(source: bytes) -> bytes:
    """The template with Word's ``doNotExpandShiftReturn`` set (unless it says otherwise):
    a value's newline is a line break (``<w:br/>``) in a paragraph justified to both
    edges, and without the setting Word and LibreOffice spread the line before each break
    across the page (信 访 事 项 ： 一 、… : QA). Set in the settings' ``compat``
    element; a template without one is left as it is."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        try:
            settings = archive.read("word/settings.xml")
        except KeyError:
            return source
        found = _COMPAT.search(settings)
        if b"doNotExpandShiftReturn" in settings or found is None:
            return source
        prefix = found.group(1)
        setting = b"<%s:doNotExpandShiftReturn/>" % prefix
        if found.group(0).endswith(b"/>"):
            tag = b"<%s:compat>%s</%s:compat>" % (prefix, setting, prefix)
        else:
            tag = found.group(0) + setting
        patched = settings[: found.start()] + tag + settings[found.end() :]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy_:
            for info in archive.infolist():
                data = patched if info.filename == "word/settings.xml" else archive.read(info)
                copy_.writestr(info, data)
    return out.getvalue()


class _Package:
    """A zip of the untouched members, to which each document's parts are appended.

    The untouched members are compressed once, when the template is compiled (by
    :mod:`zipfile`); each document then costs only the deflate of its own parts and a
    new central directory. Plain zip (no zip64): templates are far below 4 GiB.
    """

    def __init__(self, prebuilt: bytes) -> None:
        end = _END_RECORD.unpack(prebuilt[-_END_RECORD.size :])
        if end[0] != 0x06054B50 or end[7] != 0:
            raise AssertionError("the pre-built zip has no plain end record")
        self._count, directory_size, directory_at = end[4], end[5], end[6]
        self._members = prebuilt[:directory_at]
        self._directory = prebuilt[directory_at : directory_at + directory_size]

    def assemble(self, parts: Sequence[tuple[_CompiledPart, bytes]]) -> bytes:
        chunks = [self._members]
        directory = [self._directory]
        offset = len(self._members)
        for part, data in parts:
            packed = _deflate(data)
            name = part.encoded_name
            flags = 0 if name.isascii() else _UTF8_NAME
            dos_time, dos_date = _dos_time(part.date_time)
            # flags, method (8: deflate), time, date, CRC-32, compressed size, size
            fields = (flags, 8, dos_time, dos_date, zlib.crc32(data), len(packed), len(data))
            # local header: signature, version needed, fields, name and extra lengths
            chunks += (_LOCAL_HEADER.pack(0x04034B50, 20, *fields, len(name), 0), name, packed)
            # central header: signature, versions made by and needed, fields, extra and
            # comment lengths, disk, internal and external attributes, local header offset
            header = _CENTRAL_HEADER.pack(
                0x02014B50, 20, 20, *fields, len(name), 0, 0, 0, 0, 0, offset
            )
            directory += (header, name)
            offset += _LOCAL_HEADER.size + len(name) + len(packed)
        central = b"".join(directory)
        count = self._count + len(parts)
        chunks.append(central)
        chunks.append(_END_RECORD.pack(0x06054B50, 0, 0, count, count, len(central), offset, 0))
        return b"".join(chunks)


_PER_THREAD = threading.local()

# An empty final block (BFINAL=1, fixed Huffman codes, end-of-block): closes a deflate
# stream that ends byte-aligned, as it does after a full flush.
_FINAL_EMPTY_BLOCK: Final = b"\x03\x00"


def _deflate(data: bytes) -> bytes:
    """``data`` as a complete raw deflate stream, for a zip member.

    Setting up a zlib compressor costs more than compressing a few KiB of XML, so each
    thread keeps one. ``Z_FULL_FLUSH`` ends the data byte-aligned and resets the
    compressor's history, so the output stands alone; an empty final block completes it.
    """
    compressor = getattr(_PER_THREAD, "compressor", None)
    if compressor is None:
        compressor = zlib.compressobj(_COMPRESSLEVEL, zlib.DEFLATED, -15)
    _PER_THREAD.compressor = None  # not reused if compressing fails half-way
    packed = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
    _PER_THREAD.compressor = compressor
    return packed + _FINAL_EMPTY_BLOCK


def _strict_parser() -> Any:
    """A strict parser per thread (lxml parsers must not be shared between threads)."""
    parser = getattr(_PER_THREAD, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        _PER_THREAD.parser = parser
    return parser


_W: Final = {"w": W_NS}
_TABLES_WITH_GRID: Final = etree.XPath("//w:tbl[w:tblGrid]", namespaces=_W)
_GRID_COLUMNS: Final = etree.XPath("count(w:tblGrid/w:gridCol)", namespaces=_W)
_ROW_WITH_MORE_CELLS: Final = etree.XPath("boolean(.//w:tr[count(w:tc) > $n])", namespaces=_W)
_ROW_AS_WIDE: Final = etree.XPath(
    "boolean(.//w:tr[count(w:tc[not(w:tcPr/w:gridSpan)])"
    " + sum(w:tc/w:tcPr/w:gridSpan/@w:val) >= $n])",
    namespaces=_W,
)


def _tables_need_fix(tree: Any) -> bool:
    """Whether docxtpl's fix_tables would change a table of the rendered document.

    fix_tables adds grid columns when a row has more cells than the grid has columns,
    and removes columns when no row spans the whole grid; otherwise it changes nothing.
    Rows are counted as it counts them: every row inside the table, nested ones too.
    """
    for table in _TABLES_WITH_GRID(tree):
        columns = _GRID_COLUMNS(table)
        if _ROW_WITH_MORE_CELLS(table, n=columns) or not _ROW_AS_WIDE(table, n=columns):
            return True
    return False


_PLAIN_TYPES: Final = frozenset(
    {str, int, float, bool, type(None), date, datetime, time, timedelta, Decimal}
)


def _objects(context: Mapping[str, Any]) -> Iterator[Any]:
    """Every value in ``context`` (through mappings and sequences) that is not plain."""
    stack: list[Any] = list(context.values())
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if type(value) in _PLAIN_TYPES:
            continue
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend(value.values() if isinstance(value, Mapping) else value)
        else:
            yield value


def _needs_docxtpl(context: Mapping[str, Any]) -> bool:
    """Whether a value needs a DocxTemplate to render (images, subdocs, hyperlinks)."""
    return any(
        isinstance(value, InlineImage)
        or (_Subdoc is not None and isinstance(value, _Subdoc))
        or (isinstance(value, RichText | RichTextParagraph) and "<w:hyperlink" in value.xml)
        for value in _objects(context)
    )


def _bound_template(context: Mapping[str, Any]) -> DocxTemplate | None:
    """The DocxTemplate the context's images and subdocuments were made with, if any."""
    bound = {
        id(value.tpl): value.tpl
        for value in _objects(context)
        if isinstance(value, InlineImage) or (_Subdoc is not None and isinstance(value, _Subdoc))
        if isinstance(getattr(value, "tpl", None), DocxTemplate)
    }
    if len(bound) > 1:
        raise RenderError(
            _("the images and subdocuments of one context were made with different DocxTemplates"),
            hint=_("make them all with one CompiledTemplate.builder()"),
        )
    return next(iter(bound.values()), None)


def _for_docxtpl(value: Any, template: Any) -> Any:
    """The context for docxtpl: strings cleaned as the fast path does, images rebound."""
    if isinstance(value, str):
        return _clean_string(value)
    if isinstance(value, Mapping):
        return {key: _for_docxtpl(item, template) for key, item in value.items()}
    if isinstance(value, list):
        return [_for_docxtpl(item, template) for item in value]
    if isinstance(value, tuple):
        return tuple(_for_docxtpl(item, template) for item in value)
    if isinstance(value, InlineImage):
        rebound = copy.copy(value)
        rebound.tpl = template
        return rebound
    return value


def _numbers_kept_whole(data: bytes, names: Sequence[str]) -> bytes:
    """The package ``data`` with :func:`keep_numbers_whole` applied to its parts ``names``
    (what docxtpl rendered: the fast path applies it as it renders)."""
    changed: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in names:
            try:
                text = archive.read(name).decode("utf-8")
            except (KeyError, UnicodeDecodeError):
                continue  # reported by the checks that follow
            if "-" in text and (kept := keep_numbers_whole(text)) != text:
                changed[name] = kept.encode("utf-8")
        if not changed:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy_to:
            for info in archive.infolist():
                copy_to.writestr(info, changed.get(info.filename) or archive.read(info))
    return out.getvalue()


def _clean_string(text: str) -> str:
    """CR and CRLF as newlines, XML-illegal characters removed (\\a and \\f are kept)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ILLEGAL_XML.search(text) is None:
        return text
    return "".join(ch for ch in text if ch in "\a\f" or _ILLEGAL_XML.match(ch) is None)


# --------------------------------------------------------------------------- batches


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise RenderError(
            _("cannot write {display}: {value}").format(
                display=_display(path), value=exc.strerror or exc
            ),
            hint=_("close it if it is open in Word or WPS, and check the folder is writable"),
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _render_one(template: CompiledTemplate, out: Path, context: Mapping[str, Any]) -> None:
    try:
        data = template.render(context)
    except RenderError as exc:
        raise RenderError(
            _("{what}: {detail}").format(what=out.name, detail=exc.message), hint=exc.hint
        ) from exc
    write_atomic(out, data)


_WORKER_TEMPLATE: CompiledTemplate | None = None
_WORKER_STOP: Any = None  # a multiprocessing Event: another job failed, skip the rest

# What a worker sends back: the paths it wrote, and the first error (message, hint).
_Outcome = tuple[list[str], tuple[str, str | None] | None]


def _worker_init(template: str, force_docxtpl: bool, stop: Any) -> None:
    global _WORKER_TEMPLATE, _WORKER_STOP
    _WORKER_TEMPLATE = CompiledTemplate.compile(Path(template), force_docxtpl=force_docxtpl)
    _WORKER_STOP = stop


def _worker_run(chunk: list[tuple[str, dict[str, Any]]]) -> _Outcome:
    template = _WORKER_TEMPLATE
    assert template is not None, "worker not initialised"
    done: list[str] = []
    for out, context in chunk:
        if _WORKER_STOP is not None and _WORKER_STOP.is_set():
            break
        try:
            _render_one(template, Path(out), context)
        except RenderError as exc:
            return done, (exc.message, exc.hint)
        done.append(out)
    return done, None


def _workers_for(count: int, template: CompiledTemplate) -> int:
    threshold = _PARALLEL_MIN_FAST if template.fast else _PARALLEL_MIN_DOCXTPL
    if count < threshold:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def _chunks(
    jobs: Sequence[tuple[Path, Mapping[str, Any]]], size: int
) -> Iterable[list[tuple[str, dict[str, Any]]]]:
    for start in range(0, len(jobs), size):
        yield [(str(out), dict(context)) for out, context in jobs[start : start + size]]


def _remove_temporary_files(outputs: Iterable[Path]) -> None:
    """Temporary files of workers killed half-way through a write (after an interrupt)."""
    for out in outputs:
        for leftover in out.parent.glob(f".{glob.escape(out.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def render_batch(
    template: Path | CompiledTemplate,
    jobs: Sequence[tuple[Path, Mapping[str, Any]]],
    *,
    workers: int = 0,
    on_done: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Render each ``(output path, context)`` job and write it atomically.

    ``template`` is the .docx, or the CompiledTemplate of it the caller already has.
    ``workers=0`` chooses: in-process for small batches, else up to two processes (a
    multiprocessing pool, 'spawn' works too), each compiling the template once; contexts
    must then be picklable. ``on_done`` is called in this process for each file written.
    The first RenderError stops the batch and is raised here: the files written until
    then are whole documents (each reported to ``on_done``), and no partial or temporary
    file is left. Returns the output paths in job order.
    """
    if isinstance(template, CompiledTemplate):
        compiled = template
    else:
        compiled = CompiledTemplate.compile(template)
    outputs = [Path(out) for out, _unused in jobs]
    twice = [str(out) for out, n in collections.Counter(outputs).items() if n > 1]
    if twice:
        raise RenderError(_("two documents would be written to {twice}").format(twice=twice[0]))
    created = _make_folders({out.parent for out in outputs})
    try:
        return _render_jobs(compiled, jobs, outputs, workers=workers, on_done=on_done)
    except BaseException:
        _remove_if_empty(created)  # a refused render leaves no empty folder behind
        raise


def _make_folders(folders: Iterable[Path]) -> list[Path]:
    """Create ``folders`` (and their parents); the ones this made, deepest first."""
    made: list[Path] = []
    for folder in folders:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        make_folder(folder)
        made.extend(missing)
    return sorted(set(made), key=lambda p: len(p.parts), reverse=True)


def _remove_if_empty(folders: Iterable[Path]) -> None:
    for folder in folders:  # deepest first: a parent is empty once its children are gone
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty folder: never one a document was written to


def _render_jobs(
    compiled: CompiledTemplate,
    jobs: Sequence[tuple[Path, Mapping[str, Any]]],
    outputs: list[Path],
    *,
    workers: int,
    on_done: Callable[[Path], None] | None,
) -> list[Path]:
    count = workers if workers > 0 else _workers_for(len(jobs), compiled)
    count = min(count, max(1, len(jobs)))
    if count > 1 and any(_bound_template(context) for _unused, context in jobs):
        count = 1  # a builder's state does not travel to worker processes
    if count <= 1:
        for out, context in jobs:
            _render_one(compiled, Path(out), context)
            if on_done is not None:
                on_done(Path(out))
        return outputs

    size = min(64, max(32, math.ceil(len(jobs) / (count * 4))))
    mp = multiprocessing.get_context(_MP_START_METHOD)
    stop = mp.Event()
    failure: tuple[str, str | None] | None = None
    pool = mp.Pool(
        count, initializer=_worker_init, initargs=(str(compiled.path), not compiled.fast, stop)
    )
    try:
        for done, error in pool.imap_unordered(_worker_run, _chunks(jobs, size)):
            if on_done is not None:
                for out_name in done:
                    on_done(Path(out_name))
            if error is not None and failure is None:
                failure = error
                stop.set()  # the workers finish the file they are writing, then skip the rest
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        pool.join()
        _remove_temporary_files(outputs)
        raise
    if failure is not None:
        raise RenderError(failure[0], hint=failure[1])
    return outputs
