"""A number in a date or time column that no date or time can be made of: python-calamine
panics or overflows on it (Excel shows ####). procdoc names the cell in one line, exit 1,
with no Rust panic message or traceback, in the ledger and in an OA export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from typer.testing import CliRunner

from procdoc.cli import app
from procdoc.commands import cases
from procdoc.errors import ImportFileError, LedgerError
from procdoc.importer.reader import read_grid
from procdoc.ledger import Batch, LedgerStore, SheetChanges
from procdoc.workspace import Workspace
from test_ledger_registers import rewrite_member


def ledger_with(path: Path, fmt: str, number: float) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("台账")
    ws.write_row(0, 0, ["编号", "时间"])
    ws.write_row(1, 0, ["A-1", "x"])
    ws.write(2, 0, "A-2")
    ws.write_number(2, 1, number, wb.add_format({"num_format": fmt}))
    wb.close()
    return path


@pytest.mark.parametrize(
    ("fmt", "number"),
    [("hh:mm", -2199023255552.0), ("[h]:mm:ss", 1e9), ("yyyy-mm-dd hh:mm", -2199023255552.0)],
)
def test_the_ledger_cell_is_named(tmp_path: Path, fmt: str, number: float) -> None:
    path = ledger_with(tmp_path / "ledger.xlsx", fmt, number)
    for cache in (True, False):
        store = LedgerStore(path, state_dir=tmp_path / ".procdoc", cache=cache)
        with pytest.raises(LedgerError, match=r"ledger\.xlsx 台账!B3: .* is no date or time"):
            store.read()
        with pytest.raises(LedgerError, match=r"台账!B3"):  # a write reads first: nothing written
            store.update(lambda s: Batch({"台账": SheetChanges(set={2: {"时间": "y"}})}))


def test_a_command_says_it_in_one_line(mini: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from procdoc.ledger.cells import col_letters
    from procdoc.ledger.sheets import sheet_members

    ws = Workspace(mini)
    case = cases.new(ws, "mini", title="甲", sets=["applicant=甲"], at=datetime(2026, 11, 2, 9))
    found = Workspace(mini).casebook().case(case.id)
    sheet = Workspace(mini).store.read().sheets[found.sheet]
    ref = f"{col_letters(sheet.column('登记时间') or 0)}{found.row}"

    def huge(data: bytes) -> bytes:  # the case's 登记时间: a number past any date
        text = data.decode()
        value = text.index("<v>", text.index(f'r="{ref}"'))
        end = text.index("</v>", value)
        return (text[: value + 3] + "-2199023255552" + text[end:]).encode()

    member = sheet_members(mini / "ledger.xlsx")[found.sheet]
    rewrite_member(mini / "ledger.xlsx", member, huge)
    capfd.readouterr()
    result = CliRunner().invoke(app, ["list", "-w", str(mini)])
    assert result.exit_code == 1
    assert f"{found.sheet}!{ref}: -2199023255552 is no date or time" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output + result.stderr
    assert "panicked" not in capfd.readouterr().err  # Rust's own message is not shown


def test_an_export_cell_is_named(tmp_path: Path) -> None:
    path = ledger_with(tmp_path / "export.xlsx", "[h]:mm:ss", 1e9)
    with pytest.raises(ImportFileError, match=r"export\.xlsx 台账!B3: 1000000000 is no date"):
        read_grid(path)


def test_a_sheet_parsed_ahead_names_its_cell(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The second sheet of a read is parsed in a thread of its own (reader._ParseAhead):
    calamine failing there is met again where it always was, with the same one line and
    no Rust message on standard error."""
    path = tmp_path / "ledger.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("台账").write_row(0, 0, ["编号", "时间"])
    ws = wb.add_worksheet("流转记录")
    ws.write_row(0, 0, ["编号", "时间"])
    ws.write(1, 0, "A-1")
    ws.write_number(1, 1, -2199023255552.0, wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    wb.close()
    for cache in (True, False):
        store = LedgerStore(path, state_dir=tmp_path / ".procdoc", cache=cache)
        capfd.readouterr()
        with pytest.raises(LedgerError, match=r"ledger\.xlsx 流转记录!B2: .* is no date or time"):
            store.read(["台账", "流转记录"])
        assert "panicked" not in capfd.readouterr().err
