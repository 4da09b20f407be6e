"""The `/nmbrs` command table: each subcommand, its usage line and who may run it, declared with
`@command(..., audience=...)` on the method that runs it (handlers.commands.execution)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    EVERYONE = "everyone"
    """Customers too (`status` then shows only their own links)."""
    STAFF = "staff"
    """Members of the support user group or the listed support users."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    """The usage line without the slash command: `label <link> <text>`."""
    audience: Audience
    method: str


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, usage: str, *, audience: Audience) -> Callable[[Any], Any]:
    """Declare a subcommand and who may run it, on the method that runs it."""

    def declare(method: Any) -> Any:
        COMMANDS[name] = CommandSpec(name=name, usage=usage, audience=audience, method=method.__name__)
        return method

    return declare


def allowed_commands(*, staff: bool) -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in COMMANDS.values() if staff or spec.audience is Audience.EVERYONE)
