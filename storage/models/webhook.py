"""The webhook outbox: one row per link event, written in the same transaction as the transition.

Rows are kept after delivery as an event log; the sender prunes old delivered ones."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class WebhookStatus(enum.StrEnum):
    PENDING = "pending"  # to be delivered, at or after next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up after the last attempt; `tokendesk webhooks --retry` queues it again
    DISABLED = "disabled"  # recorded while TOKENDESK_WEBHOOK_URL was unset; never sent


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint("status IN ('pending','delivered','failed','disabled')", name="status"),
        Index("ix_webhook_events_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Insertion order, which is the delivery order of one link's events."""
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    """The `webhook-id` header and the body's `id`: the same on every attempt, for receivers to de-duplicate."""
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """The idempotency key of the alert that announced the same transition."""
    type: Mapped[str] = mapped_column(String(40))
    """e.g. `link.broken`."""
    link_id: Mapped[int | None] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    """The exact JSON sent (and signed) on every attempt; link metadata only, never a token."""
    status: Mapped[str] = mapped_column(String(16), default=WebhookStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    """`HTTP 503`, `ConnectError`, …: never the receiver's response body."""
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while one sender (of possibly several replicas) is delivering this row."""

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.id} {self.type} link={self.link_id} {self.status}>"
