"""Benchmark of finding credentials in hostile messages: the parse time of 40,000-character
adversarial texts, and other customers' acknowledgement p99 while such DMs reach a real `tokendesk serve`.

    .venv/bin/python -m bench.parse                      # both parts
    .venv/bin/python -m bench.parse --parse-only         # the parse times only (no server)

The server and the stand-ins run as in bench.intake (their own processes, loopback only). Ordinary DMs
(login e-mail and token) are sent at --pace per second twice: once alone, once while --hostile DMs
of the adversarial shapes arrive at the same time; the report gives both ack p99 and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench.intake import (
    Child,
    Server,
    _nmbrs_process,
    _slack_process,
    fire,
    free_port,
    percentile,
    serve_env,
    user_id,
    wait_for_answers,
    wait_until_up,
)

#: Slack's own limit on a message's text.
LENGTH = 40_000
TARGET_MS = 5.0


def _fill(unit: str, length: int = LENGTH, head: str = "") -> str:
    return (head + unit * (length // len(unit) + 1))[:length]


#: Shapes that made a backtracking pattern scan far from many starts, or slice a string repeatedly.
SHAPES: dict[str, str] = {
    "a. repeated": _fill("a."),
    "one long word": _fill("a"),
    "e-mail-ish, no top-level domain": _fill("a.", head="x@"),
    "e-mail-ish, long local part": _fill("a")[:-6] + "@b.nl",
    "many @": _fill("a@"),
    "url-ish scheme": _fill("a+"),
    "url-ish, many ://": _fill("a://"),
    "url-ish, no ://": _fill("a.b-c+"),
    "url-ish, :// at the end": _fill("a.b-c+")[:-5] + "a://x",
    "token, then spaces": _fill(" ", head="token"),
    "token: repeated": _fill("token: "),
    "token-ish word with trailing dots": "a1" + "." * (LENGTH - 2),
    "hex run": _fill("0a"),
    "backticks": _fill("`"),
    "unclosed fences": _fill("```a"),
    "nested code spans": _fill("`a``b```c"),
    "double quotes": _fill('"a'),
    "mixed quotes": _fill("'\"a"),
    "unclosed links": _fill("<a|"),
    "mentions": _fill("<@U1>"),
    "escaped angle brackets": _fill("&lt;"),
    "teams: unclosed <at>": _fill("<at>"),
    "teams: unclosed <code>": _fill("<code>"),
    "teams: tag-ish": _fill("<a_"),
    "teams: breaks": _fill("<br "),
}


def parsers() -> dict[str, Callable[[str], Any]]:
    from bot.slack.inbound import plain_text as slack_plain_text
    from bot.teams.inbound import plain_text as teams_plain_text
    from handlers.parse import find_credentials

    return {"slack": lambda text: find_credentials(slack_plain_text(text)),
            "teams": lambda text: find_credentials(teams_plain_text(text))}


def parse_times(repeat: int) -> dict[str, Any]:
    """Per shape and channel, the median of `repeat` parses in ms (wall clock, and this thread's
    CPU time, which other processes on a busy machine do not inflate); and the worst of those."""
    rows: dict[str, dict[str, float]] = {}
    for shape, text in SHAPES.items():
        for channel, parse in parsers().items():
            wall, cpu = [], []
            for _ in range(repeat):
                start, start_cpu = time.perf_counter(), time.thread_time()
                parse(text)
                cpu.append((time.thread_time() - start_cpu) * 1000)
                wall.append((time.perf_counter() - start) * 1000)
            rows.setdefault(shape, {})[channel] = round(statistics.median(wall), 3)
            rows[shape][f"{channel}_cpu"] = round(statistics.median(cpu), 3)
    worst_shape, worst = max(((s, max(r["slack"], r["teams"])) for s, r in rows.items()), key=lambda item: item[1])
    worst_cpu_shape, worst_cpu = max(((s, max(r["slack_cpu"], r["teams_cpu"])) for s, r in rows.items()),
                                     key=lambda item: item[1])
    return {"per_shape_ms": rows, "worst_ms": worst, "worst_shape": worst_shape, "worst_cpu_ms": worst_cpu,
            "worst_cpu_shape": worst_cpu_shape, "target_ms": TARGET_MS, "all_under_target": worst < TARGET_MS}


async def send_hostile(url: str, count: int, first_user: int, pace: float) -> list[int]:
    """`count` DMs of the adversarial shapes, in turn, from users of their own; their HTTP statuses."""
    from bot.standins.slack.payloads import event_callback, message_im

    texts = list(SHAPES.values())
    statuses: list[int] = []
    start = time.perf_counter()
    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def one(i: int) -> None:
            delay = start + i / pace - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            request = event_callback(message_im(user_id(first_user + i), texts[i % len(texts)], autoformat=False))
            try:
                async with session.post("/slack/events", data=request.body, headers=request.headers()) as answer:
                    await answer.read()
                    statuses.append(answer.status)
            except (aiohttp.ClientError, TimeoutError):
                statuses.append(0)

        await asyncio.gather(*(one(i) for i in range(count)))
    return statuses


def ack_p99_ms(sent: list[Any]) -> float | None:
    value = percentile([s.acked - s.sent for s in sent if s.status == 200], 99)
    return None if value is None else round(value * 1000, 1)


async def serve_part(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="tokendesk-bench-parse-"))
    n, k = args.events, args.hostile
    users = 2 * n + k
    result: dict[str, Any] = {}
    try:
        with Child(_slack_process, users) as slack, Child(_nmbrs_process, users, args.latency_ms / 1000) as nmbrs:
            env = serve_env(args, slack_url=slack.url, nmbrs_url=nmbrs.url,
                            database_url=f"sqlite:///{workdir / 'tokendesk.db'}")
            with Server(env, free_port(), workdir) as server:
                await wait_until_up(server.url, "/healthz", exited=server.exited)
                alone = await fire(server.url, range(1, n + 1), concurrency=args.concurrency, pace=args.pace,
                                   timeout=args.timeout)
                await wait_for_answers(slack, n, timeout=args.timeout, stall=10)
                ordinary = fire(server.url, range(n + 1, 2 * n + 1), concurrency=args.concurrency,
                                pace=args.pace, timeout=args.timeout)
                hostile = send_hostile(server.url, k, 2 * n + 1, pace=k * args.pace / n)
                together, hostile_statuses = await asyncio.gather(ordinary, hostile)
                problems = server.log_problems()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    alone_p99, together_p99 = ack_p99_ms(alone), ack_p99_ms(together)
    result.update({
        "ordinary_dms_per_phase": n, "hostile_dms": k, "pace_per_s": args.pace,
        "ack_p99_ms_alone": alone_p99, "ack_p99_ms_with_hostile": together_p99,
        "ratio_with_hostile_over_alone": round(together_p99 / alone_p99, 2) if alone_p99 and together_p99 else None,
        "acks_over_3s_with_hostile": sum(1 for s in together if s.acked - s.sent > 3.0),
        "hostile_statuses": {str(code): hostile_statuses.count(code) for code in sorted(set(hostile_statuses))},
        "server_log_problems": problems,
    })
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="parses per shape and channel (median taken)")
    parser.add_argument("--parse-only", action="store_true", help="no server: the parse times only")
    parser.add_argument("--serve-only", action="store_true", help="skip the parse times")
    parser.add_argument("--events", type=int, default=100, help="ordinary DMs per phase")
    parser.add_argument("--hostile", type=int, default=len(SHAPES), help="adversarial DMs in the second phase")
    parser.add_argument("--pace", type=float, default=20.0, help="ordinary DMs per second")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the Nmbrs stand-in's answer time")
    parser.add_argument("--rate", type=float, default=150.0)
    parser.add_argument("--nmbrs-concurrency", type=int, default=0)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (serve.log)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform()}}
    if not args.serve_only:
        result["parse"] = parse_times(args.repeat)
    if not args.parse_only:
        with contextlib.suppress(KeyboardInterrupt):
            result["serve"] = asyncio.run(serve_part(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"machine: {result['machine']['cpus']} cpus, Python {result['machine']['python']}")
    parse = result.get("parse")
    if parse:
        for shape, row in parse["per_shape_ms"].items():
            print(f"  {shape:<36} slack {row['slack']:>10.3f} ms ({row['slack_cpu']:.3f} cpu)"
                  f"   teams {row['teams']:>10.3f} ms ({row['teams_cpu']:.3f} cpu)")
        print(f"worst parse: {parse['worst_ms']} ms ({parse['worst_shape']}); target < {TARGET_MS} ms: "
              f"{'met' if parse['all_under_target'] else 'NOT met'}; worst CPU time {parse['worst_cpu_ms']} ms "
              f"({parse['worst_cpu_shape']})")
    for key, value in (result.get("serve") or {}).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
