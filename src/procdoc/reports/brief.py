"""The head's brief (SPEC §8): ``daily-YYYY-MM-DD.docx``, one A4 portrait page written
beside the daily report. What a head reads first comes first: process files left out
(their cases are not counted), the cases to escalate, then what is overdue or due today
by 承办部门, then the day's counts. It stays one page: when the day's cases do not fit,
the most urgent are listed (the cases to escalate first, then each department's in turns)
and the page says how many more the daily workbook lists (:func:`fit_page`). Rows never
split across a page; the header row repeats."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from unicodedata import east_asian_width

from procdoc.calendar import date_cn
from procdoc.fileio import atomic_write
from procdoc.reports.facts import NO_DEPT, dept_of
from procdoc.reports.overdue import urgency
from procdoc.values import display

if TYPE_CHECKING:
    from procdoc.config import Person
    from procdoc.reports.daily import DailyReport
    from procdoc.reports.overdue import Flag
    from procdoc.reports.word import WordReport

WEEKDAYS = "一二三四五六日"
ESCALATE_HEADER = ["编号", "标题", "流程·环节", "承办部门", "期限", "逾期"]
ESCALATE_WIDTHS = (25, 42, 35, 20, 22, 30)  # 收文办理·收文签收 on a line (QA)
DEPT_HEADER = ["编号", "标题", "流程·环节", "承办人", "期限", "情况"]
DEPT_WIDTHS = (25, 42, 35, 20, 22, 30)
TABLE_SIZE = 10


def late_text(f: Flag) -> str:
    if f.level == "due_today":
        return "今日到期"
    if f.late_workdays:
        text = f"逾期{f.late_workdays}个工作日"
    elif f.late_days:
        text = f"逾期{f.late_days}天"
    else:
        text = "已逾期"
    return text + ("，需催办" if f.urge and not f.escalate else "")


def by_dept(rep: DailyReport, people: Mapping[str, Person]) -> list[tuple[str, list[Flag]]]:
    """Overdue and due-today cases by 承办部门: the departments with the most overdue
    first; in each, the most urgent first."""
    groups: dict[str, list[Flag]] = defaultdict(list)
    for f in rep.flags:
        if f.level in ("overdue", "due_today"):
            groups[dept_of(f.case, people) or NO_DEPT].append(f)
    for flags in groups.values():
        flags.sort(key=urgency)
    return sorted(
        groups.items(),
        key=lambda kv: (-sum(f.level == "overdue" for f in kv[1]), -len(kv[1]), kv[0]),
    )


def write_brief(
    rep: DailyReport,
    out_dir: Path,
    *,
    office: str,
    people: Mapping[str, Person],
    like: Path | None = None,
) -> Path:
    """Write ``daily-YYYY-MM-DD.docx`` into ``out_dir`` atomically; its path goes on
    ``rep.brief``."""
    target = out_dir / f"daily-{rep.day.isoformat()}.docx"
    atomic_write(
        target, lambda tmp: _document(rep, office=office, people=people).save(tmp), like=like
    )
    rep.brief = target
    return target


def _document(rep: DailyReport, *, office: str, people: Mapping[str, Person]) -> WordReport:
    from procdoc.reports.word import WordReport

    doc = WordReport(margins_mm=(20, 18, 18, 18), body_size=12)
    doc.title("流程运行日报", size=20)
    doc.para(
        f"{office}　{date_cn(rep.day)}（星期{WEEKDAYS[rep.day.weekday()]}）　统计时点 {rep.as_of:%H:%M}",
        center=True,
        after=6,
    )
    notices = rep.notices()
    for line in notices:
        doc.para(line, size=10.5, bold=True, color="C00000")

    escalate = sorted((f for f in rep.flags if f.escalate), key=urgency)
    groups = by_dept(rep, people)
    today_lines = _today_lines(rep)
    used = sum(_para_lines(line) for line in [*today_lines, *notices])
    listed = fit_page(escalate, groups, _PAGE_LINES - used)
    workbook = f"daily-{rep.day.isoformat()}.xlsx"

    doc.heading("一、需上报的案件")
    if escalate:
        shown = escalate[: listed.escalate]
        rows: list[list[object]] = [_escalate_row(f, people) for f in shown]
        bands: list[int] = []
        if len(shown) < len(escalate):
            bands.append(len(rows))
            rows.append([f"另有 {len(escalate) - len(shown)} 件需上报，未列出，见 {workbook}"])
        doc.table(ESCALATE_HEADER, rows, widths_mm=ESCALATE_WIDTHS, bands=bands, size=TABLE_SIZE)
    else:
        doc.para("无。", indent=True)

    overdue = sum(f.level == "overdue" for _, flags in groups for f in flags)
    today = sum(f.level == "due_today" for _, flags in groups for f in flags)
    doc.heading(f"二、逾期与今日到期（逾期 {overdue} 件，今日到期 {today} 件）")
    if groups:
        rows = []
        bands = []
        for (dept, flags), keep in zip(groups, listed.by_dept, strict=True):
            late = sum(f.level == "overdue" for f in flags)
            escalated = sum(f.escalate for f in flags)
            rest = [f for f in flags if not f.escalate]  # listed under 一 already
            if escalated == len(flags):
                note = "，均需上报（见上表）"
            elif escalated:
                note = f"（其中需上报 {escalated} 件，见上表），今日到期 {len(flags) - late} 件"
            else:
                note = f"，今日到期 {len(flags) - late} 件"
            if keep < len(rest):
                note += f"；另 {len(rest) - keep} 件未列出，见 {workbook}"
            bands.append(len(rows))
            rows.append([f"{dept}：逾期 {late} 件{note}"])
            rows += [_dept_row(f) for f in rest[:keep]]
        doc.table(DEPT_HEADER, rows, widths_mm=DEPT_WIDTHS, bands=bands, size=TABLE_SIZE)
    else:
        doc.para("无。", indent=True)

    doc.heading("三、今日情况")
    for line in today_lines:
        doc.para(line, indent=True)
    return doc


def _today_lines(rep: DailyReport) -> list[str]:
    """The paragraphs of 三、今日情况."""
    groups_today = sum(f.level == "due_today" for f in rep.flags)
    total_open = sum(n for _, n, _ in rep.open_by_process)
    soon = sum(f.level == "due_soon" for f in rep.flags)
    lines = [
        f"今日新增 {len(rep.opened)} 件，办结 {len(rep.closed)} 件；在办 {total_open} 件，其中逾期 "
        f"{len(rep.overdue)} 件、今日到期 {groups_today} 件、临期 {soon} 件。"
    ]
    if rep.open_by_process:
        spread = "；".join(
            f"{p} {n} 件" + (f"（逾期 {late} 件）" if late else "")
            for p, n, late in rep.open_by_process
        )
        lines.append(f"在办分布：{spread}。")
    if rep.waits:
        p, s, _, _, longest, cid = rep.waits[0]
        lines.append(f"滞留最久：{p}·{s}（{cid}，{longest} 天）。")
    if rep.unknown:
        lines.append(
            f"期限无法读取 {len(rep.unknown)} 件（{'、'.join(f.case.id for f in rep.unknown)}），请核对台账。"
        )
    return lines


def _escalate_row(f: Flag, people: Mapping[str, Person]) -> list[object]:
    return [
        f.case.id,
        f.case.title,
        f"{f.case.process.name}·{f.case.step_name or ''}",
        dept_of(f.case, people) or NO_DEPT,
        display(f.due),
        late_text(f),
    ]


def _dept_row(f: Flag) -> list[object]:
    return [
        f.case.id,
        f.case.title,
        f"{f.case.process.name}·{f.case.step_name or ''}",
        f.case.assignee or "",
        display(f.due),
        late_text(f),
    ]


# -- one page --------------------------------------------------------------------------------
#
# The brief is one page (SPEC §8): the daily workbook lists every case. What the page holds
# is counted in lines of table text at TABLE_SIZE; a paragraph of 三 at the body size counts
# as many such lines as it takes. _PAGE_LINES was found by laying briefs out in LibreOffice
# (tests/test_brief.py checks one page for short and for long titles).

_PAGE_LINES = 46
"""Lines of 10-point table text one A4 page holds beside the title, the three headings
and the two tables' header rows."""
_BODY_CHARS = 40
"""Full-width characters on a line of 三 (12 point across 174 mm, indented)."""
_CELL_PAD_MM = 3.8  # Word's default cell margins, 1.9 mm each side


@dataclass
class Listed:
    """How many of the cases the brief lists: the first ``escalate`` of 一, and the first
    ``by_dept[i]`` not escalated of each department in 二."""

    escalate: int
    by_dept: list[int]


def fit_page(
    escalate: Sequence[Flag], groups: Sequence[tuple[str, Sequence[Flag]]], budget: int
) -> Listed:
    """What fits on the page in ``budget`` lines: the cases to escalate, most urgent first,
    then each department's others in turns (the first of each, then the second of each, ...),
    every department's heading kept. What is left out is counted on the page."""
    room = budget - len(groups)  # a heading line a department
    lines = [_row_lines(_texts(f, dept=True)) for f in escalate]
    shown = 0
    for n in lines:
        if n > room - (1 if shown + 1 < len(escalate) else 0):
            break
        room -= n
        shown += 1
    if shown < len(escalate):
        room -= 1  # the line saying how many more
    rests = [[f for f in flags if not f.escalate] for _, flags in groups]
    keep = [0] * len(groups)
    took = True
    while took:  # a turn: the next case of each department, while it fits
        took = False
        for i, rest in enumerate(rests):
            if keep[i] < len(rest):
                n = _row_lines(_texts(rest[keep[i]], dept=False))
                if n <= room:
                    room -= n
                    keep[i] += 1
                    took = True
    return Listed(shown, keep)


def _texts(f: Flag, *, dept: bool) -> list[str]:
    return [
        f.case.id,
        f.case.title or "",
        f"{f.case.process.name}·{f.case.step_name or ''}",
        "部门名称" if dept else (f.case.assignee or ""),
        display(f.due),
        late_text(f),
    ]


def _row_lines(texts: Sequence[str]) -> int:
    """The lines the tallest cell of a row takes at TABLE_SIZE."""
    return max(
        _text_lines(text, width - _CELL_PAD_MM, TABLE_SIZE)
        for text, width in zip(texts, DEPT_WIDTHS, strict=True)
    )


def _para_lines(text: str) -> int:
    """A paragraph of the body (12 point) in lines of table text (10 point, tighter)."""
    return math.ceil(_text_lines(text, _BODY_CHARS * 12 * 0.3528, 12) * 1.3)


def _text_lines(text: str, width_mm: float, size: float) -> int:
    per_line = 0.95 * width_mm / (size * 0.3528)  # full-width characters a line holds
    units = sum(1.0 if east_asian_width(ch) in "WF" else 0.55 for ch in text)
    return max(1, math.ceil(units / per_line - 1e-9))
