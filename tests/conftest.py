"""Shared fixtures: no internet, databases on SQLite and (when it can start) PostgreSQL, keys, the
Nmbrs and Slack stand-ins (one server each for the session; each test resets what it uses) and a
migrated SQLite template."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.logs import configure_logging
from bench.postgres import PostgresServer, create_database, wait_ready
from bot.standins.nmbrs.server import NmbrsStandIn, start_standin
from bot.standins.slack.server import SlackStandIn
from storage.cipher import TokenCipher, generate_key_line, parse_keys
from storage.db import create_engine, session_factory
from storage.migrate import upgrade

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests must not reach the network (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_internet() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the suite: TOKENDESK_TEST_POSTGRES_URL, or one started from the
    system's binaries. Without either, PostgreSQL legs skip and say why."""
    given = os.environ.get("TOKENDESK_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    server = PostgresServer()
    if not server.available:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL leg: no initdb found (install postgresql)")
        pytest.skip("PostgreSQL not installed here (no initdb); set TOKENDESK_TEST_POSTGRES_URL to run this leg")
    url = server.start()
    wait_ready(url)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tokendesk.db'}"
    admin = request.getfixturevalue("postgres_admin_url")
    return create_database(admin)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tokendesk.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[object]:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):  # type: ignore[no-untyped-def]
    return session_factory(engine)


@pytest.fixture
def key_line() -> str:
    return generate_key_line("k1")


@pytest.fixture
def cipher(key_line: str) -> TokenCipher:
    return TokenCipher(parse_keys(key_line))


@pytest.fixture(scope="session")
def nmbrs_server() -> Iterator[NmbrsStandIn]:
    """The Nmbrs stand-in; a directory's `nmbrs` fixture resets it and adds its accounts."""
    with start_standin() as server:
        yield server


@pytest.fixture(scope="session")
def slack_server() -> Iterator[SlackStandIn]:
    """The Slack Web API stand-in; a directory's `slack` fixture resets it and adds its users."""
    with SlackStandIn() as server:
        yield server


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; a test copies it instead of running the migrations again."""
    path = tmp_path_factory.mktemp("template") / "tokendesk.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger configured like `serve` does (JSON, DEBUG) onto a buffer; restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
