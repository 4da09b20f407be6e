"""Try mode's Settings, built from explicit values only: neither `.env` nor the environment (where
production settings may live) is read, except TOKENDESK_NMBRS_URL when the user points it at Nmbrs."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config import Settings
from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
)
from bot.trymode.practice import SUPPORT_CHANNEL, SUPPORT_USER

#: Try mode assumes Nmbrs stops the SOAP API this many days after today, so the migration tracker has
#: something to show (`/nmbrs migration`); the chat still offers both ways until then.
SOAP_DAYS_LEFT = 60
#: How long a definitive failure waits for its confirming attempt in try mode (300 s in production).
CONFIRM_DELAY_S = 5.0
NMBRS_URL_VARIABLE = "TOKENDESK_NMBRS_URL"


class TrySettings(Settings):
    """Settings that take only what they are given."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def real_nmbrs_url() -> str | None:
    """The Nmbrs the user chose (their sandbox), or None for the practice Nmbrs."""
    return os.environ.get(NMBRS_URL_VARIABLE) or None


def practice_rest_settings(rest: NmbrsRestStandIn, *, public_url: str) -> dict[str, Any]:
    """The desk's REST settings for the practice identity server and API (its app registration)."""
    return dict(
        public_url=public_url,
        nmbrs_client_id=PRACTICE_CLIENT_ID,
        nmbrs_client_secret=PRACTICE_CLIENT_SECRET,
        nmbrs_subscription_key=PRACTICE_SUBSCRIPTION_KEY,
        nmbrs_identity_url=rest.identity_url,
        nmbrs_rest_url=rest.api_url,
        nmbrs_soap_until=date.today() + timedelta(days=SOAP_DAYS_LEFT),
    )


def try_settings(
    *, directory: Path, slack_api_url: str, nmbrs_url: str, bot_token: str, signing_secret: str, **extra: Any
) -> TrySettings:
    values: dict[str, Any] = dict(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack_api_url,
        support_channel=SUPPORT_CHANNEL,
        support_users=[SUPPORT_USER],
        nmbrs_url=nmbrs_url,
        nmbrs_retries=0,
        nmbrs_connect_timeout_s=2.0,
        nmbrs_read_timeout_s=5.0,
        database_url=f"sqlite:///{directory / 'tokendesk.db'}",
        confirm_delay_s=CONFIRM_DELAY_S,
        language="en",
        # The desk's own pages (consent result, invitations) carry the brand: it says try mode there.
        brand_name="tokendesk (try mode)",
        log_format="text",
        log_level="INFO",
    )
    values.update(extra)
    return TrySettings(**values)
