"""Every credentials submission by a chat user, for the rejected-submissions limit and stuck reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class IntakeAttempt(Base):
    __tablename__ = "intake_attempts"
    __table_args__ = (Index("ix_intake_attempts_user_at", "platform", "team_id", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    """reserved (a slot held while Nmbrs is asked), then valid, rejected, unreachable, unexpected,
    invalid (refused by the gateway's own shape check) or failed (our side); limited (no slot free).
    Only rejected, and reserved while younger than handlers.intake.RESERVATION_STALE, use a slot."""
    reason: Mapped[str | None] = mapped_column(String(32))
    """Rejection category or unreachable cause."""
    fault_code: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(254))
