"""A write after a write by procdoc rewrites only the segments of the sheet it changes
(procdoc.ledger.segments): the same workbook as a write through the whole sheet, the
rest copied as compressed bytes, checked, never trusted when anything else wrote the file.

The suite runs with segments of a few hundred bytes (tests/conftest.py); the tests of the
sizes an office gets set them back."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from conftest import WORKBOOKS
from procdoc.errors import LedgerError
from procdoc.ledger import Batch, LedgerStore, SheetChanges, create_workbook, segments, zipraw
from procdoc.ledger import patch as patch_mod

LEDGER = "台账"
HISTORY = "流转记录"
GAPS = {17, 18, 40}  # rows the XML lacks
EMPTY = {25, 26}  # rows formatted by the office, without cells


def make(path: Path, rows: int = 60, dress: str = "") -> None:
    """A register as an office's tool writes it: gaps, formatted empty rows, a formula, a
    date column, empty formatted rows after the last case. ``dress``: "n" puts a newline
    between rows, "q" spells every third row's number r='N' (both are valid XML other
    tools write)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    yellow = wb.add_format({"bg_color": "#FFFF00"})
    ws.write_row(0, 0, ["编号", "标题", "期限", "金额", "合计"], bold)
    for r in range(2, rows + 2):
        if r in GAPS:
            continue
        if r in EMPTY:
            ws.set_row(r - 1, None, yellow)
            continue
        ws.write_string(r - 1, 0, f"A-{r:03d}")
        ws.write_string(r - 1, 1, f"来文第{r}号，关于开展检查的通知")
        ws.write_datetime(r - 1, 2, date(2026, 1, 1 + r % 28), day)
        ws.write_number(r - 1, 3, r * 10.5)
        if r == 30:
            ws.write_formula(r - 1, 4, "=D30*2", None, r * 21)
    for r in range(rows + 2, rows + 5):
        ws.set_row(r - 1, None, yellow)
    hist = wb.add_worksheet(HISTORY)
    hist.write_row(0, 0, ["编号", "动作", "意见"])
    for r in range(2, 40):
        hist.write_row(r - 1, 0, [f"A-{r:03d}", "登记", "同意" * (r % 3)])
    wb.close()
    if dress:
        redress(path, dress)


def redress(path: Path, dress: str) -> None:
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                if "n" in dress:
                    data = data.replace(b"<row ", b"\n<row ")
                if "q" in dress:
                    data = re.sub(
                        rb'<row r="(\d*[0369])"', lambda m: b"<row r='%s'" % m.group(1), data
                    )
            z.writestr(info, data)


def store(folder: Path, *, cache: bool) -> LedgerStore:
    return LedgerStore(
        folder / "ledger.xlsx", state_dir=folder / ".procdoc", sheets=(LEDGER, HISTORY), cache=cache
    )


def contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def cells(path: Path) -> dict[str, list[list[object]]]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return {name: wb.get_sheet_by_name(name).to_python() for name in (LEDGER, HISTORY)}


@contextlib.contextmanager
def counting() -> Iterator[list[int]]:
    """The number of segments each write copied, in a list."""
    copied: list[int] = []
    real = segments.SegmentWriter.copy

    def copy(self: segments.SegmentWriter, span: segments.Span) -> range:
        done = real(self, span)
        copied.append(len(done))
        return done

    segments.SegmentWriter.copy = copy  # type: ignore[method-assign]
    try:
        yield copied
    finally:
        segments.SegmentWriter.copy = real  # type: ignore[method-assign]


def batch(op: tuple[object, ...]) -> Batch:
    kind = op[0]
    if kind == "set":
        _, row, label, value = op
        return Batch({LEDGER: SheetChanges(set={row: {label: value}})})  # type: ignore[dict-item]
    if kind == "append":
        _, label, value = op
        return Batch({LEDGER: SheetChanges(append=[{"编号": "N", label: value}])})  # type: ignore[dict-item]
    return Batch({HISTORY: SheetChanges(append=[{"编号": "A-002", "意见": op[1]}])})  # type: ignore[dict-item]


def write(folder: Path, op: tuple[object, ...], *, cache: bool) -> str | None:
    """Apply ``op``; the message when procdoc refuses it."""
    try:
        store(folder, cache=cache).update(lambda s: batch(op))
    except LedgerError as err:
        return str(err).replace(str(folder), "")
    return None


_value = st.one_of(
    st.none(),
    st.text(alphabet="甲乙丙xyz<&>", max_size=6),
    st.integers(-1000, 10**6),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
)
_label = st.sampled_from(["编号", "标题", "期限", "金额", "合计", "新列"])
_op = st.one_of(
    st.tuples(st.just("set"), st.integers(2, 70), _label, _value),
    st.tuples(st.just("append"), _label, _value),
    st.tuples(st.just("history"), _value),
)


@WORKBOOKS
@given(
    st.lists(_op, min_size=2, max_size=6),
    st.sampled_from(["", "n", "q", "nq"]),
    st.booleans(),
)
def test_a_write_through_segments_equals_a_write_through_the_whole_sheet(
    ops: list[tuple[object, ...]], dress: str, fast: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp, deflated_fast(fast):
        seg, whole = Path(tmp) / "seg", Path(tmp) / "whole"
        seg.mkdir()
        make(seg / "ledger.xlsx", dress=dress)
        shutil.copytree(seg, whole)
        for op in ops:
            assert write(seg, op, cache=True) == write(whole, op, cache=False)
            assert contents(seg / "ledger.xlsx") == contents(whole / "ledger.xlsx")
        assert cells(seg / "ledger.xlsx") == cells(whole / "ledger.xlsx")


@contextlib.contextmanager
def deflated_fast(fast: bool) -> Iterator[None]:
    """Every rewritten sheet deflated by ISA-L (as sheets over 4 MB are), or as is."""
    saved = patch_mod.FAST_DEFLATE_ABOVE
    if fast:
        patch_mod.FAST_DEFLATE_ABOVE = 0
    try:
        yield
    finally:
        patch_mod.FAST_DEFLATE_ABOVE = saved


def test_rows_spelt_otherwise_are_never_taken_as_they_are(tmp_path: Path) -> None:
    """Rows spelt r='N' hold no row numbers the next write could trust: their segments
    are always patched (found in review: a segment's first row was taken from a row
    appended after them, and row 60 was written twice)."""
    seg, whole = tmp_path / "seg", tmp_path / "whole"
    seg.mkdir()
    make(seg / "ledger.xlsx", dress="q")
    shutil.copytree(seg, whole)
    appends = [{"编号": f"N-{i}", "标题": "追加" * 5} for i in range(40)]
    for folder, cache in ((seg, True), (whole, False)):
        store(folder, cache=cache).update(lambda s: Batch({LEDGER: SheetChanges(append=appends)}))
        store(folder, cache=cache).update(
            lambda s: Batch({LEDGER: SheetChanges(set={60: {"合计": "改过"}})})
        )
    assert contents(seg / "ledger.xlsx") == contents(whole / "ledger.xlsx")
    xml = contents(seg / "ledger.xlsx")["xl/worksheets/sheet1.xml"]
    assert len(re.findall(rb"<row r=[\"']60[\"']", xml)) == 1


def test_a_second_write_copies_what_it_does_not_touch(tmp_path: Path) -> None:
    make(tmp_path / "ledger.xlsx", rows=400)
    ledger = tmp_path / "ledger.xlsx"
    with counting() as copied:
        write(tmp_path, ("set", 100, "标题", "第一次"), cache=True)  # Excel's file: all of it
        assert copied == []
        write(tmp_path, ("set", 200, "标题", "第二次"), cache=True)
        write(tmp_path, ("append", "标题", "新的一件"), cache=True)
        write(tmp_path, ("history", "同意"), cache=True)  # its first write: all of it
        assert len(copied) == 3
        write(tmp_path, ("history", "退回"), cache=True)
    assert len(copied) == 4 and all(copied)
    got = cells(ledger)[LEDGER]
    assert got[99][1] == "第一次" and got[199][1] == "第二次" and got[-1][:2] == ["N", "新的一件"]
    wb = openpyxl.load_workbook(ledger)  # another reader of the same bytes
    assert wb[LEDGER]["B200"].value == "第二次"
    assert wb[LEDGER]["E30"].value == "=D30*2"


def test_office_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "FIRST_SEGMENT", 64 << 10)
    monkeypatch.setattr(segments, "MIN_SEGMENT", 1 << 20)
    assert segments.segment_size(10 << 20) == 1 << 20
    assert segments.segment_size(640 << 20) == 10 << 20
    make(tmp_path / "ledger.xlsx", rows=30000)  # about 4 MB of sheet XML
    write(tmp_path, ("set", 15000, "标题", "甲"), cache=True)
    first = index_of(tmp_path)
    assert first.head.ulen < 1000 and first.rows[0].ulen < (64 << 10) + 1000
    assert len(first.rows) >= 5 and all(s.ulen < (1 << 20) + 1000 for s in first.rows)
    with counting() as copied:
        write(tmp_path, ("set", 20000, "标题", "乙"), cache=True)
    # all but the first (the header's), the one holding row 20000 and the last
    assert copied == [len(first.rows) - 3]
    index_of(tmp_path)  # left for the next write
    got = cells(tmp_path / "ledger.xlsx")[LEDGER]
    assert got[14999][1] == "甲" and got[19999][1] == "乙"


def index_of(folder: Path) -> segments.SegmentIndex:
    """The segment index of the register's member as it is now."""
    cache = store(folder, cache=True).cache
    assert cache is not None
    with open(folder / "ledger.xlsx", "rb") as f:
        member = next(m for m in zipraw.read_directory(f)[0] if m.name.endswith("sheet1.xml"))
    index = cache.load_segments(member)
    assert index is not None and index.fits(member)
    return index


def test_a_foreign_save_is_read_whole_and_its_index_not_used(tmp_path: Path) -> None:
    make(tmp_path / "ledger.xlsx", rows=200)
    ledger = tmp_path / "ledger.xlsx"
    write(tmp_path, ("set", 50, "标题", "一"), cache=True)
    wb = openpyxl.load_workbook(ledger)  # as Excel does: every part written anew
    wb[LEDGER]["B60"] = "办公室改的"
    wb.save(ledger)
    with counting() as copied:
        write(tmp_path, ("set", 150, "标题", "二"), cache=True)
    assert copied == []
    got = cells(ledger)[LEDGER]
    assert (got[49][1], got[59][1], got[149][1]) == ("一", "办公室改的", "二")


def test_a_damaged_index_is_ignored(tmp_path: Path) -> None:
    make(tmp_path / "ledger.xlsx", rows=200)
    write(tmp_path, ("set", 50, "标题", "一"), cache=True)
    files = list((tmp_path / ".procdoc" / "cache").glob("*.segments"))
    assert files
    for path in files:
        data = bytearray(path.read_bytes())
        data[-3] ^= 0xFF
        path.write_bytes(bytes(data))
    with counting() as copied:
        write(tmp_path, ("set", 150, "标题", "二"), cache=True)
    assert copied == []
    assert cells(tmp_path / "ledger.xlsx")[LEDGER][149][1] == "二"


def test_damaged_bytes_in_a_copied_segment_refuse_the_write(tmp_path: Path) -> None:
    make(tmp_path / "ledger.xlsx", rows=400)
    ledger = tmp_path / "ledger.xlsx"
    write(tmp_path, ("set", 50, "标题", "一"), cache=True)
    index = index_of(tmp_path)
    with open(ledger, "rb") as f:
        member = next(m for m in zipraw.read_directory(f)[0] if m.name.endswith("sheet1.xml"))
        start = zipraw.data_offset(f, member)
    middle = len(index.rows) // 2  # neither the first nor the last: copied as it is
    at = start + index.head.clen + sum(s.clen for s in index.rows[:middle]) + 5
    data = bytearray(ledger.read_bytes())
    data[at] ^= 0x01  # a bit flipped on disk: the central directory still says the same
    ledger.write_bytes(bytes(data))
    before = ledger.read_bytes()
    message = write(tmp_path, ("set", 390, "标题", "二"), cache=True)
    # the segment no longer matches its note: the write goes through the whole sheet,
    # which finds the damage and refuses it in one line saying what to do
    assert message is not None
    assert message.startswith("ledger.xlsx is not a readable .xlsx workbook (zip member ")
    assert "fails its CRC check): restore it from .procdoc/backups/" in message
    assert ledger.read_bytes() == before


def test_other_sheets_are_looked_at_for_formulas_once(tmp_path: Path) -> None:
    """A workbook without formulas or a calc chain gets fullCalcOnLoad as soon as any
    sheet holds a formula, so a write looks at the sheets it does not rewrite; what it
    finds is kept by the sheet part's CRC-32 and sizes, and looked for again only when the
    part changes."""
    ledger = tmp_path / "ledger.xlsx"
    create_workbook(
        ledger,
        {
            LEDGER: (["编号", "标题"], []),
            "收文登记": (["编号", "标题"], [{"编号": "SW-1", "标题": "来文"}]),
            HISTORY: (["编号", "动作"], []),
        },
    )
    with zipfile.ZipFile(ledger) as z:
        assert b"fullCalcOnLoad" not in z.read("xl/workbook.xml")
    looked: list[str] = []
    real = patch_mod._has_formulas

    def has_formulas(f: object, member: zipraw.Member) -> bool:
        looked.append(member.name)
        return real(f, member)  # type: ignore[arg-type]

    patch_mod._has_formulas = has_formulas  # type: ignore[assignment]
    try:
        write(tmp_path, ("append", "标题", "一"), cache=True)
        assert looked == ["xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]
        write(tmp_path, ("append", "标题", "二"), cache=True)
        assert len(looked) == 2  # neither part changed: what was found is kept
        add_formula(ledger, "xl/worksheets/sheet2.xml")  # a script's edit of 收文登记
        write(tmp_path, ("append", "标题", "三"), cache=True)
        assert looked[2:] == ["xl/worksheets/sheet2.xml"]  # changed: looked at, found
    finally:
        patch_mod._has_formulas = real  # type: ignore[assignment]
    with zipfile.ZipFile(ledger) as z:
        assert b"fullCalcOnLoad" in z.read("xl/workbook.xml")


def add_formula(path: Path, part: str) -> None:
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == part:
                data = data.replace(
                    b"</row></sheetData>", b'<c r="C2"><f>1+1</f><v>2</v></c></row></sheetData>'
                )
                assert b"<f>" in data
            z.writestr(info, data)


def strip_full_calc(path: Path) -> None:
    """Another tool edits workbook.xml only, copying every other part byte for byte."""
    tmp = path.with_suffix(".tmp")
    with open(path, "rb") as f, open(tmp, "wb") as out:
        members, comment = zipraw.read_directory(f)
        writer = zipraw.ZipWriter(out)
        for m in members:
            if m.name == "xl/workbook.xml":
                data = re.sub(rb'\s*fullCalcOnLoad="1"', b"", zipraw.read_member(f, m))
                writer.write_bytes(m.name, data, like=m)
            else:
                writer.copy(f, m)
        writer.close(comment)
    tmp.replace(path)


def test_a_sheet_whose_last_formula_was_overwritten_is_not_said_to_have_formulas(
    tmp_path: Path,
) -> None:
    """Found in review: the index said a sheet had formulas after a write overwrote its
    only one, so a later write through segments asked Excel to recalculate on opening
    where a write through the whole sheet did not."""
    seg, whole = tmp_path / "seg", tmp_path / "whole"
    seg.mkdir()
    make(seg / "ledger.xlsx", rows=400)  # E30 holds the only formula
    shutil.copytree(seg, whole)
    for folder, cache in ((seg, True), (whole, False)):
        assert write(folder, ("set", 30, "合计", 7), cache=cache) is None
        assert b"<f>" not in contents(folder / "ledger.xlsx")["xl/worksheets/sheet1.xml"]
        strip_full_calc(folder / "ledger.xlsx")
        assert write(folder, ("set", 300, "标题", "改"), cache=cache) is None
    assert contents(seg / "ledger.xlsx") == contents(whole / "ledger.xlsx")
    assert b"fullCalcOnLoad" not in contents(seg / "ledger.xlsx")["xl/workbook.xml"]


def test_a_workbook_too_big_to_write_is_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a limit of the file being written (4 GB, 65,535 parts) was
    reported as a damaged ledger to restore from a backup."""
    make(tmp_path / "ledger.xlsx")
    before = (tmp_path / "ledger.xlsx").read_bytes()

    def check_offset(self: zipraw.ZipWriter, offset: int) -> None:
        if offset > 2000:  # a 4 GB limit, scaled down
            raise zipraw.ZipLimitError("the workbook would exceed 4 GB")

    monkeypatch.setattr(zipraw.ZipWriter, "_check_offset", check_offset)
    assert write(tmp_path, ("set", 5, "标题", "改"), cache=True) == (
        "the workbook would exceed 4 GB"
    )
    assert (tmp_path / "ledger.xlsx").read_bytes() == before
