"""The ledger (台账): an Excel workbook procdoc reads with python-calamine and writes by
patching only the changed sheets inside the zip, every other part copied byte for byte.

Use :class:`LedgerStore`: ``read()`` for a snapshot, ``update(plan)`` for every write
(locked across processes, refused while Excel/WPS/LibreOffice has the file open, atomic,
verified, backed up).
"""

from __future__ import annotations

from procdoc.ledger.create import create_workbook
from procdoc.ledger.model import Batch, CellValue, Row, Sheet, SheetChanges, Snapshot
from procdoc.ledger.owners import owner_of
from procdoc.ledger.store import LedgerStore

__all__ = [
    "Batch",
    "CellValue",
    "LedgerStore",
    "Row",
    "Sheet",
    "SheetChanges",
    "Snapshot",
    "create_workbook",
    "owner_of",
]
