"""Encounters and their SOAP notes: create, draft (optimistic lock), autosave/recover, sign, addenda.

Rules: nurses and physicians draft; only physicians sign; a signed note never changes (corrections are
addenda with author and time). Autosave writes NoteAutosave only, so it never bumps the encounter's version
and never collides with another workstation's draft save.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from desktop.models import Addendum, Encounter, EncounterDiagnosis, NoteAutosave, Patient, Problem, User

from . import display_units, history_summary, note_templates, vitals
from .chart_rows import refuse_before_birth, visible_text
from .errors import ConflictError, NotFound, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

KINDS = ("office", "telephone", "telehealth")
KIND_LABELS = {"office": "Office visit", "telephone": "Telephone", "telehealth": "Telehealth"}
SECTION_LABELS = {"reason": "Reason", "subjective": "Subjective", "objective": "Objective",
                  "assessment": "Assessment", "plan": "Plan", "diagnoses": "Diagnoses"}
MAX_SECTION = 100_000


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else _utc(dt).astimezone().replace(tzinfo=None)


# ---------------------------------------------------------------- shapes

@dataclass(frozen=True, slots=True)
class EncounterInput:
    encounter_date: datetime | None = None  # local wall-clock or aware; None: now
    kind: str = "office"
    reason: str = ""
    provider_id: int | None = None  # None: the current user when a physician
    template: str = ""  # note template key; its sections pre-fill the note


@dataclass(frozen=True, slots=True)
class VisitInput:
    """A draft's visit details: when, what kind of contact, which physician."""

    encounter_date: datetime | None  # local wall-clock or aware
    kind: str
    provider_id: int | None


@dataclass(frozen=True, slots=True)
class NoteContent:
    """What the editor holds: the reason line, the four SOAP sections and the linked problems (ranked)."""

    reason: str = ""
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    diagnosis_ids: tuple[int, ...] = ()

    def texts(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("reason", "subjective", "objective", "assessment", "plan")}

    def to_json(self) -> str:
        return json.dumps({**self.texts(), "diagnosis_ids": list(self.diagnosis_ids)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> NoteContent:
        data = json.loads(text)
        return cls(**{k: str(data.get(k, "")) for k in ("reason", "subjective", "objective", "assessment", "plan")},
                   diagnosis_ids=tuple(int(i) for i in data.get("diagnosis_ids", ())))


@dataclass(frozen=True, slots=True)
class DiagnosisLink:
    problem_id: int
    description: str
    icd10_code: str
    status: str

    @property
    def text(self) -> str:
        return f"{self.icd10_code} {self.description}".strip()


@dataclass(frozen=True, slots=True)
class AddendumRow:
    id: int
    text: str
    author: str
    created_at: datetime  # local


@dataclass(frozen=True, slots=True)
class EncounterDetails:
    id: int
    patient_id: int
    version: int
    encounter_date: datetime  # local
    kind: str
    provider_id: int | None
    provider_name: str
    template: str
    content: NoteContent
    diagnoses: tuple[DiagnosisLink, ...]
    status: str
    signed_at: datetime | None  # local
    signed_by: str
    addenda: tuple[AddendumRow, ...]
    entered_in_error: bool
    updated_by: str

    @property
    def signed(self) -> bool:
        return self.status == "signed"

    @property
    def signature(self) -> str:
        if not self.signed or self.signed_at is None:
            return ""
        return f"Electronically signed by {self.signed_by} on {self.signed_at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class EncounterRow:
    id: int
    encounter_date: datetime  # local
    kind: str
    reason: str
    provider: str
    status: str
    signed_at: datetime | None
    signed_by: str
    diagnoses: str  # "I10, E11.9"
    entered_in_error: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class EncounterPage:
    rows: tuple[EncounterRow, ...]
    total: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True, slots=True)
class RecoveredDraft:
    """Unsaved text found after a crash (or a close without saving)."""

    content: NoteContent
    saved_at: datetime  # local
    base_version: int
    current_version: int

    @property
    def saved_since(self) -> bool:
        """Someone saved the note after this text was typed: merge with care."""
        return self.current_version != self.base_version


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    name: str


# ---------------------------------------------------------------- helpers

def _load(uow: UnitOfWork, encounter_id: int) -> Encounter:
    e = uow.session.get(Encounter, encounter_id)
    if e is None:
        raise NotFound(f"no encounter with id {encounter_id}")
    return e


def _names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(uow.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def _diagnoses(uow: UnitOfWork, encounter_id: int) -> tuple[DiagnosisLink, ...]:
    rows = uow.session.execute(
        select(Problem.id, Problem.description, Problem.icd10_code, Problem.status)
        .join(EncounterDiagnosis, EncounterDiagnosis.problem_id == Problem.id)
        .where(EncounterDiagnosis.encounter_id == encounter_id)
        .order_by(EncounterDiagnosis.rank, Problem.id)
    ).all()
    return tuple(DiagnosisLink(r.id, r.description, r.icd10_code or "", r.status) for r in rows)


def _details(uow: UnitOfWork, e: Encounter) -> EncounterDetails:
    dx = _diagnoses(uow, e.id)
    adds = uow.session.execute(
        select(Addendum, User.display_name).join(User, User.id == Addendum.author_id)
        .where(Addendum.encounter_id == e.id).order_by(Addendum.created_at, Addendum.id)
    ).all()
    names = _names(uow, {e.provider_id, e.signed_by_id, e.updated_by_id})
    content = NoteContent(reason=e.reason, subjective=e.subjective, objective=e.objective,
                          assessment=e.assessment, plan=e.plan, diagnosis_ids=tuple(d.problem_id for d in dx))
    return EncounterDetails(
        id=e.id, patient_id=e.patient_id, version=e.version, encounter_date=_local(e.encounter_date),
        kind=e.kind, provider_id=e.provider_id, provider_name=names.get(e.provider_id, ""), template=e.template,
        content=content, diagnoses=dx, status=e.status, signed_at=_local(e.signed_at),
        signed_by=names.get(e.signed_by_id, ""),
        addenda=tuple(AddendumRow(a.id, a.text, name, _local(a.created_at)) for a, name in adds),
        entered_in_error=e.entered_in_error, updated_by=names.get(e.updated_by_id, ""),
    )


def _clean(content: NoteContent) -> NoteContent:
    ids = tuple(dict.fromkeys(content.diagnosis_ids))  # keep the order, drop repeats
    # text pasted from elsewhere: its NUL (PostgreSQL refuses the whole save) and zero-width characters go
    texts = {k: visible_text(v) for k, v in content.texts().items()}
    return replace(content, **{**texts, "reason": texts["reason"].strip()}, diagnosis_ids=ids)


def _validate(uow: UnitOfWork, patient_id: int, content: NoteContent) -> None:
    errors = {}
    if len(content.reason) > 300:
        errors["reason"] = "Too long (300 characters at most)"
    for name in ("subjective", "objective", "assessment", "plan"):
        if len(getattr(content, name)) > MAX_SECTION:
            errors[name] = f"Too long ({MAX_SECTION:,} characters at most)"
    if content.diagnosis_ids:
        found = set(uow.session.execute(
            select(Problem.id).where(Problem.id.in_(content.diagnosis_ids), Problem.patient_id == patient_id,
                                     Problem.entered_in_error.is_(False))
        ).scalars())
        if found != set(content.diagnosis_ids):
            errors["diagnoses"] = "A linked diagnosis is not on this patient's problem list"
    if errors:
        raise ValidationError(errors)


def _dx_text(uow: UnitOfWork, ids: tuple[int, ...]) -> str:
    if not ids:
        return ""
    rows = dict(uow.session.execute(
        select(Problem.id, func.coalesce(Problem.icd10_code, Problem.description)).where(Problem.id.in_(ids))
    ).all())
    return ", ".join(rows.get(i, str(i)) for i in ids)


def _mine_theirs(e: Encounter, content: NoteContent, uow: UnitOfWork) -> tuple[dict, dict]:
    mine = {**content.texts(), "diagnoses": _dx_text(uow, content.diagnosis_ids),
            "diagnosis_ids": list(content.diagnosis_ids)}
    dx = tuple(d.problem_id for d in _diagnoses(uow, e.id))
    theirs = {"reason": e.reason, "subjective": e.subjective, "objective": e.objective,
              "assessment": e.assessment, "plan": e.plan, "diagnoses": _dx_text(uow, dx),
              "diagnosis_ids": list(dx)}
    return mine, theirs


def _conflict(uow: UnitOfWork, e: Encounter, content: NoteContent) -> ConflictError:
    mine, theirs = _mine_theirs(e, content, uow)
    return ConflictError(entity="note", entity_id=e.id, mine=mine, theirs=theirs, their_version=e.version,
                         changed_by=_names(uow, {e.updated_by_id}).get(e.updated_by_id, ""))


def _apply(uow: UnitOfWork, e: Encounter, content: NoteContent) -> None:
    """Links first, then the text: statements run before any attribute changes, so one save is one
    UPDATE and one version bump (autoflush would otherwise write the encounter twice)."""
    s = uow.session
    current = [d.problem_id for d in _diagnoses(uow, e.id)]
    links_changed = current != list(content.diagnosis_ids)
    if links_changed:
        s.execute(delete(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == e.id))
        s.add_all(EncounterDiagnosis(encounter_id=e.id, problem_id=pid, rank=rank)
                  for rank, pid in enumerate(content.diagnosis_ids))
    e.reason = content.reason
    e.subjective, e.objective = content.subjective, content.objective
    e.assessment, e.plan = content.assessment, content.plan
    e.updated_by_id = uow.user.id
    if links_changed:
        e.updated_at = datetime.now(UTC)  # a link-only change still bumps the version: it is part of the note


def _flush(uow: UnitOfWork, e: Encounter, content: NoteContent) -> None:
    try:
        uow.session.flush()
    except StaleDataError as exc:  # saved by another workstation between our read and this UPDATE
        raise ConflictError(entity="note", entity_id=e.id, mine=content.texts()) from exc


def _check_visit(uow: UnitOfWork, encounter_date: datetime | None, kind: str, provider_id: int | None,
                 errors: dict[str, str]) -> tuple[datetime, int | None]:
    """The visit's date (UTC), type and physician, checked; problems go into `errors` by field."""
    # a naive time is the user's local wall-clock time; astimezone() reads it that way
    when = encounter_date.astimezone(UTC) if encounter_date else datetime.now(UTC)
    if when > datetime.now(UTC) + timedelta(days=1):
        errors["encounter_date"] = "The encounter date cannot be in the future"
    if kind not in KINDS:
        errors["kind"] = "Choose office, telephone or telehealth"
    if provider_id is None and uow.user.role == "physician":
        provider_id = uow.user.id
    if provider_id is None:
        errors["provider_id"] = "Choose the physician for this encounter"
    else:
        role = uow.session.execute(select(User.role).where(User.id == provider_id)).scalar_one_or_none()
        if role != "physician":
            errors["provider_id"] = "The provider must be a physician"
    return when, provider_id


class NoteSigned(ServiceError):
    """The note was signed (perhaps on another workstation) after this editor opened it: the editor shows it
    signed and offers the unsaved text as an addendum."""


def _require_draft(e: Encounter) -> None:
    if e.entered_in_error:
        raise ServiceError("this encounter was marked entered in error")
    if e.status == "signed":
        raise NoteSigned("this note is signed and can no longer be changed; add an addendum instead")


# ---------------------------------------------------------------- queries

def list_providers(uow: UnitOfWork) -> list[Provider]:
    uow.require(Permission.VIEW_CHART)
    rows = uow.session.execute(
        select(User.id, User.display_name).where(User.role == "physician", User.active.is_(True))
        .order_by(User.display_name)
    ).all()
    return [Provider(r.id, r.display_name) for r in rows]


def list_encounters(uow: UnitOfWork, patient_id: int, offset: int = 0, limit: int = 100,
                    include_in_error: bool = False) -> EncounterPage:
    """Newest first, one page; three queries whatever the page size (no query per row)."""
    uow.require(Permission.VIEW_CHART)
    limit = max(1, min(limit, 1000))
    s = uow.session
    cond = [Encounter.patient_id == patient_id]
    if not include_in_error:
        cond.append(Encounter.entered_in_error.is_(False))
    total = s.execute(select(func.count(Encounter.id)).where(*cond)).scalar() or 0
    provider, signer = aliased(User), aliased(User)
    rows = s.execute(
        select(Encounter.id, Encounter.encounter_date, Encounter.kind, Encounter.reason, Encounter.status,
               Encounter.signed_at, Encounter.entered_in_error, provider.display_name.label("provider"),
               signer.display_name.label("signer"))
        .outerjoin(provider, provider.id == Encounter.provider_id)
        .outerjoin(signer, signer.id == Encounter.signed_by_id)
        .where(*cond).order_by(Encounter.encounter_date.desc(), Encounter.id.desc()).offset(offset).limit(limit)
    ).all()
    codes: dict[int, list[str]] = {}
    if rows:
        for eid, code, desc in s.execute(
            select(EncounterDiagnosis.encounter_id, Problem.icd10_code, Problem.description)
            .join(Problem, Problem.id == EncounterDiagnosis.problem_id)
            .where(EncounterDiagnosis.encounter_id.in_([r.id for r in rows]))
            .order_by(EncounterDiagnosis.encounter_id, EncounterDiagnosis.rank)
        ).all():
            codes.setdefault(eid, []).append(code or desc)
    out = tuple(
        EncounterRow(r.id, _local(r.encounter_date), r.kind, r.reason, r.provider or "", r.status,
                     _local(r.signed_at), r.signer or "", ", ".join(codes.get(r.id, [])), r.entered_in_error)
        for r in rows
    )
    return EncounterPage(out, total, offset)


def get_encounter(uow: UnitOfWork, encounter_id: int) -> EncounterDetails:
    uow.require(Permission.VIEW_CHART)
    e = _load(uow, encounter_id)
    uow.audit("view", "encounter", e.id, e.patient_id)
    return _details(uow, e)


@dataclass(frozen=True, slots=True)
class ProblemChoice:
    id: int
    description: str
    icd10_code: str
    status: str

    @property
    def text(self) -> str:
        return f"{self.icd10_code} {self.description}".strip() + ("" if self.status == "active"
                                                                  else f" ({self.status})")


def problem_choices(uow: UnitOfWork, patient_id: int) -> list[ProblemChoice]:
    """The patient's problem list for the diagnosis linker: active first."""
    uow.require(Permission.VIEW_CHART)
    rows = uow.session.execute(
        select(Problem.id, Problem.description, Problem.icd10_code, Problem.status)
        .where(Problem.patient_id == patient_id, Problem.entered_in_error.is_(False))
        .order_by((Problem.status != "active"), Problem.description)
    ).all()
    return [ProblemChoice(r.id, r.description, r.icd10_code or "", r.status) for r in rows]


def vitals_for_encounter(uow: UnitOfWork, encounter_id: int) -> str:
    """The clinic vitals taken on the encounter's day, formatted for the Objective section."""
    e = _load(uow, encounter_id)
    return vitals.vitals_text_for_day(uow, e.patient_id, _local(e.encounter_date).date(),
                                      display_units.unit_system(uow))


# ---------------------------------------------------------------- writes

def create_encounter(uow: UnitOfWork, patient_id: int, inp: EncounterInput) -> EncounterDetails:
    uow.require(Permission.DRAFT_NOTE)
    s = uow.session
    if s.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    errors: dict[str, str] = {}
    when, provider_id = _check_visit(uow, inp.encounter_date, inp.kind, inp.provider_id, errors)
    reason = inp.reason.strip()
    if len(reason) > 300:
        errors["reason"] = "Too long (300 characters at most)"
    template = note_templates.get_template(inp.template) if inp.template else None
    if inp.template and template is None:
        errors["template"] = f"No note template {inp.template!r}"
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, encounter_date=(when, "The encounter date"))
    sections = {"subjective": "", "objective": "", "assessment": "", "plan": ""}
    if template is not None:
        day = when.astimezone().date()
        social = history_summary.social_history_text(uow, patient_id) if template.wants_social_history else ""
        sections = template.sections(
            vitals.vitals_text_for_day(uow, patient_id, day, display_units.unit_system(uow)), social)
        reason = reason or template.reason
    e = Encounter(patient_id=patient_id, encounter_date=when, kind=inp.kind, reason=reason,
                  provider_id=provider_id, template=inp.template, status="draft", created_by_id=uow.user.id,
                  updated_by_id=uow.user.id, **sections)
    s.add(e)
    s.flush()
    uow.audit("create", "encounter", e.id, patient_id, f"{KIND_LABELS[inp.kind]}: {reason}")
    return _details(uow, e)


def save_draft(uow: UnitOfWork, encounter_id: int, content: NoteContent, expected_version: int) -> EncounterDetails:
    """Save the editor's text. Someone saved since it was loaded -> ConflictError carrying both texts."""
    uow.require(Permission.DRAFT_NOTE)
    content = _clean(content)
    e = _load(uow, encounter_id)
    _require_draft(e)
    _validate(uow, e.patient_id, content)
    if e.version != expected_version:
        raise _conflict(uow, e, content)
    _apply(uow, e, content)
    _flush(uow, e, content)
    _drop_autosave(uow, e.id)
    uow.audit("update", "encounter", e.id, e.patient_id, "draft saved")
    return _details(uow, e)


def update_visit(uow: UnitOfWork, encounter_id: int, inp: VisitInput, expected_version: int) -> EncounterDetails:
    """Correct a draft's date, type or physician (a signed note's stay as signed: use an addendum)."""
    uow.require(Permission.DRAFT_NOTE)
    e = _load(uow, encounter_id)
    _require_draft(e)
    errors: dict[str, str] = {}
    when, provider_id = _check_visit(uow, inp.encounter_date, inp.kind, inp.provider_id, errors)
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, e.patient_id, encounter_date=(when, "The encounter date"))
    if e.version != expected_version:
        raise ConflictError(entity="encounter", entity_id=e.id, their_version=e.version,
                            changed_by=_names(uow, {e.updated_by_id}).get(e.updated_by_id, ""))
    before = _visit_text(uow, e.encounter_date, e.kind, e.provider_id)
    after = _visit_text(uow, when, inp.kind, provider_id)
    if before == after:
        return _details(uow, e)
    e.encounter_date, e.kind, e.provider_id = when, inp.kind, provider_id
    e.updated_by_id = uow.user.id
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise ConflictError(entity="encounter", entity_id=e.id) from exc
    uow.audit("update", "encounter", e.id, e.patient_id, f"visit details: {before} -> {after}")
    return _details(uow, e)


def _visit_text(uow: UnitOfWork, when: datetime, kind: str, provider_id: int | None) -> str:
    who = _names(uow, {provider_id}).get(provider_id, "") if provider_id else ""
    return f"{KIND_LABELS.get(kind, kind)} {_local(when):%Y-%m-%d %H:%M}" + (f", {who}" if who else "")


def sign(uow: UnitOfWork, encounter_id: int, expected_version: int,
         content: NoteContent | None = None) -> EncounterDetails:
    """Physician only. Saves `content` first when given; afterwards the note is read-only."""
    uow.require(Permission.SIGN_NOTE)
    e = _load(uow, encounter_id)
    _require_draft(e)
    if e.version != expected_version:
        raise _conflict(uow, e, content or NoteContent())
    if content is not None:
        content = _clean(content)
        _validate(uow, e.patient_id, content)
        _apply(uow, e, content)
    if not any((e.subjective.strip(), e.objective.strip(), e.assessment.strip(), e.plan.strip())):
        raise ValidationError({"assessment": "An empty note cannot be signed"})
    unfilled = _unfilled(e)
    if unfilled:
        raise ValidationError(unfilled)
    e.status = "signed"
    e.signed_at = datetime.now(UTC)
    e.signed_by_id = uow.user.id
    e.updated_by_id = uow.user.id
    _flush(uow, e, content or NoteContent())
    uow.session.execute(delete(NoteAutosave).where(NoteAutosave.encounter_id == e.id))
    uow.audit("sign", "encounter", e.id, e.patient_id, f"signed by {uow.user.display_name}")
    return _details(uow, e)


def _unfilled(e: Encounter) -> dict[str, str]:
    """Template fields still marked (*** or {a/b}), per section, in words the physician can act on."""
    errors = {}
    for key in ("reason", "subjective", "objective", "assessment", "plan"):
        found = note_templates.marked_fields(getattr(e, key) or "")
        if found:
            shown = ", ".join(dict.fromkeys(text for _s, _e, text in found))
            errors[key] = (f"{SECTION_LABELS[key]}: {len(found)} marked field{'s' if len(found) > 1 else ''} "
                           f"not filled ({shown}); press F2 to go to each and fill it in before signing")
    return errors


def add_addendum(uow: UnitOfWork, encounter_id: int, text: str) -> AddendumRow:
    """A correction or later note on a signed encounter; author and time are recorded and shown."""
    uow.require(Permission.DRAFT_NOTE)
    e = _load(uow, encounter_id)
    if e.entered_in_error:  # the wrong chart, or a duplicate: nothing more is written to it
        raise ServiceError("this encounter was marked entered in error")
    if e.status != "signed":
        raise ServiceError("this note is still a draft: edit it directly")
    text = visible_text(text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the addendum"})
    if len(text) > MAX_SECTION:
        raise ValidationError({"text": f"Too long ({MAX_SECTION:,} characters at most)"})
    if uow.user.id is None:
        raise ServiceError("an addendum needs a signed-in author")
    a = Addendum(encounter_id=e.id, text=text, author_id=uow.user.id, created_at=datetime.now(UTC))
    uow.session.add(a)
    uow.session.flush()
    uow.audit("create", "addendum", a.id, e.patient_id, f"addendum to encounter {e.id}")
    return AddendumRow(a.id, a.text, uow.user.display_name, _local(a.created_at))


def mark_encounter_in_error(uow: UnitOfWork, encounter_id: int, reason: str, expected_version: int) -> None:
    """Wrong patient or duplicate: the encounter stays (never deleted) but leaves the list. Signed: physician."""
    e = _load(uow, encounter_id)
    uow.require(Permission.SIGN_NOTE if e.status == "signed" else Permission.DRAFT_NOTE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this encounter is in error"})
    if e.entered_in_error:
        raise ServiceError("this encounter is already marked entered in error")
    if e.version != expected_version:
        raise _conflict(uow, e, NoteContent())
    e.entered_in_error = True
    e.error_reason = reason[:1000]
    e.error_at = datetime.now(UTC)
    e.error_by_id = uow.user.id
    e.updated_by_id = uow.user.id
    _flush(uow, e, NoteContent())
    uow.audit("error", "encounter", e.id, e.patient_id, reason)


def add_problem_for_note(uow: UnitOfWork, patient_id: int, description: str, icd10_code: str = "") -> ProblemChoice:
    """A new diagnosis from the note editor goes on the problem list (or reuses the active one with that code)."""
    from . import icd10, problems

    code = icd10.normalise_code(icd10_code) if icd10_code.strip() else ""
    if code:
        existing = uow.session.execute(
            select(Problem).where(Problem.patient_id == patient_id, Problem.icd10_code == code,
                                  Problem.status == "active", Problem.entered_in_error.is_(False)).limit(1)
        ).scalar_one_or_none()
        if existing is not None:
            uow.require(Permission.VIEW_CHART)
            return ProblemChoice(existing.id, existing.description, existing.icd10_code or "", existing.status)
    row = problems.add_problem(uow, patient_id, problems.ProblemInput(description=description, icd10_code=code,
                                                                      onset_date=date.today()))
    return ProblemChoice(row.id, row.description, row.icd10_code, row.status)


# ---------------------------------------------------------------- autosave

def autosave(uow: UnitOfWork, encounter_id: int, content: NoteContent, base_version: int | None = None) -> datetime:
    """Keep the editor's unsaved text (one row per user and note). Not audited: it is not a chart change,
    and a row every few seconds would drown the audit log; the draft save and the signature are audited."""
    uow.require(Permission.DRAFT_NOTE)
    if uow.user.id is None:
        raise ServiceError("autosave needs a signed-in user")
    e = _load(uow, encounter_id)
    _require_draft(e)
    now = datetime.now(UTC)
    row = uow.session.get(NoteAutosave, (encounter_id, uow.user.id))
    payload = content.to_json()
    version = e.version if base_version is None else base_version
    if row is None:
        uow.session.add(NoteAutosave(encounter_id=encounter_id, user_id=uow.user.id, content_json=payload,
                                     saved_at=now, base_version=version))
    else:
        row.content_json, row.saved_at, row.base_version = payload, now, version
    return now


def recover_autosave(uow: UnitOfWork, encounter_id: int) -> RecoveredDraft | None:
    """This user's autosaved text that differs from the saved note (None when there is nothing to offer)."""
    uow.require(Permission.DRAFT_NOTE)
    if uow.user.id is None:
        return None
    e = _load(uow, encounter_id)
    row = uow.session.get(NoteAutosave, (encounter_id, uow.user.id))
    if row is None or e.status != "draft":
        return None
    try:
        content = NoteContent.from_json(row.content_json)
    except (ValueError, TypeError, AttributeError):
        return None  # unreadable: nothing to offer (the saved note is intact)
    saved = NoteContent(reason=e.reason, subjective=e.subjective, objective=e.objective,
                        assessment=e.assessment, plan=e.plan,
                        diagnosis_ids=tuple(d.problem_id for d in _diagnoses(uow, e.id)))
    if content == saved:
        return None
    return RecoveredDraft(content, _local(row.saved_at), row.base_version, e.version)


def discard_autosave(uow: UnitOfWork, encounter_id: int) -> None:
    uow.require(Permission.DRAFT_NOTE)
    _drop_autosave(uow, encounter_id)


def _drop_autosave(uow: UnitOfWork, encounter_id: int) -> None:
    if uow.user.id is not None:
        uow.session.execute(delete(NoteAutosave).where(NoteAutosave.encounter_id == encounter_id,
                                                       NoteAutosave.user_id == uow.user.id))


def content_dict(content: NoteContent) -> dict:
    return asdict(content)
