"""Entry files under the workspace's ``.procdoc/cache/``: framed, checked, written whole.

An entry's file is a magic string naming what it holds, then a head (the entry format's
version, Python's marshal version and major.minor, the payload's length and its CRC-32),
then the payload: :mod:`marshal` data, from which no code can run when it loads (unlike
pickle). The CRC finds damage; nothing in the file is trusted beyond that, and every
reader compares the key stored in the payload with the one it wants. A file that is
missing, truncated, of another format or Python, or damaged, reads as no entry. Entries
are written to a temp file and renamed into place, so a reader never sees half of one;
failing to write one is never an error (the cache only saves time).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from procdoc import __version__

try:  # CPython's own SHA-1: the digest hashlib gives, without loading OpenSSL (4-9 ms)
    from _sha1 import sha1 as _sha1  # type: ignore[import-not-found]
except ImportError:  # another Python
    from hashlib import sha1 as _sha1

_HEAD = struct.Struct("<HHBBQI")  # version, marshal version, py major, py minor, length, CRC-32


def entry_name(*parts: str) -> str:
    """The stem of the file of the entry named by ``parts`` (32 hex digits of their SHA-1;
    two names sharing a file only cost a rebuild, as each entry keeps its whole key)."""
    text = "\0".join(parts).encode("utf-8", "surrogatepass")
    return str(_sha1(text, usedforsecurity=False).hexdigest()[:32])


class EntryFormat:
    """One kind of entry: its magic string and format version."""

    def __init__(self, magic: bytes, version: int) -> None:
        self.magic = magic
        self.version = version

    def unwrap(self, data: bytes | memoryview) -> memoryview | None:
        """The payload of an entry's file, or None unless it is whole, of this format, this
        Python's marshal, and matches its CRC."""
        start = len(self.magic) + _HEAD.size
        if len(data) < start or bytes(data[: len(self.magic)]) != self.magic:
            return None
        version, marshal_version, major, minor, length, digest = _HEAD.unpack_from(
            data, len(self.magic)
        )
        if (version, marshal_version, major, minor) != (
            self.version,
            marshal.version,
            *sys.version_info[:2],
        ):
            return None
        payload = memoryview(data)[start:]
        if len(payload) != length or zlib.crc32(payload) != digest:
            return None
        return payload

    def read(self, path: Path) -> memoryview | None:
        """The payload of the entry file at ``path``; None when there is none to trust."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return self.unwrap(data)

    def load(self, path: Path, key: object) -> Any:
        """The body of the entry at ``path``, stored as ``(key, body)``, when its key is
        ``key``; else None."""
        payload = self.read(path)
        if payload is None:
            return None
        try:
            stored, body = marshal.loads(payload)
        except Exception:  # a damaged entry that passed its CRC: never trusted
            return None
        return body if stored == key else None

    def dump(self, path: Path, key: Any, body: Any) -> bool:
        """Store ``body`` under ``key`` at ``path`` (False when marshal cannot hold it or
        the file cannot be written)."""
        try:
            payload = marshal.dumps((key, body))
        except ValueError:
            return False
        return self.write(path, payload)

    def write(self, target: Path, payload: bytes) -> bool:
        """Write an entry's file whole or not at all; False when it could not be written."""
        return self.write_parts(target, [payload])

    def write_parts(self, target: Path, parts: Sequence[bytes | memoryview]) -> bool:
        """:meth:`write` of the payload ``b"".join(parts)``, without joining them."""
        length, crc = 0, 0
        for part in parts:
            length += len(part)
            crc = zlib.crc32(part, crc)
        head = self.magic + _HEAD.pack(
            self.version, marshal.version, *sys.version_info[:2], length, crc
        )
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(head)
                f.writelines(parts)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
        return True


class TextMemo:
    """What procdoc made of a small file (a parsed YAML document, a calendar's days), kept
    in a folder under the file's name and whole text and given back only while the file
    holds exactly that text, for this version of procdoc: no mtime, which a quick edit can
    leave unchanged, is trusted. The result must be data marshal holds. ``version``: raise
    it whenever what is kept, or how it is made from the text, changes."""

    def __init__(self, kind: str, version: int) -> None:
        self.kind = kind
        self.format = EntryFormat(f"procdoc-{kind}-cache\n".encode(), version)

    def _file(self, folder: Path, name: str) -> Path:
        return folder / f"{entry_name(name)}.{self.kind}"

    def get(self, folder: Path, name: str, raw: bytes) -> Any:
        """What was kept for ``name`` holding ``raw``, or None."""
        return self.format.load(self._file(folder, name), (__version__, name, raw))

    def put(self, folder: Path, name: str, raw: bytes, made: Any) -> None:
        """Keep ``made`` for ``name`` holding ``raw`` (nothing when marshal cannot hold it)."""
        self.format.dump(self._file(folder, name), (__version__, name, raw), made)
