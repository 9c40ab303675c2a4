"""PDFs of rendered documents through LibreOffice (notes/docx-render.md §4).

One ``soffice --headless --convert-to pdf`` converts a whole batch; each call has its
own temporary profile (``-env:UserInstallation``), so conversions running side by side
do not collide on LibreOffice's profile lock, and a timeout, so a hung office suite does
not hang procdoc. The PDF's line breaks follow the fonts installed where it runs: the
公文 fonts (仿宋_GB2312, 方正小标宋简体) are needed for print-ready output.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from procdoc.errors import RenderError
from procdoc.i18n import _

__all__ = ["find_soffice", "to_pdf"]

#: Seconds one conversion call may take (LibreOffice starts in 1-3 s, then ~0.3 s a file).
TIMEOUT = 300


def _candidates() -> Iterable[str]:
    """Where LibreOffice usually lives, after PATH."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            yield found
    if sys.platform == "win32":
        for base in (os.environ.get("PROGRAMFILES"), os.environ.get("PROGRAMFILES(X86)")):
            if base:
                yield str(Path(base) / "LibreOffice" / "program" / "soffice.exe")
        yield r"C:\Program Files\LibreOffice\program\soffice.exe"
    elif sys.platform == "darwin":
        yield "/Applications/LibreOffice.app/Contents/MacOS/soffice"
    else:
        yield "/usr/bin/soffice"
        yield "/usr/lib/libreoffice/program/soffice"
        yield from sorted(glob.glob("/opt/libreoffice*/program/soffice"), reverse=True)
        yield "/snap/bin/libreoffice"


def find_soffice() -> Path | None:
    """LibreOffice's ``soffice``: on PATH or in its usual install folder; None if absent."""
    for candidate in _candidates():
        path = Path(candidate)
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def to_pdf(
    paths: Sequence[Path],
    out_dir: Path | None = None,
    *,
    soffice: Path | None = None,
    timeout: float = TIMEOUT,
) -> list[Path]:
    """Convert ``paths`` (.docx) to PDF in one LibreOffice call; return the PDFs' paths.

    Each PDF goes to ``out_dir``, or beside its document when ``out_dir`` is None.
    Raises :class:`RenderError` with a one-line message when LibreOffice cannot be found,
    times out, fails, or leaves a PDF unwritten.
    """
    if not paths:
        return []
    exe = soffice or find_soffice()
    if exe is None:
        raise RenderError(
            _(
                "cannot write PDFs: LibreOffice (soffice) is not on PATH nor in its usual install folder"
            ),
            hint=_(
                "install LibreOffice (apt install libreoffice-writer / winget install TheDocumentFoundation.LibreOffice)"
            ),
        )
    documents = [Path(p).resolve() for p in paths]
    for document in documents:
        if not document.is_file():
            raise RenderError(
                _("cannot write a PDF of {document}: the file does not exist").format(
                    document=document
                )
            )
    # one call per output folder (LibreOffice has one --outdir a call)
    groups: dict[Path, list[Path]] = {}
    for document in documents:
        groups.setdefault(Path(out_dir).resolve() if out_dir else document.parent, []).append(
            document
        )
    with tempfile.TemporaryDirectory(prefix="procdoc-soffice-") as profile:
        for folder, group in groups.items():
            folder.mkdir(parents=True, exist_ok=True)
            _convert(exe, group, folder, Path(profile), timeout)
    pdfs = [(Path(out_dir).resolve() if out_dir else d.parent) / f"{d.stem}.pdf" for d in documents]
    missing = [p for p in pdfs if not p.is_file()]
    if missing:
        raise RenderError(
            _("LibreOffice did not write {name}").format(name=missing[0].name)
            + (
                _(" and {n_missing} other PDF(s)").format(n_missing=len(missing) - 1)
                if len(missing) > 1
                else ""
            )
        )
    return pdfs


def _convert(exe: Path, documents: list[Path], folder: Path, profile: Path, timeout: float) -> None:
    command = [
        str(exe),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf:writer_pdf_Export",
        "--outdir",
        str(folder),
        *(str(d) for d in documents),
    ]
    posix = os.name == "posix"
    try:
        # its own session, so a timeout ends soffice.bin too, not only the launcher
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=posix,
        )
    except OSError as exc:
        raise RenderError(
            _("cannot run LibreOffice ({exe}): {value}").format(exe=exe, value=exc.strerror or exc)
        ) from exc
    try:
        _unused, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.communicate()
        raise RenderError(
            _(
                "LibreOffice did not finish converting {n_documents} document(s) to PDF in {timeout:g} s"
            ).format(n_documents=len(documents), timeout=timeout)
        ) from None
    if process.returncode != 0:
        detail = " ".join(err.decode("utf-8", "replace").split())[:200]
        raise RenderError(
            _("LibreOffice failed converting to PDF (exit {returncode})").format(
                returncode=process.returncode
            )
            + (f": {detail}" if detail else "")
        )
