"""Rewritten sheets are deflated fast (ISA-L, else zlib level 1) and stay ordinary zips."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from procdoc.ledger import Batch, LedgerStore, SheetChanges, create_workbook, zipraw
from procdoc.ledger import patch as patch_mod

LEDGER = "台账"


@pytest.mark.parametrize("isal", [True, False], ids=["isal", "zlib"])
def test_a_fast_deflated_sheet_reads_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isal: bool
) -> None:
    if not isal:
        monkeypatch.setitem(sys.modules, "isal", None)  # import isal fails
    assert zipraw.fast_deflater()[1] == ("isal-1" if isal else "zlib-1")
    monkeypatch.setattr(patch_mod, "FAST_DEFLATE_ABOVE", 0)  # every sheet counts as big
    path = tmp_path / "ledger.xlsx"
    rows = [{"编号": f"A-{i}", "标题": "标题" * (i % 7)} for i in range(500)]
    create_workbook(path, {LEDGER: (["编号", "标题"], rows)})
    store = LedgerStore(path, state_dir=tmp_path / ".procdoc", sheets=(LEDGER,))
    store.update(
        lambda s: Batch({LEDGER: SheetChanges(set={3: {"标题": "改"}}, append=[{"编号": "B"}])})
    )
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    ws = openpyxl.load_workbook(path)[LEDGER]
    assert ws["B3"].value == "改"
    assert ws.cell(row=ws.max_row, column=1).value == "B"
