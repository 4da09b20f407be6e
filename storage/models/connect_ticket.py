"""A connect ticket: the reusable value in a "Connect with Nmbrs" button's URL, bound to one person
(and perhaps to an invitation or a SOAP link moving to REST); only its hash is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ConnectTicket(Base):
    __tablename__ = "connect_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 of the ticket in the URL (256 random bits, so no slow hash is needed)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    """24 hours after it was made: a chat button's URL is fixed when the message is posted."""
    platform: Mapped[str] = mapped_column(String(16))
    """slack, teams or web (an invitation page): where the person who gets the link is."""
    team_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    """nl or en: the result page's and the chat answer's language."""
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    """The invitation a consent through this ticket uses up."""
    migration_link_id: Mapped[int | None] = mapped_column(Integer)
    """The SOAP link this consent is meant to replace (the migration tracker's business)."""
    migration_debtor_id: Mapped[int | None] = mapped_column(Integer)
    """That SOAP link's debtor, by its SOAP integer id (the migration tracker's business)."""

    def __repr__(self) -> str:  # never the hash
        return f"<ConnectTicket {self.id} {self.platform}>"
