"""What every command shares: --db, opening the database with clear one-line errors, the exit-code policy."""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger("desktop.cli")

EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: printed as one line, exits with `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def add_db_argument(parser) -> None:
    parser.add_argument(
        "--db", metavar="URL", default=None,
        help="database URL: sqlite:///PATH (unencrypted), sqlcipher:///PATH, postgresql+psycopg://... "
        "(default: EMR_DB_URL, else the encrypted database in the data folder)",
    )


def open_db(args, *, create: bool = False, upgrade: bool = True, read_only: bool = False):
    """Open args.db; ask for the passphrase on a terminal when there is no keyring."""
    from desktop.models.keys import KeyUnavailable
    from desktop.services.database import Database

    url = getattr(args, "db", None)
    try:
        return Database.open(url, create=create, upgrade=upgrade, read_only=read_only)
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
        return Database.open(url, create=create, upgrade=upgrade, passphrase=passphrase, read_only=read_only)


def refuse_existing(out, force: bool) -> None:
    """An output file never silently replaces another (an unrelated database was once overwritten by JSON)."""
    if out.exists() and not force:
        raise CliError(f"{out} already exists; choose another file name, or add --force to replace it")
    if out.exists() and not out.is_file():
        raise CliError(f"{out} is not a regular file; nothing written")


def write_new_file(out, data: bytes, *, force: bool) -> None:
    """Write to a private temporary file beside `out`, then rename it into place: a reader never sees half a
    file, and an existing file is replaced only with --force (and only whole)."""
    import tempfile
    from pathlib import Path

    out = Path(out)
    refuse_existing(out, force)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp_name, out)
        else:
            try:
                os.link(tmp_name, out)  # fails if a file appeared meanwhile: never replace one without --force
                os.unlink(tmp_name)
            except FileExistsError:
                raise
            except OSError:  # no hard links on this file system (FAT, some shares): check, then rename
                if out.exists():
                    raise FileExistsError(out) from None
                os.replace(tmp_name, out)
        tmp_name = None
    except FileExistsError as exc:
        raise CliError(f"{out} already exists; choose another file name, or add --force to replace it") from exc
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def cli_user():
    """Commands run by support staff act as the system, named in the audit log by the OS account."""
    import getpass

    from desktop.services.uow import CurrentUser

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry inside some containers
        who = "unknown"
    return CurrentUser(id=None, username=f"cli:{who}", display_name="Command line", role="system", system=True)


def _crash_log(exc: BaseException) -> str:
    import traceback
    from datetime import datetime

    try:
        from desktop.config import data_dir
        from desktop.redaction import redact

        path = data_dir() / "error.log"
        # owner-only from its creation: the log names patients' files and the command lines that opened them
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(fd, "a", encoding="utf-8") as fh:
            fh.write(redact(f"\n--- {datetime.now().isoformat()} {' '.join(sys.argv)}\n"))
            fh.write(redact("".join(traceback.format_exception(exc))))
        if os.name == "posix":
            os.chmod(path, 0o600)  # an error.log made by an older version was 644
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


def _redacted(exc: BaseException) -> str:
    from desktop.redaction import redact

    return redact(str(exc))


def run_command(module, args) -> int:
    try:
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # here, where a reader gone away is caught, not in the interpreter's exit
        return code
    except CliError as exc:
        print(f"error: {_redacted(exc)}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away ("... | head"): not a crash. Point stdout at nothing so the interpreter's own
        # flush at exit does not raise again, and exit as a piped Unix tool does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        if _user_facing(exc):
            print(f"error: {_redacted(exc)}", file=sys.stderr)
            return 1
        where = _crash_log(exc)
        log.debug("unexpected", exc_info=True)
        from desktop.redaction import redact

        print(redact(f"error: unexpected {type(exc).__name__}: {exc} (details in {where})"), file=sys.stderr)
        return 1
