"""File-like wrappers: hash and count what is read, report progress, stop on Cancel or when over a limit."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from .control import ReadControl
from .errors import FileTooLarge, UnsafeFile


class MeteredReader(io.RawIOBase):
    """Reads from `raw`, feeding a sha256, counting bytes, reporting progress and checking Cancel."""

    def __init__(self, raw: BinaryIO, control: ReadControl, *, total: int, limit: int, what: str,
                 stage: str = "reading", compressed_size: int | None = None, max_ratio: int | None = None):
        self._raw = raw
        self._control = control
        self.sha = hashlib.sha256()
        self.count = 0
        self._total = total
        self._limit = limit
        self._what = what
        self._stage = stage
        self._compressed = compressed_size
        self._max_ratio = max_ratio

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self.sha.update(data)
            self.count += n
            if self.count > self._limit:
                raise FileTooLarge(f"{self._what} is larger than the limit of {self._limit // (1024 * 1024):,} MB")
            if self._compressed and self._max_ratio and self.count > 1024 * 1024:
                if self.count > self._compressed * self._max_ratio:
                    raise UnsafeFile(
                        f"{self._what} expands more than {self._max_ratio} times its compressed size "
                        "(a zip bomb?); not read"
                    )
            self._control.report(self.count, self._total, self._stage)
        return n

    def drain(self) -> None:
        """Read what the parser left (trailing whitespace) so the hash covers the whole file."""
        while self.read(1 << 20):
            pass


def read_all(raw: BinaryIO, control: ReadControl, *, total: int, limit: int, what: str,
             compressed_size: int | None = None, max_ratio: int | None = None) -> tuple[bytes, str]:
    """The whole stream as bytes and its sha256, in 1 MB steps (progress, Cancel, limits between steps)."""
    reader = MeteredReader(raw, control, total=total, limit=limit, what=what, compressed_size=compressed_size,
                           max_ratio=max_ratio)
    chunks = []
    while True:
        chunk = reader.read(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    control.report(reader.count, total, "reading", force=True)
    return b"".join(chunks), reader.sha.hexdigest()
