"""What is late and what is about to be: `overdue` and the daily report (SPEC §5, §8).

Levels follow DOMAIN.md's colour ladder, with the numbers as settings (`reminders:`):
``due_soon`` (蓝) when the deadline is within the warning window, ``due_today`` (黄) on the
day it falls due, ``overdue`` (红) after it. A case is also flagged for a 催办 once it is
``urge_after`` late and for escalation to the 分管领导 once ``escalate_after`` late.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from procdoc.calendar import Due, Duration, WorkCalendar, date_cn, format_due

if TYPE_CHECKING:
    from procdoc.cases import Case
    from procdoc.config import Reminders

Level = Literal["overdue", "due_today", "due_soon"]
LEVEL_ORDER: dict[str, int] = {"overdue": 0, "due_today": 1, "due_soon": 2}
LEVEL_CN = {"overdue": "逾期", "due_today": "今日到期", "due_soon": "临期"}
COLOUR_CN = {"overdue": "红", "due_today": "黄", "due_soon": "蓝"}


@dataclass
class Flag:
    """One case on the overdue list."""

    case: Case
    level: Level
    deadline: Literal["step", "case"]  # which deadline put it here
    due: Due
    late_days: int
    late_workdays: int
    urge: bool = False
    escalate: bool = False

    def as_dict(self) -> dict[str, Any]:
        out = self.case.as_dict()
        out.update(
            level=self.level,
            late_days=self.late_days,
            late_workdays=self.late_workdays,
            deadline=self.deadline,
            deadline_due=format_due(self.due),
            colour=COLOUR_CN[self.level],
            urge=self.urge,
            escalate=self.escalate,
        )
        return out


def _due_date(due: Due) -> date:
    return due.date() if isinstance(due, datetime) else due


def _window_end(as_of: datetime, within: Duration, cal: WorkCalendar) -> datetime:
    if within.unit == "h":
        return as_of + timedelta(hours=within.amount)
    day = as_of.date()
    end = (
        cal.add_workdays(day, within.amount)
        if within.unit == "wd"
        else day + timedelta(days=within.amount)
    )
    return datetime(end.year, end.month, end.day) + timedelta(days=1)


def classify(due: Due, as_of: datetime, within: Duration, cal: WorkCalendar) -> Level | None:
    """The level of one deadline at ``as_of``, or None when it is not close."""
    today = as_of.date()
    if isinstance(due, datetime):
        if as_of > due:
            return "overdue"
        if due.date() == today:
            return "due_today"
        return "due_soon" if due <= _window_end(as_of, within, cal) else None
    if today > due:
        return "overdue"
    if today == due:
        return "due_today"
    return (
        "due_soon"
        if datetime(due.year, due.month, due.day) < _window_end(as_of, within, cal)
        else None
    )


def flag_case(
    case: Case, as_of: datetime, within: Duration, cal: WorkCalendar, reminders: Reminders
) -> Flag | None:
    if case.status != "open":
        return None
    best: Flag | None = None
    for which, due in (("step", case.due), ("case", case.case_due)):
        if due is None:
            continue
        level = classify(due, as_of, within, cal)
        if level is None:
            continue
        late = level == "overdue"
        due_day = _due_date(due)
        late_days = max(0, (as_of.date() - due_day).days) if late else 0
        late_work = cal.workdays_after(due_day, as_of.date()) if late else 0
        flag = Flag(case, level, which, due, late_days, late_work)  # type: ignore[arg-type]
        if late:
            flag.urge = late_work >= _workdays(reminders.urge_after)
            flag.escalate = late_work >= _workdays(reminders.escalate_after)
        if best is None or (LEVEL_ORDER[flag.level], -flag.late_days, _due_date(flag.due)) < (
            LEVEL_ORDER[best.level],
            -best.late_days,
            _due_date(best.due),
        ):
            best = flag
    return best


def _workdays(d: Duration) -> int:
    return (
        d.amount
        if d.unit == "wd"
        else max(1, d.amount * 5 // 7)
        if d.unit == "d"
        else max(1, d.amount // 24)
    )


def overdue(
    cases: Iterable[Case],
    *,
    as_of: datetime,
    within: Duration,
    cal: WorkCalendar,
    reminders: Reminders,
) -> list[Flag]:
    """Every open case that is overdue, due today or due within ``within``, grouped by
    process and sorted by lateness (most late first)."""
    flags = [f for c in cases if (f := flag_case(c, as_of, within, cal, reminders)) is not None]
    flags.sort(
        key=lambda f: (
            f.case.process.name,
            LEVEL_ORDER[f.level],
            -f.late_days,
            _due_date(f.due),
            f.case.id,
        )
    )
    return flags


def time_left(due: Due, cal: WorkCalendar, *, now: datetime | None = None) -> str:
    """A person's reading of a deadline: 剩余 3 个工作日 / 今日到期 / 已逾期 2 天."""
    moment = now or datetime.now()
    if isinstance(due, datetime):
        hours = (due - moment).total_seconds() / 3600
        return f"剩余 {hours:.0f} 小时" if hours >= 0 else f"已逾期 {-hours:.0f} 小时"
    today = moment.date()
    if due == today:
        return "今日到期"
    if due < today:
        return f"已逾期 {(today - due).days} 天（{cal.workdays_after(due, today)} 个工作日）"
    return f"剩余 {(due - today).days} 天（{cal.workdays_after(today, due)} 个工作日）"


# -- the daily report ------------------------------------------------------------------------------


@dataclass
class DailyReport:
    day: date
    as_of: datetime
    opened: list[Case] = field(default_factory=list)
    closed: list[Case] = field(default_factory=list)
    open_by_step: list[tuple[str, str, int]] = field(default_factory=list)  # process, step, count
    open_by_process: list[tuple[str, int, int]] = field(
        default_factory=list
    )  # process, open, overdue
    flags: list[Flag] = field(default_factory=list)
    waits: list[tuple[str, str, int, float, int, str]] = field(
        default_factory=list
    )  # process, step, count, avg days, max days, longest case
    xlsx: Path | None = None
    markdown: Path | None = None

    @property
    def overdue(self) -> list[Flag]:
        return [f for f in self.flags if f.level == "overdue"]

    @property
    def due_soon(self) -> list[Flag]:
        return [f for f in self.flags if f.level != "overdue"]

    def summary_lines(self) -> list[str]:
        total_open = sum(n for _, n, _ in self.open_by_process)
        lines = [
            f"{date_cn(self.day)} 日报",
            f"今日新增 {len(self.opened)} 件，今日办结 {len(self.closed)} 件，在办 {total_open} 件",
            f"逾期 {len(self.overdue)} 件，今日到期/临期 {len(self.due_soon)} 件",
        ]
        if self.waits:
            p, s, _, _, longest, cid = self.waits[0]
            lines.append(f"滞留最久：{p} · {s}（{cid}，{longest} 天）")
        return lines


def build_daily(
    cases: Sequence[Case],
    *,
    as_of: datetime,
    within: Duration,
    cal: WorkCalendar,
    reminders: Reminders,
) -> DailyReport:
    day = as_of.date()
    rep = DailyReport(day=day, as_of=as_of)
    rep.opened = [c for c in cases if c.opened and c.opened.date() == day]
    rep.closed = [c for c in cases if c.status == "closed" and c.closed and c.closed.date() == day]
    open_cases = [c for c in cases if c.status == "open"]
    rep.flags = overdue(open_cases, as_of=as_of, within=within, cal=cal, reminders=reminders)
    late_by_process = Counter(f.case.process.name for f in rep.flags if f.level == "overdue")
    by_process = Counter(c.process.name for c in open_cases)
    rep.open_by_process = sorted(
        ((p, n, late_by_process[p]) for p, n in by_process.items()), key=lambda t: (-t[1], t[0])
    )
    by_step = Counter((c.process.name, c.step_name or "?") for c in open_cases)
    rep.open_by_step = sorted(
        ((p, s, n) for (p, s), n in by_step.items()), key=lambda r: (r[0], -r[2], r[1])
    )
    waits: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for c in open_cases:
        if c.entered:
            waits[(c.process.name, c.step_name or "?")].append(((as_of - c.entered).days, c.id))
    rep.waits = sorted(
        (
            (p, s, len(v), round(sum(d for d, _ in v) / len(v), 1), max(v)[0], max(v)[1])
            for (p, s), v in waits.items()
        ),
        key=lambda t: (-t[4], -t[3], t[0], t[1]),
    )[:10]
    return rep


def _flag_row(f: Flag) -> list[Any]:
    c = f.case
    return [c.id, c.process.name, c.title, c.step_name, c.assignee, LEVEL_CN[f.level], "环节" if f.deadline == "step" else "办结",
            _due_date(f.due) if not isinstance(f.due, datetime) else f.due, f.late_days, f.late_workdays,
            "是" if f.urge else "", "是" if f.escalate else ""]  # fmt: skip


FLAG_HEADER = [
    "编号",
    "流程",
    "标题",
    "当前环节",
    "承办人",
    "等级",
    "期限类型",
    "期限",
    "逾期天数",
    "逾期工作日",
    "需催办",
    "需上报",
]


def write_daily(rep: DailyReport, out_dir: Path, *, office: str) -> tuple[Path, Path]:
    """Write ``daily-YYYY-MM-DD.xlsx`` (xlsxwriter, with a native chart) and its Markdown
    twin into ``out_dir``, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"daily-{rep.day.isoformat()}"
    xlsx, md = out_dir / f"{stem}.xlsx", out_dir / f"{stem}.md"
    _atomic(xlsx, lambda tmp: _write_xlsx(rep, tmp, office=office))
    _atomic(md, lambda tmp: tmp.write_text(_markdown(rep, office=office), encoding="utf-8"))
    rep.xlsx, rep.markdown = xlsx, md
    return xlsx, md


def _atomic(target: Path, write: Any) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_xlsx(rep: DailyReport, path: Path, *, office: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    try:
        bold = wb.add_format({"bold": True})
        title = wb.add_format({"bold": True, "font_size": 16})
        head = wb.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        datef = wb.add_format({"num_format": "yyyy-mm-dd"})
        dtf = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        red = wb.add_format({"bg_color": "#F8CBAD"})
        yellow = wb.add_format({"bg_color": "#FFE699"})
        blue = wb.add_format({"bg_color": "#BDD7EE"})

        ws = wb.add_worksheet("汇总")
        ws.set_column(0, 0, 22)
        ws.set_column(1, 3, 12)
        ws.write(0, 0, f"{office} 流程日报 {date_cn(rep.day)}", title)
        ws.write(1, 0, f"统计时点：{rep.as_of:%Y-%m-%d %H:%M}")
        figures = [("今日新增", len(rep.opened)), ("今日办结", len(rep.closed)),
                   ("在办", sum(n for _, n, _ in rep.open_by_process)), ("逾期", len(rep.overdue)),
                   ("今日到期/临期", len(rep.due_soon))]  # fmt: skip
        for i, (label, value) in enumerate(figures):
            ws.write(3 + i, 0, label, bold)
            ws.write_number(3 + i, 1, value)
        top = 10
        ws.write_row(top, 0, ["流程", "在办", "逾期"], head)
        for i, (p, n, late) in enumerate(rep.open_by_process):
            ws.write_row(top + 1 + i, 0, [p, n, late])
        if rep.open_by_process:
            chart = wb.add_chart({"type": "column"})
            last = top + len(rep.open_by_process)
            for col, name in ((1, "在办"), (2, "逾期")):
                chart.add_series({
                    "name": name,
                    "categories": ["汇总", top + 1, 0, last, 0],
                    "values": ["汇总", top + 1, col, last, col],
                    "data_labels": {"value": True},
                })  # fmt: skip
            chart.set_title({"name": "各流程在办与逾期件数"})
            chart.set_y_axis({"name": "件数", "major_gridlines": {"visible": True}})
            chart.set_size({"width": 640, "height": 320})
            ws.insert_chart(3, 4, chart)

        def flag_sheet(name: str, flags: list[Flag]) -> None:
            sh = wb.add_worksheet(name)
            sh.write_row(0, 0, FLAG_HEADER, head)
            sh.freeze_panes(1, 0)
            sh.set_column(0, 0, 16)
            sh.set_column(1, 3, 18)
            sh.set_column(4, 11, 11)
            for r, f in enumerate(flags, start=1):
                row = _flag_row(f)
                fmt = {"overdue": red, "due_today": yellow, "due_soon": blue}[f.level]
                for c, value in enumerate(row):
                    if isinstance(value, datetime):
                        sh.write_datetime(r, c, value, dtf)
                    elif isinstance(value, date):
                        sh.write_datetime(r, c, datetime(value.year, value.month, value.day), datef)
                    elif c == 5:
                        sh.write(r, c, value, fmt)
                    else:
                        sh.write(r, c, value)
            sh.autofilter(0, 0, max(1, len(flags)), len(FLAG_HEADER) - 1)

        flag_sheet("逾期", rep.overdue)
        flag_sheet("临期", rep.due_soon)

        sh = wb.add_worksheet("在办分布")
        sh.write_row(0, 0, ["流程", "环节", "在办件数"], head)
        sh.set_column(0, 1, 20)
        for r, row in enumerate(rep.open_by_step, start=1):
            sh.write_row(r, 0, list(row))

        sh = wb.add_worksheet("滞留环节")
        sh.write_row(
            0,
            0,
            ["流程", "环节", "在办件数", "平均滞留天数", "最长滞留天数", "滞留最久的案件"],
            head,
        )
        sh.set_column(0, 1, 20)
        sh.set_column(2, 5, 14)
        for r, wait in enumerate(rep.waits, start=1):
            sh.write_row(r, 0, list(wait))

        for name, cases in (("今日新增", rep.opened), ("今日办结", rep.closed)):
            sh = wb.add_worksheet(name)
            sh.write_row(0, 0, ["编号", "流程", "标题", "当前环节", "登记时间"], head)
            sh.set_column(0, 3, 18)
            for r, c in enumerate(cases, start=1):
                sh.write_row(r, 0, [c.id, c.process.name, c.title, c.step_name])
                if c.opened:
                    sh.write_datetime(r, 4, c.opened, dtf)
    finally:
        wb.close()


def _md_escape(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_escape(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _markdown(rep: DailyReport, *, office: str) -> str:
    parts = [
        f"# {office} 流程日报 {date_cn(rep.day)}",
        "",
        f"统计时点：{rep.as_of:%Y-%m-%d %H:%M}",
        "",
    ]
    parts += [f"- {line}" for line in rep.summary_lines()[1:]]
    parts += [
        "",
        "## 逾期",
        "",
        _md_table(FLAG_HEADER, (_flag_row(f) for f in rep.overdue)) if rep.overdue else "无",
    ]
    parts += [
        "",
        "## 今日到期与临期",
        "",
        _md_table(FLAG_HEADER, (_flag_row(f) for f in rep.due_soon)) if rep.due_soon else "无",
    ]
    parts += [
        "",
        "## 在办分布",
        "",
        _md_table(["流程", "环节", "在办件数"], rep.open_by_step) if rep.open_by_step else "无",
    ]
    parts += ["", "## 滞留最久的环节", "",
              _md_table(["流程", "环节", "在办件数", "平均滞留天数", "最长滞留天数", "滞留最久的案件"], rep.waits) if rep.waits else "无"]  # fmt: skip
    parts += [
        "",
        "## 今日新增",
        "",
        _md_table(
            ["编号", "流程", "标题", "当前环节"],
            ([c.id, c.process.name, c.title, c.step_name] for c in rep.opened),
        )
        if rep.opened
        else "无",
    ]
    parts += [
        "",
        "## 今日办结",
        "",
        _md_table(["编号", "流程", "标题"], ([c.id, c.process.name, c.title] for c in rep.closed))
        if rep.closed
        else "无",
    ]
    return "\n".join(parts) + "\n"
