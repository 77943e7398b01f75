"""`encrypt`: convert an unencrypted SQLite database to SQLCipher in place, after a backup.

    python -m desktop encrypt --db sqlite:///path/to/clinic.db

The new key goes to this computer's keyring; where there is none, the passphrase comes from
EMR_DB_PASSPHRASE (or is asked twice on a terminal). Close the app on every workstation first.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from .common import CliError, add_db_argument


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("--backup-dir", metavar="DIR", default=None,
                        help="where to write the plain backup copy (default: beside the database)")


def _key(path: Path):
    from desktop.models.keys import KeyUnavailable, key_for

    try:
        return key_for(path, create=True)
    except KeyUnavailable as exc:
        if not sys.stdin.isatty():
            raise CliError(str(exc)) from exc
        passphrase = getpass.getpass("New database passphrase (at least 8 characters): ")
        if len(passphrase) < 8:
            raise CliError("the passphrase must have at least 8 characters; nothing was changed") from exc
        if getpass.getpass("Repeat the passphrase: ") != passphrase:
            raise CliError("the passphrases differ; nothing was changed") from exc
        return key_for(path, create=True, passphrase=passphrase)


def run(args) -> int:
    from desktop.config import default_db_path, resolve_db
    from desktop.models.engine import file_looks_plain_sqlite
    from desktop.services.database import Database
    from desktop.services.encryption import encrypt_in_place

    target = resolve_db(args.db)
    if target.is_postgres or target.path is None:
        raise CliError("only a SQLite database file can be encrypted (PostgreSQL: use the server's disk encryption)")
    path = target.path
    if not path.exists():
        raise CliError(f"there is no database at {path}")
    if not file_looks_plain_sqlite(path):
        raise CliError(f"{path} is already encrypted (or is not a SQLite database); nothing was changed")
    Database.open(f"sqlite:///{path}", read_only=True).dispose()  # refuses, read-only, a file that is not ours
    key = _key(path)
    result = encrypt_in_place(path, key, backup_dir=Path(args.backup_dir) if args.backup_dir else None)
    url = f"sqlcipher:///{path}"
    db = Database.open(url, passphrase=key.passphrase, upgrade=False)  # proves the key opens the new file
    db.dispose()
    print(f"encrypted {path} ({result.tables} tables, {result.rows} rows)")
    print(f"the unencrypted backup is {result.backup}: store it safely or delete it")
    where = "in this computer's keyring" if key.raw_hex else "the passphrase you chose (EMR_DB_PASSPHRASE)"
    print(f"the key is {where}")
    if path != default_db_path():
        print(f"open it from now on with --db {url}")
    return 0
