"""The ledger (台账): an Excel workbook procdoc reads with python-calamine and writes by
patching only the changed sheets inside the zip, every other part copied byte for byte.

Use :class:`LedgerStore`: ``read()`` for a snapshot, ``update(plan)`` for every write
(locked across processes, refused while Excel/WPS/LibreOffice has the file open, atomic,
verified, backed up).

Reading (python-calamine) gives ``None`` for empty and error cells, text exactly as stored
(``"000123"`` stays text), ``int`` for whole numbers, ``date`` for a date or datetime at
midnight (calamine does not tell a midnight datetime from a date), ``datetime``
otherwise, and time-only or duration cells as text (``"09:30"``, ``"26:00"``).
Writing stores text as inline strings (XML-illegal control characters as Excel's
``_xHHHH_`` escapes, which read back exactly; unpaired surrogates and U+FFFE/U+FFFF are
refused), numbers exactly (integers up to 2**53), and dates as serial numbers in the
cell's own date style (a ``yyyy-mm-dd`` / ``yyyy-mm-dd hh:mm`` variant of its style when
it has none), datetimes to the millisecond.
"""

from __future__ import annotations

from procdoc.ledger.cells import label_key
from procdoc.ledger.create import create_workbook
from procdoc.ledger.model import (
    Batch,
    CellValue,
    ColumnKind,
    ColumnSpec,
    HeaderSpec,
    MergedRange,
    NewSheet,
    Row,
    Sheet,
    SheetChanges,
    Snapshot,
)
from procdoc.ledger.owners import owner_of
from procdoc.ledger.store import LedgerStore

__all__ = [
    "Batch",
    "CellValue",
    "ColumnKind",
    "ColumnSpec",
    "HeaderSpec",
    "LedgerStore",
    "MergedRange",
    "NewSheet",
    "Row",
    "Sheet",
    "SheetChanges",
    "Snapshot",
    "create_workbook",
    "label_key",
    "owner_of",
]
