"""Documents: the template context, batch rendering, numbering checks (SPEC §7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from procdoc.process.loader import Problem
from procdoc.process.model import Process

if TYPE_CHECKING:
    from procdoc.workspace import Workspace


def check_templates(ws: Workspace, processes: dict[str, Process]) -> list[Problem]:
    """Lint every template and check its variables against what it can receive."""
    return []
