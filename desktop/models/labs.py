"""Laboratory results: one row per reported value, grouped into panels (a DiagnosticReport / C-CDA organizer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ClinicalRow


class LabResult(ClinicalRow, Base):
    """The value, unit, range and flag are kept as received; the chart's flag says where it came from."""

    __tablename__ = "lab_result"
    __table_args__ = (
        Index("ix_lab_result_patient_time", "patient_id", "collected_at"),
        Index("ix_lab_result_patient_code_time", "patient_id", "loinc", "collected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[str] = mapped_column(String(64), index=True)  # results reported together share it
    panel_code: Mapped[str] = mapped_column(String(20), default="")  # the panel's LOINC (DiagnosticReport.code)
    panel_name: Mapped[str] = mapped_column(String(300), default="")
    loinc: Mapped[str] = mapped_column(String(20), default="")  # "" for a test known by name only
    name: Mapped[str] = mapped_column(String(300))  # the test's name as received
    value_type: Mapped[str] = mapped_column(String(10), default="quantity")  # quantity | text | coded
    value_num: Mapped[float | None] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(2), default="")  # < <= >= > as received ("<0.5")
    value_text: Mapped[str] = mapped_column(Text, default="")  # text result, or the coded value's display
    value_code: Mapped[str] = mapped_column(String(60), default="")  # the coded value's code (SNOMED ...)
    unit: Mapped[str] = mapped_column(String(40), default="")  # UCUM as received
    ref_low: Mapped[float | None] = mapped_column(Float)
    ref_high: Mapped[float | None] = mapped_column(Float)
    ref_text: Mapped[str] = mapped_column(String(200), default="")  # a range given as text ("negative")
    flag: Mapped[str] = mapped_column(String(4), default="")  # H L HH LL A N or "" (no range)
    flag_source: Mapped[str] = mapped_column(String(20), default="")  # lab | lab range | default range | ""
    collected_at: Mapped[datetime] = mapped_column()  # specimen date/time (UTC)
    status: Mapped[str] = mapped_column(String(20), default="final")  # preliminary|final|corrected|cancelled
    performing_lab: Mapped[str] = mapped_column(String(300), default="")
    ordering_clinician: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(20), default="clinic")  # clinic | phr-import
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    note: Mapped[str] = mapped_column(Text, default="")
