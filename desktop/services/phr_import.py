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
import json
import logging
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from desktop.kb.histories import smoking_contraceptive_rule
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
    PhrObservation,
    PlanItem,
    Verdict,
    build_plan,
)
from desktop.phr.bulk import maker
from desktop.phr.dates import as_aware, to_utc
from desktop.phr.history_records import HISTORY_CATEGORIES
from desktop.phr.identity import CONFIRMATION

from . import alerts as alert_service
from . import phr_histories, phr_rejections
from .alert_decisions import Decision as AlertDecision
from .alert_decisions import NeedsDecision, gate, record
from .alert_decisions import merge as merge_needs
from .alerts import ALERTS_UNAVAILABLE, AlertCheck
from .allergies import (
    CRITICALITIES,
    KINDS,
    SEVERITIES,
    AllergyInput,
    add_allergy,
    allergy_row,
    record_nkda,
    update_allergy,
)
from .allergies import STATUSES as ALLERGY_STATUSES
from .chart_rows import PROVENANCE_FIELDS, Provenance, clip
from .errors import CancelFn, Cancelled, NotFound, PermissionDenied, ProgressFn, ServiceError, ValidationError
from .immunizations import ROUTES as IMM_ROUTES
from .immunizations import SITES as IMM_SITES
from .immunizations import ImmunizationInput, add_immunization, immunization_row, update_immunization
from .medications import MedicationInput, add_medication, medication_row, update_medication
from .permissions import Permission
from .problems import ProblemInput, add_problem, problem_row, update_problem
from .uow import UnitOfWork
from .vitals import Reading, add_readings

log = logging.getLogger(__name__)

ORIGIN_FOR_VITALS = {"device": "device", "patient": "patient"}  # anything else becomes "phr-import"
# what update_medication may change, for undo
INPUT_FIELDS_MED = ("drug_name", "formulary_id", "ingredient_rxcui", "product_rxcui", "ingredients", "strength",
                    "dose_form", "route", "sig", "start_date", "stop_date", "status", "source", "note")


class IdentityMismatch(ServiceError):
    """The file's patient does not match the chart's; only a physician with a reason may go on."""


class IdentityUnconfirmed(IdentityMismatch):
    """The file names no patient; the user must confirm with the patient that it is theirs."""


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class ImportResult:
    applied: bool
    import_id: int | None
    written: dict[str, dict[str, int]]  # category -> {"added": n, "updated": n}
    alerts: AlertCheck  # every alert involving a merged entry (available / message: whether checking ran)
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


def snapshot(uow: UnitOfWork, patient_id: int, categories: Collection[str] | None = None) -> ChartSnapshot:
    """The chart's lists as the diff needs them (entered-in-error rows flagged, undone imports left out);
    `categories`: only these lists are read (the others stay empty)."""
    uow.require(Permission.VIEW_CHART)
    patient = chart_patient(uow, patient_id)
    s = uow.session
    undone = _undone_imports(uow, patient_id)
    wanted = set(CATEGORIES if categories is None else categories)

    def rows(model: Any) -> list[Any]:
        if _CATEGORY_OF[model] not in wanted:
            return []
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
    found = () if "observations" not in wanted else s.execute(select(
        v.id, v.version, v.set_id, v.loinc, v.taken_at, v.value, v.unit, v.origin, v.source_system,
        v.source_resource_id, v.phr_import_id, v.entered_in_error, v.error_reason,
    ).where(v.patient_id == patient_id).order_by(v.id))
    observations = tuple(ChartObservation(
        id=r.id, version=r.version, set_id=r.set_id, loinc=r.loinc, taken_at=as_aware(r.taken_at), value=r.value,
        unit=r.unit, origin=r.origin, source_system=r.source_system, source_resource_id=r.source_resource_id,
        phr_import_id=r.phr_import_id, entered_in_error=bool(r.entered_in_error), error_reason=r.error_reason or "")
        for r in found if _keep(r, undone))
    lr = LabResult
    found = () if "results" not in wanted else s.execute(select(
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
    histories = phr_histories.snapshot(s, patient_id, lambda r: _keep(r, undone)) \
        if wanted & set(HISTORY_CATEGORIES) else {}
    return ChartSnapshot(patient=patient, problems=problems, medications=medications, allergies=allergies,
                         immunizations=immunizations, observations=observations, results=results, **histories)


# the table behind each category (rows are never deleted: a new row moves the count and the highest id, an edit
# or an entered-in-error mark the sum of versions)
_MODEL_OF: dict[str, Any] = {
    "problems": Problem, "medications": Medication, "allergies": Allergy, "immunizations": Immunization,
    "observations": VitalSign, "results": LabResult, "procedures": phr_histories.MODELS["procedure"],
    "social_history": phr_histories.MODELS["social_history"],
    "family_history": phr_histories.MODELS["family_history"],
    "encounters": phr_histories.MODELS["outside_encounter"],
}
_CATEGORY_OF = {m: c for c, m in _MODEL_OF.items()}


def _chart_marks(uow: UnitOfWork, patient_id: int) -> tuple[tuple[str, tuple], ...]:
    """Per category, (rows, highest id, sum of versions, undone imports) of this chart: equal marks mean the
    list is as it was, so a plan made against it still holds (an undo hides rows without touching them)."""
    s = uow.session
    undone = s.execute(select(func.count()).select_from(PhrImport).where(
        PhrImport.patient_id == patient_id, PhrImport.status == "undone")).scalar_one()
    out = []
    for category, model in _MODEL_OF.items():
        n, top, versions = s.execute(select(func.count(model.id), func.coalesce(func.max(model.id), 0),
                                            func.coalesce(func.sum(model.version), 0))
                                     .where(model.patient_id == patient_id)).one()
        out.append((category, (int(n), int(top), int(versions), int(undone))))
    return tuple(out)


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
    marks = _chart_marks(uow, patient_id)  # before the snapshot: a change in between shows as a moved mark
    snap = snapshot(uow, patient_id)
    plan = build_plan(parsed, snap, patient_ref, allergy_key=chart_allergy_key,
                      previous_import=_previous_import(uow, patient_id, parsed.info.sha256))
    plan = replace(plan, chart_marks=marks)
    return phr_rejections.mark_rejected(uow, patient_id, plan)  # what an earlier review left out


def _now_items(uow: UnitOfWork, patient_id: int, plan: ImportPlan) -> tuple[set[str], dict[str, PlanItem]]:
    """The categories whose chart list changed since the plan was made (another workstation, an undo), and
    their file items diffed again against the chart as it is now. The other categories' reviewed items stand:
    the same file against the same list gives the same plan."""
    before = dict(plan.chart_marks)
    now = dict(_chart_marks(uow, patient_id)) if before else {}
    changed = {c for c in CATEGORIES if not before or before.get(c) != now.get(c)}
    changed &= {it.category for it in plan.items}
    if changed & set(HISTORY_CATEGORIES):  # diffed together
        changed |= set(HISTORY_CATEGORIES)
    if not changed:
        return changed, {}
    by_cat: dict[str, list] = {c: [] for c in CATEGORIES}
    for it in plan.items:
        if it.category in changed:
            by_cat[it.category].append(it.file_item)
    parsed = ParsedFile(
        info=plan.info, patients=(plan.file_patient,) if plan.file_patient else (),
        **{c: tuple(by_cat[c]) for c in CATEGORIES},
        patient_refs=(plan.patient_ref,) if plan.patient_ref else (),
    )
    fresh = build_plan(parsed, snapshot(uow, patient_id, changed), plan.patient_ref or None,
                       allergy_key=chart_allergy_key)
    return changed, fresh.by_key()


# ------------------------------------------------------------------ apply


def _set_id(item: Any) -> str:
    digest = hashlib.sha1(f"{item.source_system}|{item.group}".encode(), usedforsecurity=False).hexdigest()
    return f"phr-{digest[:36]}"


def _provenance(import_id: int, item: Any) -> Provenance:
    return Provenance(import_id=import_id, source_system=item.source_system or "",
                      resource_id=item.source_resource_id or "", source_date=item.source_date)


_new_reading = maker(Reading)
_new_provenance = maker(Provenance)
if (tuple(f.name for f in fields(Reading)), tuple(f.name for f in fields(Provenance))) != (
        ("set_id", "taken_at", "loinc", "value", "unit", "origin", "entered_unit", "encounter_id", "provenance"),
        ("import_id", "source_system", "resource_id", "source_date")):
    raise RuntimeError("Reading or Provenance changed its fields: update _Writer._reading's positional makers")


def _allowed(value: str, choices: tuple[str, ...]) -> str:
    """A coded field from outside kept only when the chart's list knows it (else the text goes to the note)."""
    value = (value or "").strip().lower()
    return value if value in choices else ""


@dataclass
class _Writer:
    """Writes the reviewer's decisions through the entity services (their validation, duplicate rules, "no known
    drug allergies" rule, alert checks and audit), each entry stamped with its provenance. An entry a service
    refuses is left out and named in the notes; a medication whose alerts need a decision is collected."""

    uow: UnitOfWork
    patient_id: int
    import_id: int
    decision: AlertDecision | None = None  # the reviewer's alert decision (None: nothing decided yet)
    written: dict[str, Counter] = field(default_factory=lambda: {c: Counter() for c in CATEGORIES})
    replaced: list[tuple[str, Any, dict]] = field(default_factory=list)  # (entity, row, values before) of TAKE_FILE
    notes: list[str] = field(default_factory=list)
    needs: list[NeedsDecision] = field(default_factory=list)  # alerts that stopped an entry
    new_med_ids: list[int] = field(default_factory=list)
    new_allergens: list[str] = field(default_factory=list)
    readings: list[PhrObservation] = field(default_factory=list)  # made into Readings as they are written
    audit: list[tuple[str, str, Any, str]] = field(default_factory=list)  # (action, entity, row, summary) of
    # writers that audit through the merge (histories, results); the entity services audit themselves
    lab_panels: dict[str, list] = field(default_factory=dict)  # panel key -> file results to add
    lab_critical: list = field(default_factory=list)  # critical values among the merged results
    smoking_changed: bool = False  # a smoking status was merged: the chart's medications meet it at merge time
    user_id: int | None = None
    steps: _Steps | None = None  # progress and Cancel of the merge

    # ---------------------------------------------------------- helpers
    def _remember(self, row: Any, entity: str, names: tuple[str, ...]) -> None:
        before = {n: _jsonable(getattr(row, n)) for n in names}
        before.update({n: _jsonable(getattr(row, n)) for n in (*PROVENANCE_FIELDS, "updated_by_id")})
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

    def _refused(self, label: str, exc: ServiceError) -> None:
        detail = "; ".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
        self.notes.append(f"{label}: not merged ({detail})")

    # ---------------------------------------------------------- problems
    def problem(self, it: PlanItem, decision: Decision) -> None:
        p = it.file_item
        label = f"problem {p.text}"
        prov = _provenance(self.import_id, p)
        inp = ProblemInput(description=clip(Problem, "description", p.text), icd10_code=p.icd10 or "",
                           snomed_code=p.snomed or "", onset_date=p.onset, resolved_date=p.resolved,
                           status=p.status, note=clip(Problem, "note", p.note))
        try:
            if decision is Decision.TAKE_FILE:
                row = self._live_row(Problem, it.chart_item, label)
                if row is None:
                    return
                old = problem_row(row).as_input()
                merged = replace(old, **{k: v for k, v in asdict(inp).items()
                                         if v not in (None, "") or k == "resolved_date"})
                self._remember(row, "problem", ("description", "icd10_code", "snomed_code", "onset_date",
                                                "resolved_date", "status", "note"))
                try:
                    update_problem(self.uow, row.id, merged, row.version, provenance=prov)
                except ServiceError:
                    self.replaced.pop()
                    raise
                self.written["problems"]["updated"] += 1
                return
            add_problem(self.uow, self.patient_id, inp, provenance=prov)
            self.written["problems"]["added"] += 1
        except ServiceError as exc:
            self._refused(label, exc)

    # ---------------------------------------------------------- medications
    def medication(self, it: PlanItem, decision: Decision) -> None:
        m = it.file_item
        label = f"medication {m.text}"
        prov = _provenance(self.import_id, m)
        try:
            if decision is Decision.TAKE_FILE:
                row = self._live_row(Medication, it.chart_item, label)
                if row is None:
                    return
                old = medication_row(row).as_input()
                take = dict(sig=clip(Medication, "sig", m.sig), start_date=m.start, stop_date=m.stop,
                            status=m.status)
                if not old.formulary_id:  # a formulary entry keeps its product; free text takes the file's coding
                    take.update(drug_name=clip(Medication, "drug_name", m.text), route=clip(Medication, "route", m.route),
                                ingredients=clip(Medication, "ingredients", "+".join(m.ingredients)),
                                ingredient_rxcui=m.ingredient_rxcui or "", product_rxcui=m.product_rxcui or "")
                merged = replace(old, **{k: v for k, v in take.items() if v not in (None, "")})
                self._remember(row, "medication", tuple(n for n in INPUT_FIELDS_MED if hasattr(row, n)))
                outcome = update_medication(self.uow, row.id, merged, row.version, self.decision, provenance=prov)
                if isinstance(outcome, NeedsDecision):
                    self.replaced.pop()
                    self._stopped(label, outcome)
                    return
                self.written["medications"]["updated"] += 1
                return
            inp = MedicationInput(
                drug_name=clip(Medication, "drug_name", m.text), route=clip(Medication, "route", m.route),
                sig=clip(Medication, "sig", m.sig), start_date=m.start, stop_date=m.stop, status=m.status,
                source="phr-import", note=clip(Medication, "note", m.note),
                ingredients=clip(Medication, "ingredients", "+".join(m.ingredients)),
                ingredient_rxcui=m.ingredient_rxcui or "", product_rxcui=m.product_rxcui or "")
            outcome = add_medication(self.uow, self.patient_id, inp, self.decision, provenance=prov)
            if isinstance(outcome, NeedsDecision):
                self._stopped(label, outcome)
                return
            self.new_med_ids.append(outcome.id)
            self.written["medications"]["added"] += 1
        except ServiceError as exc:
            if self.replaced and self.replaced[-1][0] == "medication" and decision is Decision.TAKE_FILE:
                self.replaced.pop()
            self._refused(label, exc)

    def _stopped(self, label: str, need: NeedsDecision) -> None:
        self.needs.append(need)
        self.notes.append(f"{label}: waits for an alert decision ({need})")

    # ---------------------------------------------------------- allergies
    def allergy(self, it: PlanItem, decision: Decision) -> None:
        a: PhrAllergy = it.file_item  # type: ignore[assignment]
        chart = it.chart_item
        label = f"allergy {a.substance}"
        prov = _provenance(self.import_id, a)
        try:
            if decision is Decision.TAKE_FILE and chart is not None and getattr(chart, "no_known_allergies", False) \
                    and not a.no_known_allergies:
                if self._live_row(Allergy, chart, "no known allergies") is None:
                    return
                self._add_allergy(a, prov)
                return
            if decision is Decision.TAKE_FILE and chart is not None:
                row = self._live_row(Allergy, chart, label)
                if row is None:
                    return
                old = allergy_row(row).as_input()
                if a.verification == "refuted":
                    names: tuple[str, ...] = ("status", "note")
                    merged = replace(old, status="inactive", note=clip(Allergy, "note", (
                        f"{old.note}\nRefuted according to {a.source_system or 'the PHR file'}").strip()))
                else:
                    names = ("status", "severity", "criticality", "kind", "reaction")
                    take = dict(status=_allowed(a.status, ALLERGY_STATUSES), severity=_allowed(a.severity, SEVERITIES),
                                criticality=_allowed(a.criticality, CRITICALITIES), kind=_allowed(a.kind, KINDS),
                                reaction=clip(Allergy, "reaction", a.reaction))
                    merged = replace(old, **{k: v for k, v in take.items() if v})
                self._remember(row, "allergy", names)
                try:
                    update_allergy(self.uow, row.id, merged, row.version, provenance=prov)
                except ServiceError:
                    self.replaced.pop()
                    raise
                self.written["allergies"]["updated"] += 1
                return
            self._add_allergy(a, prov)
        except ServiceError as exc:
            self._refused(label, exc)

    def _add_allergy(self, a: PhrAllergy, prov: Provenance) -> None:
        if a.no_known_allergies:
            saved = record_nkda(self.uow, self.patient_id, provenance=prov)
        else:
            # the allergy service makes an active "no known drug allergies" entry inactive: undo restores it
            nkda = self.uow.session.execute(select(Allergy).where(
                Allergy.patient_id == self.patient_id, Allergy.no_known_allergies.is_(True),
                Allergy.status == "active", Allergy.entered_in_error.is_(False))).scalars().all()
            for row in nkda:
                self._remember(row, "allergy", ("status",))
            saved = add_allergy(self.uow, self.patient_id, AllergyInput(
                substance=clip(Allergy, "substance", a.substance), category=a.category or "medication",
                kind=_allowed(a.kind, KINDS) or "allergy", reaction=clip(Allergy, "reaction", a.reaction),
                severity=_allowed(a.severity, SEVERITIES), criticality=_allowed(a.criticality, CRITICALITIES),
                status=_allowed(a.status, ALLERGY_STATUSES) or "active", onset_date=a.onset,
                note=clip(Allergy, "note", a.note), code_system=clip(Allergy, "code_system", a.code_system or ""),
                code=clip(Allergy, "code", a.code or "")), provenance=prov)
            self.new_allergens.append(fold(saved.row.substance))
            if not saved.nkda_inactivated:
                self.replaced = [r for r in self.replaced if r[1] not in nkda]
        if saved.merged:
            self.notes.append(f"allergy {a.substance}: already listed as {saved.row.substance}; that entry was updated")
            self.written["allergies"]["updated"] += 1
        else:
            self.written["allergies"]["added"] += 1

    # ---------------------------------------------------------- immunizations
    def immunization(self, it: PlanItem, decision: Decision) -> None:
        i = it.file_item
        label = f"immunization {i.vaccine} {i.date_given}"
        prov = _provenance(self.import_id, i)
        site, route = _allowed(i.site, IMM_SITES), _allowed(i.route, IMM_ROUTES)
        recorded = "; ".join(f"{k} as recorded: {v}" for k, v, kept in (("site", i.site, site), ("route", i.route, route))
                             if v and not kept)
        note = clip(Immunization, "note", "\n".join(x for x in (i.note, recorded) if x))
        values = dict(date_given=i.date_given, lot_number=clip(Immunization, "lot_number", i.lot_number),
                      manufacturer=clip(Immunization, "manufacturer", i.manufacturer), site=site, route=route,
                      dose_number=clip(Immunization, "dose_number", i.dose_number))
        try:
            if decision is Decision.TAKE_FILE:
                row = self._live_row(Immunization, it.chart_item, label)
                if row is None:
                    return
                old = immunization_row(row).as_input()
                merged = replace(old, **{k: v for k, v in values.items() if v not in (None, "")})
                self._remember(row, "immunization", ("vaccine", "cvx_code", "date_given", "lot_number", "manufacturer",
                                                     "site", "route", "dose_number"))
                try:
                    update_immunization(self.uow, row.id, merged, row.version, provenance=prov)
                except ServiceError:
                    self.replaced.pop()
                    raise
                self.written["immunizations"]["updated"] += 1
                return
            inp = ImmunizationInput(cvx_code=i.cvx or "", vaccine=clip(Immunization, "vaccine", i.vaccine),
                                    given_here=False, note=note, historical_source=clip(
                                        Immunization, "historical_source", i.author or i.source_system or "PHR file"),
                                    **values)
            try:
                add_immunization(self.uow, self.patient_id, inp, provenance=prov)
            except ValidationError as exc:
                if not inp.cvx_code or set(exc.errors) != {"cvx_code"}:
                    raise
                # a code the vaccine list does not know: kept by its name, uncoded, and said so
                add_immunization(self.uow, self.patient_id, replace(inp, cvx_code=""), provenance=prov)
                self.notes.append(f"{label}: CVX {inp.cvx_code} is not in the vaccine list; recorded by name")
            self.written["immunizations"]["added"] += 1
        except ServiceError as exc:
            self._refused(label, exc)

    # ---------------------------------------------------------- observations
    def observation(self, it: PlanItem, decision: Decision) -> None:
        self.readings.append(it.file_item)

    def _reading(self, o: PhrObservation) -> Reading:
        # made by the 100,000 from a device export: positional makers, a quarter of the frozen classes' cost
        return _new_reading(
            _set_id(o), o.taken_at, o.loinc, float(o.value), o.unit, ORIGIN_FOR_VITALS.get(o.origin, "phr-import"),
            o.original_unit or None, None,
            _new_provenance(self.import_id, o.source_system or "", o.source_resource_id or "", o.source_date))

    def flush_readings(self) -> None:
        """Readings arrive by the thousand from devices: one bulk write through the vitals service, streamed
        (each Reading is made as the service takes it, not all held at once)."""
        readings, self.readings = self.readings, []
        if not readings:
            return
        try:
            made = map(self._reading, readings)
            if self.steps is not None:
                made = self.steps.through(made, len(readings), "writing readings")
            outcome = add_readings(self.uow, self.patient_id, made, self.decision,
                                   what=f"from PHR import #{self.import_id}")
            if isinstance(outcome, NeedsDecision):  # the newest readings: the same vital-sign rule as intake
                self._stopped(f"{len(readings)} readings", outcome)
                self.written["observations"]["added"] += 0
            else:
                self.written["observations"]["added"] += outcome
        except Cancelled:
            raise
        except ServiceError as exc:
            self._refused(f"{len(readings)} readings", exc)
            self.written["observations"]["added"] += 0

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
        if not self.lab_panels:  # a device export: the results service (and the lab catalog) stay unloaded
            return
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
        _provenance(self.import_id, item).stamp(row)


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


def _check_decisions(plan: ImportPlan, decisions: dict[str, Decision],
                     items: dict[str, PlanItem] | None = None) -> dict[str, Decision]:
    items = plan.by_key() if items is None else items
    clean: dict[str, Decision] = {}
    errors: dict[str, str] = {}
    for key, raw in decisions.items():
        item = items.get(key)
        if item is None:
            errors[key] = "not an item of this plan"
            continue
        try:
            decision = raw if raw.__class__ is Decision else Decision(raw)  # the dialog's are members already
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


def _check_permissions(uow: UnitOfWork, plan: ImportPlan, decisions: dict[str, Decision],
                       items: dict[str, PlanItem] | None = None) -> None:
    items = plan.by_key() if items is None else items
    writing = {d for d in Decision if d.writes}
    # a set of a few categories, no list; an attribute and a set test per item (a device export has 100,000s)
    categories = {items[k].category for k, d in decisions.items() if d in writing}
    if categories & set(CLINICAL_CATEGORIES):
        uow.require(Permission.IMPORT_PHR_CLINICAL)
    if categories - set(CLINICAL_CATEGORIES):
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


def _report(uow: UnitOfWork, patient_id: int, writer: _Writer) -> AlertCheck:
    """Every alert the merged lists raise that involves a merged medication or allergy (the result lists
    them; the command line prints them), with those of entries that wait for a decision."""
    waiting = merge_needs(writer.needs)
    newest_vitals = _newest_vitals_merged(uow, patient_id, writer)
    if not writer.new_med_ids and not writer.new_allergens and waiting is None and not writer.smoking_changed \
            and not newest_vitals:
        return AlertCheck(alerts=(), kb_available=True)
    # older readings are history; merged readings that became the chart's latest are checked as an intake set
    kinds = ("interaction", "duplicate", "allergy") + (("vital",) if newest_vitals else ())
    check = alert_service.check_for_patient(uow, patient_id, kinds=kinds)
    if not check.kb_available:
        return check
    new_ids = set(writer.new_med_ids)
    new_allergens = set(writer.new_allergens)

    smoking_rule = smoking_contraceptive_rule().rule_id if writer.smoking_changed else None

    def involved(alerts: tuple) -> dict:
        return {a.key or a.message: a for a in alerts
                if set(a.med_ids) & new_ids or fold(a.allergen or "") in new_allergens
                or (smoking_rule is not None and a.rule_id == smoking_rule) or a.kind == "vital"}

    found = involved(check.alerts)
    for a in (waiting.alerts if waiting is not None else ()):
        found.setdefault(a.key or a.message, a)
    overridden = {k: a for k, a in involved(check.suppressed).items() if k not in found}
    return replace(check, alerts=tuple(sorted(found.values(), key=lambda a: a.sort_key())),
                   suppressed=tuple(sorted(overridden.values(), key=lambda a: a.sort_key())))


def _newest_vitals_merged(uow: UnitOfWork, patient_id: int, writer: _Writer) -> bool:
    """Whether readings of this import are now the chart's latest (the set its alert list checks)."""
    if not writer.written["observations"].get("added"):
        return False
    newest = uow.session.execute(
        select(VitalSign.phr_import_id).where(VitalSign.patient_id == patient_id,
                                              VitalSign.entered_in_error.is_(False))
        .order_by(VitalSign.taken_at.desc(), VitalSign.id.desc()).limit(1)).scalar()
    return newest is not None and newest == writer.import_id


def _with_lab_alerts(report: AlertCheck, writer: _Writer) -> AlertCheck:
    """Critical lab values among the merged results: shown to the user after the merge (they are the patient's
    history, not an order to stop); the CLI prints them."""
    if not writer.lab_critical:
        return report
    return replace(report, alerts=report.alerts + tuple(writer.lab_critical))


def _allergy_gate(uow: UnitOfWork, patient_id: int, writer: _Writer, decision: AlertDecision | None,
                  ) -> tuple[AlertCheck | None, NeedsDecision | None]:
    """A merged drug allergy that matches a medication already on the list: the same decision as an order
    (the medications merged here were checked against it when they were added)."""
    if not writer.new_allergens:
        return None, None
    check = alert_service.check_for_patient(uow, patient_id, kinds=("allergy",))
    if check.kb_available:
        new_ids = set(writer.new_med_ids)
        check = replace(check, alerts=tuple(a for a in check.alerts if fold(a.allergen or "") in
                                            set(writer.new_allergens) and not set(a.med_ids) & new_ids))
    return check, gate(uow, check, decision, what="merging a drug allergy")


def _smoking_gate(uow: UnitOfWork, patient_id: int, writer: _Writer, decision: AlertDecision | None,
                  ) -> tuple[AlertCheck | None, NeedsDecision | None]:
    """A merged smoking status (a current smoker) meets a combined hormonal contraceptive already on the list:
    the smoking + contraceptive rule decided now, like an order, not only later in the chart's alert list (the
    contraceptives merged here were checked against the smoking status when they were added)."""
    if not writer.smoking_changed:
        return None, None
    check = alert_service.check_for_patient(uow, patient_id, kinds=("interaction",))
    if check.kb_available:
        rule_id = smoking_contraceptive_rule().rule_id
        new_ids = set(writer.new_med_ids)
        check = replace(check, alerts=tuple(a for a in check.alerts if a.rule_id == rule_id
                                            and not set(a.med_ids) & new_ids))
    return check, gate(uow, check, decision, what="merging a smoking status")


class _Steps:
    """progress(done, total, stage) now and then, and a Cancel (cancelled() true) honoured between entries:
    Cancelled leaves the caller's transaction to roll back, so the chart stays as it was."""

    EVERY = 500

    def __init__(self, progress: ProgressFn | None, cancelled: CancelFn | None):
        self.progress, self.cancelled = progress, cancelled

    def tick(self, done: int, total: int, stage: str) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("merge cancelled: nothing was written to the chart")
        if self.progress is not None:
            self.progress(done, total, stage)

    def through(self, items: Iterable[Any], total: int, stage: str) -> Iterator[Any]:
        for n, item in enumerate(items):
            if n % self.EVERY == 0:
                self.tick(n, total, stage)
            yield item
        self.tick(total, total, stage)


def _write(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision], import_id: int,
           decision: AlertDecision | None = None, steps: _Steps | None = None,
           reviewed: dict[str, PlanItem] | None = None) -> _Writer:
    writer = _Writer(uow, patient_id, import_id, decision, user_id=uow.user.id, steps=steps)
    handlers = {"problems": writer.problem, "medications": writer.medication, "allergies": writer.allergy,
                "immunizations": writer.immunization, "observations": writer.observation,
                "results": writer.result, **phr_histories.handlers(writer)}
    changed, fresh = _now_items(uow, patient_id, plan)
    reviewed = plan.by_key() if reviewed is None else reviewed
    # medications last: their alert check sees the merged allergies, results and smoking status
    order = {"allergies": 0, "problems": 1, "immunizations": 2, "observations": 3, "results": 3,
             **phr_histories.ORDER, "medications": 99}
    # in (order, key) order: keys bucketed by order, each bucket sorted (no sort-key tuple per entry)
    buckets: dict[int, list[str]] = {}
    for key in decisions:
        buckets.setdefault(order[reviewed[key].category], []).append(key)
    ordered: Iterable[str] = [key for rank in sorted(buckets) for key in sorted(buckets[rank])]
    del buckets
    if steps is not None:
        ordered = steps.through(ordered, len(decisions), "merging")
    for key in ordered:
        item_decision = decisions[key]
        if not item_decision.writes:
            continue
        was = reviewed[key]
        now_item = fresh.get(key) if was.category in changed else was
        if now_item is None or now_item.status is not was.status or (
                was.chart_item is not None and now_item.chart_item is not None
                and now_item.chart_item.version != was.chart_item.version):
            label = getattr(was.file_item, "text", None) or getattr(was.file_item, "substance", None) or \
                getattr(was.file_item, "vaccine", None) or getattr(was.file_item, "name", key)
            now = now_item.status.value if now_item is not None else "gone"
            writer.notes.append(f"{label}: the chart changed since the review (now {now}); not applied")
            continue
        handlers[was.category](now_item, item_decision)
    writer.flush_readings()
    writer.flush_results()
    uow.session.flush()
    return writer


def preview_alerts(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision]) -> AlertCheck:
    """Every alert the merge would raise (interrupting and passive), computed by writing the merge inside a
    savepoint that is rolled back: the reviewer decides on them before apply_import."""
    _require_any_import(uow)
    return _rehearse(uow, patient_id, plan, _check_decisions(plan, decisions))


def _rehearse(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision]) -> AlertCheck:
    s = uow.session
    point = uow.savepoint()
    try:
        imp = PhrImport(patient_id=patient_id, file_name="(preview)", sha256="0" * 64,
                        user_id=uow.user.id if uow.user.id is not None else _system_user_id(uow), status="preview")
        s.add(imp)
        s.flush()
        writer = _write(uow, patient_id, plan, decisions, imp.id, AlertDecision.rehearse())
        return _report(uow, patient_id, writer)
    finally:
        point.rollback()


def apply_import(uow: UnitOfWork, patient_id: int, plan: ImportPlan, decisions: dict[str, Decision],
                 file_info: FileInfo, identity_override_reason: str | None = None,
                 decision: AlertDecision | None = None, identity_confirmed: bool = False, *,
                 progress: ProgressFn | None = None, cancelled: CancelFn | None = None,
                 ) -> ImportResult | NeedsDecision:
    """Write the reviewer's decisions in this unit of work's transaction (committed by the caller's with-block).

    progress(done, total, stage) reports the merge ("merging", then "writing readings"); cancelled() true stops
    it with Cancelled, and the caller's unit of work, rolled back, leaves the chart as it was.

    Each entry goes through its entity service (validation, duplicates, NKDA, alert checks, audit) with its
    provenance; entries a service refuses, or whose chart state changed since the review, are left out and
    named in the result's notes. Nothing is written (not even the import record) when no decision adds or
    changes anything. Alerts follow desktop.services.alert_decisions: when a merged medication (or drug
    allergy) needs a decision that `decision` does not give, nothing is written and NeedsDecision comes back
    with every such alert; the same call with the dialog's Decision then merges.
    A file that names no patient needs `identity_confirmed` (the user confirmed with the patient that it is
    theirs); the confirmation and the user's name are kept on the import record and in the audit row.
    """
    _require_any_import(uow)
    if decision is not None and decision.overrides:
        uow.require(Permission.OVERRIDE_ALERT)  # before anything is written
    if plan.chart_patient_id is not None and plan.chart_patient_id != patient_id:
        raise ValidationError({"patient": "this plan was made for another chart"})
    items = plan.by_key()  # once: an Apple export's plan has 100,000s of items
    decisions = _check_decisions(plan, decisions, items)
    _check_permissions(uow, plan, decisions, items)
    reason = _check_identity(uow, plan, identity_override_reason, identity_confirmed)
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    if not any(d.writes for d in decisions.values()):
        return ImportResult(applied=False, import_id=None, written={c: {} for c in CATEGORIES},
                            alerts=AlertCheck(alerts=(), kb_available=True),
                            notes=("nothing selected: the chart is unchanged",))
    s = uow.session
    point = uow.savepoint()
    imp = PhrImport(
        patient_id=patient_id, file_name=clip(PhrImport, "file_name", file_info.name), sha256=file_info.sha256,
        file_format=clip(PhrImport, "file_format", file_info.file_format),
        source_system=clip(PhrImport, "source_system", file_info.source_system or ""),
        user_id=uow.user.id, identity_override_reason=reason, status="applied",
    )
    if imp.user_id is None:
        imp.user_id = _system_user_id(uow)
    s.add(imp)
    s.flush()
    steps = _Steps(progress, cancelled) if progress is not None or cancelled is not None else None
    writer = _write(uow, patient_id, plan, decisions, imp.id, decision, steps, items)
    del items
    allergy_check, allergy_need = _allergy_gate(uow, patient_id, writer, decision)
    smoking_check, smoking_need = _smoking_gate(uow, patient_id, writer, decision)
    need = merge_needs([*writer.needs, *(n for n in (allergy_need, smoking_need) if n is not None)],
                       what=f"merging {file_info.name}")
    if need is not None:
        point.rollback()
        # an entry held back hides the alerts of later ones with it: ask about the whole merge at once
        whole = gate(uow, _rehearse(uow, patient_id, plan, decisions), decision, what=f"merging {file_info.name}")
        # the rehearsal's report lists order alerts; a held-back reading's vital alert comes with them
        return merge_needs([n for n in (whole, need) if n is not None], what=f"merging {file_info.name}") or need
    if not any(sum(c.values()) for c in writer.written.values()):
        point.rollback()
        return ImportResult(applied=False, import_id=None, written={c: {} for c in CATEGORIES},
                            alerts=AlertCheck(alerts=(), kb_available=True), notes=tuple(writer.notes))
    point.commit()
    record(uow, patient_id, allergy_check, decision, what=f"merging {file_info.name}")
    record(uow, patient_id, smoking_check, decision, what=f"merging {file_info.name}")
    phr_rejections.record_rejections(uow, patient_id, imp.id, plan, decisions)
    report = _report(uow, patient_id, writer)
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
    alert_text = f"; alerts: {len(report.alerts)}" if report.available else f"; {report.message}"
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
            row.error_reason = f"undo of PHR import #{import_id}: {reason}"
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
    "ALERTS_UNAVAILABLE", "IdentityMismatch", "IdentityUnconfirmed", "ImportRecord",
    "ImportResult", "ItemStatus", "apply_import", "chart_patient", "import_history", "plan_import", "preview_alerts",
    "snapshot", "undo_import",
]
