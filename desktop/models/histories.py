"""Histories: past procedures and surgeries, social history, family history, outside encounters.

Each is a chart list like the problem list (version column, entered-in-error instead of delete, PHR
provenance). Outside encounters only ever come from files: the clinic's own visits are `encounter` rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ClinicalRow


class ProcedureHistory(ClinicalRow, Base):
    """A procedure or operation the patient had (here or elsewhere)."""

    __tablename__ = "procedure_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(String(300))
    code_system: Mapped[str | None] = mapped_column(String(20))  # snomed | cpt | hcpcs
    code: Mapped[str | None] = mapped_column(String(40), index=True)
    performed_date: Mapped[date | None] = mapped_column()
    performed_end: Mapped[date | None] = mapped_column()
    body_site: Mapped[str] = mapped_column(String(200), default="")
    performer: Mapped[str] = mapped_column(String(300), default="")  # surgeon and/or facility
    status: Mapped[str] = mapped_column(String(20), default="completed")  # completed | in-progress | not-done
    note: Mapped[str] = mapped_column(Text, default="")


class SocialHistory(ClinicalRow, Base):
    """One dated social-history statement (smoking status, alcohol use, occupation...); history is kept."""

    __tablename__ = "social_history"
    __table_args__ = (Index("ix_social_history_patient_kind", "patient_id", "kind", "observed_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # smoking | tobacco | alcohol | substance | occupation | sexual_orientation | gender_identity | other
    kind: Mapped[str] = mapped_column(String(30))
    loinc: Mapped[str | None] = mapped_column(String(10))  # what was asked (72166-2 smoking status...)
    value_text: Mapped[str] = mapped_column(String(300), default="")
    value_code: Mapped[str | None] = mapped_column(String(40))  # the coded answer (SNOMED CT)
    value_system: Mapped[str | None] = mapped_column(String(20))
    pack_years: Mapped[float | None] = mapped_column(Float)
    audit_c: Mapped[int | None] = mapped_column(Integer)  # AUDIT-C score 0-12
    drinks_per_week: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[float | None] = mapped_column(Float)  # another numeric answer (drinks per day...)
    unit: Mapped[str] = mapped_column(String(30), default="")
    observed_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")


class FamilyHistory(ClinicalRow, Base):
    """A condition of a relative."""

    __tablename__ = "family_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    relative: Mapped[str] = mapped_column(String(40))  # mother | father | sister | ... (see services)
    relative_code: Mapped[str | None] = mapped_column(String(20))  # HL7 v3 RoleCode (MTH, FTH...)
    condition: Mapped[str] = mapped_column(String(300), default="")
    icd10_code: Mapped[str | None] = mapped_column(String(10))
    snomed_code: Mapped[str | None] = mapped_column(String(20))
    onset_age: Mapped[int | None] = mapped_column(Integer)
    deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    death_age: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class OutsideEncounter(ClinicalRow, Base):
    """A visit somewhere else, as a patient's file lists it (read-only in the chart)."""

    __tablename__ = "outside_encounter"

    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[datetime | None] = mapped_column()
    end: Mapped[datetime | None] = mapped_column()
    kind: Mapped[str] = mapped_column(String(200), default="")  # "Ambulatory", "Office visit", "Emergency"
    type_code: Mapped[str | None] = mapped_column(String(40))
    type_system: Mapped[str | None] = mapped_column(String(20))
    facility: Mapped[str] = mapped_column(String(300), default="")
    performer: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="finished")
