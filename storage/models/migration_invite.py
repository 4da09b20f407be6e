"""When a SOAP link's customer was last invited to move its debtors to REST (`/nmbrs migration
invite`): at most once per TOKENDESK_MIGRATION_REMIND_DAYS per link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class MigrationInvite(Base):
    __tablename__ = "migration_invites"

    soap_link_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The SOAP link (no foreign key, as in migration_debtors: its history outlives it)."""
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by: Mapped[str] = mapped_column(String(128))
    """The support person (platform and user id)."""
    round: Mapped[str] = mapped_column(String(32))
    """Names this invite (random, not a secret): its per-debtor invitations carry it, so a retried
    delivery renews the same invitations instead of making more."""
