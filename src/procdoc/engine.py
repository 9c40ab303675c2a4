"""The rules (SPEC §4, §5, §9): opening, moving, returning, signing, extending, correcting,
handing over, cancelling and withdrawing cases, their deadlines and document numbers.

The engine works on :class:`~procdoc.model.Case` objects from a
:class:`~procdoc.casebook.Casebook` and records what it does in a
:class:`~procdoc.casebook.Change`; it never sees a sheet. Anything it refuses raises a
:class:`~procdoc.errors.CaseError` before anything is written.
"""

from __future__ import annotations

import difflib
import re
import string
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from procdoc.calendar import Due, Duration, WorkCalendar
from procdoc.errors import CalendarError, CaseError, ProcdocWarning, UsageError
from procdoc.i18n import _, aside, kind_word, name_list, pgettext
from procdoc.layout import ACTIONS, ENTRY_ACTIONS, STATUS_WORDS
from procdoc.model import Case, HistoryEntry
from procdoc.process.model import DeadlineRule, Process, Step
from procdoc.values import Unreadable, convert_field, display, read_field, same, shown, text

if TYPE_CHECKING:
    from procdoc.casebook import Casebook, Change
    from procdoc.config import Config, Person

#: Core columns that `--set` may correct (the others are procdoc's bookkeeping).
SETTABLE_CORE = ("title", "assignee", "ref", "source")
#: The actions that move a case, which `withdraw` can take back.
MOVES = frozenset({"advance", "return", "close", "sign"})


#: 意见 of the 转办 row a move writes when it changes the 承办人 (not a 转办 someone chose).
WITH_THE_MOVE = "随环节流转"


@dataclass
class MoveResult:
    case: Case
    action: str  # advance, return, close, sign
    from_step: Step | None
    to_step: Step | None
    awaiting: list[str] = field(default_factory=list)  # countersign: signers still awaited
    signed: list[str] = field(default_factory=list)
    number: str | None = None  # a document number given on entry


@dataclass
class ExtendResult:
    case: Case
    old: Due
    new: Due
    amount: Duration
    late: bool


@dataclass
class Correction:
    """What `set`, `assign`, `cancel` or `withdraw` did to one case."""

    case: Case
    action: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # label, old, new
    awaiting: list[str] = field(default_factory=list)  # withdraw: signers awaited again


@dataclass
class Visit:
    """One stay of a case at a step: when it entered and left, its deadline then."""

    step: Step
    entered: datetime
    left: datetime | None
    due: Due | None
    extended: list[Duration] = field(default_factory=list)
    how: str = "advance"  # how it left: advance, return, close, cancel, withdraw

    def on_time(self, cal: WorkCalendar) -> bool | None:
        """Whether the case left before its deadline passed (None: still there, or no
        deadline)."""
        if self.due is None or self.left is None:
            return None
        return self.left <= cal.due_moment(self.due)


class Engine:
    """The rules of SPEC §4-§5 and §9 applied to cases; one instance per command."""

    def __init__(
        self,
        config: Config,
        processes: Mapping[str, Process],
        calendar: WorkCalendar,
        *,
        field_label: Callable[[Process, str], str] | None = None,
    ) -> None:
        """``field_label``: a field's label as the ledger heads it (its register's), for what
        is said and recorded in 流转记录; the process's label when not given."""
        self.config = config
        self.processes = processes
        self.calendar = calendar
        self.field_label = field_label or (lambda process, fid: process.fields[fid].label)
        self.people: Mapping[str, Person] = config.people

    # -- people ---------------------------------------------------------------------------
    def person(self, name: str | None, option: str = "--by", *, writer: bool = False) -> str | None:
        """``name`` checked against `people:` (when set): a listed person, or a CaseError
        naming the nearest. Without `people:` names are free text. ``writer``: the option
        names who does a write, which `people:` makes required (``--by``, and ``--who``
        of `extend`, whose ``--by`` is the duration)."""
        if name is not None:
            name = name.strip() or None
        if not self.people:
            return name
        if name is None:
            if writer or option == "--by":
                raise CaseError(
                    _("with people: in procdoc.yaml every write names who does it"),
                    hint=_("add {option} NAME (one of the people listed there)").format(
                        option=option
                    ),
                )
            return None
        if name in self.people:
            return name
        near = difflib.get_close_matches(name, list(self.people), n=3, cutoff=0.3)
        raise CaseError(
            _("{option} {name}: no such person under people: in procdoc.yaml").format(
                option=option, name=name
            ),
            hint=_("did you mean {near}?").format(near=name_list(near))
            if near
            else _("known: {people}").format(people=name_list(self.people)),
        )

    def holders(self, role: str | None) -> list[str]:
        """The people holding ``role``."""
        if not role:
            return []
        return [p.name for p in self.people.values() if role in p.roles]

    def _may_act(self, case: Case, step: Step, by: str | None) -> None:
        """A move is made by a holder of the role of the step the case is leaving."""
        if not self.people or not step.role or step.kind == "countersign":
            return
        assert by is not None
        if step.role in self.people[by].roles:
            return
        who = self.holders(step.role)
        raise CaseError(
            _("{by} does not hold the role {role} of step {name}, so cannot move {id}").format(
                by=by, role=step.role, name=step.name, id=case.id
            ),
            hint=_("who may: {who}").format(who=name_list(who))
            if who
            else _("nobody under people: holds {role}; add it to someone's roles").format(
                role=step.role
            ),
        )

    def _signer(self, step: Step, by: str | None, signed: Sequence[str] = ()) -> str | None:
        """The signer role that ``by`` signs for: with `people:`, the first signer role the
        person holds that has not ``signed`` yet (the first they hold when all have);
        without, ``by`` names the role itself, or ``ROLE:NAME``."""
        if not by:
            return None
        who = by.strip()
        if self.people and who in self.people:
            held = [r for r in step.signers if r in self.people[who].roles]
            unsigned = [r for r in held if r not in signed]
            chosen = unsigned or held
            return chosen[0] if chosen else None
        for role in step.signers:
            if who == role or re.match(rf"^{re.escape(role)}\s*[:：/（(]", who):
                return role
        return None

    def _may_hold(self, case: Case, step: Step, person: str) -> None:
        """With `people:`, a case at ``step`` is handed only to a holder of its role: anyone
        else could not move it, and it would leave the desks of those who can."""
        if not self.people or not step.role or step.kind == "countersign":
            return
        if person in self.people and step.role in self.people[person].roles:
            return
        who = self.holders(step.role)
        raise CaseError(
            _(
                "{person} does not hold the role {role} of step {name}, so {id} cannot wait on them there"
            ).format(person=person, role=step.role, name=step.name, id=case.id),
            hint=_("hand it to one who may: {who}").format(who=name_list(who))
            if who
            else _("nobody under people: holds {role}; add it to someone's roles").format(
                role=step.role
            ),
        )

    def _enter_assignee(self, case: Case, step: Step, assign: str | None) -> None:
        """Entering a step sets the assignee: ``--assign`` (with `people:`, a holder of the
        step's role), else the one holder of the step's role (with `people:`; else the case
        keeps its assignee)."""
        if assign:
            self._may_hold(case, step, assign)
            case.assignee = assign
        elif self.people:
            holders = self.holders(step.role)
            case.assignee = holders[0] if len(holders) == 1 else None

    def _record_assignee(
        self, change: Change, before: Case, case: Case, at: datetime, by: str | None
    ) -> None:
        """A move that hands the case to someone else says so in 流转记录 (转办, with the
        old and new 承办人), so `withdraw` can give it back."""
        if (case.assignee or None) != (before.assignee or None):
            change.record(
                case.id, at, "assign", by=by, note=WITH_THE_MOVE,
                subject=self.config.labels["assignee"], old=before.assignee, new=case.assignee,
            )  # fmt: skip

    # -- values -----------------------------------------------------------------------------
    def parse_sets(
        self, process: Process, pairs: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``FIELD=VALUE`` pairs -> (field values by id, core values by id). Fields by id or
        label; the core columns title, assignee, ref and source may be set too."""
        fields: dict[str, Any] = {}
        core: dict[str, Any] = {}
        for pair in pairs:
            if "=" not in pair:  # a value that cannot be read: bad usage (exit 2)
                raise UsageError(
                    _("--set '{pair}' must be FIELD=VALUE").format(pair=pair),
                    hint=_("fields of {id}: {field_list}").format(
                        id=process.name, field_list=_field_list(process)
                    ),
                )
            key, _unused, raw = pair.partition("=")
            key = key.strip()
            fdef = process.fields.get(key) or process.field_by_label(key)
            if fdef is None:  # the label the register heads it with
                fdef = next(
                    (f for f in process.fields.values() if self.field_label(process, f.id) == key),
                    None,
                )
            if fdef is None:
                core_key = next(
                    (k for k, label in self.config.labels.items() if key in (k, label)), None
                )
                if core_key in SETTABLE_CORE:
                    if core_key in core:
                        raise UsageError(
                            _("--set {key}: {id} is given twice; give it once").format(
                                key=key, id=core_key
                            )
                        )
                    core[core_key] = raw.strip() or None
                    continue
                near = difflib.get_close_matches(
                    key,
                    [*process.fields, *(f.label for f in process.fields.values()), *SETTABLE_CORE],
                    n=3,
                    cutoff=0.6,
                )
                raise CaseError(
                    _("--set {key}: {id} has no field '{key}'").format(key=key, id=process.name),
                    hint=_("did you mean {near}?").format(near=name_list(near))
                    if near  # (a misspelt field: not the list of every field, 600 characters)
                    else _("fields: {field_list}; also {settable_core}").format(
                        field_list=_field_list(process), settable_core=name_list(SETTABLE_CORE)
                    ),
                )
            if fdef.id in fields:  # (the last one silently won: QA)
                raise UsageError(
                    _("--set {key}: {id} is given twice; give it once").format(key=key, id=fdef.id)
                )
            try:
                fields[fdef.id] = convert_field(fdef, raw)
            except ValueError as err:
                raise CaseError(
                    _("--set {key}: field {id} ({label}, {type}) {err}").format(
                        key=key, id=fdef.id, label=fdef.label, type=kind_word(fdef.type), err=err
                    )
                ) from err
        if "assignee" in core:
            core["assignee"] = self.person(core["assignee"], "--set assignee")
        return fields, core

    # -- deadlines --------------------------------------------------------------------------
    def due(
        self,
        case: Case,
        rule: DeadlineRule | None,
        at: datetime,
        *,
        entries: Mapping[str, datetime],
        extensions: Sequence[Duration] = (),
        what: str,
    ) -> Due | None:
        """The deadline of ``rule`` for a case that entered the step at ``at``: counted
        from ``at``, or from the first of the rule's starts that has a moment (a date
        field holding a date, a step the case has entered), extended by ``extensions``."""
        if rule is None:
            return None
        base: date | datetime | None = at if not rule.starts else None
        for start in rule.starts:
            if start in case.process.fields:
                value = case.fields.get(start)
                if isinstance(value, date):
                    base = value
                    break
            elif case.process.find_step(start) is not None:
                base = entries.get(start, at)
                break
        if base is None:
            names = name_list(rule.starts)
            warnings.warn(
                _(
                    "{id}: {what} counts its deadline from {names}, which is empty: no deadline set"
                ).format(id=case.id, what=what, names=names),
                ProcdocWarning,
                stacklevel=3,
            )
            return None
        return self.calendar.due(base, rule.duration, *extensions)

    def step_due(
        self,
        case: Case,
        step: Step,
        at: datetime,
        *,
        entries: Mapping[str, datetime],
        extensions: Sequence[Duration] = (),
    ) -> Due | None:
        return self.due(
            case,
            step.deadline,
            at,
            entries=entries,
            extensions=extensions,
            what=_("step {id}").format(id=step.id),
        )

    def _case_due(
        self, case: Case, at: datetime, entries: Mapping[str, datetime], entering: Step
    ) -> None:
        """The process deadline (`deadline:` at the top of a process file), set once: when
        the case enters the step it counts from, or at once when it counts from a field
        or from nothing."""
        rule = case.process.deadline
        if rule is None or case.case_due is not None:
            return
        if entering.id not in rule.starts and self._not_counted_yet(case, entries):
            return
        case.case_due = self.due(case, rule, at, entries=entries, what=_("the process"))

    @staticmethod
    def _not_counted_yet(case: Case, entries: Mapping[str, datetime]) -> bool:
        """Whether the process deadline cannot be counted yet with the steps entered as in
        ``entries``: it counts from a step the case has not entered (and from no field
        holding a date)."""
        rule = case.process.deadline
        if rule is None:
            return True
        steps = [s for s in rule.starts if case.process.find_step(s) is not None]
        if not steps or any(s in entries for s in steps):
            return False
        return not any(isinstance(case.fields.get(s), date) for s in rule.starts if s not in steps)

    # -- ids and numbers --------------------------------------------------------------------
    def next_id(self, process: Process, book: Casebook, at: datetime) -> str:
        """The next id from the process's ``case_id`` pattern; the sequence counts per
        process (per year when the pattern holds {year}), and an id in use by any case of
        any register, or named in 流转记录 (a case whose row was deleted by hand keeps its
        history there), is never given."""
        pattern = process.case_id
        key = (process.id, at.year if "{year" in pattern else 0)
        seq = book.sequences.get(key)
        if seq is None:
            regex = pattern_regex(pattern, at.year)
            seq = 0
            for cid in (*book.ids(), *book.gone_ids()):
                m = regex.match(cid) if type(cid) is str else None
                if m:
                    seq = max(seq, int(m.group("seq")))
        while True:
            seq += 1
            cid = pattern.format(year=at.year, seq=seq)
            if not book.has(cid):
                book.sequences[key] = seq
                return cid

    def _number(
        self, case: Case, step: Step, book: Casebook, change: Change, at: datetime, by: str | None
    ) -> str | None:
        """The next number of the step's sequence for a case entering it with its field
        still empty; numbers once given (also to cancelled cases) are never given again."""
        if not step.number or step.number not in self.config.numbering:
            return None
        seq_def = self.config.numbering[step.number]
        if case.fields.get(seq_def.field):
            return None  # a case that comes back keeps its own number
        if seq_def.field not in case.process.fields:
            return None
        regex = pattern_regex(seq_def.format, at.year)
        used = seq_def.start - 1
        values: list[Any] = []
        for process in self.processes.values():  # (as check reads them: reports.numbers)
            if seq_def.field in process.fields and process.takes_numbers(step.number):
                values += book.column_values(process, seq_def.field)
        values += [n for n in book.given_numbers(step.number)]
        values += change.pending_numbers(step.number)
        for value in values:
            m = regex.match(str(value or ""))
            if m:
                used = max(used, int(m.group("seq")))
        number = seq_def.format.format(year=at.year, seq=used + 1)
        case.fields[seq_def.field] = number
        change.record(case.id, at, "number", from_step=step, by=by, subject=step.number, new=number)
        return number

    # -- history checks ----------------------------------------------------------------------
    def _history(self, book: Casebook, change: Change, case: Case) -> list[HistoryEntry]:
        """The case's history with the rows this change has recorded so far, their steps
        by id (as the casebook reads them back; the change holds the ledger's names)."""
        process = case.process

        def step_id(text: str | None) -> str | None:
            found = process.find_step(text) if text else None
            return found.id if found else text

        pending = [
            replace(h, from_step=step_id(h.from_step), to_step=step_id(h.to_step))
            for h in change.pending_history(case.id)
        ]
        return [*book.history(case), *pending]

    @staticmethod
    def _not_before(case: Case, history: Sequence[HistoryEntry], at: datetime) -> None:
        """History stays in time order: a moment earlier than the case's last event is
        refused, naming that event (SPEC §4)."""
        last = max((h for h in history if h.at is not None), key=lambda h: h.at or at, default=None)
        if last is not None and last.at is not None and at < last.at:
            raise CaseError(
                _(
                    "{id}: --at {format_moment} is earlier than its last recorded event ({get} at {format_moment2})"
                ).format(
                    id=case.id,
                    format_moment=display(at),
                    get=ACTIONS.get(last.action, last.action),
                    format_moment2=display(last.at),
                ),
                hint=_("give a moment at or after it; history stays in time order"),
            )

    # -- commands ------------------------------------------------------------------------------
    def new(
        self,
        book: Casebook,
        change: Change,
        process: Process,
        *,
        title: str,
        sets: Sequence[str] = (),
        by: str | None,
        at: datetime,
        assign: str | None = None,
        source: str | None = None,
        ref: str | None = None,
        values: Mapping[str, Any] | None = None,
        step: Step | None = None,
        note: str | None = None,
        action: str = "new",
    ) -> Case:
        if action == "new":
            by = self.person(by)
        assign = self.person(assign, "--assign")
        fields, core = self.parse_sets(process, sets)
        if values:
            fields = {**values, **fields}
        missing = [
            aside(f.id, f.label)
            for f in process.fields.values()
            if f.required and fields.get(f.id) is None
        ]
        if missing:
            raise CaseError(
                _("{id}: required field(s) missing: {missing}").format(
                    id=process.name, missing=name_list(missing)
                ),
                hint=_("give them with --set FIELD=VALUE"),
            )
        title = core.pop("title", None) or title
        if not title or not title.strip():
            raise CaseError(_("a case needs a title"), hint=_("--title TEXT"))
        first = step or process.first_step
        case = Case(
            id=self.next_id(process, book, at),
            process=process,
            step=first,
            title=title.strip(),
            opened=at,
            entered=at,
            updated=at,
            source=core.get("source", source),
            ref=core.get("ref", ref),
            assignee=core.get("assignee"),
            fields={fid: fields.get(fid) for fid in process.fields},
        )
        self._enter_assignee(case, first, assign)
        entries = {first.id: at}
        case.due = self.step_due(case, first, at, entries=entries)
        self._case_due(case, at, entries, first)
        book.pending[case.id] = case
        change.record(case.id, at, action, to_step=first, by=by, note=note)
        self._number(case, first, book, change, at, by)
        if first.final:
            case.status, case.closed, case.due = "closed", at, None
        change.add_case(case)
        return case

    def allowed_moves(self, case: Case) -> list[tuple[Step, str]]:
        """(step, how) for every move open now: how is 'next' or 'back'."""
        assert case.step is not None
        out: list[tuple[Step, str]] = []
        held_before = False
        for branch in case.step.next:
            if branch.when is not None:
                ok = branch.when.evaluate(case.fields)
                held_before = held_before or ok
            else:
                ok = not held_before
            if ok:
                out.append((case.process.step(branch.to), "next"))
        out.extend((case.process.step(t), "back") for t in case.step.back)
        return out

    def _open_case(self, book: Casebook, case: Case, doing: str) -> Step:
        if case.status != "open":
            when = _(" on {date:%Y-%m-%d}").format(date=case.closed) if case.closed else ""
            state = _("closed") if case.status == "closed" else _("cancelled")
            raise CaseError(
                _(
                    "case {id} is {state} ({status_words}{when}); a {state} case cannot be {doing}"
                ).format(
                    id=case.id,
                    state=state,
                    status_words=STATUS_WORDS[case.status],
                    when=when,
                    doing=doing,
                )
            )
        if case.step is None:
            raise CaseError(
                _(
                    "case {id} is at an unknown step ('{step_text}'); fix its {labels} cell ({cell})"
                ).format(
                    id=case.id,
                    step_text=case.step_text,
                    labels=self.config.labels["step"],
                    cell=book.cell_of(case, "step"),  # as check names it: sheet!C3
                ),
                hint=_("steps of {id}: {items}").format(
                    id=case.process.name, items=name_list(s.name for s in case.process.steps)
                ),
            )
        return case.step

    def advance(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        to: str,
        by: str | None,
        note: str | None,
        at: datetime,
        sets: Sequence[str] = (),
        assign: str | None = None,
    ) -> MoveResult:
        case = book.case(case_id)
        before = case.copy()
        process = case.process
        by = self.person(by)
        assign = self.person(assign, "--assign")
        current = self._open_case(book, case, _("moved"))
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        target = process.find_step(to)
        if target is None:
            raise CaseError(
                _("{id}: {id2} has no step '{to}'").format(id=case.id, id2=process.name, to=to),
                hint=_("allowed from {name}: {allowed_text}").format(
                    name=current.name, allowed_text=self._allowed_text(case)
                ),
            )
        fields, core = self.parse_sets(process, sets)
        case.fields.update(fields)
        case.unread -= set(fields)  # a value given now is read
        for key, value in core.items():
            setattr(case, key, value)
        if target.id not in current.back:  # (a return tests no condition)
            self._conditions_readable(book, case, current)
        moves = self.allowed_moves(case)
        how = next((h for s, h in moves if s.id == target.id), None)
        if how is None:
            raise CaseError(
                self._refusal(case, target),
                hint=_("allowed now: {allowed_text}").format(allowed_text=self._allowed_text(case)),
            )
        self._may_act(case, current, by)
        result = MoveResult(
            case=case,
            action="return" if how == "back" else "advance",
            from_step=current,
            to_step=target,
        )
        self._record_sets(change, before, case, at, by, current)
        if current.kind == "countersign" and how == "next":
            signed = self._signed(case, history)
            signer = self._signer(current, by, signed)
            if signer is None and by is not None and self.people:
                raise CaseError(
                    _("{by} holds none of the signer roles of {name} ({signers})").format(
                        by=by, name=current.name, signers=name_list(current.signers)
                    ),
                    hint=_("who may sign: {value}").format(
                        value=name_list(
                            sorted({n for r in current.signers for n in self.holders(r)})
                        )
                        or "nobody listed"
                    ),
                )
            if signer is not None and signer in signed:  # (nothing to write: refused)
                raise CaseError(
                    _("{id}: {signer} has already signed at {name}; awaiting {awaited}").format(
                        id=case.id,
                        signer=signer,
                        name=current.name,
                        awaited=name_list(s for s in current.signers if s not in signed),
                    ),
                    hint=_("each signer role signs once"),
                )
            if signer is not None:
                signed.append(signer)
                change.record(
                    case.id, at, "sign", from_step=current, by=by, note=note, subject=signer
                )
                result.signed = list(signed)
            done = (
                bool(signed) if current.mode == "any" else all(s in signed for s in current.signers)
            )
            if not done:
                awaited = [s for s in current.signers if s not in signed]
                if signer is None:
                    raise CaseError(
                        _("{id} is at countersign step {name}: awaiting {awaited}").format(
                            id=case.id, name=current.name, awaited=name_list(awaited)
                        ),
                        hint=_("each signer signs with --by ROLE (or --by ROLE:NAME)")
                        if not self.people
                        else _("each signer signs with --by NAME"),
                    )
                result.action = "sign"
                result.awaiting = awaited
                case.updated = at
                change.update_case(before, case)
                return result
        entries = _entries(history, process)
        entries[current.id] = case.entered or at
        entries[target.id] = at
        old_due = case.due
        case.step = target
        case.entered = at
        case.updated = at
        self._enter_assignee(case, target, assign)
        case.due = self.step_due(case, target, at, entries=entries)
        self._case_due(case, at, entries, target)
        change.record(
            case.id,
            at,
            result.action,
            from_step=current,
            to_step=target,
            by=by,
            note=note,
            old=old_due,
            new=case.due,
        )
        self._record_assignee(change, before, case, at, by)
        result.number = self._number(case, target, book, change, at, by)
        if target.final:
            case.status = "closed"
            case.closed = at
            case.due = None
            change.record(case.id, at, "close", from_step=target, by=by)
            result.action = "close"
        change.update_case(before, case)
        return result

    def import_move(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        to: Step,
        at: datetime,
        by: str | None,
        note: str | None = None,
    ) -> MoveResult:
        """An OA export says the case has moved on (SPEC §6): it enters ``to`` as `advance`
        enters a step (entered, due, assignee, number; a final step closes it), recorded
        as an import. ``to`` must lie ahead: reachable from the current step by `next`
        moves, any number of them, whatever their `when` (the OA system has decided)."""
        case = book.case(case_id)
        before = case.copy()
        current = self._open_case(book, case, _("moved"))
        if to.id not in forward_steps(case.process, current):
            raise CaseError(
                _("{id}: {name} is not ahead of {name2} (no `next` moves lead there)").format(
                    id=case.id, name=to.name, name2=current.name
                )
            )
        at = max(at, case.entered or at)  # never entered before it entered the step it leaves
        history = self._history(book, change, case)
        entries = _entries(history, case.process)
        entries[current.id] = case.entered or at
        entries[to.id] = at
        old_due = case.due
        case.step, case.entered, case.updated = to, at, at
        self._enter_assignee(case, to, None)
        case.due = self.step_due(case, to, at, entries=entries)
        self._case_due(case, at, entries, to)
        change.record(
            case.id, at, "import", from_step=current, to_step=to, by=by, note=note,
            old=old_due, new=case.due,
        )  # fmt: skip
        self._record_assignee(change, before, case, at, by)
        result = MoveResult(case=case, action="import", from_step=current, to_step=to)
        result.number = self._number(case, to, book, change, at, by)
        if to.final:
            case.status, case.closed, case.due = "closed", at, None
            change.record(case.id, at, "close", from_step=to, by=by)
            result.action = "close"
        change.update_case(before, case)
        return result

    def _record_sets(
        self,
        change: Change,
        before: Case,
        after: Case,
        at: datetime,
        by: str | None,
        step: Step | None,
    ) -> list[tuple[str, Any, Any]]:
        """One `set` row per corrected value (its label, old and new value)."""
        out = corrections(before, after, self.config.labels, self.field_label)
        for label, old, new in out:
            change.record(
                after.id,
                at,
                "set",
                from_step=step,
                to_step=step,
                by=by,
                subject=label,
                old=old,
                new=new,
            )
        return out

    def extend(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        amount: str,
        reason: str,
        who: str | None,
        at: datetime,
        late: bool = False,
    ) -> ExtendResult:
        case = book.case(case_id)
        before = case.copy()
        who = self.person(who, "--who", writer=True)
        step = self._open_case(book, case, _("extended"))
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        if case.due is None:
            raise CaseError(
                _("case {id} has no deadline at its current step to extend").format(id=case.id)
            )
        if not reason or not reason.strip():
            raise CaseError(
                _("an extension needs a reason"),
                hint=_("--reason TEXT (it is recorded and told to the petitioner)"),
            )
        try:
            duration = Duration.parse(amount)
        except CalendarError as err:
            raise CaseError(_("--by: {message}").format(message=err.message)) from err
        if duration.amount == 0:
            raise CaseError(
                _(
                    "--by {duration}: an extension of nothing; give how much longer (5d, 3wd, 24h)"
                ).format(duration=duration.shown())
            )
        if duration.unit == "h" and not isinstance(case.due, datetime):
            # a day's deadline ends with the day: hours counted from its start made the
            # "extension" end the deadline at 03:00 of that day (QA)
            raise CaseError(
                _(
                    "--by {duration}: {id}'s deadline {due} is a day, which hours cannot extend; extend it by days (1d, 1wd)"
                ).format(duration=duration.shown(), id=case.id, due=case.due)
            )
        if step.extend is None:
            raise CaseError(
                _(
                    "step {name} of {id} may not be extended (no `extend:` in its definition)"
                ).format(name=step.name, id=case.process.name)
            )
        used = self.extensions(case, history)
        total_hours = sum(_hours(d) for d in used) + _hours(duration)
        if total_hours > _hours(step.extend):
            already = " + ".join(d.shown() for d in used)
            raise CaseError(
                _(
                    "cannot extend {id} by {duration}: step {name} may be extended by at most {extend}"
                ).format(
                    id=case.id,
                    duration=duration.shown(),
                    name=step.name,
                    extend=step.extend.shown(),
                )
                + (
                    _(" in all, and {already} was already granted").format(already=already)
                    if used
                    else ""
                ),
            )
        old = case.due
        passed = at >= self.calendar.due_moment(old)
        if passed and not late:
            raise CaseError(
                _(
                    "{id}: the deadline {format_due} of {name} has passed; an extension is granted before it passes"
                ).format(id=case.id, format_due=display(old), name=step.name),
                hint=_("if it was approved late, say so with --late (it is recorded as such)"),
            )
        entries = _entries(history, case.process)
        entries.setdefault(step.id, case.entered or at)
        first = self.step_due(
            case, step, case.entered or at, entries=entries, extensions=[*used, duration]
        )
        new_due = first if first is not None else self.calendar.due(old, duration)
        case.due = new_due
        rule = case.process.deadline
        if case.case_due is not None and rule is not None and rule == step.deadline:
            # the 办结期限 is this step's rule (信访 办理: 60日 from 受理): extended with it,
            # counted from where it was first counted (after a 退回 the step's own deadline
            # counts from the step's latest entry, the 办结期限 from its first)
            counted = self.due(
                case, rule, at, entries=_entries(history, case.process, first=True),
                extensions=[*used, duration], what=_("the process"),
            )  # fmt: skip
            case.case_due = counted if counted is not None else new_due
        elif case.case_due is not None and case.case_due == old:
            case.case_due = new_due
        case.updated = at
        change.record(
            case.id,
            at,
            "extend",
            from_step=step,
            to_step=step,
            by=who,
            note=reason.strip() + ("（逾期后批准）" if passed else ""),
            subject=duration.label_cn(),
            old=old,
            new=new_due,
        )
        change.update_case(before, case)
        return ExtendResult(case, old, new_due, duration, passed)

    def set_fields(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        sets: Sequence[str],
        by: str | None,
        note: str | None,
        at: datetime,
    ) -> Correction:
        """Correct a case's data without moving it: one history row per value."""
        case = book.case(case_id)
        before = case.copy()
        by = self.person(by)
        if not sets:
            raise CaseError(_("nothing to set"), hint=_("--set FIELD=VALUE (repeatable)"))
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        fields, core = self.parse_sets(case.process, sets)
        emptied = [
            aside(f.id, f.label)
            for f in case.process.fields.values()
            if f.required and f.id in fields and fields[f.id] is None
        ]
        if "title" in core and not (core["title"] or "").strip():
            emptied.insert(0, f"title ({self.config.labels['title']})")
        if emptied and case.status == "open":  # as `new` refuses a case without them
            raise CaseError(
                _("{id}: {fields} cannot be emptied while the case is open").format(
                    id=case.id, fields=name_list(emptied)
                ),
                hint=_("give a value with --set FIELD=VALUE; nothing was written"),
            )
        case.fields.update(fields)
        for key, value in core.items():
            setattr(case, key, value)
        self._recount(case, before, history, at)
        done = corrections(before, case, self.config.labels, self.field_label)
        if not done:
            return Correction(case, "set")
        for key in ("due", "case_due"):  # counted again from a corrected date: said too
            old_due, new_due = getattr(before, key), getattr(case, key)
            if not same(old_due, new_due):
                done.append((self.config.labels[key], old_due, new_due))
        case.updated = at
        for label, old, new in done:
            change.record(
                case.id,
                at,
                "set",
                from_step=case.step,
                to_step=case.step,
                by=by,
                note=note,
                subject=label,
                old=old,
                new=new,
            )
        change.update_case(before, case)
        return Correction(case, "set", done)

    def counted_due(self, case: Case, history: Sequence[HistoryEntry]) -> Due | None:
        """The open case's step deadline as this engine's calendar counts it, from the
        moment it entered the step (or the date its rule counts from), with the extensions
        granted there; None when it has none to count, or its 环节开始 cannot be read."""
        step = case.step
        if case.status != "open" or step is None or step.deadline is None:
            return None
        at = case.entered
        if at is None or "entered" in case.unread:
            return None
        entries = _entries(history, case.process)
        entries.setdefault(step.id, at)
        with warnings.catch_warnings():  # (a year still without holidays: said elsewhere)
            warnings.simplefilter("ignore", ProcdocWarning)
            return self.step_due(
                case, step, at, entries=entries, extensions=self.extensions(case, history)
            )

    def _recount(
        self, case: Case, before: Case, history: Sequence[HistoryEntry], at: datetime
    ) -> None:
        """Count again the open case's running deadlines that count from a date field the
        correction changed (受理审查 `from: [received, register]` after 收到日期 is set
        right): the step's, with the extensions granted at it, and the process's 办结期限
        when it counts from that field. A deadline that counts from a step, or from
        nothing, stays as it was first counted."""
        changed = {f for f, v in case.fields.items() if before.fields.get(f) != v}
        step = case.step
        if not changed or case.status != "open" or step is None:
            return
        entries = _entries(history, case.process)
        entries.setdefault(step.id, case.entered or at)
        rule = step.deadline
        if rule is not None and changed & set(rule.starts) and case.due is not None:
            due = self.step_due(
                case,
                step,
                case.entered or at,
                entries=entries,
                extensions=self.extensions(case, history),
            )
            if due is not None:
                if case.case_due is not None and case.case_due == case.due:
                    case.case_due = due  # (信访 办理: the 办结期限 moves with it)
                case.due = due
        rule = case.process.deadline
        if rule is not None and changed & set(rule.starts) and case.case_due is not None:
            case_due = self.due(case, rule, at, entries=entries, what=_("the process"))
            if case_due is not None:
                case.case_due = case_due

    def assign(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        person: str,
        *,
        by: str | None,
        note: str | None,
        at: datetime,
    ) -> Correction:
        """转办: hand the case to another person."""
        case = book.case(case_id)
        before = case.copy()
        by = self.person(by)
        if not person or not person.strip():
            raise CaseError(
                _("assign needs the person to hand the case to"), hint=_("procdoc assign CASE NAME")
            )
        target = self.person(person, "assign")
        step = self._open_case(book, case, _("handed over"))
        if target is not None:
            self._may_hold(case, step, target)
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        if target == case.assignee:
            raise CaseError(_("{id} is already with {target}").format(id=case.id, target=target))
        case.assignee = target
        case.updated = at
        label = self.config.labels["assignee"]
        change.record(
            case.id,
            at,
            "assign",
            from_step=case.step,
            to_step=case.step,
            by=by,
            note=note,
            subject=label,
            old=before.assignee,
            new=target,
        )
        change.update_case(before, case)
        return Correction(case, "assign", [(label, before.assignee, target)])

    def cancel(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        reason: str,
        by: str | None,
        at: datetime,
    ) -> Correction:
        """撤销: close the case as cancelled; its row, history and numbers stay."""
        case = book.case(case_id)
        before = case.copy()
        by = self.person(by)
        step = self._open_case(book, case, pgettext("a case cannot be", "cancelled"))
        if not reason or not reason.strip():
            raise CaseError(_("a cancellation needs a reason"), hint=_("--reason TEXT"))
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        case.status = "cancelled"
        case.closed = at
        case.due = None
        case.updated = at
        label = self.config.labels["status"]
        change.record(
            case.id,
            at,
            "cancel",
            from_step=step,
            by=by,
            note=reason.strip(),
            subject=label,
            old=STATUS_WORDS["open"],
            new=STATUS_WORDS["cancelled"],
        )
        change.update_case(before, case)
        return Correction(
            case, "cancel", [(label, STATUS_WORDS["open"], STATUS_WORDS["cancelled"])]
        )

    def withdraw(
        self,
        book: Casebook,
        change: Change,
        case_id: str,
        *,
        by: str | None,
        at: datetime,
    ) -> Correction:
        """撤回: take back the last move the same person made, while nothing else has
        happened to the case since. A countersign signature is taken back alone; the move
        a countersign's last signature made is taken back with that signature, and the
        other signers' signatures stay in force."""
        case = book.case(case_id)
        before = case.copy()
        by = self.person(by)
        history = self._history(book, change, case)
        self._not_before(case, history, at)
        group = _last_command(history)
        moves = [h for h in group if h.action in _MOVES]
        move = moves[-1] if moves else None  # (a countersign's last signature, then its move)
        if move is None:
            last = history[-1] if history else None
            raise CaseError(
                _("{id}: its last event is not a move").format(id=case.id)
                + (
                    _(" ({get} at {format_moment})").format(
                        get=ACTIONS.get(last.action, last.action),
                        format_moment=display(last.at),
                    )
                    if last and last.at
                    else ""
                ),
                hint=_(
                    "withdraw takes back only the last move, while nothing else has happened since"
                ),
            )
        if (move.by or None) != (by or None):
            if not by:  # the move names who made it: withdraw must be told who withdraws
                raise CaseError(
                    _(
                        "{id}: the last move was made by {value}: say who withdraws it with --by"
                    ).format(id=case.id, value=move.by),
                    hint=_("only they can withdraw it: add --by {value}").format(value=move.by),
                )
            raise CaseError(
                (
                    _(
                        "{id}: the last move was made by {value}, not {value2}; only they can withdraw it"
                    )
                    if move.by
                    else _(
                        "{id}: the last move was recorded without a name (no --by), not by {value2}; withdraw it without --by"
                    )
                ).format(id=case.id, value=move.by, value2=by),
                hint=_("a signature is withdrawn as it was given: --by {value}").format(
                    value=move.by
                )
                if move.by and move.by.rpartition(":")[2] == by
                else _(
                    "withdraw takes back your own last move while nothing else has happened since"
                ),
            )
        process = case.process
        if move.action == "sign":
            step = self._open_case(book, case, _("withdrawn"))
            self._put_back(case, group)
            role = self._unsign(change, case, step, move, at, by)
            case.updated = at
            change.update_case(before, case)
            return Correction(
                case,
                "withdraw",
                [("会签", role, None)],
                awaiting=self._awaiting(case, self._history(book, change, case)),
            )
        origin = process.find_step(move.from_step or "")
        if origin is None:
            raise CaseError(
                _("{id}: the step it came from ('{from_step}') is unknown").format(
                    id=case.id, from_step=move.from_step
                )
            )
        left = process.find_step(move.to_step or "")
        if case.step is None or left is None or case.step.id != left.id:
            # the 当前环节 was changed by hand since: putting the case back would undo that
            raise CaseError(
                _(
                    "{id} is at {here}, not at {to} where its last move left it: the cell was changed since, and withdrawing would overwrite it"
                ).format(
                    id=case.id,
                    here=case.step_name or "?",
                    to=left.name if left else move.to_step,
                ),
                hint=_(
                    "move the case with procdoc advance, or put the cell back; nothing was written"
                ),
            )
        earlier = history[: history.index(group[0])]
        entries = _entries(earlier, process)
        entered = entries.get(origin.id) or case.opened
        came = next(
            (h for h in reversed(standing(earlier)) if h.to_step == origin.id and _enters(h)), None
        )
        if came is not None and came.action == "adopt" and case.opened is not None:
            entered = case.opened  # adopt counts a stay from the register's own date
        self._put_back(case, group)
        case.step = origin
        case.entered = entered
        case.status = "open"
        case.closed = None
        case.due = (
            _as_due_value(move.old)
            if move.old is not None
            else self.step_due(
                case,
                origin,
                entered or at,
                entries=entries,
                extensions=self.extensions(case, earlier),
            )
        )
        rule = process.deadline
        if rule is not None and case.case_due is not None and self._not_counted_yet(case, entries):
            # the move entered the step the 办结期限 counts from, and counted it: it goes
            # with the move (unless the cell was changed since: then it is the office's)
            moved = {**entries, left.id: move.at or at}
            counted = self.due(case, rule, move.at or at, entries=moved, what=_("the process"))
            if counted == case.case_due:
                case.case_due = None
        case.updated = at
        change.record(
            case.id,
            at,
            "withdraw",
            from_step=process.find_step(move.to_step or ""),
            to_step=origin,
            by=by,
            subject=ACTIONS[move.action],
        )
        changes: list[tuple[str, Any, Any]] = [
            (self.config.labels["step"], move.to_step, origin.name)
        ]
        awaiting: list[str] = []
        signature = next((h for h in group if h.action == "sign" and h is not move), None)
        if signature is not None:  # the signature that completed a countersign goes too;
            role = self._unsign(change, case, origin, signature, at, by)  # the others stay
            changes.append(("会签", role, None))
            awaiting = self._awaiting(case, self._history(book, change, case))
        change.update_case(before, case)
        return Correction(case, "withdraw", changes, awaiting=awaiting)

    def _put_back(self, case: Case, group: Sequence[HistoryEntry]) -> None:
        """The values corrected with a withdrawn command, and its 承办人, as they were."""
        for h in group:
            if h.action in ("set", "assign") and h.subject == self.config.labels["assignee"]:
                case.assignee = h.old
            elif h.action == "set" and h.subject:
                fdef = case.process.field_by_label(h.subject)
                if fdef is not None:
                    case.fields[fdef.id] = _typed(fdef.type, h.old)

    def _unsign(
        self,
        change: Change,
        case: Case,
        step: Step,
        sign: HistoryEntry,
        at: datetime,
        by: str | None,
    ) -> str | None:
        """Record that the signature ``sign`` at the countersign ``step`` is taken back
        (one `withdraw` row naming the signer role, which :meth:`_signed` reads); the
        other signers' signatures stay."""
        role = sign.subject or self._signer(step, sign.by)
        change.record(
            case.id, at, "withdraw", from_step=step, to_step=step, by=by, subject=role,
            note=f"撤回会签：{role}",
        )  # fmt: skip
        return role

    def _awaiting(self, case: Case, history: Sequence[HistoryEntry]) -> list[str]:
        """The signer roles a case at a countersign step still waits for."""
        step = case.step
        if step is None or step.kind != "countersign":
            return []
        signed = self._signed(case, history)
        return [s for s in step.signers if s not in signed]

    # -- history read back -------------------------------------------------------------------
    def extensions(self, case: Case, history: Sequence[HistoryEntry]) -> list[Duration]:
        """The extensions granted since the case last entered its current step."""
        out = []
        for entry in since_entry(case, history):
            if entry.action == "extend" and entry.subject:
                try:
                    out.append(Duration.parse(entry.subject))
                except CalendarError:
                    warnings.warn(
                        _(
                            "{id}: 流转记录 row {row}: '{subject}' is not a duration (项目 of an extension)"
                        ).format(id=case.id, row=entry.row, subject=entry.subject),
                        ProcdocWarning,
                        stacklevel=2,
                    )
        return out

    def _signed(self, case: Case, history: Sequence[HistoryEntry]) -> list[str]:
        """The signer roles that have signed since the case entered its countersign step
        (a withdrawn move did not leave it: see :func:`since_entry`), less the signatures
        taken back. Withdrawing the move a signature completed takes back that signature,
        the row just before the move (also in a ledger written before the withdrawal said
        so in a row of its own)."""
        step = case.step
        assert step is not None
        signed: list[str] = []
        last: HistoryEntry | None = None
        for entry in since_entry(case, history):
            if entry.action == "sign" and entry.from_step == step.id:
                role = entry.subject or self._signer(step, entry.by)
                if role and role not in signed:
                    signed.append(role)
            elif entry.action == "withdraw" and entry.from_step != entry.to_step:
                completed = (
                    last is not None
                    and last.action == "sign"
                    and last.by == entry.by
                    and entry.subject == ACTIONS["advance"]
                )
                role = (last.subject or self._signer(step, last.by)) if last and completed else None
                if role in signed:
                    signed.remove(role or "")
            elif entry.action == "withdraw" and entry.subject in signed:
                signed.remove(entry.subject or "")
            last = entry
        return signed

    def visits(self, case: Case, history: Sequence[HistoryEntry]) -> list[Visit]:
        """Every stay of the case at a step, oldest first, with the deadline it had.

        A withdrawn move did not happen, as the case's row says after `withdraw`
        (:func:`standing`): the stay it ended goes on, from its own entry and with its own
        deadline (a stay of ten minutes at 审核 and a second, fresh one at 登记 would
        count a step the case never reached and a deadline it never had)."""
        out: list[Visit] = []
        process = case.process
        entries: dict[str, datetime] = {}
        for entry in standing(history):
            if entry.at is None:
                continue
            if out and out[-1].left is None:
                current = out[-1]
                if entry.action == "extend" and entry.subject:
                    try:
                        current.extended.append(Duration.parse(entry.subject))
                        current.due = (
                            _as_due_value(entry.new) if entry.new is not None else current.due
                        )
                    except CalendarError:
                        pass
                elif entry.action in ("cancel",) or _enters(entry):
                    current.left = entry.at
                    current.how = entry.action
            if _enters(entry) and entry.to_step:
                step = process.find_step(entry.to_step)
                if step is None:
                    continue
                start = entry.at
                if entry.action == "adopt" and not out and case.opened is not None:
                    start = min(case.opened, entry.at)  # from the register's own date
                entries[step.id] = start
                due = (
                    _as_due_value(entry.new)
                    if entry.new is not None and entry.action in ("advance", "return")
                    else self.step_due(case, step, start, entries=entries)
                )
                out.append(Visit(step, start, None, due, how="open"))
                if step.final:
                    out[-1].left = entry.at
                    out[-1].how = "close"
        return out

    def as_of(self, case: Case, history: Sequence[HistoryEntry], moment: datetime) -> Case | None:
        """The case as it stood at ``moment`` (None when it was opened later): its step,
        status, entry and deadline then, from its history. A case opened before ``moment``
        that procdoc came to know only later (taken over, imported, or registered after
        its 登记时间) is as its first recorded event left it: nothing says otherwise."""
        if case.opened is not None and case.opened > moment:
            return None
        past = [h for h in history if h.at is not None and h.at <= moment]
        if len(past) == len(history):
            return case
        then = case.copy()
        visits = self.visits(case, past)
        if not visits and case.opened is not None:
            first = next((i for i, h in enumerate(history) if _enters(h)), None)
            past = [] if first is None else list(history[: first + 1])
            visits = self.visits(case, past)
        if not visits:
            return None if history else then
        last = visits[-1]
        then.step = last.step
        then.entered = last.entered
        then.due = last.due if last.left is None else None
        final = last.step.final or last.how == "close"
        cancelled = any(h.action == "cancel" for h in past)
        then.status = "cancelled" if cancelled else "closed" if final else "open"
        then.closed = last.left if then.status != "open" else None
        if then.status != "open":
            then.due = None
        # the 承办人 then: the old value of the first change of it after the moment (a
        # move's 转办, a `set`, an import), else the one the row holds (QA: the daily report
        # of a day past named the 承办人 given days later)
        label = self.config.labels["assignee"]
        later = next(
            (h for h in history if h.at is not None and h.at > moment and h.subject == label), None
        )
        if later is not None:
            then.assignee = text(later.old)
        self._values_then(then, history, moment)
        then.updated = max((h.at for h in past if h.at is not None), default=then.opened)
        return then

    def _values_then(self, then: Case, history: Sequence[HistoryEntry], moment: datetime) -> None:
        """The title and fields as they stood at ``moment``: each changed since (a `set`,
        an import's update) is the old value of its first change after it (QA: the daily
        report of a day past gave titles corrected days later)."""
        process = then.process
        subjects: dict[str, str] = {self.config.labels["title"]: "title"}
        for fid, fdef in process.fields.items():
            subjects[self.field_label(process, fid)] = fid
            subjects.setdefault(fdef.label, fid)
        done: set[str] = set()
        for h in history:
            if h.at is None or h.at <= moment or h.action not in ("set", "update"):
                continue
            key = subjects.get(h.subject or "")
            if key is None or key in done:
                continue
            done.add(key)
            if key == "title":
                then.title = text(h.old) or ""
                continue
            try:
                then.fields[key] = None if h.old is None else read_field(process.fields[key], h.old)
            except Unreadable:
                then.fields[key] = h.old

    # -- messages ---------------------------------------------------------------------------
    def _allowed_text(self, case: Case) -> str:
        moves = self.allowed_moves(case)
        if not moves:
            return _("none")
        return name_list(
            aside(s.name, s.id + (_(", back") if how == "back" else "")) for s, how in moves
        )

    def _conditions_readable(self, book: Casebook, case: Case, step: Step) -> None:
        """A move out of ``step`` whose branches test a field that cannot be read is
        refused: the condition would read the text as it is, and the case take the
        fallback branch (QA: 金额 typed 1.2万 skipped 总经理审批 for an amount over 5000)."""
        names = {n for branch in step.next if branch.when is not None for n in branch.when.names}
        bad = sorted(names & case.unread)
        if bad:
            fdef = case.process.fields[bad[0]]
            raise CaseError(
                _(
                    "cannot move {id}: where it goes from {step} depends on {label}, and its cell {cell} cannot be read ({value!r})"
                ).format(
                    id=case.id,
                    step=step.name,
                    label=fdef.label,
                    cell=book.cell_of(case, bad[0]),
                    value=case.fields.get(bad[0]),
                ),
                hint=_("fix the cell, or give the value with --set {field}=VALUE").format(
                    field=bad[0]
                ),
            )

    def _refusal(self, case: Case, target: Step) -> str:
        assert case.step is not None
        if target.id == case.step.id:  # (two advances at once: the other one got there first)
            return _("{id} is already at {name} (since {when}): nothing to move").format(
                id=case.id, name=target.name, when=display(case.entered) if case.entered else "?"
            )
        for branch in case.step.next:
            if branch.to == target.id and branch.when is not None:
                values = name_list(
                    _("{name} is empty").format(name=n)
                    if case.fields.get(n) is None
                    else _("{name} is {value}").format(name=n, value=repr(case.fields[n]))
                    for n in sorted(branch.when.names)
                )
                return _(
                    "cannot move {id} from {name} to {name2}: condition {text} does not hold ({values})"
                ).format(
                    id=case.id,
                    name=case.step.name,
                    name2=target.name,
                    text=branch.when.text,
                    values=values,
                )
            if branch.to == target.id:
                return _(
                    "cannot move {id} from {name} to {name2}: an earlier branch's condition holds, so the fallback is closed"
                ).format(id=case.id, name=case.step.name, name2=target.name)
        return _("cannot move {id} from {name} to {name2}: {id2} has no such move").format(
            id=case.id, name=case.step.name, name2=target.name, id2=case.process.name
        )


def forward_steps(process: Process, step: Step) -> frozenset[str]:
    """The ids of the steps ahead of ``step``: reachable by `next` moves, any number of
    them, whatever their `when` (`back` moves do not count)."""
    return reachable(process, [b.to for b in step.next])


def reachable(process: Process, start: Sequence[str], avoid: str | None = None) -> frozenset[str]:
    """The ids of the steps reached from the steps ``start`` by `next` moves (``start``
    included), whatever their `when`, never through the step ``avoid``."""
    seen: set[str] = set()
    todo = [sid for sid in start if sid != avoid]
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        found = process.find_step(sid)
        if found is not None:
            todo.extend(b.to for b in found.next if b.to != avoid)
    return frozenset(seen)


def since_entry(case: Case, history: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The history recorded since the case last entered its current step. A withdrawn
    move did not leave the step: the stay it ended goes on (its signatures, extensions
    and documents count), with the withdrawal's rows after it."""
    step_id = case.step.id if case.step else None
    out: list[HistoryEntry] = []
    left: list[HistoryEntry] = []  # the stay at the step when the case last left it
    for entry in history:
        if entry.to_step == step_id and _enters(entry):
            out = [*left, entry] if entry.action == "withdraw" else []
            continue
        if _enters(entry) and entry.from_step == step_id:
            left = list(out)
        out.append(entry)
    return out


def first_due(case: Case) -> tuple[str, Due] | None:
    """The deadline an open case must meet first: ("step", its step's deadline) or
    ("case", its 办结期限), whichever ends earlier (the step's on a tie); None when it
    has neither or is not open. Its time left counts to this one, as `overdue` flags the
    case by the more urgent of the two."""
    if case.status != "open":
        return None
    dues = [(which, due) for which, due in (("step", case.due), ("case", case.case_due)) if due]
    return min(dues, key=lambda d: WorkCalendar.due_moment(d[1]), default=None)


def corrections(
    before: Case,
    after: Case,
    labels: Mapping[str, str],
    field_label: Callable[[Process, str], str],
) -> list[tuple[str, Any, Any]]:
    """(label, old, new) of each field or settable core value that differs; a field under
    its register's label (``field_label``)."""
    out = []
    for fid in after.process.fields:
        old, new = before.fields.get(fid), after.fields.get(fid)
        if not same(old, new):
            out.append((field_label(after.process, fid), old, new))
    for key in SETTABLE_CORE:
        old, new = getattr(before, key), getattr(after, key)
        if not same(old, new):
            out.append((labels[key], old, new))
    return out


def describe(changes: Sequence[tuple[str, Any, Any]]) -> str:
    """``金额: 100 → 200；标题: … → …`` for messages."""
    return _("; ").join(
        _("{label}: {old} → {new}").format(label=label, old=shown(old), new=shown(new))
        for label, old, new in changes
    )


def _last_command(history: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The rows the case's last command wrote: the trailing run with one moment and one
    person (a move with its corrections, number and closing). Moves made by one person
    within one minute (``--at`` given to each) share the run: a command writes its
    corrections, then its move, then what follows from the move (承办人, number, closing),
    so the last command's rows start after the move before its own. The signature that
    completed a countersign is written just before its move, and belongs to it."""
    if not history:
        return []
    last = history[-1]
    group: list[HistoryEntry] = []
    for entry in reversed(history):
        if entry.at != last.at or entry.by != last.by or entry.action in ("withdraw", "render"):
            break
        group.append(entry)
    group.reverse()
    moves = [
        i for i, entry in enumerate(group) if entry.action in _MOVES and not _completes(group, i)
    ]
    if len(moves) < 2:
        return group
    start = moves[-2] + 1
    while group[start].action in _AFTER_MOVE:  # the earlier move's own 承办人, number ...
        start += 1
    return group[start:]


#: The history actions that move a case (what `withdraw` takes back), and those a move
#: writes after its own row (its 承办人, its number, the case's closing).
_MOVES = frozenset({"advance", "return", "sign"})
_AFTER_MOVE = frozenset({"assign", "number", "close"})


def _completes(group: Sequence[HistoryEntry], i: int) -> bool:
    """Whether ``group[i]`` is the signature that completed a countersign: one command
    wrote it and, right after it, the move on from that step."""
    sign, after = group[i], group[i + 1] if i + 1 < len(group) else None
    return (
        sign.action == "sign"
        and after is not None
        and after.action == "advance"
        and after.from_step == sign.from_step
    )


def _enters(entry: HistoryEntry) -> bool:
    """Whether a history row enters a step (a signature taken back, a `withdraw` from a
    step to itself, does not: the case stays where it was)."""
    return (
        entry.action in ENTRY_ACTIONS
        and entry.to_step is not None
        and not (entry.action == "withdraw" and entry.from_step == entry.to_step)
    )


def _typed(kind: str, value: Any) -> Any:
    if kind == "bool" and isinstance(value, str):
        return value == "是"
    return value


def _as_due_value(value: Any) -> Due | None:
    from procdoc.values import Unreadable, as_due

    try:
        return as_due(value)
    except Unreadable:
        return None


def _hours(d: Duration) -> int:
    return d.amount if d.unit == "h" else d.amount * 24


def standing(history: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The history as the case's row tells it: without the moves `withdraw` took back,
    nor the rows that took them back. A withdrawn move did not happen: the step it left
    was not left (its entry, its deadline and the 办结期限 counted from it stand), the
    step it reached was not entered, and a withdrawn 退回 is no return. Signatures taken
    back (a withdrawal from a step to itself) are kept: they enter no step."""
    out: list[HistoryEntry] = []
    for entry in history:
        if entry.action == "withdraw" and entry.from_step != entry.to_step:
            for i in range(len(out) - 1, -1, -1):
                move = out[i]
                if (
                    move.action in ("advance", "return", "close")
                    and move.to_step == entry.from_step
                    and move.from_step in (None, entry.to_step)
                ):
                    del out[i]
                    break
            else:  # no move to take back (a history edited by hand): kept as it was
                out.append(entry)
            continue
        out.append(entry)
    return out


def _entries(
    history: Sequence[HistoryEntry], process: Process, *, first: bool = False
) -> dict[str, datetime]:
    """When the case last (``first``: first) entered each step, from its history (a
    move `withdraw` took back is no entry, nor is the withdrawal: :func:`standing`)."""
    out: dict[str, datetime] = {}
    for entry in standing(history):
        if (
            entry.to_step
            and entry.at
            and _enters(entry)
            and process.find_step(entry.to_step)
            and not (first and entry.to_step in out)
        ):
            out[entry.to_step] = entry.at
    return out


def _field_list(process: Process) -> str:
    return name_list(aside(f.id, f.label) for f in process.fields.values()) or _("none")


def pattern_regex(pattern: str, year: int | None) -> re.Pattern[str]:
    """A regex matching ids/numbers made from ``pattern`` in ``year`` (None: any year);
    group ``seq``."""
    out = []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        out.append(re.escape(literal))
        if name == "year" and year is None:
            out.append(r"\d+")
        elif name == "year":
            out.append(str(year) if not spec else re.escape(format(year, spec)))
        elif name == "seq":
            out.append(r"(?P<seq>\d+)")
    return re.compile("^" + "".join(out) + "$")
