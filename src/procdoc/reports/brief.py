"""The head's brief (SPEC §8): ``daily-YYYY-MM-DD.docx``, one A4 portrait page written
beside the daily report. What a head reads first comes first: process files left out
(their cases are not counted), the cases to escalate, then what is overdue or due today
by 承办部门, then the day's counts. It stays one page: when the day's cases do not fit,
the most urgent are listed (the cases to escalate first, then each department's in turns)
and the page says how many more the daily workbook lists (:meth:`Page.fit`). Rows never
split across a page; the header row repeats."""

from __future__ import annotations

import math
import re
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
DEPT_WIDTHS = ESCALATE_WIDTHS
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
    workbook = f"daily-{rep.day.isoformat()}.xlsx"
    page = Page(workbook, people)
    listed = page.fit(escalate, groups, _PAGE_LINES - used)

    doc.heading("一、需上报的案件")
    if escalate:
        shown = escalate[: listed.escalate]
        rows: list[list[str]] = [page.escalate_row(f) for f in shown]
        bands: list[int] = []
        if len(shown) < len(escalate):
            bands.append(len(rows))
            rows.append([page.more_escalated(len(escalate) - len(shown))])
        doc.table(ESCALATE_HEADER, rows, widths_mm=ESCALATE_WIDTHS, bands=bands, size=TABLE_SIZE)
    else:
        doc.para("无。", indent=True)

    overdue = sum(f.level == "overdue" for _, flags in groups for f in flags)
    today = sum(f.level == "due_today" for _, flags in groups for f in flags)
    doc.heading(f"二、逾期与今日到期（逾期 {overdue} 件，今日到期 {today} 件）")
    if groups:
        rows = []
        bands = []
        shown_groups = groups[: listed.departments]
        unlisted = {f.case.id for f in escalate[listed.escalate :]}
        for (dept, flags), keep in zip(shown_groups, listed.by_dept, strict=True):
            rest = [f for f in flags if not f.escalate]  # listed under 一 already
            bands.append(len(rows))
            missing = any(f.case.id in unlisted for f in flags)
            rows.append([page.heading(dept, flags, len(rest) - keep, missing)])
            rows += [page.dept_row(f) for f in rest[:keep]]
        if listed.departments < len(groups):
            bands.append(len(rows))
            rows.append([page.more_departments(groups[listed.departments :])])
        doc.table(DEPT_HEADER, rows, widths_mm=DEPT_WIDTHS, bands=bands, size=TABLE_SIZE)
    else:
        doc.para("无。", indent=True)

    doc.heading("三、今日情况")
    for line in today_lines:
        doc.para(line, indent=True)
    return doc


def _today_lines(rep: DailyReport) -> list[str]:
    """The paragraphs of 三、今日情况."""
    today = sum(f.level == "due_today" for f in rep.flags)
    total_open = sum(n for _, n, _ in rep.open_by_process)
    soon = sum(f.level == "due_soon" for f in rep.flags)
    lines = [
        f"今日新增 {len(rep.opened)} 件，办结 {len(rep.closed)} 件；在办 {total_open} 件，其中逾期 "
        f"{len(rep.overdue)} 件、今日到期 {today} 件、临期 {soon} 件。"
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


# -- one page --------------------------------------------------------------------------------
#
# The brief is one page (SPEC §8): the daily workbook lists every case. What the page holds
# is counted in lines of table text at TABLE_SIZE (a row is as tall as its tallest cell; a
# department's heading spans the table); a paragraph of 三 at the body size counts as many
# such lines as it takes. _PAGE_LINES was found by laying briefs out in LibreOffice
# (tests/test_brief.py checks one page for short and long titles, long department names
# and many departments).

_PAGE_LINES = 49
"""Lines of 10-point table text one A4 page holds beside the title, the three headings
and the two tables' header rows (each row costing its padding too, :data:`_ROW_PAD`)."""
_ROW_PAD = 0.2
"""A table row's padding, in lines: in LibreOffice's PDF of a brief a row of one line is
5.0 mm tall, of three 13.2 mm (4.1 mm a line, 0.9 mm a row). Counting rows by their lines
alone left a fifth of the page empty under long titles (QA)."""
_BODY_CHARS = 40
"""Full-width characters on a line of 三 (12 point across 174 mm, indented)."""
_CELL_PAD_MM = 3.8  # Word's default cell margins, 1.9 mm each side
_HEADINGS_SHARE = 0.5
"""The most of the page departments' headings take; the departments after them are
counted on one line."""


@dataclass
class Listed:
    """What the brief lists: the first ``escalate`` cases of 一; in 二, the first
    ``departments`` departments, and the first ``by_dept[i]`` not escalated of each."""

    escalate: int
    departments: int
    by_dept: list[int]


@dataclass
class Page:
    """The rows of the brief's tables, and what of them fits on its page."""

    workbook: str  # the daily workbook's name, where what is left out is listed
    people: Mapping[str, Person]

    def escalate_row(self, f: Flag) -> list[str]:
        """A row of 一: the case's 承办部门 in its fourth column."""
        return _row(f, dept_of(f.case, self.people) or NO_DEPT)

    def dept_row(self, f: Flag) -> list[str]:
        """A row of 二, under its department's heading: the 承办人 in its fourth column."""
        return _row(f, f.case.assignee or "")

    def heading(
        self, dept: str, flags: Sequence[Flag], left_out: int, unlisted: bool = True
    ) -> str:
        """A department's heading in 二; ``unlisted``: some of its cases to escalate are
        not in the table of 一 (there was no room), so the workbook is named for them."""
        late = sum(f.level == "overdue" for f in flags)
        escalated = sum(f.escalate for f in flags)
        above = f"见上表及 {self.workbook}" if unlisted else "见上表"
        if escalated == len(flags):
            note = f"，均需上报（{above}）"
        elif escalated:
            note = f"（其中需上报 {escalated} 件，{above}），今日到期 {len(flags) - late} 件"
        else:
            note = f"，今日到期 {len(flags) - late} 件"
        if left_out:
            note += f"；另 {left_out} 件未列出，见 {self.workbook}"
        return f"{dept}：逾期 {late} 件{note}"

    def more_escalated(self, n: int) -> str:
        return f"另有 {n} 件需上报，未列出，见 {self.workbook}"

    def more_departments(self, groups: Sequence[tuple[str, Sequence[Flag]]]) -> str:
        flags = [f for _, fs in groups for f in fs]
        late = sum(f.level == "overdue" for f in flags)
        return (
            f"另有 {len(groups)} 个部门逾期 {late} 件、今日到期 {len(flags) - late} 件"
            f"（其中需上报 {sum(f.escalate for f in flags)} 件），未列出，见 {self.workbook}"
        )

    def fit(
        self,
        escalate: Sequence[Flag],
        groups: Sequence[tuple[str, Sequence[Flag]]],
        budget: float,
    ) -> Listed:
        """What fits in ``budget`` lines: the departments' headings (as many as take at
        most half the page, the rest counted on one line), the cases to escalate, most
        urgent first, then each department's others in turns (the first of each, then the
        second of each, ...). What is left out is counted on the page."""
        rests = [[f for f in flags if not f.escalate] for _, flags in groups]
        # a heading is measured as it would read with cases left out (the longest form;
        # none can be when all its cases are escalated: QA found a page a fifth empty)
        heads = [
            _band_lines(self.heading(dept, flags, len(rest)))
            for (dept, flags), rest in zip(groups, rests, strict=True)
        ]
        departments, room = 0, budget
        for n in heads:
            if room - n < budget * (1 - _HEADINGS_SHARE) and departments < len(groups):
                break
            room -= n
            departments += 1
        if departments < len(groups):
            room -= _band_lines(self.more_departments(groups[departments:]))
        shown = 0
        more = _band_lines(self.more_escalated(len(escalate)))
        for f in escalate:
            n = _row_lines(self.escalate_row(f))
            if n > room - (more if shown + 1 < len(escalate) else 0):
                break
            room -= n
            shown += 1
        if shown < len(escalate):
            room -= more
        keep = [0] * departments
        took = True
        while took:  # a turn: the next case of each department, while it fits
            took = False
            for i in range(departments):
                if keep[i] < len(rests[i]):
                    n = _row_lines(self.dept_row(rests[i][keep[i]]))
                    if n <= room:
                        room -= n
                        keep[i] += 1
                        took = True
        return Listed(shown, departments, keep)


def _row(f: Flag, fourth: str) -> list[str]:
    case = f.case
    step = f"{case.process.name}·{case.step_name or ''}"
    return [case.id, case.title or "", step, fourth, display(f.due), late_text(f)]


def _row_lines(texts: Sequence[str]) -> float:
    """The height of a row in lines: the lines its tallest cell takes at TABLE_SIZE, and
    the row's own padding (:data:`_ROW_PAD`)."""
    return _ROW_PAD + max(
        _text_lines(text, width - _CELL_PAD_MM, TABLE_SIZE)
        for text, width in zip(texts, DEPT_WIDTHS, strict=True)
    )


def _band_lines(text: str) -> float:
    """The height of a heading across the whole table, in lines (bold Chinese is as wide)."""
    return _ROW_PAD + _text_lines(text, sum(DEPT_WIDTHS) - _CELL_PAD_MM, TABLE_SIZE)


def _para_lines(text: str) -> int:
    """A paragraph of the body (12 point) in lines of table text (10 point, tighter)."""
    return math.ceil(_text_lines(text, _BODY_CHARS * 12 * 0.3528, 12) * 1.3)


def _text_lines(text: str, width_mm: float, size: float) -> int:
    """The lines ``text`` takes in a column ``width_mm`` wide at ``size`` points, filled as
    LibreOffice fills a line (measured in its PDFs): a Chinese character one em, a letter
    or digit of Times New Roman about half (capitals more), a space a fifth, as much again
    where Chinese meets a letter or digit (both Word and LibreOffice space them apart); a
    Chinese line breaks at any character, a Latin word only where it ends, a line break
    in the text where it stands. (A column of 4.6 ems holds 第5业务 and not 第5业务综;
    counting ems alone put rows on fewer lines than they took, and the page ran over:
    QA.)"""
    room = width_mm / (size * 0.3528)  # the ems a line holds
    lines, used, before = 1, 0.0, ""
    for token in _TOKENS.findall(text):
        if token == "\n":
            lines, used, before = lines + 1, 0.0, ""
            continue
        width = bare = sum(_em(ch) for ch in token)
        if before and _spaced(before, token[0]):
            width += 0.2
        if used + width > room and used > 0:
            lines, used, width = lines + 1, 0.0, bare
        while width > room:  # a word longer than a line: broken where it must
            lines, width = lines + 1, width - room
        used += width
        before = token[-1]
    return lines


_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@&%+#=?-]*|\n|.", re.DOTALL)
"""A Latin word (kept on one line, as a line breaks only after it), a line break, or one
character of anything else."""


_TIMES = {
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (
        0.444, 0.5, 0.444, 0.5, 0.444, 0.333, 0.5, 0.5, 0.278, 0.278, 0.5, 0.278, 0.778,
        0.5, 0.5, 0.5, 0.5, 0.333, 0.389, 0.278, 0.5, 0.5, 0.722, 0.5, 0.5, 0.444,
    ), strict=True)),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
        0.722, 0.667, 0.667, 0.722, 0.611, 0.556, 0.722, 0.722, 0.333, 0.389, 0.722, 0.611,
        0.889, 0.722, 0.722, 0.556, 0.722, 0.667, 0.556, 0.611, 0.722, 0.722, 0.944, 0.722,
        0.722, 0.611,
    ), strict=True)),
    " ": 0.2, "·": 0.34, "-": 0.333, ".": 0.25, ",": 0.25, ":": 0.278, "/": 0.278,
    "(": 0.333, ")": 0.333, "_": 0.5, "@": 0.921, "%": 0.833, "&": 0.778,
}  # fmt: skip
"""The widths of Times New Roman's characters in ems (Liberation Serif, which LibreOffice
sets in its place, has the same); digits and the rest a half. A space is a fifth here:
Word and LibreOffice set a space between Chinese that narrow."""


def _em(ch: str) -> float:
    """The width of a character of the brief's tables, in ems (Times New Roman's for the
    Latin ones, as LibreOffice sets them)."""
    if east_asian_width(ch) in "WF":
        return 1.0
    return _TIMES.get(ch, 0.5)


def _spaced(before: str, after: str) -> bool:
    """Whether Word and LibreOffice put space between two neighbours: Chinese and a letter
    or digit, either way round."""
    wide_before, wide_after = (east_asian_width(ch) in "WF" for ch in (before, after))
    if wide_before == wide_after:
        return False
    half = after if wide_before else before
    return half.isascii() and half.isalnum()
