"""Parsing `/nmbrs <text>`: the subcommand, then its arguments checked and converted."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.commands.table import COMMANDS, CommandSpec
from handlers.redact import holds_credential, redact
from storage import invitations as invitation_store
from storage import links as link_store
from storage.models import LinkState

MAX_LABEL = 200
MAX_QUERY = 100

STATES: tuple[str, ...] = tuple(state.value for state in LinkState)

# Bidirectional overrides make a label read differently from what it says; control characters
# break the one-line layouts. Both are refused rather than silently stripped.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


class UnknownCommand(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


class UsageError(Exception):
    """The arguments do not fit the command; `problem` names what is wrong for the renderer."""

    def __init__(self, spec: CommandSpec, problem: str, *, given: str | None = None, limit: int | None = None) -> None:
        super().__init__(f"{spec.name}: {problem}")
        self.spec = spec
        self.problem = problem
        self.given = given
        self.limit = limit


@dataclass(frozen=True)
class Args:
    """The parsed arguments; which fields are set depends on the command."""

    query: str | None = None
    state: str | None = None
    link_id: int | None = None
    everything: bool = False
    """`check all`."""
    text: str | None = None
    invitation_id: int | None = None
    """`invite revoke I7`."""
    subcommand: str | None = None
    """`migration not-needed …` / `migration invite …`."""


@dataclass(frozen=True)
class Invocation:
    spec: CommandSpec
    args: Args


# Linear: a lazy (.*?) before \s*$ rescanned trailing spaces at every step (quadratic).
_FIRST_WORD = re.compile(r"^\s*+(\S+)\s*+(.*)", re.DOTALL)


def split(text: str) -> tuple[CommandSpec, str]:
    """The subcommand and the rest of the text; no text means `help`. Raises UnknownCommand."""
    match = _FIRST_WORD.match(text or "")
    if match is None:
        return COMMANDS["help"], ""
    word, rest = match.group(1), match.group(2).rstrip()
    spec = COMMANDS.get(word.lower())
    if spec is None:
        raise UnknownCommand(redact(word)[:40])
    return spec, rest


def parse_args(spec: CommandSpec, rest: str) -> Args:
    """Check and convert the arguments of one subcommand; raises UsageError."""
    words = rest.split()
    if spec.name in ("help", "connect"):
        # Extra words are ignored: someone typing credentials after `connect` still gets the form.
        return Args()
    if spec.name == "status":
        if len(rest) > MAX_QUERY:
            raise UsageError(spec, "query_too_long", limit=MAX_QUERY)
        return Args(query=rest or None)
    if spec.name == "list":
        if len(words) > 1:
            raise UsageError(spec, "too_many")
        if not words:
            return Args()
        state = words[0].lower()
        if state not in STATES:
            raise UsageError(spec, "bad_state", given=redact(words[0])[:40])
        return Args(state=state)
    if spec.name == "invites":
        if words:
            raise UsageError(spec, "too_many")
        return Args()
    if spec.name == "invite":
        return _invite_args(spec, rest, words)
    if spec.name == "migration":
        return _migration_args(spec, words)
    if spec.name == "check" and words and words[0].lower() == "all":
        if len(words) > 1:
            raise UsageError(spec, "too_many")
        return Args(everything=True)
    if not words:
        raise UsageError(spec, "missing_link")
    link_id = link_store.parse_short_id(words[0])
    if link_id is None:
        raise UsageError(spec, "bad_link", given=redact(words[0])[:40])
    if spec.name == "label":
        label = rest[len(words[0]):].strip()
        return Args(link_id=link_id, text=clean_label(spec, label))
    if len(words) > 1:
        raise UsageError(spec, "too_many")
    return Args(link_id=link_id)


def _invite_args(spec: CommandSpec, rest: str, words: list[str]) -> Args:
    """`invite <name or e-mail>` or `invite revoke <I-id>` (so no name may start with the word revoke)."""
    if not words:
        raise UsageError(spec, "missing_name")
    if words[0].lower() == "revoke":
        if len(words) == 1:
            raise UsageError(spec, "missing_invitation")
        if len(words) > 2:
            raise UsageError(spec, "too_many")
        invitation_id = invitation_store.parse_short_id(words[1])
        if invitation_id is None:
            raise UsageError(spec, "bad_invitation", given=redact(words[1])[:40])
        return Args(invitation_id=invitation_id)
    if len(rest) > MAX_LABEL:
        raise UsageError(spec, "label_too_long", limit=MAX_LABEL)
    return Args(text=rest.strip())


#: `migration not-needed <link> <debtor number>`: a debtor number as Nmbrs shows it.
_DEBTOR_NUMBER = re.compile(r"^[0-9A-Za-z._-]{1,32}$")


def _link(spec: CommandSpec, word: str) -> int:
    link_id = link_store.parse_short_id(word)
    if link_id is None:
        raise UsageError(spec, "bad_link", given=redact(word)[:40])
    return link_id


def _migration_args(spec: CommandSpec, words: list[str]) -> Args:
    """`migration`, `migration <link>`, `migration not-needed <link> <number>`, `migration invite <link|all>`."""
    if not words:
        return Args()
    first = words[0].lower()
    if first == "not-needed":
        if len(words) < 3:
            raise UsageError(spec, "missing_debtor" if len(words) == 2 else "missing_link")
        if len(words) > 3:
            raise UsageError(spec, "too_many")
        if not _DEBTOR_NUMBER.match(words[2]):
            raise UsageError(spec, "bad_debtor", given=redact(words[2])[:40])
        return Args(subcommand="not_needed", link_id=_link(spec, words[1]), text=words[2])
    if first == "invite":
        if len(words) != 2:
            raise UsageError(spec, "missing_link" if len(words) < 2 else "too_many")
        if words[1].lower() == "all":
            return Args(subcommand="invite", everything=True)
        return Args(subcommand="invite", link_id=_link(spec, words[1]))
    if len(words) > 1:
        raise UsageError(spec, "too_many")
    return Args(link_id=_link(spec, words[0]))


def clean_label(spec: CommandSpec, label: str) -> str:
    label = label.strip()
    if not label:
        raise UsageError(spec, "missing_label")
    if len(label) > MAX_LABEL:
        raise UsageError(spec, "label_too_long", limit=MAX_LABEL)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI for ch in label):
        raise UsageError(spec, "label_control")
    if holds_credential(label):
        # A label is shown in the support channel: never let a pasted token end up there. (Commands
        # refuses a token anywhere in the text before this; parse() callers meet the same rule.)
        raise UsageError(spec, "label_secret")
    return label


def parse(text: str) -> Invocation:
    """Both steps at once (the adapter authorises in between); raises UnknownCommand or UsageError."""
    spec, rest = split(text)
    return Invocation(spec=spec, args=parse_args(spec, rest))
