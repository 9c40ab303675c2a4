"""Parsed YAML kept under .procdoc/cache (procdoc.yamlpos.load_file with ``cache``).

A document taken from the cache must equal the one parsed from the file, positions and
duplicate keys included; any change to the file's text (even one keeping its size and
mtime), a damaged or foreign entry, means the file is parsed again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import write
from procdoc.workspace import Workspace
from procdoc.yamlpos import Document, load_file

TEXT = """\
name: 测试
when: 2026-10-01
at: 2026-10-01 09:30:00
zoned: 2026-10-01T09:30:00+08:00
raw: !!binary aGVsbG8=
list: [1, 2.5, true, null, "文本"]
nested:
  a: {b: [x, {c: 2026-01-02}]}
  a: twice
7: seven
"""


def same(a: Document, b: Document) -> None:
    assert (a.file, a.data, a.pos, a.key_pos, a.duplicates) == (
        b.file,
        b.data,
        b.pos,
        b.key_pos,
        b.duplicates,
    )
    assert [type(v) for v in a.data.values()] == [type(v) for v in b.data.values()]


def test_a_cached_document_equals_the_parsed_one(tmp_path: Path) -> None:
    path = write(tmp_path / "x.yaml", TEXT)
    cache = tmp_path / "cache"
    fresh = load_file(path, base=tmp_path)
    first = load_file(path, base=tmp_path, cache=cache)
    entries = list(cache.glob("*.yaml"))
    assert len(entries) == 1
    second = load_file(path, base=tmp_path, cache=cache)
    same(fresh, first)
    same(fresh, second)
    assert second.data["when"].isoformat() == "2026-10-01"
    assert second.data["zoned"].utcoffset() is not None
    assert str(second.where(("list", 4))) == "x.yaml:6:28"
    assert [str(pos) for _path, pos in second.duplicates] == ["x.yaml:9:3"]


def test_a_change_of_the_text_is_seen_even_with_the_same_size_and_mtime(tmp_path: Path) -> None:
    path = write(tmp_path / "x.yaml", "days: 5\n")
    cache = tmp_path / "cache"
    assert load_file(path, cache=cache).data == {"days": 5}
    st = path.stat()
    path.write_text("days: 7\n", encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert load_file(path, cache=cache).data == {"days": 7}


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-3],
        lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:],
        lambda d: b"junk",
        lambda d: d.replace(b"procdoc-yaml-cache", b"procdoc-sheet-cache"),
    ],
)
def test_a_damaged_or_foreign_entry_is_parsed_again(tmp_path: Path, damage: object) -> None:
    path = write(tmp_path / "x.yaml", TEXT)
    cache = tmp_path / "cache"
    fresh = load_file(path, base=tmp_path, cache=cache)
    (entry,) = cache.glob("*.yaml")
    assert callable(damage)
    entry.write_bytes(damage(entry.read_bytes()))
    same(fresh, load_file(path, base=tmp_path, cache=cache))
    same(fresh, load_file(path, base=tmp_path, cache=cache))  # and the entry was rebuilt


def test_an_entry_of_another_file_with_the_same_name_is_not_used(tmp_path: Path) -> None:
    one = write(tmp_path / "a" / "p.yaml", "id: one\n")
    two = write(tmp_path / "b" / "p.yaml", "id: two\n")
    cache = tmp_path / "cache"
    assert load_file(one, base=one.parent, cache=cache).data == {"id": "one"}
    assert load_file(two, base=two.parent, cache=cache).data == {"id": "two"}
    assert load_file(one, base=one.parent, cache=cache).data == {"id": "one"}


def test_problems_are_found_the_same_from_the_cache(mini: Path) -> None:
    write(
        mini / "processes" / "bad.yaml",
        """\
        name: 坏流程
        id: bad
        roles: [甲]
        steps:
          - id: a
            name: 甲
            role: 乙
            final: true
        """,
    )
    first = Workspace(mini)
    cold = [str(p) for p in first.load_processes()[1]]
    assert any("bad.yaml:7:" in p for p in cold)
    assert list((mini / ".procdoc" / "cache").glob("*.yaml"))
    assert [str(p) for p in Workspace(mini).load_processes()[1]] == cold


def with_calendar_file(mini: Path, text: str) -> Path:
    """List 日历.yaml under calendar: files: of the mini workspace and write it."""
    config = mini / "procdoc.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  holidays: []", "  holidays: []\n  files: [日历.yaml]"
        ),
        encoding="utf-8",
    )
    return write(mini / "日历.yaml", text)


def test_a_calendar_file_is_read_again_when_its_text_changes(mini: Path) -> None:
    days = with_calendar_file(mini, "holidays:\n  - 2027-01-04\nworkdays: [2027-01-09]\n")
    cold = Workspace(mini).calendar
    assert list((mini / ".procdoc" / "cache").glob("*.calendar"))
    warm = Workspace(mini).calendar
    for cal in (cold, warm):
        assert not cal.is_workday(date(2027, 1, 4)) and cal.is_workday(date(2027, 1, 9))
    st = days.stat()
    days.write_text("holidays:\n  - 2027-01-05\nworkdays: [2027-01-09]\n", encoding="utf-8")
    os.utime(days, ns=(st.st_atime_ns, st.st_mtime_ns))
    changed = Workspace(mini).calendar
    assert changed.is_workday(date(2027, 1, 4)) and not changed.is_workday(date(2027, 1, 5))


def test_a_warm_workspace_does_not_load_pyyaml(mini: Path) -> None:
    with_calendar_file(mini, "holidays:\n  - 2027-01-04\n")
    filled = Workspace(mini)  # fills the cache
    assert filled.processes and filled.calendar.is_workday(date(2027, 1, 5))
    code = (
        "import sys; from procdoc.workspace import Workspace; "
        f"ws = Workspace(__import__('pathlib').Path({str(mini)!r})); ws.processes; ws.calendar; "
        "print('yaml' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
