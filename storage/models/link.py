"""A link: one set of Nmbrs credentials, its scope, who sent it and its state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class LinkState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    BROKEN = "broken"
    UNVERIFIED = "unverified"
    REVOKED = "revoked"


#: States whose token is still held and so re-checked every night.
CHECKED_STATES = (LinkState.ACTIVE, LinkState.BROKEN, LinkState.UNVERIFIED, LinkState.PENDING)


class LinkKind(enum.StrEnum):
    SOAP = "soap"  # login e-mail + API token
    REST = "rest"  # an OAuth consent: rotating refresh token, hourly access token


# Partial unique indexes (both SQLite and PostgreSQL have them): a SOAP link is one login in one
# environment, a REST link is one debtor; neither key means anything for the other kind.
_SOAP_ONLY = text("kind = 'soap'")
_REST_ONLY = text("kind = 'rest'")


class Link(Base):
    __tablename__ = "links"
    __table_args__ = (
        Index("uq_links_soap_account", "username", "environment", unique=True,
              sqlite_where=_SOAP_ONLY, postgresql_where=_SOAP_ONLY),
        Index("uq_links_rest_debtor", "debtor_id", unique=True, sqlite_where=_REST_ONLY, postgresql_where=_REST_ONLY),
        CheckConstraint("kind IN ('soap','rest')", name="kind"),
        CheckConstraint(
            "state IN ('pending','active','rejected','broken','unverified','revoked')", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default=LinkKind.SOAP, server_default="soap")
    """soap or rest: which Nmbrs API the link goes through."""
    username: Mapped[str] = mapped_column(String(254), index=True)
    """The Nmbrs login e-mail, trimmed and lower-cased (REST: the consenting user's e-mail)."""
    environment: Mapped[str | None] = mapped_column(String(100))
    """The Nmbrs sub-domain (`acme` for acme.nmbrs.nl); unknown until Nmbrs answered once."""
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Nonce and AES-256-GCM ciphertext of the token (REST: the refresh token, sealed for the
    purpose `refresh`), bound to this row's id; None once revoked."""
    token_key_id: Mapped[str | None] = mapped_column(String(32), index=True)
    """Which key of TOKENDESK_KEYS sealed the token."""
    token_last4: Mapped[str | None] = mapped_column(String(4))
    """The only part of the token ever shown to people."""
    state: Mapped[str] = mapped_column(String(16), default=LinkState.PENDING, index=True)
    debtors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """What the token reaches: [{id, number, name}]."""
    companies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """What the token reaches: [{id, number, name, debtor_id}]."""
    scope_digest: Mapped[str | None] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16), default="slack")
    """Where the credentials came from: slack or teams."""
    team_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    """The chat user who sent the credentials."""
    label: Mapped[str | None] = mapped_column(String(200))
    last_fault_code: Mapped[int | None] = mapped_column(Integer)
    last_reason: Mapped[str | None] = mapped_column(String(32))
    """Category of the last failure (credentials, rights, subscription, other, or a transient cause)."""
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    """Consecutive transient failures of scheduled checks (for the unverified rule)."""
    confirm_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while a definitive failure on an active link waits for its confirming attempt."""
    rest_user_id: Mapped[str | None] = mapped_column(String(64))
    """REST: the Nmbrs user id of the person who consented (their e-mail is `username`)."""
    debtor_id: Mapped[str | None] = mapped_column(String(36))
    """REST: the debtor (UUID) the consent gives access to; unique among REST links."""
    debtor_number: Mapped[str | None] = mapped_column(String(32))
    debtor_name: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[str | None] = mapped_column(String(1000))
    """REST: the scopes granted, space-separated."""
    access_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    """REST: the current access token, sealed for the purpose `access`, bound to this row."""
    access_key_id: Mapped[str | None] = mapped_column(String(32))
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """REST: when the tokens on this row were last committed from a token answer."""
    refresh_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """REST: set (and committed) before a refresh is sent, cleared when its answer is settled. Still
    set afterwards means an answer was lost (timeout, crash): the token may have rotated unseen."""
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """REST: the worker refreshing this link holds it until then (longer than the call's timeouts)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def short_id(self) -> str:
        return f"L{self.id}"

    @property
    def holds_token(self) -> bool:
        return self.token_ciphertext is not None

    @property
    def is_rest(self) -> bool:
        return self.kind == LinkKind.REST

    def __repr__(self) -> str:  # never the ciphertext
        return f"<Link {self.short_id} {self.kind} {self.state} {self.environment}>"
