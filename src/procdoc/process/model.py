"""The process model: what a process file means once it has been checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from procdoc.calendar import Duration
from procdoc.process.expr import Expression
from procdoc.yamlpos import Pos

FieldType = Literal["text", "number", "date", "datetime", "choice", "bool"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "date", "datetime", "choice", "bool")
StepKind = Literal["task", "approval", "countersign"]
STEP_KINDS: tuple[StepKind, ...] = ("task", "approval", "countersign")


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: str
    type: FieldType = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""
    minimum: int | float | None = None
    """A number field's least value (``min:``); None: no bound."""
    maximum: int | float | None = None
    """A number field's greatest value (``max:``); None: no bound."""


@dataclass(frozen=True)
class Branch:
    to: str
    when: Expression | None = None


@dataclass(frozen=True)
class DeadlineRule:
    """``duration`` counted from entering the step, or from ``start``: a step id (the
    moment the case entered it) or a date field of the case. ``fallbacks`` are tried in
    turn when ``start`` names an empty field (``from: [received, register]``: from the
    date the letter was received, else from its registration)."""

    duration: Duration
    start: str | None = None
    fallbacks: tuple[str, ...] = ()

    @property
    def starts(self) -> tuple[str, ...]:
        return (self.start, *self.fallbacks) if self.start else ()

    def __str__(self) -> str:
        return (
            str(self.duration)
            if self.start is None
            else f"{self.duration} from {' or '.join(self.starts)}"
        )

    def label_cn(self) -> str:
        return self.duration.label_cn()


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    role: str | None = None
    deadline: DeadlineRule | None = None
    next: tuple[Branch, ...] = ()
    back: tuple[str, ...] = ()
    kind: StepKind = "task"
    signers: tuple[str, ...] = ()
    mode: Literal["all", "any"] = "all"
    documents: tuple[str, ...] = ()  # every template the step lists
    number: str | None = None
    extend: Duration | None = None
    final: bool = False
    description: str = ""
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    pos: Pos | None = None
    #: the templates listed as ``{template: NAME, when: overdue}``: due only while the
    #: case is late at this step (also in ``documents``)
    overdue_documents: frozenset[str] = frozenset()
    #: ``{template: NAME, when: extended}``: due once the deadline here was extended
    extended_documents: frozenset[str] = frozenset()
    #: ``{template: NAME, requires: [FIELD, ...]}``: (template, field ids) of the documents
    #: whose text needs those fields (a 信访处理意见书 its 处理意见): ``render`` without
    #: ``--case`` leaves them out, saying why, while one is empty
    document_requires: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def requires(self, template: str) -> tuple[str, ...]:
        """The fields ``template`` needs filled at this step (``requires:``)."""
        return next((fids for name, fids in self.document_requires if name == template), ())


@dataclass(frozen=True)
class Faq:
    q: str
    a: str


@dataclass
class Process:
    id: str
    name: str
    path: Path
    file: str  # the path as shown in messages
    steps: list[Step]
    roles: tuple[str, ...] = ()
    fields: dict[str, FieldDef] = field(default_factory=dict)
    case_id: str = "CASE-{seq}"
    description: str = ""
    deadline: DeadlineRule | None = None
    pos: Pos | None = None
    # the manual's 流程文档 sections, all optional
    purpose: str = ""  # 目的
    basis: tuple[str, ...] = ()  # 法律依据
    terms: dict[str, str] = field(default_factory=dict)  # 名词解释
    faq: tuple[Faq, ...] = ()  # 常见问题
    #: the fields whose filled values, joined by a space, name to whom a notice goes
    #: (the template variable ``addressee``); empty: the default rule of the context
    addressee: tuple[str, ...] = ()

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    def takes_numbers(self, sequence: str) -> bool:
        """Whether a step of this process gives numbers from ``sequence`` (``number:``)."""
        return any(step.number == sequence for step in self.steps)

    def find_step(self, key: str) -> Step | None:
        """The step whose id or name is ``key``."""
        for step in self.steps:
            if key in (step.id, step.name):
                return step
        return None

    def step(self, step_id: str) -> Step:
        found = self.find_step(step_id)
        if found is None:
            raise KeyError(step_id)
        return found

    def field_by_label(self, label: str) -> FieldDef | None:
        for fdef in self.fields.values():
            if fdef.label == label:
                return fdef
        return None
