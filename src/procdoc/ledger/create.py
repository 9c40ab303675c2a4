"""A new ledger workbook, written with xlsxwriter."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from procdoc.errors import LedgerError
from procdoc.ledger.cells import check_value
from procdoc.ledger.model import CellValue
from procdoc.ledger.parts import Styles
from procdoc.ledger.patch import column_widths

SheetData = tuple[list[str], list[dict[str, CellValue]]]


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

    Each sheet gets its header in row 1 (bold, on a light fill), the first row frozen, an
    autofilter over header and data, column widths from the labels and values, and dates
    as real dates (``yyyy-mm-dd``; ``yyyy-mm-dd hh:mm`` for datetimes). A column holding
    dates also gets that format as its default, so rows added later stay dates.
    """
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    wb = xlsxwriter.Workbook(str(path), options)
    try:
        header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
        formats = {
            Styles.DATE: wb.add_format({"num_format": Styles.DATE}),
            Styles.DATETIME: wb.add_format({"num_format": Styles.DATETIME}),
        }
        for name, (header, rows) in sheets.items():
            labels = labels_of(header, rows)
            if any(not label for label in labels):
                raise LedgerError(f"{display} {name}: an empty column label cannot be written")
            try:
                ws = wb.add_worksheet(name)
            except XlsxWriterException as exc:
                raise LedgerError(f"{display}: {name!r} cannot be a sheet name ({exc})") from None
            widths, col_formats = column_widths(labels, rows)
            for i, width in enumerate(widths):
                fmt = formats[col_formats[i]] if i in col_formats else None
                ws.set_column(i, i, width, fmt)
            ws.freeze_panes(1, 0)
            for c, label in enumerate(labels):
                ws.write_string(0, c, label, header_fmt)
            for r, row in enumerate(rows, start=1):
                for c, label in enumerate(labels):
                    if label not in row:
                        continue
                    where = f"{display} {name} row {r + 1} {label}"
                    value = check_value(row[label], where)
                    if value is None:
                        continue
                    if isinstance(value, str):
                        ws.write_string(r, c, value)
                    elif isinstance(value, bool):
                        ws.write_boolean(r, c, value)
                    elif isinstance(value, int | float):
                        ws.write_number(r, c, value)
                    elif isinstance(value, datetime):
                        ws.write_datetime(r, c, value, formats[Styles.DATETIME])
                    elif isinstance(value, date):
                        ws.write_datetime(r, c, value, formats[Styles.DATE])
            ws.autofilter(0, 0, len(rows), max(len(labels) - 1, 0))
    finally:
        try:
            wb.close()
        except XlsxWriterException as exc:  # pragma: no cover - disk errors and the like
            raise LedgerError(f"{display} could not be written ({exc})") from None


def create_workbook(path: Path, sheets: Mapping[str, SheetData]) -> None:
    """Create a workbook at ``path`` atomically (temp file in the same folder, then
    ``os.replace``). ``sheets`` maps each sheet name to ``(header, rows)``; a row is a dict
    by label."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_workbook(tmp, sheets, display=path.name)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
