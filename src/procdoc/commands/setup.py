"""Setting up (SPEC §1, §2): `init` writes a workspace, `validate` checks everything it
holds, `graph` draws a process."""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from procdoc.config import CONFIG_NAME, Source
from procdoc.errors import CalendarError, ProcdocError, WorkspaceError
from procdoc.i18n import _, name_list
from procdoc.layout import CORE_LABELS
from procdoc.process.loader import Problem, Problems
from procdoc.process.model import Process
from procdoc.workspace import Workspace
from procdoc.yamlpos import Pos

#: Core columns an export may fill (the rest are procdoc's bookkeeping).
IMPORT_TARGETS = ("title", "opened", "assignee", "ref", "source")


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


def validate(ws: Workspace, *, today: date | None = None) -> ValidationReport:
    """Every check of SPEC §2 over procdoc.yaml (all of its errors, each with its line and
    column), the processes, the registers, sources, people, calendar and templates."""
    report = ValidationReport()
    report.files.append(CONFIG_NAME)
    report.problems.extend(ws.config_problems)
    processes, problems, _graphs, _cases = ws.load_processes()
    report.problems.extend(problems)
    report.files.extend(ws.rel(p) for p in ws.process_files())
    report.processes = sorted(processes)
    if not ws.config.processes.is_dir():
        report.problems.append(
            Problem(
                "error",
                Pos(CONFIG_NAME, 1, 1),
                _("processes folder {processes} does not exist").format(
                    processes=ws.rel(ws.config.processes)
                ),
            )
        )
    checks = Problems(ws.config_doc)
    _check_fields(ws, processes, report.problems)
    _check_sheet_names(ws, processes, report.problems)
    _check_registers(ws, processes, checks)
    _check_sources(ws, processes, checks)
    _check_people(ws, processes, checks)
    _check_numbering(ws, processes, checks)
    report.problems.extend(checks)
    report.problems.extend(_check_calendar(ws, today or ws.now().date()))
    from procdoc.documents.templates import check_templates

    report.problems.extend(check_templates(ws, processes))
    return report


def _check_fields(ws: Workspace, processes: dict[str, Process], out: list[Problem]) -> None:
    types: dict[str, tuple[str, Process]] = {}
    for process in processes.values():
        for fdef in process.fields.values():
            seen = types.get(fdef.label)
            if seen and seen[0] != fdef.type:
                out.append(
                    Problem(
                        "warning",
                        process.pos,
                        _(
                            "{id}: field '{id2}' ({type}) shares the column '{label}' with a {seen} field of {id3} where they share a register"
                        ).format(
                            id=process.id,
                            id2=fdef.id,
                            type=fdef.type,
                            label=fdef.label,
                            seen=seen[0],
                            id3=seen[1].id,
                        ),
                    )
                )
            types.setdefault(fdef.label, (fdef.type, process))
        for step in process.steps:
            if step.number and step.number in ws.config.numbering:
                target = ws.config.numbering[step.number].field
                if target not in process.fields:
                    out.append(
                        Problem(
                            "error",
                            step.pos,
                            _(
                                "step '{id}' takes a number from '{number}', whose field '{target}' is not a field of {id2}"
                            ).format(id=step.id, number=step.number, target=target, id2=process.id),
                        )
                    )


def _check_sheet_names(ws: Workspace, processes: dict[str, Process], out: list[Problem]) -> None:
    """A register named after its process (no `registers: ID: sheet:`) takes the process's
    name as its sheet's: one Excel cannot take (/ : ? * [ ], 32 characters or more) is an
    error at the process's `name:` (procdoc made such a sheet, and LibreOffice renamed it
    Sheet1 on saving: QA)."""
    from procdoc.ledger.cells import sheet_name_problem
    from procdoc.yamlpos import load_file

    for process in processes.values():
        # (`registers: ID: sheet:` names it otherwise, or a ledger of one shared 台账, as
        # made before registers, gives the process no sheet of its own)
        with contextlib.suppress(KeyError, ProcdocError):
            if ws.layout.register_of(process).sheet != process.name:
                continue
        problem = sheet_name_problem(process.name)
        if problem is None:
            continue
        pos: Pos | None = process.pos
        with contextlib.suppress(ProcdocError):
            pos = load_file(process.path, base=ws.root).where(("name",))
        out.append(
            Problem(
                "error",
                pos,
                _(
                    "{problem}: its register's sheet is named after the process; give the process another name, or name the sheet under registers: {id}: sheet: in procdoc.yaml"
                ).format(problem=problem, id=process.id),
            )
        )


def _check_registers(ws: Workspace, processes: dict[str, Process], p: Problems) -> None:
    """SPEC §3: a register's key is a process id (or "*"), its columns name core columns
    or the process's fields, and no two columns of one register share a label."""
    from procdoc.layout import Layout

    for key, spec in ws.config.registers.items():
        if key != "*" and key not in processes:
            if key in ws.broken:
                continue
            p.error(
                ("registers", key),
                _(
                    "registers: '{key}' is not a process id (known: {value}; \"*\" means every other process)"
                ).format(key=key, value=name_list(processes) or _("none")),
                key=True,
            )
            continue
        owners = list(processes.values()) if key == "*" else [processes[key]]
        for column in spec.columns:
            if column in CORE_LABELS or any(column in proc.fields for proc in owners):
                continue
            p.error(
                ("registers", key, "columns", column),
                _(
                    "registers {key}: columns: '{column}' is neither a ledger column ({core_labels}) nor a field of {items}"
                ).format(
                    key=key,
                    column=column,
                    core_labels=name_list(CORE_LABELS),
                    items=name_list(o.id for o in owners),
                ),
                key=True,
            )
    layout = Layout(processes, labels=ws.config.labels, registers=ws.config.registers)
    user_labels = (ws.config_doc.data or {}).get("labels") or {}
    for reg in layout.registers.values():
        for pid, fid, label, given in reg.renamed:
            p.warning(
                ("registers", pid if pid in ws.config.registers else "*", "columns"),
                _(
                    "register {sheet}: columns: gives '{label}' to a core column, so the field {fid} of {pid} is headed '{given}'; name it under columns: to choose"
                ).format(sheet=reg.sheet, label=label, fid=fid, pid=pid, given=given),
            )
    for reg, label, core, owner in layout.clashes():
        pid, _unused, fid = owner.partition(".")
        message = _(
            "register {sheet}: the column {core} and the field {fid} of {pid} are both labelled '{label}'; give one of them another label"
        ).format(sheet=reg.sheet, core=core, fid=fid, pid=pid, label=label)
        if isinstance(user_labels, dict) and core in user_labels:
            p.error(("labels", core), message)
            continue
        found = ws.config.registers.get(pid) or ws.config.registers.get("*")
        if found is not None and (core in found.columns or fid in found.columns):
            p.error(
                ("registers", spec.key, "columns", core if core in spec.columns else fid), message
            )
            continue
        process = processes[pid]
        fdef_pos = process.pos
        p.append(Problem("error", fdef_pos, message))


def _check_sources(ws: Workspace, processes: dict[str, Process], p: Problems) -> None:
    """SPEC §6: every source's targets exist, and every required field of its process is
    mapped; its status steps and match fields exist."""
    by_name = {proc.name: proc for proc in processes.values()}
    for name, source in ws.config.sources.items():
        process = processes.get(source.process) or by_name.get(source.process)
        if process is None:
            if source.process in ws.broken:
                continue
            p.error(
                ("sources", name, "process"),
                _("source '{name}' opens cases in unknown process '{process}'").format(
                    name=name, process=source.process
                ),
            )
            continue
        known = set(process.fields) | set(IMPORT_TARGETS)
        for header, targets in source.columns.items():
            for target in targets:
                if target not in known:
                    p.error(
                        ("sources", name, "columns", header),
                        _(
                            "column '{header}' maps to '{target}', which is neither a field of {id} nor a ledger column an export may fill ({import_targets})"
                        ).format(
                            header=header,
                            target=target,
                            id=process.id,
                            import_targets=name_list(IMPORT_TARGETS),
                        ),
                    )
        mapped = set(source.targets())
        for fdef in process.fields.values():
            if fdef.required and fdef.id not in mapped:
                p.error(
                    ("sources", name, "columns"),
                    _(
                        "source '{name}' does not map the required field {id} ({label}) of {id2}: new cases could not be opened"
                    ).format(name=name, id=fdef.id, label=fdef.label, id2=process.id),
                )
        for value, step in source.status_steps.items():
            if process.find_step(step) is None:
                p.error(
                    ("sources", name, "status_steps", value),
                    _("'{value}' maps to unknown step '{step}' of {id}").format(
                        value=value, step=step, id=process.id
                    ),
                )
        fills = {
            name
            for t in source.targets()
            if t in process.fields
            for name in (t, process.fields[t].label)
        }
        for header in source.values:
            if header not in source.columns and header not in fills:
                p.warning(
                    ("sources", name, "values", header),
                    _(
                        "values: '{header}' is neither a column this source maps nor a field it fills: it changes nothing"
                    ).format(header=header),
                )
        for i, fid in enumerate(source.match):
            if fid not in process.fields:
                p.warning(
                    ("sources", name, "match", i),
                    _(
                        "match: '{fid}' is not a field of {id}: rows of this source are never matched"
                    ).format(fid=fid, id=process.id),
                )
            elif fid not in mapped:
                p.warning(
                    ("sources", name, "match", i),
                    _(
                        "match: '{fid}' is not mapped under columns: of source '{name}': its rows cannot match on it"
                    ).format(fid=fid, name=name),
                )
        _check_start(source, process, name, p)


def _check_start(source: Source, process: Process, name: str, p: Problems) -> None:
    """Deadlines of imported cases count from the mapped `opened` (or the first step's
    `from:` field), never from the moment of import: warn when neither is mapped."""
    mapped = set(source.targets())
    if "opened" in mapped:
        return
    first = process.first_step
    starts = first.deadline.starts if first.deadline else ()
    if any(s in mapped for s in starts):
        return
    p.warning(
        ("sources", name, "columns"),
        _(
            "source '{name}' maps no column to opened (or to a date its first step counts from): imported cases would count their deadlines from the moment of import"
        ).format(name=name),
    )


def _check_numbering(ws: Workspace, processes: dict[str, Process], p: Problems) -> None:
    """A `numbering:` sequence no step takes numbers from gives none, and `check` and
    `report stats` have no 发文字号 of it to look at: said (QA: with the 发文 process file
    removed after `init`, the sequence stayed, unused)."""
    for name in ws.config.numbering:
        if not any(process.takes_numbers(name) for process in processes.values()):
            p.warning(
                ("numbering", name),
                _(
                    "numbering: {name}: no step has number: {name}, so it gives no numbers and check and report stats look at none; add number: {name} to the step that numbers, or remove the sequence"
                ).format(name=name),
                key=True,
            )


def _check_people(ws: Workspace, processes: dict[str, Process], p: Problems) -> None:
    """SPEC §9: with `people:`, warn about a process role nobody holds."""
    if not ws.config.people:
        return
    held = {role for person in ws.config.people.values() for role in person.roles}
    for process in processes.values():
        used = {s.role for s in process.steps if s.role} | {
            r for s in process.steps for r in s.signers
        }
        for role in sorted(used - held):
            p.warning(
                ("people",),
                _(
                    "{id}: role {role} is held by nobody under people:, so its steps cannot be acted on"
                ).format(id=process.id, role=role),
            )
        for role in sorted(set(process.roles) - used - held):  # listed under roles: only
            p.warning(
                ("people",),
                _("{id}: role {role} is held by nobody under people:").format(
                    id=process.id, role=role
                ),
            )


def _check_calendar(ws: Workspace, today: date) -> list[Problem]:
    pos = Pos(CONFIG_NAME, 1, 1)
    try:
        cal = ws.calendar
    except CalendarError as err:
        return [Problem("error", pos, err.message)]
    out = []
    for year in (today.year, today.year + 1):
        if not cal.covers(year):
            out.append(
                Problem(
                    "warning",
                    pos,
                    _(
                        "no holiday calendar for {year}: deadlines in {year} count Monday-Friday; add {year}'s holidays and make-up workdays under calendar: in {config_name}"
                    ).format(year=year, config_name=CONFIG_NAME),
                )
            )
    return out


# -- init ----------------------------------------------------------------------------------


def library_dir() -> Path:
    """The folder holding the shipped `processes/` and `templates/` library: inside the
    installed package, or the repository's own folders in a development checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "library", here.parents[1]):
        if (candidate / "processes").is_dir() and (candidate / "templates").is_dir():
            return candidate
    raise WorkspaceError(
        _("the process library is missing from this installation; reinstall procdoc")
    )


INIT_CONFIG = """\
# procdoc workspace settings. Every key but `name` is optional; see README.md.
name: {name}
ledger: ledger.xlsx
processes: processes
templates: templates
output: out
timezone: Asia/Shanghai   # every moment is recorded in this zone, whatever the host's clock

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

# Each process keeps its cases in a register (a sheet) of its own, named after it.
# registers:
#   shouwen: {{sheet: 收文登记簿, title: "{{year}}年收文登记台账", number_column: 序号}}

# With people: listed, every write names who does it (--by) and a step is acted on by
# the holders of its role.
# people:
#   王敏: {{dept: 办公室, roles: [登记员, 收发员]}}
{numbering}
# Document file names; add {{step}} for one file per step where a template serves
# several steps (a 送达回证 at each step a document is served): "{{id}}-{{template}}-{{step}}.docx"
render_name: "{{id}}-{{template}}.docx"
"""

NUMBERING = """
numbering:
  fawen:
    format: "某办发〔{year}〕{seq}号"
    field: doc_no
"""


def init_workspace(
    folder: Path, *, name: str | None = None, processes: list[str] | None = None
) -> Path:
    """Write a working workspace into ``folder`` (SPEC §1): the library's processes (all,
    or those named) and the templates they use, and a procdoc.yaml that uses them.
    Refuses to overwrite a workspace."""
    from procdoc.process.loader import load_process

    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise WorkspaceError(
            _("{folder} already exists").format(folder=folder / CONFIG_NAME),
            hint=_("init makes new workspaces only"),
        )
    library = library_dir()
    for sub in ("processes", "templates"):
        target = folder / sub
        if target.exists() and any(target.iterdir()):
            raise WorkspaceError(
                _("{target} already exists and is not empty").format(target=target),
                hint=_("choose an empty folder"),
            )
    files = sorted((library / "processes").glob("*.yaml"))
    chosen = files
    if processes:
        loaded = {p.stem: load_process(p)[0] for p in files}
        wanted = [w.strip() for w in processes if w.strip()]
        chosen = []
        for word in wanted:
            match = next(
                (
                    path
                    for path in files
                    if word in (path.stem, getattr(loaded[path.stem], "name", None))
                ),
                None,
            )
            if match is None:
                raise WorkspaceError(
                    _("--processes: the library has no process '{word}'").format(word=word),
                    hint=_("library: {items}").format(items=name_list(p.stem for p in files)),
                )
            chosen.append(match)
        used = {
            doc
            for path in chosen
            if loaded[path.stem] is not None
            for step in loaded[path.stem].steps  # type: ignore[union-attr]
            for doc in step.documents
        }
        templates = [t for t in (library / "templates").glob("*.docx") if t.stem in used]
    else:
        templates = sorted((library / "templates").glob("*.docx"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for sub, paths in (("processes", chosen), ("templates", templates)):
            (folder / sub).mkdir(exist_ok=True)
            for path in paths:
                shutil.copy2(path, folder / sub / path.name)
        numbering = NUMBERING if any(p.stem == "fawen" for p in chosen) else ""
        office = name.strip() if name and name.strip() else "某单位办公室"
        text = INIT_CONFIG.format(name=json.dumps(office, ensure_ascii=False), numbering=numbering)
        (folder / CONFIG_NAME).write_text(text, encoding="utf-8")
        (folder / "out").mkdir(exist_ok=True)
    except OSError as err:
        raise WorkspaceError(
            _("cannot create the workspace in {folder}: {value}").format(
                folder=folder, value=err.strerror or err
            )
        ) from None
    return folder


# -- graph ---------------------------------------------------------------------------------

GraphFormat = Literal["mermaid", "dot", "svg", "png"]


def graph(ws: Workspace, process: str, *, fmt: GraphFormat, case: str | None = None) -> bytes:
    """The process's flowchart, with a case's current step highlighted."""
    from procdoc.process import graph as g

    proc = ws.process(process)
    current = None
    if case:
        found = ws.casebook().case(case)
        if found.process.id != proc.id:
            raise ProcdocError(
                _("case {case} belongs to {id}, not {id2}").format(
                    case=case, id=found.process.id, id2=proc.id
                )
            )
        current = found.step.id if found.step else None
    if fmt == "mermaid":
        return g.to_mermaid(proc, current=current).encode("utf-8")
    dot = g.to_dot(proc, current=current)
    if fmt == "dot":
        return dot.encode("utf-8")
    return g.render_graphviz(dot, fmt)
