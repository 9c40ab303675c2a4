"""Merging OA exports into the ledger by key (SPEC §6).

A known key updates the mapped fields only; an unknown key opens a case; a row missing
from the export changes nothing; columns the export does not map and the office's own
columns are never touched. Every changed value is recorded in 流转记录 with its old and
new value, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from procdoc.config import Source
from procdoc.errors import ImportFileError, LedgerError
from procdoc.importer.convert import ConversionError, to_datetime, to_text
from procdoc.importer.reader import Grid
from procdoc.importer.table import Table, header_key, locate_table, match_score
from procdoc.ledger.cells import check_value, col_letters, is_plain
from procdoc.model import iso
from procdoc.process.model import Process
from procdoc.values import convert_field, same, shown

if TYPE_CHECKING:
    from procdoc.casebook import Casebook, Change
    from procdoc.engine import Engine

#: ``progress(what, done, total)``: called with a file as it is read (0, 0) and while it
#: is merged, then with "写入 <ledger>" (0, 0) while the merged changes are being written.
Progress = Callable[[str, int, int], None]

#: Core ledger columns an export may fill.
CORE_TARGETS = {"title", "opened", "assignee", "ref", "source"}


@dataclass
class RowProblem:
    file: str
    row: int  # the spreadsheet's own row number, header included
    message: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}: {self.message}"


@dataclass
class Record:
    row: int
    key: str
    fields: dict[str, Any]
    core: dict[str, Any]
    step: str | None = None


@dataclass
class FileResult:
    file: str
    source: str
    kind: str
    records: list[Record] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    new: list[NewCase] = field(default_factory=list)
    changed: list[Updated] = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "source": self.source,
            "format": self.kind,
            "new": [n.id for n in self.new],
            "new_cases": [{"id": n.id, "key": n.key, "title": n.title} for n in self.new],
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
            "unchanged": self.unchanged,
            "rejected": [{"row": p.row, "message": p.message} for p in self.problems],
        }


@dataclass
class NewCase:
    """A case an export row opens: its id, the export's key and the title."""

    id: str
    key: str
    title: str


@dataclass
class Updated:
    """A case an export row changes: (label, old, new) of each value."""

    id: str
    key: str
    changes: list[tuple[str, Any, Any]]


def choose_source(grid: Grid, sources: dict[str, Source], name: str | None, file: str) -> Source:
    if name is not None:
        if name not in sources:
            known = ", ".join(sources) or "none (add sources: to procdoc.yaml)"
            raise ImportFileError(f"unknown source '{name}'", hint=f"known: {known}")
        return sources[name]
    if not sources:
        raise ImportFileError(
            "procdoc.yaml has no sources: to map an export's columns",
            hint="see README, 'Importing OA exports'",
        )
    scores = sorted(
        ((match_score(grid, list(s.columns)), s.name) for s in sources.values()), reverse=True
    )
    best, best_name = scores[0]
    listed = ", ".join(f"{n} ({s} columns match)" for s, n in scores)
    if best < min(3, min(len(s.columns) for s in sources.values())):
        raise ImportFileError(
            f"{file}: no source matches its header",
            hint=f"candidates: {listed}; pass --source NAME",
        )
    if len(scores) > 1 and scores[1][0] == best:
        raise ImportFileError(
            f"{file}: sources {best_name} and {scores[1][1]} match its header equally well",
            hint=f"candidates: {listed}; pass --source NAME",
        )
    return sources[best_name]


def read_records(
    grid: Grid, source: Source, process: Process, *, shown: str
) -> tuple[FileResult, Table]:
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
    key_col = cols.get(source.key)
    if key_col is None:
        raise ImportFileError(
            f"{shown}: the key column '{source.key}' of source {source.name} is not in the header (row {table.header_row})"
        )
    seen: dict[str, int] = {}
    for number, values in table.rows:
        cell = _cells(values)

        try:
            key = to_text(cell(key_col))
        except ConversionError as err:
            result.problems.append(RowProblem(shown, number, f"{source.key}: {err}"))
            continue
        if not key:
            result.problems.append(
                RowProblem(shown, number, f"no {source.key} (the key): row left out")
            )
            continue
        if key in seen:
            result.problems.append(
                RowProblem(
                    shown,
                    number,
                    f"duplicate {source.key} {key} (also row {seen[key]}): row left out",
                )
            )
            continue
        seen[key] = number
        record = Record(row=number, key=key, fields={}, core={"ref": key})
        errors = []
        for header, targets in source.columns.items():
            col = cols.get(header)
            if col is None:
                continue
            raw = cell(col)
            for target in targets:
                value: Any = None
                try:
                    if target in process.fields:
                        value = record.fields[target] = convert_field(process.fields[target], raw)
                    elif target == "opened":
                        moment = to_datetime(raw)
                        value = record.core["opened"] = (
                            datetime(moment.year, moment.month, moment.day)
                            if isinstance(moment, date) and not isinstance(moment, datetime)
                            else moment
                        )
                    elif target in CORE_TARGETS and target != "ref":
                        value = record.core[target] = to_text(raw)
                    if not is_plain(value):  # one the ledger cannot hold is this row's problem
                        check_value(value, f"{header} ({col_letters(col)}{number})")
                except (ValueError, ConversionError) as err:
                    errors.append(f"{header} ({col_letters(col)}{number}): {err}")
                except LedgerError as err:
                    errors.append(str(err))
        missing = [
            f"{f.label}"
            for f in process.fields.values()
            if f.required and record.fields.get(f.id) is None and f.id in source.targets()
        ]
        errors += [f"{label} is required but empty" for label in missing]
        if errors:
            result.problems.append(RowProblem(shown, number, "; ".join(errors) + ": row left out"))
            continue
        if source.title:
            parts = {name: to_text(cell(cols.get(name))) or "" for name in title_columns}
            record.core["title"] = source.title.format_map(parts).strip() or None
        if source.status_column:
            status = to_text(cell(cols.get(source.status_column)))
            record.step = source.status_steps.get(status or "")
        result.records.append(record)
    return result, table


def _cells(values: list[Any]) -> Callable[[int | None], Any]:
    def cell(col: int | None) -> Any:
        return values[col] if col is not None and col < len(values) else None

    return cell


def _title_columns(source: Source) -> list[str]:
    """The export headers a source's ``title`` pattern uses."""
    import string

    if not source.title:
        return []
    try:
        return [name for _, name, _, _ in string.Formatter().parse(source.title) if name]
    except ValueError as err:
        raise ImportFileError(
            f"source {source.name}: title pattern '{source.title}' is not valid: {err}"
        ) from err


def merge(
    engine: Engine,
    book: Casebook,
    change: Change,
    process: Process,
    source: Source,
    result: FileResult,
    *,
    at: datetime,
    by: str,
    progress: Progress | None = None,
) -> None:
    """Apply ``result.records`` to the ledger through ``change``."""
    by_ref = book.refs(process)
    targets = source.targets()
    mapped_fields = [t for t in targets if t in process.fields]
    mapped_core = [t for t in targets if t in CORE_TARGETS - {"ref", "opened"}]
    labels = engine.config.labels
    total = len(result.records)
    for done, record in enumerate(result.records, start=1):
        if progress and (done % 500 == 0 or done == total):
            progress(result.file, done, total)
        found_id = by_ref.get(record.key)
        if found_id is None:
            opened = record.core.get("opened") or at
            step = process.find_step(record.step) if record.step else None
            new = engine.new(
                book,
                change,
                process,
                title=record.core.get("title") or record.key,
                by=by,
                at=opened,
                source=source.name,
                ref=record.key,
                values=record.fields,
                step=step,
                note=f"{result.file} 第{record.row}行",
                action="import",
            )
            if record.core.get("assignee"):
                new.assignee = record.core["assignee"]
                change.add_case(new)
            by_ref[record.key] = new.id
            result.new.append(NewCase(new.id, record.key, new.title))
            continue
        case = book.case(found_id)
        before = case.copy()
        changes: list[tuple[str, Any, Any]] = []
        for fid in mapped_fields:
            if fid in record.fields and not same(case.fields.get(fid), record.fields[fid]):
                changes.append(
                    (process.fields[fid].label, case.fields.get(fid), record.fields[fid])
                )
                case.fields[fid] = record.fields[fid]
        for key in mapped_core:
            value = record.core.get(key)
            if value is not None and not same(getattr(case, key), value):
                changes.append((labels[key], getattr(case, key), value))
                setattr(case, key, value)
        if not changes:
            result.unchanged += 1
            continue
        case.updated = at
        change.update_case(before, case)
        for label, old, new_value in changes:
            change.record(
                case.id,
                at,
                "update",
                from_step=case.step,
                to_step=case.step,
                by=by,
                note=f"{result.file} 第{record.row}行",
                subject=label,
                old=old,
                new=new_value,
            )
        result.changed.append(Updated(case.id, record.key, changes))
