"""The hand-off API over real HTTP: listing, one link, credentials (audited, counted), and every refusal."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from handlers.events import DESK_EVENT_TYPES, EVENT_TYPES
from storage.apikeys import revoke_key
from storage.cipher import TokenCipher, generate_key_line
from storage.db import create_engine, session_factory
from storage.models import ApiKey, AuditEntry, Link, utcnow
from tests.bot.api.conftest import TOKENS, Api, app_with_api
from tests.bot.api.server import serving

ALL_TOKENS = list(TOKENS.values())
#: Most of the API is plain SQL both databases agree on; those tests run on SQLite only, to stay fast.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def assert_no_token(text: str) -> None:
    for token in ALL_TOKENS:
        assert token not in text
        assert f'"{token[-4:]}"' not in text  # not even the last four, as a value


async def audit_rows(sessions) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_list_filters_and_pages(api: Api, key: str, links: dict[str, int], sessions) -> None:  # type: ignore[no-untyped-def]
    async with api.client(key) as client:
        everything = await client.get("/links")
        assert everything.status_code == 200
        body = everything.json()
        assert [item["id"] for item in body["items"]] == sorted(links.values())
        assert body["next_cursor"] is None
        assert_no_token(everything.text)
        first = body["items"][0]
        assert first["short_id"] == f"L{first['id']}" and first["debtor_count"] == 1
        assert first["companies"] == [{"id": 7, "number": 1, "name": "Acme B.V.", "debtor_id": 1}]
        assert "token_last4" not in first and "token" not in first

        seen, cursor, pages = [], None, 0
        while True:
            page = (await client.get("/links", params={"limit": 4, **({"cursor": cursor} if cursor else {})})).json()
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 2 and seen == sorted(links.values())

        broken = (await client.get("/links", params={"state": "broken"})).json()["items"]
        assert [(item["id"], item["state"], item["last_reason"], item["last_fault_code"]) for item in broken] == [
            (links["broken"], "broken", "credentials", 1001)
        ]
        beta = (await client.get("/links", params={"environment": " Beta"})).json()["items"]
        assert [item["id"] for item in beta] == [links["unverified"]]

        async with sessions() as session, session.begin():
            await session.execute(update(Link).values(updated_at=utcnow() - timedelta(days=10)))
            await session.execute(update(Link).where(Link.id == links["active"]).values(updated_at=utcnow()))
        since = (utcnow() - timedelta(days=1)).isoformat()
        recent = (await client.get("/links", params={"updated_since": since})).json()["items"]
        assert [item["id"] for item in recent] == [links["active"]]
        zulu = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (await client.get("/links", params={"updated_since": zulu})).json()["items"] == recent


BAD_PARAMETERS = [
    ({"state": "borked"}, "state", "'pending', 'active'"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"limit": 501}, "limit", "less than or equal to 500"),
    ({"cursor": "abc"}, "cursor", "pattern"),
    ({"updated_since": "last tuesday"}, "updated_since", "RFC 3339 date-time with an offset"),
    ({"updated_since": "2026-11-22T02:30:00"}, "updated_since", "like 2026-11-22T02:30:00Z"),
    ({"updated_since": "1700000000"}, "updated_since", "RFC 3339"),
    ({"updated_since": "2026-02-30T02:30:00Z"}, "updated_since", "datetime"),
    ({"environment": "x" * 101}, "environment", "at most 100"),
]


@SQLITE
async def test_bad_parameters_get_422_naming_the_parameter(api: Api, key: str) -> None:
    async with api.client(key) as client:
        for params, field, words in BAD_PARAMETERS:
            response = await client.get("/links", params=params)
            assert response.status_code == 422, params
            body = response.json()
            assert body["error"] == "invalid_request"
            assert body["message"].startswith(f"{field}: ") and words in body["message"], body
            assert body["problems"] == [
                {"field": field, "location": "query", "message": body["message"].split(": ", 1)[1]}
            ]


@SQLITE
async def test_bad_input_is_never_echoed(api: Api, key: str) -> None:
    secret = ALL_TOKENS[0]
    async with api.client(key) as client:
        for response in [
            await client.get("/links", params={"state": secret}),
            await client.get("/links", params={"limit": secret}),
            await client.get(f"/links/{secret}"),
            await client.get(f"/links/{secret}/credentials"),
        ]:
            assert response.status_code == 422
            assert secret not in response.text


@SQLITE
async def test_get_one_and_unknown(api: Api, key: str, links: dict[str, int]) -> None:
    async with api.client(key) as client:
        one = await client.get(f"/links/L{links['active']}")
        assert one.status_code == 200 and one.json()["username"] == "active@acme.nl"
        assert (await client.get(f"/links/{links['active']}")).json() == one.json()
        assert_no_token(one.text)
        unknown = await client.get("/links/L999999")
        assert unknown.status_code == 404
        assert unknown.json() == {"error": "not_found", "message": "no link L999999"}
        malformed = await client.get("/links/acme")
        assert malformed.status_code == 422 and malformed.json()["problems"][0]["field"] == "link"
        newline = await client.get("/links/L1%0A2")  # still this API's JSON, not the main app's 404
        assert newline.status_code == 422 and newline.json()["error"] == "invalid_request"
        assert (await client.get("/nothing-here")).json() == {"error": "not_found", "message": "no such endpoint"}
        wrong_method = await client.post("/links")
        assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET"


async def test_credentials_are_served_audited_and_counted(
    api: Api, key: str, links: dict[str, int], sessions, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    async with api.client(key) as client:
        response = await client.get(f"/links/L{links['active']}/credentials")
        unverified = await client.get(f"/links/{links['unverified']}/credentials")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "kind": "soap", "link_id": links["active"], "short_id": f"L{links['active']}", "state": "active",
        "username": "active@acme.nl", "token": TOKENS["active@acme.nl"], "environment": "acme",
    }
    # Unverified: Nmbrs could not be reached lately; the last known good credentials are handed over.
    assert unverified.status_code == 200 and unverified.json()["token"] == TOKENS["unverified@beta.nl"]
    assert api.reads == ["served", "served"]

    rows = await audit_rows(sessions)
    key_id = int(key.split("_")[1])
    assert [(r.platform, r.actor, r.action, r.link_id, r.result, r.client_address) for r in rows] == [
        ("api", f"apikey:{key_id}", "credentials.read", links["active"], "ok", "127.0.0.1"),
        ("api", f"apikey:{key_id}", "credentials.read", links["unverified"], "ok", "127.0.0.1"),
    ]
    assert rows[0].detail == {"state": "active", "key_name": "payroll sync"}
    async with sessions() as session:
        record = await session.get(ApiKey, key_id)
        assert record is not None and record.last_used_at is not None
    assert_no_token(caplog.text)
    assert key not in caplog.text


UNUSABLE = [
    ("broken", "credentials", "no longer accepts"),
    ("revoked", None, "revoked and its token destroyed"),
    ("pending", None, "not been confirmed"),
    ("rejected", None, "rejected its credentials"),
]


@SQLITE
async def test_unusable_links_get_409_with_the_reason(  # type: ignore[no-untyped-def]
    api: Api, key: str, links: dict[str, int], sessions
) -> None:
    async with api.client(key) as client:
        for state, reason, words in UNUSABLE:
            response = await client.get(f"/links/L{links[state]}/credentials")
            assert response.status_code == 409
            body = response.json()
            assert body["error"] == "link_not_usable" and body["state"] == state and body["reason"] == reason
            assert body["message"].startswith(f"link L{links[state]} is {state}: ") and words in body["message"]
            assert_no_token(response.text)
    assert api.reads == ["refused"] * 4
    rows = await audit_rows(sessions)
    assert [(r.link_id, r.result, r.detail["state"], r.client_address) for r in rows] == [
        (links[state], "refused", state, "127.0.0.1") for state, _, _ in UNUSABLE
    ]


@SQLITE
async def test_unknown_link_credentials_404_is_audited(api: Api, key: str, sessions) -> None:  # type: ignore[no-untyped-def]
    async with api.client(key) as client:
        response = await client.get("/links/L4242/credentials")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert api.reads == ["not_found"]
    [row] = await audit_rows(sessions)
    assert (row.link_id, row.result, row.detail["reason"]) == (None, "refused", "not_found")


@SQLITE
async def test_bad_keys_get_401_without_detail(
    api: Api, key: str, links: dict[str, int], sessions, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    key_id = int(key.split("_")[1])
    revoked_key = key
    wrong_secret = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    async with api.client(key) as client:
        assert (await client.get("/links")).status_code == 200
    async with sessions() as session, session.begin():
        await revoke_key(session, key_id=key_id)
    attempts = {
        "missing": {},
        "not bearer": {"authorization": f"Basic {key}"},
        "empty bearer": {"authorization": "Bearer"},
        "malformed": {"authorization": "Bearer hello"},
        "a token instead of a key": {"authorization": f"Bearer {ALL_TOKENS[0]}"},
        "unknown id": {"authorization": f"Bearer td_999_{key.split('_', 2)[2]}"},
        "wrong secret": {"authorization": f"Bearer {wrong_secret}"},
        "revoked": {"authorization": f"Bearer {revoked_key}"},
    }
    async with api.client() as client:
        for name, headers in attempts.items():
            for path in ("/links", f"/links/L{links['active']}", f"/links/L{links['active']}/credentials", "/links/L1"):
                response = await client.get(path, headers=headers)
                assert response.status_code == 401, name
                assert response.json() == {"error": "unauthorized", "message": "a valid API key is required"}, name
                assert response.headers["www-authenticate"] == "Bearer"
    assert api.reads == []
    assert await audit_rows(sessions) == []  # nobody got as far as a link
    assert key not in caplog.text and ALL_TOKENS[0] not in caplog.text


@SQLITE
async def test_an_undecryptable_token_is_a_500_without_detail(  # type: ignore[no-untyped-def]
    database_url: str, sessions, key: str, links: dict[str, int]
) -> None:
    other_keys = TokenCipher.from_text(generate_key_line("k1"))  # same key id, different key material
    engine = create_engine(database_url)
    reads: list[str] = []
    with serving(app_with_api(session_factory(engine), other_keys, reads), on_shutdown=engine.dispose) as base:
        async with Api(url=f"{base}/api/v1").client(key) as client:
            response = await client.get(f"/links/L{links['active']}/credentials")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert reads == ["failed"]
    [row] = await audit_rows(sessions)
    assert row.result == "failed"


@SQLITE
async def test_openapi_document(api: Api) -> None:
    async with api.client() as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["servers"] == [{"url": "/api/v1"}]
    assert set(document["paths"]) == {"/links", "/links/{link}", "/links/{link}/credentials", "/migration"}
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "td_<id>_<secret>",
        "description": "An API key from `tokendesk apikeys create`.",
    }
    credentials = document["paths"]["/links/{link}/credentials"]["get"]
    assert set(credentials["responses"]) == {"200", "401", "404", "409", "422", "503"}
    ok = credentials["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["discriminator"]["propertyName"] == "kind"
    assert {ref.rsplit("/", 1)[1] for ref in ok["discriminator"]["mapping"].values()} == {"Credentials", "RestCredentials"}
    assert "refresh_token" not in document["components"]["schemas"]["RestCredentials"]["properties"]
    # What is pushed to TOKENDESK_WEBHOOK_URL: every event type the desk records, SOAP switched off with its reason.
    assert set(document["webhooks"]) == {
        "link.activated", "link.token_replaced", "link.broken", "link.restored", "link.scope_changed",
        "link.unverified", "link.revoked", "soap.switched_off", "soap.answering", "debtor.migrated", "link.migrated"}
    assert set(document["webhooks"]) == set(EVENT_TYPES.values()) | {type_ for type_, _ in DESK_EVENT_TYPES.values()}
    for type_, entry in document["webhooks"].items():
        event = entry["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        declared = document["components"]["schemas"][event]["properties"]["type"]
        assert declared.get("const", type_) == type_  # each desk-wide type has its own model, naming it
    schemas = document["components"]["schemas"]
    assert schemas["SoapSwitchedOffDetails"]["properties"]["reason"]["const"] == "soap_switched_off"
    assert schemas["SoapEventData"]["properties"]["kind"]["const"] == "soap"
    assert schemas["SoapAnsweringData"]["properties"]["kind"]["const"] == "soap"
    assert set(schemas["SoapRunCounts"]["properties"]) == {"run_id", "checks", "signs", "migration"}
    said = document["info"]["description"]
    assert "at least once an hour" in said and "stay valid until their `expires_at`" in said
