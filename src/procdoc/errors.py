"""Errors and exit codes.

Expected failures are :class:`ProcdocError` subclasses raised by the core with a message
that says what, where and what to do next. The CLI turns them into one ``Error: ...`` line
on stderr and the error's exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

from procdoc.i18n import _

if TYPE_CHECKING:
    from procdoc.process.loader import Problem


class ExitCode(IntEnum):
    """The process exit codes of every procdoc command (SPEC §5)."""

    OK = 0
    USER = 1  # the user can fix it: bad input, unknown case, refused move, locked ledger
    USAGE = 2  # bad command-line usage
    INVALID = 3  # `validate` or `check` found errors
    INTERRUPTED = 130  # Ctrl-C


class ProcdocError(Exception):
    """An error the user can fix. ``str(err)`` is the one-line message."""

    exit_code: ExitCode = ExitCode.USER

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(
            message if hint is None else _("{message} ({hint})").format(message=message, hint=hint)
        )


class WorkspaceError(ProcdocError):
    """procdoc.yaml missing or invalid, or a path outside the workspace."""


class ConfigError(WorkspaceError):
    """procdoc.yaml has errors: every one of them, each with its line and column."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(
            f"{first.pos}: {first.message}" if first.pos else first.message,
            hint=_("{more} more error(s) in procdoc.yaml, listed below").format(more=more)
            if more
            else None,
        )

    def lines(self) -> list[str]:
        """One line per problem, with its position."""
        return [f"{p.pos}: {p.message}" if p.pos else p.message for p in self.problems]


class ProcessError(ProcdocError):
    """A process definition that cannot be used."""


class LedgerError(ProcdocError):
    """The ledger cannot be read or written safely."""


class LedgerLockedError(LedgerError):
    """The ledger is open in Excel/WPS/LibreOffice or locked by another procdoc."""


class LedgerChangedError(LedgerError):
    """The ledger changed on disk while procdoc was writing it."""


class CaseError(ProcdocError):
    """Unknown case, refused move, wrong field value."""


class CalendarError(ProcdocError):
    """A bad duration, date or calendar file."""


class ImportFileError(ProcdocError):
    """An OA export that cannot be read."""


class RenderError(ProcdocError):
    """A template that cannot be rendered for a case."""


class UsageError(ProcdocError):
    """Bad command-line usage detected by the core (exit 2)."""

    exit_code = ExitCode.USAGE


class ProcdocWarning(UserWarning):
    """A problem worth telling the user that does not stop the command.

    The core raises these with :func:`warnings.warn`; the CLI prints each distinct one
    once as ``Warning: ...`` on stderr.
    """


class UnadoptedWarning(ProcdocWarning):
    """A hand-kept register procdoc has not taken over yet (`procdoc adopt` says nothing
    of it while it takes it over)."""
