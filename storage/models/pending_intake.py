"""An intake acknowledged to the chat platform but not yet answered: what to check and where to answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class PendingIntake(Base):
    __tablename__ = "pending_intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    """slack or teams: whose notifier answers."""
    team_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    channel_id: Mapped[str | None] = mapped_column(String(300))
    """Where the credentials were sent (a DM channel, a Teams conversation); None for a form."""
    thread_id: Mapped[str | None] = mapped_column(String(64))
    """The thread to answer in, when the message was in one."""
    view_id: Mapped[str | None] = mapped_column(String(64))
    """The form's view to replace with the outcome (Slack modal); by DM when it is gone."""
    view_hash: Mapped[str | None] = mapped_column(String(64))
    """The view's hash as submitted (Slack refuses a stale one; then the update is made without it)."""
    response_target: Mapped[str | None] = mapped_column(String(500))
    """A platform's own reply address (a Teams service URL), when it needs one."""
    lang: Mapped[str | None] = mapped_column(String(8))
    username: Mapped[str] = mapped_column(String(254))
    token_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    """The token, sealed and bound to this row (storage.cipher.intake_row)."""
    token_key_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    """dm (a chat message: answered as the DM answer is) or form (the modal)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    """A worker is running this intake until then (renewed while it runs); expired means its process died."""
    via_invitation: Mapped[str | None] = mapped_column(String(16))
    """The invitation (`I7`) whose Connect message in a shared channel opened the form, if any."""
    via_channel: Mapped[str | None] = mapped_column(String(32))
    """That shared channel."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How many workers have taken it (a poison row is given up after a few)."""
