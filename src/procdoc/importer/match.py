"""The same matter in two exports (SPEC §6 `match:`).

Each OA system numbers its documents its own way, so the key of one export means nothing
to another; fields such as 来文字号 and 来文单位 identify the matter in both. A row whose
key the ledger does not know, but whose `match:` fields equal those of one case, is that
case: it keeps its `ref`, and the other export's key is recorded in its history (a
导入更新 row whose 项目 is the ref column's label and whose 新值 is the key). Later imports
find the case by that recorded key; :func:`match_pairs` lists every such pairing for
other commands (`procdoc check`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from procdoc.layout import ACTIONS, HISTORY_COLUMNS, STATUS_IDS
from procdoc.values import text

if TYPE_CHECKING:
    from procdoc.casebook import Casebook, Change
    from procdoc.process.model import Process

__all__ = [
    "KeyIndex", "MatchIndex", "MatchPair", "key_form", "match_key", "match_pairs", "recorded_keys",
]  # fmt: skip

_SPACE = re.compile(r"\s+")


def _same_form(value: Any) -> str:
    """A value as matches compare it: text after NFKC with every space removed (a
    full-width U+3000, a no-break space, a stray blank), dates in ISO form."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    shown = text(value)
    return _SPACE.sub("", unicodedata.normalize("NFKC", shown)) if shown else ""


def key_form(key: str) -> str:
    """An export's key as keys are compared (:func:`_same_form`)."""
    return _same_form(key)


class KeyIndex(dict[str, str]):
    """Case ids by an export's key, the keys compared as matches compare values
    (:func:`_same_form`: full-width digits as digits, no spaces): the OA's
    ２０２６１１０３… and 20261103… are one key, which opened the case a second time (QA).
    The ledger keeps each key as it was exported."""

    def __init__(self, pairs: Mapping[str, str]) -> None:
        super().__init__()
        for key, cid in pairs.items():
            self.setdefault(key, cid)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(_same_form(key))

    def __setitem__(self, key: str, cid: str) -> None:
        super().__setitem__(_same_form(key), cid)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(_same_form(key))

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(_same_form(key), default)

    def setdefault(self, key: str, default: str) -> str:
        return super().setdefault(_same_form(key), default)


def match_key(values: Iterable[Any]) -> tuple[str, ...] | None:
    """The values of a row's or a case's `match:` fields as compared, or None when one of
    them is empty (an empty 来文字号 matches nothing)."""
    out = tuple(_same_form(v) for v in values)
    return out if all(out) else None


class MatchIndex:
    """The cases of a process by their `match:` fields. Cancelled cases are kept apart:
    cancelling one of two cases of the same matter is how the office settles them, so a
    cancelled case is the match only when no case in force is (a matter cancelled outright
    stays that case, and is not opened again)."""

    def __init__(self, book: Casebook, process: Process, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        self._cases: dict[tuple[str, ...], list[str]] = {}
        self._cancelled: dict[tuple[str, ...], list[str]] = {}
        self.cancelled_ids: set[str] = set()
        for cid, values in book.row_values(process, (*self.fields, "status")):
            if STATUS_IDS.get(text(values[-1]) or "") == "cancelled":
                self.cancelled_ids.add(cid)
                _add(self._cancelled, cid, values[:-1])
            else:
                self.add(cid, values[:-1])

    def add(self, case_id: str, values: Iterable[Any]) -> None:
        _add(self._cases, case_id, values)

    def find(self, values: Iterable[Any]) -> list[str]:
        """The ids of the cases in force whose `match:` fields equal ``values``; else of
        the cancelled ones."""
        key = match_key(values)
        if key is None:
            return []
        return list(self._cases.get(key) or self._cancelled.get(key) or [])


def _add(index: dict[tuple[str, ...], list[str]], case_id: str, values: Iterable[Any]) -> None:
    key = match_key(values)
    if key is not None:
        ids = index.setdefault(key, [])
        if case_id not in ids:
            ids.append(case_id)


@dataclass(frozen=True)
class MatchPair:
    """One pairing recorded in 流转记录: the case, the other export's key, when, and the
    note naming the source, file and row it came from."""

    case: str
    key: str
    at: datetime | None
    note: str | None
    row: int | None  # 流转记录's row; None while not written yet


def match_pairs(book: Casebook) -> list[MatchPair]:
    """Every match recorded in the ledger's 流转记录, oldest first."""
    sheet = book.history_sheet()
    if sheet is None:
        return []
    cols = {key: sheet.column(label) for key, label in HISTORY_COLUMNS.items()}
    if cols["case"] is None or cols["new"] is None:
        return []
    from procdoc.casebook import rows_where

    action, subject = ACTIONS["update"], _subjects(book)
    # the 动作 and 项目 columns tell the rows (each distinct value read once): only the
    # matches are built
    action_col, subject_col = cols["action"], cols["subject"]
    if action_col is None or subject_col is None:
        return []  # no row can be a match without its 动作 and 项目
    updates = set(rows_where(sheet.column_values(action_col), lambda raw: text(raw) == action))
    matched = rows_where(sheet.column_values(subject_col), lambda raw: text(raw) in subject)
    out = []
    for index in matched:
        if index not in updates:
            continue
        row = sheet.row_at(index)
        values = row.values

        def cell(key: str, values: list[Any] = values) -> Any:
            col = cols[key]
            return values[col] if col is not None and col < len(values) else None

        case, key = text(cell("case")), text(cell("new"))
        if case and key:
            at = cell("at")
            out.append(
                MatchPair(
                    case,
                    key,
                    at if isinstance(at, datetime) else None,
                    text(cell("note")),
                    row.number,
                )
            )
    return out


def recorded_keys(book: Casebook, change: Change) -> dict[str, str]:
    """The case id of each key recorded by a match, in the ledger and in ``change``."""
    out = {p.key: p.case for p in match_pairs(book)}
    h, action, subject = HISTORY_COLUMNS, ACTIONS["update"], _subjects(book)
    for row in change.history:
        if row[h["action"]] == action and row[h["subject"]] in subject and row[h["new"]]:
            out.setdefault(str(row[h["new"]]), str(row[h["case"]]))
    return out


def _subjects(book: Casebook) -> set[str]:
    """The 项目 of a recorded match: the ref column's label (the workspace's, else the
    default 来源编号)."""
    from procdoc.layout import CORE_LABELS

    return {book.layout.labels.get("ref", CORE_LABELS["ref"]), CORE_LABELS["ref"]}
