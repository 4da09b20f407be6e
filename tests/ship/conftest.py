"""The Slack app's fixtures (stand-ins, a migrated template database, a served runtime) for the ship tests."""

from __future__ import annotations

from tests.slack_app.conftest import (  # noqa: F401 - fixtures are found by name
    app,
    nmbrs,
    nmbrs_server,
    settings,
    slack,
    slack_server,
    template_db,
)
