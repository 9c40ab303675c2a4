"""Terminal output: Rich tables, the error and warning printers. Only cli.py uses this."""

from __future__ import annotations

import csv
import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = [
    "err",
    "error",
    "escape",
    "info",
    "out",
    "plain",
    "print_csv",
    "print_json",
    "table",
    "text",
]
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_seen_warnings: set[str] = set()


def install_warning_printer() -> None:
    """Print each distinct core warning once, as ``Warning: ...`` on stderr."""

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        text = str(message)
        if text in _seen_warnings:
            return
        _seen_warnings.add(text)
        err.print(f"[yellow]Warning:[/] {escape(text)}")

    warnings.showwarning = show
    warnings.simplefilter("always")


def error(message: str) -> None:
    err.print(f"[bold red]Error:[/] {escape(message)}")


def info(message: str) -> None:
    err.print(escape(message))


def plain(value: Any) -> Any:
    """A JSON-friendly value: ISO dates, ``YYYY-MM-DDTHH:MM`` moments."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return plain(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def print_json(data: Any) -> None:
    """One JSON document on stdout. Indented for a person at a terminal; compact for
    scripts, and a list is written item by item (fast C encoder, little memory)."""
    if sys.stdout.isatty():
        sys.stdout.write(
            json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
        )
    elif isinstance(data, Iterable) and not isinstance(data, dict | str):
        write = sys.stdout.write
        write("[")
        for i, item in enumerate(data):
            write(("," if i else "") + json.dumps(item, ensure_ascii=False, default=_json_default))
        write("]\n")
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_json_default) + "\n")
    sys.stdout.flush()


def print_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV on stdout as Excel on a Chinese Windows opens it: a UTF-8 byte-order mark, the
    table's own headers, CRLF line ends; values as the table shows them."""
    out = sys.stdout
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([text(v) for v in row])
    out.flush()


def table(
    title: str | None,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    styles: Sequence[str | None] | None = None,
) -> Table:
    t = Table(title=escape(title) if title else None, show_lines=False, header_style="bold")
    for name in header:  # fold: a Chinese cell has no spaces to wrap at, and is never cut
        t.add_column(escape(name), overflow="fold")
    for i, row in enumerate(rows):
        style = styles[i] if styles and i < len(styles) else None
        t.add_row(*[escape(text(v)) for v in row], style=style)
    return t


def text(value: Any) -> str:
    from procdoc.values import display

    return display(value)
