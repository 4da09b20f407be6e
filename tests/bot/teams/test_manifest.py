"""`tokendesk teams-package`: a zip with manifest.json and two icons that validates against Microsoft's
published manifest schema (v1.24, shipped with tokendesk) and the documented bot fields."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.standins.teams.payloads import APP_ID
from bot.teams import manifest as teams_manifest
from bot.teams.manifest import ManifestError, Publisher, build_manifest, package, png_size

PUBLISHER = Publisher("Acme Software", "https://acme.example", "https://acme.example/privacy", "https://acme.example/terms")


def test_the_cli_writes_a_package_an_admin_can_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEAMS_CLIENT_ID", APP_ID)
    output = tmp_path / "app.zip"
    assert main(["teams-package", "--website-url", "https://acme.example", "--publisher", "Acme", "-o", str(output)]) == 0
    assert "Microsoft's manifest schema v1.24" in capsys.readouterr().out
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}
    lists = {tuple(c["scopes"]): [x["title"] for x in c["commands"]] for c in manifest["bots"][0]["commandLists"]}
    assert {"status", "list", "check", "history", "label", "revoke"} <= set(lists[("team",)])
    assert "connect" in lists[("personal",)]


def test_it_validates_against_microsofts_schema() -> None:
    document = teams_manifest.schema()
    assert document is not None and "bots" in document["properties"]
    assert teams_manifest.schema_problems(build_manifest(app_id=APP_ID, publisher=PUBLISHER)) == []
    broken = build_manifest(app_id=APP_ID, publisher=PUBLISHER)
    broken["bots"][0]["commandLists"][0]["commands"][0]["surprise"] = True
    broken["accentColor"] = "blue"
    problems = teams_manifest.schema_problems(broken)
    assert problems and any("accentColor" in p for p in problems) and any("surprise" in p for p in problems)


def test_without_the_schema_the_documented_fields_are_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_manifest, "schema", lambda: None)
    bad = build_manifest(app_id="not-a-guid", publisher=Publisher("x", "http://plain", "", "https://ok.example"))
    with pytest.raises(ManifestError) as raised:
        package(bad)
    text = "\n".join(raised.value.problems)
    assert "id: expected" in text and "websiteUrl: must be an https" in text and "privacyUrl: required" in text
    _, against_schema = package(build_manifest(app_id=APP_ID, publisher=PUBLISHER))
    assert against_schema is False


def test_no_app_id_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEAMS_CLIENT_ID", raising=False)
    assert main(["teams-package", "--website-url", "https://acme.example", "-o", str(tmp_path / "x.zip")]) == 2
    assert "TEAMS_CLIENT_ID" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
