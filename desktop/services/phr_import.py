"""Merge a patient's PHR file into the chart: snapshot, plan, alert check, apply in one transaction, undo.

    parsed = desktop.phr.read_file(path)                      # no database: read, validate, normalise
    with db.uow(user) as uow:
        plan = plan_import(uow, patient_id, parsed)           # identity + NEW/DUPLICATE/CHANGED/CONFLICT
    decisions = plan.default_decisions("new")                 # the reviewer changes these in the dialog
    with db.uow(user) as uow:
        report = preview_alerts(uow, patient_id, plan, decisions)   # the merged list, nothing written
    with db.uow(user) as uow:
        result = apply_import(uow, patient_id, plan, decisions, plan.info)

Every created row keeps its provenance (import id, source system, source resource id, source date); the
import record keeps the file's SHA-256, name, user, time and counts. Re-importing the same file, or a newer
file that overlaps it, finds its items as duplicates (matched on provenance, then codes, then text).
Physicians merge clinical items; nurses may merge vitals and readings only.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select

from desktop.kb.text import fold
from desktop.models import (
    Allergy,
    Immunization,
    LabResult,
    Medication,
    Patient,
    PhrImport,
    Problem,
    User,
    VitalSign,
)
from desktop.phr import (
    CATEGORIES,
    CLINICAL_CATEGORIES,
    ChartAllergy,
    ChartImmunization,
    ChartLabResult,
    ChartMedication,
    ChartObservation,
    ChartPatient,
    ChartProblem,
    ChartSnapshot,
    Decision,
    FileInfo,
    ImportPlan,
    ItemStatus,
    ParsedFile,
    PhrAllergy,
    PlanItem,
    Verdict,
    build_plan,
)
from desktop.phr.dates import as_aware, to_utc
from desktop.phr.history_records import HISTORY_CATEGORIES
from desktop.phr.identity import CONFIRMATION

from . import phr_histories
from .errors import NotFound, PermissionDenied, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)

ORIGIN_FOR_VITALS = {"device": "device", "patient": "patient"}  # anything else becomes "phr-import"
ALERTS_UNAVAILABLE = "interaction checking unavailable"


class IdentityMismatch(ServiceError):
    """The file's patient does not match the chart's; only a physician with a reason may go on."""


class IdentityUnconfirmed(IdentityMismatch):
    """The file names no patient; the user must confirm with the patient that it is theirs."""


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class AlertNote:
    kind: str
    severity: str
    message: str
    drugs: tuple[str, ...] = ()
    key: str = ""  # the engine's alert key: what an override names
    med_ids: tuple[int, ...] = ()  # the merged medications the alert is about
    alert: Any = field(default=None, compare=False, repr=False)  # the engine's alert, for the modal and override


@dataclass(frozen=True, slots=True)
class AlertReport:
    available: bool  # False: the check could not run; the reviewer must be told
    message: str  # "" when it ran
    alerts: tuple[AlertNote, ...] = ()
    interrupting_severities: tuple[str, ...] = ("contraindicated", "major")  # the practice's setting

    @property
    def interrupting(self) -> tuple[AlertNote, ...]:
        return tuple(a for a in self.alerts if a.severity in self.interrupting_severities)


class AlertsNeedOverride(ServiceError):
    """The merged lists raise interrupting alerts that no override answers: nothing is written."""

    def __init__(self, report: AlertReport, pending: tuple[AlertNote, ...]):
        self.report = report
        self.pending = pending
        names = "; ".join(f"{a.severity}: {a.message}" for a in pending)
        super().__init__(f"the merge raises {len(pending)} alert(s) that need a physician's override with a "
                         f"reason, or leave those items out: {names}")


@dataclass(frozen=True, slots=True)
class ImportResult:
    applied: bool
    import_id: int | None
    written: dict[str, dict[str, int]]  # category -> {"added": n, "updated": n}
    alerts: AlertReport
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportRecord:
    id: int
    file_name: str
    sha256: str
    file_format: str
    source_system: str
    user: str
    imported_at: datetime
    counts: dict
    status: str  # applied | undone
    undone_at: datetime | None
    identity_override_reason: str


# ------------------------------------------------------------------ snapshot


def _undone_imports(uow: UnitOfWork, patient_id: int) -> set[int]:
    rows = uow.session.execute(
        select(PhrImport.id).where(PhrImport.patient_id == patient_id, PhrImport.status == "undone"))
    return {r[0] for r in rows}


def _keep(row: Any, undone: set[int]) -> bool:
    """Rows struck out by an undo are gone for the diff: re-importing after an undo offers them again."""
    return not (row.entered_in_error and row.phr_import_id in undone)


def _prov(row: Any) -> dict:
    return dict(source_system=row.source_system, source_resource_id=row.source_resource_id,
                phr_import_id=row.phr_import_id, entered_in_error=bool(row.entered_in_error),
                error_reason=row.error_reason or "")


def chart_patient(uow: UnitOfWork, patient_id: int) -> ChartPatient:
    p = uow.session.get(Patient, patient_id)
    if p is None:
        raise NotFound(f"no patient with id {patient_id}")
    idents = [("mrn", p.mrn)]
    if p.insurance_member_id:
        idents.append(("insurance", p.insurance_member_id))
    return ChartPatient(id=p.id, mrn=p.mrn, given_name=p.given_name, middle_name=p.middle_name or "",
                        family_name=p.family_name, birth_date=p.birth_date, sex=p.sex, identifiers=tuple(idents))


def snapshot(uow: UnitOfWork, patient_id: int) -> ChartSnapshot:
    """The chart's lists as the diff needs them (entered-in-error rows flagged, undone imports left out)."""
    uow.require(Permission.VIEW_CHART)
    patient = chart_patient(uow, patient_id)
    s = uow.session
    undone = _undone_imports(uow, patient_id)

    def rows(model: Any) -> list[Any]:
        found = s.execute(select(model).where(model.patient_id == patient_id).order_by(model.id)).scalars()
        return [r for r in found if _keep(r, undone)]

    problems = tuple(ChartProblem(
        id=r.id, version=r.version, text=r.description, icd10=r.icd10_code, snomed=r.snomed_code, onset=r.onset_date,
        resolved=r.resolved_date, status=r.status, note=r.note or "", **_prov(r)) for r in rows(Problem))
    medications = tuple(ChartMedication(
        id=r.id, version=r.version, drug_name=r.drug_name, ingredients=r.ingredients or "",
        ingredient_rxcui=r.ingredient_rxcui, product_rxcui=r.product_rxcui, sig=r.sig or "", route=r.route or "",
        start=r.start_date, stop=r.stop_date, status=r.status, source=r.source, note=r.note or "", **_prov(r))
        for r in rows(Medication))
    allergies = tuple(ChartAllergy(
        id=r.id, version=r.version, substance=r.substance, substance_key=r.substance_key or "",
        code_system=r.code_system, code=r.code, category=r.category, kind=r.kind, reaction=r.reaction or "",
        severity=r.severity or "", criticality=r.criticality or "", status=r.status, onset=r.onset_date,
        no_known_allergies=bool(r.no_known_allergies), note=r.note or "", **_prov(r)) for r in rows(Allergy))
    immunizations = tuple(ChartImmunization(
        id=r.id, version=r.version, vaccine=r.vaccine, date_given=r.date_given, cvx=r.cvx_code,
        lot_number=r.lot_number or "", manufacturer=r.manufacturer or "", site=r.site or "", route=r.route or "",
        dose_number=r.dose_number or "", note=r.note or "", **_prov(r)) for r in rows(Immunization))
    v = VitalSign  # thousands of device readings: plain column rows, not ORM objects
    found = s.execute(select(
        v.id, v.version, v.set_id, v.loinc, v.taken_at, v.value, v.unit, v.origin, v.source_system,
        v.source_resource_id, v.phr_import_id, v.entered_in_error, v.error_reason,
    ).where(v.patient_id == patient_id).order_by(v.id))
    observations = tuple(ChartObservation(
        id=r.id, version=r.version, set_id=r.set_id, loinc=r.loinc, taken_at=as_aware(r.taken_at), value=r.value,
        unit=r.unit, origin=r.origin, source_system=r.source_system, source_resource_id=r.source_resource_id,
        phr_import_id=r.phr_import_id, entered_in_error=bool(r.entered_in_error), error_reason=r.error_reason or "")
        for r in found if _keep(r, undone))
    lr = LabResult
    found = s.execute(select(
        lr.id, lr.version, lr.loinc, lr.name, lr.collected_at, lr.value_num, lr.value_text, lr.unit, lr.status,
        lr.origin, lr.source_system, lr.source_resource_id, lr.phr_import_id, lr.entered_in_error, lr.error_reason,
        lr.comparator, lr.value_code, lr.ref_low, lr.ref_high, lr.ref_text, lr.flag, lr.flag_source, lr.panel_id,
        lr.panel_code, lr.panel_name, lr.performing_lab,
    ).where(lr.patient_id == patient_id).order_by(lr.id))
    results = tuple(ChartLabResult(
        id=r.id, version=r.version, loinc=r.loinc, name=r.name, collected_at=as_aware(r.collected_at),
        value=r.value_num, value_text=r.value_text or "", unit=r.unit or "", status=r.status, origin=r.origin,
        source_system=r.source_system, source_resource_id=r.source_resource_id, phr_import_id=r.phr_import_id,
        entered_in_error=bool(r.entered_in_error), error_reason=r.error_reason or "", comparator=r.comparator or "",
        value_code=r.value_code or "", ref_low=r.ref_low, ref_high=r.ref_high, ref_text=r.ref_text or "",
        flag=r.flag or "", flag_source=r.flag_source or "", panel_id=r.panel_id, panel_code=r.panel_code or "",
        panel_name=r.panel_name or "", performing_lab=r.performing_lab or "")
        for r in found if _keep(r, undone))
    return ChartSnapshot(patient=patient, problems=problems, medications=medications, allergies=allergies,
                         immunizations=immunizations, observations=observations, results=results,
                         **phr_histories.snapshot(s, patient_id, lambda r: _keep(r, undone)))


# ------------------------------------------------------------------ plan


def _require_any_import(uow: UnitOfWork) -> None:
    if not (uow.can(Permission.IMPORT_PHR_CLINICAL) or uow.can(Permission.IMPORT_PHR_VITALS)):
        uow.require(Permission.IMPORT_PHR_VITALS)  # raises with the role's message


def chart_allergy_key(a: PhrAllergy) -> str | None:
    """The key the allergy service would store this substance under (a drug class id, an ingredient)."""
    try:
        from .allergies import AllergyInput, resolve_substance

        return resolve_substance(AllergyInput(substance=a.substance, category=a.category)).key
    except (ServiceError, ImportError, ValueError) as exc:
        log.info("allergy key for %r not resolved by the allergy service: %s", a.substance, exc)
        return None
    except Exception as exc:  # the knowledge base failing must not stop the review; the PHR's own key is used
        log.warning("allergy service failed for %r: %s", a.substance, exc)
        return None


def _previous_import(uow: UnitOfWork, patient_id: int, sha256: str) -> str:
    row = uow.session.execute(
        select(PhrImport, User.display_name).join(User, User.id == PhrImport.user_id, isouter=True)
        .where(PhrImport.patient_id == patient_id, PhrImport.sha256 == sha256, PhrImport.status == "applied")
        .order_by(PhrImport.id.desc()).limit(1)).first()
    if row is None:
        return ""
    imp, who = row
    when = as_aware(imp.imported_at).astimezone().strftime("%Y-%m-%d %H:%M")
    return f"this file was imported on {when} by {who or 'the system'} (import #{imp.id})"


def plan_import(uow: UnitOfWork, patient_id: int, parsed: ParsedFile, patient_ref: str | None = None) -> ImportPlan:
    """The merge plan: identity evidence and every file item beside its chart match. Writes nothing."""
    _require_any_import(uow)
    snap = snapshot(uow, patient_id)
    return build_plan(parsed, snap, patient_ref, allergy_key=chart_allergy_key,
                      previous_import=_previous_import(uow, patient_id, parsed.info.sha256))


def _replan(uow: UnitOfWork, patient_id: int, plan: ImportPlan) -> ImportPlan:
    """The same file items against the chart as it is now (another workstation may have changed it)."""
    by_cat: dict[str, list] = {c: [] for c in CATEGORIES}
    for it in plan.items:
        by_cat[it.category].append(it.file_item)
    parsed = ParsedFile(
        info=plan.info, patients=(plan.file_patient,) if plan.file_patient else (),
        problems=tuple(by_cat["problems"]), medications=tuple(by_cat["medications"]),
        allergies=tuple(by_cat["allergies"]), immunizations=tuple(by_cat["immunizations"]),
        observations=tuple(by_cat["observations"]), results=tuple(by_cat["results"]),
        **{c: tuple(by_cat[c]) for c in HISTORY_CATEGORIES},
        patient_refs=(plan.patient_ref,) if plan.patient_ref else (),
    )
    fresh = build_plan(parsed, snapshot(uow, patient_id), plan.patient_ref or None, allergy_key=chart_allergy_key)
    # the same items keep their keys; copies_in_file and series come from the reviewed plan
    reviewed = plan.by_key()
    return replace(fresh, items=tuple(
        replace(i, copies_in_file=reviewed[i.key].copies_in_file) if i.key in reviewed else i for i in fresh.items))


# ------------------------------------------------------------------ apply


def _clip(value: Any, n: int) -> Any:
    if isinstance(value, str) and len(value) > n:
        return value[: n - 1] + "…"
    return value


def _set_id(item: Any) -> str:
    digest = hashlib.sha1(f"{item.source_system}|{item.group}".encode(), usedforsecurity=False).hexdigest()
    return f"phr-{digest[:36]}"


def _provenance(import_id: int, item: Any, user_id: int | None) -> dict:
    return dict(
        phr_import_id=import_id, source_system=_clip(item.source_system or None, 300),
        source_resource_id=_clip(item.source_resource_id or None, 300),
        source_date=to_utc(item.source_date) if item.source_date else None,
        created_by_id=user_id, updated_by_id=user_id,
    )


@dataclass
class _Writer:
    uow: UnitOfWork
    patient_id: int
    import_id: int
    user_id: int | None
    written: dict[str, Counter] = field(default_factory=lambda: {c: Counter() for c in CATEGORIES})
    replaced: list[tuple[str, Any, dict]] = field(default_factory=list)  # (entity, row, values before) of TAKE_FILE
    notes: list[str] = field(default_factory=list)
    audit: list[tuple[str, str, Any, str]] = field(default_factory=list)
    new_meds: list[Medication] = field(default_factory=list)
    new_allergies: list[Allergy] = field(default_factory=list)
    readings: list[dict] = field(default_factory=list)
    lab_panels: dict[str, list] = field(default_factory=dict)  # panel key -> file results to add
    lab_critical: list = field(default_factory=list)  # critical values among the merged results

    # ---------------------------------------------------------- helpers
    def _remember(self, row: Any, entity: str, names: tuple[str, ...]) -> None:
        before = {n: _jsonable(getattr(row, n)) for n in names}
        before.update({n: _jsonable(getattr(row, n)) for n in
                       ("phr_import_id", "source_system", "source_resource_id", "source_date", "updated_by_id")})
        self.replaced.append((entity, row, before))

    def replaced_json(self) -> list[dict]:
        """After the flush: what undo needs to put each changed row back (if nobody edited it since)."""
        return [{"entity": e, "id": row.id, "version_after": row.version, "before": before}
                for e, row, before in self.replaced]

    def _live_row(self, model: Any, chart_item: Any, label: str) -> Any:
        row = self.uow.session.get(model, chart_item.id)
        if row is None or row.version != chart_item.version or row.entered_in_error:
            self.notes.append(f"{label}: the chart's entry changed since the review; left as it is")
            return None
        return row

    # ---------------------------------------------------------- problems
    def problem(self, it: PlanItem, decision: Decision) -> None:
        p = it.file_item
        values = dict(description=_clip(p.text, 300), icd10_code=_clip(p.icd10, 10), snomed_code=_clip(p.snomed, 20),
                      onset_date=p.onset, resolved_date=p.resolved, status=p.status)
        if decision is Decision.TAKE_FILE:
            row = self._live_row(Problem, it.chart_item, f"problem {p.text}")
            if row is None:
                return
            self._remember(row, "problem", tuple(values))
            for k, v in values.items():
                if v not in (None, "") or k in ("resolved_date",):
                    setattr(row, k, v)
            row.updated_by_id = self.user_id
            self._stamp(row, p)
            self.written["problems"]["updated"] += 1
            self.audit.append(("update", "problem", row, f"{p.text}: took the PHR file's details ({'; '.join(it.differences)})"))
            return
        row = Problem(patient_id=self.patient_id, note=_clip(p.note, 4000), **values,
                      **_provenance(self.import_id, p, self.user_id))
        self.uow.session.add(row)
        self.written["problems"]["added"] += 1
        self.audit.append(("create", "problem", row, f"{p.text} ({p.status}) from PHR"))

    # ---------------------------------------------------------- medications
    def medication(self, it: PlanItem, decision: Decision) -> None:
        m = it.file_item
        values = dict(drug_name=_clip(m.text, 300), ingredients=_clip("+".join(m.ingredients), 300),
                      ingredient_rxcui=_clip(m.ingredient_rxcui, 20), product_rxcui=_clip(m.product_rxcui, 20),
                      sig=_clip(m.sig, 4000), route=_clip(m.route, 60), start_date=m.start, stop_date=m.stop,
                      status=m.status)
        if decision is Decision.TAKE_FILE:
            row = self._live_row(Medication, it.chart_item, f"medication {m.text}")
            if row is None:
                return
            self._remember(row, "medication", tuple(values))
            for k, v in values.items():
                if v not in (None, ""):
                    setattr(row, k, v)
            row.updated_by_id = self.user_id
            self._stamp(row, m)
            self.written["medications"]["updated"] += 1
            self.audit.append(("update", "medication", row, f"{m.text}: took the PHR file's details ({'; '.join(it.differences)})"))
            return
        row = Medication(patient_id=self.patient_id, source="phr-import", note=_clip(m.note, 4000), **values,
                         **_provenance(self.import_id, m, self.user_id))
        self.uow.session.add(row)
        self.new_meds.append(row)
        self.written["medications"]["added"] += 1
        self.audit.append(("create", "medication", row, f"{m.text} ({m.status}) from PHR"))

    # ---------------------------------------------------------- allergies
    def allergy(self, it: PlanItem, decision: Decision) -> None:
        a: PhrAllergy = it.file_item  # type: ignore[assignment]
        chart = it.chart_item
        if decision is Decision.TAKE_FILE and chart is not None and getattr(chart, "no_known_allergies", False) \
                and not a.no_known_allergies:
            nka = self._live_row(Allergy, chart, "no known allergies")
            if nka is None:
                return
            self._remember(nka, "allergy", ("status",))
            nka.status = "inactive"
            nka.updated_by_id = self.user_id
            self.audit.append(("update", "allergy", nka, f"no known allergies set inactive: the PHR lists {a.substance}"))
            self._add_allergy(a)
            return
        if decision is Decision.TAKE_FILE and chart is not None:
            row = self._live_row(Allergy, chart, f"allergy {a.substance}")
            if row is None:
                return
            if a.verification == "refuted":
                self._remember(row, "allergy", ("status", "note"))
                row.status = "inactive"
                row.note = _clip(f"{row.note}\nRefuted according to {a.source_system or 'the PHR file'}".strip(), 4000)
            else:
                values = dict(status=a.status, severity=_clip(a.severity, 20), criticality=_clip(a.criticality, 20),
                              kind=_clip(a.kind, 20), reaction=_clip(a.reaction, 300))
                self._remember(row, "allergy", tuple(values))
                for k, v in values.items():
                    if v not in (None, ""):
                        setattr(row, k, v)
            row.updated_by_id = self.user_id
            self._stamp(row, a)
            self.written["allergies"]["updated"] += 1
            self.audit.append(("update", "allergy", row, f"{a.substance}: took the PHR file's details"))
            return
        self._add_allergy(a)

    def _add_allergy(self, a: PhrAllergy) -> None:
        s = self.uow.session
        key, code_system, code = self._allergy_key(a)
        clash = s.execute(select(Allergy).where(
            Allergy.patient_id == self.patient_id, Allergy.substance_key == key, Allergy.status == "active",
            Allergy.entered_in_error.is_(False)).limit(1)).scalar_one_or_none()
        if clash is not None:  # one active row per substance: never a second one
            self.notes.append(f"allergy {a.substance}: already listed as {clash.substance}; not added again")
            return
        row = Allergy(
            patient_id=self.patient_id, substance=_clip(a.substance, 200), substance_key=_clip(key, 200),
            code_system=_clip(code_system, 40), code=_clip(code, 40), category=_clip(a.category or "medication", 20),
            kind=_clip(a.kind or "allergy", 20), reaction=_clip(a.reaction, 300), severity=_clip(a.severity, 20),
            criticality=_clip(a.criticality, 20), status=a.status, onset_date=a.onset,
            no_known_allergies=a.no_known_allergies, note=_clip(a.note, 4000),
            **_provenance(self.import_id, a, self.user_id),
        )
        s.add(row)
        self.new_allergies.append(row)
        self.written["allergies"]["added"] += 1
        self.audit.append(("create", "allergy", row, f"{a.substance} from PHR"))

    def _allergy_key(self, a: PhrAllergy) -> tuple[str, str | None, str | None]:
        if a.no_known_allergies:
            from .allergies import NKDA_KEY

            return NKDA_KEY, None, None
        try:
            from .allergies import AllergyInput, resolve_substance

            res = resolve_substance(AllergyInput(substance=a.substance, category=a.category))
            if res.code_system == "class":
                return res.key, "class", res.code
            return res.key, a.code_system or res.code_system, a.code or res.code
        except ServiceError as exc:
            log.info("allergy service could not key %r (%s); using the folded name", a.substance, exc)
            return fold(a.substance)[:200], a.code_system, a.code

    # ---------------------------------------------------------- immunizations
    def immunization(self, it: PlanItem, decision: Decision) -> None:
        i = it.file_item
        values = dict(vaccine=_clip(i.vaccine, 200), cvx_code=_clip(i.cvx, 10), date_given=i.date_given,
                      lot_number=_clip(i.lot_number, 60), manufacturer=_clip(i.manufacturer, 120),
                      site=_clip(i.site, 60), route=_clip(i.route, 60), dose_number=_clip(i.dose_number, 20))
        if decision is Decision.TAKE_FILE:
            row = self._live_row(Immunization, it.chart_item, f"immunization {i.vaccine}")
            if row is None:
                return
            self._remember(row, "immunization", tuple(values))
            for k, v in values.items():
                if v not in (None, ""):
                    setattr(row, k, v)
            row.updated_by_id = self.user_id
            self._stamp(row, i)
            self.written["immunizations"]["updated"] += 1
            self.audit.append(("update", "immunization", row, f"{i.vaccine} {i.date_given}: took the PHR file's details"))
            return
        row = Immunization(patient_id=self.patient_id, given_here=False, note=_clip(i.note, 4000),
                           historical_source=_clip(i.author or i.source_system or "PHR file", 200), **values,
                           **_provenance(self.import_id, i, self.user_id))
        self.uow.session.add(row)
        self.written["immunizations"]["added"] += 1
        self.audit.append(("create", "immunization", row, f"{i.vaccine} given {i.date_given} (from PHR)"))

    # ---------------------------------------------------------- observations
    def observation(self, it: PlanItem, decision: Decision) -> None:
        o = it.file_item
        self.readings.append(dict(
            patient_id=self.patient_id, set_id=_set_id(o), taken_at=to_utc(o.taken_at), loinc=_clip(o.loinc, 10),
            value=float(o.value), unit=_clip(o.unit, 20), origin=ORIGIN_FOR_VITALS.get(o.origin, "phr-import"),
            entered_unit=_clip(o.original_unit or None, 20), version=1, entered_in_error=False,
            **_provenance(self.import_id, o, self.user_id),
        ))
        self.written["observations"]["added"] += 1

    def flush_readings(self) -> None:
        """Readings arrive by the thousand from devices: one bulk INSERT, not one ORM object each."""
        if self.readings:
            now = datetime.now(UTC)
            for r in self.readings:
                r.setdefault("created_at", now)
                r.setdefault("updated_at", now)
            for start in range(0, len(self.readings), 5000):
                self.uow.session.execute(insert(VitalSign), self.readings[start:start + 5000])
            self.readings = []

    # ---------------------------------------------------------- laboratory results
    def result(self, it: PlanItem, decision: Decision) -> None:
        r = it.file_item
        if decision is Decision.TAKE_FILE:  # a corrected result replaces the chart's (struck out, kept)
            row = self._live_row(LabResult, it.chart_item, f"result {r.name}")
            if row is None:
                return
            self._remember(row, "lab_result", ("entered_in_error", "error_reason", "error_at", "error_by_id"))
            row.entered_in_error = True
            row.error_reason = f"replaced by the {r.status} result of PHR import #{self.import_id}"
            row.error_at = datetime.now(UTC)
            row.error_by_id = self.user_id
            self.written["results"]["updated"] += 1
            self.audit.append(("update", "lab_result", row, f"{r.name}: replaced by the file's {r.status} result"))
        else:
            self.written["results"]["added"] += 1
        minute = r.collected_at.strftime("%Y%m%d%H%M")
        panel = r.panel_key or f"{r.source_system}|{minute}"
        self.lab_panels.setdefault(panel, []).append(r)

    def flush_results(self) -> None:
        """Through the results service, one panel at a time (one writer of lab_result rows)."""
        from .results import PanelInput, ResultInput, record_results

        for key, items in self.lab_panels.items():
            first = items[0]
            panel = PanelInput(
                collected_at=first.collected_at, panel_code=first.panel_code, panel_name=first.panel_name,
                performing_lab=first.performing_lab, ordering_clinician=first.ordering_clinician,
                panel_id="phr-" + hashlib.sha1(f"{self.import_id}|{key}".encode(),
                                               usedforsecurity=False).hexdigest()[:40],
                results=tuple(ResultInput(
                    name=r.name, loinc=r.loinc, value=r.value, unit=r.unit, comparator=r.comparator,
                    value_text=r.value_text, value_code=r.value_code, ref_low=r.ref_low, ref_high=r.ref_high,
                    ref_text=r.ref_text, flag=r.flag, status=r.status, source_system=r.source_system,
                    source_resource_id=r.source_resource_id, source_date=r.source_date) for r in items))
            saved = record_results(self.uow, self.patient_id, panel, origin="phr-import", import_id=self.import_id,
                                   audit=False)
            self.lab_critical += list(saved.critical.alerts)
            self.notes += list(saved.critical.not_checked)
        self.lab_panels = {}

    def _stamp(self, row: Any, item: Any) -> None:
        row.phr_import_id = self.import_id
        row.source_system = _clip(item.source_system or None, 300)
        row.source_resource_id = _clip(item.source_resource_id or None, 300)
        row.source_date = to_utc(item.source_date) if item.source_date else None


SYSTEM_USERNAME = "system"


def _system_user_id(uow: UnitOfWork) -> int:
    """Imports run from the command line act as the system; the import record names this technical account
    (inactive, no usable password: it cannot log in)."""
    s = uow.session
    uid = s.execute(select(User.id).where(User.username == SYSTEM_USERNAME)).scalar_one_or_none()
    if uid is None:  # two first imports at once: one creates it, the other finds it (integrity, issue 13.9)
        from sqlalchemy.exc import IntegrityError

        try:
            with s.begin_nested():
                user = User(username=SYSTEM_USERNAME, display_name="System (command line)", role="admin",
                            password_hash="!", active=False)
                s.add(user)
            uid = user.id
        except IntegrityError:
            uid = s.execute(select(User.id).where(User.username == SYSTEM_USERNAME)).scalar_one()
    return uid


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"datetime": to_utc(v).isoformat()}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    return v


def _from_json(v: Any) -> Any:
    if isinstance(v, dict) and "date" in v:
        return date.fromisoformat(v["date"])
    if isinstance(v, dict) and "datetime" in v:
        return datetime.fromisoformat(v["datetime"])
    return v


def _check_decisions(plan: ImportPlan, decisions: dict[str, Decision]) -> dict[str, Decision]:
    items = plan.by_key()
    clean: dict[str, Decision] = {}
    errors: dict[str, str] = {}
    for key, raw in decisions.items():
        item = items.get(key)
        if item is None:
            errors[key] = "not an item of this plan"
            continue
        try:
            decision = Decision(raw)
        except ValueError:
            errors[key] = f"unknown decision {raw!r}"
            continue
        if decision not in item.choices:
            errors[key] = f"{decision.label} is not possible for a {item.status.value} item"
            continue
        clean[key] = decision
    if errors:
        raise ValidationError(errors, f"{len(errors)} decision(s) cannot be applied: "
                              + "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:3]))
    return clean


def _check_permissions(uow: UnitOfWork, plan: ImportPlan, decisions: dict[str, Decision]) -> None:
    items = plan.by_key()
    writes = [items[k] for k, d in decisions.items() if d.writes]
    if any(i.clinical for i in writes):
        uow.require(Permission.IMPORT_PHR_CLINICAL)
    if any(not i.clinical for i in writes):
        uow.require(Permission.IMPORT_PHR_VITALS)


def _check_identity(uow: UnitOfWork, plan: ImportPlan, reason: str | None, confirmed: bool = False) -> str:
    """The text kept on the import record: a physician's reason for a mismatch, or who confirmed a file that
    names no patient (nothing ties such a file to the chart but the user's word)."""
    if plan.identity.verdict.needs_confirmation:
        if not confirmed:
            raise IdentityUnconfirmed(
                "the file names no patient (no name, birth date, sex or identifier shared with this chart); "
                "confirm with the patient that it is theirs before merging it")
        who = uow.user.display_name or uow.user.username
        return f"file names no patient; {who} ({uow.user.username}): {CONFIRMATION}"
    if plan.identity.verdict is not Verdict.MISMATCH:
        return (reason or "").strip()
    reason = (reason or "").strip()
    if not reason:
        raise IdentityMismatch(
            "the file's patient does not match this chart ("
            + "; ".join(e.sentence for e in plan.identity.evidence if e.outcome.value == "different")
            + "); a physician must confirm with a reason")
    if not uow.can(Permission.IMPORT_PHR_CLINICAL):
        raise PermissionDenied("only a physician may confirm that a file with another patient's details belongs here")
    return reason


def _alerts(uow: UnitOfWork, patient_id: int, writer: _Writer) -> AlertReport:
    """Run the clinical alert checks on the merged lists (flushed, not committed). Never silent."""
    if not writer.new_meds and not writer.new_allergies:
        return AlertReport(available=True, message="")
    try:
        alert_service = importlib.import_module("desktop.services.alerts")
    except ImportError as exc:
        log.warning("PHR merge without alert checks: %s", exc)
        return AlertReport(available=False, message=f"{ALERTS_UNAVAILABLE}: the alert module is not installed")
    try:
        if "kinds" in inspect.signature(alert_service.check_for_patient).parameters:
            # readings imported from a device are history: no vital-sign pop-ups for them
            check = alert_service.check_for_patient(uow, patient_id, kinds=("interaction", "duplicate", "allergy"))
        else:
            check = alert_service.check_for_patient(uow, patient_id)
    except Exception as exc:  # a broken knowledge base must be reported, not hidden
        log.warning("alert check failed during PHR merge: %s", exc)
        return AlertReport(available=False, message=f"{ALERTS_UNAVAILABLE}: {exc}")
    if not getattr(check, "kb_available", True):
        return AlertReport(available=False,
                           message=f"{ALERTS_UNAVAILABLE}: {getattr(check, 'error', '') or 'knowledge base not loaded'}")
    new_ids = {m.id for m in writer.new_meds}
    new_names = {fold(n) for m in writer.new_meds for n in ([m.drug_name] + (m.ingredients or "").split("+")) if n}
    new_allergens = {fold(a.substance) for a in writer.new_allergies}
    notes = []
    for a in getattr(check, "alerts", ()) or ():
        drugs = tuple(getattr(a, "drugs", ()) or ())
        involved = (set(getattr(a, "med_ids", ()) or ()) & new_ids or {fold(d) for d in drugs} & new_names
                    or fold(getattr(a, "allergen", None) or "") in new_allergens)
        if involved:
            notes.append(AlertNote(kind=getattr(a, "kind", ""), severity=getattr(a, "severity", ""),
                                   message=getattr(a, "message", str(a)), drugs=drugs,
                                   key=str(getattr(a, "key", "") or ""),
                                   med_ids=tuple(i for i in (getattr(a, "med_ids", ()) or ()) if i in new_ids),
                                   alert=a))
    severities = tuple(getattr(check, "interrupting_severities", ()) or ("contraindicated", "major"))
    return AlertReport(available=True, message="", alerts=tuple(notes), interrupting_severities=severities)


def _with_lab_alerts(report: AlertReport, writer: _Writer) -> AlertReport:
    """Critical lab values among the merged results: shown to the user after the merge (they are the patient's
    history, not an order to stop); the CLI prints them."""
    if not writer.lab_critical:
        return report
    notes = tuple(AlertNote(kind=a.kind, severity=a.severity, message=a.message, key=a.key, alert=a)
                  for a in writer.lab_critical)
    return replace(report, alerts=report.alerts + notes)


def _enforce_overrides(uow: UnitOfWork, patient_id: int, report: AlertReport,
                       overrides: tuple[tuple[Any, str, str], ...]) -> None:
    """A signed-in user's merge stops at interrupting alerts unless each has a physician's reasoned override,
    which is recorded like any other (the same alert then stays quiet for this chart). The command line acts
    as the system: it prints every alert and the audit row counts them."""
    if not report.available or uow.user.id is None:
        return
    decided = {str(getattr(alert, "key", "") or ""): (alert, reason, comment) for alert, reason, comment in overrides}
    pending = tuple(a for a in report.interrupting if a.key not in decided)
    if pending:
        raise AlertsNeedOverride(report, pending)
    from . import alerts as alert_service

    for note in report.interrupting:
        _alert, reason, comment = decided[note.key]
        alert_service.record_override(uow, patient_id, note.alert, reason, comment,
                                      medication_id=note.med_ids[0] if note.med_ids else None)


def _write(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision], import_id: int,
           ) -> _Writer:
    writer = _Writer(uow, patient_id, import_id, uow.user.id)
    handlers = {"problems": writer.problem, "medications": writer.medication, "allergies": writer.allergy,
                "immunizations": writer.immunization, "observations": writer.observation,
                "results": writer.result, **phr_histories.handlers(writer)}
    fresh = _replan(uow, patient_id, plan).by_key()
    reviewed = plan.by_key()
    # allergies first: the alert check of new medications sees them
    order = {"allergies": 0, "problems": 1, "immunizations": 2, "observations": 3, "results": 3, "medications": 4,
             **phr_histories.ORDER}
    for key, decision in sorted(decisions.items(), key=lambda kv: (order[reviewed[kv[0]].category], kv[0])):
        if not decision.writes:
            continue
        now_item = fresh.get(key)
        was = reviewed[key]
        if now_item is None or now_item.status is not was.status or (
                was.chart_item is not None and now_item.chart_item is not None
                and now_item.chart_item.version != was.chart_item.version):
            label = getattr(was.file_item, "text", None) or getattr(was.file_item, "substance", None) or \
                getattr(was.file_item, "vaccine", None) or getattr(was.file_item, "name", key)
            now = now_item.status.value if now_item is not None else "gone"
            writer.notes.append(f"{label}: the chart changed since the review (now {now}); not applied")
            continue
        handlers[was.category](now_item, decision)
    writer.flush_readings()
    writer.flush_results()
    uow.session.flush()
    return writer


def preview_alerts(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision]) -> AlertReport:
    """The alerts the merge would raise, computed on the merged lists inside a savepoint that is rolled back."""
    _require_any_import(uow)
    decisions = _check_decisions(plan, decisions)
    s = uow.session
    nested = s.begin_nested()
    try:
        imp = PhrImport(patient_id=patient_id, file_name="(preview)", sha256="0" * 64,
                        user_id=uow.user.id if uow.user.id is not None else _system_user_id(uow), status="preview")
        s.add(imp)
        s.flush()
        writer = _write(uow, patient_id, plan, decisions, imp.id)
        return _alerts(uow, patient_id, writer)
    finally:
        nested.rollback()


def apply_import(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision],
                 file_info: FileInfo, identity_override_reason: str | None = None,
                 overrides: tuple[tuple[Any, str, str], ...] = (), identity_confirmed: bool = False) -> ImportResult:
    """Write the reviewer's decisions in this unit of work's transaction (committed by the caller's with-block).

    Items whose chart state changed since the review are left out and named in the result's notes.
    Nothing is written (not even the import record) when no decision adds or changes anything.
    Interrupting alerts on the merged lists need `overrides`, (alert, reason, comment) as the alert modal gives
    them; without one each, AlertsNeedOverride is raised and the caller's transaction rolls back.
    A file that names no patient needs `identity_confirmed` (the user confirmed with the patient that it is
    theirs); the confirmation and the user's name are kept on the import record and in the audit row.
    """
    _require_any_import(uow)
    overrides = tuple(overrides)
    if overrides:
        uow.require(Permission.OVERRIDE_ALERT)  # before anything is written
    if plan.chart_patient_id is not None and plan.chart_patient_id != patient_id:
        raise ValidationError({"patient": "this plan was made for another chart"})
    decisions = _check_decisions(plan, decisions)
    _check_permissions(uow, plan, decisions)
    reason = _check_identity(uow, plan, identity_override_reason, identity_confirmed)
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    if not any(d.writes for d in decisions.values()):
        return ImportResult(applied=False, import_id=None, written={c: {} for c in CATEGORIES},
                            alerts=AlertReport(available=True, message=""),
                            notes=("nothing selected: the chart is unchanged",))
    s = uow.session
    imp = PhrImport(
        patient_id=patient_id, file_name=_clip(file_info.name, 500), sha256=file_info.sha256,
        file_format=_clip(file_info.file_format, 40), source_system=_clip(file_info.source_system or "", 300),
        user_id=uow.user.id, identity_override_reason=reason, status="applied",
    )
    if imp.user_id is None:
        imp.user_id = _system_user_id(uow)
    s.add(imp)
    s.flush()
    writer = _write(uow, patient_id, plan, decisions, imp.id)
    if not any(sum(c.values()) for c in writer.written.values()):
        s.delete(imp)
        s.flush()
        return ImportResult(applied=False, import_id=None, written={c: {} for c in CATEGORIES},
                            alerts=AlertReport(available=True, message=""), notes=tuple(writer.notes))
    report = _alerts(uow, patient_id, writer)
    _enforce_overrides(uow, patient_id, report, overrides)
    report = _with_lab_alerts(report, writer)
    written = {c: dict(v) for c, v in writer.written.items()}
    statuses = plan.counts()
    imp.counts_json = json.dumps({
        "written": written, "plan": statuses, "skipped_entries": len(plan.skipped),
        "replaced": writer.replaced_json(), "notes": writer.notes,
    })
    for action, entity, row, summary in writer.audit:
        uow.audit(action, entity, row.id, patient_id, f"PHR import #{imp.id}: {summary}")
    readings = written["observations"].get("added", 0)
    alert_text = (f"; alerts: {len(report.alerts)}" if report.available
                  else f"; {report.message}")
    uow.audit("phr_import", "phr_import", imp.id, patient_id,
              f"{file_info.name} (sha256 {file_info.sha256[:12]}, {file_info.file_format}) from "
              f"{file_info.source_system or 'unknown source'}: "
              + ", ".join(f"{c} +{v.get('added', 0)}/~{v.get('updated', 0)}" for c, v in written.items() if v)
              + (f"; {readings} readings" if readings else "")
              + (f"; identity confirmed despite mismatch: {reason}" if plan.identity.verdict is Verdict.MISMATCH else "")
              + (f"; identity: {reason}" if plan.identity.verdict.needs_confirmation else "")
              + alert_text)
    if not report.available:
        writer.notes.append(report.message)
    return ImportResult(applied=True, import_id=imp.id, written=written, alerts=report, notes=tuple(writer.notes))


# ------------------------------------------------------------------ undo and history

_MODELS = {"problem": Problem, "medication": Medication, "allergy": Allergy, "immunization": Immunization,
           "vital_sign": VitalSign, "lab_result": LabResult, **phr_histories.MODELS}


def undo_import(uow: UnitOfWork, import_id: int, reason: str) -> int:
    """Mark every row the import created entered-in-error and restore rows it changed. Returns rows touched."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this import is undone"})
    s = uow.session
    imp = s.get(PhrImport, import_id)
    if imp is None:
        raise NotFound(f"no PHR import #{import_id}")
    if imp.status != "applied":
        raise ServiceError(f"import #{import_id} was already undone")
    data = json.loads(imp.counts_json or "{}")
    written = data.get("written", {})
    if any(sum((written.get(c) or {}).values()) for c in CLINICAL_CATEGORIES):
        uow.require(Permission.IMPORT_PHR_CLINICAL)
    else:
        uow.require(Permission.IMPORT_PHR_VITALS)
    now = datetime.now(UTC)
    touched = 0
    not_restored: list[str] = []
    restored: set[tuple[str, int]] = set()
    for entry in data.get("replaced", []):
        model = _MODELS.get(entry.get("entity", ""))
        row = s.get(model, entry.get("id")) if model is not None else None
        if row is None:
            continue
        restored.add((entry["entity"], row.id))
        if row.version != entry.get("version_after"):
            not_restored.append(f"{entry['entity']} #{row.id}")  # edited after the import: left as it is
            continue
        for k, v in entry.get("before", {}).items():
            setattr(row, k, _from_json(v))
        touched += 1
    for entity, model in _MODELS.items():
        rows = s.execute(select(model).where(model.phr_import_id == import_id,
                                             model.entered_in_error.is_(False))).scalars().all()
        for row in rows:
            if (entity, row.id) in restored:
                continue
            row.entered_in_error = True
            row.error_reason = _clip(f"undo of PHR import #{import_id}: {reason}", 1000)
            row.error_at = now
            row.error_by_id = uow.user.id
            touched += 1
    imp.status = "undone"
    imp.undone_at = now
    imp.undone_by_id = uow.user.id
    s.flush()
    uow.audit("phr_import_undo", "phr_import", imp.id, imp.patient_id,
              f"{imp.file_name}: {touched} rows marked entered-in-error or restored; reason: {reason}"
              + (f"; changed later, left as they are: {', '.join(not_restored)}" if not_restored else ""))
    return touched


def import_history(uow: UnitOfWork, patient_id: int) -> list[ImportRecord]:
    uow.require(Permission.VIEW_CHART)
    rows = uow.session.execute(
        select(PhrImport, User.display_name).join(User, User.id == PhrImport.user_id, isouter=True)
        .where(PhrImport.patient_id == patient_id, PhrImport.status != "preview")
        .order_by(PhrImport.imported_at.desc(), PhrImport.id.desc())).all()
    out = []
    for imp, who in rows:
        try:
            counts = json.loads(imp.counts_json or "{}")
        except ValueError:
            counts = {}
        out.append(ImportRecord(
            id=imp.id, file_name=imp.file_name, sha256=imp.sha256, file_format=imp.file_format or "",
            source_system=imp.source_system or "", user=who or "", imported_at=as_aware(imp.imported_at),
            counts={"written": counts.get("written", {}), "plan": counts.get("plan", {})}, status=imp.status,
            undone_at=as_aware(imp.undone_at) if imp.undone_at else None,
            identity_override_reason=imp.identity_override_reason or "",
        ))
    return out


__all__ = [
    "ALERTS_UNAVAILABLE", "AlertNote", "AlertReport", "AlertsNeedOverride", "IdentityMismatch", "IdentityUnconfirmed",
    "ImportRecord",
    "ImportResult", "ItemStatus", "apply_import", "chart_patient", "import_history", "plan_import", "preview_alerts",
    "snapshot", "undo_import",
]
