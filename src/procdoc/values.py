"""Values: converting what people type and what cells hold to a field's type, comparing
them as a cell would, and showing them as people read them. The one value formatter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from procdoc.calendar import Due
from procdoc.i18n import _, name_list
from procdoc.process.model import FieldDef

TRUE_WORDS = {"是", "true", "yes", "y", "1", "对", "√", "✓"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "不", "×", "✗"}


class Unreadable(ValueError):
    """A cell value that cannot be read as its column's type."""


def convert_field(fdef: FieldDef, raw: Any) -> Any:
    """Convert ``raw`` (text from the command line or a cell value) to the field's type.
    Raises ``ValueError`` with a message saying what was expected."""
    from procdoc.importer.convert import ConversionError, to_date, to_datetime, to_number, to_text

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        if fdef.type == "number":
            return within_bounds(fdef, to_number(raw))
        if fdef.type == "date":
            return to_date(raw)
        if fdef.type == "datetime":
            return to_datetime(raw)
        if fdef.type == "bool":
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(_("'{raw}' is not 是/否 (true/false)").format(raw=raw))
        text = to_text(raw)
        if fdef.type == "choice" and text is not None and text not in fdef.choices:
            raise ValueError(
                _("'{text}' is not one of {choices}").format(
                    text=text, choices=name_list(fdef.choices)
                )
            )
        return text
    except ConversionError as err:
        raise ValueError(str(err)) from err


def within_bounds(fdef: FieldDef, number: Any) -> Any:
    """``number``, when the field's ``min:`` and ``max:`` allow it; else ValueError."""
    if number is None or isinstance(number, bool):
        return number
    if fdef.minimum is not None and number < fdef.minimum:
        raise ValueError(
            _("'{value}' is less than {bound}, the least {label} may be").format(
                value=text(number), bound=text(fdef.minimum), label=fdef.label
            )
        )
    if fdef.maximum is not None and number > fdef.maximum:
        raise ValueError(
            _("'{value}' is more than {bound}, the most {label} may be").format(
                value=text(number), bound=text(fdef.maximum), label=fdef.label
            )
        )
    return number


def cell_for(value: Any) -> Any:
    """A case value as it goes into a cell (booleans as 是/否, as offices write them)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def read_field(fdef: FieldDef, raw: Any) -> Any:
    """A cell value read back: converted when possible; raises :class:`Unreadable` (the
    value is kept as it is by the caller) when it is not of the field's type. Values
    already of the field's type (the usual case) take the fast path."""
    if raw is None:
        return None
    kind, cls = fdef.type, type(raw)
    if cls is str and kind == "text":
        return raw.strip() or None
    if cls is str and kind == "choice":
        text = raw.strip() or None
        if text is not None and text not in fdef.choices:
            raise Unreadable(
                _("'{text}' is not one of {choices}").format(
                    text=text, choices=name_list(fdef.choices)
                )
            )
        return text
    if kind == "number" and cls in (int, float):
        if fdef.minimum is None and fdef.maximum is None:
            return raw
        try:
            return within_bounds(fdef, raw)
        except ValueError as err:
            raise Unreadable(str(err)) from err
    if kind == "date" and cls is date:
        return raw
    if kind == "datetime" and cls in (datetime, date):
        return raw
    try:
        return convert_field(fdef, raw)
    except ValueError as err:
        raise Unreadable(str(err)) from err


def as_moment(value: Any) -> datetime | None:
    """A cell as a moment; raises :class:`Unreadable` for text that is not one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and not value.strip():
        return None
    from procdoc.importer.convert import ConversionError, to_datetime

    try:
        got = to_datetime(value)
    except ConversionError as err:
        raise Unreadable(str(err)) from err
    return as_moment(got)


def as_due(value: Any) -> Due | None:
    """A deadline cell: a date (midnight datetimes too), or a moment for hour deadlines."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else value
    if isinstance(value, date):
        return value
    moment = as_moment(value)
    return as_due(moment) if moment else None


def text(value: Any) -> str | None:
    """A cell as text: stripped, ``5.0`` as ``5``, empty as None."""
    if type(value) is str:  # the usual cell, first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return whole_number(value)
    out = str(value).strip()
    return out or None


def display(value: Any, empty: str = "") -> str:
    """A value as people read it: dates ISO, times to the minute, 5.0 as 5, 是/否."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return whole_number(value)
    return str(value)


def whole_number(value: float) -> str:
    """A whole float as digits: 5.0 as 5; past 15 digits as Excel's formula bar shows it
    (15 significant digits, then zeros), not the binary float's own digits."""
    if abs(value) >= 1e15:
        from decimal import Decimal

        return format(Decimal(f"{value:.15g}"), "f")
    return str(int(value))


def shown(value: Any) -> str:
    """A value in a message or history note; empty as （空）."""
    return display(value, "（空）")


def same(a: Any, b: Any) -> bool:
    """Whether a cell would not change: empty equals empty, 5 equals 5.0, and a date
    differs from a datetime at midnight (the cell's format would change)."""
    if type(a) is str and type(b) is str:  # the common case, first
        return a == b
    if a is None or a == "" or b is None or b == "":
        return (a is None or a == "") and (b is None or b == "")
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, datetime) != isinstance(b, datetime):
        return False
    return bool(a == b)


def first_few(items: Sequence[str], most: int) -> str:
    """``items`` joined by commas, the first ``most`` of them and how many more (``A3,
    A4, … (+394)``): a message names a few cells, not hundreds."""
    shown = name_list(items[:most])
    more = f"… (+{len(items) - most})" if len(items) > most else None
    return name_list([*items[:most], more]) if more else shown
