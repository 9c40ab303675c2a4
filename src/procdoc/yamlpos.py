"""YAML loading that keeps the line and column of every key and value.

PyYAML's composer gives a node tree whose marks hold positions; this module turns it into
plain Python data and a table of positions keyed by the path to each value, so that
validation can report ``processes/xinfang.yaml:12:5``. Duplicate keys, which PyYAML would
silently merge, are reported too.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.cachefile import TextMemo
from procdoc.errors import ProcdocError
from procdoc.i18n import _

if TYPE_CHECKING:
    import yaml

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Pos:
    """A position in a file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class YamlSyntaxError(ProcdocError):
    """A file that is not well-formed YAML; ``pos`` says where, ``detail`` what (and what
    to do), without the position."""

    def __init__(self, message: str, pos: Pos) -> None:
        self.pos = pos
        self.detail = message
        super().__init__(f"{pos}: {message}")


@dataclass
class Document:
    """Parsed YAML with positions: ``pos[path]`` is where the value at ``path`` starts,
    ``key_pos[path]`` where its key is written."""

    file: str
    data: Any
    pos: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    dups: list[tuple[PathKey, int, int]] = field(default_factory=list)

    def where(self, path: PathKey, *, key: bool = False) -> Pos:
        """The closest known position for ``path`` (walking up to the parent)."""
        table = self.key_pos if key else self.pos
        probe = path
        while True:
            if probe in table:
                return Pos(self.file, *table[probe])
            if key and probe in self.pos:
                return Pos(self.file, *self.pos[probe])
            if not probe:
                return Pos(self.file, 1, 1)
            probe = probe[:-1]

    @property
    def duplicates(self) -> list[tuple[PathKey, Pos]]:
        """Keys written twice in one mapping (PyYAML would keep the later silently)."""
        return [(path, Pos(self.file, line, col)) for path, line, col in self.dups]


def display_path(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` when it lies below it, with forward slashes."""
    if base is not None:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def load_file(path: Path, *, base: Path | None = None, cache: Path | None = None) -> Document:
    """Read and parse ``path``. Raises :class:`YamlSyntaxError` for anything not YAML.

    With ``cache`` (a folder, the workspace's ``.procdoc/cache``), the parsed document is
    kept there under the file's name and whole text, and taken from there while the file
    holds exactly that text: parsing ten process files takes 25 ms and loading PyYAML
    20 ms, reading them back 2 ms."""
    name = display_path(path, base)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ProcdocError(
            _("{name}: cannot read the file ({strerror})").format(name=name, strerror=err.strerror)
        ) from err
    if cache is None:
        return load_bytes(raw, name)
    kept = _MEMO.get(cache, name, raw)
    if kept is not None:
        try:
            dated, data, pos, key_pos, dups = kept
            return Document(name, _unpack(data) if dated else data, pos, key_pos, dups)
        except Exception:  # a damaged entry that passed its CRC: never trusted
            pass
    doc = load_bytes(raw, name)
    with contextlib.suppress(ValueError):  # a value marshal cannot hold: parsed each time
        has_dates: list[bool] = []
        packed = _pack(doc.data, has_dates)
        _MEMO.put(cache, name, raw, (bool(has_dates), packed, doc.pos, doc.key_pos, doc.dups))
    return doc


def load_bytes(raw: bytes, name: str) -> Document:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise YamlSyntaxError(
            _("not UTF-8 text: save the file as UTF-8 (GBK and other encodings are not read)"),
            Pos(name, line, col),
        ) from err
    return load_text(text, name)


def load_text(text: str, name: str) -> Document:
    import yaml

    doc = Document(file=name, data=None)
    try:
        # the C loader is ten times faster; fall back when libyaml is missing
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if node is None:
            return doc
        doc.data = _convert(node, (), doc)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        pos = Pos(name, mark.line + 1, mark.column + 1) if mark else Pos(name, 1, 1)
        wide = _wide_colon(text, mark.line if mark else 0)
        if wide is not None:  # roles：[...]: the error is told a line later, as indentation
            line, col, key = wide
            raise YamlSyntaxError(
                _(
                    "a full-width colon '：' after '{key}': write ':' (half-width) and a space"
                ).format(key=key),
                Pos(name, line, col),
            ) from err
        char = _char_at(text, mark.line, mark.column) if mark is not None else ""
        raise YamlSyntaxError(syntax_message(err.problem or err.context, char), pos) from err
    except yaml.YAMLError as err:  # ReaderError: control characters and the like
        raise YamlSyntaxError(str(err).splitlines()[0], Pos(name, 1, 1)) from err
    return doc


_WIDE_COLON = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"：:][^：:#'\"]*?)：(?=\s|$)")


def _wide_colon(text: str, at: int) -> tuple[int, int, str] | None:
    """A line within two of line ``at`` (0-based, where the parser gave up) whose key ends
    with a full-width colon (``roles： [...]``, told a line later): (line, column, key),
    counted from 1. Farther off, a full-width colon is text (a description's 要求：)."""
    lines = text.splitlines()
    for n in range(max(at - 2, 0), min(at + 2, len(lines))):
        m = _WIDE_COLON.match(lines[n])
        if m is not None:
            return n + 1, m.end(2) + 1, m.group(2).strip()
    return None


#: PyYAML's words for a character no value may start with (``@``, a backquote) and for an
#: alias to no anchor (a value starting with ``*``): both mean the value needs quotes.
_NEEDS_QUOTES = ("cannot start any token", "undefined alias")


def syntax_message(problem: str | None, char: str = "") -> str:
    """What a YAML syntax error says, and what to do about it: ``problem`` is PyYAML's
    description, ``char`` the character where it was found. One wording for every file
    procdoc reads with :func:`load_text` (procdoc.yaml and the process files alike)."""
    if char == "\t":
        return _("not valid YAML: a tab (YAML is indented with spaces only): indent with spaces")
    if not problem:
        return _("invalid YAML")
    quotes = any(words in problem for words in _NEEDS_QUOTES)  # PyYAML's words, untranslated
    problem = yaml_problem(problem)
    if quotes:
        return _("not valid YAML: {problem} (put this value in quotes)").format(problem=problem)
    return _(
        "not valid YAML: {problem} (check the indentation of this line and the one above: the keys of one mapping and the items of one list start in the same column; a value holding ': ' needs quotes)"
    ).format(problem=problem)


def yaml_problem(problem: str) -> str:
    """PyYAML's description of a syntax error in the user's language: the ones met in
    hand-written files are in the catalogue (PyYAML's own words are its msgids); others
    stay as PyYAML says them."""
    known = {
        "found unexpected end of stream": _("found unexpected end of stream"),
        "did not find expected ',' or '}'": _("did not find expected ',' or '}'"),
        "did not find expected ',' or ']'": _("did not find expected ',' or ']'"),
        "mapping values are not allowed here": _("mapping values are not allowed here"),
        "mapping values are not allowed in this context": _(
            "mapping values are not allowed in this context"
        ),
        "did not find expected key": _("did not find expected key"),
        "did not find expected '-' indicator": _("did not find expected '-' indicator"),
        "could not find expected ':'": _("could not find expected ':'"),
        "found undefined alias": _("found undefined alias"),
        "found unexpected ':'": _("found unexpected ':'"),
        "found character that cannot start any token": _(
            "found character that cannot start any token"
        ),
    }
    if problem in known:
        return known[problem]
    for english, said in known.items():
        if problem.startswith(english):  # "found undefined alias 'x'", "... '@' that ..."
            return said + problem[len(english) :]
    if problem.startswith("found character '") and problem.endswith("that cannot start any token"):
        return _("found character {char} that cannot start any token").format(
            char=problem[len("found character ") : -len(" that cannot start any token")]
        )
    if problem.startswith("expected <block end>, but found"):
        return _("a line is indented differently from the ones beside it")
    return problem


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _convert(node: yaml.Node, path: PathKey, doc: Document) -> Any:
    import yaml

    doc.pos[path] = _position(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _value(key_node, doc) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int | float | bool | _dt.date) or isinstance(
                key, _dt.datetime
            ):
                key = str(key)
            skey: str | int = (
                key if isinstance(key, int) and not isinstance(key, bool) else str(key)
            )
            child = (*path, skey)
            if skey in out:
                doc.dups.append((child, *_position(key_node)))
            doc.key_pos[child] = _position(key_node)
            out[skey] = _convert(value_node, child, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _value(node, doc)


def _value(node: yaml.ScalarNode, doc: Document) -> Any:
    """A scalar, key or value, as safe_load builds it. A plain scalar that looks like a date
    or a number but is none (``2026-13-01``, ``0b_``) is its text, as YAML 1.2 reads it:
    where a date is needed, the check of that key says so at its position. A tag no
    constructor takes is a syntax error."""
    import yaml

    try:
        return _scalar(node)
    except yaml.constructor.ConstructorError as err:  # a tag safe_load cannot build
        written = f"{node.tag.replace('tag:yaml.org,2002:', '!!')} {node.value}".strip()
        raise YamlSyntaxError(
            _("{value!r} cannot be read as a value: put it in quotes").format(value=written),
            Pos(doc.file, *_position(node)),
        ) from err
    except Exception:  # a constructor's ValueError (month must be in 1..12) and the like
        return node.value


@functools.cache
def _constructor() -> Any:
    import yaml

    return yaml.SafeLoader("")


def _scalar(node: yaml.ScalarNode) -> Any:
    """Construct a scalar the way safe_load would (ints, dates, bools, null); a plain
    ``=`` (YAML 1.1's "value" type, which safe_load has no constructor for) is text."""
    if node.tag == "tag:yaml.org,2002:value":
        return node.value
    return _constructor().construct_object(node, deep=True)


# -- parsed documents kept under .procdoc/cache ---------------------------------------------

_MEMO = TextMemo("yaml", 1)


def _pack(value: Any, dated: list[bool]) -> Any:
    """``value`` as marshal holds it: a date or datetime as a tuple (YAML data has no
    tuples), noted in ``dated``; anything else marshal refuses raises ValueError."""
    kind = type(value)
    if kind is dict:
        return {k: _pack(v, dated) for k, v in value.items()}
    if kind is list:
        return [_pack(v, dated) for v in value]
    if kind is _dt.datetime or kind is _dt.date:
        dated.append(True)
        return (kind.__name__, value.isoformat())
    if kind in (str, int, float, bool, bytes) or value is None:
        return value
    raise ValueError(f"{kind.__name__} is not kept in the cache")


def _unpack(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _unpack(v) for k, v in value.items()}
    if kind is list:
        return [_unpack(v) for v in value]
    if kind is tuple:
        made = _dt.datetime if value[0] == "datetime" else _dt.date
        return made.fromisoformat(value[1])
    return value
