"""The vitals catalog (resources/kb/vital_signs.json): the one table of vital-sign LOINC codes, canonical UCUM
units, plausibility bounds and normal ranges by age. The intake form, the flowsheet, the PHR readers, the
alert engine and the printed documents all read it here. No Qt, no database.

The module constants below are the only place the codes appear in Python; the catalog must list each of
them (checked on load), so the two cannot drift apart.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from desktop.config import RESOURCES

from .schema import Loinc, Sourced, Strict, Text, read_model
from .units import QUANTITIES

CATALOG_FILE = "vital_signs.json"
DEFAULT_PATH = RESOURCES / "kb" / CATALOG_FILE

# LOINC codes of the vitals the chart keeps (FHIR R4 vital-signs profile)
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
HEART_RATE, RESTING_HEART_RATE, RESP_RATE = "8867-4", "40443-4", "9279-1"
TEMPERATURE, ORAL_TEMPERATURE = "8310-5", "8331-1"
SPO2, PULSE_OX = "2708-6", "59408-5"
WEIGHT, HEIGHT, BMI, HEAD_CIRCUMFERENCE = "29463-7", "8302-2", "39156-5", "9843-4"
PAIN, STEPS, GLUCOSE = "72514-3", "55423-8", "2339-0"
BP_PANEL, VITAL_SIGNS_PANEL = "85354-9", "85353-1"
_NAMED = (SYSTOLIC, DIASTOLIC, HEART_RATE, RESTING_HEART_RATE, RESP_RATE, TEMPERATURE, ORAL_TEMPERATURE, SPO2,
          PULSE_OX, WEIGHT, HEIGHT, BMI, HEAD_CIRCUMFERENCE, PAIN, STEPS, GLUCOSE)

Quantity = Literal["pressure", "rate", "temperature", "percent", "mass", "length", "bmi", "score", "steps", "glucose"]
assert set(Quantity.__args__) == set(QUANTITIES)  # the converter knows every quantity the catalog uses


class Plausible(Sourced):
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Plausible:
        if not self.low < self.high:
            raise ValueError("plausible low must be below high")
        return self


class Band(Sourced):
    """A normal range for ages [age_from, age_to) in years; age_to None = open."""

    age_from: float = Field(alias="from", ge=0)
    age_to: float | None = Field(alias="to")
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not self.low < self.high:
            raise ValueError("normal low must be below high")
        if self.age_to is not None and not self.age_from < self.age_to:
            raise ValueError("'from' must be below 'to'")
        return self

    def covers(self, age: float) -> bool:
        return self.age_from <= age and (self.age_to is None or age < self.age_to)


class VitalSign(Sourced):
    loinc: Loinc
    key: Text
    name: Text
    quantity: Quantity
    unit: Text  # canonical UCUM unit stored in the chart
    display_unit: Text
    plausible: Plausible | None = None
    normal: tuple[Band, ...] = ()
    ranges_as: Loinc | None = None  # shares the plausibility and bands of this code

    @model_validator(mode="after")
    def _shape(self) -> VitalSign:
        if self.ranges_as is not None and (self.plausible is not None or self.normal):
            raise ValueError("a code with 'ranges_as' has no ranges of its own")
        if self.ranges_as is None and self.plausible is None:
            raise ValueError("'plausible' is required")
        for a, b in zip(self.normal, self.normal[1:], strict=False):
            if a.age_to is None or a.age_to != b.age_from:
                raise ValueError("normal bands must be in age order, without gaps or overlaps")
        return self

    @property
    def low(self) -> float:  # plausibility bounds (through ranges_as, see Catalog)
        return self.plausible.low if self.plausible else float("-inf")

    @property
    def high(self) -> float:
        return self.plausible.high if self.plausible else float("inf")

    def band(self, age: float | None) -> Band | None:
        """The normal band for an age in years; unknown age takes the adult band."""
        age = 30.0 if age is None else age
        return next((b for b in self.normal if b.covers(age)), None)


class Alias(Sourced):
    loinc: Loinc
    same_as: Loinc


class Panel(Sourced):
    loinc: Loinc


class CatalogFile(Strict):
    schema_: Literal["vital_signs/1"] = Field(alias="schema")
    about: Text
    vitals: tuple[VitalSign, ...] = Field(min_length=1)
    aliases: tuple[Alias, ...] = ()
    bp_panels: tuple[Panel, ...] = ()
    vital_signs_panel: Panel

    @model_validator(mode="after")
    def _consistent(self) -> CatalogFile:
        codes = [v.loinc for v in self.vitals]
        if len(set(codes)) != len(codes):
            raise ValueError("a LOINC code is listed twice")
        keys = [v.key for v in self.vitals]
        if len(set(keys)) != len(keys):
            raise ValueError("a vital key is listed twice")
        by = {v.loinc: v for v in self.vitals}
        for v in self.vitals:
            if v.ranges_as is not None and (v.ranges_as not in by or by[v.ranges_as].ranges_as is not None):
                raise ValueError(f"{v.loinc}: ranges_as {v.ranges_as} is not a vital with its own ranges")
        for a in self.aliases:
            if a.same_as not in by or a.loinc in by:
                raise ValueError(f"alias {a.loinc} -> {a.same_as}: must point from an unlisted code to a vital")
        missing = [c for c in _NAMED if c not in by]
        if missing:
            raise ValueError(f"the catalog lacks the codes {missing} that desktop/kb/vitals.py names")
        if BP_PANEL not in {p.loinc for p in self.bp_panels} or self.vital_signs_panel.loinc != VITAL_SIGNS_PANEL:
            raise ValueError("the catalog lacks the blood pressure or vital signs panel code")
        return self


class Catalog:
    """The validated catalog with look-ups; every code resolves its ranges through `ranges_as`."""

    def __init__(self, data: CatalogFile, version: str = "") -> None:
        self.data = data
        self.version = version
        self.vitals: dict[str, VitalSign] = {v.loinc: v for v in data.vitals}
        self.by_key: dict[str, VitalSign] = {v.key: v for v in data.vitals}
        self.aliases: dict[str, str] = {a.loinc: a.same_as for a in data.aliases}
        self.ranges_as: dict[str, str] = {v.loinc: v.ranges_as for v in data.vitals if v.ranges_as}
        self.bp_panels: frozenset[str] = frozenset(p.loinc for p in data.bp_panels)

    def kind(self, loinc: str | None) -> VitalSign | None:
        """The vital a code records (aliases followed): '3141-9' -> body weight."""
        if not loinc:
            return None
        return self.vitals.get(self.aliases.get(loinc, loinc))

    def ranged(self, loinc: str | None) -> VitalSign | None:
        """The entry whose plausibility and normal bands apply to this code (pulse oximetry -> SpO2)."""
        v = self.kind(loinc)
        return self.vitals[v.ranges_as] if v is not None and v.ranges_as else v

    def plausible(self, loinc: str) -> Plausible | None:
        v = self.ranged(loinc)
        return v.plausible if v else None

    def band(self, loinc: str, age: float | None) -> Band | None:
        v = self.ranged(loinc)
        return v.band(age) if v else None

    def flag(self, loinc: str, value: float | None, age: float | None) -> str | None:
        """'low' / 'high' outside the normal range for the age; None when normal or no range applies."""
        band = self.band(loinc, age) if value is not None else None
        if band is None:
            return None
        if value < band.low:
            return "low"
        if value > band.high:
            return "high"
        return None


@lru_cache(maxsize=4)
def _load(path: Path) -> Catalog:
    data, version = read_model(path, CatalogFile)
    return Catalog(data, version)


def load_catalog(path: Path | None = None) -> Catalog:
    """The validated vitals catalog, loaded once. Raises KnowledgeBaseUnavailable (a KnowledgeBaseError)."""
    return _load(Path(path) if path is not None else DEFAULT_PATH)


def vital(loinc: str) -> VitalSign | None:
    return load_catalog().kind(loinc)


def flag(loinc: str, value: float | None, age: float | None) -> str | None:
    return load_catalog().flag(loinc, value, age)


def normal_band(loinc: str, age: float | None) -> tuple[float, float] | None:
    band = load_catalog().band(loinc, age)
    return (band.low, band.high) if band else None


__all__ = ["BMI", "BP_PANEL", "DIASTOLIC", "GLUCOSE", "HEAD_CIRCUMFERENCE", "HEART_RATE", "HEIGHT", "ORAL_TEMPERATURE",
           "PAIN", "PULSE_OX", "RESP_RATE", "RESTING_HEART_RATE", "SPO2", "STEPS", "SYSTOLIC", "TEMPERATURE",
           "VITAL_SIGNS_PANEL", "WEIGHT", "Band", "Catalog", "Plausible", "VitalSign", "flag",
           "load_catalog", "normal_band", "vital"]
