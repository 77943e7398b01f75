"""Chart lists: problems, medications, allergies, immunizations, vital signs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ClinicalRow


class Problem(ClinicalRow, Base):
    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(String(300))
    icd10_code: Mapped[str | None] = mapped_column(String(10), index=True)
    snomed_code: Mapped[str | None] = mapped_column(String(20))
    onset_date: Mapped[date | None] = mapped_column()
    resolved_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | resolved | inactive
    note: Mapped[str] = mapped_column(Text, default="")


class Medication(ClinicalRow, Base):
    """What the patient takes (the medication list), coded with RxNorm where known."""

    __tablename__ = "medication"

    id: Mapped[int] = mapped_column(primary_key=True)
    drug_name: Mapped[str] = mapped_column(String(300))
    formulary_id: Mapped[str | None] = mapped_column(String(60))
    ingredient_rxcui: Mapped[str | None] = mapped_column(String(20), index=True)
    product_rxcui: Mapped[str | None] = mapped_column(String(20))
    # lower-case generic ingredient names joined by "+", what the alert engine matches on
    ingredients: Mapped[str] = mapped_column(String(300), default="")
    strength: Mapped[str] = mapped_column(String(100), default="")
    dose_form: Mapped[str] = mapped_column(String(100), default="")
    route: Mapped[str] = mapped_column(String(60), default="")
    sig: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column()
    stop_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | stopped | completed | on-hold
    source: Mapped[str] = mapped_column(String(30), default="clinic")  # clinic | patient-reported | phr-import
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescription.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class Allergy(ClinicalRow, Base):
    """Allergy or intolerance. One active row per substance (substance_key) per patient."""

    __tablename__ = "allergy"

    id: Mapped[int] = mapped_column(primary_key=True)
    substance: Mapped[str] = mapped_column(String(200))
    substance_key: Mapped[str] = mapped_column(String(200), index=True)  # folded name or class id
    code_system: Mapped[str | None] = mapped_column(String(40))  # rxnorm | snomed | unii | class
    code: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20), default="medication")  # medication|food|environment|biologic
    kind: Mapped[str] = mapped_column(String(20), default="allergy")  # allergy | intolerance
    reaction: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(20), default="")  # mild | moderate | severe
    criticality: Mapped[str] = mapped_column(String(20), default="")  # low | high | unable-to-assess
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | inactive | resolved
    onset_date: Mapped[date | None] = mapped_column()
    no_known_allergies: Mapped[bool] = mapped_column(Boolean, default=False)  # the explicit NKDA entry
    note: Mapped[str] = mapped_column(Text, default="")


class Immunization(ClinicalRow, Base):
    __tablename__ = "immunization"

    id: Mapped[int] = mapped_column(primary_key=True)
    vaccine: Mapped[str] = mapped_column(String(200))
    cvx_code: Mapped[str | None] = mapped_column(String(10), index=True)
    date_given: Mapped[date] = mapped_column()
    lot_number: Mapped[str] = mapped_column(String(60), default="")
    manufacturer: Mapped[str] = mapped_column(String(120), default="")
    site: Mapped[str] = mapped_column(String(60), default="")
    route: Mapped[str] = mapped_column(String(60), default="")
    dose_number: Mapped[str] = mapped_column(String(20), default="")
    given_here: Mapped[bool] = mapped_column(Boolean, default=True)
    historical_source: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class VitalSign(ClinicalRow, Base):
    """One measured value (LOINC + UCUM). A blood pressure is two rows sharing set_id."""

    __tablename__ = "vital_sign"
    # (patient, time): the chart's latest readings without scanning them all (alert list, summary)
    __table_args__ = (Index("ix_vital_sign_patient_code_time", "patient_id", "loinc", "taken_at"),
                      Index("ix_vital_sign_patient_time", "patient_id", "taken_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[str] = mapped_column(String(40), index=True)  # one intake form or one device reading
    taken_at: Mapped[datetime] = mapped_column()
    loinc: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))  # UCUM, stored canonical (mm[Hg], /min, Cel, %, kg, cm, kg/m2)
    # clinic | patient | device | phr-import (drawn differently in trends)
    origin: Mapped[str] = mapped_column(String(20), default="clinic")
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    entered_unit: Mapped[str | None] = mapped_column(String(20))  # what the nurse typed in ([degF], [lb_av]...)


class Encounter(ClinicalRow, Base):
    __tablename__ = "encounter"
    __table_args__ = (Index("ix_encounter_patient_date", "patient_id", "encounter_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_date: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20), default="office")  # office | telephone | telehealth
    reason: Mapped[str] = mapped_column(String(300), default="")
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    template: Mapped[str] = mapped_column(String(60), default="")
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | signed
    signed_at: Mapped[datetime | None] = mapped_column()
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class EncounterDiagnosis(Base):
    __tablename__ = "encounter_diagnosis"

    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)


class Addendum(Base):
    __tablename__ = "addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column()


class NoteAutosave(Base):
    """The unsaved text of a note editor, written every few seconds; recovered after a crash."""

    __tablename__ = "note_autosave"

    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    content_json: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column()
    base_version: Mapped[int] = mapped_column(Integer)
