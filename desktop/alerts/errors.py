"""Errors of the alert engine. A knowledge base that cannot be used is an error, never an empty result."""

from __future__ import annotations

from desktop.kb.errors import KnowledgeBaseError


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


class UnknownDrug(LookupError):
    """A drug name/RXCUI that neither the formulary nor the knowledge base knows."""

    def __init__(self, name: str, hint: str = ""):
        self.name = name
        super().__init__(f"unknown drug {name!r}" + (f" ({hint})" if hint else ""))
