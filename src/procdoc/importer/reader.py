"""Read an OA export into a raw grid of cell values, without guessing types.

The format is told by content, never by extension (an .xls is often an HTML table, an
.xlsx may arrive named .csv). Workbooks are read with python-calamine, CSV with the
``csv`` module and HTML tables with lxml. Merged ranges are filled with their top-left
value so that header and data cells under a merge all carry it.

What a cell holds is kept as the file holds it: text stays text (``"000123"``), numbers
stay numbers (a whole number in a numeric cell stays a ``float``), date cells are
``date``/``datetime``. Deciding what a value means is :mod:`procdoc.importer.convert`'s
job, column by column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO, Literal, TypeAlias

import python_calamine as calamine
from lxml import etree

from procdoc.errors import ImportFileError
from procdoc.i18n import _, name_list
from procdoc.ledger.baddates import is_calamine_panic, no_date_message, quiet_panics

CellValue: TypeAlias = str | int | float | bool | date | datetime | None
Kind: TypeAlias = Literal["xlsx", "xls", "csv", "html"]

__all__ = ["CellValue", "Grid", "Kind", "read_grid", "sniff"]

_HEAD_SIZE = 8192
#: Names that say "an Excel workbook". An OA system may save an HTML table or delimited
#: text under them (Excel opens those .xls files too), and such a table is read by its
#: content; text that is no table under such a name is reported as not the workbook its
#: name says (a failed download, an error page, a renamed note), not searched for a header.
_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls"})
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 200


@dataclass
class Grid:
    """A sheet as rows of raw cell values.

    ``rows[i]`` is the spreadsheet's row ``i + 1``, columns from A; every row has the
    same length. Empty cells are ``None``.
    """

    path: Path
    kind: Kind
    sheet: str | None
    rows: list[list[CellValue]]
    encoding: str | None = None
    delimiter: str | None = None


# --------------------------------------------------------------------------- sniffing


def sniff(path: Path) -> Kind:
    """Tell an export's format from its first bytes.

    ``xlsx`` covers every zip-based Excel workbook (.xlsx, .xlsm, .xlsb); ``xls`` the
    OLE-based BIFF workbooks. Raises :class:`ImportFileError` for files procdoc cannot
    read, saying what the file is and what to do: empty, damaged zip, password-protected
    workbook, Excel 2003 XML, a Word or OpenDocument file, binary data.
    """
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD_SIZE)
            size = f.seek(0, io.SEEK_END)
    except OSError as err:
        raise ImportFileError(
            _("cannot open {path}: {value}").format(path=path, value=err.strerror or err)
        ) from err
    if size == 0:
        raise ImportFileError(
            _("{path} is empty (0 bytes): export it from the OA system again").format(path=path)
        )
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(path)
    return _sniff_text(path, head, complete=size <= _HEAD_SIZE)


def _sniff_zip(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as zf:
            names = {name.lower() for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as err:
        raise _damaged(path) from err
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        what = _("a Word document")
    elif "content.xml" in names:
        what = _("an OpenDocument file (WPS/LibreOffice)")
    else:
        what = _("a zip archive")
    raise ImportFileError(
        _(
            "{path} is not an Excel workbook ({what}): export the table from the OA system as .xlsx, .xls or .csv, or open it in Excel/WPS and save it as .xlsx"
        ).format(path=path, what=what)
    )


def _sniff_ole(path: Path) -> Kind:
    names = _ole_stream_names(path)
    if names is None:
        return "xls"  # a damaged directory: let the workbook reader say what it can
    if {"encryptioninfo", "encryptedpackage"} & names:
        raise _password_protected(path)
    if "workbook" in names or "book" in names:
        return "xls"
    what = _("a Word document") if "worddocument" in names else _("an Office file of another kind")
    raise ImportFileError(
        _(
            "{path} is not an Excel workbook ({what}): export the table from the OA system as .xlsx, .xls or .csv"
        ).format(path=path, what=what)
    )


def _ole_stream_names(path: Path) -> set[str] | None:
    """The (lower-cased) entry names of an OLE compound file, or None when unreadable.

    Just enough of the compound file format to walk the directory: the header, the FAT
    (found through the header's DIFAT and the DIFAT chain) and the directory chain.
    """
    free, end_of_chain = 0xFFFFFFFF, 0xFFFFFFFE
    try:
        with path.open("rb") as f:
            header = f.read(512)
            sector_size = 1 << struct.unpack_from("<H", header, 30)[0]
            if sector_size not in (512, 4096):
                return None
            n_fat, first_dir = struct.unpack_from("<II", header, 44)
            first_difat, n_difat = struct.unpack_from("<II", header, 68)
            per_sector = sector_size // 4

            def sector(number: int) -> bytes:
                f.seek((number + 1) * sector_size)
                data = f.read(sector_size)
                if len(data) != sector_size:
                    raise ValueError("sector past end of file")
                return data

            fat_sectors = list(struct.unpack_from("<109I", header, 76))
            difat = first_difat
            for _ in range(min(n_difat, 1 << 16)):  # a looping chain must end
                if difat >= end_of_chain:
                    break
                entries = struct.unpack(f"<{per_sector}I", sector(difat))
                fat_sectors.extend(entries[:-1])
                difat = entries[-1]
            fat: list[int] = []
            for number in fat_sectors[:n_fat]:
                if number != free:
                    fat.extend(struct.unpack(f"<{per_sector}I", sector(number)))

            names: set[str] = set()
            current, seen = first_dir, set()
            while current < end_of_chain and current not in seen and current < len(fat):
                seen.add(current)
                data = sector(current)
                for offset in range(0, sector_size, 128):
                    length, kind = struct.unpack_from("<HB", data, offset + 64)
                    if kind in (1, 2, 5) and 2 <= length <= 64:
                        raw = data[offset : offset + length - 2]
                        names.add(raw.decode("utf-16-le", "replace").lower())
                current = fat[current]
            return names
    except (OSError, ValueError, struct.error):
        return None


def _sniff_text(path: Path, head: bytes, *, complete: bool) -> Kind:
    encoding = _bom_encoding(head)
    if encoding is None and b"\x00" in head:
        raise _not_a_table(path, head)
    text = _decode_head(head, encoding, complete=complete)
    if text is None:
        raise _not_a_table(path, head)
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start or "excel.sheet" in start:
            raise ImportFileError(
                _(
                    "{path} is an Excel 2003 XML spreadsheet, which procdoc cannot read: open it in Excel or WPS and save it as .xlsx (文件 > 另存为 > Excel 工作簿)"
                ).format(path=path)
            )
        if "<html" in start or "<table" in start:
            return "html"
        raise ImportFileError(
            _(
                "{path} is an XML file, not a table export: export the table as .xlsx or .csv"
            ).format(path=path)
        )
    if start.startswith(("<html", "<table", "<!doctype", "<head", "<body", "<meta")) or (
        start.startswith("<") and ("<html" in start or "<table" in start)
    ):
        return "html"
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f\v\x1a")
    if controls > len(text) // 100:
        raise _not_a_table(path, head)
    if path.suffix.lower() in _WORKBOOK_SUFFIXES and not _has_columns(text):
        raise _not_the_workbook(
            path, _("plain text beginning '{start}'").format(start=_start(text))
        )
    return "csv"


def _has_columns(text: str) -> bool:
    """Whether some line of ``text`` splits into two or more fields at one of the
    delimiters a CSV export uses (a header alone will do: an export of a quiet day)."""
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    for delimiter in _DELIMITERS:
        try:
            rows = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(sum(1 for cell in row if cell.strip()) >= 2 for row in rows):
                return True
        except csv.Error:
            continue
    return False


def _start(text: str, width: int = 30) -> str:
    """The first line of ``text`` that holds anything, cut to ``width`` characters."""
    line = next((ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()), "")
    line = "".join(ch for ch in line if ch.isprintable())
    return line if len(line) <= width else line[:width] + "…"


def _not_the_workbook(path: Path, what: str) -> ImportFileError:
    return ImportFileError(
        _(
            "{path} is named {suffix} but is not an Excel workbook: it is {what}; download or export it again from the OA system (as .xlsx, .xls or .csv) and import that"
        ).format(path=path, suffix=path.suffix, what=what)
    )


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"<\x00") and head[2:3] != b"\x00":
        return "utf-16-le"  # an HTML file in UTF-16 without its BOM
    return None


def _decode_head(head: bytes, encoding: str | None, *, complete: bool) -> str | None:
    """The text of a file's first bytes, or None when it is neither UTF-8 nor GB18030."""
    for candidate in (encoding,) if encoding else ("utf-8", "gb18030"):
        try:
            return codecs.getincrementaldecoder(candidate)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
    return None


def _not_a_table(path: Path, head: bytes) -> ImportFileError:
    what = _("a PDF document") if head.startswith(b"%PDF") else _("binary data")
    return ImportFileError(
        _(
            "{path} is not a spreadsheet, CSV or HTML table (it looks like {what}): export the table from the OA system as .xlsx, .xls or .csv"
        ).format(path=path, what=what)
    )


def _damaged(path: Path) -> ImportFileError:
    return ImportFileError(
        _(
            "{path} is damaged or incomplete (its zip archive cannot be read): download or export it again, or open it in Excel and save it as .xlsx"
        ).format(path=path)
    )


def _password_protected(path: Path) -> ImportFileError:
    return ImportFileError(
        _(
            "{path} is password-protected: open it in Excel, remove the password (文件 > 信息 > 保护工作簿), save and import again"
        ).format(path=path)
    )


# --------------------------------------------------------------------------- reading


def read_grid(path: Path, *, sheet: str | None = None) -> Grid:
    """Read the export at ``path`` as a :class:`Grid`.

    Workbooks: the named sheet, else the first visible worksheet. CSV and HTML have no
    sheets; ``sheet`` is ignored for them.
    """
    kind = sniff(path)
    if kind in ("xlsx", "xls"):
        name, rows = _read_workbook(path, sheet)
        return Grid(path=path, kind=kind, sheet=name, rows=_rectangular(rows))
    data = _read_bytes(path)
    if kind == "csv":
        text, encoding = _decode_csv(path, data)
        try:
            delimiter = _pick_delimiter(text)
            rows = _read_csv(text, delimiter)
        except csv.Error as err:  # an unbalanced quote swallowing the file, a NUL byte
            raise ImportFileError(
                _(
                    "{path} is not a readable CSV file ({err}): open it in Excel or WPS, save it again as CSV and import that"
                ).format(path=path, err=err)
            ) from err
        return Grid(path, "csv", None, _rectangular(rows), encoding=encoding, delimiter=delimiter)
    rows, encoding = _read_html(path, data)
    return Grid(path, "html", None, _rectangular(rows), encoding=encoding)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ImportFileError(
            _("cannot read {path}: {value}").format(path=path, value=err.strerror or err)
        ) from err


def _rectangular(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    return rows


def _read_workbook(path: Path, sheet: str | None) -> tuple[str, list[list[CellValue]]]:
    try:
        with path.open("rb") as f:
            return _read_sheet(path, f, sheet)
    except calamine.PasswordError as err:
        raise _password_protected(path) from err
    except calamine.ZipError as err:
        raise _damaged(path) from err
    except (calamine.CalamineError, ValueError, OSError) as err:
        raise _unreadable(path, err) from err
    except BaseException as err:
        # calamine panics on some damaged files; pyo3 raises that as PanicException, a
        # BaseException that cannot be imported by name
        if type(err).__name__ != "PanicException":
            raise
        raise _unreadable(path, err) from err


def _unreadable(path: Path, err: BaseException) -> ImportFileError:
    return ImportFileError(
        _(
            "{path} cannot be read: the workbook is damaged or of a kind procdoc does not know ({err}); open it in Excel or WPS, save it again as .xlsx and import that"
        ).format(path=path, err=err)
    )


def _read_sheet(path: Path, f: BinaryIO, sheet: str | None) -> tuple[str, list[list[CellValue]]]:
    with calamine.CalamineWorkbook.from_filelike(f) as workbook:
        return _read_named_sheet(path, workbook, sheet)


def _read_named_sheet(
    path: Path, workbook: calamine.CalamineWorkbook, sheet: str | None
) -> tuple[str, list[list[CellValue]]]:
    if sheet is None:
        visible = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.visible == calamine.SheetVisibleEnum.Visible
            and meta.typ == calamine.SheetTypeEnum.WorkSheet
        ]
        if not visible:
            raise ImportFileError(
                _(
                    "{path} has no visible worksheet: unhide the sheet to import in Excel (右键工作表标签 > 取消隐藏), save and import again"
                ).format(path=path)
            )
        sheet = visible[0]
    elif sheet not in workbook.sheet_names:
        listed = name_list(workbook.sheet_names)
        raise ImportFileError(
            _("{path} has no sheet named {sheet!r}; its sheets: {listed}").format(
                path=path, sheet=sheet, listed=listed
            )
        )
    data = workbook.get_sheet_by_name(sheet)
    plain = _PLAIN_TYPES
    try:
        with quiet_panics():
            grid = data.to_python(skip_empty_area=False)
    except BaseException as err:
        if not is_calamine_panic(err):
            raise
        raise ImportFileError(no_date_message(path, str(path), sheet, export=True)) from None
    rows: list[list[CellValue]] = [
        [value if type(value) in plain and value != "" else _cell(value) for value in row]  # type: ignore[misc]
        for row in grid
    ]
    for (top, left), (bottom, right) in data.merged_cell_ranges or []:
        _fill_merge(rows, top, left, bottom, right)
    return sheet, rows


_PLAIN_TYPES = frozenset({str, int, float, bool, date, datetime})
"""Value types calamine hands over that are kept as they are (but for ``''``)."""


def _cell(value: object) -> CellValue:
    """A calamine value as a :data:`CellValue`: '' becomes None, times become text."""
    if value == "":
        return None
    if isinstance(value, str | int | float | bool | date):
        return value  # date includes datetime
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return str(value)


def _fill_merge(rows: list[list[CellValue]], top: int, left: int, bottom: int, right: int) -> None:
    while len(rows) <= bottom:
        rows.append([])
    for r in range(top, bottom + 1):
        row = rows[r]
        if len(row) <= right:
            row.extend([None] * (right + 1 - len(row)))
    value = rows[top][left]
    for r in range(top, bottom + 1):
        rows[r][left : right + 1] = [value] * (right + 1 - left)


# CSV -----------------------------------------------------------------------------------


def _decode_csv(path: Path, data: bytes) -> tuple[str, str]:
    encoding = _bom_encoding(data)
    for candidate in (encoding,) if encoding else ("utf-8", "gb18030"):
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _(
            "{path} is neither UTF-8 nor GBK text: save the CSV again as 'CSV UTF-8 (逗号分隔)' or plain 'CSV (逗号分隔)' and import that"
        ).format(path=path)
    )


def _pick_delimiter(text: str) -> str:
    """The delimiter that splits the most lines into the same number (> 1) of fields.

    Title lines above the header split into one field whatever the delimiter (or into the
    full width, when Excel pads them), so they do not sway the choice. Ties go to the
    delimiter giving more fields, then to the order , ; tab |.
    """
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = Counter(
            len(row)
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(cell.strip() for cell in row)
        )
        wide = [(n, width) for width, n in counts.items() if width > 1]
        if not wide:
            continue
        score = max(wide)  # (lines with that count, the count)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# A field longer than the csv module's 131,072 characters refused the whole file; such a
# cell is read, and its row reported (no spreadsheet cell holds it) while the rest go in
# (QA). 2**31 - 1: the most the module takes on every platform (a C long on Windows).
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

_EXCEL_TEXT_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)


def _read_csv(text: str, delimiter: str) -> list[list[CellValue]]:
    """The rows of a CSV. A quote opened and never closed (or closed only by a quote
    further down that was meant literally, as in 21" 显示器) takes the rows after it into
    one cell: the csv module allows it, and those rows were lost without a word (QA).
    csv.Error, naming the line of the record it opens in, when the file's last cell runs
    to its end without the quote that would close it, or when a cell's later lines hold
    as many delimiters as a row has (rows swallowed, in a file of three columns or more)."""
    rows: list[list[CellValue]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = last = 1  # the line the record began on
    record: list[str] = []
    width = 0
    for record in reader:
        last, start = start, reader.line_num + 1
        width = width or len(record)
        if width >= 3 and any(_swallows(cell, delimiter, width) for cell in record):
            raise csv.Error(
                _("a quote opened on line {line} runs over the rows after it").format(line=last)
            )
        row: list[CellValue] = []
        for cell in record:
            # ="000123" is how some systems keep Excel from reading an id as a number
            match = _EXCEL_TEXT_FORMULA.match(cell)
            if match:
                cell = match.group(1)
            row.append(cell if cell != "" else None)
        rows.append(row)
    # a quote left open runs to the end of the file: the last record's last cell, holding
    # a line break, and the file not ending with the quote that would close it (a quote
    # inside a cell that does not start with one, 关于"十四五"规划, is no quoting)
    if record and "\n" in record[-1] and not text.rstrip("\r\n").endswith('"'):
        raise csv.Error(_("a quote opened on line {line} is never closed").format(line=last))
    return rows


def _swallows(cell: str, delimiter: str, width: int) -> bool:
    """Whether a cell's later lines look like rows of the file (``width`` cells each):
    what a quote left open takes in. A multi-line cell of text has no such lines."""
    return "\n" in cell and any(line.count(delimiter) >= width - 1 for line in cell.split("\n")[1:])


# HTML ----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_LINE_BREAK = "\ue000"  # stands for <br> while whitespace is collapsed
_SPACES = re.compile(r"\s+")
_GB_ALIASES = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "gb18030"}


def _read_html(path: Path, data: bytes) -> tuple[list[list[CellValue]], str]:
    text, encoding = _decode_html(path, data)
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        import lxml.html  # only HTML exports need it

        document = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as err:
        raise ImportFileError(
            _("{path} is not a readable HTML table ({err})").format(path=path, err=err)
        ) from err
    best: list[etree._Element] = []
    for table in document.iter("table"):
        own = [tr for tr in table.iter("tr") if next(tr.iterancestors("table")) is table]
        if len(own) > len(best):
            best = own
    if not best:
        if path.suffix.lower() in _WORKBOOK_SUFFIXES:
            title = _SPACES.sub(" ", document.findtext(".//title") or "").strip()
            raise _not_the_workbook(
                path,
                _("a web page that holds no table, titled '{title}'").format(title=_start(title))
                if title
                else _("a web page that holds no table"),
            )
        raise ImportFileError(
            _(
                "{path} looks like a web page but holds no table: export the table from the OA system as .xlsx, .xls or .csv"
            ).format(path=path)
        )
    return _expand_spans(best), encoding


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    candidates: list[str] = []
    bom = _bom_encoding(data)
    if bom:
        candidates.append(bom)
    else:
        match = _META_CHARSET.search(data[:4096])
        if match:
            declared = match.group(1).decode("ascii").lower()
            candidates.append("gb18030" if declared in _GB_ALIASES else declared)
        candidates += ["utf-8", "gb18030"]
    for candidate in candidates:
        try:
            return data.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    raise ImportFileError(
        _("{path} is neither UTF-8 nor GBK text: save it again as UTF-8").format(path=path)
    )


def _span(cell: etree._Element, name: str) -> int:
    try:
        value = int(str(cell.get(name, "1")).strip())
    except ValueError:
        return 1
    return min(max(value, 1), 1000)


def _cell_text(cell: etree._Element) -> str | None:
    for br in cell.iter("br"):
        br.tail = _LINE_BREAK + (br.tail or "")
    text = _SPACES.sub(" ", cell.text_content())
    lines = [line.strip() for line in text.split(_LINE_BREAK)]
    joined = "\n".join(lines).strip()
    return joined or None


def _expand_spans(trs: list[etree._Element]) -> list[list[CellValue]]:
    """Lay out table rows, copying a cell into every position its rowspan/colspan covers."""
    rows: list[list[CellValue]] = [[] for _ in trs]
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(trs):
        column = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, column) in taken:
                column += 1
            value = _cell_text(cell)
            rowspan = min(_span(cell, "rowspan"), len(trs) - r)
            colspan = _span(cell, "colspan")
            for dr in range(rowspan):
                row = rows[r + dr]
                for dc in range(colspan):
                    position = column + dc
                    if len(row) <= position:
                        row.extend([None] * (position + 1 - len(row)))
                    row[position] = value
                    taken.add((r + dr, position))
            column += colspan
    return rows
