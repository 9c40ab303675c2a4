"""Working days, holidays, durations and due dates (SPEC §4, DOMAIN "Working days").

The Chinese national calendar comes from the ``chinese-calendar`` package (weekends off,
statutory holidays off, 调休 make-up weekend days on). ``calendar:`` in ``procdoc.yaml``
adds holidays and workdays that take precedence. A year that neither covers is counted
Monday-Friday, with a :class:`~procdoc.errors.ProcdocWarning` that names the year.

Counting rules:

- ``Nwd`` (working days): the start day is not counted; the deadline is the end of the
  Nth working day after it.
- ``Nd`` (calendar days): the start day is not counted (民法典 第201条); a last day that
  is not a working day moves to the next working day (第203条, weekends too in practice)
  unless ``roll_calendar_deadlines`` is off.
- ``Nh`` (hours): straight through, no calendar; the deadline is a date and time.

A due date (:data:`Due`) is either a :class:`~datetime.date`, meaning the end of that day,
or a :class:`~datetime.datetime`, an exact moment.

This module is imported by every command, so it stays light: ``chinese_calendar`` and
``yaml`` are imported only when first needed.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import itertools
import re
import unicodedata
import warnings
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeAlias

from procdoc.cachefile import TextMemo
from procdoc.errors import CalendarError, ProcdocWarning
from procdoc.i18n import _, name_list
from procdoc.yamlpos import Pos, YamlSyntaxError, load_bytes

__all__ = [
    "CalendarFile",
    "Due",
    "Duration",
    "Unit",
    "WorkCalendar",
    "calendar_files",
    "date_cn",
    "format_due",
    "format_moment",
    "parse_moment",
    "read_calendar_file",
]

Due: TypeAlias = date | datetime
"""A deadline: a date means the end of that day; a datetime is an exact moment."""

Unit: TypeAlias = Literal["d", "wd", "h"]

_UNITS: tuple[Unit, ...] = ("d", "wd", "h")
_UNIT_ALIASES: dict[str, Unit] = {
    "d": "d",
    "日": "d",
    "天": "d",
    "wd": "wd",
    "工作日": "wd",
    "个工作日": "wd",
    "h": "h",
    "小时": "h",
    "个小时": "h",
}
_LABEL_CN: dict[Unit, str] = {"d": "日", "wd": "个工作日", "h": "小时"}
_HOURS_PER_UNIT: dict[Unit, int] = {"d": 24, "wd": 24, "h": 1}
_DURATION_RE = re.compile(r"([0-9]+)\s*(\S.*)", re.DOTALL)


@dataclass(frozen=True)
class Duration:
    """A deadline length: ``amount`` calendar days (``d``), working days (``wd``) or hours (``h``)."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise CalendarError(
                _("bad duration amount {amount!r}: it must be a whole number >= 0").format(
                    amount=self.amount
                )
            )
        if self.unit not in _UNITS:
            raise CalendarError(
                _("bad duration unit {unit!r}: use 'd', 'wd' or 'h'").format(unit=self.unit)
            )

    @classmethod
    def parse(cls, text: str | int) -> Duration:
        """Read ``15d``, ``5wd``, ``24h``, ``15日``, ``15天``, ``5个工作日``, ``5工作日``, ``24小时``.

        Spaces anywhere, full-width digits and upper-case letters are accepted. A bare
        number (``15`` or ``"15"``) is rejected: the unit decides how the days are counted.
        """
        if isinstance(text, str):
            match = _DURATION_RE.fullmatch(unicodedata.normalize("NFKC", text).strip())
            if match is not None:
                unit = _UNIT_ALIASES.get("".join(match.group(2).split()).lower())
                if unit is not None:
                    return cls(int(match.group(1)), unit)
        raise CalendarError(
            _("bad duration '{text}': {duration_help}").format(
                text=text, duration_help=_("write 15d, 5wd, 24h (or 15日, 5个工作日, 24小时)")
            )
        )

    def __str__(self) -> str:
        """The canonical spelling: ``15d``, ``5wd``, ``24h``."""
        return f"{self.amount}{self.unit}"

    def label_cn(self) -> str:
        """The Chinese spelling used in documents: ``15日``, ``5个工作日``, ``24小时``."""
        return f"{self.amount}{_LABEL_CN[self.unit]}"

    def shown(self) -> str:
        """As a message says it: :meth:`label_cn` to a Chinese user, else ``15d``."""
        from procdoc.i18n import language

        return self.label_cn() if language() == "zh" else str(self)

    def fits_within(self, limit: Duration) -> bool:
        """Whether this duration is at most ``limit`` (an extension against a step's ``extend``).

        Same units compare amounts. Different units compare approximate hours, counting
        a day and a working day both as 24 hours: ``3wd`` fits within ``3d`` and
        ``72h``, ``25h`` does not fit within ``1d``.
        """
        return self._hours() <= limit._hours()

    def _hours(self) -> int:
        return self.amount * _HOURS_PER_UNIT[self.unit]

    def _amount_against(self, other: Duration) -> int:
        if other.unit != self.unit:
            raise TypeError(
                f"cannot order {self} and {other}: the units differ; use Duration.fits_within"
            )
        return self.amount

    # Ordering is only defined between durations of the same unit.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._amount_against(other) < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._amount_against(other) <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._amount_against(other) > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._amount_against(other) >= other.amount


# --- chinese_calendar, imported lazily ------------------------------------------------


@functools.cache
def _chinese_calendar() -> Any:
    import chinese_calendar

    return chinese_calendar


@functools.cache
def _package_covers(year: int) -> bool:
    """Whether chinese_calendar has data for ``year`` (it raises NotImplementedError if not)."""
    if not 1 <= year <= 9999:
        return False
    try:
        _chinese_calendar().is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class _Year:
    """One year's working days: ``flags[i]`` for day ``i`` (0 = 1 January), and
    ``cum[i]`` = the number of working days among days ``0..i`` inclusive."""

    first_ordinal: int
    flags: tuple[bool, ...]
    cum: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.cum[-1]


_NO_CALENDAR_WARNING = _(
    "no holiday calendar for {year}: counting Monday-Friday as working days; add {year}'s holidays and make-up workdays under `calendar:` in procdoc.yaml"
)
_CONFIG_KEYS = ("holidays", "workdays", "files", "roll_calendar_deadlines")
_FILE_KEYS = ("holidays", "workdays")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_HELP = _("write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD")
_MAX_RANGE_DAYS = 366


class WorkCalendar:
    """Which days are working days, and the deadlines counted on them.

    ``holidays`` and ``workdays`` override the national calendar day by day. Results
    are computed a year at a time and cached, so counting is a few lookups per call.
    """

    def __init__(
        self,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        roll_calendar_deadlines: bool = True,
    ) -> None:
        self._holidays = frozenset(_as_date(d) for d in holidays)
        self._workdays = frozenset(_as_date(d) for d in workdays)
        both = sorted(self._holidays & self._workdays)
        if both:
            days = name_list(d.isoformat() for d in both)
            raise CalendarError(
                _("{days} listed both as a holiday and as a workday: keep it in one list").format(
                    days=days
                )
            )
        self.roll_calendar_deadlines = roll_calendar_deadlines
        self._listed_years = frozenset(d.year for d in self._holidays | self._workdays)
        self._years: dict[int, _Year] = {}

    def listed_only(self, year: int) -> bool:
        """Whether ``year``'s holidays come from the workspace's lists alone (chinese-calendar
        does not know the year): before they were listed, procdoc counted it Monday-Friday."""
        return year in self._listed_years and not _package_covers(year)

    def without_listed(self) -> WorkCalendar:
        """This calendar without the days it lists for the years chinese-calendar does not
        know: how procdoc counted those years (Monday-Friday) before they were listed."""
        return WorkCalendar(
            holidays=(d for d in self._holidays if _package_covers(d.year)),
            workdays=(d for d in self._workdays if _package_covers(d.year)),
            roll_calendar_deadlines=self.roll_calendar_deadlines,
        )

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(holidays={len(self._holidays)} days, "
            f"workdays={len(self._workdays)} days, "
            f"roll_calendar_deadlines={self.roll_calendar_deadlines})"
        )

    @property
    def holidays(self) -> frozenset[date]:
        """The workspace-listed holidays."""
        return self._holidays

    @property
    def workdays(self) -> frozenset[date]:
        """The workspace-listed make-up workdays."""
        return self._workdays

    # --- loading ------------------------------------------------------------------

    @classmethod
    def load(
        cls, config: Mapping[str, Any] | None, *, base_dir: Path, cache: Path | None = None
    ) -> WorkCalendar:
        """Build the calendar from the ``calendar:`` mapping of ``procdoc.yaml``.

        Keys: ``holidays`` and ``workdays`` (lists of dates, ``YYYY-MM-DD`` strings or
        inclusive ranges ``YYYY-MM-DD..YYYY-MM-DD``), ``files`` (YAML files holding
        ``holidays:`` and ``workdays:`` lists; paths relative to ``base_dir``, glob
        patterns allowed) and ``roll_calendar_deadlines`` (bool, default true). ``cache``:
        where what was read from those files may be kept (:class:`~procdoc.cachefile.TextMemo`).
        """
        if config is None:
            return cls()
        where = "procdoc.yaml"
        if not isinstance(config, Mapping):
            raise CalendarError(
                _("{where}: `calendar:` must be a mapping with keys {config_keys}").format(
                    where=where, config_keys=name_list(_CONFIG_KEYS)
                )
            )
        for key in config:
            if key not in _CONFIG_KEYS:
                raise CalendarError(
                    _("{where}: unknown key `calendar.{key}`: use {config_keys}").format(
                        where=where, key=key, config_keys=name_list(_CONFIG_KEYS)
                    )
                )
        roll = config.get("roll_calendar_deadlines", True)
        if not isinstance(roll, bool):
            raise CalendarError(
                _(
                    "{where}: `calendar.roll_calendar_deadlines` must be true or false, not {roll!r}"
                ).format(where=where, roll=roll)
            )
        sources: dict[str, dict[date, str]] = {"holidays": {}, "workdays": {}}
        for kind in _FILE_KEYS:
            label = f"{where} calendar.{kind}"
            for value in _as_list(config.get(kind)):
                for day in _parse_entry(value, where=label):
                    sources[kind].setdefault(day, label)
        for entry in _as_list(config.get("files")):
            for path in calendar_files(entry, base_dir=base_dir):
                read = read_calendar_file(path, base_dir=base_dir, cache=cache)
                if read.problems:
                    pos, message = read.problems[0]
                    raise CalendarError(f"{pos}: {message}")
                for kind, days in read.days.items():
                    for day, pos in days:
                        sources[kind].setdefault(day, str(pos))
        holidays, workdays = sources["holidays"], sources["workdays"]
        conflicts = sorted(holidays.keys() & workdays.keys())
        if conflicts:
            day = conflicts[0]
            raise CalendarError(
                _(
                    "{day} is listed both as a holiday ({holidays}) and as a workday ({workdays}): keep it in one list"
                ).format(day=day.isoformat(), holidays=holidays[day], workdays=workdays[day])
            )
        return cls(holidays=holidays, workdays=workdays, roll_calendar_deadlines=roll)

    # --- days ---------------------------------------------------------------------

    def covers(self, year: int) -> bool:
        """Whether ``year``'s holidays are known: from chinese_calendar or the workspace lists."""
        return year in self._listed_years or _package_covers(year)

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day (warns once per uncovered year)."""
        year = self._year(day.year)
        return year.flags[day.toordinal() - year.first_ordinal]

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        day = _as_date(day)
        return day if self.is_workday(day) else self.add_workdays(day, 1)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``th working day after ``start`` (``start`` is not counted; ``n=0`` gives ``start``)."""
        start = _as_date(start)
        if n < 0:
            raise CalendarError(
                _("cannot count {n} working days: the count must be >= 0").format(n=n)
            )
        if n == 0:
            return start
        if n > (date.max - start).days:
            raise CalendarError(
                _("{n} working days after {start} fall after the year 9999").format(
                    n=n, start=start
                )
            )
        year_number = start.year
        year = self._year(year_number)
        target = year.cum[start.toordinal() - year.first_ordinal] + n
        while target > year.total:
            target -= year.total
            year_number += 1
            year = self._year(year_number)
        return date.fromordinal(year.first_ordinal + bisect_left(year.cum, target))

    def workdays_after(self, start: date, end: date) -> int:
        """The number of working days ``d`` with ``start < d <= end``; 0 when ``end <= start``."""
        start, end = _as_date(start), _as_date(end)
        if end <= start:
            return 0
        first = self._year(start.year)
        count = -first.cum[start.toordinal() - first.first_ordinal]
        for year_number in range(start.year, end.year):
            count += self._year(year_number).total
        last = self._year(end.year)
        return count + last.cum[end.toordinal() - last.first_ordinal]

    # --- deadlines ----------------------------------------------------------------

    def due(self, start: date | datetime, duration: Duration, *more: Duration) -> Due:
        """The deadline ``duration`` after ``start``, extended by ``more``.

        ``wd`` and ``d`` give a date (the end of that day); ``h`` gives a datetime
        (a date ``start`` means 00:00 of that day). Extensions add up on the deadline
        as first counted, before any roll to a working day (SPEC §4): 20日 then 10日 ends
        where one 30日 ends.
        """
        end: date | datetime = start
        roll = False
        try:
            for part in (duration, *more):
                if part.unit == "h":
                    moment = end if isinstance(end, datetime) else datetime.combine(end, time())
                    end, roll = moment + timedelta(hours=part.amount), False
                elif part.unit == "wd":
                    end, roll = self.add_workdays(_as_date(end), part.amount), False
                else:
                    end, roll = _as_date(end) + timedelta(days=part.amount), True
            if roll and self.roll_calendar_deadlines:
                return self.next_workday(_as_date(end))
            return end
        except OverflowError:
            raise CalendarError(
                _("{duration} after {format_due} falls after the year 9999").format(
                    duration=duration,
                    format_due=f"{start:%Y-%m-%d %H:%M}"
                    if isinstance(start, datetime)
                    else start.isoformat(),
                )
            ) from None

    @staticmethod
    def due_moment(due: Due) -> datetime:
        """The end of ``due`` as a moment: a date gives the next day at 00:00 (exclusive)."""
        if isinstance(due, datetime):
            return due
        return datetime.combine(due + timedelta(days=1), time())

    # --- internals ----------------------------------------------------------------

    def _year(self, year_number: int) -> _Year:
        year = self._years.get(year_number)
        if year is None:
            year = self._years[year_number] = self._build_year(year_number)
        return year

    def _build_year(self, year_number: int) -> _Year:
        if not 1 <= year_number <= 9999:
            raise CalendarError(
                _("year {year_number} is out of range: dates run from 1 to 9999").format(
                    year_number=year_number
                )
            )
        first = date(year_number, 1, 1)
        days = (date(year_number + 1, 1, 1) - first).days if year_number < 9999 else 365
        national = _package_covers(year_number)
        if not national and not self.covers(year_number):
            warnings.warn(
                _NO_CALENDAR_WARNING.format(year=year_number), ProcdocWarning, stacklevel=2
            )
        package_workdays: Mapping[date, object] = {}
        package_holidays: Mapping[date, object] = {}
        if national:
            # chinese_calendar.is_workday(d) is exactly this test on its public tables,
            # without re-validating the year on every call (about 40 µs each).
            package_workdays = _chinese_calendar().workdays
            package_holidays = _chinese_calendar().holidays
        flags: list[bool] = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day in self._workdays:
                flags.append(True)
            elif day in self._holidays:
                flags.append(False)
            elif day in package_workdays:
                flags.append(True)
            else:
                flags.append(day.weekday() < 5 and day not in package_holidays)
        return _Year(
            first_ordinal=first.toordinal(),
            flags=tuple(flags),
            cum=tuple(itertools.accumulate(int(flag) for flag in flags)),
        )


# --- loading helpers --------------------------------------------------------------


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _parse_day(text: str, *, where: str, original: object) -> date:
    match = _DATE_RE.fullmatch(text.strip())
    if match is not None:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise CalendarError(
        _("{where}: bad date '{original}': {date_help}").format(
            where=where, original=original, date_help=_DATE_HELP
        )
    )


def _parse_entry(value: object, *, where: str) -> Iterator[date]:
    """The days of one list entry: a date, ``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        yield value
        return
    if not isinstance(value, str):
        raise CalendarError(
            _("{where}: bad date '{value}': {date_help}").format(
                where=where, value=value, date_help=_DATE_HELP
            )
        )
    if ".." not in value:
        yield _parse_day(value, where=where, original=value)
        return
    first_text, _unused, last_text = value.partition("..")
    first = _parse_day(first_text, where=where, original=value)
    last = _parse_day(last_text, where=where, original=value)
    if last < first:
        raise CalendarError(
            _("{where}: bad range '{value}': the first day comes after the last").format(
                where=where, value=value
            )
        )
    if (last - first).days >= _MAX_RANGE_DAYS:
        raise CalendarError(
            _("{where}: bad range '{value}': longer than a year, check the years").format(
                where=where, value=value
            )
        )
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _display(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return str(path)


def calendar_files(entry: object, *, base_dir: Path) -> list[Path]:
    """The files one entry of ``calendar.files`` names: a path, or a glob pattern (which
    may match none), relative to ``base_dir``. CalendarError: an entry that is no path, or
    a path with no file."""
    if not isinstance(entry, str) or not entry.strip():
        raise CalendarError(
            _(
                "bad entry {entry!r} under `calendar.files`: give paths of YAML files, relative to the workspace"
            ).format(entry=entry)
        )
    if any(char in entry for char in "*?["):
        pattern = str(base_dir / entry)
        return [Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_file()]
    path = base_dir / entry
    if not path.is_file():
        raise CalendarError(
            _(
                "{display}: calendar file not found (listed under `calendar.files` in {where})"
            ).format(display=_display(path, base_dir), where="procdoc.yaml")
        )
    return [path]


@dataclass(frozen=True)
class CalendarFile:
    """One calendar file as read: the days listed under ``holidays:`` and ``workdays:``,
    each with where it is written, and every problem found, each with its position. The
    entries that are wrong are left out of ``days``; the others are there."""

    name: str
    days: dict[str, list[tuple[date, Pos]]]
    problems: list[tuple[Pos, str]]


#: Days kept as (ordinal, line, column) per key, for files without problems.
_MEMO = TextMemo("calendar", 2)


def read_calendar_file(path: Path, *, base_dir: Path, cache: Path | None = None) -> CalendarFile:
    """Read the ``holidays:`` and ``workdays:`` of one YAML file, with their positions.
    CalendarError when the file cannot be read at all. With ``cache`` (the workspace's
    ``.procdoc/cache``), the days of a file without problems are kept there and used while
    the file holds exactly the same text (then PyYAML is not even imported)."""
    name = _display(path, base_dir)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise CalendarError(
            _("{name}: cannot read the calendar file: {strerror}").format(
                name=name, strerror=err.strerror
            )
        ) from None
    kept = _MEMO.get(cache, name, raw) if cache is not None else None
    if kept is not None:
        with contextlib.suppress(Exception):  # a damaged entry that passed its CRC
            days = {
                key: [(date.fromordinal(day), Pos(name, line, col)) for day, line, col in kept[key]]
                for key in _FILE_KEYS
            }
            return CalendarFile(name, days, [])
    read = _calendar_days(raw, name)
    if cache is not None and not read.problems:
        _MEMO.put(
            cache,
            name,
            raw,
            {
                key: [(day.toordinal(), pos.line, pos.col) for day, pos in found]
                for key, found in read.days.items()
            },
        )
    return read


def _calendar_days(raw: bytes, name: str) -> CalendarFile:
    """Every day a calendar file lists and every problem in it, each at its line and column.
    A file that is not YAML (not UTF-8, a syntax error) says so the way procdoc.yaml and
    the process files do (:func:`procdoc.yamlpos.syntax_message`)."""
    days: dict[str, list[tuple[date, Pos]]] = {key: [] for key in _FILE_KEYS}
    problems: list[tuple[Pos, str]] = []
    read = CalendarFile(name, days, problems)
    try:
        doc = load_bytes(raw, name)
    except YamlSyntaxError as err:
        problems.append((err.pos, err.detail))
        return read
    if doc.data is None:
        return read
    if not isinstance(doc.data, dict):
        problems.append(
            (doc.where(()), _("expected a mapping with `holidays:` and `workdays:` lists"))
        )
        return read
    for path, pos in doc.duplicates:
        problems.append(
            (
                pos,
                _(
                    "duplicate key '{dup_path}' (the later one would silently win): keep one of them"
                ).format(dup_path=path[-1]),
            )
        )
    for key, value in doc.data.items():
        if key not in _FILE_KEYS:
            problems.append((doc.where((key,), key=True), _unknown_key(str(key))))
            continue
        listed = isinstance(value, list)
        for i, item in enumerate(value if listed else _as_list(value)):
            pos = doc.where((key, i) if listed else (key,))
            if isinstance(item, dict | list):
                problems.append(
                    (
                        pos,
                        _("expected a date under '{key}': {date_help}").format(
                            key=key, date_help=_DATE_HELP
                        ),
                    )
                )
                continue
            try:
                days[key].extend((day, pos) for day in list(_parse_entry(item, where=key)))
            except CalendarError as err:
                problems.append((pos, err.message))
    return read


def _unknown_key(key: str) -> str:
    import difflib

    near = difflib.get_close_matches(key, _FILE_KEYS, n=1, cutoff=0.7)
    extra = (
        _(" (did you mean '{hint}'?)").format(hint=near[0])
        if near
        else _("; allowed: {sorted}").format(sorted=name_list(_FILE_KEYS))
    )
    return _("unknown key '{key}' in {what}{extra}").format(
        key=key, what=_("the calendar file"), extra=extra
    )


# --- moments and formatting -------------------------------------------------------

_MOMENT_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)


def parse_moment(text: str) -> datetime:
    """Read ``YYYY-MM-DD`` (00:00 of that day) or ``YYYY-MM-DD HH:MM`` (also with ``T``).

    Seconds (``HH:MM:SS``) are accepted too.
    """
    if isinstance(text, str):
        match = _MOMENT_RE.fullmatch(text.strip())
        if match is not None:
            year, month, day, hour, minute, second = map(int, match.groups(default="0"))
            try:
                return datetime(year, month, day, hour, minute, second)
            except ValueError:
                pass
    raise CalendarError(
        _("bad time '{text}': write YYYY-MM-DD or YYYY-MM-DD HH:MM").format(text=text)
    )


def format_moment(moment: datetime) -> str:
    """ISO to the minute: ``2026-10-13T09:30``."""
    if moment.tzinfo is None:  # (procdoc's moments are Beijing time without a zone)
        return moment.isoformat(timespec="minutes")
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}"
    )


def format_due(due: Due) -> str:
    """ISO: a date gives ``2026-10-13``, a datetime ``2026-10-13T09:30``."""
    if isinstance(due, datetime):
        return format_moment(due)
    return due.isoformat()


def date_cn(value: date | datetime) -> str:
    """The document form ``2026年5月15日`` (no leading zeros); a datetime gives its date."""
    return f"{value.year}年{value.month}月{value.day}日"
