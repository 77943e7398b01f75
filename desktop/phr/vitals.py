"""Vital signs and device readings the chart keeps: LOINC, display name, canonical UCUM unit, plausible range.

The ranges are physical plausibility limits (a value outside is a typing slip or a broken device, and the
entry is skipped with the reason), not clinical alert ranges: those live in desktop/alerts.
LOINC codes from the FHIR R4 vital-signs profile (see shared/CLINICAL-REFERENCES.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VitalKind:
    loinc: str
    name: str
    quantity: str  # pressure | rate | temperature | percent | mass | length | bmi | score | steps | glucose
    unit: str  # canonical UCUM unit stored in the chart
    low: float
    high: float


_TABLE = [
    VitalKind("8480-6", "Systolic blood pressure", "pressure", "mm[Hg]", 30, 320),
    VitalKind("8462-4", "Diastolic blood pressure", "pressure", "mm[Hg]", 10, 220),
    VitalKind("8867-4", "Heart rate", "rate", "/min", 15, 300),
    VitalKind("40443-4", "Resting heart rate", "rate", "/min", 15, 250),
    VitalKind("9279-1", "Respiratory rate", "rate", "/min", 2, 100),
    VitalKind("8310-5", "Body temperature", "temperature", "Cel", 24, 46),
    VitalKind("8331-1", "Oral temperature", "temperature", "Cel", 24, 46),
    VitalKind("2708-6", "Oxygen saturation", "percent", "%", 40, 100),
    VitalKind("59408-5", "Oxygen saturation by pulse oximetry", "percent", "%", 40, 100),
    VitalKind("29463-7", "Body weight", "mass", "kg", 0.2, 500),
    VitalKind("8302-2", "Body height", "length", "cm", 20, 275),
    VitalKind("39156-5", "Body mass index", "bmi", "kg/m2", 5, 150),
    VitalKind("9843-4", "Head circumference", "length", "cm", 15, 80),
    VitalKind("72514-3", "Pain severity 0-10", "score", "{score}", 0, 10),
    VitalKind("55423-8", "Steps", "steps", "{steps}", 0, 200_000),
    VitalKind("2339-0", "Glucose (blood)", "glucose", "mg/dL", 5, 2500),
]
VITALS: dict[str, VitalKind] = {k.loinc: k for k in _TABLE}

# codes that mean the same measurement as one the chart keeps
ALIASES: dict[str, str] = {
    "3141-9": "29463-7",  # body weight measured
    "8306-3": "8302-2",  # body height lying
    "8308-9": "8302-2",  # body height standing
    "8287-5": "9843-4",  # head circumference by tape
    "41653-7": "2339-0",  # glucose by glucometer
    "2710-2": "59408-5",  # oxygen saturation in capillary blood by oximetry
}
# blood pressure panels whose components are the systolic/diastolic values
BP_PANELS = frozenset({"85354-9", "55284-4", "35094-2", "96607-7"})
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"


def kind_of(loinc: str | None) -> VitalKind | None:
    if not loinc:
        return None
    return VITALS.get(ALIASES.get(loinc, loinc))
