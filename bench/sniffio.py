"""Does sniffio still matter for httpx's speed? Times the Nmbrs gateway (zeep over httpx) against
the SOAP stand-in, plain httpx requests, and httpcore's async-library probe; run it once with sniffio
installed and once without (`pip uninstall sniffio`), and compare the medians.

    python -m bench.sniffio [--rounds 5] [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import time

import httpx
from httpcore._synchronization import current_async_library

from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn

TOKEN = "0123456789abcdef0123456789abcdef"


async def gateway_calls(base_url: str, calls: int) -> float:
    gateway = NmbrsGateway(base_url=base_url, limiter=CallLimiter(concurrency=16, rate_per_s=1e9), retries=0)
    try:
        started = time.perf_counter()
        await asyncio.gather(*(gateway.validate("hr@acme.nl", TOKEN) for _ in range(calls)))
        return time.perf_counter() - started
    finally:
        await gateway.aclose()


async def httpx_calls(url: str, calls: int) -> float:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for _ in range(calls):
            await client.get(url)
        return time.perf_counter() - started


async def probe_calls(calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        current_async_library()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"gateway_validate_s": [], "httpx_get_s": [], "probe_100k_s": []}
    with NmbrsStandIn() as nmbrs:
        nmbrs.add_account("hr@acme.nl", TOKEN, "acme", debtors=[StandinDebtor(12345, 101, "Acme Holding")],
                          companies=[StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345)])
        wsdl = nmbrs.base_url.rstrip("/") + "/DebtorService.asmx?WSDL"
        for _ in range(args.rounds):
            results["gateway_validate_s"].append(asyncio.run(gateway_calls(nmbrs.base_url, args.calls)))
            results["httpx_get_s"].append(asyncio.run(httpx_calls(wsdl, args.calls)))
            results["probe_100k_s"].append(asyncio.run(probe_calls(100_000)))
    print(json.dumps({
        "sniffio_installed": importlib.util.find_spec("sniffio") is not None, "calls": args.calls,
        **{name: round(statistics.median(times), 4) for name, times in results.items()},
    }))


if __name__ == "__main__":
    main()
