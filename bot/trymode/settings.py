"""Try mode's Settings, built from explicit values only: neither `.env` nor the environment (where
production settings may live) is read, except TOKENDESK_NMBRS_URL when the user points it at Nmbrs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config import Settings
from bot.trymode.practice import SUPPORT_CHANNEL, SUPPORT_USER

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
        log_format="text",
        log_level="INFO",
    )
    values.update(extra)
    return TrySettings(**values)
