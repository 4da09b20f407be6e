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


class Undeliverable(Exception):
    """A customer message its platform refused for good: the person is gone, deactivated, or may not
    be written to by the bot (Slack `user_not_found`, `cannot_dm_bot`, ...; Teams 403/404). Trying
    again will not help, so the outbox settles the alert and, where its kind allows, tells support
    instead (handlers.undelivered). Any other exception from a notifier is retried."""

    def __init__(self, *, platform: str, code: str, external: bool = False) -> None:
        super().__init__(f"{platform} refused the message for good ({code})")
        self.platform = platform
        self.code = code
        """The platform's own word for it (Slack's error, or Teams' HTTP status and error code)."""
        self.external = external
        """The customer is of another organisation than the bot's (a Slack Connect user)."""


class Notifier(Protocol):
    """Delivers a neutral alert on one platform (support thread, support channel or customer DM).

    Raises on failure, so the outbox keeps the alert for the next delivery attempt; Undeliverable
    when the platform refused a customer message for good."""

    platform: str
    support_channel: str | None
    """Where support hears about links on this platform (None: on the other platform(s))."""

    async def deliver(self, alert: Alert) -> None: ...
