"""What the composition root (bot.app) builds for REST consent: the tickets of the "Connect with
Nmbrs" buttons, the consent use case and its pages; each None when REST is off."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.desk import Desk

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.pages import ConsentPages
    from handlers.alerts import Outbox
    from handlers.connect import AfterConsent, Connect, TicketFacts, Tickets
    from storage.links import StoredLink


def build_tickets(desk: Desk) -> "Tickets | None":
    """The tickets of "Connect with Nmbrs" URL buttons, or None when REST is off."""
    from handlers.connect import Tickets

    if desk.rest is None or desk.settings.public_url is None:
        return None
    return Tickets(sessions=desk.sessions, public_url=desk.settings.public_url, offering=desk.offering)


def warn_stop_without_rest(desk: Desk) -> None:
    """Once at start: past TOKENDESK_NMBRS_SOAP_UNTIL without REST, intake stays SOAP only."""
    if desk.offering.stop_passed_without_rest():
        log.warning("SOAP stop date passed and REST not configured: credentials are still taken over SOAP "
                    "(TOKENDESK_NMBRS_SOAP_UNTIL=%s)", desk.settings.nmbrs_soap_until)


def build_connect(desk: Desk, tickets: "Tickets | None", outbox: "Outbox | None", *,
                  after_consent: "Sequence[AfterConsent]" = ()) -> "Connect | None":
    """The REST consent use case, or None when REST is off. `after_consent` hooks run inside the
    transaction that stores a consent (the migration tracker registers one here)."""
    from handlers.connect import Connect

    settings = desk.settings
    if desk.rest is None or tickets is None or settings.rest_redirect_uri is None:
        return None
    assert settings.nmbrs_client_id is not None
    return Connect(
        tickets=tickets, cipher=desk.cipher, gateway=desk.rest, outbox=outbox,
        authorize_endpoint=desk.rest.authorize_endpoint, client_id=settings.nmbrs_client_id,
        redirect_uri=settings.rest_redirect_uri, scopes=settings.rest_scopes, pkce=settings.nmbrs_pkce,
        after_consent=after_consent,
    )


async def match_migration(session: "AsyncSession", facts: "TicketFacts", stored: "StoredLink") -> None:
    """The migration tracker's hook: a consent covers the SOAP debtor its button or invitation was
    made for (number and name matching), or support is asked which one it covers."""
    from handlers.migration import on_rest_consent

    await on_rest_consent(session, rest_link=stored.link, migration_link_id=facts.migration_link_id,
                          migration_debtor_id=facts.migration_debtor_id, by=stored.link.username)


def consent_pages(settings: Settings, connect: "Connect | None") -> "ConsentPages | None":
    """GET /connect/nmbrs/start and /callback (bot.pages.connect), when REST is on."""
    from bot.pages import ConsentPages, redact_access_log

    if connect is None or settings.public_url is None:
        return None
    redact_access_log()
    return ConsentPages(connect, brand=settings.brand_name, default_lang=settings.language,
                        https=settings.public_url.startswith("https://"))
