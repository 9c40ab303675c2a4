"""Registers (SPEC §3): one per process, a ledger made before registers, `registers
split`, `check`."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import REPO, advance1, cli
from procdoc.commands import cases
from procdoc.commands.setup import init_workspace
from procdoc.workspace import Workspace


def sheets(path: Path) -> list[str]:
    return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def rows(path: Path, sheet: str) -> list[dict[str, object]]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header = [str(h) for h in grid[0]]
    return [dict(zip(header, r, strict=False)) for r in grid[1:]]


def test_a_new_workspace_keeps_each_process_in_its_own_register(library: Path) -> None:
    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    sw = cases.new(ws, "shouwen", title="关于秋季防火的通知", sets=["from_org=市政府办公室"], at=at)
    xf = cases.new(ws, "xinfang", title="噪音", sets=["petitioner=张三"], at=at)
    ledger = library / "ledger.xlsx"
    assert sheets(ledger) == ["收文办理", "流转记录", "信访事项办理"]
    header = list(rows(ledger, "收文办理")[0])
    assert "流程" not in header  # only a shared sheet has the process column
    assert "信访人" not in header and "金额" not in header  # this process's fields only
    fields = [f.label for f in ws.process("shouwen").fields.values()]
    assert [h for h in header if h in fields] == fields  # in the order the process declares
    assert [h["编号"] for h in rows(ledger, "流转记录")] == [sw.id, xf.id]  # one history
    out = cli(library, "list", "--format", "json")[1]
    assert [c["id"] for c in json.loads(out)] == [sw.id, xf.id]
    # created ready to print: the title column wide, procdoc's bookkeeping folded away
    ws_sw = openpyxl.load_workbook(ledger)["收文办理"]
    letter = {c.value: c.column_letter for c in ws_sw[1]}
    assert ws_sw.column_dimensions[letter["标题"]].width >= 36
    for label in ("环节开始", "来源", "来源编号", "更新时间"):
        assert ws_sw.column_dimensions[letter[label]].hidden, label
    assert not ws_sw.column_dimensions[letter["环节期限"]].hidden
    assert ws_sw.freeze_panes == "A2" and ws_sw.page_setup.orientation == "landscape"


def test_a_new_register_shows_amounts_and_wraps_its_text(library: Path) -> None:
    """QA, on paper: 金额 read 2130.4 and 6616 (no number format), and a long 事由 was cut
    off at the column's edge."""
    ws = Workspace(library)
    reason = "赴杭州参加省财政厅组织的项目评审会并实地考察两个试点单位的建设情况"
    bx = cases.new(
        ws, "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=2130.4", f"reason={reason}"],
        at=datetime(2026, 11, 2, 9, 0),
    )  # fmt: skip
    sheet = openpyxl.load_workbook(library / "ledger.xlsx")["报销"]
    letter = {c.value: c.column_letter for c in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == bx.id)
    amount = sheet[f"{letter['金额']}{row}"]
    assert amount.value == 2130.4 and amount.number_format == "#,##0.00"
    assert sheet[f"{letter['事由']}{row}"].alignment.wrap_text
    assert sheet.row_dimensions[row].height and sheet.row_dimensions[row].height >= 30
    assert not sheet[f"{letter['编号']}{row}"].alignment.wrap_text  # ids stay on one line


def test_a_ledger_made_before_registers_keeps_working(legacy: Path) -> None:
    code, out, err = cli(legacy, "list", "--format", "json")
    assert code == 0, err
    listed = json.loads(out)
    assert len(listed) == 96  # every case of the old 台账: none invisible after the upgrade
    code, out, _ = cli(legacy, "show", "XF2026-0001", "--format", "json")
    case = json.loads(out)
    assert case["step"] == "handle" and case["due"] == "2027-01-08"  # extended in 0.1
    assert any(h["action"] == "extend" for h in case["history"])
    moved = advance1(Workspace(legacy), "XF2026-0001", step="reply", at=datetime(2027, 1, 4, 9))
    assert moved.to_step is not None and moved.to_step.id == "reply"
    assert sheets(legacy / "台账.xlsx") == ["台账", "流转记录"]  # written where it was


def test_registers_split_copies_every_case_into_its_own_register(legacy: Path) -> None:
    ledger = legacy / "台账.xlsx"
    wb = openpyxl.load_workbook(ledger)  # the office's own column in the old sheet
    ws = wb["台账"]
    col = ws.max_column + 1
    ws.cell(1, col, "科室备注")
    ws.cell(2, col, "已电话联系")
    first_id = ws.cell(2, 1).value
    wb.save(ledger)
    before = {c["id"]: c for c in json.loads(cli(legacy, "list", "--format", "json")[1])}
    old_sheet = rows(ledger, "台账")
    code, out, err = cli(legacy, "registers", "split")
    assert code == 0, err
    assert "报销: 48 cases" in out and "科室备注" in out
    after = {c["id"]: c for c in json.loads(cli(legacy, "list", "--format", "json")[1])}
    assert after == before  # the same cases, the same values
    assert rows(ledger, "台账") == old_sheet  # the old sheet stays as it was
    assert sheets(ledger)[:2] == ["台账", "流转记录"]
    moved_row = next(r for r in rows(ledger, "报销") if r["编号"] == first_id)
    assert moved_row["科室备注"] == "已电话联系"
    config = (legacy / "procdoc.yaml").read_text(encoding="utf-8")
    assert "# 钉钉 审批导出（费用报销）" in config  # the file's comments are kept
    assert Workspace(legacy).config.registers["baoxiao"].sheet == "报销"
    assert not Workspace(legacy).layout.legacy
    code, _, err = cli(legacy, "registers", "split")
    assert code == 1 and "already keeps a register per process" in err


def test_undo_of_a_split_puts_back_procdoc_yaml_too(legacy: Path) -> None:
    """QA: `undo` after `registers split` put back the ledger but left the split's
    registers: block in procdoc.yaml: every case vanished from list and check, without a
    word, and split refused to run again. procdoc.yaml goes back with the ledger (and
    forward again with a second undo); edited since, the undo is refused, nothing written."""
    config = legacy / "procdoc.yaml"
    original = config.read_text(encoding="utf-8")
    before = json.loads(cli(legacy, "list", "--format", "json")[1])
    assert cli(legacy, "registers", "split")[0] == 0
    split = config.read_text(encoding="utf-8")
    code, out, err = cli(legacy, "undo")
    assert code == 0, err
    assert "procdoc.yaml: put back as it was before that write" in out
    assert config.read_text(encoding="utf-8") == original
    assert json.loads(cli(legacy, "list", "--format", "json")[1]) == before
    assert cli(legacy, "undo")[0] == 0  # the undo undone: the split is back, with its config
    assert config.read_text(encoding="utf-8") == split
    assert len(json.loads(cli(legacy, "list", "--format", "json")[1])) == len(before)
    config.write_text(split + "# 改过\n", encoding="utf-8")
    ledger = (legacy / "台账.xlsx").read_bytes()
    code, _out, err = cli(legacy, "undo")
    assert code != 0 and "procdoc.yaml changed since procdoc's last write" in err
    assert (legacy / "台账.xlsx").read_bytes() == ledger


def test_registers_split_refuses_a_row_of_no_known_process(legacy: Path) -> None:
    """A 流程 typed wrongly in the old 台账: `registers split` cannot tell which register
    the row goes to, so it refuses in one line naming the cell and writes nothing (it
    crashed on an assertion before)."""
    ledger = legacy / "台账.xlsx"
    wb = openpyxl.load_workbook(ledger)
    header = {c.value: c.column_letter for c in wb["台账"][1]}
    wb["台账"][f"{header['流程']}2"] = "报消"
    wb.save(ledger)
    before = ledger.read_bytes()
    code, out, err = cli(legacy, "registers", "split")
    assert code == 1 and out == ""
    assert f"台账!{header['流程']}2" in err and "'报消'" in err
    assert len(err.strip().splitlines()) == 1
    assert ledger.read_bytes() == before and "registers:" not in (
        legacy / "procdoc.yaml"
    ).read_text(encoding="utf-8")


def test_check_reports_each_problem_with_its_cell(mini: Path) -> None:
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    ids = [
        cases.new(ws, "mini", title=f"件{i}", sets=["applicant=张三"], at=at).id for i in range(4)
    ]
    assert cli(mini, "check")[0] == 0
    ledger = mini / "ledger.xlsx"
    wb = openpyxl.load_workbook(ledger)
    sh = wb["测试流程"]
    header = {c.value: c.column_letter for c in sh[1]}
    sh[f"{header['当前环节']}3"] = "审核中"
    sh[f"{header['登记时间']}4"] = "9月10日"
    sh[f"{header['申请人']}5"] = None
    sh[f"{header['编号']}6"] = ids[0]
    sh["B8"] = "补登的一件"  # typed without an id
    sh["B9"] = "合计"  # the office's total row: no case, and not reported as one
    wb.save(ledger)
    code, out, _ = cli(mini, "check")
    assert code == 3
    assert f"测试流程!{header['当前环节']}3: '审核中' is not a step" in out
    assert f"测试流程!{header['登记时间']}4:" in out and "9月10日" in out
    assert f"测试流程!{header['申请人']}5: open case {ids[3]} has no 申请人" in out
    assert f"case id {ids[0]} is held twice (测试流程!A2, 测试流程!A6)" in out
    assert "测试流程!row 8: a row with data but no 编号" in out
    assert "row 9" not in out
    code, out, _ = cli(mini, "check", "--format", "json")
    assert code == 3 and json.loads(out)["ok"] is False


REGISTERS = REPO / "samples" / "registers"
ADOPT_CONFIG = """
registers:
  shouwen:
    sheet: 收文台账
    header_row: 2
    columns: {opened: 收文日期, from_org: 来文单位, doc_no: 文号, title: 标题, undertaker: 承办科室, status: 办理情况}
    number_column: 序号
"""


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    """An office with its hand-kept 「2026年收文登记台账」 as the ledger."""
    root = init_workspace(tmp_path / "office", processes=["shouwen"])
    shutil.copy(REGISTERS / "2026年收文登记台账.xlsx", root / "ledger.xlsx")
    cfg = root / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + ADOPT_CONFIG, encoding="utf-8")
    return root


def grid(path: Path, sheet: str) -> list[list[object]]:
    return (
        CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )


def test_adopt_takes_a_hand_kept_register_over_and_every_command_works_on_it(kept: Path) -> None:
    ledger = kept / "ledger.xlsx"
    before = grid(ledger, "收文台账")
    code, out, err = cli(kept, "list", "--format", "json")
    assert code == 0 and json.loads(out) == [] and "not taken over yet" in err
    code, out, err = cli(kept, "adopt", "shouwen", "--dry-run")
    assert code == 0 and "would take over 30 rows" in out + err
    assert "not taken over yet" not in err  # adopt does not tell you to run adopt
    assert grid(ledger, "收文台账") == before  # a dry run writes nothing
    code, out, err = cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")
    assert code == 0, err
    assert "not taken over yet" not in err
    after = grid(ledger, "收文台账")
    title = before[0]
    assert after[0][: len(title)] == title and not any(after[0][len(title) :])  # untouched
    header = [str(h) for h in after[1]]
    width = len(before[1])
    assert header[:width] == [str(h) for h in before[1]]  # the office's columns stay first
    assert header[width : width + 3] == ["编号", "当前环节", "承办人"]  # added at the right
    for old, new in zip(before[2:], after[2:], strict=True):  # what the clerk typed stays
        assert all(o == "" or n == o for o, n in zip(old[:width], new[:width], strict=True))
    listed = json.loads(cli(kept, "list", "--format", "json")[1])
    assert len(listed) == 30 and listed[0]["id"] == "SW2026-0001"
    first = listed[0]
    assert first["opened"] == "2026-09-01T00:00"  # from 收文日期
    closed = [c for c in listed if c["status"] == "closed"]
    assert closed and all(c["step"] == "archive" for c in closed)  # 办理情况 已办结
    hist = rows(ledger, "流转记录")
    assert sum(1 for h in hist if h["动作"] == "接管") == 30
    assert {h["时间"] for h in hist if h["动作"] == "接管"} == {datetime(2026, 10, 12, 17, 30)}
    code, out, _ = cli(kept, "adopt", "shouwen")
    assert code == 0 and "took over 0 rows; 30 had an id already" in out + _
    assert grid(ledger, "收文台账") == after  # idempotent
    code, out, err = cli(
        kept, "new", "shouwen", "--title", "关于冬季防火的通知", "--set", "from_org=市应急管理局",
        "--at", "2026-12-01 09:00",
    )  # fmt: skip
    assert code == 0, err
    last = grid(ledger, "收文台账")[-1]
    assert last[0] == 31 and last[4] == "关于冬季防火的通知"  # the next 序号 and its title
    open_one = next(c["id"] for c in listed if c["status"] == "open")
    code, out, err = cli(  # adopted --at 10-12: moves after that may be recorded
        kept, "advance", open_one, "--step", "register", "--at", "2026-10-13 09:00"
    )
    assert code == 0, err
    assert cli(kept, "check")[0] == 0
    assert json.loads(cli(kept, "check", "--format", "json")[1])["registers"] == ["收文台账"]


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("2026年收文登记台账-错例-数据行合并.xlsx", "merged cells inside the register's rows"),
        ("2026年收文登记台账-错例-两行表头.xlsx", "the header is spread over merged rows"),
    ],
)
def test_adopt_refuses_merged_cells_in_the_data_and_two_row_headers(
    kept: Path, variant: str, message: str
) -> None:
    ledger = kept / "ledger.xlsx"
    shutil.copy(REGISTERS / variant, ledger)
    cfg = kept / "procdoc.yaml"
    if "两行表头" in variant:
        cfg.write_text(
            cfg.read_text(encoding="utf-8").replace("header_row: 2", "header_row: 3"),
            encoding="utf-8",
        )
    before = ledger.read_bytes()
    code, _, err = cli(kept, "adopt", "shouwen")
    assert code == 1 and message in err and err.count("\n") == 1
    assert "收文台账!" in err  # the cells are named
    assert ledger.read_bytes() == before


def test_check_reports_duplicate_and_missing_document_numbers(mini: Path) -> None:
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    ids = [
        cases.new(
            ws,
            "mini",
            title=f"件{i}",
            sets=["applicant=张三", f"doc_no=测办发〔2026〕{n}号"],
            at=at,
        ).id
        for i, n in enumerate((1, 2, 2, 5))
    ]
    code, out, _ = cli(mini, "check")
    assert code == 3
    assert "发文字号 测办发〔2026〕2号 is given 2 times" in out and ids[1] in out and ids[2] in out
    assert "测办发〔2026〕3号 is missing" in out and "测办发〔2026〕4号 is missing" in out


def libreoffice_resave(path: Path, out: Path) -> Path:
    """``path`` opened and saved again as .xlsx by LibreOffice (its own profile)."""
    out.mkdir()
    profile = (out / "profile").resolve().as_uri()
    subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation={profile}", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / path.name


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
def test_registers_survive_a_round_trip_through_libreoffice(tmp_path: Path, kept: Path) -> None:
    """A register procdoc created and one it adopted, saved again by LibreOffice: every
    value as procdoc wrote it, the print setup still there, and procdoc reads it as before."""
    library = init_workspace(tmp_path / "made", processes=["shouwen"])
    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    made = cases.new(
        ws, "shouwen", title="关于秋季防火的通知", sets=["from_org=市政府办公室"], at=at
    )
    assert cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")[0] == 0
    for root, sheet in ((library, "收文办理"), (kept, "收文台账")):
        ledger = root / "ledger.xlsx"
        before = grid(ledger, sheet)
        again = libreoffice_resave(ledger, root.parent / f"lo-{root.name}")
        assert grid(again, sheet) == before, sheet
        page = openpyxl.load_workbook(again)[sheet]
        assert page.page_setup.orientation == "landscape", sheet
        assert page.print_title_rows, sheet  # the header repeats on every page
        shutil.copy(again, ledger)
        listed = json.loads(cli(root, "list", "--format", "json")[1])
        assert listed, sheet
    assert cli(library, "show", made.id)[0] == 0


#: SPEC §3's `registers:` example, as written there.
SPEC_REGISTERS = """
registers:
  shouwen:
    sheet: 收文登记簿            # the sheet (default: the process's name)
    header_row: 3               # the header's row
    title: "{year}年收文登记台账"  # a title row procdoc writes above the header
    columns: {id: 收文编号, opened: 收文日期, doc_no: 文号}   # labels for this register's
    number_column: 序号          # a running number procdoc fills in on the rows it appends
  "*":
    sheet: 台账                  # several processes may share one sheet
"""


def test_the_spec_registers_example_works_as_written(tmp_path: Path) -> None:
    """header_row 3 under a title (the rows between stay empty), and `columns:` giving the
    id column the label 收文编号, which the library's 收文 field recv_no has too: the field
    is then headed 收文编号（recv_no）, with a warning, never two columns with one label."""
    root = init_workspace(tmp_path / "office", processes=["shouwen", "xinfang"])
    cfg = root / "procdoc.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + SPEC_REGISTERS, encoding="utf-8")
    code, out, err = cli(root, "validate")
    said = " ".join((out + err).split())
    assert code == 0, said
    assert "the field recv_no of shouwen is headed '收文编号（recv_no）'" in said
    code, out, err = cli(
        root, "new", "shouwen", "--title", "关于冬季防火的通知", "--set", "from_org=市应急管理局",
        "--set", "recv_no=收2026-1", "--at", "2026-12-01 09:00",
    )  # fmt: skip
    assert code == 0, err
    assert cli(root, "new", "xinfang", "--title", "噪音", "--set", "petitioner=张三")[0] == 0
    rows = grid(root / "ledger.xlsx", "收文登记簿")
    assert rows[0][0] == "2026年收文登记台账" and not any(rows[1])  # title, empty row 2
    assert rows[2][:3] == ["序号", "收文编号", "标题"] and "收文编号（recv_no）" in rows[2]
    assert (
        rows[3][1] == "SW2026-0001" and rows[3][rows[2].index("收文编号（recv_no）")] == "收2026-1"
    )
    assert "台账" in CalamineWorkbook.from_path(str(root / "ledger.xlsx")).sheet_names
    listed = json.loads(cli(root, "list", "--format", "json")[1])
    assert {c["id"] for c in listed} == {"SW2026-0001", "XF2026-0001"}
    assert cli(root, "check")[0] == 0


def test_a_row_naming_a_process_kept_in_another_register_is_reported(library: Path) -> None:
    """收文 and 发文 share 公文登记; a 流程 cell typed 报销 (a process with its own register)
    names no process of this register: reading commands warn and leave the row out,
    `check` reports it, `show` refuses in one line; before, every one of them crashed on
    the register's columns (KeyError)."""
    config = library / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "registers:\n  shouwen: {sheet: 公文登记}\n  fawen: {sheet: 公文登记}\n",
        encoding="utf-8",
    )
    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    sw = cases.new(ws, "shouwen", title="关于秋季防火的通知", sets=["from_org=市政府"], at=at)
    blank = cases.new(ws, "shouwen", title="关于冬季防火的通知", sets=["from_org=市政府"], at=at)
    cases.new(ws, "baoxiao", title="差旅", sets=["applicant=张三", "amount=100"], at=at)
    ledger = library / "ledger.xlsx"
    wb = openpyxl.load_workbook(ledger)
    sheet = wb["公文登记"]
    header = {c.value: c.column_letter for c in sheet[1]}
    sheet[f"{header['流程']}2"] = "报销"
    sheet[f"{header['流程']}3"] = None  # and one left empty
    wb.save(ledger)
    cell, empty = (f"公文登记!{header['流程']}{n}" for n in (2, 3))
    code, out, err = cli(library, "list")
    assert code == 0 and sw.id not in out and blank.id not in out and "BX2026-0001" in out
    err = " ".join(err.split())
    assert cell in err and "kept in the sheet 报销" in err
    assert f"{empty}: case '{blank.id}' has no 流程" in err and "'None'" not in err
    code, out, _ = cli(library, "check", "--format", "json")
    found = json.loads(out)
    assert code == 3 and found["cases"] == 1
    assert [p["where"] for p in found["problems"]] == [cell, empty]
    code, out, err = cli(library, "show", sw.id)
    assert code == 1 and out == "" and cell in err and len(err.strip().splitlines()) == 1


def office_note(ledger: Path, labels: list[str], note: str) -> tuple[str, str]:
    """Head the office's own columns ``labels`` right of the register's (as a clerk does in
    Excel), write ``note`` in row 2 and merge it over them, rows 2 and 3: the register's
    sheet and the merged range."""
    wb = openpyxl.load_workbook(ledger)
    sheet = next(s for s in wb.worksheets if s.title != "流转记录")
    last = sheet.max_column
    for i, label in enumerate(labels, start=1):
        sheet.cell(1, last + i, label)
    sheet.cell(2, last + 1, note)
    sheet.merge_cells(start_row=2, start_column=last + 1, end_row=3, end_column=last + len(labels))
    wb.save(ledger)
    return sheet.title, str(next(iter(sheet.merged_cells.ranges)))


def edit_cells(ledger: Path, sheet: str, cells: dict[str, object]) -> None:
    """Type ``cells`` (A1 reference -> value; None empties) into ``sheet`` as a clerk does
    in Excel."""
    wb = openpyxl.load_workbook(ledger)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(ledger)


def test_merged_cells_in_the_offices_own_columns_are_left_alone(mini: Path) -> None:
    """Cells merged in columns the office added to the register (headed, not procdoc's)
    block nothing and survive writes; merged among procdoc's columns still refuse (found
    by QA: a merge of two hand cells stopped every command on every register)."""
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    one, two = (
        cases.new(ws, "mini", title=t, sets=["applicant=张三"], at=at).id for t in ("一", "二")
    )
    ledger = mini / "ledger.xlsx"
    title, merge = office_note(ledger, ["备注", "附注"], "两格合并的说明")
    code, out, err = cli(mini, "list")
    assert code == 0, err
    assert one in out and two in out
    code, _out, err = cli(mini, "advance", one, "--step", "review", "--at", "2026-10-10 09:00")
    assert code == 0, err
    merged = openpyxl.load_workbook(ledger)[title].merged_cells.ranges
    assert [str(r) for r in merged] == [merge]
    wb = openpyxl.load_workbook(ledger)
    sheet = wb[title]
    sheet.merge_cells(start_row=2, start_column=2, end_row=3, end_column=2)  # 标题 of both
    wb.save(ledger)
    before = ledger.read_bytes()
    code, _out, err = cli(mini, "advance", two, "--step", "review", "--at", "2026-10-10 09:00")
    assert code == 1 and "merged cells inside the register's rows" in err
    assert ledger.read_bytes() == before


def test_a_header_row_that_is_no_header_is_an_error_not_an_empty_register(tmp_path: Path) -> None:
    """`header_row` pointing at a data row (the header is in row 3): every case vanished,
    `list` said 0 cases and `check` found nothing (a SPEC review); now one line names the
    row and what to set, exit 1."""
    root = init_workspace(tmp_path / "office", processes=["shouwen"])
    cfg = root / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + "registers:\n  shouwen:\n    sheet: 收文登记簿\n    header_row: 3\n"
        + '    title: "{year}年收文登记台账"\n',
        encoding="utf-8",
    )
    for title in ("一", "二"):
        code, _out, err = cli(root, "new", "shouwen", "--title", title, "--set", "from_org=甲")
        assert code == 0, err
    assert "2 cases" in cli(root, "list")[2]  # (the count goes to stderr)
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("header_row: 3", "header_row: 5"), encoding="utf-8"
    )
    for command in ("list", "check"):
        code, _out, err = cli(root, command)
        assert code == 1, (command, err)
        assert "收文登记簿 row 5 holds none of the register's labels" in err
        assert "set header_row under registers: shouwen:" in err


def test_a_merge_in_the_offices_column_reaching_below_the_last_case_is_refused(
    mini: Path,
) -> None:
    """The next appended case would fall inside it and show its text (a review)."""
    ws = Workspace(mini)
    at = datetime(2026, 10, 9, 9, 0)
    cases.new(ws, "mini", title="一", sets=["applicant=张三"], at=at)
    ledger = mini / "ledger.xlsx"
    office_note(ledger, ["备注"], "跨到下一行的说明")
    before = ledger.read_bytes()
    code, _out, err = cli(mini, "new", "mini", "--title", "二", "--set", "applicant=李四")
    assert code == 1 and "merged cells inside the register's rows" in err
    assert ledger.read_bytes() == before


def test_adopt_reads_the_office_status_words_skips_totals_and_never_guesses_a_date(
    kept: Path,
) -> None:
    """QA: adopt wrote 办理中 over 已撤销 (a cancelled matter came back open and late) and
    over 办结; took the 合计 and 制表人 rows for cases and wrote into them; and counted the
    deadlines of a row whose 收文日期 it could not read (11月3日) from the adoption."""
    import hashlib

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    ledger = kept / "ledger.xlsx"
    last = len(grid(ledger, "收文台账"))
    edit_cells(
        ledger,
        "收文台账",
        {
            "G3": "已撤销",
            "G4": "办结",
            "B5": "11月3日",
            "E6": None,  # a row without a title
            f"A{last + 1}": "合计",
            f"E{last + 1}": "共30件",
            f"A{last + 2}": "制表人：王敏",
        },
    )
    before = digest(ledger)
    code, _out, err = cli(kept, "adopt", "shouwen")
    assert code == 1 and err.startswith("Error: ledger.xlsx 收文台账!G4: '办结' is not a status")
    assert "nothing was taken over" in err and digest(ledger) == before
    edit_cells(ledger, "收文台账", {"G4": "已办结"})
    before = digest(ledger)
    code, _out, err = cli(kept, "adopt", "shouwen")
    assert code == 1 and "收文台账!B5: " in err and "(收文日期)" in err, err
    assert digest(ledger) == before
    edit_cells(ledger, "收文台账", {"B5": "2026-09-03"})
    code, out, err = cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")
    assert code == 0, err
    assert "收文台账 row 6: no 标题: not taken over" in err
    assert f"收文台账 row {last + 1}: 合计: not taken over" in err
    assert f"收文台账 row {last + 2}: 制表人：王敏: not taken over" in err
    assert "took over 29 rows" in err
    rows = grid(ledger, "收文台账")
    assert rows[2][6] == "已撤销" and rows[last][0] == "合计"
    cancelled = json.loads(cli(kept, "list", "--status", "cancelled", "--format", "json")[1])
    assert [c["title"] for c in cancelled] == [rows[2][4]]
    code, out, err = cli(kept, "check")
    assert "row 6" in out + err and f"row {last + 1}" not in out + err  # the total is no case
    code, out, err = cli(
        kept, "new", "shouwen", "--title", "关于冬季防火的通知", "--set", "from_org=市应急管理局",
        "--at", "2026-12-01 09:00",
    )  # fmt: skip
    assert code == 0, err
    assert f"收文台账: the new rows go below its row {last + 2} (制表人：王敏)" in err
    assert grid(ledger, "收文台账")[-1][4] == "关于冬季防火的通知"  # written, below the footer


def test_the_next_running_number_counts_numbers_stored_as_text(kept: Path) -> None:
    """QA: 序号 typed as text ('1' ... '30', as Excel keeps a number typed into a text
    cell) was not counted, and the next case got 序号 1 again."""
    ledger = kept / "ledger.xlsx"
    numbers = [row[0] for row in grid(ledger, "收文台账")[2:]]
    edit_cells(ledger, "收文台账", {f"A{i}": str(int(n)) for i, n in enumerate(numbers, 3)})
    assert cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")[0] == 0
    code, _out, err = cli(
        kept, "new", "shouwen", "--title", "关于冬季防火的通知", "--set", "from_org=市应急管理局",
        "--at", "2026-12-01 09:00",
    )  # fmt: skip
    assert code == 0, err
    assert "go below its row" not in err  # the register ends with a case, not a total
    assert grid(ledger, "收文台账")[-1][0] == 31


def test_adopt_warns_of_a_configured_label_the_header_does_not_have(kept: Path) -> None:
    """QA: `opened: 收文时间` where the register says 收文日期 added an empty column and
    counted every deadline from the adoption, without a word."""
    cfg = kept / "procdoc.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("opened: 收文日期", "opened: 收文时间"),
        encoding="utf-8",
    )
    code, _out, err = cli(kept, "adopt", "shouwen", "--dry-run")
    assert code == 0
    assert "registers: shouwen: columns: opened: '收文时间' not in the header (row 2)" in err


def test_withdrawing_the_first_move_of_an_adopted_case_restores_its_own_stay(kept: Path) -> None:
    """QA: the stay an adopted case is put back into began on its 收文日期 (its deadline
    counts from it), not at the adoption, weeks later and after that deadline."""
    assert cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")[0] == 0
    listed = json.loads(cli(kept, "list", "--status", "open", "--format", "json")[1])
    case = listed[0]
    code, _out, err = cli(
        kept, "advance", case["id"], "--step", "register", "--at", "2026-10-13 09:00"
    )
    assert code == 0, err
    code, _out, err = cli(kept, "withdraw", case["id"], "--at", "2026-10-13 09:30")
    assert code == 0, err
    back = json.loads(cli(kept, "show", case["id"], "--format", "json")[1])
    assert back["entered"] == case["entered"] == case["opened"]
    assert back["due"] == case["due"]


def test_a_register_with_an_id_column_of_the_office_own_says_how_to_adopt_it(
    kept: Path,
) -> None:
    """QA: a register whose 序号 column is headed 编号 (the office's own numbering) was
    refused by every command with 'rename the header back' and a non-cell '收文台账!1'."""
    ledger = kept / "ledger.xlsx"
    edit_cells(ledger, "收文台账", {"A2": "编号"})
    code, _out, err = cli(kept, "adopt", "shouwen")
    assert code == 1
    assert "收文台账 row 2: no '当前环节', '环节期限' column" in err, err
    assert (
        "give procdoc's ids a column of their own (registers: shouwen: columns: {id: 案件编号}"
        in err
    )
    # the office's 收文编号 mapped as procdoc's ids already: another label, not that one
    # (the hint gave {id: 收文编号} back: QA)
    edit_cells(ledger, "收文台账", {"A2": "收文编号"})
    config = kept / "procdoc.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("columns: {opened:", "columns: {id: 收文编号, opened:"), encoding="utf-8"
    )
    code, _out, err = cli(kept, "adopt", "shouwen")
    assert code == 1
    assert (
        "(registers: shouwen: columns: {id: 编号} in procdoc.yaml; map 收文编号 to a field" in err
    )


def test_the_print_area_takes_in_the_rows_appended_below_it(kept: Path) -> None:
    """The office's register prints A1:H32 (its 30 rows): a case procdoc adds in row 33
    would not print. An area that ended at the last row grows with the rows appended;
    its columns, and an area that ends elsewhere, stay the office's."""

    def area(path: Path) -> str | None:
        return openpyxl.load_workbook(path)["收文台账"].print_area  # type: ignore[no-any-return]

    ledger = kept / "ledger.xlsx"
    assert area(ledger) == "'收文台账'!$A$1:$H$32"
    assert cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")[0] == 0
    assert area(ledger) == "'收文台账'!$A$1:$H$32"  # columns added, no row: as it was
    new = ("new", "shouwen", "--set", "from_org=市应急管理局", "--at", "2026-12-01 09:00")
    assert cli(kept, *new, "--title", "关于冬季防火的通知")[0] == 0
    assert area(ledger) == "'收文台账'!$A$1:$H$33"
    wb = openpyxl.load_workbook(ledger)
    wb["收文台账"].print_area = "A1:H20"  # the office prints part of it: its choice
    wb.save(ledger)
    assert cli(kept, *new, "--title", "关于做好元旦春节期间工作的通知")[0] == 0
    assert area(ledger) == "'收文台账'!$A$1:$H$20"


def test_an_adopted_case_s_stay_counts_from_the_register_s_date(kept: Path) -> None:
    """`adopt` counts a case's stay from its 收文日期 (its 环节开始 says so); the stays the
    reports read counted it from the adoption, and a day past before the adoption left
    the case out: it is as procdoc first knew it."""
    from procdoc.workspace import Workspace

    assert cli(kept, "adopt", "shouwen", "--at", "2026-10-12 17:30")[0] == 0
    ws = Workspace(kept)
    book, engine = ws.casebook(), ws.engine()
    case = next(c for c in book.cases() if c.status == "open")
    history = book.history(case)
    [stay] = engine.visits(case, history)
    assert stay.entered == case.entered == case.opened and stay.due == case.due
    then = engine.as_of(case, history, datetime(2026, 10, 12, 9, 0))  # before the adoption
    assert then is not None and (then.step, then.due) == (case.step, case.due)


def test_a_ledger_whose_history_was_deleted_refuses_to_write(library: Path) -> None:
    """QA: with 流转记录 deleted by hand, procdoc started it again empty: every case's
    history was gone, and an import put the export's 金额 back over the office's
    correction (which only the history told apart). A write is refused, naming what to
    do, and changes nothing."""
    import hashlib

    ws = Workspace(library)
    bx = cases.new(ws, "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=100"],
                   at=datetime(2026, 11, 2, 9, 0))  # fmt: skip
    ledger = library / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    del book["流转记录"]
    book.save(ledger)
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    code, _out, err = cli(library, "set", bx.id, "--set", "amount=200", "--by", "王敏")
    assert code == 1
    assert "has no 流转记录 sheet, but its registers hold 1 case (BX2026-0001)" in err
    assert "rename the sheet back to 流转记录, or restore the ledger from .procdoc/backups/" in err
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_a_renamed_register_is_not_created_again(library: Path) -> None:
    """QA: with the 报销 sheet renamed by hand, an import created a new 报销 sheet and
    registered the same 28 exports again under new ids. 流转记录 names the cases the
    missing sheet held: creating the register again is refused, other registers work."""
    import hashlib

    ws = Workspace(library)
    bx = cases.new(ws, "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=100"],
                   at=datetime(2026, 11, 2, 9, 0))  # fmt: skip
    ledger = library / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    book["报销"].title = "报销2026"
    book.save(ledger)
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    code, _out, err = cli(
        library, "new", "baoxiao", "--title", "又一笔", "--set", "applicant=孙七",
        "--set", "amount=5", "--by", "王敏",
    )  # fmt: skip
    assert code == 1
    assert (
        f"the register sheet 报销 is missing, but 流转记录 records 1 case of it that no sheet "
        f"holds ({bx.id})" in err
    )
    assert "rename it back to 报销, or name its sheet under registers: in procdoc.yaml" in err
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
    code, _out, err = cli(library, "new", "xinfang", "--title", "噪音", "--set", "petitioner=张三")
    assert code == 0, err  # another register is not held up
    code, out, _err = cli(library, "check")  # (it said 0 problems: QA)
    assert code == 3
    assert f"流转记录: 1 case recorded here that no register holds ({bx.id})" in out, out


def test_a_branch_on_an_unreadable_field_is_refused(library: Path) -> None:
    """QA: 金额 typed 1.2万 is text, `amount > 5000` does not hold for it, and the case
    went past 总经理审批 to 出纳付款. A move whose branches test a field that cannot be
    read is refused, naming the cell; a value given with --set is read."""
    ws = Workspace(library)
    bx = cases.new(ws, "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=100"],
                   at=datetime(2026, 11, 2, 9, 0))  # fmt: skip
    for step, hour in (("dept_review", 10), ("countersign", 11)):
        advance1(Workspace(library), bx.id, step=step, at=datetime(2026, 11, 2, hour, 0))
    ledger = library / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    sheet = book["报销"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("金额") + 1)
    cell.value = "1.2万"
    book.save(ledger)
    code, _out, err = cli(library, "advance", bx.id, "--step", "pay", "--by", "财务")
    assert code == 1, err
    assert (
        f"where it goes from 财务会签 depends on 金额, and its cell 报销!{cell.coordinate}" in err
    )
    assert "cannot be read ('1.2万')" in err and "--set amount=VALUE" in err
    code, _out, err = cli(  # 12000 read: over 5000, 总经理审批 is where it goes
        library, "advance", bx.id, "--step", "gm_approve", "--by", "财务", "--set", "amount=12000"
    )
    assert code == 0, err


def test_merged_cells_in_one_register_hold_up_that_register_only(library: Path) -> None:
    """QA: cells merged among one register's rows stopped every command: `check` (exit
    1, not 3), `list` and the daily report of every process. That register is left out
    (said), `check` lists it, and nothing is written to it or asked of its cases."""
    import hashlib

    ws = Workspace(library)
    at = datetime(2026, 11, 2, 9, 0)
    bx = cases.new(ws, "baoxiao", title="差旅费", sets=["applicant=孙七", "amount=100"], at=at)
    cases.new(Workspace(library), "baoxiao", title="会议费", sets=["applicant=周八", "amount=9"],
              at=at)  # fmt: skip
    xf = cases.new(Workspace(library), "xinfang", title="噪音", sets=["petitioner=张三"], at=at)
    ledger = library / "ledger.xlsx"
    book = openpyxl.load_workbook(ledger)
    book["报销"].merge_cells("B2:B3")
    book.save(ledger)
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    code, out, _err = cli(library, "check")
    assert code == 3 and "报销!B2:B3: merged cells inside the register's rows" in out, out
    code, out, err = cli(library, "list", "--format", "json")
    assert code == 0 and [c["id"] for c in json.loads(out)] == [xf.id]
    assert "报销!B2:B3: merged cells inside the register's rows: its cases are left out" in err
    code, _out, err = cli(library, "show", bx.id)
    assert code == 1 and "merged cells inside the register's rows" in err
    code, _out, err = cli(library, "new", "baoxiao", "--title", "又一笔", "--set", "applicant=孙七",
                          "--set", "amount=5")  # fmt: skip
    assert code == 1 and "unmerge them" in err
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
    code, _out, err = cli(library, "report", "daily", "--as-of", "2026-11-20 08:00")
    assert code == 0, err  # cron's report is written, saying what it left out


def test_a_field_a_register_heads_otherwise_is_said_and_recorded_under_its_heading(
    tmp_path: Path,
) -> None:
    """A register that calls 信访事项 (the field content) 诉求摘要, and heads its titles
    信访事项: `set` says and 流转记录 records 诉求摘要, `show` lists it so, and `--set`
    takes the heading too (they said 信访事项, which the office reads as its title column:
    QA)."""
    root = init_workspace(tmp_path / "office", processes=["xinfang"])
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "信访台账"
    ws.append(["序号", "收到日期", "信访人", "信访事项", "诉求摘要", "承办单位"])
    ws.append([1, "2026.9.8", "张三", "反映小区噪音扰民", None, "某区城管局"])
    wb.save(root / "ledger.xlsx")
    config = root / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "registers:\n  xinfang:\n    sheet: 信访台账\n    columns: {title: 信访事项, content: 诉求摘要, "
        "received: 收到日期, petitioner: 信访人, handler_org: 承办单位}\n    number_column: 序号\n",
        encoding="utf-8",
    )
    assert cli(root, "adopt", "xinfang", "--at", "2026-12-03 08:30")[0] == 0
    code, out, err = cli(
        root, "set", "XF2026-0001", "--set", "content=夜间施工", "--at", "2026-12-03 09:00"
    )
    assert code == 0 and out.strip() == "XF2026-0001: 诉求摘要: （空） → 夜间施工", out + err
    code, out, err = cli(
        root, "set", "XF2026-0001", "--set", "诉求摘要=夜间施工噪音", "--at", "2026-12-03 09:10"
    )
    assert code == 0 and "诉求摘要: 夜间施工 → 夜间施工噪音" in out, err
    shown = json.loads(cli(root, "show", "XF2026-0001", "--format", "json")[1])
    assert shown["title"] == "反映小区噪音扰民" and shown["fields"]["content"] == "夜间施工噪音"
    csv_rows = cli(root, "show", "XF2026-0001", "--format", "csv")[1].splitlines()
    assert "诉求摘要,夜间施工噪音" in csv_rows and not any(
        r.startswith("信访事项,") for r in csv_rows
    )
    history = (
        CalamineWorkbook.from_path(str(root / "ledger.xlsx"))
        .get_sheet_by_name("流转记录")
        .to_python()
    )
    head = history[0]
    assert [r[head.index("项目")] for r in history[1:] if r[head.index("动作")] == "修改"] == [
        "诉求摘要",
        "诉求摘要",
    ]


def test_a_legacy_shared_register_takes_no_sheet_name_from_a_process(legacy: Path) -> None:
    """In a ledger of one shared 台账 no sheet is named after a process: a name with '/'
    is no error there (validate said one: QA); `registers split` is where it matters."""
    path = legacy / "processes" / "yongyin.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\nname: 用印申请\n", "\nname: 用印申请（公章/合同章）\n", 1), encoding="utf-8"
    )
    assert "用印申请（公章/合同章）" in path.read_text(encoding="utf-8")
    _code, out, err = cli(legacy, "validate")
    assert "processes/yongyin.yaml" not in (out + err).replace("\\", "/"), out + err
