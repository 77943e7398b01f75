"""Patient demographics and the search index that makes type-ahead fast."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Tracked, Versioned, utcnow


class Patient(Versioned, Tracked, Base):
    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_sort_key_birth", "sort_key", "birth_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(10))  # female | male | other | unknown (administrative sex)
    gender_identity: Mapped[str] = mapped_column(String(60), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(50), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(60), default="")
    phone_home: Mapped[str] = mapped_column(String(40), default="")
    phone_mobile: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    preferred_language: Mapped[str] = mapped_column(String(60), default="")
    emergency_name: Mapped[str] = mapped_column(String(200), default="")
    emergency_relation: Mapped[str] = mapped_column(String(60), default="")
    emergency_phone: Mapped[str] = mapped_column(String(40), default="")
    insurance_payer: Mapped[str] = mapped_column(String(200), default="")
    insurance_member_id: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # folded (lower-case, accents removed) sort key: "muller zoe"; indexed with birth date for name order
    sort_key: Mapped[str] = mapped_column(String(220))


class PatientToken(Base):
    """One row per searchable word of a patient (name parts, MRN, phone digits), folded.

    A prefix range scan on the token index answers the rarest typed word; every other word is one seek on
    (patient_id, token) per patient found.
    """

    __tablename__ = "patient_token"
    # (patient_id, token): "does this patient have a word starting with X" is one index seek
    __table_args__ = (Index("ix_patient_token_patient_token", "patient_id", "token"),)

    token: Mapped[str] = mapped_column(String(120), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)


class RecentPatient(Base):
    __tablename__ = "recent_patient"
    __table_args__ = (Index("ix_recent_patient_user_opened", "user_id", "opened_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
