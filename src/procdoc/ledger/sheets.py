"""The names of a workbook's sheets, read from its workbook part alone (no cell data)."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

_SHEET = re.compile(rb"""<(?:\w+:)?sheet\b[^>]*?\bname\s*=\s*(["'])(.*?)\1""", re.S)


def sheet_names(path: Path) -> list[str]:
    """The sheet names of the workbook at ``path``, in workbook order; ``[]`` when the
    file does not exist or is no readable workbook (the commands that read it then say
    why)."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return []
    return [html.unescape(m.group(2).decode("utf-8")) for m in _SHEET.finditer(data)]
