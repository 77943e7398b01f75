"""Helpers every chart-list service shares: load a row of this patient, the optimistic-lock check with both
versions, entered-in-error with a reason, input cleaning, date and length checks, and provenance (where an
entry came from when it was not typed in this clinic: a PHR file's import id, source system, resource id and
date). Field lengths come from the model columns, never repeated as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from desktop.models import Patient, User

from .errors import ConflictError, NotFound, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

T = TypeVar("T")


# ---------------------------------------------------------------- column lengths

def column_length(model: Any, name: str) -> int | None:
    """The declared length of a string column (None: unlimited text)."""
    return getattr(model.__table__.c[name].type, "length", None)


# unlimited text columns still get a sane limit: a longer note or sig is a paste accident
TEXT_LIMITS = {"note": 4000, "sig": 2000}


def check_lengths(errors: dict[str, str], model: Any, values: dict[str, Any]) -> None:
    """'Too long (N characters at most)' for each value longer than its column (or TEXT_LIMITS for text)."""
    for name, value in values.items():
        limit = column_length(model, name) or TEXT_LIMITS.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit and name not in errors:
            errors[name] = f"Too long ({limit} characters at most)"


def clip(model: Any, name: str, value: Any) -> Any:
    """Outside data (a PHR file) cut to fit its column, marked with an ellipsis; typed data is refused instead."""
    limit = column_length(model, name) or TEXT_LIMITS.get(name)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


# ---------------------------------------------------------------- provenance

@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an entry came from when it was not entered here: stored on the row, shown in the chart."""

    import_id: int | None = None  # the PhrImport record
    source_system: str = ""
    resource_id: str = ""
    source_date: datetime | None = None

    def stamp(self, row: Any) -> None:
        row.phr_import_id = self.import_id
        row.source_system = clip(type(row), "source_system", self.source_system or None)
        row.source_resource_id = clip(type(row), "source_resource_id", self.resource_id or None)
        row.source_date = _utc(self.source_date) if self.source_date else None

    def values(self, model: Any) -> dict[str, Any]:
        """The same as column values, for a bulk insert."""
        return dict(phr_import_id=self.import_id,
                    source_system=clip(model, "source_system", self.source_system or None),
                    source_resource_id=clip(model, "source_resource_id", self.resource_id or None),
                    source_date=_utc(self.source_date) if self.source_date else None)

    def describe(self) -> str:
        if self.import_id is None:  # not a file: the demo builder ("demo")
            return f"from {self.source_system or 'outside the clinic'}"
        return f"PHR import #{self.import_id}" + (f" from {self.source_system}" if self.source_system else "")


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


PROVENANCE_FIELDS = ("phr_import_id", "source_system", "source_resource_id", "source_date")

# what the demo builder passes: its rows say where they came from, as an imported row does
DEMO = Provenance(source_system="demo")

def require_patient(uow: UnitOfWork, patient_id: int) -> None:
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")


def refuse_before_birth(uow: UnitOfWork, patient_id: int, **dates: tuple[date | datetime | None, str]) -> None:
    """field=(date, label): a date of the chart before the patient was born is a slip (2010 typed for 2020),
    refused at its field. A time is compared by its local calendar day."""
    born = uow.session.get(Patient, patient_id).birth_date if dates else None  # type: ignore[union-attr]
    if born is None:
        return
    errors = {}
    for name, (when, label) in dates.items():
        day = when.astimezone().date() if isinstance(when, datetime) else when
        if day is not None and day < born:
            errors[name] = f"{label} is before the patient's birth ({born.isoformat()})"
    if errors:
        raise ValidationError(errors)


def load_row(uow: UnitOfWork, model: type[T], row_id: int, label: str) -> T:
    row = uow.session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {label} with id {row_id}")
    return row


def user_name(uow: UnitOfWork, user_id: int | None) -> str:
    if user_id is None:
        return ""
    u = uow.session.get(User, user_id)
    return u.display_name if u else ""


def check_version(uow: UnitOfWork, row: Any, expected_version: int, entity: str, mine: dict,
                  names: Iterable[str]) -> None:
    """Someone saved this row since the form was loaded: refuse, carrying both versions for the dialog."""
    if row.version != expected_version:
        raise ConflictError(
            entity=entity, entity_id=row.id, mine=dict(mine), theirs={n: getattr(row, n) for n in names},
            their_version=row.version, changed_by=user_name(uow, row.updated_by_id),
        )


def flush(uow: UnitOfWork, entity: str, row_id: int, mine: dict | None = None) -> None:
    """Flush now so a write racing between our read and this UPDATE surfaces as a conflict, not a crash."""
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise ConflictError(entity=entity, entity_id=row_id, mine=dict(mine or {})) from exc


def mark_in_error(uow: UnitOfWork, row: Any, reason: str, expected_version: int, entity: str,
                  what: str) -> None:
    """Clinical rows are never deleted: flag entered-in-error with who, when and why (audited)."""
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is in error"})
    if len(reason) > 1000:
        raise ValidationError({"reason": "Too long (1000 characters at most)"})
    if row.entered_in_error:
        raise ServiceError(f"this {entity} is already marked entered in error")
    check_version(uow, row, expected_version, entity, {}, ())
    row.entered_in_error = True
    row.error_reason = reason
    row.error_at = datetime.now(UTC)
    row.error_by_id = uow.user.id
    row.updated_by_id = uow.user.id
    flush(uow, entity, row.id)
    uow.audit("error", entity, row.id, row.patient_id, f"{what}; reason: {reason}")


# what text pasted from a web page, a PDF or a word processor brings along unseen: zero-width spaces and joiners,
# soft hyphens, byte-order and direction marks (format characters), and control characters other than line
# breaks and tabs (NUL, bell). "Peni<zero-width space>cillin" looks like penicillin on screen but was stored as
# another word, and the allergy raised no alert; PostgreSQL refuses a NUL outright.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


def visible_text(text: str) -> str:
    """The text without the invisible characters above (line breaks and tabs are kept)."""
    return _INVISIBLE.sub("", text)


MULTILINE_FIELDS = frozenset({"note"})  # the only chart-list fields typed in a box of several lines


def strip_strings(value: T) -> T:
    """A copy of a frozen input dataclass with every string stripped of surrounding space and of invisible
    characters (see visible_text). A one-line field pasted with line breaks or tabs ("Penicillin<newline>Hives"
    into a drug or problem name) is one line again, words one space apart: it broke the lists' rows and the
    printed summary; notes keep their lines."""
    changes = {f.name: (visible_text(v).strip() if f.name in MULTILINE_FIELDS else " ".join(visible_text(v).split()))
               for f in fields(value) if isinstance(v := getattr(value, f.name), str)}  # type: ignore[arg-type]
    return replace(value, **changes)  # type: ignore[type-var]


def check_dates(errors: dict[str, str], today: date, start_name: str, start: date | None,
                end_name: str | None = None, end: date | None = None, start_label: str = "Date",
                end_label: str = "End date") -> None:
    if start is not None and start > today:
        errors[start_name] = f"{start_label} cannot be in the future"
    if start is not None and start.year < 1880:
        errors[start_name] = f"{start_label} is too far in the past"
    if end_name and end is not None:
        if end > today:
            errors[end_name] = f"{end_label} cannot be in the future"
        elif start is not None and end < start:
            errors[end_name] = f"{end_label} is before {start_label.lower()}"


def apply_changes(uow: UnitOfWork, row: Any, values: dict[str, Any], names: Iterable[str], labels: dict[str, str],
                  entity: str, mine: dict) -> str:
    """Write a form's values onto a row (version already checked), flush as a conflict-safe update, and say which
    of `names` changed, in the form's words, for the audit line."""
    names = tuple(names)
    before = {n: getattr(row, n) for n in names}
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = uow.user.id
    flush(uow, entity, row.id, mine)
    return changed_fields(before, {n: getattr(row, n) for n in names}, labels)


def changed_fields(before: dict, after: dict, labels: dict[str, str]) -> str:
    names = [labels.get(k, k) for k in after if before.get(k) != after[k]]
    return ", ".join(names) or "nothing"


