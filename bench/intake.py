"""Benchmark of DM intake: N signed DM events carrying credentials, C in flight, against a real
`tokendesk serve` with the Slack and Nmbrs stand-ins behind it (Nmbrs latency L).

    .venv/bin/python -m bench.intake --events 1000 --concurrency 50 --latency-ms 100

Reports the acknowledgement latency (p50/p99) and events per second; the time from sending each
event to the customer's answer arriving at the Slack stand-in; the time spent inside Nmbrs calls
for that intake (the union of its calls' intervals as the Nmbrs stand-in saw them, since two calls
run side by side); and the intake overhead, their difference, split into the time before the first
Nmbrs call, the gaps between calls (where the shared rate limiter waits) and the time after the
last call until the answer. The same events are then sent to a bare slack-bolt AsyncApp that only
acknowledges (signature check on, uvicorn, same machine): the framework's floor.

The server, each stand-in and the floor app run in their own processes, so they do not share this
process's interpreter lock; every process stamps times with time.time(), so they compare. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import math
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
SUPPORT_CHANNEL = "C0SUPPORT"
#: Slack retries an event that was not acknowledged within 3 seconds.
SLACK_ACK_DEADLINE_S = 3.0
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
PIPE_TIMEOUT_S = 30.0
POLL_S = 0.2


# -- who sends what --------------------------------------------------------------------------------

def username(n: int) -> str:
    return f"payroll{n}@customer{n}.nl"


def token(n: int) -> str:
    return f"{n:08x}{'c4' * 12}"


def environment(n: int) -> str:
    return f"customer{n}"


def user_id(n: int) -> str:
    return f"U0B{n:07d}"


def user_of_channel(channel: str) -> int:
    return int(channel[3:])  # "D0B0000042" -> 42, the inverse of dm_channel(user_id(n))


def user_of_username(name: str) -> int:
    return int(name.split("@", 1)[0].removeprefix("payroll"))


# -- child processes ---------------------------------------------------------------------------------

class Child:
    """A stand-in in its own (spawned) process, driven over a pipe; stopped however we leave."""

    def __init__(self, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self.process = context.Process(target=target, args=(*args, child), daemon=True)

    def __enter__(self) -> "Child":
        self.process.start()
        try:
            self.url: str = self._receive(START_TIMEOUT_S)
        except BaseException:
            self.__exit__()  # `with` does not call it when __enter__ fails
            raise
        return self

    def ask(self, command: str, timeout: float = PIPE_TIMEOUT_S) -> Any:
        self._pipe.send(command)
        return self._receive(timeout)

    def _receive(self, timeout: float) -> Any:
        if not self._pipe.poll(timeout):
            raise RuntimeError(f"bench: child process {self.process.pid} did not answer within {timeout:.0f} s")
        try:
            answer = self._pipe.recv()
        except EOFError:
            pid, code = self.process.pid, self.process.exitcode
            raise RuntimeError(f"bench: child process {pid} ended (exit code {code})") from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, EOFError, RuntimeError):
            self.ask("stop", timeout=10)
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


def _nmbrs_process(accounts: int, latency_s: float, pipe: Connection) -> None:
    """The Nmbrs stand-in with one account per customer, recording every call's interval."""
    sys.path.insert(0, str(ROOT))
    import contextvars

    from aiohttp import web

    from bot.standins.nmbrs.accounts import RecordedRequest, StandinCompany, StandinDebtor
    from bot.standins.nmbrs.server import NmbrsStandIn

    current: contextvars.ContextVar[list[Any]] = contextvars.ContextVar("current")

    class TimedNmbrs(NmbrsStandIn):
        """Adds (username, operation, arrived, answered) per request, in time.time()."""

        def reset_counters(self) -> None:
            super().reset_counters()
            self.spans: list[tuple[str | None, str | None, float, float]] = []

        async def _handle(self, request: web.Request) -> web.StreamResponse:
            slot: list[Any] = [None, None]
            current.set(slot)  # this handler's own task: _record below fills it in
            arrived = time.time()
            try:
                return await super()._handle(request)
            finally:
                with self._lock:
                    self.spans.append((slot[0], slot[1], arrived, time.time()))

        def _record(self, root: Any, service: str, operation: str | None, version: int,
                    action: str | None) -> RecordedRequest:
            recorded = super()._record(root, service, operation, version, action)
            slot = current.get(None)
            if slot is not None:
                slot[0] = (recorded.username or "").lower() or None
                slot[1] = operation
            return recorded

    try:
        standin = TimedNmbrs().start()
        for n in range(1, accounts + 1):
            standin.add_account(
                username(n), token(n), environment(n),
                debtors=[StandinDebtor(100000 + n, 1, f"Customer {n} Holding")],
                companies=[StandinCompany(500000 + n, 1, f"Customer {n} B.V.", debtor_id=100000 + n)],
            )
        standin.latency_s = latency_s
    except BaseException as exc:
        pipe.send(RuntimeError(f"the Nmbrs stand-in did not start: {exc!r}"))
        return
    pipe.send(standin.base_url)
    while True:
        command = pipe.recv()
        if command == "spans":
            with standin._lock:
                pipe.send(list(standin.spans))
        elif command == "reset":
            standin.reset_counters()
            pipe.send(True)
        else:
            standin.stop()
            pipe.send(True)
            return


def _texts(params: dict[str, Any]) -> str:
    """Everything a posted message shows: fallback text and the text of every block."""
    parts = [str(params.get("text") or "")]
    for block in params.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text") or ""))
        for item in (block.get("elements") or []) + (block.get("fields") or []):
            if isinstance(item, dict) and isinstance(item.get("text"), dict):
                parts.append(str(item["text"].get("text") or ""))
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
    return "\n".join(parts)


def _slack_process(users: int, pipe: Connection) -> None:
    """The Slack stand-in with one user (so one DM channel) per customer."""
    sys.path.insert(0, str(ROOT))
    from bot.standins.slack.server import SlackStandIn

    try:
        standin = SlackStandIn().start()
        for n in range(1, users + 1):
            standin.add_user(user_id(n), name=f"customer{n}", locale="en-GB")
    except BaseException as exc:
        pipe.send(RuntimeError(f"the Slack stand-in did not start: {exc!r}"))
        return

    def answers() -> list[Any]:
        return [c for c in standin.calls("chat.postMessage")
                if c.ok and str(c.params.get("channel", "")).startswith("D")]

    pipe.send(standin.base_url)
    while True:
        command = pipe.recv()
        if command == "count":
            pipe.send(len(answers()))
        elif command == "answers":
            pipe.send([(str(c.params["channel"]), c.at, _texts(c.params)) for c in answers()])
        elif command == "methods":
            pipe.send(dict(Counter(f"{c.method}{'' if c.ok else ' (failed)'}" for c in standin.calls())))
        elif command == "reset":
            standin.reset()
            pipe.send(True)
        else:
            standin.stop()
            pipe.send(True)
            return


def _floor_process(port: int, slack_api_url: str, pipe: Connection) -> None:
    """A bare slack-bolt AsyncApp under uvicorn: verifies the signature, acknowledges, nothing else."""
    sys.path.insert(0, str(ROOT))
    import uvicorn
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET

    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url), signing_secret=SIGNING_SECRET)

    @app.event("message")
    async def on_message() -> None:
        return None  # bolt acknowledged before this runs

    pipe.send(f"http://127.0.0.1:{port}")
    # Access log off: the floor is the least the framework does.
    uvicorn.run(AsyncSlackRequestHandler(app), host="127.0.0.1", port=port, log_config=None,
                access_log=False, lifespan="off")


class FloorApp(Child):
    def __init__(self, port: int, slack_api_url: str) -> None:
        super().__init__(_floor_process, port, slack_api_url)

    def __exit__(self, *exc: object) -> None:
        # It reads no commands once uvicorn runs: SIGTERM stops uvicorn, SIGKILL whatever remains.
        self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# -- tokendesk serve -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`tokendesk serve` as a subprocess in its own session (Ctrl-C here stops it through SIGTERM)."""

    def __init__(self, env: dict[str, str], port: int, workdir: Path) -> None:
        self.env, self.port, self.workdir = env, port, workdir
        self.log_path = workdir / "serve.log"
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def log_problems(self) -> int:
        """Lines at WARNING or above, and tracebacks, in the server's log."""
        with contextlib.suppress(OSError):
            return sum(1 for line in self.log_path.read_text(errors="replace").splitlines()
                       if any(word in line for word in ("WARNING", "ERROR", "CRITICAL", "Traceback")))
        return 0

    def exited(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: settle listeners, drain the outbox
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def serve_env(args: argparse.Namespace, *, slack_url: str, nmbrs_url: str, database_url: str) -> dict[str, str]:
    from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET
    from storage.cipher import generate_key_line

    # Nothing of the caller's tokendesk, Slack or Teams settings leaks in (cwd is a temp dir: no .env).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    env.update({
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKENDESK_SLACK_API_URL": slack_url,
        "TOKENDESK_NMBRS_URL": nmbrs_url,
        "TOKENDESK_SUPPORT_CHANNEL": SUPPORT_CHANNEL,
        "DATABASE_URL": database_url,
        "TOKENDESK_KEYS": generate_key_line("bench"),
        "TOKENDESK_NMBRS_RATE": str(args.rate),
        "TOKENDESK_RECHECK_CONCURRENCY": str(args.nmbrs_concurrency or args.concurrency),
        "TOKENDESK_LANGUAGE": "en",
        "TOKENDESK_LOG_LEVEL": args.log_level,
    })
    return env


async def wait_until_up(url: str, path: str, *, exited: Any, timeout: float = START_TIMEOUT_S,
                        expect: Sequence[int] = (200,)) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while time.monotonic() < deadline:
            if exited() is not None:
                raise RuntimeError(f"bench: the server at {url} exited with {exited()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(path)).status_code in expect:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"bench: {url}{path} did not answer within {timeout:.0f} s")


# -- load ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    n: int
    at: float  # time.time() just before sending
    sent: float  # perf_counter() just before sending
    acked: float  # perf_counter() when the answer was read
    status: int  # 0: no HTTP answer


def dm_events(numbers: Sequence[int]) -> list[Any]:
    """One Events API delivery per customer: a DM with their login e-mail and token."""
    from bot.standins.slack.payloads import event_callback, message_im

    return [event_callback(message_im(user_id(n), f"Hi, my Nmbrs login is {username(n)} and the token is {token(n)}"))
            for n in numbers]


async def fire(url: str, numbers: Sequence[int], *, concurrency: int, pace: float, timeout: float,
               client: str = "aiohttp") -> list[Sent]:
    """Send the DMs with at most `concurrency` requests in flight (and, with `pace`, no faster than
    `pace` events per second); signed just before sending, like Slack signs each delivery.

    aiohttp by default: one request costs it a fraction of what it costs httpx, whose pool also
    checks every connection on each request; with httpx at C=50 the load generator, not the app,
    sets the floor. The httpx variant gives each sender its own one-connection client for that reason."""
    requests = dm_events(numbers)
    results: list[Sent] = []
    order = iter(range(len(requests)))
    async with contextlib.AsyncExitStack() as stack:
        if client == "aiohttp":
            session = await stack.enter_async_context(aiohttp.ClientSession(
                base_url=url, connector=aiohttp.TCPConnector(limit=concurrency),
                timeout=aiohttp.ClientTimeout(total=30)))

            async def post(_sender: int, body: bytes, headers: dict[str, str]) -> int:
                async with session.post("/slack/events", data=body, headers=headers) as response:
                    await response.read()
                    return response.status
        else:
            one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            senders = [await stack.enter_async_context(httpx.AsyncClient(base_url=url, limits=one, timeout=30))
                       for _ in range(concurrency)]

            async def post(sender: int, body: bytes, headers: dict[str, str]) -> int:
                return (await senders[sender].post("/slack/events", content=body, headers=headers)).status_code

        start = time.perf_counter()

        async def worker(sender: int) -> None:
            for i in order:  # one shared iterator: each event is sent once
                if pace:
                    delay = start + i / pace - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                request = requests[i]
                headers = request.headers()
                at, sent = time.time(), time.perf_counter()
                try:
                    status = await post(sender, request.body, headers)
                except (aiohttp.ClientError, httpx.HTTPError, TimeoutError):
                    status = 0
                results.append(Sent(numbers[i], at, sent, time.perf_counter(), status))

        async with asyncio.timeout(timeout):
            await asyncio.gather(*(worker(sender) for sender in range(concurrency)))
    return results


async def wait_for_answers(slack: Child, count: int, *, timeout: float, stall: float) -> int:
    """Wait until `count` answers arrived; give up after `timeout`, or after `stall` seconds
    without a new one (a lost intake would otherwise hold the run for the whole timeout)."""
    deadline = time.monotonic() + timeout
    seen, progressed = -1, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - progressed < stall:
        now_seen = await asyncio.to_thread(slack.ask, "count")
        if now_seen >= count:
            return now_seen
        if now_seen != seen:
            seen, progressed = now_seen, time.monotonic()
        await asyncio.sleep(POLL_S)
    return max(seen, 0)


# -- figures ---------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def spread_ms(values_s: Sequence[float]) -> dict[str, float | None]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {"p50": ms(percentile(values_s, 50)), "p99": ms(percentile(values_s, 99)),
            "max": ms(max(values_s) if values_s else None)}


def union_length(spans: Sequence[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def ack_figures(sent: Sequence[Sent]) -> dict[str, Any]:
    ok = [s for s in sent if s.status == 200]
    wall = (max(s.acked for s in sent) - min(s.sent for s in sent)) if sent else 0.0
    return {
        "sent": len(sent),
        "non_200": len(sent) - len(ok),
        "statuses": dict(Counter(str(s.status) for s in sent)),
        "ack_ms": spread_ms([s.acked - s.sent for s in ok]),
        "acks_over_3s": sum(1 for s in ok if s.acked - s.sent > SLACK_ACK_DEADLINE_S),
        "send_wall_s": round(wall, 3),
        "events_per_s": round(len(ok) / wall, 1) if wall else None,
    }


def intake_figures(sent: Sequence[Sent], answers: Sequence[tuple[str, float, str]],
                   spans: Sequence[tuple[str | None, str | None, float, float]],
                   rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per intake: send -> answer, the union of its Nmbrs calls, and the overhead in three parts
    (one row per intake appended to `rows`, times relative to the first send, for --dump)."""
    answered: dict[int, tuple[float, str]] = {}
    repeated = 0
    for channel, at, text in answers:
        n = user_of_channel(channel)
        if n in answered:
            repeated += 1
            answered[n] = min(answered[n], (at, text))
        else:
            answered[n] = (at, text)
    calls: dict[int, list[tuple[float, float]]] = defaultdict(list)
    operations: Counter[str] = Counter()
    for name, operation, arrived, done in spans:
        if name:
            calls[user_of_username(name)].append((arrived, done))
            operations[operation or "unknown"] += 1

    total, inside, overhead, before, gaps, after = [], [], [], [], [], []
    connected = 0
    first_sent = min((s.at for s in sent), default=0.0)
    for s in sent:
        if s.n not in answered:
            continue
        at, text = answered[s.n]
        connected += int(environment(s.n) in text and f"…{token(s.n)[-4:]}" in text)
        total.append(at - s.at)
        mine = calls.get(s.n)
        if not mine:
            continue
        union = union_length(mine)
        first, last = min(a for a, _ in mine), max(d for _, d in mine)
        inside.append(union)
        overhead.append(at - s.at - union)
        before.append(first - s.at)
        gaps.append((last - first) - union)
        after.append(at - last)
        if rows is not None:
            rows.append({
                "n": s.n, "sent_s": round(s.at - first_sent, 4), "ack_ms": round((s.acked - s.sent) * 1000, 2),
                "answer_ms": round((at - s.at) * 1000, 2), "nmbrs_ms": round(union * 1000, 2),
                "before_ms": round((first - s.at) * 1000, 2), "gaps_ms": round(((last - first) - union) * 1000, 2),
                "after_ms": round((at - last) * 1000, 2),
            })
    last_answer = max((at for at, _ in answered.values()), default=first_sent)
    return {
        "answers": len(answered),
        "answers_repeated": repeated,
        "connected": connected,
        "nmbrs_calls": sum(operations.values()),
        "calls_by_operation": dict(operations),
        "send_to_answer_ms": spread_ms(total),
        "inside_nmbrs_ms": spread_ms(inside),
        "overhead_ms": spread_ms(overhead),
        "before_first_call_ms": spread_ms(before),
        "gaps_between_calls_ms": spread_ms(gaps),
        "after_last_call_ms": spread_ms(after),
        "first_send_to_last_answer_s": round(last_answer - first_sent, 2),
        "intakes_per_s": round(len(answered) / (last_answer - first_sent), 1) if last_answer > first_sent else None,
    }


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes on the machine spent so far (Linux /proc/stat; None elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each process spent between start() and stop(), for 'who was busy', and what the
    rest of the machine used meanwhile (other users' work skews a run on a shared machine)."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.before: dict[str, float | None] = {}
        self.machine: float | None = None
        self.wall = 0.0

    def start(self) -> None:
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.machine = machine_busy_seconds()
        self.wall = time.perf_counter()

    def stop(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall
        used: dict[str, Any] = {"wall_s": round(wall, 2)}
        ours = 0.0
        for name, pid in self.pids.items():
            now, then = cpu_seconds(pid), self.before.get(name)
            spent = None if now is None or then is None else now - then
            used[f"{name}_cpu_s"] = None if spent is None else round(spent, 2)
            ours += spent or 0.0
        machine = machine_busy_seconds()
        if machine is not None and self.machine is not None:
            # PostgreSQL (--postgres) counts here too: its server processes are not ours to list.
            used["other_processes_cpu_s"] = round(max(0.0, machine - self.machine - ours), 2)
        return used


# -- the runs --------------------------------------------------------------------------------------

async def run_tokendesk(args: argparse.Namespace, slack: Child, nmbrs: Child, workdir: Path,
                        database_url: str) -> dict[str, Any]:
    env = serve_env(args, slack_url=slack.url, nmbrs_url=nmbrs.url, database_url=database_url)
    with Server(env, free_port(), workdir) as server:
        try:
            await wait_until_up(server.url, "/healthz", exited=server.exited)
            if args.warmup:
                warm = range(args.events + 1, args.events + args.warmup + 1)
                await fire(server.url, warm, concurrency=min(args.concurrency, args.warmup), pace=0,
                           timeout=args.timeout, client=args.client)
                await wait_for_answers(slack, args.warmup, timeout=args.timeout, stall=args.stall)
                await asyncio.sleep(1.0)  # the warm-up's support-channel posts
                await asyncio.to_thread(slack.ask, "reset")
                await asyncio.to_thread(nmbrs.ask, "reset")

            meter = CpuMeter({"server": server.process.pid if server.process else None,
                              "slack_standin": slack.process.pid, "nmbrs_standin": nmbrs.process.pid,
                              "load": os.getpid()})
            meter.start()
            sent = await fire(server.url, range(1, args.events + 1), concurrency=args.concurrency,
                              pace=args.pace, timeout=args.timeout, client=args.client)
            expected = sum(1 for s in sent if s.status == 200)
            got = await wait_for_answers(slack, expected, timeout=args.timeout, stall=args.stall)
            cpu = meter.stop()
            await asyncio.sleep(0.5)  # late extra answers, if any, still count as repeats
            answers = await asyncio.to_thread(slack.ask, "answers")
            spans = await asyncio.to_thread(nmbrs.ask, "spans")
            methods = await asyncio.to_thread(slack.ask, "methods")
        except Exception:  # not on Ctrl-C/SIGTERM: then the log tail is noise
            print(f"bench: tokendesk serve log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
            raise
    rows: list[dict[str, Any]] = []
    figures = {**ack_figures(sent), **intake_figures(sent, answers, spans, rows)}
    if args.dump:
        with open(args.dump, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["n"])
            writer.writeheader()
            writer.writerows(sorted(rows, key=lambda row: row["sent_s"]))
    if got < expected:
        figures["timed_out_waiting_for_answers"] = expected - got
    figures["calls_per_intake"] = round(figures["nmbrs_calls"] / max(1, figures["answers"]), 2)
    figures["slack_api_calls"] = methods
    figures["server_log_problems"] = server.log_problems()
    figures["processes"] = cpu
    return figures


async def run_floor(args: argparse.Namespace, slack: Child) -> dict[str, Any]:
    with FloorApp(free_port(), slack.url) as floor:
        await wait_until_up(floor.url, "/", exited=lambda: None if floor.process.is_alive() else floor.process.exitcode,
                            expect=range(200, 600))
        if args.warmup:
            await fire(floor.url, range(args.events + 1, args.events + args.warmup + 1),
                       concurrency=min(args.concurrency, args.warmup), pace=0, timeout=args.timeout,
                       client=args.client)
        meter = CpuMeter({"floor": floor.process.pid, "load": os.getpid()})
        meter.start()
        sent = await fire(floor.url, range(1, args.events + 1), concurrency=args.concurrency, pace=args.pace,
                          timeout=args.timeout, client=args.client)
        figures = {**ack_figures(sent), "processes": meter.stop()}
    await asyncio.to_thread(slack.ask, "reset")
    return figures


@contextlib.contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, str]]:
    """(DATABASE_URL, kind): the one given, a throwaway PostgreSQL (--postgres), or a new SQLite file."""
    if args.database:
        yield args.database, "sqlite" if args.database.startswith("sqlite") else "postgresql"
        return
    if not args.postgres:
        yield f"sqlite:///{workdir / 'tokendesk.db'}", "sqlite"
        return
    from bench.postgres import PostgresServer, create_database, wait_ready

    server = PostgresServer()
    if not server.available:
        raise SystemExit("bench: --postgres needs PostgreSQL's server binaries (initdb, pg_ctl)")
    try:
        admin = server.start()
        wait_ready(admin)
        yield create_database(admin), "postgresql"
    finally:
        server.stop()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    latency_s = args.latency_ms / 1000
    customers = args.events + args.warmup
    nmbrs_concurrency = args.nmbrs_concurrency or args.concurrency
    workdir = Path(tempfile.mkdtemp(prefix="tokendesk-bench-intake-"))
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(Child(_slack_process, customers))
        nmbrs = stack.enter_context(Child(_nmbrs_process, customers, latency_s))
        database_url, kind = stack.enter_context(database(args, workdir))
        result["config"] = {
            "events": args.events, "concurrency": args.concurrency, "latency_ms": args.latency_ms,
            "rate": args.rate, "nmbrs_concurrency": nmbrs_concurrency, "pace": args.pace or None,
            "warmup": args.warmup, "client": args.client, "database": kind, "log_level": args.log_level,
        }
        if not args.no_floor:
            result["floor"] = await run_floor(args, slack)
        if not args.floor_only:
            result["tokendesk"] = await run_tokendesk(args, slack, nmbrs, workdir, database_url)

    desk = result.get("tokendesk") or {}
    troubled = desk.get("non_200") or desk.get("timed_out_waiting_for_answers") or desk.get("server_log_problems")
    if args.keep or troubled:
        result["config"]["workdir"] = str(workdir)  # serve.log and the SQLite file, to look into
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if desk:
        calls = desk["nmbrs_calls"]
        # Any client must respect these: the rate limit over all calls, and the calls in flight.
        rate_bound = calls / args.rate
        flight_bound = calls * latency_s / nmbrs_concurrency
        desk["bound"] = {
            "calls_per_intake_x_n_over_rate_s": round(rate_bound, 2),
            "calls_x_latency_over_concurrency_s": round(flight_bound, 2),
            "ratio_first_send_to_last_answer_over_bound": round(
                desk["first_send_to_last_answer_s"] / max(rate_bound, flight_bound), 3) if calls else None,
        }
    floor = result.get("floor")
    if desk and floor:
        def ratio(a: float | None, b: float | None) -> float | None:
            return round(a / b, 2) if a is not None and b else None

        result["ratios"] = {
            "ack_p50_tokendesk_over_floor": ratio(desk["ack_ms"]["p50"], floor["ack_ms"]["p50"]),
            "ack_p99_tokendesk_over_floor": ratio(desk["ack_ms"]["p99"], floor["ack_ms"]["p99"]),
            "events_per_s_tokendesk_over_floor": ratio(desk["events_per_s"], floor["events_per_s"]),
        }
    return result


# -- output ----------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"p50", "p99", "max"}:
            return f"p50 {value['p50']}  p99 {value['p99']}  max {value['max']}"
        return "  ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def render(result: dict[str, Any]) -> str:
    lines: list[str] = []
    for section in ("machine", "config", "floor", "tokendesk", "ratios"):
        if section not in result:
            continue
        title = {"floor": "floor: bare slack-bolt AsyncApp (ack only)",
                 "tokendesk": "tokendesk serve"}.get(section, section)
        lines.append(f"== {title}")
        rows: list[tuple[str, Any]] = []
        for key, value in result[section].items():
            if key in ("bound", "processes") and isinstance(value, dict):
                rows.extend((f"{key}.{sub}", subvalue) for sub, subvalue in value.items())
            else:
                rows.append((key, value))
        width = max(len(key) for key, _ in rows)
        lines.extend(f"  {key:<{width}}  {_cell(value)}" for key, value in rows)
    return "\n".join(lines)


async def _cancel_on_sigterm(work: Any) -> Any:
    """SIGTERM cancels the run like Ctrl-C does, so the server and stand-ins are stopped too."""
    task = asyncio.ensure_future(work)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await task


def main(argv: list[str] | None = None) -> int:
    assert __doc__ is not None
    parser = argparse.ArgumentParser(prog="bench.intake", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="DM events with credentials, N (default 1000)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight, C (default 50)")
    parser.add_argument("--latency-ms", type=float, default=100.0,
                        help="Nmbrs stand-in latency per call, L (default 100)")
    parser.add_argument("--rate", type=float, default=150.0,
                        help="TOKENDESK_NMBRS_RATE, Nmbrs calls per second (default 150, Nmbrs' fair use)")
    parser.add_argument("--nmbrs-concurrency", type=int, default=0,
                        help="TOKENDESK_RECHECK_CONCURRENCY, Nmbrs calls in flight (default: C)")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="send at most this many events per second (default 0: as fast as C allows); "
                             "below rate / calls-per-intake the limiter stops queueing and the overhead is our own")
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="HTTP client of the load generator (default aiohttp: cheaper per request)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="events sent (and answered) before measuring (default 20)")
    parser.add_argument("--database", help="DATABASE_URL for serve (default: a new SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL for serve")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="TOKENDESK_LOG_LEVEL for serve (default INFO, as deployed)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds for sending, and for the answers (default 600)")
    parser.add_argument("--stall", type=float, default=30.0,
                        help="stop waiting for answers after this many seconds without a new one (default 30)")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare slack-bolt run")
    parser.add_argument("--floor-only", action="store_true", help="only the bare slack-bolt run")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (serve.log, SQLite file); kept anyway when something failed")
    parser.add_argument("--dump", metavar="CSV", help="write one row per intake (times in ms) to this file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.events < 1 or args.concurrency < 1 or args.warmup < 0 or args.latency_ms < 0:
        parser.error("--events and --concurrency must be at least 1; --warmup and --latency-ms not negative")
    if not 0 < args.rate <= 150:
        parser.error("--rate must be in (0, 150]: tokendesk refuses more than Nmbrs' fair use")
    if args.no_floor and args.floor_only:
        parser.error("--no-floor and --floor-only exclude each other")
    try:
        result = asyncio.run(_cancel_on_sigterm(measure(args)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
