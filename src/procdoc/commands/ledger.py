"""The ledger itself (SPEC §3): `check` its data cell by cell, `adopt` a hand-kept
register, `registers split` a shared 台账, `undo` procdoc's last write."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from procdoc.errors import ProcdocWarning
from procdoc.workspace import Workspace


@dataclass
class Finding:
    """One problem `check` found: where (``sheet!cell``, or a file position) and what."""

    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    cases: int = 0
    registers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.findings,
            "cases": self.cases,
            "registers": self.registers,
            "problems": [f.as_dict() for f in self.findings],
        }


def check(ws: Workspace) -> CheckReport:
    """Read every register and report, each with its cell: duplicate ids, rows that are no
    case, unknown processes or steps, cells that cannot be read as their column's type
    (choices outside their list included), open cases missing a required field, process
    files with errors (their cases cannot be checked)."""
    report = CheckReport(registers=ws.layout.sheets())
    with warnings.catch_warnings():  # the findings say it all, once each
        warnings.simplefilter("ignore", ProcdocWarning)
        book = ws.casebook()
        cases = list(book.cases())
    name = ws.config.ledger.name
    report.cases = len(cases)
    for problem in ws.broken_files():
        report.findings.append(
            Finding(str(problem.pos), f"{problem.message}: this process's cases cannot be checked")
        )
    for cid, cells in book.duplicates.items():
        report.findings.append(
            Finding(cells[0], f"case id {cid} is held twice ({', '.join(cells)})")
        )
    for message in book.unreadable:
        where, _, what = message.partition(": ")
        report.findings.append(Finding(where.removeprefix(f"{name} "), what))
    for reg, row in book.stray:
        report.findings.append(
            Finding(
                f"{reg.sheet}!row {row}",
                f"a row with data but no {reg.core['id']}: not a case (procdoc adopt {reg.processes[0].id} takes such rows over)",
            )
        )
    for case in cases:
        for message in case.problems:
            where, _, what = message.removeprefix(f"{name} ").partition(": ")
            report.findings.append(Finding(where, what.removesuffix("; fix the cell")))
        if case.status != "open":
            continue
        for fdef in case.process.fields.values():
            if fdef.required and case.fields.get(fdef.id) in (None, ""):
                report.findings.append(
                    Finding(
                        book.cell_of(case, fdef.id),
                        f"open case {case.id} has no {fdef.label} (a required field)",
                    )
                )
    return report


@dataclass
class SplitResult:
    """What `registers split` wrote: rows per new register, the office's own columns
    carried along, and the procdoc.yaml it updated."""

    rows: dict[str, int] = field(default_factory=dict)  # sheet -> rows copied
    own_columns: dict[str, list[str]] = field(default_factory=dict)  # sheet -> labels
    config: str = ""


def split(ws: Workspace) -> SplitResult:
    """Copy each process's rows of the shared 台账 into a register of its own, in one
    write, and record the layout under `registers:` in procdoc.yaml (its comments kept).
    The old sheet stays as it was, no longer written (SPEC §3)."""
    from procdoc.errors import LedgerError, WorkspaceError
    from procdoc.layout import LEGACY_SHEET, Layout, label_key
    from procdoc.ledger import Batch

    if not ws.layout.legacy:
        raise WorkspaceError(
            "this ledger already keeps a register per process"
            if ws.config.registers or LEGACY_SHEET not in ws.ledger_sheets()
            else "nothing to split",
            hint="registers split moves a ledger made before registers (one 台账 sheet) to one register per process",
        )
    if LEGACY_SHEET not in ws.layout.registers:
        raise WorkspaceError(
            f"no process to split {LEGACY_SHEET} into",
            hint=f"add process files to {ws.rel(ws.config.processes)}/",
        )
    if ws.broken:
        first = ws.broken_files()[0]
        raise WorkspaceError(
            f"{first.pos}: {first.message}",
            hint="fix the process files first (procdoc validate): their cases must be placed too",
        )
    target = Layout(ws.processes, labels=ws.config.labels)
    existing = set(ws.ledger_sheets())
    taken = [name for name in target.sheets() if name in existing]
    if taken:
        raise LedgerError(
            f"{ws.config.ledger.name} already has sheet(s) {', '.join(taken)}",
            hint="rename or remove them (or list the registers under registers: yourself); nothing was written",
        )
    result = SplitResult()

    def plan(snapshot: Any) -> Batch:
        book = ws._casebook(snapshot)
        if book.duplicates:
            cid, cells = next(iter(book.duplicates.items()))
            raise LedgerError(
                f"case {cid} is held twice ({', '.join(cells)})",
                hint="remove or renumber one row first; nothing was written",
            )
        if book.unreadable:
            raise LedgerError(book.unreadable[0], hint="fix the cell first; nothing was written")
        legacy = ws.layout.registers[LEGACY_SHEET]
        sheet = snapshot.sheets[LEGACY_SHEET]
        owned = {label_key(label) for label in legacy.core.values()}
        for process in legacy.processes:
            owned |= {label_key(label) for _, label in legacy.field_columns(process)}
        batch = Batch()
        result.rows.clear()
        result.own_columns.clear()
        for place in book.places.values():
            owner = book.process_of(place)
            assert owner is not None  # unreadable rows were refused above
            reg = target.register_of(owner)
            mine = {label_key(legacy.core[k]): reg.core[k] for k in legacy.core}
            mine |= {
                label_key(label): reg.field_label(owner, fdef.id)
                for fdef, label in legacy.field_columns(owner)
            }
            changes = batch.sheet(reg.sheet)
            if not changes.header:
                changes.header = [c.label for c in reg.columns()]
            row: dict[str, Any] = {}
            for i, label in enumerate(sheet.header):
                value = place.row.values[i] if i < len(place.row.values) else None
                key = label_key(label)
                if not key or key == label_key(legacy.core["process"]):
                    continue
                if key in mine:
                    row[mine[key]] = value
                elif key not in owned and value is not None:
                    row[label] = value  # the office's own column comes along
                    own = result.own_columns.setdefault(reg.sheet, [])
                    if label not in own:
                        own.append(label)
            changes.append.append(row)
            result.rows[reg.sheet] = result.rows.get(reg.sheet, 0) + 1
        return batch

    ws.store.update(plan, read_sheets=[LEGACY_SHEET])
    result.config = _record_registers(
        ws, {p.id: target.register_of(p).sheet for p in ws.processes.values()}
    )
    return result


def _record_registers(ws: Workspace, sheets: dict[str, str]) -> str:
    """Write `registers:` into procdoc.yaml with ruamel.yaml, keeping the file's comments
    and layout (it is a file a person wrote)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from procdoc.config import CONFIG_NAME
    from procdoc.fileio import atomic_write

    path = ws.root / CONFIG_NAME
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
    registers = CommentedMap()
    for pid, sheet in sheets.items():
        entry = CommentedMap()
        entry["sheet"] = sheet
        entry.fa.set_flow_style()
        registers[pid] = entry
    data["registers"] = registers
    data.yaml_set_comment_before_after_key(
        "registers",
        before="Each process keeps its cases in a register of its own (procdoc registers split).",
    )
    buf = io.StringIO()
    yaml.dump(data, buf)
    atomic_write(path, buf.getvalue(), like=path)
    return ws.rel(path)
