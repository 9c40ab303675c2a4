"""Where cases live in the ledger (SPEC §3): registers, sheets, header rows, labels and the
words procdoc writes.

This module is the one owner of the ledger's shape. Everything else asks it: which sheet
holds a process's cases, which header row, which label a column has, which words mean
"open" or "advanced". A workspace without `registers:` keeps each process in a sheet of
its own, named after the process; a ledger made before registers existed (one shared
`台账` sheet) is read as ``"*": {sheet: 台账}`` until `procdoc registers split`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from procdoc.process.model import FieldDef, Process

if TYPE_CHECKING:
    from procdoc.config import RegisterSpec
    from procdoc.ledger.model import HeaderSpec

#: The columns procdoc owns, by id, with their default header labels (SPEC §3), in the
#: order a register procdoc creates shows them.
CORE_LABELS: dict[str, str] = {
    "id": "编号",
    "process": "流程",
    "title": "标题",
    "step": "当前环节",
    "status": "状态",
    "assignee": "承办人",
    "entered": "环节开始",
    "due": "环节期限",
    "case_due": "办结期限",
    "opened": "登记时间",
    "closed": "办结时间",
    "source": "来源",
    "ref": "来源编号",
    "updated": "更新时间",
}
#: Core columns a command may not do without: a sheet that lacks one of them (say its
#: header was renamed by hand) is refused rather than given a second column.
REQUIRED_CORE = ("id", "step", "status", "due")
#: The type of each core column as a register shows it.
CORE_KINDS: dict[str, str] = {
    "entered": "datetime", "due": "date", "case_due": "date", "opened": "datetime",
    "closed": "datetime", "updated": "datetime",
}  # fmt: skip

HISTORY_SHEET = "流转记录"
#: 流转记录's columns: SPEC §3's seven, then the structured record of what an event is
#: about (a field, a template, a duration, a role) and its old and new values, which
#: procdoc reads back instead of parsing the free-text 意见.
HISTORY_COLUMNS: dict[str, str] = {
    "case": "编号",
    "at": "时间",
    "action": "动作",
    "from": "从环节",
    "to": "到环节",
    "by": "办理人",
    "note": "意见",
    "subject": "项目",
    "old": "原值",
    "new": "新值",
}
HISTORY_KINDS: dict[str, str] = {"at": "datetime"}
LEGACY_SHEET = "台账"

#: Status words in the ledger, by their JSON id.
STATUS_WORDS: dict[str, str] = {"open": "办理中", "closed": "已办结", "cancelled": "已撤销"}
STATUS_IDS: dict[str, str] = {
    **{word: key for key, word in STATUS_WORDS.items()},
    **{key: key for key in STATUS_WORDS},
}

FOOTER_WORDS = ("合计", "总计", "小计", "制表", "审核人", "审核:", "备注:", "说明:", "导出时间", "打印时间")  # fmt: skip
"""Words that start a footer row (合计, 制表人 ...) of an export or a hand-kept register
(also ``共12条``): a row, or an id cell, holding one is no case."""
FOOTER_FIRST = frozenset(word[0] for word in (*FOOTER_WORDS, "共"))
"""The first characters of the footer words: a cell starting otherwise is no footer."""
FOOTER = re.compile(rf"^({'|'.join(FOOTER_WORDS)}|共\d+(条|项|件|笔))")
"""A footer's text (white space taken out first), from its start."""

IMPORT_BY = "导入:"
"""How an import names itself as 办理人 in 流转记录 (``导入:泛微-收文-2026-10-09.xls``): a
file, not a person."""

#: History actions: the ledger keeps the Chinese word, JSON the id.
ACTIONS: dict[str, str] = {
    "new": "新建",
    "advance": "流转",
    "return": "退回",
    "sign": "会签",
    "close": "办结",
    "extend": "延期",
    "set": "修改",
    "import": "导入",
    "update": "导入更新",
    "render": "生成文书",
    "number": "编号",
    "assign": "转办",
    "cancel": "撤销",
    "withdraw": "撤回",
    "adopt": "接管",
    "undo": "撤销写入",
}
ACTION_IDS = {word: key for key, word in ACTIONS.items()}
#: The history actions by which a case enters a step.
ENTRY_ACTIONS = frozenset({"advance", "return", "new", "import", "adopt", "withdraw"})

HEADER_SCAN_ROWS = 10
_SPACE = re.compile(r"\s+")


def label_key(text: object) -> str:
    """A header label as procdoc compares it: spaces and line breaks removed, so
    ``承 办 人`` and ``承办\\n人`` are ``承办人``."""
    return _SPACE.sub("", str(text)) if text is not None else ""


@dataclass(frozen=True)
class Column:
    """One column of a register: a core column (``key`` is its id) or a process field
    (``key`` is ``field:<id>``)."""

    key: str
    label: str
    kind: str = "text"  # text, number, date, datetime, choice, bool
    choices: tuple[str, ...] = ()

    @property
    def field_id(self) -> str | None:
        return self.key[6:] if self.key.startswith("field:") else None


@dataclass
class Register:
    """A sheet holding the cases of one or more processes."""

    sheet: str
    processes: list[Process] = field(default_factory=list)
    header_row: int | None = None  # None: found in the top rows (or 1 when procdoc creates it)
    title: str | None = None
    core: dict[str, str] = field(default_factory=dict)  # core id -> label
    fields: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # process id -> field id -> label
    number_column: str | None = None
    legacy: bool = False  # the shared 台账 of a workspace made before registers
    #: (process id, field id, its label, the label it got): a field whose own label this
    #: register's `columns:` gave to a core column (SPEC §3: `columns:` wins).
    renamed: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        return len(self.processes) > 1 or self.legacy

    def label(self, key: str) -> str:
        return self.core[key]

    def field_label(self, process: Process, fid: str) -> str:
        return self.fields[process.id][fid]

    def columns(self) -> list[Column]:
        """The columns procdoc wants in this register, in the order it creates them:
        the running number (when set), the core columns (`process` only in a shared
        sheet), then each process's fields in the order it declares them."""
        out: list[Column] = []
        seen: set[str] = set()

        def add(column: Column) -> None:
            key = label_key(column.label)
            if key not in seen:
                seen.add(key)
                out.append(column)

        if self.number_column:
            add(Column("number", self.number_column, "number"))
        for key, label in self.core.items():
            if key == "process" and not self.shared:
                continue
            add(Column(key, label, CORE_KINDS.get(key, "text")))
        for process in self.processes:
            for fid, fdef in process.fields.items():
                add(_field_column(fdef, self.fields[process.id][fid]))
        return out

    def field_columns(self, process: Process) -> list[tuple[FieldDef, str]]:
        """(definition, label) of each field of ``process`` in this register."""
        labels = self.fields[process.id]
        return [(fdef, labels[fid]) for fid, fdef in process.fields.items()]

    def id_labels(self) -> tuple[str, ...]:
        """The labels that identify this register's header row, most telling first."""
        return tuple(c.label for c in self.columns())

    def sheet_title(self, today: date) -> str | None:
        return self.title.replace("{year}", str(today.year)) if self.title else None


def _field_column(fdef: FieldDef, label: str) -> Column:
    return Column(f"field:{fdef.id}", label, fdef.type, fdef.choices)


class Layout:
    """The registers of a workspace, built from ``labels:`` and ``registers:`` over the
    processes. ``legacy`` is True for a ledger made before registers existed."""

    def __init__(
        self,
        processes: Mapping[str, Process],
        *,
        labels: Mapping[str, str],
        registers: Mapping[str, RegisterSpec] | None = None,
        legacy: bool = False,
        extra: Iterable[Process] = (),
    ) -> None:
        """``extra``: processes left out for errors; their registers are known (so their
        rows are recognised as theirs) but they hold no usable process."""
        self.labels = dict(labels)
        self.legacy = legacy and not registers
        specs = dict(registers or {})
        if self.legacy:
            from procdoc.config import RegisterSpec

            specs = {"*": RegisterSpec("*", sheet=LEGACY_SHEET)}
        self.registers: dict[str, Register] = {}  # by sheet name
        self._by_process: dict[str, Register] = {}
        for process in [*processes.values(), *extra]:
            spec = specs.get(process.id) or specs.get("*")
            sheet = (spec.sheet if spec and spec.sheet else None) or process.name
            reg = self.registers.get(sheet)
            if reg is None:
                reg = self.registers[sheet] = Register(
                    sheet=sheet,
                    header_row=spec.header_row if spec else None,
                    title=spec.title if spec else None,
                    number_column=spec.number_column if spec else None,
                    legacy=self.legacy,
                )
                columns = dict(spec.columns) if spec else {}
                reg.core = {k: columns.get(k, v) for k, v in self.labels.items()}
            columns = dict(spec.columns) if spec else {}
            reg.processes.append(process)
            given = {label_key(columns[k]) for k in self.labels if k in columns}
            labels = {}
            for fid, fdef in process.fields.items():
                label = columns.get(fid, fdef.label)
                if fid not in columns and label_key(label) in given:
                    label = f"{fdef.label}（{fid}）"
                    reg.renamed.append((process.id, fid, fdef.label, label))
                labels[fid] = label
            reg.fields[process.id] = labels
            self._by_process[process.id] = reg

    def register_of(self, process: Process) -> Register:
        return self._by_process[process.id]

    def read_specs(self, *, history: bool = False) -> dict[str, HeaderSpec]:
        """Where each register's header is, for the ledger store: the configured row, or
        the row holding the id label among the top rows (else the most of its labels)."""
        from procdoc.ledger.model import HeaderSpec

        shut = tuple(word for word, key in STATUS_IDS.items() if key != "open")
        specs = {
            reg.sheet: HeaderSpec(
                row=reg.header_row,
                id_label=reg.core["id"],
                labels=tuple(c.label for c in reg.columns()),
                apart=(reg.core["status"], shut),  # the open cases, for overdue and todo
            )
            for reg in self.registers.values()
        }
        if history:
            specs[HISTORY_SHEET] = HeaderSpec(
                id_label=HISTORY_COLUMNS["case"], labels=tuple(HISTORY_COLUMNS.values())
            )
        return specs

    def sheets(self) -> list[str]:
        return list(self.registers)

    def clashes(self) -> list[tuple[Register, str, str, str]]:
        """(register, label, core column id, ``process.field``) for every field whose
        label (spaces ignored) is also a core column's in its register: SPEC §3 forbids
        two columns sharing a label. (Fields of processes sharing a sheet may share a
        column on purpose.)"""
        out = []
        for reg in self.registers.values():
            core = {
                label_key(label): key
                for key, label in reg.core.items()
                if key != "process" or reg.shared
            }
            if reg.number_column:
                core.setdefault(label_key(reg.number_column), "number")
            for process in reg.processes:
                for fid, label in reg.fields[process.id].items():
                    if label_key(label) in core:
                        out.append((reg, label, core[label_key(label)], f"{process.id}.{fid}"))
        return out
