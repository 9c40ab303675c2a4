"""Document numbers (发文字号) as the registers hold them: duplicates, gaps and numbers
not written in their sequence's format, per `numbering:` sequence and year, each with
the cell that holds it (SPEC §3 `check`, §10 statistics).

Offices hold a 文号 duplicate rate of 0 as a quality standard (DOMAIN.md). The numbers
are read from the cells of the sequence's field in every register (cancelled cases'
included: their numbers are never given again), so a number typed or copied by hand
counts as well as one procdoc gave.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from procdoc.i18n import _, aside, name_list
from procdoc.ledger.cells import col_letters
from procdoc.values import text

if TYPE_CHECKING:
    from procdoc.casebook import Casebook
    from procdoc.config import Numbering


@dataclass(frozen=True)
class NumberCell:
    """One cell holding a number of a sequence."""

    value: str
    cell: str  # sheet!A1
    case: str | None  # the row's case id
    year: int | None = None
    seq: int | None = None


@dataclass
class Duplicate:
    """A number held by more than one cell."""

    number: str
    seq: int
    cells: list[NumberCell]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "seq": self.seq,
            "cells": [c.cell for c in self.cells],
            "cases": [c.case for c in self.cells],
        }


@dataclass
class Gap:
    """A number of the year's run that no cell holds, between its neighbours."""

    number: str
    seq: int
    after: NumberCell | None
    before: NumberCell | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "seq": self.seq,
            "after": self.after.cell if self.after else None,
            "before": self.before.cell if self.before else None,
        }


@dataclass
class SequenceYear:
    """The numbers one sequence gave in one year."""

    sequence: str
    year: int
    cells: list[NumberCell] = field(default_factory=list)
    shown: str = ""
    """The sequence as an office knows it, its numbers' form (``某办发〔2026〕N号``); the
    reports print it (``fawen`` is a key of procdoc.yaml)."""
    duplicates: list[Duplicate] = field(default_factory=list)
    missing: list[Gap] = field(default_factory=list)

    @property
    def numbered(self) -> int:
        """Cells holding a number of this year."""
        return len(self.cells)

    @property
    def distinct(self) -> int:
        return len({c.seq for c in self.cells})

    @property
    def duplicate_rate(self) -> float:
        """The share of numbered documents whose number another document already holds:
        (cells - distinct numbers) / cells; 0 is the standard."""
        return round((self.numbered - self.distinct) / self.numbered, 4) if self.cells else 0.0

    def as_dict(self) -> dict[str, Any]:
        seqs = [c.seq for c in self.cells if c.seq is not None]
        return {
            "sequence": self.sequence,
            "year": self.year,
            "numbered": self.numbered,
            "distinct": self.distinct,
            "first": min(seqs) if seqs else None,
            "last": max(seqs) if seqs else None,
            "duplicate_rate": self.duplicate_rate,
            "duplicates": [d.as_dict() for d in self.duplicates],
            "missing": [g.as_dict() for g in self.missing],
        }


@dataclass
class Malformed:
    """A value in a sequence's column that is not written in its format (`[2026]`,
    `012号`, `第12号`, a two-digit year ...)."""

    sequence: str
    cell: NumberCell
    expected: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "value": self.cell.value,
            "cell": self.cell.cell,
            "case": self.cell.case,
            "expected": self.expected,
        }


@dataclass
class NumberReport:
    years: list[SequenceYear] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)

    @property
    def duplicates(self) -> list[tuple[SequenceYear, Duplicate]]:
        return [(y, d) for y in self.years for d in y.duplicates]

    @property
    def missing(self) -> list[tuple[SequenceYear, Gap]]:
        return [(y, g) for y in self.years for g in y.missing]

    def messages(self, ledger: str = "ledger.xlsx") -> list[str]:
        """One line per problem, each naming its cells (for `check` and warnings)."""
        out = []
        for _y, d in self.duplicates:
            cases = name_list(aside(c.cell, c.case) if c.case else c.cell for c in d.cells)
            out.append(
                _("{ledger}: {number} is held {n_cells} times: {cases}").format(
                    ledger=ledger, number=d.number, n_cells=len(d.cells), cases=cases
                )
            )
        for y, g in self.missing:
            around = [
                _("after {cell}").format(cell=g.after.cell) if g.after else "",
                _("before {cell}").format(cell=g.before.cell) if g.before else "",
            ]
            where = " ".join(a for a in around if a)
            out.append(
                _(
                    "{ledger}: {number} is missing from {sequence}'s {year} numbers ({where})"
                ).format(
                    ledger=ledger, number=g.number, sequence=y.sequence, year=y.year, where=where
                )
            )
        return out + self.malformed_messages(ledger)

    def malformed_messages(self, ledger: str = "ledger.xlsx") -> list[str]:
        """One line per value that is not a number of its sequence."""
        out = []
        for m in self.malformed:
            out.append(
                _(
                    "{ledger} {cell}: '{value}' is not a number of {sequence} (expected like {expected})"
                ).format(
                    ledger=ledger,
                    cell=m.cell.cell,
                    value=m.cell.value,
                    sequence=m.sequence,
                    expected=m.expected,
                )
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "years": [y.as_dict() for y in self.years],
            "malformed": [m.as_dict() for m in self.malformed],
        }


def number_pattern(fmt: str) -> re.Pattern[str]:
    """A regex matching any number of the sequence ``fmt`` (``某办发〔{year}〕{seq}号``):
    groups ``year`` (four digits) and ``seq`` (digits, no leading zero)."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(fmt):
        out.append(re.escape(literal))
        if name == "year":
            out.append(r"(?P<year>[0-9]{4})")
        elif name == "seq":
            out.append(r"(?P<seq>[1-9][0-9]*)")
        elif name is not None:
            out.append(r".+?")
    return re.compile("^" + "".join(out) + "$")


def number_cells(book: Casebook, field_id: str, sequence: str | None = None) -> list[NumberCell]:
    """Every non-empty cell of field ``field_id`` in every register that holds it, in
    sheet and row order, with its case id. With ``sequence``, only the processes that
    take a number from it (a step with ``number: SEQUENCE``; none when no step does):
    another process may keep a field of the same id for something else (收文's doc_no,
    来文字号, beside 发文's doc_no, 发文字号; QA: with the 发文 process removed, every 来文字号
    was a malformed 发文字号)."""
    takers = {
        process.id
        for reg in book.layout.registers.values()
        for process in reg.processes
        if sequence is not None and process.takes_numbers(sequence)
    }
    if sequence is not None and not takers:
        return []
    out: list[NumberCell] = []
    seen: set[tuple[str, int]] = set()
    for reg in book.layout.registers.values():
        sheet = book.snapshot.sheets.get(reg.sheet)
        if sheet is None:
            continue
        id_col = sheet.column(reg.core["id"])
        for process in reg.processes:
            if field_id not in process.fields or (takers and process.id not in takers):
                continue
            col = sheet.column(reg.field_label(process, field_id))
            if col is None or (reg.sheet, col) in seen:
                continue
            seen.add((reg.sheet, col))
            for row in sheet.rows:
                raw = row.values[col] if col < len(row.values) else None
                value = text(raw)
                if not value:
                    continue
                case = (
                    text(row.values[id_col])
                    if id_col is not None and id_col < len(row.values)
                    else None
                )
                out.append(
                    NumberCell(str(value), f"{reg.sheet}!{col_letters(col)}{row.number}", case)
                )
    return out


def check_numbers(
    book: Casebook,
    numbering: Mapping[str, Numbering],
    *,
    years: Iterable[int] | None = None,
) -> NumberReport:
    """Duplicates, gaps and malformed values of every sequence, per year (only ``years``
    when given; malformed values are reported whatever their year)."""
    wanted = set(years) if years is not None else None
    report = NumberReport()
    for name, seq_def in numbering.items():
        pattern = number_pattern(seq_def.format)
        example = seq_def.format.format(year=2026, seq=12)
        by_year: dict[int, list[NumberCell]] = defaultdict(list)
        for cell in number_cells(book, seq_def.field, name):
            m = pattern.match(cell.value)
            if m is None:
                report.malformed.append(Malformed(name, cell, example))
                continue
            year, seq = int(m.group("year")), int(m.group("seq"))
            if wanted is not None and year not in wanted:
                continue
            by_year[year].append(NumberCell(cell.value, cell.cell, cell.case, year=year, seq=seq))
        for year in sorted(by_year):
            report.years.append(_year(name, seq_def, year, by_year[year]))
        for year in sorted(wanted or ()):  # a year asked for and never numbered: rate 0
            if year not in by_year:
                report.years.append(SequenceYear(name, year, shown=shown_as(seq_def, year)))
    report.years.sort(key=lambda y: (y.sequence, y.year))
    return report


def shown_as(seq_def: Numbering, year: int) -> str:
    """A sequence's numbers' form in ``year``: ``某办发〔{year}〕{seq}号`` -> ``某办发〔2026〕N号``."""
    text = re.sub(r"\{seq[^}]*\}", "N", seq_def.format)
    return re.sub(r"\{year[^}]*\}", str(year), text)


def _year(name: str, seq_def: Numbering, year: int, cells: list[NumberCell]) -> SequenceYear:
    out = SequenceYear(name, year, cells=list(cells), shown=shown_as(seq_def, year))
    held: dict[int, list[NumberCell]] = defaultdict(list)
    for cell in cells:
        assert cell.seq is not None
        held[cell.seq].append(cell)
    for seq in sorted(held):
        if len(held[seq]) > 1:
            out.duplicates.append(Duplicate(held[seq][0].value, seq, held[seq]))
    if held:
        top = max(held)
        previous: NumberCell | None = None
        for seq in range(min(seq_def.start, min(held)), top + 1):
            if seq in held:
                previous = held[seq][0]
                continue
            following = next(held[s][0] for s in range(seq + 1, top + 1) if s in held)
            number = seq_def.format.format(year=year, seq=seq)
            out.missing.append(Gap(number, seq, previous, following))
    return out
