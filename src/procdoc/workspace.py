"""The workspace: a folder with procdoc.yaml, its processes, templates and ledger.

Every command is one call on a :class:`Workspace`; the CLI only parses options and prints.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from procdoc.config import CONFIG_NAME, CORE_LABELS, parse_config
from procdoc.errors import CalendarError, ProcdocWarning, WorkspaceError
from procdoc.process.loader import Problem, Problems, load_process
from procdoc.process.model import Process
from procdoc.yamlpos import Pos, YamlSyntaxError, display_path, load_file

if TYPE_CHECKING:
    from procdoc.calendar import WorkCalendar
    from procdoc.cases import Case, Change, Engine, Ledger, MoveResult
    from procdoc.ledger import LedgerStore

T = TypeVar("T")

ENV_VAR = "PROCDOC_WORKSPACE"


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "files": self.files,
            "processes": self.processes,
            "problems": [p.as_dict() for p in self.problems],
        }


def find_root(start: Path | None = None, explicit: Path | str | None = None) -> Path:
    """The workspace folder: ``explicit`` (``-w``), else ``$PROCDOC_WORKSPACE``, else the
    nearest folder holding procdoc.yaml walking up from ``start`` (like git)."""
    if explicit is None and os.environ.get(ENV_VAR):
        explicit = os.environ[ENV_VAR]
    if explicit is not None:
        root = Path(explicit).expanduser()
        if root.is_file() and root.name == CONFIG_NAME:
            root = root.parent
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"{root}: no {CONFIG_NAME} there",
                hint="give the folder that holds procdoc.yaml, or create one with `procdoc init`",
            )
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError(
        f"no {CONFIG_NAME} in {here} or any folder above it",
        hint="run procdoc inside a workspace, pass -w DIR, or create one with `procdoc init`",
    )


class Workspace:
    """A loaded workspace. Processes, calendar and ledger load lazily on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        try:
            doc = load_file(self.root / CONFIG_NAME, base=self.root)
        except YamlSyntaxError as err:
            raise WorkspaceError(err.message) from err
        self.config_doc = doc  # kept: validate reports source problems at their positions
        self.config, self.config_problems = parse_config(doc, self.root)
        self._warned_broken = False
        if self.config_problems.errors:
            first = self.config_problems.errors[0]
            more = len(self.config_problems.errors) - 1
            raise WorkspaceError(
                f"{first.pos}: {first.message}"
                + (f" (and {more} more: run procdoc validate)" if more else "")
            )

    @classmethod
    def find(cls, start: Path | None = None, explicit: Path | str | None = None) -> Workspace:
        return cls(find_root(start, explicit))

    def rel(self, path: Path) -> str:
        return display_path(path, self.root)

    # -- processes ---------------------------------------------------------------------
    def process_files(self) -> list[Path]:
        folder = self.config.processes
        if not folder.is_dir():
            return []
        return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])

    def template_names(self) -> list[str]:
        folder = self.config.templates
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.docx") if not p.name.startswith("~$"))

    def _load_processes(self) -> tuple[dict[str, Process], list[Problem], dict[str, Problem]]:
        """(usable processes by id, every problem, the first error of each process left
        out, by its id and by its name)."""
        found: dict[str, Process] = {}
        problems: list[Problem] = []
        broken: dict[str, Problem] = {}
        names: dict[str, Process] = {}
        templates = self.template_names()
        numbering = list(self.config.numbering)
        for path in self.process_files():
            process, probs = load_process(
                path, base=self.root, templates=templates, numbering=numbering
            )
            problems.extend(probs)
            if process is None:
                continue
            clash = next(
                (
                    f"process {what} '{key}' is also used by {table[key].file}"
                    for what, key, table in (
                        ("id", process.id, found),
                        ("name", process.name, names),
                    )
                    if key in table
                ),
                None,
            )
            if clash:
                problems.append(Problem("error", process.pos, clash))
                continue
            first_error = next((p for p in probs if p.severity == "error"), None)
            if first_error is not None:
                broken[process.id] = broken[process.name] = first_error
                continue
            found[process.id] = process
            names[process.name] = process
        problems.extend(self._cross_checks(found))
        return found, problems, broken

    def _cross_checks(self, processes: dict[str, Process]) -> list[Problem]:
        out: list[Problem] = []
        core = {label: key for key, label in self.config.labels.items()}
        types: dict[str, tuple[str, Process]] = {}
        for process in processes.values():
            for fdef in process.fields.values():
                if fdef.label in core:
                    out.append(
                        Problem(
                            "error",
                            process.pos,
                            f"{process.id}: field '{fdef.id}' has label '{fdef.label}', which is procdoc's own '{core[fdef.label]}' column; choose another label",
                        )
                    )
                seen = types.get(fdef.label)
                if seen and seen[0] != fdef.type:
                    out.append(
                        Problem(
                            "warning",
                            process.pos,
                            f"{process.id}: field '{fdef.id}' ({fdef.type}) shares the column '{fdef.label}' with a {seen[0]} field of {seen[1].id}",
                        )
                    )
                types.setdefault(fdef.label, (fdef.type, process))
            for step in process.steps:
                if step.number and step.number in self.config.numbering:
                    target = self.config.numbering[step.number].field
                    if target not in process.fields:
                        out.append(
                            Problem(
                                "error",
                                step.pos,
                                f"step '{step.id}' takes a number from '{step.number}', whose field '{target}' is not a field of {process.id}",
                            )
                        )
        return out

    @cached_property
    def _processes(self) -> tuple[dict[str, Process], list[Problem], dict[str, Problem]]:
        return self._load_processes()

    @property
    def processes(self) -> dict[str, Process]:
        """The usable processes by id. A file with errors is left out with a warning."""
        found, problems, _ = self._processes
        broken = sorted({p.pos.file for p in problems if p.severity == "error" and p.pos})
        if broken and not self._warned_broken:
            self._warned_broken = True
            warnings.warn(
                f"{', '.join(broken)}: has errors and is left out; run `procdoc validate` to see them",
                ProcdocWarning,
                stacklevel=2,
            )
        return found

    def process(self, key: str) -> Process:
        """A process by id or name."""
        from procdoc.errors import ProcessError

        for process in self.processes.values():
            if key in (process.id, process.name):
                return process
        known = ", ".join(f"{p.id} ({p.name})" for p in self.processes.values()) or "none"
        raise ProcessError(f"unknown process '{key}'", hint=f"known: {known}")

    # -- calendar ----------------------------------------------------------------------
    @cached_property
    def calendar(self) -> WorkCalendar:
        from procdoc.calendar import WorkCalendar

        return WorkCalendar.load(self.config.calendar, base_dir=self.root)

    # -- the ledger --------------------------------------------------------------------------
    @cached_property
    def store(self) -> LedgerStore:
        from procdoc.config import HISTORY_SHEET, LEDGER_SHEET
        from procdoc.ledger import LedgerStore

        return LedgerStore(
            self.config.ledger,
            state_dir=self.config.state_dir,
            sheets=(LEDGER_SHEET, HISTORY_SHEET),
            backups=self.config.backups,
        )

    def ledger(self, *, history: bool = False) -> Ledger:
        """The cases as they are now (no lock: a reading command)."""
        from procdoc.cases import Ledger
        from procdoc.config import HISTORY_SHEET, LEDGER_SHEET

        sheets = (LEDGER_SHEET, HISTORY_SHEET) if history else (LEDGER_SHEET,)
        return Ledger(
            self.store.read(sheets),
            self.config,
            self.processes,
            load_history=self._history_loader(),
            broken=self._processes[2],
        )

    def _history_loader(self) -> Callable[[], Any]:
        from procdoc.config import HISTORY_SHEET

        def load() -> Any:
            return self.store.read((HISTORY_SHEET,)).sheets.get(HISTORY_SHEET)

        return load

    def change(self, plan: Callable[[Ledger, Change], T]) -> T:
        """Run ``plan`` against the ledger under its lock and write what it recorded, all or
        nothing. ``plan`` raising a ProcdocError writes nothing."""
        from procdoc.cases import Change, Ledger
        from procdoc.config import LEDGER_SHEET

        box: list[T] = []

        def batch_for(snapshot: Any) -> Any:
            box.clear()
            ledger = Ledger(
                snapshot,
                self.config,
                self.processes,
                load_history=self._history_loader(),
                broken=self._processes[2],
            )
            change = Change(self.config, self.processes)
            box.append(plan(ledger, change))
            return change.batch()

        self.store.update(batch_for, read_sheets=(LEDGER_SHEET,))
        return box[0]

    def engine(self) -> Engine:
        from procdoc.cases import Engine

        return Engine(self.config, self.processes, self.calendar)

    # -- cases ---------------------------------------------------------------------------------
    def new_case(
        self,
        process: str,
        *,
        title: str,
        sets: Sequence[str] = (),
        by: str | None = None,
        at: datetime | None = None,
    ) -> Case:
        proc = self.process(process)
        engine = self.engine()
        moment = at or now()
        return self.change(
            lambda ledger, change: engine.new(
                ledger, proc, title=title, sets=sets, by=by, at=moment, change=change
            )
        )

    def advance(
        self,
        case_id: str,
        *,
        step: str,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
        sets: Sequence[str] = (),
    ) -> MoveResult:
        engine = self.engine()
        moment = at or now()
        return self.change(
            lambda ledger, change: engine.advance(
                ledger, case_id, to=step, by=by, note=note, at=moment, sets=sets, change=change
            )
        )

    def extend(
        self,
        case_id: str,
        *,
        by: str,
        reason: str,
        who: str | None = None,
        at: datetime | None = None,
    ) -> tuple[Case, Any, Any]:
        engine = self.engine()
        moment = at or now()
        return self.change(
            lambda ledger, change: engine.extend(
                ledger, case_id, by_duration=by, reason=reason, who=who, at=moment, change=change
            )
        )

    def show(self, case_id: str) -> Case:
        ledger = self.ledger()
        case = ledger.case(case_id)
        case.history = ledger.history(case)
        return case

    def list_cases(
        self, *, process: str | None = None, step: str | None = None, status: str | None = None
    ) -> list[Case]:
        proc = self.process(process) if process else None
        if status not in (None, "open", "closed"):
            from procdoc.errors import UsageError

            raise UsageError(f"--status must be open or closed, not '{status}'")
        out = []
        for case in self.ledger().cases():
            if proc and case.process.id != proc.id:
                continue
            if step and (case.step is None or step not in (case.step.id, case.step.name)):
                continue
            if status and case.status != status:
                continue
            out.append(case)
        if step and proc and proc.find_step(step) is None:
            from procdoc.errors import ProcessError

            raise ProcessError(
                f"{proc.id} has no step '{step}'", hint=", ".join(s.name for s in proc.steps)
            )
        return out

    # -- overdue and reports -------------------------------------------------------------
    def _within(self, within: str | None) -> Any:
        from procdoc.calendar import Duration
        from procdoc.errors import UsageError

        if within is None:
            return self.config.reminders.due_soon
        try:
            return Duration.parse(within)
        except CalendarError as err:
            raise UsageError(f"--within: {err.message}") from err

    def overdue(
        self,
        *,
        as_of: datetime | None = None,
        process: str | None = None,
        within: str | None = None,
    ) -> list[Any]:
        """Open cases that are overdue, due today or due within the warning window."""
        from procdoc.report import overdue

        proc = self.process(process) if process else None
        cases = [c for c in self.ledger().cases() if proc is None or c.process.id == proc.id]
        return overdue(
            cases,
            as_of=as_of or now(),
            within=self._within(within),
            cal=self.calendar,
            reminders=self.config.reminders,
        )

    def report_daily(
        self, *, as_of: datetime | None = None, out: Path | None = None, workdays_only: bool = False
    ) -> Any:
        """Write the daily report; None when ``workdays_only`` and today is a day off."""
        from procdoc.report import build_daily, write_daily

        moment = as_of or now()
        if workdays_only and not self.calendar.is_workday(moment.date()):
            return None
        rep = build_daily(
            list(self.ledger().cases()),
            as_of=moment,
            within=self._within(None),
            cal=self.calendar,
            reminders=self.config.reminders,
        )
        write_daily(rep, out or self.config.output / "reports", office=self.config.name)
        return rep

    # -- validate ----------------------------------------------------------------------
    def validate(self, *, today: date | None = None) -> ValidationReport:
        """Every check of SPEC §2 over procdoc.yaml, the processes, calendar and templates."""
        report = ValidationReport()
        report.files.append(CONFIG_NAME)
        report.problems.extend(self.config_problems)
        processes, problems, _ = self._load_processes()
        report.problems.extend(problems)
        report.files.extend(self.rel(p) for p in self.process_files())
        report.processes = sorted(processes)
        if not self.config.processes.is_dir():
            report.problems.append(
                Problem(
                    "error",
                    Pos(CONFIG_NAME, 1, 1),
                    f"processes folder {self.rel(self.config.processes)} does not exist",
                )
            )
        report.problems.extend(self._check_sources(processes))
        report.problems.extend(self._check_calendar(today or date.today()))
        report.problems.extend(self._check_templates(processes))
        return report

    def _check_sources(self, processes: dict[str, Process]) -> list[Problem]:
        p = Problems(self.config_doc)
        by_name = {proc.name: proc for proc in processes.values()}
        for name, source in self.config.sources.items():
            process = processes.get(source.process) or by_name.get(source.process)
            if process is None:
                p.error(
                    ("sources", name, "process"),
                    f"source '{name}' opens cases in unknown process '{source.process}'",
                )
                continue
            known = set(process.fields) | set(CORE_LABELS)
            for header, target in source.columns.items():
                if target not in known:
                    p.error(
                        ("sources", name, "columns", header),
                        f"column '{header}' maps to '{target}', which is neither a field of {process.id} nor a ledger column",
                    )
            for value, step in source.status_steps.items():
                if process.find_step(step) is None:
                    p.error(
                        ("sources", name, "status_steps", value),
                        f"'{value}' maps to unknown step '{step}' of {process.id}",
                    )
        return list(p)

    def _check_calendar(self, today: date) -> list[Problem]:
        pos = Pos(CONFIG_NAME, 1, 1)
        try:
            cal = self.calendar
        except CalendarError as err:
            return [Problem("error", pos, err.message)]
        out = []
        for year in (today.year, today.year + 1):
            if not cal.covers(year):
                out.append(
                    Problem(
                        "warning",
                        pos,
                        f"no holiday calendar for {year}: deadlines in {year} count Monday-Friday; add {year}'s holidays and make-up workdays under calendar: in {CONFIG_NAME}",
                    )
                )
        return out

    def _check_templates(self, processes: dict[str, Process]) -> list[Problem]:
        from procdoc.documents.templates import check_templates

        return check_templates(self, processes)


def now() -> datetime:
    """The current moment to the minute (what the ledger records)."""
    return datetime.now().replace(second=0, microsecond=0)


# -- init ----------------------------------------------------------------------------------


def library_dir() -> Path:
    """The folder holding the shipped `processes/` and `templates/` library."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "library", here.parents[1]):
        if (candidate / "processes").is_dir():
            return candidate
    raise WorkspaceError("the process library is missing from this installation; reinstall procdoc")


INIT_CONFIG = """\
# procdoc workspace settings. Every key but `name` is optional; see README.md.
name: {name}
ledger: ledger.xlsx
processes: processes
templates: templates
output: out

calendar:
  # Working days follow the national calendar (package chinese-calendar). Add what it
  # does not know yet, e.g. next year's holidays once the State Council publishes them:
  holidays: []
  workdays: []
  files: []
  roll_calendar_deadlines: true   # 民法典 第203条: a period ending on a day off ends on the next working day

reminders:
  due_soon: 3wd        # 蓝: the deadline is this close
  urge_after: 1wd      # 催办 the working day after the deadline
  escalate_after: 5wd  # still overdue this long: escalate to the 分管领导

numbering:
  fawen:
    format: "{short}〔{{year}}〕{{seq}}号"
    field: fawen_no

render_name: "{{id}}-{{template}}.docx"
"""


def init_workspace(folder: Path, *, name: str | None = None) -> Path:
    """Write a working workspace into ``folder`` (SPEC §1): the library's processes and
    templates, and a procdoc.yaml that uses them. Refuses to overwrite a workspace."""
    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise WorkspaceError(
            f"{folder / CONFIG_NAME} already exists", hint="init makes new workspaces only"
        )
    library = library_dir()
    for sub in ("processes", "templates"):
        target = folder / sub
        if target.exists() and any(target.iterdir()):
            raise WorkspaceError(
                f"{target} already exists and is not empty", hint="choose an empty folder"
            )
    folder.mkdir(parents=True, exist_ok=True)
    for sub, pattern in (("processes", "*.yaml"), ("templates", "*.docx")):
        (folder / sub).mkdir(exist_ok=True)
        for path in sorted((library / sub).glob(pattern)):
            shutil.copy2(path, folder / sub / path.name)
    office = name or "某单位办公室"
    text = INIT_CONFIG.format(name=office, short="某办发")
    (folder / CONFIG_NAME).write_text(text, encoding="utf-8")
    (folder / "out").mkdir(exist_ok=True)
    return folder
