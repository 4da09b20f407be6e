"""Conversation references on SQLite and PostgreSQL: upserts keep what later activities leave out, and
the support channel's serviceUrl comes from the channel or else from its tenant's team."""

from __future__ import annotations

from bot.teams.references import References, channel_key, personal_key, team_key, user_key


async def test_remember_and_find(sessions) -> None:  # type: ignore[no-untyped-def]
    refs = References(sessions)
    await refs.remember(key=personal_key("t1", "u1"), kind="personal", service_url="https://a/", conversation_id="a:1",
                        tenant_id="t1", user_id="u1", teams_user_id="29:1", user_name="Ann", locale="nl-NL")
    # A later activity without a name or locale keeps them, and moves the conversation to a new region.
    await refs.remember(key=personal_key("t1", "u1"), kind="personal", service_url="https://b/", conversation_id="a:1",
                        tenant_id="t1", user_id="u1")
    place = await refs.person(tenant_id="t1", user_id="u1")
    assert place is not None
    assert (place.service_url, place.conversation_id, place.user_name, place.locale) == ("https://b/", "a:1", "Ann", "nl-NL")
    assert await refs.person(tenant_id="t2", user_id="u1") is None

    await refs.remember(key=user_key("t1", "u2"), kind="user", service_url="https://a/", conversation_id="19:c",
                        tenant_id="t1", user_id="u2", user_name="Bob")
    assert await refs.names({"u1", "u2", "u3"}) == {"u1": "Ann", "u2": "Bob"}
    assert await refs.person(tenant_id="t1", user_id="u2") is None  # no chat to write to

    assert await refs.channel_service_url("19:support", tenant_id="t1") is None
    await refs.remember(key=team_key("19:team"), kind="team", service_url="https://team/", conversation_id="19:team",
                        tenant_id="t1", team_id="19:team")
    assert await refs.channel_service_url("19:support", tenant_id="t1") == "https://team/"
    assert await refs.channel_service_url("19:support", tenant_id="other") is None
    await refs.remember(key=channel_key("19:support;messageid=5"), kind="channel", service_url="https://chan/",
                        conversation_id="19:support;messageid=5", tenant_id="t1", team_id="19:team")
    assert await refs.channel_service_url("19:support", tenant_id="t1") == "https://chan/"
