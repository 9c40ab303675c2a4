"""The workspace (SPEC §1), `procdoc schema` and `procdoc graph`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from procdoc.cli import app
from procdoc.commands.setup import init_workspace, validate
from procdoc.errors import WorkspaceError
from procdoc.process import graph
from procdoc.workspace import Workspace, find_root

runner = CliRunner()


def test_found_by_walking_up(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = mini / "out" / "某个" / "子目录"
    deep.mkdir(parents=True)
    monkeypatch.delenv("PROCDOC_WORKSPACE", raising=False)
    assert find_root(deep) == mini.resolve()
    monkeypatch.chdir(deep)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.stdout + result.stderr


def test_environment_variable_and_option(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PROCDOC_WORKSPACE", str(mini))
    assert runner.invoke(app, ["validate"]).exit_code == 0
    monkeypatch.setenv("PROCDOC_WORKSPACE", str(elsewhere))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1 and "no procdoc.yaml there" in result.stderr
    assert runner.invoke(app, ["validate", "-w", str(mini)]).exit_code == 0  # -w wins


def test_not_in_a_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROCDOC_WORKSPACE", raising=False)
    with pytest.raises(WorkspaceError, match=r"no procdoc\.yaml in"):
        find_root(tmp_path)


def test_init_makes_a_working_workspace_and_refuses_to_overwrite(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "新办公室"), "--name", "某县某局"])
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "新办公室"
    assert (root / "procdoc.yaml").exists() and not (root / "ledger.xlsx").exists()
    assert len(list((root / "processes").glob("*.yaml"))) == 10
    assert len(list((root / "templates").glob("*.docx"))) == 12
    ws = Workspace(root)
    assert (
        ws.config.name == "某县某局"
        and ws.config.numbering["fawen"].format == "某办发〔{year}〕{seq}号"
    )
    assert validate(ws).errors == []
    again = runner.invoke(app, ["init", str(root)])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_init_into_a_folder_with_processes_refuses(tmp_path: Path) -> None:
    (tmp_path / "x" / "processes").mkdir(parents=True)
    (tmp_path / "x" / "processes" / "mine.yaml").write_text("name: 我的\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not empty"):
        init_workspace(tmp_path / "x")


def test_schema_is_json_schema_for_process_files() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["name", "steps"]
    step = schema["properties"]["steps"]["items"]
    assert (
        step["additionalProperties"] is False
        and "countersign" in step["properties"]["kind"]["enum"]
    )
    import re

    pattern = re.compile(schema["properties"]["deadline"]["oneOf"][0]["pattern"])
    assert all(pattern.match(d) for d in ("15d", "5wd", "24h", "15日", "5个工作日", "24小时"))
    assert not pattern.match("3x")


def test_mermaid_and_dot(library: Path) -> None:
    process = Workspace(library).process("xinfang")
    mermaid = graph.to_mermaid(process, current="handle")
    assert mermaid.startswith("flowchart TD")
    assert 'handle -.->|"退回"| accept' in mermaid  # returns are dashed
    assert "accept -->|\"是否受理 == '是'\"| assign" in mermaid  # conditions as labels, in words
    assert (
        "60日（自受理审查起）" in mermaid and "信访部门" in mermaid
    )  # deadlines and roles on nodes
    assert "class handle current" in mermaid
    dot = graph.to_dot(process)
    assert '"handle" -> "accept" [label="退回", style=dashed, constraint=false];' in dot


def test_graph_command_formats(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = runner.invoke(app, ["graph", "baoxiao", "--format", "dot", "-w", str(library)])
    assert out.exit_code == 0 and out.stdout.startswith('digraph "baoxiao"')
    assert "会签（全部）：财务、部门负责人" in out.stdout
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    missing = runner.invoke(app, ["graph", "baoxiao", "--format", "svg", "-w", str(library)])
    assert (
        missing.exit_code == 1
        and "Graphviz program `dot`, which is not installed" in missing.stderr
    )
    unknown = runner.invoke(app, ["graph", "nosuch", "-w", str(library)])
    assert unknown.exit_code == 1 and "unknown process 'nosuch'" in unknown.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed on this machine")
def test_graph_svg_when_graphviz_is_present(library: Path, tmp_path: Path) -> None:
    target = tmp_path / "信访.svg"
    result = runner.invoke(
        app, ["graph", "xinfang", "--format", "svg", "-o", str(target), "-w", str(library)]
    )
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8").lstrip().startswith(
        "<?xml"
    ) and "信访登记" in target.read_text(encoding="utf-8")
