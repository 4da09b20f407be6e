"""One visit to a connect ticket: the OAuth state sent to Nmbrs, the browser cookie that must come
back with it, and the PKCE verifier (sealed). Single use, 10 minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class OAuthState(Base):
    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 of the state parameter (256 random bits)."""
    ticket_id: Mapped[int] = mapped_column(ForeignKey("connect_tickets.id", ondelete="CASCADE"), index=True)
    cookie_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 of the cookie set on the browser that started (RFC 6749 §10.12)."""
    verifier_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The PKCE code verifier, sealed bound to this row (`oauth_state:<id>`); None without PKCE."""
    verifier_key_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by the first callback that names this state, before anything else happens."""

    def __repr__(self) -> str:  # never a hash or the verifier
        return f"<OAuthState {self.id}>"
