"""Output redirected on a system whose encoding is not UTF-8 (a Chinese Windows writes
text to a file or a pipe in GBK): JSON and CSV are UTF-8 all the same, and text keeps
going past a character that encoding lacks. Run as processes of their own, with
``PYTHONIOENCODING=gbk`` standing in for the Windows code page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli

#: 𠮷 (U+20BB7) and an emoji are not in GBK; the rest of the title is
TITLE = "关于𠮷字路口改造的来函😀"


@pytest.fixture
def office(mini: Path) -> Path:
    code, _, err = cli(mini, "new", "mini", "--title", TITLE, "--set", "applicant=张三")
    assert code == 0, err
    return mini


def run_gbk(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCDOC_")}
    env.update(PYTHONIOENCODING="gbk", COLUMNS="80")
    return subprocess.run(
        [sys.executable, "-m", "procdoc", *args, "-w", str(root)],
        env=env,
        capture_output=True,
        check=False,
    )


def test_json_redirected_is_utf8_whatever_the_systems_encoding(office: Path) -> None:
    done = run_gbk(office, "list", "--format", "json")
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    (case,) = json.loads(done.stdout.decode("utf-8"))
    assert case["title"] == TITLE  # not GBK, nothing replaced


def test_csv_redirected_is_utf8_with_its_byte_order_mark(office: Path) -> None:
    """It ended with a traceback: GBK has no byte-order mark."""
    done = run_gbk(office, "list", "--format", "csv")
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    assert done.stdout.startswith(b"\xef\xbb\xbf")
    header, row = done.stdout.decode("utf-8-sig").split("\r\n")[:2]
    assert header.startswith("编号,") and TITLE in row


def test_a_table_redirected_is_in_the_systems_encoding_and_goes_on(office: Path) -> None:
    """A character GBK lacks is a ``?``: the table is written whole, no traceback."""
    done = run_gbk(office, "list")
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    table = done.stdout.decode("gbk")  # strict: every byte is GBK
    assert "│关于?字路口改造的来函?│" in table and "┃编号" in table
    assert b"Traceback" not in done.stderr


def test_the_schema_redirected_is_utf8(office: Path) -> None:
    done = run_gbk(office, "schema")
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    schema = json.loads(done.stdout.decode("utf-8"))
    assert "properties" in schema
