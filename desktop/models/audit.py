"""Append-only audit log. Each row carries a hash of the previous row's hash and its own content: an HMAC
under a key kept outside the database (`keyed` rows), or plain SHA-256 for history written before keying.
Each row also carries `state_digest`, the digest of the chart rows its transaction left behind, listed in
audit_row_state, so `check-db` can tell a chart row edited behind the app's back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_patient_ts", "patient_id", "ts"),
        Index("ix_audit_log_user_ts", "user_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives anything it names
    username: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # view | create | update | error | sign | print | login ...
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state_digest: Mapped[str | None] = mapped_column(String(64))  # None: the transaction left no chart row


class AuditHead(Base):
    """Single row holding the chain's tip; writers lock it so two workstations never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    key_check: Mapped[str | None] = mapped_column(String(16))  # fingerprint of the chain's key (not the key)
    keyed_since: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class AuditRowState(Base):
    """The digest of one chart row as an audited transaction left it ("-" when the row was gone)."""

    __tablename__ = "audit_row_state"
    __table_args__ = (Index("ix_audit_row_state_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    digest: Mapped[str] = mapped_column(String(64))
