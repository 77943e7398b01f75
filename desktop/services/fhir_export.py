"""A chart as a FHIR R4 collection Bundle (Patient, Condition, MedicationStatement, AllergyIntolerance,
Immunization, Observation), validated with fhir.resources R4B before it leaves the app."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from desktop.models import Practice
from desktop.phr.export_bundle import bundle_from_snapshot

from .errors import ServiceError
from .permissions import Permission
from .phr_import import snapshot
from .uow import UnitOfWork


class ExportInvalid(ServiceError):
    """The Bundle we built does not validate: a bug, reported instead of writing a bad file."""


def validate_bundle(bundle: dict) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ExportInvalid(f"the exported Bundle does not validate as FHIR R4 ({where}: {first.get('msg', exc)})") \
            from exc


def export_patient(uow: UnitOfWork, patient_id: int, now: datetime | None = None) -> dict:
    """The patient's chart as a FHIR R4 collection Bundle (a dict ready for JSON)."""
    uow.require(Permission.VIEW_CHART)
    snap = snapshot(uow, patient_id)
    practice = uow.session.execute(select(Practice.name).order_by(Practice.id).limit(1)).scalar_one_or_none()
    bundle = bundle_from_snapshot(snap, practice=practice or "clinic", now=now or datetime.now(UTC))
    validate_bundle(bundle)
    counts = {}
    for entry in bundle["entry"]:
        rt = entry["resource"]["resourceType"]
        counts[rt] = counts.get(rt, 0) + 1
    uow.audit("export", "patient", patient_id, patient_id,
              "FHIR R4 Bundle: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return bundle
