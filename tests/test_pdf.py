"""PDFs through LibreOffice (procdoc.docx.pdf): found, batched, errors in one line."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import docx
import pytest

from procdoc.docx import pdf
from procdoc.errors import RenderError


def document(path: Path, text: str = "正文") -> Path:
    d = docx.Document()
    d.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def fake_soffice(tmp_path: Path, body: str) -> Path:
    """A stand-in `soffice` (a shell script) that records its arguments."""
    exe = tmp_path / "bin" / "soffice"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


needs_sh = pytest.mark.skipif(
    sys.platform == "win32", reason="the stand-in soffice is a shell script"
)


def test_not_found_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "_candidates", lambda: iter([str(tmp_path / "nope")]))
    assert pdf.find_soffice() is None
    with pytest.raises(RenderError) as info:
        pdf.to_pdf([document(tmp_path / "a.docx")])
    assert "LibreOffice (soffice) is not on PATH" in info.value.message
    assert "\n" not in info.value.message
    assert pdf.to_pdf([]) == []


@needs_sh
def test_one_call_own_profile_and_outdir(tmp_path: Path) -> None:
    log = tmp_path / "args.txt"
    exe = fake_soffice(
        tmp_path,
        f'echo "$@" >> {log}\n'
        'out=""; prev=""\n'
        'for a in "$@"; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        'for a in "$@"; do case "$a" in *.docx) n=$(basename "$a" .docx); echo pdf > "$out/$n.pdf";; esac; done\n',
    )
    docs = [document(tmp_path / "in" / f"{n}.docx") for n in ("甲", "乙")]
    made = pdf.to_pdf(docs, tmp_path / "out", soffice=exe)
    assert made == [(tmp_path / "out" / f"{n}.pdf").resolve() for n in ("甲", "乙")]
    calls = log.read_text(encoding="utf-8").splitlines()
    assert len(calls) == 1  # one batch
    assert "-env:UserInstallation=file://" in calls[0] and "--headless" in calls[0]
    beside = pdf.to_pdf([docs[0]], soffice=exe)  # no out_dir: beside the document
    assert beside == [docs[0].resolve().with_suffix(".pdf")]


@needs_sh
def test_failure_and_missing_output_and_timeout(tmp_path: Path) -> None:
    doc = document(tmp_path / "a.docx")
    failing = fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2\nexit 1\n")
    with pytest.raises(RenderError, match=r"failed converting to PDF \(exit 1\): Error: source"):
        pdf.to_pdf([doc], soffice=failing)
    silent = fake_soffice(tmp_path, "exit 0\n")
    with pytest.raises(RenderError, match=r"did not write a\.pdf"):
        pdf.to_pdf([doc], soffice=silent)
    slow = fake_soffice(tmp_path, "sleep 5\n")
    with pytest.raises(RenderError, match="did not finish"):
        pdf.to_pdf([doc], soffice=slow, timeout=0.5)
    with pytest.raises(RenderError, match="does not exist"):
        pdf.to_pdf([tmp_path / "nope.docx"], soffice=silent)


@pytest.mark.skipif(
    pdf.find_soffice() is None or os.environ.get("PROCDOC_SKIP_SOFFICE") == "1",
    reason="LibreOffice is not installed",
)
def test_real_libreoffice(tmp_path: Path) -> None:
    docs = [document(tmp_path / f"{n}.docx", f"第{n}份") for n in ("1", "2")]
    made = pdf.to_pdf(docs, tmp_path / "pdf")
    assert all(p.read_bytes().startswith(b"%PDF") for p in made)
