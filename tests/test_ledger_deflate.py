"""Rewritten sheets are deflated fast (ISA-L, else zlib level 1) and stay ordinary zips."""

from __future__ import annotations

import zipfile
import zlib
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
    if not isal:  # as on a platform without isal: zlib deflates, inflates and checks CRCs
        monkeypatch.setattr(zipraw, "_isal", None)
        monkeypatch.setattr(zipraw, "crc32", zlib.crc32)
    assert zipraw.fast_deflater()[1] == ("isal-1" if isal else "zlib-1")
    assert (type(zipraw.inflater()) is type(zlib.decompressobj(-15))) is not isal
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


@pytest.mark.parametrize("isal", [True, False], ids=["isal", "zlib"])
def test_damaged_deflate_data_is_a_crc_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isal: bool
) -> None:
    """Bytes of a sheet part damaged in the middle: whatever the inflater makes of them
    (an error of its own, or wrong bytes), reading the part says it fails its CRC check."""
    if not isal:
        monkeypatch.setattr(zipraw, "_isal", None)
        monkeypatch.setattr(zipraw, "crc32", zlib.crc32)
    path = tmp_path / "ledger.xlsx"
    rows = [{"编号": f"A-{i}", "标题": f"标题{i * 7919 % 1000}"} for i in range(3000)]
    create_workbook(path, {LEDGER: (["编号", "标题"], rows)})
    with path.open("rb") as f:
        members, _comment = zipraw.read_directory(f)
        sheet = next(m for m in members if m.name.startswith("xl/worksheets/"))
        start = zipraw.data_offset(f, sheet)
    data = bytearray(path.read_bytes())
    for k in range(start + sheet.compressed_size // 3, start + sheet.compressed_size // 3 + 40):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    with path.open("rb") as f, pytest.raises(zipraw.ZipFormatError, match="fails its CRC check"):
        zipraw.read_member(f, sheet)
