"""Write the sample OA exports in samples/oa/ and the hand-kept registers in
samples/registers/ (fictional people, offices and documents).

    python tools/make_samples.py                          # samples/oa and samples/registers
    python tools/make_samples.py OA_DIR [REGISTERS_DIR]   # elsewhere; the registers only
                                                          #   when REGISTERS_DIR is given

Deterministic: the same bytes on every run (fixed random seeds, fixed document dates and
fixed workbook properties), so the committed files only change when this script does.
xlsxwriter writes the .xlsx files (byte for byte the same with the same xlsxwriter
version: it stamps the zip entries 1980-01-01 and the properties with the dates given
here; another version may lay out the XML differently); the 泛微 exports and the CSV are
plain text. The BIFF8 .xls needs xlwt, a development-only dependency (without it that file
is left as it is). See samples/oa/README.md and samples/registers/README.md for what each
file holds.
"""

from __future__ import annotations

import csv
import html
import io
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUT = SAMPLES / "oa"
REGISTERS = SAMPLES / "registers"
CREATED = datetime(2026, 11, 20, 17, 30)  # stamped in the workbooks' properties

APPROVERS = ["郑刚", "冯雪梅", "韩志强"]
PEOPLE = [
    ("张伟", "综合部-行政组"),
    ("王芳", "综合部-文秘组"),
    ("李娜", "财务部-会计组"),
    ("刘洋", "业务一部-项目组"),
    ("陈静", "业务二部-市场组"),
    ("杨帆", "信息中心-运维组"),
    ("赵磊", "人力资源部-招聘组"),
    ("黄丽", "业务一部-项目组"),
    ("周强", "综合部-后勤组"),
    ("孙婷", "业务二部-市场组"),
]
CITIES = ["北京", "上海", "广州", "杭州", "成都", "武汉", "西安"]
REASONS = {
    "差旅费": ["赴{city}参加项目评审会", "赴{city}调研数字政务建设", "赴{city}参加行业交流会"],
    "办公用品": ["采购打印纸、硒鼓", "采购文件盒、档案袋", "采购签字笔、笔记本"],
    "业务招待": ["接待{city}考察团", "接待合作单位来访交流"],
    "培训费": ["参加公文写作培训", "参加财务人员继续教育", "参加网络安全培训"],
    "其他": ["办公室绿植租摆", "会议室设备维修", "快递费"],
}
AMOUNTS = {
    "差旅费": (800, 9000),
    "办公用品": (50, 2000),
    "业务招待": (300, 6000),
    "培训费": (1000, 8000),
    "其他": (100, 3000),
}


# --------------------------------------------------------------------------- 钉钉 报销

DINGTALK_HEADER = [
    "审批编号",
    "标题",
    "审批状态",
    "审批结果",
    "发起时间",
    "完成时间",
    "发起人姓名",
    "发起人部门",
    "当前处理人姓名",
    "费用类别",
    "总金额（元）",
    "事由",
    "票据张数",
]
DINGTALK_ROWS = 30
DINGTALK_DUPLICATE = (20, 8)  # spreadsheet row 20 repeats row 8's approval, now finished
DINGTALK_BAD_TIME = (25, "2026-09-31 09:15")  # no 31 September


def dingtalk_records() -> list[dict[str, object]]:
    rng = random.Random(20261015)
    starts = sorted(
        datetime(2026, 9, 1, 8, 30)
        + timedelta(days=rng.randrange(0, 79), minutes=rng.randrange(0, 9 * 60))
        for _ in range(DINGTALK_ROWS)
    )
    starts[14] = datetime(2026, 10, 15, 10, 30)  # the row of 202610151030000123456
    starts.sort()
    records: list[dict[str, object]] = []
    for start in starts:
        name, department = PEOPLE[rng.randrange(len(PEOPLE))]
        category = rng.choice(list(REASONS))
        low, high = AMOUNTS[category]
        amount = round(rng.uniform(low, high), rng.choice([0, 1, 2]))
        serial = 123456 if start == datetime(2026, 10, 15, 10, 30) else rng.randrange(10**5, 10**6)
        running = start >= datetime(2026, 11, 10) or rng.random() < 0.15
        finished = None
        if not running:
            finished = datetime.combine(
                start.date() + timedelta(days=rng.randrange(0, 4)),
                datetime.min.time(),
            ) + timedelta(hours=rng.randrange(9, 18), minutes=rng.randrange(60))
            finished = max(finished, start + timedelta(minutes=rng.randrange(40, 180)))
        records.append(
            {
                "审批编号": f"{start:%Y%m%d%H%M}{serial:09d}",
                "标题": f"{name}提交的费用报销",
                "审批状态": "审批中" if running else "已完成",
                "审批结果": None if running else ("拒绝" if rng.random() < 0.12 else "同意"),
                "发起时间": start,
                "完成时间": finished,
                "发起人姓名": name,
                "发起人部门": department,
                "当前处理人姓名": rng.choice(APPROVERS) if running else None,
                "费用类别": category,
                "总金额（元）": amount,
                "事由": rng.choice(REASONS[category]).format(city=rng.choice(CITIES)),
                "票据张数": rng.randint(1, 12),
            }
        )
    duplicate, original = DINGTALK_DUPLICATE
    again = dict(records[original - 2])  # the same approval a second time, now finished
    started = again["发起时间"]
    assert isinstance(started, datetime)
    again.update(
        审批状态="已完成",
        审批结果="同意",
        完成时间=started + timedelta(days=2, hours=3, minutes=17),
        当前处理人姓名=None,
    )
    records[duplicate - 2] = again
    bad_row, bad_text = DINGTALK_BAD_TIME
    records[bad_row - 2]["发起时间"] = bad_text
    return records


def write_dingtalk(out: Path) -> None:
    workbook = _workbook(out / "钉钉-报销审批.xlsx")
    sheet = workbook.add_worksheet("审批列表")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, DINGTALK_HEADER, bold)
    for r, record in enumerate(dingtalk_records(), start=1):
        for c, column in enumerate(DINGTALK_HEADER):
            value = record[column]
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, moment)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)  # 审批编号 stays a text cell
            else:
                sheet.write_number(r, c, value, money if column == "总金额（元）" else None)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 20)
    sheet.set_column(4, 5, 17)
    sheet.set_column(7, 7, 18)
    sheet.set_column(11, 11, 26)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, DINGTALK_ROWS, len(DINGTALK_HEADER) - 1)
    workbook.close()


# --------------------------------------------------------------------------- 致远 收文


@dataclass
class Cell:
    """One cell of the register: its value, how it is stored, and how Excel shows it."""

    value: object
    kind: str = "text"  # text | date | number

    def shown(self, date_style: str) -> str:
        if self.value is None:
            return ""
        if self.kind == "date":
            day = self.value
            assert isinstance(day, date)
            if date_style == "ymd-slash":
                return f"{day.year}/{day.month}/{day.day}"
            return day.isoformat()
        return str(self.value)


REGISTER_TITLE = "XX市XX局收文登记簿"
REGISTER_EXPORTED = "导出时间：2026-11-20 17:30"
REGISTER_UPPER = [
    "序号",
    "收文\n编号",
    "公文标题",
    "来文信息",
    "来文信息",
    "来文信息",
    " 紧急程度 ",
    "秘密等级",
    "承办人",
    "登记人",
    "登记日期",
    "备注",
]
REGISTER_LOWER = [None, None, None, "来文单位", "来文字号", "来文日期"] + [None] * 6
UNITS = {
    "某市人民政府": "某市政发",
    "某市人民政府办公室": "某市政办发",
    "某市财政局": "某市财预",
    "某省教育厅": "某省教发",
    "某市应急管理局": "某市应急发",
    "某市发展和改革委员会": "某市发改",
    "某市人力资源和社会保障局": "某市人社发",
    "某市档案局": "某市档发",
    "某市消防救援支队": "某市消支发",
    "某市数据局": "某市数据发",
}
# 来文日期 | how it is written | 来文单位 | 文号 number | 公文标题 | 紧急程度 | 秘密等级 | 备注
# ("-" for none)
REGISTER_TABLE = """
2026-09-25 | date | 某市人民政府办公室 | 88 | 关于做好2026年国庆节、中秋节期间安全生产工作的通知 | 加急 | - | -
2026-09-28 | date | 某市财政局 | 102 | 关于开展第四季度财务收支检查的通知 | 平件 | - | -
2026-09-29 | date | 某市应急管理局 | 41 | 关于开展汛后隐患排查整治的通知 | 平件 | - | -
2026-10-09 | 年月日 | 某市人民政府 | 15 | 关于印发《某市政务信息报送办法》的通知 | 平件 | - | -
2026-10-10 | date | 某市档案局 | 9 | 关于进一步加强机关档案管理工作的意见 | 平件 | - | -
2026-10-12 | dots | 某市发展和改革委员会 | 233 | 关于报送2027年重点项目计划的通知 | 加急 | - | 请于10月20日前报送
2026-10-13 | yyyymmdd | 某市人力资源和社会保障局 | 57 | 关于做好2026年度考核工作的通知 | 平件 | - | -
2026-10-14 | serial | 某省教育厅 | 118 | 关于开展教育系统安全稳定大排查的通知 | 特急 | 秘密 | 阅后退回
2026-10-15 | date | 某市数据局 | 12 | 关于征求《某市公共数据管理办法（征求意见稿）》意见的函 | 平件 | - | -
2026-10-16 | date | 某市财政局 | 117 | 关于报送2027年度部门预算的通知 | 加急 | - | -
2026-10-19 | date | 某市消防救援支队 | 30 | 关于开展冬季消防安全大检查的通知 | 平件 | - | -
2026-10-20 | slashes | 某市人民政府办公室 | 96 | 关于召开全市营商环境工作推进会的通知 | 特急 | - | 会议时间10月22日
2026-10-21 | date | 某市应急管理局 | 45 | 关于做好寒潮天气防范应对工作的紧急通知 | 特急 | - | -
2026-10-23 | date | 某市人民政府 | 18 | 关于调整某市城市规划区范围的批复 | 平件 | - | -
2026-10-26 | date | 某市档案局 | - | 关于档案数字化外包服务安全管理的提示函 | 平件 | 秘密 | 机要交换
2026-10-27 | date | 某省教育厅 | 131 | 关于组织参加全省教育信息化培训的通知 | 平件 | - | 机要交换
2026-10-28 | date | 某市人力资源和社会保障局 | 63 | 关于做好2027年度事业单位公开招聘计划申报工作的通知 | 平件 | - | -
2026-10-30 | date | 某市发展和改革委员会 | 251 | 关于开展价格监测工作的通知 | 平件 | - | -
2026-11-02 | date | 某市数据局 | 15 | 关于推进政务数据共享的实施意见 | 加急 | - | -
2026-11-04 | date | 某市财政局 | 126 | 关于做好年终结算工作的通知 | 平件 | - | -
2026-11-06 | date | 某市人民政府办公室 | 104 | 关于开展2026年度政务公开评估的通知 | 平件 | - | -
2026-11-09 | date | 某市消防救援支队 | 34 | 关于做好高层建筑消防安全管理的通知 | 加急 | - | -
2026-11-11 | date | 某市应急管理局 | 52 | 关于印发《某市安全生产约谈实施办法》的通知 | 平件 | 秘密 | -
2026-11-13 | date | 某市人民政府 | 21 | 关于表彰2026年度全市优秀公务员的决定 | 平件 | - | -
2026-11-17 | date | 某市人民政府办公室 | 112 | 关于做好2027年元旦春节期间有关工作的通知 | 加急 | - | -
"""


@dataclass
class Document:
    received: date
    style: str  # date | 年月日 | dots | slashes | yyyymmdd | serial
    unit: str
    number: int | None
    title: str
    urgency: str
    secrecy: str | None
    note: str | None


def _document(line: str) -> Document:
    fields = [None if field.strip() == "-" else field.strip() for field in line.split("|")]
    received, style, unit, number, title, urgency, secrecy, note = fields
    assert received and style and unit and title and urgency
    return Document(
        date.fromisoformat(received),
        style,
        unit,
        int(number) if number else None,
        title,
        urgency,
        secrecy,
        note,
    )


REGISTER_ROWS = [_document(line) for line in REGISTER_TABLE.strip().splitlines()]
HANDLERS = ["李强", "陈静", "赵磊", "孙婷", "周强"]
REGISTER_FIRST = 6  # spreadsheet row of the first data row
REGISTER_MERGED_HANDLER = (15, 16)  # 承办人 merged over these two rows
SERIAL_EPOCH = date(1899, 12, 30)


def register_rows() -> list[list[Cell]]:
    rng = random.Random(2026)
    rows: list[list[Cell]] = []
    for index, document in enumerate(REGISTER_ROWS):
        received, style = document.received, document.style
        spreadsheet_row = REGISTER_FIRST + index
        if spreadsheet_row in (20, 21):
            recv_no = f"7-{100 + spreadsheet_row - 20}"  # the 机要 channel numbers its own
        else:
            recv_no = f"SW-2026-{101 + index - (2 if spreadsheet_row > 21 else 0):04d}"
        doc_no = None
        if document.number is not None:
            doc_no = f"{UNITS[document.unit]}〔2026〕{document.number}号"
        written: Cell
        if style == "年月日":
            written = Cell(f"{received.year}年{received.month}月{received.day}日")
        elif style == "dots":
            written = Cell(f"{received.year}.{received.month}.{received.day}")
        elif style == "slashes":
            written = Cell(f"{received.year}/{received.month}/{received.day}")
        elif style == "yyyymmdd":
            written = Cell(int(received.strftime("%Y%m%d")), "number")
        elif style == "serial":
            written = Cell((received - SERIAL_EPOCH).days, "number")
        else:
            written = Cell(received, "date")
        handler = rng.choice(HANDLERS)
        if spreadsheet_row == REGISTER_MERGED_HANDLER[1]:
            handler = rows[-1][8].value  # type: ignore[assignment]
        registered = received + timedelta(days=rng.choice([0, 0, 1, 1, 2]))
        rows.append(
            [
                Cell(index + 1, "number"),
                Cell(recv_no),
                Cell(document.title),
                Cell(document.unit),
                Cell(doc_no),
                written,
                Cell(document.urgency),
                Cell(document.secrecy),
                Cell(handler),
                Cell("刘洋" if index % 7 == 3 else "王敏"),
                Cell(registered, "date"),
                Cell(document.note),
            ]
        )
    return rows


def write_register_xlsx(out: Path) -> None:
    workbook = _workbook(out / "致远-收文登记簿.xlsx")
    sheet = workbook.add_worksheet("收文登记簿")
    width = len(REGISTER_UPPER)
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
    right = workbook.add_format({"align": "right"})
    head = workbook.add_format(
        {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1}
    )
    iso = workbook.add_format({"num_format": "yyyy-mm-dd", "border": 1})
    slash = workbook.add_format({"num_format": "yyyy/m/d", "border": 1})
    plain = workbook.add_format({"border": 1})
    sheet.merge_range(0, 0, 0, width - 1, REGISTER_TITLE, title)
    sheet.merge_range(1, 0, 1, width - 1, REGISTER_EXPORTED, right)
    for c, (upper, lower) in enumerate(zip(REGISTER_UPPER, REGISTER_LOWER, strict=True)):
        if lower is None:
            sheet.merge_range(3, c, 4, c, upper, head)
        else:
            sheet.write_string(4, c, lower, head)
    sheet.merge_range(3, 3, 3, 5, "来文信息", head)
    rows = register_rows()
    for index, row in enumerate(rows):
        r = REGISTER_FIRST - 1 + index
        for c, cell in enumerate(row):
            if cell.value is None:
                sheet.write_blank(r, c, None, plain)
            elif cell.kind == "date":
                sheet.write_datetime(r, c, cell.value, slash if c == 10 else iso)
            elif cell.kind == "number":
                sheet.write_number(r, c, cell.value, plain)
            else:
                sheet.write_string(r, c, str(cell.value), plain)
    top, bottom = REGISTER_MERGED_HANDLER
    sheet.merge_range(top - 1, 8, bottom - 1, 8, rows[top - REGISTER_FIRST][8].value, plain)
    total = REGISTER_FIRST - 1 + len(REGISTER_ROWS)
    sheet.merge_range(total, 0, total, 1, "合　计", head)
    sheet.write_string(total, 2, f"共{len(REGISTER_ROWS)}件", plain)
    sheet.merge_range(total + 1, 0, total + 1, 3, "制表人：王敏", None)
    sheet.write_string(total + 1, 8, "审核人：李建国")
    sheet.set_row(4 - 1, 22)
    for c, chars in enumerate([5, 14, 44, 22, 22, 12, 9, 9, 8, 8, 11, 18]):
        sheet.set_column(c, c, chars)
    workbook.close()


def register_csv_rows() -> list[list[str]]:
    """The register as Excel saves it as CSV: displayed text, merges kept top-left only."""
    width = len(REGISTER_UPPER)
    rows: list[list[str]] = [[REGISTER_TITLE] + [""] * (width - 1)]
    rows.append([REGISTER_EXPORTED] + [""] * (width - 1))
    rows.append([""] * width)
    rows.append([text if c not in (4, 5) else "" for c, text in enumerate(REGISTER_UPPER)])
    rows.append([text or "" for text in REGISTER_LOWER])
    bottom = REGISTER_MERGED_HANDLER[1]
    for index, row in enumerate(register_rows()):
        texts = [cell.shown("ymd-slash" if c == 10 else "iso") for c, cell in enumerate(row)]
        if REGISTER_FIRST + index == bottom:
            texts[8] = ""
        rows.append(texts)
    rows.append(["合　计", "", f"共{len(REGISTER_ROWS)}件"] + [""] * (width - 3))
    rows.append(["制表人：王敏"] + [""] * 7 + ["审核人：李建国"] + [""] * (width - 9))
    return rows


def write_register_csv(out: Path) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(register_csv_rows())
    (out / "致远-收文登记簿-GBK.csv").write_bytes(buffer.getvalue().encode("gbk"))


# --------------------------------------------------------------------------- 泛微 收文

WEAVER_HEADER = [
    "请求标题",
    "工作流",
    "创建日期",
    "创建时间",
    "创建人",
    "当前节点",
    "未操作者",
    "收文编号",
    "来文单位",
    "紧急程度",
]
WEAVER_ROWSPAN_ROW = 9  # 来文单位 of this spreadsheet row spans the next one too


def weaver_rows() -> list[list[str]]:
    rng = random.Random(8)
    nodes = ["拟办", "领导批示", "承办", "办结"]
    rows: list[list[str]] = []
    for index, document in enumerate(REGISTER_ROWS[:20]):
        node = nodes[min(3, (19 - index) // 4)] if index < 16 else rng.choice(nodes[:3])
        if node == "办结":
            pending = ""
        elif node == "领导批示" and index % 3 == 0:
            pending = "韩志强<br>冯雪梅"  # two leaders asked at once
        else:
            pending = rng.choice(HANDLERS + APPROVERS)
        created = datetime.combine(document.received, datetime.min.time()) + timedelta(
            hours=8, minutes=rng.randrange(30, 9 * 60), seconds=rng.randrange(60)
        )
        rows.append(
            [
                f"收文办理：{document.title}",
                "收文办理流程（机要）" if document.secrecy else "收文办理流程",
                f"{created:%Y-%m-%d}",
                f"{created:%H:%M:%S}",
                "王敏",
                node,
                pending,
                f"收〔2026〕{131 + index}号",
                document.unit,
                document.urgency,
            ]
        )
    spanned = WEAVER_ROWSPAN_ROW - 3
    rows[spanned + 1][8] = rows[spanned][8]
    return rows


def write_weaver(out: Path) -> None:
    spanned = WEAVER_ROWSPAN_ROW - 3
    body: list[list[str]] = []
    for index, row in enumerate(weaver_rows()):
        cells = []
        for c, text in enumerate(row):
            if c == 8 and index == spanned + 1:
                continue  # covered by the rowspan above
            span = ' rowspan="2"' if c == 8 and index == spanned else ""
            cells.append(f"<td{span}>{_weaver_text(text)}</td>")
        body.append(cells)
    page = _weaver_page("收文流程查询", WEAVER_HEADER, body, "GBK")
    (out / "泛微-收文.xls").write_bytes(page.encode("gbk"))


def _weaver_text(text: str) -> str:
    """A cell's text as 泛微 writes it: escaped, <br> kept, &nbsp; for no-break spaces."""
    if not text:
        return "&nbsp;"
    return html.escape(text).replace("&lt;br&gt;", "<br>").replace("\xa0", "&nbsp;")


def _weaver_page(title: str, header: list[str], body: list[list[str]], charset: str) -> str:
    """泛微's "导出 Excel": an HTML table (title row, header row, ``body`` rows of <td>s)."""
    lines = [
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel" '
        'xmlns="http://www.w3.org/TR/REC-html40">',
        "<head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">',
        '<style>td{mso-number-format:"\\@";font-size:12px}</style>',
        "</head>",
        "<body>",
        '<table border="1" cellspacing="0" cellpadding="2">',
        f'<tr><td colspan="{len(header)}" align="center"><b>{html.escape(title)}</b></td></tr>',
        "<tr>" + "".join(f"<th>{html.escape(name)}</th>" for name in header) + "</tr>",
    ]
    lines += ["<tr>\r\n" + "\r\n".join(cells) + "\r\n</tr>" for cells in body]
    lines += ["</table>", "</body>", "</html>", ""]
    return "\r\n".join(lines)


# --------------------------------------------------------------------------- 20 收文, two OAs

# The same 20 来文 of a 区政府办公室, registered in 致远 and in 泛微 (autumn 2026). 来文单位
# and 来文字号 are the same in both systems but for whitespace, so `match: [doc_no,
# from_org]` pairs every row; each system numbers its 收文 its own way.
# 泛微 创建 | 来文单位 | 来文字号 | 公文标题 | 紧急程度 | 份数 |
# 泛微 当前节点 on 10-09 > 10-10 > 10-12 ("-": not created yet)
INCOMING_TABLE = """
2026-09-28 09:12 | 市政府办公室 | 某府办发〔2026〕45号 | 关于做好2026年秋冬季安全生产工作的通知 | 加急 | 2 | 加急承办 > 收文催办 > 收文答复
2026-09-28 14:36 | 市发展改革委 | 某发改投资〔2026〕187号 | 关于报送2027年政府投资项目计划的通知 | 加急 | 1 | 加急承办 > 加急承办 > 收文催办
2026-09-29 10:05 | 市财政局 | 某财预〔2026〕63号 | 关于编制2027年部门预算的通知 | 平件 | 2 | 平件承办 > 平件承办 > 收文催办
2026-09-29 15:48 | 市应急管理局 | 某应急〔2026〕58号 | 关于开展冬季森林防火隐患排查的通知 | 平件 | 1 | 收文传阅 > 归档 > 归档
2026-09-30 09:27 | 区住房城乡建设局 | 某区住建发〔2026〕31号 | 关于老旧小区改造项目资金拨付的请示 | 平件 | 3 | 领导批办 > 平件承办 > 平件承办
2026-09-30 11:03 | 市人民政府 | 某府发〔2026〕14号 | 关于印发某市优化营商环境若干措施的通知 | 平件 | 2 | 领导批办 > 收文初审 > 领导批办
2026-10-08 08:56 | 市生态环境局 | 某环发〔2026〕42号 | 关于做好2026年秋冬季大气污染防治工作的通知 | 加急 | 1 | 收文初审 > 领导批办 > 加急承办
2026-10-08 10:41 | 市人力资源社会保障局 | 某人社发〔2026〕37号 | 关于做好2026年度机关事业单位工作人员年度考核工作的通知 | 平件 | 1 | 收文初审 > 领导批办 > 平件承办
2026-10-08 15:19 | 市教育局 | 某教发〔2026〕29号 | 关于开展秋季学期校园安全专项检查的通知 | 平件 | 1 | 收文登记 > 收文初审 > 领导批办
2026-10-09 09:34 | 区农业农村局 | 某区农发〔2026〕18号 | 关于2026年秋粮收购工作情况的报告 | 平件 | 1 | 收文登记 > 领导批办 > 收文传阅
2026-10-09 10:22 | 市政府办公室 | 某府办函〔2026〕96号 | 关于征求《某市城市更新条例（草案）》意见的函 | 加急 | 1 | 收文登记 > 挂起 > 领导批办
2026-10-09 11:47 | 市卫生健康委 | 某卫健发〔2026〕51号 | 关于做好2026年秋冬季传染病防控工作的紧急通知 | 特急 | 2 | 收文初审 > 特急承办 > 收文答复
2026-10-09 17:05 | 区市场监管局 | 某区市监〔2026〕27号 | 关于开展“双十一”期间网络交易监管的请示 | 平件 | 1 | - > 收文登记 > 退文
2026-10-10 09:15 | 市数据局 | 某数据发〔2026〕11号 | 关于推进政务服务“高效办成一件事”重点事项落地的通知 | 平件 | 1 | - > 收文初审 > 领导批办
2026-10-10 10:38 | 市水利局 | 某水发〔2026〕23号 | 关于做好汛后水毁水利工程修复工作的通知 | 平件 | 1 | - > 收文登记 > 收文初审
2026-10-10 14:02 | 区财政局 | 某区财〔2026〕74号 | 关于下达2026年第三批城市基础设施专项资金的请示 | 加急 | 2 | - > 收文登记 > 领导批办
2026-10-12 08:47 | 市统计局 | 某统字〔2026〕33号 | 关于开展2026年度统计执法检查的通知 | 平件 | 1 | - > - > 收文登记
2026-10-12 09:30 | 市消防救援支队 | 某消〔2026〕41号 | 关于做好2026年冬春火灾防控工作的通知 | 加急 | 1 | - > - > 收文登记
2026-10-12 10:16 | 市政府办公室 | 某府办发〔2026〕48号 | 关于做好寒潮低温天气防范应对工作的紧急通知 | 特急 | 2 | - > - > 领导批办
2026-10-12 11:40 | 区住房城乡建设局 | 某区住建发〔2026〕34号 | 关于建筑施工领域安全生产大检查情况的报告 | 平件 | 1 | - > - > 挂起
"""
# The moments the three 泛微 exports were taken (each file is named after its day).
WEAVER_EXPORTS = [
    datetime(2026, 10, 9, 16, 30),
    datetime(2026, 10, 10, 17, 0),
    datetime(2026, 10, 12, 16, 45),
]
ZHIYUAN_EXPORTED = datetime(2026, 10, 12, 16, 50)


@dataclass
class Incoming:
    number: int  # 1..20, the order both systems registered them in
    created: datetime  # 泛微's 创建日期 + 创建时间; 致远 registered it 4 minutes earlier
    org: str
    doc_no: str
    title: str
    urgency: str  # 特急 | 加急 | 平件
    copies: int
    nodes: list[str | None]  # 泛微 当前节点 in each export; None: not created yet


def _incoming(number: int, line: str) -> Incoming:
    created, org, doc_no, title, urgency, copies, nodes = (f.strip() for f in line.split("|"))
    return Incoming(
        number,
        datetime.fromisoformat(created),
        org,
        doc_no,
        title,
        urgency,
        int(copies),
        [None if node.strip() == "-" else node.strip() for node in nodes.split(">")],
    )


INCOMING = [
    _incoming(number, line)
    for number, line in enumerate(INCOMING_TABLE.strip().splitlines(), start=1)
]
# Who holds a document once it is at a 承办 step (and after): 致远's 承办人.
UNDERTAKERS = {1: "陈静", 2: "赵磊", 3: "孙婷", 5: "周强", 7: "陈静", 8: "赵磊", 12: "孙婷"}
LEADERS = ["韩志强", "冯雪梅"]

# 致远's noise, by document number.
ZHIYUAN_HEADER = [
    "公文标题",
    "来文日期",
    "来文单位",
    "来文字号",
    "收文编号",
    "承办人",
    "紧急程度",
    "秘密等级",
    "登记人",
    "登记日期",
    "份数",
]
ZHIYUAN_FIRST_NO = 231  # 收文编号 SW-2026-0231 … SW-2026-0250
ZHIYUAN_NO_YEAR = {5, 10, 12, 13}  # 来文日期 typed as 9月30日 / 10月9日, no year
ZHIYUAN_SPACED = {  # 来文单位 with stray spaces (ASCII, and one full-width U+3000)
    2: " 市发展改革委",
    5: "区住房城乡建设局 ",
    14: "市数据局\u3000",
    18: " 市消防救援支队 ",
}
ZHIYUAN_COPIES_TEXT = {3: "2份", 8: "1 份", 11: "1 份", 16: "2份"}  # 份数 typed as text
ZHIYUAN_UTC = 10  # 登记日期 as the text 2026-10-09T01:30:00Z (09:30 in Beijing)
ZHIYUAN_BY_LIU = {7, 8, 9, 15, 17}  # registered by 刘洋, who leaves 秘密等级 empty
ZHIYUAN_URGENCY = {"平件": "普通"}  # 致远's word for a document that is not urgent

WEAVER_DAY_HEADER = [
    "请求标题",
    "工作流",
    "创建日期",
    "创建时间",
    "创建人",
    "当前节点",
    "未操作者",
    "来文单位",
    "来文字号",
    "紧急程度",
    "收文编号",
]
WEAVER_FIRST_NO = 401  # 收文编号 收〔2026〕401号 … 收〔2026〕420号
WEAVER_NBSP = 3  # 来文单位 ends in &nbsp;


def _registrar(document: Incoming) -> str:
    return "刘洋" if document.number in ZHIYUAN_BY_LIU else "王敏"


def zhiyuan_rows() -> list[list[object]]:
    """The 致远 收文登记簿 as exported on 2026-10-12: one row a document, oldest first."""
    rows: list[list[object]] = []
    for document in INCOMING:
        n = document.number
        registered = document.created - timedelta(minutes=4)
        received: object = registered.date()
        if n in ZHIYUAN_NO_YEAR:
            received = f"{registered.month}月{registered.day}日"
        moment: object = registered
        if n == ZHIYUAN_UTC:
            moment = f"{registered - timedelta(hours=8):%Y-%m-%dT%H:%M:%SZ}"
        after_instruct = document.nodes[-1] not in ("收文登记", "收文初审", "领导批办", "挂起")
        rows.append(
            [
                document.title,
                received,
                ZHIYUAN_SPACED.get(n, document.org),
                document.doc_no,
                f"SW-2026-{ZHIYUAN_FIRST_NO + n - 1:04d}",
                UNDERTAKERS.get(n) if after_instruct else None,
                ZHIYUAN_URGENCY.get(document.urgency, document.urgency),
                None if n in ZHIYUAN_BY_LIU else "无",
                _registrar(document),
                moment,
                ZHIYUAN_COPIES_TEXT.get(n, document.copies),
            ]
        )
    return rows


def write_zhiyuan_day(out: Path) -> None:
    name = f"致远-收文登记簿-{ZHIYUAN_EXPORTED:%Y-%m-%d}.xlsx"
    workbook = _workbook(out / name, created=ZHIYUAN_EXPORTED)
    sheet = workbook.add_worksheet("收文登记簿")
    head = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ZHIYUAN_HEADER, head)
    rows = zhiyuan_rows()
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, moment)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    for c, chars in enumerate([50, 11, 20, 22, 14, 8, 9, 9, 8, 17, 6]):
        sheet.set_column(c, c, chars)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(ZHIYUAN_HEADER) - 1)
    workbook.close()


def _pending(document: Incoming, node: str) -> str:
    """泛微's 未操作者: who has the document at ``node`` (<br> between several)."""
    if node in ("收文登记", "退文"):
        return _registrar(document)
    if node in ("收文初审", "挂起"):
        return "李建国"  # 办公室主任
    if node == "领导批办":
        if document.urgency == "特急":
            return "<br>".join(LEADERS)  # both leaders asked at once
        return LEADERS[document.number % 2]
    if node == "收文传阅":
        return "<br>".join([*LEADERS, "郑刚"])
    if node == "收文催办":
        return "何俊"  # 督办员
    if node == "归档":
        return ""
    return UNDERTAKERS[document.number]  # 承办 and 答复


def weaver_day_rows(day: int) -> list[list[str]]:
    """泛微's 收文流程查询 in export ``day`` (0, 1, 2): the flows created by then, newest first."""
    rows: list[list[str]] = []
    for document in reversed(INCOMING):
        node = document.nodes[day]
        if node is None:
            continue
        org = document.org + ("\xa0" if document.number == WEAVER_NBSP else "")
        rows.append(
            [
                document.title,
                "收文办理流程",
                f"{document.created:%Y-%m-%d}",
                f"{document.created:%H:%M:%S}",
                _registrar(document),
                node,
                _pending(document, node),
                org,
                document.doc_no,
                document.urgency,
                f"收〔2026〕{WEAVER_FIRST_NO + document.number - 1}号",
            ]
        )
    return rows


def write_weaver_days(out: Path) -> None:
    for day, exported in enumerate(WEAVER_EXPORTS):
        body = [[f"<td>{_weaver_text(text)}</td>" for text in row] for row in weaver_day_rows(day)]
        title = f"收文流程查询（导出时间：{exported:%Y-%m-%d %H:%M}）"
        page = _weaver_page(title, WEAVER_DAY_HEADER, body, "UTF-8")
        (out / f"泛微-收文-{exported:%Y-%m-%d}.xls").write_bytes(page.encode("utf-8"))


# --------------------------------------------------------------------------- 旧版 .xls

LEGACY_HEADER = [
    "单据编号",
    "报销人",
    "所属部门",
    "费用类别",
    "报销金额",
    "报销日期",
    "事由",
    "票据张数",
    "联系电话",
]
LEGACY_ROWS = 20
LEGACY_TEXT_AMOUNT_ROW = 9  # 报销金额 typed as text, with a thousands separator
LEGACY_YYYYMMDD_ROW = 14  # 报销日期 as the number 20261030
LEGACY_MOBILE_ROW = 5  # 联系电话 as a number cell


def legacy_rows() -> list[list[object]]:
    rng = random.Random(123)
    rows: list[list[object]] = []
    for index in range(LEGACY_ROWS):
        name, department = PEOPLE[index % len(PEOPLE)]
        category = rng.choice(list(REASONS))
        low, high = AMOUNTS[category]
        spent = date(2026, 10, 8) + timedelta(days=index * 2 + rng.randrange(2))
        amount: object = round(rng.uniform(low, high), 2)
        phone: object = f"020{rng.randrange(10**7, 9 * 10**7):08d}"
        spreadsheet_row = 3 + index
        day: object = spent
        if spreadsheet_row == LEGACY_TEXT_AMOUNT_ROW:
            amount = "1,280.00"
        if spreadsheet_row == LEGACY_YYYYMMDD_ROW:
            day = int(spent.strftime("%Y%m%d"))
        if spreadsheet_row == LEGACY_MOBILE_ROW:
            phone = 13800002222.0
        rows.append(
            [
                f"{123 + index:06d}",
                name,
                department.split("-")[0],
                category,
                amount,
                day,
                rng.choice(REASONS[category]).format(city=rng.choice(CITIES)),
                rng.randint(1, 10),
                phone,
            ]
        )
    return rows


def write_legacy(out: Path) -> bool:
    try:
        import xlwt  # type: ignore[import-untyped]
    except ImportError:
        return False
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("报销明细")
    title = xlwt.easyxf("font: bold on, height 320; align: horiz center")
    head = xlwt.easyxf("font: bold on; borders: left thin, right thin, top thin, bottom thin")
    day_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    money = xlwt.easyxf(num_format_str="#,##0.00")
    sheet.write_merge(0, 0, 0, len(LEGACY_HEADER) - 1, "2026年第四季度费用报销明细", title)
    for c, name in enumerate(LEGACY_HEADER):
        sheet.write(1, c, name, head)
    for index, row in enumerate(legacy_rows()):
        r = 2 + index
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, day_style)
            elif c == 4 and isinstance(value, float):
                sheet.write(r, c, value, money)
            else:
                sheet.write(r, c, value)
    total = 2 + LEGACY_ROWS
    sheet.write(total, 0, "合计")
    sheet.write(total, 4, xlwt.Formula(f"SUM(E3:E{total})"), money)  # no cached value
    sheet.write(total + 1, 0, "制表：财务部 王敏")
    sheet.write(total + 1, 6, "审核：")
    book.save(str(out / "报销-旧版.xls"))
    return True


# --------------------------------------------------------------------------- 收文登记台账

# A 收文登记台账 as the office's clerk keeps it in Excel/WPS, for `procdoc adopt`
# (samples/registers/). 序号 1-18 are September's 来文; 序号 19-30 are documents 1-12 of
# INCOMING, with the same 来文单位 and 文号, so imports after the adoption can match them.
TAIZHANG_TITLE = "2026年收文登记台账"
TAIZHANG_SHEET = "收文台账"
TAIZHANG_HEADER = [
    "序号",
    "收文日期",
    "来文单位",
    "文号",
    "标题",
    "承办\n科室",
    "办理情况",
    "备 注",
]
TAIZHANG_STATES = ["办理中", "已办结"]  # the drop-down on 办理情况
TAIZHANG_SAVED = datetime(2026, 10, 12, 17, 20)
# 收文日期 (a dotted date is text as typed) | 来文单位 | 文号 | 标题 | 承办科室 | 办理情况 | 备注
TAIZHANG_SEPTEMBER = """
2026-09-01 | 市政府办公室 | 某府办发〔2026〕38号 | 关于做好2026年秋季学期开学工作的通知 | 综合科 | 已办结 | -
2026-09-02 | 市应急管理局 | 某应急〔2026〕49号 | 关于开展中秋国庆期间安全生产大检查的通知 | 值班室 | 已办结 | -
2026-09-03 | 市财政局 | 某财预〔2026〕55号 | 关于做好2026年预算执行中期评估的通知 | 综合科 | 已办结 | -
2026-09-07 | 区住房城乡建设局 | 某区住建发〔2026〕26号 | 关于申请拨付城中村改造前期工作经费的请示 | 秘书科 | 已办结 | 已报区长审批
2026.9.8 | 市人民政府 | 某府发〔2026〕11号 | 关于印发某市推动大规模设备更新实施方案的通知 | 综合科 | 已办结 | -
2026-09-09 | 市发展改革委 | 某发改价格〔2026〕142号 | 关于开展2026年度成本监审工作的通知 | 综合科 | 已办结 | -
2026-09-10 | 市人力资源社会保障局 | 某人社发〔2026〕31号 | 关于开展2026年根治欠薪冬季专项行动的通知 | 综合科 | 办理中 | -
2026-09-11 | 市政府办公室 | 某府办函〔2026〕82号 | 关于报送2026年政务公开工作要点落实情况的函 | 政务公开办 | 已办结 | -
2026-09-14 | 市生态环境局 | 某环函[2026]27号 | 关于中央生态环境保护督察反馈问题整改情况的函 | 督查室 | 办理中 | -
2026-09-15 | 区卫生健康局 | 某区卫健发〔2026〕19号 | 关于2026年上半年基本公共卫生服务项目绩效评价情况的报告 | 秘书科 | 已办结 | 阅件
2026.9.16 | 市数据局 | 某数据发〔2026〕9号 | 关于开展政务信息系统整合共享情况检查的通知 | 信息科 | 已办结 | -
2026-09-17 | 市政府办公室 | - | 关于召开全市秋冬季森林防火工作电视电话会议的通知 | 值班室 | 已办结 | 电话通知，无文号
2026-09-18 | 区教育局 | 某区教发〔2026〕33号 | 关于中小学校舍安全隐患整改资金的请示 | 秘书科 | 办理中 | -
2026-09-20 | 市市场监管局 | 某市监发〔2026〕47号 | 关于开展食品安全“守查保”专项行动的通知 | 综合科 | 已办结 | 9月20日（星期日）调休上班
2026-09-21 | 市统计局 | 某统字〔2026〕28号 | 关于做好2026年度统计年报布置工作的通知 | 信息科 | 已办结 | -
2026-09-22 | 区财政局 | 某区财〔2026〕66号 | 关于2026年1—8月财政收支情况的报告 | 秘书科 | 已办结 | 阅件
2026-09-23 | 市司法局 | 某司发〔2026〕21号 | 关于开展行政规范性文件清理工作的通知 | 综合科 | 办理中 | 请于10月15日前报送
2026-09-24 | 市政府办公室 | 某府办发〔2026〕42号 | 关于做好2026年中秋节国庆节期间有关工作的通知 | 值班室 | 已办结 | -
"""
# INCOMING number | 收文日期 as typed ("-": a real date) | 承办科室 | 办理情况 | 备注
TAIZHANG_OCTOBER = """
1 | - | 值班室 | 办理中 | -
2 | - | 综合科 | 办理中 | 请于10月20日前报送
3 | - | 综合科 | 办理中 | -
4 | - | 值班室 | 已办结 | 阅件
5 | 2026.9.30 | 秘书科 | 办理中 | -
6 | - | 综合科 | - | -
7 | - | 督查室 | - | -
8 | - | 秘书科 | - | -
9 | - | - | - | -
10 | 2026.10.9 | - | - | 阅件
11 | - | - | - | -
12 | - | 综合科 | 办理中 | 特急，当日送领导
"""
TAIZHANG_MERGED = [(5, 7, 5), (19, 20, 1)]  # bad variant: (first 序号, last 序号, column)
TAIZHANG_GROUP = (2, 3, "来文信息")  # bad variant: a group cell over these header columns


def _dash(text: str) -> str | None:
    return None if text.strip() == "-" else text.strip()


def taizhang_rows() -> list[list[object]]:
    """序号, 收文日期 (a date, or text as typed), 来文单位, 文号, 标题, 承办科室, 办理情况, 备注."""
    rows: list[list[object]] = []
    for line in TAIZHANG_SEPTEMBER.strip().splitlines():
        day, org, doc_no, title, office, state, note = (_dash(f) for f in line.split("|"))
        assert day
        received: object = day if "." in day else date.fromisoformat(day)
        rows.append([len(rows) + 1, received, org, doc_no, title, office, state, note])
    for line in TAIZHANG_OCTOBER.strip().splitlines():
        number, typed, office, state, note = (_dash(f) for f in line.split("|"))
        assert number
        document = INCOMING[int(number) - 1]
        received = typed or document.created.date()
        rows.append(
            [
                len(rows) + 1,
                received,
                document.org,
                document.doc_no,
                document.title,
                office,
                state,
                note,
            ]
        )
    return rows


def write_taizhang(path: Path, variant: str = "good") -> None:
    """The register; ``variant`` "merged-data" merges cells among the data rows and
    "two-row-header" puts a merged group cell over a second header row."""
    workbook = _workbook(path, author="王敏", created=TAIZHANG_SAVED, title=TAIZHANG_TITLE)
    sheet = workbook.add_worksheet(TAIZHANG_SHEET)
    song = {"font_name": "宋体", "font_size": 11}
    edge = {**song, "border": 1, "valign": "vcenter"}
    title = workbook.add_format(
        {"font_name": "黑体", "font_size": 18, "bold": True, "align": "center", "valign": "vcenter"}
    )
    head = workbook.add_format(
        {**edge, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}
    )
    plain = workbook.add_format(edge)
    centre = workbook.add_format({**edge, "align": "center"})
    wrap = workbook.add_format({**edge, "text_wrap": True})
    day = workbook.add_format({**edge, "align": "center", "num_format": 'yyyy"年"m"月"d"日"'})
    width = len(TAIZHANG_HEADER)
    header_rows = 2 if variant == "two-row-header" else 1
    first = 1 + header_rows  # 0-based row of the first data row
    sheet.merge_range(0, 0, 0, width - 1, TAIZHANG_TITLE, title)
    sheet.set_row(0, 36)
    if header_rows == 1:
        sheet.write_row(1, 0, TAIZHANG_HEADER, head)
        sheet.set_row(1, 30)
    else:
        left, right, group = TAIZHANG_GROUP
        for c, label in enumerate(TAIZHANG_HEADER):
            if left <= c <= right:
                sheet.write_string(2, c, label, head)
            else:
                sheet.merge_range(1, c, 2, c, label, head)
        sheet.merge_range(1, left, 1, right, group, head)
    styles = [centre, day, plain, plain, wrap, centre, centre, wrap]
    rows = taizhang_rows()
    for index, row in enumerate(rows):
        r = first + index
        for c, value in enumerate(row):
            style = styles[c]
            if value is None:
                sheet.write_blank(r, c, None, style)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, value, style)
            elif isinstance(value, int):
                sheet.write_number(r, c, value, style)
            else:
                sheet.write_string(r, c, str(value), style)
    if variant == "merged-data":
        for top, bottom, c in TAIZHANG_MERGED:
            value = rows[top - 1][c]
            cell_style = styles[c]
            if isinstance(value, date):
                sheet.merge_range(first + top - 1, c, first + bottom - 1, c, "", cell_style)
                sheet.write_datetime(first + top - 1, c, value, cell_style)
            else:
                sheet.merge_range(first + top - 1, c, first + bottom - 1, c, str(value), cell_style)
    state_column = TAIZHANG_HEADER.index("办理情况")
    sheet.data_validation(
        first,
        state_column,
        first + 499,
        state_column,
        {
            "validate": "list",
            "source": TAIZHANG_STATES,
            "error_title": "办理情况",
            "error_message": "请从下拉列表中选择：办理中、已办结",
        },
    )
    for c, chars in enumerate([6, 16, 20, 22, 50, 10, 10, 22]):
        sheet.set_column(c, c, chars)
    sheet.freeze_panes(first, 0)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    sheet.center_horizontally()
    sheet.repeat_rows(0, first - 1)
    sheet.fit_to_pages(1, 0)
    sheet.set_footer("&C第 &P 页 共 &N 页")
    sheet.print_area(0, 0, first + len(rows) - 1, width - 1)
    workbook.close()


def write_registers(out: Path) -> None:
    write_taizhang(out / f"{TAIZHANG_TITLE}.xlsx")
    write_taizhang(out / f"{TAIZHANG_TITLE}-错例-数据行合并.xlsx", "merged-data")
    write_taizhang(out / f"{TAIZHANG_TITLE}-错例-两行表头.xlsx", "two-row-header")


# --------------------------------------------------------------------------- helpers


def _workbook(
    path: Path, *, author: str = "procdoc samples", created: datetime = CREATED, title: str = ""
) -> xlsxwriter.Workbook:
    """A workbook whose properties are fixed, so the same script writes the same bytes."""
    workbook = xlsxwriter.Workbook(str(path))
    properties: dict[str, object] = {"author": author, "created": created}
    if title:
        properties["title"] = title
    workbook.set_properties(properties)
    return workbook


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    registers: Path | None = None  # OA_DIR alone: the registers are not written
    if len(argv) == 1:
        registers = REGISTERS
    elif len(argv) > 2:
        registers = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    write_dingtalk(out)
    write_register_xlsx(out)
    write_register_csv(out)
    write_weaver(out)
    write_zhiyuan_day(out)
    write_weaver_days(out)
    if not write_legacy(out):
        print("xlwt is not installed: 报销-旧版.xls left as it is", file=sys.stderr)
    print(f"samples written to {out}", file=sys.stderr)
    if registers is not None:
        registers.mkdir(parents=True, exist_ok=True)
        write_registers(registers)
        print(f"registers written to {registers}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
