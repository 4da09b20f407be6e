"""Progress of long commands (recheck, keys rotate, copy-db) on standard error: a rich bar with counts
and an estimate on a terminal, plain count lines every few seconds otherwise (logs, CI, cron)."""

from __future__ import annotations

import logging
import os
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress, TaskID

#: Seconds between plain count lines when not on a terminal (the first and the last always print).
log = logging.getLogger(__name__)

EVERY_ENV = "TOKENDESK_PROGRESS_EVERY_S"
DEFAULT_EVERY_S = 5.0


class Progress:
    """`update(done, total)` as the work advances; used as a context manager around the work.

    The counts come from the caller's own batches (or the re-check's progress callback): nothing
    here guesses. Standard output stays free for the command's result (e.g. --json)."""

    def __init__(self, label: str, unit: str, *, stream: TextIO | None = None, every_s: float | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s if every_s is not None else _every_from_env()
        self.terminal = _is_terminal(self.stream)
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._last_line = -float("inf")
        self._last_printed: tuple[int, int] | None = None
        self._first: tuple[float, int] | None = None

    def __enter__(self) -> Progress:
        if self.terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress as RichProgress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                TextColumn("[progress.percentage]{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
            self._bar = None

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self._first is None:
            self._first = (now, done)
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self.label, total=total, completed=done)
            else:
                self._bar.update(self._task, total=total, completed=done)
            return
        finished = done >= total
        if self._last_printed == (done, total):
            return
        if self._last_printed is not None and not finished and now - self._last_line < self.every_s:
            return
        self._last_line, self._last_printed = now, (done, total)
        line = self._line(done, total, now)
        if self.stream is sys.stderr and _logging_configured():
            # Standard error then carries log events, one a line (and JSON with TOKENDESK_LOG_FORMAT=json):
            # the count line is one of them rather than a line of another shape in between.
            log.info("%s", line)
            return
        self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, done: int, total: int, now: float) -> str:
        share = f" ({done * 100 // total}%)" if total else ""
        line = f"{self.label}: {done}/{total} {self.unit}{share}"
        assert self._first is not None
        started, first_done = self._first
        if first_done < done < total and now > started:
            rate = (done - first_done) / (now - started)
            line += f", about {_duration((total - done) / rate)} left"
        return line


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _logging_configured() -> bool:
    return any(getattr(handler, "_tokendesk", False) for handler in logging.getLogger().handlers)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def _every_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(EVERY_ENV, DEFAULT_EVERY_S)))
    except ValueError:
        return DEFAULT_EVERY_S
