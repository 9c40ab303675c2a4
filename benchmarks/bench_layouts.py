"""The two ledger layouts side by side (issue 12): one shared 台账 sheet for every process
(workspaces made before registers) against one register per process (the default now).

    python benchmarks/bench_layouts.py [--sizes 10000] [--repeat 3]

Each size is the number of cases, half 报销 and half 收文, with two history rows each.
The same cases are written once as a shared 台账 (with a 流程 column and the union of both
processes' fields) and once as two registers (报销, 收文办理). Each figure is one command
run as its own process (start-up included), median of ``--repeat`` runs. A write to a
报销 case rewrites only the 报销 register and 流转记录 in the per-process layout; in the
shared layout it rewrites the whole 台账.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
from datetime import datetime, timedelta
from pathlib import Path

from bench_cli import CHILD_ENV, DATA, NAMES, PY, REPO, run

CORE = ["编号", "标题", "当前环节", "状态", "承办人", "环节开始", "环节期限", "办结期限",
        "登记时间", "办结时间", "来源", "来源编号", "更新时间"]  # fmt: skip
BX_FIELDS = ["申请人", "部门", "费用类别", "金额", "事由", "票据张数", "付款日期"]
SW_FIELDS = ["来文单位", "来文字号", "来文日期", "收文编号", "紧急程度", "密级", "份数"]
BX_STEPS = ["报销提交", "部门审核"]
SW_STEPS = ["收文签收", "收文登记"]
ORGS = ["市政府办公室", "市应急管理局", "市财政局", "市人社局"]


def cases(n: int) -> tuple[list[list[object]], list[list[object]]]:
    """(报销 rows, 收文 rows): core columns then the process's fields, n/2 each."""
    rnd = random.Random(n)
    base = datetime(2026, 9, 1, 9, 0)
    bx, sw = [], []
    for i in range(n // 2):
        opened = base + timedelta(minutes=37 * i % (60 * 24 * 70))
        due = opened + timedelta(days=rnd.randint(1, 30))
        core = [opened, due.replace(hour=0, minute=0), None, opened, None, None, None, opened]
        bx.append([f"BX2026-{i + 1:06d}", f"{NAMES[i % 10]}提交的费用报销", BX_STEPS[i % 2],
                   "办理中", NAMES[(i + 3) % 10], *core,
                   NAMES[i % 10], "财务部", "差旅费", round(rnd.uniform(50, 9000), 2),
                   "赴外地参加项目评审会", rnd.randint(1, 9), None])  # fmt: skip
        sw.append([f"SW2026-{i + 1:06d}", f"关于做好第{i}项重点工作的通知", SW_STEPS[i % 2],
                   "办理中", NAMES[(i + 5) % 10], *core,
                   ORGS[i % 4], f"某府办发〔2026〕{i + 1}号", opened, f"收{i + 1}",
                   "平件", "非密", 1])  # fmt: skip
    return bx, sw


def write_sheet(wb: object, name: str, header: list[str], rows: list[list[object]]) -> None:
    ws = wb.add_worksheet(name)  # type: ignore[attr-defined]
    dtf = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})  # type: ignore[attr-defined]
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, dtf)
            elif value is not None:
                ws.write(r, c, value)


def make(n: int, layout: str) -> Path:
    """A workspace of ``n`` cases in the ``shared`` or ``registers`` layout (cached)."""
    root = DATA / f"layout-{layout}-{n}"
    if (root / "台账.xlsx").exists():
        return root
    import xlsxwriter

    shutil.rmtree(root, ignore_errors=True)
    (root / "processes").mkdir(parents=True)
    for pid in ("baoxiao", "shouwen"):
        shutil.copy(REPO / "processes" / f"{pid}.yaml", root / "processes")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "procdoc.yaml").write_text("name: 基准测试\nledger: 台账.xlsx\n", encoding="utf-8")
    bx, sw = cases(n)
    wb = xlsxwriter.Workbook(str(root / "台账.xlsx"), {"constant_memory": True})
    if layout == "shared":
        # the layout of a workspace made before registers: 流程 after 编号, every field
        width = len(CORE) + len(BX_FIELDS)
        rows = [
            [r[0], "报销", *r[1 : len(CORE)], *r[len(CORE) :], *[None] * len(SW_FIELDS)] for r in bx
        ] + [
            [r[0], "收文办理", *r[1 : len(CORE)], *[None] * len(BX_FIELDS), *r[len(CORE) :]]
            for r in sw
        ]
        assert all(len(r) == width + 1 + len(SW_FIELDS) for r in rows)
        write_sheet(wb, "台账", [CORE[0], "流程", *CORE[1:], *BX_FIELDS, *SW_FIELDS], rows)
    else:
        write_sheet(wb, "报销", [*CORE, *BX_FIELDS], bx)
        write_sheet(wb, "收文办理", [*CORE, *SW_FIELDS], sw)
    history = [
        [row[0], datetime(2026, 9, 1, 9, 0), action, None, step, "基准", None]
        for row in bx + sw
        for action, step in (("新建", "x"), ("流转", "y"))
    ]
    write_sheet(
        wb, "流转记录", ["编号", "时间", "动作", "从环节", "到环节", "办理人", "意见"], history
    )
    wb.close()
    return root


def procdoc(ws: Path, *args: str) -> list[str]:
    return [PY, "-m", "procdoc", *args, "-w", str(ws)]


def timed(cmd: list[str], repeat: int, fresh: Path | None = None) -> float:
    """Median seconds of ``cmd``; with ``fresh``, each run on a new copy of that workspace."""
    times = []
    for _ in range(repeat):
        if fresh is not None:
            target = DATA / f"{fresh.name}-run"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(fresh, target)
            cmd = [target.as_posix() if a == fresh.as_posix() else a for a in cmd]
        seconds, code = run(cmd)
        if code != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}")
        times.append(seconds)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    assert CHILD_ENV  # children run as an installed procdoc does
    print("\n## Ledger layouts: one shared 台账 vs one register per process (whole process, s)")
    print("| cases | command | shared 台账 | registers | registers / shared |")
    print("|---:|---|---:|---:|---:|")
    for n in [int(s) for s in args.sizes.split(",")]:
        shared, registers = make(n, "shared"), make(n, "registers")
        case = f"BX2026-{n // 4 - (n // 4) % 2 + 1:06d}"  # at 报销提交
        commands = {
            "advance (one 报销 case)": lambda ws, case=case: procdoc(
                ws, "advance", case, "--step", "部门审核", "--at", "2026-11-20 09:00"
            ),
            "show (one case)": lambda ws, case=case: procdoc(ws, "show", case),
            "overdue --format json": lambda ws: procdoc(
                ws, "overdue", "--as-of", "2026-11-20", "--format", "json"
            ),
        }
        for name, make_cmd in commands.items():
            writes = name.startswith("advance")
            a = timed(make_cmd(shared), args.repeat, shared if writes else None)
            b = timed(make_cmd(registers), args.repeat, registers if writes else None)
            print(f"| {n:,} | {name} | {a:.2f} | {b:.2f} | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
