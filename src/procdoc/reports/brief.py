"""The head's brief (SPEC §8): ``daily-YYYY-MM-DD.docx``, one A4 portrait page written
beside the daily report. What a head reads first comes first: process files left out
(their cases are not counted), the cases to escalate, then what is overdue or due today
by 承办部门, then the day's counts. A longer list runs on to a second page, never cut
mid-row (rows cannot split; the header row repeats)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

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
    for line in rep.notices():
        doc.para(line, size=10.5, bold=True, color="C00000")

    doc.heading("一、需上报的案件")
    escalate = sorted((f for f in rep.flags if f.escalate), key=urgency)
    if escalate:
        doc.table(
            ESCALATE_HEADER,
            [
                [
                    f.case.id,
                    f.case.title,
                    f"{f.case.process.name}·{f.case.step_name or ''}",
                    dept_of(f.case, people) or NO_DEPT,
                    display(f.due),
                    late_text(f),
                ]
                for f in escalate
            ],
            widths_mm=ESCALATE_WIDTHS,
            size=TABLE_SIZE,
        )
    else:
        doc.para("无。", indent=True)

    groups = by_dept(rep, people)
    overdue = sum(f.level == "overdue" for _, flags in groups for f in flags)
    today = sum(f.level == "due_today" for _, flags in groups for f in flags)
    doc.heading(f"二、逾期与今日到期（逾期 {overdue} 件，今日到期 {today} 件）")
    if groups:
        rows: list[list[object]] = []
        bands: list[int] = []
        for dept, flags in groups:
            late = sum(f.level == "overdue" for f in flags)
            listed = sum(f.escalate for f in flags)
            bands.append(len(rows))
            if listed == len(flags):
                note = "，均需上报（见上表）"
            elif listed:
                note = f"（其中需上报 {listed} 件，见上表），今日到期 {len(flags) - late} 件"
            else:
                note = f"，今日到期 {len(flags) - late} 件"
            rows.append([f"{dept}：逾期 {late} 件{note}"])
            rows += [
                [
                    f.case.id,
                    f.case.title,
                    f"{f.case.process.name}·{f.case.step_name or ''}",
                    f.case.assignee or "",
                    display(f.due),
                    late_text(f),
                ]
                for f in flags
                if not f.escalate  # listed under 一 already
            ]
        doc.table(DEPT_HEADER, rows, widths_mm=DEPT_WIDTHS, bands=bands, size=TABLE_SIZE)
    else:
        doc.para("无。", indent=True)

    doc.heading("三、今日情况")
    total_open = sum(n for _, n, _ in rep.open_by_process)
    soon = sum(f.level == "due_soon" for f in rep.flags)
    doc.para(
        f"今日新增 {len(rep.opened)} 件，办结 {len(rep.closed)} 件；在办 {total_open} 件，其中逾期 "
        f"{len(rep.overdue)} 件、今日到期 {today} 件、临期 {soon} 件。",
        indent=True,
    )
    if rep.open_by_process:
        spread = "；".join(
            f"{p} {n} 件" + (f"（逾期 {late} 件）" if late else "")
            for p, n, late in rep.open_by_process
        )
        doc.para(f"在办分布：{spread}。", indent=True)
    if rep.waits:
        p, s, _, _, longest, cid = rep.waits[0]
        doc.para(f"滞留最久：{p}·{s}（{cid}，{longest} 天）。", indent=True)
    if rep.unknown:
        doc.para(
            f"期限无法读取 {len(rep.unknown)} 件（{'、'.join(f.case.id for f in rep.unknown)}），请核对台账。",
            indent=True,
        )
    return doc
