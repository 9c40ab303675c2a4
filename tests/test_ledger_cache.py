"""The read cache (.procdoc/cache): a cached read always equals a cold read, whatever
procdoc and other programs do to the file; a damaged entry is rebuilt, never trusted."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from conftest import WORKBOOKS
from procdoc.errors import LedgerError
from procdoc.ledger import Batch, HeaderSpec, LedgerStore, SheetChanges, Snapshot, create_workbook
from procdoc.ledger import cache as cache_mod
from test_ledger_registers import rewrite_member

LEDGER = "台账"
HISTORY = "流转记录"
SPECS = {LEDGER: None, HISTORY: HeaderSpec(id_label="编号")}


def stores(folder: Path) -> tuple[LedgerStore, LedgerStore]:
    """(a store reading through the cache, one reading cold) of the same ledger."""
    path = folder / "ledger.xlsx"
    return (
        LedgerStore(
            path, state_dir=folder / ".procdoc", sheets=(LEDGER, HISTORY), cache_specs=READ
        ),
        LedgerStore(path, state_dir=folder / ".procdoc", sheets=(LEDGER, HISTORY), cache=False),
    )


def same(a: Snapshot, b: Snapshot) -> None:
    assert a.sheets.keys() == b.sheets.keys()
    for name, sheet in a.sheets.items():
        other = b.sheets[name]
        assert (sheet.header, sheet.header_row, sheet.merged) == (
            other.header,
            other.header_row,
            other.merged,
        )
        assert [r.number for r in sheet.rows] == [r.number for r in other.rows]
        for mine, theirs in zip(sheet.rows, other.rows, strict=True):
            assert [(type(v), v) for v in mine.values] == [(type(v), v) for v in theirs.values]


def typed(values: object) -> list[tuple[type, object]]:
    return [(type(v), v) for v in values]  # type: ignore[attr-defined]


def same_one_by_one(a: Snapshot, b: Snapshot) -> None:
    """What one-case reads ask of a sheet (one column, one row; no :attr:`Sheet.rows`)
    answers as the cold read does, asked before anything else of the sheet."""
    assert a.sheets.keys() == b.sheets.keys()
    for name, sheet in a.sheets.items():
        other = b.sheets[name]
        assert sheet.n_rows() == other.n_rows()
        width = max((len(r.values) for r in other.rows), default=0)
        for col in (width, *range(width)):
            assert typed(sheet.column_values(col)) == typed(other.column_values(col))
        for i in reversed(range(other.n_rows())):
            mine, theirs = sheet.row_at(i), other.row_at(i)
            assert (mine.number, typed(mine.values)) == (theirs.number, typed(theirs.values))


#: A register that comes and goes (the property test adds and removes it).
LATER = "督办"
#: The register read as a register is: its rows whose 标题 (here) is not a closed word are
#: kept apart (HeaderSpec.apart), so a read of one row comes from there, others from blocks.
SHUT = ("已办结", "已撤销")
READ = {LEDGER: HeaderSpec(row=1, apart=("标题", SHUT)), HISTORY: SPECS[HISTORY], LATER: None}


def check(folder: Path) -> None:
    cached, cold = stores(folder)
    try:
        truth = cold.read(READ)
    except LedgerError as err:  # a cell no date can be made of: refused the same way
        with pytest.raises(LedgerError) as refused:
            cached.read(READ)
        assert str(refused.value) == str(err)
        return
    same(cached.read(READ), truth)  # fills the cache where it missed
    same_one_by_one(cached.read(READ), truth)  # from the cache, a column or a row at a time
    same(cached.read(READ), truth)  # from the cache
    same(cached.read([LEDGER]), cold.read([LEDGER]))


def make(folder: Path) -> None:
    create_workbook(
        folder / "ledger.xlsx",
        {
            LEDGER: (
                ["编号", "标题", "期限", "时间", "金额"],
                [
                    {"编号": "A-1", "标题": "一", "期限": date(2026, 5, 1), "金额": 3},
                    {"编号": "A-2", "时间": datetime(2026, 5, 2, 9, 30), "金额": 2.5},
                ],
            ),
            HISTORY: (["编号", "时间", "动作"], [{"编号": "A-1", "动作": "登记"}]),
        },
    )


_value = st.one_of(
    st.none(),
    st.sampled_from(["已办结", " 已撤销 ", "办理中"]),  # in and out of the rows kept apart
    st.booleans(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
    st.integers(-(2**40), 2**40),
    st.floats(-1e9, 1e9).filter(lambda x: x == x),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    # a time Excel keeps to the millisecond: it reads back close, not equal, so a write
    # of it leaves the entry to be rebuilt rather than patched with what was written
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
)
_label = st.sampled_from(["编号", "标题", "期限", "时间", "金额", "新列"])
_op = st.one_of(
    st.tuples(st.just("set"), st.integers(2, 6), _label, _value),
    st.tuples(st.just("append"), _label, _value),
    st.tuples(st.just("history"), _value),
    st.tuples(st.just("openpyxl"), st.integers(1, 6), st.integers(1, 6), _value),
    st.tuples(st.just("zip"), st.text(alphabet="甲乙丙xyz", min_size=1, max_size=4)),
    st.tuples(st.just("drop-cache")),
    st.tuples(st.just("new-register"), _value),
    st.tuples(st.just("openpyxl-sheet"), st.booleans()),
)


@contextlib.contextmanager
def small_blocks(rows: int = 2) -> Iterator[None]:
    """Cache entries of ``rows`` rows a block, so that the few rows of these tests make
    several blocks (an entry made with another block size is not used), and rows kept
    apart however many there are."""
    saved = cache_mod.BLOCK_ROWS, cache_mod.APART_SHARE
    cache_mod.BLOCK_ROWS, cache_mod.APART_SHARE = rows, 1
    try:
        yield
    finally:
        cache_mod.BLOCK_ROWS, cache_mod.APART_SHARE = saved


def apply(folder: Path, op: tuple[object, ...]) -> None:
    """Do ``op``; a write procdoc refuses (a value Excel cannot hold) or a value openpyxl
    refuses changes nothing, which the check after it covers too."""
    with contextlib.suppress(LedgerError, ValueError, IllegalCharacterError):
        _apply(folder, op)


def _apply(folder: Path, op: tuple[object, ...]) -> None:
    path = folder / "ledger.xlsx"
    store, _ = stores(folder)
    kind = op[0]
    if kind == "set":
        _, row, label, value = op
        store.update(lambda s: Batch({LEDGER: SheetChanges(set={row: {label: value}})}))  # type: ignore[dict-item]
    elif kind == "append":
        _, label, value = op
        store.update(lambda s: Batch({LEDGER: SheetChanges(append=[{"编号": "N", label: value}])}))  # type: ignore[dict-item]
    elif kind == "history":
        store.update(
            lambda s: Batch({HISTORY: SheetChanges(append=[{"编号": "A-1", "意见": op[1]}])}),  # type: ignore[dict-item]
            read_sheets=[HISTORY],
        )
    elif kind == "openpyxl":  # Excel's way: every part written anew
        _, row, col, value = op
        wb = openpyxl.load_workbook(path)
        if isinstance(value, str):
            value = value.replace("\r", "") or None
        wb[LEDGER].cell(row=row, column=col, value=value)  # type: ignore[arg-type]
        wb.save(path)
    elif kind == "zip":  # a script rewriting one cell's text inside the sheet part
        rewrite_first_text(path, str(op[1]))
    elif kind == "new-register":  # procdoc filing the first case of a process
        store.update(
            lambda s: Batch(
                {
                    LATER: SheetChanges(
                        header=["编号", "标题"], append=[{"编号": "D-1", "标题": op[1]}]
                    )
                }
            ),  # type: ignore[dict-item]
            read_sheets=[LEDGER, LATER],
        )
    elif kind == "openpyxl-sheet":  # someone adding or deleting the register's sheet in Excel
        wb = openpyxl.load_workbook(path)
        if LATER in wb.sheetnames:
            del wb[LATER]
        if op[1]:
            wb.create_sheet(LATER).append(["编号", "标题"])
        wb.save(path)
    else:
        for entry in (folder / ".procdoc" / "cache").glob("*.*"):
            entry.unlink()


def rewrite_first_text(path: Path, text: str) -> None:
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda data: re.sub(rb"<t>[^<]*</t>", f"<t>{text}</t>".encode(), data, count=2),
    )


@WORKBOOKS
@given(st.lists(_op, min_size=1, max_size=6))
@example([("history", 2.2250738585072014e-308), ("openpyxl", 2, 2, "\x01"), ("set", 3, "新列", 1)])
@example([("openpyxl", 3, 4, -(2**40)), ("set", 2, "标题", "x")])  # a 时间 no date can be
def test_a_cached_read_always_equals_a_cold_read(ops: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, small_blocks():
        folder = Path(tmp)
        make(folder)
        check(folder)
        for op in ops:
            apply(folder, op)
            check(folder)


def entries(folder: Path) -> list[Path]:
    return sorted((folder / ".procdoc" / "cache").glob("*.sheet"))


def test_the_cache_lives_under_procdoc_and_is_used(tmp_path: Path) -> None:
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    assert len(entries(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".procdoc", "ledger.xlsx"]
    # a warm read does not need calamine
    import procdoc.ledger.reader as reader

    def no_calamine(*args: object, **kwargs: object) -> object:
        raise AssertionError("calamine was asked")

    truth = cold.read(SPECS)
    saved = reader._read_sheets
    reader._read_sheets = no_calamine  # type: ignore[assignment]
    try:
        same(cached.read(SPECS), truth)
    finally:
        reader._read_sheets = saved
    same(cached.read(SPECS), cold.read(SPECS))


def damage_flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"",
        lambda d: d[: len(d) // 2],
        damage_flip,
        lambda d: d.replace(cache_mod.MAGIC, b"x" * len(cache_mod.MAGIC)),
        lambda d: d[: len(cache_mod.MAGIC)] + b"\x09\x00" + d[len(cache_mod.MAGIC) + 2 :],
        lambda d: b"garbage" * 100,
    ],
    ids=["empty", "truncated", "flipped-byte", "foreign-magic", "foreign-version", "garbage"],
)
def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path: Path, damage: object) -> None:
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    for entry in entries(tmp_path):
        entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert cache_mod.SheetCache(tmp_path / ".procdoc" / "cache", tmp_path / "ledger.xlsx")
    same(cached.read(SPECS), cold.read(SPECS))
    for entry in entries(tmp_path):  # rebuilt: whole again
        assert cache_mod._unwrap(entry.read_bytes()) is not None
    same(cached.read(SPECS), cold.read(SPECS))


def test_an_entry_that_lies_about_its_key_is_not_used(tmp_path: Path) -> None:
    """An intact entry of another version of the sheet (its key differs) is not used."""
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    old = {p.name: p.read_bytes() for p in entries(tmp_path)}
    cached.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"标题": "改"}})}))
    cached.read(SPECS)
    for name, data in old.items():  # put the old entries back
        (tmp_path / ".procdoc" / "cache" / name).write_bytes(data)
    got = cached.read(SPECS)
    same(got, cold.read(SPECS))
    assert got.sheets[LEDGER].rows[0].values[1] == "改"


def test_an_unreadable_cache_folder_changes_nothing(tmp_path: Path) -> None:
    make(tmp_path)
    (tmp_path / ".procdoc").mkdir()
    (tmp_path / ".procdoc" / "cache").write_text("not a folder")
    cached, cold = stores(tmp_path)
    same(cached.read(SPECS), cold.read(SPECS))


def test_a_write_fills_the_cache_and_carries_it_over(tmp_path: Path) -> None:
    """A write's own read fills the cache like any read (the entry of the version it
    read), and the write carries every entry over, patched where it wrote: the next read
    finds them warm and equal to a cold read."""
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.update(
        lambda s: Batch({LEDGER: SheetChanges(set={2: {"标题": "改"}})}), read_sheets=[LEDGER]
    )
    assert len(entries(tmp_path)) == 1  # the register, read by the write and carried over
    with no_calamine():
        warm = cached.read([LEDGER])
    same(warm, cold.read([LEDGER]))
    cached.read(SPECS)
    before = {p: p.read_bytes() for p in entries(tmp_path)}
    assert len(before) == 2
    cached.update(
        lambda s: Batch(
            {
                HISTORY: SheetChanges(
                    append=[{"编号": "A-1", "动作": "x", "时间": datetime(2026, 5, 3, 8)}]
                ),
                LEDGER: SheetChanges(set={3: {"标题": "二", "期限": date(2026, 6, 1)}}),
            }
        ),
        read_sheets=SPECS,
    )
    after = {p: p.read_bytes() for p in entries(tmp_path)}
    assert after.keys() == before.keys()
    assert all(after[p] != before[p] for p in before)  # both carried over: new keys
    with no_calamine():
        warm = cached.read(SPECS)
    same(warm, cold.read(SPECS))
    assert warm.sheets[LEDGER].rows[1].values[1:3] == ["二", date(2026, 6, 1)]


def test_a_write_that_moves_rows_or_the_header_leaves_the_entry_to_be_rebuilt(
    tmp_path: Path,
) -> None:
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    with small_blocks(1):  # entries of another block size are never patched
        cached.read(SPECS)
        cached.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"新列": "x"}})}))
        with no_calamine(), pytest.raises(AssertionError, match="calamine"):
            cached.read([LEDGER])  # the header changed: read again
        same(cached.read(SPECS), cold.read(SPECS))
        cached.update(
            lambda s: Batch(
                {
                    LEDGER: SheetChanges(
                        set={
                            2: {
                                "编号": None,
                                "标题": None,
                                "期限": None,
                                "金额": None,
                                "新列": None,
                            }
                        }
                    )
                }
            )
        )
        with no_calamine(), pytest.raises(AssertionError, match="calamine"):
            cached.read([LEDGER])  # a row emptied: the rows after it move up
        same(cached.read(SPECS), cold.read(SPECS))


@contextlib.contextmanager
def no_calamine() -> Iterator[None]:
    """Reads inside must come from the cache: a read by calamine fails."""
    from procdoc.ledger import reader

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("read by calamine")

    saved = reader._read_sheets
    reader._read_sheets = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        reader._read_sheets = saved


def test_a_write_that_adds_a_style_carries_nothing_over(tmp_path: Path) -> None:
    """A style added at the end of the list is the one a cell numbered past the end has
    (read as General until then), in any sheet: no entry is carried over such a write."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "ledger.xlsx"))
    bold = wb.add_format({"bold": True})
    sheet = wb.add_worksheet(LEDGER)
    sheet.write_row(0, 0, ["编号", "标题"])
    sheet.write_row(1, 0, ["A-1", "一"], bold)  # a bold date is a style the workbook lacks
    wb.add_worksheet(HISTORY).write_row(0, 0, ["编号", "时间", "动作"])
    wb.close()
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    cached.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"标题": date(2026, 7, 1)}})}))
    with no_calamine(), pytest.raises(AssertionError, match="calamine"):
        cached.read(SPECS)  # neither sheet carried over
    same(cached.read(SPECS), cold.read(SPECS))


def test_a_sheet_the_workbook_lacks_is_not_looked_for_again(tmp_path: Path) -> None:
    """A register no case was filed in yet has no sheet: once calamine has listed the
    worksheets, a warm read knows it is not there without opening the workbook; a save
    that adds it (a new workbook part) is seen."""
    make(tmp_path)
    specs = {**SPECS, "督办": None}
    cached, cold = stores(tmp_path)
    first = cached.read(specs)
    assert "督办" not in first.sheets
    truth = cold.read(specs)
    with no_calamine():
        same(cached.read(specs), truth)
    wb = openpyxl.load_workbook(tmp_path / "ledger.xlsx")
    wb.create_sheet("督办").append(["编号", "标题"])
    wb["督办"].append(["D-1", "新"])
    wb.save(tmp_path / "ledger.xlsx")
    after = cached.read(specs)
    assert [r.values for r in after.sheets["督办"].rows] == [["D-1", "新"]]
    same(after, cold.read(specs))


def test_the_worksheet_names_are_carried_over_procdoc_s_own_writes(tmp_path: Path) -> None:
    """A write by procdoc changes the workbook part (the history's filter range grows),
    adds the sheets it writes and removes none: the names are carried over, so the next
    read does not open the workbook to find the registers that are still missing."""
    make(tmp_path)
    specs = {**SPECS, "督办": None, "会议": None}
    cached, cold = stores(tmp_path)
    cached.read(specs)
    parts = cache_mod.ZipIndex.read(tmp_path / "ledger.xlsx")
    cached.update(
        lambda s: Batch(
            {
                LEDGER: SheetChanges(set={2: {"标题": "改"}}),
                HISTORY: SheetChanges(append=[{"编号": "A-1", "动作": "审核"}]),
            }
        )
    )
    after = cache_mod.ZipIndex.read(tmp_path / "ledger.xlsx")
    assert parts is not None and after is not None and parts.context != after.context
    truth = cold.read(specs)
    with no_calamine():
        same(cached.read(specs), truth)
    cached.update(
        lambda s: Batch({"督办": SheetChanges(header=["编号", "标题"], append=[{"编号": "D-1"}])})
    )
    truth = cold.read(specs)
    assert "督办" in truth.sheets and "会议" not in truth.sheets
    same(cached.read(specs), truth)
    with no_calamine():
        same(cached.read(specs), truth)


def test_open_rows_are_read_without_unpacking_the_rest(tmp_path: Path) -> None:
    """The rows a register keeps apart (HeaderSpec.apart: here those whose 标题 is not a
    closed word) are read one by one from there, the blocks left packed; a write by
    procdoc that closes one, or adds one, carries them over, and every row still reads as
    a cold read does."""
    create_workbook(
        tmp_path / "ledger.xlsx",
        {
            LEDGER: (
                ["编号", "标题", "期限"],
                [
                    {
                        "编号": f"A-{i}",
                        "标题": "办理中" if i % 5 == 0 else "已办结",
                        "期限": date(2026, 5, 1 + i % 20),
                    }
                    for i in range(40)
                ],
            ),
            HISTORY: (["编号", "时间", "动作"], []),
        },
    )
    cached, cold = stores(tmp_path)
    spec = {LEDGER: READ[LEDGER]}
    with small_blocks(8):
        cache_mod.APART_SHARE = 4  # 8 of 40 rows: kept apart
        cached.read(spec)
        sheet = cached.read(spec).sheets[LEDGER]
        truth = cold.read([LEDGER]).sheets[LEDGER]
        assert isinstance(sheet, cache_mod.CachedSheet)
        for i in range(0, 40, 5):
            assert sheet.row_at(i) == truth.rows[i]
        assert sorted(sheet._kept_apart()) == list(range(0, 40, 5))
        assert not sheet._block_rows  # no block was unpacked for them
        cached.update(
            lambda s: Batch(
                {
                    LEDGER: SheetChanges(
                        set={2 + 5: {"标题": "已办结"}},
                        append=[{"编号": "A-40", "标题": "办理中", "期限": date(2026, 6, 1)}],
                    )
                }
            ),
            read_sheets=spec,
        )
        with no_calamine():
            sheet = cached.read(spec).sheets[LEDGER]
        truth = cold.read([LEDGER]).sheets[LEDGER]
        assert sorted(sheet._kept_apart()) == [0, 10, 15, 20, 25, 30, 35, 40]
        assert [sheet.row_at(i) for i in range(41)] == truth.rows


@pytest.mark.parametrize(
    "extra",
    [None, date(2026, 11, 21), date(2026, 11, 20), "2026-11-21 09:00", 3],
)
def test_the_rows_changed_after_a_moment_are_told_as_stored(tmp_path: Path, extra: object) -> None:
    """`overdue --as-of` a day past asks which rows 更新时间 says changed since; a cached
    sheet tells it from the stored values (ISO text sorts as the moments), without making
    a datetime of each, and says the same as the cold read; a column holding anything
    else is left to the caller (None)."""
    moments = [datetime(2026, 11, 20, 8, 59, 59, 500000), datetime(2026, 11, 20, 9, 0)]
    moments += [datetime(2026, 11, 19 + i % 3, 9, i) for i in range(30)]
    rows: list[dict[str, object]] = [{"编号": f"A-{i}", "更新": m} for i, m in enumerate(moments)]
    rows.insert(5, {"编号": "A-empty"})
    if extra is not None:
        rows.append({"编号": "A-hand", "更新": extra})
    create_workbook(tmp_path / "ledger.xlsx", {LEDGER: (["编号", "更新"], rows)})
    cached, cold = stores(tmp_path)
    with small_blocks(8):
        cached.read([LEDGER])
        sheet = cached.read([LEDGER]).sheets[LEDGER]
        truth = cold.read([LEDGER]).sheets[LEDGER]
        assert isinstance(sheet, cache_mod.CachedSheet)
        moment = datetime(2026, 11, 20, 9, 0)
        got = sheet.later_than(1, moment)
        assert got == truth.later_than(1, moment)
        if isinstance(extra, str | int):  # typed by hand: the caller reads the column
            assert got is None
        else:  # a date (a midnight read back as one) is later when its day is
            expected = [
                i
                for i, r in enumerate(rows)
                if "更新" in r
                and (
                    r["更新"] if isinstance(r["更新"], datetime) else datetime(2026, 11, extra.day)
                )  # type: ignore[union-attr]
                > moment
            ]
            assert got == expected and got


_grid_value = st.one_of(st.just(""), _value, st.sampled_from([1, 1.0, True, 0, 0.0, False]))


@WORKBOOKS
@given(
    rows=st.lists(st.lists(_grid_value, max_size=7), max_size=12),
    title=st.booleans(),
)
@example(rows=[[1, 1.0, True], [True, 1, 1.0], ["x", "x", "x"], ["y", "z", "x"]], title=False)
def test_a_sheet_packed_cold_equals_the_sheet_read_row_by_row(
    rows: list[list[object]], title: bool
) -> None:
    """The first read of a sheet packs calamine's rows into what the cache keeps, a block
    at a time, with no row made (reader._read_sheet_packed): what it reads equals the row
    by row read, asked whole or a column and a row at a time, whatever the cells hold
    (1, 1.0 and True side by side, empty cells inside and at the end of rows, empty rows,
    columns that turn from repeating to distinct)."""
    from python_calamine import CalamineWorkbook

    from procdoc.ledger import reader

    with tempfile.TemporaryDirectory() as tmp, small_blocks():
        path = Path(tmp) / "grid.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = LEDGER
        top = 2 if title else 1
        if title:
            ws.cell(row=1, column=1, value="登记簿")
        for col, label in enumerate(["编号", "标题", "期限", "时间", "金额"], start=1):
            ws.cell(row=top, column=col, value=label)
        try:
            for r, values in enumerate(rows, start=top + 1):
                for c, value in enumerate(values, start=1):
                    if value != "":
                        ws.cell(row=r, column=c, value=value)  # type: ignore[arg-type]
            wb.save(path)
        except (ValueError, IllegalCharacterError):
            return  # a value openpyxl will not write
        spec = HeaderSpec(id_label="编号", apart=("标题", SHUT))
        with CalamineWorkbook.from_path(str(path)) as book:
            try:
                truth = reader._read_sheet(book.get_sheet_by_name(LEDGER), LEDGER, spec)
            except BaseException as exc:  # a cell no date can be made of
                if not reader.is_calamine_panic(exc):
                    raise
                return
            packed = reader._read_sheet_packed(book.get_sheet_by_name(LEDGER), LEDGER, spec)
            again = reader._read_sheet_packed(book.get_sheet_by_name(LEDGER), LEDGER, spec)
        # (within small_blocks: an entry is read with the block size it was made with)
        assert isinstance(packed, cache_mod.CachedSheet)
        assert packed.packed is not None
        assert cache_mod._decode(packed.packed) == truth
        truth_shot = Snapshot(
            path=path, exists=True, sheets={LEDGER: truth}, fingerprint=(0, 0, "")
        )
        same_one_by_one(
            Snapshot(path=path, exists=True, sheets={LEDGER: again}, fingerprint=(0, 0, "")),
            truth_shot,
        )
        same(
            Snapshot(path=path, exists=True, sheets={LEDGER: packed}, fingerprint=(0, 0, "")),
            truth_shot,
        )


def test_an_entry_read_in_place_stays_what_it_was_when_it_is_replaced(tmp_path: Path) -> None:
    """An entry's columns are views of the entry as read (see cache._unpack_entry), not
    of the file: a write that replaces the entry (a new file renamed over it), deleting
    the cache, or a program rewriting the entry in place (a second look found a mapped
    entry gave another answer, or a bus error) leaves a sheet read before as it was."""
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    with no_calamine():
        before = cached.read([LEDGER])  # from the entry, nothing unpacked yet
    truth = cold.read([LEDGER])
    for entry in entries(tmp_path):  # in place: cut short, then other bytes as long
        data = entry.read_bytes()
        with open(entry, "r+b") as f:
            f.truncate(len(data) // 2)
        with open(entry, "r+b") as f:
            f.write(data[: len(data) // 2] + bytes(len(data) - len(data) // 2))
    same(before, truth)  # unpacked now, as it was read
    cached.update(lambda s: Batch({LEDGER: SheetChanges(set={2: {"标题": "改了"}})}))
    for entry in entries(tmp_path):
        entry.unlink()
    assert cold.read([LEDGER]).sheets[LEDGER].rows[0].values[1] == "改了"


def test_an_entry_whose_blocks_lie_outside_it_is_not_used(tmp_path: Path) -> None:
    """A block's place in the entry past its end (a damaged entry that passed its CRC)
    is refused when the entry is read, not when a command unpacks the block."""
    make(tmp_path)
    cached, cold = stores(tmp_path)
    cached.read(SPECS)
    sheets = cache_mod.SheetCache(tmp_path / ".procdoc" / "cache", tmp_path / "ledger.xlsx")
    index = cache_mod.ZipIndex.read(tmp_path / "ledger.xlsx")
    assert index is not None

    def loaded() -> list[object]:
        return [sheets.load(index, name, spec) for name, spec in SPECS.items()]

    assert None not in loaded()
    for entry in entries(tmp_path):
        payload = cache_mod._unwrap(entry.read_bytes())
        assert payload is not None
        key, member, (*head, blocks, apart) = cache_mod._unpack_entry(payload)
        shifted = [tuple(part.tobytes() for part in block) for block in blocks]
        parts = cache_mod._pack_entry(key, member, (*head, shifted, apart))
        size = int.from_bytes(parts[0], "little")
        marshalled = bytearray(parts[1])
        data = b"".join(bytes(p) for p in parts[2:])
        # the same entry with its data cut short: every place still names the old length
        assert cache_mod._FORMAT.write_parts(entry, [parts[0], bytes(marshalled), data[:-1]])
        assert size == len(marshalled)
    assert loaded() == [None, None]
    same(cached.read(SPECS), cold.read(SPECS))  # rebuilt
    assert None not in loaded()
