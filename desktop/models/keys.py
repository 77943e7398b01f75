"""Where the database key comes from: the OS keyring, or a passphrase when there is no keyring."""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from .engine import DbKey

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ClinicEMR database key"
PASSPHRASE_ENV = "EMR_DB_PASSPHRASE"


_WRITTEN_KEY = re.compile(r"[0-9a-fA-F]{64}")


def written_down_key(text: str | None) -> DbKey | None:
    """The keyring key as an administrator wrote it down from Admin > Database key… (64 hex digits, shown in
    groups of four: spaces are ignored), or None when the text is not one (it is then a passphrase)."""
    compact = "".join((text or "").split())
    return DbKey(raw_hex=compact.lower()) if _WRITTEN_KEY.fullmatch(compact) else None


def grouped(raw_hex: str) -> str:
    """A key as it is shown to be written down: groups of four digits, easier to copy by hand and to check."""
    return " ".join(raw_hex[i:i + 4] for i in range(0, len(raw_hex), 4))


def keep_in_keyring(path: Path, raw_hex: str) -> bool:
    """Store a database's key in this computer's keyring (a written-down key typed in on a new computer), so the
    next start does not ask; False when there is no keyring."""
    if not keyring_usable():
        return False
    import keyring

    keyring.set_password(KEYRING_SERVICE, str(path), raw_hex)
    log.info("the database key typed for %s is now kept in this computer's keyring", path)
    return True


class KeyUnavailable(Exception):
    """No key for the database: no keyring backend, or a keyring without this database's key (a new computer, a
    database restored from a backup made with a passphrase). The caller asks for the passphrase or the
    written-down key."""

    def __init__(self, message: str, *, no_keyring: bool):
        super().__init__(message)
        self.no_keyring = no_keyring


def keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not crash start-up: we ask for a passphrase
        log.warning("keyring unavailable: %s", exc)
        return False
    if isinstance(backend, fail.Keyring):
        return False
    children = getattr(backend, "backends", None)
    return not (children is not None and len(children) == 0)


def key_for(path: Path, *, create: bool, passphrase: str | None = None) -> DbKey:
    """The key of the encrypted file at path. A passphrase (given or from the environment) wins."""
    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    if passphrase:
        return DbKey(passphrase=passphrase)
    if not keyring_usable():
        raise KeyUnavailable(
            "this computer has no keyring to hold the database key: enter the database passphrase "
            f"(or set {PASSPHRASE_ENV})", no_keyring=True)
    import keyring

    stored = keyring.get_password(KEYRING_SERVICE, str(path))
    if stored:
        return DbKey(raw_hex=stored)
    if not create:
        raise KeyUnavailable(
            f"the key of {path} is not in this computer's keyring: enter the database passphrase or the "
            f"written-down database key (or set {PASSPHRASE_ENV})", no_keyring=False)
    new_key = secrets.token_hex(32)
    keyring.set_password(KEYRING_SERVICE, str(path), new_key)
    log.info("generated a new database key for %s and stored it in the keyring", path)
    return DbKey(raw_hex=new_key)
