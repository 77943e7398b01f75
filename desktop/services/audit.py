"""The tamper-evident audit chain: append, verify, report."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _ts_text(ts: datetime) -> str:
    if ts.tzinfo is None:  # SQLite gives naive datetimes back; they were written as UTC
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(prev_hash: str, entry_id: int, ts: datetime, user_id, username, patient_id, action, entity,
             entity_id, summary) -> str:  # noqa: ANN001
    canonical = "\x1f".join(
        str(v) if v is not None else ""
        for v in (entry_id, _ts_text(ts), user_id, username, patient_id, action, entity, entity_id, summary)
    )
    return hashlib.sha256((prev_hash + "\x1e" + canonical).encode("utf-8")).hexdigest()


def append_entries(session: Session, entries: list[dict]) -> None:
    """Append rows at the chain's tip. The head row is locked so concurrent writers queue up."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    prev, last_id = head.last_hash, head.last_id
    for data in entries:
        last_id += 1
        ts = datetime.now(UTC)
        h = row_hash(prev, last_id, ts, data["user_id"], data["username"], data["patient_id"], data["action"],
                     data["entity"], data["entity_id"], data["summary"])
        session.add(AuditEntry(id=last_id, ts=ts, prev_hash=prev, hash=h, **data))
        prev = h
    head.last_id, head.last_hash = last_id, prev
    session.flush()


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in id order, recomputing every hash; report the first row that does not fit."""
    prev, expected_id, count = GENESIS, 1, 0
    last_seen = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_seen).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for r in rows:
            if r.id != expected_id:
                return ChainReport(False, count, expected_id, f"audit row {expected_id} is missing (deleted?)")
            if r.prev_hash != prev:
                return ChainReport(False, count, r.id, f"audit row {r.id} does not follow row {r.id - 1}")
            if row_hash(prev, r.id, r.ts, r.user_id, r.username, r.patient_id, r.action, r.entity, r.entity_id,
                        r.summary) != r.hash:
                return ChainReport(False, count, r.id, f"audit row {r.id} was altered")
            prev, expected_id, count, last_seen = r.hash, r.id + 1, count + 1, r.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != count or head.last_hash != prev):
        return ChainReport(False, count, count + 1 if head.last_id > count else count,
                           f"the newest audit rows after row {count} were removed")
    return ChainReport(True, count)
