"""What the identity stand-in remembers: authorization codes, consents (grants) and the access
and refresh tokens issued from them, with the rules of RFC 6749, RFC 7636 and RFC 7009."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.standins.nmbrs_rest.accounts import new_id

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


class OAuthFailure(Exception):
    """An RFC 6749 §5.2 error answer: `error`, `error_description`, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class Grant:
    """One consent: a user allowed one client these scopes. Dead once revoked or its code reused."""

    id: str
    email: str
    client_id: str
    scopes: tuple[str, ...]
    alive: bool = True


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    email: str
    scopes: tuple[str, ...]
    challenge: str | None
    issued_at: float
    used: bool = False
    grant_id: str | None = None  # set when it was exchanged, so a replay can revoke what it gave


@dataclass
class IssuedToken:
    kind: Literal["access", "refresh"]
    grant_id: str
    email: str
    scopes: tuple[str, ...]
    expires_at: float
    alive: bool = True
    # a refresh token is single use: spent once it was exchanged for a new one
    spent: bool = False
    issued_from: str = field(default="")  # "authorization_code" or "refresh_token"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenLedger:
    """Codes, grants and tokens. Thread-safe: tests revoke and expire while the server serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.code_lifetime_s = 300.0
        self.access_lifetime_s = 3600
        self.refresh_lifetime_s = 30 * 24 * 3600.0  # sliding: each rotation lives this long again
        # A replayed (already rotated) refresh token kills the whole consent, as OAuth 2.1 advises
        # and some servers do; unconfirmed for Nmbrs, so off unless a test asks.
        self.reuse_revokes_grant = False
        # RFC 7009 §2.1: revoking a refresh token MAY revoke the access tokens of the same grant.
        self.revocation_kills_access = True
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, IssuedToken] = {}

    # -- authorization codes ------------------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        email: str,
        scopes: tuple[str, ...],
        challenge: str | None,
        now: float,
    ) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = AuthorizationCode(client_id, redirect_uri, email, scopes, challenge, now)
        return code

    def redeem_code(
        self, *, client_id: str, code: str, redirect_uri: str | None, verifier: str | None, now: float
    ) -> Grant:
        """The grant a valid code stands for. Any redemption uses the code up (single use)."""
        with self._lock:
            found = self.codes.get(code)
            if found is None or found.client_id != client_id:
                raise OAuthFailure("invalid_grant", "The authorization code is invalid.")
            if found.used:
                # RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued from it.
                if found.grant_id is not None:
                    self._kill_grant(found.grant_id, access=True)
                raise OAuthFailure("invalid_grant", "The authorization code was already used.")
            found.used = True
            if now - found.issued_at > self.code_lifetime_s:
                raise OAuthFailure("invalid_grant", "The authorization code has expired.")
            if redirect_uri != found.redirect_uri:
                raise OAuthFailure(
                    "invalid_grant", "The redirect_uri does not match the authorization request."
                )
            self._check_pkce(found.challenge, verifier)
            grant = Grant(new_id(), found.email, client_id, found.scopes)
            self.grants[grant.id] = grant
            found.grant_id = grant.id
            return grant

    @staticmethod
    def _check_pkce(challenge: str | None, verifier: str | None) -> None:
        if challenge is None:
            if verifier is not None:
                # a verifier without a challenge is a downgrade attempt (OAuth 2.1 §4.1.3)
                raise OAuthFailure("invalid_grant", "A code_verifier was sent but no code_challenge was.")
            return
        if verifier is None:
            raise OAuthFailure("invalid_grant", "The code_verifier is missing.")
        if not _VERIFIER.fullmatch(verifier):
            raise OAuthFailure("invalid_grant", "The code_verifier is malformed.")
        if not hmac.compare_digest(s256(verifier), challenge):
            raise OAuthFailure("invalid_grant", "The code_verifier does not match the code_challenge.")

    # -- tokens -------------------------------------------------------------------------------

    def issue_tokens(
        self,
        grant: Grant,
        *,
        scopes: tuple[str, ...],
        now: float,
        issued_from: str,
        with_refresh: bool = True,
    ) -> tuple[str, str | None]:
        """A new access token, and a refresh token when the grant includes offline_access."""
        access = secrets.token_urlsafe(48)
        refresh = secrets.token_urlsafe(48) if with_refresh and "offline_access" in grant.scopes else None
        with self._lock:
            self.tokens[access] = IssuedToken(
                "access", grant.id, grant.email, scopes, now + self.access_lifetime_s, issued_from=issued_from
            )
            if refresh is not None:
                self.tokens[refresh] = IssuedToken(
                    "refresh",
                    grant.id,
                    grant.email,
                    grant.scopes,
                    now + self.refresh_lifetime_s,
                    issued_from=issued_from,
                )
        return access, refresh

    def rotate(
        self, *, client_id: str, refresh_token: str, scopes: tuple[str, ...] | None, now: float
    ) -> tuple[Grant, tuple[str, ...]]:
        """Spend a refresh token: the grant to issue new tokens from and the scopes of the new
        access token (`scopes` may narrow the grant, RFC 6749 §6). The old token dies at once."""
        with self._lock:
            found = self.tokens.get(refresh_token)
            if found is None or found.kind != "refresh":
                raise OAuthFailure("invalid_grant", "The refresh token is invalid.")
            grant = self.grants[found.grant_id]
            if grant.client_id != client_id:
                raise OAuthFailure("invalid_grant", "The refresh token was issued to another client.")
            if found.spent:
                if self.reuse_revokes_grant:
                    self._kill_grant(grant.id, access=True)
                raise OAuthFailure("invalid_grant", "The refresh token was already used.")
            if not found.alive or not grant.alive:
                raise OAuthFailure("invalid_grant", "The refresh token was revoked.")
            if now >= found.expires_at:
                raise OAuthFailure("invalid_grant", "The refresh token has expired.")
            if scopes is not None and not set(scopes) <= set(grant.scopes):
                raise OAuthFailure("invalid_scope", "The requested scope exceeds what was granted.")
            found.spent = True
            return grant, scopes if scopes is not None else grant.scopes

    def access_token(self, token: str, *, now: float) -> IssuedToken | None:
        """The live, unexpired access token, or None."""
        with self._lock:
            found = self.tokens.get(token)
            if found is None or found.kind != "access" or not found.alive or now >= found.expires_at:
                return None
            return found

    def revoke(self, *, client_id: str, token: str) -> bool:
        """RFC 7009: whether something was revoked. Unknown tokens and other clients' are no-ops."""
        with self._lock:
            found = self.tokens.get(token)
            if found is None or self.grants[found.grant_id].client_id != client_id:
                return False
            if found.kind == "access":
                found.alive = False
                return True
            # The consent ends with its refresh token: nothing can be refreshed from it any more.
            self._kill_grant(found.grant_id, access=self.revocation_kills_access)
            return True

    def revoke_user(self, email: str, *, access: bool) -> int:
        """The user withdrew every consent in Nmbrs: how many consents ended."""
        with self._lock:
            mine = [g.id for g in self.grants.values() if g.email == email and g.alive]
            for grant_id in mine:
                self._kill_grant(grant_id, access=access)
            return len(mine)

    def expire_access(self, *, now: float) -> None:
        with self._lock:
            for token in self.tokens.values():
                if token.kind == "access":
                    token.expires_at = min(token.expires_at, now)

    def live_refresh_tokens(self, email: str | None = None) -> int:
        """How many refresh tokens could still be used (for tests: a revocation left none)."""
        with self._lock:
            return sum(
                1
                for t in self.tokens.values()
                if t.kind == "refresh"
                and t.alive
                and not t.spent
                and self.grants[t.grant_id].alive
                and (email is None or t.email == email)
            )

    def dump(self) -> dict[str, Any]:
        """The live consents and their usable tokens, to be loaded into a later run (try mode keeps
        them, so a REST link made yesterday still renews today). Codes are not kept: they live minutes."""
        with self._lock:
            grants = {g.id: asdict(g) for g in self.grants.values() if g.alive}
            tokens = {value: asdict(t) for value, t in self.tokens.items()
                      if t.alive and not t.spent and t.grant_id in grants}
        return {"grants": grants, "tokens": tokens}

    def load(self, kept: dict[str, Any]) -> None:
        """What `dump` gave, added to this ledger."""
        grants = {key: Grant(**{**value, "scopes": tuple(value["scopes"])})
                  for key, value in (kept.get("grants") or {}).items()}
        tokens = {key: IssuedToken(**{**value, "scopes": tuple(value["scopes"])})
                  for key, value in (kept.get("tokens") or {}).items() if value.get("grant_id") in grants}
        with self._lock:
            self.grants.update(grants)
            self.tokens.update(tokens)

    def _kill_grant(self, grant_id: str, *, access: bool) -> None:
        grant = self.grants[grant_id]
        grant.alive = False
        for token in self.tokens.values():
            if token.grant_id == grant_id and (token.kind == "refresh" or access):
                token.alive = False
