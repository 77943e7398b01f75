"""The shipped vaccine list (resources/kb/vaccines.json) with CDC CVX codes, each entry validated by a pydantic
model of the file's entry shape. No Qt, no database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationError

from desktop.config import RESOURCES
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.formulary import read_json_document
from desktop.kb.schema import Filled, Strict, entry_problem
from desktop.kb.text import fold, words

DEFAULT_PATH = RESOURCES / "kb" / "vaccines.json"
ROUTES = ("intramuscular", "subcutaneous", "oral", "intranasal", "intradermal")


@dataclass(frozen=True, slots=True)
class Vaccine:
    id: str
    name: str
    short_name: str
    cvx: str
    manufacturer: str
    route: str
    contains: tuple[str, ...]


def _cvx_key(code: str) -> str:
    """CVX codes are compared as numbers: '3' and '03' are the same vaccine."""
    code = (code or "").strip()
    return code.lstrip("0") or "0" if code.isdigit() else ""


class VaccineCatalog:
    def __init__(self, vaccines: tuple[Vaccine, ...]) -> None:
        self.vaccines = vaccines
        self._by_cvx = {_cvx_key(v.cvx): v for v in vaccines}
        self._by_id = {v.id: v for v in vaccines}
        self._words = [
            set(words(v.name) + words(v.short_name) + words(v.manufacturer) + [v.cvx]) for v in vaccines
        ]

    def by_cvx(self, code: str) -> Vaccine | None:
        key = _cvx_key(code)
        return self._by_cvx.get(key) if key else None

    def by_id(self, vaccine_id: str) -> Vaccine | None:
        return self._by_id.get(vaccine_id)

    def search(self, text: str, limit: int = 20) -> list[Vaccine]:
        """Every typed word must prefix-match a word of the name, short name or manufacturer (or be the CVX code).
        An exact short name or CVX code comes first."""
        tokens = words(text)
        if not tokens:
            return []
        whole = fold(text)
        hits = [
            (n, v)
            for n, v in enumerate(self.vaccines)
            if all(any(w.startswith(t) for w in self._words[n]) for t in tokens)
        ]
        hits.sort(key=lambda nv: (0 if whole in (fold(nv[1].short_name), nv[1].cvx) else 1, nv[0]))
        return [v for _, v in hits[:limit]]


def _cvx_digits(value: str) -> str:
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"cvx must be a string of digits, got {value!r}")
    return value


def _route(value: str) -> str:
    if value not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {value!r}")
    return value


class VaccineEntry(Strict):
    """One vaccine, exactly the shape of resources/kb/vaccines.json's entries."""

    id: Filled
    name: Filled
    short_name: Filled
    cvx: Annotated[Filled, AfterValidator(_cvx_digits)]
    manufacturer: str = ""
    route: Annotated[Filled, AfterValidator(_route)]
    contains: tuple[Filled, ...] = ()
    source: Filled


def _parse(entries: list[Any], path: Path) -> VaccineCatalog:
    out = []
    ids: set[str] = set()
    codes: set[str] = set()
    for index, e in enumerate(entries):
        where = f"{path}: entry #{index + 1}" + (
            f" ('{e.get('id')}')" if isinstance(e, dict) and e.get("id") else ""
        )
        if not isinstance(e, dict):
            raise KnowledgeBaseError(f"{where}: an entry must be an object")
        try:
            v = VaccineEntry.model_validate(e)
        except ValidationError as exc:
            raise KnowledgeBaseError(entry_problem(exc, where)) from None
        if v.id in ids:
            raise KnowledgeBaseError(f"{where}: duplicate id '{v.id}'")
        if _cvx_key(v.cvx) in codes:
            raise KnowledgeBaseError(f"{where}: duplicate CVX code {v.cvx}")
        ids.add(v.id)
        codes.add(_cvx_key(v.cvx))
        out.append(Vaccine(id=v.id, name=v.name, short_name=v.short_name, cvx=v.cvx, manufacturer=v.manufacturer,
                           route=v.route, contains=v.contains))
    return VaccineCatalog(tuple(out))


@lru_cache(maxsize=1)
def _load_default() -> VaccineCatalog:
    return _parse(read_json_document(DEFAULT_PATH, "vaccines"), DEFAULT_PATH)


def load_vaccines(path: Path | None = None) -> VaccineCatalog:
    """Load and validate the vaccine list; the default file is loaded once and cached."""
    if path is None or Path(path) == DEFAULT_PATH:
        return _load_default()
    path = Path(path)
    return _parse(read_json_document(path, "vaccines"), path)


def search(text: str, limit: int = 20) -> list[Vaccine]:
    """Search the shipped vaccine list."""
    return load_vaccines().search(text, limit)


def by_cvx(code: str) -> Vaccine | None:
    """The shipped vaccine with this CVX code ('03' and '3' both find MMR), or None."""
    return load_vaccines().by_cvx(code)
