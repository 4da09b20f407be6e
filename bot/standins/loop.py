"""A stand-in server on its own event loop in a background thread: it serves whatever loop or
thread the code under test runs on, and starts and stops the same way for every stand-in."""

from __future__ import annotations

import asyncio
import threading
from typing import Self


class BackgroundLoop:
    """Start, stop and `with` for a server whose `_main(ready)` sets `ready` once it listens and then
    runs until `_stopped` is set. An error while starting is raised by `start()`, not lost in the thread."""

    thread_name = "standin"
    _loop: asyncio.AbstractEventLoop | None = None
    _stopped: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    async def _main(self, ready: threading.Event) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, args=(ready, failure), name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:  # surfaced to start() instead of dying silently
            failure.append(exc)
            ready.set()
        finally:
            loop.close()
