"""Benchmark: change one case of a ledger, procdoc's LedgerStore against openpyxl.

    python benchmarks/bench_ledger.py [--sizes 1000,10000,100000] [--skip-openpyxl-above N]

For each size it generates (once, cached in ``benchmarks/data/``) a 30-column ledger with
xlsxwriter - Chinese text, dates, 21-digit ids, a history sheet with one event per case,
shared strings as Excel saves them - then runs, each as a separate whole process on a
fresh copy of the file:

(a) procdoc: ``LedgerStore.update`` setting two cells of the middle row and appending one
    history row (read with calamine, patch, verify, backup, replace);
(b) openpyxl: ``load_workbook`` + the same edit + ``save``;
(c) for reference, python-calamine alone reading the 台账 sheet (the floor of (a)).

Wall time is measured around the child process (start-up included); peak RSS is the
child's own high-water mark (``VmHWM``; ``ru_maxrss`` where /proc is missing). Fixtures
are generated in a child process too, so the parent stays small. The median time of
``--repeat`` runs is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
SRC = ROOT / "src"

CORE = [
    "编号",
    "流程",
    "标题",
    "当前环节",
    "状态",
    "承办人",
    "环节开始",
    "环节期限",
    "办结期限",
    "登记时间",
    "办结时间",
    "来源",
    "来源编号",
    "更新时间",
]
FIELDS = [
    "信访人",
    "联系电话",
    "身份证号",
    "信访形式",
    "问题类别",
    "所属区域",
    "涉及单位",
    "诉求内容",
    "办理意见",
    "是否受理",
    "金额",
    "收到日期",
    "答复日期",
    "满意度",
    "备注",
    "附件数",
]
HEADER = CORE + FIELDS  # 30 columns
HISTORY = ["编号", "时间", "动作", "从环节", "到环节", "办理人", "意见"]
DATE_COLUMNS = {
    "环节开始",
    "环节期限",
    "办结期限",
    "登记时间",
    "办结时间",
    "更新时间",
    "收到日期",
    "答复日期",
}


def generate(rows: int, path: Path) -> None:
    """A ledger like one Excel saves: shared strings, date formats, a history sheet."""
    import xlsxwriter

    rng = random.Random(rows)
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws = wb.add_worksheet("台账")
    ws.write_row(0, 0, HEADER, bold)
    steps = ["登记", "受理审查", "转送交办", "办理", "答复", "归档"]
    people = ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十"]
    kinds = ["来信", "来访", "电话", "网络"]
    topics = ["物业纠纷", "噪声扰民", "拆迁补偿", "劳动争议", "环境污染", "交通出行", "教育医疗"]
    areas = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区"]
    base = datetime(2024, 1, 1)
    for r in range(1, rows + 1):
        opened = base + timedelta(days=rng.randrange(700), minutes=rng.randrange(600))
        topic = rng.choice(topics)
        values = {
            "编号": f"XF{opened.year}-{r:06d}",
            "流程": "信访事项办理",
            "标题": f"关于{rng.choice(areas)}{rng.randrange(1, 300)}号楼{topic}的来信",
            "当前环节": rng.choice(steps),
            "状态": rng.choice(["办理中", "办理中", "已办结"]),
            "承办人": rng.choice(people),
            "来源": rng.choice(["OA", "网上信访", "窗口"]),
            "来源编号": str(rng.randrange(10**20, 10**21)),
            "信访人": rng.choice(people) + rng.choice("甲乙丙丁"),
            "联系电话": f"0{rng.randrange(10**9, 10**10)}",
            "身份证号": f"1101{rng.randrange(10**13, 10**14)}",
            "信访形式": rng.choice(kinds),
            "问题类别": topic,
            "所属区域": rng.choice(areas),
            "涉及单位": f"{rng.choice(areas)}住建委",
            "诉求内容": f"反映{topic}问题，要求{rng.choice(['尽快处理', '书面答复', '赔偿损失'])}",
            "办理意见": rng.choice(["转属地办理", "已协调解决", "不予受理", ""]),
            "是否受理": rng.choice(["是", "否"]),
            "满意度": rng.choice(["满意", "基本满意", "不满意"]),
            "备注": "",
        }
        for c, label in enumerate(HEADER):
            if label in DATE_COLUMNS:
                when = opened + timedelta(days=rng.randrange(60))
                if label in {"环节开始", "登记时间", "更新时间"}:
                    ws.write_datetime(r, c, when, moment)
                else:
                    ws.write_datetime(r, c, when.date(), day)
            elif label == "金额":
                ws.write_number(r, c, round(rng.uniform(0, 50000), 2))
            elif label == "附件数":
                ws.write_number(r, c, rng.randrange(6))
            elif values.get(label):
                ws.write_string(r, c, values[label])
    ws.autofilter(0, 0, rows, len(HEADER) - 1)
    ws.freeze_panes(1, 0)
    hs = wb.add_worksheet("流转记录")
    hs.write_row(0, 0, HISTORY, bold)
    for r in range(1, rows + 1):
        hs.write_string(r, 0, f"XF{2024 + r % 2}-{r:06d}")
        hs.write_datetime(r, 1, base + timedelta(minutes=r), moment)
        hs.write_row(r, 2, ["新建", "", "登记", rng.choice(people), "登记"])
    wb.close()


PEAK = textwrap.dedent(
    """
    import resource, sys

    def peak_kb():
        # VmHWM starts afresh at exec; ru_maxrss on Linux keeps the parent's RSS at fork
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb // 1024 if sys.platform == "darwin" else kb
    """
)

PROCDOC = textwrap.dedent(
    """
    import json, resource, sys
    from datetime import date, datetime
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from procdoc.ledger import Batch, LedgerStore, SheetChanges

    store = LedgerStore(Path(sys.argv[1]), state_dir=Path(sys.argv[2]))

    def plan(snapshot):
        sheet = snapshot.sheets["台账"]
        row = sheet.rows[len(sheet.rows) // 2]
        return Batch({
            "台账": SheetChanges(set={row.number: {"当前环节": "办理", "环节期限": date(2026, 1, 5)}}),
            "流转记录": SheetChanges(append=[{
                "编号": sheet.value(row, "编号"), "时间": datetime(2026, 1, 1, 9, 0),
                "动作": "advance", "从环节": "登记", "到环节": "办理", "办理人": "张三",
            }]),
        })

    store.update(plan)
    print(json.dumps({"peak_kb": peak_kb()}))
    """
)

OPENPYXL = textwrap.dedent(
    """
    import json, resource, sys
    from datetime import date, datetime
    import openpyxl

    path = sys.argv[1]
    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    columns = {cell.value: cell.column for cell in ws[1]}
    middle = (ws.max_row - 1) // 2 + 2
    ws.cell(middle, columns["当前环节"]).value = "办理"
    ws.cell(middle, columns["环节期限"]).value = date(2026, 1, 5)
    case = ws.cell(middle, columns["编号"]).value
    wb["流转记录"].append([case, datetime(2026, 1, 1, 9, 0), "advance", "登记", "办理", "张三"])
    wb.save(path)
    print(json.dumps({"peak_kb": peak_kb()}))
    """
)

CALAMINE = textwrap.dedent(
    """
    import json, resource, sys
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(sys.argv[1]) as wb:
        for row in wb.get_sheet_by_name("台账").iter_rows():
            pass
    print(json.dumps({"peak_kb": peak_kb()}))
    """
)


def run(script: str, ledger: Path, work: Path) -> tuple[float, float]:
    """Run ``script`` as a whole process on a fresh copy of ``ledger``: (seconds, MB)."""
    target = work / "ledger.xlsx"
    state = work / ".procdoc"
    shutil.rmtree(state, ignore_errors=True)
    shutil.copyfile(ledger, target)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK + script, str(target), str(state), str(SRC)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr}")
    return elapsed, json.loads(proc.stdout.strip().splitlines()[-1])["peak_kb"] / 1024


def measure(script: str, ledger: Path, work: Path, repeat: int) -> tuple[float, float]:
    runs = [run(script, ledger, work) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--openpyxl-repeat", type=int, default=1)
    parser.add_argument(
        "--skip-openpyxl-above", type=int, default=None, help="no openpyxl run above N rows"
    )
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(int(args.generate[0]), Path(args.generate[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    DATA.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        work = Path(tmp)
        for rows in sizes:
            ledger = DATA / f"ledger-{rows}.xlsx"
            if not ledger.exists():
                print(f"generating {ledger.name} ...", flush=True)
                started = time.perf_counter()
                partial = ledger.with_suffix(".partial")
                subprocess.run(
                    [sys.executable, __file__, "--generate", str(rows), str(partial)], check=True
                )
                partial.replace(ledger)
                print(f"  {time.perf_counter() - started:.1f} s", flush=True)
            size_mb = ledger.stat().st_size / 1e6
            print(f"{rows} rows ({size_mb:.1f} MB): procdoc ...", flush=True)
            ours = measure(PROCDOC, ledger, work, args.repeat)
            floor = measure(CALAMINE, ledger, work, args.repeat)
            theirs = None
            if args.skip_openpyxl_above is None or rows <= args.skip_openpyxl_above:
                print(f"{rows} rows: openpyxl ...", flush=True)
                theirs = measure(OPENPYXL, ledger, work, args.openpyxl_repeat)
            results.append((rows, size_mb, ours, floor, theirs))

    print()
    print(
        "| rows | file MB | procdoc s | openpyxl s | speed-up | procdoc peak MB "
        "| openpyxl peak MB | calamine read alone s / MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, size_mb, ours, floor, theirs in results:
        their_s = f"{theirs[0]:.2f}" if theirs else "skipped"
        their_mb = f"{theirs[1]:.0f}" if theirs else "-"
        ratio = f"{theirs[0] / ours[0]:.1f}x" if theirs else "-"
        print(
            f"| {rows:,} | {size_mb:.1f} | {ours[0]:.2f} | {their_s} | {ratio} | {ours[1]:.0f} "
            f"| {their_mb} | {floor[0]:.2f} / {floor[1]:.0f} |"
        )
    print()
    print("targets:")
    for rows, _size, ours, _floor, theirs in results:
        if rows == 10_000:
            fast = "PASS" if ours[0] <= 0.5 else "FAIL"
            ratio = theirs[0] / ours[0] if theirs else None
            vs = ("PASS" if ratio >= 10 else "FAIL") if ratio else "n/a"
            print(f"  10k rows <= 0.5 s whole process: {ours[0]:.2f} s {fast}")
            print(f"  10k rows >= 10x faster than openpyxl: {ratio or 0:.1f}x {vs}")
        if rows == 100_000:
            print(f"  100k rows <= 4 s: {ours[0]:.2f} s {'PASS' if ours[0] <= 4 else 'FAIL'}")
            print(
                f"  100k rows <= 300 MB peak: {ours[1]:.0f} MB {'PASS' if ours[1] <= 300 else 'FAIL'}"
            )


if __name__ == "__main__":
    main()
