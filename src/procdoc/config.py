"""`procdoc.yaml`: the workspace settings, checked key by key with positions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from procdoc.calendar import _CONFIG_KEYS as CALENDAR_KEYS
from procdoc.calendar import _FILE_KEYS as CALENDAR_LISTS
from procdoc.calendar import Duration, _parse_entry, calendar_files, read_calendar_file
from procdoc.errors import CalendarError
from procdoc.i18n import _, name_list
from procdoc.layout import CORE_LABELS
from procdoc.ledger.cells import sheet_name_problem
from procdoc.process.loader import Problem, Problems, _closest, _type_name
from procdoc.yamlpos import Document, PathKey, Pos

CONFIG_NAME = "procdoc.yaml"

CONFIG_KEYS = {
    "name", "ledger", "processes", "templates", "output", "calendar", "reminders", "sources",
    "numbering", "render_name", "labels", "registers", "people", "timezone", "language",
    "backups",
}  # fmt: skip
REMINDER_KEYS = {"due_soon", "urge_after", "escalate_after"}
SOURCE_KEYS = {
    "process", "key", "columns", "sheet", "status_column", "status_steps", "title", "values",
    "match",
}  # fmt: skip
NUMBERING_KEYS = {"format", "field", "start"}
REGISTER_KEYS = {"sheet", "header_row", "title", "columns", "number_column"}
PERSON_KEYS = {"dept", "roles"}
LANGUAGES = ("zh", "en")
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Reminders:
    """DOMAIN.md's colour ladder as settings: 蓝 within ``due_soon`` of the deadline, 黄 on
    the day, 红 when late; a 催办 ``urge_after`` the deadline; escalate to the 分管领导 when
    still late ``escalate_after`` it."""

    due_soon: Duration = Duration(3, "wd")
    urge_after: Duration = Duration(1, "wd")
    escalate_after: Duration = Duration(5, "wd")


@dataclass(frozen=True)
class Source:
    name: str
    process: str
    key: str  # the export's unique id column; its value is the case's `ref`
    columns: dict[str, tuple[str, ...]]  # export header -> case field ids or core column ids
    sheet: str | None = None
    status_column: str | None = None  # export header whose value picks the step
    status_steps: dict[str, str] = field(default_factory=dict)  # export value -> step id
    title: str | None = None  # a title made from export columns: "{报销人}：{事由}"
    values: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # header -> export word -> office word
    match: tuple[str, ...] = ()  # fields that identify one matter across sources

    def targets(self) -> list[str]:
        """Every field or core column the export fills, each once."""
        return list(dict.fromkeys(t for ts in self.columns.values() for t in ts))


@dataclass(frozen=True)
class RegisterSpec:
    """One entry of `registers:` (SPEC §3); ``key`` is a process id or ``"*"``."""

    key: str
    sheet: str | None = None
    header_row: int | None = None
    title: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # core or field id -> label
    number_column: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    dept: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Numbering:
    name: str
    format: str
    field: str
    start: int = 1


@dataclass
class Config:
    root: Path
    name: str
    ledger: Path
    processes: Path
    templates: Path
    output: Path
    calendar: dict[str, Any] | None = None  # as checked: the good days, files read (_calendar)
    reminders: Reminders = Reminders()
    sources: dict[str, Source] = field(default_factory=dict)
    numbering: dict[str, Numbering] = field(default_factory=dict)
    render_name: str = "{id}-{template}.docx"
    labels: dict[str, str] = field(default_factory=lambda: dict(CORE_LABELS))
    registers: dict[str, RegisterSpec] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE
    language: str | None = None  # None: from the environment
    backups: int = 10

    @property
    def state_dir(self) -> Path:
        return self.root / ".procdoc"


def default_config(root: Path) -> Config:
    """The settings of a procdoc.yaml that sets only its name (the folder's): what
    `validate` checks the workspace with when procdoc.yaml cannot be parsed."""
    return parse_config(Document(CONFIG_NAME, {"name": root.name}), root)[0]


def parse_config(doc: Document, root: Path) -> tuple[Config, Problems]:
    """Build the settings from ``doc``; every problem is collected with its position."""
    p = Problems(doc)
    for dup_path, _pos in doc.duplicates:
        p.error(
            dup_path,
            _(
                "duplicate key '{dup_path}' (the later one would silently win): keep one of them"
            ).format(dup_path=dup_path[-1]),
            key=True,
        )
    data = doc.data
    if data is None:
        data = {}
    mapping = isinstance(data, dict)
    if not mapping:  # then that is the one problem: no key can be looked for
        p.error(
            (),
            _("{config_name} must be a mapping of settings, not {type_name}").format(
                config_name=CONFIG_NAME, type_name=_type_name(data)
            ),
        )
        data = {}
    _unknown(p, data, CONFIG_KEYS, (), CONFIG_NAME)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        p.error(
            ("name",),
            _("'{key}' must be text, not {type_name}").format(
                key="name", type_name=_type_name(name)
            ),
        )
    elif mapping and (name is None or not name.strip()):
        p.error(
            ("name",) if "name" in data else (),
            _("missing required key 'name' (the office's name, e.g. name: XX市XX局办公室)"),
        )
    if not isinstance(name, str) or not name.strip():
        name = root.name
    cfg = Config(
        root=root,
        name=name.strip(),
        ledger=_ledger_path(_path(p, data, "ledger", root, "ledger.xlsx")),
        processes=_path(p, data, "processes", root, "processes"),
        templates=_path(p, data, "templates", root, "templates"),
        output=_path(p, data, "output", root, "out"),
    )
    if "calendar" in data:
        if isinstance(data["calendar"], dict):
            cfg.calendar = _calendar(p, doc, data["calendar"], root)
        elif data["calendar"] is not None:
            p.error(
                ("calendar",),
                _(
                    "calendar: must be a mapping (holidays, workdays, files, roll_calendar_deadlines)"
                ),
            )
    cfg.reminders = _reminders(p, data.get("reminders"))
    cfg.labels = _labels(p, data.get("labels"))
    cfg.sources = _sources(p, data.get("sources"))
    cfg.numbering = _numbering(p, data.get("numbering"))
    cfg.registers = _registers(p, data.get("registers"))
    cfg.people = _people(p, data.get("people"))
    cfg.timezone = _timezone(p, data.get("timezone"))
    language = data.get("language")
    if language is not None:
        if language not in LANGUAGES:
            p.error(
                ("language",),
                _("language must be zh or en, not '{language}'").format(language=language),
            )
        else:
            cfg.language = language
    render_name = data.get("render_name", cfg.render_name)
    if not isinstance(render_name, str) or not render_name.strip():
        p.error(("render_name",), _("render_name must be text like '{id}-{template}.docx'"))
    else:
        cfg.render_name = render_name
    backups = data.get("backups", 10)
    if isinstance(backups, bool) or not isinstance(backups, int) or backups < 1:
        p.error(("backups",), _("backups must be a whole number of 1 or more"))
    else:
        cfg.backups = backups
    return cfg, p


def _unknown(
    p: Problems, data: dict[str, Any], allowed: set[str], path: PathKey, what: str
) -> None:
    for key in data:
        if key not in allowed:
            hint = _closest(str(key), allowed)
            extra = (
                _(" (did you mean '{hint}'?)").format(hint=hint)
                if hint
                else _("; allowed: {sorted}").format(sorted=name_list(sorted(allowed)))
            )
            p.error(
                (*path, key),
                _("unknown key '{key}' in {what}{extra}").format(key=key, what=what, extra=extra),
                key=True,
            )


def _calendar(p: Problems, doc: Document, value: dict[str, Any], root: Path) -> dict[str, Any]:
    """`calendar:` (SPEC §4): its keys, every date of its holidays and workdays, the files
    it lists and every entry of those, and no day both a holiday and a workday, each
    problem at its own position: procdoc.yaml's line and column, or the calendar file's.
    What is wrong is reported and left out of what is returned, which is what the calendar
    is built from: the good days of the lists and of the files (read once, here), so that
    building it does not report anything again without a position."""
    _unknown(p, value, set(CALENDAR_KEYS), ("calendar",), "calendar")
    out: dict[str, Any] = {}
    roll = value.get("roll_calendar_deadlines", True)
    if isinstance(roll, bool):
        out["roll_calendar_deadlines"] = roll
    else:
        p.error(
            ("calendar", "roll_calendar_deadlines"),
            _("'{key}' must be true or false, not {value!r}").format(
                key="roll_calendar_deadlines", value=roll
            ),
        )
    found: dict[str, dict[date, Pos]] = {kind: {} for kind in CALENDAR_LISTS}
    for kind in CALENDAR_LISTS:
        for entry, path in _items(value, kind):
            try:
                days = list(_parse_entry(entry, where=f"calendar.{kind}"))
            except CalendarError as err:
                p.error(path, err.message)
                continue
            for day in days:
                found[kind].setdefault(day, doc.where(path))
    cache = root / ".procdoc" / "cache"  # the Workspace's cache_dir
    seen: set[Path] = set()
    for entry, path in _items(value, "files"):
        try:
            files = [f for f in calendar_files(entry, base_dir=root) if f.resolve() not in seen]
            seen.update(f.resolve() for f in files)
            read = [read_calendar_file(f, base_dir=root, cache=cache) for f in files]
        except CalendarError as err:
            p.error(path, err.message)
            continue
        for one in read:
            p.extend(Problem("error", pos, message) for pos, message in one.problems)
            for kind, listed in one.days.items():
                for day, pos in listed:
                    found[kind].setdefault(day, pos)
    holidays, workdays = found["holidays"], found["workdays"]
    clashes: dict[tuple[Pos, Pos], list[date]] = {}
    for day in sorted(holidays.keys() & workdays.keys()):
        clashes.setdefault((workdays.pop(day), holidays[day]), []).append(day)
    for (workday, holiday), days in clashes.items():
        p.append(
            Problem(
                "error",
                workday,
                _(
                    "{days} is listed here as a workday and at {holiday} as a holiday: keep each day in one list"
                ).format(days=_day_runs(days), holiday=holiday),
            )
        )
    out["holidays"], out["workdays"] = sorted(holidays), sorted(workdays)
    return out


def _items(value: dict[str, Any], key: str) -> Iterator[tuple[Any, PathKey]]:
    """Each entry under ``key`` with its path: the items of a list, or the one value."""
    entries = value.get(key)
    if isinstance(entries, list):
        yield from ((entry, ("calendar", key, i)) for i, entry in enumerate(entries))
    elif entries is not None:
        yield entries, ("calendar", key)


def _day_runs(days: list[date]) -> str:
    """Sorted days as runs: ``2027-10-01..2027-10-07, 2027-10-09``."""
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return name_list(
        run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()}..{run[-1].isoformat()}"
        for run in runs
    )


def _path(p: Problems, data: dict[str, Any], key: str, root: Path, default: str) -> Path:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        p.error((key,), _("'{key}' must be a path (text)").format(key=key))
        value = default
    path = Path(value)
    return path if path.is_absolute() else root / path


def _ledger_path(path: Path) -> Path:
    """The ledger's file: the one a symbolic link (to the office's file on a share) points
    to, so that a write replaces that file, and its lock, its backups and the Excel/WPS or
    LibreOffice owner files are looked for beside it (replacing the link made a copy of its
    own that the office never saw: QA). Other paths are kept as written."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError:
        return path


def _duration(p: Problems, value: Any, path: PathKey, default: Duration) -> Duration:
    if value is None:
        return default
    try:
        return Duration.parse(value)
    except CalendarError as err:
        p.error(path, err.message)
        return default


def _reminders(p: Problems, value: Any) -> Reminders:
    if value is None:
        return Reminders()
    if not isinstance(value, dict):
        p.error(
            ("reminders",), _("reminders: must be a mapping (due_soon, urge_after, escalate_after)")
        )
        return Reminders()
    _unknown(p, value, REMINDER_KEYS, ("reminders",), "reminders")
    d = Reminders()
    return Reminders(
        due_soon=_duration(p, value.get("due_soon"), ("reminders", "due_soon"), d.due_soon),
        urge_after=_duration(p, value.get("urge_after"), ("reminders", "urge_after"), d.urge_after),
        escalate_after=_duration(
            p, value.get("escalate_after"), ("reminders", "escalate_after"), d.escalate_after
        ),
    )


def _labels(p: Problems, value: Any) -> dict[str, str]:
    labels = dict(CORE_LABELS)
    if value is None:
        return labels
    if not isinstance(value, dict):
        p.error(("labels",), _("labels: must map column ids (id, title, step, ...) to header text"))
        return labels
    _unknown(p, value, set(CORE_LABELS), ("labels",), "labels")
    for key, label in value.items():
        if key in CORE_LABELS:
            if not isinstance(label, str) or not label.strip():
                p.error(("labels", key), _("label for '{key}' must be header text").format(key=key))
            else:
                labels[key] = label.strip()
    seen: dict[str, str] = {}
    for key, label in labels.items():
        if label in seen:
            p.error(
                ("labels", key),
                _("label '{label}' is used for both '{seen}' and '{key}'").format(
                    label=label, seen=seen[label], key=key
                ),
            )
        seen[label] = key
    return labels


def _entries(
    p: Problems, value: Any, section: str, noun: str, named: str, shape: str, keys: set[str]
) -> Iterator[tuple[Any, dict[str, Any], PathKey]]:
    """``(name, spec, path)`` of each entry of a section that maps names to settings
    (``sources:``, ``numbering:``). A section or an entry of the wrong shape is reported
    and left out; unknown keys are reported. ``noun`` names one entry, ``named`` what its
    name stands for, ``shape`` the keys it needs."""
    if value is None:
        return
    if not isinstance(value, dict):
        p.error(
            (section,),
            _("{section}: must map a {named} name to {{{shape}}}").format(
                section=section, named=named, shape=shape
            ),
        )
        return
    for name, spec in value.items():
        path: PathKey = (section, name)
        if not isinstance(spec, dict):
            p.error(
                path,
                _("{noun} '{name}' must be a mapping ({shape})").format(
                    noun=noun, name=name, shape=shape
                ),
            )
            continue
        _unknown(p, spec, keys, path, f"{noun} '{name}'")
        yield name, spec, path


def _sources(p: Problems, value: Any) -> dict[str, Source]:
    out: dict[str, Source] = {}
    shape = "process, key, columns"
    for name, spec, path in _entries(
        p, value, "sources", _("source"), _("source"), shape, SOURCE_KEYS
    ):
        missing = [k for k in ("process", "key", "columns") if k not in spec]
        for key in missing:
            p.error(
                path,
                _("source '{name}' is missing required key '{key}'").format(name=name, key=key),
            )
        columns = _source_columns(p, spec.get("columns"), (*path, "columns"))
        if missing or columns is None:
            continue
        status_steps = spec.get("status_steps") or {}
        if not isinstance(status_steps, dict):
            p.error((*path, "status_steps"), _("status_steps: must map export values to step ids"))
            status_steps = {}
        key = str(spec["key"])
        out[str(name)] = Source(
            name=str(name),
            process=str(spec["process"]),
            key=key,
            columns=columns,
            sheet=str(spec["sheet"]) if spec.get("sheet") is not None else None,
            status_column=str(spec["status_column"]) if spec.get("status_column") else None,
            status_steps={str(k): str(v) for k, v in status_steps.items()},
            title=str(spec["title"]) if spec.get("title") else None,
            values=_source_values(p, spec.get("values"), (*path, "values")),
            match=_texts(p, spec.get("match"), (*path, "match"), _("match: must list field ids")),
        )
    return out


def _source_columns(p: Problems, value: Any, path: PathKey) -> dict[str, tuple[str, ...]] | None:
    """``columns:``: export header -> a field id or core column id, or a list of them."""
    if not isinstance(value, dict) or not value:
        if value is not None:
            p.error(path, _("columns: must map export headers to field ids"))
        return None
    out: dict[str, tuple[str, ...]] = {}
    for header, target in value.items():
        targets = target if isinstance(target, list) else [target]
        if not targets or not all(isinstance(t, str) and t.strip() for t in targets):
            p.error(
                (*path, header),
                _("column '{header}' must map to a field id, or a list of field ids").format(
                    header=header
                ),
            )
            continue
        out[str(header)] = tuple(t.strip() for t in targets)
    return out


def _source_values(p: Problems, value: Any, path: PathKey) -> dict[str, dict[str, str]]:
    """``values:``: per export header (or per field it fills), the export's words -> the
    office's words; ``""`` stands for an empty cell. Whether each key names a mapped
    column is checked by `validate`, which knows the process's fields."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        p.error(path, _("values: must map export headers to {export word: office word}"))
        return {}
    out: dict[str, dict[str, str]] = {}
    for header, words in value.items():
        if not isinstance(words, dict):
            p.error(
                (*path, header),
                _("values: {header}: must map export words to office words").format(header=header),
            )
            continue
        out[str(header)] = {
            "" if k is None else str(k).strip(): "" if v is None else str(v)
            for k, v in words.items()
        }
    return out


def _texts(p: Problems, value: Any, path: PathKey, message: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v.strip() for v in items):
        p.error(path, message)
        return ()
    return tuple(v.strip() for v in items)


def _registers(p: Problems, value: Any) -> dict[str, RegisterSpec]:
    out: dict[str, RegisterSpec] = {}
    shape = "sheet, header_row, title, columns, number_column"
    entries = _entries(
        p, value, "registers", _("register"), _('process id (or "*")'), shape, REGISTER_KEYS
    )
    for key, spec, path in entries:
        sheet = spec.get("sheet")
        if sheet is not None:
            problem = sheet_name_problem(str(sheet)) if isinstance(sheet, str) else _("not text")
            if problem:
                p.error(
                    (*path, "sheet"),
                    _("sheet '{sheet}': {problem}").format(sheet=sheet, problem=problem),
                )
                sheet = None
        header_row = spec.get("header_row")
        if header_row is not None and (
            isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
        ):
            p.error((*path, "header_row"), _("header_row must be a row number (1, 2, 3 ...)"))
            header_row = None
        title = spec.get("title")
        if title is not None and not isinstance(title, str):
            p.error((*path, "title"), _("title must be text such as '{year}年收文登记台账'"))
            title = None
        if title and header_row == 1:
            p.error(
                (*path, "header_row"),
                _("with a title: the title is row 1, so the header is in row 2 or below"),
            )
        columns = spec.get("columns") or {}
        if not isinstance(columns, dict) or not all(
            isinstance(v, str) and v.strip() for v in columns.values()
        ):
            p.error((*path, "columns"), _("columns: must map column or field ids to header labels"))
            columns = {}
        number = spec.get("number_column")
        if number is not None and (not isinstance(number, str) or not number.strip()):
            p.error(
                (*path, "number_column"), _("number_column must be a header label such as 序号")
            )
            number = None
        out[str(key)] = RegisterSpec(
            key=str(key),
            sheet=sheet,
            header_row=header_row if header_row or not title else 2,  # a title: below it
            title=title,
            columns={str(k): v.strip() for k, v in columns.items()},
            number_column=number.strip() if number else None,
        )
    by_sheet: dict[str, tuple[str, dict[str, str]]] = {}
    for key, reg in out.items():
        if reg.sheet is None:
            continue
        other = by_sheet.get(reg.sheet)
        if other is not None and other[1] != reg.columns:
            p.error(
                ("registers", key, "columns"),
                _(
                    "registers {other} and {key} share sheet '{sheet}' with different columns: give them the same columns: or separate sheets"
                ).format(other=other[0], key=key, sheet=reg.sheet),
            )
        by_sheet.setdefault(reg.sheet, (key, reg.columns))
    return out


def _people(p: Problems, value: Any) -> dict[str, Person]:
    out: dict[str, Person] = {}
    for name, spec, path in _entries(
        p, value, "people", _("person"), _("person"), "dept, roles", PERSON_KEYS
    ):
        dept = spec.get("dept")
        if dept is not None and not isinstance(dept, str):
            p.error((*path, "dept"), _("dept must be text (the person's department)"))
            dept = None
        roles = _texts(p, spec.get("roles"), (*path, "roles"), _("roles: must list role names"))
        out[str(name).strip()] = Person(str(name).strip(), dept.strip() if dept else None, roles)
    return out


def _timezone(p: Problems, value: Any) -> str:
    if value is None:
        return DEFAULT_TIMEZONE
    if not isinstance(value, str) or not value.strip():
        p.error(("timezone",), _("timezone must be a zone name such as Asia/Shanghai"))
        return DEFAULT_TIMEZONE
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        p.error(
            ("timezone",), _("unknown time zone '{value}' (e.g. Asia/Shanghai)").format(value=value)
        )
        return DEFAULT_TIMEZONE
    return value.strip()


def _numbering(p: Problems, value: Any) -> dict[str, Numbering]:
    out: dict[str, Numbering] = {}
    entries = _entries(
        p,
        value,
        "numbering",
        _("numbering sequence"),
        _("sequence"),
        "format, field",
        NUMBERING_KEYS,
    )
    for name, spec, path in entries:
        fmt, fld = spec.get("format"), spec.get("field")
        if not isinstance(fmt, str) or "{seq" not in fmt:
            p.error(
                (*path, "format"),
                _(
                    "format must be text holding {seq} (and usually {year}), e.g. 某办发〔{year}〕{seq}号"
                ),
            )
            continue
        try:
            fmt.format(year=2026, seq=1)
        except (KeyError, ValueError, IndexError) as err:
            p.error(
                (*path, "format"),
                _("format '{fmt}' is not valid: {err}; only {{year}} and {{seq}} exist").format(
                    fmt=fmt, err=err
                ),
            )
            continue
        if any(bad in fmt for bad in ("[{year}]", "({year})", "【{year}】", "（{year}）")):
            p.warning(
                (*path, "format"),
                _("GB/T 9704 writes the year in 六角括号 〔〕 (U+3014/U+3015), not [] () 【】"),
            )
        if "{seq:0" in fmt:
            p.warning((*path, "format"), _("GB/T 9704 numbers have no leading zeros: use {seq}"))
        if not isinstance(fld, str) or not fld:
            p.error(
                path,
                _("numbering '{name}' needs field: the case field that receives the number").format(
                    name=name
                ),
            )
            continue
        start = spec.get("start", 1)
        if isinstance(start, bool) or not isinstance(start, int) or start < 1:
            p.error((*path, "start"), _("start must be a whole number of 1 or more"))
            start = 1
        out[str(name)] = Numbering(str(name), fmt, fld, start)
    return out
