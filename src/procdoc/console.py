"""Terminal output: tables, JSON and CSV on stdout; errors, warnings and progress on
stderr (Rich). Only cli.py uses this.

Tables are laid out here rather than by Rich: Rich measures and lays out every cell of
one table in memory (11 s for 10,000 rows), while a case list only needs each column's
width. Columns of ids, dates and numbers are never cut; long texts wrap in their column
(CJK counted two cells wide), at the terminal's width, or 80 columns (``COLUMNS``) when
the output goes to a file. Rows stream out as they are laid out; a list longer than the
terminal is shown through a pager (``PROCDOC_PAGER``, ``PAGER``, else ``less -FRX``), as
git does."""

from __future__ import annotations

import itertools
import math
import re
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from procdoc.i18n import _

if TYPE_CHECKING:
    from rich.console import Console
    from rich.markup import escape

    out: Console
    err: Console

__all__ = [
    "err",
    "error",
    "escape",
    "info",
    "out",
    "plain",
    "print_csv",
    "print_json",
    "print_table",
    "say",
    "text",
    "warning",
    "write_out",
]


def __getattr__(name: str) -> Any:
    # Rich's console and markup (~45 ms of imports) load when first used: a table, JSON
    # or CSV on stdout never needs them, an error or a warning does
    if name in ("out", "err"):
        return _rich(name)
    if name == "escape":
        from rich.markup import escape

        return escape
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _rich(name: str) -> Console:
    found = globals().get(name)
    if found is None:
        from rich.console import Console

        found = globals()[name] = Console(stderr=name == "err", highlight=False, soft_wrap=True)
    return found


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


_seen_warnings: set[str] = set()


def install_warning_printer() -> None:
    """Print each distinct core warning once, as ``Warning: ...`` on stderr."""

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        text = str(message)
        if text in _seen_warnings:
            return
        _seen_warnings.add(text)
        warning(text)

    warnings.showwarning = show
    warnings.simplefilter("always")


def sep(prefix: str) -> str:
    """What follows a prefix such as ``Error:``: a space, none after a full-width colon."""
    return "" if prefix.endswith("：") else " "


def error(message: str) -> None:
    """``Error: message`` on stderr (``错误：message`` in Chinese)."""
    prefix = _("Error:")
    _rich("err").print(f"[bold red]{_escape(prefix)}[/]{sep(prefix)}{_escape(message)}")


def warning(message: str) -> None:
    """``Warning: message`` on stderr (``警告：message`` in Chinese)."""
    prefix = _("Warning:")
    _rich("err").print(f"[yellow]{_escape(prefix)}[/]{sep(prefix)}{_escape(message)}")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def info(message: str) -> None:
    """A message on stderr, as it is (see :func:`say`)."""
    _plain_line("err", message)


def say(text: str) -> None:
    """A result line on stdout, as it is: written directly (what Rich's console prints for
    text without markup: control characters left out, tabs as spaces) unless that console
    is loaded already, so a command that only reports what it did never loads Rich
    (~30 ms)."""
    _plain_line("out", text)


def _plain_line(name: str, text: str) -> None:
    if name in globals():
        _rich(name).print(_escape(text))
        return
    stream = sys.stderr if name == "err" else sys.stdout
    stream.write(_CONTROL.sub("", text).expandtabs(8) + "\n")
    stream.flush()


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
    """One JSON document on stdout, in UTF-8 (:func:`_utf8_out`). Indented for a person
    at a terminal; compact for scripts (no spaces), and a list is written 500 items at a
    time (orjson, little memory). A number that is none (NaN, infinity: a cell typed so)
    is ``null``, as strict JSON has it."""
    listed = isinstance(data, Iterable) and not isinstance(data, dict | str)
    write = _utf8_out()
    if sys.stdout.isatty():  # (a list given as a generator: `overdue` read it as an error)
        write(_dumps(list(data) if listed else data, indent=True) + b"\n")
    elif listed:
        write(b"[")
        items = iter(data)
        sep = b""
        while chunk := list(itertools.islice(items, _JSON_CHUNK)):
            write(sep + _dumps(chunk)[1:-1])
            sep = b","
        write(b"]\n")
    else:
        write(_dumps(data) + b"\n")
    sys.stdout.flush()


def _utf8_out() -> Callable[[bytes], object]:
    """How JSON and CSV go to stdout: as UTF-8 bytes, whatever the system's encoding.

    Redirected to a file or a pipe, Python writes text in the system's code page: GBK on
    a Chinese Windows, where JSON became GBK (JSON between programs is UTF-8, RFC 8259)
    and CSV's byte-order mark, which GBK lacks, ended the command with a traceback. At a
    Windows console stdout takes UTF-8 too. Text written before is flushed first, so the
    two keep their order."""
    out = sys.stdout
    out.flush()
    buffer: BinaryIO | None = getattr(out, "buffer", None)
    if buffer is None:  # a stream of text only, put in stdout's place by a program
        return lambda data: out.write(data.decode("utf-8"))
    return buffer.write


def write_out(data: bytes) -> None:
    """Bytes on stdout as they are: a document in UTF-8 (:func:`_utf8_out`), an image."""
    _utf8_out()(data)
    sys.stdout.flush()


def _dumps(value: Any, *, indent: bool = False) -> bytes:
    """``value`` as JSON in UTF-8, dates and moments as :func:`plain` writes them: by
    orjson, or the standard encoder for what orjson refuses (an integer past 64 bits, a
    lone surrogate), which writes the same; a lone surrogate, which UTF-8 cannot hold, as
    its JSON escape (``\\udc80``)."""
    import orjson

    option = orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        return orjson.dumps(value, default=_json_default, option=option)
    except TypeError:  # (orjson.JSONEncodeError is one)
        import json

        text = json.dumps(
            _finite(value),
            ensure_ascii=False,
            indent=2 if indent else None,
            separators=None if indent else (",", ":"),
            default=_json_default,
        )
        return text.encode("utf-8", "backslashreplace")


def _finite(value: Any) -> Any:
    """``value`` with each number that is none (NaN, infinity) as None, as orjson has it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


_JSON_CHUNK = 500


def print_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV on stdout as Excel on a Chinese Windows opens it: UTF-8 (:func:`_utf8_out`)
    with a byte-order mark, the table's own headers, CRLF line ends; values as the table
    shows them."""
    import csv

    write = _utf8_out()

    class Out:  # (the csv module writes text: each row goes out as UTF-8)
        def write(self, line: str) -> None:
            write(line.encode("utf-8", "replace"))

    write(b"\xef\xbb\xbf")
    writer = csv.writer(Out(), lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([text(v) for v in row])
    sys.stdout.flush()


#: ANSI styles of the row styles callers use (level colours); header bold.
_ANSI = {"red": "31", "yellow": "33", "blue": "34", "magenta": "35", "bold": "1"}


def print_table(
    title: str | None,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    styles: Sequence[str | None] | None = None,
    drop_empty: bool = True,
) -> None:
    """A table on stdout: columns sized to their content and the screen, long texts
    wrapped (ids, dates and numbers never cut), streamed, paged in a terminal. With
    ``drop_empty``, a column empty in every row is left out. No rows, no table: the
    caller's count says so."""
    shown = _Shown()
    cells = [[v if type(v) is str else shown[v] for v in row] for row in rows]
    if not cells:
        return
    header = list(header)
    if drop_empty and cells:
        used = [i for i in range(len(header)) if any(i < len(r) and r[i] for r in cells)]
        if len(used) < len(header):
            header = [header[i] for i in used]
            cells = [[r[i] if i < len(r) else "" for i in used] for r in cells]
    tty = sys.stdout.isatty()
    lines = layout_table(title, list(header), cells, width=screen_width(), styles=styles, ansi=tty)
    if tty:
        _page(lines)
    else:
        _stream(lines)


def screen_width() -> int:
    import os
    import shutil

    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80


def layout_table(
    title: str | None,
    header: list[str],
    rows: list[list[str]],
    *,
    width: int = 80,
    styles: Sequence[str | None] | None = None,
    ansi: bool = False,
) -> Iterator[str]:
    """The lines of a boxed table ``width`` cells wide (wider only when the columns that
    are never cut need more)."""
    cell_len = _Widths().__getitem__
    n = len(header)
    content = [0] * n
    keep = [True] * n  # a column of ids, dates and numbers is never cut
    words = [0] * n  # the longest word of a column of Latin text (a moment: its date)
    # how many rows have each shape: the width of each of their cells
    shapes = Counter(tuple(map(cell_len, row)) for row in rows)
    wide = [False] * n  # a column holding characters two cells wide (CJK)
    for i in range(n):
        distinct = {row[i] if i < len(row) else "" for row in rows}
        content[i] = max(map(cell_len, distinct), default=0)
        keep[i] = all(_atom(value, cell_len(value)) for value in distinct if value)
        wide[i] = any(cell_len(value) > len(value) for value in distinct)
        if not keep[i] and not wide[i] and all(map(str.isascii, distinct)):
            words[i] = max(map(len, " ".join(distinct).split()), default=0)
    natural = [max(cell_len(h), c) for h, c in zip(header, content, strict=True)]
    least = [min(cell_len(h), 4) for h in header]
    # a kept column's values are never cut, but its header wraps down to them; a column
    # of Latin words wraps between them (`2026-10-02 00:17` was cut as `2026-10-0`/`2 …`);
    # one of wide characters holds one at least
    floor = [
        max(content[i], least[i])
        if keep[i]
        else max(least[i], min(words[i], _WORD), 2 if wide[i] else 1)
        for i in range(n)
    ]
    # a cell is padded with a space each side, unless the table is too wide for the screen
    # so: then the space goes to the text (at 80 columns `overdue`'s 9 columns gave 标题 5
    # cells, two characters a line, where without padding it has 23)
    pad = 1 if sum(natural) + 3 * n + 1 <= width else 0
    widths = _fit(natural, floor, width - (2 * pad + 1) * n - 1, content, shapes, wide)

    def paint(line: str, style: str | None) -> str:
        code = _ANSI.get(style or "")
        return f"\x1b[{code}m{line}\x1b[0m" if ansi and code else line

    def rule(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2 * pad) for w in widths) + right

    if title:
        yield paint(title, "bold")
    yield rule("┏", "┳", "┓", "━")
    for line in _row_lines(header, widths, "┃", pad):
        yield paint(line, "bold")
    yield rule("┡", "╇", "┩", "━")
    columns = [_Cells(cell_len, w, pad) for w in widths]
    lookup = dict.__getitem__  # (each column's __missing__ lays out a value met first)
    blank = [" " * (w + 2 * pad) for w in widths]
    codes = [_ANSI.get(s or "") for s in styles] if ansi and styles else []
    for r, row in enumerate(rows):
        parts: list[str | tuple[str, ...]] = list(map(lookup, columns, row))
        if len(parts) < n:
            parts += blank[len(parts) :]
        code = codes[r] if r < len(codes) else None
        try:  # the usual row: every cell fits on one line (a str; a wrapped one is a tuple)
            line = "│" + "│".join(parts) + "│"  # type: ignore[arg-type]
        except TypeError:
            height = max(len(p) for p in parts if type(p) is tuple)
            for c, p in enumerate(parts):  # each cell padded to the row's height
                if isinstance(p, str):
                    parts[c] = (p,) + (blank[c],) * (height - 1)
                elif len(p) < height:
                    parts[c] = p + (blank[c],) * (height - len(p))
            for pieces in zip(*parts, strict=True):
                line = "│" + "│".join(pieces) + "│"
                yield f"\x1b[{code}m{line}\x1b[0m" if code else line
            continue
        yield f"\x1b[{code}m{line}\x1b[0m" if code else line
    yield rule("└", "┴", "┘", "─")


_WORD = 10
"""The longest word of Latin text a column keeps whole (a date; a longer one, a path or
an address, is cut where the column ends)."""


def _atom(value: str, size: int) -> bool:
    """An id, a date, a number: one short run of Latin letters, digits and punctuation."""
    return size <= 24 and _NOT_ATOM.search(value) is None


_NOT_ATOM = re.compile("[^\x21-\u2e7f]")


class _Widths(dict[str, int]):
    """Each text's width in terminal cells (CJK two), measured once (rich.cells)."""

    def __missing__(self, value: str) -> int:
        if value.isascii() and value.isprintable():  # ids, dates, numbers: one cell each
            size = self[value] = len(value)
            return size
        from rich.cells import cell_len

        size = self[value] = cell_len(value)
        return size


class _Cells(dict[str, "str | tuple[str, ...]"]):
    """The lines of the cells of a column ``width`` cells wide, by value, as a row prints
    them (wrapped, padded to the width, a space each side): a line when the value fits on
    one, else a tuple of them. Laid out once per distinct value: a long table repeats its
    steps, people and levels on every row."""

    def __init__(self, widths: Callable[[str], int], width: int, pad: int = 1) -> None:
        super().__init__()
        self.widths = widths
        self.width = width
        self.side = " " * pad

    def __missing__(self, value: str) -> str | tuple[str, ...]:
        width, side = self.width, self.side
        size = self.widths(value)
        if size <= width and "\n" not in value:
            line = value.rstrip()
            out: str | tuple[str, ...] = side + line + " " * (width - self.widths(line)) + side
        else:
            out = tuple(
                side + line + " " * (width - self.widths(line)) + side
                for line in _wrap(value, width)
            )
            if len(out) == 1:
                out = out[0]
        self[value] = out
        return out


def _fit(
    natural: list[int],
    floor: list[int],
    room: int,
    content: list[int],
    shapes: Counter[tuple[int, ...]],
    wide: list[bool],
) -> list[int]:
    """Column widths: natural when they fit; else the columns give way, first their headers
    down to the widest value under them (a header wrapped costs one line, a cell wrapped a
    line in every row it is in), then where it costs the least for each cell given up:
    the lines the rows grow by (a row is as tall as its tallest cell), the lines its cells
    grow by, and, three times over, the cells cut that were whole (a row already tall
    costs no line to cut a short name in it, but a reader a word). Each round one column
    gives its share of what is still needed, or all it can when that is less (a few
    rounds a column). ``floor``: the least each column may take (a column of ids, dates
    and numbers never cuts a value); ``content``: each column's widest value; ``shapes``:
    how many rows have each shape, the width of each of their cells (the commonest
    :data:`_SHAPES` are weighed); ``wide``: the columns of wide characters, which fill a
    line to an even width. A column of them left an odd width gives that cell away
    (:func:`_even_out`)."""
    n = range(len(natural))
    widths = _shrink(natural, [max(content[i], floor[i]) for i in n], room)
    over = sum(widths) - room
    if over <= 0:
        return widths
    rows = shapes.most_common(_SHAPES)
    while over > 0:
        tall = [_height(shape, widths, wide) for shape, _count in rows]
        best: tuple[tuple[float, int], int, int] | None = None
        able = [i for i in n if widths[i] > floor[i]]
        share = -(-over // max(len(able), 1))  # what is still needed, shared out
        for i in able:
            give = min(share, widths[i] - floor[i])
            cost = _cost(rows, tall, i, widths[i], widths[i] - give, wide[i])
            key = (cost / give, -widths[i])
            if best is None or key < best[0]:
                best = (key, i, give)
        if best is None:
            break
        _key, i, give = best
        widths[i] -= give
        over -= give
    _even_out(widths, natural, floor, rows, wide)
    return widths


def _even_out(
    widths: list[int],
    natural: list[int],
    floor: list[int],
    rows: list[tuple[tuple[int, ...], int]],
    wide: list[bool],
) -> None:
    """A column of wide characters left an odd width wastes its last cell on every line
    (`templates` gave 标题 11 cells for five characters a line): that cell goes to the
    column it saves the most in (another such column made even, a column of Latin text a
    character more), when it saves any."""
    for i in range(len(widths)):
        if not wide[i] or widths[i] & 1 == 0 or widths[i] - 1 < max(floor[i], 2):
            continue  # (an odd width holds no more than the even one below: see _lines)
        gains = []
        for j in range(len(widths)):
            if j != i and widths[j] < natural[j]:
                wider = [w + (k == j) for k, w in enumerate(widths)]
                tall = [_height(shape, wider, wide) for shape, _count in rows]
                # what it saves: what narrowing it back would cost
                gains.append((_cost(rows, tall, j, wider[j], widths[j], wide[j]), j))
        gain, j = max(gains, key=lambda found: found[0], default=(0, i))
        if gain > 0:
            widths[i] -= 1
            widths[j] += 1


_SHAPES = 300
"""How many of a table's commonest row shapes :func:`_fit` weighs."""


def _lines(size: int, width: int, wide: bool) -> int:
    """How many lines a value ``size`` cells wide takes in a column ``width`` wide (of wide
    characters: an even width's worth a line)."""
    if wide and width > 1:
        width -= width & 1
    return -(-size // width) if size else 1


def _height(shape: tuple[int, ...], widths: list[int], wide: list[bool]) -> int:
    """How many lines a row of cells this wide takes in columns ``widths`` wide."""
    return max(map(_lines, shape, widths, wide), default=1)


def _cost(
    rows: list[tuple[tuple[int, ...], int]],
    tall: list[int],
    i: int,
    width: int,
    narrower: int,
    wide: bool,
) -> int:
    """What narrowing column ``i`` from ``width`` to ``narrower`` costs the rows (shapes,
    how many of each, each now ``tall``): the lines they grow by, the lines its cells grow
    by (a cell squeezed in a row another makes tall costs a reader, not a line), and three
    for each cell cut that was whole."""
    more = 0
    for (shape, count), height in zip(rows, tall, strict=True):
        if i < len(shape) and shape[i] > narrower:
            was, lines = _lines(shape[i], width, wide), _lines(shape[i], narrower, wide)
            cut = 3 if was == 1 < lines else 0
            more += count * (max(0, lines - height) + lines - was + cut)
    return more


def _shrink(widths: list[int], floor: list[int], room: int) -> list[int]:
    widths = list(widths)
    over = sum(widths) - room
    while over > 0:
        candidates = [i for i in range(len(widths)) if widths[i] > floor[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        others = [widths[i] for i in candidates if i != widest]
        target = max(floor[widest], max(others, default=0), widths[widest] - over)
        if target >= widths[widest]:
            target = widths[widest] - 1
        over -= widths[widest] - target
        widths[widest] = target
    return widths


def _row_lines(row: Sequence[str], widths: list[int], bar: str, pad: int = 1) -> Iterator[str]:
    from rich.cells import cell_len

    parts = [_wrap(row[i] if i < len(row) else "", w) for i, w in enumerate(widths)]
    height = max((len(p) for p in parts), default=1)
    side = " " * pad
    for k in range(height):
        cells = []
        for piece, w in zip(parts, widths, strict=True):
            value = piece[k] if k < len(piece) else ""
            cells.append(side + value + " " * (w - cell_len(value)) + side)
        yield bar + bar.join(cells) + bar


def _wrap(value: str, width: int) -> list[str]:
    """``value`` in lines at most ``width`` cells wide: at spaces where there are any,
    between characters in CJK text; a word longer than the line is cut into pieces."""
    from rich.cells import cell_len

    out: list[str] = []
    for paragraph in value.split("\n") or [""]:
        line, size = "", 0
        for word in _tokens(paragraph):
            w = cell_len(word)
            if size + w > width and line:
                out.append(line.rstrip())
                line, size = "", 0
                if word == " ":
                    continue
            while w > width and len(word) > 1:  # a word wider than the column
                cut, used = "", 0
                for ch in word:
                    c = cell_len(ch)
                    if used + c > width and cut:  # (one character wider than the column: alone)
                        break
                    cut, used = cut + ch, used + c
                out.append(cut)
                word, w = word[len(cut) :], w - used
            line, size = line + word, size + w
        out.append(line.rstrip())
    return out or [""]


_CLOSERS = frozenset("，。、；：！？）》」』】”’")
"""Punctuation a line must not start with (Chinese typesetting): kept with what precedes."""


def _tokens(text: str) -> Iterator[str]:
    """Words of Latin text and spaces as they are; each CJK character on its own; a path
    breaks after each ``/``; closing punctuation stays with the character before it."""
    pieces: list[str] = []
    word = ""
    for ch in text:
        if ch in _CLOSERS and (word or pieces):
            if word:  # a line may break after it (`case_due_cn、channel?、…` was one word)
                pieces.append(word + ch)
                word = ""
            else:
                pieces[-1] += ch
        elif ch == " " or ord(ch) > 0x2E7F:
            if word:
                pieces.append(word)
                word = ""
            pieces.append(ch)
        elif ch in "/\\":
            pieces.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        pieces.append(word)
    yield from pieces


def _stream(lines: Iterable[str]) -> None:
    write = sys.stdout.write
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= 1000:
            write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        write("\n".join(chunk) + "\n")
    sys.stdout.flush()


def quiet_broken_pipe() -> None:
    """The reader went away (``procdoc list | head``): stop quietly, as git does."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _page(lines: Iterator[str]) -> None:
    """Lines to the terminal; through a pager when there are more than fit on it."""
    import os
    import shlex
    import shutil
    import subprocess

    height = shutil.get_terminal_size((80, 24)).lines
    first: list[str] = []
    for line in lines:
        first.append(line)
        if len(first) >= height:
            break
    else:
        _stream(first)
        return
    command = os.environ.get("PROCDOC_PAGER") or os.environ.get("PAGER") or "less -FRX"
    argv = shlex.split(command, posix=os.name != "nt")
    if not argv or shutil.which(argv[0]) is None:
        _stream(iter([*first, *lines]))
        return
    pager = subprocess.Popen(argv, stdin=subprocess.PIPE, encoding="utf-8", errors="replace")
    assert pager.stdin is not None
    try:
        pager.stdin.write("\n".join(first) + "\n")
        for line in lines:
            pager.stdin.write(line + "\n")
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager
        pass
    except KeyboardInterrupt:
        pager.terminate()
    pager.wait()


class _Shown(dict[Any, str]):
    """:func:`text` of each value that is not a str, made once for dates, times and empty
    cells (a table repeats them); numbers are not kept (``True == 1 == 1.0`` read
    differently)."""

    def __missing__(self, value: Any) -> str:
        shown = text(value)
        if type(value) in _SHOWN_KEPT:
            self[value] = shown
        return shown


_SHOWN_KEPT = frozenset({type(None), date, datetime})


def text(value: Any) -> str:
    if type(value) is str:
        return value
    from procdoc.values import display

    return display(value)
