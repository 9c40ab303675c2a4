"""`procdoc render` through the workspace: context, selection, names, history (SPEC §7)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from conftest import REPO, advance1, cli
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.documents import render
from procdoc.documents.render import output_path
from procdoc.errors import ProcdocWarning, RenderError
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


def test_a_document_is_recorded_by_its_title_and_known_by_its_template(office: Path) -> None:
    """流转记录's 项目 of a 生成文书 row names the document as the office knows it, the
    title in its properties with the template (`测试通知书（letter）`; a line of its text
    is never taken for it, QA); procdoc knows the document by the
    template either way (a plain render does not give the case a second one), rows
    written before with the template alone included."""
    d = docx.Document(str(office / "templates" / "letter.docx"))
    d.paragraphs[0].insert_paragraph_before("注：本页由测试生成")  # text is never the title
    d.core_properties.title = "测试通知书"
    d.save(str(office / "templates" / "letter.docx"))
    cid = at_issue(office)
    render(Workspace(office), "letter", at=datetime(2026, 10, 9, 9, 0))
    hist = cases.show(Workspace(office), cid).history or []
    assert [h.subject for h in hist if h.action == "render"] == ["测试通知书（letter）"]
    again = render(Workspace(office), "letter", at=datetime(2026, 10, 9, 10, 0))
    assert again.written == []  # rendered already since the case entered its step

    from procdoc.commands.documents import is_render_of
    from procdoc.model import HistoryEntry

    def rendered(subject: str) -> HistoryEntry:
        return HistoryEntry(
            at=None, case=cid, action="render", from_step=None, to_step=None, by=None,
            note=None, subject=subject,
        )  # fmt: skip

    assert is_render_of(rendered("letter"), "letter")  # as written before
    assert not is_render_of(rendered("letter"), "let")
    assert not is_render_of(rendered("通知（letter2）"), "letter")


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
    # --process: the cases that reached a step calling for the letter (发文 lists it; the
    # other case is still at 登记, its 文号 not given yet), the rest counted as not due
    by_process = render(Workspace(office), "letter", process="mini", out=office / "o3")
    assert [c for c, _ in by_process.written] == [cid] and by_process.not_due == 1
    # a template no step lists is for whichever cases are chosen
    make_template(office / "templates" / "memo.docx", ["{{ title }}"])
    memo = render(Workspace(office), "memo", process="mini", out=office / "o4")
    assert sorted(c for c, _ in memo.written) == sorted([cid, other]) and memo.not_due == 0


def test_undefined_variable_is_an_error_before_anything_is_written(office: Path) -> None:
    make_template(office / "templates" / "bad.docx", ["{{ petitioner }}{{ phone }}"])
    at_issue(office)
    ws = Workspace(office)
    with pytest.raises(RenderError) as caught:
        render(ws, "bad", process="mini")
    # the case's process by its name, as the office calls it
    name = ws.process("mini").name
    assert caught.value.message == (
        f"template bad uses petitioner, phone, which case MN2026-001 ({name}) does not have"
    )
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


def test_templates_lists_a_broken_template_and_says_so(office: Path) -> None:
    """`procdoc templates` listed a template with a syntax error as fine, its variables
    empty (QA): it is listed, with a warning naming it and why."""
    make_template(office / "templates" / "broken.docx", ["{% if applicant %}没有结尾"])
    result = runner.invoke(app, ["templates", "-w", str(office)])
    assert result.exit_code == 0 and "broken" in result.stdout
    assert "template broken cannot be rendered:" in result.stderr
    listed = runner.invoke(app, ["templates", "--format", "json", "-w", str(office)])
    broken = next(t for t in json.loads(listed.stdout) if t["name"] == "broken")
    assert broken["problem"]
    # a file that is no Word document at all: listed and said, never a traceback (QA)
    (office / "templates" / "junk.docx").write_text("junk", encoding="utf-8")
    result = runner.invoke(app, ["templates", "-w", str(office)])
    assert result.exit_code == 0 and result.exception is None
    assert "template junk cannot be rendered:" in result.stderr and "not a Word .docx" in (
        result.stderr
    )
    check = runner.invoke(app, ["validate", "-w", str(office)])
    assert "error: : " not in check.stdout and "not a Word .docx file" in check.stdout


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
        path = result.written[0][1]
        paragraphs, header = texts(path)
        d = docx.Document(str(path))
        cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
        body = "\n".join(paragraphs + cells)
        assert "{{" not in body and "{%" not in body
        assert "模板测试" in body or "测试&<值>" in body  # values, escaped, come out
        assert header == ""  # no running case number in a header (issue 17)


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
        "二、法律依据",
        "三、名词解释",
        "四、角色",
        "六、环节说明",
        "八、常见问题",
        "信访登记",
        "受理审查",
        "60日（自受理审查起）",
        "受理交办（是否受理为是时）",
        "法律依据",
        "第三十四条",
        "名词解释",
        "常见问题",
        "生成文书：信访事项受理告知书；信访事项转送（交办）函；送达回证",
    ):
        assert expected in text, expected
    # names, not ids or code (issue 17)
    assert "==" not in text  # the flowchart too says conditions in words
    import re

    prose = re.sub(r"```mermaid.*?```", "", text, flags=re.DOTALL)  # node ids are syntax
    for code in ("流程编号", "accept_notice", "（当 ", "xinfang", "Graphviz", "Mermaid"):
        assert code not in prose, code  # (the docx said 安装 Graphviz… Mermaid: QA)
    if fmt == "docx" and shutil.which("dot") is None:
        assert "各环节的办理顺序及去向见下文“环节说明”表。" in text
        assert "the Word manual has no flowchart: Graphviz (`dot`) is not installed" in (
            result.stderr
        )
    if fmt == "docx":
        d = docx.Document(str(target))
        assert d.settings.odd_and_even_pages_header_footer
        for footer in (d.sections[0].footer, d.sections[0].even_page_footer):
            xml = footer._element.xml
            assert "PAGE" in xml and "— " in footer.paragraphs[0].text
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


def test_a_long_title_in_render_name_is_cut_to_a_name_every_system_takes(office: Path) -> None:
    """A 156-character title in `render_name`: "File name too long" (QA). The name is cut
    to 200 bytes of UTF-8 (Linux takes 255, Windows 255 UTF-16 units), its suffix kept."""
    cfg = office / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + 'render_name: "{title}-{template}.docx"\n',
        encoding="utf-8",
    )
    cid = at_issue(office)
    title = "关于进一步加强和改进新时代信访工作的若干意见" * 7
    cases.set_fields(Workspace(office), cid, sets=[f"title={title}"], at=datetime(2026, 10, 8, 13))
    done = render(Workspace(office), "letter", cases=[cid], at=datetime(2026, 10, 9, 9, 0))
    ((_, path),) = done.written
    assert path.exists() and path.suffix == ".docx" and path.stem.endswith("…")
    assert len(path.name.encode("utf-8")) <= 200 and path.name.startswith("关于进一步")


# ------------------------------------------------------------------ the context (issue 17)


def xinfang_extended(root: Path) -> str:
    """A 信访 case at 信访办理, extended by 30日 there."""
    ws = Workspace(root)
    case = cases.new(
        ws,
        "xinfang",
        title="噪声扰民",
        sets=["petitioner=王五", "received=2026-01-05"],
        by="李登记",
        at=datetime(2026, 1, 5, 9, 0),
    )
    advance1(Workspace(root), case.id, step="accept", by="李登记", at=datetime(2026, 1, 5, 10, 0))
    advance1(
        Workspace(root), case.id, step="assign", sets=["accepted=是"], at=datetime(2026, 1, 6, 9, 0)
    )
    advance1(Workspace(root), case.id, step="handle", at=datetime(2026, 1, 7, 9, 0))
    cases.extend(
        Workspace(root),
        case.id,
        by="30日",
        reason="需要现场勘验",
        who="张主任",
        at=datetime(2026, 2, 20, 9, 0),
    )
    return case.id


def test_context_dates_history_extension_and_limits(library: Path) -> None:
    from procdoc.documents.context import context, names_for

    cid = xinfang_extended(library)
    ws = Workspace(library)
    case = cases.show(ws, cid)
    history = case.history or []
    ctx = context(
        case,
        office="某局",
        today=date(2026, 11, 2),
        doc_date=date(2026, 2, 20),
        history=history,
        people=["赵承办", "钱承办"],
        calendar=ws.calendar,
        as_of=date(2026, 4, 8),
    )
    assert ctx["date"] == "2026-02-20" and ctx["date_cn"] == "2026年2月20日"
    assert ctx["today_cn"] == "2026年11月2日"
    assert ctx["people"] == ["赵承办", "钱承办"]
    assert ctx["registered_by"] == "李登记"
    assert ctx["extended"] is True
    ext = ctx["extensions"][0]
    assert ext["duration"] == "30日" and ext["reason"] == "需要现场勘验"
    assert ext["at_cn"] == "2026年2月20日"
    assert ctx["last_extension"] == ext
    # 60 days from 2026-01-05 is 2026-03-06, 30 more are 2026-04-05, a Sunday and a
    # 清明 holiday -> the next working day 2026-04-07
    assert ctx["due_cn"] == "2026年4月7日" and ctx["case_due_cn"] == "2026年4月7日"
    assert (ctx["late_days"], ctx["late_workdays"]) == (1, 1)
    assert ctx["step_limit"] == "60日（自受理审查起，可延长30日）"
    assert ctx["limits"]["register"] == "1个工作日"
    assert ctx["limits"]["archive"] == ""
    actions = [(e["action"], e["to"]) for e in ctx["history"]]
    assert ("新建", "信访登记") in actions and ("延期", "信访办理") in actions
    assert all(e["at_cn"].startswith("2026年") for e in ctx["history"])
    assert ctx["addressee"] == "有关承办单位（人员）"
    assert ctx["source_org"] == "" and ctx["source_no"] == ""
    assert set(ctx) <= names_for(case.process)
    for name in ("date_cn", "history", "people", "extensions", "extended", "late_days",
                 "late_workdays", "step_limit", "limits", "registered_by", "addressee",
                 "source_org", "source_no"):  # fmt: skip
        assert name in names_for(case.process)


def test_context_without_history_is_defined_and_empty(library: Path) -> None:
    from procdoc.documents.context import context

    cid = xinfang_extended(library)
    case = cases.show(Workspace(library), cid)
    ctx = context(case, office="某局", today=date(2026, 3, 1))
    assert ctx["date_cn"] == "2026年3月1日"  # the document's date defaults to today
    assert ctx["history"] == [] and ctx["people"] == [] and ctx["registered_by"] == ""
    assert ctx["extended"] is False and ctx["last_extension"]["new_cn"] == ""
    assert (ctx["late_days"], ctx["late_workdays"]) == (0, 0)


def test_context_extension_from_structured_history(library: Path) -> None:
    """An 'extend' event with subject/old/new (the structured history) gives the dates."""
    from procdoc.documents.context import context
    from procdoc.model import HistoryEntry

    cid = xinfang_extended(library)
    case = cases.show(Workspace(library), cid)
    entry = HistoryEntry(cid, datetime(2026, 2, 20, 9, 0), "extend", "handle", "handle",
                         "张主任", "需要现场勘验", subject="30d", old=date(2026, 3, 6),
                         new=date(2026, 4, 7))  # fmt: skip
    ext = context(case, office="某局", today=date(2026, 3, 1), history=[entry])["extensions"]
    assert ext == [
        {"duration": "30日", "reason": "需要现场勘验", "at_cn": "2026年2月20日",
         "old_cn": "2026年3月6日", "new_cn": "2026年4月7日", "step": "信访办理",
         "step_id": "handle"}
    ]  # fmt: skip


def test_context_addressee_and_source(library: Path) -> None:
    from procdoc.documents.context import addressee, context

    ws = Workspace(library)
    db = cases.new(ws, "duban", title="督办事项", sets=["due_date=2026-10-30", "lead_org=市住建局",
                     "owner=张三"], at=datetime(2026, 10, 9, 9, 0))  # fmt: skip
    assert addressee(db) == "市住建局 张三"
    db.fields["lead_org"] = None
    assert addressee(db) == "张三"
    db.fields["owner"] = None
    db.assignee = "李四"
    assert addressee(db) == "李四"
    sw = cases.new(Workspace(library),
        "shouwen", title="来文", sets=["from_org=某市政府办公室", "doc_no=某府办发〔2026〕12号",
                                     "undertaker=综合科"], by="周登记", at=datetime(2026, 10, 9, 9, 0)
    )  # fmt: skip
    ctx = context(
        sw,
        office="某局",
        today=date(2026, 10, 9),
        history=cases.show(Workspace(library), sw.id).history or [],
    )
    assert ctx["addressee"] == "综合科"
    assert (ctx["source_org"], ctx["source_no"]) == ("某市政府办公室", "某府办发〔2026〕12号")
    assert ctx["registered_by"] == "周登记"
    assert ctx["limits"]["handle_normal"] == "5个工作日（可延长2个工作日）"
    # a process names its own choice
    process = sw.process
    from dataclasses import replace

    sw.process = replace(process, addressee=("from_org", "doc_no"))
    assert addressee(sw) == "某市政府办公室 某府办发〔2026〕12号"


def test_context_lateness_counts_working_days(library: Path) -> None:
    from procdoc.documents.context import lateness

    ws = Workspace(library)
    case = cases.new(
        ws, "shouwen", title="来文", sets=["from_org=某单位"], at=datetime(2026, 9, 29, 9, 0)
    )
    case = cases.show(Workspace(library), case.id)
    assert case.due == date(2026, 9, 30)  # 1 working day at 收文签收
    assert lateness(case, date(2026, 9, 30), ws.calendar) == (0, 0)
    assert lateness(case, datetime(2026, 10, 1, 0, 0), ws.calendar) == (1, 0)  # 国庆
    assert lateness(case, date(2026, 10, 9), ws.calendar) == (9, 2)  # 10-8 and 10-9
    assert lateness(case, date(2026, 10, 12), ws.calendar) == (12, 4)  # 10-10 is a make-up workday


def test_manual_table_columns_follow_their_text() -> None:
    """QA: Word's equal columns put 下一环节 on five lines beside a one-digit 序号."""
    from procdoc.documents.manual import column_widths

    rows = [
        ["序号", "环节", "下一环节"],
        ["1", "信访登记", "受理交办（是否受理为是时）；不予受理告知（是否受理为否时）"],
        ["10", "信访归档", "（办结）"],
    ]
    widths = column_widths(rows, 156.0)
    assert sum(widths) == pytest.approx(156.0)
    assert widths[0] < widths[1] < widths[2] and widths[0] >= 156.0 / 8  # "10" on a line


def test_manual_of_shouwen_reads_as_a_document(library: Path) -> None:
    from procdoc.documents.manual import manual_markdown, template_titles

    process = Workspace(library).process("shouwen")
    titles = template_titles(library / "templates", {"shouwen", "urge_notice"})
    assert titles == {"shouwen": "收文处理笺", "urge_notice": "催办通知书"}
    text = manual_markdown(process, office="某局", titles=titles)
    assert "退文（初审结论为退回来文单位时）；领导批办（其他情况）" in text
    assert "生成文书：收文处理笺" in text and "生成文书：催办通知书（逾期时）" in text
    assert "生成文书：shouwen" not in text and "流程编号" not in text
    assert "《党政机关公文处理工作条例》第二十七条" in text
    assert "平件承办 | 承办人 | 5个工作日" in text
    assert "分送承办或传阅，跟踪催办" in text  # no space left by YAML's folding


def test_conditions_in_words() -> None:
    from procdoc.process import expr
    from procdoc.process.graph import condition_words
    from procdoc.process.model import FieldDef, Process

    process = Process(id="x", name="x", path=Path("x"), file="x", steps=[],
                      fields={"amount": FieldDef("amount", "金额", "number"),
                              "kind": FieldDef("kind", "类别")})  # fmt: skip
    cases = {
        "kind == '差旅费'": "类别为差旅费",
        "kind != '差旅费'": "类别不为差旅费",
        "amount > 5000 and kind == '会议费'": "金额大于5000且类别为会议费",
        "amount <= 5000 or amount >= 10000": "金额小于或等于5000或金额大于或等于10000",
        "kind in ['甲', '乙', '丙']": "类别为甲、乙或丙",
        "kind not in ('甲',)": "类别不为甲",
        "amount < 1 and (kind == 'a' or kind == 'b')": "金额小于1且（类别为a或类别为b）",
        "kind == ''": "类别为空",
        "not amount > 3": "并非金额大于3",
    }
    for text, words in cases.items():
        assert condition_words(process, expr.parse(text)) == words, text


def rendered_text(name: str, ctx: dict[str, object]) -> str:
    from procdoc.docx import CompiledTemplate

    data = CompiledTemplate.compile(REPO / "templates" / f"{name}.docx").render(ctx)
    import io

    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_notices_state_the_real_deadline_the_date_and_the_late_step(library: Path) -> None:
    from procdoc.documents.context import context

    cid = xinfang_extended(library)
    ws = Workspace(library)
    case = cases.show(ws, cid)
    ctx = context(case, office="某局", today=date(2026, 11, 2), doc_date=date(2026, 2, 20),
                  history=case.history or [], calendar=ws.calendar)  # fmt: skip
    accept = rendered_text("accept_notice", ctx)
    # the deadline as it stood at 受理: the extension granted on 2/20 is told by the
    # 延期办理告知书, never by a letter dated at 受理 (QA: the 受理告知书 dated 10-12 told
    # of the extension of 11-19)
    first_due = ctx["extensions"][0]["old_cn"]
    assert first_due == "2026年3月6日" and ctx["case_due_cn"] == "2026年4月7日"
    assert f"本机关将于{first_due}前办结（自受理之日起60日内）" in accept
    assert "延长30日" not in accept and "需要现场勘验" not in accept
    assert "\t2026年2月20日" in accept and "2026年11月2日" not in accept  # 成文日期 = date
    transfer = rendered_text("transfer_letter", ctx)
    assert f"自受理之日起60日内办结（{first_due}前）" in transfer
    # an extension of another step (信访复核) did not move the 办结期限 (review)
    other = {**ctx, "extensions": [{**ctx["extensions"][0], "step_id": "recheck"}]}
    assert "本机关将于2026年4月7日前办结" in rendered_text("accept_notice", other)
    extend = rendered_text("extend_notice", ctx)
    assert "延长后的办结期限为2026年4月7日" in extend and "第三十四条" in extend

    sw = cases.new(ws, "shouwen", title="来文", sets=["from_org=某市政府办公室",
                     "doc_no=某府办发〔2026〕12号", "undertaker=综合科", "urgency=平件"],
                     by="周登记", at=datetime(2026, 9, 1, 9, 0))  # fmt: skip
    for step, at in (("register", 1), ("review", 2), ("instruct", 2), ("handle_normal", 3)):
        advance1(Workspace(library), sw.id, step=step, at=datetime(2026, 9, at, 10, 0))
    case = cases.show(Workspace(library), sw.id)
    assert case.step is not None and "urge_notice" in case.step.overdue_documents
    ctx = context(case, office="某局", today=date(2026, 9, 15), history=case.history or [],
                  calendar=ws.calendar, as_of=date(2026, 9, 15))  # fmt: skip
    urge = rendered_text("urge_notice", ctx)
    assert urge.startswith("某局\n") and "\n综合科：" in urge  # the addressee
    assert "“平件承办”环节" in urge and "5个工作日（可延长2个工作日）" in urge
    assert "应于2026年9月10日前办结" in urge and "已逾期5日（3个工作日）" in urge
    assert "来文单位：某市政府办公室" in urge and "来文字号：某府办发〔2026〕12号" in urge
    form = rendered_text("shouwen", ctx)
    assert "办理时限\n5个工作日（可延长2个工作日）" in form
    assert "登记人\n周登记" in form  # registered_by when 登记人 is empty
    assert "承办人" in form and "当前环节" not in form  # the office's form, not procdoc's state


# ------------------------------------------------------------------ render, wired (issue 17)


def docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def accepted_letter(root: Path) -> str:
    ws = Workspace(root)
    cid = cases.new(
        ws, "xinfang", title="反映噪音", sets=["petitioner=张三", "received=2026-11-02"],
        by="王敏", at=datetime(2026, 11, 4, 9, 0),
    ).id  # fmt: skip
    advance1(ws, cid, step="accept", by="王敏", at=datetime(2026, 11, 4, 10, 0))
    advance1(
        ws, cid, step="assign", sets=["accepted=是", "handler_org=某区城管局"], by="李强",
        at=datetime(2026, 11, 5, 9, 0),
    )  # fmt: skip
    return cid


def test_a_document_is_dated_the_day_its_step_was_entered_and_keeps_that_date(
    library: Path,
) -> None:
    cid = accepted_letter(library)
    done = render(Workspace(library), "accept_notice", at=datetime(2026, 12, 2, 9, 0))
    ((_, path),) = done.written
    assert "2026年11月5日" in docx_text(path) and "2026年12月2日" not in docx_text(path)
    again = render(
        Workspace(library), "accept_notice", cases=[cid], force=True,
        at=datetime(2026, 12, 3, 9, 0),
    )  # fmt: skip
    assert "2026年11月5日" in docx_text(again.written[0][1])  # kept when rendered again
    dated = render(
        Workspace(library), "accept_notice", cases=[cid], force=True,
        doc_date=date(2026, 11, 6), at=datetime(2026, 12, 3, 10, 0),
    )  # fmt: skip
    assert "2026年11月6日" in docx_text(dated.written[0][1])
    dates = [
        h.new for h in cases.show(Workspace(library), cid).history or [] if h.action == "render"
    ]
    assert dates == [date(2026, 11, 5), date(2026, 11, 5), date(2026, 11, 6)]


def test_urge_notices_go_to_late_cases_whose_step_calls_for_them(library: Path) -> None:
    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    late = cases.new(ws, "shouwen", title="迟", sets=["from_org=市政府办公室"], at=at).id
    for step, day, hour in (
        ("register", 2, 10), ("review", 2, 11), ("instruct", 3, 9), ("handle_normal", 3, 10)
    ):  # fmt: skip
        advance1(ws, late, step=step, at=datetime(2026, 11, day, hour, 0))
    fresh = cases.new(ws, "shouwen", title="新", sets=["from_org=市财政局"], at=at).id
    for i, step in enumerate(("register", "review", "instruct", "handle_normal")):
        advance1(ws, fresh, step=step, at=datetime(2026, 11, 20, 10 + i, 0))
    waiting = cases.new(ws, "shouwen", title="签收", sets=["from_org=市财政局"], at=at).id
    moment = datetime(2026, 11, 23, 9, 0)  # 平件承办 5wd from 11-03 ended 11-10
    plain = render(ws, "urge_notice", at=moment)
    assert [c for c, _ in plain.written] == [late]  # not the fresh one, not 收文签收
    urged = render(
        Workspace(library), "urge_notice", overdue=True, all_=True, at=moment, force=True
    )
    assert [c for c, _ in urged.written] == [late] and waiting not in docx_text(urged.written[0][1])
    text = docx_text(urged.written[0][1])
    assert "平件承办" in text and "市政府办公室" in text  # the late step, the 来文单位
    # dated 11-12 (--date): late as of that day, not as of the day it was rendered (QA:
    # "截至2026年11月12日，已逾期13日")
    dated = render(
        Workspace(library), "urge_notice", cases=[late], all_=True, at=moment, force=True,
        doc_date=date(2026, 11, 12),
    )  # fmt: skip
    text = docx_text(dated.written[0][1])
    assert "截至2026年11月12日，已逾期2日（2个工作日）" in text  # due 11-10


def test_render_pdf_writes_documents_even_without_libreoffice(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = accepted_letter(library)
    import procdoc.docx.pdf as pdf

    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    result = runner.invoke(
        app, ["render", "--template", "accept_notice", "--case", cid, "--pdf", "-w", str(library)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1 and "PDFs were not" in result.stderr
    assert (library / "out" / "accept_notice" / f"{cid}-accept_notice.docx").exists()


# ------------------------------------------------------------------ which case gets which document


def test_an_opinion_waits_for_its_conclusion_and_is_dated_the_day_it_was_written(
    library: Path,
) -> None:
    """The 信访处理意见书 states the 处理意见: plain `render` leaves it out while that is
    empty, saying why (not a letter with a blank where the opinion goes, dated the day
    the case entered 信访办理), and renders it once filled, dated the day it was filled.
    `--case` still renders a case as it is."""
    cid = accepted_letter(library)
    advance1(Workspace(library), cid, step="handle", by="某区城管局", at=datetime(2026, 11, 6, 9))
    early = render(Workspace(library), "xinfang_opinion", at=datetime(2026, 11, 20, 9, 0))
    assert early.written == []
    [skip] = early.skipped
    assert (skip.case, skip.step, skip.fields, skip.labels) == (
        cid,
        "信访办理",
        ("result",),
        ("处理意见",),
    )
    code, _out, err = cli(library, "render", "--template", "xinfang_opinion", "--at", "2026-11-20")
    assert code == 0
    assert (
        f"skipped {cid}: xinfang_opinion at 信访办理 requires 处理意见, still empty or unreadable"
        in err
    )
    assert f"procdoc set {cid} --set result=" in err and "1 skipped" in err
    cases.set_fields(
        Workspace(library), cid, sets=["result=已责令施工单位停止夜间施工。"],
        at=datetime(2026, 12, 18, 15, 0),
    )  # fmt: skip
    done = render(Workspace(library), "xinfang_opinion", at=datetime(2026, 12, 20, 9, 0))
    [(_id, path)] = done.written
    text = docx_text(path)
    assert "已责令施工单位停止夜间施工。" in text
    assert "\t2026年12月18日" in text and "2026年11月6日" not in text  # the opinion's day
    assert done.skipped == []
    # --case renders a case as it is, and says when the blank is there (QA: a letter
    # with no 处理意见 looked finished)
    code, _out, err = cli(library, "render", "--template", "xinfang_opinion", "--case", cid)
    assert code == 0 and "is empty" not in err
    cases.set_fields(Workspace(library), cid, sets=["result="], at=datetime(2026, 12, 21, 9, 0))
    code, _out, err = cli(
        library, "render", "--template", "xinfang_opinion", "--case", cid, "--force"
    )
    assert code == 0, err
    assert f"{cid}: 处理意见 is empty: the document is written with it blank" in err


def test_a_form_without_what_it_is_for_waits_and_says_so(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: a batch `render` printed a 报销审批单 with 金额 empty (and with 金额 typed
    一千二, its 大写 line read 一千二), a 督办单 without 事项 or 主办单位, a 会议通知
    without 地点: the library's forms require those fields, a cell that cannot be read
    counts as not filled, and the batch says which to fill."""
    from procdoc.ledger import Batch, SheetChanges

    ws = Workspace(library)
    empty = cases.new(ws, "baoxiao", title="差旅", sets=["applicant=张三", "amount=1"],
                      at=datetime(2026, 11, 2, 9)).id  # fmt: skip
    typed = cases.new(Workspace(library), "baoxiao", title="办公用品",
                      sets=["applicant=李四", "amount=1200"], at=datetime(2026, 11, 2, 10)).id  # fmt: skip
    good = cases.new(Workspace(library), "baoxiao", title="培训",
                     sets=["applicant=王五", "amount=300"], at=datetime(2026, 11, 2, 11)).id  # fmt: skip
    book = Workspace(library).casebook()
    where, cleared = book.case(typed), book.case(empty)  # as an OA export or Excel leaves them
    Workspace(library).store.update(
        lambda _s: Batch(
            {
                where.sheet: SheetChanges(
                    set={where.row: {"金额": "一千二"}, cleared.row: {"金额": None}}
                )
            }
        )
    )
    with pytest.warns(ProcdocWarning, match="一千二"):
        done = render(Workspace(library), "baoxiao", at=datetime(2026, 11, 3, 9, 0))
    assert [cid for cid, _path in done.written] == [good]
    assert {(k.case, k.labels) for k in done.skipped} == {(empty, ("金额",)), (typed, ("金额",))}
    duban = cases.new(Workspace(library), "duban", title="落实会议精神",
                      sets=["due_date=2026-12-31"], at=datetime(2026, 12, 1, 9)).id  # fmt: skip
    advance1(Workspace(library), duban, step="assign", at=datetime(2026, 12, 2, 9))
    waits = render(Workspace(library), "duban", at=datetime(2026, 12, 2, 10))
    assert waits.written == [] and [k.labels for k in waits.skipped] == [
        ("事项", "任务要求", "主办单位")
    ]
    # --case renders it as it stands, saying which field does not read (QA: it said empty)
    code, _out, err = cli(library, "render", "--template", "baoxiao", "--case", typed)
    assert code == 0, err
    assert f"{typed}: 金额 does not read as its field allows (procdoc check says why)" in err
    assert "金额 is empty" not in err
    # --format csv lists the documents written (QA: it printed the plain lines)
    code, out, err = cli(library, "render", "--template", "baoxiao", "--case", good, "--force",
                         "--format", "csv")  # fmt: skip
    assert code == 0, err
    assert out.lstrip("\ufeff").splitlines() == [
        "编号,文件",
        f"{good},out/baoxiao/{good}-baoxiao.docx",
    ]
    # with --pdf, the PDFs are rows of it too (a second look: each went after the CSV as
    # a line of text, in the system's encoding where the CSV is UTF-8)
    import procdoc.docx.pdf as pdf

    def fake_pdf(paths: list[Path]) -> list[Path]:
        made = [p.with_suffix(".pdf") for p in paths]
        for made_pdf in made:
            made_pdf.write_bytes(b"%PDF-1.4")
        return made

    monkeypatch.setattr(pdf, "to_pdf", fake_pdf)
    code, out, err = cli(library, "render", "--template", "baoxiao", "--case", good, "--force",
                         "--format", "csv", "--pdf")  # fmt: skip
    assert code == 0, err
    assert out.lstrip("\ufeff").splitlines() == [
        "编号,文件",
        f"{good},out/baoxiao/{good}-baoxiao.docx",
        f"{good},out/baoxiao/{good}-baoxiao.pdf",
    ]


def test_notices_go_to_the_cases_they_are_due_for(library: Path) -> None:
    """受理告知书: for the accepted case (now at 信访办理), by --process and by --step;
    not for the case refused (不予受理) nor the one not yet decided, which are counted as
    not due. The 不予受理告知书 waits for its reason; --case renders it as it is."""
    accepted = accepted_letter(library)
    ws = Workspace(library)
    refused = cases.new(ws, "xinfang", title="咨询低保", sets=["petitioner=李四"],
                        at=datetime(2026, 11, 4, 9, 30)).id  # fmt: skip
    advance1(ws, refused, step="accept", at=datetime(2026, 11, 4, 10, 30))
    advance1(ws, refused, step="reject", sets=["accepted=否"], at=datetime(2026, 11, 5, 10))
    pending = cases.new(ws, "xinfang", title="反映积水", sets=["petitioner=王五"],
                        at=datetime(2026, 11, 4, 11)).id  # fmt: skip
    advance1(
        Workspace(library), accepted, step="handle", by="某区城管局", at=datetime(2026, 11, 6, 9)
    )
    moment = datetime(2026, 11, 20, 9, 0)
    by_process = render(Workspace(library), "accept_notice", process="xinfang", at=moment)
    assert [c for c, _ in by_process.written] == [accepted] and by_process.not_due == 2
    code, _out, err = cli(library, "render", "--template", "accept_notice", "--process",
                          "xinfang", "--out", str(library / "o1"), "--at", "2026-11-20")  # fmt: skip
    assert code == 0 and "2 cases left out: they never reached a step that calls for" in err
    by_step = render(Workspace(library), "accept_notice", step="handle", out=library / "o2",
                     at=moment)  # fmt: skip
    assert [c for c, _ in by_step.written] == [accepted]  # it passed 受理交办
    dated = docx_text(by_step.written[0][1])
    assert "\t2026年11月5日" in dated  # the day it entered 受理交办, as before
    # 不予受理告知书: the reason first
    plain = render(Workspace(library), "reject_notice", at=moment)
    assert plain.written == [] and [k.case for k in plain.skipped] == [refused]
    asked = render(Workspace(library), "reject_notice", cases=[refused], at=moment)
    assert [c for c, _ in asked.written] == [refused]
    assert pending not in [k.case for k in plain.skipped]


def test_a_document_may_require_only_fields_of_its_process(library: Path) -> None:
    proc = library / "processes" / "xinfang.yaml"
    text = proc.read_text(encoding="utf-8")
    assert "requires: [result]" in text
    proc.write_text(text.replace("requires: [result]", "requires: [reslt]"), encoding="utf-8")
    code, out, _err = cli(library, "validate")
    assert code == 3
    assert (
        "document 'xinfang_opinion' requires unknown field 'reslt' (did you mean 'result'?)" in out
    )
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "requires: [result]" in t)
    assert f"processes/xinfang.yaml:{line}:" in out
    # the label instead of the id: the id it labels is named
    proc.write_text(text.replace("requires: [result]", "requires: [处理意见]"), encoding="utf-8")
    code, out, _err = cli(library, "validate")
    assert code == 3 and "requires unknown field '处理意见' (did you mean 'result'?)" in out


# ------------------------------------------------------------------ 金额大写


@pytest.mark.parametrize(
    ("amount", "upper"),
    [
        (0.5, "伍角整"),
        (10, "壹拾元整"),
        (100.05, "壹佰元零伍分"),
        (1234.5, "壹仟贰佰叁拾肆元伍角整"),
        (10000, "壹万元整"),
        (100000000, "壹亿元整"),
        (0, "零元整"),
        (0.05, "伍分"),
        (16, "壹拾陆元整"),
        (1004.56, "壹仟零肆元伍角陆分"),
        (325.04, "叁佰贰拾伍元零肆分"),
        (1000001, "壹佰万零壹元整"),
        (100010000, "壹亿零壹万元整"),
        (120000000.07, "壹亿贰仟万元零柒分"),
        (3260.499, "叁仟贰佰陆拾元伍角整"),  # rounded to the 分
        ("1,234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("", ""),
        (None, ""),
        ("约500元", "约500元"),  # no number: as it is
    ],
)
def test_amounts_in_capital_numerals(amount: object, upper: str) -> None:
    from procdoc.docx.filters import rmb_upper

    assert rmb_upper(amount) == upper


@pytest.mark.parametrize(
    ("amount", "figures"),
    [(2130.4, "2,130.40"), (5000, "5,000.00"), ("1,234.5", "1,234.50"), ("¥12", "12.00"),
     (0.005, "0.01"), (-3.2, "-3.20"), (None, ""), ("  ", ""), ("一千二", "一千二"),
     (-0.001, "0.00"), ("-0", "0.00"), (1e30, "1e+30"), ("1E+30", "1E+30")],
)  # fmt: skip
def test_amounts_in_figures(amount: object, figures: str) -> None:
    from procdoc.docx.filters import money

    assert money(amount) == figures


def test_baoxiao_form_writes_the_amount_in_capitals(library: Path) -> None:
    """The 报销审批单's 金额大写 row holds the amount in capital numerals (it had only the
    words 人民币（大写）：, the template using no variable there and no filter existing)."""
    cid = cases.new(
        Workspace(library), "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=1234.5"],
        at=datetime(2026, 9, 1, 9, 0),
    ).id  # fmt: skip
    [(_id, path)] = render(Workspace(library), "baoxiao", cases=[cid]).written
    text = docx_text(path)
    assert "人民币（小写）：¥1,234.50\n" in text + "\n"  # (it said ¥1234.50 元: ¥ and 元 both)
    assert "人民币（大写）：壹仟贰佰叁拾肆元伍角整" in text


def test_a_case_imported_at_a_later_step_has_passed_the_steps_on_every_way_to_it(
    tmp_path: Path,
) -> None:
    """The 钉钉 export opens 28 报销 cases, their history beginning at the step the OA gives
    (部门审核, or 归档 for 已完成): their 报销审批单 (listed at 报销提交, which every way to
    部门审核 passes) is due for --step 部门审核 and --process (they were left out as never
    having reached it: review). A cancelled case is left out and counted apart, whether or
    not a step lists the template."""
    from procdoc.commands.documents import passed_before
    from procdoc.commands.imports import import_files
    from procdoc.commands.setup import init_workspace

    root = init_workspace(tmp_path / "office", name="某市某局办公室")
    shutil.copy(REPO / "samples" / "demo" / "procdoc.yaml", root / "procdoc.yaml")
    shutil.copytree(REPO / "samples" / "demo" / "calendar", root / "calendar")
    ws = Workspace(root)
    process = ws.processes["baoxiao"]
    order = [s.id for s in passed_before(process, process.step("pay"))]
    assert order[:2] == ["submit", "dept_review"] and "pay" not in order
    assert passed_before(process, process.step("submit")) == []
    import_files(ws, [REPO / "samples" / "oa" / "钉钉-报销审批.xlsx"])
    at_review = [
        c.id for c in cases.list_cases(Workspace(root)) if c.step and c.step.id == "dept_review"
    ]
    assert at_review
    moment = datetime(2026, 11, 20, 9, 0)
    by_step = render(Workspace(root), "baoxiao", step="部门审核", at=moment)
    assert sorted(c for c, _ in by_step.written) == sorted(at_review) and by_step.not_due == 0
    cases.cancel(Workspace(root), at_review[0], reason="撤回申请", at=moment)
    shutil.copy(root / "templates" / "baoxiao.docx", root / "templates" / "copy.docx")
    for template in ("baoxiao", "copy"):  # listed by a step; listed by none
        again = render(
            Workspace(root), template, process="baoxiao", out=root / template, all_=True, at=moment
        )
        assert at_review[0] not in [c for c, _ in again.written]
        assert again.cancelled == 1 and again.not_due == 0


def test_an_imported_case_has_no_registrar_but_its_own(library: Path) -> None:
    """An import writes 导入:FILE as its 办理人: a file, not the person who registered the
    letter, so `registered_by` is empty for it and the 收文处理笺 prints 登记人 blank or the
    export's own 登记人 (QA: it printed 导入:泛微-收文-2026-10-09.xls)."""
    from procdoc.documents.context import registered_by
    from procdoc.layout import IMPORT_BY
    from procdoc.model import HistoryEntry

    process = Workspace(library).process("shouwen")

    def opened(by: str, action: str) -> HistoryEntry:
        return HistoryEntry(
            at=None, case="SW2026-0001", action=action, from_step=None,
            to_step=process.first_step.id, by=by, note=None,
        )  # fmt: skip

    assert registered_by(process, [opened(f"{IMPORT_BY}泛微-收文.xls", "import")]) == ""
    assert registered_by(process, [opened("王敏", "new")]) == "王敏"


def test_a_receipt_of_an_earlier_step_is_kept_and_the_way_to_keep_both_said(
    library: Path,
) -> None:
    """送达回证 is listed at 受理交办 and at 信访答复: at 答复 its default name is the file of
    the 受理告知书's receipt. It is kept, and the warning says why and how to keep both
    ({step} in render_name), which then writes the second beside the first (--force
    replaced the first: QA)."""
    steps = [
        ("accept", "2026-11-05 10:00", []),
        ("assign", "2026-11-05 11:00", ["--set", "accepted=是"]),
    ]
    assert (
        cli(
            library,
            "new",
            "xinfang",
            "--title",
            "测试",
            "--set",
            "petitioner=钱七",
            "--at",
            "2026-11-05 09:00",
        )[0]
        == 0
    )
    for step, at, extra in steps:
        assert cli(library, "advance", "XF2026-0001", "--step", step, *extra, "--at", at)[0] == 0
    render_receipt = ["render", "--template", "delivery_receipt", "--case", "XF2026-0001"]
    assert cli(library, *render_receipt, "--at", "2026-11-05 12:00")[0] == 0
    first = library / "out" / "delivery_receipt" / "XF2026-0001-delivery_receipt.docx"
    before = first.read_bytes()
    assert (
        cli(library, "advance", "XF2026-0001", "--step", "handle", "--at", "2026-11-06 09:00")[0]
        == 0
    )
    assert (
        cli(library, "set", "XF2026-0001", "--set", "result=已答复", "--at", "2026-11-06 10:00")[0]
        == 0
    )
    assert (
        cli(library, "advance", "XF2026-0001", "--step", "reply", "--at", "2026-11-06 11:00")[0]
        == 0
    )
    code, _out, err = cli(library, *render_receipt, "--at", "2026-11-06 12:00")
    assert code == 0 and first.read_bytes() == before
    assert (
        "Warning: kept out/delivery_receipt/XF2026-0001-delivery_receipt.docx: it was made before XF2026-0001 entered the step"
        in err.replace("\\", "/")
    )
    assert '(render_name: "{id}-{template}-{step}.docx")' in err
    cfg = library / "procdoc.yaml"
    text = cfg.read_text(encoding="utf-8")
    assert '\nrender_name: "{id}-{template}.docx"\n' in text
    cfg.write_text(
        text.replace(
            '\nrender_name: "{id}-{template}.docx"', '\nrender_name: "{id}-{template}-{step}.docx"'
        ),
        encoding="utf-8",
    )
    code, out, err = cli(library, *render_receipt, "--at", "2026-11-06 12:00")
    assert code == 0, err
    assert "XF2026-0001-delivery_receipt-信访答复.docx" in out and first.read_bytes() == before
