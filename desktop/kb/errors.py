"""The one error the shipped knowledge base raises. Callers show it in a red banner; nothing fails silently."""

from __future__ import annotations


class KnowledgeBaseError(Exception):
    """A shipped knowledge file is missing, unreadable or malformed. The message says which file and entry."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
