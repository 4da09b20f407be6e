"""API keys for the integration's hand-off API: stored only as a hash, shown in clear once at creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Part of the key itself (`td_<id>_<secret>`), so a presented key is looked up by id, not by hash."""
    name: Mapped[str] = mapped_column(String(100))
    """What the key is for, e.g. `payroll-sync production`."""
    secret_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 of the whole key; the key is 256 random bits, so a slow hash would add nothing."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the key last authenticated a request (to the minute: writes are throttled)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:  # never the hash
        return f"<ApiKey {self.id} {self.name!r}{' revoked' if self.revoked else ''}>"
