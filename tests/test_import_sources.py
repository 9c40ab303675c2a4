"""What a source's settings do to an import (SPEC §6): `values:`, counts with units, dates
without a year, moments with a zone, one column feeding several fields, where deadlines
count from, statuses a case cannot take, and the settings refused before anything is
written."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write
from procdoc.cli import app
from procdoc.commands import cases
from procdoc.commands.imports import import_files
from procdoc.errors import ImportFileError, ProcdocWarning
from procdoc.importer.merge import FileResult, choose_source
from procdoc.importer.reader import Grid
from procdoc.model import Case
from procdoc.workspace import Workspace

runner = CliRunner()

PROCESS = """\
name: 来文办理
id: laiwen
case_id: "LW{year}-{seq:03d}"
fields:
  from_org: {label: 来文单位, type: text, required: true}
  doc_no: {label: 来文字号, type: text}
  received: {label: 收到日期, type: date}
  logged: {label: 登记日期, type: date}
  copies: {label: 份数, type: number}
  amount: {label: 金额, type: number}
  secrecy: {label: 密级, type: choice, choices: [秘密, 非密]}
  remark: {label: 备注, type: text}
steps:
  - id: receive
    name: 签收
    deadline: {duration: 5wd, from: received}
    next: [handle]
  - id: handle
    name: 办理
    deadline: 3wd
    back: [receive]
    next: [done]
  - id: done
    name: 办结
    final: true
"""

SOURCE = """\
name: 测试办公室
numbering:
  fawen:
    format: "测办发〔{year}〕{seq}号"
    field: doc_no
sources:
  oa:
    process: laiwen
    key: 编号                  # not listed under columns: (SPEC §6: no need)
    columns:
      标题: title
      来文单位: from_org
      来文字号: doc_no
      收到日期: [received, logged]
      份数: copies
      金额: amount
      密级: secrecy
    values:
      密级: {无: 非密, "": 非密, 普通: 非密}
      金额: {约500元: 500}
    status_column: 状态
    status_steps: {待签收: receive, 办理中: handle, 已办结: done}
"""

HEADER = "编号,标题,来文单位,来文字号,收到日期,份数,金额,密级,状态"


@pytest.fixture
def office(mini: Path) -> Path:
    """conftest's small workspace with the 来文办理 process and the source above."""
    write(mini / "procdoc.yaml", SOURCE)
    write(mini / "processes" / "laiwen.yaml", PROCESS)
    return mini


def export(tmp_path: Path, *rows: str, name: str = "导出.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8-sig")
    return path


def imp(root: Path, path: Path, at: datetime = datetime(2026, 10, 12, 17)) -> FileResult:
    (result,) = import_files(Workspace(root), [path], at=at)
    return result


def case_of(root: Path, ref: str) -> Case:
    return next(c for c in Workspace(root).casebook().cases() if c.ref == ref)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_values_units_and_several_fields_from_one_column(office: Path, tmp_path: Path) -> None:
    path = export(
        tmp_path,
        'A1,甲,市甲局,甲〔2026〕1号,2026-09-30,2份,"1,200元",无,待签收',
        "A2,乙,市乙局,乙〔2026〕2号,2026-10-09,3 件,约500元,,待签收",
        "A3,丙,市丙局,丙〔2026〕3号,2026-10-09,1,约600元,普通,待签收",
        "A4,丁,市丁局,丁〔2026〕4号,2026-10-09,1,100,绝密,待签收",
    )
    result = imp(office, path)
    assert [n.key for n in result.new] == ["A1", "A2"]
    first, second = case_of(office, "A1"), case_of(office, "A2")
    assert (first.fields["copies"], first.fields["amount"], first.fields["secrecy"]) == (
        2,
        1200,
        "非密",
    )
    assert (second.fields["copies"], second.fields["amount"], second.fields["secrecy"]) == (
        3,
        500,
        "非密",
    )
    # 收到日期 feeds received and logged
    assert first.fields["received"] == first.fields["logged"] == date(2026, 9, 30)
    bad = {p.row: p.message for p in result.problems}
    assert bad[4] == "金额 (G4): '约600元' is not a number: row left out"
    assert bad[5] == "密级 (H5): '绝密' is not one of 秘密, 非密: row left out"
    assert str(result.problems[0]).startswith(f"{path}: row 4: ")


def test_a_date_without_a_year_takes_the_rows_or_the_imports(office: Path, tmp_path: Path) -> None:
    header = "编号,标题,来文单位,登记,收到日期,状态"
    write(
        office / "procdoc.yaml",
        SOURCE.replace(
            "      收到日期: [received, logged]", "      收到日期: received\n      登记: logged"
        ),
    )
    path = export(
        tmp_path,
        "B1,甲,市甲局,2025-12-31,12月30日,待签收",  # the row's other date: 2025
        "B2,乙,市乙局,,10月9日,待签收",  # none: the import's year
        header=header,
    )
    imp(office, path, at=datetime(2026, 10, 12, 17))
    assert case_of(office, "B1").fields["received"] == date(2025, 12, 30)
    assert case_of(office, "B2").fields["received"] == date(2026, 10, 9)


#: An export with a 登记 column, for a source mapping it to `opened` (see map_opened).
WITH_OPENED = "编号,标题,来文单位,登记,收到日期,状态"


def map_opened(office: Path) -> None:
    """The source maps the export's 登记 to `opened`."""
    config = SOURCE.replace("      标题: title", "      标题: title\n      登记: opened")
    write(office / "procdoc.yaml", config)


def test_opened_with_a_zone_is_read_in_the_workspace_timezone(office: Path, tmp_path: Path) -> None:
    map_opened(office)
    path = export(
        tmp_path,
        "C1,甲,市甲局,2026-10-09T01:30:00Z,2026-10-09,待签收",
        header=WITH_OPENED,
    )
    imp(office, path)
    assert case_of(office, "C1").opened == datetime(2026, 10, 9, 9, 30)


def test_deadlines_count_from_the_documents_dates_not_the_import(
    office: Path, tmp_path: Path
) -> None:
    """No `opened` mapped: the first step counts from 收到日期 (from: received), and the
    case is opened then; a case opened at a later step enters it at `opened`."""
    path = export(tmp_path, "D1,甲,市甲局,甲〔2026〕1号,2026-09-30,1,100,无,待签收")
    imp(office, path, at=datetime(2026, 10, 12, 17))
    case = case_of(office, "D1")
    assert case.opened == case.entered == datetime(2026, 9, 30)
    assert case.due == date(2026, 10, 13)  # 5 working days from 9-30 (DOMAIN.md)
    map_opened(office)
    later = export(
        tmp_path,
        "D2,乙,市乙局,2026-09-30 10:00,2026-09-29,办理中",
        header=WITH_OPENED,
        name="导出2.csv",
    )
    imp(office, later, at=datetime(2026, 10, 12, 17))
    case = case_of(office, "D2")
    assert case.step is not None and case.step.id == "handle"
    assert case.opened == case.entered == datetime(2026, 9, 30, 10)
    assert case.due == date(2026, 10, 10)  # 3 working days from 9-30: 10-8, 10-9, 10-10


def test_statuses_a_case_cannot_take_are_reported(office: Path, tmp_path: Path) -> None:
    first = export(
        tmp_path,
        "E1,甲,市甲局,甲1,2026-10-09,1,1,无,办理中",
        "E2,乙,市乙局,乙2,2026-10-09,1,1,无,已办结",
        "E3,丙,市丙局,丙3,2026-10-09,1,1,无,",
    )
    result = imp(office, first)
    assert [p.row for p in result.reported] == [4]
    assert "状态 (I4) is empty (no status): LW2026-003 opened at the first step 签收" in (
        result.reported[0].message
    )
    second = export(
        tmp_path,
        "E1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收",  # back: reported
        "E2,乙,市乙局,乙2,2026-10-09,1,1,无,办理中",  # the case is closed
        "E3,丙,市丙局,丙3,2026-10-09,1,1,无,",  # still none
        name="导出2.csv",
    )
    result = imp(office, second, at=datetime(2026, 10, 13, 17))
    messages = {p.row: p.message for p in result.reported}
    assert messages[2].endswith("'待签收' (签收) is not ahead of 办理: LW2026-001 stays at 办理")
    # behind the closed case's step: "would move it back" (it said "on": QA)
    assert messages[3].endswith(
        "'办理中' (办理) would move it back from 办结, and LW2026-002 is 已办结: "
        "LW2026-002 stays at 办结"
    )
    assert "状态 (I4) is empty (no status): LW2026-003 stays at 签收" in messages[4]
    assert not result.moved and result.unchanged == 0
    cancelled = cases.cancel(
        Workspace(office), "LW2026-003", reason="误登记", at=datetime(2026, 10, 14)
    )
    assert cancelled.case.status == "cancelled"
    third = export(tmp_path, "E3,丙,市丙局,丙3,2026-10-09,1,1,无,办理中", name="导出3.csv")
    result = imp(office, third, at=datetime(2026, 10, 15, 17))
    assert result.reported[0].message.endswith(  # ahead of the cancelled case's step
        "'办理中' (办理) would move it on, but LW2026-003 is 已撤销: LW2026-003 stays at 签收"
    )


def test_an_assignee_nobody_lists_under_people_is_imported_and_said_once_a_name(
    office: Path, tmp_path: Path
) -> None:
    """With people: set, a 承办人 the import writes that nobody there is gets one warning
    a name, at its first row, naming its cells; the OA is the source of truth, so it is
    imported all the same (it was written without a word: QA). Without people: no
    warning."""
    mapped = SOURCE.replace(
        "      密级: secrecy\n", "      密级: secrecy\n      承办人: assignee\n"
    )
    write(office / "procdoc.yaml", mapped + "people:\n  王敏: {dept: 办公室, roles: [登记员]}\n")
    header = HEADER.replace(",状态", ",承办人,状态")
    first = export(
        tmp_path,
        "G1,甲,市甲局,甲1,2026-10-09,1,1,无,王敏,待签收",
        "G2,乙,市乙局,乙2,2026-10-09,1,1,无,张某,待签收",
        "G3,丙,市丙局,丙3,2026-10-09,1,1,无,张某,待签收",
        "G4,丁,市丁局,丁4,2026-10-09,1,1,无,李某,待签收",
        header=header,
    )
    result = imp(office, first)
    assert len(result.new) == 4 and not result.problems
    tail = ": imported as the OA gives it; add them under people: or correct the name in the OA"
    assert [(p.row, p.message) for p in result.reported] == [
        (3, "承办人 (I3) '张某' is not listed under people: in procdoc.yaml (also I4)" + tail),
        (5, "承办人 (I5) '李某' is not listed under people: in procdoc.yaml" + tail),
    ]
    assert [case_of(office, k).assignee for k in ("G1", "G2", "G4")] == ["王敏", "张某", "李某"]
    second = export(
        tmp_path,
        "G1,甲,市甲局,甲1,2026-10-09,1,1,无,赵某,待签收",  # handed on in the OA
        "G2,乙,市乙局,乙2,2026-10-09,1,1,无,张某,待签收",  # as before: nothing written
        header=header,
        name="导出2.csv",
    )
    code, _, err = cli(office, "import", str(second), "--at", "2026-10-13 17:00")
    assert code == 0 and case_of(office, "G1").assignee == "赵某"
    assert err.count("Warning:") == 1
    assert f"{second}: row 2: 承办人 (I2) '赵某' is not listed under people:" in err
    write(office / "procdoc.yaml", mapped)  # no people: names are free text
    third = export(tmp_path, "G5,戊,市戊局,戊5,2026-10-09,1,1,无,孙某,待签收", header=header)
    assert imp(office, third).reported == []


def test_an_unlisted_assignee_on_many_rows_names_a_few_cells_and_counts_the_rest(
    office: Path, tmp_path: Path
) -> None:
    """400 rows of one name nobody lists: one warning naming the first cells and how many
    more (it named all 399 in a line of 2,500 characters: review)."""
    mapped = SOURCE.replace(
        "      密级: secrecy\n", "      密级: secrecy\n      承办人: assignee\n"
    )
    write(office / "procdoc.yaml", mapped + "people:\n  王敏: {dept: 办公室, roles: [登记员]}\n")
    rows = [f"H{i},甲{i},市甲局,甲{i},2026-10-09,1,1,无,周强,待签收" for i in range(400)]
    header = HEADER.replace(",状态", ",承办人,状态")
    result = imp(office, export(tmp_path, *rows, header=header))
    (warning,) = result.reported
    assert warning.row == 2
    assert (
        "'周强' is not listed under people: in procdoc.yaml (also I3, I4, I5, I6, I7, … (+394)):"
        in warning.message
    )
    assert len(warning.message) < 200


def test_several_next_moves_at_once_whatever_their_conditions(office: Path, tmp_path: Path) -> None:
    imp(office, export(tmp_path, "F1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收"))
    result = imp(
        office,
        export(tmp_path, "F1,甲,市甲局,甲1,2026-10-09,1,1,无,已办结", name="导出2.csv"),
        at=datetime(2026, 10, 13, 9),
    )
    assert [(m.from_step.id, m.to_step.id) for m in result.moved] == [("receive", "done")]
    case = case_of(office, "F1")
    assert case.status == "closed" and case.closed == datetime(2026, 10, 13, 9)
    history = Workspace(office).casebook(history=True).history(case)
    assert [(h.action, h.from_step, h.to_step) for h in history][-2:] == [
        ("import", "receive", "done"),
        ("close", "done", None),
    ]


# -- settings refused before anything is written -----------------------------------------


def test_values_for_a_column_not_mapped_is_a_warning_as_in_the_spec(
    office: Path, tmp_path: Path
) -> None:
    """SPEC §6's own example gives ``values:`` for 密级 without mapping it: validate warns
    that it changes nothing, and import goes on."""
    write(
        office / "procdoc.yaml", SOURCE.replace("      密级: {无: 非密", "      部门: {无: 非密", 1)
    )
    code, out, err = cli(office, "validate")
    said = " ".join((out + err).split())
    assert code == 0, said
    assert "values: '部门' is neither a column this source maps nor a field it fills" in said
    path = export(tmp_path, "G1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收")
    code, _, err = cli(office, "import", str(path))
    assert code == 0, err


def test_match_on_a_field_not_mapped_is_a_warning_as_in_the_spec(
    office: Path, tmp_path: Path
) -> None:
    """SPEC §6's example matches on doc_no and from_org without mapping them: allowed,
    validate warns, and such rows never match on the field."""
    changed = SOURCE.replace(
        "    status_column: 状态", "    match: [doc_no, remark]\n    status_column: 状态", 1
    )
    write(office / "procdoc.yaml", changed)
    code, out, err = cli(office, "validate")
    said = " ".join((out + err).split())
    assert code == 0, said
    assert (
        "match: 'remark' is not mapped under columns: of source 'oa': its rows cannot match on it"
        in said
    )
    path = export(tmp_path, "G1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收")
    code, _, err = cli(office, "import", str(path))
    assert code == 0, err


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.parametrize(
    ("change", "validate_says", "import_says"),
    [
        (
            ("已办结: done", "已办结: finish"),
            "'已办结' maps to unknown step 'finish' of laiwen",
            "source oa: status_steps: '已办结' maps to unknown step 'finish' of laiwen",
        ),
    ],
)
def test_bad_source_settings_are_refused(
    office: Path,
    tmp_path: Path,
    change: tuple[str, str],
    validate_says: str,
    import_says: str,
) -> None:
    assert change[0] in SOURCE
    write(office / "procdoc.yaml", SOURCE.replace(change[0], change[1], 1))
    code, out, err = cli(office, "validate")
    assert code == 3 and validate_says in " ".join((out + err).split())
    path = export(tmp_path, "G1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收")
    code, _, err = cli(office, "import", str(path))
    assert code == 1 and import_says in err and "Traceback" not in err
    assert digest(office / "ledger.xlsx") is None


def _grid(*rows: list[object]) -> Grid:
    return Grid(path=Path("x.csv"), kind="csv", sheet=None, rows=[list(r) for r in rows])  # type: ignore[misc]


def test_a_source_missing_none_of_its_columns_fits_better() -> None:
    """Between sources matching as many columns, the one none of whose columns is missing
    wins: a daily source that adds 来文字号 does not steal the older export."""
    from procdoc.config import Source

    old = Source("old", "laiwen", "编号", {c: ("title",) for c in ("编号", "标题", "单位")})
    daily = Source(
        "daily", "laiwen", "编号", {c: ("title",) for c in ("编号", "标题", "单位", "字号")}
    )
    sources = {"old": old, "daily": daily}
    assert choose_source(_grid(["编号", "标题", "单位"]), sources, None, "x").name == "old"
    assert (
        choose_source(_grid(["编号", "标题", "单位", "字号"]), sources, None, "x").name == "daily"
    )
    twin = Source("twin", "laiwen", "编号", dict(old.columns))
    with pytest.raises(ImportFileError, match="equally well"):
        choose_source(_grid(["编号", "标题", "单位"]), {"old": old, "twin": twin}, None, "x")


def test_a_case_at_a_step_typed_by_hand_is_reported_not_moved(office: Path, tmp_path: Path) -> None:
    import openpyxl

    imp(office, export(tmp_path, "H1,甲,市甲局,甲1,2026-10-09,1,1,无,待签收"))
    ledger = office / "ledger.xlsx"
    wb = openpyxl.load_workbook(ledger)  # the office types a step no process has
    ws = wb["来文办理"]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "当前环节")
    ws.cell(2, col, "待定")
    wb.save(ledger)
    later = export(tmp_path, "H1,甲,市甲局,甲1,2026-10-09,1,1,无,办理中", name="2.csv")
    with pytest.warns(ProcdocWarning, match="'待定' is not a step of 来文办理"):
        result = imp(office, later)
    assert not result.moved
    assert "LW2026-001 is at a step laiwen does not have ('待定')" in result.reported[0].message


def test_a_reference_excel_turned_into_a_number_is_found_not_duplicated(
    office: Path, tmp_path: Path
) -> None:
    """Excel's "convert to number" on the 来源编号 column (the green triangle's offer)
    keeps 15 significant digits and drops leading zeros. `check` lists a reference that
    lost digits; an import whose key such a number may have been refuses, naming the
    cell, instead of opening a second case for the matter; put back as text, the import
    finds its cases again."""
    import openpyxl

    long_key, short_key = "202609011600000860029", "000123"
    path = export(
        tmp_path,
        f"{long_key},一号,某局,某发〔2026〕1号,2026-10-09,1,,,待签收",
        f"{short_key},二号,某局,某发〔2026〕2号,2026-10-09,1,,,待签收",
    )
    first = imp(office, path)
    assert len(first.new) == 2
    ws = Workspace(office)
    ledger = ws.config.ledger
    sheet = ws.layout.register_of(ws.process("laiwen")).sheet
    book = openpyxl.load_workbook(ledger)
    reg = book[sheet]
    col = [c.value for c in reg[1]].index("来源编号") + 1
    cells = {}
    for row in range(2, reg.max_row + 1):
        cell = reg.cell(row=row, column=col)
        if cell.value == long_key:
            cell.value = float(f"{float(long_key):.15g}")  # as Excel keeps it
        elif cell.value == short_key:
            cell.value = 123
        else:
            continue
        cells[cell.value] = f"{sheet}!{cell.coordinate}"
    book.save(ledger)
    assert len(cells) == 2

    code, out, _err = cli(office, "check")
    assert code == 3
    assert f"{cells[2.02609011600001e20]}: 来源编号 of " in out
    assert "is the number 202609011600001000000, not text" in out
    assert cells[123] not in out  # a small number may be the reference as typed

    before = digest(ledger)
    with pytest.raises(ImportFileError) as refused:
        imp(office, path)
    message = str(refused.value)
    assert f"row 2: 编号 {long_key} is no case's 来源编号" in message
    assert f"({cells[2.02609011600001e20]}) is the number 202609011600001000000" in message
    assert "keeping 15 digits; nothing imported" in message
    assert refused.value.hint is not None and f"--set ref={long_key}" in refused.value.hint
    assert digest(ledger) == before  # refused: nothing written
    only_short = export(
        tmp_path, f"{short_key},二号,某局,某发〔2026〕2号,2026-10-09,1,,,待签收", name="短.csv"
    )
    with pytest.raises(
        ImportFileError,
        match=rf"\({cells[123]}\) is the number 123: Excel turned the column into numbers, dropping leading zeros",
    ):
        imp(office, only_short)
    # a key of other scripts' digits (², ２) is no number Excel made: no refusal, no crash
    odd = export(tmp_path, "²,三号,某局,某发〔2026〕3号,2026-10-09,1,,,待签收", name="上标.csv")
    assert [r.key for r in imp(office, odd).new] == ["²"]

    ids = {c.title: c.id for c in Workspace(office).casebook().cases()}
    for title, key in (("一号", long_key), ("二号", short_key)):
        code, out, err = cli(office, "set", ids[title], "--set", f"ref={key}", "--by", "张三")
        assert code == 0, err
        if key == long_key:  # the old value as Excel's formula bar shows it, as check does
            assert f"来源编号: 202609011600001000000 → {long_key}" in out + err
    again = imp(office, path)
    assert again.new == [] and again.unchanged == 2


def test_a_number_field_s_min_and_max_are_kept_by_set_import_and_check(
    office: Path, tmp_path: Path
) -> None:
    """`min:`/`max:` bound a number field (the library's 份数 is at least 1): `set` refuses
    a value out of bounds and writes nothing, an import leaves the row out with its cell,
    and `check` lists a cell typed out of bounds in Excel."""
    import openpyxl

    process = office / "processes" / "laiwen.yaml"
    write(
        process,
        PROCESS.replace(
            "{label: 份数, type: number}", "{label: 份数, type: number, min: 1}"
        ).replace(
            "{label: 金额, type: number}",
            "{label: 金额, type: number, required: true, min: 0, max: 5000}",
        ),
    )
    code, out, _err = cli(office, "validate")
    assert code == 0, out
    path = export(
        tmp_path,
        "A-1,一号,某局,某发〔2026〕1号,2026-10-09,2,100,,待签收",
        "A-2,二号,某局,某发〔2026〕2号,2026-10-09,0,100,,待签收",
        "A-3,三号,某局,某发〔2026〕3号,2026-10-09,1,9000,,待签收",
    )
    result = imp(office, path)
    assert [r.key for r in result.new] == ["A-1"]
    problems = [str(p) for p in result.problems]
    assert any("row 3" in p and "'0' is less than 1, the least 份数 may be" in p for p in problems)
    assert any(
        "row 4" in p and "'9000' is more than 5000, the most 金额 may be" in p for p in problems
    )
    assert not any("is empty" in p for p in problems)  # a refused cell is said once (QA)

    case = case_of(office, "A-1")
    ledger = Workspace(office).config.ledger
    before = digest(ledger)
    code, _out, err = cli(office, "set", case.id, "--set", "copies=-3", "--by", "张三")
    assert code == 1 and "'-3' is less than 1, the least 份数 may be" in err
    assert digest(ledger) == before
    code, _out, err = cli(office, "set", case.id, "--set", "copies=3", "--by", "张三")
    assert code == 0, err

    book = openpyxl.load_workbook(ledger)
    ws = Workspace(office)
    sheet = book[ws.layout.register_of(ws.process("laiwen")).sheet]
    col = [c.value for c in sheet[1]].index("份数") + 1
    sheet.cell(row=2, column=col).value = -3  # typed in Excel
    book.save(ledger)
    code, out, _err = cli(office, "check")
    assert code == 3
    assert f"{sheet.title}!{sheet.cell(row=2, column=col).coordinate}: " in out
    assert "'-3' is less than 1, the least 份数 may be" in out
