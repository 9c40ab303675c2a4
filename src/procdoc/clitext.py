"""The words typer prints around procdoc's own help and usage errors, in the user's
language: ``Usage:``, the Options/Arguments/Commands headings, the help option's text,
``Try '... --help' for help.``, ``Error:`` and the usual usage errors (a missing option or
argument, an unknown option).

typer 0.28 carries its own copy of click with these words as literals (no gettext), so
:func:`localize` swaps them for the catalogue's at the few places they are made. Nothing
is changed for English.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import IO, Any

from procdoc.i18n import _, language, name_list

#: click's usage-error openings, translated where they start a message.
_OPENINGS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("Missing option", lambda: _("Missing option")),
    ("Missing argument", lambda: _("Missing argument")),
    ("Missing parameter", lambda: _("Missing parameter")),
    ("No such option:", lambda: _("No such option:")),
    ("No such command", lambda: _("No such command")),
    ("Invalid value for", lambda: _("Invalid value for")),
    ("Got unexpected extra argument", lambda: _("Got unexpected extra argument")),
)


#: click's words inside a usage error, for a Chinese one (not gettext: click's English is
#: not procdoc's to translate one message at a time, only these fragments of it).
_CLICK_WORDS = (
    ("' is not one of ", "' 不是以下之一："),
    ("' is not a valid float", "' 不是有效的数字"),
    ("' is not a valid integer", "' 不是有效的整数"),
    ("' is not a valid int", "' 不是有效的整数"),
    ("' is not a valid boolean", "' 不是有效的是/否值"),
)


def typer_headings() -> tuple[str, ...]:
    """typer's help headings and marks: typer asks gettext for them, which is our ``_`` once
    localized; named here so that the catalogue holds them."""
    return (_("Options"), _("Arguments"), _("Commands"), _("required"), _("default: {default}"))


#: click's whole usage errors that have values inside, each said in the user's language.
_WHOLE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"No such command '(.+)'\.(?: Did you mean (.+)\?)?"),
        lambda m: (
            _("No such command '{name}'.").format(name=m[1])
            + (_(" Did you mean {choices}?").format(choices=_comma_list(m[2])) if m[2] else "")
        ),
    ),
    (
        re.compile(
            r"No such option: (\S+)(?: (?:Did you mean (\S+)\?|\(Possible options: (.+)\)))?"
        ),
        lambda m: (
            _("No such option: {option}").format(option=m[1])
            + (
                _(" (did you mean {choices}?)").format(choices=_comma_list(m[2] or m[3]))
                if m[2] or m[3]
                else ""
            )
        ),
    ),
    (
        re.compile(r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)"),
        lambda m: _("Got unexpected extra arguments: {args}").format(args=m[1]),
    ),
    (
        re.compile(r"Option '(.+)' requires an argument\."),
        lambda m: _("Option '{option}' requires a value.").format(option=m[1]),
    ),
    (
        re.compile(r"Option '(.+)' does not take a value\."),
        lambda m: _("Option '{option}' does not take a value.").format(option=m[1]),
    ),
)


def _comma_list(text: str) -> str:
    """click's ``'a', 'b'`` (or ``--a, --b``) as a list in the user's language."""
    return name_list(part.strip() for part in text.split(","))


def translate_usage_error(message: str) -> str:
    """A click usage error with its opening words in the user's language."""
    for pattern, said in _WHOLE:
        whole = pattern.fullmatch(message)
        if whole:
            return said(whole)
    for opening, words in _OPENINGS:
        if message.startswith(opening):
            out = words() + message[len(opening) :]
            if language() == "zh":
                for english, chinese in _CLICK_WORDS:  # click's own words after the opening
                    out = out.replace(english, chinese)
                if out.endswith("."):  # click's full stop, in Chinese
                    out = out[:-1] + "。"
                out = out.replace("： ", "：")  # no space after a full-width colon
                head, sep, choices = out.partition("' 不是以下之一：")
                if sep:  # 'table'、'json'、'csv'
                    out = head + sep + choices.replace(", ", "、")
            return out
    return message


def _cells(text: str) -> int:
    """How many terminal columns ``text`` takes: a Chinese character (East Asian wide or
    full-width) two, anything else one."""
    return len(text) + sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


@functools.cache
def _wide_run() -> re.Pattern[str]:
    """A wide character, or a run of others (compiled when help is wrapped, not at every
    start: it took 3 ms of each command's start-up)."""
    return re.compile(
        r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[^\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+"
    )


#: Punctuation a Chinese line never starts with (避头点).
_NO_LINE_START = frozenset("、，。；：！？）》」』】〕…")


def _wide_wrapper(base: type[Any]) -> type[Any]:
    """click's help wrapper (``base``), measuring lines in terminal columns and free to
    break between Chinese characters: click counts characters and breaks only at spaces,
    so a line of Chinese help took twice the terminal's width."""

    class WideWrapper(base):  # type: ignore[misc]
        def _split(self, text: str) -> list[str]:
            out: list[str] = []
            for chunk in super()._split(text):
                out.extend(_wide_run().findall(chunk) if _cells(chunk) != len(chunk) else [chunk])
            return out

        def _wrap_chunks(self, chunks: list[str]) -> list[str]:
            lines: list[str] = []
            chunks.reverse()
            while chunks:
                indent = self.subsequent_indent if lines else self.initial_indent
                width = self.width - _cells(indent)
                if self.drop_whitespace and lines and not chunks[-1].strip():
                    del chunks[-1]
                line: list[str] = []
                used = 0
                while chunks and used + _cells(chunks[-1]) <= width:
                    used += _cells(chunks[-1])
                    line.append(chunks.pop())
                if chunks and _cells(chunks[-1]) > width - used and not line:
                    self._handle_long_word(chunks, line, used, width)
                else:  # 、，。 never start a line: take characters along
                    while chunks and chunks[-1][:1] in _NO_LINE_START and len(line) > 1:
                        chunks.append(line.pop())
                if self.drop_whitespace and line and not line[-1].strip():
                    del line[-1]
                if line:
                    lines.append(indent + "".join(line))
            return lines

    return WideWrapper


def wrap_wide() -> None:
    """Have typer's help wrap Chinese text by terminal columns (in either language: the
    English help holds Chinese words too)."""
    from typer._click import _textwrap

    if not getattr(_textwrap.TextWrapper, "procdoc_wide", False):
        wrapper = _wide_wrapper(_textwrap.TextWrapper)
        wrapper.procdoc_wide = True
        _textwrap.TextWrapper = wrapper  # type: ignore[misc]


def short_help(help: str, max_length: int = 45) -> str:
    """A command's line in the list of commands: its first sentence. click's own breaks
    only at spaces and ends a sentence only at ".", so a Chinese help text longer than
    the line came out as "..." alone (QA: ``sample     ...``). Cut at the first 。 or ；
    (then …: a clause cut short read as the whole help: QA);
    a first sentence longer than two lines (``max_length`` terminal columns each: a
    Chinese character takes two) is cut there with …, a shorter one wraps whole."""
    from typer._click.utils import make_default_short_help

    text = help.split("\n\n")[0].strip()
    if _cells(text) == len(text):  # no Chinese: click's way
        return make_default_short_help(help, max_length)
    text = " ".join(text.split())
    ends = [i for i in (text.find("。"), text.find("；")) if i >= 0]
    if ends:  # the first sentence, with its 。 (a ； is dropped, and … says more follows)
        end = min(ends)
        text = text[: end + 1] if text[end] == "。" else text[:end] + "…"
    room = 2 * max_length - 2  # (the …)
    if _cells(text) <= 2 * max_length:
        return text
    while _cells(text) > room:
        text = text[:-1]
    return text + "…"


def localize() -> None:
    """Put typer's frame words in the user's language (only when it is not English)."""
    if language() == "en":
        return
    import typer.core
    from typer import _click
    from typer._click import exceptions, formatting
    from typer._click._compat import get_text_stderr
    from typer._click.utils import echo

    typer.core._ = _  # type: ignore[attr-defined]  # see typer_headings
    _click.core.make_default_short_help = short_help  # type: ignore[attr-defined]

    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]

    def heading(self: Any, heading: str) -> None:  # 选项：, with the language's colon
        self.write(" " * self.current_indent + _("{heading}:").format(heading=heading) + "\n")

    formatting.HelpFormatter.write_heading = heading  # type: ignore[method-assign]

    get_help_option = _click.core.Command.get_help_option

    def help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    _click.core.Command.get_help_option = help_option  # type: ignore[method-assign]

    def show(self: Any, file: IO[Any] | None = None) -> None:
        out = file if file is not None else get_text_stderr()
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = _("Try '{command} {option}' for help.").format(
                    command=self.ctx.command_path, option=self.ctx.help_option_names[0]
                )
            echo(f"{self.ctx.get_usage()}\n{hint}\n", file=out, color=self.ctx.color)
        message = translate_usage_error(self.format_message())
        echo(_("Error: {message}").format(message=message), file=out)

    exceptions.UsageError.show = show  # type: ignore[method-assign]
