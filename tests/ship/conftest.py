"""The Slack app's fixtures (stand-ins, a migrated template database, a served runtime) for the ship tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.server import SlackStandIn
from tests.bot.slack.conftest import (  # noqa: F401 - fixtures are found by name
    app,
    make_settings,
    nmbrs,
    slack,
    slack_server,
)


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path) -> Settings:
    """As the Slack app tests have it, with Nmbrs timeouts that a busy test machine does not hit:
    these tests count calls and outcomes exactly."""
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return make_settings(tmp_path, slack, nmbrs, nmbrs_connect_timeout_s=5.0, nmbrs_read_timeout_s=5.0)
