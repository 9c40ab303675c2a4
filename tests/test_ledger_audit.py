"""The splice audit: rows procdoc does not write come out byte for byte, or nothing is
written. Splice bugs are injected into the patcher; the audit must refuse the write."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from procdoc.errors import LedgerError
from procdoc.ledger import Batch, LedgerStore, SheetChanges
from procdoc.ledger.audit import RowAudit
from procdoc.ledger.sheetxml import SheetPatcher

LEDGER = "台账"


def make_ledger(path: Path, rows: int = 8) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(LEDGER)
    ws.write_row(0, 0, ["编号", "状态", "标题"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"C-{r}", "办理中", f"来信{r}"])
    wb.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inject(monkeypatch: pytest.MonkeyPatch, bug: Callable[[bytes], bytes]) -> None:
    """Make the patcher write ``bug(piece)`` where it would write a piece of the sheet."""
    real = SheetPatcher.run

    def run(self: SheetPatcher, chunks: Iterable[bytes], sink: Callable[[bytes], None]) -> object:
        return real(self, chunks, lambda data: sink(bug(data)))

    monkeypatch.setattr(SheetPatcher, "run", run)


def inject_before(monkeypatch: pytest.MonkeyPatch, bug: Callable[[bytes], bytes]) -> None:
    """Make the patcher work on ``bug(region)`` where it takes a region of rows in."""
    real = SheetPatcher._emit

    def emit(self: SheetPatcher, data: bytes) -> None:
        real(self, bug(data))

    monkeypatch.setattr(SheetPatcher, "_emit", emit)


def row_xml(data: bytes, number: int) -> bytes:
    m = re.search(rb'<row r="%d".*?</row>' % number, data, re.S)
    assert m is not None
    return m.group(0)


def drop_row_5(data: bytes) -> bytes:
    return data.replace(row_xml(data, 5), b"") if b'<row r="5"' in data else data


def alter_row_5(data: bytes) -> bytes:
    if b'<row r="5"' not in data:
        return data
    old = row_xml(data, 5)
    return data.replace(old, old.replace(b'<c r="C5"', b'<c r="C5" s="0"'))


def repeat_row_3(data: bytes) -> bytes:
    if b'<row r="3"' not in data:
        return data
    old = row_xml(data, 3)
    return data.replace(old, old + old)


def write_row_4_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    real = SheetPatcher._build_row

    def build_row(self: SheetPatcher, number: int, existing: bytes | None) -> bytes:
        xml = real(self, number, existing)
        return xml + xml if number == 4 else xml

    monkeypatch.setattr(SheetPatcher, "_build_row", build_row)


def swap_rows_5_and_6(data: bytes) -> bytes:
    if b'<row r="6"' not in data:
        return data
    five, six = row_xml(data, 5), row_xml(data, 6)
    return data.replace(five + six, six + five)


@pytest.mark.parametrize(
    ("how", "bug", "message"),
    [
        (inject, drop_row_5, "row 5 is missing from what procdoc wrote"),
        (inject_before, drop_row_5, "row 5 is missing from what procdoc wrote"),
        (inject, alter_row_5, "row 5 changed, which procdoc did not write"),
        (inject_before, alter_row_5, "row 5 changed, which procdoc did not write"),
        (inject, repeat_row_3, "row 3 comes after row 3 in what procdoc wrote"),
        (inject, swap_rows_5_and_6, "row 5 is missing from what procdoc wrote"),
        (None, write_row_4_twice, "row 4 comes after row 4 in what procdoc wrote"),
    ],
)
def test_a_splice_bug_next_to_a_written_row_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: Callable[..., None] | None,
    bug: Callable[..., object],
    message: str,
) -> None:
    path = tmp_path / "ledger.xlsx"
    make_ledger(path)
    before = digest(path)
    if how is None:
        bug(monkeypatch)
    else:
        how(monkeypatch, bug)
    store = LedgerStore(path, state_dir=tmp_path / ".procdoc")
    with pytest.raises(LedgerError) as info:
        store.update(
            lambda s: Batch(
                {LEDGER: SheetChanges(set={4: {"状态": "已办结"}}, append=[{"编号": "N"}])}
            )
        )
    text = str(info.value)
    assert text.startswith(f"ledger.xlsx {LEDGER}: {message}; the ledger was not changed")
    assert "\n" not in text
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".procdoc", "ledger.xlsx"]
    assert not (tmp_path / ".procdoc" / "backups").exists()


def test_a_bug_far_from_any_written_row_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region the patcher passes through untouched (a big sheet, written in pieces)."""
    path = tmp_path / "ledger.xlsx"
    make_ledger(path, rows=15_000)
    before = digest(path)

    def drop_row_5432(data: bytes) -> bytes:
        return data.replace(row_xml(data, 5432), b"") if b'<row r="5432"' in data else data

    inject_before(monkeypatch, drop_row_5432)
    store = LedgerStore(path, state_dir=tmp_path / ".procdoc")
    with pytest.raises(LedgerError, match="row 5432 is missing"):
        store.update(lambda s: Batch({LEDGER: SheetChanges(set={14_000: {"状态": "已办结"}})}))
    assert digest(path) == before


# -- the audit on its own -----------------------------------------------------------------


def sheet(rows: dict[int, bytes], *, closing: bool = True) -> bytes:
    body = b"".join(b'<row r="%d">%s</row>' % (n, cells) for n, cells in sorted(rows.items()))
    end = b"</sheetData><autoFilter/></worksheet>" if closing else b""
    return b'<?xml version="1.0"?><worksheet><dimension ref="A1"/><sheetData>' + body + end


def pieces(data: bytes, rng: random.Random) -> list[bytes]:
    out = []
    pos = 0
    while pos < len(data):
        step = rng.choice([1, 2, 7, 64, 500, 5000])
        out.append(data[pos : pos + step])
        pos += step
    return out


def audit(before: bytes, after: bytes, written: set[int], seed: int) -> None:
    rng = random.Random(seed)
    check = RowAudit("x.xlsx 表")
    ins, outs = pieces(before, rng), pieces(after[after.index(b"<sheetData>") :], rng)
    while ins or outs:  # interleaved, as the patcher lags behind its input
        if ins and (not outs or rng.random() < 0.5):
            check.feed_in(ins.pop(0))
        else:
            check.feed_out(outs.pop(0))
    check.finish(written)


cells = st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"<", b"").replace(b">", b""))


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.integers(1, 60), cells, max_size=40),
    st.dictionaries(st.integers(1, 80), cells, max_size=10),
    st.integers(0, 2**32),
)
def test_the_audit_accepts_any_honest_splice(
    rows: dict[int, bytes], writes: dict[int, bytes], seed: int
) -> None:
    after = {**rows, **writes}
    audit(sheet(rows), sheet(after), set(writes), seed)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.integers(1, 60), cells, min_size=2, max_size=40),
    st.dictionaries(st.integers(1, 80), cells, max_size=10),
    st.sampled_from(["drop", "alter", "repeat", "add"]),
    st.integers(0, 2**32),
)
def test_the_audit_refuses_a_change_to_a_row_not_written(
    rows: dict[int, bytes], writes: dict[int, bytes], bug: str, seed: int
) -> None:
    untouched = sorted(set(rows) - set(writes))
    after = {**rows, **writes}
    body = sheet(after)
    if bug == "add":
        free = next(n for n in range(1, 200) if n not in after)
        after[free] = b"extra"
        body = sheet(after)
    elif not untouched:
        return
    else:
        victim = random.Random(seed).choice(untouched)
        old = b'<row r="%d">%s</row>' % (victim, rows[victim])
        new = {"drop": b"", "alter": old.replace(b"</row>", b"!</row>"), "repeat": old + old}[bug]
        body = body.replace(old, new, 1)
    with pytest.raises(LedgerError, match="the ledger was not changed"):
        audit(sheet(rows), body, set(writes), seed)


def test_a_long_sheet_in_small_pieces() -> None:
    rows = {n: b"<c>%d</c>" % n + b"x" * 300 for n in range(1, 20_000)}
    after = {**rows, 7000: b"<c>new</c>", 20_000: b"<c>appended</c>", 20_001: b"<c>2</c>"}
    audit(sheet(rows), sheet(after), {7000, 20_000, 20_001}, 1)
    check = RowAudit("x.xlsx 表")
    data, out = sheet(rows), sheet(after)[sheet(after).index(b"<sheetData>") :]
    step = 1 << 16
    for i in range(0, max(len(data), len(out)), step):
        check.feed_in(data[i : i + step])
        check.feed_out(out[i : i + step])
        assert len(check.a.chunks) < 5  # pieces are dropped as the comparison goes on
    check.finish({7000, 20_000, 20_001})
    assert check.changed == [7000] and check.added == [20_000, 20_001]


def test_a_sheet_that_ends_early_is_refused() -> None:
    check = RowAudit("x.xlsx 表")
    check.feed_in(sheet({1: b"a"}))
    check.feed_out(b'<sheetData><row r="1">a</row>')
    with pytest.raises(LedgerError, match="the sheet data ends early"):
        check.finish({1})


def test_rows_ending_in_an_unusual_end_tag_are_paired_right() -> None:
    before = sheet({}).replace(
        b"<sheetData>",
        b'<sheetData><row r="1"><c>a</c></row ><row r="2"><c>b</c></row\n>'
        b'<row r="3"><c>c</c></row>',
    )
    after = before.replace(b"<c>b</c>", b"<c>B</c>")
    for seed in range(5):
        audit(before, after, {2}, seed)
    with pytest.raises(LedgerError, match="row 2 changed, which procdoc did not write"):
        audit(before, after, {1, 3}, 0)


def test_a_row_written_without_its_end_tag_is_refused() -> None:
    before = sheet({1: b"<c>a</c>", 2: b"<c>b</c>", 3: b"<c>c</c>"})
    after = before.replace(b"<c>a</c></row>", b"<c>A</c>")  # row 1 now swallows row 2
    with pytest.raises(LedgerError, match="row 2 is missing from what procdoc wrote"):
        audit(before, after, {1}, 0)
