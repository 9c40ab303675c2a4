"""The workspace: a folder with procdoc.yaml, its processes, templates and ledger.

A :class:`Workspace` is the context every command runs in: the settings, the processes,
the calendar, the people, the layout of the registers, the ledger store and the clock.
The commands themselves live in :mod:`procdoc.commands`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from procdoc.config import CONFIG_NAME, Config, default_config, parse_config
from procdoc.errors import ConfigError, WorkspaceError
from procdoc.i18n import _, aside, name_list
from procdoc.process.loader import Problem, Problems, load_process, syntax_problem
from procdoc.process.model import Process
from procdoc.yamlpos import Document, YamlSyntaxError, display_path, load_file

if TYPE_CHECKING:
    from procdoc.calendar import WorkCalendar
    from procdoc.casebook import Casebook, Change
    from procdoc.engine import Engine
    from procdoc.layout import Layout
    from procdoc.ledger import Batch, LedgerStore, Sheet, Snapshot
    from procdoc.ledger.reader import ReadAhead

T = TypeVar("T")

ENV_VAR = "PROCDOC_WORKSPACE"


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
                _("{root}: no {config_name} there").format(root=root, config_name=CONFIG_NAME),
                hint=_(
                    "give the folder that holds procdoc.yaml, or create one with `procdoc init`"
                ),
            )
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError(
        _("no {config_name} in {here} or any folder above it").format(
            config_name=CONFIG_NAME, here=here
        ),
        hint=_("run procdoc inside a workspace, pass -w DIR, or create one with `procdoc init`"),
    )


class Workspace:
    """A loaded workspace. Processes, calendar, layout and ledger load lazily on first use.

    With ``lenient`` (for `validate`), errors in procdoc.yaml, a YAML syntax error too, are
    kept in ``config_problems`` instead of refusing the workspace.
    """

    def __init__(self, root: Path, *, lenient: bool = False) -> None:
        self.root = root.resolve()
        #: Where parsed YAML and sheets are kept between commands (never the user's files).
        self.cache_dir = self.root / ".procdoc" / "cache"
        self.config: Config
        self.config_problems: Problems
        #: Whether procdoc.yaml could be read as settings; when not (only with ``lenient``:
        #: a syntax error, or a list or a text), the settings are the defaults and the
        #: checks that need the real ones are skipped.
        self.config_read = True
        try:
            doc = load_file(self.root / CONFIG_NAME, base=self.root, cache=self.cache_dir)
        except YamlSyntaxError as err:
            if not lenient:
                raise ConfigError([syntax_problem(err)]) from err
            doc = Document(err.pos.file, {})
            self.config, self.config_problems = default_config(self.root), Problems(doc)
            self.config_problems.append(syntax_problem(err))
            self.config_read = False
        else:
            self.config, self.config_problems = parse_config(doc, self.root)
        if not isinstance(doc.data, dict):  # a list or a text: reported, and no settings
            self.config_read = self.config_read and doc.data is None
            doc = replace(doc, data={})
        #: Kept for validate, which reports source problems at their positions; its
        #: ``data`` is always a mapping.
        self.config_doc = doc
        #: Problems met while the command ran that make it exit 1 after doing what it
        #: could (SPEC §5): cases of a process file with errors.
        self.blocking: list[str] = []
        if self.config_problems.errors and not lenient:
            raise ConfigError(self.config_problems.errors)

    @classmethod
    def find(
        cls, start: Path | None = None, explicit: Path | str | None = None, *, lenient: bool = False
    ) -> Workspace:
        return cls(find_root(start, explicit), lenient=lenient)

    def rel(self, path: Path) -> str:
        return display_path(path, self.root)

    # -- the clock ----------------------------------------------------------------------
    def now(self) -> datetime:
        """The current moment to the minute, as wall-clock time in the workspace's
        `timezone` (default Asia/Shanghai) whatever the host's clock is set to."""
        from procdoc.clock import now_in

        return now_in(self.config.timezone)

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

    def load_processes(
        self,
    ) -> tuple[dict[str, Process], list[Problem], dict[str, Problem], list[Process]]:
        """(usable processes by id, every problem, the first error of each process left
        out by its id and by its name, the processes left out that could be built)."""
        found: dict[str, Process] = {}
        problems: list[Problem] = []
        broken: dict[str, Problem] = {}
        left_out: list[Process] = []
        names: dict[str, Process] = {}
        templates = self.template_names()
        # procdoc.yaml unparsed: its sequences are unknown, so no step's number is checked
        numbering = list(self.config.numbering) if self.config_read else None
        for path in self.process_files():
            process, probs = load_process(
                path, base=self.root, templates=templates, numbering=numbering, cache=self.cache_dir
            )
            problems.extend(probs)
            if process is None:
                first = next((p for p in probs if p.severity == "error"), None)
                if first is not None:
                    broken[path.stem] = first
                continue
            clash = next(
                (
                    _("process {what} '{key}' is also used by {file}").format(
                        what=what, key=key, file=table[key].file
                    )
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
                left_out.append(process)
                continue
            found[process.id] = process
            names[process.name] = process
        return found, problems, broken, left_out

    @cached_property
    def _processes(
        self,
    ) -> tuple[dict[str, Process], list[Problem], dict[str, Problem], list[Process]]:
        return self.load_processes()

    @property
    def processes(self) -> dict[str, Process]:
        """The usable processes by id. A file with errors is left out (see ``broken``)."""
        return self._processes[0]

    @property
    def broken(self) -> dict[str, Problem]:
        """The first error of each process file left out, by process id and name."""
        return self._processes[2]

    def broken_files(self) -> list[Problem]:
        """The first error of each process file with errors, one per file."""
        seen: dict[str, Problem] = {}
        for problem in self.broken.values():
            key = problem.pos.file if problem.pos else problem.message
            seen.setdefault(key, problem)
        return list(seen.values())

    def note_broken(self) -> None:
        """Every command that reads all registers says which process files have errors
        (their cases cannot be shown) and exits 1 after doing what it could."""
        for problem in self.broken_files():
            message = _(
                "{pos}: {message}: this process's cases are left out until the file is fixed (procdoc validate lists every problem)"
            ).format(pos=problem.pos, message=problem.message)
            if message not in self.blocking:
                self.blocking.append(message)

    def process(self, key: str) -> Process:
        """A process by id or name."""
        from procdoc.errors import ProcessError

        for process in self.processes.values():
            if key in (process.id, process.name):
                return process
        problem = self.broken.get(key)
        if problem is not None:
            raise ProcessError(
                _("process '{key}' has errors: {pos}: {message}").format(
                    key=key, pos=problem.pos, message=problem.message
                ),
                hint=_("fix the file (procdoc validate lists every problem)"),
            )
        known = name_list(aside(p.id, p.name) for p in self.processes.values()) or _("none")
        raise ProcessError(
            _("unknown process '{key}'").format(key=key),
            hint=_("known: {known}").format(known=known),
        )

    # -- calendar ----------------------------------------------------------------------
    @cached_property
    def calendar(self) -> WorkCalendar:
        from procdoc.calendar import WorkCalendar

        return WorkCalendar.load(self.config.calendar, base_dir=self.root, cache=self.cache_dir)

    # -- the ledger --------------------------------------------------------------------------
    @cached_property
    def layout(self) -> Layout:
        """The registers: per process by default; the shared 台账 of a ledger made before
        registers existed when procdoc.yaml has no `registers:` (SPEC §3)."""
        from procdoc.layout import LEGACY_SHEET, Layout

        legacy = not self.config.registers and LEGACY_SHEET in self.ledger_sheets()
        layout = Layout(
            self.processes,
            labels=self.config.labels,
            registers=self.config.registers,
            legacy=legacy,
            extra=self._processes[3],
        )
        clashes = layout.clashes()
        if clashes:  # a case written there would lose its id or a field (SPEC §3)
            reg, label, core, owner = clashes[0]
            raise WorkspaceError(
                _(
                    "register {sheet}: the column {core} and the field {owner} are both labelled '{label}'"
                ).format(sheet=reg.sheet, core=core, owner=owner, label=label),
                hint=_(
                    "give one of them another label (procdoc validate lists every clash); nothing was written"
                ),
            )
        return layout

    def ledger_sheets(self) -> list[str]:
        """The names of the ledger's sheets ([] when there is no ledger yet)."""
        from procdoc.ledger import sheet_names

        return sheet_names(self.config.ledger)

    @cached_property
    def store(self) -> LedgerStore:
        from procdoc.layout import HISTORY_SHEET
        from procdoc.ledger import LedgerStore

        return LedgerStore(
            self.config.ledger,
            state_dir=self.config.state_dir,
            sheets=(*self.layout.sheets(), HISTORY_SHEET),
            backups=self.config.backups,
            timezone=self.config.timezone,
            cache_specs=self.layout.read_specs(history=True),
        )

    def casebook(self, *, history: bool = False, one_history: bool = False) -> Casebook:
        """The cases as they are now (no lock: a reading command). ``history``: 流转记录
        is read with the registers; ``one_history``: the command reads one case's
        history (`show`): when the registers were not in the read cache, its rows are
        picked alone from the sheet's XML (see :mod:`procdoc.ledger.pick`): read whole
        beside the registers, the sheet would take the second core from their parts (at
        100k cases 0.7 s more). A read that found the registers in the read cache reads
        the sheet whole, and keeps it there for the next."""
        snapshot = self.store.read(self.layout.read_specs(history=history))
        return self._casebook(snapshot, pick=one_history and bool(snapshot.parsed))

    def _casebook(self, snapshot: Snapshot, *, pick: bool = False) -> Casebook:
        """The cases of ``snapshot``; ``pick``: a case's 流转记录 rows may be taken alone,
        from the version of the file the snapshot read (a write's book reads it under the
        lock, so the version it writes)."""
        from procdoc.casebook import Casebook

        return Casebook(
            snapshot,
            self.layout,
            self.processes,
            broken=self.broken,
            load_history=self._history_loader(),
            pick_history=self._history_picker(snapshot) if pick else None,
            ledger=self.config.ledger.name,
        )

    def _history_picker(self, snapshot: Snapshot) -> Callable[[str], tuple[Sheet, bool] | None]:
        from procdoc.layout import HISTORY_SHEET

        def pick(case_id: str) -> tuple[Sheet, bool] | None:
            spec = self.layout.read_specs(history=True)[HISTORY_SHEET]
            return self.store.read_rows_holding(HISTORY_SHEET, spec, case_id, snapshot.fingerprint)

        return pick

    def _history_loader(self) -> Callable[[], Sheet | None]:
        from procdoc.layout import HISTORY_SHEET

        def load() -> Sheet | None:
            specs = self.layout.read_specs(history=True)
            return self.store.read({HISTORY_SHEET: specs[HISTORY_SHEET]}).sheets.get(HISTORY_SHEET)

        return load

    def change(self, plan: Callable[[Casebook, Change], T], *, ahead: ReadAhead | None = None) -> T:
        """Run ``plan`` against the ledger under its lock and write what it recorded, all or
        nothing. ``plan`` raising a ProcdocError writes nothing. ``ahead``: what
        :meth:`read_ahead` began (the registers, and 流转记录 for when the write reads it)."""
        # a write picks its case's rows of 流转记录 when the sheet is not in the read
        # cache (it appends below the header and reads one case's history): read whole,
        # it cost the first write after a save from Excel 0.8 s at 100k cases; not when
        # `read_ahead` is reading it whole already (an import)
        run = _Run(self, plan, pick=ahead is None)
        self.store.update(run, read_sheets=self.layout.read_specs(), ahead=ahead)
        return run.result

    def read_ahead(self) -> ReadAhead | None:
        """Begin, in a thread of its own, the reads of a :meth:`change` (see
        :meth:`LedgerStore.read_ahead`): the registers, and 流转记录, which a write reads
        when it appends to it (only then: a cell there that cannot be read stops only the
        writes that need it). For a command with other work to do first. None when the
        registers' layout cannot be worked out: the write reports that where it always did."""
        from procdoc.errors import ProcdocError

        try:
            specs = self.layout.read_specs(history=True)
        except ProcdocError:
            return None
        return self.store.read_ahead(specs)

    def engine(self) -> Engine:
        from procdoc.engine import Engine

        return Engine(self.config, self.processes, self.calendar, field_label=self.field_label)

    def field_label(self, process: Process, fid: str) -> str:
        """A field's label as its register heads it (a register's `columns:` may call a
        field otherwise than its process does: 诉求摘要 for 信访事项); the process's label
        when the register has no such field."""
        labels = self.layout.register_of(process).fields.get(process.id, {})
        return labels.get(fid) or process.fields[fid].label


class _Run(Generic[T]):
    """One planning of a write: the store may run it again when the ledger changed on
    disk meanwhile; ``result`` is what the last run's plan returned."""

    def __init__(self, ws: Workspace, plan: Callable[[Casebook, Change], T], *, pick: bool) -> None:
        self.ws = ws
        self.plan = plan
        self.pick = pick

    def __call__(self, snapshot: Snapshot) -> Batch:
        from procdoc.casebook import Change

        change = Change(self.ws._casebook(snapshot, pick=self.pick))
        self.result = self.plan(change.book, change)
        return change.batch()
