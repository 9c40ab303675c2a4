"""Statistics over a period (SPEC §10): per process, department, assignee or step, over
the cases opened in the period (cancelled ones counted apart), their state as the ledger
holds it now.

Per group: ``opened`` (cases opened in the period and not cancelled), ``closed``,
``open``, ``cancelled``; ``closed_rate`` (办结率 = closed / opened); ``on_time_rate``
(按时办结率 = closed cases that left every step by its deadline, extensions included /
closed cases); ``mean_workdays`` and ``median_workdays`` to close (working days, the start
day not counted); ``step_workdays`` (mean working days of a stay at each step, over the
stays that ended: where cases wait); ``returns`` and ``return_rate`` (退回 moves / cases);
``extensions``. With ``--by step`` a case counts in every step it entered, and
on-time, returns, extensions and step time are that step's own.

Beside the groups: each step with a deadline and the share of stays that left it in time
(时限达标率), and the 文号 duplicate rate of each `numbering:` sequence per year.

pandas does the group-bys and medians; it is imported here, inside the command, never at
start-up.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from procdoc.errors import ProcdocWarning, UsageError
from procdoc.i18n import _, name_list, ngettext
from procdoc.reports.facts import NO_DEPT, CaseFacts
from procdoc.reports.numbers import NumberReport

if TYPE_CHECKING:
    from procdoc.process.model import Process, Step

By = Literal["process", "dept", "assignee", "step"]
BY_CHOICES: tuple[By, ...] = ("process", "dept", "assignee", "step")
BY_CN = {"process": "流程", "dept": "承办部门", "assignee": "承办人", "step": "环节"}

#: The JSON keys of a group, in order (SPEC §10).
GROUP_KEYS = (
    "group", "opened", "closed", "open", "cancelled", "closed_rate", "on_time_rate",
    "mean_workdays", "median_workdays", "step_workdays", "returns", "return_rate", "extensions",
)  # fmt: skip
#: The table's (and CSV's) headers for a group, after its 分组 column.
GROUP_HEADER = [
    "新增", "办结", "在办", "撤销", "办结率", "按时办结率", "平均用时", "用时中位数",
    "退回", "退回率", "延期", "各环节平均用时",
]  # fmt: skip
#: The table prints the groups as three narrower tables: the counts and rates, the times
#: (working days) and returns, each step's mean time (CSV and the workbook: one table).
COUNT_COLUMNS = 7
TIME_COLUMNS = (0, 7, 8, 9, 10, 11)
STEP_TIME_HEADER = ["环节", "停留次数", "平均用时"]
LIMIT_HEADER = ["流程", "环节", "时限", "离开次数", "按时", "超时", "时限达标率", "在办超时"]
NUMBER_HEADER = ["编号序列", "年度", "编号件数", "不重复编号", "重号率", "重号", "缺号"]


def period_of(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """``--from``/``--to``: both default to this month (by the workspace clock); one
    given alone runs from the first of its month (``--to``) or to today (``--from``)."""
    if start is None and end is None:
        first = today.replace(day=1)
        return first, month_end(first)
    if start is None:
        assert end is not None
        start = end.replace(day=1)
    if end is None:
        end = max(today, start)
    if start > end:
        raise UsageError(
            _("--from {start} is after --to {end}").format(
                start=start.isoformat(), end=end.isoformat()
            ),
            hint=_("the period runs from --from to --to, both days included"),
        )
    return start, end


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def days_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class StepTime:
    process: Process
    step: Step
    stays: int
    mean: float


@dataclass
class GroupStats:
    group: str | None  # the JSON value: a process or step id, a department, a person
    label: str  # as the table shows it
    opened: int = 0
    closed: int = 0
    open: int = 0
    cancelled: int = 0
    on_time: int = 0
    judged: int = 0  # closed cases whose timeliness is known (the on-time denominator)
    mean_workdays: float | None = None
    median_workdays: float | None = None
    steps: list[StepTime] = field(default_factory=list)
    returns: int = 0
    extensions: int = 0
    plain_step_keys: bool = True  # step_workdays keyed by step id (else process.step)

    @property
    def closed_rate(self) -> float | None:
        return rate(self.closed, self.opened)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.judged)

    @property
    def return_rate(self) -> float | None:
        return rate(self.returns, self.opened)

    def step_workdays(self) -> dict[str, float]:
        return {
            (s.step.id if self.plain_step_keys else f"{s.process.id}.{s.step.id}"): s.mean
            for s in self.steps
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "opened": self.opened,
            "closed": self.closed,
            "open": self.open,
            "cancelled": self.cancelled,
            "closed_rate": self.closed_rate,
            "on_time_rate": self.on_time_rate,
            "mean_workdays": self.mean_workdays,
            "median_workdays": self.median_workdays,
            "step_workdays": self.step_workdays(),
            "returns": self.returns,
            "return_rate": self.return_rate,
            "extensions": self.extensions,
        }

    def steps_text(self) -> str:
        return "；".join(
            f"{s.step.name if self.plain_step_keys else f'{s.process.name}·{s.step.name}'} {days_text(s.mean)}"
            for s in self.steps
        )

    def row(self) -> list[Any]:
        return [
            self.label, self.opened, self.closed, self.open, self.cancelled,
            percent(self.closed_rate), percent(self.on_time_rate), days_text(self.mean_workdays),
            days_text(self.median_workdays), self.returns, percent(self.return_rate),
            self.extensions, self.steps_text(),
        ]  # fmt: skip


@dataclass
class StepLimit:
    """How the stays at one step with a deadline kept it."""

    process: Process
    step: Step
    stays: int = 0  # stays that left the step
    on_time: int = 0
    overdue_open: int = 0  # cases still there past the deadline

    @property
    def late(self) -> int:
        return self.stays - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        """按时 ÷ (离开次数 + 在办超时): a case still at the step past its deadline will not
        leave it in time (QA: a step showed 100% with 45 cases there past the deadline)."""
        return rate(self.on_time, self.stays + self.overdue_open)

    @property
    def deadline(self) -> str:
        rule = self.step.deadline
        return str(rule.duration) if rule else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process.id,
            "process_name": self.process.name,
            "step": self.step.id,
            "step_name": self.step.name,
            "deadline": self.deadline,
            "visits": self.stays,
            "on_time": self.on_time,
            "late": self.late,
            "on_time_rate": self.on_time_rate,
            "overdue_open": self.overdue_open,
        }

    def row(self) -> list[Any]:
        rule = self.step.deadline
        return [
            self.process.name, self.step.name, rule.label_cn() if rule else "", self.stays,
            self.on_time, self.late, percent(self.on_time_rate), self.overdue_open,
        ]  # fmt: skip


def number_rows(numbers: NumberReport, *, rates: bool = False) -> list[list[Any]]:
    """The 文号 table's rows; ``rates``: 重号率 as the rate itself (a workbook's cell, shown
    as a percentage), else as its text."""
    return [
        [
            y.shown or y.sequence,
            y.year,
            y.numbered,
            y.distinct,
            y.duplicate_rate if rates else percent(y.duplicate_rate),
            "；".join(f"{d.number} {' '.join(c.cell for c in d.cells)}" for d in y.duplicates)
            or "无",
            " ".join(g.number for g in y.missing) or "无",
        ]
        for y in numbers.years
    ]


@dataclass
class StatsReport:
    start: date
    end: date
    by: By
    as_of: datetime
    groups: list[GroupStats]
    total: GroupStats
    limits: list[StepLimit]
    numbers: NumberReport
    facts: list[CaseFacts]  # the cases of the period (cancelled ones too)
    unknown: list[str] = field(default_factory=list)  # durations that could not be counted
    missing: list[str] = field(default_factory=list)  # process files with errors
    #: closed cases whose 流转记录 records no step (CaseFacts.untimed): not in the times
    untimed: list[str] = field(default_factory=list)
    xlsx: Path | None = None

    @property
    def empty(self) -> bool:
        return not self.facts

    def period_cn(self) -> str:
        from procdoc.calendar import date_cn

        return f"{date_cn(self.start)}至{date_cn(self.end)}"

    def untimed_note(self) -> str:
        """The reports' line for the closed cases left out of the times ("" when none)."""
        if not self.untimed:
            return ""
        ids = "、".join(self.untimed[:5]) + ("等，见“明细”的说明" if len(self.untimed) > 5 else "")
        return (
            f"未计入用时和按时办结率：{len(self.untimed)} 件已办结案件的流转记录没有办结前的环节"
            f"（如导入或接管时已办结），无从计算用时、判断是否按时（{ids}）"
        )

    def rows(self) -> list[list[Any]]:
        return [g.row() for g in self.groups] + ([self.total.row()] if self.groups else [])

    def header(self) -> list[str]:
        return [BY_CN[self.by], *GROUP_HEADER]

    def step_table(self) -> tuple[list[str], list[list[Any]]]:
        """The header and rows of 各环节平均用时: (group, step, stays, mean working days)
        of every group, then of 合计 (except by process: a step belongs to one process,
        so its 合计 row would repeat it). By step, a group is its step: (step, stays,
        mean), once each, without a 合计 that would list every step again."""
        if self.by == "step":
            rows = [[g.label, s.stays, days_text(s.mean)] for g in self.groups for s in g.steps]
            return [BY_CN[self.by], *STEP_TIME_HEADER[1:]], rows
        totals = [self.total] if self.groups and self.by != "process" else []
        groups = [*self.groups, *totals]
        rows = [
            [
                g.label,
                s.step.name if g.plain_step_keys else f"{s.process.name}·{s.step.name}",
                s.stays,
                days_text(s.mean),
            ]
            for g in groups
            for s in g.steps
        ]
        return [BY_CN[self.by], *STEP_TIME_HEADER], rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "as_of": self.as_of.strftime("%Y-%m-%dT%H:%M"),
            "groups": [g.as_dict() for g in self.groups],
            "total": self.total.as_dict(),
            "steps": [s.as_dict() for s in self.limits],
            "numbers": self.numbers.as_dict(),
            "unknown": list(self.unknown),
            "untimed": list(self.untimed),
            "missing": list(self.missing),
            "xlsx": str(self.xlsx) if self.xlsx else None,
        }


# -- computing -----------------------------------------------------------------------------


def in_period(facts: CaseFacts, start: date, end: date) -> bool:
    return facts.opened is not None and start <= facts.opened.date() <= end


def build_stats(
    facts: Sequence[CaseFacts],
    *,
    start: date,
    end: date,
    by: str,
    as_of: datetime,
    processes: Mapping[str, Process],
    numbers: NumberReport,
) -> StatsReport:
    """The statistics of the cases in ``facts`` opened between ``start`` and ``end``."""
    if by not in BY_CHOICES:
        raise UsageError(
            _("--by must be one of {by_choices}, not '{by}'").format(
                by_choices=name_list(BY_CHOICES), by=by
            )
        )
    chosen = [f for f in facts if in_period(f, start, end)]
    order = {p.id: i for i, p in enumerate(processes.values())}
    chosen.sort(key=lambda f: (order.get(f.case.process.id, 99), f.opened or as_of, f.case.id))
    groups = _groups(chosen, by)
    total = GroupStats(None, "合计", plain_step_keys=False)
    _aggregate(chosen, [total], lambda f: [(0, None)])
    _step_times(chosen, [total], lambda f: [0])
    unknown = [line for f in chosen for line in f.unknown]
    untimed = [f.case.id for f in chosen if f.untimed]
    return StatsReport(
        start=start,
        end=end,
        by=by,
        as_of=as_of,
        groups=groups,
        total=total,
        limits=_limits(chosen, as_of),
        numbers=numbers,
        facts=chosen,
        unknown=unknown,
        untimed=untimed,
    )


def _groups(facts: Sequence[CaseFacts], by: By) -> list[GroupStats]:
    """One GroupStats per group, in a stable order (process and step order; names
    sorted, the unnamed last)."""
    keys: dict[Any, GroupStats] = {}
    plain = by in ("process", "step")
    if by == "step":
        for f in facts:
            for stay in f.stays:
                if stay.step.final:
                    continue
                key = (f.case.process.id, stay.step.id)
                if key not in keys:
                    label = f"{f.case.process.name}·{stay.step.name}"
                    keys[key] = GroupStats(f"{key[0]}.{key[1]}", label)
        step_order = _step_order(f.case.process for f in facts)
        ordered = sorted(keys, key=lambda k: step_order.get(k, (99, 99)))
    else:
        for f in facts:
            name = _key(f, by)
            if name not in keys:
                if by == "process":
                    keys[name] = GroupStats(f.case.process.id, f.case.process.name)
                else:
                    keys[name] = GroupStats(name, name or NO_DEPT, plain_step_keys=plain)
        ordered = (
            list(keys) if by == "process" else sorted(keys, key=lambda k: (k is None, k or ""))
        )
    index = {k: i for i, k in enumerate(ordered)}
    groups = [keys[k] for k in ordered]
    if by == "step":

        def members(f: CaseFacts) -> list[tuple[int, str | None]]:
            seen = dict.fromkeys(
                (f.case.process.id, s.step.id) for s in f.stays if not s.step.final
            )
            return [(index[k], k[1]) for k in seen]

        _aggregate(facts, groups, members)
        _step_times(facts, groups, lambda f: [], by_step=index)
    else:
        _aggregate(facts, groups, lambda f: [(index[_key(f, by)], None)])
        _step_times(facts, groups, lambda f: [index[_key(f, by)]])
    return groups


def _key(f: CaseFacts, by: By) -> str | None:
    if by == "process":
        return f.case.process.id
    if by == "dept":
        return f.dept
    return f.assignee


def _aggregate(
    facts: Sequence[CaseFacts],
    groups: list[GroupStats],
    members: Any,
) -> None:
    """Fill the counts, rates and times of ``groups``; ``members(facts)`` gives the
    (group index, step id or None) pairs a case counts in (a step id: on-time, returns
    and extensions are that step's own). pandas is imported once there are rows to count
    (it takes about 0.3 s: a period without cases does not pay it)."""
    rows = []
    for f in facts:
        for gid, step in members(f):
            on_time = f.on_time if step is None else f.on_time_at(step)
            rows.append(
                {
                    "gid": gid,
                    "status": f.status,
                    "on_time": math.nan if on_time is None else float(on_time),
                    "workdays": math.nan if f.workdays is None else float(f.workdays),
                    "returns": sum(1 for s in f.returns if step is None or s == step),
                    "extensions": sum(1 for s in f.extensions if step is None or s == step),
                }
            )
    if not rows:
        return
    import pandas as pd

    df = pd.DataFrame(rows)
    counts = pd.crosstab(df["gid"], df["status"])
    live = df[df["status"] != "cancelled"]
    sums = live.groupby("gid")[["returns", "extensions"]].sum()
    done = live[live["status"] == "closed"]
    times = done.groupby("gid").agg(
        on_time=("on_time", "sum"),
        judged=("on_time", "count"),
        mean=("workdays", "mean"),
        median=("workdays", "median"),
    )
    for gid, g in enumerate(groups):
        if gid in counts.index:
            row = counts.loc[gid]
            g.closed = int(row.get("closed", 0))
            g.open = int(row.get("open", 0))
            g.cancelled = int(row.get("cancelled", 0))
            g.opened = g.closed + g.open
        if gid in sums.index:
            g.returns = int(sums.loc[gid, "returns"])
            g.extensions = int(sums.loc[gid, "extensions"])
        if gid in times.index:
            t = times.loc[gid]
            g.on_time, g.judged = int(t["on_time"]), int(t["judged"])
            g.mean_workdays = _round(t["mean"])
            g.median_workdays = _round(t["median"])


def _step_times(
    facts: Sequence[CaseFacts],
    groups: list[GroupStats],
    members: Any,
    *,
    by_step: Mapping[tuple[str, str], int] | None = None,
) -> None:
    """Each group's mean working days per step, over the stays that ended (cancelled
    cases left out, as everywhere but in ``cancelled``)."""
    rows = []
    for f in facts:
        if f.status == "cancelled":
            continue
        for stay in f.stays:
            if stay.step.final or stay.workdays is None or stay.left is None:
                continue
            key = (f.case.process.id, stay.step.id)
            gids = [by_step[key]] if by_step is not None else members(f)
            for gid in gids:
                rows.append({"gid": gid, "key": key, "workdays": float(stay.workdays)})
    if not rows:
        return
    import pandas as pd

    df = pd.DataFrame(rows)
    means = df.groupby(["gid", "key"], sort=False)["workdays"].agg(["mean", "count"])
    steps: dict[tuple[str, str], tuple[Process, Step]] = {}
    for f in facts:
        for stay in f.stays:
            steps.setdefault((f.case.process.id, stay.step.id), (f.case.process, stay.step))
    order = _step_order(proc for proc, _ in steps.values())
    for (gid, key), row in sorted(means.iterrows(), key=lambda t: order.get(t[0][1], (99, 99))):
        process, step = steps[key]
        mean = _round(row["mean"])
        assert mean is not None
        groups[gid].steps.append(StepTime(process, step, int(row["count"]), mean))


def _unique(processes: Iterable[Process]) -> list[Process]:
    return list({p.id: p for p in processes}.values())


def _step_order(processes: Iterable[Process]) -> dict[tuple[str, str], tuple[int, int]]:
    """(process id, step id) -> its place: processes as met, steps as declared."""
    return {
        (p.id, s.id): (i, j)
        for i, p in enumerate(_unique(processes))
        for j, s in enumerate(p.steps)
    }


def _round(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 2)


def _limits(facts: Sequence[CaseFacts], as_of: datetime) -> list[StepLimit]:
    """Every step with a deadline that cases of the period reached: the stays that left
    it, how many in time, how many cases are still there past it."""
    from procdoc.calendar import WorkCalendar

    out: dict[tuple[str, str], StepLimit] = {}
    for process in _unique(f.case.process for f in facts):
        for step in process.steps:
            if step.deadline is not None and not step.final:
                out[(process.id, step.id)] = StepLimit(process, step)
    for f in facts:
        if f.status == "cancelled":
            continue
        for stay in f.stays:
            limit = out.get((f.case.process.id, stay.step.id))
            if limit is None or stay.due is None:
                continue
            if stay.left is None:
                if as_of >= WorkCalendar.due_moment(stay.due):
                    limit.overdue_open += 1
                continue
            if stay.on_time is None:
                continue
            limit.stays += 1
            limit.on_time += int(stay.on_time)
    return [s for s in out.values() if s.stays or s.overdue_open]  # steps cases reached


def warn_unknown(lines: Iterable[str]) -> None:
    for line in lines:
        warnings.warn(line, ProcdocWarning, stacklevel=2)


def untimed_message(rep: StatsReport, *, label: str = "") -> str | None:
    """The console's line for the closed cases left out of 用时 and 按时办结率."""
    n = len(rep.untimed)
    if not n:
        return None
    return ngettext(
        "{label}{n} closed case left out of 用时 and 按时办结率: 流转记录 records no step before it was closed (e.g. imported already closed): {ids}",
        "{label}{n} closed cases left out of 用时 and 按时办结率: 流转记录 records no step before they were closed (e.g. imported already closed): {ids}",
        n,
    ).format(label=label, n=n, ids=name_list([*rep.untimed[:10], *(["…"] if n > 10 else [])]))


# -- the workbook --------------------------------------------------------------------------

DETAIL_HEADER = [
    "编号", "流程", "标题", "承办部门", "承办人", "状态", "登记时间", "办结时间",
    "办结用时（工作日）", "按时办结", "退回", "延期", "超时环节", "说明",
]  # fmt: skip


#: 明细's 说明 of a closed case left out of the times (CaseFacts.untimed).
UNTIMED_DETAIL = "流转记录无办结前的环节，未计入用时和按时办结率"


def stats_name(rep: StatsReport) -> str:
    return f"stats-{rep.start.isoformat()}_{rep.end.isoformat()}-{rep.by}.xlsx"


def write_stats(rep: StatsReport, out_dir: Path, *, office: str, like: Path | None = None) -> Path:
    """Write ``stats-FROM_TO-BY.xlsx`` into ``out_dir`` atomically."""
    from procdoc.fileio import atomic_write
    from procdoc.reports.sheets import ReportBook

    def write(tmp: Path) -> None:
        book = ReportBook(tmp)
        try:
            add_stats_sheets(book, rep, office=office)
        finally:
            book.close()

    target = out_dir / stats_name(rep)
    atomic_write(target, write, like=like)
    rep.xlsx = target
    return target


def has_values(rows: Sequence[Sequence[Any]], columns: Sequence[int]) -> bool:
    """Whether a chart of ``columns`` of ``rows`` would show anything: a number other
    than 0 in one of them."""
    return any(
        isinstance(row[c], int | float) and not isinstance(row[c], bool) and row[c] != 0
        for row in rows
        for c in columns
        if c < len(row)
    )


def add_stats_sheets(
    book: Any, rep: StatsReport, *, office: str, title: str | None = None, extra: Sequence[Any] = ()
) -> None:
    """The statistics' sheets: 统计 (the groups and 合计), 图表 (one chart a page; ``extra``
    charts first), 环节时限, 文号 and 明细 (one row a case)."""
    from procdoc.layout import STATUS_WORDS

    heading = title or f"{office} 流程运行统计（{rep.period_cn()}）"
    notes = [
        f"统计范围：{rep.period_cn()}新增的案件（已撤销的单列）；状态截至 {rep.as_of:%Y-%m-%d %H:%M}；用时按工作日计，起始日不计",
        *(f"未计入：{m}" for m in rep.missing),
        *(f"用时未知：{u}" for u in rep.unknown),
        *([rep.untimed_note()] if rep.untimed else []),
    ]
    if rep.empty:
        notes.insert(0, "本期无新增案件")
    kinds = ["", "", "", "", "", "pct", "pct", "num", "num", "", "pct", "", ""]
    groups = [*rep.groups, rep.total] if rep.groups else []
    rows = [
        [
            g.label, g.opened, g.closed, g.open, g.cancelled, g.closed_rate, g.on_time_rate,
            g.mean_workdays, g.median_workdays, g.returns, g.return_rate, g.extensions,
            g.steps_text(),
        ]
        for g in groups
    ]  # fmt: skip
    widths = [22, 7, 7, 7, 7, 9, 10, 11, 11, 8, 8, 8, 40]
    _, first = book.table(
        "统计", heading, rep.header(), rows, widths=widths, kinds=kinds, notes=notes,
        empty="本期无新增案件", bold_last=True,
    )  # fmt: skip
    charts = list(extra)
    if rep.groups:
        span = (first, first + len(rep.groups) - 1)
        by = BY_CN[rep.by]
        percent_axis = {"min": 0, "max": 1, "num_format": "0%"}
        for title, series, labels, axis, subtype in (
            (f"各{by}案件数", ((2, "办结"), (3, "在办"), (4, "撤销")), "0;-0;;",
             {"name": "件数"}, "stacked"),
            (f"各{by}办结率与按时办结率", ((5, "办结率"), (6, "按时办结率")), "0%",
             percent_axis, None),
            (f"各{by}办结用时（工作日）", ((7, "平均"), (8, "中位数")), "0.0",
             {"name": "工作日", "min": 0}, None),
        ):  # fmt: skip
            if not has_values(rows[: len(rep.groups)], [c for c, _name in series]):
                continue  # (a chart with nothing to show printed a page of bare axes: QA)
            charts.append(
                book.series_chart(
                    title, "统计", span, series, labels=labels, axis=axis, subtype=subtype
                )
            )
    limit_notes = [
        "离开次数：本期新增案件在该环节的停留中已离开的次数；按时：在期限（含延期）内离开；"
        "时限达标率 = 按时 ÷（离开次数 + 在办超时）"
    ]
    if any(s.stays for s in rep.limits) and any(s.on_time_rate is not None for s in rep.limits):
        first_limit = 2 + len(limit_notes) + 1  # the 环节时限 sheet's first data row
        charts.append(
            book.series_chart(
                "各环节时限达标率",
                "环节时限",
                (first_limit, first_limit + len(rep.limits) - 1),
                ((6, "时限达标率"),),
                labels="0%",
                axis={"min": 0, "max": 1, "num_format": "0%"},
                kind="bar",
                categories=8,
            )
        )
    book.chart_pages("图表", charts)
    limit_rows = [
        [*s.row()[:6], s.on_time_rate, s.overdue_open, f"{s.process.name}·{s.step.name}"]
        for s in rep.limits
    ]
    book.table(
        "环节时限", f"{office} 各环节时限达标情况（{rep.period_cn()}）",
        [*LIMIT_HEADER, "流程·环节"], limit_rows,
        widths=[18, 16, 10, 9, 7, 7, 11, 10, 24],
        kinds=["", "", "", "", "", "", "pct", "", ""],
        notes=limit_notes,
        empty="本期无设时限的环节",
    )  # fmt: skip
    book.table(
        "文号", f"{office} 文号编号情况", NUMBER_HEADER, number_rows(rep.numbers, rates=True),
        widths=[12, 7, 10, 11, 9, 50, 40], kinds=["", "", "", "", "pct", "", ""],
        notes=["重号率 = (编号件数 − 不重复编号) ÷ 编号件数，标准为 0",
               *rep.numbers.malformed_messages()],
        empty="未设置编号序列（procdoc.yaml 的 numbering:）",
    )  # fmt: skip
    detail = []
    for f in rep.facts:
        c = f.case
        late = "、".join(f"{s.step.name}（{s.late}）" for s in f.stays if s.on_time is False)
        detail.append([
            c.id, c.process.name, c.title, f.dept or NO_DEPT, f.assignee,
            STATUS_WORDS[c.status], f.opened, c.closed if c.status != "open" else None,
            f.workdays, {True: "是", False: "否"}.get(f.on_time, "") if f.on_time is not None else "",
            len(f.returns), len(f.extensions), late,
            "；".join([*f.unknown, *([UNTIMED_DETAIL] if f.untimed else [])]),
        ])  # fmt: skip
    book.table(
        "明细", f"{office} 案件明细（{rep.period_cn()}新增）", DETAIL_HEADER, detail,
        widths=[14, 12, 28, 12, 9, 8, 16, 16, 10, 9, 6, 6, 24, 30],
        empty="本期无新增案件",
    )  # fmt: skip
