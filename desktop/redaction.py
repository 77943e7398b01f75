"""Credentials never reach a log, the crash file or a message: passwords in database URLs, key pragmas,
password=/passphrase= settings. Pure text functions, no dependencies (every layer may use them)."""

from __future__ import annotations

import logging
import re

MASK = "***"

# scheme://user:password@host -> scheme://user:***@host (PostgreSQL URLs, any driver)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^:/@\s'\"]*):(?P<secret>[^@\s'\"]*)@", re.IGNORECASE)
# password=secret, passphrase: secret, PGPASSWORD=secret, EMR_DB_PASSPHRASE=secret (libpq DSNs, environments)
_KEY_VALUE = re.compile(
    r"(?P<head>\b[\w.]*(?:password|passphrase|passwd|pwd)\b\s*[=:]\s*)(?P<q>['\"]?)(?P<secret>[^\s'\"&;]+)(?P=q)",
    re.IGNORECASE)
# PRAGMA key = 'passphrase' / "x'hex'" (SQLCipher)
_PRAGMA_KEY = re.compile(r"(?P<head>\bPRAGMA\s+(?:re)?key\s*=\s*)(?P<secret>\"x'[0-9a-f]*'\"|'(?:[^']|'')*')",
                         re.IGNORECASE)


def redact(text: str) -> str:
    """The text with every credential it carries replaced by ***."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m['head']}{m['q']}{MASK}{m['q']}", text)
    return _PRAGMA_KEY.sub(lambda m: f"{m['head']}'{MASK}'", text)


class RedactingFilter(logging.Filter):
    """On a handler: the formatted message (arguments and traceback included) is redacted before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of the logger (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
