"""Building blocks of the knowledge files' pydantic models: strict objects (an unknown field is an error, so a
typo such as "sevrity" cannot silently drop a field), sourced entries, and the shared value types."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from .errors import KnowledgeBaseUnavailable

Severity = Literal["contraindicated", "major", "moderate", "minor"]
SEVERITIES: tuple[str, ...] = ("contraindicated", "major", "moderate", "minor")  # most severe first

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# a citable document: a label, a guideline, a paper (author, journal, year)
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
ClassId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Loinc = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,7}-[0-9]$")]
Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
CLASS_PREFIX = "class:"


def _lower_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("empty name")
    if value != value.lower() and not value.startswith(CLASS_PREFIX):
        raise ValueError(f"{value!r} must be lower-case")
    return value


# an ingredient name (lower-case US generic) or "class:<id>"
Name = Annotated[str, AfterValidator(_lower_name)]
Names = Annotated[tuple[Name, ...], Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Sourced(Strict):
    source: Source


class SourcedTable(Strict):
    """A table file whose entries name their source by key into `sources`: {schema, description, sources,
    entries}. Subclasses declare `entries`; an entry naming a source the file does not define is an error."""

    schema_: int = Field(alias="schema")
    description: Text
    sources: dict[str, Source]

    @model_validator(mode="after")
    def _known_sources(self) -> SourcedTable:
        unknown = sorted({e.source for e in self.entries} - set(self.sources))  # type: ignore[attr-defined]  # declared by subclasses
        if unknown:
            raise ValueError(f"entries name unknown sources {unknown}")
        return self


M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError, limit: int = 5) -> str:
    """Pydantic's errors as one line: 'interactions.3.severity: Input should be ... (and 2 more)'."""
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "file"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def read_model(path: Path, model: type[M]) -> tuple[M, str]:
    """One knowledge file validated against its model, with its sha256. Raises KnowledgeBaseUnavailable
    naming the file and the first problems."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseUnavailable(f"cannot read {name}: {exc.strerror or exc}", str(path)) from exc
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseUnavailable(f"{name} is not UTF-8 text", str(path)) from exc
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseUnavailable(
            f"{name} is corrupt (invalid JSON at line {exc.lineno}, column {exc.colno})", str(path)) from exc
    try:
        return model.model_validate(data), hashlib.sha256(raw).hexdigest()
    except ValidationError as exc:
        raise KnowledgeBaseUnavailable(f"invalid {name}: {describe(exc)}", str(path)) from exc


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty")
    return value


# text that must say something (formulary and vaccine fields)
Filled = Annotated[str, AfterValidator(_non_empty)]


def entry_problem(exc: ValidationError, where: str) -> str:
    """The first problem of one entry in words: "<file>: entry #3 ('x'): missing field 'display'"."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field = loc[-1] if loc else "entry"
    inside = ", ".join(loc[:-1])
    place = f"{where}" + (f", {inside}" if inside else "")
    if err["type"] == "missing":
        return f"{place}: missing field '{field}'"
    if err["type"] == "extra_forbidden":
        return f"{place}: unknown field '{field}' (a misspelt field name?)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if msg == "is empty":
        return f"{place}: field '{field}' is empty"
    return f"{place}: field '{field}': {msg}"
