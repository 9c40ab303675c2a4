"""`make demo`: a newcomer's tour of procdoc on the samples, run as real commands.

It makes a fresh workspace in ./demo (procdoc init + samples/demo/procdoc.yaml), imports
the sample OA exports, opens and moves 信访 and 收文 cases with dates in autumn 2026,
lists what is overdue, renders notices, writes the daily report, the flowchart and a
process manual; then hands a case over (assign) and looks at a desk (todo), corrects a
field (set), checks the ledger, counts (report stats), draws an 抽查 (sample) and undoes
the last write. Every step is printed as the command a user would type.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = Path("demo")  # the demo runs in the repository's root, with paths as a user types them
OA = Path("samples") / "oa"


def quoted(arg: str) -> str:
    """An argument as a person types it: quoted only where the shell needs it."""
    return shlex.quote(arg) if re.search(r"[\s'\"&|;<>()$`\\*?!]", arg) else arg


def procdoc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    shown = " ".join(quoted(a) for a in args)
    print(f"\n$ procdoc {shown}", flush=True)
    env = {
        **os.environ,
        "PROCDOC_WORKSPACE": str(DEMO),
        "COLUMNS": "80",  # a terminal as most people have it
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "procdoc", *args],
        env=env,
        text=True,
        encoding="utf-8",
        capture_output=True,
        check=False,
        cwd=REPO,
    )
    sys.stdout.write(done.stdout)
    sys.stdout.write(done.stderr)
    if check and done.returncode != 0:
        raise SystemExit(f"demo step failed with exit code {done.returncode}: procdoc {shown}")
    return done


def main() -> None:
    os.chdir(REPO)
    if DEMO.exists():
        shutil.rmtree(DEMO)
    procdoc("init", str(DEMO), "--name", "某市某局办公室")
    shutil.copy(REPO / "samples" / "demo" / "procdoc.yaml", DEMO / "procdoc.yaml")
    shutil.copytree(REPO / "samples" / "demo" / "calendar", DEMO / "calendar")
    procdoc("validate")

    # OA exports: 钉钉 报销, the old 报销 system's .xls, 致远 收文 (xlsx and its GBK CSV twin), 泛微
    procdoc("import", str(OA / "钉钉-报销审批.xlsx"), "--dry-run")
    procdoc("import", str(OA / "钉钉-报销审批.xlsx"), str(OA / "报销-旧版.xls"))
    procdoc("import", str(OA / "致远-收文登记簿.xlsx"), str(OA / "泛微-收文.xls"))
    procdoc(
        "import", str(OA / "致远-收文登记簿-GBK.csv")
    )  # the same register again: nothing changes

    # a 信访 case, by the 2022 条例's deadlines
    xf = procdoc(
        "new",
        "xinfang",
        "--title",
        "反映小区噪音扰民问题",
        "--set",
        "petitioner=张三&李四",
        "--set",
        "phone=02087654321",
        "--set",
        "channel=来信",
        "--set",
        "received=2026-10-09",
        "--set",
        "content=夜间施工噪音扰民",
        "--by",
        "王敏",
        "--at",
        "2026-10-09 09:30",
    ).stdout.strip()
    procdoc("advance", xf, "--step", "受理审查", "--by", "王敏", "--at", "2026-10-10 10:00")
    procdoc(
        "advance",
        xf,
        "--step",
        "受理交办",
        "--set",
        "accepted=否",
        "--at",
        "2026-10-12",
        check=False,
    )
    procdoc(
        "advance",
        xf,
        "--step",
        "受理交办",
        "--set",
        "accepted=是",
        "--set",
        "handler_org=某区城管局",
        "--by",
        "李强",
        "--note",
        "属本机关职责，予以受理",
        "--at",
        "2026-10-12 15:00",
    )
    procdoc("advance", xf, "--step", "handle", "--by", "某区城管局", "--at", "2026-10-13 09:00")
    procdoc(
        "extend",
        xf,
        "--by",
        "30d",
        "--reason",
        "需现场夜间监测，经分管领导批准延期",
        "--who",
        "韩志强",
        "--at",
        "2026-11-19 16:00",
    )
    procdoc("extend", xf, "--by", "5d", "--reason", "再延", check=False)

    xf2 = procdoc(
        "new",
        "xinfang",
        "--title",
        "咨询低保申请条件",
        "--set",
        "petitioner=赵敏",
        "--set",
        "channel=电话",
        "--at",
        "2026-11-02 14:00",
    ).stdout.strip()
    procdoc("advance", xf2, "--step", "accept", "--at", "2026-11-03")

    # a 收文 case through 初审, 批办 and 特急承办
    sw = procdoc(
        "new",
        "shouwen",
        "--title",
        "关于做好冬季防火工作的紧急通知",
        "--set",
        "from_org=某市应急管理局",
        "--set",
        "doc_no=某应急发〔2026〕21号",
        "--set",
        "urgency=特急",
        "--set",
        "received=2026-11-16",
        "--at",
        "2026-11-16 09:00",
    ).stdout.strip()
    procdoc("advance", sw, "--step", "收文登记", "--at", "2026-11-16 10:00")
    procdoc("advance", sw, "--step", "收文初审", "--at", "2026-11-16 11:00")
    procdoc(
        "advance",
        sw,
        "--step",
        "领导批办",
        "--set",
        "review_result=符合要求",
        "--at",
        "2026-11-16 15:00",
    )
    procdoc(
        "advance",
        sw,
        "--step",
        "特急承办",
        "--set",
        "handling=办件",
        "--by",
        "局领导",
        "--at",
        "2026-11-17 09:00",
    )

    procdoc("list", "--process", "xinfang")
    procdoc("show", xf)
    procdoc("overdue", "--as-of", "2026-11-20")
    procdoc("render", "--template", "accept_notice", "--case", xf)
    procdoc("render", "--template", "urge_notice", "--overdue")
    procdoc("report", "daily", "--as-of", "2026-11-20 08:00")
    procdoc("graph", "xinfang", "--case", xf, "-o", str(DEMO / "out" / "xinfang.mmd"))
    procdoc(
        "graph", "xinfang", "--format", "svg", "-o", str(DEMO / "out" / "xinfang.svg"), check=False
    )
    procdoc("manual", "xinfang", "--format", "md")
    procdoc("manual", "xinfang")

    # the desk: hand a case to someone (转办) and look at her 待办
    procdoc(
        "assign", xf2, "王敏", "--by", "李强", "--note", "请核实后答复", "--at", "2026-11-18 09:00"
    )
    procdoc("todo", "--who", "王敏", "--as-of", "2026-11-20")
    # a correction without moving the case, then the ledger checked cell by cell
    procdoc(
        "set", xf2, "--set", "phone=13912345678", "--by", "王敏", "--note", "信访人更正联系电话",
        "--at", "2026-11-18 10:00",
    )  # fmt: skip
    procdoc("check")
    # statistics and 抽查 over the autumn
    procdoc("report", "stats", "--from", "2026-09-01", "--to", "2026-11-30")
    procdoc("sample", "--percent", "10", "--from", "2026-09-01", "--to", "2026-11-30")
    # the correction was a mistake after all: put back the ledger before procdoc's last write
    procdoc("undo", "--by", "王敏")
    procdoc("show", xf2)
    print(
        f"\nThe workspace is in {DEMO.resolve()}: open 台账.xlsx (one register per process, "
        "报销, 收文办理 and 信访事项办理, and 流转记录 with every change); out/ holds the "
        "documents and the reports."
    )


if __name__ == "__main__":
    main()
