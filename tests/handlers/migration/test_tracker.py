"""The tracker end to end on SQLite and PostgreSQL: an accountant's SOAP token reaching 5 debtors, 3
consented over REST (2 from their migration buttons, 1 confirmed by support from candidates) → 2 to
move; then the last two marked not needed → link.migrated and the revoke question."""

from __future__ import annotations

import json

from handlers import migration_buttons
from handlers.commands import Refused, RevokeAsk
from handlers.migration import (
    BY_BUTTON,
    AlreadyDecided,
    AskedSupport,
    Covered,
    NothingToMatch,
    MarkedNotNeeded,
    MatchDeclined,
    MigrationChecklist,
    MigrationOverview,
    NoDebtor,
    NotMigrating,
)
from handlers.migration_message import MATCH, NONE, REVOKE
from storage import migration as store
from storage.models import MoveState
from tests.handlers.migration.conftest import CUSTOMER, STAFF, Scene, three_consented


async def test_three_of_five_consented_leaves_two_to_move(scene: Scene) -> None:
    rest_link = await three_consented(scene)
    overview = await scene.migration().overview(person=STAFF)
    assert isinstance(overview, MigrationOverview)
    totals = overview.totals
    assert (totals.soap_links, totals.debtors, totals.to_move, totals.covered, totals.not_needed) == (1, 5, 2, 3, 0)
    assert [move.link_id for move in overview.links] == [scene.soap_link] and overview.more == 0
    assert overview.days_left == (overview.soap_until - scene.desk.time.now.date()).days  # type: ignore[operator]

    checklist = await scene.migration().checklist(person=STAFF, link_id=scene.soap_link)
    assert isinstance(checklist, MigrationChecklist)
    states = {d.number: (d.state, d.matched_by) for d in checklist.move.debtors}
    assert states == {
        "1": (MoveState.COVERED, BY_BUTTON), "2": (MoveState.COVERED, BY_BUTTON),
        "3": (MoveState.COVERED, "support: USTAFF"), "4": (MoveState.TO_MOVE, None), "5": (MoveState.TO_MOVE, None),
    }
    assert checklist.move.debtor(2003).rest_link_id == rest_link  # type: ignore[union-attr]

    await scene.desk.outbox.drain()
    kinds = scene.desk.notifier.kinds()
    assert kinds.count("debtor_migrated") == 3 and kinds.count("migration_match") == 1
    assert "link_migrated" not in kinds
    question = scene.desk.notifier.of("migration_match")[0]
    assert [c["debtor_id"] for c in question.details["candidates"]] == [2003]
    moved = [json.loads(e.body) for e in await scene.events() if e.type == "debtor.migrated"]
    assert len(moved) == 3
    assert {m["data"]["details"]["debtor_number"] for m in moved} == {"1", "2", "3"}
    assert all(m["data"]["link"]["kind"] == "soap" and m["data"]["link"]["id"] == scene.soap_link for m in moved)


async def test_all_decided_asks_to_revoke_the_soap_token_never_revokes_it(scene: Scene) -> None:
    await three_consented(scene)
    commands = scene.commands()
    four = await commands.handle(person=STAFF, text=f"migration not-needed L{scene.soap_link} 4")
    assert isinstance(four, MarkedNotNeeded) and not four.link_done
    again = await commands.handle(person=STAFF, text=f"migration not-needed L{scene.soap_link} 4")
    assert isinstance(again, AlreadyDecided)
    assert isinstance(await commands.handle(person=STAFF, text=f"migration not-needed L{scene.soap_link} 99"), NoDebtor)
    five = await commands.handle(person=STAFF, text=f"migration not-needed L{scene.soap_link} 5")
    assert isinstance(five, MarkedNotNeeded) and five.link_done

    await scene.desk.outbox.drain()
    done = scene.desk.notifier.of("link_migrated")
    assert len(done) == 1 and done[0].link is not None and done[0].link.id == scene.soap_link
    assert (done[0].details["covered"], done[0].details["not_needed"]) == (3, 2)
    assert [e.type for e in await scene.events()].count("link.migrated") == 1
    link = await scene.desk.get(scene.soap_link)
    assert link is not None and link.state == "active" and link.holds_token  # nothing revoked by itself

    asked = await migration_buttons.press(commands, person=STAFF, action=REVOKE, value=str(scene.soap_link))
    assert isinstance(asked, RevokeAsk) and asked.card.id == scene.soap_link
    link = await scene.desk.get(scene.soap_link)
    assert link is not None and link.holds_token  # still only asked: the confirmation revokes

    overview = await scene.migration().overview(person=STAFF)
    assert isinstance(overview, MigrationOverview) and overview.links == () and overview.totals.to_move == 0


async def test_a_started_consent_whose_name_differs_goes_to_support_first_candidate_first(scene: Scene) -> None:
    rest_link, found = await scene.consent(1, 3, "Bakkerij Jansen BV", target=(scene.soap_link, 2001))
    # Number 3 is Kapsalon Els, the name is not quite debtor 1's: both asked about, the started one first.
    assert isinstance(found, AskedSupport)
    await scene.desk.outbox.drain()
    [question] = scene.desk.notifier.of("migration_match")
    assert [c["debtor_id"] for c in question.details["candidates"]] == [2003]
    assert question.details["started_from"] == f"L{scene.soap_link}"
    async with scene.desk.sessions() as session:
        assert (await store.link_move(session, scene.soap_link)).to_move == 5  # type: ignore[union-attr]
    declined = await migration_buttons.press(scene.commands(), person=STAFF, action=NONE, value=str(rest_link))
    assert isinstance(declined, MatchDeclined)


async def test_buttons_are_for_staff_only_and_record_nothing_otherwise(scene: Scene) -> None:
    rest_link, _ = await scene.consent(3, 3, "Kapsalon Els")
    refused = await migration_buttons.press(scene.commands(), person=CUSTOMER, action=MATCH,
                                            value=f"{scene.soap_link}:2003:{rest_link}")
    assert isinstance(refused, Refused)
    assert isinstance(await scene.commands().handle(person=CUSTOMER, text="migration"), Refused)
    async with scene.desk.sessions() as session:
        assert (await store.link_move(session, scene.soap_link)).to_move == 5  # type: ignore[union-attr]
    assert await migration_buttons.press(scene.commands(), person=STAFF, action=MATCH, value="1:x:2") is None


async def test_a_debtor_that_leaves_the_soap_link_drops_out(sqlite_scene: Scene) -> None:
    scene = sqlite_scene
    await scene.consent(1, 1, "Bakkerij Jansen", target=(scene.soap_link, 2001))
    async with scene.desk.sessions() as session, session.begin():
        from storage.models import Link

        link = await session.get(Link, scene.soap_link)
        assert link is not None
        link.debtors = [d for d in link.debtors if d["id"] not in (2001, 2005)]
    async with scene.desk.sessions() as session:
        totals = store.totals(await store.link_moves(session))
    assert (totals.debtors, totals.to_move, totals.covered) == (3, 3, 0)
    assert isinstance(await scene.commands().handle(person=STAFF, text="migration L999"), NotMigrating)


async def test_a_renewed_consent_keeps_its_match_and_asks_nothing(sqlite_scene: Scene) -> None:
    scene = sqlite_scene
    first_id, first = await scene.consent(1, 1, "Bakkerij Jansen", target=(scene.soap_link, 2001))
    assert isinstance(first, Covered)
    again_id, again = await scene.consent(1, 1, "Bakkerij Jansen")  # the same debtor consents again (replaced)
    assert again_id == first_id and isinstance(again, NothingToMatch)
    await scene.desk.outbox.drain()
    assert scene.desk.notifier.kinds().count("debtor_migrated") == 1 and "migration_match" not in scene.desk.notifier.kinds()


async def test_support_sees_at_most_five_candidates(sqlite_scene: Scene) -> None:
    scene = sqlite_scene
    from bot.standins.nmbrs.accounts import StandinDebtor
    from tests.handlers.migration.conftest import token_for, user_for

    for n in range(20, 27):  # seven other accountants, each with a debtor numbered 3
        scene.desk.nmbrs.add_account(user_for(n), token_for(n), f"kantoor{n}", debtors=[StandinDebtor(5000 + n, 3, f"Klant {n}")])
        await scene.desk.link(n, environment=f"kantoor{n}")
    _, found = await scene.consent(3, 3, "Kapsalon Els")
    assert isinstance(found, AskedSupport) and found.candidates == 5
    await scene.desk.outbox.drain()
    [question] = scene.desk.notifier.of("migration_match")
    assert question.details["candidates"][0]["debtor_id"] == 2003  # number and name: first
    assert question.details["more"] == 3
