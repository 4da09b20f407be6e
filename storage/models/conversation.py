"""A half-finished intake: one part of the credentials, kept for a short while until the other arrives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class PendingConversation(Base):
    __tablename__ = "pending_conversations"
    __table_args__ = (UniqueConstraint("platform", "team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(254))
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    """A token sent without its e-mail, sealed like a link's token (bound to this row)."""
    token_key_id: Mapped[str | None] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
