"""Regenerate the README's tour from a real run of the demo (`python tools/readme_tour.py`).

It runs samples/demo.py, keeps the commands listed in TOUR with their real output (long
outputs cut; paths shown relative to the repository, where the demo runs), and writes them
between the `<!-- tour -->` and `<!-- /tour -->` markers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

#: (command prefix, most lines of output to show)
TOUR = [
    ("procdoc validate", 5),
    ("procdoc import samples/oa/钉钉-报销审批.xlsx samples/oa/报销-旧版.xls", 16),
    ("procdoc import samples/oa/致远-收文登记簿-GBK.csv", 8),
    ("procdoc new xinfang", 4),
    ("procdoc advance XF2026-0001 --step 受理审查", 3),
    ("procdoc advance XF2026-0001 --step 受理交办 --set accepted=否", 3),
    ("procdoc advance XF2026-0001 --step 受理交办 --set accepted=是", 3),
    ("procdoc advance XF2026-0001 --step handle", 3),
    ("procdoc extend XF2026-0001 --by 30d", 3),
    ("procdoc extend XF2026-0001 --by 5d", 3),
    ("procdoc overdue --as-of 2026-11-20", 17),
    ("procdoc render --template accept_notice", 4),
    ("procdoc report daily", 8),
    ("procdoc graph xinfang --case", 2),
    ("procdoc manual xinfang", 2),
    ("procdoc assign XF2026-0002", 2),
    ("procdoc todo --who", 10),
    ("procdoc set XF2026-0002", 2),
    ("procdoc check", 2),
    ("procdoc report stats", 9),
    ("procdoc sample", 13),
    ("procdoc undo", 3),
]


def cut(lines: list[str], head: int, tail: int = 0) -> list[str]:
    """An output's lines as the README shows them: at most the first ``head`` and the last
    ``tail``, the lines left out said in one `… (N more lines)` line between them (never
    just one line: that one is shown instead)."""
    if len(lines) <= head + tail + 1:
        return lines
    return [
        *lines[:head],
        f"… ({len(lines) - head - tail} more lines)",
        *lines[len(lines) - tail :],
    ]


def main() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "samples" / "demo.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    # the demo runs in the repository's root: show its paths as typed there (demo/out/...)
    text = done.stdout.replace(f"{REPO}{os.sep}", "")
    blocks = ["$ procdoc" + b for b in text.split("\n$ procdoc")[1:]]
    parts = []
    for prefix, limit in TOUR:
        block = next((b for b in blocks if b[2:].startswith(prefix)), None)
        if block is None:
            raise SystemExit(f"the demo has no command starting with {prefix!r}")
        command, *output = block.rstrip().splitlines()
        parts.append("\n".join([command, *cut(output, limit)]))
    tour = "```\n" + "\n\n".join(parts) + "\n```"
    readme = README.read_text(encoding="utf-8")
    new = re.sub(
        r"<!-- tour -->.*?<!-- /tour -->",
        lambda _m: f"<!-- tour -->\n{tour}\n<!-- /tour -->",
        readme,
        flags=re.S,
    )
    README.write_text(new, encoding="utf-8")
    print(f"README tour: {len(parts)} commands")


if __name__ == "__main__":
    main()
