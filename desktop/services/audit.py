"""The tamper-evident audit chain: append, verify, report.

Each row's hash links it to the row before. Rows written with a key (see audit_keys) carry an HMAC: without
the key nobody can re-hash the chain after an edit or append a row that fits. Each transaction's audit row
also carries the digest of the chart rows it left behind (audit_state). After every commit the chain's tip is
written to an anchor file outside the database, so removing the newest rows (or putting back an older copy)
shows even when the remaining chain is consistent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from desktop.config import DbTarget
from desktop.models import AuditEntry, AuditHead, AuditRowState

from . import audit_state
from .audit_keys import (
    Anchor,
    AuditKeyError,
    ChainKey,
    anchor_file,
    anchor_mac,
    db_secret,
    fingerprint,
    read_anchor,
    write_anchor,
)

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_TIP = "audit_tip"
_FORCE = "audit_anchor_reset"  # a restore moves the anchor back, on purpose and on the record
_KEYS: WeakKeyDictionary[Engine, ChainKey] = WeakKeyDictionary()


def attach(engine: Engine, target: DbTarget, db_key=None) -> None:
    """Tell the chain which database an engine serves (where its key and anchor are). Database.open does it."""
    _KEYS[engine] = ChainKey(target, db_secret(db_key))


def chain_key(session: Session) -> ChainKey | None:
    bind = session.get_bind()
    return _KEYS.get(getattr(bind, "engine", bind))


def _ts_text(ts: datetime) -> str:
    if ts.tzinfo is None:  # SQLite gives naive datetimes back; they were written as UTC
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(prev_hash: str, entry_id: int, ts: datetime, user_id, username, patient_id, action, entity,
             entity_id, summary, state_digest: str | None = None, key: bytes | None = None) -> str:
    """SHA-256 link of an unkeyed row (history before keying), or the HMAC of a keyed one."""
    canonical = "\x1f".join(
        str(v) if v is not None else ""
        for v in (entry_id, _ts_text(ts), user_id, username, patient_id, action, entity, entity_id, summary)
    )
    if state_digest is not None:
        canonical += "\x1f" + state_digest
    message = (prev_hash + "\x1e" + canonical).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, b"v1\x1e" + message, hashlib.sha256).hexdigest()


def _append_key(session: Session, head: AuditHead) -> tuple[ChainKey | None, bytes | None]:
    """The key to write with; refuses (AuditKeyError) rather than add unkeyed or wrongly keyed rows."""
    ck = chain_key(session)
    key = ck.key() if ck is not None else None
    if head.key_check:
        if key is None:
            raise AuditKeyError(
                "the audit log of this database is keyed and this computer does not hold its key: nothing was "
                "saved (set EMR_AUDIT_KEY, or put the key in the keyring, as on the other workstations)")
        if fingerprint(key) != head.key_check:
            raise AuditKeyError("this computer's audit key is not the key this database's audit log was written "
                                "with: nothing was saved")
    return ck, key


def append_entries(session: Session, entries: list[dict]) -> None:
    """Append rows at the chain's tip. The head row is locked so concurrent writers queue up."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    ck, key = _append_key(session, head)
    states = audit_state.collect(session)
    root = audit_state.states_root(states) if states else None
    prev, last_id = head.last_hash, head.last_id
    for n, data in enumerate(entries):
        last_id += 1
        ts = datetime.now(UTC)
        digest = root if n == len(entries) - 1 else None  # the transaction's last row vouches for its rows
        h = row_hash(prev, last_id, ts, data["user_id"], data["username"], data["patient_id"], data["action"],
                     data["entity"], data["entity_id"], data["summary"], digest, key)
        session.add(AuditEntry(id=last_id, ts=ts, prev_hash=prev, hash=h, keyed=key is not None,
                               state_digest=digest, **data))
        prev = h
    if key is not None and head.keyed_since is None:
        head.keyed_since, head.key_check = head.last_id + 1, fingerprint(key)
    head.last_id, head.last_hash = last_id, prev
    session.flush()
    _insert_states(session, last_id, states)
    if ck is not None:
        session.info[_TIP] = (ck, key, last_id, prev, head.keyed_since)


def _insert_states(session: Session, entry_id: int, states: list[tuple[str, int, str]]) -> None:
    """A PHR import writes 100,000s: on SQLite one executemany on the driver (the values are plain text and
    integers, SQLAlchemy's per-row work cost more than the insert); elsewhere Core executemany in chunks."""
    if not states:
        return
    if session.bind.dialect.name == "sqlite":
        cursor = session.connection().connection.driver_connection.cursor()
        try:
            cursor.executemany("INSERT INTO audit_row_state (entry_id, table_name, row_id, digest) VALUES (?, ?, ?, ?)",
                               ((entry_id, t, i, d) for t, i, d in states))
        finally:
            cursor.close()
        return
    for start in range(0, len(states), 5000):
        session.execute(insert(AuditRowState.__table__), [
            {"entry_id": entry_id, "table_name": t, "row_id": i, "digest": d} for t, i, d in states[start:start + 5000]])


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released, not the transaction committed
        return
    tip = session.info.pop(_TIP, None)
    force = session.info.pop(_FORCE, False)
    if tip is None:
        return
    ck, key, last_id, last_hash, keyed_since = tip
    path = anchor_file(ck.target)
    if path is None or (last_id <= ck.anchor_written and not force):
        return
    try:
        current = read_anchor(path) if not force else None
        if current is not None and current.last_id >= last_id:  # another process is further along
            ck.anchor_written = current.last_id
            return
        write_anchor(path, Anchor(last_id, last_hash, keyed_since, anchor_mac(key, last_id, last_hash, keyed_since)))
        ck.anchor_written = last_id
    except (OSError, ValueError, KeyError) as exc:  # the change is committed; check-db will name the gap
        log.warning("audit anchor %s not updated: %s", path, exc)


@event.listens_for(Session, "after_transaction_end")
def _no_anchor_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_TIP, None)
    session.info.pop(_FORCE, None)


def note_restore(database, source_name: str) -> str:
    """After `restore` (the command line, as the system): the log says a backup was put back and how far the log
    before it went, and the anchor follows the restored log. A copy put back any other way leaves the anchor
    ahead, and check-db says so."""
    ck = _KEYS.get(database.engine)
    try:
        before = read_anchor(anchor_file(ck.target)) if ck is not None else None
    except (OSError, ValueError, KeyError):
        before = None
    with database.uow() as uow:
        head = uow.session.get(AuditHead, 1)
        at = head.last_id if head is not None else 0
        lost = (f"; the log before the restore reached row {before.last_id}: rows {at + 1} to {before.last_id} "
                "of it are not in this database" if before is not None and before.last_id > at else "")
        text = f"database replaced by the backup {source_name} (its audit log ends at row {at}){lost}"
        uow.audit("restore", "database", None, None, text)
        uow.session.info[_FORCE] = True
    return text


# ------------------------------------------------------------------ verification


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    reason: str = ""
    keyed_since: int | None = None  # first keyed row; rows before it are unkeyed history
    rows_checked: int = 0  # chart rows compared with their last audited state
    notes: tuple[str, ...] = ()
    chart_findings: tuple[str, ...] = field(default=())

    @property
    def unkeyed_upto(self) -> int:
        """Rows 1..N were written before the chain had a key (plain SHA-256 links)."""
        return self.rows if self.keyed_since is None else self.keyed_since - 1


def _fail(count: int, row: int | None, reason: str, **kw) -> ChainReport:
    return ChainReport(False, count, row, reason, **kw)


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in id order, recomputing every hash (keyed rows with the key), then compare the newest row
    with the anchor outside the database, and every chart row that has an audited state with that state."""
    ck = chain_key(session)
    head = session.get(AuditHead, 1)
    try:
        key = ck.key() if ck is not None else None
    except AuditKeyError as exc:
        return _fail(0, None, str(exc))
    if head is not None and head.key_check:
        if key is None:
            return _fail(0, head.keyed_since, f"the audit log is keyed from row {head.keyed_since} and this computer "
                                              "does not hold its key, so it cannot be checked")
        if fingerprint(key) != head.key_check:
            return _fail(0, head.keyed_since, "this computer's audit key is not the one the log was written with")
    states: dict[int, list[tuple[str, int, str]]] = {}
    for entry_id, group in audit_state.states_by_entry(session):
        states.setdefault(entry_id, []).extend(group)
    latest: dict[tuple[str, int], tuple[str, int]] = {}
    prev, expected_id, count, last_seen = GENESIS, 1, 0, 0
    keyed_since: int | None = None
    hashes_at: dict[int, str] = {}
    anchor_path = anchor_file(ck.target) if ck is not None else None
    try:
        anchor = read_anchor(anchor_path)
    except (OSError, ValueError, KeyError) as exc:
        return _fail(0, None, f"the audit anchor {anchor_path} cannot be read ({exc})")
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_seen).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for r in rows:
            if r.id != expected_id:
                return _fail(count, expected_id, f"audit row {expected_id} is missing (deleted?)")
            if r.prev_hash != prev:
                return _fail(count, r.id, f"audit row {r.id} does not follow row {r.id - 1}")
            if r.keyed:
                keyed_since = keyed_since or r.id
                if key is None:
                    return _fail(count, r.id, f"audit row {r.id} is keyed and this computer does not hold the key")
            elif keyed_since is not None or (head is not None and head.keyed_since and r.id >= head.keyed_since):
                return _fail(count, r.id, f"audit row {r.id} is not keyed although the log is keyed from row "
                                          f"{keyed_since or head.keyed_since} (rewritten without the key?)")
            group = states.pop(r.id, None)
            if (audit_state.states_root(group) if group else None) != r.state_digest:
                return _fail(count, r.id, f"the chart row states recorded with audit row {r.id} were altered")
            if row_hash(prev, r.id, r.ts, r.user_id, r.username, r.patient_id, r.action, r.entity, r.entity_id,
                        r.summary, r.state_digest, key if r.keyed else None) != r.hash:
                return _fail(count, r.id, f"audit row {r.id} was altered")
            for t, i, d in group or ():
                latest[(t, i)] = (d, r.id)
            if anchor is not None and r.id == anchor.last_id:
                hashes_at[r.id] = r.hash
            prev, expected_id, count, last_seen = r.hash, r.id + 1, count + 1, r.id
        session.expunge_all()
    if states:
        stray = min(states)
        return _fail(count, stray, f"chart row states name audit row {stray}, which is not in the log (added?)")
    if head is not None and (head.last_id != count or head.last_hash != prev):
        return _fail(count, count + 1 if head.last_id > count else count,
                     f"the newest audit rows after row {count} were removed")
    if head is not None and head.keyed_since and keyed_since is None and count >= head.keyed_since:
        return _fail(count, head.keyed_since, "the keyed audit rows were replaced")
    kw = {"keyed_since": keyed_since}
    problem = _check_anchor(anchor, anchor_path, key, count, hashes_at, keyed_since, ck)
    if problem:
        return _fail(count, problem[0], problem[1], **kw)
    findings, compared = audit_state.check_rows(session, latest)
    if findings:
        return _fail(count, findings[0].entry_id, "; ".join(f.sentence for f in findings[:3])
                     + (f" (and {len(findings) - 3} more)" if len(findings) > 3 else ""),
                     rows_checked=compared, chart_findings=tuple(f.sentence for f in findings), **kw)
    notes = []
    if ck is not None and ck.target.is_postgres and anchor is None and count:
        notes.append("no audit anchor on this computer (it is kept by the computers that write)")
    return ChainReport(True, count, keyed_since=keyed_since, rows_checked=compared, notes=tuple(notes))


def _check_anchor(anchor: Anchor | None, path, key: bytes | None, count: int, hashes_at: dict[int, str],
                  keyed_since: int | None, ck: ChainKey | None) -> tuple[int, str] | None:
    if anchor is None:
        if keyed_since is not None and ck is not None and not ck.target.is_postgres:
            return (count, f"the audit anchor beside the database ({path.name}) is missing: it records the "
                           "newest audit row, without it removed rows cannot be ruled out")
        return None
    if anchor.mac or anchor.keyed_since or (keyed_since is not None and anchor.last_id >= keyed_since):
        # an anchor of a keyed chain must carry its HMAC; one from before keying (no HMAC) names an unkeyed row
        if key is None or not hmac.compare_digest(
                anchor.mac, anchor_mac(key, anchor.last_id, anchor.last_hash, anchor.keyed_since)):
            return (count, f"the audit anchor {path.name} was altered (its key check fails)")
    if anchor.last_id > count:
        return (count + 1, f"the audit log ends at row {count} but its anchor records row {anchor.last_id}: "
                           "newer rows were removed, or an older copy of the database was put back")
    if anchor.last_id and hashes_at.get(anchor.last_id) != anchor.last_hash:
        return (anchor.last_id, f"audit row {anchor.last_id} is not the row the anchor recorded (the log was "
                                "rewritten)")
    return None
