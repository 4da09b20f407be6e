"""Invitations: one-time links to the web page where a customer outside Slack and Teams connects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_open", "used_at", "revoked_at", "expires_at"),
        Index("ix_invitations_for", "for_platform", "for_team", "for_user"),
        Index("ix_invitations_migration", "migration_link_id", "migration_debtor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Shown as `I<id>`; says nothing about the secret."""
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 of the secret in the URL; the secret is 256 random bits, so no slow hash is needed."""
    name: Mapped[str] = mapped_column(String(200))
    """Who it is for, as support typed it (customer name or e-mail address)."""
    email: Mapped[str | None] = mapped_column(String(254))
    """Where support can write to the customer (there is no chat to reach them)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_platform: Mapped[str] = mapped_column(String(16))
    """slack, teams or cli."""
    created_team: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    """The support person (chat user id) or the operator (`cli`)."""
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a submission connected a link; the invitation is spent from then on."""
    link_id: Mapped[int | None] = mapped_column(ForeignKey("links.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    for_platform: Mapped[str | None] = mapped_column(String(16))
    """Set when the desk made it for one chat user who pressed "Connect Nmbrs" in a shared channel
    and could not get the form: that person (platform, team, user). None for support's own."""
    for_team: Mapped[str | None] = mapped_column(String(64))
    for_user: Mapped[str | None] = mapped_column(String(128))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    """The shared channel whose Connect message was pressed."""
    via_id: Mapped[int | None] = mapped_column(Integer)
    """The invitation whose Connect message that was (`I<via_id>`)."""
    migration_link_id: Mapped[int | None] = mapped_column(Integer)
    """Set when `/nmbrs migration invite` made it for one SOAP debtor still to move: that SOAP link,"""
    migration_debtor_id: Mapped[int | None] = mapped_column(Integer)
    """that SOAP debtor (a consent from the page covers it when number and name match),"""
    migration_round: Mapped[str | None] = mapped_column(String(32))
    """and that invite (storage.models.migration_invite.MigrationInvite.round)."""

    @property
    def short_id(self) -> str:
        return f"I{self.id}"

    def is_open(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now

    def __repr__(self) -> str:  # never the hash
        return f"<Invitation {self.short_id}>"
