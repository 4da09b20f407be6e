"""`tokendesk validate --username U [--json]`: check one username + token against Nmbrs and report it.
`tokendesk validate --soap-url [--json]`: only ask whether TOKENDESK_NMBRS_URL serves the SOAP API (no credentials).

The token comes from standard input, never from argv.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any, TextIO

from bot.cli import _settings
from bot.nmbrs.failures import gone_status
from bot.nmbrs.gateway import NmbrsGateway
from bot.nmbrs.soap_url import gone_reading, probe, shown
from handlers.model import InvalidInput, Rejected, Unreachable, UnreachableCause, Valid, Validation
from handlers.text.explain import explain, explain_input

EXIT_VALID = 0
EXIT_BAD_INPUT = 2
EXIT_REJECTED = 3
EXIT_UNREACHABLE = 4

_EXIT_BY_OUTCOME = {"valid": EXIT_VALID, "rejected": EXIT_REJECTED, "unreachable": EXIT_UNREACHABLE}
_EXIT_BY_VERDICT = {"url_right": EXIT_VALID, "url_wrong": EXIT_BAD_INPUT, "no_soap_service": EXIT_UNREACHABLE,
                    "not_reached": EXIT_UNREACHABLE}
_NAMES_SHOWN = 10  # list names only when a person can still read them all


def run(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.soap_url:
        return asyncio.run(run_soap_url(base_url=settings.nmbrs_url, as_json=args.json, out=sys.stdout))
    token = read_token(sys.stdin)
    return asyncio.run(
        run_validate(base_url=settings.nmbrs_url, username=args.username, token=token, as_json=args.json, out=sys.stdout)
    )


def read_token(stdin: TextIO) -> str:
    """Read the token without echo from a terminal, else the first line of piped input."""
    if stdin.isatty():
        return getpass.getpass("Nmbrs API token: ")
    return stdin.readline().rstrip("\r\n")


async def run_validate(
    *,
    base_url: str,
    username: str,
    token: str,
    as_json: bool,
    out: TextIO,
    gateway: NmbrsGateway | None = None,
) -> int:
    """Validate and print the outcome; return the process exit code (0, 2, 3 or 4).

    `gateway` lets a caller (or a test) supply a configured one; it is then not closed here.
    """
    own = gateway is None
    try:
        gw = gateway or NmbrsGateway(base_url=base_url)
    except ValueError as error:  # a configuration error, e.g. an unusable TOKENDESK_NMBRS_URL
        out.write(f"configuration error: {error}\n")
        return EXIT_BAD_INPUT
    try:
        result = await gw.validate(username, token)
    except InvalidInput as error:
        _print_invalid(error, as_json, out)
        return EXIT_BAD_INPUT
    finally:
        if own:
            await gw.aclose()
    # A 404/410 is what a switched-off SOAP API answers, and what a mistyped URL gets: name both, then probe.
    gone = isinstance(result, Unreachable) and result.cause is UnreachableCause.SERVICE_GONE
    status = gone_status(result.detail) if gone else None
    found = await probe(base_url) if status is not None else None
    if as_json:
        document = result.to_dict()
        if status is not None and found is not None:
            document["soap_url"] = {"reading": gone_reading(base_url, status), **found.to_dict()}
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(_summary(result))
        if status is not None and found is not None:
            out.write(f"{gone_reading(base_url, status)}\n{found.explain()}\n")
    return _EXIT_BY_OUTCOME[result.outcome]


async def run_soap_url(*, base_url: str, as_json: bool, out: TextIO) -> int:
    """Probe TOKENDESK_NMBRS_URL without credentials: 0 it serves the SOAP API, 2 it is wrong (the same host
    serves it at Nmbrs' path), 4 nothing serves it there (switched off, or a wrong host)."""
    found = await probe(base_url)
    if as_json:
        out.write(json.dumps({"url": shown(base_url), **found.to_dict()}, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(found.explain() + "\n")
    return _EXIT_BY_VERDICT[found.verdict]


def _print_invalid(error: InvalidInput, as_json: bool, out: TextIO) -> None:
    if as_json:
        payload: dict[str, Any] = {
            "outcome": "invalid_input",
            "reason": error.reason,
            "message": error.message,
        }
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    words = explain_input(error, "en")
    out.write(f"invalid input ({error.reason}): {error.message}\n{words.action}\n")


def _summary(result: Validation) -> str:
    words = explain(result, "en")
    lines: list[str]
    if isinstance(result, Valid):
        lines = [
            f"valid: environment {result.environment}, {len(result.debtors)} debtor(s), "
            f"{len(result.companies)} company(ies), {result.latency_s:.2f} s",
        ]
        if 0 < len(result.debtors) <= _NAMES_SHOWN:
            lines += [f"  debtor {d.id} ({d.number}): {d.name}" for d in result.debtors]
        if 0 < len(result.companies) <= _NAMES_SHOWN:
            lines += [
                f"  company {c.id} ({c.number}): {c.name}"
                + (f" [debtor {c.debtor_id}]" if c.debtor_id is not None else "")
                for c in result.companies
            ]
        if result.reaches_nothing:
            lines.append(f"{words.headline}. {words.action}")
        lines.append(f"scope digest {result.scope_digest}")
    elif isinstance(result, Rejected):
        where = f" at {result.operation}" if result.operation else ""
        lines = [
            f"rejected ({result.category}, Nmbrs code {result.code}){where}: {result.message}",
            f"{words.headline}. {words.action}",
        ]
    else:
        assert isinstance(result, Unreachable)
        where = f" at {result.operation}" if result.operation else ""
        # Not the customer-facing action: this command stores nothing and will not retry.
        lines = [
            f"unreachable ({result.cause}){where}: {result.detail}",
            f"{words.headline}. {words.detail}",
        ]
    return "\n".join(lines) + "\n"
