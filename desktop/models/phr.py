"""One record per applied PHR file: what it was, who merged it, what it changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Versioned, utcnow


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


class PhrRejection(Versioned, Base):
    """A file item the reviewer left out of a merge (unticked a NEW item): on re-import it is shown as
    "rejected on DATE by NAME" and not ticked. Keyed by the item's source identity (source system and resource
    id; the plan's item key when the file gives no id)."""

    __tablename__ = "phr_rejection"
    __table_args__ = (Index("ix_phr_rejection_source", "patient_id", "category", "source_resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    phr_import_id: Mapped[int] = mapped_column(ForeignKey("phr_import.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    source_system: Mapped[str] = mapped_column(String(300), default="")
    source_resource_id: Mapped[str] = mapped_column(String(300), default="")
    item_key: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(500), default="")
    rejected_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    rejected_at: Mapped[datetime] = mapped_column(default=utcnow)
