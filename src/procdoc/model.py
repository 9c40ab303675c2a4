"""The case model: a case as procdoc reads it from its register, and its history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from procdoc.calendar import Due, format_moment
from procdoc.process.model import Process, Step

Status = Literal["open", "closed", "cancelled"]


def iso(value: Any) -> Any:
    """A value as JSON shows it: moments ``YYYY-MM-DDTHH:MM``, dates ISO."""
    if type(value) is str or value is None:  # the usual cell first: a list of 10,000 cases
        return value
    if type(value) is datetime:  # a case's opened, entered and updated are often one moment
        text = _MOMENTS.get(value)
        if text is None:
            if len(_MOMENTS) >= _MOMENTS_KEPT:
                _MOMENTS.clear()
            text = _MOMENTS[value] = format_moment(value)
        return text
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


_MOMENTS: dict[datetime, str] = {}
"""The text of the moments :func:`iso` wrote, at most :data:`_MOMENTS_KEPT` (a list of
10,000 cases: 8 ms of 63 fewer to make their JSON)."""
_MOMENTS_KEPT = 1 << 16

_AS_IS = frozenset({str, int, float, bool, type(None)})
"""The types of a field's value JSON shows as it is (see :func:`iso`)."""


def _json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A case's fields as JSON shows them: a copy, its dates and moments in ISO (a list of
    10,000 cases: the types are looked at in one pass, a value at a time only where one is
    a date)."""
    if _AS_IS.issuperset(map(type, fields.values())):
        return dict(fields)
    return {k: iso(v) for k, v in fields.items()}


@dataclass
class HistoryEntry:
    """One row of 流转记录."""

    case: str
    at: datetime | None
    action: str  # the id: new, advance, ...
    from_step: str | None  # step id when known, else the text in the ledger
    to_step: str | None
    by: str | None
    note: str | None
    subject: str | None = None  # what the event is about: a field, template, duration, role
    old: Any = None  # the value before (a field's, a deadline's, an assignee's)
    new: Any = None  # the value after (or what was produced: a number, a document's date)
    row: int | None = None  # its row in 流转记录

    def as_dict(self) -> dict[str, Any]:
        out = {
            "at": iso(self.at),
            "action": self.action,
            "from": self.from_step,
            "to": self.to_step,
            "by": self.by,
            "note": self.note,
        }
        for key in ("subject", "old", "new"):  # only on the events that have them
            if getattr(self, key) is not None:
                out[key] = iso(getattr(self, key))
        return out


@dataclass
class Case:
    id: str
    process: Process
    step: Step | None
    title: str = ""
    status: Status = "open"
    assignee: str | None = None
    opened: datetime | None = None
    entered: datetime | None = None
    due: Due | None = None
    case_due: Due | None = None
    closed: datetime | None = None
    source: str | None = None
    ref: str | None = None
    updated: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None  # the register's sheet
    row: int | None = None  # the register row
    step_text: str | None = None  # what the 当前环节 cell says when no step has that name
    problems: list[str] = field(default_factory=list)  # cells procdoc could not read
    unread: set[str] = field(default_factory=set)  # which: core column ids and field ids
    history: list[HistoryEntry] | None = None

    @property
    def step_name(self) -> str | None:
        return self.step.name if self.step else self.step_text

    def copy(self) -> Case:
        return replace(
            self, fields=dict(self.fields), problems=list(self.problems), unread=set(self.unread)
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "process": self.process.id,
            "process_name": self.process.name,
            "title": self.title,
            "step": self.step.id if self.step else None,
            "step_name": self.step_name,
            "status": self.status,
            "assignee": self.assignee,
            "opened": iso(self.opened),
            "entered": iso(self.entered),
            "due": iso(self.due),  # (a date ISO, a deadline in hours to the minute)
            "case_due": iso(self.case_due),
            "closed": iso(self.closed),
            "source": self.source,
            "ref": self.ref,
            "updated": iso(self.updated),
            "fields": _json_fields(self.fields),
        }
        if self.problems:
            out["problems"] = list(self.problems)
        if self.history is not None:
            out["history"] = [h.as_dict() for h in self.history]
        return out
