"""Inbound deliveries already handled, so a retried event is never handled twice (across replicas too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class InboundDelivery(Base):
    __tablename__ = "inbound_deliveries"
    __table_args__ = (UniqueConstraint("platform", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(200))
    """The platform's id of the delivery: Slack's event_id, or channel:ts for messages."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
