"""Settings: defaults, parsing, and one message naming every bad variable (secrets never echoed)."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    for name in list(os.environ):
        if name.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_design() -> None:
    s = load_settings()
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.nmbrs_url == "https://api.nmbrs.nl/soap/v3/"
    assert s.database_url == "sqlite:///tokendesk.db"
    assert (s.recheck_cron, s.timezone) == ("30 2 * * *", "Europe/Amsterdam")
    assert (s.recheck_concurrency, s.nmbrs_rate, s.confirm_delay_s) == (8, 10, 300)
    assert (s.language, s.unverified_after, s.notify_customers, s.digest, s.log_format) == ("nl", 2, True, "changes", "text")
    assert s.support_users == [] and not s.teams_enabled


def test_lists_urls_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("TOKENDESK_SUPPORT_USERS=U1, U2 ,,U3\nTOKENDESK_NMBRS_URL=http://127.0.0.1:9/soap\n")
    s = load_settings()
    assert s.support_users == ["U1", "U2", "U3"]
    assert s.nmbrs_url == "http://127.0.0.1:9/soap/"


def test_every_bad_variable_is_named_in_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENDESK_RECHECK_CRON", "every night")
    monkeypatch.setenv("TOKENDESK_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("TOKENDESK_RECHECK_CONCURRENCY", "0")
    monkeypatch.setenv("TOKENDESK_DIGEST", "sometimes")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.setenv("TOKENDESK_NMBRS_URL", "api.nmbrs.nl")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "")
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    text = str(excinfo.value)
    for name in ("TOKENDESK_RECHECK_CRON", "TOKENDESK_TIMEZONE", "TOKENDESK_RECHECK_CONCURRENCY",
                 "TOKENDESK_DIGEST", "DATABASE_URL", "TOKENDESK_NMBRS_URL"):
        assert name in text
    assert "crontab" in text and "IANA" in text and "sqlite:///" in text


def test_secret_values_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENDESK_KEYS", "k1:" + "x" * 43)
    monkeypatch.setenv("TOKENDESK_RECHECK_CONCURRENCY", "lots")
    with pytest.raises(SettingsError) as excinfo:
        load_settings(keys=["not", "a", "string"])
    assert "xxxxxxxx" not in str(excinfo.value)
    assert "a value that is hidden" in str(excinfo.value)


def test_slack_problems_for_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    problems = s.slack_problems(socket_mode=False)
    assert [p.split(":")[0] for p in problems] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TOKENDESK_SUPPORT_CHANNEL"]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-wrong-kind")
    monkeypatch.setenv("TOKENDESK_SUPPORT_CHANNEL", "#support")
    problems = load_settings().slack_problems(socket_mode=True)
    assert any("starting with xoxb-" in p for p in problems)
    assert any(p.startswith("SLACK_APP_TOKEN") for p in problems)
    assert any("not a name" in p for p in problems)
    assert not any("xapp-wrong-kind" in p for p in problems)


@pytest.mark.parametrize("value, expected", [
    ("https://desk.example.com/", "https://desk.example.com"), ("http://localhost:8080", "http://localhost:8080"),
    ("http://127.0.0.1:9", "http://127.0.0.1:9"), ("", None),
])
def test_the_public_url_is_https_or_loopback_http(value: str, expected: str | None) -> None:
    assert load_settings(TOKENDESK_PUBLIC_URL=value).public_url == expected


@pytest.mark.parametrize("value", ["http://desk.example.com", "ftp://x", "https://", "https://x.nl/?a=1", "desk.nl"])
def test_a_public_url_that_is_not_is_named(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(TOKENDESK_PUBLIC_URL=value)
    assert raised.value.problems[0].startswith("TOKENDESK_PUBLIC_URL: expected")


@pytest.mark.parametrize("name", ["TOKENDESK_NMBRS_URL", "TOKENDESK_SLACK_API_URL", "TOKENDESK_NMBRS_IDENTITY_URL",
                                  "TOKENDESK_NMBRS_REST_URL"])
def test_a_service_url_with_a_password_in_it_is_refused_without_showing_it(name: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**{name: "https://ops:s3cr3t-pw@api.nmbrs.nl/soap/v3/"})
    assert raised.value.problems == [
        f"{name}: expected a URL without a user name or password in it (got 'https://…@api.nmbrs.nl/soap/v3/')"]
    assert "s3cr3t-pw" not in str(raised.value)


def test_invite_ttl_and_brand() -> None:
    from datetime import timedelta

    defaults = load_settings()
    assert (defaults.invite_lifetime, defaults.brand_name, defaults.public_url) == (timedelta(days=7), "tokendesk", None)
    assert load_settings(TOKENDESK_INVITE_TTL="12h").invite_lifetime == timedelta(hours=12)
    assert load_settings(TOKENDESK_INVITE_TTL=" 30m ").invite_lifetime == timedelta(minutes=30)
    for bad in ("7", "0d", "1w", "-1d", "d7"):
        with pytest.raises(SettingsError) as raised:
            load_settings(TOKENDESK_INVITE_TTL=bad)
        assert raised.value.problems == [f"TOKENDESK_INVITE_TTL: expected a duration like 7d, 12h or 30m (got {bad!r})"]


def test_migration_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.nmbrs_soap_until is None and s.migration_remind_days == 7
    monkeypatch.setenv("TOKENDESK_NMBRS_SOAP_UNTIL", " 2027-06-30 ")
    monkeypatch.setenv("TOKENDESK_MIGRATION_REMIND_DAYS", "14")
    s = load_settings()
    assert str(s.nmbrs_soap_until) == "2027-06-30" and s.migration_remind_days == 14
    monkeypatch.setenv("TOKENDESK_NMBRS_SOAP_UNTIL", "")
    assert load_settings().nmbrs_soap_until is None


def test_bad_migration_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENDESK_NMBRS_SOAP_UNTIL", "next summer")
    monkeypatch.setenv("TOKENDESK_MIGRATION_REMIND_DAYS", "0")
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    text = str(excinfo.value)
    assert "TOKENDESK_NMBRS_SOAP_UNTIL" in text and "YYYY-MM-DD" in text
    assert "TOKENDESK_MIGRATION_REMIND_DAYS" in text and "1 to 365" in text
