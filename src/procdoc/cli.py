"""The `procdoc` command: parse options, call the core, print, pick the exit code.

Heavy libraries (pandas, calamine, docxtpl, xlsxwriter, lxml) are imported inside the
commands that need them, so ``procdoc --help`` starts instantly.
"""

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from procdoc import __version__, clitext, i18n
from procdoc.errors import ExitCode, ProcdocError
from procdoc.i18n import _, name_list, ngettext

if TYPE_CHECKING:
    from procdoc.commands.cases import Selection
    from procdoc.model import Case
    from procdoc.workspace import Workspace

i18n.setup()  # before the help texts below are made: they are in the user's language
clitext.localize()  # typer's own words (Usage:, Options, Error:) in that language too
clitext.wrap_wide()  # help wrapped by terminal columns (Chinese characters are two)

app = typer.Typer(
    name="procdoc",
    help=_(
        "Office processes (流程) as YAML, an Excel ledger (台账), deadlines on the Chinese working-day calendar, and the documents they need."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
report_app = typer.Typer(help=_("Reports written from the ledger."), no_args_is_help=True)
app.add_typer(report_app, name="report")

F = TypeVar("F", bound=Callable[..., Any])

#: The workspaces a command opened: after it ran, problems it met that must make it exit
#: 1 (cases of a process file with errors) are reported (SPEC §5).
_opened: list["Workspace"] = []


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"
    png = "png"


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "-w",
        "--workspace",
        help=_("The workspace folder (default: found by walking up; or $PROCDOC_WORKSPACE)."),
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help=_("table, json or csv."))]
AtOpt = Annotated[
    str | None, typer.Option("--at", help=_("When: YYYY-MM-DD [HH:MM] (default now)."))
]
ByOpt = Annotated[str | None, typer.Option("--by", help=_("Who does it."))]
NoteOpt = Annotated[str | None, typer.Option("--note", help=_("Opinion / note for the record."))]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help=_("FIELD=VALUE (repeatable)."))]
AssigneeOpt = Annotated[
    str | None, typer.Option("--assignee", help=_("Only cases with this 承办人."))
]
DeptOpt = Annotated[str | None, typer.Option("--dept", help=_("Only cases of this department."))]


def _debugging() -> bool:
    """PROCDOC_DEBUG set to anything but empty, 0, false, no or off: an error shows its
    traceback (=0 turned them on: QA)."""
    return os.environ.get("PROCDOC_DEBUG", "").strip().lower() not in _OFF


_OFF = frozenset({"", "0", "false", "no", "off"})


def handle_errors(func: F) -> F:
    """Turn ProcdocErrors (and OSErrors) into one `Error: ...` line and the error's exit
    code; after a command that met cases of a process file with errors, say so and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from procdoc import console
        from procdoc.errors import ConfigError

        console.install_warning_printer()
        _opened.clear()
        try:
            result = func(*args, **kwargs)
        except ConfigError as err:
            if _debugging():
                raise
            for line in err.lines():
                console.error(line)
            raise typer.Exit(int(err.exit_code)) from None
        except ProcdocError as err:
            if _debugging():
                raise
            console.error(str(err))
            raise typer.Exit(int(err.exit_code)) from None
        except BrokenPipeError:
            console.quiet_broken_pipe()
            return None
        except OSError as err:
            if _debugging():
                raise
            where = f"{err.filename}: " if err.filename else ""
            if err.errno == errno.ENOSPC:  # (a bare "No space left on device": QA)
                console.error(
                    _(
                        "{where}no space left on the disk: the file being written was not (procdoc writes a file whole or not at all, and the ledger is as it was); free some space and run it again"
                    ).format(where=where)
                )
            else:
                console.error(f"{where}{err.strerror or err}")
            raise typer.Exit(int(ExitCode.USER)) from None
        except KeyboardInterrupt:
            console.error(_("interrupted; nothing was written that was not complete"))
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        blocking = [line for ws in _opened for line in ws.blocking]
        if blocking:
            for line in dict.fromkeys(blocking):
                console.error(line)
            raise typer.Exit(int(ExitCode.USER))
        return result

    return wrapper  # type: ignore[return-value]


#: Set by :func:`main`, the console script: the process ends with the command (not so
#: when the app runs inside another program, e.g. under Typer's CliRunner).
_ON_ITS_OWN: list[bool] = []


def reads_only(func: F) -> F:
    """A command that only reads the ledger. Run as a process of its own, it turns off
    Python's cyclic garbage collector, which otherwise walks the cases and rows it builds
    again and again while they are made (0.05-0.1 s of an `overdue` at 100,000 cases);
    reference counting still frees all it drops, and a command that writes keeps the
    collector (an `import` made 9 MB of garbage in cycles without it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _ON_ITS_OWN:
            import gc

            gc.disable()
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _ws(workspace: Path | None, *, lenient: bool = False) -> "Workspace":
    from procdoc.workspace import Workspace

    ws = Workspace.find(explicit=workspace, lenient=lenient)
    _opened.append(ws)
    return ws


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    from procdoc.calendar import parse_moment
    from procdoc.errors import CalendarError, UsageError

    try:
        moment = parse_moment(text)
    except CalendarError as err:
        raise UsageError(_("{what}: {detail}").format(what=option, detail=err.message)) from err
    if option == "--at":  # when an event happened: a year typed wrong locked the case (QA)
        from procdoc.clock import now_in

        ahead = (moment - now_in("Asia/Shanghai")).days
        if ahead > AT_AHEAD_DAYS:
            raise UsageError(
                _(
                    "--at {moment:%Y-%m-%d %H:%M} is {days} days from now: --at says when the event happened (a year typed wrong?)"
                ).format(moment=moment, days=ahead)
            )
    return moment


AT_AHEAD_DAYS = 60
"""How far ahead of now an `--at` may be: a write is recorded when it happened, and one
dated years ahead blocked every later write to the case (each must come after it)."""


def _day(text: str | None, option: str) -> date | None:
    """A date option (a moment is taken for its day); a bad one is said as a date (it
    asked for a time: QA)."""
    if text is None:
        return None
    from procdoc.calendar import parse_moment
    from procdoc.errors import CalendarError, UsageError

    try:
        return parse_moment(text).date()
    except CalendarError as err:
        raise UsageError(
            _("{option}: '{text}' is not a date: write YYYY-MM-DD").format(option=option, text=text)
        ) from err


def _version(value: bool) -> None:
    if value:
        typer.echo(f"procdoc {__version__}")
        raise typer.Exit()


@app.callback(help=_("procdoc: processes, ledger, deadlines, documents."))
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=_("Show the version.")),
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    # `procdoc -w DIR report daily`, as `git -C DIR`: the folder every command then uses
    # unless it is given its own -w (the same place $PROCDOC_WORKSPACE takes)
    if workspace is not None:
        import os

        from procdoc.workspace import ENV_VAR

        os.environ[ENV_VAR] = str(workspace)


# -- workspace and processes ------------------------------------------------------------------


@app.command(help=_("Create a workspace: the process and template library and a procdoc.yaml."))
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help=_("Folder for the new workspace."))] = Path("."),
    name: Annotated[
        str | None, typer.Option("--name", help=_("The office's name (procdoc.yaml `name`)."))
    ] = None,
    processes: Annotated[
        str | None,
        typer.Option(
            "--processes", help=_("Only these library processes, e.g. shouwen,fawen (default all).")
        ),
    ] = None,
) -> None:
    from procdoc import console
    from procdoc.commands.setup import init_workspace

    root = init_workspace(
        directory, name=name, processes=processes.split(",") if processes else None
    )
    console.info(
        _(
            "Created workspace {root}: procdoc.yaml, processes/, templates/. Next: cd there and run `procdoc validate`."
        ).format(root=root)
    )


@app.command(
    help=_(
        "Check procdoc.yaml, the processes, registers, sources, calendar and templates (exit 3 on errors)."
    )
)
@handle_errors
def validate(
    workspace: WorkspaceOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help=_("Warnings count as errors."))] = False,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.setup import validate as run

    ws = _ws(workspace, lenient=True)
    report = run(ws)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    if format is Format.json:
        console.print_json(report.as_dict())
    elif format is Format.csv:
        console.print_csv(
            ["严重程度", "文件", "行", "列", "问题"],
            [
                [
                    {"error": "错误", "warning": "警告"}.get(p.severity, p.severity),  # (QA)
                    p.pos.file if p.pos else "",
                    p.pos.line if p.pos else "",
                    p.pos.col if p.pos else "",
                    p.message,
                ]
                for p in report.problems
            ],
        )
    else:
        for problem in report.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            where = f"{problem.pos}: " if problem.pos else ""
            severity = _("error:") if problem.severity == "error" else _("warning:")
            console.out.print(
                f"{console.escape(where)}[{colour}]{console.escape(severity)}[/]"
                f"{console.sep(severity)}{console.escape(problem.message)}"
            )
        summary = _("{files}, {processes}: {errors}, {warnings}").format(
            files=ngettext("{n} file", "{n} files", len(report.files)).format(n=len(report.files)),
            processes=ngettext("{n} process", "{n} processes", len(report.processes)).format(
                n=len(report.processes)
            ),
            errors=ngettext("{n} error", "{n} errors", len(report.errors)).format(
                n=len(report.errors)
            ),
            warnings=ngettext("{n} warning", "{n} warnings", len(report.warnings)).format(
                n=len(report.warnings)
            ),
        )
        console.err.print(("[red]" if failed else "[green]") + console.escape(summary) + "[/]")
    if failed:
        raise typer.Exit(int(ExitCode.INVALID))


@app.command(help=_("Print the JSON Schema of process files (for the YAML language server)."))
@handle_errors
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help=_("Write to this file instead of stdout."))
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    # (-w is taken as every command takes it: the schema is the same for every workspace,
    # and a relative --output is where the command runs)
    import json

    from procdoc import console
    from procdoc.fileio import atomic_write
    from procdoc.process.schema import process_schema

    text = json.dumps(process_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        atomic_write(output, text)
    else:
        console.write_out(text.encode("utf-8"))


@app.command(help=_("Draw a process as a flowchart."))
@handle_errors
def graph(
    process: Annotated[str, typer.Argument(help=_("Process id or name."))],
    workspace: WorkspaceOpt = None,
    format: Annotated[
        GraphFormat,
        typer.Option("--format", help=_("mermaid, dot, svg or png (svg/png need Graphviz).")),
    ] = GraphFormat.mermaid,
    case: Annotated[
        str | None, typer.Option("--case", help=_("Highlight this case's current step."))
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help=_("Write to this file (required for png).")),
    ] = None,
) -> None:
    from procdoc.commands.setup import graph as draw
    from procdoc.errors import UsageError
    from procdoc.fileio import atomic_write

    if format is GraphFormat.png and output is None:
        raise UsageError(_("--format png writes binary data: give -o FILE.png"))
    data = draw(_ws(workspace), process, fmt=format.value, case=case)
    if output:
        atomic_write(output, data)
    else:
        from procdoc import console

        console.write_out(data)


# -- cases ----------------------------------------------------------------------------------------


@app.command(help=_("Open a case at the process's first step; prints its id."))
@handle_errors
def new(
    process: Annotated[str, typer.Argument(help=_("Process id or name."))],
    title: Annotated[str, typer.Option("--title", help=_("The case's title."))],
    sets: SetOpt = None,
    by: ByOpt = None,
    assign: Annotated[
        str | None, typer.Option("--assign", help=_("Who handles the first step."))
    ] = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    case = cases.new(
        _ws(workspace),
        process,
        title=title,
        sets=sets or [],
        by=by,
        assign=assign,
        at=_moment(at, "--at"),
    )
    console.say(case.id)
    due = _(", due {due}").format(due=console.text(case.due)) if case.due else ""
    who = _(", {assignee}").format(assignee=case.assignee) if case.assignee else ""
    console.info(
        _("{process}: {step}{due}{who}").format(
            process=case.process.name, step=case.step_name, due=due, who=who
        )
    )


@app.command(help=_("Move cases to their next step, or return them (退回)."))
@handle_errors
def advance(
    case: Annotated[
        list[str], typer.Argument(help=_("Case id(s): several move together, all or none."))
    ],
    step: Annotated[str, typer.Option("--step", help=_("Target step id or name."))],
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help=_("Who moves it (a countersign signer: the person, or ROLE / ROLE:NAME).")
        ),
    ] = None,
    note: NoteOpt = None,
    at: AtOpt = None,
    sets: SetOpt = None,
    assign: Annotated[
        str | None, typer.Option("--assign", help=_("Who handles the next step."))
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    results = cases.advance(
        _ws(workspace),
        case,
        step=step,
        by=by,
        note=note,
        at=_moment(at, "--at"),
        sets=sets or [],
        assign=assign,
    )
    for result in results:
        c = result.case
        if result.action == "sign":
            console.say(
                _("{id}: signed by {signed} at {step_name}; awaiting {awaiting}").format(
                    id=c.id,
                    signed=name_list(result.signed),
                    step_name=c.step_name,
                    awaiting=name_list(result.awaiting),
                )
            )
            continue
        from_name = result.from_step.name if result.from_step else "?"
        to_name = result.to_step.name if result.to_step else "?"
        moved = {
            "advance": _("{id}: moved {to} (from {from_})"),
            "return": _("{id}: returned {to} (from {from_})"),
            "close": _("{id}: closed at {to}"),
        }[result.action]
        line = moved.format(id=c.id, to=to_name, from_=from_name)
        if c.due:
            line += _(", due {due}").format(due=console.text(c.due))
        if c.assignee and result.action != "close":
            line += _(", {assignee}").format(assignee=c.assignee)
        if result.number:
            line += _(", number {number}").format(number=result.number)
        console.say(line)


@app.command(help=_("Extend the current step's deadline, at most by the step's `extend`."))
@handle_errors
def extend(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    by: Annotated[str, typer.Option("--by", help=_("How much longer: 30d, 5wd, 24h."))],
    reason: Annotated[str, typer.Option("--reason", help=_("Why (recorded)."))],
    who: Annotated[str | None, typer.Option("--who", help=_("Who approved the extension."))] = None,
    late: Annotated[
        bool, typer.Option("--late", help=_("The deadline has passed: record a late approval."))
    ] = False,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    r = cases.extend(
        _ws(workspace), case, by=by, reason=reason, who=who, at=_moment(at, "--at"), late=late
    )
    console.say(
        _("{id}: {step} due {old} → {new}").format(
            id=r.case.id,
            step=r.case.step_name,
            old=console.text(r.old),
            new=console.text(r.new),
        )
    )


@app.command("set", help=_("Correct a case's data without moving it (one history row per value)."))
@handle_errors
def set_(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    sets: Annotated[list[str], typer.Option("--set", help=_("FIELD=VALUE (repeatable)."))],
    by: ByOpt = None,
    note: NoteOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases
    from procdoc.engine import describe

    done = cases.set_fields(
        _ws(workspace), case, sets=sets or [], by=by, note=note, at=_moment(at, "--at")
    )
    if not done.changes:
        console.info(_("{id}: nothing changed (the values are already so)").format(id=done.case.id))
        return
    console.say(_("{id}: {changes}").format(id=done.case.id, changes=describe(done.changes)))


@app.command(help=_("转办: hand a case to another person."))
@handle_errors
def assign(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    name: Annotated[str, typer.Argument(help=_("The person to hand it to."))],
    by: ByOpt = None,
    note: NoteOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases
    from procdoc.engine import describe

    done = cases.assign(_ws(workspace), case, name, by=by, note=note, at=_moment(at, "--at"))
    console.say(_("{id}: {changes}").format(id=done.case.id, changes=describe(done.changes)))


@app.command(help=_("撤销: close a case as cancelled (its row, history and numbers stay)."))
@handle_errors
def cancel(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    reason: Annotated[str, typer.Option("--reason", help=_("Why (recorded)."))],
    by: ByOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    done = cases.cancel(_ws(workspace), case, reason=reason, by=by, at=_moment(at, "--at"))
    console.say(_("{id}: cancelled (已撤销)").format(id=done.case.id))


@app.command(help=_("撤回: take back your own last move while nothing else has happened since."))
@handle_errors
def withdraw(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    by: ByOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    done = cases.withdraw(_ws(workspace), case, by=by, at=_moment(at, "--at"))
    back = (
        _(" back at {step_name}").format(step_name=done.case.step_name)
        if done.case.step_name
        else ""
    )
    due = _(", due {due}").format(due=console.text(done.case.due)) if done.case.due else ""
    awaiting = (
        _("; awaiting {awaiting}").format(awaiting=name_list(done.awaiting))
        if done.awaiting
        else ""
    )
    signed = [old for label, old, _new in done.changes if label == "会签"]
    if signed and len(done.changes) == 1:  # a signature taken back: the case did not move
        console.say(
            _("{id}: the signature of {role} withdrawn, still at {step_name}{due}").format(
                id=done.case.id, role=signed[0], step_name=done.case.step_name or "?", due=due
            )
            + awaiting
        )
        return
    console.say(
        _("{id}: withdrawn,{back}{due}").format(id=done.case.id, back=back, due=due) + awaiting
    )


CASE_HEADER = ["编号", "流程", "标题", "当前环节", "状态", "承办人", "环节期限", "办结期限"]


def _case_rows(cases: "list[Case]") -> list[list[Any]]:
    from procdoc.layout import STATUS_WORDS

    return [
        [
            c.id + (" ⚠" if c.problems else ""),
            c.process.name,
            c.title,
            c.step_name,
            STATUS_WORDS[c.status],
            c.assignee,
            c.due,
            c.case_due,
        ]
        for c in cases
    ]


@app.command(help=_("A case: its fields, deadline and history."))
@handle_errors
@reads_only
def show(
    case: Annotated[str, typer.Argument(help=_("Case id."))],
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands import cases
    from procdoc.layout import ACTIONS, STATUS_WORDS

    ws = _ws(workspace)
    c = cases.show(ws, case)
    if format is Format.json:
        console.print_json(c.as_dict())
        return
    rows: list[list[Any]] = [
        ["编号", c.id], ["流程", c.process.name], ["标题", c.title], ["当前环节", c.step_name],
        ["状态", STATUS_WORDS[c.status]], ["承办人", c.assignee], ["登记时间", c.opened],
        ["环节开始", c.entered], ["环节期限", c.due], ["办结期限", c.case_due], ["来源编号", c.ref],
    ]  # fmt: skip
    left = cases.time_left(ws, c, now=ws.now())
    if left:
        rows.append(["剩余", left])
    rows += [[ws.field_label(c.process, fid), c.fields.get(fid)] for fid in c.process.fields]
    if format is Format.csv:
        console.print_csv(["项目", "值"], rows)
        return
    console.print_table(None, ["项目", "值"], rows, drop_empty=False)

    def step_name(step_id: str | None) -> str | None:
        found = c.process.find_step(step_id) if step_id else None
        return found.name if found else step_id

    hist = [
        [
            h.at,
            ACTIONS.get(h.action, h.action),
            step_name(h.from_step),
            step_name(h.to_step),
            h.by,
            h.note,
            _withdrawn_text(h.subject)
            if h.action == "withdraw"
            else _change_text(h.subject, h.old, h.new),
        ]
        for h in c.history or []
    ]
    console.print_table(
        "流转记录", ["时间", "动作", "从环节", "到环节", "办理人", "意见", "变化"], hist
    )


def _withdrawn_text(subject: str | None) -> str:
    """A 撤回 row's 变化: what it took back, 收回流转 (a move, 退回 alike) or 收回会签：财务 (a
    signature, by its role)."""
    from procdoc.layout import ACTIONS

    if not subject:
        return ""
    return f"收回{subject}" if subject in ACTIONS.values() else f"收回会签：{subject}"


def _change_text(subject: str | None, old: Any, new: Any) -> str:
    """A history row's 变化 as a person reads it: 承办人：王敏 → （空）; the item alone when the
    row has no values (a signature's role, the move a withdrawal took back)."""
    from procdoc.values import shown

    if not subject:
        return ""
    if old is None and new is None:
        return subject
    return f"{subject}：{shown(old)} → {shown(new)}"


def _selection(
    process: str | None = None,
    step: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    dept: str | None = None,
) -> "Selection":
    from procdoc.commands.cases import Selection

    return Selection(process=process, step=step, status=status, assignee=assignee, dept=dept)


@app.command("list", help=_("List cases."))
@handle_errors
@reads_only
def list_(
    process: Annotated[str | None, typer.Option("--process", help=_("Only this process."))] = None,
    step: Annotated[str | None, typer.Option("--step", help=_("Only cases at this step."))] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help=_("open, closed or cancelled (办理中, 已办结, 已撤销).")),
    ] = None,
    assignee: AssigneeOpt = None,
    dept: DeptOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands import cases

    ws = _ws(workspace)
    found = cases.list_cases(ws, _selection(process, step, status, assignee, dept))
    if format is Format.json:
        console.print_json(c.as_dict() for c in found)
    elif format is Format.csv:
        console.print_csv(CASE_HEADER, _case_rows(found))
    else:
        console.print_table(None, CASE_HEADER, _case_rows(found))
        console.info(ngettext("{n} case", "{n} cases", len(found)).format(n=len(found)))


@app.command(
    help=_("待办: the open cases waiting for a person, most urgent first (or 已办 with --done).")
)
@handle_errors
@reads_only
def todo(
    who: Annotated[
        str | None, typer.Option("--who", help=_("Whose desk (a person under people:)."))
    ] = None,
    dept: Annotated[str | None, typer.Option("--dept", help=_("A department's desk."))] = None,
    done: Annotated[
        bool, typer.Option("--done", help=_("What they did in the last 30 days (已办)."))
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help=_("YYYY-MM-DD [HH:MM] (default now)."))
    ] = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.desk import todo as run
    from procdoc.reports.overdue import LEVEL_CN

    items = run(_ws(workspace), who=who, dept=dept, done=done, as_of=_moment(as_of, "--as-of"))
    if format is Format.json:
        console.print_json(i.as_dict() for i in items)
        return
    rows: list[list[Any]]
    if done:
        header = ["编号", "流程", "标题", "当前环节", "所办", "时间"]
        rows = [
            [i.case.id, i.case.process.name, i.case.title, i.case.step_name, i.why, i.at]
            for i in items
        ]
    else:
        header = ["编号", "流程", "标题", "当前环节", "待办原因", "等级", "环节期限", "剩余"]
        rows = [
            [i.case.id, i.case.process.name, i.case.title, i.case.step_name, i.why,
             LEVEL_CN.get(i.level or "", ""), i.case.due, i.left]
            for i in items
        ]  # fmt: skip
    if format is Format.csv:
        console.print_csv(header, rows)
        return
    # On screen, room for the title at 80 columns: the id names the process, the row's
    # colour and 剩余 say the level, and a reason every row shares is said once below.
    drop = {"流程", "等级"}
    reasons = {i.why for i in items}
    if not done and len(reasons) == 1:
        drop.add("待办原因")
    shown = [k for k, h in enumerate(header) if h not in drop]
    header = [header[k] for k in shown]
    rows = [[r[k] for k in shown] for r in rows]
    styles = [LEVEL_STYLE.get(i.level or "") for i in items]
    if rows:
        console.print_table(None, header, rows, styles=styles)
    count = ngettext("{n} case", "{n} cases", len(items)).format(n=len(items))
    if done:
        console.info(count)
    elif len(reasons) == 1:
        console.info(_("{count} waiting ({reason})").format(count=count, reason=reasons.pop()))
    else:
        console.info(_("{count} waiting").format(count=count))


# -- documents ------------------------------------------------------------------------------------


@app.command(help=_("Render a Word template once per selected case."))
@handle_errors
def render(
    template: Annotated[
        str, typer.Option("--template", help=_("Template name (file stem in templates/)."))
    ],
    case: Annotated[
        list[str] | None, typer.Option("--case", help=_("Render for this case (repeatable)."))
    ] = None,
    process: Annotated[
        str | None,
        typer.Option(
            "--process",
            help=_(
                "The cases of this process that reached a step calling for the template (every case when no step does)."
            ),
        ),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help=_(
                "The cases at this step (that reached a step calling for the template, when one does)."
            ),
        ),
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help=_("The late cases whose current step calls for it."))
    ] = False,
    all_: Annotated[
        bool, typer.Option("--all", help=_("Render again where already rendered."))
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Output folder (default out/NAME/)."))
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite existing files."))] = False,
    doc_date: Annotated[
        str | None,
        typer.Option("--date", help=_("The document's date (成文日期), YYYY-MM-DD.")),
    ] = None,
    at: AtOpt = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help=_("Also write a PDF beside each document (LibreOffice)."))
    ] = False,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from rich.progress import Progress

    from procdoc import console
    from procdoc.commands.documents import render as run

    ws = _ws(workspace)
    # a bar only where Rich draws and wipes it: elsewhere (cron, a pipe, a file) it ends a
    # progress display with an empty line, which came before `Error:` and the summary
    with Progress(
        console=console.err, transient=True, disable=not console.err.is_interactive
    ) as bar:
        task = bar.add_task(_("rendering {template}").format(template=template), total=None)
        result = run(
            ws,
            template,
            cases=case or [],
            process=process,
            step=step,
            overdue=overdue,
            all_=all_,
            out=out,
            force=force,
            doc_date=_day(doc_date, "--date"),
            at=_moment(at, "--at"),
            pdf=pdf,
            on_done=lambda _p: bar.advance(task),
        )
    if result.pdf_error:
        console.error(
            _("{pdf_error} (the documents were written; their PDFs were not)").format(
                pdf_error=result.pdf_error
            )
        )
    if format is Format.json:
        console.print_json(result.as_dict())
        if result.pdf_error:
            raise typer.Exit(int(ExitCode.USER))
        return
    if format is Format.csv:  # the files written, one a row (the notes go to stderr)
        pdfs = zip(result.written, result.pdfs, strict=False)  # (a PDF a document, in order)
        console.print_csv(
            ["编号", "文件"],
            [[cid, ws.rel(path)] for cid, path in result.written]
            + [[cid, ws.rel(pdf)] for (cid, _docx), pdf in pdfs],
        )
    else:
        for cid, path in result.written:
            console.say(f"{cid}\t{ws.rel(path)}")
        for path in result.pdfs:
            console.say(f"\t{ws.rel(path)}")
    for cid, path in result.kept:
        if path in result.earlier:  # this step's document would replace an earlier step's
            console.warning(
                _(
                    'kept {path}: it was made before {cid} entered the step it is at, and this step\'s document would replace it; to keep both, put {{step}} in render_name in procdoc.yaml (render_name: "{{id}}-{{template}}-{{step}}.docx") and render again (--force replaces it)'
                ).format(path=ws.rel(path), cid=cid)
            )
        else:
            console.info(_("kept {path} (exists; --force to overwrite)").format(path=ws.rel(path)))
    for cid, path in result.recorded:
        console.info(
            _(
                "recorded {path} for {cid} (it was there already; --force to render it again)"
            ).format(path=ws.rel(path), cid=cid)
        )
    for skip in result.skipped:
        console.info(
            _(
                "skipped {cid}: {template} at {step} requires {labels}, still empty or unreadable (fill it with procdoc set {cid} --set {field}=...; --case {cid} renders it as it is)"
            ).format(
                cid=skip.case,
                template=template,
                step=skip.step,
                labels="、".join(skip.labels),
                field=skip.fields[0],
            )
        )
    if result.not_due:
        console.info(
            ngettext(
                "{n} case left out: it never reached a step that calls for {template}",
                "{n} cases left out: they never reached a step that calls for {template}",
                result.not_due,
            ).format(n=result.not_due, template=template)
        )
    if result.cancelled:
        console.info(
            ngettext(
                "{n} cancelled case left out (--case renders a document for it)",
                "{n} cancelled cases left out (--case renders a document for one)",
                result.cancelled,
            ).format(n=result.cancelled)
        )
    console.info(
        _("{template}: {n_written} written, {n_kept} kept").format(
            template=template, n_written=len(result.written), n_kept=len(result.kept)
        )
        + (
            _(", {n_recorded} recorded").format(n_recorded=len(result.recorded))
            if result.recorded
            else ""
        )
        + (
            ngettext(", {n_pdfs} PDF", ", {n_pdfs} PDFs", len(result.pdfs)).format(
                n_pdfs=len(result.pdfs)
            )
            if result.pdfs
            else ""
        )
        + (
            _(", {n_skipped} skipped").format(n_skipped=len(result.skipped))
            if result.skipped
            else ""
        )
    )
    if result.pdf_error:
        raise typer.Exit(int(ExitCode.USER))


@app.command(help=_("The templates and the variables each needs."))
@handle_errors
def templates(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table) -> None:
    from procdoc import console
    from procdoc.documents.templates import templates_info

    ws = _ws(workspace)
    infos = templates_info(ws)
    for t in infos:  # a broken template is listed, and said to be broken (QA: it was hidden)
        if t.problem:
            console.warning(
                _("template {name} cannot be rendered: {problem} (procdoc validate)").format(
                    name=t.name, problem=t.problem
                )
            )
    if format is Format.json:
        console.print_json(
            [
                {
                    "name": t.name,
                    "title": t.title,
                    "variables": t.variables,
                    "processes": t.processes,
                    **({"problem": t.problem} if t.problem else {}),
                }
                for t in infos
            ]
        )
        return
    header = ["名称", "标题", "流程", "变量"]
    named = {p.id: p.name for p in ws.processes.values()}  # the table says 信访事项办理
    rows = [
        [t.name, t.title, name_list(named.get(p, p) for p in t.processes), name_list(t.variables)]
        for t in infos
    ]
    if format is Format.csv:
        console.print_csv(header, rows)
    else:
        console.print_table(None, header, rows)


class ManualFormat(StrEnum):
    docx = "docx"
    md = "md"


@app.command(help=_("Write the process manual (流程手册) as Word or Markdown."))
@handle_errors
def manual(
    process: Annotated[str, typer.Argument(help=_("Process id or name."))],
    format: Annotated[
        ManualFormat, typer.Option("--format", help=_("docx or md."))
    ] = ManualFormat.docx,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help=_("File (default out/manual/ID-流程手册.docx).")),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.documents.manual import write_manual

    ws = _ws(workspace)
    proc = ws.process(process)
    target = output or ws.config.output / "manual" / f"{proc.id}-流程手册.{format.value}"
    write_manual(
        proc, target, office=ws.config.name, fmt=format.value, templates=ws.config.templates
    )
    console.say(str(target))


# -- import ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _import_bar() -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar per file on standard error while an import runs, when that is a
    terminal (else nothing: no bar to draw, no thread redrawing it, and Rich is not
    loaded unless a warning or the table needs it)."""
    from procdoc import console

    if not (sys.stderr is not None and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
    from rich.text import Text

    class Count(ProgressColumn):
        """``done/total``; nothing while the total is unknown (reading, writing)."""

        def render(self, task: Task) -> Text:
            shown = "" if task.total is None else f"{task.completed:.0f}/{task.total:.0f}"
            return Text(shown, style="progress.download")

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        Count(),
        console=console.err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(file: str, done: int, total: int) -> None:
            if file not in tasks:
                tasks[file] = bar.add_task(console.escape(Path(file).name), total=total or None)
            bar.update(tasks[file], completed=done, total=total or None)

        yield progress


@app.command("import", help=_("Merge OA exports into the ledger by their key."))
@handle_errors
def import_(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help=_("OA exports: .xlsx, .xls, .csv (UTF-8/GBK) or HTML saved as .xls."),
            show_default=False,
        ),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder",
            help=_("Import every export in this folder not imported yet, oldest first."),
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help=_("The source under sources: (default: the best match).")),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what would change; write nothing."))
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help=_("Refuse a file with any bad row."))
    ] = False,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.imports import FolderImport, import_files, import_folder
    from procdoc.errors import UsageError
    from procdoc.values import display

    if bool(files) == (folder is not None):
        raise UsageError(
            _("give the exports to import (FILE...) or --folder DIR, not both")
            if files
            else _("nothing to import"),
            hint=_("procdoc import FILE... or procdoc import --folder DIR"),
        )
    ws = _ws(workspace)
    done: FolderImport | None = None
    with _import_bar() as progress:
        options: dict[str, Any] = dict(
            source=source,
            dry_run=dry_run,
            strict=strict,
            progress=progress,
            at=_moment(at, "--at"),  # when the export was made, for moves and history
        )
        if folder is not None:
            done = import_folder(ws, folder, **options)
            results = done.files
        else:
            results = import_files(ws, files or [], **options)
    for r in results:
        for problem in r.problems:
            console.warning(str(problem))
        for problem in r.reported:
            console.warning(str(problem))
    before = [s for s in done.skipped if s.imported] if done else []
    for skipped in done.skipped if done else []:
        if not skipped.imported:
            shown = console.escape(f"{skipped.file}: {skipped.reason}")
            skipped_word = _("Skipped:")
            console.err.print(
                f"[yellow]{console.escape(skipped_word)}[/]{console.sep(skipped_word)}{shown}"
            )
    if format is Format.json:
        data: dict[str, Any] = {"dry_run": dry_run, "files": [r.as_dict() for r in results]}
        if done is not None:
            data["folder"] = done.folder
            data["skipped"] = [s.as_dict() for s in done.skipped]
        console.print_json(data)
        return
    header = ["文件", "来源", "新建", "更新", "流转", "匹配", "未变", "拒绝", "提示"]
    rows = [
        [
            r.file,
            r.source,
            len(r.new),
            len(r.changed),
            len(r.moved),
            len(r.matched),
            r.unchanged,
            len(r.problems),
            len(r.reported),
        ]
        for r in results
    ]
    if format is Format.csv:
        console.print_csv(header, rows)
        return
    if dry_run:
        for r in results:
            detail: list[list[Any]] = []
            for n in r.new:
                detail.append([n.id, "新建", n.key, "标题", "", n.title])
                if n.status is not None and n.step is not None:  # the export gives a status
                    detail.append([n.id, "新建", n.key, "当前环节", "", n.step.name])
            detail += [
                [
                    m.id,
                    "匹配",
                    m.key,
                    "、".join(label for label, _unused in m.on),
                    "",
                    "、".join(display(value) for _unused, value in m.on),
                ]
                for m in r.matched
            ]
            detail += [
                [u.id, "更新", u.key, label, old, new]
                for u in r.changed
                for label, old, new in u.changes
            ]
            detail += [
                [m.id, "流转", m.key, "当前环节", m.from_step.name, m.to_step.name] for m in r.moved
            ]
            if detail:
                console.print_table(
                    _("{file} (dry run: nothing written)").format(file=r.file),
                    ["编号", "变化", "来源编号", "字段", "原值", "新值"],
                    detail,
                )
    if rows:
        console.print_table(None, header, rows)
    if done is not None:
        if before:
            console.info(
                ngettext(
                    "{n} export in {folder} imported before: skipped",
                    "{n} exports in {folder} imported before: skipped",
                    len(before),
                ).format(n=len(before), folder=done.folder)
            )
        if not results:
            console.info(_("nothing new to import in {folder}").format(folder=done.folder))
    if dry_run:
        console.info(_("dry run: the ledger was not changed"))


# -- the ledger -----------------------------------------------------------------------------------


@app.command(help=_("Check the ledger's data cell by cell (exit 3 when it finds problems)."))
@handle_errors
@reads_only
def check(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table) -> None:
    from procdoc import console
    from procdoc.commands.ledger import check as run

    report = run(_ws(workspace))
    if format is Format.json:
        console.print_json(report.as_dict())
    elif format is Format.csv:
        console.print_csv(["位置", "问题"], [[f.where, f.message] for f in report.findings])
    else:
        if report.matches:  # for the record; the findings come last, by the summary (QA)
            console.print_table(
                _("the same matter found in two sources (match:)"),
                ["编号", "另一来源编号", "时间", "说明"],
                [[m.case, m.key, m.at, m.note] for m in report.matches],
            )
        for finding in report.findings:
            console.say(str(finding))
        summary = _("{cases} in {registers}: {problems}").format(
            cases=ngettext("{n} case", "{n} cases", report.cases).format(n=report.cases),
            registers=ngettext("{n} register", "{n} registers", len(report.registers)).format(
                n=len(report.registers)
            ),
            problems=ngettext("{n} problem", "{n} problems", len(report.findings)).format(
                n=len(report.findings)
            ),
        )
        console.err.print(
            ("[red]" if report.findings else "[green]") + console.escape(summary) + "[/]"
        )
    if report.findings:
        raise typer.Exit(int(ExitCode.INVALID))


@app.command(
    help=_("Take over a hand-kept register: ids, steps and deadlines for its rows (idempotent).")
)
@handle_errors
def adopt(
    process: Annotated[
        str, typer.Argument(help=_("The process whose hand-kept register to take over."))
    ],
    step: Annotated[
        str | None,
        typer.Option("--step", help=_("The step of rows that name none (default the first).")),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what would be taken over; write nothing."))
    ] = False,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.ledger import adopt as run

    result = run(_ws(workspace), process, step=step, dry_run=dry_run, at=_moment(at, "--at"))
    header = ["行", "编号", "标题", "当前环节", "环节期限"]
    rows = [[a.row, a.id, a.title, a.step, a.due] for a in result.adopted]
    if format is Format.json:
        console.print_json(
            {
                "sheet": result.sheet,
                "dry_run": dry_run,
                "already": result.already,
                "skipped": [{"row": n, "why": why} for n, why in result.skipped],
                "adopted": [
                    {
                        "row": a.row,
                        "id": a.id,
                        "title": a.title,
                        "step": a.step,
                        "due": console.plain(a.due),
                    }
                    for a in result.adopted
                ],
            }
        )
        return
    if format is Format.csv:
        console.print_csv(header, rows)
        return
    if rows:
        console.print_table(result.sheet, header, rows)
    for number, why in result.skipped:
        console.info(
            _("{sheet} row {number}: {why}: not taken over").format(
                sheet=result.sheet, number=number, why=why
            )
        )
    summary = (
        ngettext(
            "{sheet}: would take over {n_adopted} row; {already} had an id already (left alone)",
            "{sheet}: would take over {n_adopted} rows; {already} had an id already (left alone)",
            len(result.adopted),
        )
        if dry_run
        else ngettext(
            "{sheet}: took over {n_adopted} row; {already} had an id already (left alone)",
            "{sheet}: took over {n_adopted} rows; {already} had an id already (left alone)",
            len(result.adopted),
        )
    )
    console.info(
        summary.format(sheet=result.sheet, n_adopted=len(result.adopted), already=result.already)
        + (_(" (dry run: nothing written)") if dry_run else "")
    )


@app.command(
    help=_(
        "Put back the ledger as it was before procdoc's last write (refused if it changed since)."
    )
)
@handle_errors
def undo(by: ByOpt = None, at: AtOpt = None, workspace: WorkspaceOpt = None) -> None:
    from procdoc import console
    from procdoc.commands.ledger import undo as run

    result = run(_ws(workspace), by=by, at=_moment(at, "--at"))
    message = _("{ledger}: put back as it was before procdoc's write of {at}").format(
        ledger=result.ledger, at=result.undone
    )
    sheets = _(" ({sheets})").format(sheets=_(", ").join(result.sheets)) if result.sheets else ""
    console.say(message + sheets)
    if result.config:
        console.say(
            _("{config}: put back as it was before that write (registers split changed it)").format(
                config=result.config
            )
        )
    if result.exports:
        console.say(
            _("{names}: their import is undone; `import --folder` takes them again").format(
                names=name_list(result.exports)
            )
        )
    if result.exports_back:
        console.say(
            _("{names}: imported again with the version put back").format(
                names=name_list(result.exports_back)
            )
        )
    console.info(_("recorded in 流转记录; procdoc undo again puts back what this undid"))


registers_app = typer.Typer(help=_("The registers (登记簿) of the ledger."), no_args_is_help=True)
app.add_typer(registers_app, name="registers")


@registers_app.command(
    "split",
    help=_("Move a shared 台账 to one register per process, in one write (the old sheet stays)."),
)
@handle_errors
def registers_split(workspace: WorkspaceOpt = None) -> None:
    from procdoc import console
    from procdoc.commands.ledger import split

    result = split(_ws(workspace))
    for sheet, count in result.rows.items():
        own = result.own_columns.get(sheet)
        extra = (
            _(" (with the office's own columns {own})").format(own=name_list(own)) if own else ""
        )
        console.say(
            ngettext("{sheet}: {n} case{extra}", "{sheet}: {n} cases{extra}", count).format(
                sheet=sheet, n=count, extra=extra
            )
        )
    console.info(
        _(
            "recorded the registers in {config}; the old 台账 sheet is kept as it was and no longer written"
        ).format(config=result.config)
    )


# -- overdue and reports -----------------------------------------------------------------------

LEVEL_STYLE = {"overdue": "red", "due_today": "yellow", "due_soon": "blue", "unknown": "magenta"}


@app.command(help=_("Overdue, due-today and due-soon cases (exit 0 whatever it finds)."))
@handle_errors
@reads_only
def overdue(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help=_("YYYY-MM-DD [HH:MM] (default now)."))
    ] = None,
    process: Annotated[str | None, typer.Option("--process", help=_("Only this process."))] = None,
    within: Annotated[
        str | None,
        typer.Option("--within", help=_("Warning window, e.g. 3wd (default reminders.due_soon).")),
    ] = None,
    assignee: AssigneeOpt = None,
    dept: DeptOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.reports import overdue as run
    from procdoc.reports.overdue import FLAG_HEADER, LEVEL_CN, flag_row, flag_view

    ws = _ws(workspace)
    flags = run(
        ws,
        as_of=_moment(as_of, "--as-of"),
        within=within,
        sel=_selection(process, None, None, assignee, dept),
    )
    if format is Format.json:
        console.print_json(f.as_dict() for f in flags)
        return
    if format is Format.csv:
        console.print_csv(FLAG_HEADER, (flag_row(f) for f in flags))
        return
    if not flags:
        console.info(_("nothing overdue or due soon"))
        return
    groups: dict[str, list[Any]] = {}
    for f in flags:
        groups.setdefault(f.case.process.name, []).append(f)
    for name, items in groups.items():
        header, rows = flag_view(items)
        console.print_table(name, header, rows, styles=[LEVEL_STYLE[f.level] for f in items])
    counts = {lvl: sum(1 for f in flags if f.level == lvl) for lvl in LEVEL_CN}
    console.info(
        "，".join(f"{LEVEL_CN[k]} {v} 件" for k, v in counts.items() if v or k != "unknown")
    )


@report_app.command(
    "daily",
    help=_(
        "Write daily-YYYY-MM-DD.xlsx and .md, the head's one-page brief (.docx), and print a short summary."
    ),
)
@handle_errors
@reads_only
def report_daily(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help=_("YYYY-MM-DD [HH:MM] (default now)."))
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Folder (default out/reports/)."))
    ] = None,
    workdays_only: Annotated[
        bool, typer.Option("--workdays-only", help=_("Do nothing on a non-working day (for cron)."))
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    from procdoc import console
    from procdoc.commands.reports import report_daily as run

    ws = _ws(workspace)
    moment = _moment(as_of, "--as-of")
    rep = run(ws, as_of=moment, out=out, workdays_only=workdays_only)
    if rep is None:
        console.info(
            _("{value:%Y-%m-%d} is not a working day: no report (--workdays-only)").format(
                value=moment or ws.now()
            )
        )
        return
    for line in rep.summary_lines():
        console.say(line)
    console.info(
        _("wrote {xlsx}, {markdown} and {brief}").format(
            xlsx=rep.xlsx, markdown=rep.markdown, brief=rep.brief
        )
    )


# -- statistics, the monthly report and 抽查 (SPEC §10) ------------------------------------


class StatsBy(StrEnum):
    process = "process"
    dept = "dept"
    assignee = "assignee"
    step = "step"


FromOpt = Annotated[
    str | None,
    typer.Option("--from", help=_("First day, YYYY-MM-DD (default: this month's first).")),
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help=_("Last day, YYYY-MM-DD (default: this month's last)."))
]
OutOpt = Annotated[Path | None, typer.Option("--out", help=_("Folder (default out/reports/)."))]


@report_app.command(
    "stats",
    help=_(
        "Statistics over the cases opened in a period (办结率, 按时办结率, time to close, 退回, 延期), each step's time-limit compliance and the 文号 duplicate rate; also an .xlsx."
    ),
)
@handle_errors
@reads_only
def report_stats(
    from_: FromOpt = None,
    to: ToOpt = None,
    by: Annotated[
        StatsBy, typer.Option("--by", help=_("Group by process, dept, assignee or step."))
    ] = StatsBy.process,
    out: OutOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.reports import report_stats as run
    from procdoc.reports.stats import (
        COUNT_COLUMNS,
        LIMIT_HEADER,
        NUMBER_HEADER,
        TIME_COLUMNS,
        number_rows,
        untimed_message,
    )

    ws = _ws(workspace)
    rep = run(ws, start=_day(from_, "--from"), end=_day(to, "--to"), by=by.value, out=out)
    if rep.empty:
        console.info(
            _("no cases opened from {start} to {end}: every figure is 0").format(
                start=rep.start.isoformat(), end=rep.end.isoformat()
            )
        )
    untimed = untimed_message(rep)
    if untimed:
        console.info(untimed)
    if format is Format.json:
        console.print_json(rep.as_dict())
    elif format is Format.csv:
        console.print_csv(rep.header(), rep.rows())
    else:
        header, rows = rep.header(), rep.rows()
        title = f"{rep.period_cn()}新增案件"
        console.print_table(title, header[:COUNT_COLUMNS], [r[:COUNT_COLUMNS] for r in rows])
        console.print_table(
            "办结用时（工作日）与退回、延期",
            [header[i] for i in TIME_COLUMNS],
            [[r[i] for i in TIME_COLUMNS] for r in rows],
        )
        step_header, steps = rep.step_table()
        if steps:
            console.print_table("各环节平均用时（工作日）", step_header, steps)
        limits = [s.row() for s in rep.limits]
        if limits:
            console.print_table("各环节时限达标情况", LIMIT_HEADER, limits)
        if rep.numbers.years:
            console.print_table("文号", NUMBER_HEADER, number_rows(rep.numbers))
    console.info(_("wrote {xlsx}").format(xlsx=rep.xlsx))


class MonthlyFormat(StrEnum):
    table = "table"
    json = "json"


@report_app.command(
    "monthly",
    help=_(
        "The monthly report: a month's statistics beside the month before (环比), as Word and .xlsx."
    ),
)
@handle_errors
@reads_only
def report_monthly(
    month: Annotated[
        str | None,
        typer.Option("--month", help=_("YYYY-MM (default: the last complete month).")),
    ] = None,
    out: OutOpt = None,
    workspace: WorkspaceOpt = None,
    format: Annotated[
        MonthlyFormat, typer.Option("--format", help=_("table or json."))
    ] = MonthlyFormat.table,
) -> None:
    from procdoc import console
    from procdoc.commands.reports import report_monthly as run
    from procdoc.reports.monthly import COMPARE_HEADER, PROCESS_HEADER
    from procdoc.reports.stats import untimed_message

    ws = _ws(workspace)
    rep = run(ws, month=month, out=out)
    if rep.current.empty:
        console.info(
            _("no cases opened in {month:%Y-%m}: every figure is 0").format(month=rep.month)
        )
    for stats in (rep.current, rep.previous):
        untimed = untimed_message(stats, label=f"{stats.start:%Y-%m}: ")
        if untimed:
            console.info(untimed)
    if format is MonthlyFormat.json:
        console.print_json(rep.as_dict())
    else:
        title = f"{rep.label}（与{rep.previous_label}比较）"
        console.print_table(title, COMPARE_HEADER, rep.compare_rows())
        if rep.pairs():
            console.print_table("分流程（括号内为上月）", PROCESS_HEADER, rep.process_rows())
    console.info(_("wrote {docx} and {xlsx}").format(docx=rep.docx, xlsx=rep.xlsx))


@app.command(
    help=_(
        "抽查: draw a share of the cases closed in a period at random (repeatably); each with its steps on time or late and required fields missing; also an .xlsx to fill in."
    )
)
@handle_errors
@reads_only
def sample(
    percent: Annotated[
        float, typer.Option("--percent", help=_("The share to draw, rounded up (default 10)."))
    ] = 10,
    process: Annotated[str | None, typer.Option("--process", help=_("Only this process."))] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help=_("Closed on or after, YYYY-MM-DD (default: this month).")),
    ] = None,
    to: ToOpt = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help=_("Draw with this seed (default: one derived from the period).")
        ),
    ] = None,
    out: OutOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    from procdoc import console
    from procdoc.commands.reports import sample as run
    from procdoc.reports.sample import SAMPLE_HEADER

    ws = _ws(workspace)
    rep = run(
        ws,
        percent=percent,
        process=process,
        start=_day(from_, "--from"),
        end=_day(to, "--to"),
        seed=seed,
        out=out,
    )
    if not rep.population:
        console.info(
            _("no cases closed from {start} to {end}: nothing to draw").format(
                start=rep.start.isoformat(), end=rep.end.isoformat()
            )
        )
    else:
        console.info(rep.describe())
    if format is Format.json:
        console.print_json(rep.as_dict())
    elif format is Format.csv:
        console.print_csv(SAMPLE_HEADER, rep.rows())
    elif rep.drawn:
        console.print_table(None, SAMPLE_HEADER, rep.rows())
    console.info(_("wrote {xlsx}").format(xlsx=rep.xlsx))


def main() -> None:
    """Console-script entry point.

    Text on stdout redirected to a file or a pipe is in the system's encoding (GBK on a
    Chinese Windows, as the console and PowerShell read it): a character that encoding
    lacks is written as ``?`` rather than ending the command with a traceback. JSON and
    CSV are UTF-8 whatever the encoding (``console._utf8_out``)."""
    _ON_ITS_OWN.append(True)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
