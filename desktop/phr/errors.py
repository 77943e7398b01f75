"""Errors of the PHR pipeline. Each message is one sentence for the user."""

from __future__ import annotations


class PhrError(Exception):
    """Base class."""


class UnreadableFile(PhrError):
    """The file cannot be used at all: empty, not a format we read, truncated, too large, unsafe."""


class UnsafeFile(UnreadableFile):
    """The file looks built to harm the reader (zip bomb, XML entity expansion, external entities)."""


class FileTooLarge(UnreadableFile):
    pass


class ReadCancelled(PhrError):
    def __init__(self, message: str = "reading the file was cancelled"):
        super().__init__(message)


class SeveralPatients(PhrError):
    """The file holds records of more than one patient and no one was chosen."""

    def __init__(self, refs: list[str], names: list[str]):
        self.refs = refs
        self.names = names
        super().__init__(
            f"the file holds records of {len(refs)} patients ({', '.join(names)}); choose one"
        )


class SkipEntry(Exception):
    """One entry cannot be used; the reason is listed and reading goes on."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
