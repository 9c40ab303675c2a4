"""Importing OA exports (SPEC §6): read each file, pick its source, merge it by key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from procdoc.casebook import Casebook, Change
from procdoc.config import Source
from procdoc.errors import ImportFileError
from procdoc.importer.merge import FileResult, Progress, choose_source, merge, read_records
from procdoc.importer.reader import read_grid
from procdoc.process.model import Process
from procdoc.workspace import Workspace


def import_files(
    ws: Workspace,
    files: Sequence[Path],
    *,
    source: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import each file (SPEC §6). With ``dry_run`` nothing is written; with ``strict`` a
    file with any bad row is refused whole (nothing is written)."""
    moment = at or ws.now()
    prepared: list[tuple[Path, Source, Process, FileResult]] = []
    for path in files:
        shown = str(path)
        if not path.is_file():
            raise ImportFileError(f"{shown}: no such file")
        if progress:
            progress(shown, 0, 0)  # reading; merging comes next
        grid = read_grid(path)
        src = choose_source(grid, ws.config.sources, source, shown)
        if src.sheet is not None and src.sheet != grid.sheet:
            grid = read_grid(path, sheet=src.sheet)
        process = ws.process(src.process)
        result, _ = read_records(grid, src, process, shown=shown)
        if strict and result.problems:
            first = result.problems[0]
            raise ImportFileError(
                f"{first} (--strict: {len(result.problems)} bad rows, nothing imported)"
            )
        prepared.append((path, src, process, result))
    engine = ws.engine()

    def plan(book: Casebook, change: Change) -> None:
        for path, src, process, result in prepared:
            result.new.clear()
            result.changed.clear()
            result.unchanged = 0
            merge(
                engine,
                book,
                change,
                process,
                src,
                result,
                at=moment,
                by=f"导入:{path.name}",
                progress=progress,
            )
        if progress and not dry_run:
            progress(f"写入 {ws.config.ledger.name}", 0, 0)  # merged; writing comes next

    if dry_run:
        book = ws.casebook()
        plan(book, Change(book))
    else:
        ws.change(plan)
    return [r for _, _, _, r in prepared]
