"""`bench.recheck --kind rest|mixed`: N REST links (refresh + user/info, debtor, companies each)
against the REST stand-ins in a child process, then a run with both kinds mixed.

The stand-in's consents are made through its token ledger directly (N consent pages would be the
benchmark of the stand-in's login form, not of the desk); every refresh and API call is real HTTP.
Each refresh is two commits (the lease with its started mark, then the new tokens) plus the batched
result write: commits per second are reported from that count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.recheck import PipedProcess
from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.nmbrs.rest import RestGateway
from handlers.alerts import Outbox
from handlers.recheck import Recheck, RecheckPolicy
from handlers.recheck.rest import RestCheck, RestTokens
from storage.cipher import TokenCipher, link_secret_row
from storage.models import Link, LinkState, utcnow

SEED_BATCH = 1000


def _rest_standin_process(links: int, latency_s: float, pipe: Connection) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import time as clock

    from bot.standins.nmbrs_rest import PRACTICE_CLIENT_ID, NmbrsRestStandIn, RestCompany, RestDebtor
    from bot.standins.nmbrs_rest.accounts import new_id
    from bot.standins.nmbrs_rest.grants import Grant

    standin = NmbrsRestStandIn().start()
    scopes = ("offline_access", "user.info.read", "debtor.info.read", "company.info.read")
    seeded = []
    for n in range(1, links + 1):
        email = f"hr{n}@rest{n}.nl"
        user = standin.add_user(email, "pw", debtor=RestDebtor(n, f"Debtor {n}"),
                                companies=[RestCompany(1, f"Company {n} B.V.")])
        grant = Grant(new_id(), email, PRACTICE_CLIENT_ID, scopes)
        standin.ledger.grants[grant.id] = grant
        access, refresh = standin.ledger.issue_tokens(grant, scopes=scopes, now=clock.time(), issued_from="bench")
        seeded.append((email, user.debtor.id, access, refresh))
    standin.latency_s = latency_s
    pipe.send((standin.identity_url, standin.api_url, seeded))
    while True:
        command = pipe.recv()
        if command == "stats":
            pipe.send({"calls": dict(standin.calls), "total": standin.total_calls,
                       "max_in_flight": standin.max_in_flight, "token_errors": list(standin.token_errors)})
        else:
            standin.stop()
            pipe.send(True)
            return


class RestStandinProcess(PipedProcess):
    def __init__(self, links: int, latency_s: float) -> None:
        super().__init__(_rest_standin_process, links, latency_s)

    def greeted(self, greeting: Any) -> None:
        self.identity_url, self.api_url, self.seeded = greeting


async def seed_rest(sessions: Any, cipher: TokenCipher, seeded: list[tuple[str, str, str, str]], *, first_id: int) -> None:
    now = utcnow()
    for start in range(0, len(seeded), SEED_BATCH):
        rows = []
        for offset, (email, debtor_id, access, refresh) in enumerate(seeded[start:start + SEED_BATCH], start=start):
            link_id = first_id + offset
            r = cipher.seal(refresh, row=link_secret_row(link_id, "refresh"))
            a = cipher.seal(access, row=link_secret_row(link_id, "access"))
            rows.append({
                "id": link_id, "kind": "rest", "username": email, "environment": None, "debtor_id": debtor_id,
                "debtor_name": f"Debtor {offset + 1}", "scopes": "offline_access user.info.read",
                "token_ciphertext": r.ciphertext, "token_key_id": r.key_id, "access_ciphertext": a.ciphertext,
                "access_key_id": a.key_id, "access_expires_at": now + timedelta(hours=1), "refreshed_at": now,
                "state": LinkState.ACTIVE, "debtors": [{"id": debtor_id, "number": None, "name": "x"}],
                "companies": [], "scope_digest": None, "platform": "slack", "team_id": "T1",
                "user_id": f"U{link_id}", "failed_checks": 0, "created_at": now, "updated_at": now,
                "state_changed_at": now,
            })
        async with sessions() as session, session.begin():
            await session.execute(insert(Link), rows)


async def measure_rest(args: argparse.Namespace, *, mixed: bool) -> dict[str, Any]:
    """REST links only, or (mixed) half SOAP half REST, in one run."""
    from bench.recheck import BenchDatabase, StandinProcess, seed

    latency_s = args.latency_ms / 1000
    db = await BenchDatabase.open(args)
    engine, sessions, cipher = db.engine, db.sessions, db.cipher
    soap_links = args.links // 2 if mixed else 0
    rest_links = args.links - soap_links
    with RestStandinProcess(rest_links, latency_s) as rest, StandinProcess(max(soap_links, 1), latency_s) as soap:
        if soap_links:
            await seed(sessions, cipher, soap_links)
        await seed_rest(sessions, cipher, rest.seeded, first_id=soap_links + 1)
        limiter = CallLimiter(args.concurrency, args.rate)
        soap_gateway = NmbrsGateway(base_url=soap.base_url, limiter=limiter)
        from bot.standins.nmbrs_rest import PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, PRACTICE_SUBSCRIPTION_KEY

        rest_gateway = RestGateway(identity_url=rest.identity_url, api_url=rest.api_url, client_id=PRACTICE_CLIENT_ID,
                                   client_secret=PRACTICE_CLIENT_SECRET, subscription_key=PRACTICE_SUBSCRIPTION_KEY,
                                   limiter=limiter)
        tokens = RestTokens(sessions=sessions, cipher=cipher, gateway=rest_gateway, clock=utcnow, lease_s=120)
        recheck = Recheck(
            sessions=sessions, cipher=cipher, gateway=soap_gateway, outbox=Outbox(sessions, []),
            policy=RecheckPolicy(confirm_delay_s=300, unverified_after=2, notify_customers=True, digest="changes"),
            holder="bench", concurrency=args.concurrency, rest=RestCheck(tokens),
        )
        from bench.recheck import _peak_rss_mb

        started = time.perf_counter()
        cpu_started = time.process_time()
        summary = await recheck.run(trigger="bench")
        wall_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu_started
        rest_stats = rest.ask("stats")
        soap_calls = soap.ask("stats")["calls"] if soap_links else 0
        await soap_gateway.aclose()
        await rest_gateway.aclose()
    await engine.dispose()
    if summary.checked != args.links:
        raise SystemExit(f"bench: {summary.checked} of {args.links} links checked")
    rest_calls = rest_stats["total"]
    calls = rest_calls + soap_calls
    bound_s = max(calls / args.rate, calls * latency_s / args.concurrency)
    # Commits: two per REST refresh (lease+mark, new tokens) plus one per result batch (<= 100 results).
    commits = 2 * rest_stats["calls"].get("token.refresh_token", 0) + -(-args.links // 100)
    return {
        "kind": "mixed" if mixed else "rest", "outcomes": summary.outcomes, "links": args.links, "rest_links": rest_links, "soap_links": soap_links,
        "latency_ms": args.latency_ms, "concurrency": args.concurrency, "rate": args.rate,
        "database": db.kind, "cpus": os.cpu_count(),
        "wall_s": round(wall_s, 2), "cpu_s": round(cpu_s, 2), "nmbrs_calls": calls, "rest_calls": rest_calls,
        "refreshes": rest_stats["calls"].get("token.refresh_token", 0), "token_errors": len(rest_stats["token_errors"]),
        "max_in_flight_rest": rest_stats["max_in_flight"], "bound_s": round(bound_s, 2),
        "ratio_to_bound": round(wall_s / bound_s, 3), "links_per_s": round(args.links / wall_s, 1),
        "commits": commits, "commits_per_s": round(commits / wall_s, 1), "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
