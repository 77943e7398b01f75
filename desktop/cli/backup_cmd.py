"""`backup --out FILE`: an online, consistent copy (same encryption as the database)."""

from __future__ import annotations

from pathlib import Path

from .common import CliError, add_db_argument, open_db
from .progress import terminal_progress


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help="backup file to write (must not exist)")


def run(args) -> int:
    from desktop.config import resolve_db

    if resolve_db(args.db).is_postgres:
        raise CliError(
            "PostgreSQL backups are made with the server's tools: "
            "pg_dump --format=custom --file=clinic.dump DBNAME (restore with pg_restore --clean)"
        )
    db = open_db(args, upgrade=False)
    try:
        with terminal_progress(f"backup to {Path(args.out).name}") as progress:
            out = db.backup_to(Path(args.out), progress=progress)
    finally:
        db.dispose()
    print(f"backup written to {out}")
    return 0
