"""A small hand-computed ledger for the statistics, the monthly report, the brief and 抽查.

Two processes, built through the commands with explicit moments in 2026. March 2026 has
no holiday (Qingming is 4/4-6), so its working days are Monday to Friday: 3/2-6, 3/9-13,
3/16-20, 3/23-27, 3/30-31. Working days are counted as SPEC §4 counts them: the start day
not counted (``workdays_after(a, b)`` = working days d with a < d <= b).

发文 (wen): 起草 2wd -> 印发 5wd (numbered, extend 5wd, back to 起草) -> 归档 (final)
纪要 (jiyao): 整理 48h -> 印发归档 (final)

March 2026 (the period the tests ask about):

W001 发文 办公室/王敏  new 3/2 09:00; 印发 3/3 10:00 (起草 due 3/4: on time, 1 wd);
     归档 3/9 15:00 (印发 due 3/3+5wd = 3/10: on time, 3/4..3/9 = 4 wd).
     Closed, on time, 3/3..3/9 = 5 wd to close. 测办发〔2026〕1号.
W002 发文 办公室/王敏  new 3/2 09:00; 印发 3/5 09:00 (起草 due 3/4: LATE, 3 wd);
     退回 起草 3/6 09:00 (印发 due 3/12: left in time, 1 wd);
     印发 3/9 09:00 (起草 due 3/6+2wd = 3/10: on time, 1 wd);
     延期 5wd 3/12 (印发 due 3/9+5wd = 3/16, extended: 3/9+10wd = 3/23);
     归档 3/20 09:00 (印发: in time with the extension, 3/10..3/20 = 9 wd).
     Closed, late (its first 起草), 3/3..3/20 = 14 wd to close; 1 return, 1 extension.
     测办发〔2026〕2号 (kept when it came back).
W003 发文 综合科/赵六  new 3/10 09:00; 印发 3/11 09:00 (起草 on time, 1 wd). Open at 印发
     (due 3/18: overdue now). 测办发〔2026〕3号.
W004 发文 综合科/赵六  new 3/16 09:00; cancelled 3/17 09:00.
J001 纪要 办公室/李强  new 3/3 09:00 (due 3/5 09:00); 印发归档 3/5 08:00: on time; 2 wd.
J002 纪要 办公室/李强  new 3/4 14:00 (due 3/6 14:00); 印发归档 3/6 15:00: LATE by an
     hour; 2 wd.

February 2026 (the month before, for 环比): 2/15-23 are the Spring Festival holiday.

W005 发文 办公室/王敏  new 2/2 09:00; 印发 2/3 09:00 (on time); 归档 2/5 09:00 (on
     time). Closed on time, 2/3..2/5 = 3 wd. 测办发〔2026〕4号 (numbers come in the order
     cases reach 印发, and W005 is built after W003).
J003 纪要 办公室/李强  new 2/10 09:00 (due 2/12 09:00); 印发归档 2/11 10:00: on time; 1 wd.
"""

from __future__ import annotations

from datetime import datetime as dt
from pathlib import Path

from conftest import advance1, write
from procdoc.commands import cases
from procdoc.workspace import Workspace

CONFIG = """\
name: 统计测试办公室
numbering:
  fawen: {format: "测办发〔{year}〕{seq}号", field: doc_no}
"""

WEN = """\
name: 发文
id: wen
case_id: "W{seq:03d}"
fields:
  subject: {label: 事由, type: text, required: true}
  dept: {label: 承办部门, type: text}
  doc_no: {label: 发文字号, type: text}
steps:
  - id: draft
    name: 起草
    deadline: 2wd
    next: [print]
  - id: print
    name: 印发
    deadline: 5wd
    number: fawen
    extend: 5wd
    back: [draft]
    next: [done]
  - id: done
    name: 归档
    final: true
"""

JIYAO = """\
name: 纪要
id: jiyao
case_id: "J{seq:03d}"
fields:
  dept: {label: 承办部门, type: text}
steps:
  - id: write
    name: 整理
    deadline: 48h
    next: [done]
  - id: done
    name: 印发归档
    final: true
"""


def build(root: Path) -> Path:
    write(root / "procdoc.yaml", CONFIG)
    write(root / "processes" / "wen.yaml", WEN)
    write(root / "processes" / "jiyao.yaml", JIYAO)
    (root / "templates").mkdir(parents=True, exist_ok=True)

    def new(process: str, title: str, at: dt, dept: str, who: str) -> str:
        sets = [f"dept={dept}"] + (["subject=例行发文"] if process == "wen" else [])
        return cases.new(Workspace(root), process, title=title, sets=sets, assign=who, at=at).id

    def move(case: str, step: str, at: dt) -> None:
        advance1(Workspace(root), case, step=step, at=at)

    w1 = new("wen", "关于春季安全检查的通知", dt(2026, 3, 2, 9), "办公室", "王敏")
    w2 = new("wen", "关于调整值班安排的通知", dt(2026, 3, 2, 9), "办公室", "王敏")
    move(w1, "print", dt(2026, 3, 3, 10))
    move(w1, "done", dt(2026, 3, 9, 15))
    move(w2, "print", dt(2026, 3, 5, 9))
    move(w2, "draft", dt(2026, 3, 6, 9))
    move(w2, "print", dt(2026, 3, 9, 9))
    cases.extend(Workspace(root), w2, by="5wd", reason="需会签", at=dt(2026, 3, 12, 9))
    move(w2, "done", dt(2026, 3, 20, 9))
    w3 = new("wen", "关于报送一季度数据的函", dt(2026, 3, 10, 9), "综合科", "赵六")
    move(w3, "print", dt(2026, 3, 11, 9))
    w4 = new("wen", "关于暂停某项工作的通知", dt(2026, 3, 16, 9), "综合科", "赵六")
    cases.cancel(Workspace(root), w4, reason="不再印发", at=dt(2026, 3, 17, 9))
    j1 = new("jiyao", "3月3日周例会纪要", dt(2026, 3, 3, 9), "办公室", "李强")
    move(j1, "done", dt(2026, 3, 5, 8))
    j2 = new("jiyao", "专题协调会纪要", dt(2026, 3, 4, 14), "办公室", "李强")
    move(j2, "done", dt(2026, 3, 6, 15))
    w5 = new("wen", "关于春节值班的通知", dt(2026, 2, 2, 9), "办公室", "王敏")
    move(w5, "print", dt(2026, 2, 3, 9))
    move(w5, "done", dt(2026, 2, 5, 9))
    j3 = new("jiyao", "2月10日周例会纪要", dt(2026, 2, 10, 9), "办公室", "李强")
    move(j3, "done", dt(2026, 2, 11, 10))
    assert [w1, w2, w3, w4, w5, j1, j2, j3] == [
        "W001", "W002", "W003", "W004", "W005", "J001", "J002", "J003",
    ]  # fmt: skip
    return root
