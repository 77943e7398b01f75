"""The administrator's audit report: who did what to which chart, when; filtered, paged, exported as CSV.

Only VIEW_AUDIT (administrators) may read it. Exporting is itself audited (the file leaves the database).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Select, func, select

from desktop.models import AuditEntry, Patient

from .errors import ValidationError
from .permissions import Permission
from .uow import UnitOfWork

MAX_PAGE_SIZE = 1000
CSV_HEADER = ("id", "time_utc", "user", "user_id", "patient_id", "patient_mrn", "patient_name", "action",
              "entity", "entity_id", "summary")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """All parts optional. Dates are whole calendar days in this computer's time zone, both ends included."""

    username: str | None = None
    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str | None = None

    def describe(self) -> str:
        parts = []
        if self.username:
            parts.append(f"user {self.username}")
        if self.patient_id is not None:
            parts.append(f"patient {self.patient_id}")
        if self.date_from:
            parts.append(f"from {self.date_from}")
        if self.date_to:
            parts.append(f"to {self.date_to}")
        if self.action:
            parts.append(f"action {self.action}")
        return ", ".join(parts) or "everything"


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    ts: datetime
    username: str
    user_id: int | None
    patient_id: int | None
    patient_mrn: str
    patient_name: str
    action: str
    entity: str
    entity_id: str
    summary: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int  # 0-based
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 0


def _day_start_utc(day: date) -> datetime:
    """Local midnight of that day, in UTC (the log stores UTC)."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def _where(stmt: Select, f: AuditFilter) -> Select:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationError({"date_to": "the end date is before the start date"})
    if f.username:
        stmt = stmt.where(AuditEntry.username == f.username.strip().lower())
    if f.patient_id is not None:
        stmt = stmt.where(AuditEntry.patient_id == f.patient_id)
    if f.date_from:
        stmt = stmt.where(AuditEntry.ts >= _day_start_utc(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEntry.ts < _day_start_utc(f.date_to + timedelta(days=1)))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    return stmt


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


_COLUMNS = (AuditEntry.id, AuditEntry.ts, AuditEntry.username, AuditEntry.user_id, AuditEntry.patient_id,
            Patient.mrn, Patient.family_name, Patient.given_name, AuditEntry.action, AuditEntry.entity,
            AuditEntry.entity_id, AuditEntry.summary)


def _query(f: AuditFilter) -> Select:
    """Plain columns, not ORM objects: a big export does not fill the session's identity map."""
    stmt = select(*_COLUMNS).outerjoin(Patient, Patient.id == AuditEntry.patient_id)
    return _where(stmt, f)


def _to_row(r) -> AuditRow:
    return AuditRow(
        id=r.id, ts=_aware(r.ts), username=r.username, user_id=r.user_id, patient_id=r.patient_id,
        patient_mrn=r.mrn or "", patient_name=f"{r.family_name}, {r.given_name}" if r.family_name else "",
        action=r.action, entity=r.entity, entity_id=r.entity_id or "", summary=r.summary or "",
    )


def search_audit(uow: UnitOfWork, f: AuditFilter, page: int = 0, page_size: int = 100) -> AuditPage:
    """Newest first, page by page."""
    uow.require(Permission.VIEW_AUDIT)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    total = uow.session.execute(_where(select(func.count(AuditEntry.id)), f)).scalar() or 0
    page = max(0, min(page, max(0, (total - 1) // page_size)))
    stmt = _query(f).order_by(AuditEntry.id.desc()).offset(page * page_size).limit(page_size)
    rows = [_to_row(r) for r in uow.session.execute(stmt).all()]
    return AuditPage(rows, total, page, page_size)


def audit_usernames(uow: UnitOfWork) -> list[str]:
    """Every user name that appears in the log (including "system" and command-line users), for the filter."""
    uow.require(Permission.VIEW_AUDIT)
    return list(uow.session.execute(select(AuditEntry.username).distinct().order_by(AuditEntry.username)).scalars())


def audit_actions(uow: UnitOfWork) -> list[str]:
    uow.require(Permission.VIEW_AUDIT)
    return list(uow.session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())


def _safe_cell(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them (CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv_lines(uow: UnitOfWork, f: AuditFilter, batch: int = 2000) -> Iterator[list[str]]:
    last_id = 0
    while True:
        stmt = _query(f).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        rows = uow.session.execute(stmt).all()
        if not rows:
            return
        for r in rows:
            row = _to_row(r)
            last_id = row.id
            yield [str(row.id), row.ts.strftime("%Y-%m-%dT%H:%M:%SZ"), row.username,
                   "" if row.user_id is None else str(row.user_id),
                   "" if row.patient_id is None else str(row.patient_id), row.patient_mrn, row.patient_name,
                   row.action, row.entity, row.entity_id, row.summary]


def export_csv(uow: UnitOfWork, f: AuditFilter, out: Path) -> int:
    """Write the filtered log (oldest first) as CSV with a header row; returns the number of rows written.

    The file is written beside its final name and renamed when complete (no half files)."""
    uow.require(Permission.VIEW_AUDIT)
    out = Path(out)
    if out.suffix.lower() != ".csv":
        out = out.with_name(out.name + ".csv")
    tmp = out.with_name(out.name + ".partial")
    count = 0
    try:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8 names right
            writer = csv.writer(fh)
            writer.writerow(CSV_HEADER)
            for line in _csv_lines(uow, f):
                writer.writerow([_safe_cell(v) for v in line])
                count += 1
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    uow.audit("export", "audit_log", None, f.patient_id,
              summary=f"audit report CSV ({count} rows; {f.describe()}) to {out.name}")
    return count


def export_csv_text(uow: UnitOfWork, f: AuditFilter) -> str:
    """The same CSV as a string (small exports, tests)."""
    uow.require(Permission.VIEW_AUDIT)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    count = 0
    for line in _csv_lines(uow, f):
        writer.writerow([_safe_cell(v) for v in line])
        count += 1
    uow.audit("export", "audit_log", None, f.patient_id, summary=f"audit report CSV ({count} rows; {f.describe()})")
    return buf.getvalue()
