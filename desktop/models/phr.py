"""One record per applied PHR file: what it was, who merged it, what it changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class PhrImport(Base):
    __tablename__ = "phr_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(40), default="")
    source_system: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    identity_override_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="applied")  # applied | undone
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
