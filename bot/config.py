"""The one Settings object: every setting tokendesk reads, from the environment or a `.env` file."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(Exception):
    """Raised when settings are missing or invalid; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))


_DURATION = re.compile(r"^\s*([1-9][0-9]{0,4})\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(value: str) -> timedelta:
    """`7d`, `12h`, `30m` as a timedelta; ValueError (naming the form expected) otherwise."""
    match = _DURATION.match(value or "")
    if match is None:
        raise ValueError("expected a duration like 7d, 12h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Names match the environment variables in DESIGN.md (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="TOKENDESK_SLACK_API_URL")
    support_channel: str | None = Field(default=None, alias="TOKENDESK_SUPPORT_CHANNEL")
    support_usergroup: str | None = Field(default=None, alias="TOKENDESK_SUPPORT_USERGROUP")
    support_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="TOKENDESK_SUPPORT_USERS"
    )
    nmbrs_url: str = Field(default="https://api.nmbrs.nl/soap/v3/", alias="TOKENDESK_NMBRS_URL")
    nmbrs_connect_timeout_s: float = Field(default=5.0, gt=0, alias="TOKENDESK_NMBRS_CONNECT_TIMEOUT_S")
    nmbrs_read_timeout_s: float = Field(default=20.0, gt=0, alias="TOKENDESK_NMBRS_READ_TIMEOUT_S")
    nmbrs_retries: int = Field(default=2, ge=0, le=10, alias="TOKENDESK_NMBRS_RETRIES")
    database_url: str = Field(default="sqlite:///tokendesk.db", alias="DATABASE_URL")
    keys: SecretStr | None = Field(default=None, alias="TOKENDESK_KEYS")
    recheck_cron: str = Field(default="30 2 * * *", alias="TOKENDESK_RECHECK_CRON")
    recheck_on_start: bool = Field(default=False, alias="TOKENDESK_RECHECK_ON_START")
    """At start, run the last scheduled check if it never ran (the process was down at the time)."""
    timezone: str = Field(default="Europe/Amsterdam", alias="TOKENDESK_TIMEZONE")
    recheck_concurrency: int = Field(default=8, ge=1, le=256, alias="TOKENDESK_RECHECK_CONCURRENCY")
    nmbrs_rate: float = Field(default=10.0, gt=0, le=150, alias="TOKENDESK_NMBRS_RATE")
    confirm_delay_s: float = Field(default=300.0, ge=0, alias="TOKENDESK_CONFIRM_DELAY_S")
    intake_claim_s: float = Field(default=30.0, ge=1, alias="TOKENDESK_INTAKE_CLAIM_S")
    """How long a worker holds a pending intake unrenewed: after a crash, another takes it over then."""
    intake_write_timeout_s: float = Field(default=2.0, gt=0, alias="TOKENDESK_INTAKE_WRITE_TIMEOUT_S")
    """Longest wait for the database before acknowledging; past it Slack gets a 503 and retries."""
    language: Literal["nl", "en"] = Field(default="nl", alias="TOKENDESK_LANGUAGE")
    unverified_after: int = Field(default=2, ge=1, alias="TOKENDESK_UNVERIFIED_AFTER")
    notify_customers: bool = Field(default=True, alias="TOKENDESK_NOTIFY_CUSTOMERS")
    digest: Literal["always", "changes", "off"] = Field(default="changes", alias="TOKENDESK_DIGEST")
    log_format: Literal["text", "json"] = Field(default="text", alias="TOKENDESK_LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="TOKENDESK_LOG_LEVEL")
    webhook_url: str | None = Field(default=None, alias="TOKENDESK_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="TOKENDESK_WEBHOOK_SECRET")
    public_url: str | None = Field(default=None, alias="TOKENDESK_PUBLIC_URL")
    """The public https base URL of this service, without a trailing slash (invitation pages, the
    consent callback); unset: both off."""
    nmbrs_client_id: str | None = Field(default=None, alias="NMBRS_CLIENT_ID")
    nmbrs_client_secret: SecretStr | None = Field(default=None, alias="NMBRS_CLIENT_SECRET")
    nmbrs_subscription_key: SecretStr | None = Field(default=None, alias="NMBRS_SUBSCRIPTION_KEY")
    nmbrs_rest_scopes: str = Field(
        default="offline_access user.info.read debtor.info.read company.info.read",
        alias="TOKENDESK_NMBRS_REST_SCOPES",
    )
    nmbrs_identity_url: str = Field(
        default="https://identityservice.nmbrs.com/", alias="TOKENDESK_NMBRS_IDENTITY_URL"
    )
    nmbrs_rest_url: str = Field(default="https://api.nmbrsapp.com/", alias="TOKENDESK_NMBRS_REST_URL")
    nmbrs_pkce: bool = Field(default=True, alias="TOKENDESK_NMBRS_PKCE")
    teams_client_id: str | None = Field(default=None, alias="TEAMS_CLIENT_ID")
    teams_client_secret: SecretStr | None = Field(default=None, alias="TEAMS_CLIENT_SECRET")
    teams_tenant_id: str | None = Field(default=None, alias="TEAMS_TENANT_ID")
    teams_support_channel: str | None = Field(default=None, alias="TOKENDESK_TEAMS_SUPPORT_CHANNEL")
    teams_support_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="TOKENDESK_TEAMS_SUPPORT_USERS"
    )

    brand_name: str = Field(default="tokendesk", min_length=1, max_length=80, alias="TOKENDESK_BRAND_NAME")
    invite_ttl: str = Field(default="7d", alias="TOKENDESK_INVITE_TTL")
    """How long an invitation link lives: a number and d, h or m (`7d`, `12h`, `30m`)."""
    nmbrs_soap_until: date | None = Field(default=None, alias="TOKENDESK_NMBRS_SOAP_UNTIL")
    """The day the desk assumes the SOAP API stops (the migration tracker counts down to it)."""
    migration_remind_days: int = Field(default=7, alias="TOKENDESK_MIGRATION_REMIND_DAYS")
    """Least days between two migration invitations for one link."""

    _split = field_validator("support_users", "teams_support_users", mode="before")(_split_csv)

    @field_validator("slack_api_url", "nmbrs_url", "nmbrs_identity_url", "nmbrs_rest_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        parsed = urlsplit(value)
        if parsed.username is not None or parsed.password is not None:
            # It would be logged with every request line and shown wherever the URL is; none of these
            # services takes credentials in the URL.
            raise ValueError("expected a URL without a user name or password in it")
        return value if value.endswith("/") else value + "/"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parsed = urlsplit(value)
        loopback = parsed.hostname in ("localhost", "127.0.0.1", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise ValueError("expected an https:// URL (plain http only for localhost or 127.0.0.1)")
        if not parsed.hostname or parsed.query or parsed.fragment:
            raise ValueError("expected a base URL like https://desk.example.com, without query or fragment")
        return value.rstrip("/")

    @field_validator("invite_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("nmbrs_soap_until", mode="before")
    @classmethod
    def _soap_until(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("expected a date like 2027-06-30 (YYYY-MM-DD)") from None
        return value

    @field_validator("migration_remind_days", mode="before")
    @classmethod
    def _remind_days(cls, value: object) -> object:
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= 365:
            raise ValueError("expected a whole number of days from 1 to 365")
        return int(text)

    @property
    def invite_lifetime(self) -> timedelta:
        return parse_duration(self.invite_ttl)

    @field_validator("nmbrs_rest_scopes")
    @classmethod
    def _scopes(cls, value: str) -> str:
        scopes = value.split()
        if "offline_access" not in scopes:
            raise ValueError("must include offline_access (without it Nmbrs gives no refresh token)")
        return " ".join(scopes)

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0].split("+", 1)[0]
        if "://" not in value or scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB")
        return value

    @field_validator("recheck_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"expected crontab syntax like '30 2 * * *' ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone like Europe/Amsterdam") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return value

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_client_id and self.teams_client_secret and self.teams_tenant_id)

    @property
    def rest_enabled(self) -> bool:
        """REST links are on when the app registration, the subscription key and our URL are set."""
        return not self.rest_missing() and self.public_url is not None

    def rest_missing(self) -> list[str]:
        """The REST settings still missing, by variable name ([] when complete, or when none is set)."""
        given = {
            "NMBRS_CLIENT_ID": bool(self.nmbrs_client_id),
            "NMBRS_CLIENT_SECRET": self.nmbrs_client_secret is not None,
            "NMBRS_SUBSCRIPTION_KEY": self.nmbrs_subscription_key is not None,
            "TOKENDESK_PUBLIC_URL": self.public_url is not None,
        }
        if not any(given.values()):
            return []
        return [name for name, present in given.items() if not present]

    def rest_problems(self) -> list[str]:
        """For the start-up check: what a half-configured REST setup still needs, one line each."""
        return [f"{name}: required for Nmbrs REST links (the other REST settings are set)"
                for name in self.rest_missing()]

    @property
    def rest_scopes(self) -> tuple[str, ...]:
        return tuple(self.nmbrs_rest_scopes.split())

    @property
    def rest_redirect_uri(self) -> str | None:
        return None if self.public_url is None else self.public_url + "/connect/nmbrs/callback"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def slack_problems(self, *, socket_mode: bool) -> list[str]:
        """What `serve` still needs before it can talk to Slack, one line per variable."""
        problems = []
        if self.slack_bot_token is None:
            problems.append("SLACK_BOT_TOKEN: required (the bot token, xoxb-…)")
        elif not self.slack_bot_token.get_secret_value().startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN: expected a bot token starting with xoxb-")
        if socket_mode:
            if self.slack_app_token is None:
                problems.append("SLACK_APP_TOKEN: required with --socket (app-level token, xapp-…)")
            elif not self.slack_app_token.get_secret_value().startswith("xapp-"):
                problems.append("SLACK_APP_TOKEN: expected an app-level token starting with xapp-")
        elif self.slack_signing_secret is None:
            problems.append("SLACK_SIGNING_SECRET: required in HTTP mode (Basic Information → Signing Secret)")
        if not self.support_channel:
            problems.append("TOKENDESK_SUPPORT_CHANNEL: required (channel ID like C0123456789)")
        elif not self.support_channel[:1] in ("C", "G"):
            problems.append("TOKENDESK_SUPPORT_CHANNEL: expected a channel ID like C0123456789, not a name")
        return problems


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's errors into one SettingsError naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            field = Settings.model_fields.get(name)
            variable = field.alias if field and field.alias else name
            message = error["msg"].removeprefix("Value error, ")
            secret = field is not None and "SecretStr" in str(field.annotation)
            problems.append(f"{variable}: {message} (got {_shown(error.get('input'), secret)})")
        raise SettingsError(problems) from None


def _without_userinfo(value: str) -> str:
    """A URL's user and password replaced by "…" (an operator pasted them where they do not belong)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value if "@" not in value else "a value that is hidden"
    if "@" not in parts.netloc:
        return value
    return parts._replace(netloc="…@" + parts.netloc.rpartition("@")[2]).geturl()


def _shown(value: object, secret: bool) -> str:
    # Secrets are never echoed back, not even when they are malformed.
    if secret:
        return "a value that is hidden"
    if isinstance(value, str):
        value = _without_userinfo(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
