"""What handlers need from the world, as small protocols: how to reach Nmbrs, and how to tell people."""

from __future__ import annotations

from typing import Protocol

from handlers.model import Alert, Credentials, NmbrsKind, RestAnswer, TokenResult, Validation


class Nmbrs(Protocol):
    """One Nmbrs API (SOAP today, REST next) as the handlers use it: check a link's credentials.

    `check` raises InvalidInput when the credentials are refused locally (their shape) and
    otherwise returns a Validation; it never raises for anything Nmbrs or the network does.
    """

    @property
    def kind(self) -> NmbrsKind: ...

    async def check(self, credentials: Credentials) -> Validation: ...


class NmbrsRest(Protocol):
    """Nmbrs' REST API and identity server as the handlers use them. Nothing here refreshes by
    itself: the caller holding a link's lease decides when a refresh token is spent.

    No method raises for anything Nmbrs or the network does; a 401 from the API comes back as a
    Rejected with code 40102 (the caller decides whether one refresh is due first)."""

    @property
    def kind(self) -> NmbrsKind: ...

    async def exchange(self, code: str, *, code_verifier: str | None) -> TokenResult: ...

    async def refresh(self, refresh_token: str) -> TokenResult: ...

    async def revoke(self, refresh_token: str) -> bool: ...

    async def inspect(self, access_token: str) -> RestAnswer: ...


class Notifier(Protocol):
    """Delivers a neutral alert on one platform (support thread, support channel or customer DM).

    Raises on failure, so the outbox keeps the alert for the next delivery attempt."""

    platform: str

    async def deliver(self, alert: Alert) -> None: ...
