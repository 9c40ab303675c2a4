"""New workbooks: a ledger written for the first time, and :func:`create_workbook`."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

from procdoc.errors import LedgerError
from procdoc.fileio import temp_beside
from procdoc.i18n import _
from procdoc.ledger import zipraw
from procdoc.ledger.lock import LedgerLock
from procdoc.ledger.model import Batch, CellValue, SheetChanges
from procdoc.ledger.newsheet import empty_workbook
from procdoc.ledger.patch import patch_file

SheetData = tuple[list[str], list[dict[str, CellValue]]]


def write_new_workbook(path: Path, batch: Batch, *, display: str) -> None:
    """Write a workbook holding just the sheets of ``batch``, in its order, at ``path``
    (not atomically: see :func:`create_workbook`).

    It starts as an empty workbook (:func:`procdoc.ledger.newsheet.empty_workbook`, built
    in memory) to which the sheets are added as new sheets, so they are laid out, written
    and verified exactly as a sheet added to an existing ledger, and every later update
    finds them as it left them.
    """
    if batch.is_empty():
        raise LedgerError(
            _("{display}: a new workbook needs at least one sheet").format(display=display)
        )
    skeleton = io.BytesIO()
    writer = zipraw.ZipWriter(skeleton)
    for name, data in empty_workbook():
        writer.write_bytes(name, data)
    writer.close()
    skeleton.seek(0)
    patch_file(skeleton, path, batch, display=display)


def create_workbook(path: Path, sheets: Mapping[str, SheetData]) -> None:
    """Create a workbook at ``path`` atomically (temp file in the same folder, then
    ``os.replace``), holding ``path``'s lock like every writer of a ledger (see
    :mod:`procdoc.ledger.lock`). ``sheets`` maps each sheet name to ``(header, rows)``; a
    row is a dict by label. Rows are placed from row 2 in order (an empty dict leaves its
    row empty)."""
    path = Path(path)
    batch = Batch(
        {
            name: SheetChanges(header=list(header), append=list(rows))
            for name, (header, rows) in sheets.items()
        }
    )
    with LedgerLock(path, timeout=10.0):
        tmp = temp_beside(path)
        try:
            write_new_workbook(tmp, batch, display=path.name)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
