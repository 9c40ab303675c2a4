"""The rows of a large worksheet that hold one text, read without parsing the sheet.

A cold `show` at 100,000 cases read 流转记录 whole (200,000 rows, 69 MB of XML) beside the
register, to give one case its few rows: calamine parsing it took 0.9 s of the second
core, which the register's parts wanted too (2.6 s in all, 1.17 x R; 1.8 s when 流转记录
came from the read cache). Here the sheet's XML is inflated (ISA-L, 0.05 s) and searched in
C for the case's id and for what could hide it (0.15 s in all), and the rows holding the
id, with the sheet's top rows (where its header is looked for), make a small sheet that
calamine reads as it reads any: dates by the workbook's styles, strings by its shared
strings, in the same code. Those rows are numbered one after the other there, and get
their own numbers back after (a message names the row of the ledger). The cold `show`:
1.88-2.00 s (0.86-0.95 x R in four `make bench` runs), its peak about 190 MB where it
was 235.

The search may find more rows than the id's (a 意见 that names the case): the caller
compares the id column as it always does. It must never find fewer, nor a row calamine
would read otherwise, so it is made only where the XML alone says so, and anything else
gives None (the sheet is then read whole, as always; a second look tried each):

- an id a cell holding no text reads as (a number: ``12`` may be kept as ``1.2E1``; a
  date, a time, a yes/no, kept as a number), one XML or Excel escapes (``& < > " '``,
  ``_x``), one with spaces around it;
- a part not in UTF-8; a comment, CDATA, a DOCTYPE or an instruction in it; an escape
  calamine reads as a character of the id (``_x002D_``, ``&#67;``); for an id beyond ASCII
  any character reference (openpyxl writes every character beyond ASCII so: ``&#32534;``);
- rich text in the sheet (an inline string in runs), which may cut the id in two; the
  shared strings are searched with their tags taken out (runs, phonetic text);
- shared strings not where calamine reads them, or named otherwise by the workbook, or
  more than a sixteenth of the sheet (:data:`STRINGS_SHARE`); an index written otherwise
  than as its digits;
- a sheet whose rows are not numbered, rows picked out of order or beside a row of the
  same number, a picked row holding a cell of another (a sheet's rows ascend: Excel
  repairs a file whose rows do not), a member neither stored nor deflated, anything the
  workbook's parts do not say plainly.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from procdoc.ledger import zipraw
from procdoc.ledger.split import ROOT, SHEET_DATA, PartZips, kept_members

STRINGS_SHARE = 16
"""A sheet is picked from only when its XML is at least this many times its workbook's
shared strings, which calamine parses again for the rows picked (a file last saved by
Excel: 100k cases' 流转记录 of 25 MB beside 15 MB of shared strings is picked from in
0.38 s, after the register, where parsing it whole beside the register cost 0.54 s of
the other core: it is read whole, as before)."""

_ESCAPED = frozenset("&<>\"'")

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROW_NUMBER = re.compile(rb"(<" + _NS + rb"""row\s[^>]*?\br\s*=\s*["'])(\d+)(?=["'])""")
_CELL_REF = re.compile(rb"(<" + _NS + rb"""c\s[^>]*?\br\s*=\s*["'][A-Za-z]{1,3})(\d+)""")
"""A row's tag, and a cell's, up to the row's number (renumbered as ``\\g<1>N``)."""
_SST_ROOT = re.compile(rb"<(" + _NS + rb")sst[\s>]")


@dataclass
class Picked:
    """A workbook holding the rows picked, and where they stand in the sheet."""

    data: bytes
    """The workbook (.xlsx bytes): the sheet's top rows, then the rows picked."""
    numbers: dict[int, int]
    """A row's number in :attr:`data` -> its number in the sheet."""


_TYPED = re.compile(r"[\d\s.:+,-]*(?:e[+-]?\d+|days?,[\d\s.:]*)?|True|False", re.I)
"""Text a cell that is no text reads as (``values.text``): a number (``12``, ``1e+16``),
a date, a time or a moment (``2026-01-05 09:30:00``), a duration (``1 day, 2:00:00``), a
yes/no."""


def searchable(word: str) -> bool:
    """Whether every cell reading as ``word`` holds it as it is in the XML: text, not a
    number, a date or a yes/no kept as a number (``46027`` for 2026-01-05)."""
    if not word or word != word.strip() or "_x" in word or _ESCAPED.intersection(word):
        return False
    if _TYPED.fullmatch(word) is not None:
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
            # the shared strings calamine reads: the part at their usual place, which
            # the workbook's relationships must name (else they say it otherwise)
            usual = pkg.member(_STRINGS)
            named = pkg.shared_strings
            if (named is None) != (usual is None) or (named and named.lower() != _STRINGS.lower()):
                return None
            if usual is not None and usual.size * STRINGS_SHARE > member.size:
                return None  # parsed again for the rows picked: the whole sheet beside the rest
            indexes: list[int] = []
            if usual is not None:
                strings = zipraw.read_member(f, usual)
                found = _string_indexes(strings, needle) if _plain(strings, word) else None
                if found is None:
                    return None
                indexes = found
            xml = zipraw.read_member(f, member)
            if not _plain(xml, word):
                return None
            zips = PartZips.of(f, kept_members(members, member), member.name)
    except Exception:  # anything odd (a damaged zip, a part missing): read it whole
        return None
    return _pick(xml, needle, indexes, keep, zips)


_DECLARED = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


_STRINGS = "xl/sharedStrings.xml"


def _run_end(ns: bytes) -> re.Pattern[bytes]:
    """The end of a rich text run (``</r>``, ``</x:r >``) in a part whose prefix is ``ns``."""
    return re.compile(rb"</" + re.escape(ns) + rb"r\s*>")


_ESCAPE = re.compile(rb"_x([0-9A-Fa-f]{4})_")
_ASCII_REF = re.compile(rb"&#(?:0*(\d{1,3})|[xX]0*([0-9A-Fa-f]{1,2}));")


def _plain(xml: bytes, word: str) -> bool:
    """Whether ``word`` stands in the part ``xml`` as its UTF-8 bytes wherever a cell's
    text holds it: the part is UTF-8 and holds no comment, CDATA, DOCTYPE or instruction
    past its declaration (each may hold what looks like a row or an item), no escape
    calamine reads as a character of ``word`` (Excel's ``_x002D_``; a character reference:
    for a word beyond ASCII any, as openpyxl writes 编号 ``&#32534;&#21495;``). Each check
    looks for a character first (``!``, ``?``, ``_``, ``&``: 6 ms over 69 MB, where a
    pattern of two takes 40-60 ms), and for the pattern only where the character is."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16
        return False
    head = 3 if xml.startswith(b"\xef\xbb\xbf") else 0
    declared = _DECLARED.match(xml, head)
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    past = xml.find(b"?>", head) + 2 if xml.startswith(b"<?xml", head) else head
    if _found(xml, b"!", b"<!", 0) or _found(xml, b"?", b"<?", past):
        return False
    letters = set(word)
    if b"_" in xml:
        for m in _ESCAPE.finditer(xml):
            if chr(int(m.group(1), 16)) in letters:
                return False
    if _found(xml, b"&", b"&#", 0):
        if not word.isascii():
            return False
        for m in _ASCII_REF.finditer(xml):
            code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
            if chr(code) in letters:
                return False
    return True


def _found(xml: bytes, char: bytes, pattern: bytes, start: int) -> bool:
    """Whether ``pattern`` (which holds ``char``) is in ``xml`` from ``start`` on."""
    return xml.find(char, start) >= 0 and xml.find(pattern, start) >= 0


def _string_indexes(table: bytes, needle: bytes) -> list[int] | None:
    """The indexes of the shared strings holding ``needle`` (a rich item's text read
    without its run tags); None when the table is not plain enough to count its items."""
    root = _SST_ROOT.search(table)
    if root is None:
        return None
    ns = re.escape(root.group(1))
    # the items' text alone: every tag but an item's start taken out, so that a text cut
    # between tags (runs, two <t>, phonetic text) reads whole
    text = re.sub(rb"<(?!" + ns + rb"si[\s/>])[^>]*>", b"", table[root.end() :])
    starts = [m.start() for m in re.finditer(rb"<" + ns + rb"si[\s/>]", text)]
    hits: set[int] = set()
    at = text.find(needle)
    while at >= 0:
        hits.add(_index_at(starts, at))
        at = text.find(needle, at + 1)
    hits.discard(-1)
    return sorted(hits)


def _index_at(starts: list[int], at: int) -> int:
    """The index of the item (starting at ``starts``) that holds position ``at``."""
    return bisect.bisect_right(starts, at) - 1


def _pick(
    xml: bytes, needle: bytes, indexes: list[int], keep: int, zips: PartZips
) -> Picked | None:
    """The workbook of the rows of the sheet ``xml`` up to ``keep``, and of those holding
    ``needle`` or shared string ``indexes`` below them, renumbered (see :class:`Picked`)."""
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
    if stop < 0 or _run_end(ns).search(xml, start, stop) is not None:  # rich text: whole
        return None
    odd_index = re.compile(rb"<" + re.escape(ns) + rb"v>(?:\s|0\d)")
    if indexes and odd_index.search(xml, start, stop) is not None:
        return None  # a shared string's index written otherwise than as its digits
    needles = [needle, *(b"<" + ns + b"v>%d</" % i + ns + b"v>" for i in indexes)]
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
    for wanted in needles:
        at = xml.find(wanted, top, stop)
        while at >= 0:
            begin = xml.rfind(row_tag, top, at)
            if begin < 0:
                return None
            end = _row_close(xml, begin, row_tag, row_end, stop)
            if end < at + len(wanted):
                return None
            rows[begin] = end
            at = xml.find(wanted, end, stop)
    numbers: dict[int, int] = {}
    parts = [xml[: found.end()], xml[start:top]]
    last = keep
    for begin in sorted(rows):
        real = _row_number(xml, begin)
        if (
            real is None
            or real <= last
            or not _alone(xml, begin, rows[begin], real, row_tag, top, stop)
        ):
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


def _alone(
    xml: bytes, begin: int, end: int, number: int, row_tag: bytes, top: int, stop: int
) -> bool:
    """Whether calamine reads the row picked (``xml[begin:end]``, numbered ``number``) as
    it stands: each of its cells in it (a cell's reference names its row), and the rows
    beside it numbered below and above it (a row number given twice has calamine merge
    the two)."""
    for cell in _CELL_REF.finditer(xml, begin, end):
        if int(cell.group(2)) != number:
            return False
    before = xml.rfind(row_tag, top, begin)
    if before >= 0 and (_row_number(xml, before) or number) >= number:
        return False
    after = xml.find(row_tag, end, stop)
    return after < 0 or (_row_number(xml, after) or 0) > number


def _row_number(xml: bytes, at: int) -> int | None:
    """The number of the row whose tag starts at ``at``; None when it has none."""
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
