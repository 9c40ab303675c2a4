"""`procdoc render` through the workspace: context, selection, names, history (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from conftest import REPO, advance1
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.documents import render
from procdoc.documents.render import output_path
from procdoc.errors import RenderError
from procdoc.workspace import Workspace

runner = CliRunner()


def make_template(path: Path, body: list[str], header: str = "编号：{{ id }}") -> Path:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = header
    for line in body:
        d.add_paragraph(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def texts(path: Path) -> tuple[list[str], str]:
    d = docx.Document(str(path))
    return [p.text for p in d.paragraphs], d.sections[0].header.paragraphs[0].text


@pytest.fixture
def office(mini: Path) -> Path:
    make_template(mini / "templates" / "letter.docx", [
        "{{ 申请人 }}：",
        "金额 {{ amount }} 元，文号 {{ doc_no }}，收到 {{ received_cn }}。",
        "办理期限 {{ due_cn }}；今天 {{ today_cn }}；{{ office }}",
    ])  # fmt: skip
    proc = mini / "processes" / "mini.yaml"
    proc.write_text(
        proc.read_text(encoding="utf-8").replace(
            "    number: fawen\n", "    number: fawen\n    documents: [letter]\n"
        ),
        encoding="utf-8",
    )
    return mini


def at_issue(root: Path, applicant: str = "张三&<李四>") -> str:
    ws = Workspace(root)
    case = cases.new(
        ws,
        "mini",
        title="测试/标题:*?",
        sets=[f"applicant={applicant}", "ok=是", "amount=100", "received=2026-09-30"],
        at=datetime(2026, 9, 30, 9, 0),
    )
    advance1(Workspace(root), case.id, step="review", at=datetime(2026, 10, 8, 9, 0))
    advance1(Workspace(root), case.id, step="sign", at=datetime(2026, 10, 8, 10, 0))
    advance1(Workspace(root), case.id, step="issue", by="财务", at=datetime(2026, 10, 8, 11, 0))
    advance1(
        Workspace(root), case.id, step="issue", by="部门负责人", at=datetime(2026, 10, 8, 12, 0)
    )
    return case.id


def test_rendered_document_reads_back(office: Path) -> None:
    cid = at_issue(office)
    result = render(Workspace(office), "letter", at=datetime(2026, 10, 9, 9, 0))
    assert [c for c, _ in result.written] == [cid]
    path = result.written[0][1]
    assert path == office / "out" / "letter" / f"{cid}-letter.docx"
    paragraphs, header = texts(path)
    assert paragraphs[0] == "张三&<李四>："  # escaped: & and < come out literally
    assert paragraphs[1] == "金额 100 元，文号 测办发〔2026〕1号，收到 2026年9月30日。"
    assert paragraphs[2] == "办理期限 2026年11月30日；今天 2026年10月9日；测试办公室"
    assert header == f"编号：{cid}"
    hist = cases.show(Workspace(office), cid).history or []
    assert hist[-1].action == "render" and hist[-1].subject == "letter"
    assert (hist[-1].note or "").startswith("out/letter/")


def test_default_selection_renders_once_then_all_again(office: Path) -> None:
    at_issue(office)
    assert len(render(Workspace(office), "letter").written) == 1
    again = render(Workspace(office), "letter")
    assert again.written == [] and again.kept == []  # already rendered at this step
    kept = render(Workspace(office), "letter", all_=True)
    assert kept.written == [] and len(kept.kept) == 1  # the file exists: kept without --force
    forced = render(Workspace(office), "letter", all_=True, force=True)
    assert len(forced.written) == 1


def test_selectors(office: Path) -> None:
    cid = at_issue(office)
    other = cases.new(
        Workspace(office),
        "mini",
        title="另一件",
        sets=["applicant=王五"],
        at=datetime(2026, 10, 8, 9, 0),
    ).id
    by_case = render(Workspace(office), "letter", cases=[other], out=office / "o1")
    assert [c for c, _ in by_case.written] == [other]
    by_step = render(Workspace(office), "letter", step="发文", out=office / "o2")
    assert [c for c, _ in by_step.written] == [cid]
    by_process = render(Workspace(office), "letter", process="mini", out=office / "o3")
    assert sorted(c for c, _ in by_process.written) == sorted([cid, other])


def test_undefined_variable_is_an_error_before_anything_is_written(office: Path) -> None:
    make_template(office / "templates" / "bad.docx", ["{{ petitioner }}"])
    at_issue(office)
    with pytest.raises(RenderError, match="uses petitioner, which case MN2026-001"):
        render(Workspace(office), "bad", process="mini")
    assert not (office / "out" / "bad").exists()


def test_unknown_template_and_validate_checks_templates(office: Path) -> None:
    result = runner.invoke(app, ["render", "--template", "nosuch", "-w", str(office)])
    assert result.exit_code == 1 and "no template 'nosuch'" in result.stderr
    make_template(
        office / "templates" / "letter.docx", ["{{ nosuch_field }}", "｛｛ applicant ｝｝"]
    )
    check = runner.invoke(app, ["validate", "-w", str(office)])
    assert check.exit_code == 3
    assert "templates/letter.docx" in check.stdout and "full-width" in check.stdout


def test_output_names_are_safe_and_stay_inside(office: Path, tmp_path: Path) -> None:
    at_issue(office)
    case = cases.show(Workspace(office), "MN2026-001")
    out = tmp_path / "out"
    assert output_path(out, "{title}.docx", case, "letter") == out / "测试_标题___.docx"
    assert output_path(out, "../../{id}", case, "letter") == out / "MN2026-001.docx"
    assert (
        output_path(out, "{process}/{id}-{template}.docx", case, "letter")
        == out / "测试流程" / "MN2026-001-letter.docx"
    )
    with pytest.raises(RenderError, match="nope"):
        output_path(out, "{nope}.docx", case, "letter")


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "templates").glob("*.docx")))
def test_every_library_template_renders_for_its_process(library: Path, name: str) -> None:
    """Each shipped template renders for a case of each process that lists it."""
    ws = Workspace(library)
    users = [p for p in ws.processes.values() if any(name in s.documents for s in p.steps)]
    assert users, f"no process lists {name}"
    for process in users:
        sets = [f"{f.id}={'2026-10-09' if f.type in ('date', 'datetime') else (f.choices[0] if f.choices else '1' if f.type == 'number' else '测试&<值>')}"
                for f in process.fields.values() if f.required or f.type in ("text",)]  # fmt: skip
        case = cases.new(
            Workspace(library),
            process.id,
            title="模板测试",
            sets=sets,
            at=datetime(2026, 10, 9, 9, 0),
        )
        result = render(Workspace(library), name, cases=[case.id], out=library / "out" / process.id)
        paragraphs, header = texts(result.written[0][1])
        body = "\n".join(paragraphs)
        assert "{{" not in body and "{%" not in body
        assert case.id in header


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_process_manual(library: Path, fmt: str) -> None:
    target = library / "out" / f"信访手册.{fmt}"
    result = runner.invoke(
        app, ["manual", "xinfang", "--format", fmt, "-o", str(target), "-w", str(library)]
    )
    assert result.exit_code == 0, result.stderr
    if fmt == "md":
        text = target.read_text(encoding="utf-8")
    else:
        d = docx.Document(str(target))
        text = "\n".join(p.text for p in d.paragraphs)
        text += "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    for expected in (
        "信访事项办理 流程手册",
        "一、目的",
        "二、角色",
        "四、环节说明",
        "信访登记",
        "受理审查",
        "60日（自受理审查起）",
        "是否受理 == '是'",
    ):
        assert expected in text, expected
    process = Workspace(library).process("xinfang")
    for step in process.steps:
        assert step.name in text
        for risk in step.risks:
            assert risk in text


def test_documents_written_before_a_failure_are_recorded(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = at_issue(office), at_issue(office, applicant="王五")
    import procdoc.docx.engine as engine

    real = engine._render_one
    calls: list[Path] = []

    def fail_second(template: object, out: Path, context: object) -> None:
        calls.append(out)
        if len(calls) == 2:
            raise RenderError("disk full (simulated)")
        real(template, out, context)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_render_one", fail_second)
    with pytest.raises(RenderError, match="simulated"):
        render(Workspace(office), "letter", at=datetime(2026, 10, 9, 9, 0))
    written = {c: p for c, p in [(first, calls[0])]}
    assert written[first].exists()
    hist = cases.show(Workspace(office), first).history or []
    assert [h.subject for h in hist if h.action == "render"] == ["letter"]
    assert not [
        h for h in cases.show(Workspace(office), second).history or [] if h.action == "render"
    ]


def test_a_file_history_does_not_know_is_recorded_not_kept(office: Path) -> None:
    cid = at_issue(office)
    target = office / "out" / "letter" / f"{cid}-letter.docx"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"made by hand")
    result = render(Workspace(office), "letter", at=datetime(2026, 10, 9, 9, 0))
    assert result.recorded == [(cid, target)] and result.kept == [] and result.written == []
    assert target.read_bytes() == b"made by hand"  # recorded, not overwritten
    hist = cases.show(Workspace(office), cid).history or []
    assert [h.note for h in hist if h.action == "render"] == [f"out/letter/{cid}-letter.docx"]
    again = render(Workspace(office), "letter", all_=True, at=datetime(2026, 10, 9, 10, 0))
    assert again.kept == [(cid, target)]  # known now: kept (--force to overwrite)


def test_a_render_name_giving_another_cases_file_is_refused(office: Path) -> None:
    cfg = office / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + 'render_name: "{title}.docx"\n', encoding="utf-8"
    )
    first = at_issue(office)
    done = render(Workspace(office), "letter", cases=[first], at=datetime(2026, 10, 9, 9, 0))
    ((_, path),) = done.written
    before = path.read_bytes()
    second = at_issue(office, applicant="王五")  # the same title, so the same file name
    with pytest.raises(RenderError, match=f"is {first}'s document, but render_name"):
        render(Workspace(office), "letter", cases=[second], at=datetime(2026, 10, 9, 10, 0))
    assert path.read_bytes() == before
    hist = cases.show(Workspace(office), second).history or []
    assert not [h for h in hist if h.action == "render"]
