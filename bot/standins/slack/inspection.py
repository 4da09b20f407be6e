"""What the Slack stand-in recorded, for tests and benchmarks to read: calls, response_url posts,
messages as they stand, views, and waiting for calls to arrive."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.standins.slack.methods import Call, State


class Inspection:
    """Mixed into SlackStandIn, which holds the state and the condition guarding it."""

    _cond: threading.Condition
    _state: State

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._state.calls if method is None or c.method == method]

    def responses(self, name: str | None = None) -> list[Call]:
        """Posts to response_urls (all, or those of one name)."""
        return [c for c in self.calls("response_url") if name is None or c.name == name]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until at least `count` recorded calls of `method` match `predicate`; return all
        that match. Raises AssertionError naming what did arrive when `timeout` runs out.

        This blocks its thread: from a coroutine whose loop also runs the app, use
        wait_for_async."""
        deadline = time.monotonic() + timeout
        seen = -1
        while True:
            with self._cond:
                if len(self._state.calls) == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        snapshot = list(self._state.calls)
                        break
                    self._cond.wait(remaining)
                snapshot = list(self._state.calls)
            seen = len(snapshot)
            matches = [c for c in snapshot if c.method == method and (predicate is None or predicate(c))]
            if len(matches) >= count:
                return matches
        received = ", ".join(f"{c.method}({c.status})" for c in snapshot) or "nothing"
        raise AssertionError(
            f"waited {timeout}s for {count} matching {method} call(s), got {len(matches)}; received: {received}"
        )

    async def wait_for_async(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """wait_for without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, method, predicate, count, timeout)

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages as they stand now (after updates and deletes), oldest first."""
        with self._cond:
            found = [
                dict(m, channel=ch)
                for (ch, _), m in self._state.messages.items()
                if (channel is None or ch == channel) and (thread_ts is None or m.get("thread_ts") == thread_ts)
            ]
        return sorted(found, key=lambda m: m["ts"])

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._cond:
            return self._state.views.get(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._cond:
            view_id = self._state.home_views.get(user_id)
            return self._state.views.get(view_id) if view_id else None
