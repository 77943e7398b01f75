"""Errors of the alert engine. A knowledge base that cannot be used is an error, never an empty result."""

from __future__ import annotations

from desktop.kb.errors import KnowledgeBaseUnavailable

__all__ = ["KnowledgeBaseUnavailable", "UnknownDrug"]


class UnknownDrug(LookupError):
    """A drug name/RXCUI that neither the formulary nor the knowledge base knows."""

    def __init__(self, name: str, hint: str = ""):
        self.name = name
        super().__init__(f"unknown drug {name!r}" + (f" ({hint})" if hint else ""))
