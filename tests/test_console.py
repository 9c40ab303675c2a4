"""Tables as a person reads them (SPEC §5): long cells wrap, ids and dates are never cut,
at 80 columns and when redirected; CSV opens in Excel on a Chinese Windows."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

from procdoc.cli import app
from procdoc.commands import cases
from procdoc.console import layout_table
from procdoc.workspace import Workspace

runner = CliRunner()
LONG = "关于进一步做好2026年秋冬季城市道路占道施工安全管理和文明施工工作的紧急通知"


def test_long_cells_wrap_and_ids_and_dates_are_never_cut() -> None:
    header = ["编号", "流程", "标题", "当前环节", "状态", "承办人", "环节期限", "办结期限"]
    rows = [
        ["SW2026-0001", "收文办理", LONG, "平件承办", "办理中", "王敏", "2026-11-17", "2026-12-31"]
    ]
    lines = list(layout_table(None, header, rows, width=80))
    assert all(cell_len(line) <= 80 for line in lines)
    body = "\n".join(lines)
    for atom in ("SW2026-0001", "2026-11-17", "2026-12-31"):
        assert atom in body  # whole, on one line
    title = "".join(line.split("│")[3].strip() for line in lines if line.startswith("│"))
    assert title == LONG  # wrapped, all there


def test_a_table_wider_than_the_screen_keeps_its_ids_whole() -> None:
    header = [f"列{i}" for i in range(12)]
    rows = [[f"ID-2026-{i:04d}" for i in range(12)]]
    lines = list(layout_table(None, header, rows, width=40))
    assert all(f"ID-2026-{i:04d}" in "\n".join(lines) for i in range(12))


def test_list_at_80_columns_redirected(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(mini)
    cid = cases.new(ws, "mini", title=LONG, sets=["applicant=张三"], at=datetime(2026, 10, 9, 9)).id
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, ["list", "-w", str(mini)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), lines
    assert any(cid in line for line in lines) and any("2026-10-10" in line for line in lines)


def test_wrapping_never_starts_a_line_with_closing_punctuation_and_breaks_paths_at_slashes() -> (
    None
):
    from procdoc.console import _wrap

    lines = _wrap("催办、上报，已逾期。", 4)
    assert not any(line[:1] in "，。、" for line in lines), lines
    assert "".join(lines) == "催办、上报，已逾期。"
    assert _wrap("samples/oa/export.xlsx", 12) == ["samples/oa/", "export.xlsx"]
    # a line breaks after a closing mark that follows a Latin word (`templates` cut
    # `handler_o`/`rg?` in a list of names joined by 、)
    names = "case_due_cn、channel?、handler_org?、office"
    assert _wrap(names, 24) == ["case_due_cn、channel?、", "handler_org?、office"]


@given(
    st.text(alphabet="ab 甲乙，。/\n\t", max_size=14),
    st.integers(1, 12),
)
def test_a_cell_laid_out_once_prints_as_the_row_layout_does(value: str, width: int) -> None:
    """The table's per-value layout (and its fast path for a value that fits) gives the
    lines the row layout gives."""
    from procdoc.console import _Cells, _row_lines, _Widths

    got = _Cells(_Widths().__getitem__, width)[value]
    lines = (got,) if isinstance(got, str) else got  # one line is held as a str
    assert lines == tuple(line[1:-1] for line in _row_lines([value], [width], "|"))


@given(st.text(alphabet="ab 甲乙，。/\n\t", max_size=14), st.integers(1, 12))
def test_a_cell_without_padding_prints_as_the_row_layout_does(value: str, width: int) -> None:
    from procdoc.console import _Cells, _row_lines, _Widths

    got = _Cells(_Widths().__getitem__, width, 0)[value]
    lines = (got,) if isinstance(got, str) else got
    assert lines == tuple(line[1:-1] for line in _row_lines([value], [width], "|", 0))


OVERDUE = ["编号", "标题", "当前环节", "承办人", "等级", "期限", "逾期天数", "工作日", "提醒"]


def overdue_rows(n: int) -> list[list[str]]:
    return [
        [
            f"BX2026-{i:06d}",
            "杨帆提交的费用报销",
            "报销提交",
            "周杰",
            "逾期",
            "2026-09-02",
            "94",
            "63",
            "上报",
        ]
        for i in range(n)
    ]


def test_a_table_too_wide_for_the_screen_gives_its_padding_to_the_text() -> None:
    """At 80 columns `overdue`'s nine columns gave 标题 five cells (two characters a line,
    five lines a case); without the space each side of a cell, and with the headers
    wrapped before any cell, every case takes one line."""
    lines = list(layout_table(None, OVERDUE, overdue_rows(50), width=80))
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 50 and all(cell_len(line) <= 80 for line in lines)
    assert body[0].startswith("│BX2026-000000│杨帆提交的费用报销│报销提交")
    assert len([line for line in lines if line.startswith("┃")]) == 2  # headers wrapped
    wide = list(layout_table(None, OVERDUE, overdue_rows(50), width=160))  # room to spare
    assert next(line for line in wide if line.startswith("│")).startswith("│ BX2026-000000 │")


def test_columns_give_way_where_the_fewest_rows_grow() -> None:
    """Two text columns, one of them too wide: the one whose long values are rare wraps,
    and a row already made taller by another cell wraps its own for free."""
    rows = [["甲" * 10, "乙" * 5] for _ in range(30)] + [["甲" * 10, "乙" * 10]]
    lines = list(layout_table(None, ["甲", "乙"], rows, width=2 * 20 + 3 - 4))
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 32  # the one row with a long 乙 takes two lines, no other
    assert body[0].startswith("│" + "甲" * 10 + "│")


def test_a_column_of_wide_characters_under_a_one_letter_header_keeps_the_width() -> None:
    """A second look: a column headed ``#`` was narrowed to one cell, and its 甲 stuck out."""
    rows = [["甲", "x" * 40]] + [["", "y" * 40] for _ in range(5)]
    lines = list(layout_table(None, ["#", "note"], rows, width=44))
    assert max(map(cell_len, lines)) <= 44


def test_a_column_of_wide_characters_gives_an_odd_cell_to_a_column_that_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A column of wide characters left an odd width wastes its last cell on every line
    (`templates` once gave 标题 11 cells for five characters a line): it goes to a column
    of Latin words it spares a line. Over 200 random tables none is taller for it."""
    import random

    from procdoc import console

    rows = [
        ["复收办报受理信单会", "case_id due_cn case_id case_id due_cn",
         "送笺送知意转项审事事受销转知通达", "复督访予事事复证予办书告报办议通知", "BX2026-174165"],
        ["达用转办收处督函办受笺不送证事知批送信销查函书转批",
         "x handler due_cn title due_cn due_cn", "销文回回复", "费查意复销回知督访督办告",
         "BX2026-312385"],
        ["访事见理办项文受查书费销送予事笺审信查复单知予单送", "due_cn case_id handler",
         "送意转报审报事予理送报知受不复达销", "不送见单议办单笺事见报事予理", "BX2026-736781"],
    ]  # fmt: skip
    header = [f"列{i}" for i in range(5)]

    def laid_out(rows: list[list[str]], header: list[str], width: int) -> list[str]:
        return list(layout_table(None, header, rows, width=width))

    lines = laid_out(rows, header, 100)
    widths = [len(part) for part in lines[0][1:-1].split("┳")]
    assert widths[3] % 2 == 0 and max(map(cell_len, lines)) <= 100
    assert any("│x handler    │" in line for line in lines)  # 列1 a cell wider: 13

    rng = random.Random(5)
    text = "信访事项受理告知书费用报销审批单送达回证督办会议通知不予复查意见收文处理笺转送交办函"
    words = ["case_id", "title", "handler", "due_cn", "x"]
    makers = [
        lambda: "".join(rng.choice(text) for _ in range(rng.randint(2, 30))),
        lambda: " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))),
        lambda: f"BX2026-{rng.randint(1, 999999):06d}",
        lambda: rng.choice(["周杰", "逾期", "办理中"]),
    ]
    tables = []
    for _ in range(200):
        kinds = [rng.choice(makers) for _ in range(rng.randint(2, 7))]
        random_rows = [[make() for make in kinds] for _ in range(rng.randint(3, 30))]
        tables.append((random_rows, [f"列{i}" for i in range(len(kinds))], rng.choice([60, 80])))
    evened = [len(laid_out(*table)) for table in tables]
    monkeypatch.setattr(console, "_even_out", lambda *args: None)
    assert len(laid_out(rows, header, 100)) == len(lines) + 1  # the cell spared a line
    odd = [len(laid_out(*table)) for table in tables]
    assert all(e <= o for e, o in zip(evened, odd, strict=True))
    assert sum(evened) < sum(odd)


def test_a_long_cell_costs_a_few_rounds_not_one_a_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """The columns give way a share at a time (a pasted note of 20,000 characters made
    20,000 rounds of weighing every row shape: 3.9 s for 10,000 rows)."""
    from procdoc import console

    calls = []
    real = console._cost
    monkeypatch.setattr(console, "_cost", lambda *a: calls.append(1) or real(*a))
    rows = overdue_rows(200)
    rows[5][1] = "log line " * 2000
    lines = list(layout_table(None, OVERDUE, rows, width=100))
    assert max(map(cell_len, lines)) <= 100 and len(calls) < 200


def test_a_column_every_row_fills_gives_way_before_a_text_is_cut_to_two_characters() -> None:
    """A second look: paths of one width in every row were kept whole (cutting them cut
    every row at once) while 标题 went down to two characters a line. (At 60 columns it
    still gives 标题 three characters: a path's cut is weighed as a Chinese word's.)"""
    import random

    rng = random.Random(237)
    text = "信访事项受理告知书费用报销审批单送达回证督办会议通知不予复查意见收文处理笺转送交办函"
    header = ["编号", "path", "承办人", "标题", "当前环节"]
    rows = [
        [
            f"BX2026-{i:06d}",
            f"samples/oa/export-{rng.randint(10, 99)}.xlsx",
            rng.choice(["周杰", "张伟"]),
            "".join(rng.choice(text) for _ in range(rng.randint(8, 20))),
            "总经理审批",
        ]
        for i in range(33)
    ]
    lines = list(layout_table(None, header, rows, width=80))
    head = next(line for line in lines if line.startswith("┃"))
    assert max(map(cell_len, lines)) <= 80
    assert cell_len(head.split("┃")[4]) >= 16  # 标题: eight characters a line at least


def test_a_character_wider_than_its_column_is_put_alone_on_a_line() -> None:
    from procdoc.console import _wrap

    assert _wrap("甲乙", 1) == ["甲", "乙"]  # it used to loop for ever


def test_a_summary_line_is_written_as_rich_would_without_loading_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from procdoc import console

    monkeypatch.delitem(console.__dict__, "err", raising=False)
    console.info("逾期 2 件：[bold]x[/]\x07")  # markup is text, a bell is left out
    assert capsys.readouterr().err == "逾期 2 件：[bold]x[/]\n"
    assert "err" not in console.__dict__  # Rich's console was not made


@given(st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=12))
def test_a_text_is_as_wide_as_rich_measures_it(value: str) -> None:
    """The width of plain ASCII is counted without Rich; any other text is measured by it."""
    from rich.cells import cell_len

    from procdoc.console import _Widths

    assert _Widths()[value] == cell_len(value)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-2, 2),
            st.floats(-2, 2, allow_nan=False),
            st.dates(),
            st.datetimes(),
            st.text(max_size=3),
        ),
        max_size=12,
    )
)
def test_a_table_shows_each_value_as_text_does_in_any_order(values: list[object]) -> None:
    """The table's texts of repeated values, made once, are those of console.text: 1,
    1.0 and True are equal keys but read 1, 1 and 是."""
    from procdoc.console import _Shown, text

    shown = _Shown()
    assert [v if type(v) is str else shown[v] for v in values] == [text(v) for v in values]


def test_a_column_of_ids_and_dates_is_never_cut_whatever_ascii_it_holds() -> None:
    """Every printable character up to U+2E7F, DEL included, belongs to an id or a date:
    a column of such values keeps them whole (a shortcut for ASCII cut 2026-03-04 in two
    beside 'x\x7f': review)."""
    from procdoc.console import layout_table

    rows = [["2026-03-04", "长" * 40], ["x\x7f", "长"]]
    lines = list(layout_table(None, ["日期", "说明"], rows, width=20))
    assert any("2026-03-04" in line for line in lines), lines


def test_a_moment_wraps_at_its_space_not_inside_its_date() -> None:
    """A column of moments (a date, a space, a time) is no column of atoms, so it gives
    way when the table is too wide for the screen: it wraps between its words, not inside
    the date (QA: `抽查` at 80 columns showed `2026-10-0` over `2 00:17`)."""
    header = ["编号", "标题", "办结时间", "各环节时限", "必填项缺失", "承办人", "备注"]
    rows = [
        [
            "BX2026-000882",
            "王芳提交的费用报销",
            f"2026-10-{d:02d} 0{d % 10}:17",
            "报销提交 按时；部门审核 在办",
            "无",
            "陈静",
            "—" * 12,
        ]
        for d in range(1, 20)
    ]
    lines = list(layout_table(None, header, rows, width=80))
    assert all(cell_len(line) <= 80 for line in lines)
    body = "\n".join(lines)
    assert body.count("2026-10-") == 19
    assert all(f"2026-10-{d:02d}" in body for d in range(1, 20))  # each date whole
    assert "00:17" in body or "01:17" in body


def test_a_long_list_in_json_is_one_document_written_in_pieces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--format json` of more items than one piece holds (500) is one compact document,
    each date and moment as :func:`plain` shows it, nothing lost at the joins."""
    from datetime import date

    from procdoc.console import plain, print_json

    for count in (0, 1, 499, 500, 501, 1234):
        items = [
            {"id": f"C{i}", "due": date(2026, 1, 1 + i % 28), "at": datetime(2026, 1, 1, 9, i % 60)}
            for i in range(count)
        ]
        print_json(iter(items))
        out = capsys.readouterr().out
        assert json.loads(out) == [plain(item) for item in items], count
        assert out.endswith("]\n") and ", " not in out  # compact, for scripts


def test_json_takes_what_orjson_refuses_as_the_standard_encoder_writes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A number past 64 bits (a 21-digit reference typed as a number) is written whole,
    numbers read back as they were, and a value JSON cannot hold is refused as before."""
    from procdoc.console import print_json

    items = [{"ref": 2**70, "amount": 3676.87, "small": 0.1, "big": 1e16, "n": -7}]
    print_json(iter(items))
    assert json.loads(capsys.readouterr().out) == items
    print_json({"ref": 2**70, "day": datetime(2026, 10, 9, 14, 5, 59)})
    assert json.loads(capsys.readouterr().out) == {"ref": 2**70, "day": "2026-10-09T14:05"}
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        print_json([{"odd": {1, 2}}])
    capsys.readouterr()
    # a lone surrogate (a YAML escape, a file name), which UTF-8 cannot hold: its escape
    print_json(iter([{"note": "a\ud800b", "标题": "中"}]))
    out = capsys.readouterr().out
    assert "\\ud800" in out and json.loads(out) == [{"note": "a\ud800b", "标题": "中"}]


@pytest.mark.parametrize("tty", [False, True])
def test_json_at_a_terminal_and_redirected_hold_the_same_values(
    tty: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list`, `todo` and `overdue` give their items one by one: at a terminal they are
    printed indented (they stopped with a traceback); a number that is none (a cell typed
    NaN or inf) is null either way, with orjson and with the encoder that takes what
    orjson refuses (an integer past 64 bits)."""
    import sys

    from procdoc.console import print_json

    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    items = [
        {"id": "C1", "amount": float("nan"), "big": 2**70},
        {"id": "C2", "amount": float("inf"), "due": datetime(2026, 11, 2, 9, 30)},
    ]
    expected = [
        {"id": "C1", "amount": None, "big": 2**70},
        {"id": "C2", "amount": None, "due": "2026-11-02T09:30"},
    ]
    print_json(dict(item) for item in items)
    out = capsys.readouterr().out
    assert json.loads(out) == expected
    assert ('\n  {\n    "id": "C1",' in out) is tty
    print_json(items[1])  # orjson alone
    assert json.loads(capsys.readouterr().out) == expected[1]
