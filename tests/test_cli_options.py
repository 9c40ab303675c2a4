"""Option values on the command line: a --step that no process has, one exit code for each
kind of bad value, `report daily` beside a ledger open in Excel, and `render`'s stderr."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from conftest import PEOPLE, cli
from procdoc.commands import cases
from procdoc.workspace import Workspace


@pytest.fixture
def office(library: Path) -> Path:
    """The library's workspace with `people:` and one 信访 case (XF2026-0001)."""
    cfg = library / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + PEOPLE, encoding="utf-8")
    cases.new(
        Workspace(library), "xinfang", title="反映噪音", sets=["petitioner=张三"], by="王敏",
        at=datetime(2026, 11, 2, 9, 0),
    )  # fmt: skip
    return library


# -- a --step no process has ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--step", "nosuch"],
        ["render", "--template", "accept_notice", "--step", "nosuch"],
    ],
)
def test_a_step_no_process_has_is_an_error_naming_the_steps(office: Path, args: list[str]) -> None:
    """It matched nothing and said `0 cases` / `0 written` (exit 0): a typo passed."""
    code, out, err = cli(office, *args)
    assert code == 1, out + err
    assert err.startswith("Error: no process has a step 'nosuch' (steps: "), err
    assert "xinfang: 信访登记, 受理审查" in err and "shouwen: 收文签收" in err
    assert len(err.splitlines()) == 1
    assert out == ""


def test_a_misspelt_step_is_answered_with_the_steps_it_is_close_to(office: Path) -> None:
    """信访办里 for 信访办理: the near steps, not every step of every process (a line of
    1,000 characters)."""
    code, _out, err = cli(office, "list", "--step", "信访办里")
    assert code == 1
    assert err.startswith("Error: no process has a step '信访办里' (did you mean 信访办理"), err
    assert "shouwen" not in err and len(err) < 120


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--process", "xinfang", "--step", "nosuch"],
        ["render", "--template", "accept_notice", "--process", "xinfang", "--step", "nosuch"],
    ],
)
def test_a_step_the_process_lacks_names_its_steps(office: Path, args: list[str]) -> None:
    code, _out, err = cli(office, *args)
    assert code == 1
    assert err.startswith("Error: 信访事项办理 has no step 'nosuch' (信访登记, 受理审查, "), err


def test_a_step_some_process_has_still_selects(office: Path) -> None:
    code, out, err = cli(office, "list", "--step", "信访登记", "--format", "json")
    assert code == 0, err
    assert '"XF2026-0001"' in out
    code, out, err = cli(office, "list", "--step", "accept", "--format", "json")
    assert (code, out.strip()) == (0, "[]"), err


# -- one rule for bad option values -----------------------------------------------------------

#: A value procdoc cannot read whatever the workspace holds, or options that cannot go
#: together: bad usage, exit 2.
UNREADABLE = [
    ["extend", "XF2026-0001", "--by", "30x", "--reason", "现场监测"],
    ["overdue", "--within", "3q"],
    ["overdue", "--as-of", "2026-13-01"],
    ["todo", "--who", "王敏", "--as-of", "明天"],
    ["new", "xinfang", "--title", "x", "--set", "petitioner", "--by", "王敏"],
    ["advance", "XF2026-0001", "--step", "accept", "--set", "accepted", "--by", "王敏"],
    ["set", "XF2026-0001", "--set", "phone", "--by", "王敏"],
    ["list", "--status", "pending"],
    ["report", "monthly", "--month", "2026-13"],
    ["report", "stats", "--from", "2026-03-31", "--to", "2026-03-01"],
    ["sample", "--percent", "0"],
    ["render", "--template", "accept_notice", "--date", "2026-02-30"],
    ["graph", "xinfang", "--format", "png"],
    ["todo", "--done"],
]

#: A well-formed value the workspace or the ledger turns down: the user can fix it, exit 1.
UNKNOWN = [
    ["todo", "--who", "王明"],
    ["todo", "--dept", "信访课"],
    ["overdue", "--dept", "nosuch"],
    ["list", "--dept", "nosuch"],
    ["list", "--assignee", "王明"],
    ["overdue", "--assignee", "王明"],
    ["list", "--process", "nosuch"],
    ["list", "--step", "nosuch"],
    ["extend", "XF2026-0001", "--by", "30d", "--reason", "现场监测", "--who", "王明"],
    ["extend", "XF2026-0009", "--by", "30d", "--reason", "现场监测"],
    ["new", "xinfang", "--title", "x", "--set", "nosuch=1", "--by", "王敏"],
    ["set", "XF2026-0001", "--set", "received=明天", "--by", "王敏"],
    ["render", "--template", "nosuch"],
]


@pytest.mark.parametrize("args", UNREADABLE, ids=lambda a: " ".join(a))
def test_a_value_that_cannot_be_read_is_bad_usage(office: Path, args: list[str]) -> None:
    before = (office / "ledger.xlsx").read_bytes()
    code, out, err = cli(office, *args)
    assert code == 2, out + err
    assert err.startswith("Error: ") and len(err.splitlines()) == 1, err
    assert (office / "ledger.xlsx").read_bytes() == before
    if "--set" in args:  # what may be set is still said (it was lost: a review)
        assert "fields of 信访事项办理: " in err, err


@pytest.mark.parametrize("args", UNKNOWN, ids=lambda a: " ".join(a))
def test_a_value_the_workspace_turns_down_exits_1(office: Path, args: list[str]) -> None:
    before = (office / "ledger.xlsx").read_bytes()
    code, out, err = cli(office, *args)
    assert code == 1, out + err
    assert err.startswith("Error: ") and len(err.splitlines()) == 1, err
    assert (office / "ledger.xlsx").read_bytes() == before


def test_extend_refuses_a_bad_duration_before_looking_at_the_case(office: Path) -> None:
    code, _out, err = cli(office, "extend", "NOPE-1", "--by", "30x", "--reason", "r")
    assert code == 2
    assert (
        err == "Error: --by: bad duration '30x': write 15d, 5wd, 24h (or 15日, 5个工作日, 24小时)\n"
    )


# -- report daily beside a ledger open in Excel (README: exit 1, the report still written) ----


def test_report_daily_with_the_ledger_open_writes_the_report_and_exits_1(
    office: Path, tmp_path: Path
) -> None:
    import docx

    out = tmp_path / "reports"
    args = ["report", "daily", "--as-of", "2026-11-20 08:00", "--out", str(out)]
    code, stdout, err = cli(office, *args)
    assert (code, err.count("Error")) == (0, 0), err
    (office / "~$ledger.xlsx").write_bytes(b"\x04" + "张三".encode("gbk"))  # Excel's owner file
    for made in out.iterdir():
        made.unlink()
    code, stdout, err = cli(office, *args)
    assert code == 1, stdout + err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: ledger.xlsx is open in Excel/WPS by 张三 (~$ledger.xlsx): the report was "
        "written from its last saved version, without unsaved changes; close it there (if "
        "nobody has it open, delete ~$ledger.xlsx)"
    ]
    notice = "注意：ledger.xlsx 正由 张三 在 Excel/WPS 中打开，本报告依据其最近一次保存的内容"
    assert stdout.splitlines()[0].startswith(notice)
    assert "2026年11月20日 日报" in stdout  # the summary is printed as ever
    markdown = (out / "daily-2026-11-20.md").read_text(encoding="utf-8")
    assert markdown.splitlines()[2].startswith(f"> **{notice}")
    assert "- 2026年11月20日 日报" not in markdown  # the title is not a bullet
    brief = docx.Document(str(out / "daily-2026-11-20.docx"))
    assert notice in "\n".join(p.text for p in brief.paragraphs[:4])
    with zipfile.ZipFile(out / "daily-2026-11-20.xlsx") as z:
        assert notice in z.read("xl/sharedStrings.xml").decode("utf-8")


def test_report_daily_skipped_on_a_day_off_exits_0_even_with_the_ledger_open(
    office: Path, tmp_path: Path
) -> None:
    (office / "~$ledger.xlsx").write_bytes(b"\x04" + "张三".encode("gbk"))
    code, _out, err = cli(
        office, "report", "daily", "--as-of", "2026-11-21 08:00", "--workdays-only",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0 and "Error" not in err, err


# -- render's stderr ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--template", "accept_notice", "--case", "NOPE-1"],
        ["render", "--template", "accept_notice", "--process", "nosuch"],
    ],
)
def test_render_errors_are_one_line_with_no_blank_line_before(
    office: Path, args: list[str]
) -> None:
    code, _out, err = cli(office, *args)
    assert code == 1
    assert err.startswith("Error: "), repr(err)
    assert err.count("\n") == 1, repr(err)


def test_render_output_has_no_blank_line(office: Path) -> None:
    code, _out, err = cli(office, "render", "--template", "accept_notice")
    assert code == 0, err
    assert err == "accept_notice: 0 written, 0 kept\n"


def test_the_workspace_can_be_named_before_the_command(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `procdoc -w DIR report daily` (as `git -C DIR`) was refused with 'No such
    option: -w'. Given before the command it names the workspace (over
    $PROCDOC_WORKSPACE); the command's own -w still wins."""
    from typer.testing import CliRunner

    from procdoc.cli import app
    from procdoc.workspace import ENV_VAR

    monkeypatch.setenv(ENV_VAR, str(office / "nosuch"))  # restored after the test
    cid = cases.new(
        Workspace(office), "xinfang", title="件", sets=["petitioner=张三"], by="王敏"
    ).id
    result = CliRunner().invoke(app, ["-w", str(office), "list", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert cid in result.stdout
    result = CliRunner().invoke(app, ["-w", str(office / "nosuch"), "list", "-w", str(office)])
    assert result.exit_code == 0 and cid in result.stdout


@pytest.mark.parametrize("value", ["", "0", "false", "no", "OFF"])
def test_procdoc_debug_off_values_keep_the_one_line_error(
    library: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """PROCDOC_DEBUG=0 (or false, no, off) is off: one Error: line (=0 turned tracebacks
    on: QA); =1 raises, for the traceback."""
    monkeypatch.setenv("PROCDOC_DEBUG", value)
    code, _out, err = cli(library, "show", "NOPE")
    assert code == 1 and err.startswith("Error: unknown case 'NOPE'")
    from typer.testing import CliRunner

    from procdoc.cli import app

    monkeypatch.setenv("PROCDOC_DEBUG", "1")
    result = CliRunner().invoke(app, ["show", "NOPE", "-w", str(library)])
    assert result.exit_code != 0 and type(result.exception).__name__ == "CaseError"


def test_an_out_folder_that_cannot_be_made_says_which_and_what_to_do(library: Path) -> None:
    """--out naming a file (or a place that cannot hold a folder): one line naming the
    folder and what to do, exit 1, nothing written (a bare "f: File exists": QA)."""
    cases.new(Workspace(library), "xinfang", title="甲", sets=["petitioner=张三"])
    (library / "f").write_text("", encoding="utf-8")
    code, _out, err = cli(
        library,
        "render",
        "--template",
        "delivery_receipt",
        "--case",
        "XF2026-0001",
        "--out",
        str(library / "f"),
    )
    assert code == 1
    (line,) = err.strip().splitlines()  # (the reason is the system's words)
    assert line.startswith(f"Error: cannot make the folder {library / 'f'}: ")
    assert line.endswith(
        "(a file of that name is in the way, or the place cannot be written: give another folder (--out))"
    )
    assert (library / "f").read_text(encoding="utf-8") == ""


def test_schema_takes_w_as_every_command_does(library: Path, tmp_path: Path) -> None:
    """SPEC §5: every command takes -w; `procdoc schema -w DIR` refused it (QA). -o makes
    its folder (`.procdoc/` of a fresh workspace: the README's line failed there)."""
    code, out, err = cli(library, "schema")
    assert code == 0 and '"$schema"' in out, err
    target = tmp_path / "fresh" / ".procdoc" / "process.schema.json"
    code, _out, err = cli(library, "schema", "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("{"), err


def test_check_of_a_broken_process_file_says_only_the_file(library: Path) -> None:
    """A process file with an error: `check` names the file, not its cases as rows deleted
    by hand from a register (QA)."""
    cases.new(Workspace(library), "xinfang", title="甲", sets=["petitioner=张三"])
    path = library / "processes" / "xinfang.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("\nroles: ", "\nroles： ", 1), encoding="utf-8"
    )
    code, out, _err = cli(library, "check")
    assert code == 3 and "processes/xinfang.yaml:" in out.replace("\\", "/")
    assert "no register holds" not in out


def test_a_case_of_a_broken_process_file_is_not_said_to_be_missing(library: Path) -> None:
    """`show` of a case whose process file has a syntax error named other processes' ids
    as near matches, as if the case were gone (QA): the file's error is said first."""
    cid = cases.new(Workspace(library), "xinfang", title="甲", sets=["petitioner=张三"]).id
    cases.new(Workspace(library), "baoxiao", title="乙", sets=["applicant=李四", "amount=1"])
    path = library / "processes" / "xinfang.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("\nsteps:", "\nsteps", 1), encoding="utf-8"
    )
    code, _out, err = cli(library, "show", cid)
    assert code == 1
    assert (
        "processes/xinfang.yaml:" in err.replace("\\", "/")
        and "cannot be found until it is fixed" in err
    )


def test_a_bad_date_option_says_date(library: Path) -> None:
    """`--date 2026-13-01` asked for 'YYYY-MM-DD or YYYY-MM-DD HH:MM' (QA)."""
    code, _out, err = cli(
        library, "render", "--template", "accept_notice", "--all", "--date", "2026-13-01"
    )
    assert code == 2 and "--date: '2026-13-01' is not a date: write YYYY-MM-DD" in err


def test_a_full_disk_is_said_with_what_to_do(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC said a bare 'No space left on device' (QA): what happened and what to do."""
    import errno

    from procdoc.commands import cases as cases_mod

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cases_mod, "new", full)
    code, _out, err = cli(library, "new", "xinfang", "--title", "甲", "--set", "petitioner=张三")
    assert code == 1
    assert err.strip() == (
        "Error: no space left on the disk: the file being written was not (procdoc writes a "
        "file whole or not at all, and the ledger is as it was); free some space and run it again"
    )


def test_an_at_years_ahead_is_refused(library: Path) -> None:
    """`--at 2030-...` for 2026 was taken, and every later write to the case was refused
    until 2030 (each must come after it: QA). An --at more than 60 days ahead is refused,
    nothing written (exit 2)."""
    from datetime import timedelta

    from procdoc.clock import now_in

    ahead = now_in("Asia/Shanghai") + timedelta(days=400)
    code, _out, err = cli(
        library, "new", "xinfang", "--title", "甲", "--set", "petitioner=张三",
        "--at", f"{ahead:%Y-%m-%d} 09:00",
    )  # fmt: skip
    assert code == 2 and "days from now: --at says when the event happened" in err
    assert not (library / "ledger.xlsx").exists()
