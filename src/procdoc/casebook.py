"""Cases read from and written to the registers, through the layout (SPEC §3).

A :class:`Casebook` is one read of the ledger seen as cases: it finds every case by its id
in whichever register holds it, builds a :class:`~procdoc.model.Case` only when asked, and
never drops a row it cannot read silently: a cell that cannot be read as its column's type
becomes a problem on the case (named ``sheet!cell``) and a warning. A :class:`Change`
collects what one command does (new rows, changed cells, history rows) and turns it into
the ledger batch, sheet by sheet.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import operator
import re
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any

from procdoc.errors import CaseError, LedgerError, ProcdocWarning, UnadoptedWarning
from procdoc.i18n import _, name_list, ngettext
from procdoc.layout import (
    ACTION_IDS,
    ACTIONS,
    FOOTER,
    FOOTER_FIRST,
    HISTORY_COLUMNS,
    HISTORY_KINDS,
    HISTORY_SHEET,
    STATUS_IDS,
    STATUS_WORDS,
    Column,
    Layout,
    Register,
    label_key,
)
from procdoc.ledger.cells import col_letters
from procdoc.ledger.model import ColumnKind, ColumnSpec, NewSheet, SheetChanges
from procdoc.model import Case, HistoryEntry, Status
from procdoc.process.loader import Problem
from procdoc.process.model import DeadlineRule, Process, Step
from procdoc.values import Unreadable, as_due, as_moment, cell_for, display, read_field, same, text

if TYPE_CHECKING:
    from procdoc.ledger import Batch, Row, Sheet, Snapshot

RowFilter = Callable[["Sheet", Mapping[str, "int | None"]], "Collection[int] | None"]
"""Which rows of a register could hold the cases a command wants, told from the sheet's
columns (the core columns' indexes given by key): the indexes of those rows among
:attr:`Sheet.rows`, or None for every row. It may keep rows it is unsure of (their cases
are built and looked at as always) but must never leave out a row whose case is wanted."""


def open_rows(sheet: Sheet, core: Mapping[str, int | None]) -> set[int] | None:
    """Every row but those whose 状态 cell says closed or cancelled (已办结, 已撤销): an
    empty or unreadable status is decided by the case, so its row is kept."""
    col = core["status"]
    if col is None:
        return None
    return set(rows_where(sheet.column_values(col), _not_shut))


def _not_shut(raw: Any) -> bool:
    word = text(raw)
    return not (word in STATUS_IDS and STATUS_IDS[word] != "open")


def due_rows(keep: Callable[[Any], bool]) -> RowFilter:
    """:func:`open_rows` narrowed to the rows where ``keep`` holds for the 环节期限 or the
    办结期限 as a case reads it (:func:`~procdoc.values.as_due`), or where either cannot
    be read (such a row is the case's to report)."""

    def wanted(raw: Any) -> bool:
        try:
            due = as_due(raw)
        except Unreadable:
            return True
        return due is not None and keep(due)

    def rows(sheet: Sheet, core: Mapping[str, int | None]) -> Collection[int] | None:
        opened = open_rows(sheet, core)
        # the open rows' deadlines alone (a year's register: 1 in 20 rows)
        where: Sequence[int] | None = None if opened is None else sorted(opened)
        near: set[int] = set()
        for col in (core["due"], core["case_due"]):
            if col is not None:
                values = sheet.column_values(col)
                if where is not None:
                    values = [values[i] for i in where]
                found = rows_where(values, wanted)
                near.update(found if where is None else map(where.__getitem__, found))
        return near

    return rows


def dated_rows(key: str, keep: Callable[[date], bool]) -> RowFilter:
    """The rows whose ``key`` cell (登记时间 ``opened``, 办结时间 ``closed``), read as a case
    reads it (:func:`~procdoc.values.as_moment`), falls on a day ``keep`` holds for; and
    the rows where it is empty or cannot be read, whose case decides (from its history:
    see :func:`procdoc.reports.facts.case_facts`). Each distinct cell value is read once."""

    def holds(raw: Any) -> bool:
        try:
            moment = as_moment(raw)
        except Unreadable:
            return True
        return moment is None or keep(moment.date())

    def rows(sheet: Sheet, core: Mapping[str, int | None]) -> Collection[int] | None:
        col = core[key]
        return None if col is None else list(rows_where(sheet.column_values(col), holds))

    return rows


def changed_after(moment: datetime) -> RowFilter:
    """The rows whose 更新时间 (``updated``) is later than ``moment``, or cannot be read as
    a moment (the case decides, read back from 流转记录): the cases procdoc changed since.
    An empty cell, or a register without the column, keeps no row: nothing says it changed."""

    def holds(raw: Any) -> bool:
        if type(raw) is datetime:  # as procdoc writes it: no reading needed
            return raw > moment
        try:
            found = as_moment(raw)
        except Unreadable:
            return True
        return found is not None and found > moment

    def rows(sheet: Sheet, core: Mapping[str, int | None]) -> Collection[int] | None:
        col = core["updated"]
        if col is None:
            return []
        later = sheet.later_than(col, moment)  # the column as procdoc writes it
        return later if later is not None else list(rows_where(sheet.column_values(col), holds))

    return rows


def any_of(*filters: RowFilter) -> RowFilter:
    """The rows any of ``filters`` keeps (every row, when one of them keeps every row)."""

    def rows(sheet: Sheet, core: Mapping[str, int | None]) -> Collection[int] | None:
        out: set[int] = set()
        for keep in filters:
            kept = keep(sheet, core)
            if kept is None:
                return None
            out.update(kept)
        return out

    return rows


#: Core columns whose absence from a register in use means its header was renamed by hand
#: (the others are added again when missing).
_REQUIRED = ("id", "step", "status", "due")


class _Columns:
    """Where each of a register's columns is in its sheet (0-based), found by label."""

    def __init__(self, reg: Register, sheet: Sheet, where: str) -> None:
        self.core = {key: sheet.column(label) for key, label in reg.core.items()}
        self.fields: dict[str, list[tuple[str, Any, int | None]]] = {
            p.id: [(fdef.id, fdef, sheet.column(label)) for fdef, label in reg.field_columns(p)]
            for p in reg.processes
        }
        self.number = sheet.column(reg.number_column) if reg.number_column else None
        columns = [*self.core.values(), self.number]
        columns += [col for fields in self.fields.values() for _f, _d, col in fields]
        owned = {col for col in columns if col is not None}
        self.top = max(owned, default=-1)
        """The last column a case is read from."""
        self.take = operator.itemgetter(
            *[-1 if self.core[key] is None else self.core[key] for key in _TAKEN]
        )
        """The cells of :data:`_TAKEN` of a row padded past :attr:`top` (see :func:`_build`)."""
        if not owned and any(v not in (None, "") for v in sheet.header):
            # (a header_row pointing at a data row: every case would vanish silently)
            raise LedgerError(
                _(
                    "{where} {sheet} row {header_row} holds none of the register's labels ({labels} ...), so it is not its header"
                ).format(
                    where=where,
                    sheet=reg.sheet,
                    header_row=header_row(sheet),
                    labels=name_list(reg.core[k] for k in ("id", "title", "step")),
                ),
                hint=(
                    _(
                        "set header_row under registers: {id}: in procdoc.yaml to the header's row, or remove it to let procdoc find the header"
                    )
                    if reg.header_row is not None
                    else _(
                        "write the register's header in one of the sheet's top 10 rows, or say which row holds it with header_row under registers: {id}: in procdoc.yaml"
                    )
                ).format(id=reg.processes[0].id),
            )
        self.owned = owned
        """The columns procdoc reads (merged cells among them: :func:`_refuse_merged`)."""
        #: a hand-kept register not taken over yet: no id column at all
        has_rows = sheet.n_rows() > 0
        self.unadopted = self.core["id"] is None and has_rows
        missing = [reg.core[k] for k in _REQUIRED if self.core[k] is None]
        if missing and has_rows and not self.unadopted:
            owned_by_procdoc = self.core["step"] is not None or self.core["due"] is not None
            raise LedgerError(
                _("{where} {sheet} row {header_row}: no {items} column in the header row").format(
                    where=where,
                    sheet=reg.sheet,
                    header_row=header_row(sheet),
                    items=name_list(repr(m) for m in missing),
                ),
                hint=(
                    _(
                        "rename the header back, or set the label under labels: (or registers: {id}: columns:) in procdoc.yaml"
                    )
                    if owned_by_procdoc
                    else _(
                        "a register with a {label} column of the office's own: give procdoc's ids a column of their own (registers: {id}: columns: {{id: {other}}} in procdoc.yaml; map {label} to a field to keep it with each case), then run procdoc adopt {id}"
                    )
                ).format(
                    id=reg.processes[0].id,
                    label=reg.core["id"],
                    other="案件编号"
                    if label_key(reg.core["id"] or "") == label_key("编号")
                    else "编号",
                ),
            )


def header_row(sheet: Sheet) -> int:
    return sheet.header_row


def _refuse_merged(reg: Register, sheet: Sheet, where: str, owned: set[int]) -> None:
    """A register is one row a case: merged cells among its rows in procdoc's columns
    (``owned``), right of the header (where it adds the columns it lacks) or reaching below
    its last case (an appended case would fall inside), or a header spread over two rows,
    cannot be read (or written) safely. A merged title above the header, a header cell
    spanning columns and merged cells in the office's own headed columns among the cases
    (procdoc neither reads nor writes them) are fine."""
    from procdoc.ledger.cells import format_range

    top = sheet.header_row
    width = len(sheet.header)
    for r1, c1, r2, c2 in sheet.merged:
        if r2 < top or r1 == r2 == top:
            continue
        if (
            r1 > top
            and c2 < width
            and not owned.intersection(range(c1, c2 + 1))
            and sheet.n_rows()
            and r2 <= sheet.row_at(-1).number  # (one row: the cache unpacks one block)
        ):
            continue  # the office's own columns, among the cases it holds
        cells = f"{reg.sheet}!{format_range(r1, c1, r2, c2)}"
        if r1 <= top:
            raise LedgerError(
                _("{where} {cells}: the header is spread over merged rows").format(
                    where=where, cells=cells
                ),
                hint=_(
                    "make row {top} a one-row header (one label a column, no merged cells) and run again; nothing was written"
                ).format(top=top),
            )
        raise LedgerError(
            _("{where} {cells}: merged cells inside the register's rows").format(
                where=where, cells=cells
            ),
            hint=_("unmerge them (a value in every row) and run again; nothing was written"),
        )


EXCEL_DIGITS = 15
"""The significant digits Excel keeps of a number."""


@dataclasses.dataclass(frozen=True)
class NumberRef:
    """A case whose OA reference cell holds a number (see :meth:`Casebook.number_refs`)."""

    case: str
    value: int | float
    cell: str  # 报销!L2
    label: str  # the reference column's label (来源编号)

    def lost_digits(self) -> bool:
        """Whether the number cannot be the reference it was: a float, or more digits than
        Excel keeps (15)."""
        return type(self.value) is float or abs(self.value) >= 10**EXCEL_DIGITS

    def zeros_dropped(self, key: str) -> bool:
        """Whether the number is ``key`` without its leading zeros (not digits lost)."""
        return not self.lost_digits() and key.strip().startswith("0")

    def shown(self) -> str:
        """The number as Excel's formula bar shows it (202609011600001000000)."""
        return display(self.value)

    def could_be(self, key: str) -> bool:
        """Whether ``key`` (an export's text) turned into a number could give this one."""
        digits = key.strip()
        if not (digits.isascii() and digits.isdigit()):  # (² and ２ are digits to isdigit)
            return False
        if type(self.value) is float or len(digits.lstrip("0")) > EXCEL_DIGITS:
            # Excel keeps 15 significant digits (openpyxl and others write 16 or 17)
            return f"{float(digits):.{EXCEL_DIGITS}g}" == f"{self.value:.{EXCEL_DIGITS}g}"
        return int(digits) == self.value and digits != str(self.value)


class _Place:
    """Where a case's row is: its register, sheet and columns, and the row's index among
    the sheet's data rows (the row itself is taken from the sheet when first asked for)."""

    __slots__ = ("_row", "columns", "index", "register", "sheet")

    def __init__(self, register: Register, sheet: Sheet, columns: _Columns, index: int) -> None:
        self.register = register
        self.sheet = sheet
        self.columns = columns
        self.index = index
        self._row: Row | None = None

    @property
    def row(self) -> Row:
        if self._row is None:
            self._row = self.sheet.row_at(self.index)
        return self._row


class Casebook:
    """The cases of one ledger snapshot, found by register and case id."""

    def __init__(
        self,
        snapshot: Snapshot,
        layout: Layout,
        processes: Mapping[str, Process],
        *,
        broken: Mapping[str, Problem] | None = None,
        load_history: Callable[[], Sheet | None] | None = None,
        pick_history: Callable[[str], tuple[Sheet, bool] | None] | None = None,
        ledger: str = "ledger.xlsx",
    ) -> None:
        self.snapshot = snapshot
        self.layout = layout
        self.processes = processes
        self.name = ledger  # the ledger's file name, for messages
        self.broken = dict(broken or {})  # first error of each process left out, by id and name
        self._load_history = load_history
        #: the first case's rows of 流转记录 alone (see :meth:`history`)
        self._pick_history = pick_history
        self._picked: Sheet | None = None  # what it picked: the sheet's top rows and those
        self._picked_for: str | None = None  # of this case
        self._history_sheet: Sheet | None = snapshot.sheets.get(HISTORY_SHEET)
        self._history_index: dict[str, list[int]] | None = None  # id -> row indexes
        self._by_key = {key: p for p in processes.values() for key in (p.id, p.name)}
        self._places: dict[str, _Place] = {}
        self._duplicates: dict[str, list[str]] = {}  # id -> the cells holding it
        self._twice_rows: list[tuple[str, _Place]] = []  # the rows of ids held twice
        self.pending: dict[str, Case] = {}  # cases opened by the change being planned
        self.sequences: dict[tuple[str, int], int] = {}  # next id's cache
        self._numbers: dict[str, int] = {}  # the last running number (序号) per sheet
        self.unreadable: list[str] = []  # rows that are no case procdoc can read
        self._stray: list[tuple[Register, int]] = []  # rows with data but no id (not cases)
        self.unadopted: list[Register] = []  # hand-kept registers not taken over yet
        #: registers that cannot be read safely (merged cells among their rows), by sheet
        self.blocked: dict[str, LedgerError] = {}
        self.blocked_said = False
        self.broken_rows: Counter[str] = Counter()  # rows of processes with errors, by process
        self._built: dict[str, Case] = {}
        self._process_memo: dict[tuple[str, type, Any], Process | None] = {}
        # The registers are checked now (their headers, merged cells, whether taken over);
        # their rows are indexed when a command first needs every case. Until then a case
        # asked for by id is found by scanning the id columns alone (see :meth:`case`).
        self._registers: list[tuple[Register, Sheet, _Columns]] = []
        self._indexed = False
        self._located: dict[str, _Place] = {}  # cases found by such a scan
        self._history_scans: dict[str, list[int]] = {}
        self._history_cols: dict[str, int | None] | None = None  # 流转记录's columns by key
        for reg in layout.registers.values():
            sheet = snapshot.sheets.get(reg.sheet)
            if sheet is not None:
                cols = self._check(reg, sheet)
                if cols is not None:
                    self._registers.append((reg, sheet, cols))

    # -- the index of every row, built on first use ------------------------------------------
    @property
    def places(self) -> dict[str, _Place]:
        """Every case held once, by id (register and row order)."""
        self._ensure_index()
        return self._places

    @property
    def duplicates(self) -> dict[str, list[str]]:
        """Every id held more than once, with the cells holding it."""
        self._ensure_index()
        return self._duplicates

    @property
    def _twice(self) -> list[tuple[str, _Place]]:
        self._ensure_index()
        return self._twice_rows

    @property
    def numbers(self) -> dict[str, int]:
        """The last running number (序号) per sheet (a new row takes the next)."""
        self._ensure_index()
        return self._numbers

    @property
    def stray(self) -> list[tuple[Register, int]]:
        """Rows with data but no id (not cases), by register and row number."""
        self._ensure_index()
        return self._stray

    def _ensure_index(self) -> None:
        """Index every row by id, from the id columns (a row without an id is built to
        tell whether it holds anything)."""
        if not self._indexed:
            self._indexed = True
            self._say_blocked()
            for reg, sheet, cols in self._registers:
                self._index(reg, sheet, cols)

    def _every_row(self) -> None:
        """Build every row of every register at once (for a caller about to read them all:
        faster than one at a time from a cached sheet)."""
        for _reg, sheet, _cols in self._registers:
            sheet.rows  # noqa: B018

    # -- reading -------------------------------------------------------------------------
    def _check(self, reg: Register, sheet: Sheet) -> _Columns | None:
        """The register's columns; None when its rows hold no cases procdoc reads (a
        register with merged cells among its rows is left out, said, and held: no write
        to it and no case asked for is answered while it is so, see :attr:`blocked`)."""
        cols = _Columns(reg, sheet, self.name)
        try:
            _refuse_merged(reg, sheet, self.name, cols.owned)
        except LedgerError as err:
            # (it stopped every command, `check` and cron's daily report included: QA;
            # said when the cases are read, see _ensure_index: a write says it as its error)
            self.blocked[reg.sheet] = err
            return None
        if cols.unadopted:
            self.unadopted.append(reg)
            warnings.warn(
                _(
                    "{name} {sheet}: a hand-kept register not taken over yet ({n_rows} rows, no {core} column): run `procdoc adopt {id}`"
                ).format(
                    name=self.name,
                    sheet=reg.sheet,
                    n_rows=len(sheet.rows),
                    core=reg.core["id"],
                    id=reg.processes[0].id,
                ),
                UnadoptedWarning,
                stacklevel=3,
            )
            return None
        if cols.core["id"] is None:
            return None
        return cols

    def _index(self, reg: Register, sheet: Sheet, cols: _Columns) -> None:
        id_col = cols.core["id"]
        assert id_col is not None
        places, duplicates, twice = self._places, self._duplicates, self._twice_rows
        located = self._located
        for index, cid in enumerate(_ids_of(sheet.column_values(id_col))):
            if not cid:
                row = sheet.row_at(index)
                if any(v is not None for v in row.values) and not _footer(row, cols):
                    self._stray.append((reg, row.number))
                continue
            place = located.get(cid)
            if place is None or place.sheet is not sheet or place.index != index:
                place = _Place(reg, sheet, cols, index)
            if cid in places or cid in duplicates:
                first = places.pop(cid, None)
                cells = duplicates.setdefault(cid, [])
                if first is not None:
                    cells.append(_id_cell(first))
                    twice.append((cid, first))
                cells.append(_id_cell(place))
                twice.append((cid, place))
                continue
            places[cid] = place
        if cols.number is not None:
            top = 0
            for v in sheet.column_values(cols.number):
                if isinstance(v, int | float) and not isinstance(v, bool):
                    top = max(top, int(v))
                elif isinstance(v, str) and v.strip().isascii() and v.strip().isdigit():
                    top = max(top, int(v))  # a number stored as text, as Excel lets one
            self._numbers[reg.sheet] = top

    def _locate(self, case_id: str) -> list[_Place]:
        """The rows holding ``case_id``, found by scanning the registers' id columns."""
        found = []
        for reg, sheet, cols in self._registers:
            id_col = cols.core["id"]
            assert id_col is not None
            for index in _matches(sheet.column_values(id_col), case_id):
                found.append(_Place(reg, sheet, cols, index))
        return found

    def _place(self, case_id: str) -> _Place | None:
        """Where case ``case_id`` is, when it is held once."""
        if not self._indexed:
            place = self._located.get(case_id)
            if place is not None:
                return place
        return self.places.get(case_id)

    def ids(self) -> list[str]:
        return [*self.places, *self.duplicates, *self.pending]

    def has(self, case_id: str) -> bool:
        return case_id in self.places or case_id in self.pending or case_id in self.duplicates

    def case(self, case_id: str) -> Case:
        """The case ``case_id``; a CaseError when there is none, it is held twice, or its
        process cannot be used."""
        if case_id in self.pending:
            return self.pending[case_id]
        if not self._indexed:
            place = self._located.get(case_id)
            if place is None:
                rows = self._locate(case_id)
                if len(rows) == 1:  # else the index says why there is no one case
                    place = self._located[case_id] = rows[0]
            if place is not None:
                built = self._case(case_id, place, strict=True)
                assert built is not None
                return built
        if case_id in self.duplicates:
            raise CaseError(
                _("case '{case_id}' is held twice in {name}: {duplicates}").format(
                    case_id=case_id, name=self.name, duplicates=name_list(self.duplicates[case_id])
                ),
                hint=_("remove or renumber the duplicate rows first"),
            )
        place = self.places.get(case_id)
        if place is None and self.blocked:
            raise next(iter(self.blocked.values()))  # (the case may well be held there)
        if place is None:
            near = difflib.get_close_matches(case_id, self.ids(), n=3, cutoff=0.6)
            hint = (
                _("did you mean {near}?").format(near=name_list(near))
                if near
                else _("see `procdoc list`")
            )
            files = {str(p.pos.file if p.pos else p.message): p for p in self.broken.values()}
            if files:  # its process's file may be one procdoc cannot read (§5): said first
                problem = next(iter(files.values()))  # (a near id of another process misled: QA)
                hint = _(
                    "{pos}: {message}: the cases of a process whose file has errors cannot be found until it is fixed (procdoc validate lists every problem)"
                ).format(pos=problem.pos, message=problem.message) + (
                    _("; or did you mean {near}?").format(near=name_list(near)) if near else ""
                )
            raise CaseError(
                _("unknown case '{case_id}' in {name}").format(case_id=case_id, name=self.name),
                hint=hint,
            )
        found = self._case(case_id, place, strict=True)
        assert found is not None
        return found

    def _say_blocked(self) -> None:
        """Warn, once, of each register left out (:attr:`blocked`): a command that reads
        every case (a list, the daily report) gives its answer without them."""
        if self.blocked_said:
            return
        self.blocked_said = True
        for err in self.blocked.values():
            warnings.warn(
                _("{message}: its cases are left out until then").format(message=err.message),
                ProcdocWarning,
                stacklevel=4,
            )

    def cases(self, rows: RowFilter | None = None) -> Iterator[Case]:
        """Every case procdoc can read, in register and row order (pending ones last).

        ``rows`` narrows them from a register's columns alone (see :data:`RowFilter`):
        the other rows are never built, so their cells are neither read nor reported."""
        self._say_blocked()
        twice: Mapping[str, list[str]] = {}
        if rows is None:
            self._every_row()
            for cid, place in self.places.items():
                found = self._case(cid, place, strict=False)
                if found is not None:
                    yield found
            twice = self.duplicates
        else:  # the wanted rows alone, without indexing every row
            ids = [
                (reg, sheet, cols, _ids_of(sheet.column_values(cols.core["id"] or 0)))
                for reg, sheet, cols in self._registers
            ]
            every = list(itertools.chain.from_iterable(cids for *_unused, cids in ids))
            distinct = set(every)
            distinct.discard(None)
            if len(distinct) < len(every) - every.count(None):  # an id held twice
                twice = _held_twice(ids, Counter(every))
            for reg, sheet, cols, cids in ids:
                wanted = rows(sheet, cols.core)
                for index in range(len(cids)) if wanted is None else sorted(wanted):
                    held = cids[index]
                    if not held or held in twice:
                        continue
                    seen = self._located.get(held)
                    place = (
                        seen
                        if seen is not None and seen.sheet is sheet and seen.index == index
                        else _Place(reg, sheet, cols, index)
                    )
                    case = self._case(held, place, strict=False)
                    if case is not None:
                        yield case
        for cid, cells in twice.items():
            warnings.warn(
                _(
                    "{name}: case {cid} is held twice ({duplicates}): left out until one row is removed or renumbered"
                ).format(name=self.name, cid=cid, duplicates=name_list(cells)),
                ProcdocWarning,
                stacklevel=2,
            )
        yield from self.pending.values()

    def readable_count(self) -> int:
        """How many cases :meth:`cases` gives (each held once whose process procdoc knows,
        and the pending ones), told from the id and 流程 columns without building any."""
        count = len(self.pending)
        processes: dict[int, Sequence[Any]] = {}  # the 流程 column of each shared sheet
        for place in self.places.values():
            reg, raw = place.register, None
            col = place.columns.core["process"]
            if reg.shared and col is not None:
                if id(place.sheet) not in processes:
                    processes[id(place.sheet)] = place.sheet.column_values(col)
                raw = processes[id(place.sheet)][place.index]
            if self._process_for(reg, raw) is not None:
                count += 1
        return count

    def suspect_rows(self, sheet: Sheet, core: Mapping[str, int | None]) -> set[int] | None:
        """A :data:`RowFilter`: the rows whose case reports a problem when built (a cell
        :func:`_build` cannot read, a step or status it does not know) and those naming no
        process procdoc knows (see :meth:`_unusable`). Told from the columns: each
        distinct value of a column is read once, by the readers :func:`_build` uses. It
        may keep a row whose case is fine (a value equal to a bad one, as 1 to True);
        it never leaves out one with a problem."""
        found = next(((reg, cols) for reg, s, cols in self._registers if s is sheet), None)
        if found is None:
            return None
        reg, cols = found
        n = sheet.n_rows()
        columns: dict[int | None, Sequence[Any]] = {None: (None,) * n}

        def column(col: int | None) -> Sequence[Any]:
            if col not in columns:
                assert col is not None
                columns[col] = sheet.column_values(col)
            return columns[col]

        # the rows of each process (a register of one process: every row)
        groups: dict[str | None, list[int] | None] = {}
        if reg.shared:
            raws = column(core["process"])
            named: dict[tuple[type, Any], Process | None] = {}
            for cell in dict.fromkeys(zip(map(type, raws), raws, strict=True)):
                named[cell] = self._process_for(reg, cell[1])
            for i, cell in enumerate(zip(map(type, raws), raws, strict=True)):
                process = named[cell]
                rows = groups.setdefault(process.id if process else None, [])
                assert rows is not None
                rows.append(i)
        else:
            process = self._process_for(reg, None)
            groups[process.id if process else None] = None
        # the dated columns and 状态 read alike whatever the process
        out: set[int] = set()
        for key, read in _READS.items():
            out.update(rows_where(column(core[key]), partial(_unreadable, read), _READ_AS_IS))
        out.update(rows_where(column(core["status"]), _bad_status_cell))
        for pid, rows in groups.items():
            if pid is None:  # no known process: each such row is reported when built
                out.update(range(n) if rows is None else rows)
                continue
            process = self.processes[pid]  # its steps and fields
            bad = set(rows_where(column(core["step"]), partial(_unknown_step, process)))
            for _fid, fdef, col in cols.fields[process.id]:
                bad.update(rows_where(column(col), partial(_unreadable, partial(read_field, fdef))))
            out |= bad if rows is None else bad.intersection(rows)
        return out

    def process_of(self, place: _Place) -> Process | None:
        reg = place.register
        if not reg.shared:
            return self._process_for(reg, None)
        raw = _cell(place.row.values, place.columns.core["process"])
        key = (reg.sheet, type(raw), raw)  # a shared register's 流程 cells repeat a few names
        memo = self._process_memo
        if key not in memo:
            memo[key] = self._process_for(reg, raw)
        return memo[key]

    def _process_for(self, reg: Register, raw: Any) -> Process | None:
        """The process of a row of ``reg`` whose 流程 cell holds ``raw`` (not looked at in
        a register of one process); None when it names none procdoc knows."""
        if not reg.shared:
            return reg.processes[0] if reg.processes[0].id in self.processes else None
        value = text(raw)
        if value is None and len(reg.processes) == 1:
            return reg.processes[0] if reg.processes[0].id in self.processes else None
        found = self._by_key.get(value) if value else None
        # a process whose cases another register keeps is not this row's (its columns
        # are not this register's): the row is reported, as one naming no process
        return found if found is not None and any(p.id == found.id for p in reg.processes) else None

    def _case(self, case_id: str, place: _Place, *, strict: bool) -> Case | None:
        built = self._built.get(case_id)
        if built is not None:
            return built
        process = self.process_of(place)
        if process is None:
            self._unusable(case_id, place, strict=strict)
            return None
        case = _build(case_id, process, place, self.name)
        for problem in case.problems:
            warnings.warn(problem, ProcdocWarning, stacklevel=3)
        self._built[case_id] = case
        return case

    def _unusable(self, case_id: str, place: _Place, *, strict: bool) -> None:
        reg, cols, row = place.register, place.columns, place.row
        col = cols.core["process"]
        value = (text(row.values[col]) if col is not None and col < len(row.values) else None) or (
            reg.processes[0].name if not reg.shared else None
        )
        cell = (
            f"{reg.sheet}!{col_letters(col)}{row.number}"
            if col is not None
            else f"{reg.sheet}!row {row.number}"
        )
        problem = self.broken.get(value or "")
        if problem is not None:
            self.broken_rows[value or "?"] += 1
            if strict:
                raise CaseError(
                    _(
                        "case '{case_id}' belongs to process '{value}', whose file has errors: {pos}: {message}"
                    ).format(
                        case_id=case_id, value=value, pos=problem.pos, message=problem.message
                    ),
                    hint=_(
                        "fix the file (procdoc validate lists every problem); the ledger is unchanged"
                    ),
                )
            return
        elsewhere = self._by_key.get(value or "")
        if elsewhere is not None:
            message = _(
                "{name} {cell}: case '{case_id}' names process '{value}', whose cases are kept in the sheet {sheet}"
            ).format(
                name=self.name,
                cell=cell,
                case_id=case_id,
                value=value,
                sheet=self.layout.register_of(elsewhere).sheet,
            )
        elif value is None:
            message = _(
                "{name} {cell}: case '{case_id}' has no 流程: its process is not known"
            ).format(name=self.name, cell=cell, case_id=case_id)
        else:
            message = _("{name} {cell}: case '{case_id}' names unknown process '{value}'").format(
                name=self.name, cell=cell, case_id=case_id, value=value
            )
        here = [p.name for p in reg.processes if p.id in self.processes]
        known = name_list(here or [p.name for p in self.processes.values()])
        if strict:
            raise CaseError(message, hint=_("known: {known}").format(known=known))
        self.unreadable.append(message)
        warnings.warn(
            _("{message} (known: {known}): not shown").format(message=message, known=known),
            ProcdocWarning,
            stacklevel=3,
        )

    def cell_of(self, case: Case, key: str) -> str:
        """Where a case's core column (by id) or field (by id) is: ``sheet!F7``."""
        place = self._place(case.id)
        if place is None:
            return f"{case.sheet}!row {case.row}"
        cols = place.columns
        col = cols.core.get(key)
        if col is None:
            col = next(
                (c for fid, _, c in cols.fields.get(case.process.id, []) if fid == key), None
            )
        if col is None:
            return f"{place.register.sheet}!row {place.row.number}"
        return f"{place.register.sheet}!{col_letters(col)}{place.row.number}"

    def refs(self, process: Process) -> dict[str, str]:
        """The id of each case of ``process`` by its OA reference (the first case holding
        a reference, pending cases included), read from the rows without building cases."""
        out: dict[str, str] = {}
        reg = self.layout.register_of(process)
        self._every_row()
        for cid, place in [*self.places.items(), *self._twice]:
            if place.register is not reg:
                continue
            col = place.columns.core["ref"]
            values = place.row.values
            if col is None or col >= len(values):
                continue
            ref = text(values[col])
            if ref and (not reg.shared or self.process_of(place) is process):
                out.setdefault(ref, cid)
        for cid, case in self.pending.items():
            if case.process.id == process.id and case.ref:
                out.setdefault(case.ref, cid)
        return out

    def number_refs(self, process: Process | None = None) -> list[NumberRef]:
        """The cases (of ``process``, or of every process) whose OA reference cell holds a
        number, not text: procdoc writes a reference as text, so a number there is Excel's
        "convert to number" (or a retyped cell), which drops leading zeros and every digit
        past the 15th. An import then no longer finds the case by its key."""
        out: list[NumberRef] = []
        self._every_row()
        for cid, place in [*self.places.items(), *self._twice]:
            reg = place.register
            if process is not None and (
                reg is not self.layout.register_of(process)
                or (reg.shared and self.process_of(place) is not process)
            ):
                continue
            col = place.columns.core["ref"]
            values = place.row.values
            if col is None or col >= len(values):
                continue
            value = values[col]
            if type(value) is int or type(value) is float:
                cell = f"{reg.sheet}!{col_letters(col)}{place.row.number}"
                out.append(NumberRef(cid, value, cell, reg.core["ref"]))
        return out

    def row_values(
        self, process: Process, keys: tuple[str, ...]
    ) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """``(id, values)`` of every case of ``process``, pending ones included: the value
        of each of ``keys`` (field ids or core column ids), read from the rows without
        building cases (a case already built is asked instead, as a command may have
        changed it). A case held twice comes once per row."""
        reg = self.layout.register_of(process)
        where: dict[int, list[int | None]] = {}  # the columns of ``keys``, per sheet
        self._every_row()
        for cid, place in [*self.places.items(), *self._twice]:
            if place.register is not reg or (reg.shared and self.process_of(place) is not process):
                continue
            built = self._built.get(cid)
            if built is not None and cid not in self.duplicates:
                yield cid, _case_values(built, keys)
                continue
            cols = where.get(id(place.columns))
            if cols is None:
                by_field = {fid: col for fid, _, col in place.columns.fields[process.id]}
                core = place.columns.core
                cols = where[id(place.columns)] = [by_field.get(k, core.get(k)) for k in keys]
            values = place.row.values
            yield cid, tuple(_cell(values, col) for col in cols)
        for cid, case in self.pending.items():
            if case.process.id == process.id:
                yield cid, _case_values(case, keys)

    def column_values(self, process: Process, fid: str) -> list[Any]:
        """Every value of field ``fid`` in ``process``'s register (all processes sharing
        the sheet included), read from the rows."""
        reg = self.layout.register_of(process)
        sheet = self.snapshot.sheets.get(reg.sheet)
        if sheet is None:
            return []
        col = sheet.column(reg.field_label(process, fid))
        if col is None:
            return []
        return [row.values[col] for row in sheet.rows if col < len(row.values)]

    # -- history -------------------------------------------------------------------------
    def given_numbers(self, sequence: str) -> list[Any]:
        """Every number 流转记录 says the sequence gave (cancelled cases' included)."""
        sheet = self.history_sheet()
        if sheet is None:
            return []
        cols = _history_columns(sheet)
        word = ACTIONS["number"]
        out = []
        for row in sheet.rows:
            values = row.values
            if _cell(values, cols["action"]) != word:
                continue
            subject = text(_cell(values, cols["subject"]))
            if subject in (sequence, None):
                out.append(_cell(values, cols["new"]) if subject else _cell(values, cols["note"]))
        return out

    def gone_ids(self) -> list[str]:
        """The ids 流转记录 names that no register holds (a row deleted or renumbered by
        hand, a register renamed or deleted), in the order it first names them."""
        held = set(self.ids())
        return [c for c in dict.fromkeys(self.history_ids()) if type(c) is str and c not in held]

    def history_ids(self) -> Sequence[Any]:
        """Every 编号 cell of 流转记录: the ids cases have had, a deleted row's included."""
        sheet = self.history_sheet()
        if sheet is None:
            return []
        col = sheet.column(HISTORY_COLUMNS["case"])
        return [] if col is None else sheet.column_values(col)

    def history_head(self, case_id: Any) -> Sheet | None:
        """流转记录 as far as a write appending ``case_id``'s rows to it needs it, its
        header: the rows picked for a case's history (the sheet's top rows with them) when
        they are all that was read, or picked now for ``case_id`` (a correction reads no
        history), else the whole sheet (:meth:`history_sheet`); None when there is none."""
        if self._history_sheet is None and type(case_id) is str:
            self._picked_history(case_id)
        if self._history_sheet is None and self._picked is not None:
            return self._picked
        return self.history_sheet()

    def history_sheet(self) -> Sheet | None:
        """The 流转记录 sheet, read on first use (most commands never need it)."""
        if self._history_sheet is None and self._load_history is not None:
            self._history_sheet = self._load_history()
            self._load_history = None
        return self._history_sheet

    def history(self, case: Case) -> list[HistoryEntry]:
        """The case's history, oldest first. The first few cases asked for are found by
        scanning 流转记录's id column; after that every row is indexed once. A book given
        ``pick_history`` takes the first case's rows alone from the sheet's XML when the
        read cache does not hold the sheet (a cold `show`: see :mod:`procdoc.ledger.pick`)."""
        if self._history_sheet is None:
            picked = self._picked_history(case.id)
            if picked is not None:
                where = _history_columns(picked)
                if where["case"] is None:
                    return []
                rows = _matches(picked.column_values(where["case"]), case.id)
                return _entries(case, picked, rows, where)
        sheet = self.history_sheet()
        if sheet is None:
            return []
        cols = self._history_cols
        if cols is None:
            cols = self._history_cols = _history_columns(sheet)
        id_col = cols["case"]
        if id_col is None:
            return []
        if self._history_index is None and len(self._history_scans) < _HISTORY_SCANS:
            at = self._history_scans.get(case.id)
            if at is None:
                at = self._history_scans[case.id] = _matches(sheet.column_values(id_col), case.id)
            return _entries(case, sheet, at, cols)
        if self._history_index is None:  # from the id column: a row is taken when asked for
            self._history_index = {}
            for i, raw in enumerate(sheet.column_values(id_col)):
                cid = text(raw)
                if cid:
                    self._history_index.setdefault(cid, []).append(i)
        return _entries(case, sheet, self._history_index.get(case.id, []), cols)

    def _picked_history(self, case_id: str) -> Sheet | None:
        """流转记录's rows that may be ``case_id``'s, picked from its XML (once: the same
        case's again, as a withdrawal asks; a second case's history reads the whole sheet);
        None when they are not (the whole sheet is read: it was in the read cache, the file
        changed since the book was read, or the id cannot be searched)."""
        if self._picked is not None:
            return self._picked if self._picked_for == case_id else None
        pick, self._pick_history = self._pick_history, None
        got = pick(case_id) if pick is not None else None
        if got is None:
            return None
        sheet, whole = got
        if whole:  # from the read cache: every case's rows at hand
            self._history_sheet, self._load_history = sheet, None
            return None
        self._picked, self._picked_for = sheet, case_id
        return sheet


def _history_columns(sheet: Sheet) -> dict[str, int | None]:
    """流转记录's columns by key (:data:`HISTORY_COLUMNS`)."""
    return {key: sheet.column(label) for key, label in HISTORY_COLUMNS.items()}


def _entries(
    case: Case, sheet: Sheet, rows: Sequence[int], cols: Mapping[str, int | None]
) -> list[HistoryEntry]:
    """The history entries of ``case`` in ``rows`` (indexes) of 流转记录, oldest first."""
    return _in_time_order([_entry(case, sheet.row_at(i), cols) for i in rows])


def _in_time_order(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """A case's history oldest first: as procdoc appends it, unless the office sorted
    流转记录 in Excel (newest first, or by 编号 then 时间 descending); then by time, rows of
    one moment in the order they stand (Excel's sort keeps the order of equal rows, and a
    command writes its rows at one moment). A history with a time that cannot be read is
    left in sheet order."""
    times = [e.at for e in entries]
    if None in times or all(a <= b for a, b in itertools.pairwise(times)):  # type: ignore[operator]
        return entries
    return sorted(entries, key=operator.attrgetter("at"))


#: How many cases' histories are found by scanning 流转记录's id column before it is
#: indexed whole (a scan costs a pass over one column; the index a pass over every row).
_HISTORY_SCANS = 4


def _matches(values: Sequence[Any], case_id: str) -> list[int]:
    """The indexes of ``values`` that read as ``case_id`` (as :func:`text` reads an id:
    stripped, ``5.0`` as ``5``), without reading every value as text: the values are
    joined into one string and searched in C; only the values holding ``case_id``
    somewhere are read as text. Every value that reads as ``case_id`` holds it in its
    ``str()`` unless it is a float (``1e+16``), so a column with floats is read value by
    value."""
    out: list[int] = []
    if not case_id or text(case_id) != case_id:  # no cell reads as such an id
        return out
    sep = "\x00"
    joined = None
    if sep not in case_id and float not in set(map(type, values)):
        joined = sep.join(map(str, values))
        if joined.count(sep) != len(values) - 1:  # a value holds the separator
            joined = None
    if joined is None:
        return [i for i, v in enumerate(values) if text(v) == case_id]
    row, last = 0, 0
    at = joined.find(case_id)
    while at >= 0:
        row += joined.count(sep, last, at)
        last = at
        if (not out or out[-1] != row) and text(values[row]) == case_id:
            out.append(row)
        at = joined.find(case_id, at + 1)
    return out


def _held_twice(
    ids: list[tuple[Register, Sheet, _Columns, Sequence[str | None]]], counts: Counter[str | None]
) -> dict[str, list[str]]:
    """The ids held more than once, each with the cells holding it, in the order the
    index of every row gives them (:attr:`Casebook.duplicates`: by each id's second row)."""
    cells: dict[str, list[str]] = {}
    order: list[str] = []
    for reg, sheet, cols, cids in ids:
        for index, cid in enumerate(cids):
            if cid and counts[cid] > 1:
                held = cells.setdefault(cid, [])
                held.append(_id_cell(_Place(reg, sheet, cols, index)))
                if len(held) == 2:
                    order.append(cid)
    return {cid: cells[cid] for cid in order}


def _ids_of(values: Sequence[Any]) -> Sequence[str | None]:
    """:func:`_id_of` of every cell of an id column: the column itself when every cell
    already holds a clean id (told by C loops, not a Python call per cell: 100k ids in a
    few ms instead of 30). A footer's word in the column (合计 under the last case, with
    a formula beside it) is no id: None, as an empty cell (QA: it became a case)."""
    clean = (
        set(map(type, values)) == {str}
        and "" not in values
        and all(map(str.__eq__, map(str.strip, values), values))
    )
    ids: Sequence[str | None] = values if clean else list(map(_id_of, values))
    texts = values if clean else [i for i in ids if i]
    if _FOOTER_HINT.search("\x00".join(texts)) is None:  # (in C: ids are rarely Chinese)
        return ids
    return [None if i and _footer_id(i) else i for i in ids]


_FOOTER_HINT = re.compile(f"[{''.join(sorted(FOOTER_FIRST))}]")
"""Any first character of a footer word: an id column without one holds no footer."""


def _footer(row: Row, cols: _Columns) -> bool:
    """Whether a row without an id is the register's 合计 or 制表人 row: not a case, and
    not a row to take over."""
    from procdoc.importer.table import footer_text

    return footer_text(row.values, cols.core["title"]) is not None


def _footer_id(cid: str) -> bool:
    """Whether an id cell holds a footer's word (合计, 总计, 制表人 ...) rather than an id."""
    return FOOTER.match("".join(cid.split())) is not None


def _id_of(raw: Any) -> str | None:
    """A case id as :func:`text` reads it, without the call for an id already clean."""
    if type(raw) is str and raw and not raw[0].isspace() and not raw[-1].isspace():
        return raw
    return text(raw)


def _id_cell(place: _Place) -> str:
    return f"{place.register.sheet}!{col_letters(place.columns.core['id'] or 0)}{place.row.number}"


def _cell(values: list[Any], col: int | None) -> Any:
    return values[col] if col is not None and col < len(values) else None


def _case_values(case: Case, keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(
        case.fields.get(k) if k in case.process.fields else getattr(case, k, None) for k in keys
    )


#: How a case reads its dated core columns (each raises Unreadable for a cell it cannot
#: read): :func:`_build` and :meth:`Casebook.suspect_rows` both read them through here.
_READS: dict[str, Callable[[Any], Any]] = {
    "closed": as_moment,
    "opened": as_moment,
    "entered": as_moment,
    "due": as_due,
    "case_due": as_due,
    "updated": as_moment,
}


def _step_of(process: Process, raw: Any) -> tuple[str | None, Step | None]:
    """A 当前环节 cell's text and the step of ``process`` it names (None: none; a text
    without a step is a problem of the case)."""
    step_text = text(raw)
    return step_text, process.find_step(step_text) if step_text else None


#: The types of cell every reader of :data:`_READS` takes as it is (never Unreadable).
_READ_AS_IS = frozenset({type(None), date, datetime})

_NUMBERS = frozenset({bool, int, float})


def rows_where(
    values: Sequence[Any], holds: Callable[[Any], bool], skip: frozenset[type] = frozenset()
) -> Iterator[int]:
    """The indexes (in order) of the cells in ``values`` (a column) for which ``holds`` is
    true, asked once per distinct value; not asked, and false, for a value whose type is in
    ``skip``. Values are told apart by type too (1, 1.0 and True are equal but do not read
    alike), by value alone when the column holds at most one kind of number (then no two
    of its values of different types are equal)."""
    types = set(map(type, values))
    if len(types & _NUMBERS) <= 1:
        keys: Sequence[Any] = values
        found = {v for v in dict.fromkeys(values) if type(v) not in skip and holds(v)}
    else:
        keys = list(zip(map(type, values), values, strict=True))
        found = {k for k in dict.fromkeys(keys) if k[0] not in skip and holds(k[1])}
    if not found:
        return iter(())
    return itertools.compress(range(len(values)), map(found.__contains__, keys))


def _bad_status_cell(raw: Any) -> bool:
    return _bad_status(text(raw))


def _unreadable(read: Callable[[Any], Any], raw: Any) -> bool:
    try:
        read(raw)
    except Unreadable:
        return True
    return False


def _unknown_step(process: Process, raw: Any) -> bool:
    step_text, step = _step_of(process, raw)
    return bool(step_text) and step is None


def _bad_status(status_text: str | None) -> bool:
    """Whether a 状态 cell's text is a problem of the case: something not a status."""
    return status_text is not None and status_text not in STATUS_IDS


#: The core cells :func:`_build` reads, in the order :attr:`_Columns.take` hands them out.
_TAKEN = (
    "step",
    "status",
    "title",
    "assignee",
    "source",
    "ref",
    "closed",
    "opened",
    "entered",
    "due",
    "case_due",
    "updated",
)


def _build(case_id: str, process: Process, place: _Place, ledger: str) -> Case:
    """A case from its row; cells that cannot be read become problems on it.

    The cells a case is made of are taken in one call (:attr:`_Columns.take`), and the
    usual ones (text, an empty cell, a date in a date column) are read in line: a list of
    every case builds 10,000 of them. Anything else goes through the readers of
    :data:`_READS` and :func:`read_field`, which say what is wrong with a cell."""
    cols, row = place.columns, place.row
    values = row.values
    # padded to the last column read, and one empty cell more: a column the register
    # lacks is taken from index -1
    values = values + [None] * (max(cols.top + 1 - len(values), 0) + 1)
    problems: list[str] = []
    unread: set[str] = set()
    (step_raw, status_raw, title, assignee, source, ref, closed_raw, *dated) = cols.take(values)
    step_text = step_raw.strip() or None if type(step_raw) is str else text(step_raw)
    step = process.find_step(step_text) if step_text else None
    if step_text and step is None:
        unread.add("step")
        problems.append(_unknown_step_problem(process, place, ledger, step_text))
    closed_at = _dated("closed", closed_raw, place, ledger, problems, unread)
    status_text = status_raw.strip() or None if type(status_raw) is str else text(status_raw)
    status: Status
    if status_text in STATUS_IDS:
        status = STATUS_IDS[status_text]  # type: ignore[assignment]
    else:
        if _bad_status(status_text):
            reg = place.register
            problems.append(
                _(
                    "{ledger} {sheet}!{col_letters}{number}: '{status_text}' is not a status ({values}); fix the cell"
                ).format(
                    ledger=ledger,
                    sheet=reg.sheet,
                    col_letters=col_letters(cols.core["status"] or 0),
                    number=row.number,
                    status_text=status_text,
                    values="/".join(STATUS_WORDS.values()),
                )
            )
        status = "closed" if closed_at is not None or (step is not None and step.final) else "open"
    fields: dict[str, Any] = {}
    for fid, fdef, col in cols.fields[process.id]:
        raw = None if col is None else values[col]
        if raw is None:
            fields[fid] = None
            continue
        try:
            fields[fid] = read_field(fdef, raw)
        except Unreadable as err:
            fields[fid] = raw
            unread.add(fid)
            problems.append(
                _(
                    "{ledger} {sheet}!{col_letters}{number}: {err} ({field_label}); fix the cell"
                ).format(
                    ledger=ledger,
                    sheet=place.register.sheet,
                    col_letters=col_letters(col or 0),
                    number=row.number,
                    err=err,
                    field_label=place.register.field_label(process, fid),
                )
            )
    opened, entered, due, case_due, updated = dated
    opened = _dated("opened", opened, place, ledger, problems, unread)
    entered = _dated("entered", entered, place, ledger, problems, unread)
    due = _in_hours(
        _dated("due", due, place, ledger, problems, unread), step.deadline if step else None
    )
    case_due = _in_hours(
        _dated("case_due", case_due, place, ledger, problems, unread), process.deadline
    )
    updated = _dated("updated", updated, place, ledger, problems, unread)
    return Case(
        id=case_id,
        process=process,
        step=step,
        title=(title.strip() if type(title) is str else text(title)) or "",
        status=status,
        assignee=assignee.strip() or None if type(assignee) is str else text(assignee),
        opened=opened,
        entered=entered,
        due=due,
        case_due=case_due,
        closed=closed_at,
        source=source.strip() or None if type(source) is str else text(source),
        ref=ref.strip() or None if type(ref) is str else text(ref),
        updated=updated,
        fields=fields,
        sheet=place.register.sheet,
        row=row.number,
        step_text=step_text if step is None else None,
        problems=problems,
        unread=unread,
    )


def _in_hours(due: Any, rule: DeadlineRule | None) -> Any:
    """A deadline cell read as a day (``due``) that is a deadline in hours (``rule``'s):
    one that fell at 00:00, which a cell cannot tell from a day (Excel keeps both as a
    number, calamine gives a date). It is that moment, not the end of that day (QA: a 2h
    deadline of 22:00 was not late until the next midnight)."""
    if type(due) is date and rule is not None and rule.duration.unit == "h":
        return datetime.combine(due, time())
    return due


#: The type each dated core cell holds as read already (a due date is a date; a moment,
#: a datetime): such a cell is taken as it is.
_READY = {key: date if key in ("due", "case_due") else datetime for key in _READS}


def _dated(
    key: str, raw: Any, place: _Place, ledger: str, problems: list[str], unread: set[str]
) -> Any:
    """A dated core cell read by its reader of :data:`_READS` (one already of its type, or
    empty, as it is); None, with a problem on the case, when it cannot be read."""
    if raw is None or type(raw) is _READY[key]:
        return raw
    try:
        return _READS[key](raw)
    except Unreadable as err:
        reg, col = place.register, place.columns.core[key]
        unread.add(key)
        problems.append(
            _("{ledger} {sheet}!{col_letters}{number}: {err} ({core}); fix the cell").format(
                ledger=ledger,
                sheet=reg.sheet,
                col_letters=col_letters(col or 0),
                number=place.row.number,
                err=err,
                core=reg.core[key],
            )
        )
        return None


def _unknown_step_problem(process: Process, place: _Place, ledger: str, step_text: str) -> str:
    reg = place.register
    return _(
        "{ledger} {sheet}!{col_letters}{number}: '{step_text}' is not a step of {name} ({core}); steps: {items}"
    ).format(
        ledger=ledger,
        sheet=reg.sheet,
        col_letters=col_letters(place.columns.core["step"] or 0),
        number=place.row.number,
        step_text=step_text,
        name=process.name,
        core=reg.core["step"],
        items="、".join(s.name for s in process.steps),
    )


def _entry(case: Case, row: Row, cols: Mapping[str, int | None]) -> HistoryEntry:
    values = row.values

    def step_id(value: Any) -> str | None:
        name = text(value)
        found = case.process.find_step(name) if name else None
        return found.id if found else name

    action_text = text(_cell(values, cols["action"])) or ""
    try:
        at = as_moment(_cell(values, cols["at"]))
    except Unreadable:
        at = None
    entry = HistoryEntry(
        case=case.id,
        at=at,
        action=ACTION_IDS.get(action_text, action_text),
        from_step=step_id(_cell(values, cols["from"])),
        to_step=step_id(_cell(values, cols["to"])),
        by=text(_cell(values, cols["by"])),
        note=text(_cell(values, cols["note"])),
        subject=text(_cell(values, cols["subject"])),
        old=_cell(values, cols["old"]),
        new=_cell(values, cols["new"]),
        row=row.number,
    )
    if entry.subject is None and entry.note:
        _legacy(entry)
    return entry


def _legacy(entry: HistoryEntry) -> None:
    """Rows written by procdoc 0.1 kept what an event was about in 意见 alone; their
    subject is taken from there (rows written since have it in 项目/原值/新值)."""
    note = entry.note or ""
    if entry.action == "extend":
        amount = note.split("：", 1)[0].strip()
        if amount:
            entry.subject = amount
    elif entry.action == "render":
        entry.subject = note.split(" ", 1)[0] or None
    elif entry.action == "number":
        entry.new = note


# -- writing ---------------------------------------------------------------------------------


class Change:
    """What one command does to the ledger: new rows, changed cells and history rows."""

    def __init__(self, book: Casebook) -> None:
        self.book = book
        self.layout = book.layout
        self.updates: dict[tuple[str, int], dict[str, Any]] = {}  # (sheet, row) -> label -> value
        self.new_rows: dict[str, list[dict[str, Any]]] = {}  # sheet -> rows
        self._new_index: dict[str, tuple[str, int]] = {}  # case id -> (sheet, index)
        self.history: list[dict[str, Any]] = []

    def add_case(self, case: Case) -> None:
        """A new row for ``case``; calling it again for the same case rewrites that row."""
        if not case.id:
            raise CaseError(_("a case without an id cannot be written"))  # pragma: no cover
        reg = self.layout.register_of(case.process)
        cells = case_cells(case, reg)
        if case.id in self._new_index:
            sheet, i = self._new_index[case.id]
            number = self.new_rows[sheet][i].get(reg.number_column or "")
            if reg.number_column:
                cells[reg.number_column] = number
            self.new_rows[sheet][i] = cells
            return
        rows = self.new_rows.setdefault(reg.sheet, [])
        if reg.number_column:
            self.book.numbers[reg.sheet] = self.book.numbers.get(reg.sheet, 0) + 1
            cells[reg.number_column] = self.book.numbers[reg.sheet]
        self._new_index[case.id] = (reg.sheet, len(rows))
        rows.append(cells)

    def claim(self, case: Case) -> None:
        """Write every procdoc-owned core cell of ``case`` into its existing row (a row of
        a hand-kept register taken over): the office's own values stay as they are."""
        assert case.sheet is not None and case.row is not None
        reg = self.layout.register_of(case.process)
        cells = case_cells(case, reg)
        owned = {
            reg.core[k]
            for k in ("id", "step", "status", "entered", "due", "case_due", "closed", "updated")
        }
        self.updates.setdefault((case.sheet, case.row), {}).update(
            {label: value for label, value in cells.items() if label in owned}
        )

    def update_case(self, before: Case, after: Case) -> None:
        """Record the cells of ``after`` that differ from ``before``."""
        if after.row is None or after.sheet is None:
            self.add_case(after)
            return
        reg = self.layout.register_of(after.process)
        old, new = case_cells(before, reg), case_cells(after, reg)
        changed = {k: v for k, v in new.items() if old.get(k) is not v and not same(old.get(k), v)}
        if changed:
            self.updates.setdefault((after.sheet, after.row), {}).update(changed)

    def record(
        self,
        case_id: str | None,
        at: datetime,
        action: str,
        *,
        from_step: Step | None = None,
        to_step: Step | None = None,
        by: str | None = None,
        note: str | None = None,
        subject: str | None = None,
        old: Any = None,
        new: Any = None,
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
            h["subject"]: subject,
            h["old"]: cell_for(old),
            h["new"]: cell_for(new),
        })  # fmt: skip

    def pending_history(self, case_id: str) -> list[HistoryEntry]:
        """The history rows this change has recorded for ``case_id`` so far."""
        h = HISTORY_COLUMNS
        return [
            HistoryEntry(
                case=case_id,
                at=r[h["at"]],
                action=ACTION_IDS[r[h["action"]]],
                from_step=r[h["from"]],
                to_step=r[h["to"]],
                by=r[h["by"]],
                note=r[h["note"]],
                subject=r[h["subject"]],
                old=r[h["old"]],
                new=r[h["new"]],
            )
            for r in self.history
            if r[h["case"]] == case_id
        ]

    def pending_numbers(self, sequence: str) -> list[Any]:
        """The numbers this change has given from ``sequence`` so far."""
        h = HISTORY_COLUMNS
        return [
            r[h["new"]]
            for r in self.history
            if r[h["action"]] == ACTIONS["number"] and r[h["subject"]] == sequence
        ]

    def is_empty(self) -> bool:
        return not (self.updates or self.new_rows or self.history)

    def batch(self) -> Batch:
        from procdoc.ledger import Batch

        batch = Batch()
        sheets = {s for s, _ in self.updates} | set(self.new_rows)
        for name in self.layout.sheets():
            if name not in sheets:
                continue
            if name in self.book.blocked:
                raise self.book.blocked[name]
            reg = self.layout.registers[name]
            changes = batch.sheet(name)
            existing = self.book.snapshot.sheets.get(name)
            # procdoc's own columns are added when missing; a field's column only when a
            # value needs it (a hand-kept register is not filled with empty columns)
            changes.header = [c.label for c in reg.columns() if existing is None or not c.field_id]
            keep = _keep(existing)
            for (sheet, row), values in self.updates.items():
                if sheet == name:
                    changes.set[row] = {k: cell_for(v) for k, v in values.items() if keep(k, v)}
            changes.append = [
                {k: cell_for(v) for k, v in values.items() if keep(k, v)}
                for values in self.new_rows.get(name, [])
            ]
            if changes.append and existing is not None:
                _warn_below_footer(existing, reg)
            if changes.append and existing is None:
                self._refuse_lost_register(reg)
            _describe_sheet(changes, reg, existing, self._written_on())
        if self.history:
            hist = batch.sheet(HISTORY_SHEET)
            hist.header = list(HISTORY_COLUMNS.values())
            hist.append = self.history
            # (not read whole for its header: a write costs what it writes)
            history_sheet = self.book.history_head(self.history[0][HISTORY_COLUMNS["case"]])
            if history_sheet is None:
                self._refuse_lost_history()
            _describe_history(hist, history_sheet)
        return batch

    def _refuse_lost_register(self, reg: Register) -> None:
        """A register about to be created while 流转记录 names cases of its process that
        no sheet holds was renamed or deleted by hand: creating it again would register
        the same exports a second time, under new ids (QA: 28 cases twice, and `check`
        clean)."""
        from procdoc.engine import pattern_regex

        patterns = [pattern_regex(p.case_id, None) for p in reg.processes]
        gone = [c for c in self.book.gone_ids() if any(r.match(c) for r in patterns)]
        if gone:
            raise LedgerError(
                ngettext(
                    "{ledger}: the register sheet {sheet} is missing, but {history} records {n} case of it that no sheet holds ({id})",
                    "{ledger}: the register sheet {sheet} is missing, but {history} records {n} cases of it that no sheet holds (first {id})",
                    len(gone),
                ).format(
                    ledger=self.book.name,
                    sheet=reg.sheet,
                    history=HISTORY_SHEET,
                    n=len(gone),
                    id=gone[0],
                ),
                hint=_(
                    "was it renamed or deleted? rename it back to {sheet}, or name its sheet under registers: in procdoc.yaml; nothing was written"
                ).format(sheet=reg.sheet),
            )

    def _refuse_lost_history(self) -> None:
        """A ledger whose registers hold cases procdoc numbered but has no 流转记录 lost
        it (deleted or renamed by hand): starting it again empty would drop every case's
        history and, with it, what the office corrected (an import would put back the
        export's values over them). Taking over a hand-kept register starts it (adopt)."""
        if any(r[HISTORY_COLUMNS["action"]] == ACTIONS["adopt"] for r in self.history):
            return
        held = [
            value
            for _reg, sheet, cols in self.book._registers
            if cols.core["id"] is not None
            for value in sheet.column_values(cols.core["id"])
            if value not in (None, "")
        ]
        if held:
            raise LedgerError(
                ngettext(
                    "{ledger} has no {history} sheet, but its registers hold {n} case ({id}): the history was deleted or renamed, and this write would start it again empty",
                    "{ledger} has no {history} sheet, but its registers hold {n} cases (first {id}): the history was deleted or renamed, and this write would start it again empty",
                    len(held),
                ).format(ledger=self.book.name, history=HISTORY_SHEET, n=len(held), id=held[0]),
                hint=_(
                    "rename the sheet back to {history}, or restore the ledger from .procdoc/backups/; nothing was written"
                ).format(history=HISTORY_SHEET),
            )

    def _written_on(self) -> date:
        """The day this change happens (its history's latest moment, which is the
        workspace's wall clock or the --at the user gave): a new register's title year."""
        moments = [r[HISTORY_COLUMNS["at"]] for r in self.history]
        latest = max((m for m in moments if isinstance(m, datetime)), default=None)
        return latest.date() if latest is not None else date.today()


def _warn_below_footer(sheet: Sheet, reg: Register) -> None:
    """Say so when new rows go below the 合计 or 制表人 row a hand-kept register ends
    with: procdoc appends below the last row and does not move the office's rows (nor
    their formulas), so the total is the office's to move down."""
    from procdoc.importer.table import footer_text

    last = sheet.rows[-1] if sheet.rows else None
    if last is None:
        return
    words = footer_text(last.values, sheet.column(reg.core["title"]))
    if words is None:
        return
    warnings.warn(
        _(
            "{sheet}: the new rows go below its row {number} ({words}): procdoc does not move the office's rows; move that row to the end in Excel or WPS"
        ).format(sheet=sheet.name, number=last.number, words=words),
        ProcdocWarning,
        stacklevel=2,
    )


def _keep(sheet: Sheet | None) -> Callable[[str, Any], bool]:
    """Which cells to write: all in a sheet procdoc creates; in an existing one, none that
    would add a column just to hold nothing."""
    if sheet is None:
        return lambda _label, _value: True
    present = {label_key(h) for h in sheet.header}
    return lambda label, value: value is not None or label_key(label) in present


def case_cells(case: Case, reg: Register) -> dict[str, Any]:
    """Every procdoc-owned cell of ``case`` in its register, by header label."""
    labels = reg.core
    values: dict[str, Any] = {
        labels["id"]: case.id,
        labels["title"]: case.title,
        labels["step"]: case.step.name if case.step else case.step_text,
        labels["status"]: STATUS_WORDS[case.status],
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
    if reg.shared:
        values[labels["process"]] = case.process.name
    for fdef, label in reg.field_columns(case.process):
        values[label] = case.fields.get(fdef.id)
    return values


def _describe_sheet(changes: SheetChanges, reg: Register, sheet: Sheet | None, on: date) -> None:
    """Where the register's header is, and how to lay the sheet out when it is new."""
    if sheet is not None:
        changes.header_row = header_row(sheet)
        return
    spec = new_sheet_spec(reg.columns(), title=reg.sheet_title(on), header_at=reg.header_row)
    changes.create = spec
    changes.header_row = spec.header_row


def _describe_history(changes: SheetChanges, sheet: Sheet | None) -> None:
    if sheet is not None:
        changes.header_row = header_row(sheet)
        return
    columns = [
        Column(key, label, HISTORY_KINDS.get(key, "text")) for key, label in HISTORY_COLUMNS.items()
    ]
    spec = new_sheet_spec(columns, title=None, wrap=False)
    # 意见 (a reason, a correction's note, a document's file) wide and wrapped: it was cut
    # off at 14 characters wherever 项目 beside it was filled (QA, on paper)
    wide = {
        HISTORY_COLUMNS["note"]: 40.0,
        HISTORY_COLUMNS["by"]: 18.0,
        HISTORY_COLUMNS["old"]: 18.0,
        HISTORY_COLUMNS["new"]: 18.0,
    }
    changes.create = dataclasses.replace(
        spec,
        columns=tuple(
            dataclasses.replace(c, width=wide[c.label], wrap=c.label == HISTORY_COLUMNS["note"])
            if c.label in wide
            else c
            for c in spec.columns
        ),
    )


def new_sheet_spec(
    columns: list[Column], *, title: str | None, header_at: int | None = None, wrap: bool = True
) -> NewSheet:
    """How the ledger store lays out a register it creates, ready to print: the register's
    columns with their kinds (a yes/no field is a text column), the merged title row, and
    the header in the register's `header_row` when it sets one. With ``wrap`` its text
    columns wrap (a long 标题 prints whole, its row made taller)."""
    kinds: dict[str, ColumnKind] = {
        "text": "text", "bool": "text", "number": "number", "date": "date",
        "datetime": "datetime", "choice": "choice",
    }  # fmt: skip
    return NewSheet(
        columns=tuple(
            ColumnSpec(
                c.label,
                kinds.get(c.kind, "text"),
                choices=c.choices,
                width=_TITLE_WIDTH if c.key == "title" else None,
                number_format=MONEY_FORMAT if c.kind == "number" and is_money(c.label) else None,
                wrap=wrap and kinds.get(c.kind, "text") == "text" and c.key not in _UNWRAPPED,
                folded=c.key in _FOLDED,
            )
            for c in columns
        ),
        title=title,
        header_at=header_at,
    )


#: How a register procdoc creates shows an amount: 2,130.40.
MONEY_FORMAT = "#,##0.00"


def is_money(label: str) -> bool:
    """Whether a number field holds an amount of money, by its label (金额, 报销金额,
    总金额（元）, 费用, 预算): the office's word for it, as no field type says so."""
    money = any(word in label for word in ("金额", "费用", "预算", "（元）", "(元)", "万元"))
    # 预算年度, 费用笔数: a year or a count beside the word
    return money and not any(word in label for word in ("年度", "年份", "笔数", "次数", "件数"))


#: A title column holds about 18 Chinese characters on a line.
_TITLE_WIDTH = 38.0
#: procdoc's bookkeeping columns in a register it creates: grouped and folded (Excel's
#: outline ``+`` shows them), so the register prints the columns an office reads.
_FOLDED = frozenset({"entered", "source", "ref", "updated"})
#: Text columns of a register that never wrap: the id (one line, read as one word) and
#: the folded bookkeeping.
_UNWRAPPED = _FOLDED | {"id"}
