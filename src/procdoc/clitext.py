"""The words typer prints around procdoc's own help and usage errors, in the user's
language: ``Usage:``, the Options/Arguments/Commands headings, the help option's text,
``Try '... --help' for help.``, ``Error:`` and the usual usage errors (a missing option or
argument, an unknown option).

typer 0.28 carries its own copy of click with these words as literals (no gettext), so
:func:`localize` swaps them for the catalogue's at the few places they are made. Nothing
is changed for English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any

from procdoc.i18n import _, language

#: click's usage-error openings, translated where they start a message.
_OPENINGS: tuple[tuple[re.Pattern[str], Callable[[], str]], ...] = (
    (re.compile(r"^Missing option"), lambda: _("Missing option")),
    (re.compile(r"^Missing argument"), lambda: _("Missing argument")),
    (re.compile(r"^Missing parameter"), lambda: _("Missing parameter")),
    (re.compile(r"^No such option:"), lambda: _("No such option:")),
    (re.compile(r"^No such command"), lambda: _("No such command")),
    (re.compile(r"^Invalid value for"), lambda: _("Invalid value for")),
    (re.compile(r"^Got unexpected extra argument"), lambda: _("Got unexpected extra argument")),
)


def typer_headings() -> tuple[str, ...]:
    """typer's help headings and marks: typer asks gettext for them, which is our ``_`` once
    localized; named here so that the catalogue holds them."""
    return (_("Options"), _("Arguments"), _("Commands"), _("required"), _("default: {default}"))


def translate_usage_error(message: str) -> str:
    """A click usage error with its opening words in the user's language."""
    for pattern, words in _OPENINGS:
        if pattern.match(message):
            return pattern.sub(words().replace("\\", "\\\\"), message, count=1)
    return message


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

    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]

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
