"""Clinical alerts for a chart: build the engine's context from the database, drop alerts already overridden,
record overrides, and keep the admin's "which severities interrupt" setting.

Never raises for a broken knowledge base: check_for_patient returns kb_available=False with the reason, so
the GUI shows the red "Interaction checking unavailable" banner and demands an acknowledgement per order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from desktop.alerts import (
    DEFAULT_INTERRUPTING,
    SEVERITIES,
    Alert,
    AlertContext,
    AllergyRef,
    DrugRef,
    KnowledgeBaseUnavailable,
    UnknownDrug,
    allergen_from_text,
    drug_ref_from_text,
    evaluate,
    formulary_ingredient_keys,
    load_kb,
    norm,
    not_checked_note,
    severity_rank,
    with_assumption,
)
from desktop.kb.age import age_years
from desktop.kb.vitals import WEIGHT
from desktop.models import AlertOverride, Allergy, Medication, Patient, VitalSign

from . import display_units, settings
from .chart_rows import clip
from .errors import NotFound, PermissionDenied, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)

SETTING_KEY = "alerts.interrupting_severities"
OVERRIDE_REASONS: tuple[str, ...] = (
    "Benefit outweighs risk",
    "Patient has tolerated this combination",
    "Will monitor",
    "Dose adjusted",
    "Allergy history inaccurate",
    "Other",
)
OTHER_REASON = "Other"  # needs a free-text comment
ALWAYS_INTERRUPTING = "contraindicated"  # safety floor: an admin cannot make these passive
ALERTS_UNAVAILABLE = "interaction checking unavailable"
# an alert about a measurement is acknowledged (re-checked, the value is right), not overridden like an order
ACKNOWLEDGED = "Acknowledged: measurement re-checked"
ACKNOWLEDGEABLE_KINDS = ("vital",)

__all__ = [
    "ACKNOWLEDGEABLE_KINDS", "ACKNOWLEDGED", "OVERRIDE_REASONS", "SEVERITIES", "SETTING_KEY", "AlertCheck",
    "OverrideRow", "check_for_patient", "check_vital_sets", "interrupting_severities", "list_overrides",
    "patient_context", "record_acknowledgement", "record_override", "set_interrupting_severities",
]


@dataclass(frozen=True, slots=True)
class AlertCheck:
    alerts: tuple[Alert, ...]  # ordered by the engine; already-overridden ones removed
    kb_available: bool
    error: str = ""  # why nothing could be checked (kb_available False)
    suppressed: tuple[Alert, ...] = ()  # overridden earlier for this patient at the same or a higher severity
    interrupting_severities: tuple[str, ...] = DEFAULT_INTERRUPTING
    unchecked: tuple[str, ...] = ()  # medications that could not be mapped to ingredients (say so in the GUI)
    # name -> why it is not checked ("a melatonin supplement: ...", "did you mean 'amoxicillin'?"), where known
    unchecked_notes: dict = field(default_factory=dict, compare=False)
    kb_version: str = ""
    overridden: dict = field(default_factory=dict, compare=False)  # key -> "overridden by NAME, DATE: reason"

    @property
    def listed(self) -> tuple[Alert, ...]:
        """What the chart lists: every active combination, overridden ones too (marked with `overridden`)."""
        return tuple(sorted(self.alerts + self.suppressed, key=lambda a: a.sort_key()))

    @property
    def interrupting(self) -> tuple[Alert, ...]:
        """Alerts that need the modal (and a physician's override reason to proceed)."""
        return tuple(a for a in self.alerts if a.severity in self.interrupting_severities)

    @property
    def passive(self) -> tuple[Alert, ...]:
        """Alerts for the non-interruptive bar."""
        return tuple(a for a in self.alerts if a.severity not in self.interrupting_severities)

    @property
    def available(self) -> bool:
        """Whether checking ran (the PHR merge result and the command line name it so)."""
        return self.kb_available

    @property
    def message(self) -> str:
        """'' when checking ran, else why it could not."""
        return "" if self.kb_available else f"{ALERTS_UNAVAILABLE}: {self.error or 'knowledge base not loaded'}"


@dataclass(frozen=True, slots=True)
class OverrideRow:
    id: int
    alert_key: str
    kind: str
    severity: str
    message: str
    reason: str
    comment: str
    user_name: str
    created_at: datetime
    medication_id: int | None
    prescription_id: int | None


# ---------------------------------------------------------------- checking


def check_for_patient(uow: UnitOfWork, patient_id: int, proposed: DrugRef | None = None,
                      vitals: dict[str, float] | None = None, *, kinds: tuple[str, ...] | None = None,
                      today: date | None = None) -> AlertCheck:
    """Alerts for this chart.

    proposed: the drug being added or prescribed; only alerts involving it are returned. Without it the whole
    active list is checked (the passive list when a chart opens).
    vitals: LOINC -> value to check (e.g. the set just saved). When None, the latest recorded set is checked only
    for the chart-open list (proposed is None); an order check does not repeat old vital alerts.
    kinds: limit to some of interaction / duplicate / allergy / vital. Default: all, except that a call with
    vitals and no proposed drug (saving a vital-sign set) checks only the vitals.
    """
    uow.require(Permission.VIEW_CHART)
    if kinds is None and vitals is not None and proposed is None:
        kinds = ("vital",)
    severities = interrupting_severities(uow)
    try:
        kb = load_kb()
    except KnowledgeBaseUnavailable as exc:
        return _unavailable(exc, severities)

    more: list[dict[str, float]] = []  # the chart's newest readings beyond one value per LOINC
    if vitals is None and proposed is None:
        latest = _latest_vital_sets(uow, patient_id)
        vitals, more = (latest[0], latest[1:]) if latest else ({}, [])
    context, unchecked = patient_context(uow, patient_id, proposed, vitals, kb=kb, today=today)
    notes = _unchecked_notes(unchecked, kb)
    try:
        found = evaluate(context, kb, kinds=kinds)
        if more and (kinds is None or "vital" in kinds):
            seen = {a.key or a.message for a in found}
            for values in more:
                for alert in evaluate(AlertContext(vitals=values, age_years=context.age_years), kb, kinds=("vital",)):
                    if (alert.key or alert.message) not in seen:
                        seen.add(alert.key or alert.message)
                        found = [*found, alert]
            found = sorted(found, key=lambda a: a.sort_key())
    except KnowledgeBaseUnavailable as exc:  # the files changed under us and are now broken
        return _unavailable(exc, severities)

    if kinds is None or "drug-lab" in kinds:  # the chart's latest results against the drugs (lab_alerts)
        from .lab_alerts import drug_lab_alerts

        lab_found, lab_unchecked = drug_lab_alerts(uow, patient_id, context.proposed or context.active_meds)
        found = sorted([*found, *lab_found], key=lambda a: a.sort_key())
        unchecked = [*unchecked, *lab_unchecked]
    if kinds is None or "interaction" in kinds:  # current smoker over 35 on a combined contraceptive (issue 18)
        from .history_alerts import smoking_contraceptive_alerts

        smoke_found, smoke_unchecked = smoking_contraceptive_alerts(uow, patient_id, context)
        found = sorted([*found, *smoke_found], key=lambda a: a.sort_key())
        unchecked = [*unchecked, *smoke_unchecked]
    return replace(_decided(uow, patient_id, found, severities, kb, unchecked), unchecked_notes=notes)


def _unchecked_notes(names: Sequence[str], kb: Any) -> dict[str, str]:
    """Why each medication name could not be checked, where it can be said (a supplement, a near spelling)."""
    if not names:
        return {}
    formulary = _Lazy().get()
    return {n: note for n in names if (note := not_checked_note(n, formulary, kb))}


def _unavailable(exc: KnowledgeBaseUnavailable, severities: tuple[str, ...]) -> AlertCheck:
    """The check when the knowledge base cannot load: no alerts, said so (callers show it in red)."""
    log.error("alert knowledge base unavailable: %s", exc)
    return AlertCheck(alerts=(), kb_available=False, error=str(exc), interrupting_severities=severities)


def _decided(uow: UnitOfWork, patient_id: int, found: Sequence[Alert], severities: tuple[str, ...], kb: Any,
             unchecked: Sequence[str] = ()) -> AlertCheck:
    """The check with the alerts already overridden (or acknowledged) for this chart set aside."""
    overridden = _overridden(uow, patient_id)
    shown: list[Alert] = []
    hidden: list[Alert] = []
    for alert in found:
        floor = overridden.get(alert.key)
        # the same alert stays quiet unless its severity rose above the one that was overridden
        (hidden if floor is not None and alert.rank >= floor else shown).append(alert)
    # vital values quoted in the reader's units (issue 14.7)
    return AlertCheck(alerts=display_units.localise_alerts(uow, tuple(shown)), kb_available=True, suppressed=tuple(hidden),
                      interrupting_severities=severities, unchecked=tuple(unchecked), kb_version=kb.version,
                      overridden=_override_notes(uow, patient_id, {a.key for a in hidden}))


def check_vital_sets(uow: UnitOfWork, patient_id: int,
                     sets: Sequence[tuple[Mapping[str, float], float | None]]) -> AlertCheck:
    """The vital-sign rules over measured sets about to be saved, each (LOINC -> canonical value, age on the day
    it was taken): what saving them raises (the alert engine's vital rules, the practice's interrupting
    severities, earlier acknowledgements of the same value set aside). One knowledge-base load for many sets."""
    uow.require(Permission.VIEW_CHART)
    severities = interrupting_severities(uow)
    try:
        kb = load_kb()
    except KnowledgeBaseUnavailable as exc:
        return _unavailable(exc, severities)
    found: dict[str, Alert] = {}
    for values, age in sets:
        for alert in evaluate(AlertContext(vitals=dict(values), age_years=age), kb, kinds=("vital",)):
            found.setdefault(alert.key or alert.message, alert)
    return _decided(uow, patient_id, sorted(found.values(), key=lambda a: a.sort_key()), severities, kb)


def _override_notes(uow: UnitOfWork, patient_id: int, keys: set[str]) -> dict[str, str]:
    """key -> "overridden by NAME, DATE: reason" (the latest override of each), for the chart's alert bar."""
    if not keys:
        return {}
    from desktop.models import User

    rows = uow.session.execute(
        select(AlertOverride.alert_key, AlertOverride.reason, AlertOverride.comment, AlertOverride.created_at,
               User.display_name)
        .join(User, User.id == AlertOverride.user_id)
        .where(AlertOverride.patient_id == patient_id, AlertOverride.alert_key.in_(keys))
        .order_by(AlertOverride.created_at, AlertOverride.id)).all()
    return {key: (f"acknowledged by {name}, {when:%Y-%m-%d}" if reason == ACKNOWLEDGED else
                  f"overridden by {name}, {when:%Y-%m-%d}: {reason}") + (f" ({comment})" if comment else "")
            for key, reason, comment, when, name in rows}


def patient_context(uow: UnitOfWork, patient_id: int, proposed: DrugRef | None = None,
                    vitals: dict[str, float] | None = None, *, kb: Any = None,
                    today: date | None = None) -> tuple[AlertContext, list[str]]:
    """The engine's view of the chart: active medications, active allergies, age, sex, vitals.

    Returns the context and the names of medications (active or proposed) that could not be mapped to
    ingredients, which the caller must show as "not checked".
    """
    uow.require(Permission.VIEW_CHART)
    patient = uow.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    s = uow.session
    meds = s.execute(
        select(Medication)
        .where(Medication.patient_id == patient_id, Medication.status == "active",
               Medication.entered_in_error.is_(False))
        .order_by(Medication.id)
    ).scalars().all()
    unchecked: list[str] = []
    formulary = _Lazy()
    active: list[DrugRef] = []
    skip_id = proposed.med_id if proposed is not None else None
    for m in meds:
        if skip_id is not None and m.id == skip_id:
            continue  # re-checking an edited entry: do not compare it with its own old version
        ref = _med_ref(m, formulary, kb)
        if ref is None:
            unchecked.append(m.drug_name)
        else:
            active.append(ref)

    rows = s.execute(
        select(Allergy)
        .where(Allergy.patient_id == patient_id, Allergy.status == "active", Allergy.entered_in_error.is_(False),
               Allergy.no_known_allergies.is_(False))
        .order_by(Allergy.id)
    ).scalars().all()
    allergies = tuple(AllergyRef(substance=a.substance, category=a.category or "medication",
                                 key=_allergy_key(a, formulary, kb), kind=a.kind or "allergy",
                                 reaction=a.reaction or "", criticality=a.criticality or "", code_system=a.code_system,
                                 code=a.code)
                      for a in rows)

    if proposed is not None:
        recognised = _recognised(proposed, formulary, kb)
        if recognised is None:
            unchecked.append(proposed.name)  # the order itself cannot be checked: say so
        else:
            proposed = recognised

    if vitals is None:
        vitals = _latest_vitals(uow, patient_id) if proposed is None else {}
    weight = vitals.get(WEIGHT) if vitals else None
    ctx = AlertContext(active_meds=tuple(active), proposed=(proposed,) if proposed is not None else (),
                       allergies=allergies, vitals=dict(vitals or {}), age_years=_age(patient.birth_date, today),
                       sex=patient.sex, weight_kg=weight)
    return ctx, unchecked


class _Lazy:
    """The formulary, loaded only for medications without stored ingredients; None when it cannot load."""

    def __init__(self) -> None:
        self._loaded = False
        self._value: Any = None
        self._keys: Any = None

    def ingredient_keys(self) -> Any:
        """The formulary's ingredient names, normalised like the engine's; None without a formulary."""
        if self._keys is None and self.get() is not None:
            self._keys = formulary_ingredient_keys(self._value)
        return self._keys

    def get(self) -> Any:
        if not self._loaded:
            self._loaded = True
            from desktop.kb.errors import KnowledgeBaseError
            from desktop.kb.formulary import load_formulary

            try:
                self._value = load_formulary()
            except KnowledgeBaseError as exc:
                # classes then come from the alert knowledge base alone; uncoded names are reported unchecked
                log.warning("formulary unavailable for alert checks: %s", exc)
        return self._value


def _allergy_key(a: Allergy, formulary: _Lazy, kb: Any) -> str | None:
    """The stored key, or for an entry kept under its own words (typed "ASA", a brand from a PHR file, saved
    before the allergy list read brands and abbreviations) the ingredient those words stand for."""
    key = a.substance_key or None
    if a.code_system or (a.category or "medication") != "medication":
        return key  # coded (a class, an RXCUI) or not a drug
    kb = kb or load_kb()
    # the words as typed first: "Penicillin (anaphylaxis)" says what its stored key, "penicillin anaphylaxis"
    # (punctuation gone), no longer can
    for text in (a.substance, key):
        found = allergen_from_text(text, formulary.get(), kb) if text else None
        if found:
            return found
    return key


def _med_ref(m: Medication, formulary: _Lazy, kb: Any) -> DrugRef | None:
    ingredients = tuple(i.strip() for i in (m.ingredients or "").split("+") if i.strip())
    classes: tuple[str, ...] = ()
    if ingredients and m.formulary_id:
        f = formulary.get()
        if f is not None:
            classes = tuple(sorted({c for i in ingredients for c in f.classes_of(i)}))
    ref = DrugRef(name=m.drug_name, ingredients=ingredients, classes=classes,
                  rxcui=m.product_rxcui or m.ingredient_rxcui, med_id=m.id)
    return _recognised(ref, formulary, kb)


def drug_is_checkable(ref: DrugRef) -> bool:
    """Whether the engine can check this drug at all (a free-text prescription of a compounded cream is not):
    False also when the knowledge base cannot be loaded."""
    try:
        kb = load_kb()
    except KnowledgeBaseUnavailable:
        return False
    return _recognised(ref, _Lazy(), kb) is not None


def _recognised(ref: DrugRef, formulary: _Lazy, kb: Any) -> DrugRef | None:
    """The drug as the engine can check it, or None when nothing about it is known.

    Stored ingredients known to the knowledge base or the formulary are used as they are. Otherwise (free text
    from a patient report or a PHR, an uncoded prescription) the name, or its leading words ("Coumadin 5 mg
    tablets"), is looked up; a name nobody knows is reported as unchecked rather than passed as "no alerts".
    """
    kb = kb or load_kb()
    f = formulary.get()
    if ref.ingredients:
        names = [norm(i) for i in ref.ingredients]
        if any(n in kb.known_ingredients for n in names):
            return ref
        keys = formulary.ingredient_keys()
        if keys is not None and any(n in keys for n in names):
            return ref
        if f is None and tuple(names) != (norm(ref.name),):
            return ref  # formulary down: trust coded ingredients (but not a name copied into the field)
    try:
        found = drug_ref_from_text(ref.name or "", f, kb)
    except UnknownDrug:
        return None
    return DrugRef(name=with_assumption(ref.name, found), ingredients=found.ingredients, classes=found.classes,
                   rxcui=ref.rxcui or found.rxcui, med_id=ref.med_id)


def _latest_vitals(uow: UnitOfWork, patient_id: int) -> dict[str, float]:
    """The most recent readings: every value taken at the chart's latest instant (one intake form, or the
    readings of a device or PHR file, which come one set per reading)."""
    sets = _latest_vital_sets(uow, patient_id)
    return sets[0] if sets else {}


def _latest_vital_sets(uow: UnitOfWork, patient_id: int) -> list[dict[str, float]]:
    live = (VitalSign.patient_id == patient_id, VitalSign.entered_in_error.is_(False))
    newest = select(func.max(VitalSign.taken_at)).where(*live).scalar_subquery()
    rows = uow.session.execute(
        select(VitalSign.loinc, VitalSign.value).where(*live, VitalSign.taken_at == newest).order_by(VitalSign.id)
    ).all()
    return reading_sets(rows)


def reading_sets(rows: Sequence[tuple[str, float]]) -> list[dict[str, float]]:
    """Readings taken at one instant as value sets for the vital rules: the first value of each LOINC, then one
    more set for each further value of a LOINC measured twice at that instant (a watch and a cuff each giving a
    heart rate): in a single LOINC -> value map the later would hide the earlier, a rate of 30 behind one of 72."""
    first: dict[str, float] = {}
    again: list[tuple[str, float]] = []
    for loinc, value in rows:
        if loinc not in first:
            first[loinc] = value
        elif value != first[loinc]:
            again.append((loinc, value))
    return ([first] if first else []) + [{**first, loinc: value} for loinc, value in again]


def _age(birth: date | None, today: date | None) -> float | None:
    return age_years(birth, today)  # by the calendar: 18.0 on the 18th birthday


def _overridden(uow: UnitOfWork, patient_id: int) -> dict[str, int]:
    """alert key -> rank of the most severe overridden instance (lower rank = more severe)."""
    out: dict[str, int] = {}
    for key, severity in uow.session.execute(
            select(AlertOverride.alert_key, AlertOverride.severity).where(AlertOverride.patient_id == patient_id)):
        rank = severity_rank(severity)
        if key not in out or rank < out[key]:
            out[key] = rank
    return out


# ---------------------------------------------------------------- overrides


def record_override(uow: UnitOfWork, patient_id: int, alert: Any, reason: str, comment: str = "",
                    medication_id: int | None = None, prescription_id: int | None = None) -> int:
    """A physician's reasoned override: stored (so the same alert stays quiet for this patient unless its
    severity rises) and audited. Returns the override id."""
    uow.require(Permission.OVERRIDE_ALERT)
    if uow.user.id is None:
        raise PermissionDenied("an alert override must be made by a signed-in physician")
    reason = " ".join((reason or "").split())
    comment = (comment or "").strip()
    if reason not in OVERRIDE_REASONS:
        raise ValidationError({"reason": f"choose a reason from the list ({', '.join(OVERRIDE_REASONS)})"})
    if reason == OTHER_REASON and not comment:
        raise ValidationError({"comment": "say why when the reason is 'Other'"})
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    key = str(getattr(alert, "key", "") or "")
    severity = str(getattr(alert, "severity", "") or "")
    if not key or severity not in SEVERITIES:
        raise ValidationError({"alert": "not an alert from the alert engine (no key or severity)"})
    row = AlertOverride(
        patient_id=patient_id, alert_key=clip(AlertOverride, "alert_key", key),
        kind=clip(AlertOverride, "kind", str(getattr(alert, "kind", "") or "")),
        severity=severity, message=str(getattr(alert, "message", "") or ""), reason=reason, comment=comment,
        user_id=uow.user.id, medication_id=medication_id, prescription_id=prescription_id,
    )
    uow.session.add(row)
    uow.session.flush()
    summary = f"{severity} {row.kind} alert overridden: {row.message}. Reason: {reason}"
    if comment:
        summary += f" - {comment}"
    uow.audit("override", "alert", row.id, patient_id, summary)
    return row.id


def record_acknowledgement(uow: UnitOfWork, patient_id: int, alert: Any, comment: str = "") -> int:
    """An alert about a measurement (a vital sign far outside safe limits) acknowledged by whoever entered it:
    the value was re-checked and is right. Stored in the same record as an override (AlertOverride, reason
    ACKNOWLEDGED) so the same value is not raised again, and audited. Not for orders: a drug alert needs a
    physician's override. Returns the record id."""
    uow.require(Permission.EDIT_CHART)
    if uow.user.id is None:
        raise PermissionDenied("an acknowledgement must be made by a signed-in user")
    kind = str(getattr(alert, "kind", "") or "")
    if kind not in ACKNOWLEDGEABLE_KINDS:
        raise ValidationError({"alert": f"a {kind or 'drug'} alert needs a physician's override, not an "
                                        "acknowledgement"})
    key = str(getattr(alert, "key", "") or "")
    severity = str(getattr(alert, "severity", "") or "")
    if not key or severity not in SEVERITIES:
        raise ValidationError({"alert": "not an alert from the alert engine (no key or severity)"})
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    comment = (comment or "").strip()
    row = AlertOverride(patient_id=patient_id, alert_key=clip(AlertOverride, "alert_key", key),
                        kind=clip(AlertOverride, "kind", kind), severity=severity,
                        message=str(getattr(alert, "message", "") or ""), reason=ACKNOWLEDGED, comment=comment,
                        user_id=uow.user.id)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("acknowledge", "alert", row.id, patient_id,
              f"{severity} {kind} alert acknowledged: {row.message}" + (f" - {comment}" if comment else ""))
    return row.id


def list_overrides(uow: UnitOfWork, patient_id: int, *, medication_id: int | None = None,
                   prescription_id: int | None = None) -> list[OverrideRow]:
    """Overrides for a chart (or one medication/prescription), newest first, to show beside the entry."""
    uow.require(Permission.VIEW_CHART)
    from desktop.models import User

    stmt = (select(AlertOverride, User.display_name)
            .join(User, User.id == AlertOverride.user_id)
            .where(AlertOverride.patient_id == patient_id))
    if medication_id is not None:
        stmt = stmt.where(AlertOverride.medication_id == medication_id)
    if prescription_id is not None:
        stmt = stmt.where(AlertOverride.prescription_id == prescription_id)
    rows = uow.session.execute(stmt.order_by(AlertOverride.created_at.desc(), AlertOverride.id.desc())).all()
    return [OverrideRow(id=o.id, alert_key=o.alert_key, kind=o.kind, severity=o.severity, message=o.message,
                        reason=o.reason, comment=o.comment or "", user_name=name, created_at=o.created_at,
                        medication_id=o.medication_id, prescription_id=o.prescription_id) for o, name in rows]


# ---------------------------------------------------------------- setting


def interrupting_severities(uow: UnitOfWork) -> tuple[str, ...]:
    """Severities that open the modal (admin setting); default contraindicated + major; contraindicated always."""
    value = settings.read_value(uow, SETTING_KEY, None)
    if value is None:
        return DEFAULT_INTERRUPTING
    if not isinstance(value, list) or not all(isinstance(v, str) and v in SEVERITIES for v in value):
        log.warning("setting %s has an invalid value %r; using the default", SETTING_KEY, value)
        return DEFAULT_INTERRUPTING
    chosen = set(value) | {ALWAYS_INTERRUPTING}
    return tuple(s for s in SEVERITIES if s in chosen)


def set_interrupting_severities(uow: UnitOfWork, values: Any) -> tuple[str, ...]:
    """Administrators choose which severities interrupt; contraindicated alerts always do."""
    uow.require(Permission.MANAGE_SETTINGS)
    if isinstance(values, str) or not all(isinstance(v, str) for v in values or ()):
        raise ValidationError({"interrupting_severities": "a list of severities"})
    chosen = {v.strip().lower() for v in values}
    unknown = sorted(chosen - set(SEVERITIES))
    if unknown:
        raise ValidationError({"interrupting_severities": f"unknown severity {', '.join(unknown)}; "
                                                          f"choose from {', '.join(SEVERITIES)}"})
    if ALWAYS_INTERRUPTING not in chosen:
        raise ValidationError({"interrupting_severities": "contraindicated alerts always interrupt"})
    ordered = tuple(s for s in SEVERITIES if s in chosen)
    before = interrupting_severities(uow)
    settings.write_value(uow, SETTING_KEY, list(ordered),
                         summary=f"interrupting alert severities: {', '.join(ordered)} (was {', '.join(before)})")
    return ordered
