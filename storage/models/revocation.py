"""A refresh token waiting to be revoked at Nmbrs (RFC 7009): sealed, retried up to 30 days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class PendingRevocation(Base):
    __tablename__ = "pending_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The link the token belonged to (kept for support's view; no foreign key: links may go)."""
    token_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    """The refresh token, sealed bound to this row (`revocation:<id>`)."""
    token_key_id: Mapped[str] = mapped_column(String(32), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """Destroyed unrevoked 30 days after this: the refresh token has expired by then anyway."""
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
