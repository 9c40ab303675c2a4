"""Finding the cell python-calamine cannot turn into a date or time.

calamine panics (pyo3's ``PanicException``, a BaseException) or raises OverflowError on a
number in a date- or time-formatted cell that no date or time can be made of: a large
negative number in an ``hh:mm`` cell, a billion in a ``[h]:mm:ss`` one. Excel shows such a
cell as ``####``. calamine does not say which cell it was, so the sheet's XML is searched
for a numeric cell whose style shows a date or time and whose value lies outside Excel's
dates (0 to 9999-12-31), and that cell is named in the error.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from procdoc.ledger import zipraw

EXCEL_LAST_SERIAL = 2958466
"""The serial number after 9999-12-31, Excel's last date."""

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


@contextlib.contextmanager
def quiet_panics() -> Iterator[None]:
    """Standard error's file descriptor pointed at the null device while calamine reads:
    a Rust panic prints its message (and, with RUST_BACKTRACE, a backtrace) there before
    Python sees the exception, and procdoc says what went wrong in its own words."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no standard error to quiet
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def is_calamine_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is calamine failing on a cell's value (see the module's text)."""
    return isinstance(exc, OverflowError) or type(exc).__name__ == "PanicException"


def bad_date_cell(path: Path, sheet: str) -> tuple[str, str] | None:
    """(cell reference, value as written) of the first number in a date- or time-formatted
    cell of ``sheet`` that is no date Excel can show; None when there is none or the file
    cannot be searched (not an .xlsx, a part missing)."""
    from procdoc.ledger.parts import Package, Styles

    try:
        with open(path, "rb") as f:
            members, _comment = zipraw.read_directory(f)
            pkg = Package(f, members, path.name)
            ref = pkg.sheet(sheet)
            member = pkg.member(ref.path) if ref is not None and ref.path else None
            if member is None:
                return None
            styles_xml = pkg.read(pkg.styles_path) if pkg.styles_path else None
            data = b"".join(zipraw.iter_inflated(f, member))
        styles = Styles(lambda: styles_xml, path.name)
    except Exception:  # a file this cannot search: the caller says what it can
        return None
    for m in _CELL.finditer(data):
        attrs = dict(_ATTR.findall(m.group(1)))
        if attrs.get(b"t", b"n") != b"n" or m.group(2) is None:
            continue
        value = _VALUE.search(m.group(2))
        if value is None:
            continue
        try:
            number = float(value.group(1))
            style = int(attrs.get(b"s", b"0"))
        except ValueError:
            continue
        if (number < 0 or number >= EXCEL_LAST_SERIAL) and styles.kind(style) != "other":
            return attrs.get(b"r", b"?").decode("ascii", "replace"), value.group(1).decode()
    return None


def no_date_message(path: Path, where: str, sheet: str, *, export: bool) -> str:
    """The one line for a sheet calamine failed on (see the module's text): the cell and
    its number when :func:`bad_date_cell` finds it. ``where`` names the file; ``export``:
    an OA export (fixed there and imported again), else the ledger."""
    from procdoc.i18n import _

    found = bad_date_cell(path, sheet)
    if found is None:
        if export:
            return _(
                "{path} {sheet}: a cell of a date or time column holds a number that is no date or time (Excel shows it as ####); fix it in the export and import again"
            ).format(path=where, sheet=sheet)
        return _(
            "{display} {sheet}: a cell of a date or time column holds a number that is no date or time (Excel shows it as ####); find it, fix it and run again"
        ).format(display=where, sheet=sheet)
    cell, value = found
    if export:
        return _(
            "{path} {sheet}!{cell}: {value} is no date or time Excel can show (it shows ####); fix the cell in the export and import again"
        ).format(path=where, sheet=sheet, cell=cell, value=value)
    return _(
        "{display} {sheet}!{cell}: {value} is no date or time Excel can show (it shows ####); fix the cell and run again"
    ).format(display=where, sheet=sheet, cell=cell, value=value)
