"""Errors in procdoc.yaml: `validate` lists every one at its line and column and exits 3,
any other command says the same lines and exits 1 (SPEC §1, §5); never a traceback."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import MINI_CONFIG
from procdoc.cli import app
from procdoc.commands.setup import validate
from procdoc.errors import ProcdocError
from procdoc.workspace import Workspace
from procdoc.yamlpos import load_text

runner = CliRunner()


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


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
