"""Row states: the digest of every chart row an audited transaction changed, as that transaction left it.

A unit of work's session notes which chart rows it touched: ORM objects added, changed or deleted (flush
events), rows a bulk UPDATE/DELETE matched (their ids, read just before the statement runs), and rows a bulk
INSERT added (every id above the table's highest id before the first such insert). At commit the audit append
reads those rows back and stores one digest each (audit_row_state), under the transaction's audit row, whose
keyed hash covers them all. `check-db` then compares every chart row that has an audited state with it.

A service that inserts 100,000s of rows on the SQLite driver with their ids given (a device import) hands over
the rows as it wrote them instead (note_inserted_rows): they are digested then, not read back at commit (that
read-back was the costliest part of such an import's commit). The digest is the same function of the same
stored values; a savepoint rolled back drops what was noted inside it, and a row changed again later in the
transaction is read back as any other.

Not covered: rows written outside a unit of work (raw SQL, another program) until the app next changes them;
tables outside CHART_TABLES.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Boolean, DateTime, Table, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from desktop.models import AuditRowState, Base

# chart tables whose rows are never hard-deleted by the app (entered-in-error instead)
CHART_TABLES = ("patient", "problem", "medication", "allergy", "immunization", "vital_sign", "encounter",
                "addendum", "prescription", "lab_result", "procedure_history", "social_history", "family_history",
                "outside_encounter")
GONE = "-"  # the digest of a row the transaction left absent
_TOUCHED, _FLOOR, _INSERTED = "audit_touched", "audit_floor", "audit_inserted"
_CHUNK = 500


def _tables() -> dict[str, Table]:
    return {name: Base.metadata.tables[name] for name in CHART_TABLES if name in Base.metadata.tables}


TABLES = _tables()


def _canonical(v: object) -> str:
    t = type(v)
    if t is str:  # the common cases first: this runs for every column of every row a transaction wrote
        return v  # type: ignore[return-value]
    if v is None:
        return "\x00"
    if t is int or t is bool:
        return str(v)
    if t is datetime and v.tzinfo is None:  # SQLite: naive UTC, written as the aware form below would be
        return v.isoformat() + "+00:00"
    if isinstance(v, datetime):  # PostgreSQL gives them in the session's time zone, SQLite naive UTC
        return (v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)).isoformat()
    if isinstance(v, date | bool | int | str):
        return str(v)
    return repr(v)


def row_digest(table: Table, row: Iterable) -> str:
    """Every column, in table order, as the database gives it back."""
    text = "\x1f".join(map(_canonical, row))
    return hashlib.sha256(f"{table.name}\x1e{text}".encode()).hexdigest()


def states_root(states: Iterable[tuple[str, int, str]]) -> str:
    """One digest for a transaction's row states (the keyed audit row carries it)."""
    h = hashlib.sha256()
    for table, row_id, digest in sorted(states):
        h.update(f"{table}:{row_id}:{digest}\n".encode())
    return h.hexdigest()


# ------------------------------------------------------------------ noting what a transaction touches


def _touched(session: Session) -> set[tuple[str, int]]:
    return session.info.setdefault(_TOUCHED, set())


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _ctx) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__table__", None)
        if table is not None and table.name in TABLES:
            row_id = getattr(obj, "id", None)
            if row_id is not None:
                _touched(session).add((table.name, row_id))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in TABLES:
        return
    t = TABLES[name]
    session = state.session
    if state.is_insert:
        note_bulk_insert(session, t)
        return
    _touched(session).update((name, i) for i in _matched_ids(session, t, state.statement.whereclause,
                                                             state.parameters))


def note_bulk_insert(session: Session, t: Table) -> None:
    """Before a bulk INSERT into a chart table: every row above today's highest id is this transaction's. Called
    for SQLAlchemy's own inserts by the event above, and by a service that inserts on the driver directly."""
    floors = session.info.setdefault(_FLOOR, {})
    if t.name not in floors:
        floors[t.name] = session.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()


def note_inserted_rows(session: Session, t: Table, rows: Sequence[tuple]) -> None:
    """After a service inserted `rows` into chart table `t` on the SQLite driver, each with every column in table
    order and its id first, ids consecutive, as the driver took them (SQLite's stored form: see _sqlite_datetime):
    their states, digested now (kept as 32 bytes each until the commit). Only for values SQLite stores unchanged
    (text in text columns, numbers in numeric ones); a float -0.0, stored as 0.0, digests as 0.0."""
    if not rows:
        return
    if list(t.c)[0].name != "id":
        raise RuntimeError(f"{t.name}: the id must be the first column")
    first = rows[0][0]
    if rows[-1][0] != first + len(rows) - 1:
        raise ValueError("note_inserted_rows: the rows' ids must be consecutive")
    digest = _raw_digest(t, binary=True)
    blob = b"".join([digest(t, row) for row in rows])
    # the innermost savepoint at the time: rolling it (or one around it) back drops these states
    session.info.setdefault(_INSERTED, []).append((session.get_nested_transaction(), str(t.name), first, blob))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_inserts(session: Session, previous) -> None:
    noted = session.info.get(_INSERTED)
    if not noted or not previous.nested:
        return

    def inside(tx) -> bool:
        while tx is not None:
            if tx is previous:
                return True
            tx = tx.parent
        return False

    noted[:] = [n for n in noted if not inside(n[0])]


def _id_bind(where, table: Table) -> str | None:
    """`id = :x` (one row per parameter set): the parameter's name, so the ids are read off the parameters."""
    if isinstance(where, BinaryExpression) and isinstance(where.right, BindParameter) \
            and where.left.compare(table.c.id) and where.operator is operators.eq:
        return where.right.key
    return None


def _matched_ids(session: Session, t: Table, where, params) -> list[int]:
    """The ids an UPDATE or DELETE is about to touch, read just before it runs (after it, a WHERE on the
    changed columns would no longer match them)."""
    sets = params if isinstance(params, list | tuple) else [params or {}]
    if where is None:
        if sets and all("id" in p for p in sets) and isinstance(params, list | tuple):  # ORM bulk by primary key
            return [p["id"] for p in sets]
        return list(session.execute(select(t.c.id)).scalars())
    key = _id_bind(where, t)
    if key is not None and all(key in p for p in sets):
        return [p[key] for p in sets]
    query = select(t.c.id).where(where)
    return [i for p in sets for i in session.execute(query, p).scalars()]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint ended: the transaction (and what it touched) goes on
        return
    session.info.pop(_TOUCHED, None)
    session.info.pop(_FLOOR, None)
    session.info.pop(_INSERTED, None)


def collect(session: Session) -> list[tuple[str, int, str]]:
    """(table, row id, digest) of every chart row this transaction touched, read back as it now stands."""
    touched = session.info.pop(_TOUCHED, set())
    floors = session.info.pop(_FLOOR, {})
    inserted: dict[str, list[tuple[int, bytes]]] = {}
    for _tx, name, first, blob in session.info.pop(_INSERTED, ()):
        inserted.setdefault(name, []).append((first, blob))
    if not touched and not floors and not inserted:
        return []
    conn = session.connection()
    by_table: dict[str, set[int]] = {}
    for name, row_id in touched:
        by_table.setdefault(name, set()).add(row_id)
    out: list[tuple[str, int, str]] = []
    for name in sorted(set(by_table) | set(floors) | set(inserted)):
        name = str(name)  # not SQLAlchemy's quoted_name: sqlite3 would look for __conform__ on each of 100,000s
        t = TABLES[name]
        seen: set[int] = set()
        if name in floors:
            rows = _raw_rows_after(conn, t, floors[name]) if conn.dialect.name == "sqlite" else \
                conn.execute(select(t).where(t.c.id > floors[name]).order_by(t.c.id))
            digest = _raw_digest(t) if conn.dialect.name == "sqlite" else row_digest
            for row in rows:
                seen.add(row[0])
                out.append((name, row[0], digest(t, row)))
        again = by_table.get(name, set())
        # noted when inserted, and neither read back above nor changed since: as digested then
        out.extend((name, i, d) for i, d in _inserted_states(inserted.get(name, ())) if i not in seen and i not in again)
        wanted = sorted(again - seen)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            found = {row.id: row for row in conn.execute(select(t).where(t.c.id.in_(chunk)))}
            out.extend((name, i, row_digest(t, found[i]) if i in found else GONE) for i in chunk)
    return out


def _inserted_states(batches: list[tuple[int, bytes]]) -> Iterator[tuple[int, str]]:
    """(row id, digest) of noted inserts. Their ids do not overlap unless a row was deleted and its id taken
    again in the same transaction: then the later insert is the row's state."""
    spans = sorted((first, first + len(blob) // 32) for first, blob in batches)
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        latest = {first + k: blob[32 * k:32 * k + 32] for first, blob in batches for k in range(len(blob) // 32)}
        yield from ((i, d.hex()) for i, d in latest.items())
        return
    for first, blob in batches:
        for k in range(len(blob) // 32):
            yield first + k, blob[32 * k:32 * k + 32].hex()


def _raw_rows_after(conn, t: Table, floor: int):
    """SQLite: the rows a bulk insert added, as the driver gives them (a device import adds 100,000s: SQLAlchemy's
    per-value conversions took most of the commit); _raw_digest turns them into the same digests."""
    if list(t.c)[0].name != "id":
        raise RuntimeError(f"{t.name}: the id must be the first column")
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(f"SELECT {', '.join(c.name for c in t.c)} FROM {t.name} WHERE id > ? ORDER BY id", (floor,))
    try:
        while batch := cursor.fetchmany(5000):
            yield from batch
    finally:
        cursor.close()


def _sqlite_datetime(v: object) -> str:
    if v is None:
        return "\x00"
    if type(v) is str:  # stored naive UTC text: the digest is of the datetime SQLAlchemy would read back
        if len(v) == 26 and v[10] == " " and v[19] == ".":  # SQLAlchemy's own form: rewritten without parsing
            return f"{v[:10]}T{v[11:19]}+00:00" if v.endswith(".000000") else f"{v[:10]}T{v[11:]}+00:00"
        return datetime.fromisoformat(v).isoformat() + "+00:00"
    return _canonical(v)


_RAW_DIGESTS: dict[tuple[str, bool], object] = {}


def _raw_digest(t: Table, binary: bool = False):
    found = _RAW_DIGESTS.get((t.name, binary))
    if found is None:
        found = _RAW_DIGESTS[(t.name, binary)] = _make_raw_digest(t, binary)
    return found


def _make_raw_digest(t: Table, binary: bool = False):
    """row_digest (binary: its 32 bytes, not their hex) for a raw SQLite row: each column converted as
    SQLAlchemy's type would read it back. Text and NULL, most values, pass without a call; a stored time is
    converted once per distinct text (a bulk insert's created/updated times are the same on every row)."""
    cols = list(t.c)
    kinds = ["dt" if isinstance(c.type, DateTime) else "bool" if isinstance(c.type, Boolean) else "plain"
             for c in cols]
    prefix = f"{t.name}\x1e"
    sha, join = hashlib.sha256, "\x1f".join
    dt_idx = [i for i, k in enumerate(kinds) if k == "dt"]
    bool_idx = [i for i, k in enumerate(kinds) if k == "bool"]
    plain_idx = [i for i, k in enumerate(kinds) if k == "plain"]
    memo: dict[object, str] = {}

    def found(_table: Table, row) -> str:
        values = list(row)
        for i in dt_idx:
            v = values[i]
            s = memo.get(v)
            if s is None:
                s = _sqlite_datetime(v)
                if len(memo) > 4096:
                    memo.clear()
                memo[v] = s
            values[i] = s
        for i in bool_idx:
            v = values[i]
            values[i] = "\x00" if v is None else "True" if v else "False"
        for i in plain_idx:
            v = values[i]
            if v.__class__ is not str:
                values[i] = "\x00" if v is None else str(v) if v.__class__ is int else \
                    repr(v + 0.0) if v.__class__ is float else _canonical(v)  # -0.0: SQLite gives back 0.0
        h = sha((prefix + join(values)).encode())
        return h.digest() if binary else h.hexdigest()

    return found


# ------------------------------------------------------------------ checking the chart against them


@dataclass(frozen=True, slots=True)
class RowFinding:
    table: str
    row_id: int
    entry_id: int  # the audit row holding the row's last audited state
    what: str  # "differs" | "deleted"

    @property
    def sentence(self) -> str:
        if self.what == "deleted":
            return f"{self.table} row {self.row_id} was deleted after audit row {self.entry_id} recorded it"
        return f"{self.table} row {self.row_id} differs from its last audited state (audit row {self.entry_id})"


def states_by_entry(session: Session, batch: int = 20000) -> Iterator[tuple[int, list[tuple[str, int, str]]]]:
    """Row states grouped by their audit row, in audit order."""
    last, current, group = 0, None, []
    while True:
        rows = session.execute(
            select(AuditRowState.id, AuditRowState.entry_id, AuditRowState.table_name, AuditRowState.row_id,
                   AuditRowState.digest)
            .where(AuditRowState.id > last).order_by(AuditRowState.id).limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.entry_id != current and group:
                yield current, group
                group = []
            current = r.entry_id
            group.append((r.table_name, r.row_id, r.digest))
            last = r.id
    if group:
        yield current, group


def check_rows(session: Session, latest: dict[tuple[str, int], tuple[str, int]],
               limit: int = 20) -> tuple[list[RowFinding], int]:
    """Compare chart rows with their last audited state. Returns (findings, rows compared)."""
    findings: list[RowFinding] = []
    compared = 0
    conn = session.connection()
    for name, t in TABLES.items():
        wanted = {row_id: v for (table, row_id), v in latest.items() if table == name}
        if not wanted:
            continue
        seen: set[int] = set()
        for row in conn.execute(select(t).order_by(t.c.id)).yield_per(5000):
            state = wanted.get(row.id)
            if state is None:
                continue
            seen.add(row.id)
            compared += 1
            if row_digest(t, row) != state[0]:
                findings.append(RowFinding(name, row.id, state[1], "differs"))
        for row_id, (digest, entry_id) in sorted(wanted.items()):
            if row_id not in seen and digest != GONE:
                findings.append(RowFinding(name, row_id, entry_id, "deleted"))
        if len(findings) >= limit:
            break
    return findings[:limit], compared


__all__ = ["CHART_TABLES", "GONE", "RowFinding", "check_rows", "collect", "row_digest",
           "states_by_entry", "states_root"]

