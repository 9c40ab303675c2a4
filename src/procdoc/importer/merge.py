"""Merging OA exports into the ledger by key (SPEC §6).

A known key updates the mapped fields only; an unknown key opens a case, unless its
`match:` fields find the same matter already in the ledger (then it is that case); a row
missing from the export changes nothing; columns the export does not map and the office's
own columns are never touched. A status the OA system moved forward moves the case to the
mapped step; one that would move it backwards, or that `status_steps` does not know,
changes no step and is reported with its row. Every changed value is recorded in 流转记录
with its old and new value, so importing the same file twice changes nothing the second
time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from procdoc.clock import to_zone
from procdoc.config import DEFAULT_TIMEZONE, Source
from procdoc.engine import forward_steps
from procdoc.errors import ImportFileError, LedgerError
from procdoc.i18n import _, aside, name_list, ngettext
from procdoc.importer.convert import ConversionError, NoYear, to_datetime, to_number, to_text
from procdoc.importer.match import KeyIndex, MatchIndex, key_form, recorded_keys
from procdoc.importer.reader import CellValue, Grid
from procdoc.importer.table import Table, header_key, locate_table, match_score
from procdoc.layout import ACTIONS, HISTORY_COLUMNS, STATUS_WORDS
from procdoc.ledger.cells import check_value, col_letters, is_plain
from procdoc.model import iso
from procdoc.process.model import Process, Step
from procdoc.values import convert_field, display, first_few, same, shown, text

if TYPE_CHECKING:
    from procdoc.casebook import Casebook, Change, NumberRef
    from procdoc.engine import Engine
    from procdoc.model import Case

#: ``progress(what, done, total)``: called with a file as it is read (0, 0) and while it
#: is merged, then with "写入 <ledger>" (0, 0) while the merged changes are being written.
Progress = Callable[[str, int, int], None]

#: Core ledger columns an export may fill.
CORE_TARGETS = {"title", "opened", "assignee", "ref", "source"}


class SourceError(ImportFileError):
    """A source in procdoc.yaml that cannot import any file (not one file's fault)."""


@dataclass
class RowProblem:
    file: str
    row: int  # the spreadsheet's own row number, header included
    message: str

    def __str__(self) -> str:
        return _("{file}: row {row}: {message}").format(
            file=self.file, row=self.row, message=self.message
        )


@dataclass
class Record:
    row: int
    key: str
    fields: dict[str, Any]
    core: dict[str, Any]
    step: str | None = None  # the step id the export's status maps to
    status: str | None = None  # the status as exported ("" when empty); None: no status
    status_cell: str = ""  # where the status is, for messages: 当前节点 (F13)


@dataclass
class NewCase:
    """A case an export row opens: its id, the export's key, the title and its step."""

    id: str
    key: str
    title: str
    step: Step | None = None
    status: str | None = None  # the export's status (None: the export has none)


@dataclass
class Updated:
    """A case an export row changes: (label, old, new) of each value."""

    id: str
    key: str
    changes: list[tuple[str, Any, Any]]


@dataclass
class Moved:
    """A case an export row moves forward: the status the OA gives, the steps."""

    id: str
    key: str
    status: str
    from_step: Step
    to_step: Step


@dataclass
class Matched:
    """A row of one export found to be a case another export opened (by `match:`): the
    case keeps its ``ref``; ``key`` is recorded in its history."""

    id: str
    key: str
    ref: str | None
    on: list[tuple[str, Any]]  # (label, value) of each `match:` field


@dataclass
class FileResult:
    file: str
    source: str
    kind: str
    records: list[Record] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # rows left out
    skipped: list[tuple[int, str]] = field(default_factory=list)
    new: list[NewCase] = field(default_factory=list)
    changed: list[Updated] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    matched: list[Matched] = field(default_factory=list)
    reported: list[RowProblem] = field(default_factory=list)  # imported, step left as it was
    unchanged: int = 0
    read_problems: int = 0  # how many of ``problems`` reading found (the rest: merging)
    read_reported: int = 0  # how many of ``reported`` reading found (a column missing)
    letters: dict[str, str] = field(default_factory=dict)  # target -> its column (A, B, ...)

    def reset(self) -> None:
        """Forget what a merge found (the write may plan the merge again)."""
        del self.problems[self.read_problems :]
        del self.reported[self.read_reported :]  # (what reading said stays: QA)
        for found in (self.new, self.changed, self.moved, self.matched):
            found.clear()
        self.unchanged = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "source": self.source,
            "format": self.kind,
            "new": [n.id for n in self.new],
            "new_cases": [
                {"id": n.id, "key": n.key, "title": n.title, "step": n.step.id if n.step else None}
                for n in self.new
            ],
            "changed": [
                {
                    "id": u.id,
                    "changes": [
                        f"{label}: {shown(old)} → {shown(new)}" for label, old, new in u.changes
                    ],
                    "fields": [
                        {"field": label, "old": iso(old), "new": iso(new)}
                        for label, old, new in u.changes
                    ],
                }
                for u in self.changed
            ],
            "moved": [
                {
                    "id": m.id,
                    "key": m.key,
                    "status": m.status,
                    "from": m.from_step.id,
                    "to": m.to_step.id,
                }
                for m in self.moved
            ],
            "matched": [
                {"id": m.id, "key": m.key, "ref": m.ref, "on": {label: iso(v) for label, v in m.on}}
                for m in self.matched
            ],
            "unchanged": self.unchanged,
            "rejected": [{"row": p.row, "message": p.message} for p in self.problems],
            "reported": [{"row": p.row, "message": p.message} for p in self.reported],
        }


def choose_source(grid: Grid, sources: dict[str, Source], name: str | None, file: str) -> Source:
    """The named source, else the one whose columns best match the file's header: the
    most columns found, then (between as many) the fewest of its columns missing."""
    if name is not None:
        if name not in sources:
            known = name_list(sources) or _("none (add sources: to procdoc.yaml)")
            raise SourceError(
                _("unknown source '{name}'").format(name=name),
                hint=_("known: {known}").format(known=known),
            )
        return sources[name]
    if not sources:
        raise SourceError(
            _("procdoc.yaml has no sources: to map an export's columns"),
            hint=_("see README, 'Importing OA exports'"),
        )
    scored = []
    for s in sources.values():
        score = match_score(grid, list(s.columns))
        scored.append(((score, score - len({header_key(c) for c in s.columns})), s.name))
    scores = sorted(scored, reverse=True)
    best, best_name = scores[0]
    listed = name_list(_("{n} ({s} columns match)").format(n=n, s=s[0]) for s, n in scores)
    if best[0] < min(3, min(len(s.columns) for s in sources.values())):
        raise ImportFileError(
            _("{file}: no source matches its header").format(file=file),
            hint=_("candidates: {listed}; pass --source NAME").format(listed=listed),
        )
    if len(scores) > 1 and scores[1][0] == best:
        raise ImportFileError(
            _("{file}: sources {best_name} and {scores} match its header equally well").format(
                file=file, best_name=best_name, scores=scores[1][1]
            ),
            hint=_("candidates: {listed}; pass --source NAME").format(listed=listed),
        )
    return sources[best_name]


def check_source(source: Source, process: Process) -> None:
    """Refuse, in one line and before anything is read, a source that could only import
    wrongly: `status_steps` naming no step, `match:` naming no field of the process."""
    for status, step in source.status_steps.items():
        if process.find_step(step) is None:
            raise SourceError(
                _(
                    "source {name}: status_steps: '{status}' maps to unknown step '{step}' of {id}"
                ).format(name=source.name, status=status, step=step, id=process.id),
                hint=_("steps: {items}; procdoc validate lists every problem").format(
                    items=name_list(s.id for s in process.steps)
                ),
            )
    # A match field that is no field of the process, or that this source does not map, is
    # allowed (SPEC §6's own example matches 报销 on doc_no and from_org): no row can give
    # every match field then, so nothing matches (see `can_match`), and `validate` warns.


def can_match(source: Source, process: Process) -> bool:
    """Whether rows of ``source`` can be matched at all: every `match:` field is a field
    of the process (matching on fewer fields than the office named could join two
    different matters)."""
    return bool(source.match) and all(f in process.fields for f in source.match)


def read_records(
    grid: Grid,
    source: Source,
    process: Process,
    *,
    shown: str,
    zone: str = DEFAULT_TIMEZONE,
    today: date | None = None,
) -> tuple[FileResult, Table]:
    """The rows of ``grid`` converted by ``source``: ``values:`` first turns the export's
    words into the office's, numbers may carry a counting word (``2份``), a moment with a
    time zone is read in ``zone``, and a date without a year takes the year of the row's
    other dates (else of ``today``). A row that cannot be converted is a problem naming
    its file, row and cell, and is left out."""
    wanted = list(source.columns)
    if source.key not in wanted:  # the key is the case's ref without being under columns
        wanted.insert(0, source.key)
    if source.status_column and source.status_column not in wanted:
        wanted.append(source.status_column)
    title_columns = _title_columns(source)
    wanted += [c for c in title_columns if c not in wanted]
    table = locate_table(grid, wanted, key=source.key)
    result = FileResult(file=shown, source=source.name, kind=grid.kind, skipped=table.skipped)
    cols = {name: table.columns.get(header_key(name)) for name in wanted}
    key_col = table.column(source.key)  # the key need not be listed under columns:
    if key_col is None:
        raise ImportFileError(
            _(
                "{shown}: the key column '{key}' of source {name} is not in the header (row {header_row})"
            ).format(shown=shown, key=source.key, name=source.name, header_row=table.header_row)
        )
    words = {header: _words(mapping) for header, mapping in source.values.items()}
    header_of = {t: header for header, targets in source.columns.items() for t in targets}
    required = [
        f for f in process.fields.values() if f.required and f.id in header_of
    ]  # each row must give these
    status_col = cols.get(source.status_column) if source.status_column else None
    if source.status_column and status_col is None:
        result.reported.append(
            RowProblem(
                shown,
                table.header_row,
                _("no {status_column} column (the status): no case changes step").format(
                    status_column=source.status_column
                ),
            )
        )
    missing = [h for h in source.columns if h != source.key and cols.get(h) is None]
    if missing:  # (a renamed or blanked header: its values would be left out unsaid, QA)
        result.reported.append(
            RowProblem(
                shown,
                table.header_row,
                ngettext(
                    "no {columns} column, which sources: {name} maps: it is left empty in every case; rename the header back or fix columns: in procdoc.yaml",
                    "no {columns} columns, which sources: {name} maps: they are left empty in every case; rename the headers back or fix columns: in procdoc.yaml",
                    len(missing),
                ).format(columns=name_list(missing), name=source.name),
            )
        )
    result.letters = {
        target: col_letters(col)
        for target, header in header_of.items()
        if (col := cols.get(header)) is not None
    }
    fallback_day = today or date.today()
    key_letters = col_letters(key_col)
    seen: dict[str, int] = {}
    for number, values in table.rows:
        cell = _cells(values)
        key_cell = aside(source.key, f"{key_letters}{number}")
        raw_key = cell(key_col)
        if type(raw_key) in (int, float) and abs(raw_key) >= 1e15:
            # a spreadsheet keeps 15 digits of a number: a long 审批编号 saved as one has
            # lost its last digits, and would match nothing (or the wrong case)
            result.problems.append(
                RowProblem(
                    shown,
                    number,
                    _(
                        "{key_cell}: {value:.0f} is a number too long to be exact (a spreadsheet keeps 15 digits): format the column as text in the export: row left out"
                    ).format(key_cell=key_cell, value=raw_key),
                )
            )
            continue
        try:
            key = to_text(raw_key)
        except ConversionError as err:
            result.problems.append(
                RowProblem(
                    shown,
                    number,
                    _("{key_cell}: {err}: row left out").format(key_cell=key_cell, err=err),
                )
            )
            continue
        if not key:
            result.problems.append(
                RowProblem(
                    shown,
                    number,
                    _("{key_cell} is empty (the key): row left out").format(key_cell=key_cell),
                )
            )
            continue
        form = key_form(key)  # (the same key, full-width or spaced: see KeyIndex)
        if form in seen:
            result.problems.append(
                RowProblem(
                    shown,
                    number,
                    _(
                        "duplicate {key} {key2} in {key_letters}{number} (also row {seen}): row left out"
                    ).format(
                        key=source.key,
                        key2=key,
                        key_letters=key_letters,
                        number=number,
                        seen=seen[form],
                    ),
                )
            )
            continue
        seen[form] = number
        record = Record(row=number, key=key, fields={}, core={"ref": key})
        errors: list[str] = []
        refused: set[str] = set()  # the targets whose cell was refused (said once)
        later: list[tuple[str, int, CellValue, str]] = []  # dates waiting for a year
        near: date | None = None
        for header, targets in source.columns.items():
            col = cols.get(header)
            if col is None:
                continue
            raw = cell(col)
            mapping = words.get(header)
            if mapping is not None:
                raw = _office_word(mapping, raw)
            for target in targets:
                try:
                    value = _put(record, process, target, raw, zone, None)
                    if not is_plain(value):  # one the ledger cannot hold is this row's problem
                        check_value(value, _at(header, col, number))
                except NoYear:
                    later.append((header, col, raw, target))
                    continue
                except (ValueError, ConversionError) as err:
                    errors.append(
                        _("{what}: {detail}").format(what=_at(header, col, number), detail=err)
                    )
                    refused.add(target)
                    continue
                except LedgerError as err:
                    errors.append(str(err))
                    refused.add(target)
                    continue
                if near is None and isinstance(value, date):
                    near = value.date() if isinstance(value, datetime) else value
        for header, col, raw, target in later:
            try:
                _put(record, process, target, raw, zone, near or fallback_day)
            except (ValueError, ConversionError) as err:
                errors.append(
                    _("{what}: {detail}").format(what=_at(header, col, number), detail=err)
                )
                refused.add(target)
        for fdef in required:
            if record.fields.get(fdef.id) is None and fdef.id not in refused:
                header = header_of[fdef.id]
                col = cols.get(header)
                where = _at(header, col, number) if col is not None else header
                errors.append(
                    _("{where} is empty, but {label} is required").format(
                        where=where, label=fdef.label
                    )
                )
        if errors:
            result.problems.append(
                RowProblem(shown, number, _("; ").join(errors) + _(": row left out"))
            )
            continue
        if source.title:
            parts = {name: to_text(cell(cols.get(name))) or "" for name in title_columns}
            record.core["title"] = source.title.format_map(parts).strip() or None
        if status_col is not None:
            status = to_text(cell(status_col)) or ""
            record.status = status
            record.status_cell = _at(source.status_column or "", status_col, number)
            record.step = source.status_steps.get(status)
        result.records.append(record)
    result.read_problems = len(result.problems)
    result.read_reported = len(result.reported)
    return result, table


def _put(
    record: Record, process: Process, target: str, raw: CellValue, zone: str, near: date | None
) -> Any:
    """Convert ``raw`` for ``target`` (a field or a core column) into ``record``."""
    fdef = process.fields.get(target)
    if fdef is not None:
        kind = fdef.type
        if kind == "number" and isinstance(raw, str):
            raw = to_number(raw, units=True)
        elif kind in ("date", "datetime") and raw is not None and not isinstance(raw, date):
            raw = to_datetime(raw, zone=zone, near=near)
        elif kind in ("date", "datetime") and isinstance(raw, datetime) and raw.tzinfo:
            raw = to_zone(raw, zone)
        value = record.fields[target] = convert_field(fdef, raw)
        return value
    if target == "opened":
        moment = to_datetime(raw, zone=zone, near=near)
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            moment = to_zone(moment, zone)
        value = record.core["opened"] = (
            datetime(moment.year, moment.month, moment.day)
            if isinstance(moment, date) and not isinstance(moment, datetime)
            else moment
        )
        return value
    if target in CORE_TARGETS and target != "ref":
        value = record.core[target] = to_text(raw)
        return value
    return None


def _named(record: Record, step: Step) -> str:
    """`` (step name)`` after a status that is not the step's own name."""
    return "" if record.status == step.name else f" ({step.name})"


def _word_key(value: CellValue) -> str:
    """An export's word as `values:` looks it up: NFKC, no spaces; an empty cell is ""."""
    try:
        text = to_text(value)
    except ConversionError:
        return "\0"  # a value no word maps (NaN)
    return "".join(unicodedata.normalize("NFKC", text).split()) if text else ""


def _words(mapping: dict[str, str]) -> dict[str, str | None]:
    return {_word_key(word): office or None for word, office in mapping.items()}


def _office_word(mapping: dict[str, str | None], raw: CellValue) -> CellValue:
    key = _word_key(raw)
    return mapping.get(key, raw)


def _cells(values: list[Any]) -> Callable[[int | None], Any]:
    def cell(col: int | None) -> Any:
        return values[col] if col is not None and col < len(values) else None

    return cell


UNACCOUNTED_SAID = 5
"""How many values replaced that no row of 流转记录 accounts for an import says one by one
(the rest are counted on one line)."""

_UNKNOWN = object()
"""What an import gave a value when 流转记录 does not say (see :meth:`Merge.kept`)."""

_GIVEN_BY = {ACTIONS["update"]: "import", ACTIONS["set"]: "person", ACTIONS["assign"]: "person"}


def _imported_values(book: Casebook, change: Change) -> dict[tuple[str, str], Any]:
    """(case id, item) -> the value the last import gave it, for every item 流转记录 (and
    what this change recorded so far) can tell: the new value of its last 导入更新 row;
    else, for a case an import opened, the value the first 修改 or 转办 of it replaced.
    Read column by column in one pass (an import of 10,000 rows asks for thousands)."""
    h = HISTORY_COLUMNS
    rows: list[tuple[Any, ...]] = []
    sheet = book.history_sheet()
    if sheet is not None:
        cols = [sheet.column(h[key]) for key in ("case", "action", "subject", "old", "new")]
        if cols[0] is not None and cols[1] is not None:
            ids = sheet.column_values(cols[0])
            rows.extend(
                zip(
                    *(sheet.column_values(c) if c is not None else [None] * len(ids) for c in cols),
                    strict=True,
                )
            )
    rows.extend(
        (r[h["case"]], r[h["action"]], r[h["subject"]], r[h["old"]], r[h["new"]])
        for r in change.history
    )
    given: dict[tuple[str, str], Any] = {}
    opened: dict[str, bool] = {}  # case id -> whether an import opened it (its first row)
    for raw_id, action, subject, old, new in rows:
        cid = raw_id if type(raw_id) is str else text(raw_id)
        if not cid:
            continue
        first = opened.setdefault(cid, action == ACTIONS["import"])
        by = _GIVEN_BY.get(action)
        if by is None or subject is None:
            continue
        key = (cid, subject if type(subject) is str else str(subject))
        if by == "import":
            given[key] = new
        elif first and key not in given:
            given[key] = old
    return given


def _alike(a: Any, b: Any) -> bool:
    """Whether two values are the same value, one of them perhaps as 流转记录 keeps it
    (text)."""
    return same(a, b) or display(a) == display(b)


def _title_columns(source: Source) -> list[str]:
    """The export headers a source's ``title`` pattern uses."""
    import string

    if not source.title:
        return []
    try:
        return [
            name
            for _literal, name, _spec, _conversion in string.Formatter().parse(source.title)
            if name
        ]
    except ValueError as err:
        raise SourceError(
            _("source {name}: title pattern '{title}' is not valid: {err}").format(
                name=source.name, title=source.title, err=err
            )
        ) from err


UNLISTED_CELLS = 5
"""How many more cells a warning of a 承办人 that `people:` does not list names."""


class Merge:
    """One file's ``result.records`` merged into the ledger through ``change``:
    ``Merge(engine, book, change, process, source, result, at=..., by=...).run()``."""

    def __init__(
        self,
        engine: Engine,
        book: Casebook,
        change: Change,
        process: Process,
        source: Source,
        result: FileResult,
        *,
        at: datetime,
        by: str,
        gave: dict[tuple[str, str], Any] | None = None,
    ) -> None:
        """``gave``: (case id, label) -> what an import gave the case it opened, shared by
        the files of one import (see :meth:`kept`)."""
        self.engine, self.book, self.change = engine, book, change
        self.gave = gave if gave is not None else {}
        self.process, self.source, self.result = process, source, result
        self.at, self.by = at, by
        self.by_ref = KeyIndex(book.refs(process))
        self.recorded = KeyIndex(recorded_keys(book, change) if source.match else {})
        self.index = MatchIndex(book, process, source.match) if can_match(source, process) else None
        self.claimed: dict[str, int] = {}  # case id -> the row of this file that has it
        self.labels = engine.config.labels
        targets = source.targets()
        self.mapped_fields = [t for t in targets if t in process.fields]
        self.mapped_core = [t for t in targets if t in CORE_TARGETS - {"ref", "opened"}]
        self._ahead: dict[str, frozenset[str]] = {}
        self.unlisted: dict[str, list[int]] = {}  # 承办人 nobody under people: -> its rows
        self._given: dict[tuple[str, str], Any] | None = None  # see _imported
        self._number_refs: list[NumberRef] | None = None  # see refuse_number_ref
        self.handed: set[str] = set()  # cases the rows gave a 承办人 (see check_holder)
        self.unaccounted: list[int] = []  # rows whose value no record accounted for (kept)

    def run(self, progress: Progress | None = None) -> None:
        result = self.result
        total = len(result.records)
        for done, record in enumerate(result.records, start=1):
            if progress and (done % 500 == 0 or done == total):
                progress(result.file, done, total)
            self.one(record)
        self.report_unlisted()
        self.report_unaccounted()

    def assignee(self, record: Record, name: str) -> None:
        """Note a 承办人 the row writes that nobody under `people:` is (with `people:` set):
        the OA is the source of truth, so it is written, and said once a name."""
        people = self.engine.people
        if people and name not in people:
            self.unlisted.setdefault(name, []).append(record.row)

    def check_holder(self, record: Record, case: Case) -> None:
        """Say so when the 承办人 the export gives a case does not hold the role of the step
        it is at (with `people:` set): the OA is the source of truth, so it is written, but
        that person cannot move the case, and it leaves the desks of those who can (QA)."""
        people, step, who = self.engine.people, case.step, case.assignee
        if not people or step is None or not step.role or step.kind == "countersign":
            return
        if case.status != "open" or not who or who not in people:
            return  # (a name nobody lists is said by report_unlisted)
        if step.role in people[who].roles:
            return
        may = self.engine.holders(step.role)
        self.report(
            record,
            _(
                "{id}: 承办人 {name} from the export does not hold the role {role} of step {step}: written as the OA gives it, but only {who} may move it there"
            ).format(
                id=case.id,
                name=who,
                role=step.role,
                step=step.name,
                who=name_list(may) if may else _("nobody"),
            ),
        )

    def report_unlisted(self) -> None:
        """One warning for each 承办人 written that `people:` does not list, at its first
        row, naming its cells."""
        header = next((h for h, ts in self.source.columns.items() if "assignee" in ts), "")
        letter = self.result.letters.get("assignee", "")
        for name, rows in self.unlisted.items():
            more = [f"{letter}{r}" for r in rows[1:]]  # (a daily export: one name, many rows)
            also = (
                _(" (also {cells})").format(cells=first_few(more, UNLISTED_CELLS)) if more else ""
            )
            self.result.reported.append(
                RowProblem(
                    self.result.file,
                    rows[0],
                    _(
                        "{cell} '{name}' is not listed under people: in procdoc.yaml{also}: imported as the OA gives it; add them under people: or correct the name in the OA"
                    ).format(
                        cell=aside(header, f"{letter}{rows[0]}"),
                        name=name,
                        also=also,
                    ),
                )
            )

    def report_unaccounted(self) -> None:
        """The values replaced that no row of 流转记录 accounted for beyond the first
        :data:`UNACCOUNTED_SAID` (each said with its row): counted on one line, at the
        first of their rows (the first import into a register kept by hand replaces
        hundreds of typed values, each kept in 流转记录 as 原值)."""
        rest = self.unaccounted[UNACCOUNTED_SAID:]
        if rest:
            self.result.reported.append(
                RowProblem(
                    self.result.file,
                    rest[0],
                    ngettext(
                        "{n} more value no row of 流转记录 accounts for replaced by the export's (rows {rows}): each old value is kept in 流转记录 (原值)",
                        "{n} more values no row of 流转记录 accounts for replaced by the export's (rows {rows}): each old value is kept in 流转记录 (原值)",
                        len(rest),
                    ).format(
                        n=len(rest),
                        rows=first_few([str(r) for r in sorted(set(rest))], UNLISTED_CELLS),
                    ),
                )
            )

    def note(self, record: Record) -> str:
        return f"{self.result.file} 第{record.row}行"

    def label(self, fid: str) -> str:
        """A field's label as its register heads it (what 流转记录 records)."""
        return self.engine.field_label(self.process, fid)

    def report(self, record: Record, message: str) -> None:
        self.result.reported.append(RowProblem(self.result.file, record.row, message))

    # -- which case -------------------------------------------------------------------------
    def find(self, record: Record) -> tuple[str | None, bool]:
        """(the case the row is, whether `match:` found it)."""
        by_ref, recorded = self.by_ref.get(record.key), self.recorded.get(record.key)
        found = by_ref or recorded
        cancelled = self.index.cancelled_ids if self.index is not None else frozenset()
        if by_ref in cancelled and recorded is not None and recorded != by_ref:
            found = recorded  # the key's case was cancelled, and its matter settled there
        if found is not None and not self.book.has(found):
            found = None  # a recorded key whose case was deleted by hand
        if self.index is None:
            return found, False
        ids = self.index.find(record.fields.get(f) for f in self.source.match)
        if ids and all(i in cancelled for i in ids) and (found is not None or len(ids) > 1):
            # only cancelled cases match: the key's own case, in force or not, is the row's;
            # with no key known, the first of them (a matter cancelled twice over)
            return (found, False) if found is not None else (ids[0], True)
        if found is None:
            if len(ids) > 1:
                raise ImportFileError(
                    _(
                        "{file}: row {row}: {on} match {n_ids} cases, {ids}: nothing imported"
                    ).format(
                        file=self.result.file,
                        row=record.row,
                        on=self._on(record),
                        n_ids=len(ids),
                        ids=" and ".join(ids),
                    ),
                    hint=_(
                        "the ledger holds the same matter twice: cancel one (procdoc cancel) or correct its fields, then import again"
                    ),
                )
            return (ids[0], True) if ids else (None, False)
        if ids and found not in ids and len(ids) == 1 and found in cancelled:
            # the key's case was cancelled as the duplicate of the one `match:` finds: the
            # office settled the matter there
            return ids[0], True
        if ids and found not in ids:
            raise ImportFileError(
                _(
                    "{file}: row {row}: {key} {key2} is case {found}, but {on} match case {ids}: two cases for one matter, nothing imported"
                ).format(
                    file=self.result.file,
                    row=record.row,
                    key=self.source.key,
                    key2=record.key,
                    found=found,
                    on=self._on(record),
                    ids=name_list(ids),
                ),
                hint=_(
                    "cancel the duplicate case (procdoc cancel) or correct the fields that differ, then import again"
                ),
            )
        return found, False

    def _on(self, record: Record) -> str:
        """The row's `match:` values with their cells: 来文字号 某府办发〔2026〕45号 (I14)."""
        label, letters = self.label, self.result.letters
        return "、".join(
            f"{label(f)} {shown(record.fields.get(f))} ({letters.get(f, '?')}{record.row})"
            for f in self.source.match
        )

    # -- one row ----------------------------------------------------------------------------
    def one(self, record: Record) -> None:
        found, matched = self.find(record)
        if found is not None and found in self.claimed:
            self.result.problems.append(
                RowProblem(
                    self.result.file,
                    record.row,
                    _("the same matter as row {claimed} ({on}, case {found}): row left out").format(
                        claimed=self.claimed[found], on=self._on(record), found=found
                    ),
                )
            )
            return
        if found is None:
            self.refuse_number_ref(record)
            self.open(record)
            return
        case = self.book.case(found)
        self.claimed[case.id] = record.row
        reported = len(self.result.reported)
        if matched:
            self.match(case, record)
        changes = self.update(case, record)
        moved = self.move(case, record)
        if case.id in self.handed or moved:
            self.check_holder(record, self.book.case(case.id))
        if not (matched or changes or moved or len(self.result.reported) > reported):
            self.result.unchanged += 1

    def refuse_number_ref(self, record: Record) -> None:
        """Refuse the import when a case's reference cell holds a number the row's key
        could have become (Excel's "convert to number" on the column): opening a case for
        the row would hold the matter twice."""
        if self._number_refs is None:
            self._number_refs = self.book.number_refs(self.process)
        hit = next((n for n in self._number_refs if n.could_be(record.key)), None)
        if hit is None:
            return
        what = (
            _("Excel turned the column into numbers, dropping leading zeros")
            if hit.zeros_dropped(record.key)
            else _("Excel turned the column into numbers, keeping 15 digits")
        )
        raise ImportFileError(
            _(
                "{file}: row {row}: {key} {value} is no case's {label}, but {case}'s {label} ({cell}) is the number {number}: {what}; nothing imported"
            ).format(
                file=self.result.file,
                row=record.row,
                key=self.source.key,
                value=record.key,
                label=hit.label,
                case=hit.case,
                cell=hit.cell,
                number=hit.shown(),
                what=what,
            ),
            hint=_(
                "type each {label} back as text as the OA gives it (procdoc set {case} --set ref={value} when this row is that case), then import again"
            ).format(label=hit.label, case=hit.case, value=record.key),
        )

    def open(self, record: Record) -> None:
        process = self.process
        step = process.find_step(record.step) if record.step else None
        new = self.engine.new(
            self.book,
            self.change,
            process,
            title=record.core.get("title") or record.key,
            by=self.by,
            at=self.opened(record),
            source=self.source.name,
            ref=record.key,
            values=record.fields,
            step=step,
            note=self.note(record),
            action="import",
        )
        if record.core.get("assignee"):
            new.assignee = record.core["assignee"]
            self.change.add_case(new)
            self.assignee(record, new.assignee)
            self.check_holder(record, new)
        self.by_ref[record.key] = new.id
        self.claimed[new.id] = record.row
        # what this import gave the case it opened: a later file of the same import (the
        # next day's export in one --folder) that says otherwise is the OA's change, not
        # a value no one accounts for (QA)
        for fid in self.mapped_fields:
            self.gave[new.id, self.label(fid)] = new.fields.get(fid)
        for key in self.mapped_core:
            self.gave[new.id, self.labels[key]] = getattr(new, key, None)
        if self.index is not None:
            self.index.add(new.id, (record.fields.get(f) for f in self.source.match))
        if record.status is not None and step is None:
            self.report(
                record,
                _("{unknown}: {id} opened at the first step {name}").format(
                    unknown=self._unknown(record), id=new.id, name=process.first_step.name
                ),
            )
        self.result.new.append(NewCase(new.id, record.key, new.title, new.step, record.status))

    def opened(self, record: Record) -> datetime:
        """When an imported case was opened: the mapped `opened`, else the date its first
        step's deadline counts from (`from: FIELD`), else the moment of import."""
        opened = record.core.get("opened")
        if isinstance(opened, datetime):
            return opened
        rule = self.process.first_step.deadline
        for start in rule.starts if rule else ():
            value = record.fields.get(start)
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day)
        return self.at

    def match(self, case: Case, record: Record) -> None:
        """Record that the row's key is this case's in the other export."""
        note = f"{self.note(record)}：{self.source.name} 的同一事项（{self._on(record)}）"
        self.record_update(case, note, self.labels["ref"], None, record.key)
        self.recorded[record.key] = case.id
        on = [(self.label(f), record.fields.get(f)) for f in self.source.match]
        self.result.matched.append(Matched(case.id, record.key, case.ref, on))

    def record_update(self, case: Case, note: str, subject: str, old: Any, new: Any) -> None:
        """One 导入更新 row in 流转记录: what changed (or was paired) from what to what."""
        if self._given is not None:
            self._given[case.id, subject] = new
        self.change.record(
            case.id, self.at, "update", from_step=case.step, to_step=case.step, by=self.by,
            note=note, subject=subject, old=old, new=new,
        )  # fmt: skip

    def update(self, case: Case, record: Record) -> list[tuple[str, Any, Any]]:
        before = case.copy()
        changes: list[tuple[str, Any, Any]] = []
        for fid in self.mapped_fields:
            if fid in record.fields and not same(case.fields.get(fid), record.fields[fid]):
                label, ours, theirs = self.label(fid), case.fields.get(fid), record.fields[fid]
                if self.kept(case, record, label, ours, theirs):
                    continue
                changes.append((label, ours, theirs))
                case.fields[fid] = theirs
        for key in self.mapped_core:
            value = record.core.get(key)
            if value is not None and not same(getattr(case, key), value):
                label, ours = self.labels[key], getattr(case, key)
                if self.kept(case, record, label, ours, value, say=key != "assignee"):
                    continue
                changes.append((label, ours, value))
                setattr(case, key, value)
                if key == "assignee":
                    self.assignee(record, value)
                    self.handed.add(case.id)
        if not changes:
            return changes
        case.updated = self.at
        self.change.update_case(before, case)
        for label, old, new_value in changes:
            self.record_update(case, self.note(record), label, old, new_value)
        self.result.changed.append(Updated(case.id, record.key, changes))
        return changes

    def kept(
        self, case: Case, record: Record, label: str, ours: Any, theirs: Any, *, say: bool = True
    ) -> bool:
        """Whether the ledger's value of ``label`` stays, though the export says otherwise:
        it was changed in the ledger since the last import gave it (by `set`, `assign` or by
        hand in Excel) and the export still says what that import gave (the OA has not
        changed it): the office's correction stands, and is said. When the OA changed it
        too, the export's value is taken, and the value it replaces is said. A value no
        import is known to have given (no row in 流转记录 says) is the export's to set, and
        ``say`` says so (not for 承办人, which the OA hands on every day)."""
        given = self._imported(case, label)
        if given is _UNKNOWN:
            if say and ours is not None and ours != "":  # replaced, and said (QA: silently)
                self.unaccounted.append(record.row)
            if (
                say
                and ours is not None
                and ours != ""
                and len(self.unaccounted) <= UNACCOUNTED_SAID
            ):
                self.report(
                    record,
                    _(
                        "{id} {label}: the export's '{theirs}' replaces '{ours}', which no row of 流转记录 accounts for (typed in the ledger, or the OA changed it since the import that opened the case); the old value is kept in 流转记录 (原值), and a correction made with procdoc set stands against the export"
                    ).format(id=case.id, label=label, theirs=shown(theirs), ours=shown(ours)),
                )
            return False
        if _alike(ours, given):
            return False
        if _alike(theirs, given):
            self.report(
                record,
                _(
                    "{id} {label}: kept '{ours}', changed in the ledger since the import that gave '{given}' (the export still says so); correct it in the OA, or change it back in the ledger"
                ).format(id=case.id, label=label, ours=shown(ours), given=shown(given)),
            )
            return True
        self.report(
            record,
            _(
                "{id} {label}: the export's '{theirs}' replaces '{ours}', which was changed since the import that gave '{given}'"
            ).format(
                id=case.id, label=label, theirs=shown(theirs), ours=shown(ours), given=shown(given)
            ),
        )
        return False

    def _imported(self, case: Case, label: str) -> Any:
        """The value of ``label`` the last import gave the case, as 流转记录 tells it: the
        new value of its last 导入更新 row; else, for a case an import opened, the value
        the first change by a person (修改, 转办) replaced; else unknown."""
        if self._given is None:
            self._given = _imported_values(self.book, self.change)
        return self._given.get((case.id, label), self.gave.get((case.id, label), _UNKNOWN))

    def move(self, case: Case, record: Record) -> bool:
        """Move the case to the step its status maps to, when that lies ahead; report a
        status that does not map, or would move it back or out of a closed case."""
        if record.status is None:
            return False
        current = case.step
        stays = _("{id} stays at {value}").format(
            id=case.id, value=current.name if current else case.step_text
        )
        if record.step is None:
            self.report(
                record, _("{what}: {detail}").format(what=self._unknown(record), detail=stays)
            )
            return False
        target = self.process.step(record.step)
        if current is None:
            self.report(
                record,
                _(
                    "{status_cell} '{status}'{named}: {id} is at a step {id2} does not have ('{step_text}'); fix its cell first"
                ).format(
                    status_cell=record.status_cell,
                    status=record.status,
                    named=_named(record, target),
                    id=case.id,
                    id2=self.process.id,
                    step_text=case.step_text,
                ),
            )
            return False
        if target.id == current.id:
            return False
        ahead = self._ahead.get(current.id)
        if ahead is None:
            ahead = self._ahead[current.id] = forward_steps(self.process, current)
        if case.status != "open":  # closed or cancelled: no status moves it, either way
            message = (
                _(
                    "{status_cell} '{status}'{named} would move it on, but {id} is {status_words}: {stays}"
                )
                if target.id in ahead
                else _(
                    "{status_cell} '{status}'{named} would move it back from {name}, and {id} is {status_words}: {stays}"
                )
            )
            self.report(
                record,
                message.format(
                    status_cell=record.status_cell,
                    status=record.status,
                    named=_named(record, target),
                    name=current.name,
                    id=case.id,
                    status_words=STATUS_WORDS[case.status],
                    stays=stays,
                ),
            )
            return False
        if target.id not in ahead:
            self.report(
                record,
                _("{status_cell} '{status}'{named} is not ahead of {name}: {stays}").format(
                    status_cell=record.status_cell,
                    status=record.status,
                    named=_named(record, target),
                    name=current.name,
                    stays=stays,
                ),
            )
            return False
        entered = case.entered
        self.engine.import_move(
            self.book,
            self.change,
            case.id,
            to=target,
            at=self.at,
            by=self.by,
            note=self.note(record),
        )
        if entered is not None and entered > self.at:  # history stays in time order
            self.report(
                record,
                _(
                    "{id} moved to {name} at {entered}, when it entered {name2}: the import's moment {at} is earlier (check --at)"
                ).format(
                    id=case.id,
                    name=target.name,
                    entered=display(entered),
                    name2=current.name,
                    at=display(self.at),
                ),
            )
        self.result.moved.append(Moved(case.id, record.key, record.status, current, target))
        return True

    def _unknown(self, record: Record) -> str:
        """Why a row's status gives no step."""
        if not record.status:
            return _("{status_cell} is empty (no status)").format(status_cell=record.status_cell)
        return _("{status_cell} '{status}' is not under status_steps of source {name}").format(
            status_cell=record.status_cell, status=record.status, name=self.source.name
        )


def _at(header: str, col: int, number: int) -> str:
    """An export's column and cell in a message: ``发起时间 (E25)``, ``发起时间（E25）``."""
    return aside(header, f"{col_letters(col)}{number}")
