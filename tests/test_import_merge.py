"""Importing OA exports into the ledger: the merge rules of SPEC §6."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from conftest import REPO
from procdoc.cli import app
from procdoc.commands.imports import import_files
from procdoc.commands.setup import init_workspace
from procdoc.errors import ImportFileError
from procdoc.workspace import Workspace

OA = REPO / "samples" / "oa"
runner = CliRunner()


@pytest.fixture
def office(tmp_path: Path) -> Path:
    root = init_workspace(tmp_path / "office", name="某市某局办公室")
    shutil.copy(REPO / "samples" / "demo" / "procdoc.yaml", root / "procdoc.yaml")
    shutil.copytree(REPO / "samples" / "demo" / "calendar", root / "calendar")
    return root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ledger_rows(root: Path, sheet: str = "报销") -> list[dict[str, object]]:
    wb = CalamineWorkbook.from_path(str(root / "台账.xlsx"))
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def type_over(root: Path, cid: object, label: str, value: object) -> None:
    """Type ``value`` over the 报销 cell of ``label`` of case ``cid``, as in Excel."""
    wb = openpyxl.load_workbook(root / "台账.xlsx")
    sheet = wb["报销"]
    head = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[head.index("编号")].value == cid)
    row[head.index(label)].value = value
    wb.save(root / "台账.xlsx")


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_dingtalk_export_opens_cases_keeps_ids_and_reports_bad_rows(office: Path) -> None:
    (result,) = import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    assert result.source == "dingtalk-baoxiao"
    assert len(result.new) == 28
    assert sorted(p.row for p in result.problems) == [20, 25]
    assert "duplicate 审批编号" in result.problems[0].message
    assert "发起时间 (E25): '2026-09-31 09:15' is not a date" in result.problems[1].message
    rows = ledger_rows(office)
    refs = {r["来源编号"] for r in rows}
    assert "202609011600000860029" in refs  # 21 digits, text, exactly as exported
    first = next(r for r in rows if r["来源编号"] == "202609011600000860029")
    assert "流程" not in first  # a register of its own: no process column
    assert first["当前环节"] == "部门审核"  # 审批中 -> dept_review
    assert first["金额"] == pytest.approx(2130.4) and first["申请人"] == "赵磊"
    done = next(r for r in rows if r["来源编号"] == "202609020911000830133")
    assert done["状态"] == "已办结"  # 已完成 -> archive, a final step


def test_same_file_twice_changes_nothing(office: Path) -> None:
    import_files(Workspace(office), [OA / "致远-收文登记簿.xlsx"])
    before = digest(office / "台账.xlsx")
    (again,) = import_files(Workspace(office), [OA / "致远-收文登记簿.xlsx"])
    assert again.new == [] and again.changed == [] and again.unchanged == 25
    assert digest(office / "台账.xlsx") == before
    # the GBK CSV twin of the same register is the same data
    (csv,) = import_files(Workspace(office), [OA / "致远-收文登记簿-GBK.csv"])
    assert csv.source == "zhiyuan-shouwen" and csv.new == [] and csv.changed == []


def test_messy_register_values(office: Path) -> None:
    import_files(Workspace(office), [OA / "致远-收文登记簿.xlsx"])
    rows = {r["收文编号"]: r for r in ledger_rows(office, "收文办理")}
    assert "7-100" in rows and "SW-2026-0123" in rows and len(rows) == 25
    assert rows["SW-2026-0101"]["来文字号"] == "某市政办发〔2026〕88号"
    received = [r["来文日期"] for r in rows.values()]
    assert all(hasattr(v, "year") for v in received), received  # every date form became a date


def _changed_export(tmp_path: Path) -> Path:
    """The 钉钉 export with one amount changed, as a new export would bring it."""
    target = tmp_path / "钉钉-报销审批-第二次.xlsx"
    shutil.copy(OA / "钉钉-报销审批.xlsx", target)
    wb = openpyxl.load_workbook(target)  # the test plays the OA system writing a new export
    ws = wb.active
    assert ws is not None
    ws["K2"] = 2230.4
    wb.save(target)
    return target


def test_changed_value_is_updated_and_recorded_user_columns_untouched(
    office: Path, tmp_path: Path
) -> None:
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    # the office adds its own column and writes in it (as in Excel)
    wb = openpyxl.load_workbook(office / "台账.xlsx")
    ws = wb["报销"]
    col = ws.max_column + 1
    ws.cell(row=1, column=col, value="科室备注")
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=col, value=f"手写{r}")
    wb.save(office / "台账.xlsx")
    (result,) = import_files(Workspace(office), [_changed_export(tmp_path)])
    assert len(result.changed) == 1 and result.new == []
    cid, changes = result.changed[0].id, result.changed[0].changes
    assert changes == [("金额", 2130.4, 2230.4)]
    rows = ledger_rows(office)
    assert [r["科室备注"] for r in rows] == [f"手写{r}" for r in range(2, len(rows) + 2)]
    changed = next(r for r in rows if r["编号"] == cid)
    assert changed["金额"] == pytest.approx(2230.4)
    history = [h for h in ledger_rows(office, "流转记录") if h["编号"] == cid]
    last = history[-1]
    assert last["动作"] == "导入更新" and last["项目"] == "金额"
    assert (last["原值"], last["新值"]) == (2130.4, 2230.4)


def test_a_value_corrected_in_the_ledger_stays_while_the_oa_still_says_the_old_one(
    office: Path, tmp_path: Path
) -> None:
    """QA: the clerk corrected 金额 with `set`; importing the same export again put the OA's
    value back, silently. While the export still says what the last import gave, the
    correction stands and is said (nothing written); once the OA changes the value, the
    export's is taken and the correction it replaces is said."""
    from procdoc.commands import cases

    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    cid = next(r for r in ledger_rows(office) if r["来源编号"] == "202609011600000860029")["编号"]
    assert isinstance(cid, str)
    cases.set_fields(Workspace(office), cid, sets=["amount=2000"], by="王敏")
    before = digest(office / "台账.xlsx")
    (again,) = import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    assert again.changed == []
    [kept] = [p.message for p in again.reported if cid in p.message]
    assert kept.startswith(f"{cid} 金额: kept '2000', changed in the ledger since the import")
    assert digest(office / "台账.xlsx") == before
    # an edit in Excel is a correction as well
    type_over(office, cid, "金额", 1999)
    (again,) = import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    assert again.changed == [] and any("kept '1999'" in p.message for p in again.reported)
    # the OA changes it: the export's value is taken, and what it replaces is said
    (changed,) = import_files(Workspace(office), [_changed_export(tmp_path)])
    assert [(u.id, u.changes) for u in changed.changed] == [(cid, [("金额", 1999, 2230.4)])]
    assert any("the export's '2230.4' replaces '1999'" in p.message for p in changed.reported)


def test_dry_run_writes_nothing(office: Path) -> None:
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    before = digest(office / "台账.xlsx")
    code, out, _ = cli(office, "import", str(OA / "报销-旧版.xls"), "--dry-run")
    assert code == 0 and "dry run" in out + _ and "BX2026-0029" in out
    assert digest(office / "台账.xlsx") == before


def test_strict_refuses_the_file(office: Path) -> None:
    code, _, err = cli(office, "import", str(OA / "钉钉-报销审批.xlsx"), "--strict")
    assert code == 1 and "row 20" in err
    assert "(--strict: 2 bad rows, nothing imported)" in err
    assert not (office / "台账.xlsx").exists()


def test_source_detection_and_errors(office: Path, tmp_path: Path) -> None:
    (html,) = import_files(Workspace(office), [OA / "泛微-收文.xls"], dry_run=True)
    assert html.source == "fanwei-shouwen" and html.kind == "html" and len(html.new) == 20
    with pytest.raises(ImportFileError, match="unknown source 'nope'"):
        import_files(Workspace(office), [OA / "泛微-收文.xls"], source="nope")
    junk = tmp_path / "名单.csv"
    junk.write_text("姓名,年龄\n张三,30\n", encoding="gbk")
    with pytest.raises(ImportFileError, match="no source matches"):
        import_files(Workspace(office), [junk])
    code, _, err = cli(office, "import", str(tmp_path / "nosuch.xlsx"))
    assert code == 1 and "no such file" in err


def test_legacy_xls_title_pattern_and_leading_zeros(office: Path) -> None:
    (result,) = import_files(Workspace(office), [OA / "报销-旧版.xls"])
    assert not result.problems and len(result.new) == 20
    rows = {r["来源编号"]: r for r in ledger_rows(office)}
    assert "000123" in rows and rows["000123"]["标题"] == "张伟：赴北京调研数字政务建设"
    assert rows["000129"]["金额"] == pytest.approx(
        1280.0
    )  # the text "1,280.00" of row 9 became a number
    assert all(isinstance(r["金额"], float | int) for r in rows.values())


def test_import_json_summary(office: Path) -> None:
    code, out, _ = cli(office, "import", str(OA / "致远-收文登记簿-GBK.csv"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["files"][0]["source"] == "zhiyuan-shouwen" and len(data["files"][0]["new"]) == 25


def test_a_case_twice_in_the_ledger_stops_the_import_with_its_rows(
    office: Path, tmp_path: Path
) -> None:
    """An export row matching a case the ledger holds twice is not merged into either: the
    import stops, names both rows and changes nothing (as every other command does)."""
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    wb = openpyxl.load_workbook(office / "台账.xlsx")  # the office copies a row by hand
    ws = wb["报销"]
    ref = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "来源编号")
    row = next(
        r for r in range(2, ws.max_row + 1) if ws.cell(r, ref).value == "202609011600000860029"
    )
    ws.append([c.value for c in ws[row]])
    wb.save(office / "台账.xlsx")
    before = digest(office / "台账.xlsx")
    code, _, err = cli(office, "import", str(_changed_export(tmp_path)))
    assert code == 1
    assert f"报销!A{row}, 报销!A{ws.max_row}" in err and "duplicate rows" in err
    assert digest(office / "台账.xlsx") == before


def test_progress_is_reported_per_file_and_for_the_write(office: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    files = [OA / "钉钉-报销审批.xlsx", OA / "报销-旧版.xls"]
    import_files(Workspace(office), files, progress=lambda *call: calls.append(call))
    for path in files:
        mine = [(done, total) for what, done, total in calls if what == str(path)]
        assert mine[0] == (0, 0)  # read
        assert mine[-1][0] == mine[-1][1] > 0  # merged, every record
    assert calls[-1] == ("写入 台账.xlsx", 0, 0)
    calls.clear()
    import_files(Workspace(office), files[:1], dry_run=True, progress=lambda *c: calls.append(c))
    assert calls and all(not what.startswith("写入") for what, _, _ in calls)


def test_a_value_the_ledger_cannot_hold_leaves_only_its_row_out(
    office: Path, tmp_path: Path
) -> None:
    """Text longer than an Excel cell holds, or an amount beyond Excel's numbers, is that
    row's problem (reported with its cell), not the whole import's."""
    header = "审批编号,标题,发起时间,发起人姓名,发起人部门,费用类别,总金额（元）,事由,票据张数"
    rows = [
        "202611010001,报销1,2026-11-01 09:00,张伟,综合部,差旅费,100,出差,1",
        "202611010002,报销2,2026-11-01 09:00,王芳,综合部,差旅费,100," + "长" * 33000 + ",1",
        "202611010003,报销3,2026-11-01 09:00,李娜,综合部,差旅费,123456789012345678901234,出差,1",
        "202611010004,报销4,2026-11-01 09:00,刘洋,综合部,差旅费,200,出差,2",
    ]
    export = tmp_path / "钉钉-导出.csv"
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8-sig")
    (result,) = import_files(Workspace(office), [export], source="dingtalk-baoxiao")
    assert len(result.new) == 2
    assert [p.row for p in result.problems] == [3, 4]
    assert "事由 (H3): the text is 33000 characters long" in result.problems[0].message
    assert "总金额（元） (G4): the number 123456789012345678901234 has more digits" in (
        result.problems[1].message
    )
    assert {r["来源编号"] for r in ledger_rows(office)} == {"202611010001", "202611010004"}


def test_the_import_bar_is_drawn_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`procdoc import` draws a bar per file on standard error when that is a terminal;
    redirected (cron, a pipe), there is no bar, and no thread redrawing one."""
    import io
    import sys

    from procdoc import cli, console

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    # procdoc's stderr console is made on first use, for the stderr of that moment: made
    # here for each phase, and dropped after the test (made on this test's terminal, it
    # would draw in colour for the tests after it in this worker)
    monkeypatch.delitem(vars(console), "err", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with cli._import_bar() as progress:
        assert progress is None
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    vars(console).pop("err", None)  # made again, on the terminal
    monkeypatch.setenv("COLUMNS", "80")
    with cli._import_bar() as progress:
        assert progress is not None
        progress("/某处/钉钉-报销审批.xlsx", 3, 10)
        progress("/某处/钉钉-报销审批.xlsx", 7, 10)
    vars(console).pop("err", None)
    assert terminal.getvalue().startswith("\x1b[?25l")  # the bar hid the cursor to draw


def test_an_import_reads_the_ledger_ahead_and_a_dry_run_does_not(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import` has the ledger read in a thread while it reads its exports (see
    LedgerStore.read_ahead); the write takes what that read found when the ledger is
    still that version. A dry run, which writes nothing, reads nothing ahead; the thread
    is always done by the time the import returns."""
    from procdoc.commands import imports
    from procdoc.ledger import reader

    files = [OA / "钉钉-报销审批.xlsx"]
    import_files(Workspace(office), files)  # the ledger exists from here on
    found: list[tuple[list[str], list[str]]] = []
    real_take = reader.ReadAhead.take
    started: list[reader.ReadAhead] = []
    real_init = reader.ReadAhead.__init__

    def init(self: reader.ReadAhead, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        started.append(self)

    def take(self: reader.ReadAhead, index: object, names: object) -> object:
        loaded, parsed = real_take(self, index, names)  # type: ignore[arg-type]
        found.append((sorted(loaded), sorted(parsed)))
        return loaded, parsed

    monkeypatch.setattr(reader.ReadAhead, "__init__", init)
    monkeypatch.setattr(reader.ReadAhead, "take", take)
    imports.import_files(Workspace(office), files, dry_run=True)
    assert started == [] and found == []
    imports.import_files(Workspace(office), [OA / "报销-旧版.xls"])
    assert len(started) == 1 and not started[0].thread.is_alive()
    # the registers are taken by the write's read (报销 from the cache the dry run's read
    # filled), 流转记录 (parsed by calamine) when the write reads it to append to it
    assert found == [(["报销"], []), ([], ["流转记录"])]


def test_a_bad_cell_in_the_history_stops_only_the_writes_that_read_it(office: Path) -> None:
    """A write reads 流转记录 only when it appends to it (the read ahead of an import
    included): a 时间 there that is no date stops those writes, in one line naming the
    cell, and no other. An import that changes nothing still succeeds, and an advance of
    an unknown case is still told so."""
    import re

    from procdoc.ledger.sheets import sheet_members
    from test_ledger_registers import rewrite_member

    export = OA / "钉钉-报销审批.xlsx"
    code, _, err = cli(office, "import", str(export))
    assert code == 0, err
    ledger = office / "台账.xlsx"

    def no_date(data: bytes) -> bytes:  # 流转记录!B2 (时间): a number past any date
        return re.sub(
            rb'(<c r="B2"[^>]*><v>)[^<]*(</v>)', rb"\g<1>-2199023255552\g<2>", data, count=1
        )

    rewrite_member(ledger, sheet_members(ledger)["流转记录"], no_date)
    code, out, err = cli(office, "import", str(export), "--format", "json")
    assert code == 0, err  # nothing to append: 流转记录 is not read
    assert json.loads(out)["files"][0]["unchanged"] > 0
    code, _, err = cli(office, "advance", "BX-没有", "--step", "部门审核")
    assert code == 1 and "unknown case 'BX-没有'" in err
    case = next(iter(Workspace(office).casebook().cases())).id
    code, _, err = cli(office, "set", case, "--set", "reason=甲", "--at", "2026-11-20 09:00")
    assert code == 1 and "流转记录!B2" in err and "no date or time" in err  # it appends


def test_import_reports_the_first_file_s_problem_first(office: Path) -> None:
    """Files are checked in the order given: an export no source matches, then a missing
    file, is reported as the former (the read ahead changes nothing of this); and a
    register layout procdoc.yaml gets wrong is reported by the write, after the exports'
    own problems, as before."""
    code, _, err = cli(office, "import", str(OA / "README.md"), str(office / "没有.xlsx"))
    assert code == 1 and "no source matches" in err and "没有.xlsx" not in err
    baoxiao = office / "processes" / "baoxiao.yaml"
    text = baoxiao.read_text(encoding="utf-8")
    assert "label: 部门" in text
    baoxiao.write_text(text.replace("label: 部门", "label: 当前环节", 1), encoding="utf-8")
    code, _, err = cli(office, "import", str(OA / "README.md"))
    assert code == 1 and "no source matches" in err
    folder = office / "exports"
    folder.mkdir()
    shutil.copy(OA / "README.md", folder / "a.csv")
    code, _, err = cli(office, "import", "--folder", str(folder))
    assert code == 0 and "a.csv" in err  # skipped, as before; nothing to write


def test_a_long_key_saved_as_a_number_is_refused_with_its_cell(
    office: Path, tmp_path: Path
) -> None:
    """QA: an export whose 审批编号 column was a number matched on a rounded key
    ('202609021606000700000'), so the same 审批 could come in twice. Such a row is left
    out, naming the cell and what to do; the rows beside it come in."""
    src = openpyxl.load_workbook(OA / "钉钉-报销审批.xlsx")
    sheet = src.active
    header = [c.value for c in sheet[1]]
    key = header.index("审批编号") + 1
    sheet.cell(2, key).value = float(sheet.cell(2, key).value)  # "转换为数字"
    export = tmp_path / "数字编号.xlsx"
    src.save(export)
    code, _out, err = cli(office, "import", str(export))
    assert code == 0, err
    assert "row 2:" in err and "is a number too long to be exact" in err
    assert "format the column as text in the export: row left out" in err


def test_a_mapped_column_missing_from_the_export_is_said(office: Path, tmp_path: Path) -> None:
    """QA: with 事由 renamed 报销事由 and the 费用类别 header blanked, the import filled
    neither and said nothing."""
    src = openpyxl.load_workbook(OA / "钉钉-报销审批.xlsx")
    sheet = src.active
    for cell in sheet[1]:
        if cell.value == "事由":
            cell.value = "报销事由"
        elif cell.value == "费用类别":
            cell.value = None
    export = tmp_path / "改了表头.xlsx"
    src.save(export)
    code, _out, err = cli(office, "import", str(export))
    assert code == 0, err
    assert "no 费用类别, 事由 columns, which sources: dingtalk-baoxiao maps" in err or (
        "no 事由, 费用类别 columns, which sources: dingtalk-baoxiao maps" in err
    ), err
    assert "rename the headers back or fix columns: in procdoc.yaml" in err


def test_a_value_typed_over_in_excel_that_no_record_explains_is_replaced_and_said(
    office: Path,
) -> None:
    """A case an import opened, its 金额 typed over in Excel (no row of 流转记录 says what
    the import gave): the export's value is taken, as the OA's, but said, with the typed
    value, which 流转记录 keeps as 原值 (it was replaced silently: QA). 承办人, which the OA
    hands on every day, is not said."""
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    cid = next(r for r in ledger_rows(office) if r["来源编号"] == "202609011600000860029")["编号"]
    type_over(office, cid, "金额", 1999)
    (again,) = import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    assert [(u.id, u.changes) for u in again.changed] == [(cid, [("金额", 1999, 2130.4)])]
    [said] = [p.message for p in again.reported if cid in p.message]
    assert said.startswith(
        f"{cid} 金额: the export's '2130.4' replaces '1999', which no row of 流转记录 accounts for"
    )
    last = [h for h in ledger_rows(office, "流转记录") if h["编号"] == cid][-1]
    assert (last["动作"], last["项目"], last["原值"]) == ("导入更新", "金额", 1999)


def test_a_key_in_full_width_digits_is_the_same_key(office: Path, tmp_path: Path) -> None:
    """The OA's ２０２６０９０１… is the key 20260901… it exported before: the case it
    opened, not a second one (QA); the ledger keeps the key as first exported."""
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    count = len(ledger_rows(office))
    wide = tmp_path / "钉钉-全角.xlsx"
    shutil.copy(OA / "钉钉-报销审批.xlsx", wide)
    wb = openpyxl.load_workbook(wide)
    ws = wb.active
    assert ws is not None
    head = [c.value for c in ws[1]]
    col = head.index("审批编号") + 1
    key = str(ws.cell(row=2, column=col).value)
    ws.cell(
        row=2,
        column=col,
        value=" " + key.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}),
    )
    wb.save(wide)
    (result,) = import_files(Workspace(office), [wide])
    assert result.new == [] and len(ledger_rows(office)) == count
    assert any(r["来源编号"] == key for r in ledger_rows(office))


def test_a_csv_field_longer_than_the_csv_module_reads_leaves_its_row_out(
    office: Path, tmp_path: Path
) -> None:
    """A CSV whose one field is 140,000 characters was refused whole as 'not a readable
    CSV file' (the csv module's 131,072 limit: QA): the field is read, its row reported
    with the cell (no Excel cell holds it) and left out, the rest imported."""
    export = tmp_path / "big.csv"
    reason = "长" * 140_000
    export.write_text(
        "审批编号,标题,审批状态,发起时间,发起人姓名,发起人部门,费用类别,总金额（元）,事由\n"
        f"202611030930000000001,甲,审批中,2026-11-03 09:30,张三,办公室,差旅费,100,{reason}\n"
        "202611030930000000002,乙,审批中,2026-11-03 09:30,李四,办公室,差旅费,100,出差\n",
        encoding="utf-8-sig",
    )
    (result,) = import_files(Workspace(office), [export], source="dingtalk-baoxiao")
    assert [n.key for n in result.new] == ["202611030930000000002"]
    [bad] = result.problems
    assert bad.row == 2 and "事由 (I2)" in bad.message and "32767" in bad.message


def test_a_folder_given_as_a_file_and_a_file_as_a_folder_say_what_to_run(
    office: Path, tmp_path: Path
) -> None:
    code, _out, err = cli(office, "import", str(tmp_path))
    assert code == 1 and f"{tmp_path} is a folder: import --folder {tmp_path}" in err
    code, _out, err = cli(office, "import", "--folder", str(OA / "钉钉-报销审批.xlsx"))
    assert code == 1 and "is a file, not a folder: import " in err


def test_a_change_between_two_exports_of_one_import_is_the_oa_s(
    office: Path, tmp_path: Path
) -> None:
    """Two days' exports imported together (as `--folder` takes them): the second's new
    金额 replaces what the first opened the case with, as an OA change, without the word
    for a value no one accounts for (it was said: QA)."""
    (first, second) = import_files(
        Workspace(office), [OA / "钉钉-报销审批.xlsx", _changed_export(tmp_path)]
    )
    assert len(first.new) > 0 and [u.changes for u in second.changed] == [
        [("金额", 2130.4, 2230.4)]
    ]
    assert not any("accounts for" in p.message for p in [*first.reported, *second.reported])


def test_one_key_written_two_ways_in_one_export_is_a_duplicate(
    office: Path, tmp_path: Path
) -> None:
    """Two rows whose keys differ only by full-width digits or spaces are one key twice:
    the second is reported as a duplicate key with its cell (it read 'the same matter as
    row 2 (, case …)': QA)."""
    export = tmp_path / "dup.csv"
    export.write_text(
        "审批编号,标题,审批状态,发起时间,发起人姓名,发起人部门,费用类别,总金额（元）,事由\n"
        "2026110301,甲,审批中,2026-11-03 09:30,张三,办公室,差旅费,100,出差\n"
        "２０２６１１０３０１ ,乙,审批中,2026-11-03 09:30,李四,办公室,差旅费,100,出差\n",
        encoding="utf-8-sig",
    )
    (result,) = import_files(Workspace(office), [export], source="dingtalk-baoxiao", dry_run=True)
    assert [n.key for n in result.new] == ["2026110301"]
    [dup] = result.problems
    assert dup.row == 3 and dup.message.startswith(
        "duplicate 审批编号 ２０２６１１０３０１ in A3 (also row 2)"
    )


def test_many_values_no_record_accounts_for_are_counted_on_one_line(office: Path) -> None:
    """The first import into a register kept by hand replaces many typed values: five are
    said one by one, the rest counted on one line with their rows (a 10k export printed
    5,000 warnings, and took 2.8 s instead of 1.9: the benchmark)."""
    import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    ids = [r["编号"] for r in ledger_rows(office)][:8]
    wb = openpyxl.load_workbook(office / "台账.xlsx")
    sheet = wb["报销"]
    head = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[head.index("编号")].value in ids:
            row[head.index("金额")].value = 1.5
    wb.save(office / "台账.xlsx")
    (again,) = import_files(Workspace(office), [OA / "钉钉-报销审批.xlsx"])
    said = [p for p in again.reported if "accounts for" in p.message]
    assert len(said) == 6 and len(again.changed) == 8
    assert said[-1].message.startswith("3 more values no row of 流转记录 accounts for replaced")
