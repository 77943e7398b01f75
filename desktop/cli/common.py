"""What every command shares: --db, opening the database with clear one-line errors, the exit-code policy."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("desktop.cli")

EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: printed as one line, exits with `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def add_db_argument(parser) -> None:  # noqa: ANN001
    parser.add_argument(
        "--db", metavar="URL", default=None,
        help="database URL: sqlite:///PATH (unencrypted), sqlcipher:///PATH, postgresql+psycopg://... "
        "(default: EMR_DB_URL, else the encrypted database in the data folder)",
    )


def open_db(args, *, create: bool = False, upgrade: bool = True):  # noqa: ANN001, ANN201
    """Open args.db; ask for the passphrase on a terminal when there is no keyring."""
    from desktop.models.keys import KeyUnavailable
    from desktop.services.database import Database

    url = getattr(args, "db", None)
    try:
        return Database.open(url, create=create, upgrade=upgrade)
    except KeyUnavailable as exc:
        if not sys.stdin.isatty():
            raise CliError(str(exc)) from exc
        import getpass  # here, not at the top: the GUI starts without it

        passphrase = getpass.getpass("Database passphrase: ")
        if create:
            again = getpass.getpass("Repeat the passphrase: ")
            if again != passphrase:
                raise CliError("the passphrases differ; nothing was created") from exc
        if len(passphrase) < 8:
            raise CliError("the passphrase must have at least 8 characters") from exc
        return Database.open(url, create=create, upgrade=upgrade, passphrase=passphrase)


def cli_user():  # noqa: ANN201
    """Commands run by support staff act as the system, named in the audit log by the OS account."""
    import getpass

    from desktop.services.uow import CurrentUser

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry inside some containers
        who = "unknown"
    return CurrentUser(id=None, username=f"cli:{who}", display_name="Command line", role="system")


def _crash_log(exc: BaseException) -> str:
    import traceback
    from datetime import datetime

    try:
        from desktop.config import data_dir

        path = data_dir() / "error.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n--- {datetime.now().isoformat()} {' '.join(sys.argv)}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError:
        return "(could not write the error log)"


def _user_facing(exc: BaseException) -> bool:
    """Errors whose message is written for the user (imported only when one happens: start-up stays light)."""
    if isinstance(exc, ValueError):
        return True
    from desktop.models.engine import DatabaseOpenError
    from desktop.models.keys import KeyUnavailable
    from desktop.models.schema import SchemaError
    from desktop.services.errors import ServiceError

    return isinstance(exc, DatabaseOpenError | SchemaError | KeyUnavailable | ServiceError)


def run_command(module, args) -> int:  # noqa: ANN001
    try:
        return int(module.run(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _user_facing(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        where = _crash_log(exc)
        log.debug("unexpected", exc_info=True)
        print(f"error: unexpected {type(exc).__name__}: {exc} (details in {where})", file=sys.stderr)
        return 1
