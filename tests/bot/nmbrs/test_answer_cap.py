"""Issue 12 finding 9: an Nmbrs answer past the cap is dropped unread, as a transient failure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from handlers.model import Unreachable, UnreachableCause
from tests.bot.nmbrs.accounts import TOKEN, USERNAME, GatewayFactory
from bot.standins.nmbrs.injection import HUGE_BYTES
from bot.standins.nmbrs.server import NmbrsStandIn

ROOT = Path(__file__).resolve().parents[2]

# One validation in a fresh interpreter, its peak Python allocation measured by tracemalloc.
PROBE = textwrap.dedent("""
    import asyncio, json, resource, sys, tracemalloc
    from bot.nmbrs import CallLimiter, NmbrsGateway

    async def main():
        gateway = NmbrsGateway(base_url=sys.argv[1], limiter=CallLimiter(4, 100), retries=0,
                               connect_timeout_s=5, read_timeout_s=30)
        tracemalloc.start()
        result = await gateway.validate(sys.argv[2], sys.argv[3])
        peak = tracemalloc.get_traced_memory()[1]
        await gateway.aclose()
        print(json.dumps({"outcome": result.outcome, "cause": getattr(result, "cause", None),
                          "peak_mb": round(peak / 2**20, 1),
                          "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))

    asyncio.run(main())
""")


def test_a_50_mb_answer_is_not_held_in_memory(nmbrs: NmbrsStandIn) -> None:
    nmbrs.fail_next("huge", operation="DebtorService.List_GetAll")
    done = subprocess.run([sys.executable, "-c", PROBE, nmbrs.base_url, USERNAME, TOKEN],
                          capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"50 MB answer: tracemalloc peak {measured['peak_mb']} MB, max RSS {measured['rss_mb']} MB")
    assert HUGE_BYTES == 50 * 2**20
    assert measured["outcome"] == "unreachable" and measured["cause"] == "malformed"
    assert measured["peak_mb"] < 20


async def test_an_oversized_answer_is_transient_and_retried(make_gateway: GatewayFactory, nmbrs: NmbrsStandIn) -> None:
    nmbrs.fail_next("huge", operation="DebtorService.List_GetAll")
    result = await make_gateway(retries=0).validate(USERNAME, TOKEN)
    assert isinstance(result, Unreachable) and result.cause is UnreachableCause.MALFORMED and result.transient
    assert "larger than" in result.detail
    nmbrs.fail_next("huge", operation="DebtorService.List_GetAll")
    assert (await make_gateway(retries=1).validate(USERNAME, TOKEN)).outcome == "valid"
