"""Fill the printing dataclasses from the database and render: prescriptions, patient summary, note.

A fixed, small number of queries per document (no query per row); only recent vitals and encounters are
loaded (the indexes on (patient_id, loinc, taken_at) and (patient_id, encounter_date) answer them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from desktop.domain.sig import expand_sig
from desktop.kb import display_units as kb_display
from desktop.kb.vitals import (
    BMI,
    DIASTOLIC,
    HEART_RATE,
    HEIGHT,
    PULSE_OX,
    RESP_RATE,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
)
from desktop.models import (
    Addendum,
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Immunization,
    Medication,
    Patient,
    Prescriber,
    Prescription,
    PrintRecord,
    Problem,
    User,
    VitalSign,
)
from desktop.printing import data as pd

from . import display_units
from .errors import NotFound, ServiceError
from .permissions import Permission
from .prescribers import get_page_size, get_practice
from .uow import UnitOfWork

RECENT_VITAL_SETS = 10  # rows of the vitals table
TREND_POINTS = 36  # readings per trend chart
RECENT_ENCOUNTERS = 10

LOINC = {
    "systolic": SYSTOLIC, "diastolic": DIASTOLIC, "heart_rate": HEART_RATE, "resp_rate": RESP_RATE,
    "temperature_c": TEMPERATURE, "spo2": SPO2, "spo2_pulse_ox": PULSE_OX, "weight_kg": WEIGHT,
    "height_cm": HEIGHT, "bmi": BMI,
}
_FIELD_BY_LOINC = {code: name for name, code in LOINC.items()}
_FIELD_BY_LOINC[PULSE_OX] = "spo2"


class AlreadyPrinted(ServiceError):
    """The original of a prescription was printed elsewhere meanwhile: print again to get the reprint mark."""


# ---------------------------------------------------------------- print jobs and print records

@dataclass(frozen=True, slots=True)
class PrintJob:
    """A rendered document waiting to be printed or saved; record_print() writes who printed it."""

    document: str  # rx | summary | note
    pdf: bytes
    title: str
    patient_id: int | None
    refs: tuple[str, ...]  # what was printed: rx numbers, MRN, encounter id
    reprint_refs: tuple[str, ...] = ()  # the refs already printed before (marked COPY — REPRINT)
    page_size: str = "letter"
    pages: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def reprint(self) -> bool:
        return bool(self.reprint_refs)


def printed_before(uow: UnitOfWork, document: str, refs: Sequence[str], patient_id: int | None) -> set[str]:
    """The refs that have a print record already (from any workstation or the command line)."""
    uow.require(Permission.PRINT)
    if not refs:
        return set()
    return set(uow.session.execute(select(PrintRecord.ref_id).where(
        PrintRecord.document == document, PrintRecord.ref_id.in_(list(refs)))).scalars())


def prepare_rx_print(uow: UnitOfWork, rx_ids: Sequence[int], *, now: datetime | None = None,
                     page_size: str | None = None) -> PrintJob:
    """Render active prescriptions of one patient; those printed before come out as "COPY — REPRINT"."""
    uow.require(Permission.PRINT)
    return prescription_documents(uow, rx_ids, now=now, page_size=page_size)


def record_print(uow: UnitOfWork, job: PrintJob) -> None:
    """The job was printed or saved: one record per item (original or reprint), audited.

    If another workstation printed an original of the same prescription since the preview was made, the
    original printed here would be a second original: refused, print again to get the reprint mark.
    """
    uow.require(Permission.PRINT)
    before = printed_before(uow, job.document, job.refs, job.patient_id)
    if job.document == "rx":
        clash = [r for r in job.refs if r in before and r not in job.reprint_refs]
        if clash:
            raise AlreadyPrinted(f"{', '.join(clash)} has been printed since this preview was made (here or at "
                                 "another workstation): close the preview and print again; it will be marked "
                                 "as a reprint")
    now = datetime.now(UTC)
    for ref in job.refs:
        reprint = ref in before or ref in job.reprint_refs
        uow.session.add(PrintRecord(document=job.document, ref_id=ref, patient_id=job.patient_id,
                                    user_id=uow.user.id, printed_by=uow.user.username, printed_at=now,
                                    reprint=reprint))
        uow.audit("reprint" if reprint else "print", job.document, ref, job.patient_id,
                  summary=f"{job.title} ({job.pages} page(s), {job.page_size})")


# ---------------------------------------------------------------- building the dataclasses

def full_name(p: Patient) -> str:
    return " ".join(x for x in (p.given_name, p.middle_name, p.family_name) if x and x.strip())


def _address(p: Patient) -> tuple[str, ...]:
    city = " ".join(x for x in (f"{p.city}," if p.city else "", p.state, p.postal_code) if x).rstrip(",")
    country = p.country if p.country and p.country.strip().upper() not in ("US", "USA", "UNITED STATES") else ""
    return tuple(x for x in (p.address_line1, p.address_line2, city, country) if x and x.strip())


def patient_info(p: Patient) -> pd.PatientInfo:
    emergency = ""
    if p.emergency_name:
        emergency = p.emergency_name + (f" ({p.emergency_relation})" if p.emergency_relation else "") + \
            (f" {p.emergency_phone}" if p.emergency_phone else "")
    insurance = p.insurance_payer + (f" · member {p.insurance_member_id}" if p.insurance_member_id else "")
    return pd.PatientInfo(
        full_name=full_name(p), birth_date=p.birth_date, sex=p.sex, mrn=p.mrn, address_lines=_address(p),
        phone=p.phone_mobile or p.phone_home, preferred_language=p.preferred_language, emergency_contact=emergency,
        insurance=insurance.strip(), email=p.email, gender_identity=p.gender_identity,
    )


def practice_info(uow: UnitOfWork) -> pd.PracticeInfo:
    p = get_practice(uow)
    return pd.PracticeInfo(name=p.name, address_lines=p.address_lines, phone=p.phone, fax=p.fax)


def prescriber_info(p: Prescriber) -> pd.PrescriberInfo:
    return pd.PrescriberInfo(full_name=p.full_name, credentials=p.credentials, npi=p.npi, dea_number=p.dea_number,
                             state_licence=p.state_licence, specialty=p.specialty)


def rx_item(rx: Prescription) -> pd.RxItem:
    return pd.RxItem(
        rx_number=rx.rx_number, drug_name=rx.drug_name, strength=rx.strength or "", dose_form=rx.dose_form or "",
        route=rx.route or "", sig_text=rx.sig_text or "", quantity=float(rx.quantity or 0),
        quantity_unit=rx.quantity_unit or "", days_supply=rx.days_supply, refills=int(rx.refills or 0),
        substitution_allowed=bool(rx.substitution_allowed), pharmacist_note=rx.pharmacist_note or "",
        dea_schedule=rx.dea_schedule or "", written_date=rx.written_date,
    )


def _page_count(pdf: bytes) -> int:
    # every page object of a reportlab PDF carries exactly one "/Type /Page" entry
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


# ---------------------------------------------------------------- prescriptions

def prescription_documents(uow: UnitOfWork, rx_ids: Sequence[int], *, now: datetime | None = None,
                           page_size: str | None = None) -> PrintJob:
    """One PDF for active prescriptions of one patient: originals first, then reprints (marked)."""
    from desktop.printing.rx import RxGroup, render_prescription_groups

    uow.require(Permission.PRINT)
    ids = list(dict.fromkeys(rx_ids))
    if not ids:
        raise ServiceError("choose at least one prescription to print")
    s = uow.session
    rows = s.execute(select(Prescription).where(Prescription.id.in_(ids))).scalars().all()
    by_id = {r.id: r for r in rows if not r.entered_in_error}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"no prescription with id {missing[0]}")
    ordered = [by_id[i] for i in ids]
    for rx in ordered:
        if rx.status != "active":
            what = "a draft: sign it first" if rx.status == "draft" else f"{rx.status}: it cannot be printed"
            raise ServiceError(f"prescription {rx.rx_number} is {what}")
    patients = {rx.patient_id for rx in ordered}
    if len(patients) > 1:
        raise ServiceError("print the prescriptions of one patient at a time")
    patient = s.get(Patient, ordered[0].patient_id)
    assert patient is not None
    prescribers = {p.id: p for p in s.execute(select(Prescriber).where(
        Prescriber.id.in_({rx.prescriber_id for rx in ordered if rx.prescriber_id}))).scalars()}
    for rx in ordered:
        if rx.prescriber_id not in prescribers:
            raise ServiceError(f"prescription {rx.rx_number} has no prescriber profile to print")

    now = now or datetime.now()
    before = printed_before(uow, "rx", [rx.rx_number for rx in ordered], patient.id)
    groups: list[RxGroup] = []
    pinfo = _with_child_weight(uow, patient_info(patient), patient, now.date())
    for reprint in (False, True):
        for pid, prescriber in prescribers.items():
            items = [rx_item(rx) for rx in ordered
                     if rx.prescriber_id == pid and (rx.rx_number in before) == reprint]
            if items:
                groups.append(RxGroup(items=items, prescriber=prescriber_info(prescriber), patient=pinfo,
                                      reprint_of=now.date() if reprint else None))
    size = page_size or get_page_size(uow)
    pdf = render_prescription_groups(groups, practice_info(uow), page_size_name=size, printed_at=now)
    numbers = tuple(rx.rx_number for rx in ordered)
    reprints = tuple(n for n in numbers if n in before)
    uow.audit("preview", "prescription", ",".join(numbers)[:40], patient.id,
              summary=f"prepared {len(numbers)} prescription(s) for printing" + (" (reprint)" if reprints else ""))
    title = f"Prescription{'s' if len(numbers) > 1 else ''} {', '.join(numbers)} — {pinfo.full_name}"
    return PrintJob(document="rx", pdf=pdf, title=title, patient_id=patient.id, refs=numbers,
                    reprint_refs=reprints, page_size=size, pages=_page_count(pdf))


PEDIATRIC_AGE = 18  # under this age a prescription carries the latest weight (weight-based dosing)


def _with_child_weight(uow: UnitOfWork, info: pd.PatientInfo, patient: Patient, on: date) -> pd.PatientInfo:
    """A child's prescription names the latest recorded weight in both units (the pharmacist checks mg/kg;
    a US pharmacy reads pounds too): 'Weight 18.2 kg (40.1 lb) on 2026-11-02'. Adults: unchanged."""
    birth = patient.birth_date
    if birth is None or (on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))) >= PEDIATRIC_AGE:
        return info
    latest = uow.session.execute(
        select(VitalSign.value, VitalSign.taken_at)
        .where(VitalSign.patient_id == patient.id, VitalSign.loinc == WEIGHT, VitalSign.entered_in_error.is_(False))
        .order_by(VitalSign.taken_at.desc()).limit(1)).first()
    if latest is None:
        return replace(info, weight_line="Weight not recorded")
    shown = kb_display.both(WEIGHT, latest.value, display_units.unit_system(uow))
    return replace(info, weight_line=f"Weight {shown} on {_local(latest.taken_at):%Y-%m-%d}")


# ---------------------------------------------------------------- summary

def _vitals(uow: UnitOfWork, patient_id: int) -> tuple[tuple[pd.VitalsRow, ...], list[pd.TrendPoint],
                                                        list[pd.TrendPoint]]:
    s = uow.session
    live = (VitalSign.patient_id == patient_id, VitalSign.entered_in_error.is_(False))
    # the most recent intake sets: one grouped query, then their rows
    recent_sets = s.execute(
        select(VitalSign.set_id, func.max(VitalSign.taken_at).label("last_at")).where(*live)
        .group_by(VitalSign.set_id).order_by(func.max(VitalSign.taken_at).desc()).limit(RECENT_VITAL_SETS)
    ).all()
    table: list[pd.VitalsRow] = []
    if recent_sets:
        values: dict[str, dict] = defaultdict(dict)
        for r in s.execute(select(VitalSign.set_id, VitalSign.loinc, VitalSign.value, VitalSign.taken_at,
                                  VitalSign.origin).where(*live, VitalSign.set_id.in_([r.set_id for r in recent_sets]))):
            name = _FIELD_BY_LOINC.get(r.loinc)
            if name:
                values[r.set_id][name] = r.value
                values[r.set_id]["_origin"] = r.origin
        for r in recent_sets:
            v = values.get(r.set_id, {})
            origin = v.pop("_origin", "clinic")
            table.append(pd.VitalsRow(taken_at=_local(r.last_at), origin=origin, **v))

    def series(loinc: str) -> list:
        return s.execute(select(VitalSign.set_id, VitalSign.taken_at, VitalSign.value)
                         .where(*live, VitalSign.loinc == loinc)
                         .order_by(VitalSign.taken_at.desc()).limit(TREND_POINTS)).all()

    systolic = series(LOINC["systolic"])
    diastolic = {r.set_id: r.value for r in s.execute(
        select(VitalSign.set_id, VitalSign.value).where(*live, VitalSign.loinc == LOINC["diastolic"],
                                                        VitalSign.set_id.in_([r.set_id for r in systolic])))}
    bp = [pd.TrendPoint(_local(r.taken_at), r.value, diastolic.get(r.set_id)) for r in reversed(systolic)]
    weight = [pd.TrendPoint(_local(r.taken_at), r.value) for r in reversed(series(LOINC["weight_kg"]))]
    return tuple(table), bp, weight


def _allergy_status(rows: Sequence[Allergy]) -> tuple[str, tuple[pd.AllergyLine, ...]]:
    real = tuple(pd.AllergyLine(a.substance, a.reaction, a.severity, a.kind) for a in rows if not a.no_known_allergies)
    if real:
        return "recorded", real
    if any(a.no_known_allergies for a in rows):
        return "nkda", ()
    return "not recorded", ()


def summary_document(uow: UnitOfWork, mrn: str, *, now: datetime | None = None,
                     page_size: str | None = None) -> PrintJob:
    """The patient summary as a PrintJob (front desk may print it: DESIGN.md's role table)."""
    from desktop.printing import render_summary

    data = summary_data(uow, mrn, now=now, page_size=page_size)
    pdf = render_summary(data)
    patient_id = uow.session.execute(select(Patient.id).where(Patient.mrn == data.patient.mrn)).scalar()
    return PrintJob(document="summary", pdf=pdf, title=f"Patient summary — {data.patient.full_name}",
                    patient_id=patient_id, refs=(data.patient.mrn,), page_size=data.page_size, pages=_page_count(pdf))


def summary_data(uow: UnitOfWork, mrn: str, *, now: datetime | None = None,
                 page_size: str | None = None) -> pd.SummaryData:
    uow.require(Permission.PRINT)
    s = uow.session
    patient = s.execute(select(Patient).where(Patient.mrn == mrn.strip())).scalar_one_or_none()
    if patient is None:
        raise NotFound(f"no patient with MRN {mrn}")
    pid = patient.id

    def live(model):
        return (model.patient_id == pid, model.entered_in_error.is_(False))

    problems = s.execute(select(Problem).where(*live(Problem), Problem.status == "active")
                         .order_by(Problem.onset_date.desc().nullslast(), Problem.description)).scalars().all()
    meds = s.execute(select(Medication).where(*live(Medication), Medication.status == "active")
                     .order_by(Medication.drug_name)).scalars().all()
    allergies = s.execute(select(Allergy).where(*live(Allergy), Allergy.status == "active")
                          .order_by(Allergy.substance)).scalars().all()
    shots = s.execute(select(Immunization).where(*live(Immunization))
                      .order_by(Immunization.date_given.desc()).limit(30)).scalars().all()
    vitals, bp, weight = _vitals(uow, pid)
    encounters = s.execute(
        select(Encounter, User.display_name).outerjoin(User, User.id == Encounter.provider_id)
        .where(*live(Encounter)).order_by(Encounter.encounter_date.desc()).limit(RECENT_ENCOUNTERS)
    ).all()
    signers = _with_credentials(uow, {e.provider_id for e, _name in encounters if e.provider_id})
    total = s.execute(select(func.count()).select_from(Encounter).where(*live(Encounter))).scalar() or 0
    status, allergy_lines = _allergy_status(allergies)
    now = now or datetime.now()
    uow.audit("print_prepare", "summary", patient.mrn, pid, summary="patient summary prepared for printing")
    return pd.SummaryData(
        practice=practice_info(uow), patient=patient_info(patient), generated_at=now,
        problems=tuple(pd.ProblemLine(p.description, p.icd10_code or "", p.onset_date, p.status) for p in problems),
        medications=tuple(pd.MedicationLine(m.drug_name, expand_sig(m.sig), m.start_date, m.source) for m in meds),
        allergy_status=status, allergies=allergy_lines,
        immunizations=tuple(pd.ImmunizationLine(i.vaccine, i.date_given, i.cvx_code or "", i.dose_number)
                            for i in shots),
        vitals=vitals, bp_trend=tuple(bp), weight_trend=tuple(weight),
        encounters=tuple(pd.EncounterLine(_local(e.encounter_date), e.kind, e.reason,
                                          signers.get(e.provider_id) or name or "",
                                          # a draft's text is not the record yet (a note prints only signed)
                                          _short(e.assessment) if e.status == "signed" else "", e.status)
                                for e, name in encounters),
        total_encounters=int(total), page_size=page_size or get_page_size(uow), printed_by=uow.user.display_name,
        labs=_lab_lines(uow, pid), **_history_lines(uow, pid), unit_system=display_units.unit_system(uow),
    )


def _lab_lines(uow: UnitOfWork, patient_id: int) -> tuple[pd.LabLine, ...]:
    """The results of the most recent panels (the caller checked PRINT: the summary's own permission)."""
    from . import results

    return tuple(pd.LabLine(r.collected_at, r.name, r.value_display, results.unit_label(r.unit), r.flag, r.range_display,
                            "clinic" if r.origin == "clinic" else (r.source_system or "imported"))
                 for r in results.recent_for_print(uow, patient_id))


def _history_lines(uow: UnitOfWork, patient_id: int) -> dict:
    """Smoking status, surgical and family history worded for the printed summary (issue 18)."""
    from .history_summary import brief_for_print

    b = brief_for_print(uow, patient_id)
    return dict(
        social_history=tuple(b.social_lines()),
        procedures=tuple((p.description, _fmt_day(p.last), f"×{p.times}" if p.times > 1 else "") for p in b.procedures),
        family_history=tuple(f.summary for f in b.family))


def _fmt_day(day: date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "date unknown"


def _with_credentials(uow: UnitOfWork, user_ids: set[int]) -> dict[int, str]:
    """user id -> "Ana Lima, MD" for users with a prescriber profile (others print their display name)."""
    if not user_ids:
        return {}
    return {uid: f"{name}, {cred}" if cred else name for uid, name, cred in uow.session.execute(
        select(Prescriber.user_id, Prescriber.full_name, Prescriber.credentials)
        .where(Prescriber.user_id.in_(user_ids)))}


def _short(text: str, limit: int = 110) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- note

def note_data(uow: UnitOfWork, encounter_id: int, *, page_size: str | None = None) -> pd.NoteData:
    uow.require(Permission.PRINT)
    uow.require(Permission.VIEW_CHART)
    s = uow.session
    enc = s.get(Encounter, encounter_id)
    if enc is None or enc.entered_in_error:
        raise NotFound(f"no encounter with id {encounter_id}")
    if enc.status != "signed":
        raise ServiceError("only a signed note can be printed: sign the note first")
    patient = s.get(Patient, enc.patient_id)
    assert patient is not None
    user_ids = {enc.provider_id, enc.signed_by_id}
    addenda = s.execute(select(Addendum).where(Addendum.encounter_id == enc.id)
                        .order_by(Addendum.created_at)).scalars().all()
    user_ids |= {a.author_id for a in addenda}
    names = dict(s.execute(select(User.id, User.display_name).where(User.id.in_({u for u in user_ids if u}))).all())
    creds = _with_credentials(uow, {u for u in user_ids if u})
    dx = s.execute(select(Problem.description, Problem.icd10_code).join(
        EncounterDiagnosis, EncounterDiagnosis.problem_id == Problem.id)
        .where(EncounterDiagnosis.encounter_id == enc.id).order_by(EncounterDiagnosis.rank)).all()

    def who(uid: int | None) -> str:
        return creds.get(uid) or names.get(uid, "") if uid else ""

    uow.audit("print_prepare", "encounter", enc.id, patient.id, summary="signed note prepared for printing")
    return pd.NoteData(
        practice=practice_info(uow), patient=patient_info(patient), encounter_date=_local(enc.encounter_date),
        kind=enc.kind, reason=enc.reason, provider=who(enc.provider_id), subjective=enc.subjective,
        objective=enc.objective, assessment=enc.assessment, plan=enc.plan,
        diagnoses=tuple(f"{code} {desc}".strip() if code else desc for desc, code in dx),
        status=enc.status, signed_by=who(enc.signed_by_id), signed_at=_local(enc.signed_at),
        addenda=tuple(pd.AddendumLine(who(a.author_id), _local(a.created_at), a.text) for a in addenda),
        page_size=page_size or get_page_size(uow), printed_by=uow.user.display_name, printed_at=datetime.now(),
    )


def note_document(uow: UnitOfWork, encounter_id: int, *, page_size: str | None = None) -> PrintJob:
    from desktop.printing import render_note

    data = note_data(uow, encounter_id, page_size=page_size)
    pdf = render_note(data)
    enc = uow.session.get(Encounter, encounter_id)
    return PrintJob(document="note", pdf=pdf, title=f"Encounter note — {data.patient.full_name}",
                    patient_id=enc.patient_id if enc else None, refs=(str(encounter_id),),
                    page_size=data.page_size, pages=_page_count(pdf))


def _local(ts: datetime | None) -> datetime | None:
    """Stored UTC (SQLite returns it naive) -> local wall time for printing."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone().replace(tzinfo=None)

