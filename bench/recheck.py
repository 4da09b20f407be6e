"""Benchmark of the nightly re-check: N links against the Nmbrs stand-in with latency L.

    .venv/bin/python -m bench.recheck --links 2000 --latency-ms 50 --concurrency 16 --rate 200
    .venv/bin/python -m bench.recheck --kind rest --links 10000 --latency-ms 50 --concurrency 16 --rate 150

Reports the wall time of one `Recheck.run`, the Nmbrs calls it made, the bound any client must
respect, max(calls / rate, calls x latency / concurrency), the ratio of wall time to that bound,
peak RSS, and a plain sequential loop over the gateway on a sample (scaled to N) for comparison.
The stand-in runs in its own process so that it does not share this process's interpreter lock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.nmbrs import CallLimiter, NmbrsGateway
from handlers.alerts import Outbox
from handlers.model import Company, Debtor, Valid
from handlers.recheck import Recheck, RecheckPolicy
from storage.cipher import TokenCipher, generate_key_line, link_row
from storage.db import create_engine, session_factory
from storage.links import open_token
from storage.migrate import upgrade
from storage.models import Link, LinkState, utcnow

SEED_BATCH = 1000


def username(n: int) -> str:
    return f"payroll{n}@customer{n}.nl"


def token(n: int) -> str:
    return f"{n:08x}{'b7' * 12}"


def scope(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    debtors = [{"id": 100000 + n, "number": 1, "name": f"Customer {n} Holding"}]
    companies = [{"id": 500000 + n, "number": 1, "name": f"Customer {n} B.V.", "debtor_id": 100000 + n}]
    return debtors, companies


# -- the stand-in, in a child process ----------------------------------------------------------

def _standin_process(links: int, latency_s: float, pipe: Connection) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
    from bot.standins.nmbrs.server import NmbrsStandIn

    standin = NmbrsStandIn().start()
    for n in range(1, links + 1):
        debtors, companies = scope(n)
        standin.add_account(
            username(n), token(n), f"customer{n}",
            debtors=[StandinDebtor(d["id"], d["number"], d["name"]) for d in debtors],
            companies=[StandinCompany(c["id"], c["number"], c["name"], debtor_id=c["debtor_id"]) for c in companies],
        )
    standin.latency_s = latency_s
    pipe.send(standin.base_url)
    while True:
        command = pipe.recv()
        if command == "stats":
            pipe.send({"calls": standin.total_calls, "max_in_flight": standin.max_in_flight})
        elif command == "reset":
            standin.reset_counters()
            pipe.send(True)
        else:
            standin.stop()
            pipe.send(True)
            return


class PipedProcess:
    """A stand-in in its own process (spawned, so the benchmark's CPU is its own): the child sends one
    greeting when it listens, then answers each command sent with `ask`; "stop" ends it."""

    def __init__(self, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=target, args=(*args, child), daemon=True)

    def __enter__(self) -> Any:
        self._process.start()
        self.greeted(self._pipe.recv())
        return self

    def greeted(self, greeting: Any) -> None:
        """What the child said once it listens (its addresses, what it seeded)."""

    def ask(self, command: str) -> Any:
        self._pipe.send(command)
        return self._pipe.recv()

    def __exit__(self, *exc: object) -> None:
        try:
            self.ask("stop")
        finally:
            self._process.join(10)


class StandinProcess(PipedProcess):
    def __init__(self, links: int, latency_s: float) -> None:
        super().__init__(_standin_process, links, latency_s)

    def greeted(self, greeting: Any) -> None:
        self.base_url: str = greeting


# -- the database -----------------------------------------------------------------------------

async def seed(sessions: Any, cipher: TokenCipher, links: int) -> None:
    """N active links as intake leaves them (sealed tokens, scope and digest), inserted in bulk."""
    now = utcnow()
    for start in range(1, links + 1, SEED_BATCH):
        rows = []
        for n in range(start, min(start + SEED_BATCH, links + 1)):
            debtors, companies = scope(n)
            digest = Valid(username(n), f"customer{n}", tuple(Debtor(d["id"], d["number"], d["name"]) for d in debtors),
                           tuple(Company(c["id"], c["number"], c["name"]) for c in companies), 0.0).scope_digest
            sealed = cipher.seal(token(n), row=link_row(n))
            rows.append({
                "id": n, "username": username(n), "environment": f"customer{n}", "token_ciphertext": sealed.ciphertext,
                "token_key_id": sealed.key_id, "token_last4": token(n)[-4:], "state": LinkState.ACTIVE,
                "debtors": debtors, "companies": companies, "scope_digest": digest, "platform": "slack",
                "team_id": "T1", "user_id": f"U{n}", "failed_checks": 0, "created_at": now, "updated_at": now,
                "state_changed_at": now,
            })
        async with sessions() as session, session.begin():
            await session.execute(insert(Link), rows)


# -- the measurement --------------------------------------------------------------------------

@dataclass
class BenchDatabase:
    """The run's database (`--database`, or a fresh SQLite file), migrated, and a throwaway key."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher

    @classmethod
    async def open(cls, args: argparse.Namespace) -> "BenchDatabase":
        url = args.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='tokendesk-bench-')) / 'bench.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        return cls(url, engine, session_factory(engine), TokenCipher.from_text(generate_key_line("bench")))

    @property
    def kind(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    latency_s = args.latency_ms / 1000
    db = await BenchDatabase.open(args)
    engine, sessions, cipher = db.engine, db.sessions, db.cipher
    seed_started = time.perf_counter()
    await seed(sessions, cipher, args.links)
    seed_s = time.perf_counter() - seed_started

    with StandinProcess(args.links, latency_s) as standin:
        limiter = CallLimiter(args.concurrency, args.rate)
        gateway = NmbrsGateway(base_url=standin.base_url, limiter=limiter)
        recheck = Recheck(
            sessions=sessions, cipher=cipher, gateway=gateway, outbox=Outbox(sessions, []),
            policy=RecheckPolicy(confirm_delay_s=300, unverified_after=2, notify_customers=True, digest="changes"),
            holder="bench", concurrency=args.concurrency,
        )
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        cpu_started = time.process_time()
        summary = await recheck.run(trigger="bench")
        wall_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu_started
        stats = standin.ask("stats")
        calls = stats["calls"]
        if summary.checked != args.links or summary.outcomes != {"valid": args.links}:
            raise SystemExit(f"bench: unexpected outcome {summary.outcomes} for {summary.checked} links")

        # The same work as a plain loop: one link after another, through the same gateway.
        standin.ask("reset")
        sample = min(args.sample, args.links)
        async with sessions() as session:
            links = [await session.get(Link, n) for n in range(1, sample + 1)]
        loop_started = time.perf_counter()
        for link in links:
            assert link is not None
            await gateway.validate(link.username, open_token(link, cipher))
        loop_s = time.perf_counter() - loop_started
        await gateway.aclose()
    await engine.dispose()

    bound_s = max(calls / args.rate, calls * latency_s / args.concurrency)
    sequential_s = loop_s * args.links / sample
    return {
        "links": args.links, "latency_ms": args.latency_ms, "concurrency": args.concurrency, "rate": args.rate,
        "database": db.kind, "cpus": os.cpu_count(),
        "seed_s": round(seed_s, 2), "wall_s": round(wall_s, 2), "cpu_s": round(cpu_s, 2),
        "nmbrs_calls": calls, "calls_per_link": round(calls / args.links, 2),
        "max_in_flight": stats["max_in_flight"], "bound_s": round(bound_s, 2),
        "ratio_to_bound": round(wall_s / bound_s, 3), "links_per_s": round(args.links / wall_s, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1), "rss_before_run_mb": round(rss_before, 1),
        "sequential_sample": sample, "sequential_s_scaled": round(sequential_s, 1),
        "speedup_over_sequential": round(sequential_s / wall_s, 1),
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.recheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=2000, help="links in the database (default 2000)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="stand-in latency per call (default 50)")
    parser.add_argument("--concurrency", type=int, default=16, help="Nmbrs calls in flight (default 16)")
    parser.add_argument("--rate", type=float, default=200.0, help="Nmbrs calls per second (default 200)")
    parser.add_argument("--sample", type=int, default=100, help="links for the sequential loop (default 100)")
    parser.add_argument("--database", help="DATABASE_URL to use (default: a new SQLite file)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--kind", choices=("soap", "rest", "mixed"), default="soap",
                        help="SOAP links, REST links (refresh + API reads each), or half of each (default soap)")
    args = parser.parse_args(argv)
    if args.kind == "soap":
        figures = asyncio.run(measure(args))
    else:
        from bench.recheck_rest import measure_rest

        figures = asyncio.run(measure_rest(args, mixed=args.kind == "mixed"))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
