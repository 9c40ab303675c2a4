"""Cases: reading them from the ledger, opening, moving, signing and extending them.

Every change is planned against a snapshot of the ledger inside
:meth:`LedgerStore.update`, so a refused move raises before anything is written and two
procdoc processes never lose each other's changes.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import string
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from procdoc.calendar import Due, Duration, WorkCalendar, format_due, format_moment
from procdoc.config import (
    CORE_LABELS,
    HISTORY_COLUMNS,
    HISTORY_SHEET,
    LEDGER_SHEET,
    STATUS_CLOSED,
    STATUS_OPEN,
    Config,
)
from procdoc.errors import CalendarError, CaseError, ProcdocWarning
from procdoc.process.loader import Problem
from procdoc.process.model import DeadlineRule, FieldDef, Process, Step

if TYPE_CHECKING:
    from procdoc.ledger import Batch, Row, Sheet, Snapshot

#: History actions: the ledger keeps the Chinese word, JSON the id.
ACTIONS: dict[str, str] = {
    "new": "新建",
    "advance": "流转",
    "return": "退回",
    "sign": "会签",
    "close": "办结",
    "extend": "延期",
    "set": "修改",
    "import": "导入",
    "update": "导入更新",
    "render": "生成文书",
    "number": "编号",
}
ACTION_IDS = {cn: key for key, cn in ACTIONS.items()}
#: The history actions by which a case enters a step.
ENTRY_ACTIONS = ("advance", "return", "new", "import")

Status = Literal["open", "closed"]


@dataclass
class HistoryEntry:
    case: str
    at: datetime | None
    action: str  # the id: new, advance, ...
    from_step: str | None  # step id when known, else the text in the ledger
    to_step: str | None
    by: str | None
    note: str | None
    subject: str | None = None  # what the event is about: a field, template, duration, role
    old: Any = None  # the value before (a field's, a deadline's, an assignee's)
    new: Any = None  # the value after (or what was produced: a number, a document's date)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "at": format_moment(self.at) if self.at else None,
            "action": self.action,
            "from": self.from_step,
            "to": self.to_step,
            "by": self.by,
            "note": self.note,
        }
        for key in ("subject", "old", "new"):  # only on the events that have them
            if getattr(self, key) is not None:
                out[key] = _json_value(getattr(self, key))
        return out


@dataclass
class Case:
    id: str
    process: Process
    step: Step | None
    title: str = ""
    status: Status = "open"
    assignee: str | None = None
    opened: datetime | None = None
    entered: datetime | None = None
    due: Due | None = None
    case_due: Due | None = None
    closed: datetime | None = None
    source: str | None = None
    ref: str | None = None
    updated: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    row: int | None = None  # the ledger row number
    history: list[HistoryEntry] | None = None

    @property
    def step_name(self) -> str | None:
        return self.step.name if self.step else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "process": self.process.id,
            "process_name": self.process.name,
            "title": self.title,
            "step": self.step.id if self.step else None,
            "step_name": self.step_name,
            "status": self.status,
            "assignee": self.assignee,
            "opened": _iso(self.opened),
            "entered": _iso(self.entered),
            "due": format_due(self.due) if self.due else None,
            "case_due": format_due(self.case_due) if self.case_due else None,
            "closed": _iso(self.closed),
            "source": self.source,
            "ref": self.ref,
            "updated": _iso(self.updated),
            "fields": {k: _json_value(v) for k, v in self.fields.items()},
        }
        if self.history is not None:
            out["history"] = [h.as_dict() for h in self.history]
        return out


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_moment(value)
    return value.isoformat()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- values ----------------------------------------------------------------------------------

TRUE_WORDS = {"是", "true", "yes", "y", "1", "对", "√", "✓"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "不", "×", "✗"}


def convert_field(fdef: FieldDef, raw: Any) -> Any:
    """Convert ``raw`` (text from the command line or a cell value) to the field's type.
    Raises ``ValueError`` with a message saying what was expected."""
    from procdoc.importer.convert import ConversionError, to_date, to_datetime, to_number, to_text

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        if fdef.type == "number":
            return to_number(raw)
        if fdef.type == "date":
            return to_date(raw)
        if fdef.type == "datetime":
            return to_datetime(raw)
        if fdef.type == "bool":
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(f"'{raw}' is not 是/否 (true/false)")
        text = to_text(raw)
        if fdef.type == "choice" and text is not None and text not in fdef.choices:
            raise ValueError(f"'{text}' is not one of {', '.join(fdef.choices)}")
        return text
    except ConversionError as err:
        raise ValueError(str(err)) from err


def cell_for(value: Any) -> Any:
    """A case value as it goes into a cell (booleans as 是/否, as offices write them)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _loose(fdef: FieldDef, raw: Any) -> Any:
    """A cell value read back: converted when possible, kept as it is otherwise (the
    office may type anything into its own ledger). Values already of the field's type
    (the usual case) take the fast path."""
    if raw is None:
        return None
    kind, cls = fdef.type, type(raw)
    if cls is str and kind in ("text", "choice"):
        return raw.strip() or None
    if (kind == "number" and cls in (int, float)) or (kind == "date" and cls is date):
        return raw
    if kind == "datetime" and cls in (datetime, date):
        return raw
    try:
        return convert_field(fdef, raw)
    except ValueError:
        return raw


def _as_moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and value.strip():
        from procdoc.importer.convert import ConversionError, to_datetime

        try:
            got = to_datetime(value)
        except ConversionError:
            return None
        return _as_moment(got)
    return None


def _as_due(value: Any) -> Due | None:
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else value
    if isinstance(value, date):
        return value
    moment = _as_moment(value)
    return _as_due(moment) if moment else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


# -- the ledger seen as cases -------------------------------------------------------------------


class Ledger:
    """The cases of one ledger snapshot, found by header label and case id."""

    def __init__(
        self,
        snapshot: Snapshot,
        config: Config,
        processes: Mapping[str, Process],
        *,
        load_history: Callable[[], Sheet | None] | None = None,
        broken: Mapping[str, Problem] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.broken = broken or {}  # processes left out for errors: first error by id/name
        self._load_history = load_history
        self._history_sheet: Sheet | None = snapshot.sheets.get(HISTORY_SHEET)
        self.config = config
        self.labels = config.labels
        self.processes = processes
        self._by_key = {}
        for process in processes.values():
            self._by_key[process.id] = process
            self._by_key[process.name] = process
        self.sheet: Sheet | None = snapshot.sheets.get(LEDGER_SHEET)
        self._field_columns: dict[str, list[tuple[str, FieldDef, int | None]]] = {}
        self._core: dict[str, int | None] = {}
        if self.sheet is not None:
            self._core = {label: self.sheet.column(label) for label in self.labels.values()}
        self.rows: dict[str, Row] = {}
        self.sequences: dict[tuple[str, int], int] = {}  # next_id's cache
        self.pending: dict[str, Case] = {}  # cases opened by the change being planned
        self.duplicates: dict[str, list[int]] = {}
        if self.sheet is not None:
            id_col = self.sheet.column(self.labels["id"])
            if id_col is None and self.sheet.rows:
                from procdoc.errors import LedgerError

                raise LedgerError(
                    f"{config.ledger.name} {LEDGER_SHEET}!1: no '{self.labels['id']}' column in the header row",
                    hint="the case id column must keep its header (or set labels: id: in procdoc.yaml)",
                )
            for row in self.sheet.rows:
                cid = (
                    _text(row.values[id_col])
                    if id_col is not None and id_col < len(row.values)
                    else None
                )
                if not cid:
                    continue
                if cid in self.rows:
                    self.duplicates.setdefault(cid, [self.rows[cid].number]).append(row.number)
                    continue
                self.rows[cid] = row

    def ids(self) -> list[str]:
        return [*self.rows, *self.pending]

    def process_of(self, row: Row) -> Process | None:
        assert self.sheet is not None
        key = _text(self.sheet.value(row, self.labels["process"]))
        return self._by_key.get(key) if key else None

    def case(self, case_id: str) -> Case:
        if case_id in self.pending:
            return self.pending[case_id]
        row = self.rows.get(case_id)
        if row is None:
            near = difflib.get_close_matches(case_id, self.ids(), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(near)}?" if near else "see `procdoc list`"
            raise CaseError(f"unknown case '{case_id}' in {self.config.ledger.name}", hint=hint)
        if case_id in self.duplicates:
            rows = ", ".join(str(n) for n in self.duplicates[case_id])
            raise CaseError(
                f"case '{case_id}' appears in rows {rows} of {self.config.ledger.name} {LEDGER_SHEET}",
                hint="remove or renumber the duplicate rows first",
            )
        case = self._case(case_id, row)
        if case is None:
            assert self.sheet is not None
            value = self.sheet.value(row, self.labels["process"])
            problem = self.broken.get(str(value).strip())
            if problem is not None:
                raise CaseError(
                    f"case '{case_id}' belongs to process '{value}', whose file has errors: {problem.pos}: {problem.message}",
                    hint="fix the file (procdoc validate lists every problem); the ledger is unchanged",
                )
            raise CaseError(
                f"{self.config.ledger.name} {LEDGER_SHEET}!row {row.number}: case '{case_id}' names unknown process '{value}'",
                hint=f"known: {', '.join(p.name for p in self.processes.values())}",
            )
        return case

    def refs(self, process: Process) -> dict[str, str]:
        """The id of each case of ``process`` by its OA reference (the first case holding
        a reference, pending cases included), read from the row without building cases."""
        out: dict[str, str] = {}
        proc_col, ref_col = (
            self._core.get(self.labels["process"]),
            self._core.get(self.labels["ref"]),
        )
        if proc_col is not None and ref_col is not None:
            names = {process.id, process.name}
            for cid, row in self.rows.items():
                values = row.values
                if ref_col < len(values) and proc_col < len(values):
                    ref = _text(values[ref_col])
                    if ref and _text(values[proc_col]) in names:
                        out.setdefault(ref, cid)
        for cid, case in self.pending.items():
            if case.process.id == process.id and case.ref:
                out.setdefault(case.ref, cid)
        return out

    def cases(self) -> Iterable[Case]:
        for cid, row in self.rows.items():
            case = self._case(cid, row)
            if case is not None:
                yield case

    def _columns(self, process: Process) -> list[tuple[str, FieldDef, int | None]]:
        """(field id, definition, column index) of a process's fields, found once."""
        cols = self._field_columns.get(process.id)
        if cols is None:
            assert self.sheet is not None
            cols = [(fid, f, self.sheet.column(f.label)) for fid, f in process.fields.items()]
            self._field_columns[process.id] = cols
        return cols

    def _case(self, case_id: str, row: Row) -> Case | None:
        sheet = self.sheet
        assert sheet is not None
        process = self.process_of(row)
        if process is None:
            return None
        values, core = row.values, self._core
        width = len(values)

        def get(_row: Row, label: str) -> Any:
            i = core[label]
            return values[i] if i is not None and i < width else None

        labels = self.labels
        step_key = _text(get(row, labels["step"]))
        step = process.find_step(step_key) if step_key else None
        status_text = _text(get(row, labels["status"]))
        closed_at = _as_moment(get(row, labels["closed"]))
        status: Status = (
            "closed"
            if status_text in (STATUS_CLOSED, "closed")
            or (status_text is None and closed_at is not None)
            or (status_text is None and step is not None and step.final)
            else "open"
        )
        fields = {
            fid: _loose(fdef, values[i]) if i is not None and i < width else None
            for fid, fdef, i in self._columns(process)
        }
        return Case(
            id=case_id,
            process=process,
            step=step,
            title=_text(get(row, labels["title"])) or "",
            status=status,
            assignee=_text(get(row, labels["assignee"])),
            opened=_as_moment(get(row, labels["opened"])),
            entered=_as_moment(get(row, labels["entered"])),
            due=_as_due(get(row, labels["due"])),
            case_due=_as_due(get(row, labels["case_due"])),
            closed=closed_at,
            source=_text(get(row, labels["source"])),
            ref=_text(get(row, labels["ref"])),
            updated=_as_moment(get(row, labels["updated"])),
            fields=fields,
            row=row.number,
        )

    # -- history ------------------------------------------------------------------------
    def history_sheet(self) -> Sheet | None:
        """The 流转记录 sheet, read on first use (most commands never need it)."""
        if self._history_sheet is None and self._load_history is not None:
            self._history_sheet = self._load_history()
            self._load_history = None
        return self._history_sheet

    def history(self, case: Case) -> list[HistoryEntry]:
        sheet = self.history_sheet()
        if sheet is None:
            return []
        cols = {key: sheet.column(label) for key, label in HISTORY_COLUMNS.items()}
        id_col = cols["case"]
        if id_col is None:
            return []

        def cell(row: Row, key: str) -> Any:
            col = cols[key]
            return row.values[col] if col is not None and col < len(row.values) else None

        def step_id(value: Any) -> str | None:
            text = _text(value)
            found = case.process.find_step(text) if text else None
            return found.id if found else text

        out = []
        for row in sheet.rows:
            if _text(cell(row, "case")) != case.id:
                continue
            action = _text(cell(row, "action")) or ""
            out.append(
                HistoryEntry(
                    case=case.id,
                    at=_as_moment(cell(row, "at")),
                    action=ACTION_IDS.get(action, action),
                    from_step=step_id(cell(row, "from")),
                    to_step=step_id(cell(row, "to")),
                    by=_text(cell(row, "by")),
                    note=_text(cell(row, "note")),
                )
            )
        return out


# -- writing ---------------------------------------------------------------------------------


class Change:
    """What one command does to the ledger: cell updates, new rows and history rows."""

    def __init__(self, config: Config, processes: Mapping[str, Process]) -> None:
        self.config = config
        self.processes = processes
        self.updates: dict[int, dict[str, Any]] = {}
        self.new_rows: list[dict[str, Any]] = []
        self._new_index: dict[str, int] = {}  # case id -> its entry in new_rows
        self.history: list[dict[str, Any]] = []
        self.fields_needed: list[FieldDef] = []

    def add_case(self, case: Case) -> None:
        """A new row for ``case``; calling it again for the same case rewrites that row."""
        cells = case_cells(case, self.config.labels)
        if case.id in self._new_index:
            self.new_rows[self._new_index[case.id]] = cells
        else:
            self._new_index[case.id] = len(self.new_rows)
            self.new_rows.append(cells)

    def update_case(self, before: Case, after: Case) -> None:
        """Record the cells of ``after`` that differ from ``before``."""
        if after.row is None:
            self.add_case(after)
            return
        self.updates.setdefault(after.row, {}).update(
            changed_cells(before, after, self.config.labels)
        )

    def header(self) -> list[str]:
        """The ledger header procdoc wants: its own columns, then every process field."""
        labels = list(self.config.labels.values())
        for process in self.processes.values():
            for fdef in process.fields.values():
                if fdef.label not in labels:
                    labels.append(fdef.label)
        return labels

    def record(
        self,
        case_id: str,
        at: datetime,
        action: str,
        *,
        from_step: Step | None = None,
        to_step: Step | None = None,
        by: str | None = None,
        note: str | None = None,
    ) -> None:
        h = HISTORY_COLUMNS
        self.history.append({
            h["case"]: case_id,
            h["at"]: at,
            h["action"]: ACTIONS[action],
            h["from"]: from_step.name if from_step else None,
            h["to"]: to_step.name if to_step else None,
            h["by"]: by,
            h["note"]: note,
        })  # fmt: skip

    def batch(self) -> Batch:
        from procdoc.ledger import Batch

        batch = Batch()
        if self.updates or self.new_rows:
            ledger = batch.sheet(LEDGER_SHEET)
            ledger.header = self.header()
            for row, values in self.updates.items():
                ledger.set[row] = {k: cell_for(v) for k, v in values.items()}
            ledger.append = [
                {k: cell_for(v) for k, v in values.items()} for values in self.new_rows
            ]
        if self.history:
            hist = batch.sheet(HISTORY_SHEET)
            hist.header = list(HISTORY_COLUMNS.values())
            hist.append = self.history
        return batch


def case_cells(case: Case, labels: Mapping[str, str]) -> dict[str, Any]:
    """Every procdoc-owned cell of ``case``, by header label."""
    values: dict[str, Any] = {
        labels["id"]: case.id,
        labels["process"]: case.process.name,
        labels["title"]: case.title,
        labels["step"]: case.step.name if case.step else None,
        labels["status"]: STATUS_CLOSED if case.status == "closed" else STATUS_OPEN,
        labels["assignee"]: case.assignee,
        labels["entered"]: case.entered,
        labels["due"]: case.due,
        labels["case_due"]: case.case_due,
        labels["opened"]: case.opened,
        labels["closed"]: case.closed,
        labels["source"]: case.source,
        labels["ref"]: case.ref,
        labels["updated"]: case.updated,
    }
    for fid, fdef in case.process.fields.items():
        values[fdef.label] = case.fields.get(fid)
    return values


def changed_cells(before: Case | None, after: Case, labels: Mapping[str, str]) -> dict[str, Any]:
    new = case_cells(after, labels)
    if before is None:
        return new
    old = case_cells(before, labels)
    return {k: v for k, v in new.items() if old.get(k) is not v and not _same(old.get(k), v)}


def _same(a: Any, b: Any) -> bool:
    """Whether a cell would not change: empty equals empty, 5 equals 5.0, and a date
    differs from a datetime at midnight (the cell's format would change)."""
    if type(a) is str and type(b) is str:  # the common case, first
        return a == b
    if a is None or a == "" or b is None or b == "":
        return (a is None or a == "") and (b is None or b == "")
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, datetime) != isinstance(b, datetime):
        return False
    return bool(a == b)


# -- the engine --------------------------------------------------------------------------------


@dataclass
class MoveResult:
    case: Case
    action: str  # advance, return, close, sign
    from_step: Step | None
    to_step: Step | None
    awaiting: list[str] = field(default_factory=list)  # countersign: signers still awaited
    signed: list[str] = field(default_factory=list)
    number: str | None = None  # a document number given on entry


class Engine:
    """The rules of SPEC §5 applied to cases; one instance per command."""

    def __init__(
        self, config: Config, processes: Mapping[str, Process], calendar: WorkCalendar
    ) -> None:
        self.config = config
        self.processes = processes
        self.calendar = calendar

    # -- values ---------------------------------------------------------------------------
    def parse_sets(
        self, process: Process, pairs: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``FIELD=VALUE`` pairs -> (field values by id, core values by id). Fields by id or
        label; core columns title, assignee, ref, source may be set too."""
        fields: dict[str, Any] = {}
        core: dict[str, Any] = {}
        settable = {"title", "assignee", "ref", "source"}
        for pair in pairs:
            if "=" not in pair:
                raise CaseError(
                    f"--set '{pair}' must be FIELD=VALUE",
                    hint=f"fields of {process.id}: {_field_list(process)}",
                )
            key, _, raw = pair.partition("=")
            key = key.strip()
            fdef = process.fields.get(key) or process.field_by_label(key)
            if fdef is None:
                core_key = next(
                    (k for k, label in self.config.labels.items() if key in (k, label)), None
                )
                if core_key in settable:
                    core[core_key] = raw.strip() or None
                    continue
                raise CaseError(
                    f"--set {key}: {process.id} has no field '{key}'",
                    hint=f"fields: {_field_list(process)}",
                )
            try:
                fields[fdef.id] = convert_field(fdef, raw)
            except ValueError as err:
                raise CaseError(
                    f"--set {key}: field {fdef.id} ({fdef.label}, {fdef.type}) {err}"
                ) from err
        return fields, core

    # -- deadlines ------------------------------------------------------------------------
    def step_due(
        self, case: Case, step: Step, at: datetime, *, entries: Mapping[str, datetime]
    ) -> Due | None:
        return self._due(case, step.deadline, at, entries=entries, what=f"step {step.id}")

    def _due(
        self,
        case: Case,
        rule: DeadlineRule | None,
        at: datetime,
        *,
        entries: Mapping[str, datetime],
        what: str,
    ) -> Due | None:
        if rule is None:
            return None
        base: date | datetime | None = at
        if rule.start is not None:
            if rule.start in case.fields or rule.start in case.process.fields:
                base = case.fields.get(rule.start)
                if base is None:
                    warnings.warn(
                        f"{case.id}: {what} counts its deadline from field '{rule.start}', which is empty: no deadline set",
                        ProcdocWarning,
                        stacklevel=3,
                    )
                    return None
            else:
                base = entries.get(rule.start)
                if base is None:
                    base = at
        assert base is not None
        return self.calendar.due(base, rule.duration)

    # -- ids ---------------------------------------------------------------------------------
    def next_id(self, process: Process, ledger: Ledger, at: datetime) -> str:
        """The next id from the process's ``case_id`` pattern; the sequence counts per
        process (per year when the pattern holds {year})."""
        pattern = process.case_id
        key = (process.id, at.year if "{year" in pattern else 0)
        seq = ledger.sequences.get(key)
        if seq is None:
            regex = _pattern_regex(pattern, at.year)
            seq = 0
            for cid in ledger.ids():
                m = regex.match(cid)
                if m:
                    seq = max(seq, int(m.group("seq")))
        while True:
            seq += 1
            cid = pattern.format(year=at.year, seq=seq)
            if cid not in ledger.rows and cid not in ledger.pending:
                ledger.sequences[key] = seq
                return cid

    # -- commands --------------------------------------------------------------------------
    def new(
        self,
        ledger: Ledger,
        process: Process,
        *,
        title: str,
        sets: Sequence[str],
        by: str | None,
        at: datetime,
        change: Change,
        source: str | None = None,
        ref: str | None = None,
        values: Mapping[str, Any] | None = None,
        step: Step | None = None,
        note: str | None = None,
        case_id: str | None = None,
    ) -> Case:
        fields, core = self.parse_sets(process, sets)
        if values:
            fields = {**values, **fields}
        missing = [
            f"{f.id} ({f.label})"
            for f in process.fields.values()
            if f.required and fields.get(f.id) is None
        ]
        if missing:
            raise CaseError(
                f"{process.id}: required field(s) missing: {', '.join(missing)}",
                hint="give them with --set FIELD=VALUE",
            )
        title = core.pop("title", None) or title
        if not title or not title.strip():
            raise CaseError("a case needs a title", hint="--title TEXT")
        first = step or process.first_step
        case = Case(
            id=case_id or self.next_id(process, ledger, at),
            process=process,
            step=first,
            title=title.strip(),
            opened=at,
            entered=at,
            updated=at,
            source=core.get("source", source),
            ref=core.get("ref", ref),
            assignee=core.get("assignee"),
            fields={fid: fields.get(fid) for fid in process.fields},
        )
        entries = {first.id: at}
        case.due = self.step_due(case, first, at, entries=entries)
        if process.deadline and (
            process.deadline.start is None
            or process.deadline.start == first.id
            or process.deadline.start in process.fields
        ):
            case.case_due = self._due(
                case, process.deadline, at, entries=entries, what="the process"
            )
        ledger.pending[case.id] = case
        change.record(
            case.id, at, "new" if source is None else "import", to_step=first, by=by, note=note
        )
        self._number(case, first, ledger, change, at, by)
        if first.final:
            case.status, case.closed = "closed", at
        change.add_case(case)
        return case

    def allowed_moves(self, case: Case) -> list[tuple[Step, str]]:
        """(step, how) for every move open now: how is 'next' or 'back'."""
        assert case.step is not None
        out: list[tuple[Step, str]] = []
        held_before = False
        for branch in case.step.next:
            if branch.when is not None:
                ok = branch.when.evaluate(case.fields)
                held_before = held_before or ok
            else:
                ok = not held_before
            if ok:
                out.append((case.process.step(branch.to), "next"))
        out.extend((case.process.step(t), "back") for t in case.step.back)
        return out

    def advance(
        self,
        ledger: Ledger,
        case_id: str,
        *,
        to: str,
        by: str | None,
        note: str | None,
        at: datetime,
        sets: Sequence[str],
        change: Change,
    ) -> MoveResult:
        case = ledger.case(case_id)
        before = copy_case(case)
        process = case.process
        if case.status == "closed":
            when = f" on {case.closed:%Y-%m-%d}" if case.closed else ""
            raise CaseError(
                f"case {case.id} is closed ({STATUS_CLOSED}{when}); a closed case does not move"
            )
        if case.step is None:
            raise CaseError(
                f"case {case.id} is at an unknown step; fix its {self.config.labels['step']} cell (row {case.row})",
                hint=f"steps of {process.id}: {', '.join(s.name for s in process.steps)}",
            )
        target = process.find_step(to)
        if target is None:
            raise CaseError(
                f"{process.id} has no step '{to}'",
                hint=f"allowed from {case.step.name}: {self._allowed_text(case)}",
            )
        fields, core = self.parse_sets(process, sets)
        case.fields.update(fields)
        for key, value in core.items():
            setattr(case, key, value)
        moves = self.allowed_moves(case)
        how = next((h for s, h in moves if s.id == target.id), None)
        if how is None:
            raise CaseError(
                self._refusal(case, target), hint=f"allowed now: {self._allowed_text(case)}"
            )
        current = case.step
        result = MoveResult(
            case=case,
            action="return" if how == "back" else "advance",
            from_step=current,
            to_step=target,
        )
        history = (
            ledger.history(case)
            if current.kind == "countersign" or _needs_entries(target, process)
            else []
        )
        if current.kind == "countersign" and how == "next":
            signed = self._signed(case, history)
            signer = _signer(current, by)
            if signer is not None and signer not in signed:
                signed.append(signer)
                change.record(case.id, at, "sign", from_step=current, by=by, note=note)
                result.signed = list(signed)
            done = (
                bool(signed) if current.mode == "any" else all(s in signed for s in current.signers)
            )
            if not done:
                if signer is None:
                    awaited = [s for s in current.signers if s not in signed]
                    raise CaseError(
                        f"{case.id} is at countersign step {current.name}: awaiting {', '.join(awaited)}",
                        hint="each signer signs with --by ROLE (or --by ROLE:NAME)",
                    )
                result.action = "sign"
                result.awaiting = [s for s in current.signers if s not in signed]
                case.updated = at
                if fields or core:
                    change.record(
                        case.id,
                        at,
                        "set",
                        from_step=current,
                        by=by,
                        note=_describe_sets(before, case),
                    )
                change.update_case(before, case)
                return result
        entries = _entries(history, process)
        entries[current.id] = case.entered or at
        entries[target.id] = at
        case.step = target
        case.entered = at
        case.updated = at
        case.due = self.step_due(case, target, at, entries=entries)
        if process.deadline and process.deadline.start == target.id and case.case_due is None:
            case.case_due = self._due(
                case, process.deadline, at, entries=entries, what="the process"
            )
        if fields or core:
            change.record(
                case.id, at, "set", from_step=current, by=by, note=_describe_sets(before, case)
            )
        change.record(
            case.id, at, result.action, from_step=current, to_step=target, by=by, note=note
        )
        result.number = self._number(case, target, ledger, change, at, by)
        if target.final:
            case.status = "closed"
            case.closed = at
            case.due = None
            change.record(case.id, at, "close", from_step=target, by=by)
            result.action = "close"
        change.update_case(before, case)
        return result

    def extend(
        self,
        ledger: Ledger,
        case_id: str,
        *,
        by_duration: str,
        reason: str,
        who: str | None,
        at: datetime,
        change: Change,
    ) -> tuple[Case, Due, Due]:
        case = ledger.case(case_id)
        before = copy_case(case)
        if case.status == "closed":
            raise CaseError(
                f"case {case.id} is closed; only an open case's deadline can be extended"
            )
        step = case.step
        if step is None or case.due is None:
            raise CaseError(f"case {case.id} has no deadline at its current step to extend")
        if not reason or not reason.strip():
            raise CaseError(
                "an extension needs a reason",
                hint="--reason TEXT (it is recorded and told to the petitioner)",
            )
        try:
            amount = Duration.parse(by_duration)
        except CalendarError as err:
            raise CaseError(f"--by: {err.message}") from err
        if step.extend is None:
            raise CaseError(
                f"step {step.name} of {case.process.id} may not be extended (no `extend:` in its definition)"
            )
        used = [
            Duration.parse((h.note or "").split("：", 1)[0])
            for h in self._extensions(case, ledger.history(case))
        ]
        total_hours = sum(_hours(d) for d in used) + _hours(amount)
        if total_hours > _hours(step.extend):
            already = " + ".join(str(d) for d in used)
            raise CaseError(
                f"cannot extend {case.id} by {amount}: step {step.name} may be extended by at most {step.extend}"
                + (f" in all, and {already} was already granted" if used else ""),
            )
        old = case.due
        new_due = self.calendar.due(old, amount)
        case.due = new_due
        if case.case_due is not None and case.case_due == old:
            case.case_due = new_due
        case.updated = at
        change.record(
            case.id,
            at,
            "extend",
            from_step=step,
            to_step=step,
            by=who,
            note=f"{amount}：{reason.strip()}",
        )
        change.update_case(before, case)
        return case, old, new_due

    # -- helpers -----------------------------------------------------------------------------
    def _extensions(self, case: Case, history: list[HistoryEntry]) -> list[HistoryEntry]:
        """Extensions granted since the case last entered its current step."""
        return [e for e in since_entry(case, history) if e.action == "extend" and e.note]

    def _signed(self, case: Case, history: list[HistoryEntry]) -> list[str]:
        """The signer roles that have signed since the case entered its countersign step."""
        assert case.step is not None
        signed: list[str] = []
        for entry in since_entry(case, history):
            if entry.action == "sign" and entry.from_step == case.step.id:
                who = _signer(case.step, entry.by)
                if who and who not in signed:
                    signed.append(who)
        return signed

    def _number(
        self, case: Case, step: Step, ledger: Ledger, change: Change, at: datetime, by: str | None
    ) -> str | None:
        if not step.number or step.number not in self.config.numbering:
            return None
        seq_def = self.config.numbering[step.number]
        if case.fields.get(seq_def.field):
            return None  # a case that comes back keeps its own number
        fdef = case.process.fields.get(seq_def.field)
        if fdef is None:
            return None
        regex = _pattern_regex(seq_def.format, at.year)
        used = seq_def.start - 1
        label_values = self._all_values(ledger, fdef.label)
        for value in [*label_values, *self._numbers_in_history(ledger, step.number)]:
            m = regex.match(str(value))
            if m:
                used = max(used, int(m.group("seq")))
        for pending in change.history:
            m = regex.match(str(pending.get(HISTORY_COLUMNS["note"]) or ""))
            if m and pending.get(HISTORY_COLUMNS["action"]) == ACTIONS["number"]:
                used = max(used, int(m.group("seq")))
        number = seq_def.format.format(year=at.year, seq=used + 1)
        case.fields[seq_def.field] = number
        change.record(case.id, at, "number", from_step=step, by=by, note=number)
        return number

    def _all_values(self, ledger: Ledger, label: str) -> list[Any]:
        sheet = ledger.sheet
        if sheet is None or sheet.column(label) is None:
            return []
        return [sheet.value(row, label) for row in sheet.rows]

    def _numbers_in_history(self, ledger: Ledger, name: str) -> list[str]:
        sheet = ledger.history_sheet()
        if sheet is None:
            return []
        action_col, note_col = (
            sheet.column(HISTORY_COLUMNS["action"]),
            sheet.column(HISTORY_COLUMNS["note"]),
        )
        if action_col is None or note_col is None:
            return []
        out = []
        for row in sheet.rows:
            if (
                action_col < len(row.values)
                and row.values[action_col] == ACTIONS["number"]
                and note_col < len(row.values)
            ):
                out.append(str(row.values[note_col]))
        return out

    def _allowed_text(self, case: Case) -> str:
        moves = self.allowed_moves(case)
        if not moves:
            return "none"
        return ", ".join(
            f"{s.name} ({s.id}{', 退回' if how == 'back' else ''})" for s, how in moves
        )

    def _refusal(self, case: Case, target: Step) -> str:
        assert case.step is not None
        for branch in case.step.next:
            if branch.to == target.id and branch.when is not None:
                shown = ", ".join(
                    f"{n} is {_show(case.fields.get(n))}" for n in sorted(branch.when.names)
                )
                return f"cannot move {case.id} from {case.step.name} to {target.name}: condition {branch.when.text} does not hold ({shown})"
            if branch.to == target.id:
                return f"cannot move {case.id} from {case.step.name} to {target.name}: an earlier branch's condition holds, so the fallback is closed"
        return f"cannot move {case.id} from {case.step.name} to {target.name}: {case.process.id} has no such move"


def since_entry(case: Case, history: list[HistoryEntry]) -> list[HistoryEntry]:
    """The history recorded since the case last entered its current step."""
    step_id = case.step.id if case.step else None
    out: list[HistoryEntry] = []
    for entry in history:
        if entry.to_step == step_id and entry.action in ENTRY_ACTIONS:
            out = []
        else:
            out.append(entry)
    return out


def _show(value: Any) -> str:
    return "empty" if value is None else repr(value)


def _hours(d: Duration) -> int:
    return d.amount if d.unit == "h" else d.amount * 24


def _signer(step: Step, by: str | None) -> str | None:
    """The signer role that ``by`` names: the role itself or ``ROLE:NAME``."""
    if not by:
        return None
    who = by.strip()
    for role in step.signers:
        if who == role or re.match(rf"^{re.escape(role)}\s*[:：/（(]", who):
            return role
    return None


def _needs_entries(step: Step, process: Process) -> bool:
    starts = [s for s in (step.deadline.start if step.deadline else None,
                          process.deadline.start if process.deadline else None) if s]  # fmt: skip
    return any(process.find_step(s) is not None for s in starts)


def _entries(history: list[HistoryEntry], process: Process) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for entry in history:
        if (
            entry.to_step
            and entry.at
            and process.find_step(entry.to_step)
            and entry.action in ENTRY_ACTIONS
        ):
            out[entry.to_step] = entry.at
    return out


def copy_case(case: Case) -> Case:
    return dataclasses.replace(case, fields=dict(case.fields))


def _describe_sets(before: Case, after: Case) -> str:
    parts = []
    for fid, fdef in after.process.fields.items():
        old, new = before.fields.get(fid), after.fields.get(fid)
        if not _same(old, new):
            parts.append(f"{fdef.label}: {_plain(old)} → {_plain(new)}")
    for key in ("title", "assignee", "ref", "source"):
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            parts.append(f"{CORE_LABELS[key]}: {_plain(old)} → {_plain(new)}")
    return "；".join(parts)


def display(value: Any, empty: str = "") -> str:
    """A value as people read it: dates ISO, times to the minute, 5.0 as 5."""
    if value is None or value == "":
        return empty
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plain(value: Any) -> str:
    return display(value, "（空）")


def _field_list(process: Process) -> str:
    return ", ".join(f"{f.id} ({f.label})" for f in process.fields.values()) or "none"


def _pattern_regex(pattern: str, year: int) -> re.Pattern[str]:
    """A regex matching ids/numbers made from ``pattern`` in ``year``; group ``seq``."""
    out = []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        out.append(re.escape(literal))
        if name == "year":
            out.append(str(year) if not spec else re.escape(format(year, spec)))
        elif name == "seq":
            out.append(r"(?P<seq>\d+)")
    return re.compile("^" + "".join(out) + "$")
