"""The monthly report (SPEC §10): the statistics of one month beside the month before
(环比), as a Word report for the office (A4, in the manual's house style, page numbers)
and an .xlsx with the tables and charts.

环比 (month-on-month): a count changes by (this - last) / last; a rate by the difference
in percentage points; a time by the difference in working days. Nothing is shown where
the month before had nothing to compare with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procdoc.calendar import date_cn
from procdoc.errors import UsageError
from procdoc.i18n import _
from procdoc.reports.stats import GroupStats, StatsReport, StepLimit, days_text, percent

if TYPE_CHECKING:
    from procdoc.reports.word import WordReport

#: (JSON key, label, kind): count, rate or days.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("opened", "新增件数", "count"),
    ("closed", "办结件数", "count"),
    ("open", "在办件数", "count"),
    ("cancelled", "撤销件数", "count"),
    ("closed_rate", "办结率", "rate"),
    ("on_time_rate", "按时办结率", "rate"),
    ("mean_workdays", "平均办结用时（工作日）", "days"),
    ("median_workdays", "办结用时中位数（工作日）", "days"),
    ("returns", "退回次数", "count"),
    ("return_rate", "退回率", "rate"),
    ("extensions", "延期次数", "count"),
)
COMPARE_HEADER = ["指标", "本月", "上月", "环比"]
PROCESS_HEADER = ["流程", "新增", "办结率", "按时办结率", "平均办结用时"]
LIMIT_COMPARE_HEADER = ["流程·环节", "时限", "本月达标率", "上月达标率", "在办超时"]
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def parse_month(text: str | None, today: date) -> date:
    """``--month YYYY-MM`` as its first day; by default the last complete month."""
    if text is None:
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    m = _MONTH.fullmatch(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise UsageError(
            _("--month: bad month '{text}': write YYYY-MM, e.g. 2026-03").format(text=text)
        )
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def value(g: GroupStats | None, key: str) -> Any:
    if g is None:
        return None
    return getattr(g, key)


def change(current: float | None, previous: float | None, kind: str) -> float | None:
    """环比: relative for counts, a difference for rates (in points, as a fraction) and
    times (working days); None when it cannot be told."""
    if current is None or previous is None:
        return None
    if kind == "count":
        return round((current - previous) / previous, 4) if previous else None
    return round(current - previous, 4)


def change_text(delta: float | None, kind: str) -> str:
    if delta is None:
        return "—"
    if kind == "count":
        return f"{delta * 100:+.1f}%"
    if kind == "rate":
        return f"{delta * 100:+.1f}个百分点"
    return f"{delta:+.2f}".rstrip("0").rstrip(".") + "个工作日"


def change_words(delta: float | None, kind: str) -> str:
    """环比 as a sentence says it: 增长 150.0% / 下降 20.0 个百分点 / 增加 3.75 个工作日."""
    if delta is None:
        return ""
    if delta == 0:
        return "持平"
    up = delta > 0
    size = abs(delta)
    if kind == "count":
        return f"{'增长' if up else '下降'} {size * 100:.1f}%"
    if kind == "rate":
        return f"{'上升' if up else '下降'} {size * 100:.1f} 个百分点"
    return f"{'增加' if up else '减少'} {days_text(size)} 个工作日"


def shown(v: Any, kind: str) -> str:
    if kind == "rate":
        return percent(v)
    if kind == "days":
        return days_text(v)
    return "—" if v is None else str(v)


@dataclass
class MonthlyReport:
    month: date  # its first day
    current: StatsReport
    previous: StatsReport
    docx: Path | None = None
    xlsx: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def previous_label(self) -> str:
        return f"{self.previous.start.year}年{self.previous.start.month}月"

    def compare_rows(self) -> list[list[str]]:
        now, before = self.current.total, self.previous.total
        return [
            [
                label,
                shown(value(now, key), kind),
                shown(value(before, key), kind),
                change_text(change(value(now, key), value(before, key), kind), kind),
            ]
            for key, label, kind in METRICS
        ]

    def pairs(self) -> list[tuple[str, GroupStats | None, GroupStats | None]]:
        """(process name, this month, the month before) for every process with cases in
        either month, in the order the processes are listed."""
        now = {g.group: g for g in self.current.groups}
        before = {g.group: g for g in self.previous.groups}
        names = {g.group: g.label for g in [*self.previous.groups, *self.current.groups]}
        order = [g.group for g in self.current.groups] + [
            g.group for g in self.previous.groups if g.group not in now
        ]
        return [(names[k], now.get(k), before.get(k)) for k in order]

    def process_rows(self) -> list[list[str]]:
        def both(a: GroupStats | None, b: GroupStats | None, key: str, kind: str) -> str:
            return f"{shown(value(a, key) if a else 0 if kind == 'count' else None, kind)}（{shown(value(b, key) if b else 0 if kind == 'count' else None, kind)}）"

        return [
            [
                name,
                both(a, b, "opened", "count"),
                both(a, b, "closed_rate", "rate"),
                both(a, b, "on_time_rate", "rate"),
                both(a, b, "mean_workdays", "days"),
            ]
            for name, a, b in self.pairs()
        ]

    def limit_pairs(self) -> list[tuple[StepLimit | None, StepLimit | None]]:
        """(this month, the month before) for every step with a deadline that cases of
        either month reached, a step seen in one month only too: by process (as this
        month lists them, then those of the month before only), each in its steps' order."""
        now = {(s.process.id, s.step.id): s for s in self.current.limits}
        before = {(s.process.id, s.step.id): s for s in self.previous.limits}
        both = {**before, **now}
        processes = list(dict.fromkeys(p for p, _step in [*now, *before]))

        def place(key: tuple[str, str]) -> tuple[int, int]:
            steps = [s.id for s in both[key].process.steps]
            return processes.index(key[0]), steps.index(key[1])

        return [(now.get(k), before.get(k)) for k in sorted(both, key=place)]

    def limit_rows(self) -> list[list[str]]:
        rows = []
        for a, b in self.limit_pairs():
            s = a or b
            assert s is not None
            rows.append(
                [
                    f"{s.process.name}·{s.step.name}",
                    s.step.deadline.label_cn() if s.step.deadline else "",
                    percent(a.on_time_rate if a else None),
                    percent(b.on_time_rate if b else None),
                    str(a.overdue_open if a else 0),
                ]
            )
        return rows

    def as_dict(self) -> dict[str, Any]:
        now, before = self.current.total, self.previous.total
        return {
            "month": f"{self.month:%Y-%m}",
            "previous_month": f"{self.previous.start:%Y-%m}",
            "current": self.current.as_dict(),
            "previous": self.previous.as_dict(),
            "change": {
                key: change(value(now, key), value(before, key), kind) for key, _, kind in METRICS
            },
            "docx": str(self.docx) if self.docx else None,
            "xlsx": str(self.xlsx) if self.xlsx else None,
        }

    def attention(self) -> list[str]:
        """What the office should look at: steps that kept their time limit less than
        four times in five, cases still past a step's deadline, duplicate 文号, times
        that could not be counted, process files left out."""
        out = []
        for s in self.current.limits:
            if s.on_time_rate is not None and s.on_time_rate < 0.8:
                why = [
                    *([f"{s.late} 次超时"] if s.late else []),
                    *([f"{s.overdue_open} 件在办已超时限"] if s.overdue_open else []),
                ]
                limit = s.step.deadline.label_cn() if s.step.deadline else ""
                out.append(
                    f"{s.process.name}“{s.step.name}”环节时限达标率 {percent(s.on_time_rate)}"
                    f"（{'，'.join(why)}，时限 {limit}）。"
                )
            elif s.overdue_open:
                out.append(
                    f"{s.process.name}“{s.step.name}”环节尚有 {s.overdue_open} 件在办已超时限。"
                )
        for y in self.current.numbers.years:
            for d in y.duplicates:
                cells = "、".join(c.cell for c in d.cells)
                out.append(f"文号 {d.number} 重号（{cells}），请核对更正。")
        if self.current.unknown:
            out.append(
                f"{len(self.current.unknown)} 件案件的登记或办结时间无法读取，未计入用时，请核对台账。"
            )
        months = [
            f"{word} {len(r.untimed)} 件"
            for word, r in (("本月", self.current), ("上月", self.previous))
            if r.untimed
        ]
        if months:
            out.append(
                f"{'、'.join(months)}已办结案件的流转记录没有办结前的环节（如导入或接管时已办结），"
                "无从计算用时、判断是否按时，未计入用时和按时办结率。"
            )
        out += [f"未计入：{m}" for m in self.current.missing]
        return out


def summary_text(rep: MonthlyReport) -> str:
    """The opening paragraph of the Word report."""
    now, before = rep.current.total, rep.previous.total

    def with_change(key: str, kind: str, unit: str = "") -> str:
        text = f"{shown(value(now, key), kind)}{unit}"
        prev = value(before, key)
        if prev is None:
            return text
        words = change_words(change(value(now, key), prev, kind), kind)
        return text + f"（上月 {shown(prev, kind)}{unit}" + (f"，环比{words}）" if words else "）")

    parts = [
        f"{rep.month.month}月共新增案件 {with_change('opened', 'count', ' 件')}",
        f"办结 {now.closed} 件，办结率 {with_change('closed_rate', 'rate')}",
        f"按时办结率 {with_change('on_time_rate', 'rate')}",
    ]
    if now.mean_workdays is not None:
        parts.append(f"平均办结用时 {with_change('mean_workdays', 'days', ' 个工作日')}")
    tail = f"退回 {now.returns} 次，延期 {now.extensions} 次，撤销 {now.cancelled} 件。"
    return "；".join(parts) + "。" + tail


# -- writing ---------------------------------------------------------------------------------


def write_monthly(
    rep: MonthlyReport, out_dir: Path, *, office: str, like: Path | None = None
) -> tuple[Path, Path]:
    """Write ``monthly-YYYY-MM.docx`` and ``monthly-YYYY-MM.xlsx`` atomically."""
    from procdoc.fileio import atomic_write

    stem = f"monthly-{rep.month:%Y-%m}"
    docx_path, xlsx_path = out_dir / f"{stem}.docx", out_dir / f"{stem}.xlsx"
    atomic_write(docx_path, lambda tmp: _document(rep, office=office).save(tmp), like=like)
    atomic_write(xlsx_path, lambda tmp: _workbook(rep, tmp, office=office), like=like)
    rep.docx, rep.xlsx = docx_path, xlsx_path
    return docx_path, xlsx_path


def _document(rep: MonthlyReport, *, office: str) -> WordReport:
    from procdoc.reports.word import WordReport

    doc = WordReport(margins_mm=(37, 26, 35, 28), body_size=16)
    doc.title(f"{rep.label}流程运行情况月报")
    cur = rep.current
    doc.para(office, size=14, center=True)
    doc.para(f"统计范围：{date_cn(cur.start)}至{date_cn(cur.end)}新增的案件", size=12, center=True)
    doc.para(f"（状态截至{date_cn(cur.as_of)}）", size=12, center=True, after=8)
    for line in cur.missing:
        doc.para(f"未计入：{line}", size=12, bold=True, color="C00000")
    doc.heading("一、总体情况", size=16)
    if cur.empty:
        doc.para(f"{rep.month.month}月无新增案件。", indent=True)
    doc.para(summary_text(rep), indent=True)
    doc.table(COMPARE_HEADER, rep.compare_rows(), widths_mm=(56, 30, 30, 40), size=12)
    doc.para("用时按工作日计，起始日不计；已撤销的案件单列，不计入新增。", size=12, before=3)
    doc.heading("二、分流程情况", size=16)
    rows = rep.process_rows()
    if rows:
        doc.table(PROCESS_HEADER, rows, widths_mm=(30, 22, 36, 36, 32), size=10.5)
        doc.para("括号内为上月数；平均办结用时以工作日计。", size=12, before=3)
    else:
        doc.para("本月与上月均无新增案件。", indent=True)
    doc.heading("三、环节时限执行情况", size=16)
    limits = rep.limit_rows()
    if limits:
        doc.table(LIMIT_COMPARE_HEADER, limits, widths_mm=(48, 28, 28, 28, 24), size=12)
        doc.para(
            "达标率：本月新增案件在该环节的停留中，于期限（含延期）内离开的比例。",
            size=12,
            before=3,
        )
    else:
        doc.para("本月无设时限的环节办理记录。", indent=True)
    doc.heading("四、文号管理", size=16)
    years = [y for y in cur.numbers.years if y.year == rep.month.year]
    if years:
        for y in years:
            missing = "、".join(g.number for g in y.missing) or "无"
            doc.para(
                f"编号序列 {y.shown or y.sequence}：{y.year} 年共编号 {y.numbered} 件，重号率 {percent(y.duplicate_rate)}"
                f"（标准为 0），重号 {len(y.duplicates)} 个，缺号：{missing}。",
                indent=True,
            )
    else:
        doc.para("未设置编号序列。", indent=True)
    doc.heading("五、需关注的问题", size=16)
    notes = rep.attention()
    for i, line in enumerate(notes, start=1):
        doc.para(f"{i}. {line}", indent=True)
    if not notes:
        doc.para("无。", indent=True)
    return doc


def _workbook(rep: MonthlyReport, path: Path, *, office: str) -> None:
    from procdoc.reports.sheets import ReportBook
    from procdoc.reports.stats import add_stats_sheets, has_values

    book = ReportBook(path)
    try:
        sheet, first = book.table(
            "环比",
            f"{office} {rep.label}流程运行情况（与{rep.previous_label}比较）",
            COMPARE_HEADER,
            rep.compare_rows(),
            widths=[26, 14, 14, 21],
            notes=["环比：件数为增减百分比，比率为百分点之差，用时为工作日之差"],
            editable=True,
        )
        points = book.wb.add_format(
            {"border": 1, "num_format": '+0.0"个百分点";-0.0"个百分点";+0.0"个百分点"'}
        )
        days = book.wb.add_format(
            {"border": 1, "num_format": '+0.0#"个工作日";-0.0#"个工作日";+0"个工作日"'}
        )
        # a zero change is "+0.0" as the Word report writes it (change_text)
        signed = book.wb.add_format({"border": 1, "num_format": "+0.0%;-0.0%;+0.0%"})
        now, before = rep.current.total, rep.previous.total
        for r, (key, _label, kind) in enumerate(METRICS, start=first):  # the figures as numbers
            a, b = value(now, key), value(before, key)
            fmt = {"count": None, "rate": "pct", "days": "num"}[kind]
            for c, v in ((1, a), (2, b)):
                book.write(sheet, r, c, v if v is not None else "—", fmt or "")
            delta = change(a, b, kind)
            if delta is None:
                book.write(sheet, r, 3, "—")
            else:
                sheet.write_number(
                    r,
                    3,
                    delta * (100 if kind == "rate" else 1),
                    {"count": signed, "rate": points, "days": days}[kind],
                )
        pairs = rep.pairs()
        top = first + len(METRICS) + 2
        header = ["流程", "本月新增", "上月新增", "本月办结率", "上月办结率",
                  "本月按时办结率", "上月按时办结率", "本月平均用时", "上月平均用时"]  # fmt: skip
        sheet.write_row(top, 0, header, book.head)
        kinds = ["", "", "", "pct", "pct", "pct", "pct", "num", "num"]
        for r, (name, a, b) in enumerate(pairs, start=top + 1):
            values = [name, value(a, "opened") or 0, value(b, "opened") or 0,
                      value(a, "closed_rate"), value(b, "closed_rate"),
                      value(a, "on_time_rate"), value(b, "on_time_rate"),
                      value(a, "mean_workdays"), value(b, "mean_workdays")]  # fmt: skip
            for c, v in enumerate(values):
                book.write(sheet, r, c, v, kinds[c])
        sheet.set_column(4, 8, 13)  # columns A-D are the first table's
        charts: list[Any] = []
        if pairs:
            rows = (top + 1, top + len(pairs))
            table = [
                [name, value(a, "opened") or 0, value(b, "opened") or 0, None, None,
                 value(a, "on_time_rate"), value(b, "on_time_rate")]
                for name, a, b in pairs
            ]  # fmt: skip
            for title, cols, labels, axis in (
                ("各流程新增件数（本月与上月）", (1, 2), "0", {"min": 0}),
                ("各流程按时办结率（本月与上月）", (5, 6), "0%",
                 {"min": 0, "max": 1, "num_format": "0%"}),
            ):  # fmt: skip
                if not has_values(table, cols):
                    continue  # nothing to draw: no page of bare axes
                series = [(c, header[c]) for c in cols]
                charts.append(
                    book.series_chart(title, "环比", rows, series, labels=labels, axis=axis)
                )
        add_stats_sheets(
            book,
            rep.current,
            office=office,
            title=f"{office} {rep.label}流程运行统计",
            extra=charts,
        )
    finally:
        book.close()
