"""procdoc: office processes as YAML, an Excel ledger, deadlines and documents."""

from __future__ import annotations

from procdoc.errors import ExitCode, ProcdocError, ProcdocWarning

__version__ = "0.1.0"

__all__ = ["ExitCode", "ProcdocError", "ProcdocWarning", "__version__"]
