"""Every message the bot can render, over generated inputs: case name -> exact text, to prove a reshape
changed no byte. `python -m tests.golden.renderings --dump FILE` writes them all; `--update` rewrites the
committed digests (renderings.sha256.json) that tests/golden/test_renderings.py compares against.
The inputs and families are in inputs.py, customers.py, commands.py, alerts.py and cli.py; they name the
code under test only through the adapter block below.
"""

from __future__ import annotations

# ==== ADAPTER: the only place that names modules of the code under test. After a reshape, change the ====
# ==== import lines (and, if a function moved or changed shape, its tiny wrapper) here and nowhere else. ====
# The family modules import every name below from here (so linters see them as unused: they are re-exports).
import dataclasses

from bot.cli.recheck import render as recheck_render
from bot.cli.validate import _print_invalid as validate_invalid
from bot.cli.validate import _summary as validate_summary
from bot.slack import blocks as slack
from bot.slack import command_blocks as slack_cmd
from bot.slack import connect_blocks as slack_connect
from bot.teams import cards as teams
from bot.teams import command_cards as teams_cmd
from bot.teams import support_cards as teams_support
from handlers.commands import (
    COMMANDS,
    AlertRow,
    AlreadyRevoked,
    AuditRow,
    Busy,
    CheckAllQueued,
    Checked,
    CheckedAll,
    CheckQueued,
    CheckRow,
    Help,
    History,
    Labelled,
    LinkList,
    LinkStatus,
    NoLink,
    NotCheckable,
    OpenConnect,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    RunInfo,
    StatusResult,
    SupportSummary,
    TokenInCommand,
    Unavailable,
    Unknown,
    Usage,
    allowed_commands,
)
from handlers.commands import Refused as CmdRefused
from handlers.intake import BadInput, Connected, Limited, Pending, Refused, SoapClosed, Via
from handlers.invitations import Invited
from handlers.model import (
    Alert,
    AlertKind,
    Company,
    Debtor,
    InvalidInput,
    LinkCard,
    Person,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
    Valid,
)
from handlers.offer import Consent, Offer
from handlers.recheck import CheckReport, RunSummary
from handlers.text import offer_text, replies
from handlers.text.alert_text import support_label
from handlers.text.explain import explain, explain_input
from handlers.text.markup import cut
from storage.models import LinkState

CLI_MAIN = "bot.cli:main"  # run in-process as `tokendesk links`, `apikeys list|revoke`, `webhooks`
CLI_SEED = ("storage.db:create_engine", "storage.db:session_factory", "storage.migrate:upgrade",
            "storage.links:store_credentials", "storage.cipher:TokenCipher", "storage.cipher:parse_keys",
            "storage.cipher:generate_key_line", "storage.models:ApiKey", "storage.models:WebhookEvent")


def teams_channel_card(reply, lang):
    # A copy of bot.teams.listeners.TeamsListeners._channel_card (a method needing a live app): if the reshape
    # moves it into a pure function, call that here instead, so a change of its words is caught too.
    note = ("Open een chat met mij (tokendesk) om je gegevens veilig in te vullen." if replies.is_nl(lang)
            else "Open a chat with me (tokendesk) to fill in your details safely.")
    return teams.reply_card(dataclasses.replace(reply, offer_connect=False, notes=(*reply.notes, note)), lang)


teams_json = teams.card_json


def teams_activity(content, summary):  # what bot.teams.cards.message sends: the card and its preview
    return teams.message(content, summary).model_dump(by_alias=True, exclude_none=True)


STATES = tuple(state.value for state in LinkState)
# ==== END ADAPTER =======================================================================================

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

DIGESTS = Path(__file__).with_name("renderings.sha256.json")
LOCALES: tuple[str | None, ...] = ("en", "nl", "nl-BE", "en-GB", "de", None)
#: Every input is rendered in these; each odd locale takes its own quarter of the inputs.
MAIN_LOCALES = ("en", "nl")
T0 = datetime(2026, 3, 1, 8, 30, 15, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=3, minutes=7)
LONG = "Lang & <lang> " * 240  # 3360 characters: past every cut limit, escapes at the cut
NASTY = "<!channel> <@U123> & *bold* _it_ ~st~ `code` <https://x.y|klik> # 1. - [a](b) \\"
DUTCH = "Bakkerij ‘De Eendracht’ Ĳsselmonde — café ëïö 🥐🇳🇱"
TEXTS = ("", "Acme BV", NASTY, DUTCH, LONG)


def dump(value: Any) -> str:
    """The one serialization: order as built, non-ASCII as is."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def wanted(lang: str | None, k: int) -> bool:
    """Whether input number `k` is rendered in `lang`: all in en and nl, a spread quarter in each odd locale."""
    return lang in MAIN_LOCALES or k % 4 == LOCALES.index(lang) % 4


def lname(lang: str | None) -> str:
    return "None" if lang is None else (lang or "empty")


def attempt(make: Callable[[], Any]) -> Any:
    """The value, or what was raised: an exception is behaviour too, and must stay the same."""
    try:
        return make()
    except (NameError, ImportError):
        raise  # a broken generator or adapter, not behaviour of the code under test
    except Exception as exc:  # noqa: BLE001
        return {"raised": type(exc).__name__, "message": str(exc)}


# --- all of it ------------------------------------------------------------------------------------------


class Cases(dict):
    """case -> rendering; a name given twice is a bug in the enumeration, not a silent overwrite."""

    def __setitem__(self, key: str, value: str) -> None:
        if key in self:
            raise KeyError(f"duplicate case {key!r}")
        if not isinstance(value, str):
            raise TypeError(f"{key}: rendering is {type(value).__name__}, not str")
        super().__setitem__(key, value)


def render_all() -> dict[str, str]:
    # The families import the adapter above, so they are imported only once it is complete.
    from tests.golden import alerts, cli, commands, connect, customers, migration, offer

    out = Cases()
    for family in (customers.customer_family, customers.explain_family, customers.words_family, commands.command_family,
                   alerts.alert_family, cli.cli_family, connect.connect_family, migration.migration_family,
                   offer.offer_family):
        family(out)
    return dict(out)


def digests(renderings: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            for name, text in renderings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.renderings", description=__doc__)
    parser.add_argument("--dump", metavar="FILE", help="write every rendering (JSON object, case -> text)")
    parser.add_argument("--update", action="store_true", help=f"rewrite {DIGESTS.name} from the current code")
    args = parser.parse_args(argv)
    if not args.dump and not args.update:
        parser.error("give --dump FILE and/or --update")
    renderings = render_all()
    if args.dump:
        Path(args.dump).write_text(json.dumps(renderings, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    if args.update:
        DIGESTS.write_text(json.dumps(digests(renderings), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    families: dict[str, int] = {}
    for name in renderings:
        families[name.split("/")[0]] = families.get(name.split("/")[0], 0) + 1
    print(f"{len(renderings)} renderings: " + ", ".join(f"{k} {v}" for k, v in families.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
