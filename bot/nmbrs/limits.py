"""One shared bound on Nmbrs calls: how many are in flight and how many start per second."""

from __future__ import annotations

import asyncio
from types import TracebackType


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
        # Starts are booked on a schedule 1/rate apart (GCRA with a burst of one): each call
        # takes the next free start time and sleeps until then. A late wake-up does not push
        # the later starts back, so the configured rate is reached, and a quiet spell never
        # saves up a burst (a start is never booked before now).
        self._interval = 1.0 / rate_per_s
        self._next_start = float("-inf")

    async def __aenter__(self) -> None:
        # Take a slot before a start time, so a call that waits for a slot does not book a
        # start it cannot use yet.
        await self._slots.acquire()
        try:
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
            if start > now:
                await asyncio.sleep(start - now)
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
