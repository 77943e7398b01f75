"""Declarative base and the column groups every clinical table shares."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True), date: Date()}


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps `version` (stale writes raise)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class Tracked:
    """Who created and last changed a row, and when."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("app_user.id"), nullable=True)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("app_user.id"), nullable=True)


class EnteredInError:
    """Clinical rows are never deleted: they are marked entered-in-error with who, when and why."""

    entered_in_error: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    error_reason: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None] = mapped_column()

    @declared_attr
    def error_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("app_user.id"), nullable=True)


class Provenance:
    """Where a row came from when it was merged from a patient's PHR file."""

    source_system: Mapped[str | None] = mapped_column(String(300))
    source_resource_id: Mapped[str | None] = mapped_column(String(300))
    source_date: Mapped[datetime | None] = mapped_column()

    @declared_attr
    def phr_import_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("phr_import.id"), nullable=True, index=True)


class ClinicalRow(Versioned, Tracked, EnteredInError, Provenance):
    """Everything an editable chart list row carries."""

    @declared_attr
    def patient_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("patient.id"), nullable=False, index=True)
