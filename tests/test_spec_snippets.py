"""SPEC.md's YAML examples are part of the contract: each works exactly as written in a
workspace made by `procdoc init`, with the library procdoc ships.

The snippets are copied here verbatim, so the tests run wherever the suite runs; when the
SPEC is at hand (``/work/shared/SPEC.md``, or ``PROCDOC_SPEC``), the copies are checked
against it first, so they cannot drift from it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import textwrap
from pathlib import Path

import docx
import pytest
import yaml
from typer.testing import CliRunner

from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.setup import init_workspace, library_dir
from procdoc.workspace import Workspace

runner = CliRunner()

SPEC = Path(os.environ.get("PROCDOC_SPEC", "/work/shared/SPEC.md"))

#: SPEC §2, the process file example (信访事项办理).
XINFANG = """\
name: 信访事项办理            # required
id: xinfang                  # optional, default: file stem; [a-z0-9_-]+
case_id: "XF{year}-{seq:04d}"  # optional, default "CASE-{seq}"; seq counts per process (per year if {year} is used)
roles: [登记员, 承办人, 分管领导]
fields:                      # the case data this process keeps
  petitioner: {label: 信访人, type: text, required: true}
  channel:    {label: 信访形式, type: choice, choices: [来信, 来访, 电话, 网络]}
  amount:     {label: 金额, type: number}
  received:   {label: 收到日期, type: date}
  accepted:   {label: 是否受理, type: choice, choices: [是, 否]}
steps:                       # the first step is where a new case starts
  - id: register
    name: 登记
    role: 登记员
    deadline: 1wd
    next: [accept]
  - id: accept
    name: 受理审查
    deadline: 15d
    documents: [accept_notice]
    next:
      - to: handle
        when: "accepted == '是'"
      - to: archive           # no `when`: the fallback branch
  - id: handle
    name: 办理
    kind: approval
    deadline: {duration: 60d, from: accept}
    extend: 30d               # the most it may be extended
    back: [accept]            # allowed returns (退回)
    next: [archive]
  - id: archive
    name: 归档
    final: true
"""

#: SPEC §7, the 发文字号 sequence (an item of a list there: dedented here).
NUMBERING = """\
numbering:
  fawen:
    format: "某办发〔{year}〕{seq}号"
    field: doc_no          # the case field that receives the number
"""


def yaml_blocks(text: str) -> list[str]:
    """The SPEC's ```yaml blocks, dedented (a block inside a list item is indented)."""
    blocks: list[str] = []
    lines: list[str] | None = None
    for line in text.splitlines():
        fence = line.strip()
        if lines is None and fence == "```yaml":
            lines = []
        elif lines is not None and fence == "```":
            blocks.append(textwrap.dedent("\n".join(lines) + "\n"))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks


@pytest.mark.parametrize(
    ("snippet", "start"), [(XINFANG, "name: 信访事项办理"), (NUMBERING, "numbering:\n  fawen:")]
)
def test_the_copies_are_the_spec_as_written(snippet: str, start: str) -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not here: the snippets are checked against their copies only")
    found = [b for b in yaml_blocks(SPEC.read_text(encoding="utf-8")) if b.startswith(start)]
    assert found == [snippet]


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout + result.stderr


def test_the_spec_process_example_uses_the_library_accept_notice(tmp_path: Path) -> None:
    """SPEC §2's 信访事项办理 has no content, handler_org or phone: the library's
    受理告知书 uses those only under a guard, so validate passes and the notice renders."""
    root = init_workspace(tmp_path / "ws2", processes=["shouwen", "fawen"])
    (root / "processes" / "xinfang.yaml").write_text(XINFANG, encoding="utf-8")
    shutil.copy(library_dir() / "templates" / "accept_notice.docx", root / "templates")

    code, said = cli(root, "validate")
    assert code == 0, said
    assert "accept_notice" not in said

    code, said = cli(root, "templates", "--format", "json")
    assert code == 0, said
    notice = next(t for t in json.loads(said) if t["name"] == "accept_notice")
    assert notice["processes"] == ["xinfang"]
    assert {"petitioner", "title", "office", "date_cn"} <= set(notice["variables"])
    assert {"content?", "handler_org?", "phone?"} <= set(notice["variables"])

    code, said = cli(
        root, "new", "xinfang", "--title", "反映小区噪音扰民问题", "--set", "petitioner=张三",
        "--set", "channel=来信", "--set", "received=2026-10-09", "--at", "2026-10-09 09:00",
    )  # fmt: skip
    assert code == 0, said
    code, said = cli(root, "advance", "XF2026-0001", "--step", "accept", "--at", "2026-10-09 10:00")
    assert code == 0, said
    code, said = cli(root, "render", "--template", "accept_notice")
    assert code == 0, said
    written = list((root / "out" / "accept_notice").glob("*.docx"))
    assert [p.name for p in written] == ["XF2026-0001-accept_notice.docx"]
    text = [p.text for p in docx.Document(io.BytesIO(written[0].read_bytes())).paragraphs]
    assert "张三：" in text
    assert "你于2026年10月9日以来信形式提出的信访事项收悉。" in text
    assert "信访事项：反映小区噪音扰民问题" in text  # content falls back to the title
    assert "请保持联系方式畅通，联系方式变更的请及时告知。" in text  # no phone, no parentheses
    assert any(line.endswith("决定予以受理。") for line in text)  # no handler_org
    assert not any("{" in line for line in text)


def test_the_spec_numbering_example_numbers_the_library_fawen(tmp_path: Path) -> None:
    """SPEC §7's `numbering:` in a fresh `procdoc init` workspace: the library's 发文办理
    keeps its 发文字号 in the field doc_no, so the step 发文登记 gets 某办发〔2026〕1号."""
    root = init_workspace(tmp_path / "ws")
    config = root / "procdoc.yaml"
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert written["numbering"] == yaml.safe_load(NUMBERING)["numbering"]  # init writes it
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("numbering:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in ("", " ", "\n", "#")),
        len(lines),
    )
    config.write_text("".join(lines[:start] + lines[end:]) + NUMBERING, encoding="utf-8")
    assert "numbering" in yaml.safe_load(config.read_text(encoding="utf-8"))

    code, said = cli(root, "validate")
    assert code == 0, said

    code, said = cli(root, "new", "fawen", "--title", "关于做好秋季防火工作的通知",
                     "--at", "2026-10-09 09:00")  # fmt: skip
    assert code == 0, said
    for step in ("audit", "sign", "recheck"):
        code, said = cli(root, "advance", "FW2026-0001", "--step", step, "--at", "2026-10-12 09:00")
        assert code == 0, said
        assert cases.show(Workspace(root), "FW2026-0001").fields.get("doc_no") in (None, "")
    code, said = cli(
        root, "advance", "FW2026-0001", "--step", "register", "--at", "2026-10-13 09:00"
    )
    assert code == 0, said
    assert cases.show(Workspace(root), "FW2026-0001").fields["doc_no"] == "某办发〔2026〕1号"


def test_the_spec_numbering_example_leaves_the_other_doc_no_alone(tmp_path: Path) -> None:
    """收文办理 keeps the sender's 来文字号 in a field also called doc_no: `check` does not
    read it as a 发文字号 of the sequence fawen (SPEC §7's example names the field doc_no)."""
    root = init_workspace(tmp_path / "ws")
    code, said = cli(root, "new", "shouwen", "--title", "关于秋季防火的通知",
                     "--set", "from_org=市政府办公室", "--set", "doc_no=某市政办发〔2026〕88号",
                     "--at", "2026-10-09 09:00")  # fmt: skip
    assert code == 0, said
    code, said = cli(root, "check")
    assert code == 0, said
    # a 来文字号 written like this office's own 发文字号 is not taken for one given: the
    # next 发文 gets the office's number 1 (it got 31: a review)
    written = yaml.safe_load((root / "procdoc.yaml").read_text(encoding="utf-8"))
    fmt = written["numbering"]["fawen"]["format"]
    own = fmt.format(year=2026, seq=30)
    code, said = cli(root, "new", "shouwen", "--title", "转来本局发文", "--set", "from_org=市局",
                     "--set", f"doc_no={own}", "--at", "2026-10-09 10:00")  # fmt: skip
    assert code == 0, said
    code, said = cli(root, "new", "fawen", "--title", "通知", "--at", "2026-10-09 11:00")
    assert code == 0, said
    for step in ("audit", "sign", "recheck", "register"):
        code, said = cli(root, "advance", "FW2026-0001", "--step", step, "--at", "2026-10-12 09:00")
        assert code == 0, said
    assert cases.show(Workspace(root), "FW2026-0001").fields["doc_no"] == fmt.format(
        year=2026, seq=1
    )
    code, said = cli(root, "check")
    assert code == 0, said
