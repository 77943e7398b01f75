"""Where the database key comes from: the OS keyring, or a passphrase when there is no keyring."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from .engine import DbKey

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ClinicEMR database key"
PASSPHRASE_ENV = "EMR_DB_PASSPHRASE"


class KeyUnavailable(Exception):
    """No keyring backend and no passphrase: the caller must ask the user for one."""


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
            f"(or set {PASSPHRASE_ENV})"
        )
    import keyring

    stored = keyring.get_password(KEYRING_SERVICE, str(path))
    if stored:
        return DbKey(raw_hex=stored)
    if not create:
        raise KeyUnavailable(
            f"the key of {path} is not in this computer's keyring: enter the database passphrase "
            f"(or set {PASSPHRASE_ENV})"
        )
    new_key = secrets.token_hex(32)
    keyring.set_password(KEYRING_SERVICE, str(path), new_key)
    log.info("generated a new database key for %s and stored it in the keyring", path)
    return DbKey(raw_hex=new_key)
