"""Real `tokendesk serve` processes on one PostgreSQL: the nightly check runs once across
replicas, and a run whose process is killed half-way is finished by the next one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from bench.postgres import create_database
from bot.standins.nmbrs.accounts import StandinCompany
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import AlertRecord, Check, Lease, LinkState, RecheckRun
from tests.handlers.recheck.conftest import Desk, FakeTime, RecordingNotifier, user_for

ROOT = Path(__file__).resolve().parents[3]
SUPPORT = "C0SUPPORT"


@pytest.fixture
async def pg_desk(postgres_admin_url: str, cipher: TokenCipher, gateway, nmbrs) -> AsyncIterator[tuple[Desk, str]]:  # type: ignore[no-untyped-def]
    url = create_database(postgres_admin_url)
    engine = create_engine(url)
    await upgrade(engine)  # migrated before the replicas start, as a deploy step would
    sessions = session_factory(engine)
    from handlers.alerts import Outbox

    notifier = RecordingNotifier()
    yield Desk(sessions=sessions, cipher=cipher, gateway=gateway, nmbrs=nmbrs, notifier=notifier,
               outbox=Outbox(sessions, []), time=FakeTime()), url
    await engine.dispose()


def serve_env(desk: Desk, slack: SlackStandIn, database_url: str, key_line: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    env.update({
        "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TOKENDESK_KEYS": key_line,
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKENDESK_SLACK_API_URL": slack.base_url, "TOKENDESK_SUPPORT_CHANNEL": SUPPORT,
        "TOKENDESK_NMBRS_URL": desk.nmbrs.base_url, "TOKENDESK_NMBRS_RETRIES": "0",
        "TOKENDESK_CONFIRM_DELAY_S": "0", "TOKENDESK_NMBRS_RATE": "150", "TOKENDESK_UNVERIFIED_AFTER": "1", "TOKENDESK_LANGUAGE": "en",
        # A slot long past that never ran: each replica catches up on it at start.
        "TOKENDESK_RECHECK_CRON": "0 0 1 1 *", "TOKENDESK_TIMEZONE": "UTC", "TOKENDESK_RECHECK_ON_START": "true",
    })
    return env


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def replica(env: dict[str, str], cwd: Path, name: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    log = open(cwd / f"{name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


async def healthy(port: int, timeout: float = 60) -> dict[str, str]:  # a loaded machine starts serve slowly
    async with httpx.AsyncClient() as http, asyncio.timeout(timeout):
        while True:
            try:
                answer = await http.get(f"http://127.0.0.1:{port}/healthz")
                if answer.status_code == 200:
                    return answer.json()
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def until(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.1)


async def seed(desk: Desk, n: int) -> dict[str, int]:
    for i in range(1, n + 1):
        desk.account(i, companies=2)
        await desk.link(i)
    broken = await desk.link(n + 1, state=LinkState.BROKEN)
    desk.account(n + 1, companies=2)  # works again: restored
    desk.nmbrs.remove_account(user_for(1))  # breaks
    desk.nmbrs.account_fault(user_for(2), 9999)  # cannot be checked
    account = desk.nmbrs.accounts[user_for(3)]
    account.companies = [account.companies[0], StandinCompany(79999, 9, "Nieuw B.V.", debtor_id=1003)]
    return {"links": n + 1, "restored": broken}


async def count(desk: Desk, statement) -> int:  # type: ignore[no-untyped-def]
    async with desk.sessions() as session:
        return await session.scalar(statement) or 0


async def run_finished(desk: Desk) -> bool:
    return await count(desk, select(func.count()).select_from(RecheckRun).where(RecheckRun.status == "finished")) > 0


async def checked_at_least(desk: Desk, k: int) -> bool:
    return await count(desk, select(func.count()).select_from(Check).where(Check.run_id.is_not(None))) >= k


async def all_sent(desk: Desk) -> bool:
    return (await count(desk, select(func.count()).select_from(AlertRecord)) > 0
            and await count(desk, select(func.count()).select_from(AlertRecord).where(AlertRecord.sent_at.is_(None))) == 0)


def slack_posts(slack: SlackStandIn) -> list[dict[str, object]]:
    return [c.params for c in slack.calls("chat.postMessage") if c.ok]


async def test_two_serve_replicas_on_one_postgresql_run_the_check_once(pg_desk, key_line: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    desk, url = pg_desk
    seeded = await seed(desk, 16)
    with SlackStandIn() as slack:
        slack.add_user("U1", locale="en-US")
        env = serve_env(desk, slack, url, key_line)
        with replica(env, tmp_path, "a") as (a, port_a), replica(env, tmp_path, "b") as (b, port_b):
            for port in (port_a, port_b):
                assert (await healthy(port))["scheduler"].startswith("next check 2027-01-01")
            await until(lambda: run_finished(desk))
            await until(lambda: all_sent(desk))
            await asyncio.sleep(1.5)  # room for a duplicate to show up, if there were one
        for process, name in ((a, "a"), (b, "b")):  # uvicorn re-raises SIGTERM after a clean shutdown
            assert process.returncode in (0, -signal.SIGTERM), (tmp_path / f"{name}.log").read_text()[-3000:]

        n = seeded["links"]
        assert await count(desk, select(func.count()).select_from(RecheckRun)) == 1
        assert await count(desk, select(func.count()).select_from(Check).where(Check.trigger == "recheck")) == n
        # Each link asked once; the one break confirmed once; nothing twice because of two replicas.
        assert desk.nmbrs.calls["DebtorService.Environment_Get"] == n + 1
        assert desk.nmbrs.total_calls == 4 * (n - 2) + 2 + 1
        async with desk.sessions() as session:
            kinds = sorted((await session.scalars(select(AlertRecord.kind))).all())
        assert kinds == ["broken", "customer_broken", "digest", "restored", "scope_changed", "unverified"]
        posts = slack_posts(slack)
        support = [p for p in posts if p["channel"] == SUPPORT]
        parents = [p for p in support if not p.get("thread_ts")]
        in_threads = [p for p in support if p.get("thread_ts")]
        assert len(parents) == 5  # four link threads and the digest
        assert len(in_threads) == 4 and len({p["thread_ts"] for p in in_threads}) == 4
        assert len(slack.calls("conversations.open")) == 1 and len(posts) == 10


async def test_a_replica_killed_mid_run_is_finished_by_the_next(pg_desk, key_line: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    desk, url = pg_desk
    seeded = await seed(desk, 40)
    n = seeded["links"]
    with SlackStandIn() as slack:
        slack.add_user("U1", locale="en-US")
        env = serve_env(desk, slack, url, key_line)
        # 30 Nmbrs calls a second: slow enough to be killed half-way (41 links take 5 s).
        with replica({**env, "TOKENDESK_NMBRS_RATE": "30"}, tmp_path, "dying") as (dying, _):
            await until(lambda: checked_at_least(desk, 10))
            dying.send_signal(signal.SIGKILL)
            dying.wait(10)
        done_before = await count(desk, select(func.count()).select_from(Check).where(Check.trigger == "recheck"))
        assert 10 <= done_before < n
        assert await count(desk, select(func.count()).select_from(RecheckRun).where(RecheckRun.status == "running")) == 1
        # The dead holder's lease would run out after its 60 s; let that time pass at once.
        async with desk.sessions() as session, session.begin():
            await session.execute(update(Lease).values(expires_at=desk.time.now.replace(year=2000)))
        with replica(env, tmp_path, "next") as (successor, port):
            await healthy(port)
            await until(lambda: run_finished(desk))
            await until(lambda: all_sent(desk))
        assert successor.returncode in (0, -signal.SIGTERM)

    async with desk.sessions() as session:
        per_link = (await session.execute(
            select(Check.link_id, func.count()).where(Check.trigger == "recheck").group_by(Check.link_id)
        )).all()
        runs = (await session.scalars(select(RecheckRun))).all()
        kinds = sorted((await session.scalars(select(AlertRecord.kind))).all())
    assert len(runs) == 1 and runs[0].status == "finished"
    assert len(per_link) == n and all(c == 1 for _, c in per_link)  # nobody checked twice in the cycle
    in_flight_at_kill = 8  # TOKENDESK_RECHECK_CONCURRENCY's default
    assert n + 1 <= desk.nmbrs.calls["DebtorService.Environment_Get"] <= n + 1 + in_flight_at_kill
    assert kinds == ["broken", "customer_broken", "digest", "restored", "scope_changed", "unverified"]
    assert len(slack.calls("conversations.open")) == 1
