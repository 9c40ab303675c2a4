"""Errors in procdoc.yaml: `validate` lists every one at its line and column and exits 3,
any other command says the same lines and exits 1 (SPEC §1, §5); never a traceback."""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MINI_CONFIG, cli
from procdoc.commands.setup import validate
from procdoc.errors import ProcdocError
from procdoc.workspace import Workspace
from procdoc.yamlpos import load_text


def errors(out: str) -> list[str]:
    """The error lines of `validate`'s table."""
    return [line for line in out.splitlines() if ": error: " in line]


def set_config(root: Path, text: str) -> None:
    (root / "procdoc.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("text", "kind"), [("- a\n", "a list"), ("just text\n", "text")])
def test_procdoc_yaml_that_is_no_mapping_is_one_error_in_validate_too(
    mini: Path, text: str, kind: str
) -> None:
    set_config(mini, text)
    line = f"procdoc.yaml:1:1: procdoc.yaml must be a mapping of settings, not {kind}"
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == [line.replace(": procdoc.yaml must", ": error: procdoc.yaml must")]
    code, _, err = cli(mini, "list")
    assert code == 1 and err.strip() == f"Error: {line}"


@pytest.mark.parametrize("date", ["2026-13-01", '"2026-13-01"'])
def test_a_holiday_that_is_no_date_is_an_error_at_its_position(mini: Path, date: str) -> None:
    """Unquoted, PyYAML's timestamp constructor raised ValueError (a traceback); quoted,
    the calendar said so without a position."""
    set_config(mini, MINI_CONFIG.replace("holidays: []", f"holidays: [2026-10-01, {date}]"))
    line = (
        "procdoc.yaml:3:26: calendar.holidays: bad date '2026-13-01': "
        "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"
    )
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == [line.replace(": calendar.", ": error: calendar.", 1)]
    for args in (("list",), ("advance", "MN2026-001", "--step", "review")):
        code, out, err = cli(mini, *args)
        assert code == 1 and err.strip() == f"Error: {line}", args


def test_every_error_of_the_calendar_mapping_has_its_position(mini: Path) -> None:
    set_config(
        mini,
        MINI_CONFIG.replace(
            "holidays: []",
            "holidays: 2026-02-30\n  workdays: [2026-10-10, x]\n  roll_calendar_deadlines: 3\n"
            "  holiday: []",
        ),
    )
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == [
        "procdoc.yaml:6:3: error: unknown key 'holiday' in calendar (did you mean 'holidays'?)",
        "procdoc.yaml:5:28: error: 'roll_calendar_deadlines' must be true or false, not 3",
        "procdoc.yaml:3:13: error: calendar.holidays: bad date '2026-02-30': "
        "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
        "procdoc.yaml:4:26: error: calendar.workdays: bad date 'x': "
        "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
    ]


def test_a_scalar_that_looks_like_a_date_or_number_but_is_none_is_its_text() -> None:
    """Constructors raise ValueError on these (month 13, February 30, hour 25, an offset
    of 99 hours, a binary number with no digits): each is read as the text written, as
    YAML 1.2 reads it, keys as well as values."""
    doc = load_text(
        "a: 2026-13-01\nb: 2026-02-30\nc: 2026-01-01 25:00:00\nd: 2026-01-01 10:00:00 +99:00\n"
        "e: 0b_\n2026-02-30: f\ng: 2026-10-01\n",
        "x.yaml",
    )
    assert doc.data == {
        "a": "2026-13-01",
        "b": "2026-02-30",
        "c": "2026-01-01 25:00:00",
        "d": "2026-01-01 10:00:00 +99:00",
        "e": "0b_",
        "2026-02-30": "f",
        "g": dt.date(2026, 10, 1),
    }


INDENT_HINT = "check the indentation of this line and the one above"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("     field: doc_no", INDENT_HINT),  # one space too many
        ("\tfield: doc_no", "a tab (YAML is indented with spaces only)"),
    ],
)
def test_a_syntax_error_in_procdoc_yaml_is_listed_like_a_process_files(
    mini: Path, broken: str, message: str
) -> None:
    """validate: exit 3 and a `file:line:col: error:` line worded as for a process file,
    with what to do; procdoc.yaml's numbering unread is no false error about the step
    that uses it. Any other command: exit 1, the same words."""
    text = MINI_CONFIG.replace("    field: doc_no", broken)
    set_config(mini, text)
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    [line] = errors(out)
    assert re.fullmatch(r"procdoc\.yaml:7:\d+: error: not valid YAML: .+", line), line
    assert message in line
    (mini / "processes" / "bad.yaml").write_text(text, encoding="utf-8")
    _code, out, _err = cli(mini, "validate")
    process_line = next(line for line in errors(out) if line.startswith("processes/bad.yaml"))
    assert process_line.replace("processes/bad.yaml", "procdoc.yaml") == line
    code, _, err = cli(mini, "list")
    assert code == 1 and err.strip() == "Error: " + line.replace(": error: ", ": ", 1)


def test_a_name_of_the_wrong_type_says_so_at_its_position(mini: Path) -> None:
    set_config(mini, MINI_CONFIG.replace("name: 测试办公室", "name: [a, b]"))
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == ["procdoc.yaml:1:7: error: 'name' must be text, not a list"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
@example("- a")
@example("calendar: {holidays: [2026-13-01]}")
@example("name: x\n  b: 1")
@example("name: x\n2026-02-30: 1")
@example("name: [a]\nlabels: [1]\nreminders: 5\npeople: {a: 1}")
def test_random_procdoc_yaml_never_crashes(mini: Path, text: str) -> None:
    (mini / "procdoc.yaml").write_bytes(text.encode("utf-8", "replace"))
    report = validate(Workspace(mini, lenient=True), today=dt.date(2026, 10, 9))
    for problem in report.problems:
        assert problem.pos is not None and problem.message
    with contextlib.suppress(ProcdocError):  # any other error is a bug
        Workspace(mini)


# -- calendar files (SPEC §2, §4): their problems at their own line and column ------------


def with_calendar_file(root: Path, text: str, *, config: str = MINI_CONFIG) -> Path:
    """List calendar/*.yaml under calendar: files: and write calendar/bad.yaml."""
    set_config(root, config.replace("  holidays: []", "  holidays: []\n  files: [calendar/*.yaml]"))
    (root / "calendar").mkdir(exist_ok=True)
    path = root / "calendar" / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_of_a_calendar_file_is_at_its_line_and_column(mini: Path) -> None:
    """They were one error at procdoc.yaml:1:1 that named the file and its line, and only
    the first: a bad date hid the unknown key after it. Any other command: exit 1 and the
    same lines."""
    with_calendar_file(
        mini,
        "holidays:\n  - 2027-01-01\n  - 2027-13-01\nworkday:\n  - 2027-01-02\n"
        "workdays: [[2027-01-03], 2027-01-09]\n",
    )
    expected = [
        "calendar/bad.yaml:3:5: error: holidays: bad date '2027-13-01': "
        "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
        "calendar/bad.yaml:4:1: error: unknown key 'workday' in the calendar file "
        "(did you mean 'workdays'?)",
        "calendar/bad.yaml:6:12: error: expected a date under 'workdays': "
        "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
    ]
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == expected
    code, out, err = cli(mini, "list")
    assert code == 1, out + err
    assert err.splitlines() == ["Error: " + line.replace(": error: ", ": ", 1) for line in expected]


def test_a_calendar_file_that_is_not_yaml_says_so_like_a_process_file(mini: Path) -> None:
    """It said `calendar/bad.yaml:2:1: broken YAML: ...`, with no hint, inside an error at
    procdoc.yaml:1:1; now the words of procdoc.yaml and the process files."""
    text = "holidays:\n\t- 2027-01-01\n"
    with_calendar_file(mini, text)
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    [line] = errors(out)
    assert line == (
        "calendar/bad.yaml:2:1: error: not valid YAML: a tab (YAML is indented with spaces "
        "only): indent with spaces"
    )
    (mini / "processes" / "bad.yaml").write_text(text, encoding="utf-8")
    _code, out, _err = cli(mini, "validate")
    process_line = next(line for line in errors(out) if line.startswith("processes/bad.yaml"))
    assert process_line.replace("processes/bad.yaml", "calendar/bad.yaml") == line


def test_a_calendar_file_syntax_error_has_the_shared_hint(tmp_path: Path) -> None:
    from procdoc.calendar import read_calendar_file
    from procdoc.yamlpos import YamlSyntaxError

    text = "holidays:\n  - 2027-01-01\n workdays: []\n"
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    [(pos, message)] = read_calendar_file(path, base_dir=tmp_path).problems
    with pytest.raises(YamlSyntaxError) as info:
        load_text(text, "c.yaml")
    assert (pos, message) == (info.value.pos, info.value.detail)
    assert str(pos) == "c.yaml:3:2" and INDENT_HINT in message


def test_calendar_files_and_their_days_clashing_are_errors_at_their_positions(
    mini: Path,
) -> None:
    """A file listed that does not exist, a day that is both a holiday (in a file) and a
    workday (in procdoc.yaml): at the line and column of the entry, not procdoc.yaml:1:1."""
    config = MINI_CONFIG.replace(
        "  holidays: []", "  holidays: []\n  workdays: [2027-10-09, 2027-10-02..2027-10-04]"
    )
    with_calendar_file(mini, "holidays:\n  - 2027-10-01..2027-10-07\n", config=config)
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out) == [
        "procdoc.yaml:5:26: error: 2027-10-02..2027-10-04 is listed here as a workday and at "
        "calendar/bad.yaml:2:5 as a holiday: keep each day in one list"
    ]
    text = (mini / "procdoc.yaml").read_text(encoding="utf-8")
    set_config(mini, text.replace("[calendar/*.yaml]", "[calendar/*.yaml, calendar/2028.yaml, 3]"))
    code, out, err = cli(mini, "validate")
    assert code == 3, out + err
    assert errors(out)[:2] == [
        "procdoc.yaml:4:28: error: calendar/2028.yaml: calendar file not found "
        "(listed under `calendar.files` in procdoc.yaml)",
        "procdoc.yaml:4:48: error: bad entry 3 under `calendar.files`: "
        "give paths of YAML files, relative to the workspace",
    ]


def test_a_calendar_file_is_kept_in_the_cache_only_without_problems(mini: Path) -> None:
    """A file without problems is kept in the cache with its positions; one with problems
    is not (its messages are in the language of the run)."""
    path = with_calendar_file(mini, "holidays:\n  - 2027-01-04\nworkdays: [x]\n")
    kept = mini / ".procdoc" / "cache"
    for _run in range(2):
        code, out, err = cli(mini, "validate")
        assert code == 3, out + err
        assert errors(out) == [
            "calendar/bad.yaml:3:12: error: workdays: bad date 'x': "
            "write YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"
        ]
    assert not list(kept.glob("*.calendar"))
    path.write_text("holidays:\n  - 2027-01-04\nworkdays: [2027-01-04]\n", encoding="utf-8")
    for _run in range(2):  # cold, then from the cache: the same positions
        code, out, err = cli(mini, "validate")
        assert code == 3, out + err
        assert errors(out) == [
            "calendar/bad.yaml:3:12: error: 2027-01-04 is listed here as a workday and at "
            "calendar/bad.yaml:2:5 as a holiday: keep each day in one list"
        ]
        assert list(kept.glob("*.calendar"))


# -- type names in messages are in the language of the message ----------------------------


class Marking(gettext.NullTranslations):
    """A catalogue that marks every message it is asked for."""

    def gettext(self, message: str) -> str:
        return f"<{message}>"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("[a, b]", "a list"),
        ("{a: 1}", "a mapping"),
        ("true", "true/false"),
        ("2026-10-01", "a date"),
        ("2026-10-01 10:00:00", "a date and time"),
    ],
)
def test_a_type_name_goes_through_the_catalogue(
    mini: Path, monkeypatch: pytest.MonkeyPatch, value: str, name: str
) -> None:
    """They were English words inside Chinese messages ('name' 应为文本，而不是 a list):
    each is now a message of its own (tests/test_i18n.py checks each is translated)."""
    from procdoc import i18n

    set_config(mini, MINI_CONFIG.replace("name: 测试办公室", f"name: {value}"))
    monkeypatch.setattr(i18n, "_translations", Marking())
    ws = Workspace(mini, lenient=True)
    assert [p.message for p in ws.config_problems] == [f"<'name' must be text, not <{name}>>"]


# -- registers split rewrites procdoc.yaml (SPEC §3) ----------------------------------------


def test_registers_split_keeps_a_scalar_that_is_no_date_as_written(legacy: Path) -> None:
    """procdoc reads `name: 2026-13-01` as its text; ruamel.yaml, which split rewrites
    procdoc.yaml with, raised ValueError (month must be in 1..12): a traceback, after the
    ledger was written. Now read as text and written back as written."""
    config = legacy / "procdoc.yaml"
    text = config.read_text(encoding="utf-8").replace("name: 某市某局办公室", "name: 2026-13-01")
    text += "labels: {title: 0b_}  # 标题\n"
    config.write_text(text, encoding="utf-8")
    assert Workspace(legacy).config.name == "2026-13-01"
    code, out, err = cli(legacy, "registers", "split")
    assert code == 0, out + err
    written = config.read_text(encoding="utf-8")
    assert written.startswith(text)  # nothing above registers: changed, not even quotes
    ws = Workspace(legacy)
    assert ws.config.name == "2026-13-01" and ws.config.labels["title"] == "0b_"
    assert ws.config.registers["baoxiao"].sheet == "报销"


def test_registers_split_keeps_the_file_s_indentation_line_ends_and_bom(legacy: Path) -> None:
    """A procdoc.yaml indented by four spaces, written on Windows (CRLF) and saved with a
    BOM: `registers split` adds its block and leaves every other line as it was (it was
    re-indented to two spaces, its line ends and BOM dropped: QA)."""
    import re as regex

    config = legacy / "procdoc.yaml"
    lines = config.read_text(encoding="utf-8").splitlines()
    four = [regex.sub(r"^( +)", lambda m: " " * (2 * len(m.group(1))), line) for line in lines]
    at = four.index("    files: [calendar/*.yaml]") + 1
    four[at:at] = ["    holidays:", "        - 2027-01-01   # 元旦", "        - 2027-02-05"]
    text = "\r\n".join(four) + "\r\n"
    config.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out, err = cli(legacy, "registers", "split")
    assert code == 0, out + err
    raw = config.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\n") == raw.count(b"\r\n")
    written = raw[3:].decode("utf-8").split("\r\n")
    assert written[: len(four)] == four  # every line before registers: as it was
    assert any(line.startswith("registers:") for line in written[len(four) :])
    assert Workspace(legacy).config.registers["baoxiao"].sheet == "报销"


def test_registers_split_says_in_one_line_when_procdoc_yaml_cannot_be_read(legacy: Path) -> None:
    from procdoc.commands.ledger import _record_registers
    from procdoc.errors import WorkspaceError

    ws = Workspace(legacy)
    (legacy / "procdoc.yaml").write_text("name: x\n  b: [\n", encoding="utf-8")  # edited meanwhile
    with pytest.raises(WorkspaceError) as info:
        _record_registers(ws, {"baoxiao": "报销", "shouwen": "收文办理"})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("procdoc.yaml:2:")
    assert message.endswith("registers: {baoxiao: {sheet: 报销}, shouwen: {sheet: 收文办理}}")
