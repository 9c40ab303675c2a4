"""The daily report (SPEC §8): what was opened and closed that day, what is open where,
what is late or due, and where cases wait longest; written as an .xlsx with a chart and a
Markdown twin. With ``--as-of`` in the past it reports the ledger as it stood then."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.calendar import Duration, WorkCalendar, date_cn
from procdoc.fileio import atomic_write
from procdoc.reports.overdue import FLAG_HEADER, Flag, flag_row, overdue

if TYPE_CHECKING:
    from procdoc.config import Reminders
    from procdoc.model import Case


@dataclass
class DailyReport:
    day: date
    as_of: datetime
    missing: list[str] = field(default_factory=list)  # process files with errors: not counted
    ledger_open: str | None = None  # the ledger was open in Excel/WPS/LibreOffice: who has it
    unreadable: list[str] = field(default_factory=list)  # cells procdoc could not read
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
    brief: Path | None = None  # the head's one-page Word brief (reports/brief.py)

    @property
    def overdue(self) -> list[Flag]:
        return [f for f in self.flags if f.level == "overdue"]

    @property
    def due_soon(self) -> list[Flag]:
        return [f for f in self.flags if f.level in ("due_today", "due_soon")]

    @property
    def unknown(self) -> list[Flag]:
        return [f for f in self.flags if f.level == "unknown"]

    def notices(self) -> list[str]:
        """What the report could not count, for its top: the process files with errors,
        and a ledger open elsewhere (read as last saved)."""
        lines = [f"未计入：{m}" for m in self.missing]
        if self.ledger_open:
            lines.append(f"注意：{self.ledger_open}")
        return lines

    def summary_lines(self) -> list[str]:
        return [*self.notices(), f"{date_cn(self.day)} 日报", *self.figure_lines()]

    def figure_lines(self) -> list[str]:
        total_open = sum(n for _, n, _ in self.open_by_process)
        lines = [
            f"今日新增 {len(self.opened)} 件，今日办结 {len(self.closed)} 件，在办 {total_open} 件",
            f"逾期 {len(self.overdue)} 件，今日到期/临期 {len(self.due_soon)} 件",
        ]
        if self.waits:
            p, s, _, _, longest, cid = self.waits[0]
            lines.append(f"滞留最久：{p} · {s}（{cid}，{longest} 天）")
        if self.unknown:
            lines.append(f"期限无法读取 {len(self.unknown)} 件（见警告中的单元格）")
        return lines


def build_daily(
    cases: Sequence[Case],
    *,
    as_of: datetime,
    within: Duration,
    cal: WorkCalendar,
    reminders: Reminders,
    missing: Sequence[str] = (),
) -> DailyReport:
    """The report over ``cases`` as they stood at ``as_of`` (see Engine.as_of)."""
    day = as_of.date()
    rep = DailyReport(day=day, as_of=as_of, missing=list(missing))
    rep.unreadable = [p for c in cases for p in c.problems]
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
        if c.entered and c.entered <= as_of:
            waits[(c.process.name, c.step_name or "?")].append(((as_of - c.entered).days, c.id))
    rep.waits = sorted(
        (
            (p, s, len(v), round(sum(d for d, _ in v) / len(v), 1), max(v)[0], max(v)[1])
            for (p, s), v in waits.items()
        ),
        key=lambda t: (-t[4], -t[3], t[0], t[1]),
    )[:10]
    return rep


def write_daily(
    rep: DailyReport, out_dir: Path, *, office: str, like: Path | None = None
) -> tuple[Path, Path]:
    """Write ``daily-YYYY-MM-DD.xlsx`` (xlsxwriter, with a native chart) and its Markdown
    twin into ``out_dir``, each atomically."""
    stem = f"daily-{rep.day.isoformat()}"
    xlsx, md = out_dir / f"{stem}.xlsx", out_dir / f"{stem}.md"
    atomic_write(xlsx, lambda tmp: _write_xlsx(rep, tmp, office=office), like=like)
    atomic_write(md, _markdown(rep, office=office), like=like)
    rep.xlsx, rep.markdown = xlsx, md
    return xlsx, md


def _write_xlsx(rep: DailyReport, path: Path, *, office: str) -> None:
    import xlsxwriter

    from procdoc.reports.sheets import WORKBOOK_OPTIONS, print_setup, row_height

    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
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
        # the lists' cells wrap, top-aligned, in thin borders: a long title prints whole
        # on as many lines as it takes (row_height: no spreadsheet sizes the row itself)
        top_left = {"text_wrap": True, "valign": "top", "border": 1}
        wrap = wb.add_format(top_left)
        datef = wb.add_format({**top_left, "num_format": "yyyy-mm-dd"})
        dtf = wb.add_format({**top_left, "num_format": "yyyy-mm-dd hh:mm"})
        red = wb.add_format({**top_left, "bg_color": "#F8CBAD"})
        yellow = wb.add_format({**top_left, "bg_color": "#FFE699"})
        blue = wb.add_format({**top_left, "bg_color": "#BDD7EE"})

        ws = wb.add_worksheet("汇总")
        ws.set_column(0, 0, 22)
        ws.set_column(1, 3, 12)
        ws.write(0, 0, f"{office} 流程日报 {date_cn(rep.day)}", title)
        ws.write(1, 0, f"统计时点：{rep.as_of:%Y-%m-%d %H:%M}")
        for i, line in enumerate(rep.notices()):
            ws.write(2 + i, 4, line, bold)
        figures = [("今日新增", len(rep.opened)), ("今日办结", len(rep.closed)),
                   ("在办", sum(n for _, n, _ in rep.open_by_process)), ("逾期", len(rep.overdue)),
                   ("今日到期/临期", len(rep.due_soon))]  # fmt: skip
        for i, (label, value) in enumerate(figures):
            ws.write(3 + i, 0, label, bold)
            ws.write_number(3 + i, 1, value)
        top = 10
        ws.write_row(top, 0, ["流程", "在办", "逾期"], head)
        for i, (p, n, late) in enumerate(rep.open_by_process):
            ws.write_row(top + 1 + i, 0, [p, n, late], wrap)
        if not rep.open_by_process:
            ws.write(top + 1, 0, "无", wrap)
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
        # A4 landscape fitted to the width: the chart (E4:N19) prints whole on page 1
        chart_end = 3 + 320 // 20
        print_setup(ws, area=(0, 0, max(chart_end, top + len(rep.open_by_process)) + 1, 13))

        def flag_sheet(name: str, flags: list[Flag]) -> None:
            sh = wb.add_worksheet(name)
            sh.write_row(0, 0, FLAG_HEADER, head)
            sh.freeze_panes(1, 0)
            widths = [16, 14, 36, 14, 14, *([11] * 7)]  # 编号, 流程, 标题 (wide), ...
            for c, w in enumerate(widths):
                sh.set_column(c, c, w)
            if not flags:
                sh.write(1, 0, "无", wrap)  # a printed page that says so, not a bare header
            for r, f in enumerate(flags, start=1):
                row = flag_row(f)
                height = row_height(row, widths)
                if height is not None:
                    sh.set_row(r, height)
                fmt = {"overdue": red, "due_today": yellow, "due_soon": blue}.get(f.level, wrap)
                for c, value in enumerate(row):
                    if isinstance(value, datetime):
                        sh.write_datetime(r, c, value, dtf)
                    elif isinstance(value, date):
                        sh.write_datetime(r, c, datetime(value.year, value.month, value.day), datef)
                    else:
                        sh.write(r, c, value, fmt if c == 5 else wrap)
            sh.autofilter(0, 0, max(1, len(flags)), len(FLAG_HEADER) - 1)
            print_setup(sh, header_rows=(0, 0))

        flag_sheet("逾期", rep.overdue)
        flag_sheet("临期", rep.due_soon)
        if rep.unknown:
            flag_sheet("期限无法读取", rep.unknown)

        sh = wb.add_worksheet("在办分布")
        sh.write_row(0, 0, ["流程", "环节", "在办件数"], head)
        sh.set_column(0, 1, 20)
        for r, row in enumerate(rep.open_by_step, start=1):
            sh.write_row(r, 0, list(row), wrap)
        if not rep.open_by_step:
            sh.write(1, 0, "无", wrap)

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
            sh.write_row(r, 0, list(wait), wrap)
        if not rep.waits:
            sh.write(1, 0, "无", wrap)

        # 今日新增 with each case's 登记时间, 今日办结 with its 办结时间
        for name, cases, key, label in (
            ("今日新增", rep.opened, "opened", "登记时间"),
            ("今日办结", rep.closed, "closed", "办结时间"),
        ):
            sh = wb.add_worksheet(name)
            sh.write_row(0, 0, ["编号", "流程", "标题", "当前环节", label], head)
            widths = [16, 16, 36, 14, 17]
            for col, w in enumerate(widths):
                sh.set_column(col, col, w)
            if not cases:
                sh.write(1, 0, "无", wrap)
            for r, c in enumerate(cases, start=1):
                texts = [c.id, c.process.name, c.title, c.step_name]
                sh.write_row(r, 0, texts, wrap)
                height = row_height(texts, widths)
                if height is not None:
                    sh.set_row(r, height)
                moment = getattr(c, key)
                if moment:
                    sh.write_datetime(r, 4, moment, dtf)
                else:
                    sh.write_blank(r, 4, None, wrap)
        for sheet in wb.worksheets()[len(wb.worksheets()) - 4 :]:  # 在办分布 ... 今日办结
            print_setup(sheet, header_rows=(0, 0))
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
        *(f"> **{line}**\n" for line in rep.notices()),
        f"统计时点：{rep.as_of:%Y-%m-%d %H:%M}",
        "",
    ]
    parts += [f"- {line}" for line in rep.figure_lines()]
    parts += [
        "",
        "## 逾期",
        "",
        _md_table(FLAG_HEADER, (flag_row(f) for f in rep.overdue)) if rep.overdue else "无",
    ]
    parts += [
        "",
        "## 今日到期与临期",
        "",
        _md_table(FLAG_HEADER, (flag_row(f) for f in rep.due_soon)) if rep.due_soon else "无",
    ]
    if rep.unknown:
        parts += [
            "",
            "## 期限无法读取",
            "",
            _md_table(FLAG_HEADER, (flag_row(f) for f in rep.unknown)),
        ]
        parts += ["", *(f"- {p}" for p in rep.unreadable)]
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
