"""procdoc in Chinese (issue 14, item 5): one gettext catalogue, every message translated,
the language chosen from procdoc.yaml, the environment or Windows, and a full Chinese run
with no English message left."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from conftest import REPO
from procdoc import i18n

SRC = REPO / "src" / "procdoc"
PO = SRC / "locale" / "zh_CN" / "LC_MESSAGES" / "procdoc.po"
MO = PO.with_suffix(".mo")
#: A str.format field: {name}, {name!r}, {name:%Y-%m-%d} ({{ and }} are literal braces).
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_]\w*(?:![rsa])?(?::[^{}]*)?)\}(?!\})")


def catalogue():  # type: ignore[no-untyped-def]
    with PO.open("rb") as fp:
        return read_po(fp, locale="zh_CN")


def msgids(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [message.id] if isinstance(message.id, str) else list(message.id)


def msgstrs(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [message.string] if isinstance(message.string, str) else list(message.string)


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    cat = catalogue()
    messages = [m for m in cat if m.id]
    assert len(messages) > 500
    untranslated = [m.id for m in messages if not all(s.strip() for s in msgstrs(m))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated[:10]} (run make messages, translate)"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_is_current() -> None:
    with MO.open("rb") as fp:
        compiled = read_mo(fp)
    # keyed by context too: "cancelled" the state and the act are two messages
    wanted = {(m.context, *msgids(m)): tuple(msgstrs(m)) for m in catalogue() if m.id}
    got = {(m.context, *msgids(m)): tuple(msgstrs(m)) for m in compiled if m.id}
    stale = sorted(str(k) for k in wanted.keys() ^ got.keys())
    differ = sorted(str(k) for k in wanted.keys() & got.keys() if wanted[k] != got[k])
    assert not stale and not differ, (
        f"procdoc.mo is stale, run make messages: {(stale + differ)[:5]}"
    )


def source_messages() -> set[str]:
    """Every string literal given to _(), ngettext() or pgettext() in the sources."""
    found: set[str] = set()
    which = {"_": slice(0, 1), "ngettext": slice(0, 2), "pgettext": slice(1, 2)}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in which:
                continue
            for arg in node.args[which[node.func.id]]:
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: _() needs a constant string (format it after)"
                )
                found.add(arg.value)
    return found


def test_every_message_in_the_sources_is_in_the_catalogue() -> None:
    known = {s for m in catalogue() if m.id for s in msgids(m)}
    missing = sorted(source_messages() - known)
    assert not missing, f"not in procdoc.po (run make messages and translate): {missing[:10]}"


def test_no_function_both_calls_and_assigns_the_name_of_gettext() -> None:
    """A function that assigns ``_`` (``for _ in ...``, ``a, _ = ...``) makes ``_`` a local
    name in all of it, so its ``_("...")`` calls fail with UnboundLocalError at run time:
    such throwaways are named ``_unused``."""
    clashes = []
    for path in sorted((REPO / "src" / "procdoc").rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            stores = calls = False
            stack: list[ast.AST] = list(fn.body)
            while stack:  # this function's own scope, not nested ones
                node = stack.pop()
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                              | ast.ClassDef | ast.ListComp | ast.SetComp | ast.DictComp
                              | ast.GeneratorExp):  # fmt: skip
                    continue
                if isinstance(node, ast.Name) and node.id == "_":
                    stores |= isinstance(node.ctx, ast.Store)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    calls |= node.func.id == "_"
                stack.extend(ast.iter_child_nodes(node))
            if stores and calls:
                clashes.append(f"{path.relative_to(REPO)}:{fn.lineno} {fn.name}")
    assert clashes == []


def test_placeholders_are_kept() -> None:
    for m in catalogue():
        if not m.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(msgids(m)[-1]))
        for string in msgstrs(m):
            assert sorted(PLACEHOLDER.findall(string)) == wanted, (m.id, string)


# -- choosing the language -------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for var in ("PROCDOC_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "PROCDOC_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_unset_is_english(clean_env: pytest.MonkeyPatch) -> None:
    assert i18n.detect([], workspace=True) == "en"


@pytest.mark.parametrize(
    ("var", "value", "lang"),
    [
        ("LANG", "zh_CN.UTF-8", "zh"),
        ("LANG", "en_US.UTF-8", "en"),
        ("LANG", "C", "en"),
        ("LC_ALL", "zh_TW.UTF-8", "zh"),
        ("LC_MESSAGES", "zh_CN", "zh"),
        ("LANGUAGE", "zh_CN:en", "zh"),
    ],
)
def test_the_environment(clean_env: pytest.MonkeyPatch, var: str, value: str, lang: str) -> None:
    clean_env.setenv(var, value)
    assert i18n.detect([], workspace=True) == lang


def test_lc_all_comes_before_lang(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LANG", "zh_CN.UTF-8")
    clean_env.setenv("LC_ALL", "en_US.UTF-8")
    assert i18n.detect([]) == "en"


def test_procdoc_yaml_comes_before_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "procdoc.yaml").write_text("name: 办公室\nlanguage: en\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    clean_env.chdir(tmp_path / "sub")
    clean_env.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.detect([], workspace=True) == "en"  # found walking up
    other = tmp_path / "other"
    other.mkdir()
    (other / "procdoc.yaml").write_text("name: x\nlanguage: zh  # 中文\n", encoding="utf-8")
    clean_env.setenv("LANG", "en_US.UTF-8")
    assert i18n.detect(["list", "-w", str(other)], workspace=True) == "zh"
    assert i18n.detect([f"--workspace={other}"], workspace=True) == "zh"
    clean_env.setenv("PROCDOC_WORKSPACE", str(other))
    assert i18n.detect([], workspace=True) == "zh"
    clean_env.setenv("PROCDOC_LANG", "en")  # the override, for tests and scripts
    assert i18n.detect([], workspace=True) == "en"


def test_a_workspace_without_language_leaves_it_to_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "procdoc.yaml").write_text("name: 办公室\n", encoding="utf-8")
    clean_env.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.detect([], workspace=True) == "zh"


@pytest.mark.parametrize(
    ("langid", "lang"), [(0x0804, "zh"), (0x0404, "zh"), (0x0C04, "zh"), (0x0409, "en")]
)
def test_windows_ui_language(clean_env: pytest.MonkeyPatch, langid: int, lang: str) -> None:
    class Kernel32:
        @staticmethod
        def GetUserDefaultUILanguage() -> int:
            return langid

    class WinDLL:
        kernel32 = Kernel32()

    import ctypes

    clean_env.setattr(sys, "platform", "win32")
    clean_env.setattr(ctypes, "windll", WinDLL(), raising=False)
    assert i18n.detect([]) == lang
    clean_env.setenv("LANG", "en_US.UTF-8")  # the environment comes first
    assert i18n.detect([]) == "en"


def test_messages_switch_language() -> None:
    try:
        i18n.set_language("zh")
        assert i18n._("Error:") == "错误："
        assert i18n.ngettext("{n} file", "{n} files", 2).format(n=2) == "2 个文件"
        from procdoc.calendar import Duration
        from procdoc.errors import CalendarError

        with pytest.raises(CalendarError) as bad:  # its hint too (it was a constant)
            Duration.parse("7个工作曰")
        assert "write" not in str(bad.value.message) and "应写作" in str(bad.value.message)
        assert i18n.name_list(["甲", "乙", "丙"]) == "甲、乙、丙"  # a list in a sentence
        i18n.set_language("en")
        assert i18n._("Error:") == "Error:"
        assert i18n.ngettext("{n} file", "{n} files", 1).format(n=1) == "1 file"
        assert i18n.name_list(["a", "b"]) == "a, b"
    finally:
        i18n.set_language("en")


# -- a full run in Chinese -------------------------------------------------------------

#: Runs of two or more English words: what an untranslated message leaves behind.
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,})+\b")
#: What may stay Latin in a Chinese message: option names and values, commands, YAML
#: keys, ids, file names, program names and the usage text of click.
ALLOWED = re.compile(
    r"--[\w-]+(?: [A-Z_]+)?|`[^`]*`|procdoc \w+(?: \w+)?|\w+\.(?:yaml|xlsx|xls|csv|docx|md)|"
    r"FIELD=VALUE|Monday-Friday|[A-Z]{2,}\d{4}-\d+|YYYY-MM-DD(?: HH:MM)?|"
    # the ids of the ledger columns `--set` may correct (ids, like field ids, stay)
    r"(?:title|assignee|ref|source)(?:, (?:title|assignee|ref|source))+|"
    # Python's own text for an impossible date (2026-09-31), quoted in the import warning
    r"day is out of range for month"
)


def english_left(text: str) -> list[str]:
    left = []
    for line in text.splitlines():
        stripped = ALLOWED.sub(" ", line)
        left += [m.group(0) for m in ENGLISH.finditer(stripped)]
    return left


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "procdoc", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_the_tour_in_chinese_leaves_no_english(tmp_path: Path, samples: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PROCDOC_"))}
    env.update(LANG="zh_CN.UTF-8", COLUMNS="80", PYTHONIOENCODING="utf-8")
    root = tmp_path / "office"
    out = run(["init", str(root), "--name", "某市某局办公室"], tmp_path, env)
    assert out.returncode == 0, out.stderr
    shutil.copy(samples / "demo" / "procdoc.yaml", root / "procdoc.yaml")
    oa = samples / "oa"
    steps: list[tuple[list[str], int]] = [
        (["validate"], 0),
        (["import", str(oa / "钉钉-报销审批.xlsx"), str(oa / "报销-旧版.xls")], 0),
        (["import", str(oa / "致远-收文登记簿-GBK.csv")], 0),
        (["new", "xinfang", "--title", "反映小区噪音扰民问题", "--set", "petitioner=张三",
          "--set", "channel=来信", "--set", "received=2026-10-09", "--by", "王敏",
          "--at", "2026-10-09 09:30"], 0),
        (["advance", "XF2026-0001", "--step", "受理审查", "--by", "王敏",
          "--at", "2026-10-10 10:00"], 0),
        (["advance", "XF2026-0001", "--step", "受理交办", "--set", "accepted=否",
          "--at", "2026-10-12"], 1),
        (["advance", "XF2026-0001", "--step", "受理交办", "--set", "accepted=是",
          "--set", "handler_org=某区城管局", "--by", "李强", "--at", "2026-10-12 15:00"], 0),
        (["advance", "XF2026-0001", "--step", "handle", "--by", "某区城管局",
          "--at", "2026-10-13 09:00"], 0),
        (["extend", "XF2026-0001", "--by", "30d", "--reason", "需现场夜间监测", "--who", "韩志强"], 0),
        (["extend", "XF2026-0001", "--by", "5d", "--reason", "再延"], 1),
        (["show", "XF2026-0001"], 0),
        (["list", "--process", "xinfang"], 0),
        (["list", "--status", "已办结"], 0),
        (["todo", "--who", "王敏"], 0),
        (["overdue", "--as-of", "2026-11-20"], 0),
        (["render", "--template", "accept_notice", "--case", "XF2026-0001"], 0),
        (["report", "daily", "--as-of", "2026-11-20 08:00"], 0),
        (["check"], 0),
        (["set", "XF2026-0001", "--set", "nosuchfield=1"], 1),
        (["set", "XF2026-0001", "--set", "received=明天"], 1),
        (["show", "XF2099-0001"], 1),
        (["cancel", "XF2026-0001"], 2),
        (["cancel", "XF2026-0001", "--reason", "重复登记"], 0),
        (["cancel", "XF2026-0001", "--reason", "再撤"], 1),
        (["new", "nosuch", "--title", "x"], 1),
        (["advance", "XF2026-0001", "--step", "x", "--at", "yesterday"], 2),
        (["import", str(tmp_path / "nosuch.xlsx")], 1),
        # click's own usage errors, said whole (QA: "Did you mean", "argument(s)", "int")
        (["lst"], 2),
        (["list", "extra1", "extra2"], 2),
        (["list", "--stat", "open"], 2),
        (["advance", "XF2026-0001", "--step"], 2),
        (["import", "--dry-run=yes", "x.xlsx"], 2),
        (["sample", "--seed", "x"], 2),
        (["templates"], 0),
    ]  # fmt: skip
    said: dict[str, str] = {}
    seen = []
    for args, code in steps:
        done = run(args, root, env)
        said[" ".join(args)] = done.stdout + done.stderr
        shown = f"$ procdoc {' '.join(args)}\n{done.stdout}{done.stderr}"
        assert done.returncode == code, shown
        assert "Traceback" not in done.stderr, shown
        text = done.stdout + done.stderr  # typer's usage errors (exit 2) are Chinese too
        seen += [(args[0], e) for e in english_left(text)]
        if code == 1:
            assert "错误：" in done.stderr and "Error:" not in done.stderr, shown
    assert not seen, seen
    # what the QA pass found half-English or wrong, said in Chinese
    assert "已撤销的案件不能撤销" in said["cancel XF2026-0001 --reason 再撤"]
    assert "错误：没有命令“lst”。是否指 'list'、'set'？" in said["lst"]
    assert "错误：多出了参数：extra1 extra2" in said["list extra1 extra2"]
    assert "错误：没有选项 --stat（是否指 --status、--step？）" in said["list --stat open"]
    assert "错误：选项 --step 需要一个值。" in said["advance XF2026-0001 --step"]
    assert "'x' 不是有效的整数。" in said["sample --seed x"]
    assert "（收到日期，日期）'明天' 不是日期" in said["set XF2026-0001 --set received=明天"]
    assert "（信访事项办理）" not in said["templates"] and "信访事项办理" in said["templates"]
    (root / "templates" / "junk.docx").write_text("junk", encoding="utf-8")  # no Word file
    (root / "processes" / "zz.yaml").write_text("id: zz\nname: {a: 1\n", encoding="utf-8")
    for args, code in ((["templates"], 0), (["validate"], 3)):
        done = run(args, root, env)
        text = done.stdout + done.stderr
        assert done.returncode == code and "Traceback" not in text, text
        assert not english_left(text), text
        said[args[0]] = text
    assert "模板 junk 无法生成" in said["templates"], said["templates"]
    assert "缺少“,”或“}”" in said["validate"]
    # a value that needs quotes is said so in Chinese too (review: the advice was lost)
    (root / "processes" / "zz.yaml").write_text(
        "id: zz\nname: '@x'\ndescription: @x\n", encoding="utf-8"
    )
    quotes = run(["validate"], root, env)
    assert "值不能以该字符开头（请给这个值加上引号）" in quotes.stdout, quotes.stdout
    (root / "templates" / "junk.docx").unlink()
    (root / "processes" / "zz.yaml").unlink()
    bad = run(["init", str(root)], tmp_path, env)  # exists already
    assert bad.returncode == 1 and bad.stderr.startswith("错误："), bad.stderr
    assert not english_left(bad.stderr), bad.stderr
    help_text = run(["new", "--help"], root, env).stdout
    assert "登记新案件" in help_text
    # typer's frame around procdoc's words: headings, the help option, usage errors
    assert "用法：" in help_text and "选项" in help_text and "显示本帮助并退出。" in help_text
    assert "[必填]" in help_text and "required" not in help_text
    assert not english_left(help_text), help_text
    listing = run(["--help"], root, env).stdout  # each command's first sentence (QA: "...")
    assert "  sample     抽查：从某一期间办结的案件中随机抽取一部分" in listing, listing
    assert not re.search(r"^  \w+ +\.\.\.$", listing, re.M), listing  # not "sample  ..."
    usage = run(["advance", "XF2099-0001"], root, env)
    assert usage.returncode == 2 and "错误：缺少选项 '--step'。" in usage.stderr, usage.stderr
    assert "procdoc advance --help' 查看帮助。" in usage.stderr
    yaml = (root / "procdoc.yaml").read_text(encoding="utf-8")
    (root / "procdoc.yaml").write_text("language: en\n" + yaml, encoding="utf-8")
    english = run(["show", "XF2099-0001"], root, env)
    assert english.stderr.startswith("Error: unknown case"), english.stderr


def test_english_by_default_in_the_cli() -> None:
    from typer.testing import CliRunner

    from procdoc.cli import app

    done = CliRunner().invoke(app, ["show", "X-1", "-w", str(REPO / "nowhere")])
    assert done.exit_code == 1
    assert "Error: " in done.output and "错误" not in done.output


def test_mo_is_read_by_stdlib_gettext() -> None:
    import gettext

    with MO.open("rb") as fp:
        t = gettext.GNUTranslations(io.BytesIO(fp.read()))
    assert t.gettext("Warning:") == "警告："


def test_a_usage_error_of_click_reads_in_chinese_through_its_last_word() -> None:
    """QA: '--format x' said '取值无效： ... 'x' is not one of ...': click's words after
    the opening stayed English, and its full stop too."""
    from procdoc.clitext import translate_usage_error

    try:
        i18n.set_language("zh")
        said = translate_usage_error(
            "Invalid value for '--format': 'x' is not one of 'table', 'json'."
        )
        assert said.endswith("'x' 不是以下之一：'table'、'json'。") and "is not" not in said
        said = translate_usage_error("Invalid value for '--percent': 'abc' is not a valid float.")
        assert said.endswith("'abc' 不是有效的数字。")
    finally:
        i18n.set_language("en")
    english = "Invalid value for '--percent': 'abc' is not a valid float."
    assert translate_usage_error(english) == english
