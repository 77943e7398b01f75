"""The audit chain's key and its outside anchor: both kept where a database edit does not reach.

Where the key comes from, first found wins:
  1. EMR_AUDIT_KEY (64 hex digits): set by the practice, the same on every workstation of one database;
  2. SQLCipher: derived from the database key (HMAC with a fixed label); nothing more is stored;
  3. PostgreSQL: the OS keyring ("ClinicEMR audit key", "HOST/DATABASE"), put there by the practice;
  otherwise there is none (unencrypted SQLite, a development and test mode; PostgreSQL without a key): the
  chain stays unkeyed (plain SHA-256 links, as before keying existed), anchored and with row states all the same.

The anchor is a small JSON file holding the chain's newest row number and hash (with an HMAC when keyed):
beside a SQLite database (`clinic.db.audit-anchor`), in this computer's data folder for PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from desktop.config import DbTarget

from .errors import ServiceError

log = logging.getLogger(__name__)

KEY_ENV = "EMR_AUDIT_KEY"
KEYRING_SERVICE = "ClinicEMR audit key"
DERIVE_LABEL = b"ClinicEMR audit chain v1"


class AuditKeyError(ServiceError):
    """The chain is keyed but this computer has no key, or another one: nothing is written unaudited."""


def fingerprint(key: bytes) -> str:
    """Names the key without revealing it (kept in audit_head so a wrong key is refused, not used)."""
    return hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:16]


def _hex_key(text: str, where: str) -> bytes:
    text = text.strip()
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise AuditKeyError(f"the audit key in {where} is not 64 hexadecimal digits")
    return bytes.fromhex(text)


def anchor_file(target: DbTarget) -> Path | None:
    if target.path is not None:
        return target.path.with_name(target.path.name + ".audit-anchor")
    if target.is_postgres:
        from sqlalchemy.engine import make_url

        from desktop.config import data_dir

        u = make_url(target.url)
        name = hashlib.sha256(f"{u.host}:{u.port}/{u.database}".encode()).hexdigest()[:16]
        return data_dir() / f"audit-anchor-{name}.json"
    return None  # in-memory database: nothing outlives it


def _write_private(path: Path, data: bytes) -> None:
    """Owner-only file, replaced whole (a reader never sees half of it)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@dataclass
class ChainKey:
    """The key material of one database, resolved once per process (the append runs on every chart open)."""

    target: DbTarget
    db_secret: bytes | None = None  # SQLCipher key material, only to derive from
    _resolved: bool = False
    _key: bytes | None = None
    source: str = ""
    anchor_written: int = 0  # newest row this process put in the anchor

    def key(self) -> bytes | None:
        if not self._resolved:
            self._key, self.source = self._find()
            self._resolved = True
        return self._key

    def _find(self) -> tuple[bytes | None, str]:
        env = os.environ.get(KEY_ENV)
        if env:
            return _hex_key(env, KEY_ENV), KEY_ENV
        if self.db_secret is not None:
            return hmac.new(self.db_secret, DERIVE_LABEL, hashlib.sha256).digest(), "derived from the database key"
        if self.target.is_postgres:
            stored = self._from_keyring()
            if stored:
                return _hex_key(stored, "the keyring"), "keyring"
            return None, ""
        return None, ""

    def _from_keyring(self) -> str | None:
        from desktop.models.keys import keyring_usable

        if not keyring_usable():
            return None
        import keyring
        from sqlalchemy.engine import make_url

        u = make_url(self.target.url)
        try:
            return keyring.get_password(KEYRING_SERVICE, f"{u.host}/{u.database}")
        except Exception as exc:  # a broken keyring backend: the chain is verified as unkeyed, and says so
            log.warning("audit key not read from the keyring: %s", exc)
            return None


def db_secret(db_key) -> bytes | None:
    """The SQLCipher key (raw or passphrase) as bytes to derive the audit key from; None without one."""
    if db_key is None:
        return None
    if getattr(db_key, "raw_hex", None):
        return bytes.fromhex(db_key.raw_hex)
    if getattr(db_key, "passphrase", None):
        return db_key.passphrase.encode("utf-8")
    return None


# ------------------------------------------------------------------ the anchor


@dataclass(frozen=True, slots=True)
class Anchor:
    last_id: int
    last_hash: str
    keyed_since: int | None
    mac: str  # "" for an unkeyed chain

    def body(self) -> bytes:
        return f"{self.last_id}:{self.last_hash}:{self.keyed_since or 0}".encode("ascii")


def anchor_mac(key: bytes | None, last_id: int, last_hash: str, keyed_since: int | None) -> str:
    if key is None:
        return ""
    return hmac.new(key, Anchor(last_id, last_hash, keyed_since, "").body(), hashlib.sha256).hexdigest()


def read_anchor(path: Path | None) -> Anchor | None:
    """The anchor, or None when there is none. A file that cannot be read as one raises ValueError."""
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    return Anchor(int(data["last_id"]), str(data["last_hash"]), data.get("keyed_since"), str(data.get("mac", "")))


def write_anchor(path: Path, anchor: Anchor) -> None:
    _write_private(path, json.dumps({"last_id": anchor.last_id, "last_hash": anchor.last_hash,
                                     "keyed_since": anchor.keyed_since, "mac": anchor.mac}).encode("utf-8"))
