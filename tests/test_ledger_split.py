"""A large sheet parsed in parts side by side (procdoc.ledger.split) reads as the sheet
parsed whole: its rows, numbers, header, merged ranges; and where a part cannot be cut or
parsed, the sheet is parsed whole, meeting its errors where it always did."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from conftest import WORKBOOKS
from procdoc.errors import LedgerError
from procdoc.ledger import HeaderSpec, cache, create_workbook, reader, split
from test_ledger_registers import rewrite_member

LEDGER = "台账"
SPEC = HeaderSpec(id_label="编号", apart=("标题", ("已办结",)))


@contextlib.contextmanager
def in_parts(part_bytes: int = 200) -> Iterator[list[split.SplitSheet]]:
    """Every sheet parsed in parts of about ``part_bytes`` of XML, however small, on
    however many cores; yields the sheets split so far."""
    made: list[split.SplitSheet] = []
    real = split.split_sheet

    def recorded(path: str, member: str, name: str) -> split.SplitSheet | None:
        sheet = real(path, member, name)
        if sheet is not None:
            made.append(sheet)
        return sheet

    saved = (split.SPLIT_BYTES, split.PART_BYTES, split.STRINGS_SHARE, split.cores)
    split.SPLIT_BYTES, split.PART_BYTES, split.STRINGS_SHARE = 0, part_bytes, 0
    split.cores = lambda: 2
    reader.split_sheet = recorded  # type: ignore[assignment]
    try:
        yield made
    finally:
        split.SPLIT_BYTES, split.PART_BYTES, split.STRINGS_SHARE, split.cores = saved
        reader.split_sheet = real


def read(path: Path, make: object = None) -> dict[str, object]:
    return reader._read_sheets(path, {LEDGER: SPEC}, "ledger.xlsx", None, make)[0]  # type: ignore[arg-type]


def both_ways(path: Path) -> tuple[dict[str, object], dict[str, object], list[split.SplitSheet]]:
    """(the sheets parsed whole, parsed in parts, the sheets split), each read row by row
    and packed as the cache keeps them (which must agree)."""
    whole = read(path)
    with in_parts() as made:
        parts = read(path)
        packed = read(path, reader._read_sheet_packed)
    assert packed.keys() == parts.keys()
    for name, sheet in packed.items():
        assert isinstance(sheet, cache.CachedSheet) and sheet.packed is not None
        assert cache._decode(sheet.packed) == parts[name]
    return whole, parts, made


_cell = st.one_of(
    st.just(""),
    st.sampled_from(["办理中", "已办结", "张伟", "甲", "1"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6),
    st.integers(-(2**40), 2**40),
    st.floats(-1e9, 1e9).filter(lambda x: x == x),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


@WORKBOOKS
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.lists(_cell, max_size=6)),
        min_size=1,
        max_size=40,
    ),
    title=st.booleans(),
    merged=st.booleans(),
    shared=st.booleans(),
)
def test_a_sheet_read_in_parts_equals_the_sheet_read_whole(
    rows: list[tuple[int, int, list[object]]], title: bool, merged: bool, shared: bool
) -> None:
    """Rows with empty rows between them, rows that start a column or three to the right
    (a part whose rows all do starts there), a title above the header, merged ranges,
    strings shared (openpyxl) or inline (procdoc): the parts read as the whole."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        top = 2 if title else 1
        at = top + 1
        placed: list[tuple[int, int, object]] = []
        for gap, indent, values in rows:
            at += gap
            placed += [(at, indent + c, v) for c, v in enumerate(values, 1) if v != ""]
            at += 1
        labels = ["编号", "标题", "期限", "金额", "备注", "经办"]
        try:
            if shared:
                wb = openpyxl.Workbook()
                ws = wb.active
                ws.title = LEDGER
                if title:
                    ws.cell(row=1, column=1, value="登记簿")
                for c, label in enumerate(labels, 1):
                    ws.cell(row=top, column=c, value=label)
                for r, c, v in placed:
                    ws.cell(row=r, column=c, value=v)  # type: ignore[arg-type]
                if merged:
                    ws.merge_cells(start_row=at, start_column=1, end_row=at + 1, end_column=3)
                wb.save(path)
            else:
                if title or merged or any(c > len(labels) for _r, c, _v in placed):
                    return  # (procdoc writes a register from row 1, under its header)
                by_row: dict[int, dict[str, object]] = {}
                for r, c, v in placed:
                    by_row.setdefault(r, {})[labels[c - 1]] = v
                create_workbook(path, {LEDGER: (labels, [by_row.get(r, {}) for r in range(2, at)])})
        except (ValueError, IllegalCharacterError):
            return  # a value the writer will not write
        try:
            whole = read(path)
        except LedgerError:  # a cell no date can be made of: refused the same way
            with in_parts(), pytest.raises(LedgerError):
                read(path)
            return
        whole, parts, made = both_ways(path)
        assert parts == whole
        assert made and (made[0].parts > 1 or len(placed) < 3)


def sheet_xml(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the first sheet's XML with ``change``."""
    rewrite_member(path, "xl/worksheets/sheet1.xml", change)


def register(path: Path, n: int = 60) -> None:
    create_workbook(
        path,
        {
            LEDGER: (
                ["编号", "标题", "期限"],
                [
                    {"编号": f"A-{i}", "标题": f"第{i}件", "期限": date(2026, 5, 1 + i % 28)}
                    for i in range(n)
                ],
            )
        },
    )


def test_rows_not_numbered_are_parsed_whole(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    register(path)
    sheet_xml(path, lambda x: re.sub(rb'<row r="\d+"', b"<row", x))
    whole, parts, made = both_ways(path)
    assert parts == whole and len(whole[LEDGER].rows) == 60  # type: ignore[attr-defined]
    assert made == []  # not split: the first row has no number


def test_a_row_not_numbered_where_a_part_starts_sends_the_sheet_whole(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    register(path)
    sheet_xml(path, lambda x: re.sub(rb'<row r="[45]\d"', b"<row", x))  # rows 40-59
    whole, parts, made = both_ways(path)
    assert parts == whole and len(whole[LEDGER].rows) == 60  # type: ignore[attr-defined]
    assert made  # split, failed at a cut past the first part, read whole


def test_rows_out_of_order_send_the_sheet_whole(tmp_path: Path) -> None:
    """calamine places a row by its number wherever it stands in the XML; parts in
    the wrong order are noticed and the sheet parsed whole."""
    path = tmp_path / "ledger.xlsx"
    register(path)

    def swap(xml: bytes) -> bytes:
        rows = re.findall(rb"<row .*?</row>", xml)
        body = rows[0] + rows[-1] + b"".join(rows[1:-1])
        start = xml.index(rows[0])
        end = xml.index(rows[-1]) + len(rows[-1])
        return xml[:start] + body + xml[end:]

    sheet_xml(path, swap)
    whole, parts, made = both_ways(path)
    assert parts == whole and made


def test_a_prefixed_namespace_is_cut_too(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    register(path)

    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="')
        xml = re.sub(rb"<(/?)(?!x:)([a-zA-Z]+)([ />])", rb"<\1x:\2\3", xml)
        return xml.replace(b"<x:?xml", b"<?xml")

    sheet_xml(path, prefixed)
    whole, parts, made = both_ways(path)
    assert len(whole[LEDGER].rows) == 60  # type: ignore[attr-defined]
    assert parts == whole and made and made[0].parts > 1


def test_a_damaged_sheet_is_refused_as_when_parsed_whole(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    register(path, 400)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    middle = offset + info.compress_size // 2
    data[middle : middle + 8] = bytes(8)
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as whole:
        read(path)
    with in_parts(), pytest.raises(LedgerError) as parts:
        read(path)
    assert str(parts.value) == str(whole.value)


def test_nothing_is_left_running_or_open(tmp_path: Path) -> None:
    """The threads end with the read, and the file is closed (Windows would refuse to
    replace it), also when a part fails."""
    path = tmp_path / "ledger.xlsx"
    register(path, 300)
    before = threading.active_count()
    with in_parts() as made:
        read(path)
        sheet_xml(path, lambda x: re.sub(rb'<row r="2(\d\d)"', rb'<row r="9\1"', x))
        read(path)
    assert len(made) == 2
    assert threading.active_count() == before
    if Path("/proc/self/fd").is_dir():
        opened = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
        assert str(path.resolve()) not in opened


def test_the_cache_keeps_a_sheet_read_in_parts_as_read_whole(tmp_path: Path) -> None:
    from procdoc.ledger import LedgerStore

    path = tmp_path / "ledger.xlsx"
    register(path, 200)
    specs = {LEDGER: SPEC}
    cold = LedgerStore(path, state_dir=tmp_path / ".procdoc", sheets=(LEDGER,), cache=False)
    truth = cold.read(specs).sheets[LEDGER]
    cached = LedgerStore(path, state_dir=tmp_path / ".procdoc", sheets=(LEDGER,), cache_specs=specs)
    with in_parts() as made:
        first = cached.read(specs).sheets[LEDGER]
    again = cached.read(specs).sheets[LEDGER]  # from the cache the parts filled
    assert made and made[0].parts > 1
    assert list(first.rows) == list(truth.rows) == list(again.rows)


def test_two_sheets_in_parts_read_as_whole_the_second_parsed_ahead(tmp_path: Path) -> None:
    """A register and 流转记录 both large: the second's parts are handed out as soon as
    the first's are all cut (SplitSheet.after), and both read as parsed whole."""
    path = tmp_path / "ledger.xlsx"
    create_workbook(
        path,
        {
            LEDGER: (["编号", "标题"], [{"编号": f"A-{i}", "标题": f"第{i}件"} for i in range(80)]),
            "流转记录": (
                ["编号", "时间", "动作"],
                [
                    {"编号": f"A-{i // 2}", "时间": datetime(2026, 5, 1, 9, i % 60), "动作": "流转"}
                    for i in range(160)
                ],
            ),
        },
    )
    specs = {LEDGER: SPEC, "流转记录": HeaderSpec(id_label="编号")}
    whole = reader._read_sheets(path, specs, "x")[0]
    with in_parts() as made:
        parts = reader._read_sheets(path, specs, "x")[0]
    assert parts == whole and len(whole["流转记录"].rows) == 160
    assert [m.name for m in made] == [LEDGER, "流转记录"] and made[0].after is made[1]
    assert all(m.parts > 1 for m in made)


def test_ctrl_c_while_a_part_is_parsed_stops_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C is no part that failed: the read stops (second look: the sheet was parsed
    again whole and the command went on, a write too)."""
    path = tmp_path / "ledger.xlsx"
    register(path, 200)
    real = split._parse

    def interrupted(data: bytes, name: str) -> object:
        if threading.current_thread() is not threading.main_thread():
            raise KeyboardInterrupt
        return real(data, name)

    monkeypatch.setattr(split, "_parse", interrupted)
    before = threading.active_count()
    with in_parts(), pytest.raises(KeyboardInterrupt):
        read(path)
    assert threading.active_count() == before


def test_the_header_is_looked_for_in_the_first_rows_however_the_parts_fall(
    tmp_path: Path,
) -> None:
    """Rows 1-10 are searched for the header; a part that begins below them (its empty
    rows before are not given) does not add its first row to the search (second look: a
    header on row 12 was found in parts, not whole)."""
    path = tmp_path / "ledger.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = LEDGER
    ws.cell(row=1, column=1, value="登记簿")
    for c, label in enumerate(["编号", "标题"], 1):
        ws.cell(row=12, column=c, value=label)
    for r in range(13, 20):
        ws.cell(row=r, column=1, value=f"A-{r}")
    wb.save(path)
    with in_parts(50) as made:
        parts = read(path)
    assert parts == read(path) and made and made[0].parts > 2


def test_a_read_stopped_half_way_leaves_no_thread_or_open_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception out of the rows' loop (Ctrl-C while values are made) closes the
    parts' threads and the file at once, not when the exception is dropped."""
    path = tmp_path / "ledger.xlsx"
    register(path, 300)
    calls = [0]
    real = reader._Memo.__missing__

    def stopped(self: reader._Memo, key: object) -> object:
        calls[0] += 1
        if calls[0] == 30:
            raise KeyboardInterrupt
        return real(self, key)

    monkeypatch.setattr(reader._Memo, "__missing__", stopped)
    before = threading.active_count()
    with in_parts() as made:
        try:
            read(path)
        except KeyboardInterrupt:
            assert made and made[0].parts > 1
            assert threading.active_count() == before  # while the exception lives
            if Path("/proc/self/fd").is_dir():
                opened = {
                    os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                }
                assert str(path.resolve()) not in opened
        else:
            raise AssertionError("the read went on")
