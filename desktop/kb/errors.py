"""The errors the shipped knowledge base raises. Callers show them in a red banner; nothing fails silently."""

from __future__ import annotations


class KnowledgeBaseError(Exception):
    """A shipped knowledge file is missing, unreadable or malformed. The message says which file and entry."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class KnowledgeBaseUnavailable(KnowledgeBaseError):
    """The alert knowledge base is missing, unreadable or invalid: no check can be trusted.

    Callers must show this ("Interaction checking unavailable: ...") and require acknowledgement;
    they must never treat it as "no alerts". A KnowledgeBaseError, so code that guards the formulary's
    errors catches this one too.
    """

    def __init__(self, reason: str, path: str | None = None):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path
