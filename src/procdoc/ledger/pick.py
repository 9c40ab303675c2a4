"""The rows of a large worksheet that hold one text, read without parsing the sheet.

A cold `show` at 100,000 cases read 流转记录 whole (200,000 rows, 69 MB of XML) beside the
register, to give one case its few rows: calamine parsing it took 0.9 s of the second
core, which the register's parts wanted too (2.6 s in all, 1.17 x R; 1.8 s when 流转记录
came from the read cache). Here the sheet's XML is inflated (ISA-L, 0.05 s) and searched in
C, for rich text and for the case's id (0.05 s each), and the rows holding the id, with the
sheet's top rows (where its header is looked for), make a small sheet that calamine reads as
it reads any: dates by the workbook's styles, strings by its shared strings, in the same
code. Those rows are numbered one after the other there, and get their own numbers back
after (a message names the row of the ledger). The cold `show`: 1.93 s (0.87 x R), its
peak 195 MB where it was 235.

The search may find more rows than the id's (a 意见 that names the case): the caller
compares the id column as it always does. It must never find fewer, so it is made only
where the id reads the same in the XML, and anything else gives None (the sheet is then
read whole, as always):

- an id that XML or Excel escapes (``& < > " '``, ``_x``), or one that reads as a number
  (``12`` may be kept as ``1.2E1``), or with spaces around it; a part not in UTF-8; an id
  beyond ASCII in a part with character references (openpyxl writes every character
  beyond ASCII so: ``&#32534;``; no writer known writes ASCII letters or digits so);
- rich text in the sheet (an inline string in runs, ``</r>``), which may cut the id in two;
  rich items of the shared strings are read without their tags;
- a sheet whose rows are not numbered, rows picked out of order (a sheet's rows ascend:
  Excel repairs a file whose rows do not), a member neither stored nor deflated, anything
  the workbook's parts do not say plainly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from procdoc.ledger import zipraw
from procdoc.ledger.split import NUMBERED, ROOT, SHEET_DATA, PartZips, kept_members

_ESCAPED = frozenset("&<>\"'")

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROW_NUMBER = re.compile(rb"(<" + _NS + rb"""row\s[^>]*?\br\s*=\s*["'])(\d+)""")
_CELL_REF = re.compile(rb"(<" + _NS + rb"""c\s[^>]*?\br\s*=\s*["'][A-Za-z]{1,3})\d+""")
_SST_ROOT = re.compile(rb"<(" + _NS + rb")sst[\s>]")
_TAG = re.compile(rb"<[^>]*>")


@dataclass
class Picked:
    """A workbook holding the rows picked, and where they stand in the sheet."""

    data: bytes
    """The workbook (.xlsx bytes): the sheet's top rows, then the rows picked."""
    numbers: dict[int, int]
    """A row's number in :attr:`data` -> its number in the sheet."""


def searchable(word: str) -> bool:
    """Whether every cell reading as ``word`` holds it as it is in the XML."""
    if not word or word != word.strip() or "_x" in word or _ESCAPED.intersection(word):
        return False
    try:
        float(word)
    except ValueError:
        return True
    return False


def pick_rows(path: Path, sheet: str, word: str, keep: int) -> Picked | None:
    """The rows of the worksheet ``sheet`` of the workbook at ``path`` that may hold a cell
    reading as ``word``, with every row numbered up to ``keep`` (the top rows, where a
    header is looked for); None where that cannot be told from the XML alone (see the
    module's text): read the sheet whole."""
    from procdoc.ledger.parts import Package

    if not searchable(word):
        return None
    needle = word.encode()
    try:
        with open(path, "rb") as f:
            members, _comment = zipraw.read_directory(f)
            pkg = Package(f, members, path.name)
            ref = next((r for r in pkg.sheets if r.name == sheet), None)
            member = pkg.member(ref.path) if ref is not None and ref.path else None
            if (
                ref is None
                or ref.kind != "worksheet"
                or member is None
                or member.method not in (0, 8)
            ):
                return None
            indexes: list[int] = []
            if pkg.shared_strings is not None:
                table = pkg.member(pkg.shared_strings)
                if table is not None:
                    strings = zipraw.read_member(f, table)
                    found = _string_indexes(strings, needle) if _literal(strings, word) else None
                    if found is None:
                        return None
                    indexes = found
            xml = zipraw.read_member(f, member)
            if not _literal(xml, word):
                return None
            zips = PartZips.of(f, kept_members(members, member), member.name)
    except Exception:  # anything odd (a damaged zip, a part missing): read it whole
        return None
    return _pick(xml, [needle], indexes, keep, zips)


_DECLARED = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _literal(xml: bytes, word: str) -> bool:
    """Whether ``word`` stands in the part ``xml`` as its UTF-8 bytes wherever a cell holds
    it: the part is UTF-8, and, for a word beyond ASCII, holds no character reference
    (openpyxl writes 编号 as ``&#32534;&#21495;``)."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16
        return False
    declared = _DECLARED.match(xml, 3 if xml.startswith(b"\xef\xbb\xbf") else 0)
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    return word.isascii() or b"&#" not in xml


def _string_indexes(table: bytes, needle: bytes) -> list[int] | None:
    """The indexes of the shared strings holding ``needle`` (a rich item's text read
    without its run tags); None when the table is not plain enough to count its items."""
    root = _SST_ROOT.search(table)
    if root is None:
        return None
    item = re.compile(rb"<" + re.escape(root.group(1)) + rb"si[\s/>]")
    starts = [m.start() for m in item.finditer(table, root.end())]
    hits: set[int] = set()
    at = table.find(needle)
    while at >= 0:
        hits.add(_index_at(starts, at))
        at = table.find(needle, at + 1)
    run_end = b"</" + root.group(1) + b"r>"
    at = table.find(run_end)
    while at >= 0:  # an item in runs: its text is cut between tags
        i = _index_at(starts, at)
        end = starts[i + 1] if i + 1 < len(starts) else len(table)
        if needle in _TAG.sub(b"", table[starts[i] : end]):
            hits.add(i)
        at = table.find(run_end, end)
    hits.discard(-1)
    return sorted(hits)


def _index_at(starts: list[int], at: int) -> int:
    """The index of the item (starting at ``starts``) that holds position ``at``."""
    import bisect

    return bisect.bisect_right(starts, at) - 1


def _pick(
    xml: bytes, needles: list[bytes], indexes: list[int], keep: int, zips: PartZips
) -> Picked | None:
    found = SHEET_DATA.search(xml)
    if found is None or found.group(2):  # no rows at all
        return None
    root = ROOT.search(xml, 0, found.start())
    if root is None:
        return None
    ns = found.group(1)
    row_tag, row_end = b"<" + ns + b"row", b"</" + ns + b"row>"
    start = found.end()
    stop = xml.rfind(b"</" + ns + b"sheetData>", start)
    if stop < 0 or xml.find(b"</" + ns + b"r>", start, stop) >= 0:  # rich text: read it whole
        return None
    needles = needles + [b"<" + ns + b"v>%d</" % i + ns + b"v>" for i in indexes]
    # the top rows, numbered up to keep, kept as they are
    top = start
    while True:
        at = xml.find(row_tag, top, stop)
        if at < 0:
            break
        number = _row_number(xml, at)
        if number is None:
            return None
        if number > keep:
            break
        end = _row_close(xml, at, row_tag, row_end, stop)
        if end < 0:
            return None
        top = end
    rows: dict[int, int] = {}  # where a row picked starts -> where it ends
    for needle in needles:
        at = xml.find(needle, top, stop)
        while at >= 0:
            begin = xml.rfind(row_tag, top, at)
            if begin < 0:
                return None
            end = _row_close(xml, begin, row_tag, row_end, stop)
            if end < at + len(needle):
                return None
            rows[begin] = end
            at = xml.find(needle, end, stop)
    numbers: dict[int, int] = {}
    parts = [xml[: found.end()], xml[start:top]]
    last = keep
    for begin in sorted(rows):
        real = _row_number(xml, begin)
        if real is None or real <= last:  # not numbered, or out of order
            return None
        last = real
        mine = keep + 1 + len(numbers)
        numbers[mine] = real
        renumber = rb"\g<1>%d" % mine
        row = _ROW_NUMBER.sub(renumber, xml[begin : rows[begin]], count=1)
        parts.append(_CELL_REF.sub(renumber, row))
    parts.append(b"</" + ns + b"sheetData></" + root.group(1) + b">")
    body = b"".join(parts)
    return Picked(zips.zip(body, b"", b""), numbers)


def _row_number(xml: bytes, at: int) -> int | None:
    """The number of the row whose tag starts at ``at``; None when it has none."""
    if NUMBERED.match(xml, at) is None:
        return None
    m = _ROW_NUMBER.match(xml, at)
    return int(m.group(2)) if m is not None else None


def _row_close(xml: bytes, at: int, row_tag: bytes, row_end: bytes, stop: int) -> int:
    """Where the row whose tag starts at ``at`` ends (after ``</row>``, or its tag's
    ``/>``); -1 when another row starts first or the sheet's data ends first."""
    close = xml.find(b">", at, stop)
    if close < 0:
        return -1
    if xml[close - 1 : close] == b"/":
        return close + 1
    end = xml.find(row_end, close, stop)
    following = xml.find(row_tag, close, stop)
    if end < 0 or 0 <= following < end:
        return -1
    return end + len(row_end)
