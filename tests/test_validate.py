"""`procdoc validate`: every kind of broken process file gives a positioned line, exit 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import MINI_PROCESS, write
from procdoc.cli import app
from procdoc.commands.setup import validate
from procdoc.workspace import Workspace

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_mini_is_clean(mini: Path) -> None:
    code, out, err = run("validate", "-w", str(mini))
    assert code == 0, out + err
    assert "error" not in out


def test_library_validates_cleanly(library: Path) -> None:
    report = validate(Workspace(library))
    assert report.errors == [], [str(p) for p in report.errors]
    assert sorted(report.processes) == [
        "baoxiao", "duban", "fawen", "huiyi", "huiyishi", "shouwen", "tousu", "xinfang", "xinpin", "yongyin",
    ]  # fmt: skip
    # the only warnings allowed are about the calendar of a year chinese-calendar lacks
    assert all("holiday calendar" in p.message for p in report.warnings), [
        str(p) for p in report.warnings
    ]


BASE = """\
name: 坏流程
roles: [甲]
fields:
  f: {label: 字段, type: text}
steps:
  - id: a
    name: 第一步
    role: 甲
    next: [b]
  - id: b
    name: 第二步
    final: true
"""

CASES = [
    # (description, file text, expected message part, expected line:column)
    ("yaml syntax", "name: x\nsteps: [a,\n", "did not find expected", None),
    ("tab indent", "name: x\nsteps:\n\t- id: a\n", "tab", "3:1"),
    (
        "duplicate key",
        BASE.replace("name: 坏流程\n", "name: 坏流程\nname: 又一个\n"),
        "duplicate key 'name'",
        "2:1",
    ),
    ("a yaml list", "- a\n- b\n", "must be a mapping", "1:1"),
    (
        "unknown key",
        BASE.replace("    role: 甲\n    next: [b]", "    role: 甲\n    dedline: 3d\n    next: [b]"),
        "unknown key 'dedline' in a step (did you mean 'deadline'?)",
        "9:5",
    ),
    ("missing name", BASE.replace("name: 坏流程\n", ""), "missing required key 'name'", "1:1"),
    (
        "missing step id",
        BASE.replace("  - id: b\n    name: 第二步", "  - name: 第二步"),
        "missing required key 'id'",
        "10:5",
    ),
    ("wrong type", BASE.replace("roles: [甲]", "roles: 5"), "'roles' must be a list", "2:8"),
    ("bad field type", BASE.replace("type: text", "type: txt"), "unknown field type 'txt'", "4:24"),
    (
        "case_id read as a footer",
        BASE.replace("name: 坏流程\n", 'name: 坏流程\ncase_id: "共{seq}件"\n'),
        "case_id pattern '共{seq}件' makes ids a register reads as its 合计 line (共1件)",
        "2:10",
    ),
    (
        "min on a text field",
        BASE.replace("type: text}", "type: text, min: 1}"),
        "'min' given but field 'f' has type text; it bounds a number field",
        "4:35",
    ),
    (
        "min not a number",
        BASE.replace("type: text}", "type: number, min: 一}"),
        "field 'f': min must be a number, not text",
        "4:37",
    ),
    (
        "min not finite",
        BASE.replace("type: text}", "type: number, min: .inf}"),
        "field 'f': min must be a finite number, not inf",
        "4:37",
    ),
    (
        "max nan",
        BASE.replace("type: text}", "type: number, max: .nan}"),
        "field 'f': max must be a finite number, not nan",
        "4:37",
    ),
    (
        "min above max",
        BASE.replace("type: text}", "type: number, min: 5, max: 1}"),
        "field 'f': min 5 is more than max 1",
        "4:37",
    ),
    (
        "bad duration",
        BASE.replace("    role: 甲\n", "    role: 甲\n    deadline: 3x\n"),
        "bad duration '3x'",
        "9:15",
    ),
    ("duplicate step id", BASE.replace("id: b", "id: a"), "step id 'a' is used twice", "10:9"),
    (
        "duplicate step name",
        BASE.replace("name: 第二步", "name: 第一步"),
        "step name '第一步' is used twice",
        "11:11",
    ),
    (
        "unknown next",
        BASE.replace("next: [b]", "next: [b, c]"),
        "next step 'c' does not exist",
        "9:15",
    ),
    (
        "unknown back",
        BASE.replace("    final: true", "    final: true\n    back: [z]"),
        "return target 'z' does not exist",
        "13:12",
    ),
    (
        "unknown role",
        BASE.replace("    role: 甲\n", "    role: 乙\n"),
        "role '乙' is not declared",
        "8:11",
    ),
    (
        "unknown signer",
        BASE.replace("    role: 甲\n", "    kind: countersign\n    signers: [甲, 丙]\n"),
        "signer '丙' is not a declared role",
        "9:18",
    ),
    (
        "unknown template",
        BASE.replace("    role: 甲\n", "    role: 甲\n    documents: [nosuch]\n"),
        "template 'nosuch' does not exist",
        "9:17",
    ),
    (
        "when does not parse",
        BASE.replace("next: [b]", 'next: [{to: b, when: "f =="}]'),
        "does not parse",
        "9:26",
    ),
    (
        "when names unknown field",
        BASE.replace("next: [b]", 'next: [{to: b, when: "g == 1"}]'),
        "names unknown field 'g'",
        "9:26",
    ),
    (
        "when calls a function",
        BASE.replace("next: [b]", "next: [{to: b, when: \"__import__('os')\"}]"),
        "function calls are not allowed",
        "9:26",
    ),
    (
        "when reaches internals",
        BASE.replace("next: [b]", 'next: [{to: b, when: "f.__class__ == 1"}]'),
        "attribute access",
        "9:26",
    ),
    (
        "unreachable",
        BASE + "  - id: c\n    name: 孤岛\n    final: true\n",
        "step 'c' cannot be reached",
        "13:5",
    ),
    (
        "no way out",
        BASE.replace("    final: true", "    role: 甲"),
        "step 'b' is not final and has no 'next'",
        "10:5",
    ),
    (
        "undeclared cycle",
        BASE.replace("    final: true", "    next: [a]"),
        "closes a cycle through next",
        "12:12",
    ),
    (
        "from unknown",
        BASE.replace(
            "    role: 甲\n", "    role: 甲\n    deadline: {duration: 5d, from: nowhere}\n"
        ),
        "'from: nowhere' is neither a step id nor a field",
        "9:36",
    ),
    (
        "from a text field",
        BASE.replace("    role: 甲\n", "    role: 甲\n    deadline: {duration: 5d, from: f}\n"),
        "it must be a date or datetime field",
        "9:36",
    ),
    ("bad case_id", BASE + 'case_id: "X{year}"\n', "must contain {seq}", "13:10"),
    (
        "choice without choices",
        BASE.replace("type: text", "type: choice"),
        "is a choice but has no 'choices'",
        "4:6",
    ),
    ("random bytes", None, "not UTF-8", "2:118"),
    (
        "document when other than overdue",
        BASE.replace(
            "    role: 甲\n", "    role: 甲\n    documents: [{template: t, when: late}]\n"
        ),
        "unknown document condition 'late'; use one of overdue",
        "9:37",
    ),
    (
        "document unknown key",
        BASE.replace(
            "    role: 甲\n", "    role: 甲\n    documents:\n      - {template: t, if: x}\n"
        ),
        "unknown key 'if' in a document",
        "10:23",
    ),
    (
        "document without template",
        BASE.replace("    role: 甲\n", "    role: 甲\n    documents: [{when: overdue}]\n"),
        "missing required key 'template'",
        "9:17",
    ),
    (
        "overdue document unknown",
        BASE.replace(
            "    role: 甲\n", "    role: 甲\n    documents: [{template: nosuch, when: overdue}]\n"
        ),
        "template 'nosuch' does not exist",
        "9:17",
    ),
    ("terms not a mapping", BASE + "terms: [a, b]\n", "'terms' must be a mapping", "13:8"),
    ("term without text", BASE + "terms:\n  信访人:\n", "term '信访人' has no explanation", "14:7"),
    ("faq without answer", BASE + "faq:\n  - {q: 问}\n", "missing required key 'a'", "14:5"),
    ("faq item not a mapping", BASE + "faq: [问题]\n", "a faq item must be a mapping", "13:7"),
    ("basis not a list", BASE + "basis: {a: 1}\n", "'basis' must be a list", "13:8"),
    (
        "addressee unknown field",
        BASE + "addressee: [f, g]\n",
        "addressee names unknown field 'g'",
        "13:16",
    ),
]


@pytest.mark.parametrize(("what", "text", "message", "where"), CASES, ids=[c[0] for c in CASES])
def test_broken_file(
    mini: Path, what: str, text: str | None, message: str, where: str | None
) -> None:
    path = mini / "processes" / "bad.yaml"
    if text is None:
        path.write_bytes(bytes(range(256)) * 3)
    else:
        path.write_text(text, encoding="utf-8")
    code, out, err = run("validate", "-w", str(mini))
    assert code == 3, out + err
    lines = [line for line in out.splitlines() if "processes/bad.yaml" in line and "error" in line]
    assert any(message in line for line in lines), out
    if where:
        assert any(
            f"processes/bad.yaml:{where}: error:" in line for line in lines if message in line
        ), out


def test_overdue_documents_and_manual_keys(mini: Path) -> None:
    text = (
        BASE.replace(
            "    role: 甲\n",
            "    role: 甲\n    documents: [letter, {template: urge, when: overdue}]\n",
        )
        + "purpose: 目的\nbasis: [条例第1条]\nterms: {信访人: 公民}\nfaq: [{q: 问, a: 答}]\n"
    )
    path = mini / "processes" / "ok.yaml"
    path.write_text(text, encoding="utf-8")
    from procdoc.process.loader import load_process
    from procdoc.process.model import Faq

    process, problems = load_process(path, templates={"letter", "urge"})
    assert problems == [] and process is not None
    step = process.steps[0]
    assert step.documents == ("letter", "urge") and step.overdue_documents == {"urge"}
    assert process.steps[1].overdue_documents == frozenset()
    assert (process.purpose, process.basis, process.terms, process.faq) == (
        "目的",
        ("条例第1条",),
        {"信访人": "公民"},
        (Faq("问", "答"),),
    )


def test_duplicate_process_id_and_name(mini: Path) -> None:
    write(mini / "processes" / "copy.yaml", MINI_PROCESS)
    code, out, _ = run("validate", "-w", str(mini))
    assert code == 3
    assert "process id 'mini' is also used by processes/" in out


def test_same_name_other_id(mini: Path) -> None:
    write(mini / "processes" / "other.yaml", MINI_PROCESS.replace("id: mini", "id: other"))
    code, out, _ = run("validate", "-w", str(mini))
    assert code == 3
    assert "process name '测试流程' is also used by" in out


def test_many_approvals_warn_and_strict_fails(mini: Path) -> None:
    steps = "".join(
        f"  - id: s{i}\n    name: 审批{i}\n    kind: approval\n    next: [s{i + 1}]\n"
        for i in range(6)
    )
    write(
        mini / "processes" / "big.yaml",
        f"name: 六级审批\nsteps:\n{steps}  - id: s6\n    name: 结束\n    final: true\n",
    )
    code, out, _ = run("validate", "-w", str(mini))
    assert code == 0
    assert "6 approval steps in one process" in out
    code, _, _ = run("validate", "-w", str(mini), "--strict")
    assert code == 3


def test_config_unknown_key_is_error(mini: Path) -> None:
    cfg = mini / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "ledgr: x.xlsx\n", encoding="utf-8")
    code, out, err = run("validate", "-w", str(mini))
    assert code == 3  # validate lists procdoc.yaml's errors like any other (SPEC §5)
    assert (
        "procdoc.yaml:" in out and "unknown key 'ledgr'" in out and "did you mean 'ledger'" in out
    )
    code, _, err = run("list", "-w", str(mini))  # any other command: exit 1, every error
    assert code == 1 and "unknown key 'ledgr'" in err


def test_json_output(mini: Path) -> None:
    write(mini / "processes" / "bad.yaml", "name: x\nsteps: 5\n")
    code, out, _ = run("validate", "-w", str(mini), "--format", "json")
    assert code == 3
    data = json.loads(out)
    assert data["ok"] is False
    problem = next(p for p in data["problems"] if p["file"] == "processes/bad.yaml")
    assert (
        problem["line"] == 2 and problem["column"] == 8 and "non-empty list" in problem["message"]
    )


def test_no_workspace_is_exit_1(tmp_path: Path) -> None:
    code, _, err = run("validate", "-w", str(tmp_path))
    assert code == 1
    assert "no procdoc.yaml" in err


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
@example("=")  # YAML's value tag: no constructor (it crashed validate with a traceback)
@example("steps: [=]")
def test_random_text_never_crashes(mini: Path, text: str) -> None:
    path = mini / "processes" / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", "replace"))
    report = validate(Workspace(mini))
    for problem in report.problems:
        assert problem.pos is not None
        assert problem.message


@pytest.mark.parametrize("text", ["=", "name: =", "!!python/name:os.system x"])
def test_a_scalar_safe_load_cannot_build_is_text_or_a_syntax_error(mini: Path, text: str) -> None:
    """``=`` (YAML 1.1's value type) is text; another tag safe_load cannot build is a
    problem at its position, never a crash (hypothesis found ``=``)."""
    path = mini / "processes" / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    report = validate(Workspace(mini))
    assert all(p.pos is not None and p.message for p in report.problems)


def test_a_tag_that_cannot_be_built_is_one_positioned_error(mini: Path) -> None:
    """A tag no constructor takes: one line with its position, no traceback."""
    (mini / "processes" / "bad.yaml").write_text(
        "name: x\nsteps: [!!python/name:os.system x]\n", encoding="utf-8"
    )
    code, out, _ = run("validate", "-w", str(mini))
    assert code == 3
    assert (
        "processes/bad.yaml:2:9: error: '!!python/name:os.system x' cannot be read as a value: put it in quotes"
        in out
    )


def bad_file_errors(mini: Path, text: str) -> tuple[list[str], str]:
    """The problems `validate` lists for processes/bad.yaml, and its whole output."""
    (mini / "processes" / "bad.yaml").write_text(text, encoding="utf-8")
    code, out, err = run("validate", "-w", str(mini))
    assert code == 3, out + err
    return [line for line in out.splitlines() if line.startswith("processes/bad.yaml")], out


@pytest.mark.parametrize(
    "spec",
    [
        "{label: 收到日期, type: dat}",  # `from: received` would have said "of type text"
        "{label: 收到日期, type: choic, choices: [a]}",  # "'choices' given but ... type text"
    ],
)
def test_an_unknown_field_type_is_one_error_and_no_false_second(mini: Path, spec: str) -> None:
    text = BASE.replace("  f: {label: 字段, type: text}", f"  received: {spec}").replace(
        "    role: 甲\n", "    role: 甲\n    deadline: {duration: 5d, from: received}\n"
    )
    lines, out = bad_file_errors(mini, text)
    assert len(lines) == 1 and "unknown field type" in lines[0], out


def test_a_when_that_does_not_parse_is_one_error_and_no_fallback_warning(mini: Path) -> None:
    text = BASE.replace("next: [b]", 'next: [{to: b, when: "f =="}, b]')
    lines, out = bad_file_errors(mini, text)
    assert len(lines) == 1 and "does not parse" in lines[0], out


def test_a_zero_deadline_is_warned_about_with_its_place(mini: Path) -> None:
    """`deadline: 0wd` (or 0h, an extension of 0d) is a typo as a rule: due the moment the
    clock starts, a day off included (QA: 0wd from 10-03 was due on a holiday). A warning
    with file:line:column; --strict fails. (A zero counted from a date field, due on that
    day, is meant: the library's 督办 and 会议 have one, and validate cleanly.)"""
    write(
        mini / "processes" / "zero.yaml",
        "name: 零时限\nid: zero\nroles: [甲]\nsteps:\n"
        "  - {id: a, name: 受理, role: 甲, deadline: 0wd, extend: 0d, next: [b]}\n"
        "  - {id: b, name: 完成, role: 甲, final: true}\n",
    )
    code, out, _ = run("validate", "-w", str(mini))
    assert code == 0, out
    assert "processes/zero.yaml:5:42: warning: a duration of 0wd is no time at all" in out.replace(
        "\\", "/"
    )
    assert "processes/zero.yaml:5:55: warning: a duration of 0d is no time at all" in out.replace(
        "\\", "/"
    )
    assert run("validate", "-w", str(mini), "--strict")[0] == 3


@pytest.mark.parametrize(
    "name", ["报销/用印审批", "会议[内部]", "审批：财务?", "'收文'", "长" * 32]
)
def test_a_process_name_excel_cannot_take_as_a_sheet_is_an_error(mini: Path, name: str) -> None:
    """A register is named after its process: a name Excel refuses for a sheet is an error
    at the process's name: (procdoc made such a sheet, and LibreOffice renamed it Sheet1 on
    saving: QA); `new` refuses and writes nothing; `registers: ID: sheet:` settles it."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: 测试流程", f'name: "{name}"', 1), encoding="utf-8")
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    assert "processes/mini.yaml:1:7: error: a sheet name" in out.replace("\\", "/")
    code, _out, err = run(
        "new", "mini", "--title", "甲", "--set", "applicant=张三", "-w", str(mini)
    )
    assert code == 1 and "procdoc cannot add the sheet" in err
    assert not (mini / "ledger.xlsx").exists()
    config = mini / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "registers:\n  mini:\n    sheet: 测试\n",
        encoding="utf-8",
    )
    assert run("validate", "-w", str(mini))[0] == 0


def test_a_sequence_no_step_numbers_from_is_said_and_reads_no_numbers(tmp_path: Path) -> None:
    """`numbering: fawen` left in procdoc.yaml with no process numbering from it (the 发文
    file removed): validate says so, and `check` does not read every 来文字号 (doc_no of
    收文) as a malformed 发文字号 (it exited 3 every day: QA)."""
    from procdoc.commands.setup import init_workspace

    root = init_workspace(tmp_path / "office", processes=["shouwen"])
    config = root / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + 'numbering:\n  fawen:\n    format: "某办发〔{year}〕{seq}号"\n    field: doc_no\n',
        encoding="utf-8",
    )
    code, out, _err = run("validate", "-w", str(root))
    assert code == 0 and "numbering: fawen: no step has number: fawen" in out
    code, _out, err = run(
        "new", "shouwen", "--title", "关于报送年度工作总结的通知", "--set", "from_org=市政府办公室",
        "--set", "doc_no=某府办函〔2026〕131号", "--at", "2026-11-23 09:00", "-w", str(root),
    )  # fmt: skip
    assert code == 0, err
    code, out, _err = run("check", "-w", str(root))
    assert code == 0 and "fawen" not in out, out


def test_a_return_to_a_step_ahead_is_an_error(mini: Path) -> None:
    """back: names a step the case came through; one ahead (发文 from 审查) moved the case on
    past the branches' `when` as a 'return' (QA)."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    deadline: 15d\n", "    deadline: 15d\n    back: [issue]\n", 1),
        encoding="utf-8",
    )
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    assert "back: 'issue' is not a step before 'review'" in out
    assert "processes/mini.yaml:22:12: error:" in out.replace("\\", "/"), out


def test_a_full_width_colon_and_chinese_commas_are_said_where_they_are(mini: Path) -> None:
    """roles： [...] was told a line later as an indentation problem, and [登记员，承办人]
    as roles not declared at every step using them (QA): each is said at its own place,
    with what to type instead."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nroles: ", "\nroles： ", 1), encoding="utf-8")
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    assert (
        "processes/mini.yaml:4:6: error: a full-width colon '：' after 'roles': write ':' (half-width) and a space"
        in out.replace("\\", "/")
    )
    path.write_text(
        text.replace("roles: [登记员, 承办人,", "roles: [登记员，承办人、", 1), encoding="utf-8"
    )
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    lines = [line for line in out.replace("\\", "/").splitlines() if "error" in line]
    assert lines == [
        "processes/mini.yaml:4:9: error: '登记员，承办人、 财务' is read as one name: items are separated "
        "by ',' (half-width), not '，' or '、' (登记员, 承办人, 财务)"
    ], out


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("ok = '是'", "error: condition 'ok = '是'' uses '=', which gives a value: to compare, write '==' (at character 4)"),
        ("ok == “是”", "error: condition 'ok == “是”' has Chinese quotes “: write a text in ASCII quotes ('是') (at character 7)"),
        ("ok == 是", "names unknown field '是' (known: "),
        ("ok == '同意'", "warning: condition 'ok == '同意'': '同意' is not one of 是否同意's choices (是, 否), so this branch never holds"),
    ],
)  # fmt: skip
def test_a_condition_typed_the_office_way_says_what_to_write(
    mini: Path, when: str, said: str
) -> None:
    """`when:` as a clerk types it: '=' for '==', Chinese quotes, a text without quotes, a
    choice the field does not have (the branch never held and every case took the
    fallback, without a word: QA)."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    original = "when: \"ok == '是'\""
    assert original in text
    path.write_text(text.replace(original, f'when: "{when}"', 1), encoding="utf-8")
    code, out, _err = run("validate", "-w", str(mini))
    assert said in out, out
    assert code == (0 if "warning" in said else 3)
    if when == "ok == 是":
        assert "; a text is written in quotes: '是'" in out


def test_a_deadline_from_a_later_step_and_odd_signers_are_said(mini: Path) -> None:
    """`from:` a step the case reaches only later counted from the step's own start without
    a word; a 会签 of one signer role, or a role listed twice, validated clean (QA)."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace("    deadline: 15d\n", "    deadline: {duration: 15d, from: issue}\n", 1)
    path.write_text(
        broken.replace("signers: [财务, 部门负责人]", "signers: [财务, 财务]", 1), encoding="utf-8"
    )
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    assert "error: 'from: issue' is a step the case reaches after 'review'" in out
    assert "error: signer '财务' is listed twice" in out
    assert "warning: countersign step 'sign' has one signer role" in out


def test_an_empty_process_file_says_it_is_empty(mini: Path) -> None:
    """It said 'this file holds empty' (QA)."""
    (mini / "processes" / "empty.yaml").write_text("", encoding="utf-8")
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3
    assert (
        "processes/empty.yaml:1:1: error: the file is empty: a process file holds name:, steps:"
        in out.replace("\\", "/")
    )


T_PROCESS = """\
name: 二测流程
id: t
case_id: "T{year}-{seq:04d}"
roles: [甲, 乙, 丙]
fields:
  urgency: {label: 紧急程度, type: choice, choices: [特急, 加急, 平件]}
  got:     {label: 收到日期, type: date}
  c:       {label: 交办日期, type: date}
steps:
  - {id: a, name: 甲办, role: 甲, next: [{to: b, when: "'急' in urgency"}, {to: c, when: "urgency in '特急加急'"}, {to: c}]}
  - {id: b, name: 乙办, role: 乙, deadline: {duration: 3wd, from: [got, a]}, next: [c]}
  - {id: c, name: 会签, kind: countersign, signers: [甲, 乙], mode: any, deadline: {duration: 2wd, from: c}, back: [a, c], next: [d]}
  - {id: d, name: 丙办, role: 丙, deadline: {duration: 1wd, from: [got, e]}, back: [a, b, c], next: [e]}
  - {id: e, name: 结束, role: 丙, final: true}
"""


def test_what_an_office_writes_is_not_taken_for_a_mistake(mini: Path) -> None:
    """A second look at the checks above (QA): a text tested in a field (`'急' in
    urgency`) is no choice; a 会签 sent back to itself is a return; `from:` an id that is a
    date field too counts from the field; and a later step among `from:`'s fallbacks is
    still said."""
    write(mini / "processes" / "t.yaml", T_PROCESS)
    code, out, _err = run("validate", "-w", str(mini))
    t_lines = [line for line in out.replace("\\\\", "/").splitlines() if "processes/t.yaml" in line]
    assert t_lines == [
        "processes/t.yaml:13:70: error: 'from: e' is a step the case reaches after 'd': a step's "
        "deadline counts from a step it came through, or from its own start"
    ], out
    assert code == 3


def test_a_full_width_colon_in_a_description_is_text(mini: Path) -> None:
    """A 要求： in a folded description is text: the real error further down is said, not
    the colon (QA)."""
    path = mini / "processes" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("id: mini\n", "id: mini\ndescription: >-\n  用印要求：按规定办理\n", 1)
    text = text.replace(
        "  applicant: {label: 申请人, type: text, required: true}",
        "  applicant: {label: 申请人, type: text, required: true",
        1,
    )
    path.write_text(text, encoding="utf-8")
    code, out, _err = run("validate", "-w", str(mini))
    assert code == 3 and "full-width colon" not in out and "mini.yaml:" in out


def test_validate_csv_says_its_severity_in_the_header_s_words(mini: Path) -> None:
    """Under the Chinese header 严重程度 the rows said warning/error (QA): 警告/错误."""
    (mini / "processes" / "empty.yaml").write_text("", encoding="utf-8")
    code, out, _err = run("validate", "--format", "csv", "-w", str(mini))
    rows = [line.split(",")[0] for line in out.lstrip("\ufeff").splitlines()]
    assert code == 3 and rows[0] == "严重程度" and "错误" in rows[1:] and "error" not in rows
