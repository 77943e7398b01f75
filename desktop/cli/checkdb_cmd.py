"""`check-db`: schema current, SQLite integrity and foreign keys, audit chain; exit 1 with the reason."""

from __future__ import annotations

from sqlalchemy import text

from .common import CliError, add_db_argument, open_db


def add_arguments(parser) -> None:
    add_db_argument(parser)


def run(args) -> int:
    """Read-only throughout: a file that is not ours, or a damaged one, is described, never changed."""
    from sqlalchemy.exc import DBAPIError

    from desktop.models.engine import damaged_message

    db = open_db(args, upgrade=False, read_only=True)
    try:
        return _check(db)
    except DBAPIError as exc:  # "database disk image is malformed" in the middle of a table
        detail = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        if db.target.path is not None and ("malformed" in detail or "not a database" in detail):
            raise CliError(damaged_message(db.target, detail)) from exc
        raise
    finally:
        db.dispose()


def _check(db) -> int:
    from desktop.models.schema import state
    from desktop.services.audit import verify_chain

    st = state(db.engine)
    if st.empty:
        raise CliError(f"{db.target.display()}: empty database (no schema); run `python -m desktop demo`")
    if st.newer:
        raise CliError(f"schema {st.current} is newer than this app ({st.head})")
    if not st.up_to_date:
        raise CliError(f"schema {st.current} is older than {st.head}; start the app to upgrade (a backup is made)")
    problems: list[str] = []
    with db.engine.connect() as conn:
        if db.target.path is not None:
            result = [r[0] for r in conn.execute(text("PRAGMA integrity_check")).fetchall()]
            if result != ["ok"]:
                problems.append("integrity check: " + "; ".join(result[:5])
                                + " (the file is damaged: restore the last backup with `python -m desktop restore`)")
            fks = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
            if fks:
                problems.append(f"{len(fks)} rows point at missing rows (first: table {fks[0][0]} row {fks[0][1]})")
    with db.uow() as uow:
        chain = verify_chain(uow.session)
    if not chain.ok:
        problems.append(f"audit log broken at row {chain.first_broken_id}: {chain.reason}")
    if problems:
        raise CliError("; ".join(problems))
    enc = "encrypted" if db.encrypted else "not encrypted"
    print(f"ok: {db.target.display()} ({enc}), schema {st.current}, audit chain {chain.rows} rows intact"
          + _keying(chain))
    return 0


def _keying(chain) -> str:
    """What the chain's check covered: keyed rows, unkeyed history, chart rows compared, anchor."""
    if chain.keyed_since == 1:
        text = ", keyed"
    elif chain.keyed_since:
        text = f", keyed from row {chain.keyed_since} (unkeyed history up to row {chain.unkeyed_upto})"
    elif chain.rows:
        text = f", unkeyed history up to row {chain.rows} (no audit key for this database)"
    else:
        text = ""
    if chain.rows_checked:
        text += f", {chain.rows_checked} chart rows as last audited"
    return text + "".join(f"; {n}" for n in chain.notes)
