"""Shared fixtures: workspaces built in temp folders; tests never write into the repo."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

WORKBOOKS = settings(
    max_examples=int(os.environ.get("PROCDOC_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Hypothesis for tests that write a workbook an example (slow): 25 examples, or
``$PROCDOC_EXAMPLES``; no deadline."""

# The suite checks English messages, whatever the machine's locale: PROCDOC_LANG comes
# first in the choice of language (tests/test_i18n.py runs the Chinese ones).
os.environ["PROCDOC_LANG"] = "en"

# Sheets are written in deflate segments of about 1 MB, and a later write copies the ones
# it does not touch (procdoc.ledger.segments). The suite's sheets are a few KB, so it
# cuts them into segments of a few hundred bytes: every write after the first goes through
# the copying path. tests/test_segments.py checks the sizes an office gets.
from procdoc.ledger import segments as _segments  # noqa: E402

_segments.FIRST_SEGMENT = 200
_segments.MIN_SEGMENT = 600

MINI_CONFIG = """\
name: 测试办公室
calendar:
  holidays: []
numbering:
  fawen:
    format: "测办发〔{year}〕{seq}号"
    field: doc_no
"""

#: A small process that exercises every engine rule.
MINI_PROCESS = """\
name: 测试流程
id: mini
case_id: "MN{year}-{seq:03d}"
roles: [登记员, 承办人, 财务, 部门负责人, 领导]
deadline: {duration: 30d, from: review}
fields:
  applicant: {label: 申请人, type: text, required: true}
  amount: {label: 金额, type: number}
  received: {label: 收到日期, type: date}
  ok: {label: 是否同意, type: choice, choices: [是, 否]}
  doc_no: {label: 文号, type: text}
steps:
  - id: register
    name: 登记
    role: 登记员
    deadline: 1wd
    next: [review]
  - id: review
    name: 审查
    role: 承办人
    deadline: 15d
    next:
      - to: sign
        when: "ok == '是'"
      - to: archive
  - id: sign
    name: 会签
    kind: countersign
    signers: [财务, 部门负责人]
    mode: all
    deadline: 3wd
    back: [review]
    next:
      - to: boss
        when: "amount > 5000"
      - to: issue
  - id: boss
    name: 领导审批
    kind: approval
    role: 领导
    deadline: 24h
    back: [review]
    next: [issue]
  - id: issue
    name: 发文
    number: fawen
    deadline: {duration: 60d, from: received}
    extend: 30d
    back: [review]
    next: [archive]
  - id: archive
    name: 归档
    final: true
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A workspace with one small process and no ledger yet."""
    root = tmp_path / "办公室"
    write(root / "procdoc.yaml", MINI_CONFIG)
    write(root / "processes" / "mini.yaml", MINI_PROCESS)
    (root / "templates").mkdir()
    return root


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A workspace made by `procdoc init` from the repository's library."""
    from procdoc.commands.setup import init_workspace

    return init_workspace(tmp_path / "office", name="某市某局办公室")


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A workspace whose ledger was made by procdoc 0.1 (one shared 台账 sheet)."""
    from procdoc.commands.setup import init_workspace

    data = REPO / "tests" / "data" / "legacy-0.1"
    root = init_workspace(tmp_path / "office")
    for name in ("台账.xlsx", "procdoc.yaml"):
        shutil.copy(data / name, root / name)
    shutil.copytree(data / "calendar", root / "calendar")
    return root


@pytest.fixture
def make_process(mini: Path) -> Callable[[str, str], Path]:
    """Write an extra process file into the mini workspace."""

    def make(name: str, text: str) -> Path:
        return write(mini / "processes" / name, text)

    return make


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of samples/ in a temp folder."""
    target = tmp_path / "samples"
    shutil.copytree(REPO / "samples", target)
    return target


#: The people of the office the desk tests (todo, --by, --dept) work with.
PEOPLE = """
people:
  王敏: {dept: 办公室, roles: [登记员, 收发员]}
  李强: {dept: 办公室, roles: [信访部门, 办公室主任]}
  赵刚: {dept: 信访科, roles: [信访部门]}
  某区城管局: {dept: 承办单位, roles: [承办单位]}
"""


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    """Run procdoc in ``root`` (CliRunner): exit code, stdout, stderr; never a traceback."""
    from typer.testing import CliRunner

    from procdoc.cli import app

    result = CliRunner().invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def advance1(ws: Any, case_id: str, **options: Any) -> Any:
    """Move one case (``commands.cases.advance`` moves several in one write)."""
    from procdoc.commands import cases

    return cases.advance(ws, case_id, **options)[0]
