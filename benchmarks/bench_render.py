"""Throughput of .docx rendering: docxtpl per document vs procdoc's compiled templates.

    .venv/bin/python benchmarks/bench_render.py [--n 1000] [--repeat 1]
        [--template templates/accept_notice.docx] [--start-method spawn] [--dir DIR]

Builds a one-page 受理告知书-like template with python-docx (A4, 仿宋_GB2312 body with
w:eastAsia, red 发文机关标志 and rule, a title, 10 body placeholders one of them split over
two runs, an inline if, a 4-column table with a {%tr for %} loop of 2-6 rows, the case
number in the header and a PAGE field in the footer), or takes --template and fills every
variable it uses with text. Then renders N documents to disk three ways:

  (a) docxtpl, naive: DocxTemplate(path), render(ctx, autoescape=True), save, per document
  (b) procdoc CompiledTemplate: compile once, render and write atomically per document
  (c) procdoc render_batch with 2 worker processes

and prints documents per second and the ratio to (a). 1 context in 10 has `& < > "` in the
applicant's name. A few outputs of each way are opened with python-docx and checked.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docxtpl import DocxTemplate

from procdoc.docx import CompiledTemplate, engine, render_batch, template_variables
from procdoc.docx.engine import write_atomic

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
RED = RGBColor(0xFF, 0x00, 0x00)


def _run(paragraph: Any, text: str, *, font: str = BODY_FONT, size: float = 16) -> Any:
    run = paragraph.add_run(text)
    run.font.name = "Times New Roman"
    run.font.size = Pt(size)
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    fonts.set(qn("w:eastAsia"), font)
    return run


def _red_rule(paragraph: Any) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", "12"),
        ("w:space", "1"),
        ("w:color", "FF0000"),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_field(paragraph: Any) -> None:
    _run(paragraph, "— ", font="宋体", size=14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
    _run(paragraph, "1", font="宋体", size=14)
    end = paragraph.add_run()
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), "end")
    end._element.append(element)
    _run(paragraph, " —", font="宋体", size=14)


def build_template(path: Path) -> None:
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    mark = document.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(mark, "{{ office }}", font=TITLE_FONT, size=26).font.color.rgb = RED
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, "{{ org_short }}〔{{ year }}〕{{ seq }}号")
    _red_rule(number)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, "受理告知书", font=TITLE_FONT, size=22)

    addressee = document.add_paragraph()
    _run(addressee, "{{ appl")  # split over two runs, as Word does
    _run(addressee, "icant }}：")
    body = document.add_paragraph()
    body.paragraph_format.first_line_indent = Pt(32)
    _run(
        body,
        "你（单位）于{{ received_cn }}提交的{{ matter }}申请材料收悉。经审查，"
        "{% if complete %}材料齐全，符合法定形式，决定予以受理。"
        "{% else %}材料需要补正，请于{{ due_cn }}前补齐。{% endif %}",
    )
    _run(document.add_paragraph(), "收到的材料如下：")

    table = document.add_table(rows=4, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["序号", "材料名称", "份数", "备注"], strict=True):
        _run(cell.paragraphs[0], text, size=14)
    _run(table.rows[1].cells[0].paragraphs[0], "{%tr for m in materials %}", size=14)
    cells = ["{{ loop.index }}", "{{ m.name }}", "{{ m.copies }}", "{{ m.note }}"]
    for cell, text in zip(table.rows[2].cells, cells, strict=True):
        _run(cell.paragraphs[0], text, size=14)
    _run(table.rows[3].cells[0].paragraphs[0], "{%tr endfor %}", size=14)

    _run(document.add_paragraph(), "联系电话：{{ phone }}")
    for text in ("{{ office }}", "{{ today_cn }}"):
        signature = document.add_paragraph()
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(signature, text)

    _run(section.header.paragraphs[0], "编号：{{ case_no }}", size=10.5)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(footer)
    document.save(path)


MATERIALS = ["身份证复印件", "申请书", "授权委托书", "营业执照副本", "情况说明", "现场照片"]


def notice_contexts(count: int) -> list[dict[str, Any]]:
    rng = random.Random(20261121)
    contexts = []
    for i in range(1, count + 1):
        name = f"申请人{i:04d}"
        if i % 10 == 0:
            name = f'张三&李四<华夏>"{i}"食品有限公司'
        rows = rng.randint(2, 6)
        contexts.append(
            {
                "office": "某市信访局",
                "org_short": "某信受",
                "year": 2026,
                "seq": i,
                "applicant": name,
                "received_cn": "2026年11月20日",
                "matter": rng.choice(["行政许可", "信访事项", "政府信息公开"]),
                "complete": i % 3 != 0,
                "due_cn": "2026年12月4日",
                "materials": [
                    {"name": MATERIALS[k], "copies": k + 1, "note": "复印件" if k % 2 else "原件"}
                    for k in range(rows)
                ],
                "phone": "0571-8888 0000",
                "today_cn": "2026年11月21日",
                "case_no": f"XF-2026-{i:04d}",
            }
        )
    return contexts


def sample_contexts(template: Path, count: int) -> list[dict[str, Any]]:
    names = sorted(template_variables(template))
    return [
        {name: (f'{name}&<>"{i}' if i % 10 == 0 else f"{name}{i}") for name in names}
        for i in range(1, count + 1)
    ]


def naive(template: Path, jobs: list[tuple[Path, dict[str, Any]]]) -> None:
    for out, context in jobs:
        document = DocxTemplate(template)
        document.render(context, autoescape=True)
        document.save(out)


def compiled(template: Path, jobs: list[tuple[Path, dict[str, Any]]]) -> None:
    prepared = CompiledTemplate.compile(template)
    for out, context in jobs:
        write_atomic(out, prepared.render(context))


def batch(template: Path, jobs: list[tuple[Path, dict[str, Any]]]) -> None:
    render_batch(template, jobs, workers=2)


def check(jobs: list[tuple[Path, dict[str, Any]]], field: str) -> None:
    for out, context in jobs[:: max(1, len(jobs) // 5)]:
        text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        if str(context[field]) not in text:
            raise SystemExit(f"{out.name}: {context[field]!r} not in the document")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="documents per way (1000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per way; the median counts")
    parser.add_argument("--template", type=Path, help="an existing template instead")
    parser.add_argument("--start-method", choices=["fork", "spawn", "forkserver"])
    parser.add_argument(
        "--dir", type=Path, default=Path(), help="where the output folder goes (the current one)"
    )
    args = parser.parse_args()
    engine._MP_START_METHOD = args.start_method

    work = Path(tempfile.mkdtemp(prefix=".procdoc-bench-", dir=args.dir))
    try:
        if args.template:
            template = args.template
            contexts = sample_contexts(template, args.n)
            field = sorted(contexts[0])[0]
        else:
            template = work / "accept_notice.docx"
            build_template(template)
            contexts = notice_contexts(args.n)
            field = "applicant"
        ways: list[tuple[str, Callable[[Path, list[tuple[Path, dict[str, Any]]]], None]]] = [
            ("(a) docxtpl, naive", naive),
            ("(b) procdoc compiled", compiled),
            ("(c) procdoc render_batch x2", batch),
        ]
        print(f"template: {template.name}, {template.stat().st_size:,} bytes; N = {args.n}")
        print(f"python {sys.version.split()[0]}, start method {args.start_method or 'default'}")
        rates: dict[str, float] = {}
        for label, way in ways:
            seconds = []
            for attempt in range(args.repeat):
                folder = work / f"out-{label[1]}-{attempt}"
                folder.mkdir()
                jobs = [(folder / f"{i:05d}.docx", ctx) for i, ctx in enumerate(contexts)]
                start = time.perf_counter()
                way(template, jobs)
                seconds.append(time.perf_counter() - start)
                check(jobs, field)
                shutil.rmtree(folder)
            rates[label] = args.n / statistics.median(seconds)
        base = rates["(a) docxtpl, naive"]
        for label, rate in rates.items():
            per_doc = 1000 / rate
            print(f"{label:30} {rate:8.0f} docs/s  {per_doc:7.2f} ms/doc  {rate / base:6.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
