"""Regenerate the README's example outputs outside the tour from real runs.

`python tools/readme_examples.py` rewrites every block of README.md between
`<!-- example: NAME -->` and `<!-- /example -->`; `--check` rewrites nothing and exits 1
with a unified diff when README.md differs from a fresh run (CI runs it).

Each STORY makes a scratch workspace in a temporary folder (procdoc init, a `people:` or
`registers:` block in procdoc.yaml, a sample register as the ledger), then runs its steps
in order: procdoc commands, each a real process (`python -m procdoc`, in the workspace,
`COLUMNS=80`, `PROCDOC_LANG=en`, stderr merged into stdout as a terminal shows them), and
edits made by hand as a clerk makes them (openpyxl). A command tagged with a block's NAME
is shown there, `$ procdoc ...` and its output (long outputs cut, as in the tour); the
others only set the scene. A command that ends with another exit code than the one it is
written with stops the script: the README's story no longer holds.

Nothing shown depends on the day the script runs or where the temporary folder is: every
command takes `--at` or `--as-of`, the workspace's path is shown as its name, a file saved
by hand gets a fixed modification time, and the one moment procdoc takes from the clock,
the time of its last write of the ledger (named by `undo`), is shown as the `--at` of the
command that wrote.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from readme_tour import cut

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
sys.path.insert(0, str(REPO / "samples"))
from demo import quoted  # noqa: E402  (the tour's quoting: arguments as a person types them)

ENV = {
    **{k: v for k, v in os.environ.items() if k != "PROCDOC_WORKSPACE"},
    "COLUMNS": "80",  # a terminal as most people have it
    "PROCDOC_LANG": "en",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONUNBUFFERED": "1",  # stdout and stderr interleaved as they are written
}
MARKER = re.compile(r"<!-- example: (\S+) -->\n.*?<!-- /example -->", re.S)
# the moment of procdoc's last write, as `undo` names it (taken from the clock)
WRITE_TIME = re.compile(r"(procdoc's (?:last )?write (?:of |\())(\d{4}-\d\d-\d\d \d\d:\d\d)")

# the settings the README shows, appended to procdoc.yaml (checked to be in the README)
PEOPLE = """\
people:
  王敏: {dept: 办公室, roles: [登记员, 档案员]}
  李强: {dept: 信访科, roles: [信访部门]}
  赵刚: {dept: 信访科, roles: [信访部门]}
  某区城管局: {dept: 承办单位, roles: [承办单位]}
"""
REGISTERS = """\
registers:
  shouwen:
    sheet: 收文台账
    header_row: 2
    columns: {opened: 收文日期, from_org: 来文单位, doc_no: 文号, title: 标题, undertaker: 承办科室, status: 办理情况}
    number_column: 序号
"""
REGISTER = REPO / "samples" / "registers" / "2026年收文登记台账.xlsx"
LEGACY = REPO / "tests" / "data" / "legacy-0.1"
# when the clerk saved the register in Excel (the check and undo examples)
CLERK_SAVED = datetime(2026, 12, 3, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class Command:
    """A procdoc command; shown in the README block ``block`` unless that is None."""

    block: str | None
    args: tuple[str, ...]
    code: int = 0  # the exit code it must end with
    head: int | None = None  # show at most this many first lines of the output ...
    tail: int = 0  # ... and this many last ones

    def at(self) -> str | None:
        """The moment the command says it happens (its --at), if it says."""
        args = list(self.args)
        return args[args.index("--at") + 1] if "--at" in args else None


@dataclass(frozen=True)
class Edit:
    """A change made by hand, not by procdoc."""

    do: Callable[[Path], None]


@dataclass(frozen=True)
class Story:
    setup: Callable[[Path], None]  # makes the workspace (the path: a folder not there yet)
    steps: tuple[Command | Edit, ...]
    workspace: str = "办公室"  # the workspace folder's name


def show(block: str, *args: str, code: int = 0, head: int | None = None, tail: int = 0) -> Command:
    return Command(block, args, code, head, tail)


def run(*args: str) -> Command:
    return Command(None, args)


def procdoc(args: tuple[str, ...] | list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "procdoc", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # in order, as a user sees them
        text=True,
        encoding="utf-8",
        check=False,
    )


# -- the workspaces -----------------------------------------------------------------------


def init(ws: Path, processes: str | None = None) -> None:
    only = ["--processes", processes] if processes else []
    done = procdoc(["init", ws.name, *only], cwd=ws.parent)
    if done.returncode != 0:
        raise SystemExit(f"procdoc init failed:\n{done.stdout}")


def append_settings(ws: Path, text: str) -> None:
    config = ws / "procdoc.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def office_with_people(ws: Path) -> None:
    """The 信访 office of People, My desk and Corrections."""
    init(ws, "xinfang")
    append_settings(ws, PEOPLE)


def hand_kept_register(ws: Path) -> None:
    """The 收文 register kept by hand, as `Taking over your register` sets it up."""
    init(ws, "shouwen")
    shutil.copy(REGISTER, ws / "ledger.xlsx")
    append_settings(ws, REGISTERS)


def legacy_workspace(ws: Path) -> None:
    """The demo workspace of procdoc 0.1 (one shared 台账 sheet), with today's library."""
    init(ws)
    for name in ("台账.xlsx", "procdoc.yaml"):
        shutil.copy(LEGACY / name, ws / name)
    shutil.copytree(LEGACY / "calendar", ws / "calendar")


def clerk_edits(ws: Path) -> None:
    """What the clerk typed into the adopted register in Excel (the check example)."""
    import openpyxl

    ledger = ws / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    sheet = book["收文台账"]
    sheet["B9"] = "9月10日"  # a 收文日期 without its year
    sheet["J13"] = "审核中"  # a 当前环节 no step has
    sheet["I12"] = sheet["I11"].value  # 编号 copied from the row above
    book.save(ledger)
    saved = int(CLERK_SAVED.timestamp() * 1e9)
    os.utime(ledger, ns=(saved, saved))


# -- the stories --------------------------------------------------------------------------

NOISE = ("--title", "反映小区噪音扰民问题", "--set", "petitioner=张三", "--set", "channel=来信")
NOISE += ("--set", "received=2026-11-02")
ASKING = ("--title", "咨询低保申请条件", "--set", "petitioner=赵敏", "--set", "channel=电话")
ASKING += ("--by", "王敏")  # 收到日期 left empty, filled in under Corrections

STORIES = [
    Story(
        office_with_people,
        (
            show("people", "new", "xinfang", *NOISE, "--at", "2026-11-02 09:00", code=1),
            show("people", "new", "xinfang", *NOISE, "--by", "王明", "--at", "2026-11-02 09:00",
                 code=1),
            show("people", "new", "xinfang", *NOISE, "--by", "王敏", "--at", "2026-11-02 09:00"),
            show("people", "advance", "XF2026-0001", "--step", "accept", "--by", "李强",
                 "--at", "2026-11-03 09:00", code=1),
            # the same 咨询 registered twice
            run("new", "xinfang", *ASKING, "--at", "2026-11-02 10:00"),
            run("new", "xinfang", *ASKING, "--at", "2026-11-02 10:30"),
            show("corrections", "advance", "XF2026-0001", "XF2026-0002", "XF2026-0003",
                 "--step", "accept", "--by", "王敏", "--at", "2026-11-03 09:00"),
            show("desk", "assign", "XF2026-0001", "李强", "--by", "赵刚",
                 "--note", "李强熟悉该小区情况", "--at", "2026-11-03 10:00"),
            show("corrections", "set", "XF2026-0002", "--set", "phone=13912345678",
                 "--set", "received=2026-11-01", "--by", "王敏", "--note", "信访人更正联系电话",
                 "--at", "2026-11-03 11:00"),
            show("corrections", "set", "XF2026-0002", "--set", "received=明天", "--by", "王敏",
                 code=1),
            show("corrections", "cancel", "XF2026-0003", "--reason", "与XF2026-0002重复登记",
                 "--by", "王敏", "--at", "2026-11-03 11:30"),
            show("desk", "todo", "--who", "李强", "--as-of", "2026-11-03 17:00"),
            show("desk", "todo", "--who", "王敏", "--done", "--as-of", "2026-11-04"),
            show("corrections", "advance", "XF2026-0001", "--step", "assign",
                 "--set", "accepted=是", "--set", "handler_org=某区城管局", "--by", "李强",
                 "--at", "2026-11-04 15:00"),
            show("corrections", "withdraw", "XF2026-0001", "--by", "赵刚",
                 "--at", "2026-11-04 15:10", code=1),
            show("corrections", "withdraw", "XF2026-0001", "--by", "李强",
                 "--at", "2026-11-04 15:10"),
            show("corrections", "list", "--status", "已撤销"),
            show("undo", "set", "XF2026-0002", "--set", "phone=13900001111", "--by", "王敏",
                 "--at", "2026-11-03 11:20"),
            show("undo", "undo", "--by", "王敏", "--at", "2026-11-03 11:25"),
        ),
    ),
    Story(legacy_workspace, (show("registers-split", "registers", "split"),)),
    Story(
        hand_kept_register,
        (
            show("adopt", "adopt", "shouwen", "--dry-run", "--at", "2026-12-03 08:30",
                 head=8, tail=2),
            show("adopt", "adopt", "shouwen", "--at", "2026-12-03 08:30", head=0, tail=1),
            show("adopt", "adopt", "shouwen", "--at", "2026-12-03 08:30"),
            show("adopted-check", "check"),
            show("adopted-list", "list", "--status", "open", head=8, tail=5),
            show("adopted-new", "new", "shouwen", "--title", "关于做好冬季防火工作的通知",
                 "--set", "from_org=市应急管理局", "--set", "doc_no=某应急发〔2026〕21号",
                 "--at", "2026-12-03 09:00"),
            show("adopted-overdue", "overdue", "--as-of", "2026-12-03 17:00", head=9, tail=5),
            Edit(clerk_edits),
            show("check", "check", code=3),
            show("undo-refused", "undo", "--by", "王敏", "--at", "2026-12-03 10:30", code=1),
        ),
    ),
]  # fmt: skip


# -- running them -------------------------------------------------------------------------


def tell(story: Story) -> dict[str, list[str]]:
    """Run a story in a scratch workspace; return each block's commands with their output."""
    blocks: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="procdoc-readme-") as tmp:
        ws = Path(tmp) / story.workspace
        story.setup(ws)
        record = ws / ".procdoc" / "last-write.json"
        written_at: str | None = None  # the --at of procdoc's last write of the ledger
        for step in story.steps:
            if isinstance(step, Edit):
                step.do(ws)
                continue
            before = last_write(record)
            done = procdoc(step.args, cwd=ws)
            typed = "procdoc " + " ".join(quoted(a) for a in step.args)
            if done.returncode != step.code:
                raise SystemExit(
                    f"`{typed}` ended with exit code {done.returncode}, not {step.code}:\n"
                    + done.stdout
                )
            output = done.stdout
            for path in {str(ws.resolve()), str(ws)}:
                output = output.replace(path, story.workspace)
            if WRITE_TIME.search(output):
                if written_at is None:
                    raise SystemExit(f"`{typed}` names procdoc's last write, made without --at")
                output = WRITE_TIME.sub(lambda m, at=written_at: m[1] + at, output)
            if last_write(record) != before:
                written_at = step.at()
            if step.block is None:
                continue
            lines = output.rstrip().splitlines()
            if step.head is not None:
                lines = cut(lines, step.head, step.tail)
            blocks.setdefault(step.block, []).append("\n".join([f"$ {typed}", *lines]))
    return blocks


def last_write(record: Path) -> str | None:
    try:
        return json.dumps(json.loads(record.read_text(encoding="utf-8")), sort_keys=True)
    except (OSError, ValueError):
        return None


def fresh_readme(readme: str) -> str:
    for name, text in (("people:", PEOPLE), ("registers:", REGISTERS)):
        if text not in readme:
            raise SystemExit(f"README.md does not show the {name} block the examples use:\n{text}")
    blocks: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=len(STORIES)) as pool:
        for told in pool.map(tell, STORIES):
            blocks.update(told)
    marked = MARKER.findall(readme)
    missing = sorted(set(blocks) - set(marked))
    unknown = sorted(set(marked) - set(blocks))
    if missing or unknown:
        raise SystemExit(
            f"README.md's <!-- example: NAME --> markers: missing {missing}, unknown {unknown}"
        )

    def block(m: re.Match[str]) -> str:
        body = "\n\n".join(blocks[m[1]])
        return f"<!-- example: {m[1]} -->\n```\n{body}\n```\n<!-- /example -->"

    return MARKER.sub(block, readme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if README differs"
    )
    check = parser.parse_args().check
    readme = README.read_text(encoding="utf-8")
    new = fresh_readme(readme)
    if check:
        if new != readme:
            sys.stdout.writelines(
                difflib.unified_diff(
                    readme.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    "README.md",
                    "README.md (fresh run of tools/readme_examples.py)",
                )
            )
            raise SystemExit(1)
        print("README examples: up to date")
        return
    README.write_text(new, encoding="utf-8")
    print(f"README examples: {len(MARKER.findall(new))} blocks")


if __name__ == "__main__":
    main()
