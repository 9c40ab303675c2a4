"""A new ledger workbook, written with xlsxwriter."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from procdoc.errors import LedgerError
from procdoc.ledger.lock import LedgerLock
from procdoc.ledger.model import Batch, CellValue, SheetChanges
from procdoc.ledger.parts import Styles
from procdoc.ledger.patch import column_widths, patch_file

SheetData = tuple[list[str], list[dict[str, CellValue]]]


def temp_beside(path: Path) -> Path:
    """A new empty temp file next to ``path``, named ``.<name>.<random>.tmp`` (so nothing
    takes it for the workbook), created with the default permissions (umask applied), not
    mkstemp's 0600: it may become the ledger on a shared folder."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise LedgerError(f"cannot create a temp file next to {path.name}")  # pragma: no cover


def labels_of(header: list[str], rows: list[dict[str, CellValue]]) -> list[str]:
    """The header followed by any label the rows use that it lacks."""
    seen: dict[str, None] = {}
    for label in header:
        seen.setdefault(label.strip(), None)
    for row in rows:
        for label in row:
            seen.setdefault(label.strip(), None)
    return list(seen)


def write_workbook(path: Path, sheets: Mapping[str, SheetData], *, display: str) -> None:
    """Write a new workbook at ``path`` (not atomically: see :func:`create_workbook`).

    xlsxwriter lays out each sheet: the header in row 1 (bold, on a light fill), the first
    row frozen, an autofilter, column widths from the labels and values, and for a column
    holding dates the date format (``yyyy-mm-dd``, or ``yyyy-mm-dd hh:mm`` when it holds
    datetimes) as the column's default, so rows added later stay dates. The rows are then
    appended by the same patcher that updates existing ledgers, so values are written (and
    verified) exactly as in every later update; xlsxwriter would round numbers to 16 digits.
    """
    import xlsxwriter  # only a new ledger needs it: keep every other update's start-up short
    from xlsxwriter.exceptions import XlsxWriterException

    skeleton = temp_beside(path)
    batch = Batch()
    try:
        wb = xlsxwriter.Workbook(str(skeleton))
        header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
        formats = {
            code: wb.add_format({"num_format": code}) for code in (Styles.DATE, Styles.DATETIME)
        }
        for sheet_name, (header, rows) in sheets.items():
            labels = labels_of(header, rows)
            if any(not label for label in labels):
                raise LedgerError(
                    f"{display} {sheet_name}: an empty column label cannot be written"
                )
            try:
                ws = wb.add_worksheet(sheet_name)
            except XlsxWriterException as exc:
                raise LedgerError(
                    f"{display}: {sheet_name!r} cannot be a sheet name ({exc})"
                ) from None
            widths, col_formats = column_widths(labels, rows)
            for i, width in enumerate(widths):
                fmt = formats[col_formats[i]] if i in col_formats else None
                ws.set_column(i, i, width, fmt)
            ws.freeze_panes(1, 0)
            for c, label in enumerate(labels):
                ws.write_string(0, c, label, header_fmt)
            ws.autofilter(0, 0, 0, max(len(labels) - 1, 0))
            batch.sheets[sheet_name] = SheetChanges(header=labels, append=list(rows))
        try:
            wb.close()
        except XlsxWriterException as exc:  # pragma: no cover - disk errors and the like
            raise LedgerError(f"{display} could not be written ({exc})") from None
        patch_file(skeleton, path, batch, display=display)
    finally:
        skeleton.unlink(missing_ok=True)


def create_workbook(path: Path, sheets: Mapping[str, SheetData]) -> None:
    """Create a workbook at ``path`` atomically (temp file in the same folder, then
    ``os.replace``), holding ``path``'s lock like every writer of a ledger (see
    :mod:`procdoc.ledger.lock`). ``sheets`` maps each sheet name to ``(header, rows)``; a
    row is a dict by label. Rows are placed from row 2 in order (an empty dict leaves its
    row empty)."""
    path = Path(path)
    with LedgerLock(path, timeout=10.0):
        tmp = temp_beside(path)
        try:
            write_workbook(tmp, sheets, display=path.name)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
