"""A case's rows of 流转记录 picked from the sheet's XML (procdoc.ledger.pick) are the rows
the whole sheet gives that case, numbers and values alike, whichever program wrote the
workbook; where the XML alone cannot say so, nothing is picked and the sheet is read
whole. A cold `show` picks; its answer is the answer of a read of the whole sheet."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from conftest import WORKBOOKS, advance1, cli
from procdoc.commands import cases
from procdoc.ledger import HeaderSpec, LedgerStore, Sheet, create_workbook, pick, reader, store
from procdoc.ledger.pick import pick_rows, searchable
from procdoc.values import text
from test_cases import AT, opened, ws_of
from test_ledger_registers import rewrite_member


@pytest.fixture(autouse=True, scope="module")
def _any_strings() -> Iterator[None]:
    """Rows picked whatever the size of the shared strings (the tests' sheets are small
    beside them): the rule is tested on its own."""
    saved, pick.STRINGS_SHARE = pick.STRINGS_SHARE, 0
    yield
    pick.STRINGS_SHARE = saved


NAME = "流转记录"
SPEC = HeaderSpec(id_label="编号", labels=("编号", "时间", "动作", "办理人", "意见"))
LABELS = ["编号", "时间", "动作", "办理人", "意见"]
T0 = datetime(2026, 10, 6, 9, 30)

Rows = list[tuple[int, list[Any]]]
"""(row number, values from column A) of the sheet below its title rows."""


def whole(path: Path, spec: HeaderSpec = SPEC) -> Sheet:
    return reader._read_sheets(path, {NAME: spec}, "ledger.xlsx")[0][NAME]


def rows_of(sheet: Sheet, case_id: str) -> list[tuple[int, list[Any]]]:
    """The rows whose 编号 reads as ``case_id`` (as Casebook.history compares it)."""
    col = sheet.column("编号")
    assert col is not None
    return [
        (row.number, row.values)
        for row in sheet.rows
        if col < len(row.values) and text(row.values[col]) == case_id
    ]


def picked_equal(path: Path, case_id: str, spec: HeaderSpec = SPEC) -> Sheet | None:
    """What was picked for ``case_id`` (None: nothing); when something was, it holds the
    rows the whole sheet holds for it, and the same header."""
    full = whole(path, spec)
    got = reader.read_rows_holding(path, NAME, spec, case_id)
    if got is not None:
        assert (got.header, got.header_row) == (full.header, full.header_row)
        assert rows_of(got, case_id) == rows_of(full, case_id)
        assert len(got.rows) <= len(full.rows)
    return got


# -- writers ------------------------------------------------------------------------------


def by_procdoc(path: Path, rows: Rows, title: int) -> None:
    """Inline strings, as procdoc writes (a register before 流转记录: its second sheet)."""
    if title:
        raise _Skip
    grid: dict[int, dict[str, Any]] = {}
    for number, values in rows:
        grid[number] = {LABELS[c]: v for c, v in enumerate(values) if v is not None}
    last = max(grid, default=1)
    body = [grid.get(n, {}) for n in range(2, last + 1)]
    create_workbook(
        path, {"台账": (["编号", "标题"], [{"编号": "X", "标题": "t"}]), NAME: (LABELS, body)}
    )


def by_xlsxwriter(path: Path, rows: Rows, title: int, *, inline: bool = False) -> None:
    """Shared strings (as Excel keeps them), or inline strings (constant memory)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    wb.add_worksheet("台账").write_row(0, 0, ["编号", "标题"])
    ws = wb.add_worksheet(NAME)
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r in range(title):
        ws.write(r, 0, f"标题行{r}")
    ws.write_row(title, 0, LABELS)
    for number, values in rows:
        for c, v in enumerate(values):
            if isinstance(v, datetime):
                ws.write_datetime(number - 1 + title, c, v, moment)
            elif v is not None:
                ws.write(number - 1 + title, c, v)
    wb.close()


def by_openpyxl(path: Path, rows: Rows, title: int) -> None:
    """openpyxl: every character beyond ASCII written as a character reference."""
    wb = openpyxl.Workbook()
    wb.active.title = "台账"
    ws = wb.create_sheet(NAME)
    for r in range(title):
        ws.cell(row=r + 1, column=1, value=f"标题行{r}")
    for c, label in enumerate(LABELS, 1):
        ws.cell(row=title + 1, column=c, value=label)
    for number, values in rows:
        for c, v in enumerate(values, 1):
            if v is not None:
                ws.cell(row=number + title, column=c, value=v)
    wb.save(path)


class _Skip(Exception):
    """A sheet this writer does not make (procdoc writes no title above 流转记录)."""


WRITERS: dict[str, Callable[[Path, Rows, int], None]] = {
    "procdoc": by_procdoc,
    "xlsxwriter": by_xlsxwriter,
    "xlsxwriter-inline": lambda p, r, t: by_xlsxwriter(p, r, t, inline=True),
    "openpyxl": by_openpyxl,
}

IDS = ["BX2026-000001", "BX2026-000002", "BX2026-0000011", "收文2026-1", "XF-7"]
"""Ids of the random sheets: one holds another (BX2026-000001 in BX2026-0000011), one
is beyond ASCII."""

_id_cell = st.sampled_from([*IDS, " BX2026-000001 ", "BX2026-000001\n", "", "12", "备注"])


@WORKBOOKS
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2),  # empty rows before
            _id_cell,
            st.integers(0, 10_000),  # minutes after T0
            st.sampled_from(["流转", "导入", "退回", None]),
            st.sampled_from([None, "同意", "见BX2026-000002", "收文2026-1 已阅", "A&B <c>"]),
        ),
        max_size=40,
    ),
    title=st.integers(0, 2),
    writer=st.sampled_from(sorted(WRITERS)),
)
def test_the_rows_picked_are_the_rows_the_whole_sheet_gives(
    rows: list[tuple[int, str, int, str | None, str | None]], title: int, writer: str
) -> None:
    """Ids padded and not, an id inside another, in other columns too, rows apart and in
    the top rows, titles above the header, strings shared or inline or referenced."""
    placed: Rows = []
    at = 2
    for gap, cid, minutes, action, note in rows:
        at += gap
        placed.append((at, [cid or None, T0 + timedelta(minutes=minutes), action, "王敏", note]))
        at += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        try:
            WRITERS[writer](path, placed, title)
        except _Skip:
            return
        for cid in IDS:
            got = picked_equal(path, cid)
            if writer == "openpyxl" and not cid.isascii():
                assert got is None  # referenced characters: read whole
            else:
                assert got is not None, (writer, cid)


def history(n: int) -> Rows:
    """``n`` rows of three cases' history in turn."""
    return [
        (2 + i, [f"C-{i % 3}", T0 + timedelta(hours=i), "流转", "王敏", f"第{i}行"])
        for i in range(n)
    ]


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_rows_far_below_the_top_are_renumbered_there_and_back(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "ledger.xlsx"
    WRITERS[writer](path, history(300), 0)
    got = picked_equal(path, "C-2")
    assert got is not None
    assert [n for n, _ in rows_of(got, "C-2")] == list(range(4, 302, 3))
    assert len(got.rows) == 9 + 97  # rows 2-10 (the top ten), and the case's below


def test_an_id_in_runs_of_shared_rich_text_is_found(tmp_path: Path) -> None:
    """An id typed in Excel with part of it bold: a shared item in runs."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(NAME)
    ws.write_row(0, 0, LABELS)
    for r in range(1, 40):
        ws.write_row(r, 0, [f"C-{r % 4}", "x", "流转"])
    ws.write_rich_string(40, 0, "C-", wb.add_format({"bold": True}), "1")
    ws.write_row(40, 1, ["y", "退回"])
    wb.close()
    got = picked_equal(path, "C-1")
    assert got is not None and [n for n, _ in rows_of(got, "C-1")][-1] == 41


def test_rich_inline_text_sends_the_sheet_whole(tmp_path: Path) -> None:
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    path = tmp_path / "ledger.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = NAME
    ws.append(LABELS)
    ws.append([CellRichText([TextBlock(InlineFont(b=True), "C-"), "1"]), "x"])
    ws.append(["C-1", "y"])
    wb.save(path)
    assert len(rows_of(whole(path), "C-1")) == 2
    assert reader.read_rows_holding(path, NAME, SPEC, "C-1") is None


@pytest.mark.parametrize(
    "case_id", ["12", "1.5e3", "A&B", "A<B", 'A"B', "A'B", "a_x0041_", " C-1", "C-1 ", ""]
)
def test_ids_the_xml_may_hold_otherwise_are_not_searched(case_id: str) -> None:
    assert not searchable(case_id)


def test_searchable_ids(tmp_path: Path) -> None:
    assert all(searchable(c) for c in ["BX2026-000001", "收文〔2026〕1号", "XF-7", "C 1"])


def test_a_part_not_in_utf8_or_rows_out_of_order_send_the_sheet_whole(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_procdoc(path, history(60), 0)
    assert pick_rows(path, NAME, "C-1", 10) is not None
    member = "xl/worksheets/sheet2.xml"

    def swap(xml: bytes) -> bytes:  # row 60 (C-1's) before row 21
        rows = re.findall(rb"<row .*?</row>", xml)
        start, end = xml.index(rows[20]), xml.index(rows[-1]) + len(rows[-1])
        return xml[:start] + rows[59] + b"".join(rows[20:59] + rows[60:]) + xml[end:]

    rewrite_member(path, member, swap)
    assert pick_rows(path, NAME, "C-1", 10) is None
    by_procdoc(path, history(60), 0)
    rewrite_member(path, member, lambda x: x.replace(b'encoding="UTF-8"', b'encoding="GBK"', 1))
    assert pick_rows(path, NAME, "C-1", 10) is None


def test_a_prefixed_namespace_is_picked_too(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_procdoc(path, history(60), 0)

    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="')
        xml = re.sub(rb"<(/?)(?!x:)([a-zA-Z]+)([ />])", rb"<\1x:\2\3", xml)
        return xml.replace(b"<x:?xml", b"<?xml")

    rewrite_member(path, "xl/worksheets/sheet2.xml", prefixed)
    got = picked_equal(path, "C-0")
    assert got is not None and len(rows_of(got, "C-0")) == 20


def test_a_header_below_the_rows_searched_keeps_every_row_above_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_xlsxwriter(path, history(80), 12)  # the header in row 13
    spec = HeaderSpec(row=13, id_label="编号")
    got = picked_equal(path, "C-1", spec)
    assert got is not None and got.header_row == 13 and len(rows_of(got, "C-1")) == 27


def test_a_sheet_without_the_id_gives_its_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_procdoc(path, history(60), 0)
    got = picked_equal(path, "C-9")
    assert got is not None and rows_of(got, "C-9") == [] and len(got.rows) == 9


# -- the store and show --------------------------------------------------------------------


def test_the_store_picks_only_from_the_version_a_read_saw(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_procdoc(path, history(60), 0)
    ledger = LedgerStore(path, state_dir=tmp_path / ".procdoc", sheets=("台账", NAME))
    seen = ledger.read(["台账"]).fingerprint
    got = ledger.read_rows_holding(NAME, SPEC, "C-1", seen)
    assert got is not None and got[1] is False and len(rows_of(got[0], "C-1")) == 20
    os.utime(path, ns=(0, 0))  # another version of the file since
    assert ledger.read_rows_holding(NAME, SPEC, "C-1", seen) is None
    seen = ledger.read({NAME: SPEC}).fingerprint  # now in the read cache: taken whole
    got = ledger.read_rows_holding(NAME, SPEC, "C-1", seen)
    assert got is not None and got[1] is True and len(got[0].rows) == 60


def test_a_cold_show_picks_and_answers_as_a_read_of_the_whole_sheet(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [opened(mini, applicant=f"申请人{i}") for i in range(8)]
    for cid in ids[::2]:
        advance1(ws_of(mini), cid, step="review", at=AT)
    picks: list[Sheet | None] = []
    real = store.read_rows_holding

    def counted(*args: Any) -> Sheet | None:
        picks.append(real(*args))
        return picks[-1]

    monkeypatch.setattr(store, "read_rows_holding", counted)
    cache = mini / ".procdoc" / "cache"
    for cid in ids[2:5]:
        shutil.rmtree(cache, ignore_errors=True)
        cold = cli(mini, "show", cid, "--format", "json")
        assert picks and picks[-1] is not None  # picked
        picked_count = len(picks)
        again = cli(mini, "show", cid, "--format", "json")  # registers cached: whole
        assert len(picks) == picked_count
        assert cold == again and cold[0] == 0
        assert len(json.loads(cold[1])["history"]) >= 1


def test_a_write_takes_its_case_history_from_the_rows_picked(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write after a cold `show` (the registers in the read cache, 流转记录 not) takes its
    case's history from the rows picked, never 流转记录 read whole (at 100k cases 0.8 s
    and 100 MB more): 部门负责人's signature moves the case on, which it does only when
    财务's is in the history, and the ledger written is byte for byte the ledger a write
    with the whole sheet writes."""
    from procdoc.casebook import Casebook

    def to_sign(root: Path) -> str:
        for i in range(5):
            opened(root, applicant=f"申请人{i}")
        cid = opened(root, ok="是", amount="8000", received="2026-09-30")
        advance1(ws_of(root), cid, step="review", at=AT)
        advance1(ws_of(root), cid, step="sign", at=datetime(2026, 10, 9, 9, 0))
        advance1(ws_of(root), cid, step="boss", by="财务", at=datetime(2026, 10, 9, 10, 0))
        return cid

    cid = to_sign(mini)
    other = mini.parent / "副本"
    shutil.copytree(mini, other)
    whole_reads: list[str] = []
    real = Casebook.history_sheet

    def counted(book: Casebook) -> Sheet | None:
        whole_reads.append(book.name)
        return real(book)

    monkeypatch.setattr(Casebook, "history_sheet", counted)

    def both(write: Callable[[Path], Any]) -> list[Any]:
        """``write`` after one cold `show` (picked) and after two (from the cache): what it
        returned each time; the files it wrote are the same, bar their time."""
        done = []
        for root, shows in ((mini, 1), (other, 2)):
            shutil.rmtree(root / ".procdoc" / "cache", ignore_errors=True)
            for _ in range(shows):
                assert cli(root, "show", cid)[0] == 0
            whole_reads.clear()
            done.append(write(root))
            assert (whole_reads == []) is (root == mini)  # picked: never read whole
        ours, theirs = (zipfile.ZipFile(root / "ledger.xlsx") for root in (mini, other))
        with ours, theirs:
            assert ours.namelist() == theirs.namelist()
            for member in ours.namelist():
                if member != "docProps/core.xml":  # (the time it was written)
                    assert ours.read(member) == theirs.read(member), member
        return done

    at = datetime(2026, 10, 9, 11, 0)
    for done in both(lambda root: advance1(ws_of(root), cid, step="boss", by="部门负责人", at=at)):
        assert done.action == "advance" and done.case.step is not None
        assert done.case.step.id == "boss"
    history = cases.show(ws_of(mini), cid).history or []
    assert [h.action for h in history].count("sign") == 2
    # a withdrawal reads the case's history twice: the rows picked serve both
    later = datetime(2026, 10, 9, 11, 30)
    for back in both(lambda root: cases.withdraw(ws_of(root), cid, by="部门负责人", at=later)):
        assert back.case.step is not None and back.case.step.id == "sign"
    # a correction reads no history: it picks the rows of the case it appends to
    for code in both(
        lambda root: cli(root, "set", cid, "--set", "amount=9000", "--at", "2026-10-09 12:00")[0]
    ):
        assert code == 0
    assert cases.show(ws_of(mini), cid).fields["amount"] == 9000


_MOVES = ["review", "sign", "boss", "issue", "archive"]
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("show"), st.integers(0, 3)),
        st.tuples(st.just("cold")),
        st.tuples(
            st.just("advance"),
            st.integers(0, 3),
            st.sampled_from(_MOVES),
            st.sampled_from([None, "财务", "部门负责人"]),
        ),
        st.tuples(st.just("withdraw"), st.integers(0, 3), st.sampled_from([None, "财务"])),
        st.tuples(st.just("set"), st.integers(0, 3), st.integers(1, 99999)),
        st.tuples(st.just("extend"), st.integers(0, 3), st.sampled_from(["5d", "40d"])),
        st.tuples(st.just("assign"), st.integers(0, 3), st.sampled_from(["乙", "丙"])),
    ),
    min_size=1,
    max_size=8,
)


def _do(root: Path, step: tuple[Any, ...], ids: list[str], at: datetime) -> Any:
    """One step of :func:`test_writes_from_rows_picked_and_from_the_whole_sheet_agree`:
    what it returned, or the refusal it met, in words that do not name ``root``."""
    from procdoc.errors import ProcdocError

    kind, cid = step[0], ids[step[1]] if len(step) > 1 else ""
    ws = ws_of(root)
    try:
        if kind == "cold":
            shutil.rmtree(root / ".procdoc" / "cache", ignore_errors=True)
            return None
        if kind == "show":
            return cases.show(ws, cid).as_dict()
        if kind == "advance":
            done = advance1(ws, cid, step=step[2], by=step[3], at=at)
            return (done.action, done.case.as_dict(), done.awaiting)
        if kind == "withdraw":
            return cases.withdraw(ws, cid, by=step[2], at=at).case.as_dict()
        if kind == "set":
            return cases.set_fields(ws, cid, sets=[f"amount={step[2]}"], at=at).case.as_dict()
        if kind == "extend":
            return cases.extend(ws, cid, by=step[2], reason="再延", at=at).case.as_dict()
        return cases.assign(ws, cid, step[2], at=at).case.as_dict()
    except ProcdocError as err:
        return ("refused", str(err).replace(str(root), "ROOT"))


@WORKBOOKS
@given(_STEPS)
def test_writes_from_rows_picked_and_from_the_whole_sheet_agree(
    steps: list[tuple[Any, ...]],
) -> None:
    """Random reads and writes of four cases, the read cache dropped at random: in one
    workspace the writes (and cold `show`s) pick their case's rows of 流转记录, in its copy
    nothing is picked and the sheet is read whole. Every step answers the same (its
    result, or its refusal), every write leaves the same file, and each case then reads
    the same in both, from the cache and cold."""
    from unittest import mock

    from conftest import MINI_CONFIG, MINI_PROCESS, write

    with tempfile.TemporaryDirectory() as tmp:
        picking, whole_root = Path(tmp) / "picking", Path(tmp) / "whole"
        write(picking / "procdoc.yaml", MINI_CONFIG)
        write(picking / "processes" / "mini.yaml", MINI_PROCESS)
        (picking / "templates").mkdir()
        ids = [opened(picking, ok="是", amount="8000", received="2026-09-30") for _ in range(4)]
        shutil.copytree(picking, whole_root)
        never = mock.patch.object(store, "read_rows_holding", lambda *args: None)
        for k, step in enumerate(steps):
            at = datetime(2026, 10, 10, 9, 0) + timedelta(minutes=10 * k)
            ours = _do(picking, step, ids, at)
            with never:
                theirs = _do(whole_root, step, ids, at)
            assert ours == theirs, step
            with (
                zipfile.ZipFile(picking / "ledger.xlsx") as a,
                zipfile.ZipFile(whole_root / "ledger.xlsx") as b,
            ):
                for member in a.namelist():
                    if member != "docProps/core.xml":
                        assert a.read(member) == b.read(member), (step, member)
        for cid in ids:
            warm = cases.show(ws_of(picking), cid).as_dict()
            shutil.rmtree(picking / ".procdoc" / "cache", ignore_errors=True)
            assert warm == cases.show(ws_of(picking), cid).as_dict()
            with never:
                assert warm == cases.show(ws_of(whole_root), cid).as_dict()


def test_a_sheet_beside_large_shared_strings_is_read_whole(tmp_path: Path) -> None:
    """Excel keeps every text in the shared strings, which calamine parses again for the
    rows picked: where they are more than a sixteenth of the sheet, it is read whole."""
    path = tmp_path / "ledger.xlsx"
    by_xlsxwriter(path, history(300), 0)
    assert picked_equal(path, "C-1") is not None
    pick.STRINGS_SHARE = 16
    try:
        assert reader.read_rows_holding(path, NAME, SPEC, "C-1") is None
    finally:
        pick.STRINGS_SHARE = 0


# -- XML no spreadsheet program writes, but valid or read by calamine all the same (a
# second look found each missing rows): the rows picked are the whole sheet's, or none

SHEET2, SST = "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml"
A30 = b'<c r="A30" t="s"><v>11</v></c>'  # C-1, shared string 11, in row 30
EDITS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "an index with a leading zero": (
        SHEET2,
        lambda x: x.replace(A30, A30.replace(b">11<", b">011<")),
    ),
    "an index with spaces": (SHEET2, lambda x: x.replace(A30, A30.replace(b">11<", b"> 11 <"))),
    "a row whose cells name another": (
        SHEET2,
        lambda x: x.replace(b'<row r="30" ', b'<row r="40" '),
    ),
    "a row number given twice": (
        SHEET2,
        lambda x: re.sub(
            rb'(<row r="27" .*?</row>)',
            rb'\1<row r="27"><c r="E27" t="inlineStr"><is><t>dup</t></is></c></row>',
            x,
            count=1,
        ),
    ),
    "a comment among the items": (
        SST,
        lambda x: re.sub(rb"(<sst[^>]*>)", rb"\1<!--<si><t>old</t></si>-->", x, count=1),
    ),
    "an instruction among the items": (
        SST,
        lambda x: re.sub(rb"(<sst[^>]*>)", rb"\1<?pi <si><t>old</t></si>?>", x, count=1),
    ),
    "two texts in one item": (
        SST,
        lambda x: x.replace(b"<si><t>C-1</t></si>", b"<si><t>C-</t><t>1</t></si>", 1),
    ),
    "phonetic text": (
        SST,
        lambda x: x.replace(
            b"<si><t>C-1</t></si>", b'<si><t>C-</t><rPh sb="0" eb="1"><t>1</t></rPh></si>', 1
        ),
    ),
    "an ASCII character reference": (
        SST,
        lambda x: x.replace(b"<si><t>C-1</t></si>", b"<si><t>&#67;-1</t></si>", 1),
    ),
    "Excel's escape in an item": (
        SST,
        lambda x: x.replace(b"<si><t>C-1</t></si>", b"<si><t>C_x002D_1</t></si>", 1),
    ),
    "Excel's escape inline": (
        SHEET2,
        lambda x: x.replace(A30, b'<c r="A30" t="inlineStr"><is><t>_x0043_-1</t></is></c>'),
    ),
    "runs ending in a space inline": (
        SHEET2,
        lambda x: x.replace(
            A30, b'<c r="A30" t="inlineStr"><is><r><t>C-</t></r ><r><t>1</t></r ></is></c>'
        ),
    ),
    "runs ending in a space shared": (
        SST,
        lambda x: x.replace(
            b"<si><t>C-1</t></si>", b"<si><r><t>C-</t></r ><r><rPr><b/></rPr><t>1</t></r ></si>", 1
        ),
    ),
    "CDATA": (
        SHEET2,
        lambda x: x.replace(
            A30, b'<c r="A30" t="inlineStr"><is><t><![CDATA[C-]]><![CDATA[1]]></t></is></c>'
        ),
    ),
    "a formula's text": (
        SHEET2,
        lambda x: x.replace(A30, b'<c r="A30" t="str"><f>"C-"&amp;1</f><v>C-1</v></c>'),
    ),
    "line breaks between tags": (SHEET2, lambda x: x.replace(b"><", b">\r\n  <")),
    "a row number in single quotes": (
        SHEET2,
        lambda x: x.replace(b'<row r="30" ', b"<row  r = '30' "),
    ),
    "a row without its number": (SHEET2, lambda x: x.replace(b'<row r="29" ', b"<row ")),
    "no relationship to the shared strings": (
        "xl/_rels/workbook.xml.rels",
        lambda x: re.sub(rb"<Relationship [^>]*sharedStrings[^>]*/>", b"", x),
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_xml_written_otherwise_gives_the_same_rows_or_none(tmp_path: Path, edit: str) -> None:
    path = tmp_path / "ledger.xlsx"
    by_xlsxwriter(path, [(2 + i, [f"C-{i % 3}", "x", "流转", "王", f"n{i}"]) for i in range(30)], 0)
    member, change = EDITS[edit]
    with zipfile.ZipFile(path) as z:
        assert change(z.read(member)) != z.read(member), edit  # the edit took
    rewrite_member(path, member, change)
    picked_equal(path, "C-1")


@pytest.mark.parametrize(
    "typed",
    [date(2026, 1, 5), datetime(2026, 1, 5, 9, 30), time(9, 30), True, timedelta(days=1, hours=2)],
)
def test_an_id_a_typed_cell_reads_as_is_not_searched(tmp_path: Path, typed: Any) -> None:
    """A date, a time, a yes/no kept as a number (46027 for 2026-01-05)."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(NAME)
    ws.write_row(0, 0, LABELS)
    shown = wb.add_format({"num_format": "yyyy-mm-dd hh:mm" if typed is not True else "General"})
    for r in range(1, 40):
        ws.write(r, 0, typed, shown) if r % 3 else ws.write(r, 0, "C-0")
    wb.close()
    case_id = text(whole(path).rows[0].values[0])  # (a time reads as 09:30)
    assert case_id is not None and not searchable(case_id), case_id


def test_a_declaration_without_its_encoding_is_utf8(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    by_procdoc(path, history(60), 0)
    rewrite_member(
        path,
        "xl/worksheets/sheet2.xml",
        lambda x: re.sub(rb"<\?xml[^>]*\?>", b'<?xml version="1.0"?>', x),
    )
    got = picked_equal(path, "C-1")
    assert got is not None and len(rows_of(got, "C-1")) == 20
