"""Demo chart data for `python -m desktop demo`: problems, medications, allergies, immunizations, several years
of vitals and signed SOAP notes for most demo patients, and one large chart (Harold Bennett, born 1948-03-30:
500 encounters, 5,000 vital-sign values) for the performance targets.

Every clinical row goes through its entity service as the demo physician would enter it in the chart
(validation, duplicate rules, "no known drug allergies", alert checks, audit), marked with the provenance
"demo"; an order the alert check would interrupt is left out, except the large chart's one, which the demo
physician overrides with a reason (shown in the chart). Only the encounters (signed notes) are bulk inserted.
The work is capped at the first CAP patients so 100,000 patients still take seconds.
Codes are never invented: ICD-10-CM codes are checked against simple-icd-10-cm, drugs come from the
formulary (RxNorm as it lists them) and vaccines from the CVX catalogue; what a file lacks is skipped.
"""

from __future__ import annotations

import logging
import random
import time as clock
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from desktop.kb.age import age_years
from desktop.models import Encounter, EncounterDiagnosis, Medication, Patient, Prescriber, User

from . import allergies, display_units, immunizations, medications, problems
from . import vitals as V
from .alert_decisions import Decision, NeedsDecision
from .chart_rows import DEMO
from .errors import ProgressFn, ValidationError
from .immunizations import ImmunizationInput
from .uow import UnitOfWork

log = logging.getLogger(__name__)

CAP = 300  # patients given chart data (plus the named demo patients)
SHARE = 0.85  # "most" patients: the rest stay empty, like newly registered ones
LARGE = ("Harold", "Bennett", date(1948, 3, 30))
NAMED = (("Zoë", "Müller", date(1980, 1, 2)), ("José", "Núñez-García", date(1955, 7, 14)))
LARGE_ENCOUNTERS = 500

# (ICD-10-CM, description as the code set words it, minimum age, chance for an adult over 50, under 50,
#  formulary searches for its usual drugs: (search text, strength wanted))
CONDITIONS: tuple[tuple[str, str, int, float, float, tuple[tuple[str, str], ...]], ...] = (
    ("I10", "Essential (primary) hypertension", 25, 0.45, 0.12,
     (("lisinopril", "10 mg"), ("amlodipine", "5 mg"), ("losartan", "50 mg"), ("hydrochlorothiazide", "25 mg"))),
    ("E78.5", "Hyperlipidemia, unspecified", 30, 0.35, 0.10, (("atorvastatin", "20 mg"), ("rosuvastatin", "10 mg"))),
    ("E11.9", "Type 2 diabetes mellitus without complications", 30, 0.20, 0.05, (("metformin", "500 mg"),)),
    ("E66.9", "Obesity, unspecified", 12, 0.25, 0.15, ()),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis", 18, 0.15, 0.10, (("omeprazole", "20 mg"),)),
    ("J45.909", "Unspecified asthma, uncomplicated", 4, 0.06, 0.09,
     (("albuterol", "90 mcg"), ("fluticasone propionate 44", "44 mcg"))),
    ("F41.1", "Generalized anxiety disorder", 12, 0.06, 0.09, (("sertraline", "50 mg"), ("escitalopram", "10 mg"))),
    ("M54.50", "Low back pain, unspecified", 18, 0.12, 0.10, (("naproxen", "250 mg"),)),
    ("J30.9", "Allergic rhinitis, unspecified", 4, 0.08, 0.14, (("fluticasone propionate 50 mcg", "50 mcg"),)),
    ("M17.11", "Unilateral primary osteoarthritis, right knee", 50, 0.10, 0.0, (("naproxen", "250 mg"),)),
    ("I48.91", "Unspecified atrial fibrillation", 60, 0.06, 0.0, (("apixaban", "5 mg"), ("metoprolol", "25 mg"))),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", 45, 0.06, 0.0,
     (("tiotropium", "18 mcg"), ("albuterol", "90 mcg"))),
    ("E55.9", "Vitamin D deficiency, unspecified", 18, 0.08, 0.06, ()),
    ("R73.03", "Prediabetes", 25, 0.10, 0.05, ()),
)
LARGE_CONDITIONS = ("I10", "E11.9", "E78.5", "I48.91", "M17.11")
# the large chart takes every usual drug of its conditions except these alternatives: a physician reading it sees
# one statin and one renin-angiotensin blocker, not two of each
LARGE_ALTERNATIVES_LEFT_OUT = (("losartan", "50 mg"), ("rosuvastatin", "10 mg"))
ACUTE = (("J06.9", "Acute upper respiratory infection, unspecified"), ("J02.9", "Acute pharyngitis, unspecified"),
         ("J20.9", "Acute bronchitis, unspecified"), ("N39.0", "Urinary tract infection, site not specified"))

# what each acute visit's note says (subjective, examination, plan): the note matches its diagnosis
ACUTE_NOTES = {
    "J06.9": ("{days} days of nasal congestion, runny nose, mild sore throat and cough. No shortness of breath.",
              "Nasal mucosa swollen, clear discharge. Pharynx mildly erythematous. Lungs clear to auscultation.",
              "Supportive care: fluids, rest, acetaminophen as needed. Return if worse or not better in 10 days."),
    "J02.9": ("{days} days of sore throat and pain on swallowing. No cough. No rash.",
              "Pharynx erythematous, tonsils not enlarged, no exudate. Small tender anterior cervical nodes. "
              "Rapid strep test negative.",
              "Supportive care: fluids, throat lozenges, acetaminophen as needed. Return if unable to swallow or not "
              "better in 7 days."),
    "J20.9": ("{days} days of cough with clear sputum after a cold. No shortness of breath, no chest pain.",
              "Scattered rhonchi that clear with coughing. No crackles, no wheeze. Chest expansion equal.",
              "No antibiotic: likely viral. Fluids, honey, acetaminophen as needed. The cough may last 3 weeks; "
              "return if short of breath or fever beyond 3 days."),
    "N39.0": ("{days} days of burning on urination, frequency and urgency. No flank pain, no vaginal discharge.",
              "Suprapubic tenderness. No costovertebral angle tenderness. Urine dipstick: leukocyte esterase and "
              "nitrite positive.",
              "Urine culture sent. Antibiotic per culture and local resistance; fluids. Return if fever, flank pain "
              "or vomiting."),
}

# allergies: (substance as entered, category, reaction, severity, criticality)
DRUG_ALLERGIES = (("Penicillin", "medication", "Hives", "moderate", "high", 0.15),
                  ("Sulfonamide antibiotics", "medication", "Rash", "mild", "low", 0.07),
                  ("Codeine", "medication", "Nausea and vomiting", "mild", "low", 0.03))
OTHER_ALLERGIES = (("Latex", "environment", "Contact dermatitis", "mild", "low", 0.04),
                   ("Peanut", "food", "Throat swelling", "severe", "high", 0.03),
                   ("Bee venom", "environment", "Local swelling", "moderate", "low", 0.02))

SITES = ("left deltoid", "right deltoid")


@dataclass
class ChartFillStats:
    patients: int = 0
    problems: int = 0
    medications: int = 0
    allergies: int = 0
    immunizations: int = 0
    encounters: int = 0
    vitals: int = 0
    results: int = 0
    prescriptions: int = 0
    large_patient_id: int | None = None
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Patient:
    id: int
    birth: date
    sex: str
    conditions: list[tuple[str, str]] = field(default_factory=list)
    problem_ids: dict[str, int] = field(default_factory=dict)


def _valid_codes() -> set[str]:
    """The ICD-10-CM codes used here. Each was checked against simple-icd-10-cm (valid, billable leaf);
    tests/chart_notes re-checks them, so the demo does not pay the package's 4-second load at run time."""
    return {c[0] for c in CONDITIONS} | {c for c, _ in ACUTE}


def _products(skipped: list[str]) -> dict[tuple[str, str], object]:
    try:
        from desktop.kb.formulary import load_formulary

        formulary = load_formulary()
    except Exception as exc:  # the formulary file is optional for demo data; say so and go on
        skipped.append(f"medications (formulary unavailable: {exc})")
        log.warning("demo medications skipped: formulary unavailable (%s)", exc)
        return {}
    found = {}
    for _code, _desc, _age, _p1, _p2, drugs in CONDITIONS:
        for text, strength in drugs:
            hits = formulary.search(text, limit=20)
            pick = next((p for p in hits if p.strength.replace(" ", "") .startswith(strength.replace(" ", ""))), None)
            pick = pick or (hits[0] if hits else None)
            if pick is not None:
                found[(text, strength)] = pick
    return found


def _vaccines(skipped: list[str]) -> dict[str, object]:
    try:
        from desktop.kb.vaccines import load_vaccines

        catalog = load_vaccines()
    except Exception as exc:  # optional for demo data
        skipped.append(f"immunizations (vaccine catalogue unavailable: {exc})")
        log.warning("demo immunizations skipped: vaccine catalogue unavailable (%s)", exc)
        return {}
    return {v.cvx.lstrip("0") or "0": v for v in catalog.vaccines}


def _local_utc(day: date, minutes: int) -> datetime:
    """A local wall-clock time on `day` (minutes after midnight) as UTC."""
    return datetime.combine(day, time(minutes // 60, minutes % 60)).astimezone(UTC)


def _age(birth: date, on: date) -> float:
    return age_years(birth, on)


# ---------------------------------------------------------------- vitals of one visit

@dataclass
class _Baseline:
    sys: float
    dia: float
    hr: float
    weight: float
    height: float
    spo2: float


def _child(age: float, scale: float) -> _Baseline:
    """A growing child: rough growth-chart medians (scaled per child), so height and weight trend upwards."""
    height = (50 + age * 25 if age < 1 else 75 + (min(age, 16) - 1) * 6.2) * (0.97 + scale * 0.06)
    weight = (3.4 + age * 6.5 if age < 1 else 9.9 + (age - 1) * 2.4 if age < 10 else 31.5 + (min(age, 17) - 10) * 4.5)
    return _Baseline(96 + age * 1.5, 58 + age, 130 - age * 3.5, weight * (0.9 + scale * 0.25), height, 98)


def _baseline(rng: random.Random, p: _Patient, age: float) -> _Baseline:
    codes = {c for c, _ in p.conditions}
    if age < 18:
        return _child(age, rng.random())
    height = rng.gauss(176 if p.sex == "male" else 163, 7)
    bmi = rng.gauss(31 if "E66.9" in codes else 26, 3)
    return _Baseline(sys=rng.gauss(142 if "I10" in codes else 120, 8), dia=rng.gauss(88 if "I10" in codes else 76, 5),
                     hr=rng.gauss(74, 7), weight=bmi * (height / 100) ** 2, height=height,
                     spo2=rng.uniform(92, 96) if "J44.9" in codes else rng.uniform(96, 99))


def _visit_values(rng: random.Random, b: _Baseline, age: float, progress: float, sick: bool) -> dict[str, float]:
    """One clinic set (canonical units). `progress` 0..1 over the years: treated BP comes down a little."""
    sys_ = b.sys - 10 * progress * (b.sys > 135) + rng.gauss(0, 7)
    dia = min(b.dia - 5 * progress * (b.dia > 85) + rng.gauss(0, 5), sys_ - 25)
    weight = b.weight * (1 + rng.gauss(0, 0.012) + (0.02 * progress if age > 30 else 0))
    height = b.height
    values = {
        V.SYSTOLIC: round(sys_), V.DIASTOLIC: round(dia), V.HEART_RATE: round(b.hr + rng.gauss(0, 6) + 10 * sick),
        V.RESP_RATE: round((16 if age >= 12 else 24) + rng.gauss(0, 1.5) + 2 * sick),
        V.TEMPERATURE: round(rng.gauss(38.4, 0.4) if sick else rng.gauss(36.8, 0.25), 1),
        V.SPO2: round(min(100.0, b.spo2 + rng.gauss(0, 0.8) - 2 * sick)),
        V.WEIGHT: round(weight, 1), V.HEIGHT: round(height, 1),
        V.PAIN: rng.choice((0, 0, 0, 0, 1, 2, 3, 5, 6)) if not sick else rng.choice((2, 3, 4)),
    }
    values[V.BMI] = V.compute_bmi(values[V.WEIGHT], values[V.HEIGHT])
    return values


# ---------------------------------------------------------------- note text

def _note(rng: random.Random, kind: str, conditions: list[tuple[str, str]], vitals_line: str,
          acute: tuple[str, str] | None) -> dict[str, str]:
    chronic = ", ".join(d for _, d in conditions) or "no chronic conditions"
    if kind == "annual_physical":
        return {"reason": "Annual physical examination",
                "subjective": "Here for annual examination. No new concerns. Exercises "
                              f"{rng.choice(('rarely', 'twice a week', 'most days'))}. Non-smoker. "
                              f"Known problems: {chronic}.",
                "objective": f"{vitals_line}\nGeneral: well appearing. Heart: regular rate and rhythm, no murmur. "
                             "Lungs: clear. Abdomen: soft, non-tender.",
                "assessment": "Routine adult health examination. " + (f"Chronic: {chronic}." if conditions else ""),
                "plan": "Age-appropriate screening reviewed. Labs: lipid panel, HbA1c. "
                        "Counselled on diet and exercise. Next physical in 1 year."}
    if kind == "hypertension_followup":
        return {"reason": "Hypertension follow-up",
                "subjective": "Here for blood pressure follow-up. Takes medication daily, "
                              f"{rng.choice(('no missed doses', 'missed a few doses', 'no side effects'))}. "
                              "No chest pain, dyspnea or headache.",
                "objective": f"{vitals_line}\nCardiovascular: regular rate and rhythm. Lungs: clear. No edema.",
                "assessment": "Essential hypertension, " + rng.choice(("controlled", "not at goal", "improving")),
                "plan": rng.choice(("Continue current regimen.", "Increase dose; recheck in 4 weeks.",
                                    "Continue; home BP log.")) + " Low-sodium diet. Follow-up in 3 months."}
    if acute is not None:
        subjective, exam, plan = ACUTE_NOTES[acute[0]]
        return {"reason": acute[1], "subjective": subjective.format(days=rng.randint(2, 6)),
                "objective": f"{vitals_line}\n{exam}", "assessment": acute[1], "plan": plan}
    return {"reason": "Follow-up of chronic conditions",
            "subjective": f"Routine follow-up. Feeling {rng.choice(('well', 'tired lately', 'about the same'))}.",
            "objective": f"{vitals_line}\nNo acute distress.",
            "assessment": chronic,
            "plan": "Continue current medications. Labs before next visit. Follow-up in 3-6 months."}


# ---------------------------------------------------------------- the filler

def _find(s, given: str, family: str, birth: date) -> int | None:
    return s.execute(select(Patient.id).where(Patient.given_name == given, Patient.family_name == family,
                                              Patient.birth_date == birth)).scalar()


def fill_demo_charts(uow: UnitOfWork, patient_ids: Sequence[int], seed: int = 20261123, *, cap: int = CAP,
                     today: date | None = None, progress: ProgressFn | None = None) -> ChartFillStats:
    """Fill demo charts (see the module docstring). Only the system (the `demo` command) may, in the caller's
    unit of work."""
    from .demo import require_system

    require_system(uow)
    t0 = clock.perf_counter()
    rng = random.Random(seed)
    today = today or date.today()
    stats = ChartFillStats()
    _fill(uow, list(patient_ids), rng, today, cap, stats, progress)
    stats.seconds = clock.perf_counter() - t0
    log.info("demo charts: %s", stats)
    return stats


def _ticking(ids: list[int], stage: str, progress: ProgressFn | None) -> Iterator[int]:
    """The charts one by one, telling progress(done, total, stage) as each is filled."""
    for n, pid in enumerate(ids):
        if progress is not None:
            progress(n, len(ids), stage)
        yield pid
    if progress is not None:
        progress(len(ids), len(ids), stage)


def _fill(uow: UnitOfWork, patient_ids: list[int], rng: random.Random, today: date, cap: int,
          stats: ChartFillStats, progress: ProgressFn | None = None) -> None:
    s = uow.session
    physician = s.execute(select(User.id).where(User.username == "physician")).scalar() or \
        s.execute(select(User.id).where(User.role == "physician").order_by(User.id)).scalar()
    if physician is None:
        stats.skipped.append("everything (no physician user)")
        log.warning("demo charts skipped: no physician user")
        return
    large_id = _find(s, *LARGE)
    named = [i for i in (_find(s, *n) for n in NAMED) if i is not None]
    chosen = [pid for pid in sorted(patient_ids)[:cap] if rng.random() < SHARE]
    ordered = list(dict.fromkeys([*(i for i in [large_id, *named] if i is not None), *chosen]))
    if not ordered:
        return
    info = {r.id: _Patient(r.id, r.birth_date, r.sex) for r in s.execute(
        select(Patient.id, Patient.birth_date, Patient.sex).where(Patient.id.in_(ordered)))}
    codes = _valid_codes()
    products = _products(stats.skipped)
    vaccines = _vaccines(stats.skipped)
    stamp = {"version": 1, "created_by_id": physician, "updated_by_id": physician}
    # every clinical row is written through its entity service, as the demo physician would enter it in the
    # chart (validation, duplicate rules, NKDA, alert checks, audit), with the provenance "demo"
    acting = _acting(uow, physician)

    # problems
    for pid in _ticking(ordered, "charts: problems", progress):
        p = info[pid]
        age = _age(p.birth, today)
        if pid == large_id:
            picked = [c for c in CONDITIONS if c[0] in LARGE_CONDITIONS]
        else:
            picked = [c for c in CONDITIONS if age >= c[2] and rng.random() < (c[3] if age >= 50 else c[4])]
        for code, desc, *_ in picked:
            if code not in codes:
                continue
            onset = today - timedelta(days=rng.randint(365, int(max(366, min(age - c_min(code), 25) * 365))))
            if onset < p.birth:
                onset = p.birth + timedelta(days=365 * c_min(code))
            row = problems.add_problem(acting, pid, problems.ProblemInput(
                description=desc, icd10_code=code, onset_date=min(onset, today)), provenance=DEMO)
            p.conditions.append((code, desc))
            p.problem_ids[code] = row.id
            stats.problems += 1

    # allergies before medications, so each medication is checked against them: NKDA, drug allergies, others;
    # about a fifth left "not recorded"
    for pid in _ticking(ordered, "charts: allergies", progress):
        roll = rng.random()
        if pid != large_id and roll < 0.2:
            continue
        picked = [a for a in DRUG_ALLERGIES if rng.random() < a[5]]
        if pid == large_id:
            picked = [DRUG_ALLERGIES[0]]
        others = [a for a in OTHER_ALLERGIES if rng.random() < a[5]]
        for substance, category, reaction, severity, criticality, _share in [*picked, *others]:
            allergies.add_allergy(acting, pid, allergies.AllergyInput(
                substance=substance, category=category, reaction=reaction, severity=severity,
                criticality=criticality), provenance=DEMO)
            stats.allergies += 1
        if not picked:
            allergies.record_nkda(acting, pid, provenance=DEMO)
            stats.allergies += 1

    # medications for the conditions: an order the check would interrupt is left out, except on the large
    # chart, where the demo physician overrides it with a reason (shown in the chart's alert bar)
    drugs_of = {c[0]: c[5] for c in CONDITIONS}
    for pid in _ticking(ordered, "charts: medications", progress):
        p = info[pid]
        seen: set[str] = set()
        for code, _desc in p.conditions:
            wanted = drugs_of.get(code, ())
            if pid == large_id:
                picks = tuple(w for w in wanted if w not in LARGE_ALTERNATIVES_LEFT_OUT)
            else:
                picks = wanted[: rng.randint(1, max(1, len(wanted) // 2 + 1))]
            for key in picks:
                product = products.get(key)
                if product is None or product.id in seen:
                    continue
                seen.add(product.id)
                # never before the patient was old enough to have the condition (a child's inhaler)
                start = max(today - timedelta(days=rng.randint(30, 3000)), p.birth + timedelta(days=365 * c_min(code)))
                inp = medications.MedicationInput(
                    formulary_id=product.id, sig=product.default_sig, start_date=min(start, today), source="clinic")
                if _add_medication(acting, pid, inp, override=pid == large_id):
                    stats.medications += 1

    # immunizations
    for pid in _ticking(ordered, "charts: immunizations", progress):
        for inp in _immunizations(rng, info[pid], today, vaccines):
            try:
                immunizations.add_immunization(acting, pid, inp, provenance=DEMO)
            except ValidationError as exc:  # the service's duplicate rule (same vaccine, same day)
                log.info("demo immunization left out for patient %s: %s", pid, exc)
                continue
            stats.immunizations += 1

    # encounters with signed notes, each office visit with its vitals set (all patients in a few bulk inserts)
    visits: list[tuple[_Patient, dict, tuple]] = []
    units = display_units.practice_system(uow)  # the notes' vitals lines in the practice's units
    for pid in _ticking(ordered, "charts: visits", progress):
        n = LARGE_ENCOUNTERS if pid == large_id else rng.randint(3, 14)
        years = 20 if pid == large_id else rng.uniform(2, 5)
        visits.extend(_plan_visits(rng, info[pid], n, years, today, physician, codes, stamp,
                                   all_office=pid == large_id, units=units))
    stats.encounters, stats.vitals = _insert_visits(acting, rng, visits, today)
    if named:
        stats.vitals += _home_readings(acting, rng, named[0], today)
    stats.patients = len(ordered)
    stats.large_patient_id = large_id
    from .demo_labs import add_demo_results  # laboratory panels through the results service's bulk path

    stats.results = add_demo_results(uow, ordered, large_id, {pid: p.birth for pid, p in info.items()}, today)

    prescriber = s.execute(select(Prescriber.id).where(Prescriber.user_id == physician)).scalar()
    if prescriber is None:
        stats.skipped.append("prescriptions (no prescriber record for the physician)")
        log.info("demo prescriptions skipped: no prescriber record for the physician")
    else:
        stats.prescriptions = add_demo_prescriptions(uow, ordered, prescriber, rng) or 0
    uow.audit("create", "chart", None, summary=(
        f"demo charts: {stats.patients} patients, {stats.problems} problems, {stats.medications} medications, "
        f"{stats.encounters} encounters, {stats.vitals} vital-sign values, {stats.results} lab results"))


# the demo's reasoned override, shown in Harold Bennett's chart (alert bar, override record)
LARGE_OVERRIDE = ("Benefit outweighs risk", "Knee pain not controlled otherwise; shortest course, PPI cover, "
                                            "bleeding signs explained (demo)")


def _acting(uow: UnitOfWork, user_id: int) -> UnitOfWork:
    """The caller's transaction acting as the demo user (permission checks, audit rows and overrides name her)."""
    from .uow import CurrentUser

    user = uow.session.get(User, user_id)
    return uow.as_user(CurrentUser(id=user.id, username=user.username, display_name=user.display_name,
                                   role=user.role))


def _add_medication(acting: UnitOfWork, pid: int, inp, *, override: bool) -> bool:
    """Through the medication service: True when written. NeedsDecision is a physician's call: with `override`
    the demo physician overrides each interrupting alert with LARGE_OVERRIDE's reason (one AlertOverride each,
    as the alert dialog stores it); otherwise the drug is left out of the chart."""
    outcome = medications.add_medication(acting, pid, inp, provenance=DEMO)
    if isinstance(outcome, NeedsDecision) and override and outcome.kb_available and outcome.pending:
        decision = Decision(overrides=tuple((a, *LARGE_OVERRIDE) for a in outcome.pending))
        outcome = medications.add_medication(acting, pid, inp, decision, provenance=DEMO)
    return not isinstance(outcome, NeedsDecision)


def c_min(code: str) -> int:
    return next((c[2] for c in CONDITIONS if c[0] == code), 18)


def _immunizations(rng: random.Random, p: _Patient, today: date, vaccines: dict) -> list:
    if not vaccines:
        return []
    age = _age(p.birth, today)
    plan: list[tuple[str, date, bool]] = []  # (cvx, date, given here)
    if age >= 18:
        flu = "197" if age >= 65 else "150"
        for years_ago in range(rng.randint(0, 4)):
            plan.append((flu, date(today.year - years_ago - (today.month < 10), 10, rng.randint(1, 28)), True))
        plan.append(("115", today - timedelta(days=rng.randint(200, 3500)), rng.random() < 0.6))
        if age >= 65:
            plan.append(("216", today - timedelta(days=rng.randint(100, 1500)), True))
        if rng.random() < 0.7:
            plan.append(("208", date(2021, rng.randint(2, 6), rng.randint(1, 28)), False))
    else:
        for cvx, months in (("08", 0), ("20", 2), ("10", 2), ("116", 2), ("03", 12), ("21", 12), ("03", 48)):
            when = p.birth + timedelta(days=int(months * 30.4) + 1)
            if when <= today:
                plan.append((cvx, when, True))
    inputs = []
    for cvx, when, here in plan:
        v = vaccines.get(cvx.lstrip("0") or "0")
        if v is None or when < p.birth:
            continue
        inputs.append(ImmunizationInput(
            cvx_code=v.cvx, date_given=when,
            lot_number=f"{rng.choice('ABCDEFGHJK')}{rng.randint(1000, 99999)}" if here else "",
            manufacturer=v.manufacturer, site=rng.choice(SITES) if here and v.route == "intramuscular" else "",
            route=v.route, given_here=here, historical_source="" if here else "Patient's vaccination record"))
    return inputs


def _plan_visits(rng: random.Random, p: _Patient, n: int, years: float, today: date, physician: int,
                 codes: set[str], stamp: dict, all_office: bool = False,
                 units: str = display_units.METRIC) -> list[tuple[_Patient, dict, tuple]]:
    """n signed encounters spread over `years`; office visits carry one clinic vitals set of ten values."""
    start = max(p.birth + timedelta(days=30), today - timedelta(days=int(years * 365.25)))
    span = max(1, (today - start).days - 1)
    days = sorted(start + timedelta(days=int(span * (i + rng.random() * 0.8) / n)) for i in range(n))
    base = _baseline(rng, p, _age(p.birth, start))
    scale = rng.random()
    chronic_codes = {c for c, _ in p.conditions}
    out = []
    last_physical = None
    for i, day in enumerate(days):
        minutes = rng.randint(8 * 60 + 30, 16 * 60 + 30)
        age = _age(p.birth, day)
        acute = rng.choice(ACUTE) if rng.random() < 0.12 else None
        if acute and acute[0] not in codes:
            acute = None
        if acute:
            kind = "upper_respiratory_infection"
        elif age >= 18 and (last_physical is None or (day - last_physical).days > 330) and rng.random() < 0.6:
            kind, last_physical = "annual_physical", day
        elif "I10" in chronic_codes and rng.random() < 0.6:
            kind = "hypertension_followup"
        else:
            kind = "general_visit"
        values = _visit_values(rng, base if age >= 18 else _child(age, scale), age, i / max(1, n - 1),
                               acute is not None)
        visit_kind = "office" if all_office or acute or kind == "annual_physical" else \
            rng.choice(("office",) * 7 + ("telehealth", "telephone"))
        when = _local_utc(day, minutes)
        if visit_kind == "office":
            flags = {k: f for k, v in values.items() if (f := V.flag(k, v, age))}
            line = f"Vitals {minutes // 60:02d}:{minutes % 60:02d}: {V.summary_text(values, flags, units)}"
        else:  # nothing measured in the clinic on a remote visit
            values, line = {}, f"{visit_kind.capitalize()} visit: vitals not measured."
        text = _note(rng, kind, p.conditions, line, acute)
        signed_at = when + timedelta(minutes=rng.randint(20, 300))
        row = {"patient_id": p.id, "encounter_date": when, "kind": visit_kind, "provider_id": physician,
               "template": kind, **text, "status": "signed", "signed_at": signed_at, "signed_by_id": physician,
               "created_at": when, "updated_at": signed_at, **stamp}
        # an acute visit is coded with its acute diagnosis only (linked after insert); others with chronic ones
        dx = [] if acute else [c for c in (("I10",) if kind == "hypertension_followup" else sorted(chronic_codes))
                               if c in p.problem_ids]
        out.append((p, row, (when, values, dx[:3], acute)))
    return out


def _insert_visits(acting: UnitOfWork, rng: random.Random, visits: list[tuple[_Patient, dict, tuple]],
                   today: date, chunk: int = 10_000) -> tuple[int, int]:
    """The encounters in bulk (signed notes are not a chart list), each office visit's vitals set through the
    vitals service (one call per patient: record_vitals_sets), acute diagnoses through the problem service."""
    s = acting.session
    encounters = vitals_count = 0
    sets: dict[int, list[tuple[str, V.VitalsInput]]] = {}
    dx_rows: list[dict] = []
    acute_seen: dict[tuple[int, str], tuple[datetime, str]] = {}
    acute_links: list[tuple[int, int, str]] = []
    for first in range(0, len(visits), chunk):
        part = visits[first:first + chunk]
        ids = s.scalars(insert(Encounter).returning(Encounter.id, sort_by_parameter_order=True),
                        [row for _p, row, _plan in part]).all()
        for enc_id, (p, _row, (when, values, dx, acute)) in zip(ids, part):
            set_id = uuid.UUID(int=rng.getrandbits(128)).hex
            if values:
                typed = {V.BY_LOINC[loinc].key: value for loinc, value in values.items() if loinc != V.BMI}
                sets.setdefault(p.id, []).append((set_id, V.VitalsInput(
                    **typed, taken_at=when - timedelta(minutes=10), encounter_id=enc_id)))
            dx_rows.extend({"encounter_id": enc_id, "problem_id": p.problem_ids[c], "rank": r}
                           for r, c in enumerate(dx))
            if acute:
                acute_seen[(p.id, acute[0])] = (when, acute[1])
                acute_links.append((enc_id, p.id, acute[0]))
        encounters += len(ids)
    for pid, patient_sets in sets.items():
        saved = V.record_vitals_sets(acting, pid, patient_sets, provenance=DEMO)
        if isinstance(saved, NeedsDecision):  # a value far outside safe limits: re-checked at the visit
            saved = V.record_vitals_sets(acting, pid, patient_sets, _acknowledging(saved), provenance=DEMO)
        vitals_count += sum(len(x.values) for x in saved)
    # an acute diagnosis goes on the problem list once per patient, as resolved
    problem_of = {}
    for (pid, code), (when, desc) in acute_seen.items():
        row = problems.add_problem(acting, pid, problems.ProblemInput(
            description=desc, icd10_code=code, onset_date=when.date(),
            resolved_date=min(when.date() + timedelta(days=10), today), status="resolved"), provenance=DEMO)
        problem_of[(pid, code)] = row.id
    dx_rows.extend({"encounter_id": e, "problem_id": problem_of[(pid, code)], "rank": 0}
                   for e, pid, code in acute_links)
    if dx_rows:
        s.execute(insert(EncounterDiagnosis), dx_rows)
    return encounters, vitals_count


def _home_readings(acting: UnitOfWork, rng: random.Random, patient_id: int, today: date) -> int:
    """A home BP cuff's readings over three months, so trends show patient readings beside clinic ones."""
    readings = []
    for d in range(90, 0, -2):
        when = _local_utc(today - timedelta(days=d), 7 * 60 + rng.randint(0, 90))
        set_id = uuid.UUID(int=rng.getrandbits(128)).hex
        sys_ = round(rng.gauss(128, 8))
        for loinc, value in ((V.SYSTOLIC, sys_), (V.DIASTOLIC, round(min(rng.gauss(80, 5), sys_ - 30))),
                             (V.HEART_RATE, round(rng.gauss(70, 6)))):
            readings.append(V.Reading(set_id=set_id, taken_at=when, loinc=loinc, value=value,
                                      unit=V.BY_LOINC[loinc].unit, origin="patient", provenance=DEMO))
    what = "from a home blood-pressure cuff"
    written = V.add_readings(acting, patient_id, readings, what=what)
    if isinstance(written, NeedsDecision):
        written = V.add_readings(acting, patient_id, readings, _acknowledging(written), what=what)
    return written


def _acknowledging(need: NeedsDecision) -> Decision:
    """The demo user's answer to a vital-sign alert: the measurement was re-checked and is right (stored as an
    acknowledgement record, shown in the chart like any other)."""
    return Decision(acknowledged=tuple((a, "re-checked at the visit (demo)") for a in need.pending),
                    acknowledged_no_checking=not need.kb_available)


# ---------------------------------------------------------------- demo prescriptions

_DEMO_DRUGS = (
    # generic, strength, form, route, dose, unit, frequency, quantity, refills, schedule, ingredient RXCUI
    # (None: the formulary's verified code for the ingredient is used, or none when it has none)
    ("lisinopril", "10 mg", "oral tablet", "oral", "1", "tablet", "qd", 90, 3, "", None),
    ("metformin hydrochloride", "500 mg", "oral tablet", "oral", "1", "tablet", "bid", 180, 3, "", None),
    ("atorvastatin", "20 mg", "oral tablet", "oral", "1", "tablet", "qhs", 90, 3, "", None),
    ("amlodipine", "5 mg", "oral tablet", "oral", "1", "tablet", "qd", 90, 3, "", None),
    ("sertraline", "50 mg", "oral tablet", "oral", "1", "tablet", "qd", 30, 5, "", "36437"),
    ("levothyroxine sodium", "50 mcg", "oral tablet", "oral", "1", "tablet", "qam", 90, 3, "", None),
    ("omeprazole", "20 mg", "delayed release oral capsule", "oral", "1", "capsule", "qd", 30, 2, "", "7646"),
    ("amoxicillin", "500 mg", "oral capsule", "oral", "1", "capsule", "tid", 30, 0, "", None),
)
_DEMO_CONTROLLED = (
    ("tramadol hydrochloride", "50 mg", "oral tablet", "oral", "1", "tablet", "q6h", 20, 0, "IV", "10689"),
    ("oxycodone hydrochloride", "5 mg", "oral tablet", "oral", "1", "tablet", "q6h", 12, 0, "II", None),
)


def _ingredient_code(ingredient: str) -> str | None:
    """The formulary's verified RxNorm code for an ingredient (None when it has none or cannot load)."""
    from desktop.kb.errors import KnowledgeBaseError
    from desktop.kb.formulary import load_formulary

    try:
        found = load_formulary().ingredient_by_name(ingredient)
    except KnowledgeBaseError as exc:
        log.warning("demo prescription for %s left uncoded: formulary unavailable (%s)", ingredient, exc)
        return None
    return found.rxcui if found is not None and found.rxcui else None


def add_demo_prescriptions(uow: UnitOfWork, patient_ids: Sequence[int], prescriber_id: int, rng,
                           *, share: float = 0.8) -> int:
    """Active, signed prescriptions for about `share` of the patients (the first always; at least one
    controlled substance when the prescriber has a DEA number), each on the medication list.

    Written through the prescription service as the prescriber (create_draft, then sign with its alert check,
    which also puts the drug on the medication list); a drug whose ingredient is already on the patient's
    active list is skipped, and one that signing would interrupt (an allergy, an interaction) is rolled back
    (a savepoint), so no demo prescription stands without a physician's decision.
    Returns the number of prescriptions written.
    """
    from .demo import require_system
    from .errors import NotFound
    from .prescriptions import RxInput, create_draft, sign

    require_system(uow)
    s = uow.session
    prescriber = s.get(Prescriber, prescriber_id)
    if prescriber is None:
        raise NotFound(f"no prescriber with id {prescriber_id}")
    acting = _acting(uow, prescriber.user_id)
    today = date.today()
    written = 0
    controlled_done = False
    ids = list(patient_ids)
    have: dict[int, set[str]] = {}
    for pid, ingredients in s.execute(select(Medication.patient_id, Medication.ingredients).where(
            Medication.patient_id.in_(ids), Medication.status == "active", Medication.entered_in_error.is_(False))):
        have.setdefault(pid, set()).update(i for i in (ingredients or "").split("+") if i)
    addressed = {pid for pid, a, c in s.execute(select(Patient.id, Patient.address_line1, Patient.city)
                                               .where(Patient.id.in_(ids))) if (a or "").strip() and (c or "").strip()}
    for n, pid in enumerate(ids):
        if n and rng.random() > share:
            continue
        picks = rng.sample(_DEMO_DRUGS, rng.randint(1, 3))
        if prescriber.dea_number and pid in addressed and (not controlled_done or rng.random() < 0.08):
            picks.append(rng.choice(_DEMO_CONTROLLED))
        for generic, strength, form, route, dose, unit, freq, qty, refills, sched, rxcui in picks:
            ingredient = generic.split(" ")[0]
            if ingredient in have.get(pid, ()):
                continue
            rxcui = rxcui or _ingredient_code(ingredient)
            prn = freq == "q6h"
            inp = RxInput(drug_name=generic, ingredients=ingredient, ingredient_rxcui=rxcui, strength=strength,
                          dose_form=form, route=route, dose=dose, dose_unit=unit, frequency=freq, prn=prn,
                          prn_indication="pain" if prn else "", quantity=qty, quantity_unit=unit,
                          refills=refills, dea_schedule=sched)
            point = acting.savepoint()
            draft = create_draft(acting, pid, inp)
            outcome = sign(acting, draft.id, today=today - timedelta(days=rng.randint(0, 120)))
            if isinstance(outcome, NeedsDecision):
                point.rollback()  # the check would interrupt this order: the demo does not write it
                continue
            point.commit()
            have.setdefault(pid, set()).add(ingredient)
            controlled_done = controlled_done or bool(sched)
            written += 1
    return written
