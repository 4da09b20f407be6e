"""manifest.yml is a valid Slack app manifest and asks for exactly what tokendesk uses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / "manifest.yml"
# Slack's published schema (slackapi/manifest-schema, MIT; licence beside it). The copy keeps the
# test independent of the shared reference folder; the reference is used only to spot drift.
SCHEMA_COPY = Path(__file__).resolve().parent / "data" / "slack-manifest.schema.json"
SCHEMA_REFERENCE = REPO.parent / "shared" / "reference" / "slack-manifest.schema.json"

SCOPES = ["chat:write", "commands", "im:history", "im:write", "users:read", "usergroups:read", "app_mentions:read",
          "channels:read", "groups:read"]
# The events the bolt app registers listeners for; a subscribed event without a listener gets
# bolt's 404, which Slack retries.
LISTENED_EVENTS = {"app_home_opened", "app_mention", "message.im"}
SUBCOMMANDS = ["help", "connect", "status", "list", "check", "history", "label", "revoke"]


def load_schema() -> dict[str, Any]:
    path = SCHEMA_COPY if SCHEMA_COPY.exists() else SCHEMA_REFERENCE
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_matches_slacks_schema(validator: jsonschema.protocols.Validator, manifest: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


@pytest.mark.parametrize(
    "where, change",
    [
        ("an unknown top-level key", lambda m: m.update(permissions={"bot": ["chat:write"]})),
        ("an unknown key in settings", lambda m: m["settings"]["interactivity"].update(enabled=True)),
        ("a command without its slash", lambda m: m["features"]["slash_commands"][0].update(command="nmbrs")),
        ("a name over 35 characters", lambda m: m["display_information"].update(name="t" * 36)),
    ],
)
def test_schema_rejects_a_broken_manifest(
    validator: jsonschema.protocols.Validator, manifest: dict[str, Any], where: str, change: Any
) -> None:
    broken = copy.deepcopy(manifest)
    change(broken)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_scopes_are_exactly_what_the_bot_uses(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == sorted(SCOPES)
    assert len(scopes["bot"]) == len(set(scopes["bot"]))
    assert "user" not in scopes  # tokendesk never acts as a person


def test_every_subscribed_event_has_a_listener(manifest: dict[str, Any]) -> None:
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == LISTENED_EVENTS
    assert "user_events" not in manifest["settings"]["event_subscriptions"]


def test_one_endpoint_and_one_command(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/nmbrs" and command["should_escape"] is False
    hint = command["usage_hint"]
    assert [part.split()[0] for part in hint.split(" | ")] == SUBCOMMANDS
    settings = manifest["settings"]
    urls = {command["url"], settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False


def test_customers_can_write_to_the_bot(manifest: dict[str, Any]) -> None:
    app_home = manifest["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
    assert app_home["home_tab_enabled"] is True


def test_schema_copy_is_current() -> None:
    if not SCHEMA_REFERENCE.exists():
        pytest.skip("shared/reference is not beside this checkout")
    assert json.loads(SCHEMA_COPY.read_text(encoding="utf-8")) == json.loads(SCHEMA_REFERENCE.read_text(encoding="utf-8"))
    assert (SCHEMA_COPY.parent / "slack-manifest.schema.LICENSE").read_text(encoding="utf-8").startswith("MIT License")
