"""Helpers for the alert tests: the real knowledge base, drug shorthands, a copy of the KB folder to corrupt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop.alerts import AlertContext, AllergyRef, DrugRef, clear_cache, evaluate, load_kb
from desktop.alerts.kb import FILES, default_dir


def drug(name: str, *ingredients: str, classes: tuple[str, ...] = (), med_id: int | None = None) -> DrugRef:
    return DrugRef(name=name, ingredients=ingredients or (name,), classes=classes, med_id=med_id)


def check(*names: str, allergies: tuple = (), proposed: tuple = (), **ctx) -> list:
    """Alerts for an active list of single-ingredient drugs (plus optional proposed drugs and allergies)."""
    allergy_refs = tuple(a if isinstance(a, AllergyRef) else AllergyRef(a) for a in allergies)
    return evaluate(AlertContext(active_meds=tuple(drug(n) for n in names),
                                 proposed=tuple(p if isinstance(p, DrugRef) else drug(p) for p in proposed),
                                 allergies=allergy_refs, **ctx))


@pytest.fixture(scope="session")
def kb():
    return load_kb()


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    """A writable copy of resources/kb (only the alert files) to break in tests."""
    folder = tmp_path / "kb"
    folder.mkdir()
    for fname in FILES.values():
        shutil.copyfile(default_dir() / fname, folder / fname)
    yield folder
    clear_cache()
