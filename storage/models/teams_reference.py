"""Where the Teams bot can speak later: a conversation reference per 1:1 chat, channel and team.

Bot Framework has no "open a DM" call that works without one of these: proactive messages need the
conversation id and the serviceUrl of the region that hosts it, both learnt from an inbound activity
(the app's installation, or any message). One row per personal chat, channel and team, kept fresh.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class TeamsReference(Base):
    __tablename__ = "teams_references"
    __table_args__ = (Index("ix_teams_references_kind_tenant", "kind", "tenant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    """personal:<tenant>:<user object id>, channel:<channel id>, team:<team id> or user:<tenant>:<user object id>."""
    kind: Mapped[str] = mapped_column(String(16))
    """personal, channel, team, or user (someone met in a channel: their name only)."""
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(200))
    """The Teams team id (19:…@thread.tacv2) for channels and teams."""
    conversation_id: Mapped[str] = mapped_column(String(300))
    """The 1:1 chat, the channel (without ;messageid=) or the team's General channel."""
    user_id: Mapped[str | None] = mapped_column(String(128))
    """personal: the user's Entra object id (what links and staff lists name)."""
    teams_user_id: Mapped[str | None] = mapped_column(String(200))
    """personal: the user's Bot Framework id (29:…)."""
    user_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    service_url: Mapped[str] = mapped_column(String(500))
    """The connector base URL of the region that hosts the conversation."""
    bot_id: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
