"""The shipped clinical knowledge as screens need it. Views and widgets reach desktop.kb only through here
(import-linter holds them to it), so the knowledge package can change shape without touching the GUI."""

from __future__ import annotations

from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.formulary import Formulary, load_formulary
from desktop.kb.vaccines import VaccineCatalog, load_vaccines

__all__ = ["KnowledgeBaseError", "formulary", "vaccine_catalog"]


def formulary() -> Formulary:
    """The validated drug formulary (loaded once). Raises KnowledgeBaseError when it cannot be used."""
    return load_formulary()


def vaccine_catalog() -> VaccineCatalog:
    """The validated vaccine list with CVX codes (loaded once). Raises KnowledgeBaseError."""
    return load_vaccines()
