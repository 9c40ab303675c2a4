"""The ledger (台账): an Excel workbook procdoc reads with python-calamine and writes by
patching only the changed sheets inside the zip, every other part copied byte for byte.

Use :class:`LedgerStore`: ``read()`` for a snapshot, ``update(plan)`` for every write
(locked across processes, refused while Excel/WPS/LibreOffice has the file open, atomic,
verified, backed up), ``undo(plan)`` to put back the version before procdoc's last write.

Files procdoc keeps for a ledger ``台账.xlsx``:

* ``.台账.xlsx.procdoc-lock`` beside it, while a procdoc writes it: the lock every
  workspace sharing the ledger takes (:mod:`procdoc.ledger.lock`); deleted by its holder.
* ``.台账.xlsx.<12 hex digits>.tmp`` beside it, while a procdoc writes it: the new version
  before it replaces the ledger; one left by a killed writer is deleted by the next one.
* ``<state_dir>/backups/台账-<date>-<time>.xlsx``: the versions before each write.
* ``<state_dir>/last-write.json``: what procdoc last wrote, for ``undo``
  (:mod:`procdoc.ledger.undo`).

Registers (one sheet a process, SPEC §3): reading takes a :class:`HeaderSpec` per sheet
(a fixed header row, or how to find it among the top rows); :class:`Sheet` then says its
``header_row`` and the ``merged`` ranges reaching the header or the data. Writing takes
``SheetChanges.header_row``: rows above the header are never touched. A sheet procdoc
creates is laid out ready to print as ``SheetChanges.create`` (a :class:`NewSheet` of
:class:`ColumnSpec`) says. Labels are matched by :func:`label_key`, white space ignored.

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

from typing import TYPE_CHECKING, Any

from procdoc.ledger.cells import label_key
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
from procdoc.ledger.sheets import sheet_names
from procdoc.ledger.store import LedgerStore

if TYPE_CHECKING:
    from procdoc.ledger.create import create_workbook


def __getattr__(name: str) -> Any:
    # create_workbook brings the patcher (lxml) with it: loaded when first used
    if name == "create_workbook":
        from procdoc.ledger.create import create_workbook

        return create_workbook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "sheet_names",
]
