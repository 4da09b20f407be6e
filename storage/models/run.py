"""Nightly check runs and the database lease that lets one replica run them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class RecheckRun(Base):
    __tablename__ = "recheck_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    """queued (asked for by the schedule, not started yet), running, finished or abandoned."""
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    holder: Mapped[str | None] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    slot: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The scheduled time this run is for (`schedule:<UTC ISO time>`): every replica asks for the
    same slot, the unique constraint keeps one run. None for runs started by hand."""


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
