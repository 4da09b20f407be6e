"""The REST settings: defaults, the public URL rule (https, http only on loopback), and the start-up
check naming what is missing when REST is half configured."""

from __future__ import annotations

import os

import pytest

from bot.config import SettingsError, load_settings

REST = {"NMBRS_CLIENT_ID": "tokendesk", "NMBRS_CLIENT_SECRET": "Pr*ct1ce$S3cr%7eT:k3y%",
        "NMBRS_SUBSCRIPTION_KEY": "30d05593229f49c18856be06ebc47b24", "TOKENDESK_PUBLIC_URL": "https://desk.example.com"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith(("TOKENDESK_", "SLACK_", "TEAMS_", "NMBRS_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_rest_defaults() -> None:
    settings = load_settings()
    assert not settings.rest_enabled and settings.rest_problems() == []
    assert settings.nmbrs_rest_scopes == "offline_access user.info.read debtor.info.read company.info.read"
    assert settings.nmbrs_identity_url == "https://identityservice.nmbrs.com/"
    assert settings.nmbrs_rest_url == "https://api.nmbrsapp.com/"
    assert settings.nmbrs_pkce is True


def test_rest_is_on_with_all_four(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REST.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.rest_enabled and settings.rest_problems() == []
    assert settings.rest_redirect_uri == "https://desk.example.com/connect/nmbrs/callback"


def test_half_configured_rest_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NMBRS_CLIENT_ID", "tokendesk")
    monkeypatch.setenv("NMBRS_CLIENT_SECRET", "s3cret-value")
    settings = load_settings()
    problems = settings.rest_problems()
    assert not settings.rest_enabled
    assert [p.split(":")[0] for p in problems] == ["NMBRS_SUBSCRIPTION_KEY", "TOKENDESK_PUBLIC_URL"]
    assert "s3cret-value" not in " ".join(problems)


@pytest.mark.parametrize("url,ok", [
    ("https://desk.example.com/", True), ("http://127.0.0.1:8080", True), ("http://localhost:3000/", True),
    ("http://desk.example.com/", False), ("ftp://desk.example.com/", False), ("https://desk.example.com/?a=1", False),
])
def test_public_url_is_https_except_on_loopback(monkeypatch: pytest.MonkeyPatch, url: str, ok: bool) -> None:
    monkeypatch.setenv("TOKENDESK_PUBLIC_URL", url)
    if ok:
        assert not load_settings().public_url.endswith("/")  # type: ignore[union-attr]  # one form, no trailing slash
    else:
        with pytest.raises(SettingsError, match="TOKENDESK_PUBLIC_URL"):
            load_settings()


def test_scopes_without_offline_access_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENDESK_NMBRS_REST_SCOPES", "user.info.read")
    with pytest.raises(SettingsError, match="offline_access"):
        load_settings()


def test_the_secrets_are_hidden_when_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENDESK_PUBLIC_URL", "http://example.com")
    monkeypatch.setenv("NMBRS_CLIENT_SECRET", "s3cret-value")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "s3cret-value" not in str(caught.value)
