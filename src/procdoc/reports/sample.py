"""抽查 (SPEC §10): a random share of the cases closed in a period, listing for each
whether every step was left in time and which required fields are empty, with a sheet
the auditor fills in (检查意见, 检查人, 检查日期) and prints.

The draw is repeatable: without ``--seed`` the seed is derived from the period (and the
process), so running the same command again draws the same cases; ``--seed N`` draws
another, equally repeatable, sample.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procdoc.calendar import format_due
from procdoc.errors import UsageError
from procdoc.i18n import _
from procdoc.model import Case, iso
from procdoc.reports.facts import CaseFacts, Stay

SAMPLE_HEADER = ["序号", "编号", "流程", "标题", "承办人", "办结时间", "各环节时限", "必填项缺失"]
AUDIT_HEADER = ["检查意见", "检查人", "检查日期"]
STAY_HEADER = ["编号", "环节", "进入时间", "离开时间", "期限", "结果", "离开方式"]
HOW_CN = {"advance": "流转", "return": "退回", "close": "办结", "cancel": "撤销",
          "withdraw": "撤回", "open": "在办"}  # fmt: skip


def derived_seed(start: date, end: date, process: str | None) -> int:
    """A seed that depends on the period (and the process) only: the same command draws
    the same cases every time it is run."""
    text = f"procdoc sample {start.isoformat()} {end.isoformat()} {process or '*'}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def verdict(stay: Stay) -> str:
    """按时 / 超时 N 个工作日 / 无时限, with 含延期 when the deadline was extended."""
    if stay.on_time is None:
        return "无时限" if stay.due is None else "在办"
    text = "按时" if stay.on_time else stay.late or "超时"
    return text + ("（含延期）" if stay.extended else "")


def steps_text(facts: CaseFacts) -> str:
    parts = []
    for stay in facts.stays:
        if stay.step.final:
            continue
        how = "，退回" if stay.how == "return" else ""
        parts.append(f"{stay.step.name} {verdict(stay)}{how}")
    return "；".join(parts) or "无流转记录"


def closed_at(facts: CaseFacts) -> datetime | None:
    """When the case was closed: its 办结时间, else the moment 流转记录 says it reached
    its final step."""
    known = closed_cell(facts.case)
    if known is not None:
        return known
    final = [s.entered for s in facts.stays if s.step.final]
    return final[-1] if final else None


def closed_cell(case: Case) -> datetime | None:
    """The case's 办结时间 when its cell holds one procdoc can read."""
    return case.closed if case.closed is not None and "closed" not in case.unread else None


@dataclass
class SampleReport:
    start: date
    end: date
    percent: float
    seed: int
    seed_derived: bool
    process: str | None = None
    population: list[Case] = field(default_factory=list)
    drawn: list[CaseFacts] = field(default_factory=list)
    xlsx: Path | None = None

    def rows(self) -> list[list[Any]]:
        return [
            [
                i,
                f.case.id,
                f.case.process.name,
                f.case.title,
                f.assignee,
                closed_at(f),
                steps_text(f),
                "、".join(f.missing_fields()) or "无",
            ]
            for i, f in enumerate(self.drawn, start=1)
        ]

    def seed_note(self, *, printed: bool = False) -> str:
        """The seed and how to draw again; ``printed``: for the sheet the auditor reads,
        without the command's options."""
        if self.seed_derived:
            again = "" if printed else "；--seed 可另行抽取"
            return f"随机种子 {self.seed}（由期间得出：再次运行抽取相同案件{again}）"
        given = "指定的种子" if printed else "--seed 指定"
        return f"随机种子 {self.seed}（{given}：以同一种子再次运行抽取相同案件）"

    def describe(self, *, printed: bool = False) -> str:
        scope = (
            f"{self.start.isoformat()} 至 {self.end.isoformat()} 办结的 {len(self.population)} 件"
        )
        return (
            f"抽查 {scope}中的 {self.percent:g}%（向上取整）：{len(self.drawn)} 件；"
            f"{self.seed_note(printed=printed)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "process": self.process,
            "percent": self.percent,
            "seed": self.seed,
            "seed_derived": self.seed_derived,
            "population": len(self.population),
            "drawn": len(self.drawn),
            "cases": [_case_dict(f) for f in self.drawn],
            "xlsx": str(self.xlsx) if self.xlsx else None,
        }


def _case_dict(f: CaseFacts) -> dict[str, Any]:
    c = f.case
    return {
        "id": c.id,
        "process": c.process.id,
        "process_name": c.process.name,
        "title": c.title,
        "assignee": f.assignee,
        "dept": f.dept,
        "opened": iso(f.opened),
        "closed": iso(closed_at(f)),
        "on_time": f.on_time,
        "steps": [
            {
                "step": s.step.id,
                "step_name": s.step.name,
                "entered": iso(s.entered),
                "left": iso(s.left),
                "due": format_due(s.due) if s.due is not None else None,
                "on_time": s.on_time,
                "late": s.late or None,
                "extended": s.extended,
                "how": s.how,
            }
            for s in f.stays
            if not s.step.final
        ],
        "missing_fields": f.missing_fields(),
        "problems": list(c.problems),
    }


def draw(
    cases: Sequence[Case],
    facts_of: Callable[[Case], CaseFacts],
    *,
    start: date,
    end: date,
    percent: float,
    seed: int | None,
    process: str | None = None,
) -> SampleReport:
    """Draw ``percent`` % (rounded up) of the cases closed from ``start`` to ``end``.

    ``facts_of`` reads a case's history into its facts: asked for the cases drawn, and for
    a closed case whose 办结时间 cell is empty or unreadable (its history says when it
    closed), not for the whole population: a month's 10 % reads a tenth of the histories."""
    if not 0 < percent <= 100:
        raise UsageError(
            _("--percent must be more than 0 and at most 100, not {percent:g}").format(
                percent=percent
            )
        )
    known: dict[str, CaseFacts] = {}
    population = []
    for case in cases:
        if case.status != "closed":
            continue
        if process is not None and case.process.id != process:
            continue
        moment = closed_cell(case)
        if moment is None:
            known[case.id] = facts = facts_of(case)
            moment = closed_at(facts)
        if moment is None or not start <= moment.date() <= end:
            continue
        population.append(case)
    population.sort(key=lambda c: c.id)
    rep = SampleReport(
        start=start,
        end=end,
        percent=percent,
        seed=seed if seed is not None else derived_seed(start, end, process),
        seed_derived=seed is None,
        process=process,
        population=population,
    )
    k = min(len(population), math.ceil(len(population) * percent / 100 - 1e-9))
    picked = random.Random(rep.seed).sample(range(len(population)), k)
    rep.drawn = [
        known.get(case.id) or facts_of(case) for case in (population[i] for i in sorted(picked))
    ]
    return rep


def write_sample(
    rep: SampleReport, out_dir: Path, *, office: str, like: Path | None = None
) -> Path:
    """Write ``sample-FROM_TO[-PROCESS].xlsx``: the 抽查 sheet (print-ready, with columns for
    the auditor) and each drawn case's stays."""
    from procdoc.fileio import atomic_write

    suffix = f"-{rep.process}" if rep.process else ""
    target = out_dir / f"sample-{rep.start.isoformat()}_{rep.end.isoformat()}{suffix}.xlsx"
    atomic_write(target, lambda tmp: _workbook(rep, tmp, office=office), like=like)
    rep.xlsx = target
    return target


def _workbook(rep: SampleReport, path: Path, *, office: str) -> None:
    from procdoc.reports.sheets import ReportBook

    book = ReportBook(path)
    try:
        rows = [[*row[:6], row[6], row[7], None, None, None] for row in rep.rows()]
        blank_date = book.wb.add_format({"border": 1, "num_format": "yyyy-mm-dd", "valign": "top"})
        sheet, first = book.table(
            "抽查",
            f"{office} 案件抽查表",
            [*SAMPLE_HEADER, *AUDIT_HEADER],
            rows,
            widths=[5, 12, 9, 22, 8, 15, 34, 12, 30, 12, 11],  # 检查人: room to sign (QA)
            notes=[rep.describe(printed=True)],
            empty="本期无办结案件可供抽查",
            height=60,  # room to write the 检查意见 by hand
            blanks={10: blank_date},  # the 检查日期, written by hand
        )
        end = first + len(rows) + 1
        sheet.write(end, 0, "检查人（签字）：", book.note)
        sheet.write(end, 6, "日期：", book.note)
        sheet.print_area(0, 0, end, len(SAMPLE_HEADER) + len(AUDIT_HEADER) - 1)
        stays = [
            [
                f.case.id,
                s.step.name,
                s.entered,
                s.left,
                s.due,  # a date, or a moment for a deadline in hours: as the cells beside it
                verdict(s),
                HOW_CN.get(s.how, s.how),
            ]
            for f in rep.drawn
            for s in f.stays
            if not s.step.final
        ]
        book.table(
            "环节明细",
            f"{office} 抽查案件各环节时限",
            STAY_HEADER,
            stays,
            widths=[13, 14, 16, 16, 16, 20, 10],
            empty="无",
        )
    finally:
        book.close()
