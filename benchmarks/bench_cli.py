"""Whole-process benchmarks of procdoc commands against the obvious pandas/openpyxl way.

    python benchmarks/bench_cli.py [--sizes 10000,100000] [--skip-openpyxl-above 20000]

Each figure is one command run as its own process (start-up included), median of
``--repeat`` runs; peak memory is the child's max RSS. Generated workspaces are cached
under benchmarks/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
PY = sys.executable
#: Children run as an installed procdoc does: with bytecode caching on (some shells set
#: PYTHONDONTWRITEBYTECODE, which makes every process recompile procdoc's modules).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

CORE = ["编号", "流程", "标题", "当前环节", "状态", "承办人", "环节开始", "环节期限", "办结期限",
        "登记时间", "办结时间", "来源", "来源编号", "更新时间"]  # fmt: skip
FIELDS = ["申请人", "部门", "费用类别", "金额", "事由", "票据张数", "付款日期"]
USER = ["备注", "联系人", "核对人", "归档号", "附件数", "科室", "经办", "复核", "说明"]
STEPS = ["报销提交", "部门审核", "财务会签", "总经理审批", "出纳付款"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏"]
DEPTS = ["综合部-行政组", "财务部-核算组", "业务一部-项目组", "信息中心-运维组"]
CATS = ["差旅费", "办公用品", "业务招待", "培训费", "其他"]


def run(cmd: list[str], *, cwd: Path | None = None) -> tuple[float, int]:
    """(wall seconds, exit code) of one child process."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=CHILD_ENV, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode("utf-8", "replace")[-2000:])
    return elapsed, done.returncode


def rss_of(cmd: list[str], cwd: Path | None = None) -> float:
    """Peak RSS (MB) of a child measured with /usr/bin/time when present."""
    if not Path("/usr/bin/time").exists():
        return float("nan")
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, capture_output=True, check=False
    )
    try:
        return int(done.stderr.decode().strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return float("nan")


def make_workspace(n: int, *, open_every: int = 1) -> Path:
    """A workspace whose ledger holds ``n`` 报销 cases (30 columns) and 2n history rows,
    in the per-process layout (the 报销 register is the sheet 台账, under `registers:`).
    Every case is open and late (the worst case for a list of what is late) unless
    ``open_every`` > 1: then one case in ``open_every`` is open, the others 已办结 at
    报销归档 - a year's register as offices keep it."""
    root = DATA / (f"reg-{n}" if open_every == 1 else f"reg-{n}-open1in{open_every}")
    if (root / "台账.xlsx").exists():
        return root
    import xlsxwriter

    shutil.rmtree(root, ignore_errors=True)
    (root / "processes").mkdir(parents=True)
    shutil.copy(REPO / "processes" / "baoxiao.yaml", root / "processes")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "procdoc.yaml").write_text(
        "name: 基准测试\nledger: 台账.xlsx\nregisters:\n  baoxiao:\n    sheet: 台账\n"
        "sources:\n  dingtalk:\n    process: baoxiao\n    key: 审批编号\n"
        "    columns:\n      审批编号: ref\n      标题: title\n      发起时间: opened\n      发起人姓名: applicant\n"
        "      发起人部门: department\n      费用类别: category\n      总金额（元）: amount\n      事由: reason\n",
        encoding="utf-8",
    )
    rnd = random.Random(n)
    wb = xlsxwriter.Workbook(str(root / "台账.xlsx"), {"constant_memory": True})
    head = wb.add_format({"bold": True})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    dtf = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws = wb.add_worksheet("台账")
    header = CORE + FIELDS + USER
    ws.write_row(0, 0, header, head)
    base = datetime(2026, 9, 1, 9, 0)
    for i in range(n):
        opened = base + timedelta(minutes=37 * i % (60 * 24 * 70))
        entered = opened + timedelta(days=rnd.randint(0, 5))
        due = (entered + timedelta(days=rnd.randint(1, 20))).date()
        is_open = i % open_every == 0
        row = [
            f"BX2026-{i + 1:06d}",
            "报销",
            f"{NAMES[i % 10]}提交的费用报销",
            STEPS[i % 5] if is_open else "报销归档",
            "办理中" if is_open else "已办结",
            NAMES[(i + 3) % 10],
        ]
        ws.write_row(i + 1, 0, row)
        if not is_open:
            ws.write_datetime(i + 1, 10, entered + timedelta(days=3), dtf)
        ws.write_datetime(i + 1, 6, entered, dtf)
        ws.write_datetime(i + 1, 7, datetime(due.year, due.month, due.day), datef)
        ws.write_datetime(i + 1, 9, opened, dtf)
        ws.write(i + 1, 11, "dingtalk")
        ws.write_string(i + 1, 12, f"2026{i:017d}")
        ws.write_datetime(i + 1, 13, entered, dtf)
        ws.write_row(
            i + 1,
            14,
            [
                NAMES[i % 10],
                DEPTS[i % 4],
                CATS[i % 5],
                round(rnd.uniform(50, 9000), 2),
                "赴外地参加项目评审会",
                rnd.randint(1, 9),
            ],
        )
        ws.write_row(
            i + 1,
            21,
            [
                f"备注{i}",
                NAMES[(i + 1) % 10],
                NAMES[(i + 2) % 10],
                f"GD-{i:06d}",
                i % 7,
                "一科",
                "甲",
                "乙",
                "无",
            ],
        )
    hist = wb.add_worksheet("流转记录")
    hist.write_row(0, 0, ["编号", "时间", "动作", "从环节", "到环节", "办理人", "意见"], head)
    for i in range(n):
        for j in range(2):
            r = 1 + 2 * i + j
            hist.write(r, 0, f"BX2026-{i + 1:06d}")
            hist.write_datetime(r, 1, base + timedelta(minutes=i), dtf)
            hist.write_row(
                r,
                2,
                [
                    "导入" if j == 0 else "流转",
                    None if j == 0 else "报销提交",
                    STEPS[0] if j == 0 else STEPS[1],
                    "导入:dingtalk.xlsx",
                    None,
                ],
            )
    wb.close()
    return root


def make_export(n: int, *, known: int) -> Path:
    """A 钉钉-style export of ``n`` rows: half updates of known cases, half new."""
    path = DATA / f"export-{n}.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    DATA.mkdir(exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("审批列表")
    ws.write_row(
        0,
        0,
        [
            "审批编号",
            "标题",
            "审批状态",
            "发起时间",
            "发起人姓名",
            "发起人部门",
            "费用类别",
            "总金额（元）",
            "事由",
        ],
    )
    dtf = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for i in range(n):
        key = f"2026{i:017d}" if i < known // 2 else f"2027{i:017d}"
        ws.write_string(i + 1, 0, key)
        ws.write(i + 1, 1, f"{NAMES[i % 10]}提交的费用报销")
        ws.write(i + 1, 2, "审批中")
        ws.write_datetime(i + 1, 3, datetime(2026, 11, 2, 9, 0) + timedelta(minutes=i), dtf)
        ws.write_row(
            i + 1,
            4,
            [NAMES[i % 10], DEPTS[i % 4], CATS[i % 5], 100.0 + i % 500, "赴外地参加项目评审会"],
        )
    wb.close()
    return path


def middle_case(n: int) -> str:
    """A case near the middle of the ledger that sits at 报销提交 (every fifth case does)."""
    idx = (n // 2) - (n // 2) % 5
    return f"BX2026-{idx + 1:06d}"


def advance_cmd(ws: Path, case: str) -> list[str]:
    """The move every advance benchmark makes: one case from 报销提交 to 部门审核."""
    return [
        PY,
        "-m",
        "procdoc",
        "advance",
        case,
        "--step",
        "部门审核",
        "--at",
        "2026-11-20 09:00",
        "-w",
        str(ws),
    ]


def fresh_copy(root: Path) -> Path:
    target = DATA / f"{root.name}-run"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(root, target)
    return target


OPENPYXL_ADVANCE = """
import sys, openpyxl
from datetime import datetime
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["台账"]
target = sys.argv[2]
for row in ws.iter_rows(min_row=2):
    if row[0].value == target:
        row[3].value = "部门审核"; row[6].value = datetime(2026, 11, 20, 9, 0)
        break
wb["流转记录"].append([target, datetime(2026, 11, 20, 9, 0), "流转", "报销提交", "部门审核", "基准", None])
wb.save(sys.argv[1])
"""


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def bench_advance(sizes: list[int], repeat: int, skip_openpyxl_above: int) -> None:
    print("\n## procdoc advance (one case, whole process) vs openpyxl load + edit + save")
    print(
        f"{'cases':>8} | {'procdoc s':>9} | {'MB':>6} | {'openpyxl s':>10} | {'MB':>6} | {'speed-up':>8}"
    )
    for n in sizes:
        root = make_workspace(n)
        times, peak = [], 0.0
        for _ in range(repeat):
            ws = fresh_copy(root)
            case = middle_case(n)
            t, code = run(advance_cmd(ws, case))
            if code != 0:
                raise SystemExit("procdoc advance failed")
            times.append(t)
        case = middle_case(n)
        ws = fresh_copy(root)
        peak = rss_of(advance_cmd(ws, case))
        ours = median(times)
        if n <= skip_openpyxl_above:
            ws = fresh_copy(root)
            script = DATA / "openpyxl_advance.py"
            script.write_text(OPENPYXL_ADVANCE, encoding="utf-8")
            t, _ = run([PY, str(script), str(ws / "台账.xlsx"), case])
            ws = fresh_copy(root)
            peak_o = rss_of([PY, str(script), str(ws / "台账.xlsx"), case])
            print(
                f"{n:>8} | {ours:>9.2f} | {peak:>6.0f} | {t:>10.2f} | {peak_o:>6.0f} | {t / ours:>7.1f}x"
            )
        else:
            print(f"{n:>8} | {ours:>9.2f} | {peak:>6.0f} | {'skipped':>10} | {'':>6} | {'':>8}")
    print(
        "targets: 10k <= 0.6 s, 100k <= 4 s (issue 4); 10k <= 0.5 s and >= 10x openpyxl, 100k peak <= 300 MB (issue 3)"
    )


def bench_import(sizes: list[int], repeat: int) -> None:
    print(
        "\n## procdoc import (N-row export into an N-case ledger) vs pandas.read_excel of the export"
    )
    print(f"{'rows':>8} | {'import s':>9} | {'MB':>6} | {'read_excel s':>12} | {'ratio':>6}")
    for n in sizes:
        root = make_workspace(n)
        export = make_export(n, known=n)
        times = []
        for _ in range(repeat):
            ws = fresh_copy(root)
            t, code = run([PY, "-m", "procdoc", "import", str(export), "-w", str(ws)])
            if code != 0:
                raise SystemExit("procdoc import failed")
            times.append(t)
        ws = fresh_copy(root)
        peak = rss_of([PY, "-m", "procdoc", "import", str(export), "-w", str(ws)])
        t_pd, _ = run([PY, "-c", f"import pandas; pandas.read_excel({str(export)!r})"])
        ours = median(times)
        print(f"{n:>8} | {ours:>9.2f} | {peak:>6.0f} | {t_pd:>12.2f} | {ours / t_pd:>5.1f}x")
    print("target: 10k into 10k <= 5 s (issue 5)")


def bench_overdue(sizes: list[int], repeat: int) -> None:
    print("\n## procdoc overdue --format json vs pandas.read_excel of the same ledger")
    print(f"{'cases':>8} | {'overdue s':>9} | {'MB':>6} | {'read_excel s':>12} | {'ratio':>6}")
    for n in sizes:
        root = make_workspace(n)
        cmd = [
            PY,
            "-m",
            "procdoc",
            "overdue",
            "--format",
            "json",
            "--as-of",
            "2026-11-20",
            "-w",
            str(root),
        ]
        times = [run(cmd)[0] for _ in range(repeat)]
        peak = rss_of(cmd)
        t_pd, _ = run(
            [
                PY,
                "-c",
                f"import pandas; pandas.read_excel({str(root / '台账.xlsx')!r}, sheet_name='台账')",
            ]
        )
        ours = median(times)
        print(f"{n:>8} | {ours:>9.2f} | {peak:>6.0f} | {t_pd:>12.2f} | {ours / t_pd:>5.2f}x")
    print("target: 100k <= 3 s (issue 6)")


def bench_startup(repeat: int) -> None:
    print("\n## start-up: procdoc --help vs python -c pass")
    help_t = median([run([PY, "-m", "procdoc", "--help"])[0] for _ in range(repeat)])
    bare = median([run([PY, "-c", "pass"])[0] for _ in range(repeat)])
    print(
        f"procdoc --help {help_t:.3f} s; python -c pass {bare:.3f} s; difference {help_t - bare:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--import-sizes", default="10000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-openpyxl-above", type=int, default=20000)
    parser.add_argument("--only", choices=["startup", "advance", "import", "overdue"], default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    DATA.mkdir(exist_ok=True)
    if args.only in (None, "startup"):
        bench_startup(max(5, args.repeat))
    if args.only in (None, "advance"):
        bench_advance(sizes, args.repeat, args.skip_openpyxl_above)
    if args.only in (None, "import"):
        bench_import([int(s) for s in args.import_sizes.split(",") if s], args.repeat)
    if args.only in (None, "overdue"):
        bench_overdue(sizes, args.repeat)


if __name__ == "__main__":
    main()
