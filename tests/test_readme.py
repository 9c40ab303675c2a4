"""The README's commands are checked against the real CLI, so the README cannot drift.

Every line of a README code block that starts with `procdoc` is parsed by the command it
names (unknown commands, unknown options and missing values fail). The tour's output is
made by a real run (`python tools/readme_tour.py`), which `make demo` exercises in CI.
"""

from __future__ import annotations

import shlex

import pytest
import typer

from conftest import REPO
from procdoc.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    out, fenced = [], False
    for line in README.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        text = line.strip().removeprefix("$ ")
        if fenced and text.startswith("procdoc "):
            out.append(text.split("  #")[0].split(" # ")[0].strip())
    return out


COMMANDS = readme_commands()


def test_readme_has_commands() -> None:
    assert len(COMMANDS) >= 15
    for name in (
        "init",
        "validate",
        "import",
        "new",
        "advance",
        "extend",
        "show",
        "list",
        "overdue",
        "render",
        "report",
        "graph",
        "templates",
        "manual",
    ):
        assert any(c.split()[1] == name for c in COMMANDS), name


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_parses(line: str) -> None:
    words = shlex.split(line)[1:]
    cmd = typer.main.get_command(app)
    name = "procdoc"
    while hasattr(cmd, "commands"):  # the root group, then `report`
        assert words and words[0] in cmd.commands, f"{line}: unknown command {words[:1]}"
        name, words = words[0], words[1:]
        cmd = cmd.commands[name]
    cmd.make_context(name, list(words))  # unknown options or missing values raise here
