"""Cell references, values as SpreadsheetML, Excel serial dates and number formats."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from procdoc.errors import LedgerError
from procdoc.i18n import _

if TYPE_CHECKING:  # model imports label_key from here
    from procdoc.ledger.model import CellValue

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
MAX_TEXT = 32_767  # Excel's limit on the characters (UTF-16 code units) in one cell
MAX_EXACT_INT = 2**53  # beyond this an Excel number (a double) loses digits
MAX_NUMBER = 9.99999999999999e307  # Excel's largest and smallest positive numbers
MIN_NUMBER = 2.2251e-308

_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
FIRST_SERIAL_DATE = date(
    1900, 3, 1
)  # Excel's serials are off by one before this (the 1900 leap bug)
_FIRST_DATETIME = datetime(1900, 3, 1)


# -- references -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def col_letters(col: int) -> str:
    """``0 -> "A"``, ``27 -> "AB"``."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """``"A" -> 0``, ``"AB" -> 27``."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_ref(ref: str) -> tuple[int, int]:
    """``"B7" -> (7, 1)``: the 1-based row and the 0-based column."""
    m = _REF.fullmatch(ref)
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), col_index(m.group(1))


def cell_ref(row: int, col: int) -> str:
    """``(7, 1) -> "B7"``."""
    return f"{col_letters(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"A1:F10" -> (1, 0, 10, 5)`` as (first row, first col, last row, last col)."""
    first, _, last = ref.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def format_range(r1: int, c1: int, r2: int, c2: int, *, absolute: bool = False) -> str:
    """The inverse of :func:`parse_range`; ``absolute`` gives ``$A$1:$F$10``."""
    d = "$" if absolute else ""
    first = f"{d}{col_letters(c1)}{d}{r1}"
    if (r1, c1) == (r2, c2) and not absolute:
        return first
    return f"{first}:{d}{col_letters(c2)}{d}{r2}"


# -- values -----------------------------------------------------------------------------


def check_value(value: CellValue, where: str | Callable[[], str]) -> CellValue:
    """Refuse a value Excel cannot hold exactly; return it normalised for writing.

    ``""`` becomes ``None`` (an empty cell); datetimes are rounded to the millisecond,
    which is all an Excel serial keeps. ``where`` (or what it returns, called only for a
    message) says where the value goes.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value == "":
            return None
        units = len(value.encode("utf-16-le")) // 2 if len(value) > MAX_TEXT // 2 else 0
        if units > MAX_TEXT:  # (Excel counts a character beyond U+FFFF as two)
            raise LedgerError(
                _(
                    "{where}: the text is {units} characters long as Excel counts them; an Excel cell holds at most {max_text}"
                ).format(where=_place(where), units=units, max_text=MAX_TEXT)
            )
        bad = _UNWRITABLE.search(value)
        if bad is not None:
            raise LedgerError(
                _(
                    "{where}: the text holds the character U+{ord:04X}, which an Excel cell cannot hold"
                ).format(where=_place(where), ord=ord(bad.group()))
            )
        return value
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise LedgerError(
                _(
                    "{where}: the number {value} has more digits than an Excel number keeps; store it as text"
                ).format(where=_place(where), value=value)
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_NUMBER or 0 < abs(value) < MIN_NUMBER:
            raise LedgerError(
                _(
                    "{where}: {value} cannot be stored in an Excel cell (Excel numbers run from {min_number} to {max_number}); store it as text"
                ).format(
                    where=_place(where), value=value, min_number=MIN_NUMBER, max_number=MAX_NUMBER
                )
            )
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise LedgerError(
                _("{where}: {value} has a time zone; the ledger keeps local times").format(
                    where=_place(where), value=value
                )
            )
        if value.date() < FIRST_SERIAL_DATE:
            raise LedgerError(
                _("{where}: Excel cannot store the date {value:%Y-%m-%d}").format(
                    where=_place(where), value=value
                )
            )
        return _round_ms(value)
    if isinstance(value, date):
        if value < FIRST_SERIAL_DATE:
            raise LedgerError(
                _("{where}: Excel cannot store the date {value:%Y-%m-%d}").format(
                    where=_place(where), value=value
                )
            )
        return value
    raise TypeError(f"{_place(where)}: a ledger cell cannot hold {type(value).__name__} {value!r}")


def _place(where: str | Callable[[], str]) -> str:
    return where if isinstance(where, str) else where()


def is_plain(value: CellValue) -> bool:
    """Whether :func:`check_value` would return ``value`` as it is: plainly fine text
    (printable, well under the length limit), in-range ints, dates, whole-second
    datetimes and None. A large import passes hundreds of thousands of values through
    here; the rest go through the full check."""
    return (
        value is None
        or (
            type(value) is str
            and value != ""
            and len(value) <= MAX_TEXT // 2
            and value.isprintable()
        )
        or (type(value) is int and -MAX_EXACT_INT <= value <= MAX_EXACT_INT)
        or (type(value) is date and value >= FIRST_SERIAL_DATE)
        or (
            type(value) is datetime
            and value.tzinfo is None
            and not value.microsecond
            and value >= _FIRST_DATETIME
        )
    )


def check_values(values: dict[str, CellValue], where: str) -> dict[str, CellValue]:
    """:func:`check_value` over a row's values, keyed by stripped label."""
    return {
        label.strip(): value if is_plain(value) else check_value(value, f"{where} {label}")
        for label, value in values.items()
    }


def _round_ms(value: datetime) -> datetime:
    ms = round(value.microsecond / 1000)
    try:
        return value.replace(microsecond=0) + timedelta(milliseconds=ms)
    except OverflowError:  # the last millisecond of 9999
        return value.replace(microsecond=value.microsecond // 1000 * 1000)


def serial(value: date, *, date1904: bool = False) -> float:
    """The Excel serial number of a date or datetime (1900 or 1904 date system)."""
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    if isinstance(value, datetime):
        delta = value - epoch
        return delta.days + (delta.seconds * 1000 + delta.microseconds // 1000) / 86_400_000
    return float((value - epoch.date()).days)


def number_text(value: float) -> str:
    """A number as written in ``<v>``: ints without a decimal point, floats by ``repr``."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_INT:
        return str(int(value))
    return repr(value)


# Control characters XML 1.0 cannot carry (and \r, which XML parsers turn into \n) are
# written with Excel's own escape _xHHHH_, which Excel, calamine and openpyxl decode.
# Unpaired surrogates and the non-characters U+FFFE/U+FFFF have no such escape that readers
# decode, so check_value refuses them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def _escape_literal(m: re.Match[str]) -> str:
    return "_x005F_" + m.group(1)


def _escape_illegal(m: re.Match[str]) -> str:
    return f"_x{ord(m.group()):04X}_"


def escape_text(text: str) -> str:
    """Cell text as the content of a ``<t>`` element. (Each step is skipped when it
    cannot apply: this runs for every text cell procdoc writes.)"""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(_escape_literal, text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not text.isprintable():
        text = _XML_ILLEGAL.sub(_escape_illegal, text)
    return text


def escape_attr(text: str) -> str:
    """Text as an XML attribute value in double quotes."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def inline_string(text: str) -> str:
    """The ``<is>`` element of an inline-string cell."""
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f"<is><t{space}>{escape_text(text)}</t></is>"


# -- number formats ---------------------------------------------------------------------

_BUILTIN_DATE = frozenset({14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58})
_BUILTIN_TIME = frozenset({18, 19, 20, 21, 32, 33, 34, 35, 45, 46, 47, 55, 56})
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)


LINE_HEIGHT = 15.0
"""Points a line of the default font (11 pt) takes in a row: a row holding wrapped text is
this many points per line."""
MAX_LINES = 10
"""The most lines a row procdoc sizes is made tall for (a longer text scrolls in the cell)."""


def wrapped_lines(text: str, width: float) -> int:
    """About how many lines ``text`` takes when wrapped in a column ``width`` wide (Excel's
    unit: a digit; a Chinese character is about two). Cheap enough for every cell of a
    large import: a text that fits is told by its length alone."""
    room = max(width - 1.0, 1.0)
    if len(text) * 2 <= room and "\n" not in text:
        return 1
    lines = 0
    for part in text.split("\n"):
        wide = (len(part.encode("utf-8")) - len(part)) // 2  # a CJK character is 3 bytes
        lines += max(1, math.ceil((len(part) + wide) / room))  # it is two units wide
    return lines


def format_kind(num_fmt_id: int, code: str | None) -> str:
    """``"date"`` (shows a date), ``"time"`` (a time or duration only) or ``"other"``."""
    if code is None:
        if num_fmt_id in _BUILTIN_DATE:
            return "date"
        if num_fmt_id in _BUILTIN_TIME:
            return "time"
        return "other"
    if code.strip().lower() == "general":
        return "other"
    stripped = _FORMAT_NOISE.sub("", code).lower()
    if "y" in stripped or "d" in stripped or "e" in stripped.replace("e+", "").replace("e-", ""):
        return "date"
    if "h" in stripped or "s" in stripped or "m" in stripped:
        return "time"
    return "other"


def normalise_read(value: object) -> CellValue:
    """A value from calamine as procdoc reads it (the per-cell fallback of the reader)."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= MAX_EXACT_INT else value
    if isinstance(value, str | int | date):
        return value
    if isinstance(value, time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        hours, rem = divmod(seconds, 3600)
        minutes, secs = divmod(rem, 60)
        return f"{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return str(value)


_NOT_IN_KEY = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


@functools.lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """A header label as procdoc matches it: without any white space (spaces, tabs, line
    breaks, the ideographic space U+3000, no-break spaces) or zero-width characters, so
    ``承 办 人``, ``承办\n人`` and ``承办人`` are one label. Reading (:meth:`Sheet.column`)
    and writing (the patcher's columns) both match labels by this key."""
    return _NOT_IN_KEY.sub("", label)


def label_of(value: object) -> str:
    """A header cell's value as a label: ``str()``-ed and stripped, ``""`` when empty."""
    v = normalise_read(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v).strip()


# -- sheet names -----------------------------------------------------------------------

#: Characters Excel does not allow in a sheet name, and its length limit.
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31


def sheet_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an Excel sheet name, or None."""
    if not name.strip():
        return _("a sheet name cannot be empty")
    if len(name) > SHEET_NAME_MAX:
        return _(
            "a sheet name has at most {sheet_name_max} characters ('{name}' has {n_name})"
        ).format(sheet_name_max=SHEET_NAME_MAX, name=name, n_name=len(name))
    bad = _BAD_SHEET.search(name)
    if bad:
        return _("a sheet name cannot hold '{group}' (Excel refuses [ ] : * ? / \\)").format(
            group=bad.group()
        )
    if name.startswith("'") or name.endswith("'"):
        return _("a sheet name cannot start or end with an apostrophe")
    if name.lower() == "history":
        return _("'History' is reserved by Excel")
    return None
