"""GET /api/v1/migration over HTTP (uvicorn, SQLite and PostgreSQL): an API key, the tracker's totals and
per-debtor states, an audit entry per read, and the operation in the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.api import api_mount, build_api
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.models import AuditEntry
from tests.bot.api.conftest import Api
from tests.bot.api.server import serving
from tests.handlers.migration.conftest import (  # noqa: F401 - fixtures
    SOAP_UNTIL,
    Scene,
    any_desk,
    gateway,
    nmbrs,
    rest_desk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    scene,
    three_consented,
)


@pytest.fixture
async def migration_api(database_url: str, cipher: TokenCipher) -> AsyncIterator[Api]:
    engine = create_engine(database_url)
    app = FastAPI()
    app.router.routes.append(api_mount(build_api(sessions=session_factory(engine), cipher=cipher,
                                                 soap_until=SOAP_UNTIL)))
    with serving(app, on_shutdown=engine.dispose) as base:
        yield Api(url=f"{base}/api/v1")


async def test_the_integration_reads_the_progress_with_its_key(scene: Scene, migration_api: Api, key: str) -> None:
    rest_link = await three_consented(scene)
    async with migration_api.client() as anonymous:
        assert (await anonymous.get("/migration")).status_code == 401
    async with migration_api.client(key) as client:
        answer = await client.get("/migration")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["soap_until"] == "2027-06-30" and isinstance(body["days_left"], int)
    assert body["totals"] == {"soap_links": 1, "debtors": 5, "to_move": 2, "covered": 3, "not_needed": 0,
                              "links_to_move": 1}
    [link] = body["links"]
    assert link["id"] == scene.soap_link and link["to_move"] == 2 and link["environment"] == "kantoor"
    states = {d["number"]: (d["state"], d["rest_link"], d["matched_by"]) for d in link["debtors"]}
    assert states["3"] == ("covered", f"L{rest_link}", "support: USTAFF")
    assert states["1"][0] == "covered" and states["1"][2] == "consent from migration button"
    assert states["4"] == ("to_move", None, None) and states["5"] == ("to_move", None, None)
    async with scene.desk.sessions() as session:
        reads = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "migration.read"))).all()
    assert len(reads) == 1 and reads[0].platform == "api" and reads[0].detail["to_move"] == 2


async def test_the_openapi_document_describes_it(migration_api: Api) -> None:
    async with migration_api.client() as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/migration"]["get"]
    assert operation["operationId"] == "getMigration" and "401" in operation["responses"]
    assert {"soap_until", "days_left", "totals", "links"} <= set(document["components"]["schemas"]["Migration"]["properties"])
    assert {"debtor.migrated", "link.migrated", "link.broken"} <= set(document["webhooks"])
    assert document["webhooks"]["debtor.migrated"]["post"]["requestBody"]["content"]["application/json"]
