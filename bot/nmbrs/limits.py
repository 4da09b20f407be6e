"""One shared bound on Nmbrs calls: how many are in flight and how many start per second."""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiolimiter import AsyncLimiter


class CallLimiter:
    """Async context manager entered around every single SOAP HTTP call.

    One instance per process, shared by intake and the nightly re-check, so that together
    they stay within Nmbrs' fair use however much work is queued.
    """

    def __init__(self, concurrency: int, rate_per_s: float) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self.concurrency = concurrency
        self.rate_per_s = rate_per_s
        self._slots = asyncio.Semaphore(concurrency)
        # A bucket of one drained every 1/rate seconds: starts are spaced evenly and a quiet
        # spell never saves up a burst above the configured rate.
        self._rate = AsyncLimiter(max_rate=1, time_period=1.0 / rate_per_s)

    async def __aenter__(self) -> None:
        # Take a slot before a rate token, so a call that waits for a slot does not spend a
        # rate token it cannot use yet.
        await self._slots.acquire()
        try:
            await self._rate.acquire()
        except BaseException:
            self._slots.release()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._slots.release()

    def __repr__(self) -> str:
        return f"CallLimiter(concurrency={self.concurrency}, rate_per_s={self.rate_per_s})"
