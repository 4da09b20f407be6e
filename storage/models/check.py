"""A check: one validation of a link's credentials against Nmbrs, as it happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Check(Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    """intake, recheck, confirm or manual."""
    outcome: Mapped[str] = mapped_column(String(16))
    """valid, rejected or unreachable."""
    reason: Mapped[str | None] = mapped_column(String(32))
    """Rejection category or unreachable cause."""
    fault_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    scope_digest: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("recheck_runs.id", ondelete="SET NULL"), index=True)
    transition: Mapped[str | None] = mapped_column(String(32))
    """The change of the link this check caused (activated, rejected, rotated, broken, restored,
    unverified, scope_changed), or None; the nightly digest lists these."""
