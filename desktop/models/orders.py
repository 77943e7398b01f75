"""Prescriptions, what was printed, and alert overrides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ClinicalRow, utcnow


class Prescription(ClinicalRow, Base):
    __tablename__ = "prescription"

    id: Mapped[int] = mapped_column(primary_key=True)
    rx_number: Mapped[str] = mapped_column(String(30), unique=True)
    prescriber_id: Mapped[int | None] = mapped_column(ForeignKey("prescriber.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    formulary_id: Mapped[str | None] = mapped_column(String(60))
    drug_name: Mapped[str] = mapped_column(String(300))
    ingredient_rxcui: Mapped[str | None] = mapped_column(String(20))
    product_rxcui: Mapped[str | None] = mapped_column(String(20))
    ingredients: Mapped[str] = mapped_column(String(300), default="")
    strength: Mapped[str] = mapped_column(String(100), default="")
    dose_form: Mapped[str] = mapped_column(String(100), default="")
    route: Mapped[str] = mapped_column(String(60), default="")
    dose: Mapped[str] = mapped_column(String(60), default="")
    frequency: Mapped[str] = mapped_column(String(60), default="")
    duration_days: Mapped[int | None] = mapped_column(Integer)
    prn: Mapped[bool] = mapped_column(Boolean, default=False)
    prn_indication: Mapped[str] = mapped_column(String(200), default="")
    sig_text: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[float] = mapped_column(Float, default=0)
    quantity_unit: Mapped[str] = mapped_column(String(40), default="")
    days_supply: Mapped[int | None] = mapped_column(Integer)
    refills: Mapped[int] = mapped_column(Integer, default=0)
    substitution_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    pharmacist_note: Mapped[str] = mapped_column(Text, default="")
    dea_schedule: Mapped[str] = mapped_column(String(5), default="")  # "", "II", "III", "IV", "V"
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|active|discontinued|replaced
    written_date: Mapped[date | None] = mapped_column()
    signed_at: Mapped[datetime | None] = mapped_column()
    discontinued_reason: Mapped[str] = mapped_column(Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("prescription.id"))


class PrintRecord(Base):
    __tablename__ = "print_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(20))  # rx | summary | note
    ref_id: Mapped[str] = mapped_column(String(40), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the command line
    printed_by: Mapped[str] = mapped_column(String(80), default="")
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertOverride(Base):
    """A physician's reasoned override; the same alert is not raised again unless its severity rises."""

    __tablename__ = "alert_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    alert_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    medication_id: Mapped[int | None] = mapped_column(ForeignKey("medication.id"))
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescription.id"))
