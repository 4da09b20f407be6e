"""The alert outbox: written in the same transaction as the state change it announces, then delivered.

The unique key makes one transition one alert, however often a run is retried or restarted."""

from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class AlertRecord(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """Idempotency key, e.g. `link:12:broken:40` (the check that caused it) or `stuck:slack:T1:U1:2026-11-22`."""
    kind: Mapped[str] = mapped_column(String(32))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The neutral alert (handlers.model.Alert.to_dict()); never a token."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while one replica's outbox sends it, so another does not send it too."""
