"""Where a link's story is told: its parent message in the support channel, per platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class SupportThread(Base):
    __tablename__ = "support_threads"
    __table_args__ = (UniqueConstraint("link_id", "platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[str] = mapped_column(String(200))
    """Slack: the parent message's ts. Teams: the conversation id of the thread."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
