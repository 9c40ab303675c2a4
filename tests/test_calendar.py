"""Working days, durations and deadlines (SPEC §4, DOMAIN "Working days and deadlines")."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from procdoc.calendar import (
    Duration,
    WorkCalendar,
    date_cn,
    format_due,
    format_moment,
    parse_moment,
)
from procdoc.errors import CalendarError, ProcdocWarning

D = date.fromisoformat

# Dates whose years chinese_calendar 1.11.0 covers: counting inside them never warns.
COVERED = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30))
UNITS = st.sampled_from(["d", "wd", "h"])
DURATIONS = st.builds(Duration, amount=st.integers(0, 10_000), unit=UNITS)
SHORT_DURATIONS = st.builds(Duration, amount=st.integers(0, 120), unit=UNITS)


# Shared by the properties: the per-year tables are built once, as in real use.
NATIONAL = WorkCalendar()
NATIONAL_NO_ROLL = WorkCalendar(roll_calendar_deadlines=False)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcdocWarning)
        yield


# --- DOMAIN worked examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "rule", "due"),
    [
        ("2026-09-30", "5wd", "2026-10-13"),  # 10-10 is a make-up Saturday
        ("2026-02-12", "3wd", "2026-02-24"),
        ("2026-01-01", "1wd", "2026-01-04"),  # a make-up Sunday
        ("2026-01-05", "60d", "2026-03-06"),
        ("2026-09-20", "15d", "2026-10-08"),  # 10-05 is a holiday, rolled
    ],
)
def test_domain_worked_examples(cal, no_warnings, start, rule, due):
    assert cal.due(D(start), Duration.parse(rule)) == D(due)


def test_calendar_days_without_rolling(no_warnings):
    cal = WorkCalendar(roll_calendar_deadlines=False)
    assert cal.due(D("2026-09-20"), Duration.parse("15d")) == D("2026-10-05")
    assert cal.due(D("2026-01-05"), Duration.parse("60d")) == D("2026-03-06")


def test_calendar_days_roll_over_weekends_too(cal, no_warnings):
    # 2026-03-01 + 6d = Saturday 2026-03-07 -> Monday 2026-03-09
    assert cal.due(D("2026-03-01"), Duration(6, "d")) == D("2026-03-09")


@pytest.mark.parametrize(
    "day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
)
def test_2026_make_up_days_are_workdays(cal, no_warnings, day):
    assert D(day).weekday() >= 5
    assert cal.is_workday(D(day))


def _days(first: str, last: str) -> list[date]:
    start, end = D(first), D(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


HOLIDAYS_2026 = [
    *_days("2026-01-01", "2026-01-03"),
    *_days("2026-02-15", "2026-02-23"),
    *_days("2026-04-04", "2026-04-06"),
    *_days("2026-05-01", "2026-05-05"),
    *_days("2026-06-19", "2026-06-21"),
    *_days("2026-09-25", "2026-09-27"),
    *_days("2026-10-01", "2026-10-07"),
]


@pytest.mark.parametrize("day", HOLIDAYS_2026, ids=str)
def test_2026_days_off_are_not_workdays(cal, no_warnings, day):
    assert not cal.is_workday(day)


def test_agrees_with_chinese_calendar(no_warnings):
    # every day of 2004 and 2019-2026, and every holiday and make-up day the package lists
    # (chinese_calendar.is_workday costs ~40 µs a call, so not all 8400 days)
    cal = WorkCalendar()
    days = {*_days("2004-01-01", "2004-12-31"), *_days("2019-01-01", "2026-12-31")}
    days |= chinese_calendar.holidays.keys() | chinese_calendar.workdays.keys()
    for day in sorted(days):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day


def test_covers(cal):
    assert cal.covers(2004) and cal.covers(2026)
    assert not cal.covers(2003) and not cal.covers(2027)
    assert WorkCalendar(holidays=[D("2027-01-01")]).covers(2027)


# --- counting -----------------------------------------------------------------------


def test_add_workdays_basics(cal, no_warnings):
    assert cal.add_workdays(D("2026-03-02"), 0) == D("2026-03-02")
    assert cal.add_workdays(D("2026-03-07"), 0) == D("2026-03-07")  # n=0 is start, even a Saturday
    assert cal.add_workdays(D("2026-03-06"), 1) == D("2026-03-09")  # Friday -> Monday
    assert cal.add_workdays(datetime(2026, 3, 6, 17, 30), 1) == D("2026-03-09")
    with pytest.raises(CalendarError):
        cal.add_workdays(D("2026-03-06"), -1)


def test_add_workdays_across_years(cal, no_warnings):
    assert cal.add_workdays(D("2025-12-30"), 2) == D("2026-01-04")
    assert cal.workdays_after(D("2025-12-30"), D("2026-01-04")) == 2
    # a long count spanning whole years
    start = D("2010-06-01")
    end = cal.add_workdays(start, 2000)
    assert cal.workdays_after(start, end) == 2000


def test_workdays_after(cal, no_warnings):
    assert cal.workdays_after(D("2026-09-30"), D("2026-10-13")) == 5
    assert cal.workdays_after(D("2026-10-13"), D("2026-09-30")) == 0
    assert cal.workdays_after(D("2026-10-13"), D("2026-10-13")) == 0
    assert cal.workdays_after(D("2026-10-01"), D("2026-10-07")) == 0


def test_next_workday(cal, no_warnings):
    assert cal.next_workday(D("2026-10-01")) == D("2026-10-08")
    assert cal.next_workday(D("2026-10-10")) == D("2026-10-10")


def test_hours_are_straight_through(cal, no_warnings):
    start = datetime(2026, 9, 30, 16, 0)
    assert cal.due(start, Duration.parse("24h")) == datetime(2026, 10, 1, 16, 0)
    assert cal.due(D("2026-09-30"), Duration.parse("36h")) == datetime(2026, 10, 1, 12, 0)


def test_working_and_calendar_days_from_a_datetime_use_its_date(cal, no_warnings):
    start = datetime(2026, 9, 30, 23, 59)
    assert cal.due(start, Duration.parse("5wd")) == D("2026-10-13")
    assert cal.due(start, Duration.parse("1d")) == D("2026-10-08")


def test_due_moment():
    assert WorkCalendar.due_moment(D("2026-10-13")) == datetime(2026, 10, 14, 0, 0)
    moment = datetime(2026, 10, 13, 9, 30)
    assert WorkCalendar.due_moment(moment) == moment


def test_due_beyond_year_9999_is_a_calendar_error(cal):
    with pytest.raises(CalendarError, match="9999"):
        cal.due(D("9999-12-01"), Duration(100, "d"))
    with pytest.raises(CalendarError, match="9999"):
        cal.due(datetime(9999, 12, 31), Duration(48, "h"))
    with pytest.raises(CalendarError, match="9999"):
        cal.due(D("2026-01-01"), Duration(10**9, "wd"))


def test_each_year_is_built_once(cal, no_warnings, monkeypatch):
    """Counting stays cheap because a year's working days are computed once and reused
    (speed itself is measured by `make bench`, not asserted here)."""
    built: list[int] = []
    original = type(cal)._build_year

    def spy(self, year_number):
        built.append(year_number)
        return original(self, year_number)

    monkeypatch.setattr(type(cal), "_build_year", spy)
    start = D("2026-03-02")
    assert cal.add_workdays(start, 100) == D("2026-07-24")
    warm = list(built)
    for _ in range(10_000):
        cal.add_workdays(start, 100)
        cal.workdays_after(start, D("2026-05-01"))
    assert built == warm and len(set(warm)) == len(warm)


# --- hypothesis properties ----------------------------------------------------------


@given(start=COVERED, n=st.integers(1, 120))
def test_add_workdays_properties(start, n):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcdocWarning)
        result = NATIONAL.add_workdays(start, n)
        assert result > start
        assert NATIONAL.is_workday(result)
        assert NATIONAL.workdays_after(start, result) == n
        assert NATIONAL.workdays_after(start, result - timedelta(days=1)) == n - 1


@given(start=COVERED, n=st.integers(0, 150))
def test_calendar_day_properties(start, n):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcdocWarning)
        rolled = NATIONAL.due(start, Duration(n, "d"))
        plain = NATIONAL_NO_ROLL.due(start, Duration(n, "d"))
        assert plain == start + timedelta(days=n)
        assert isinstance(rolled, date) and not isinstance(rolled, datetime)
        assert rolled >= plain
        assert NATIONAL.is_workday(rolled)
        # it moved to the *first* working day: nothing before it was a working day
        assert NATIONAL.workdays_after(plain, rolled - timedelta(days=1)) == 0


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    n=st.integers(0, 10_000),
)
def test_hours_property(start, n):
    due = NATIONAL.due(start, Duration(n, "h"))  # hours never consult the calendar
    assert isinstance(due, datetime)
    assert due - start == timedelta(hours=n)


@given(day=COVERED)
def test_next_workday_idempotent(day):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcdocWarning)
        first = NATIONAL.next_workday(day)
        assert first >= day
        assert NATIONAL.is_workday(first)
        assert NATIONAL.next_workday(first) == first
        assert NATIONAL.workdays_after(day, first - timedelta(days=1)) == 0


# --- durations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15d", Duration(15, "d")),
        ("5wd", Duration(5, "wd")),
        ("24h", Duration(24, "h")),
        ("15日", Duration(15, "d")),
        ("15天", Duration(15, "d")),
        ("5个工作日", Duration(5, "wd")),
        ("5工作日", Duration(5, "wd")),
        ("24小时", Duration(24, "h")),
        ("15 d", Duration(15, "d")),
        ("  5 wd ", Duration(5, "wd")),
        ("5 个 工作日", Duration(5, "wd")),
        ("１５日", Duration(15, "d")),
        ("１５ｄ", Duration(15, "d")),
        ("15D", Duration(15, "d")),
        ("0d", Duration(0, "d")),
        ("015d", Duration(15, "d")),
    ],
)
def test_duration_spellings(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["15x", "15", 15, "", "d", "-5d", "1.5d", "5 5d", "15dd", "wd5", "十五日", True, None, 1.5],
)
def test_bad_durations(bad):
    with pytest.raises(CalendarError) as info:
        Duration.parse(bad)
    message = str(info.value)
    assert message.startswith(f"bad duration '{bad}': ")
    assert "15d, 5wd, 24h" in message and "15日, 5个工作日, 24小时" in message


def test_bad_duration_message_exactly():
    with pytest.raises(CalendarError) as info:
        Duration.parse("15x")
    assert str(info.value) == "bad duration '15x': write 15d, 5wd, 24h (or 15日, 5个工作日, 24小时)"


def test_duration_str_and_label():
    assert [str(Duration.parse(t)) for t in ("15日", "5个工作日", "24小时")] == [
        "15d",
        "5wd",
        "24h",
    ]
    assert [Duration.parse(t).label_cn() for t in ("15d", "5wd", "24h")] == [
        "15日",
        "5个工作日",
        "24小时",
    ]


def test_duration_constructor_checks():
    with pytest.raises(CalendarError):
        Duration(-1, "d")
    with pytest.raises(CalendarError):
        Duration(1, "w")  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        Duration(True, "d")


@given(DURATIONS)
def test_duration_round_trip(duration):
    assert Duration.parse(str(duration)) == duration
    assert Duration.parse(duration.label_cn()) == duration
    assert str(Duration.parse(str(duration))) == str(duration)


@given(st.text(max_size=12))
def test_duration_parse_never_crashes(text):
    try:
        result = Duration.parse(text)
    except CalendarError as err:
        assert "bad duration" in str(err)
    else:
        assert Duration.parse(str(result)) == result


def test_duration_ordering_same_unit():
    assert Duration(5, "d") < Duration(6, "d") <= Duration(6, "d")
    assert Duration(7, "wd") > Duration(6, "wd") >= Duration(6, "wd")
    with pytest.raises(TypeError, match="fits_within"):
        _ = Duration(5, "d") < Duration(6, "wd")


@pytest.mark.parametrize(
    ("amount", "limit", "fits"),
    [
        ("30d", "30d", True),
        ("31d", "30d", False),
        ("3wd", "3d", True),  # a working day counts as 24 hours, like a day
        ("4wd", "3d", False),
        ("72h", "3d", True),
        ("73h", "3d", False),
        ("1d", "24h", True),
        ("2d", "1wd", False),
        ("0h", "0d", True),
    ],
)
def test_fits_within(amount, limit, fits):
    assert Duration.parse(amount).fits_within(Duration.parse(limit)) is fits


# --- uncovered years ----------------------------------------------------------------


def test_uncovered_year_warns_once_per_instance_and_counts_monday_to_friday():
    cal = WorkCalendar()
    with pytest.warns(ProcdocWarning, match="2027") as record:
        assert cal.is_workday(D("2027-01-01"))  # a Friday; really a holiday, unknown here
        assert not cal.is_workday(D("2027-01-02"))  # Saturday
        assert cal.add_workdays(D("2027-01-01"), 1) == D("2027-01-04")
        assert cal.due(D("2027-03-01"), Duration(5, "wd")) == D("2027-03-08")
    assert len(record) == 1
    assert str(record[0].message) == (
        "no holiday calendar for 2027: counting Monday-Friday as working days; "
        "add 2027's holidays and make-up workdays under `calendar:` in procdoc.yaml"
    )
    with pytest.warns(ProcdocWarning, match="2027"):  # a new instance warns again
        WorkCalendar().is_workday(D("2027-06-01"))


def test_each_uncovered_year_warns_once():
    cal = WorkCalendar()
    with pytest.warns(ProcdocWarning) as record:
        cal.workdays_after(D("2026-12-01"), D("2028-12-31"))
        cal.workdays_after(D("2026-12-01"), D("2028-12-31"))
    assert sorted(str(w.message)[24:28] for w in record) == ["2027", "2028"]


def test_deadline_crossing_into_uncovered_year_warns_not_crashes():
    cal = WorkCalendar()
    with pytest.warns(ProcdocWarning, match="2027"):
        assert cal.due(D("2026-12-25"), Duration(15, "d")) == D("2027-01-11")


def test_workspace_lists_cover_a_year(no_warnings):
    cal = WorkCalendar(holidays=[D("2027-01-01")], workdays=[D("2027-02-06")])
    assert not cal.is_workday(D("2027-01-01"))
    assert cal.is_workday(D("2027-02-06"))  # a Saturday made a workday
    assert cal.is_workday(D("2027-03-01"))
    assert cal.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")


def test_workspace_lists_win_over_chinese_calendar(no_warnings):
    cal = WorkCalendar(holidays=[D("2026-03-02")], workdays=[D("2026-10-01")])
    assert not cal.is_workday(D("2026-03-02"))
    assert cal.is_workday(D("2026-10-01"))


def test_same_day_in_both_lists_is_an_error():
    with pytest.raises(CalendarError, match="2027-01-01"):
        WorkCalendar(holidays=[D("2027-01-01")], workdays=[D("2027-01-01")])


# --- loading from procdoc.yaml and calendar files -----------------------------------


def test_load_none_is_the_national_calendar(tmp_path, no_warnings):
    cal = WorkCalendar.load(None, base_dir=tmp_path)
    assert cal.roll_calendar_deadlines
    assert cal.due(D("2026-09-30"), Duration(5, "wd")) == D("2026-10-13")


def test_load_inline_lists_and_ranges(tmp_path, no_warnings):
    cal = WorkCalendar.load(
        {
            "holidays": [date(2027, 1, 1), "2027-10-01..2027-10-07", " 2027-02-10 "],
            "workdays": ["2027-09-26"],
            "roll_calendar_deadlines": False,
        },
        base_dir=tmp_path,
    )
    assert not cal.roll_calendar_deadlines
    assert cal.holidays == {date(2027, 1, 1), date(2027, 2, 10), *_days("2027-10-01", "2027-10-07")}
    assert cal.is_workday(D("2027-09-26"))
    assert cal.add_workdays(D("2027-09-30"), 1) == D("2027-10-08")


def test_load_empty_lists(tmp_path, no_warnings):
    cal = WorkCalendar.load({"holidays": None, "workdays": [], "files": None}, base_dir=tmp_path)
    assert cal.holidays == frozenset() and cal.workdays == frozenset()


CALENDAR_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知 (example)
holidays:
  - 2027-01-01
  - "2027-02-06..2027-02-12"
  - 2027-10-01..2027-10-07
workdays:
  - 2027-02-14
  - '2027-10-09'
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_calendar_file_is_honoured_and_silences_the_warning(tmp_path, no_warnings):
    write(tmp_path / "calendar" / "2027.yaml", CALENDAR_2027)
    cal = WorkCalendar.load({"files": ["calendar/2027.yaml"]}, base_dir=tmp_path)
    assert cal.covers(2027)
    assert not cal.is_workday(D("2027-01-01"))
    assert not cal.is_workday(D("2027-02-08"))  # a Monday inside the range
    assert cal.is_workday(D("2027-02-14"))  # a Sunday made a workday
    assert cal.is_workday(D("2027-10-09"))
    assert cal.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.due(D("2027-09-20"), Duration(11, "d")) == D("2027-10-08")


def test_calendar_files_glob_and_merge_with_inline(tmp_path, no_warnings):
    write(tmp_path / "calendar" / "2027.yaml", CALENDAR_2027)
    write(tmp_path / "calendar" / "2028.yaml", "holidays: [2028-01-01]\nworkdays:\n")
    write(tmp_path / "calendar" / "empty.yaml", "")
    cal = WorkCalendar.load(
        {"files": ["calendar/*.yaml"], "holidays": ["2027-05-03"]}, base_dir=tmp_path
    )
    assert cal.covers(2028)
    assert D("2027-05-03") in cal.holidays and D("2028-01-01") in cal.holidays


def test_calendar_file_with_bom(tmp_path, no_warnings):
    (tmp_path / "cal.yaml").write_bytes("\ufeffholidays: [2027-01-01]\n".encode())
    assert D("2027-01-01") in WorkCalendar.load({"files": ["cal.yaml"]}, base_dir=tmp_path).holidays


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ({"holidayz": []}, ["procdoc.yaml", "calendar.holidayz"]),
        ({"roll_calendar_deadlines": "yes"}, ["roll_calendar_deadlines", "'yes'"]),
        ({"holidays": ["2027-02-30"]}, ["procdoc.yaml", "calendar.holidays", "'2027-02-30'"]),
        ({"workdays": [20270101]}, ["calendar.workdays", "'20270101'"]),
        ({"holidays": [datetime(2027, 1, 1, 10)]}, ["bad date", "2027-01-01 10:00:00"]),
        ({"holidays": ["2027-10-07..2027-10-01"]}, ["bad range", "2027-10-07..2027-10-01"]),
        ({"holidays": ["2027-10-01..2072-10-07"]}, ["bad range", "longer than a year"]),
        ({"holidays": ["2027/10/01"]}, ["bad date", "'2027/10/01'"]),
        ({"files": [3]}, ["calendar.files"]),
        (["2027-01-01"], ["mapping"]),
        (
            {"holidays": ["2027-01-01"], "workdays": ["2026-12-30..2027-01-02"]},
            ["2027-01-01", "both", "calendar.holidays", "calendar.workdays"],
        ),
    ],
)
def test_bad_config(tmp_path, config, needles):
    with pytest.raises(CalendarError) as info:
        WorkCalendar.load(config, base_dir=tmp_path)
    for needle in needles:
        assert needle in str(info.value)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("holidays: [2027-01-01\n", ["bad.yaml:2:1: not valid YAML: ", "indentation"]),
        ("holidays:\n  - 2027-01-01\n  - 2027-13-01\n", ["bad.yaml:3:5:", "'2027-13-01'"]),
        (
            "holidays:\n  - 2027-01-01\nholiday:\n  - 2027-01-02\n",
            ["bad.yaml:3:1:", "'holiday'", "did you mean 'holidays'"],
        ),
        ("- 2027-01-01\n", ["bad.yaml:1:1:", "mapping"]),
        ("holidays:\n  - {day: 2027-01-01}\n", ["bad.yaml:2:5:", "expected a date"]),
        ("holidays: [2027-01-01]\nworkdays: [2027-01-01]\n", ["bad.yaml:1", "bad.yaml:2", "both"]),
        ("holidays: [1]\n---\nworkdays: [2]\n", ["bad.yaml:2:1: not valid YAML: "]),
        ("holidays: [2027-01-01]\nholidays: [2027-01-02]\n", ["bad.yaml:2:1:", "duplicate"]),
    ],
)
def test_bad_calendar_file(tmp_path, text, needles):
    write(tmp_path / "calendar" / "bad.yaml", text)
    with pytest.raises(CalendarError) as info:
        WorkCalendar.load({"files": ["calendar/bad.yaml"]}, base_dir=tmp_path)
    message = str(info.value)
    assert "calendar/bad.yaml" in message
    for needle in needles:
        assert needle in message


def test_missing_calendar_file(tmp_path):
    with pytest.raises(CalendarError) as info:
        WorkCalendar.load({"files": ["calendar/2027.yaml"]}, base_dir=tmp_path)
    assert "calendar/2027.yaml" in str(info.value) and "not found" in str(info.value)


def test_calendar_file_not_utf8(tmp_path):
    (tmp_path / "gbk.yaml").write_bytes("holidays: [2027-01-01]  # 元旦\n".encode("gbk"))
    with pytest.raises(CalendarError, match=r"gbk\.yaml.*UTF-8"):
        WorkCalendar.load({"files": ["gbk.yaml"]}, base_dir=tmp_path)


def test_conflict_between_file_and_inline_names_both(tmp_path):
    write(tmp_path / "calendar" / "2027.yaml", CALENDAR_2027)
    with pytest.raises(CalendarError) as info:
        WorkCalendar.load(
            {"files": ["calendar/2027.yaml"], "workdays": ["2027-10-03"]}, base_dir=tmp_path
        )
    message = str(info.value)
    assert "2027-10-03" in message
    assert "calendar/2027.yaml:5" in message and "procdoc.yaml calendar.workdays" in message


YAMLISH = st.text(alphabet="holidaysworkday:-[]{},.'\"#&*!|>~ \n0123456789", max_size=60)


@given(st.one_of(st.text(max_size=40), YAMLISH))
def test_random_calendar_file_text_fails_cleanly(tmp_path_factory, text):
    base = tmp_path_factory.getbasetemp() / "fuzz"
    base.mkdir(exist_ok=True)
    (base / "c.yaml").write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProcdocWarning)
        try:
            WorkCalendar.load({"files": ["c.yaml"]}, base_dir=base)
        except CalendarError as err:
            assert "c.yaml" in str(err)


# --- moments and formatting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-13", datetime(2026, 10, 13)),
        ("2026-10-13 09:30", datetime(2026, 10, 13, 9, 30)),
        ("2026-10-13T09:30", datetime(2026, 10, 13, 9, 30)),
        ("2026-10-13T09:30:15", datetime(2026, 10, 13, 9, 30, 15)),
        (" 2026-10-13 ", datetime(2026, 10, 13)),
        ("2026-11-05 9:00", datetime(2026, 11, 5, 9, 0)),  # as a clerk types it (QA)
    ],
)
def test_parse_moment(text, expected):
    assert parse_moment(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "2026-13-01",
        "2026-02-30",
        "2026-10-13 25:00",
        "2026-10-13 123:00",
        "2026/10/13",
        "13.10.2026",
        "",
        "today",
    ],
)
def test_bad_moment(bad):
    with pytest.raises(CalendarError) as info:
        parse_moment(bad)
    assert str(info.value) == f"bad time '{bad}': write YYYY-MM-DD or YYYY-MM-DD HH:MM"


def test_format_due_and_moment():
    assert format_due(D("2026-10-13")) == "2026-10-13"
    assert format_due(datetime(2026, 10, 13, 9, 30, 59)) == "2026-10-13T09:30"
    assert format_moment(datetime(2026, 1, 2, 3, 4)) == "2026-01-02T03:04"


@given(st.datetimes(min_value=datetime(1000, 1, 1)))
def test_format_moment_round_trips_to_the_minute(moment):
    assert parse_moment(format_moment(moment)) == moment.replace(second=0, microsecond=0)


def test_date_cn():
    assert date_cn(D("2026-05-15")) == "2026年5月15日"
    assert date_cn(D("2026-10-01")) == "2026年10月1日"
    assert date_cn(datetime(2026, 1, 2, 9, 30)) == "2026年1月2日"


def test_check_lists_a_deadline_counted_before_its_years_holidays_were_listed(
    tmp_path: Path,
) -> None:
    """A 受理审查 deadline counted in December 2026, before calendar/2027.yaml was added,
    ends on 2027-01-01 (Monday-Friday, as the SPEC counts a year without holidays); once
    the file lists 元旦, `check` names the cell and the date counted now (2027-01-04),
    exit 3 (it said nothing: QA). One counted the same either way is not listed, nor one
    typed over by hand."""
    from conftest import cli
    from procdoc.commands.setup import init_workspace

    root = init_workspace(tmp_path / "office", processes=["xinfang"])
    for title, received in (("甲", "2026-12-17"), ("乙", "2026-12-28")):
        new = [
            "new",
            "xinfang",
            "--title",
            title,
            "--set",
            "petitioner=张三",
            "--set",
            f"received={received}",
        ]
        assert cli(root, *new, "--at", "2026-12-30 09:00")[0] == 0
    for cid in ("XF2026-0001", "XF2026-0002"):
        assert cli(root, "advance", cid, "--step", "accept", "--at", "2026-12-30 10:00")[0] == 0
    assert cli(root, "check")[0] == 0
    (root / "calendar").mkdir()
    (root / "calendar" / "2027.yaml").write_text(
        'holidays: [2027-01-01, "2027-02-05..2027-02-12"]\n', encoding="utf-8"
    )
    config = root / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  files: []", "  files: [calendar/*.yaml]"),
        encoding="utf-8",
    )
    code, out, _err = cli(root, "check")
    assert code == 3
    found = [line for line in out.splitlines() if "holidays were listed" in line]
    assert found == [
        "信访事项办理!G2: XF2026-0001's step deadline 2027-01-01 was counted before 2027's holidays "
        "were listed; counted with them it is 2027-01-04: type 2027-01-04 in the cell, or leave "
        "it to stand as first counted"
    ]
    # a deadline typed over by hand is not one procdoc counted before: not listed (QA)
    import openpyxl

    wb = openpyxl.load_workbook(root / "ledger.xlsx")
    wb["信访事项办理"]["G2"] = date(2027, 1, 8)
    wb.save(root / "ledger.xlsx")
    code, out, _err = cli(root, "check")
    assert code == 0 and "holidays were listed" not in out
