"""One SOAP debtor's move to REST: covered by a REST link, or marked not needed. A debtor of a SOAP
link without a row is still to move (the implicit state)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class MoveState(enum.StrEnum):
    TO_MOVE = "to_move"  # never stored: no row
    COVERED = "covered"
    NOT_NEEDED = "not_needed"


class MigrationDebtor(Base):
    __tablename__ = "migration_debtors"
    __table_args__ = (
        UniqueConstraint("soap_link_id", "debtor_id", name="uq_migration_debtors_link_debtor"),
        CheckConstraint("state IN ('covered','not_needed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    soap_link_id: Mapped[int] = mapped_column(Integer, index=True)
    """The SOAP link that reaches the debtor (no foreign key: a link's history outlives it)."""
    debtor_id: Mapped[int] = mapped_column(Integer)
    """The SOAP debtor id (an integer in Nmbrs' SOAP API), as in the link's `debtors`."""
    state: Mapped[str] = mapped_column(String(16))
    """covered or not_needed."""
    rest_link_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """covered: the REST link that covers it."""
    matched_by: Mapped[str] = mapped_column(String(200))
    """Who or what decided: `consent from migration button`, `support: <user>`."""
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
