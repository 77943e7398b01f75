"""The chart's Summary tab in one call: active problems, active medications, allergies (+ banner status), the
latest vital signs with abnormal flags, the last encounters and counts.

A fixed handful of queries whatever the chart's size (7), each served by an index: a patient with 500
encounters and 5,000 vital signs costs the same as a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from desktop.kb.display_units import METRIC
from desktop.kb.display_units import text as display_text
from desktop.models import Allergy, Encounter, Immunization, Medication, Patient, Problem, User, VitalSign

from . import display_units, vitals
from .allergies import AllergyRow, allergy_row
from .errors import NotFound
from .medications import MedicationRow, medication_row
from .patients import age_years
from .permissions import Permission
from .problems import ProblemRow, problem_row
from .uow import UnitOfWork

log = logging.getLogger(__name__)

ENCOUNTERS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class VitalItem:
    label: str  # "Blood pressure", "Heart rate"
    text: str  # "142/91 mmHg"
    flag: str  # "" | "high" | "low" (outside the soft normal range for the patient's age)
    loincs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EncounterBrief:
    id: int
    encounter_date: datetime
    kind: str
    reason: str
    status: str
    provider: str


@dataclass(frozen=True, slots=True)
class ChartCounts:
    problems: int  # all problems not entered in error
    active_problems: int
    medications: int
    active_medications: int
    allergies: int
    immunizations: int
    encounters: int
    vitals: int


@dataclass(frozen=True, slots=True)
class ChartSummary:
    patient_id: int
    age_years: int
    allergy_status: str  # "NKDA" | "Allergies not recorded" | "Penicillin, Latex" (the banner's text)
    has_allergies: bool
    allergies: list[AllergyRow]  # active entries, NKDA included
    problems: list[ProblemRow]  # active
    medications: list[MedicationRow]  # active and on hold
    vitals: list[VitalItem]  # the latest clinic intake set, in the paper form's order
    vitals_taken_at: datetime | None  # local time of that set; None when no vitals were ever taken
    encounters: list[EncounterBrief]  # newest first, at most ENCOUNTERS_SHOWN
    counts: ChartCounts
    labs: tuple = ()  # results.ResultRow: the latest result of each key test (HbA1c, LDL, eGFR, K, INR ...)
    labs_error: str = ""  # the lab catalog could not load: said in red, never "no results"
    histories: object = None  # history_summary.HistoryBrief: smoking status, surgeries, family history


# ---------------------------------------------------------------- vitals

def _vital_items(latest: vitals.LatestVitals | None, system: str = METRIC) -> list[VitalItem]:
    """The vitals service's latest set (one query, flags by age) as display items, BP on one line, each in the
    reader's units (`system`: us or metric)."""
    if latest is None:
        return []
    values = latest.values
    items: list[VitalItem] = []
    bp = [values[c] for c in (vitals.SYSTOLIC, vitals.DIASTOLIC) if c in values]
    if bp:
        sys_v, dia_v = values.get(vitals.SYSTOLIC), values.get(vitals.DIASTOLIC)
        flags = {v.flag for v in bp}
        text = f"{f'{sys_v.value:.0f}' if sys_v else '–'}/{f'{dia_v.value:.0f}' if dia_v else '–'} mmHg"
        items.append(VitalItem("Blood pressure", text, "high" if "high" in flags else "low" if "low" in flags
                               else "", tuple(v.loinc for v in bp)))
    for f in vitals.FIELDS:
        v = values.get(f.loinc) or (values.get(vitals.PULSE_OX) if f.loinc == vitals.SPO2 else None)
        if v is None or f.loinc in (vitals.SYSTOLIC, vitals.DIASTOLIC):
            continue
        text = display_text(v.loinc, v.value, system) if v.loinc in vitals.BY_LOINC or v.loinc == vitals.PULSE_OX \
            else v.text.replace(" /10", "/10").replace(" %", "%")
        items.append(VitalItem(f.label, text, v.flag or "", (v.loinc,)))
    return items


def _counts(uow: UnitOfWork, patient_id: int) -> ChartCounts:
    """All counts in one statement of scalar subqueries (each an index range count)."""

    def count(model, *extra):
        return (select(func.count()).select_from(model)
                .where(model.patient_id == patient_id, model.entered_in_error.is_(False), *extra)
                .scalar_subquery())

    row = uow.session.execute(select(
        count(Problem), count(Problem, Problem.status == "active"),
        count(Medication), count(Medication, Medication.status.in_(("active", "on-hold"))),
        count(Allergy, Allergy.no_known_allergies.is_(False), Allergy.status == "active"),
        count(Immunization), count(Encounter), count(VitalSign),
    )).one()
    return ChartCounts(*row)


def chart_summary(uow: UnitOfWork, patient_id: int, today: date | None = None) -> ChartSummary:
    uow.require(Permission.VIEW_CHART)
    s = uow.session
    birth = s.execute(select(Patient.birth_date).where(Patient.id == patient_id)).scalar_one_or_none()
    if birth is None:
        raise NotFound(f"no patient with id {patient_id}")
    age = age_years(birth, today)

    allergies = [allergy_row(a) for a in s.execute(
        select(Allergy).where(Allergy.patient_id == patient_id, Allergy.entered_in_error.is_(False),
                              Allergy.status == "active")
        .order_by(Allergy.no_known_allergies, Allergy.substance, Allergy.id)).scalars()]
    real = [a.substance for a in allergies if not a.no_known_allergies]
    if real:
        status, has = ", ".join(sorted(real)), True
    elif any(a.no_known_allergies for a in allergies):
        status, has = "NKDA", False
    else:
        status, has = "Allergies not recorded", False

    problems = [problem_row(p) for p in s.execute(
        select(Problem).where(Problem.patient_id == patient_id, Problem.entered_in_error.is_(False),
                              Problem.status == "active")
        .order_by(Problem.onset_date.desc().nulls_last(), func.lower(Problem.description), Problem.id)).scalars()]

    medications = [medication_row(m) for m in s.execute(
        select(Medication).where(Medication.patient_id == patient_id, Medication.entered_in_error.is_(False),
                                 Medication.status.in_(("active", "on-hold")))
        .order_by(Medication.status, func.lower(Medication.drug_name), Medication.id)).scalars()]

    latest = vitals.latest_vitals(uow, patient_id)

    provider = aliased(User)
    encounters = [
        EncounterBrief(r.id, r.encounter_date, r.kind, r.reason or "", r.status, r.provider or "")
        for r in s.execute(
            select(Encounter.id, Encounter.encounter_date, Encounter.kind, Encounter.reason, Encounter.status,
                   provider.display_name.label("provider"))
            .outerjoin(provider, and_(provider.id == Encounter.provider_id))
            .where(Encounter.patient_id == patient_id, Encounter.entered_in_error.is_(False))
            .order_by(Encounter.encounter_date.desc(), Encounter.id.desc())
            .limit(ENCOUNTERS_SHOWN))
    ]
    from desktop.kb.errors import KnowledgeBaseError

    from . import results

    try:
        labs, labs_error = tuple(results.latest_key_results(uow, patient_id)), ""
    except KnowledgeBaseError as exc:
        labs, labs_error = (), str(exc)
    from .history_summary import history_brief

    return ChartSummary(
        labs=labs, labs_error=labs_error, histories=history_brief(uow, patient_id),
        patient_id=patient_id, age_years=age, allergy_status=status, has_allergies=has, allergies=allergies,
        problems=problems, medications=medications,
        vitals=_vital_items(latest, display_units.unit_system(uow) if latest else METRIC),
        vitals_taken_at=latest.taken_at if latest else None,
        encounters=encounters, counts=_counts(uow, patient_id),
    )
