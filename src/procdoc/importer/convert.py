"""Turn raw cell values into text, numbers and dates, column by column.

Nothing here guesses a type from the value: the caller knows the column is an id, an
amount or a date and asks for that. A value that does not fit raises
:class:`ConversionError`, whose message says what was wrong with it, for the row report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from procdoc.i18n import _
from procdoc.importer.reader import CellValue

__all__ = [
    "ConversionError",
    "NoYear",
    "to_date",
    "to_datetime",
    "to_number",
    "to_text",
    "year_near",
]

_EPOCH_1900 = datetime(1899, 12, 30)  # Excel's day 0, absorbing its 1900-02-29 bug
_EPOCH_1904 = datetime(1904, 1, 1)
_SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-10 as 1900-based serials

_DATE_TEXT = re.compile(
    r"^(\d{4})[年/.-](\d{1,2})[月/.-](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:时](\d{1,2})?分?(?::(\d{1,2}))?)?$"
)
_MONTH_DAY = re.compile(
    r"^(\d{1,2})月(\d{1,2})[日号]?(?:[ T]*(\d{1,2})[:时](\d{1,2})?分?(?::(\d{1,2}))?)?$"
)
_YEAR_LAST = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{1,4}(?:[ T].*)?$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
_CURRENCY = re.compile(r"[¥￥元\s]")
#: Counting words an export may write after a number (``2份``, ``3 件``): read as the
#: number. Words that change the amount (万, 千) or hedge it (约, 余, 左右) are not here.
_UNIT = re.compile(
    r"^(.*?\d)\s*(?:份|件|张|页|册|本|套|个|台|部|卷|盒|箱|袋|封|次|人|名|项|条|篇|株|辆|间)$"
)


class ConversionError(ValueError):
    """A cell value that does not fit its column; the message says what was wrong."""


class NoYear(ConversionError):
    """A date written without its year (``10月9日``): the caller may give one (``near``)."""


def _normalized(text: str) -> str:
    """Stripped, with full-width digits, letters and punctuation made half-width."""
    return unicodedata.normalize("NFKC", text).strip()


def to_text(value: CellValue) -> str | None:
    """An id, phone number or any text as the export shows it.

    Text is returned as is (stripped), so ``"000123"`` keeps its zeros. A whole number in
    a numeric cell loses its ``.0`` (``13800002222.0`` → ``"13800002222"``), and no number
    is ever written in scientific notation. A number longer than 15 digits that Excel has
    already rounded (a 21-digit 审批编号 typed into a numeric cell) comes back as Excel
    shows it, its first 15 significant digits followed by zeros
    (``2.0261015103e20`` → ``"202610151030000000000"``): the lost digits cannot be
    recovered, so such an id will not match the one the OA system holds. Dates become ISO
    text.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError(_("{value!r} is not a value").format(value=value))
        if value == 0:
            return "0"
        return format(Decimal(repr(value)), "f").removesuffix(".0")
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    return value.isoformat()


def to_number(value: CellValue, *, units: bool = False) -> int | float | None:
    """An amount or count: an ``int`` when whole, else a ``float``.

    Text may carry thousands separators (``1,234,567.00``), ``¥``/``￥``, ``元`` and
    spaces; with ``units``, also one counting word after the number (``2份``, ``3 件``).
    Anything else (``12.5%``, ``约500``, ``1.2万``, a bool) is a :class:`ConversionError`.
    """
    if value is None:
        return None
    if isinstance(value, bool | date):
        raise ConversionError(_("{to_text!r} is not a number").format(to_text=to_text(value)))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError(_("{value!r} is not a number").format(value=value))
        return int(value) if value.is_integer() else value
    if not value.strip():
        return None
    text = _normalized(value)
    if units:
        unit = _UNIT.match(text)
        if unit:
            text = unit.group(1)
    text = _CURRENCY.sub("", text)
    if _GROUPED_NUMBER.match(text):
        text = text.replace(",", "")
    if not _NUMBER_TEXT.match(text):
        raise ConversionError(_("{value!r} is not a number").format(value=value))
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def to_date(value: CellValue, *, epoch1904: bool = False) -> date | None:
    """A date from any of the forms OA exports use.

    Real date cells; ``yyyymmdd`` as a number or text; an Excel serial (a number from
    20000 to 80000, 1900-based unless ``epoch1904``); text such as ``2024年7月1日``,
    ``2024/7/1 9:00``, ``2024.7.1``, ``2024-07-04T09:00:00``. A time part is dropped.
    Month-first or day-first text (``7/1/2024``) is refused as ambiguous.
    """
    moment = to_datetime(value, epoch1904=epoch1904)
    return moment.date() if isinstance(moment, datetime) else moment


def to_datetime(
    value: CellValue,
    *,
    epoch1904: bool = False,
    zone: str | None = None,
    near: date | None = None,
) -> datetime | date | None:
    """Like :func:`to_date`, but keeps the time: a ``datetime`` when the value has a time
    part (a fractional serial, ``2024/7/1 9:00``, a date-time cell), a ``date`` when not.

    A moment with a time zone (``2026-10-09T01:30:00Z``) is converted to ``zone`` when
    given (else its zone is dropped). A date without a year (``10月9日``) takes the year
    :func:`year_near` gives for ``near``; without ``near`` it is a :class:`NoYear`.
    """
    if value is None:
        return None
    if isinstance(value, date):  # datetime included
        return value
    if isinstance(value, bool):
        raise ConversionError(_("{to_text!r} is not a date").format(to_text=to_text(value)))
    if isinstance(value, int | float):
        if isinstance(value, int) and not -(10**9) < value < 10**9:
            raise ConversionError(_("{value!r} is not a date").format(value=value))
        return _date_from_number(float(value), repr(value), epoch1904)
    text = _normalized(value)
    if not text:
        return None
    if _NUMBER_TEXT.match(text):
        return _date_from_number(float(text), repr(value), epoch1904)
    match = _DATE_TEXT.match(text)
    if match:
        return _date_from_parts(repr(value), *match.groups())
    match = _MONTH_DAY.match(text)
    if match:
        month, day, *clock = match.groups()
        if near is None:  # the example keeps the cell's own month and day
            raise NoYear(
                _(
                    "{value!r} is not a date: it has no year (write e.g. 2026年{month}月{day}日)"
                ).format(value=value, month=int(month), day=int(day))
            )
        year = year_near(int(month), int(day), near, repr(value))
        return _date_from_parts(repr(value), str(year), month, day, *clock)
    if _YEAR_LAST.match(text):
        raise ConversionError(
            _(
                "{value!r} is ambiguous (month or day first?): write the year first, e.g. 2024-07-01 or 2024年7月1日"
            ).format(value=value)
        )
    if _ISO_PREFIX.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as err:
            raise ConversionError(
                _("{value!r} is not a date ({err})").format(value=value, err=date_error(err))
            ) from err
        if moment.tzinfo is not None and zone is not None:
            from procdoc.clock import to_zone

            return to_zone(moment, zone)
        return moment.replace(tzinfo=None)
    raise ConversionError(_("{value!r} is not a date").format(value=value))


def year_near(month: int, day: int, near: date, shown: str = "") -> int:
    """The year of a date written without one: ``near``'s year, unless the day would then
    lie more than half a year from ``near`` while the same day of the year before or after
    lies within three months of it (``12月30日`` near 2027-01-04 is 2026-12-30)."""

    def distance(year: int) -> int | None:
        try:
            return abs((date(year, month, day) - near).days)
        except ValueError:
            return None

    same = distance(near.year)
    if same is not None and same <= 183:
        return near.year
    for year in (near.year - 1, near.year + 1):
        other = distance(year)
        if other is not None and other <= 92:
            return year
    if same is None:
        raise ConversionError(
            _("{value} is not a date (no such day)").format(value=shown or f"{month}月{day}日")
        )
    return near.year


def _date_from_number(number: float, shown: str, epoch1904: bool) -> datetime | date:
    if not math.isfinite(number):
        raise ConversionError(_("{shown} is not a date").format(shown=shown))
    if number.is_integer() and 10_000_000 <= number <= 99_999_999:
        digits = str(int(number))
        return _date_from_parts(shown, digits[:4], digits[4:6], digits[6:])
    low, high = _SERIAL_RANGE
    if low <= number <= high:
        epoch = _EPOCH_1904 if epoch1904 else _EPOCH_1900
        moment = epoch + timedelta(seconds=round(number * 86400))
        return moment if not number.is_integer() else moment.date()
    raise ConversionError(
        _("{shown} is not a date (neither yyyymmdd nor an Excel date serial)").format(shown=shown)
    )


def _date_from_parts(
    shown: str,
    year: str,
    month: str,
    day: str,
    hour: str | None = None,
    minute: str | None = None,
    second: str | None = None,
) -> datetime | date:
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0)
        )
    except ValueError as err:
        raise ConversionError(
            _("{shown} is not a date ({err})").format(shown=shown, err=date_error(err))
        ) from err


def date_error(err: ValueError) -> str:
    """Why Python's datetime refused a date, in the user's language (its own words are
    English: an import warning read "不是日期（day is out of range for month）")."""
    text = str(err)
    reasons: tuple[tuple[str, Callable[[], str]], ...] = (
        ("day is out of range", lambda: _("no such day in that month")),
        ("month must be", lambda: _("no such month")),
        ("hour must be", lambda: _("no such hour")),
        ("minute must be", lambda: _("no such minute")),
        ("second must be", lambda: _("no such second")),
        ("year", lambda: _("year out of range")),
        ("Invalid isoformat", lambda: _("not a date in the form yyyy-mm-dd")),
    )
    for start, why in reasons:
        if text.startswith(start):
            return why()
    return text
