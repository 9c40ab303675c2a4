"""The names of a workbook's sheets, read from its workbook part alone (no cell data)."""

from __future__ import annotations

import re
from pathlib import Path

_SHEET = re.compile(rb"""<(?:\w+:)?sheet\b[^>]*?\bname\s*=\s*(["'])(.*?)\1""", re.S)


def sheet_names(path: Path) -> list[str]:
    """The sheet names of the workbook at ``path``, in workbook order; ``[]`` when the
    file does not exist or is no readable workbook (the commands that read it then say
    why)."""
    import html
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return []
    return [html.unescape(m.group(2).decode("utf-8")) for m in _SHEET.finditer(data)]


def sheet_members(path: Path) -> dict[str, str]:
    """Each worksheet's name -> the zip member holding its cells, as the workbook part and
    its relationships say; ``{}`` when they cannot be read or two sheets share a name (the
    read cache then keeps nothing for the file)."""
    from procdoc.ledger import zipraw
    from procdoc.ledger.parts import Package

    try:
        with open(path, "rb") as f:
            members, _ = zipraw.read_directory(f)
            pkg = Package(f, members, path.name)
            refs = pkg.sheets
            names = {m.name for m in members}
    except Exception:  # anything odd: no cache, calamine reads as always
        return {}
    if len({ref.name for ref in refs}) != len(refs):
        return {}
    return {
        ref.name: ref.path
        for ref in refs
        if ref.kind == "worksheet" and ref.path is not None and ref.path in names
    }
