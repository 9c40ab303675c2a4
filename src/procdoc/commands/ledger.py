"""The ledger itself (SPEC §3): `check` its data cell by cell, `adopt` a hand-kept
register, `registers split` a shared 台账, `undo` procdoc's last write."""

from __future__ import annotations

import codecs
import json
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from procdoc.config import CONFIG_NAME
from procdoc.errors import ProcdocError, ProcdocWarning, UnadoptedWarning, WorkspaceError
from procdoc.i18n import _, aside, name_list, ngettext
from procdoc.layout import HISTORY_SHEET
from procdoc.values import display, first_few
from procdoc.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Sequence

    from procdoc.importer.match import MatchPair
    from procdoc.ledger import Batch, Snapshot
    from procdoc.model import Case


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
    matches: list[MatchPair] = field(default_factory=list)  # not problems: for the record

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.findings,
            "cases": self.cases,
            "registers": self.registers,
            "problems": [f.as_dict() for f in self.findings],
            "matches": [
                {
                    "case": m.case,
                    "key": m.key,
                    "at": m.at.isoformat(timespec="minutes") if m.at else None,
                    "note": m.note,
                    "row": m.row,
                }
                for m in self.matches
            ],
        }


def check(ws: Workspace) -> CheckReport:
    """Read every register and report, each with its cell: duplicate ids, rows that are no
    case, unknown processes or steps, cells that cannot be read as their column's type
    (choices outside their list included), open cases missing a required field,
    duplicate, missing and malformed 发文字号 of each year, process files with errors
    (their cases cannot be checked)."""
    from procdoc.casebook import any_of, open_rows

    present = set(ws.ledger_sheets())  # registers of processes with no case yet do not exist
    report = CheckReport(registers=[s for s in ws.layout.sheets() if s in present])
    with warnings.catch_warnings():  # the findings say it all, once each
        warnings.simplefilter("ignore", ProcdocWarning)
        book = ws.casebook()
        # the cases with a finding: those whose cells say so, and the open ones (a
        # required field may be empty); the others are counted, not built
        cases = list(book.cases(any_of(book.suspect_rows, open_rows)))
    name = ws.config.ledger.name
    report.cases = book.readable_count()
    from procdoc.importer.match import match_pairs

    report.matches = match_pairs(book)
    for err in book.blocked.values():  # a register that cannot be read: a finding too
        said = err.message.removeprefix(f"{name} ")  # (where: the ledger, said once)
        report.findings.append(Finding(name, f"{said} ({err.hint})" if err.hint else said))

    for problem in ws.broken_files():
        report.findings.append(
            Finding(
                str(problem.pos),
                _("{message}: this process's cases cannot be checked").format(
                    message=problem.message
                ),
            )
        )
    for cid, cells in book.duplicates.items():
        report.findings.append(
            Finding(
                cells[0],
                _("case id {cid} is held twice ({cells})").format(cid=cid, cells=name_list(cells)),
            )
        )
    for message in book.unreadable:
        where, _unused, what = message.partition(": ")
        report.findings.append(Finding(where.removeprefix(f"{name} "), what))
    gone = book.gone_ids()
    # (a register held, or a process file with errors whose register procdoc cannot know:
    # its cases are said there, not as rows deleted by hand: QA)
    if gone and not book.blocked and not ws.broken_files():
        report.findings.append(
            Finding(
                HISTORY_SHEET,
                ngettext(
                    "{n} case recorded here that no register holds ({ids}): a register sheet renamed or deleted, or its row deleted by hand? put it back, or record why (procdoc cancel keeps a case's row)",
                    "{n} cases recorded here that no register holds ({ids}): a register sheet renamed or deleted, or their rows deleted by hand? put them back, or record why (procdoc cancel keeps a case's row)",
                    len(gone),
                ).format(n=len(gone), ids=first_few(gone, 5)),
            )
        )
    for ref in book.number_refs():
        if ref.lost_digits():
            report.findings.append(
                Finding(
                    ref.cell,
                    _(
                        "{label} of {id} is the number {number}, not text: Excel's convert to number keeps 15 digits, so the next import will not find the case by it; type it back as text as the OA gives it (procdoc set {id} --set ref=...)"
                    ).format(label=ref.label, id=ref.case, number=ref.shown()),
                )
            )
    for reg, row in book.stray:
        report.findings.append(
            Finding(
                _("{sheet}!row {row}").format(sheet=reg.sheet, row=row),
                _(
                    "a row with data but no {core}: not a case (procdoc adopt {id} takes such rows over)"
                ).format(core=reg.core["id"], id=reg.processes[0].id),
            )
        )
    from procdoc.reports.numbers import check_numbers

    numbers = check_numbers(book, ws.config.numbering)
    for _year, dup in numbers.duplicates:
        held = name_list(aside(c.cell, c.case) if c.case else c.cell for c in dup.cells)
        report.findings.append(
            Finding(
                dup.cells[0].cell,
                _("发文字号 {number} is given {n_cells} times: {held}").format(
                    number=dup.number, n_cells=len(dup.cells), held=held
                ),
            )
        )
    for year, gap in numbers.missing:
        where = gap.after.cell if gap.after else gap.before.cell if gap.before else ""
        report.findings.append(
            Finding(
                where,
                _("发文字号 {number} is missing from {sequence}'s {year} numbers").format(
                    number=gap.number, sequence=year.sequence, year=year.year
                ),
            )
        )
    for bad in numbers.malformed:
        report.findings.append(
            Finding(
                bad.cell.cell,
                _("'{value}' is not written as a number of {sequence} (like {expected})").format(
                    value=bad.cell.value, sequence=bad.sequence, expected=bad.expected
                ),
            )
        )
    for case in cases:
        for message in case.problems:
            where, _unused, what = message.removeprefix(f"{name} ").partition(": ")
            report.findings.append(Finding(where, what.removesuffix(_("; fix the cell"))))
        if case.status != "open":
            continue
        people = ws.config.people
        if people and case.assignee and case.assignee not in people:
            report.findings.append(
                Finding(
                    book.cell_of(case, "assignee"),
                    _(
                        "open case {id}'s 承办人 {name} is not under people: in procdoc.yaml (left the office?): its step's role holders have it on their desks; procdoc assign {id} NAME hands it on"
                    ).format(id=case.id, name=case.assignee),
                )
            )
        for fdef in case.process.fields.values():
            if fdef.required and case.fields.get(fdef.id) in (None, ""):
                report.findings.append(
                    Finding(
                        book.cell_of(case, fdef.id),
                        _("open case {id} has no {label} (a required field)").format(
                            id=case.id, label=fdef.label
                        ),
                    )
                )
    _recounted(ws, [c for c in cases if c.status == "open"], report)
    return report


def _recounted(ws: Workspace, cases: Sequence[Case], report: CheckReport) -> None:
    """The open cases whose step deadline falls in a year chinese-calendar does not know
    and procdoc.yaml's calendar now does, counted again: one counted before that year's
    holidays were listed (Monday-Friday, as the SPEC counts such a year) is a finding,
    with the date it comes to now (QA: adding calendar/2027.yaml left every deadline
    counted before it as it was, and check said nothing)."""
    cal = ws.calendar
    due_year = {
        c.id: c.due.year for c in cases if c.due is not None and cal.listed_only(c.due.year)
    }
    if not due_year:
        return
    from procdoc.engine import Engine

    engine = ws.engine()
    before = Engine(ws.config, ws.processes, cal.without_listed())  # as first counted
    with warnings.catch_warnings():  # (the cases' own problems are findings already)
        warnings.simplefilter("ignore", ProcdocWarning)
        book = ws.casebook(history=True)
        counted = {}
        for cid in sorted(due_year):
            try:
                case = book.case(cid)
            except ProcdocError:  # held twice, or its process unusable: said already
                continue
            history = book.history(case)
            counted[cid] = (
                case,
                engine.counted_due(case, history),
                before.counted_due(case, history),
            )
    for cid, (case, now, then) in counted.items():
        # only a deadline as procdoc counted it then (not one typed over by hand since)
        if now is None or now == case.due or then != case.due:
            continue
        report.findings.append(
            Finding(
                book.cell_of(case, "due"),
                _(
                    "{id}'s step deadline {due} was counted before {year}'s holidays were listed; counted with them it is {now}: type {now} in the cell, or leave it to stand as first counted"
                ).format(id=cid, due=display(case.due), year=due_year[cid], now=display(now)),
            )
        )


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
            _("this ledger already keeps a register per process")
            if ws.config.registers or LEGACY_SHEET not in ws.ledger_sheets()
            else _("nothing to split"),
            hint=_(
                "registers split moves a ledger made before registers (one 台账 sheet) to one register per process"
            ),
        )
    if LEGACY_SHEET not in ws.layout.registers:
        raise WorkspaceError(
            _("no process to split {legacy_sheet} into").format(legacy_sheet=LEGACY_SHEET),
            hint=_("add process files to {processes}/").format(
                processes=ws.rel(ws.config.processes)
            ),
        )
    if ws.broken:
        first = ws.broken_files()[0]
        raise WorkspaceError(
            f"{first.pos}: {first.message}",
            hint=_(
                "fix the process files first (procdoc validate): their cases must be placed too"
            ),
        )
    target = Layout(ws.processes, labels=ws.config.labels)
    existing = set(ws.ledger_sheets())
    taken = [name for name in target.sheets() if name in existing]
    if taken:
        raise LedgerError(
            _("{name} already has sheet(s) {taken}").format(
                name=ws.config.ledger.name, taken=name_list(taken)
            ),
            hint=_(
                "rename or remove them (or list the registers under registers: yourself); nothing was written"
            ),
        )
    result = SplitResult()

    def plan(snapshot: Any) -> Batch:
        book = ws._casebook(snapshot)
        if book.duplicates:
            cid, cells = next(iter(book.duplicates.items()))
            raise LedgerError(
                _("case {cid} is held twice ({cells})").format(cid=cid, cells=name_list(cells)),
                hint=_("remove or renumber one row first; nothing was written"),
            )
        for cid, place in book.places.items():
            if book.process_of(place) is None:  # a 流程 naming no process procdoc knows:
                book.case(cid)  # refused in one line naming the cell; nothing is written
        legacy = ws.layout.registers[LEGACY_SHEET]
        sheet = snapshot.sheets[LEGACY_SHEET]
        owned = {label_key(label) for label in legacy.core.values()}
        for process in legacy.processes:
            owned |= {label_key(label) for _unused, label in legacy.field_columns(process)}
        batch = Batch()
        result.rows.clear()
        result.own_columns.clear()
        for place in book.places.values():
            owner = book.process_of(place)
            assert owner is not None  # rows of no known process were refused above
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
    before = (ws.root / CONFIG_NAME).read_text(encoding="utf-8")
    result.config = _record_registers(
        ws, {p.id: target.register_of(p).sheet for p in ws.processes.values()}
    )
    _remember_configs(ws, before, (ws.root / CONFIG_NAME).read_text(encoding="utf-8"))
    return result


#: In the state folder: the procdoc.yaml that goes with each version of the ledger a
#: `registers split` (or an undo of one) wrote, by the version's SHA-256, so that `undo`
#: puts procdoc.yaml back with the ledger (the split's `registers:` block names sheets
#: the ledger before it does not have).
CONFIGS = "configs.json"


def _remember_configs(ws: Workspace, before: str, after: str) -> None:
    """Pair the version of the ledger procdoc just wrote with ``after``, and the version
    before it with ``before`` (from the undo record of that write)."""
    from procdoc.fileio import atomic_write
    from procdoc.ledger import undo as undo_record

    last = undo_record.load(ws.store.state_dir, ws.store.path)
    if last is None or last.backup_sha256 is None:
        return
    configs = _configs(ws)
    configs[last.backup_sha256], configs[last.sha256] = before, after
    atomic_write(ws.store.state_dir / CONFIGS, json.dumps(configs, ensure_ascii=False))


def _configs(ws: Workspace) -> dict[str, str]:
    try:
        found = json.loads((ws.store.state_dir / CONFIGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _record_registers(ws: Workspace, sheets: dict[str, str]) -> str:
    """Write `registers:` into procdoc.yaml with ruamel.yaml, keeping the file's comments
    and layout (it is a file a person wrote). A plain scalar that looks like a date or a
    number but is none (``name: 2026-13-01``), which procdoc reads as its text, is read
    and written back as written; anything else ruamel cannot read is one error line."""
    import io

    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from procdoc.config import CONFIG_NAME
    from procdoc.errors import WorkspaceError
    from procdoc.fileio import atomic_write

    path = ws.root / CONFIG_NAME
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)  # (kept: a file saved by Notepad has one)
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text  # (kept: a file written on Windows)
    text = text.replace("\r\n", "\n")
    yaml = _round_trip_yaml()
    _keep_indentation(yaml, text)
    try:
        data = yaml.load(text)
    except YAMLError as err:
        mark = err.problem_mark if isinstance(err, MarkedYAMLError) else None
        where = ws.rel(path) + (f":{mark.line + 1}:{mark.column + 1}" if mark else "")
        listed = ", ".join(f"{pid}: {{sheet: {sheet}}}" for pid, sheet in sheets.items())
        raise WorkspaceError(
            _(
                "{where}: cannot be updated ({problem}); the registers are in the ledger: add to {config_name} by hand: registers: {{{listed}}}"
            ).format(
                where=where,
                problem=getattr(err, "problem", None) or str(err).partition("\n")[0],
                config_name=CONFIG_NAME,
                listed=listed,
            )
        ) from None
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
    out = buf.getvalue().replace("\n", "\r\n") if crlf else buf.getvalue()
    atomic_write(path, (codecs.BOM_UTF8 if bom else b"") + out.encode("utf-8"), like=path)
    return ws.rel(path)


_KEY_LINE = re.compile(r"^( +)[^\s#-][^:#]*:")


def _keep_indentation(yaml: Any, text: str) -> None:
    """Have ``yaml`` indent as ``text`` does: its nested keys (4 spaces or 2) and its lists
    (``- `` under their key or indented), so the lines procdoc does not change come out
    as they were (QA: a 4-space file was re-indented to 2)."""
    from ruamel.yaml.util import load_yaml_guess_indent

    keys = [len(m.group(1)) for line in text.splitlines() if (m := _KEY_LINE.match(line))]
    mapping = min(keys) if keys else 2
    try:
        _data, sequence, offset = load_yaml_guess_indent(text)
    except Exception:  # (the load proper says what is wrong with the file)
        sequence = offset = None
    if offset is None or sequence is None:
        sequence, offset = mapping, 0
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)


def _round_trip_yaml() -> Any:
    """ruamel.yaml's round trip, reading a plain scalar its constructors refuse (a date
    with month 13, an int like ``0b_``: ValueError, IndexError) as the text written, kept
    plain when written back, the way procdoc's own loader reads it (procdoc.yamlpos)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.representer import RoundTripRepresenter

    class AsWritten(str):
        tag = ""

    class Constructor(RoundTripConstructor):
        pass

    class Representer(RoundTripRepresenter):
        pass

    def lenient(tag: str) -> None:
        strict = RoundTripConstructor.yaml_constructors[tag]

        def construct(self: Any, node: Any) -> Any:
            try:
                return strict(self, node)
            except Exception:
                if not isinstance(node, ScalarNode) or node.style is not None:
                    raise
                text = AsWritten(node.value)
                text.tag = tag
                return text

        Constructor.add_constructor(tag, construct)

    for kind in ("null", "bool", "int", "float", "timestamp"):
        lenient(f"tag:yaml.org,2002:{kind}")
    Representer.add_representer(
        AsWritten, lambda self, data: self.represent_scalar(data.tag, str(data))
    )
    yaml = YAML()
    yaml.Constructor = Constructor
    yaml.Representer = Representer
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


@dataclass
class Adopted:
    """A row taken over: its new id, step and deadline."""

    id: str
    row: int
    step: str
    due: Any
    title: str


@dataclass
class AdoptResult:
    sheet: str
    adopted: list[Adopted] = field(default_factory=list)
    already: int = 0  # rows that had an id: left alone
    dry_run: bool = False
    #: rows not taken over, and why: a 合计/制表人 row, a row without a title
    skipped: list[tuple[int, str]] = field(default_factory=list)


def adopt(
    ws: Workspace,
    process: str,
    *,
    step: str | None = None,
    dry_run: bool = False,
    at: Any = None,
) -> AdoptResult:
    """Take a hand-kept register over (SPEC §3): a row without an id gets the next id, a
    row without a step gets ``step`` (default the first; the final step when the row's
    status column says 已办结), its deadlines count from its own `opened` date (or the
    step's `from:` field), the columns procdoc needs are added right of the header, and
    each case gets one 接管 row in 流转记录. Rows that have an id are left alone, so
    running it again changes nothing."""
    from procdoc.casebook import Casebook, Change, _refuse_merged
    from procdoc.errors import LedgerError, ProcdocWarning, ProcessError
    from procdoc.importer.table import footer_text
    from procdoc.layout import STATUS_IDS, STATUS_WORDS
    from procdoc.ledger.cells import col_letters
    from procdoc.model import Case
    from procdoc.values import Unreadable, as_moment, first_few, read_field, text

    proc = ws.process(process)
    reg = ws.layout.register_of(proc)
    start = proc.first_step if step is None else proc.find_step(step)
    if start is None:
        raise ProcessError(
            _("--step: {id} has no step '{step}'").format(id=proc.name, step=step),
            hint=name_list(aside(s.name, s.id) for s in proc.steps),
        )
    engine = ws.engine()
    moment = at or ws.now()
    result = AdoptResult(sheet=reg.sheet, dry_run=dry_run)
    name = ws.config.ledger.name

    def plan(book: Casebook, change: Change) -> None:
        result.adopted.clear()
        result.skipped.clear()
        result.already = 0
        sheet = book.snapshot.sheets.get(reg.sheet)
        if sheet is None:
            raise LedgerError(
                _("{name} has no sheet '{sheet}' to take over").format(name=name, sheet=reg.sheet),
                hint=_(
                    "name the register's sheet under registers: {id}: sheet: in procdoc.yaml"
                ).format(id=proc.id),
            )
        col = {key: sheet.column(label) for key, label in reg.core.items()}
        fields = [(fdef, sheet.column(label)) for fdef, label in reg.field_columns(proc)]
        number = sheet.column(reg.number_column) if reg.number_column else None
        owned = {*col.values(), *(c for _fdef, c in fields), number}
        _refuse_merged(reg, sheet, name, {c for c in owned if c is not None})

        def cell(values: list[Any], i: int | None) -> Any:
            return values[i] if i is not None and i < len(values) else None

        def at_cell(key: str, number: int) -> str:
            return f"{reg.sheet}!{col_letters(col[key] or 0)}{number}"

        spec = ws.config.registers.get(proc.id)
        typed = {"opened", "title", *proc.fields}  # what the office keeps, procdoc reads
        absent = [
            f"{key}: '{label}'"
            for key, label in (spec.columns.items() if spec else ())
            if key in typed and sheet.column(label) is None
        ]
        if absent:  # a label misspelt in procdoc.yaml: an empty column would be added
            warnings.warn(
                _(
                    "{name} {sheet}: registers: {id}: columns: {absent} not in the header (row {row}): procdoc adds it empty; if the register calls it otherwise, fix the label in procdoc.yaml"
                ).format(
                    name=name,
                    sheet=reg.sheet,
                    id=proc.id,
                    absent=name_list(absent),
                    row=sheet.header_row,
                ),
                ProcdocWarning,
                stacklevel=2,
            )

        unread: list[str] = []  # field cells that cannot be read: kept, and said
        for row in sheet.rows:
            values = row.values
            if text(cell(values, col["id"])):
                result.already += 1
                continue
            footer = footer_text(values, col["title"])
            if footer is not None:  # 合计, 制表人: part of the register, not a case
                result.skipped.append((row.number, footer))
                continue
            if not text(cell(values, col["title"])):
                result.skipped.append((row.number, _("no {title}").format(title=reg.core["title"])))
                continue
            where = f"{reg.sheet}!row {row.number}"
            case_fields: dict[str, Any] = {}
            for fdef, i in fields:
                try:
                    case_fields[fdef.id] = read_field(fdef, cell(values, i))
                except Unreadable:
                    case_fields[fdef.id] = None
                    unread.append(f"{col_letters(i or 0)}{row.number}")
            named = text(cell(values, col["step"]))
            here = proc.find_step(named) if named else start
            word = text(cell(values, col["status"]))
            status = STATUS_IDS.get(word or "", "open")
            if word and word not in STATUS_IDS:  # the office's own word: not guessed
                raise LedgerError(
                    _(
                        "{name} {cell}: '{word}' is not a status ({words}); nothing was taken over"
                    ).format(
                        name=name,
                        cell=at_cell("status", row.number),
                        word=word,
                        words="/".join(STATUS_WORDS.values()),
                    ),
                    hint=_("write one of them in the cell, or leave it empty (办理中)"),
                )
            if status == "closed" and not named:  # the register says 已办结: taken over closed
                here = next((s for s in proc.steps if s.final), here)
            if here is None:
                raise LedgerError(
                    _("{name} {where}: '{named}' is not a step of {name2}").format(
                        name=name, where=where, named=named, name2=proc.name
                    ),
                    hint=_("steps: {items}; nothing was written").format(
                        items=name_list(s.name for s in proc.steps)
                    ),
                )
            try:
                opened = as_moment(cell(values, col["opened"]))
            except Unreadable as err:  # its deadlines count from it: not guessed either
                raise LedgerError(
                    _("{name} {cell}: {err} ({label}); nothing was taken over").format(
                        name=name,
                        cell=at_cell("opened", row.number),
                        err=err,
                        label=reg.core["opened"],
                    ),
                    hint=_("write the full date (2026-11-03) in the cell"),
                ) from None
            entered = opened or moment
            case = Case(
                id=engine.next_id(proc, book, entered),
                process=proc,
                step=here,
                title=text(cell(values, col["title"])) or "",
                opened=opened,
                entered=entered,
                updated=moment,
                fields=case_fields,
                sheet=reg.sheet,
                row=row.number,
            )
            entries = {here.id: entered}
            case.due = engine.step_due(case, here, entered, entries=entries)
            engine._case_due(case, entered, entries, here)
            if here.final:
                case.status, case.due, case.closed = "closed", None, entered
            elif status == "cancelled":  # the register says 已撤销: taken over cancelled
                case.status, case.due, case.case_due, case.closed = "cancelled", None, None, entered
            book.pending[case.id] = case
            change.claim(case)
            change.record(
                case.id,
                moment,
                "adopt",
                to_step=here,
                note=f"{reg.sheet}!row {row.number}"
                + ("" if opened else f"（无{reg.core['opened']}，期限自接管起算）"),
            )
            result.adopted.append(Adopted(case.id, row.number, here.name, case.due, case.title))
        if unread:
            warnings.warn(
                _(
                    "{name} {sheet}: {cells}: cannot be read as their fields' types; taken over as they are (procdoc check lists them)"
                ).format(
                    name=name,
                    sheet=reg.sheet,
                    cells=first_few(unread, 10),
                ),
                ProcdocWarning,
                stacklevel=2,
            )

    with warnings.catch_warnings():  # "run procdoc adopt" is what is happening
        warnings.simplefilter("ignore", UnadoptedWarning)
        if dry_run:
            book = ws.casebook()
            plan(book, Change(book))
        else:
            ws.change(plan)
    return result


@dataclass
class UndoResult:
    """What `undo` put back: the ledger as it was before procdoc's write at ``undone``."""

    ledger: str
    undone: str  # when the write that was undone happened (ISO 8601, local time)
    sheets: list[str]  # the sheets that write changed
    config: str | None = None  # procdoc.yaml, when it was put back too (see CONFIGS)
    exports: list[str] = field(default_factory=list)  # imported by the write undone
    exports_back: list[str] = field(default_factory=list)  # an undo of their undo: imported


def undo(ws: Workspace, *, by: str | None = None, at: datetime | None = None) -> UndoResult:
    """Put back the ledger as it was before procdoc's last write (SPEC §3), when nothing
    has changed it since; recorded in 流转记录 like any write (so a second undo puts back
    what this one undid). Refused, nothing written, when the ledger changed, was replaced,
    or there is no earlier version."""
    from procdoc.casebook import Change
    from procdoc.ledger import undo as undo_record

    person = ws.engine().person(by)
    moment = at or ws.now()
    store = ws.store
    result = UndoResult(ledger=ws.config.ledger.name, undone="", sheets=[])
    undone: list[str] = []  # the SHA-256 of the version the undo puts away

    def plan(snapshot: Snapshot) -> Batch:
        # under the store's lock: the record read here is the write being undone
        last = undo_record.load(store.state_dir, store.path)
        if last is not None:
            result.undone = last.at
            undone[:] = [last.sha256]
            result.sheets = undo_record.sheets_written(last, store.backup_dir, store.display)
        change = Change(ws._casebook(snapshot))
        change.record(
            None,
            moment,
            "undo",
            by=person,
            note=f"恢复到 procdoc 于 {result.undone} 写入之前的版本",  # the ledger's words are Chinese
        )
        return change.batch()

    # a split (or the undo of one) changed procdoc.yaml as well: it goes back with the
    # ledger, unless it was edited since (then nothing is written)
    config = ws.root / CONFIG_NAME
    configs = _configs(ws)
    last = undo_record.load(store.state_dir, store.path)
    pair = None  # (procdoc.yaml with the version undone, with the version put back)
    if last is not None and last.sha256 in configs and last.backup_sha256 in configs:
        pair = configs[last.sha256], configs[last.backup_sha256 or ""]
        if config.read_text(encoding="utf-8") != pair[0]:
            raise WorkspaceError(
                _(
                    "{config} changed since procdoc's last write of {ledger} ({what}), which changed {config} too; undo would leave the two apart"
                ).format(config=CONFIG_NAME, ledger=result.ledger, what="registers split"),
                hint=_(
                    "put back the registers: block as procdoc wrote it, then run undo again; nothing was written"
                ),
            )
    store.undo(plan, read_sheets=ws.layout.read_specs())
    if undone:
        from procdoc.commands.imports import forget_undone

        written = undo_record.load(store.state_dir, store.path)
        result.exports, result.exports_back = forget_undone(
            ws, undone[0], written.sha256 if written is not None else None
        )
    if pair is not None:
        from procdoc.fileio import atomic_write

        now, back = pair
        atomic_write(config, back, like=config)
        result.config = ws.rel(config)
        _remember_configs(ws, now, back)
    return result
