"""Every command's help fits an 80-column terminal in English and in Chinese: typer's help
wraps by characters and only at spaces, so a line of Chinese took twice the width (a SPEC
review); procdoc.clitext.wrap_wide measures in terminal columns and keeps 、，。 off the
start of a line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import pytest

from procdoc.clitext import _NO_LINE_START

# Renders the help of every command and subcommand in one process (the language is
# chosen once, at import), as `procdoc CMD --help` prints it.
_SCRIPT = """
import json, typer
from procdoc.cli import app
root = typer.main.get_command(app)
out = {}
def walk(cmd, path):
    ctx = cmd.make_context(" ".join(["procdoc", *path]), [], resilient_parsing=True,
                           terminal_width=80, max_content_width=80)
    out[" ".join(path) or "procdoc"] = cmd.get_help(ctx)
    for name, sub in getattr(cmd, "commands", {}).items():
        walk(sub, [*path, name])
walk(root, [])
print(json.dumps(out, ensure_ascii=False))
"""


def _cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_help_fits_80_columns(lang: str) -> None:
    env = {**os.environ, "PROCDOC_LANG": lang, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    helps: dict[str, str] = json.loads(done.stdout)
    assert len(helps) > 20  # every command and report's subcommands
    for name, text in helps.items():
        for line in text.splitlines():
            assert _cells(line) <= 80, (lang, name, line)
            assert line.strip()[:1] not in _NO_LINE_START, (lang, name, line)
    if lang == "zh":
        assert any(_cells(line) > 60 for line in helps["report"].splitlines())  # still wide


def test_a_chinese_command_line_cut_at_a_clause_says_more_follows() -> None:
    """A command's line in the list is its first sentence; one cut at ；read as the whole
    help (QA): it ends with … then; one ending with 。 keeps it."""
    from procdoc.clitext import short_help

    assert short_help("抽查：随机抽取一部分；并生成表格。\n\n更多") == "抽查：随机抽取一部分…"
    assert short_help("根据台账生成的报表。后面还有") == "根据台账生成的报表。"
    assert short_help("Draw a share of the cases. More.") == "Draw a share of the cases."
