"""Patch an existing workbook: rewrite the changed sheets, copy every other part raw.

The output keeps the members in their original order. Besides the sheets the batch names,
only these members may change, and only when needed:

* ``xl/workbook.xml`` - ``fullCalcOnLoad`` when the workbook has formulas, the
  ``_xlnm._FilterDatabase`` name when an autofilter grows, the ``_xlnm.Print_Area``
  name when rows are appended right below it, new sheets (with their
  ``_xlnm._FilterDatabase`` and ``_xlnm.Print_Titles``; laid out by
  :mod:`procdoc.ledger.newsheet`; refused when the workbook's structure is protected);
* ``xl/_rels/workbook.xml.rels`` and ``[Content_Types].xml`` - new sheets, calcChain removal;
* ``xl/styles.xml`` - a date (or General) variant of a cell style, the header and title
  styles of a new sheet (new number formats take ids above every one in use, those of
  conditional formats included);
* ``xl/tables/*.xml`` - a table's ``ref`` (and its columns) when rows are appended at its
  end (or header labels right of it);
* ``xl/calcChain.xml`` is dropped when a formula cell was overwritten.

While a sheet streams through the patcher, :class:`~procdoc.ledger.audit.RowAudit`
compares what goes in with what comes out: every row procdoc does not write must come out
byte for byte, in order, none lost, none added (rows in a span a former write left, see
below, are copied as compressed bytes and checked by their CRCs instead). After writing,
the result is verified before it may replace the ledger: the member list and order, every
copied member's CRC and sizes against the original, every rewritten member segment by
segment (the deflated ones inflated against their CRC, so the file holds the bytes the
audit saw; the copied ones as compressed bytes), and python-calamine reading back each
cell procdoc wrote (the whole sheet when small, else a probe workbook holding just those
cells with the workbook's real styles - see :func:`_probe`).

A rewritten sheet is compressed as the part before ``<sheetData>``, whose ``<dimension>``
depends on the rows and is deflated once they are through (ending with a sync flush), and
the rows in segments that each inflate on their own (:mod:`procdoc.ledger.segments`),
their CRCs combined, so the sheet is read and written in a single pass; the next write of
the sheet by procdoc copies the segments that hold no row it writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from lxml import etree
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from procdoc.errors import LedgerError
from procdoc.i18n import _
from procdoc.ledger import zipraw
from procdoc.ledger.audit import RowAudit
from procdoc.ledger.cache import SheetCache
from procdoc.ledger.cells import cell_ref, format_range, normalise_read, parse_range
from procdoc.ledger.model import Batch, CellValue
from procdoc.ledger.newsheet import new_sheet_xml, sheet_columns
from procdoc.ledger.parts import (
    MAIN,
    Package,
    SharedStrings,
    SheetRef,
    Styles,
    parse_xml,
    q,
    serialise,
)
from procdoc.ledger.reader import iter_grid, unreadable
from procdoc.ledger.segments import (
    Segment,
    SegmentIndex,
    SegmentWriter,
    Span,
    StaleSegments,
    combined_crc,
    inflate,
    plan,
    segment_size,
)
from procdoc.ledger.sheetxml import SheetPatcher, SheetResult, last_value_row

FAST_DEFLATE_ABOVE = 4 << 20
"""Sheets bigger than this (uncompressed) are deflated fast (:func:`zipraw.fast_deflater`:
ISA-L, else zlib level 1), smaller ones at zlib's level 6."""
FULL_VERIFY_LIMIT = 256 << 10
"""Changed sheets up to this size are read back whole by calamine; bigger ones through a
probe workbook holding just the rewritten rows (see :func:`_verify_cells`)."""


@dataclass
class PatchReport:
    """What a patch changed, for tests and messages."""

    rewritten: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    sheets: dict[str, SheetResult] = field(default_factory=dict)
    #: the workbook's central directory before the patch
    before: list[zipraw.Member] = field(default_factory=list)
    #: the rewritten sheets whose written cells read back exactly as written (a time may
    #: read back up to a millisecond off and still pass the verification)
    exact: set[str] = field(default_factory=set)
    #: whether styles.xml was rewritten (a style or number format added)
    styles_changed: bool = False
    #: the segments of each rewritten sheet's member, by member name (for the next write)
    segments: dict[str, SegmentIndex] = field(default_factory=dict)


class _Body:
    """A rewritten sheet: the rows deflated into a spool file as they stream, in segments
    (:class:`~procdoc.ledger.segments.SegmentWriter`; spans of a former write copied in
    as they are), then the head (everything before ``<sheetData>``) deflated once known."""

    def __init__(self, level: int, size: int) -> None:
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()

        def deflater() -> zipraw.Deflater:
            if level <= 1:
                return zipraw.fast_deflater()[0]
            return zlib.compressobj(level, zlib.DEFLATED, -15)

        self.rows = SegmentWriter(deflater, self.spool.write, segment_size(size), last_value_row)
        self.head = b""
        self.index: SegmentIndex | None = None
        self.copied: set[int] = set()  # the segments copied from spans, by position
        self.total_crc = 0
        self.total_size = 0

    def write(self, data: bytes) -> None:
        self.rows.write(data)

    def copy(self, span: Span) -> None:
        # positions among the member's parts: the head, then the row segments
        self.copied.update(i + 1 for i in self.rows.copy(span))

    def finish(self, preamble: bytes, formulas: bool) -> None:
        self.rows.finish()
        head = zlib.compressobj(6, zlib.DEFLATED, -15)  # a few KB: size over speed
        self.head = head.compress(preamble) + head.flush(zlib.Z_SYNC_FLUSH)
        first = Segment(len(preamble), len(self.head), zlib.crc32(preamble), zlib.crc32(self.head))
        self.index = SegmentIndex(first, tuple(self.rows.segments), formulas)
        self.total_crc = combined_crc((first, *self.index.rows))
        self.total_size = first.ulen + sum(s.ulen for s in self.index.rows)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        self.spool.seek(0)
        while chunk := self.spool.read(1 << 20):
            yield chunk

    def close(self) -> None:
        self.spool.close()


def patch_file(
    src: Path | BinaryIO,
    dst: Path,
    batch: Batch,
    *,
    display: str,
    cache: SheetCache | None = None,
) -> PatchReport:
    """Write ``src`` (a path, or a workbook open for reading) with ``batch`` applied to
    ``dst`` (fsynced), then verify ``dst``. ``cache`` (the ledger's read cache) gives the
    segment index a former write left for a member (see :mod:`procdoc.ledger.segments`;
    one that turns out not to fit the member's bytes is dropped and the whole sheets are
    patched) and whether the sheets not rewritten hold formulas, when known."""
    try:
        if cache is not None:
            try:
                return _patch(src, dst, batch, display=display, cache=cache, segments=True)
            except StaleSegments:
                pass
        return _patch(src, dst, batch, display=display, cache=cache, segments=False)
    except zipraw.ZipFormatError as exc:  # the ledger's own bytes (the written file's are
        raise unreadable(display, str(exc)) from None  # reported by the verification)


def _patch(
    src: Path | BinaryIO,
    dst: Path,
    batch: Batch,
    *,
    display: str,
    cache: SheetCache | None,
    segments: bool,
) -> PatchReport:
    report = PatchReport()
    bodies: dict[str, _Body] = {}
    spools: list[_Body] = []
    try:
        with open(src, "rb") if isinstance(src, Path) else contextlib.nullcontext(src) as f:
            try:
                members, comment = zipraw.read_directory(f)
            except zipraw.ZipFormatError as exc:
                raise unreadable(display, str(exc)) from None
            report.before = members
            pkg = Package(f, members, display)
            styles = Styles(
                lambda: pkg.read(pkg.styles_path) if pkg.styles_path else None,
                f"{display} styles",
            )
            strings = SharedStrings(pkg)
            refs: dict[str, SheetRef] = {}
            member_names: dict[str, str] = {}
            new_sheets: list[tuple[SheetRef, SheetResult]] = []
            for name, changes in batch.sheets.items():
                ref = pkg.sheet(name)
                if changes.is_empty() or (ref is not None and not changes.touches_cells()):
                    continue
                if ref is None:
                    pkg.check_can_add_sheet(name)
                    columns = sheet_columns(changes)
                    xml = new_sheet_xml(f"{display} {name}", changes, columns, styles)
                    changes = dataclasses.replace(changes, header=[c.label for c in columns])
                    header_style: int | None = styles.header_style()
                    chunks: Iterator[bytes | Span] = iter([xml])
                    level, size = 6, 0
                else:
                    if ref.kind != "worksheet":
                        raise LedgerError(
                            _("{display} {name} is a {kind}, not a worksheet").format(
                                display=display, name=name, kind=ref.kind
                            )
                        )
                    member = pkg.member(ref.path) if ref.path else None
                    if member is None:
                        raise LedgerError(
                            _("{display} {name}: its sheet part is missing").format(
                                display=display, name=name
                            )
                        )
                    header_style = None
                    index = cache.load_segments(member) if cache and segments else None
                    if index is not None and index.fits(member):
                        chunks = plan(f, member, index, [changes.header_row, *changes.set])
                    else:
                        chunks = zipraw.iter_inflated(f, member)
                    level = 1 if member.size > FAST_DEFLATE_ABOVE else 6
                    size = member.size
                body = _Body(level, size)
                spools.append(body)
                patcher = SheetPatcher(
                    sheet=name,
                    display=display,
                    changes=changes,
                    styles=styles,
                    strings=strings,
                    date1904=pkg.date1904,
                    header_style=header_style,
                )
                audit = RowAudit(f"{display} {name}", expected=[changes.header_row, *changes.set])
                result = patcher.run(audit.watch(chunks), _tee(audit, body))
                audit.finish(result.written)
                body.finish(result.preamble, result.has_formulas)
                report.sheets[name] = result
                if ref is None:
                    ref = pkg.add_sheet(name)
                    new_sheets.append((ref, result))
                    report.added.append(ref.path or "")
                assert ref.path is not None
                refs[name] = ref
                member_names[name] = _member_name(pkg, ref.path)
                bodies[member_names[name]] = body
                assert body.index is not None
                if not result.formulas_removed:
                    # (the index says whether the sheet has formulas, and the patcher knows
                    # the ones it read: after one was overwritten, the next write reads all)
                    report.segments[member_names[name]] = body.index

            results = report.sheets
            had_calc_chain = pkg.calc_chain is not None
            if any(r.formulas_removed for r in results.values()):
                if pkg.calc_chain:
                    report.dropped.append(pkg.calc_chain)
                pkg.drop_calc_chain()
            if not pkg.full_calc_set() and (
                had_calc_chain
                or any(r.has_formulas for r in results.values())
                or _other_sheets_have_formulas(pkg, set(refs), cache)
            ):
                pkg.ensure_full_calc()
            for name, result in results.items():
                ref = refs[name]
                if any(ref is new for new, _unused in new_sheets):
                    h = result.header_row
                    rng = result.filter_new or format_range(h, 0, h, max(result.header_after, 0))
                    pkg.add_filter_database(ref, rng)
                    pkg.add_print_titles(ref, h)
                    continue
                if result.filter_old and result.filter_new:
                    pkg.filter_database(ref, result.filter_old, result.filter_new)
                if result.appended:
                    pkg.grow_print_area(ref, result.last_row_before, result.last_row)
                _update_tables(pkg, ref, result, display)
            if styles.changed and pkg.styles_path:
                pkg.changed[_member_name(pkg, pkg.styles_path)] = styles.to_bytes()
                report.styles_changed = True
            pkg.finish()

            with open(dst, "wb") as out:
                writer = zipraw.ZipWriter(out)
                for m in members:
                    if m.name in pkg.dropped:
                        continue
                    if m.name in bodies:
                        body = bodies[m.name]
                        writer.write(
                            m.name, body.chunks(), crc=body.total_crc, size=body.total_size, like=m
                        )
                        report.rewritten.append(m.name)
                    elif m.name in pkg.changed:
                        writer.write_bytes(m.name, pkg.changed[m.name], like=m)
                        report.rewritten.append(m.name)
                    else:
                        writer.copy(f, m)
                for ref, _unused in new_sheets:
                    assert ref.path is not None
                    body = bodies[ref.path]
                    writer.write(ref.path, body.chunks(), crc=body.total_crc, size=body.total_size)
                writer.close(comment)
                out.flush()
                os.fsync(out.fileno())
            try:
                _verify_zip(dst, members, pkg, bodies, set(bodies) | set(pkg.changed), display)
                _verify_cells(dst, report, member_names, bodies, display)
            except zipraw.ZipFormatError as exc:
                raise LedgerError(
                    _(
                        "{display}: the patched workbook does not read back ({exc}); the ledger was not changed"
                    ).format(display=display, exc=exc)
                ) from None
    finally:
        for body in spools:
            body.close()
    return report


def _tee(audit: RowAudit, body: _Body) -> Callable[[bytes | Span], None]:
    """The patcher's sink: each piece of output goes to the audit and to the zip member; a
    span of rows taken as they are is copied (the audit skips it on both sides)."""

    def sink(data: bytes | Span) -> None:
        if isinstance(data, Span):
            body.copy(data)
            return
        audit.feed_out(data)
        body.write(data)

    return sink


def _member_name(pkg: Package, path: str) -> str:
    member = pkg.member(path)
    return member.name if member is not None else path


def _other_sheets_have_formulas(pkg: Package, skip: set[str], cache: SheetCache | None) -> bool:
    """Whether a sheet the write does not rewrite holds a formula: read from the cache
    where a former write looked (keyed by the sheet part's CRC-32 and sizes), else looked
    for in the part and kept, so that a write costs what it writes however many other
    registers the workbook has."""
    for ref in pkg.sheets:
        if ref.name in skip or ref.path is None or ref.kind != "worksheet":
            continue
        member = pkg.member(ref.path)
        if member is None:
            continue
        known = cache.has_formulas(member) if cache is not None else None
        if known is None:
            known = _has_formulas(pkg.f, member)
            if cache is not None:
                cache.remember_formulas(member, known)
        if known:
            return True
    return False


def _has_formulas(f: BinaryIO, member: zipraw.Member) -> bool:
    tail = b""
    for chunk in zipraw.iter_inflated(f, member):
        data = tail + chunk
        if b"<f>" in data or b"<f " in data:
            return True
        tail = data[-3:]
    return False


def _update_tables(pkg: Package, ref: SheetRef, result: SheetResult, display: str) -> None:
    grew_rows = result.appended and result.last_row > result.last_row_before
    grew_cols = result.header_after > result.header_before >= 0
    if not (grew_rows or grew_cols) or ref.path is None:
        return
    for target, typ in pkg.rels_of(ref.path).values():
        if not typ.endswith("/table"):
            continue
        member = pkg.member(target)
        if member is None:
            continue
        root = parse_xml(pkg.read(member.name), member.name)
        old = root.get("ref", "")
        try:
            r1, c1, r2, c2 = parse_range(old)
        except ValueError:
            continue
        name = root.get("displayName") or root.get("name") or member.name
        totals = int(root.get("totalsRowCount", "0") or 0)
        header_rows = int(root.get("headerRowCount", "1") or 0)
        changed = False
        if grew_rows and r1 <= result.last_row_before == r2:
            if totals:
                raise LedgerError(
                    _(
                        "{display} {name}: the table {name2} ({old}) ends with a totals row, so rows appended below it would fall outside the table; turn off its Total Row in Excel and run again"
                    ).format(display=display, name=ref.name, name2=name, old=old)
                )
            r2 = result.last_row
            changed = True
        if grew_cols and header_rows and r1 == result.header_row and c2 == result.header_before:
            cols_el = root.find(q("tableColumns"))
            if cols_el is not None:
                names = {(el.get("name") or "").lower() for el in cols_el}
                ids = [int(el.get("id", "0")) for el in cols_el]
                by_col = result.written.get(result.header_row, {})
                for col in range(result.header_before + 1, result.header_after + 1):
                    label = str(by_col.get(col) or "")
                    if label.lower() in names:
                        raise LedgerError(
                            _(
                                "{display} {name}: the table {name2} already has a column named {label!r}"
                            ).format(display=display, name=ref.name, name2=name, label=label)
                        )
                    el = etree.SubElement(cols_el, q("tableColumn"))
                    ids.append(max(ids, default=0) + 1)
                    el.set("id", str(ids[-1]))
                    el.set("name", label)
                    names.add(label.lower())
                cols_el.set("count", str(len(cols_el)))
                c2 = result.header_after
                changed = True
        if not changed:
            continue
        root.set("ref", format_range(r1, c1, r2, c2))
        af = root.find(q("autoFilter"))
        if af is not None:
            af.set("ref", format_range(r1, c1, r2 - totals, c2))
        pkg.changed[member.name] = serialise(root)


# -- verification -----------------------------------------------------------------------


def _verify_zip(
    dst: Path,
    members: list[zipraw.Member],
    pkg: Package,
    bodies: dict[str, _Body],
    written: set[str],
    display: str,
) -> None:
    """Untouched members are the same bytes; written ones inflate to their CRC, a sheet's
    segment by segment: those it deflated inflate to their CRC, those copied from the
    former version are the same compressed bytes (see :func:`_verify_segments`)."""
    with open(dst, "rb") as g:
        new_members, _unused = zipraw.read_directory(g)
        expected = [m.name for m in members if m.name not in pkg.dropped]
        expected += pkg.added_paths
        if [m.name for m in new_members][: len(expected)] != expected or len(new_members) != len(
            expected
        ):
            raise LedgerError(
                _("{display}: the patched workbook lost or reordered parts").format(display=display)
            )
        old_by_name = {m.name: m for m in members}
        for new in new_members:
            old = old_by_name.get(new.name)
            if new.name not in written and old is not None:
                same = (old.crc, old.compressed_size, old.size, old.method) == (
                    new.crc,
                    new.compressed_size,
                    new.size,
                    new.method,
                )
                if not same:
                    raise LedgerError(
                        _("{display}: {name} changed while being copied").format(
                            display=display, name=new.name
                        )
                    )
            elif new.name in bodies:
                _verify_segments(g, new, bodies[new.name])
            else:
                for _unused in zipraw.iter_inflated(g, new):
                    pass


def _verify_segments(g: BinaryIO, member: zipraw.Member, body: _Body) -> None:
    """A rewritten sheet as written: its sizes and CRC-32 as the segments add up, each
    segment it deflated inflating on its own to its CRC-32 (what the next write relies
    on), each one copied the same compressed bytes as the index says."""
    index = body.index
    assert index is not None
    parts = (index.head, *index.rows)

    def failed() -> zipraw.ZipFormatError:
        return zipraw.ZipFormatError(
            _("zip member {name} fails its CRC check").format(name=member.name)
        )

    if (member.crc, member.size, member.compressed_size) != (
        body.total_crc,
        body.total_size,
        sum(s.clen for s in parts),
    ):
        raise failed()
    pos = zipraw.data_offset(g, member)
    for i, s in enumerate(parts):
        if i in body.copied:
            if zipraw.crc32(zipraw.read_at(g, pos, s.clen, member.name), 0) != s.ccrc:
                raise failed()
        elif inflate(g, pos, s, member.name, last=i == len(parts) - 1) is None:
            raise failed()
        pos += s.clen


def expected_read(value: CellValue) -> CellValue:
    """What procdoc's reader returns for a value it wrote."""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date()
        return value
    return normalise_read(value)


def _same(expected: CellValue, got: CellValue) -> bool:
    if isinstance(expected, datetime) and isinstance(got, datetime):
        return abs(expected - got) <= timedelta(milliseconds=1)
    return type(expected) is type(got) and expected == got


def _compare(
    sheet: CalamineSheet,
    want: dict[int, dict[int, CellValue]],
    real: dict[int, int],
    where: str,
) -> bool:
    """Each ``want[row][col]`` reads back from ``sheet``; ``real`` maps a probe row to the
    ledger row it stands for (in messages). True when every one reads back exactly as
    :func:`expected_read` says (not just within the millisecond a time may be off)."""
    if not want:
        return True
    exact = True
    last = max(want)
    for number, row in iter_grid(sheet):
        if number > last:
            break
        cells = want.pop(number, None)
        if cells is None:
            continue
        width = len(row)
        for col, value in cells.items():
            got = row[col] if col < width else None
            if type(value) is str and type(got) is str and got == value:
                continue  # the common case, without normalising
            expected = expected_read(value)
            got = normalise_read(got)
            if exact and not (type(expected) is type(got) and expected == got):
                exact = False
            if not _same(expected, got):
                ref = cell_ref(real.get(number, number), col)
                raise LedgerError(
                    _(
                        "{where}!{ref}: procdoc wrote {expected!r} but it reads back as {got!r}; the ledger was not changed"
                    ).format(where=where, ref=ref, expected=expected, got=got)
                )
    for number, cells in want.items():
        for col, value in cells.items():
            expected = expected_read(value)
            if expected is not None:
                ref = cell_ref(real.get(number, number), col)
                raise LedgerError(
                    _(
                        "{where}!{ref}: procdoc wrote {expected!r} but it does not read back; the ledger was not changed"
                    ).format(where=where, ref=ref, expected=expected)
                )
    return exact


def _verify_cells(
    dst: Path,
    report: PatchReport,
    member_names: dict[str, str],
    bodies: dict[str, _Body],
    display: str,
) -> None:
    """calamine reads back every cell procdoc wrote (``report.exact``: the sheets where
    each reads back exactly)."""
    if not report.sheets:
        return
    big = {
        name
        for name, member in member_names.items()
        if bodies[member].total_size > FULL_VERIFY_LIMIT
    }
    try:
        if big:
            wb = CalamineWorkbook.from_filelike(_probe(dst, report, member_names))
        else:
            wb = CalamineWorkbook.from_path(str(dst))
        with wb:
            for name, result in report.sheets.items():
                if big:  # probe row k holds cells of real row probe_numbers[k - 1]
                    want = dict(enumerate(result.probe_values, start=1))
                    real = dict(enumerate(result.probe_numbers, start=1))
                else:
                    want, real = dict(result.written), {}
                if _compare(wb.get_sheet_by_name(name), want, real, f"{display} {name}"):
                    report.exact.add(name)
    except CalamineError as exc:
        raise LedgerError(
            _(
                "{display}: the patched workbook does not read back ({exc}); the ledger was not changed"
            ).format(display=display, exc=exc)
        ) from exc


def _probe(dst: Path, report: PatchReport, member_names: dict[str, str]) -> BinaryIO:
    """A small workbook in memory made from ``dst``: its package parts, workbook part and
    styles as written, each rewritten sheet holding the cells procdoc wrote as the patcher
    put them in ``probe_rows`` (their bytes as written, rows numbered 1, 2, ... so calamine
    need not walk the rows in between, a cell whose bytes and value repeat one already
    there left out), an empty shared-string table (the written cells do not use it) and
    none of the other sheets, drawings or media. calamine reads it with the workbook's
    real styles and date system."""
    paths = {member_names[name]: name for name in report.sheets}
    buf = io.BytesIO()
    with open(dst, "rb") as g:
        members, comment = zipraw.read_directory(g)
        pkg = Package(g, members, dst.name)
        sst = pkg.shared_strings
        keep = {
            "[Content_Types].xml",
            "_rels/.rels",
            pkg.workbook_path,
            pkg.workbook_rels_path,
            *([pkg.styles_path] if pkg.styles_path else []),
        }
        keep = {_member_name(pkg, path) for path in keep}
        writer = zipraw.ZipWriter(buf)
        for m in members:
            name = paths.get(m.name)
            if sst is not None and m.name == sst:
                writer.write_bytes(
                    m.name, b'<sst xmlns="%s" count="0" uniqueCount="0"/>' % MAIN.encode()
                )
                continue
            if name is None:
                if m.name in keep:
                    writer.copy(g, m)
                continue
            result = report.sheets[name]
            xml = b"".join(
                [result.root_tag, b"<sheetData>", *result.probe_rows, b"</sheetData></worksheet>"]
            )
            writer.write_bytes(m.name, xml)
        writer.close(comment)
    buf.seek(0)
    return buf


__all__ = ["MAIN", "PatchReport", "patch_file"]
