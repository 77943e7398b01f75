"""PHR merge of the history lists: their part of the chart snapshot, and the writer's handlers.

phr_import.py registers these in one line each; every row is made by the list's own entity service
(procedure_history, social_history, family_history, outside_encounters), the merge audits with its import id.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from desktop.models import FamilyHistory, OutsideEncounter, ProcedureHistory, SocialHistory
from desktop.phr.dates import as_aware, to_utc
from desktop.phr.history_snapshot import (
    ChartEncounter,
    ChartFamilyHistory,
    ChartProcedure,
    ChartSocialHistory,
)
from desktop.phr.review import Decision, PlanItem

from . import family_history, outside_encounters, procedure_history, social_history
from .errors import ValidationError

MODELS = {"procedure": ProcedureHistory, "social_history": SocialHistory, "family_history": FamilyHistory,
          "outside_encounter": OutsideEncounter}
ORDER = {"procedures": 5, "social_history": 6, "family_history": 7, "encounters": 8}
CODE_FIELDS = {"code", "code_system", "value_code", "icd10_code", "snomed_code", "type_code"}


def _prov(row: Any) -> dict:
    return dict(source_system=row.source_system, source_resource_id=row.source_resource_id,
                phr_import_id=row.phr_import_id, entered_in_error=bool(row.entered_in_error),
                error_reason=row.error_reason or "")


def snapshot(session: Any, patient_id: int, keep: Any) -> dict[str, tuple]:
    """The four history lists of the chart for ChartSnapshot(**...); keep(row) drops rows an undo struck out."""
    def rows(model: Any) -> list[Any]:
        found = session.execute(select(model).where(model.patient_id == patient_id).order_by(model.id)).scalars()
        return [r for r in found if keep(r)]

    return dict(
        procedures=tuple(ChartProcedure(
            id=r.id, version=r.version, text=r.description, code_system=r.code_system, code=r.code,
            performed=r.performed_date, performed_end=r.performed_end, body_site=r.body_site or "",
            performer=r.performer or "", status=r.status, note=r.note or "", **_prov(r)) for r in rows(ProcedureHistory)),
        social_history=tuple(ChartSocialHistory(
            id=r.id, version=r.version, kind=r.kind, loinc=r.loinc, value_text=r.value_text or "",
            value_code=r.value_code, quantity=r.quantity, observed=r.observed_date, unit=r.unit or "",
            pack_years=r.pack_years, audit_c=r.audit_c, drinks_per_week=r.drinks_per_week, end=r.end_date,
            note=r.note or "", **_prov(r))
            for r in rows(SocialHistory)),
        family_history=tuple(ChartFamilyHistory(
            id=r.id, version=r.version, relative=r.relative, condition=r.condition or "", snomed=r.snomed_code,
            icd10=r.icd10_code, onset_age=r.onset_age, deceased=bool(r.deceased), death_age=r.death_age,
            note=r.note or "", **_prov(r))
            for r in rows(FamilyHistory)),
        encounters=tuple(ChartEncounter(
            id=r.id, version=r.version, start=as_aware(r.start) if r.start else None, kind=r.kind or "",
            type_code=r.type_code, facility=r.facility or "", reason=r.reason or "",
            end=as_aware(r.end) if r.end else None, type_system=r.type_system, performer=r.performer or "",
            status=r.status or "finished", **_prov(r))
            for r in rows(OutsideEncounter)),
    )


def _clip(value: str, n: int) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def _provenance(writer: Any, item: Any) -> dict:
    return dict(phr_import_id=writer.import_id, source_system=_clip(item.source_system or "", 300) or None,
                source_resource_id=_clip(item.source_resource_id or "", 300) or None,
                source_date=to_utc(item.source_date) if item.source_date else None)


def _create(writer: Any, make: Any, inp: Any, item: Any, label: str) -> Any:
    """Through the entity service; a code the service refuses is dropped (named in the note), other errors
    leave the item out with a note for the reviewer."""
    prov = _provenance(writer, item)
    try:
        return make(writer.uow, writer.patient_id, inp, prov)
    except ValidationError as exc:
        bad = set(exc.errors)
        if bad and bad <= CODE_FIELDS:
            dropped = ", ".join(f"{k} {getattr(inp, k)!r}" for k in sorted(bad) if getattr(inp, k, ""))
            cleared = {k: "" for k in bad if hasattr(inp, k)}
            note = getattr(inp, "note", None)
            if note is not None:
                cleared["note"] = _clip(f"{note}\nnot kept from the file: {dropped}".strip(), 4000)
            try:
                return make(writer.uow, writer.patient_id, replace(inp, **cleared), prov)
            except ValidationError as again:
                exc = again
        writer.notes.append(f"{label}: not added ({'; '.join(f'{k}: {v}' for k, v in exc.errors.items())})")
        return None


def _take_file(writer: Any, it: PlanItem, model: Any, entity: str, values: dict, label: str) -> bool:
    row = writer._live_row(model, it.chart_item, label)
    if row is None:
        return False
    writer._remember(row, entity, tuple(values))
    for k, v in values.items():
        if v not in (None, ""):
            setattr(row, k, v)
    row.updated_by_id = writer.user_id
    writer._stamp(row, it.file_item)
    writer.audit.append(("update", entity, row, f"{label}: took the PHR file's details ({'; '.join(it.differences)})"))
    return True


def procedure(writer: Any, it: PlanItem, decision: Decision) -> None:
    p = it.file_item
    inp = procedure_history.ProcedureInput(
        description=_clip(p.text, 300), code_system=p.code_system or "", code=p.code or "",
        performed_date=p.performed, performed_end=p.performed_end, body_site=_clip(p.body_site, 200),
        performer=_clip(p.performer, 300), status=p.status, note=_clip(p.note, 4000))
    label = f"procedure {p.text}"
    if decision is Decision.TAKE_FILE:
        values = dict(status=inp.status, performed_date=inp.performed_date, body_site=inp.body_site)
        if _take_file(writer, it, ProcedureHistory, "procedure", values, label):
            writer.written["procedures"]["updated"] += 1
        return
    row = _create(writer, procedure_history.create_procedure, inp, p, label)
    if row is not None:
        writer.written["procedures"]["added"] += 1
        writer.audit.append(("create", "procedure", row, f"{row.code or 'uncoded'} {row.description} (from PHR)"))


def social(writer: Any, it: PlanItem, decision: Decision) -> None:
    s = it.file_item
    inp = social_history.SocialInput(
        kind=s.kind, value_text=_clip(s.value_text, 300), value_code=s.value_code or "", loinc=s.loinc or "",
        quantity=s.quantity, unit=_clip(s.unit, 30), observed_date=s.observed, end_date=s.end,
        pack_years=s.pack_years, audit_c=s.audit_c, drinks_per_week=s.drinks_per_week,
        note=_clip(s.note, 4000))
    label = f"social history {s.name or s.kind}"
    if decision is Decision.TAKE_FILE:
        values = dict(value_text=inp.value_text, value_code=inp.value_code or None, quantity=inp.quantity)
        if _take_file(writer, it, SocialHistory, "social_history", values, label):
            writer.written["social_history"]["updated"] += 1
            writer.smoking_changed = writer.smoking_changed or s.kind == "smoking"
        return
    row = _create(writer, social_history.create_entry, inp, s, label)
    if row is not None:
        writer.written["social_history"]["added"] += 1
        writer.smoking_changed = writer.smoking_changed or s.kind == "smoking"  # the merge checks it against the list
        writer.audit.append(("create", "social_history", row,
                             f"{social_history.KIND_LABELS.get(row.kind, row.kind)}: {row.value_text} (from PHR)"))


def family(writer: Any, it: PlanItem, decision: Decision) -> None:
    f = it.file_item
    inp = family_history.FamilyInput(
        relative=f.relative, condition=_clip(f.condition, 300), icd10_code=f.icd10 or "", snomed_code=f.snomed or "",
        onset_age=f.onset_age, deceased=f.deceased, death_age=f.death_age, note=_clip(f.note, 4000))
    label = f"family history {f.relative}: {f.condition}"
    if decision is Decision.TAKE_FILE:
        values = dict(onset_age=inp.onset_age, death_age=inp.death_age, deceased=inp.deceased or None)
        if _take_file(writer, it, FamilyHistory, "family_history", values, label):
            writer.written["family_history"]["updated"] += 1
        return
    row = _create(writer, family_history.create_entry, inp, f, label)
    if row is not None:
        writer.written["family_history"]["added"] += 1
        writer.audit.append(("create", "family_history", row, f"{row.relative}: {row.condition} (from PHR)"))


def encounter(writer: Any, it: PlanItem, decision: Decision) -> None:
    e = it.file_item
    inp = outside_encounters.OutsideEncounterInput(
        start=to_utc(e.start) if e.start else None, end=to_utc(e.end) if e.end else None, kind=_clip(e.kind, 200),
        type_code=_clip(e.type_code or "", 40), type_system=_clip(e.type_system or "", 20),
        facility=_clip(e.facility, 300), performer=_clip(e.performer, 300), reason=_clip(e.reason, 500),
        status=_clip(e.status, 20))
    label = f"encounter {e.kind or ''} {e.start:%Y-%m-%d}" if e.start else f"encounter {e.kind}"
    if decision is Decision.TAKE_FILE:
        values = dict(facility=inp.facility, reason=inp.reason)
        if _take_file(writer, it, OutsideEncounter, "outside_encounter", values, label):
            writer.written["encounters"]["updated"] += 1
        return
    row = _create(writer, outside_encounters.create_encounter, inp, e, label)
    if row is not None:
        writer.written["encounters"]["added"] += 1
        writer.audit.append(("create", "outside_encounter", row, f"{label} at {row.facility or 'unknown'} (from PHR)"))


def handlers(writer: Any) -> dict:
    """category -> handler(it, decision) for the merge writer."""
    return {"procedures": lambda it, d: procedure(writer, it, d), "social_history": lambda it, d: social(writer, it, d),
            "family_history": lambda it, d: family(writer, it, d), "encounters": lambda it, d: encounter(writer, it, d)}
