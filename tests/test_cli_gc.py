"""Reading commands run as a process of their own without the cyclic garbage collector
(procdoc.cli.reads_only); writing commands, and the app run inside another program, keep it."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from procdoc import cli


@pytest.fixture
def switched_off(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("off"))
    monkeypatch.setattr(cli, "_ON_ITS_OWN", [])
    return calls


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["procdoc", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    return int(done.value.code or 0)


@pytest.mark.parametrize("args", [["todo"], ["overdue"], ["list"], ["check"]])
def test_a_reading_command_on_its_own_turns_the_collector_off(
    mini: Path, monkeypatch: pytest.MonkeyPatch, switched_off: list[str], args: list[str]
) -> None:
    assert run_main(monkeypatch, *args, "-w", str(mini)) in (0, 3)
    assert switched_off == ["off"]


def test_a_writing_command_keeps_it(
    mini: Path, monkeypatch: pytest.MonkeyPatch, switched_off: list[str]
) -> None:
    code = run_main(
        monkeypatch, "new", "mini", "--title", "一件", "--set", "applicant=张三", "-w", str(mini)
    )
    assert code == 0
    assert (mini / "ledger.xlsx").exists()
    assert switched_off == []


def test_inside_another_program_it_keeps_it(mini: Path, switched_off: list[str]) -> None:
    result = CliRunner().invoke(cli.app, ["todo", "-w", str(mini)])
    assert result.exit_code == 0
    assert switched_off == []
