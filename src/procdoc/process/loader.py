"""Loading one process file into the model, collecting every problem with its position.

The loader never stops at the first problem: `procdoc validate` shows them all. A file
with errors still yields as much of a :class:`Process` as could be built, or ``None``
when its shape is too broken to use.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from procdoc.calendar import Duration
from procdoc.errors import CalendarError, ProcdocError
from procdoc.i18n import _, name_list
from procdoc.layout import FOOTER
from procdoc.process import expr
from procdoc.process.model import (
    FIELD_TYPES,
    STEP_KINDS,
    Branch,
    DeadlineRule,
    Faq,
    FieldDef,
    FieldType,
    Process,
    Step,
    StepKind,
)
from procdoc.yamlpos import Document, PathKey, Pos, YamlSyntaxError, display_path, load_file

Severity = Literal["error", "warning"]

PROCESS_KEYS = {"name", "id", "description", "case_id", "roles", "fields", "steps", "deadline",
                "purpose", "basis", "terms", "faq", "addressee"}  # fmt: skip
FIELD_KEYS = {"label", "type", "required", "choices", "description", "min", "max"}
STEP_KEYS = {
    "id", "name", "role", "deadline", "next", "back", "kind", "signers", "mode", "documents",
    "number", "extend", "final", "description", "inputs", "outputs", "risks",
}  # fmt: skip
BRANCH_KEYS = {"to", "when"}
DEADLINE_KEYS = {"duration", "from"}
DOCUMENT_KEYS = {"template", "when", "requires"}
DOCUMENT_WHEN = ("overdue", "extended")
FAQ_KEYS = {"q", "a"}
ID_RE = re.compile(r"^[a-z0-9_-]+$")
FIELD_ID_RE = re.compile(r"^[^\W\d]\w*$")
MAX_APPROVALS = 5


@dataclass(frozen=True)
class Problem:
    severity: Severity
    pos: Pos | None
    message: str

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        return f"{where}{self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.pos.file if self.pos else None,
            "line": self.pos.line if self.pos else None,
            "column": self.pos.col if self.pos else None,
            "message": self.message,
        }


class Problems(list[Problem]):
    """The problems found so far, with helpers that attach positions."""

    def __init__(self, doc: Document | None = None) -> None:
        super().__init__()
        self.doc = doc

    def error(self, path: PathKey, message: str, *, key: bool = False) -> None:
        self.append(Problem("error", self._pos(path, key), message))

    def warning(self, path: PathKey, message: str, *, key: bool = False) -> None:
        self.append(Problem("warning", self._pos(path, key), message))

    def _pos(self, path: PathKey, key: bool) -> Pos | None:
        return self.doc.where(path, key=key) if self.doc else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == "error"]


#: The lists whose items are names (roles, step ids, templates, field ids): a Chinese comma
#: in one is a separator typed the Chinese way.
_NAME_LISTS = frozenset({"roles", "back", "signers", "documents", "requires", "addressee"})
_CN_COMMA = re.compile("[，、]")


def syntax_problem(err: YamlSyntaxError) -> Problem:
    """A file that is not YAML as the one problem it has: what `validate` lists for a process
    file and for procdoc.yaml alike."""
    return Problem("error", err.pos, err.detail)


def _type_name(value: Any) -> str:
    """What a message calls the type of a YAML value ("must be text, not a list"), in the
    user's language like the message around it."""
    import datetime as dt

    kind = type(value)
    if kind is str:
        return _("text")
    if kind is int or kind is float:
        return _("a number")
    if kind is bool:
        return _("true/false")
    if kind is list:
        return _("a list")
    if kind is dict:
        return _("a mapping")
    if value is None:
        return _("empty")
    if kind is dt.datetime:
        return _("a date and time")
    if kind is dt.date:
        return _("a date")
    return kind.__name__


def load_process(
    path: Path,
    *,
    base: Path | None = None,
    templates: Collection[str] | None = None,
    numbering: Collection[str] | None = None,
    cache: Path | None = None,
) -> tuple[Process | None, Problems]:
    """Load and check one process file. ``templates`` and ``numbering`` are the names a
    step may refer to (``None``: do not check); ``cache`` is where the parsed file may be
    kept (:func:`~procdoc.yamlpos.load_file`): the checks run on every load."""
    try:
        doc = load_file(path, base=base, cache=cache)
    except YamlSyntaxError as err:
        problems = Problems()
        problems.append(syntax_problem(err))
        return None, problems
    except ProcdocError as err:
        problems = Problems()
        problems.append(Problem("error", Pos(display_path(path, base), 1, 1), err.message))
        return None, problems
    return _Builder(doc, path, templates, numbering).build()


class _Builder:
    def __init__(
        self,
        doc: Document,
        path: Path,
        templates: Collection[str] | None,
        numbering: Collection[str] | None,
    ) -> None:
        self.doc = doc
        self.path = path
        self.templates = templates
        self.numbering = numbering
        self.p = Problems(doc)
        #: Fields whose `type` is unknown and branches whose `when` does not parse (by
        #: id()): their error is reported once, and the checks that would read the type
        #: or the condition skip them instead of adding false errors of their own.
        self.untyped: set[str] = set()
        self.unparsed: set[int] = set()
        self.field_ids: set[str] = set()
        self.field_labels: dict[str, str] = {}

    # -- small typed getters -------------------------------------------------------
    def _text(
        self, data: dict[str, Any], key: str, path: PathKey, *, required: bool = False
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.p.error(path, _("missing required key '{key}'").format(key=key))
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.p.error(
                (*path, key),
                _("'{key}' must be text, not {type_name}").format(
                    key=key, type_name=_type_name(value)
                ),
            )
            return ""
        return str(value).strip()

    def _texts(self, data: dict[str, Any], key: str, path: PathKey) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.p.error(
                (*path, key),
                _("'{key}' must be a list, not {type_name}").format(
                    key=key, type_name=_type_name(value)
                ),
            )
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.p.error(
                    (*path, key, i),
                    _("'{key}' items must be text, not {type_name}").format(
                        key=key, type_name=_type_name(item)
                    ),
                )
            elif key in _NAME_LISTS and isinstance(item, str) and _CN_COMMA.search(item):
                # [登记员，承办人]: one item with Chinese commas in it, not a list of two (QA)
                parts = [t.strip() for t in _CN_COMMA.split(item) if t.strip()]
                self.p.error(
                    (*path, key, i),
                    _(
                        "'{item}' is read as one name: items are separated by ',' (half-width), not '，' or '、' ({fixed})"
                    ).format(item=item, fixed=", ".join(parts)),
                )
                out.extend(parts)
            else:
                out.append(str(item).strip())
        return tuple(out)

    def _bool(self, data: dict[str, Any], key: str, path: PathKey) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.p.error(
                (*path, key),
                _("'{key}' must be true or false, not {value!r}").format(key=key, value=value),
            )
            return False
        return value

    def _one_of(
        self, data: dict[str, Any], key: str, allowed: Sequence[str], path: PathKey, what: str
    ) -> str:
        """``data[key]`` when it is one of ``allowed`` (the first is the default); else an
        error, and the default."""
        value = data.get(key, allowed[0])
        if value not in allowed:
            self.p.error(
                (*path, key),
                _("unknown {what} '{value}'; use one of {allowed}").format(
                    what=what, value=value, allowed=name_list(allowed)
                ),
            )
            return allowed[0]
        return str(value)

    def _unknown_keys(
        self, data: dict[str, Any], allowed: set[str], path: PathKey, what: str
    ) -> None:
        for key in data:
            if key not in allowed:
                hint = _closest(str(key), allowed)
                extra = (
                    _(" (did you mean '{hint}'?)").format(hint=hint)
                    if hint
                    else _("; allowed: {sorted}").format(sorted=name_list(sorted(allowed)))
                )
                self.p.error(
                    (*path, key),
                    _("unknown key '{key}' in {what}{extra}").format(
                        key=key, what=what, extra=extra
                    ),
                    key=True,
                )

    def _duration(self, value: Any, path: PathKey, *, zero: bool = False) -> Duration | None:
        """``value`` read as a duration; ``zero``: a zero is meant (a deadline counted from a
        date field: due on that day), else it is warned about."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.p.error(
                path,
                _("a duration must be text like 15d, 5wd, 24h, not {type_name}").format(
                    type_name=_type_name(value)
                ),
            )
            return None
        try:
            duration = Duration.parse(value)
        except CalendarError as err:
            self.p.error(path, err.message)
            return None
        if duration.amount == 0 and not zero:  # a typo as a rule: due as the clock starts
            self.p.warning(
                path,
                _(
                    "a duration of {value} is no time at all: due the moment it starts (on a day off too); did you mean another number?"
                ).format(value=str(value).strip()),
            )
        return duration

    def _deadline(self, value: Any, path: PathKey) -> tuple[DeadlineRule | None, PathKey | None]:
        if value is None:
            return None, None
        if isinstance(value, dict):
            self._unknown_keys(value, DEADLINE_KEYS, path, _("a deadline"))
            if "duration" not in value:
                self.p.error(path, _("missing required key 'duration' in the deadline"))
                return None, None
            start = value.get("from")
            duration = self._duration(value["duration"], (*path, "duration"), zero=bool(start))
            starts = start if isinstance(start, list) else [start] if start is not None else []
            if not all(isinstance(s, str) and s for s in starts) or (
                isinstance(start, list) and not start
            ):
                self.p.error(
                    (*path, "from"),
                    _(
                        "'from' must be a step id or a date field id, or a list of them tried in turn"
                    ),
                )
                starts = []
            if duration is None:
                return None, None
            rule = (
                DeadlineRule(duration, starts[0], tuple(starts[1:]))
                if starts
                else DeadlineRule(duration)
            )
            return rule, ((*path, "from") if starts else None)
        duration = self._duration(value, path)
        return (DeadlineRule(duration), None) if duration else (None, None)

    def _documents(
        self, value: Any, path: PathKey
    ) -> tuple[
        tuple[str, ...], frozenset[str], frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]
    ]:
        """A step's ``documents``: template names, or ``{template: NAME, when: overdue}``
        for a document due only while the case is late at the step (a 催办通知书), or
        ``when: extended`` for one due once its deadline there was extended (a 延期告知书);
        ``requires: [FIELD, ...]`` names the fields its text needs (a 信访处理意见书 its
        处理意见): rendered without --case only once they are filled."""
        if not isinstance(value, list) or all(not isinstance(v, dict) for v in value):
            plain = self._texts({"documents": value}, "documents", path)
            return plain, frozenset(), frozenset(), ()
        names: list[str] = []
        overdue: set[str] = set()
        extended: set[str] = set()
        requires: list[tuple[str, tuple[str, ...]]] = []
        for i, item in enumerate(value):
            ipath: PathKey = (*path, "documents", i)
            if not isinstance(item, dict):
                names += self._texts({"documents": [item]}, "documents", path)
                continue
            self._unknown_keys(item, DOCUMENT_KEYS, ipath, _("a document"))
            name = self._text(item, "template", ipath, required=True)
            if "when" in item:
                self._one_of(item, "when", DOCUMENT_WHEN, ipath, _("document condition"))
                if item["when"] == "overdue" and name:
                    overdue.add(name)
                if item["when"] == "extended" and name:
                    extended.add(name)
            needs = self._texts(item, "requires", ipath)
            for j, fid in enumerate(needs):
                if fid not in self.field_ids:
                    hint = self.field_labels.get(fid) or _closest(fid, self.field_ids)
                    self.p.error(
                        (*ipath, "requires", j)
                        if isinstance(item["requires"], list)
                        else (*ipath, "requires"),
                        _("document '{template}' requires unknown field '{fid}'{known}").format(
                            template=name,
                            fid=fid,
                            known=_(" (did you mean '{hint}'?)").format(hint=hint)
                            if hint
                            else _known(self.field_ids),
                        ),
                    )
            if name:
                names.append(name)
                if needs:
                    requires.append((name, needs))
        return tuple(names), frozenset(overdue), frozenset(extended), tuple(requires)

    def _terms(self, value: Any) -> dict[str, str]:
        """``terms``: 名词解释, a mapping of term to its explanation."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.p.error(
                ("terms",),
                _("'terms' must be a mapping of term to text, not {type_name}").format(
                    type_name=_type_name(value)
                ),
            )
            return {}
        out: dict[str, str] = {}
        for term, text in value.items():
            if text is None:
                self.p.error(
                    ("terms", term), _("term '{term}' has no explanation").format(term=term)
                )
                continue
            explained = self._text(value, term, ("terms",))
            if explained:
                out[str(term)] = explained
        return out

    def _faq(self, value: Any) -> tuple[Faq, ...]:
        """``faq``: 常见问题, a list of ``{q: question, a: answer}``."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.p.error(
                ("faq",),
                _("'faq' must be a list of {{q, a}}, not {type_name}").format(
                    type_name=_type_name(value)
                ),
            )
            return ()
        out: list[Faq] = []
        for i, item in enumerate(value):
            ipath: PathKey = ("faq", i)
            if not isinstance(item, dict):
                self.p.error(
                    ipath,
                    _("a faq item must be a mapping {{q, a}}, not {type_name}").format(
                        type_name=_type_name(item)
                    ),
                )
                continue
            self._unknown_keys(item, FAQ_KEYS, ipath, _("a faq item"))
            q = self._text(item, "q", ipath, required=True)
            a = self._text(item, "a", ipath, required=True)
            if q and a:
                out.append(Faq(q, a))
        return tuple(out)

    # -- the process -------------------------------------------------------------------
    def build(self) -> tuple[Process | None, Problems]:
        doc, p = self.doc, self.p
        for dup_path, pos in doc.duplicates:
            p.append(
                Problem(
                    "error",
                    pos,
                    _(
                        "duplicate key '{dup_path}' (the later one would silently win): keep one of them"
                    ).format(dup_path=dup_path[-1]),
                )
            )
        data = doc.data
        if not isinstance(data, dict):
            p.error(
                (),
                _(
                    "the file is empty: a process file holds name:, steps: and the rest (see procdoc init's processes/)"
                )
                if data is None
                else _(
                    "a process file must be a mapping with name, steps, ...; this file holds {type_name}"
                ).format(type_name=_type_name(data)),
            )
            return None, p
        self._unknown_keys(data, PROCESS_KEYS, (), _("the process"))
        name = self._text(data, "name", (), required=True)
        pid = self._text(data, "id", ()) or self.path.stem
        if not ID_RE.match(pid):
            where: PathKey = ("id",) if "id" in data else ()
            p.error(
                where,
                _(
                    "process id '{pid}' must match [a-z0-9_-]+ (set `id:` or rename the file)"
                ).format(pid=pid),
            )
        case_id = self._text(data, "case_id", ()) or "CASE-{seq}"
        self._check_case_id(case_id)
        roles = self._texts(data, "roles", ())
        for i, role in enumerate(roles):
            if role in roles[:i]:
                p.error(("roles", i), _("role '{role}' is listed twice").format(role=role))
        fields = self._fields(data.get("fields"))
        self.field_ids = set(fields)  # what a document's `requires:` may name
        self.field_labels = {f.label: fid for fid, f in fields.items()}  # (for a hint)
        steps = self._steps(data.get("steps"))
        deadline, from_path = self._deadline(data.get("deadline"), ("deadline",))
        process = Process(
            id=pid,
            name=name,
            path=self.path,
            file=doc.file,
            steps=steps,
            roles=roles,
            fields=fields,
            case_id=case_id,
            description=self._text(data, "description", ()),
            deadline=deadline,
            pos=doc.where(()),
            purpose=self._text(data, "purpose", ()),
            basis=self._texts(data, "basis", ()),
            terms=self._terms(data.get("terms")),
            faq=self._faq(data.get("faq")),
            addressee=self._texts(data, "addressee", ()),
        )
        if deadline and from_path:
            self._check_from(process, deadline, from_path)
        for i, fid in enumerate(process.addressee):
            if fid not in fields:
                p.error(
                    ("addressee", i),
                    _("addressee names unknown field '{fid}'{known}").format(
                        fid=fid, known=_known(fields)
                    ),
                )
        if steps:
            self._check_steps(process, data)
        if not name or not steps:
            return None, p
        return process, p

    def _check_case_id(self, pattern: str) -> None:
        path: PathKey = ("case_id",)
        try:
            names = {
                fname
                for _literal, fname, _spec, _conversion in string.Formatter().parse(pattern)
                if fname is not None
            }
            pattern.format(year=2026, seq=1)
        except (ValueError, KeyError, IndexError) as err:
            self.p.error(
                path,
                _(
                    "case_id pattern '{pattern}' is not valid: {err}; use {{year}} and {{seq}} (e.g. \"XF{{year}}-{{seq:04d}}\")"
                ).format(pattern=pattern, err=err),
            )
            return
        unknown = names - {"year", "seq"}
        if unknown:
            self.p.error(
                path,
                _(
                    "case_id pattern uses unknown placeholder(s) {sorted}; only {{year}} and {{seq}} exist"
                ).format(sorted=name_list(sorted(unknown))),
            )
        if "seq" not in names:
            self.p.error(path, _("case_id pattern must contain {seq} so that ids are unique"))
            return
        example = pattern.format(year=2026, seq=1)
        if FOOTER.match("".join(example.split())):
            self.p.error(
                path,
                _(
                    "case_id pattern '{pattern}' makes ids a register reads as its 合计 line ({example}): start it otherwise"
                ).format(pattern=pattern, example=example),
            )

    def _fields(self, value: Any) -> dict[str, FieldDef]:
        p = self.p
        if value is None:
            return {}
        if not isinstance(value, dict):
            p.error(
                ("fields",),
                _("'fields' must be a mapping of field id to definition, not {type_name}").format(
                    type_name=_type_name(value)
                ),
            )
            return {}
        out: dict[str, FieldDef] = {}
        labels: dict[str, str] = {}
        for fid, spec in value.items():
            path: PathKey = ("fields", fid)
            fid = str(fid)
            if not FIELD_ID_RE.match(fid):
                p.error(
                    path,
                    _(
                        "field id '{fid}' must be a name (letters, digits, _; not starting with a digit)"
                    ).format(fid=fid),
                    key=True,
                )
                continue
            if fid in _RESERVED:
                p.error(
                    path,
                    _("field id '{fid}' is reserved for a ledger column; choose another id").format(
                        fid=fid
                    ),
                    key=True,
                )
            if isinstance(spec, str):  # shorthand: `petitioner: 信访人`
                spec = {"label": spec}
            if not isinstance(spec, dict):
                p.error(
                    path,
                    _("field '{fid}' must be a mapping (label, type, ...), not {type_name}").format(
                        fid=fid, type_name=_type_name(spec)
                    ),
                )
                continue
            self._unknown_keys(spec, FIELD_KEYS, path, _("field '{fid}'").format(fid=fid))
            label = self._text(spec, "label", path) or fid
            ftype = self._one_of(spec, "type", FIELD_TYPES, path, _("field type"))
            if spec.get("type", ftype) not in FIELD_TYPES:
                self.untyped.add(fid)
            choices = self._texts(spec, "choices", path)
            if ftype == "choice" and not choices:
                p.error(path, _("field '{fid}' is a choice but has no 'choices'").format(fid=fid))
            if choices and ftype != "choice" and fid not in self.untyped:
                p.error(
                    (*path, "choices"),
                    _(
                        "'choices' given but field '{fid}' has type {ftype}; set `type: choice`"
                    ).format(fid=fid, ftype=ftype),
                )
            if label in labels:
                p.error(
                    (*path, "label"),
                    _(
                        "label '{label}' is used by field '{labels}' too; each field needs its own column"
                    ).format(label=label, labels=labels[label]),
                )
            labels[label] = fid
            low, high = (self._bound(spec, key, path, fid, ftype) for key in ("min", "max"))
            if low is not None and high is not None and low > high:
                p.error(
                    (*path, "min"),
                    _("field '{fid}': min {low} is more than max {high}").format(
                        fid=fid, low=low, high=high
                    ),
                )
            out[fid] = FieldDef(
                id=fid,
                label=label,
                type=cast(FieldType, ftype),
                required=self._bool(spec, "required", path),
                choices=choices,
                description=self._text(spec, "description", path),
                minimum=low,
                maximum=high,
            )
        return out

    def _bound(
        self, spec: dict[str, Any], key: str, path: PathKey, fid: str, ftype: str
    ) -> int | float | None:
        """A number field's ``min:`` or ``max:``: a number, for a number field only."""
        if key not in spec:
            return None
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.p.error(
                (*path, key),
                _("field '{fid}': {key} must be a number, not {type_name}").format(
                    fid=fid, key=key, type_name=_type_name(value)
                ),
            )
            return None
        if not math.isfinite(value):  # .nan, .inf: no value could meet it
            self.p.error(
                (*path, key),
                _("field '{fid}': {key} must be a finite number, not {value}").format(
                    fid=fid, key=key, value=value
                ),
            )
            return None
        if ftype != "number" and fid not in self.untyped:
            self.p.error(
                (*path, key),
                _(
                    "'{key}' given but field '{fid}' has type {ftype}; it bounds a number field"
                ).format(key=key, fid=fid, ftype=ftype),
            )
            return None
        return value

    def _steps(self, value: Any) -> list[Step]:
        p = self.p
        if value is None:
            p.error((), _("missing required key 'steps'"))
            return []
        if not isinstance(value, list) or not value:
            p.error(
                ("steps",),
                _("'steps' must be a non-empty list of steps, not {type_name}").format(
                    type_name=_type_name(value)
                ),
            )
            return []
        steps: list[Step] = []
        for i, spec in enumerate(value):
            path: PathKey = ("steps", i)
            if not isinstance(spec, dict):
                p.error(
                    path,
                    _("a step must be a mapping (id, name, ...), not {type_name}").format(
                        type_name=_type_name(spec)
                    ),
                )
                continue
            self._unknown_keys(spec, STEP_KEYS, path, _("a step"))
            sid = self._text(spec, "id", path, required=True)
            name = self._text(spec, "name", path) or sid
            if sid and not ID_RE.match(sid):
                p.error((*path, "id"), _("step id '{sid}' must match [a-z0-9_-]+").format(sid=sid))
            kind = self._one_of(spec, "kind", STEP_KINDS, path, _("step kind"))
            mode = self._one_of(spec, "mode", ("all", "any"), path, _("mode"))
            deadline, _unused = self._deadline(spec.get("deadline"), (*path, "deadline"))
            extend = (
                self._duration(spec["extend"], (*path, "extend"))
                if spec.get("extend") is not None
                else None
            )
            number = self._text(spec, "number", path) or None
            documents, overdue_documents, extended_documents, document_requires = self._documents(
                spec.get("documents"), path
            )
            steps.append(
                Step(
                    id=sid,
                    name=name,
                    role=self._text(spec, "role", path) or None,
                    deadline=deadline,
                    next=self._branches(spec.get("next"), (*path, "next")),
                    back=self._texts(spec, "back", path),
                    kind=cast(StepKind, kind),
                    signers=self._texts(spec, "signers", path),
                    mode=cast(Literal["all", "any"], mode),
                    documents=documents,
                    overdue_documents=overdue_documents,
                    extended_documents=extended_documents,
                    document_requires=document_requires,
                    number=number,
                    extend=extend,
                    final=self._bool(spec, "final", path),
                    description=self._text(spec, "description", path),
                    inputs=self._texts(spec, "inputs", path),
                    outputs=self._texts(spec, "outputs", path),
                    risks=self._texts(spec, "risks", path),
                    pos=self.doc.where(path),
                )
            )
        return steps

    def _branches(self, value: Any, path: PathKey) -> tuple[Branch, ...]:
        if value is None:
            return ()
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list):
            self.p.error(
                path,
                _(
                    "'next' must be a list of step ids or {{to, when}} branches, not {type_name}"
                ).format(type_name=_type_name(value)),
            )
            return ()
        out: list[Branch] = []
        for i, item in enumerate(value):
            ipath = (*path, i)
            if isinstance(item, str):
                out.append(Branch(item))
                continue
            if not isinstance(item, dict):
                self.p.error(
                    ipath,
                    _(
                        "a branch must be a step id or {{to: STEP, when: ...}}, not {type_name}"
                    ).format(type_name=_type_name(item)),
                )
                continue
            self._unknown_keys(item, BRANCH_KEYS, ipath, _("a branch"))
            to = self._text(item, "to", ipath, required=True)
            when = None
            unparsed = False
            if item.get("when") is not None:
                text = item["when"]
                if not isinstance(text, str):
                    text = str(text)
                try:
                    when = expr.parse(text)
                except expr.ExpressionError as err:
                    unparsed = True
                    self.p.error(
                        (*ipath, "when"),
                        _("condition '{text}' {err}").format(text=text, err=err)
                        + (_(" (at character {col})").format(col=err.col) if err.col > 1 else ""),
                    )
            if to:
                out.append(Branch(to, when))
                if unparsed:
                    self.unparsed.add(id(out[-1]))
        return tuple(out)

    # -- references and the graph -----------------------------------------------------
    def _check_from(self, process: Process, rule: DeadlineRule, path: PathKey) -> None:
        many = len(rule.starts) > 1
        for i, start in enumerate(rule.starts):
            where = (*path, i) if many else path
            if start in {s.id for s in process.steps}:
                if i < len(rule.starts) - 1:
                    self.p.error(
                        where,
                        _(
                            "'from: {start}' is a step, which always has a moment: list it last"
                        ).format(start=start),
                    )
                continue
            if process.find_step(start) is not None:
                self.p.error(
                    where,
                    _("'from: {start}' must name the step by its id ('{id}')").format(
                        start=start, id=process.step(start).id
                    ),
                )
                continue
            fdef = process.fields.get(start)
            if fdef is None:
                self.p.error(
                    where,
                    _("'from: {start}' is neither a step id nor a field of this process").format(
                        start=start
                    ),
                )
            elif fdef.type not in ("date", "datetime") and start not in self.untyped:
                self.p.error(
                    where,
                    _(
                        "'from: {start}' names field '{start}' of type {type}; it must be a date or datetime field"
                    ).format(start=start, type=fdef.type),
                )

    def _check_steps(self, process: Process, data: dict[str, Any]) -> None:
        p = self.p
        ids: dict[str, int] = {}
        names: dict[str, int] = {}
        for i, step in enumerate(process.steps):
            path: PathKey = ("steps", i)
            if step.id in ids:
                p.error(
                    (*path, "id"),
                    _("step id '{id}' is used twice (also step {ids})").format(
                        id=step.id, ids=ids[step.id] + 1
                    ),
                )
            ids.setdefault(step.id, i)
            if step.name in names:
                p.error(
                    (*path, "name"),
                    _("step name '{name}' is used twice (also step {names})").format(
                        name=step.name, names=names[step.name] + 1
                    ),
                )
            names.setdefault(step.name, i)
        roles_declared = "roles" in data
        for i, step in enumerate(process.steps):
            path = ("steps", i)
            if step.role and step.role not in process.roles:
                p.error(
                    (*path, "role"),
                    _("role '{role}' is not declared in roles{value}").format(
                        role=step.role,
                        value=_known(process.roles) if roles_declared else " (add a roles: list)",
                    ),
                )
            if step.kind == "countersign" and not step.signers:
                p.error(
                    path,
                    _("countersign step '{id}' needs 'signers' (a list of roles)").format(
                        id=step.id
                    ),
                )
            if step.signers and step.kind != "countersign":
                p.error(
                    (*path, "signers"),
                    _("'signers' given but step '{id}' is not `kind: countersign`").format(
                        id=step.id
                    ),
                )
            if step.kind == "countersign" and len(set(step.signers)) == 1:
                p.warning(
                    (*path, "signers"),
                    _(
                        "countersign step '{id}' has one signer role: a 会签 asks several; a step for one role is a task"
                    ).format(id=step.id),
                )
            for j, signer in enumerate(step.signers):
                if signer in step.signers[:j]:
                    p.error(
                        (*path, "signers", j),
                        _("signer '{signer}' is listed twice").format(signer=signer),
                    )
                if signer not in process.roles:
                    p.error(
                        (*path, "signers", j),
                        _("signer '{signer}' is not a declared role{known}").format(
                            signer=signer, known=_known(process.roles)
                        ),
                    )
            for j, branch in enumerate(step.next):
                bpath: PathKey = (*path, "next", j)
                if branch.to not in ids:
                    p.error(
                        bpath,
                        _("next step '{to}' does not exist{known}").format(
                            to=branch.to, known=_known(ids)
                        ),
                    )
                if branch.when:
                    for name in sorted(branch.when.names - set(process.fields)):
                        p.error(
                            (*bpath, "when"),
                            _("condition '{text}' names unknown field '{name}'{known}").format(
                                text=branch.when.text, name=name, known=_known(process.fields)
                            )
                            + (
                                _("; a text is written in quotes: '{name}'").format(name=name)
                                if not name.isascii()
                                else ""
                            ),
                        )
                    for fid, value in _compared_texts(branch.when):
                        fdef = process.fields.get(fid)
                        if fdef is not None and fdef.choices and value not in fdef.choices:
                            p.warning(
                                (*bpath, "when"),
                                _(
                                    "condition '{text}': '{value}' is not one of {label}'s choices ({choices}), so this branch never holds"
                                ).format(
                                    text=branch.when.text,
                                    value=value,
                                    label=fdef.label,
                                    choices=name_list(fdef.choices),
                                ),
                            )
            fallback_at = next(
                (
                    j
                    for j, b in enumerate(step.next)
                    if b.when is None and id(b) not in self.unparsed
                ),
                None,
            )
            if fallback_at is not None and fallback_at < len(step.next) - 1:
                p.warning(
                    (*path, "next", fallback_at + 1),
                    _(
                        "this branch is never taken: the branch before it has no `when` (the fallback must come last)"
                    ),
                )
            for j, target in enumerate(step.back):
                if target not in ids:
                    p.error(
                        (*path, "back", j),
                        _("return target '{target}' does not exist{known}").format(
                            target=target, known=_known(ids)
                        ),
                    )
            if step.deadline and step.deadline.start:
                self._check_from(process, step.deadline, (*path, "deadline", "from"))
            if step.extend and not step.deadline:
                p.warning(
                    (*path, "extend"),
                    _("step '{id}' may be extended but has no deadline").format(id=step.id),
                )
            if self.templates is not None:
                for j, doc in enumerate(step.documents):
                    if doc not in self.templates:
                        p.error(
                            (*path, "documents", j),
                            _("template '{doc}' does not exist in templates/{known}").format(
                                doc=doc, known=_known(self.templates)
                            ),
                        )
            if step.number and self.numbering is not None and step.number not in self.numbering:
                p.error(
                    (*path, "number"),
                    _(
                        "numbering sequence '{number}' is not defined under numbering: in procdoc.yaml{known}"
                    ).format(number=step.number, known=_known(self.numbering)),
                )
            if step.final and step.next:
                p.error(
                    (*path, "next"), _("final step '{id}' must not have 'next'").format(id=step.id)
                )
            if not step.final and not step.next:
                p.error(
                    path,
                    _(
                        "step '{id}' is not final and has no 'next': a case would be stuck there (add next: or final: true)"
                    ).format(id=step.id),
                )
        approvals = [s for s in process.steps if s.kind == "approval"]
        if len(approvals) > MAX_APPROVALS:
            p.warning(
                ("steps",),
                _(
                    "{n_approvals} approval steps in one process (more than {max_approvals}): consider merging some"
                ).format(n_approvals=len(approvals), max_approvals=MAX_APPROVALS),
            )
        self._check_graph(process, ids)

    def _check_graph(self, process: Process, ids: dict[str, int]) -> None:
        edges = {s.id: [b.to for b in s.next if b.to in ids] for s in process.steps}
        backs = {s.id: [t for t in s.back if t in ids] for s in process.steps}
        seen: set[str] = set()
        todo = [process.first_step.id]
        while todo:
            sid = todo.pop()
            if sid in seen:
                continue
            seen.add(sid)
            todo.extend(edges.get(sid, []) + backs.get(sid, []))
        for sid, i in ids.items():
            if sid not in seen:
                self.p.error(
                    ("steps", i),
                    _("step '{sid}' cannot be reached from the first step '{id}'").format(
                        sid=sid, id=process.first_step.id
                    ),
                )
        # a return goes back to a step the case passed through: one from which `next`
        # leads to the step returning (back: to a step ahead skipped its `when`: QA)
        for step in process.steps:
            for j, target in enumerate(step.back):
                # (back to itself: the step again, as a 会签 sent round once more)
                if target in ids and target != step.id and step.id not in _ahead_of(target, edges):
                    self.p.error(
                        ("steps", ids[step.id], "back", j),
                        _(
                            "back: '{target}' is not a step before '{id}': a return (退回) goes to a step the case came through; a move ahead is a next:"
                        ).format(target=target, id=step.id),
                    )
        # a step's deadline counts from a step the case came through, or from itself
        for step in process.steps:
            starts = step.deadline.starts if step.deadline is not None else ()
            for k, start in enumerate(starts):
                # (a field of the same id is read first: Engine.due)
                if start not in ids or start in process.fields or start == step.id:
                    continue
                if step.id not in _ahead_of(start, edges):
                    where: PathKey = ("steps", ids[step.id], "deadline", "from")
                    self.p.error(
                        (*where, k) if len(starts) > 1 else where,
                        _(
                            "'from: {start}' is a step the case reaches after '{id}': a step's deadline counts from a step it came through, or from its own start"
                        ).format(start=start, id=step.id),
                    )
        # a cycle through `next` alone is a return that was not declared with `back`
        state: dict[str, int] = {}
        for root in edges:
            if state.get(root):
                continue
            stack: list[tuple[str, Iterable[str]]] = [(root, iter(edges[root]))]
            state[root] = 1
            while stack:
                sid, children = stack[-1]
                for child in children:
                    if state.get(child) == 1:
                        j = next(k for k, b in enumerate(process.step(sid).next) if b.to == child)
                        self.p.error(
                            ("steps", ids[sid], "next", j),
                            _(
                                "'{sid}' -> '{child}' closes a cycle through next: a way back must be declared with back: [{child}]"
                            ).format(sid=sid, child=child),
                        )
                    elif not state.get(child):
                        state[child] = 1
                        stack.append((child, iter(edges[child])))
                        break
                else:
                    state[sid] = 2
                    stack.pop()


_RESERVED = {"id", "process", "title", "step", "status", "assignee", "entered", "due", "case_due",
             "opened", "closed", "source", "ref", "updated", "today", "year", "office", "step_name"}  # fmt: skip


def _known(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return ""
    shown = name_list(listed[:12]) + (" ..." if len(listed) > 12 else "")
    return _(" (known: {names})").format(names=shown)


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return found[0] if found else None


def _ahead_of(start: str, edges: Mapping[str, Sequence[str]]) -> set[str]:
    """The steps `next` leads to from ``start``, at any distance (``start`` not among them
    unless a cycle leads back to it)."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        sid = todo.pop()
        if sid not in seen:
            seen.add(sid)
            todo.extend(edges.get(sid, ()))
    return seen


def _compared_texts(expr: Any) -> list[tuple[str, str]]:
    """(field id, text) for every text a condition compares a field with (``ok == '是'``,
    ``ok in ['是', '否']``, either way round)."""
    import ast

    out: list[tuple[str, str]] = []
    for node in ast.walk(expr.tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
            if isinstance(op, ast.Eq | ast.NotEq):  # field == '是', either way round
                pairs = [(left, right), (right, left)]
            elif isinstance(op, ast.In | ast.NotIn) and isinstance(
                right, ast.List | ast.Tuple | ast.Set
            ):  # field in ['是', '否']; '急' in field is a test of the text, not a choice
                pairs = [(left, item) for item in right.elts]
            else:
                continue
            out.extend(
                (field.id, text.value)
                for field, text in pairs
                if isinstance(field, ast.Name)
                and isinstance(text, ast.Constant)
                and isinstance(text.value, str)
            )
    return out
