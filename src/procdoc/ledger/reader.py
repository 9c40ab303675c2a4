"""Reading the ledger with python-calamine into compact rows."""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.errors import LedgerError
from procdoc.i18n import _
from procdoc.ledger.baddates import is_calamine_panic, no_date_message, quiet_panics
from procdoc.ledger.cache import CachedSheet, Packer, SheetCache, ZipIndex, packed_sheet
from procdoc.ledger.cells import label_key, label_of, normalise_read
from procdoc.ledger.model import (
    HEADER_SEARCH_ROWS,
    CellValue,
    Fingerprint,
    HeaderSpec,
    Row,
    Sheet,
    Snapshot,
)
from procdoc.ledger.sheets import sheet_members
from procdoc.ledger.split import SplitFailed, SplitSheet, split_sheet, worth_a_look

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

    Parsed = CalamineSheet | SplitSheet
    """A sheet calamine parsed, whole or in parts."""

_READ_ATTEMPTS = 3

SIDE_BY_SIDE_BYTES = 6 << 20
"""The largest ledger (.xlsx bytes) whose sheets are parsed side by side, and read ahead of
an import (see :class:`_ParseAhead`, :class:`ReadAhead`): about 30,000 cases of 30 columns.
Each sheet calamine has parsed is held whole until its values are made, so two at once
cost memory: a 100,000-case register and its 流转记录 side by side took the peak of a
cold `advance` from 285 to 355 MB. A larger ledger is parsed one sheet at a time by a
write; a read alone (``show``, cold) parses side by side whatever the size: at 100,000
cases a cold `show` takes 3.1 s instead of 4.3 s, its peak 375 MB instead of 289 MB."""


def side_by_side(path: Path) -> bool:
    """Whether the ledger at ``path`` is small enough to parse sheets side by side."""
    try:
        return os.stat(path).st_size <= SIDE_BY_SIDE_BYTES
    except OSError:
        return False


MEMO_LIMIT = 1 << 16
"""The most distinct values the reader's memo keeps (see :class:`_Memo`)."""


class _Memo(dict[object, CellValue]):
    """Normalises calamine values and shares one object per distinct value.

    calamine hands out a new ``str`` for every cell, so a 100k-row ledger whose status,
    step and assignee columns repeat a handful of words would otherwise hold millions of
    copies. Lookups that hit run in C (``map(memo.__getitem__, row)``); only a value seen
    for the first time reaches Python. The memo stops growing at :data:`MEMO_LIMIT`
    entries (dates excepted: there is one per day): the repeating values are met in the
    first rows, and remembering every unique title and id as well would cost more memory
    than it saves. Values equal to 0 or 1 are
    not stored: ``True``, ``1`` and ``1.0`` are equal dict keys but must keep their types.
    """

    def __missing__(self, key: Any) -> CellValue:
        kind = type(key)
        if kind is str or kind is datetime:  # read as they are (most cells met once)
            if len(self) < MEMO_LIMIT:
                self[key] = key
            return key  # type: ignore[no-any-return]
        # plain dates are few (one per day) and often repeated: always shared
        full = len(self) >= MEMO_LIMIT and kind is not date
        value = normalise_read(key)
        if not (full or key == 0 or key == 1):
            self[key] = value
        return value


def fingerprint(path: Path) -> Fingerprint:
    """``(size, mtime_ns, sha256)`` of a file."""
    return fingerprint_of(path)[0]


def fingerprint_of(path: Path) -> tuple[Fingerprint, os.stat_result]:
    """:func:`fingerprint`, and the status of the file that was hashed."""
    import hashlib  # here: only writes hash the ledger, and OpenSSL takes 4-9 ms to load

    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        digest = hashlib.sha256()
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return (st.st_size, st.st_mtime_ns, digest.hexdigest()), st


def _stat_print(path: Path) -> Fingerprint:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, "")


def unreadable(display: str, detail: str) -> LedgerError:
    return LedgerError(
        _(
            "{display} is not a readable .xlsx workbook ({detail}): restore it from .procdoc/backups/ or fix it in Excel"
        ).format(display=display, detail=detail)
    )


def _check_magic(path: Path, display: str) -> None:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise unreadable(display, _("it is password-protected or an old .xls file"))
    if not head:
        raise unreadable(display, _("the file is empty"))
    raise unreadable(display, _("it is not a zip archive"))


SheetSpecs = Mapping[str, HeaderSpec | None]
"""Sheets to read, each with where its header is (None: row 1)."""


def sheet_specs(sheets: Sequence[str] | SheetSpecs) -> SheetSpecs:
    """The sheets a caller names (a list of names: headers in row 1) as :data:`SheetSpecs`."""
    if isinstance(sheets, Mapping):
        return sheets
    return dict.fromkeys([sheets] if isinstance(sheets, str) else sheets)


def read_snapshot(
    path: Path,
    names: SheetSpecs,
    *,
    display: str,
    cache: SheetCache | None = None,
    hashed: bool = True,
    ahead: ReadAhead | None = None,
) -> Snapshot:
    """Read the sheets ``names`` (those present) of the workbook at ``path``; with
    ``cache``, sheets whose cached entry still holds are taken from it (see
    :mod:`procdoc.ledger.cache`) and the others read by calamine are kept there.

    The snapshot's fingerprint holds the file's SHA-256 only when ``hashed``: a write
    needs it to know the file is still the one it read; a read only needs the size and
    mtime to know the file did not change while it was read (its digest is then "", which
    matches no file, so a write from such a snapshot would refuse rather than trust it).

    ``ahead``: what a :class:`ReadAhead` of these sheets found, used where it still holds."""
    for _unused in range(_READ_ATTEMPTS):
        try:
            before = fingerprint(path) if hashed else _stat_print(path)
        except FileNotFoundError:
            return Snapshot(path=path, exists=False, sheets={}, fingerprint=None)
        except OSError as exc:
            raise LedgerError(
                _("{display} cannot be read ({strerror})").format(
                    display=display, strerror=exc.strerror
                )
            ) from exc
        _check_magic(path, display)
        # a read alone parses its sheets side by side whatever the ledger's size (a write
        # holds to SIDE_BY_SIDE_BYTES: its peak memory is what an office PC has to spare)
        sheets, parsed = _read_cached(path, names, display, cache, ahead, together=not hashed)
        ahead = None  # a second attempt reads it all again (the file changed meanwhile)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if (st.st_size, st.st_mtime_ns) == before[:2]:
            return Snapshot(
                path=path, exists=True, sheets=sheets, fingerprint=before, parsed=parsed
            )
    raise LedgerError(
        _("{display} kept changing while procdoc read it; try again").format(display=display)
    )


def _read_cached(
    path: Path,
    names: SheetSpecs,
    display: str,
    cache: SheetCache | None,
    ahead: ReadAhead | None = None,
    *,
    together: bool = False,
) -> tuple[dict[str, Sheet], frozenset[str]]:
    """:func:`_read_sheets` through ``cache``: entries whose key still holds are used,
    the other sheets are read by calamine and stored, but only when the zip's directory
    is the same after that read as before it (so an entry never pairs one version's key
    with another's cells). The names of the workbook's worksheets are kept too, so that a
    sheet the workbook does not have (a register no case has been filed in yet) does not
    send every read to calamine to find it missing. Without ``cache``, every sheet is read
    by calamine (but for what ``ahead`` parsed of this version). ``together``: see
    :func:`_read_sheets`. With the sheets, the names of those calamine parsed."""
    index = ZipIndex.read(path) if cache is not None or ahead is not None else None
    loaded, parsed = ahead.take(index, names) if ahead is not None else ({}, {})
    if cache is None or index is None:
        read = _read_sheets(path, names, display, parsed, together=together)[0]
        return read, frozenset(read)
    found: dict[str, Sheet] = {}
    for name, spec in names.items():
        sheet = loaded[name] if name in loaded else cache.load(index, name, spec)
        if sheet is not None:
            found[name] = sheet
    there = cache.load_worksheets(index)
    missing = {
        name: spec
        for name, spec in names.items()
        if name not in found and (there is None or name in there)
    }
    if missing:
        read, worksheets = _read_sheets(
            path, missing, display, parsed, _read_sheet_packed, together=together
        )
        if ZipIndex.read(path) == index:
            cache.store_worksheets(index, worksheets)
            members = sheet_members(path)
            for name, sheet in read.items():
                member = members.get(name)
                if member is not None:
                    cache.store(index, sheet, missing[name], member)
        for sheet in read.values():
            if isinstance(sheet, CachedSheet):
                sheet.packed = None  # stored or not, no longer needed
        found.update(read)
    return {name: found[name] for name in names if name in found}, frozenset(missing)


def _read_sheets(
    path: Path,
    names: SheetSpecs,
    display: str,
    parsed: Mapping[str, CalamineSheet] | None = None,
    make: Callable[[Parsed, str, HeaderSpec | None], Sheet] | None = None,
    *,
    together: bool = False,
) -> tuple[dict[str, Sheet], list[str]]:
    """The sheets of ``names`` the workbook has, and the names of all its worksheets.
    ``parsed``: sheets calamine already parsed from this version of the file; ``make``:
    how a parsed sheet becomes a :class:`Sheet` (:func:`_read_sheet` unless given).
    ``together``: two sheets or more are parsed side by side whatever the ledger's size
    (else only up to :data:`SIDE_BY_SIDE_BYTES`)."""
    make = make or _read_sheet
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except CalamineError as exc:
        raise unreadable(display, f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise LedgerError(
            _("{display} cannot be read ({strerror})").format(
                display=display, strerror=exc.strerror
            )
        ) from exc
    with wb:
        kinds = {m.name: m.typ for m in wb.sheets_metadata}
        wanted = [name for name in names if kinds.get(name) == SheetTypeEnum.WorkSheet]
        out: dict[str, Sheet] = {}
        parsed = dict(parsed or {})
        with quiet_panics():
            # Two sheets or more to parse: a thread parses the first (a register, the
            # largest as a rule) while this one parses the others and makes their values,
            # then makes the first's (see _ParseAhead)
            rest = [name for name in wanted if name not in parsed]
            split = _split(path, rest)
            rest = [name for name in rest if name not in split]
            first = rest[:1] if len(rest) > 1 and (together or side_by_side(path)) else []
            ahead = _ParseAhead(path, first)
            try:
                for name in [*(n for n in wanted if n not in first), *first]:
                    try:
                        sheet: Parsed | None = parsed.pop(name, None)
                        if sheet is None:
                            sheet = split.pop(name, None)
                        if sheet is None:
                            sheet = ahead.sheet(name)
                        if sheet is None:
                            sheet = wb.get_sheet_by_name(name)
                        try:
                            out[name] = make(sheet, name, names[name])
                        except SplitFailed:  # parse it whole, as always
                            out[name] = make(wb.get_sheet_by_name(name), name, names[name])
                        finally:  # whatever was raised: no thread or open file left
                            if isinstance(sheet, SplitSheet):
                                sheet.close()
                    except CalamineError as exc:
                        raise unreadable(display, f"sheet {name}: {exc}") from None
                    except BaseException as exc:
                        if not is_calamine_panic(exc):
                            raise
                        raise LedgerError(
                            no_date_message(path, display, name, export=False)
                        ) from None
            finally:
                ahead.close()
                for left in split.values():
                    left.close()
    out = {name: out[name] for name in wanted}
    return out, [name for name, kind in kinds.items() if kind == SheetTypeEnum.WorkSheet]


def _split(path: Path, names: list[str]) -> dict[str, SplitSheet]:
    """The sheets among ``names`` large enough to be parsed in parts, their parts being
    parsed (see :mod:`procdoc.ledger.split`)."""
    if not worth_a_look(str(path)):
        return {}
    members = sheet_members(path)
    found: dict[str, SplitSheet] = {}
    for name in names:
        member = members.get(name)
        sheet = split_sheet(str(path), member, name) if member is not None else None
        if sheet is not None:
            for before in found.values():  # read in this order: parse the next one ahead
                before.after = before.after or sheet
            found[name] = sheet
    return found


def _parse(path: Path, names: Iterable[str], into: dict[str, CalamineSheet]) -> None:
    """Have calamine parse the worksheets among ``names`` of the workbook at ``path`` into
    ``into``, in a workbook opened for this (the thread's own)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    with CalamineWorkbook.from_path(str(path)) as wb:
        kinds = {m.name: m.typ for m in wb.sheets_metadata}
        for name in names:
            if kinds.get(name) == SheetTypeEnum.WorkSheet:
                into[name] = wb.get_sheet_by_name(name)


class _ParseAhead:
    """calamine parses ``names`` of the workbook at ``path`` in a thread of its own, while
    the caller parses and reads the other sheets (:func:`_read_sheets` gives it the
    register, and reads 流转记录 meanwhile): the parse is Rust that lets go of the GIL.
    Only the parse runs there; the values become Python objects in the caller's thread. A sheet
    the thread could not parse (the workbook would not open, a panic, a calamine error) is
    parsed again by the caller, which then meets the same error where it always did."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self.parsed: dict[str, CalamineSheet] = {}
        self.names = set(names)
        self.thread: threading.Thread | None = None
        if names:
            self.thread = threading.Thread(target=self._run, args=(path, names), daemon=True)
            self.thread.start()

    def _run(self, path: Path, names: list[str]) -> None:
        with contextlib.suppress(BaseException):
            _parse(path, names, self.parsed)

    def sheet(self, name: str) -> CalamineSheet | None:
        """The parsed sheet ``name`` (waiting for it), or None: parse it yourself."""
        if self.thread is not None and name in self.names and name not in self.parsed:
            self.thread.join()
        return self.parsed.pop(name, None)

    def close(self) -> None:
        if self.thread is not None:
            self.thread.join()
        self.parsed.clear()


_NO_SPEC = object()  # (a sheet a read ahead did not read)


class ReadAhead:
    """A read of ``names`` begun ahead of time, in a thread of its own, while the caller
    does something else first (an import reads its export and checks its rows, 0.3 s at
    10k rows, before it takes the lock and reads the ledger). The thread loads the sheets
    the read cache holds for this version of the file and has calamine parse the others
    (Rust that lets go of the GIL); making Python values of what calamine parsed, keeping
    it in the cache, and every message, happen in the read that takes what this found
    (:func:`read_snapshot`), where they always did.

    What it found is used only for the version of the file it read: the zip's directory
    (every member's CRC-32 and sizes, as the cache is keyed) the same before and after the
    thread's work and when it is taken; each sheet once, by a read looking for the same
    header (a write reads its registers first and 流转记录 later, only if it appends to
    it). Anything that went wrong here is dropped: the read then does that part itself, and
    meets the error where it always did."""

    def __init__(self, path: Path, names: SheetSpecs, cache: SheetCache | None) -> None:
        self.names = dict(names)
        self.index: ZipIndex | None = None
        self.loaded: dict[str, Sheet] = {}
        self.parsed: dict[str, CalamineSheet] = {}
        self.thread = threading.Thread(target=self._run, args=(path, cache), daemon=True)
        self.thread.start()

    def _run(self, path: Path, cache: SheetCache | None) -> None:
        with contextlib.suppress(BaseException):
            index = ZipIndex.read(path)
            if index is None:
                return
            for name, spec in self.names.items():
                sheet = cache.load(index, name, spec) if cache is not None else None
                if sheet is not None:
                    self.loaded[name] = sheet
            rest = [name for name in self.names if name not in self.loaded]
            if rest:
                _parse(path, rest, self.parsed)
            if ZipIndex.read(path) == index:
                self.index = index

    def take(
        self, index: ZipIndex | None, names: SheetSpecs
    ) -> tuple[dict[str, Sheet], dict[str, CalamineSheet]]:
        """(the sheets loaded from the cache, the sheets calamine parsed) among ``names``
        (each with the header this read looked for), for a read in the version of the file
        ``index`` describes; nothing when that is not the version this read. What is
        taken is given once: a write takes its registers first, and 流转记录 later, if it
        reads it."""
        self.close()
        if index is None or index != self.index:
            return {}, {}
        mine = [name for name, spec in names.items() if self.names.get(name, _NO_SPEC) == spec]
        loaded = {name: self.loaded.pop(name) for name in mine if name in self.loaded}
        parsed = {name: self.parsed.pop(name) for name in mine if name in self.parsed}
        return loaded, parsed

    def close(self) -> None:
        """Wait for the thread (so it holds the file open no longer: Windows would refuse
        to replace it)."""
        self.thread.join()


def iter_grid(sheet: Parsed) -> Iterator[tuple[int, list[Any]]]:
    """``(excel_row_number, raw values from column A)`` for each row calamine yields (a
    sheet parsed in parts: each part's, the first as a whole sheet's)."""
    if isinstance(sheet, SplitSheet):
        return sheet.grid(_whole_grid)
    return _whole_grid(sheet)


def _whole_grid(sheet: CalamineSheet) -> Iterator[tuple[int, list[Any]]]:
    """:func:`iter_grid` of a sheet calamine parsed whole.

    python-calamine's ``iter_rows()`` starts at row 1 even when ``sheet.start`` is lower
    down, but at ``sheet.start``'s column; both are detected here rather than assumed: a
    leading all-empty row means rows are counted from row 1 (the first row at ``start``
    always holds a value), and a row as wide as ``end`` means columns start at A.
    """
    start, end = sheet.start, sheet.end
    if start is None or end is None:
        return
    rows = sheet.iter_rows()
    first = next(rows, None)
    if first is None:
        return
    row0 = 0 if start[0] == 0 or not any(v != "" for v in first) else start[0]
    col0 = 0 if len(first) == end[1] + 1 else start[1]
    pad = [""] * col0
    number = row0 + 1
    yield number, (pad + first if pad else first)
    for raw in rows:
        number += 1
        yield number, (pad + raw if pad else raw)


def _header_of(
    sheet: Parsed, spec: HeaderSpec | None
) -> tuple[int, list[str], Iterator[tuple[int, list[Any]]]]:
    """The header's row number, its labels (trailing empty ones dropped), and the rows
    below it (``(excel_row_number, raw values from column A)``)."""
    grid = iter_grid(sheet)
    fixed = 1 if spec is None else spec.row
    top: list[tuple[int, list[Any]]] = []  # the rows a header is looked for in
    below: list[tuple[int, list[Any]]] = []  # a row read past the rows searched
    if fixed is None:
        # by number: a sheet parsed in parts skips the empty rows before a part's first
        for number, raw in grid:
            if number > HEADER_SEARCH_ROWS:
                below.append((number, raw))
                break
            top.append((number, raw))
            if number == HEADER_SEARCH_ROWS:
                break
        assert spec is not None
        header_row = _find_header(top, spec)
    else:
        header_row = fixed
    header: list[str] = []
    rows = itertools.chain(top, below, grid)
    for number, raw in rows:
        if number == header_row:
            header = [label_of(v) for v in raw]
            while header and not header[-1]:
                header.pop()
            break
        if number > header_row:  # the header row is empty: calamine skipped it
            rows = itertools.chain([(number, raw)], rows)
            break
    return header_row, header, rows


def _merged(sheet: Parsed, header_row: int) -> list[tuple[int, int, int, int]]:
    return [
        (r1 + 1, c1, r2 + 1, c2)
        for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ()
        if r2 + 1 >= header_row
    ]


def _read_sheet(sheet: Parsed, name: str, spec: HeaderSpec | None) -> Sheet:
    """The sheet as :class:`Row` objects, each value normalised through :class:`_Memo`."""
    memo = _Memo()
    memo[""] = None
    get = memo.__getitem__
    header_row, header, grid = _header_of(sheet, spec)
    rows: list[Row] = []
    for number, raw in grid:
        values: list[CellValue] = list(map(get, raw))
        while values and values[-1] is None:
            values.pop()
        if values:
            rows.append(Row(number, values))
    merged = _merged(sheet, header_row)
    return Sheet(name=name, header=header, rows=rows, header_row=header_row, merged=merged)


def _read_sheet_packed(sheet: Parsed, name: str, spec: HeaderSpec | None) -> Sheet:
    """The sheet as a read cache entry holds it (:func:`~procdoc.ledger.cache.packed_sheet`),
    packed a block at a time from calamine's rows: it equals :func:`_read_sheet`'s, and
    where the cache keeps it anyway, costs about two thirds of reading row by row and
    encoding (beyond calamine's own making of the values)."""
    memo = _Memo()
    memo[""] = None
    header_row, header, grid = _header_of(sheet, spec)
    packer = Packer(header, spec, memo.__getitem__)
    packer.add_rows(grid)
    body = packer.body(name, header, header_row, _merged(sheet, header_row))
    return packed_sheet(body)


def read_rows_holding(path: Path, name: str, spec: HeaderSpec | None, word: str) -> Sheet | None:
    """The sheet ``name`` of the workbook at ``path`` as :func:`_read_sheet` reads it, but
    with only the rows that may hold a cell reading as ``word`` below its header (others
    among them: the caller compares its own column), picked from the sheet's XML without
    parsing it (see :mod:`procdoc.ledger.pick`); None when they cannot be told so, or
    anything goes wrong: read the sheet whole, which says what is wrong where it always
    did."""
    import io

    from python_calamine import CalamineWorkbook

    from procdoc.ledger.pick import pick_rows

    keep = max(HEADER_SEARCH_ROWS, spec.row or 0 if spec is not None else 1)
    picked = pick_rows(path, name, word, keep)
    if picked is None:
        return None
    try:
        with quiet_panics(), CalamineWorkbook.from_filelike(io.BytesIO(picked.data)) as wb:
            sheet = _read_sheet(wb.get_sheet_by_name(name), name, spec)
    except BaseException as exc:  # Ctrl-C stays Ctrl-C
        if isinstance(exc, Exception) or is_calamine_panic(exc):
            return None
        raise
    real = picked.numbers
    return Sheet(
        name=name,
        header=sheet.header,
        rows=[Row(real.get(row.number, row.number), row.values) for row in sheet.rows],
        header_row=sheet.header_row,
    )


def _find_header(top: list[tuple[int, list[Any]]], spec: HeaderSpec) -> int:
    """The header row :class:`HeaderSpec` describes, among the ``top`` rows."""
    keys = [(number, {label_key(label_of(v)) for v in raw}) for number, raw in top]
    if spec.id_label is not None:
        wanted = label_key(spec.id_label)
        for number, found in keys:
            if wanted in found:
                return number
    wanted_all = {label_key(label) for label in spec.labels} - {""}
    best, most = 1, 0
    for number, found in keys:
        hits = len(wanted_all & found)
        if hits > most:
            best, most = number, hits
    return best
