"""What goes into the alert engine and what comes out. Plain frozen dataclasses; no Qt, no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.kb.schema import SEVERITIES  # most to least severe; the order is the display order
from desktop.kb.vitals import DIASTOLIC, HEART_RATE, RESP_RATE, SPO2, SYSTOLIC, TEMPERATURE, WEIGHT
from desktop.kb.vitals import PULSE_OX as SPO2_PULSE_OX

__all__ = ["DIASTOLIC", "HEART_RATE", "RESP_RATE", "SPO2", "SPO2_PULSE_OX", "SYSTOLIC", "TEMPERATURE", "WEIGHT"]

SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
DEFAULT_INTERRUPTING: tuple[str, ...] = ("contraindicated", "major")
KINDS: tuple[str, ...] = ("interaction", "allergy", "duplicate", "vital")


def severity_rank(severity: str) -> int:
    """0 = contraindicated ... 3 = minor; unknown severities sort last."""
    return SEVERITY_RANK.get(severity, len(SEVERITIES))


def at_least(severity: str, floor: str) -> bool:
    """True when `severity` is as severe as `floor` or more."""
    return severity_rank(severity) <= severity_rank(floor)


@dataclass(frozen=True, slots=True)
class DrugRef:
    """A drug as the engine sees it: display name, lower-case generic ingredient names, optional class ids."""

    name: str
    ingredients: tuple[str, ...]
    classes: tuple[str, ...] = ()
    rxcui: str | None = None
    med_id: int | None = None

    def __post_init__(self) -> None:
        # accept lists and stray case/whitespace from callers; keep the tuple canonical
        object.__setattr__(self, "ingredients", tuple(dict.fromkeys(
            " ".join(i.lower().split()) for i in self.ingredients if i and i.strip())))
        object.__setattr__(self, "classes", tuple(dict.fromkeys(c.strip() for c in self.classes if c)))


@dataclass(frozen=True, slots=True)
class AllergyRef:
    """A recorded allergy or intolerance. `substance` is what the chart shows; `key` the folded name or class id."""

    substance: str
    category: str = "medication"  # medication | food | environment | biologic
    key: str | None = None
    kind: str = "allergy"  # allergy | intolerance
    reaction: str = ""
    criticality: str = ""
    code_system: str | None = None  # rxnorm | snomed | unii | class
    code: str | None = None


@dataclass(frozen=True, slots=True)
class AlertContext:
    """Everything one check needs. With `proposed` drugs only alerts involving them are produced (the order
    check); without, the whole active list is checked (the passive list when a chart opens)."""

    active_meds: tuple[DrugRef, ...] = ()
    proposed: tuple[DrugRef, ...] = ()
    allergies: tuple[AllergyRef, ...] = ()
    vitals: Mapping[str, float] = field(default_factory=dict)  # LOINC -> value in canonical UCUM units
    age_years: float | None = None
    sex: str | None = None
    weight_kg: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "active_meds", _as_tuple(self.active_meds))
        object.__setattr__(self, "proposed", _as_tuple(self.proposed))
        object.__setattr__(self, "allergies", _as_tuple(self.allergies))
        object.__setattr__(self, "vitals", dict(self.vitals or {}))


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (DrugRef, AllergyRef)):
        return (value,)
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # interaction | allergy | duplicate | vital
    severity: str  # contraindicated | major | moderate | minor
    message: str  # one line naming both drugs (or drug and allergy, or the vital and its value)
    drugs: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    management: str = ""  # what to do
    source: str = ""
    key: str = ""  # stable identity of "the same alert" for override suppression
    why: str = ""  # mechanism / reason
    rule_id: str = ""
    allergen: str | None = None  # the recorded allergy substance, for allergy alerts
    med_ids: tuple[int, ...] = ()  # chart medication ids involved, when known

    def __hash__(self) -> int:  # `values` is a dict: hash the identity, so alerts can live in sets
        return hash((self.kind, self.severity, self.key, self.message))

    @property
    def rank(self) -> int:
        return severity_rank(self.severity)

    def sort_key(self) -> tuple:
        return (self.rank, self.message.casefold(), self.key)

    def interrupts(self, severities: Iterable[str] = DEFAULT_INTERRUPTING) -> bool:
        return self.severity in set(severities)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the CLI's `--json` shape (kind, severity, message, drugs, ...)."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "drugs": list(self.drugs),
            "allergen": self.allergen,
            "values": dict(self.values),
            "why": self.why,
            "management": self.management,
            "source": self.source,
            "key": self.key,
            "rule": self.rule_id,
        }
