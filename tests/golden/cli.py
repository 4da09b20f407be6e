"""The command line output that needs no network: `tokendesk validate`'s printers, the re-check summary, and
`tokendesk links` (text and --json) over a seeded SQLite file."""

from __future__ import annotations

import io
import itertools
from typing import Any

from tests.golden.inputs import CHANGES, REASONS, VALIDATIONS
from tests.golden.renderings import (
    CLI_MAIN, CLI_SEED, DUTCH, InvalidInput, LONG, LinkState, NASTY, RunSummary, STATES, T0, T1, attempt, dump,
    recheck_render, validate_invalid, validate_summary,
)


def _named(path: str) -> Any:
    module, name = path.split(":")
    return getattr(__import__(module, fromlist=[name]), name)


SEEDED = (  # username, environment, state, label, last checked, debtors, companies
    ("jan@bakker.nl", "Bakkerij BV", "active", None, T0, 1, 3),
    (NASTY, NASTY, "broken", NASTY, T1, 0, 0),
    (LONG[:254], None, "pending", LONG[:200], None, 60, 60),
    ("piet@ĳssel.nl", DUTCH[:100], "revoked", DUTCH, T1, 2, 0),
    ("x@y.z", "Acme", "unverified", "", T0, 0, 1),
    ("", "Leeg", "rejected", None, None, 0, 0),
)

API_KEYS = (("payroll sync production", T1, None), (NASTY, None, None), (LONG[:100], T1, T1), (DUTCH, None, T0))
EVENTS = (("link.activated", "pending", 0, None), ("link.broken", "failed", 8, "HTTP 500 " + NASTY),
          ("link.revoked", "delivered", 1, None), ("link.scope_changed", "disabled", 0, None),
          ("link.restored", "pending", 3, "timeout"), ("link.labelled", "failed", 8, LONG[:300]))
#: Each run in order on the seeded database (revoking changes it; the last ones see that).
HANDOFF_RUNS = (["apikeys", "list"], ["apikeys", "list", "--json"], ["webhooks"], ["webhooks", "--json"],
                ["webhooks", "--failed"], ["webhooks", "--failed", "--json"], ["apikeys", "revoke", "2"],
                ["apikeys", "revoke", "3"], ["apikeys", "revoke", "99"])  # not listed again: revoked_at is now


async def _seed(url: str) -> None:
    create_engine, session_factory, upgrade, store_credentials, TokenCipher, parse_keys, key_line, ApiKey, Event = (
        _named(path) for path in CLI_SEED)
    engine = create_engine(url)
    await upgrade(engine)
    cipher = TokenCipher(parse_keys(key_line("golden")))
    async with session_factory(engine)() as session, session.begin():
        for k, (username, environment, state, label, checked, debtors, companies) in enumerate(SEEDED):
            stored = await store_credentials(
                session, cipher, username=username, token=f"{k:028x}Ab{k}Z", environment=environment,
                state=LinkState(state), platform=["slack", "teams"][k % 2], team_id="T1", user_id="U123ABC",
                debtors=[{"id": n, "name": f"D{n}"} for n in range(debtors)],
                companies=[{"id": n, "name": f"C{n}"} for n in range(companies)])
            link = stored.link
            link.label, link.last_checked_at = label, checked
            if state == "revoked":
                link.token_ciphertext = None
        for k, (name, used, revoked) in enumerate(API_KEYS):
            session.add(ApiKey(name=name, secret_hash=f"{k:064x}", created_at=T0, last_used_at=used, revoked_at=revoked))
        for k, (kind, status, attempts, error) in enumerate(EVENTS):
            session.add(Event(event_id=f"evt_{k:032x}", key=f"golden-{k}", type=kind, link_id=(k % 6) + 1 if k % 3 else None,
                              body="{}", status=status, created_at=T0, next_attempt_at=T1, attempts=attempts,
                              last_error=error))
    await engine.dispose()


def cli_database(out: dict[str, str]) -> None:
    """`tokendesk links`, `apikeys`, `webhooks` and `migration` in this process over fresh SQLite files (one empty, one
    seeded); the environment and logging are restored after."""
    import asyncio
    import contextlib
    import logging
    import os
    import tempfile

    saved_env, root = dict(os.environ), logging.getLogger()
    saved_logging = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in
                                                       ("zeep.transports", "alembic", "sqlalchemy", "aiosqlite", "httpx", "httpcore")})
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in list(os.environ):
                if name.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) or name == "DATABASE_URL":
                    del os.environ[name]
            for seeded in (False, True):
                url = f"sqlite:///{tmp}/td{int(seeded)}.db"
                os.environ["DATABASE_URL"] = url
                if seeded:
                    asyncio.run(_seed(url))
                every = (["links"], ["links", "--json"], *(["links", "--state", s] for s in STATES),
                         *(["links", "--state", s, "--json"] for s in ("broken", "revoked")))
                runs = [*every, *HANDOFF_RUNS] if seeded else [*every[:3], *HANDOFF_RUNS[:3]]
                runs += [["migration"], ["migration", "--json"]]  # last: the steps before keep their numbers
                for step, args in enumerate(runs):
                    stdout, stderr = io.StringIO(), io.StringIO()
                    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                        code = _named(CLI_MAIN)(args)
                    out[f"cli/{'seeded' if seeded else 'empty'}/{step}/{' '.join(args)}"] = (
                        f"exit {code}\n{stdout.getvalue()}\n--- stderr\n{stderr.getvalue()}")
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            root.handlers[:] = saved_logging[0]
            root.setLevel(saved_logging[1])
            for name, level in saved_logging[2].items():
                logging.getLogger(name).setLevel(level)


def cli_family(out: dict[str, str]) -> None:
    for name, result in VALIDATIONS.items():
        out[f"cli/validate/{name}"] = dump(attempt(lambda: validate_summary(result)))
    for reason, message, as_json in itertools.product(REASONS, ("", "the e-mail address has no @", NASTY), (False, True)):
        stream = io.StringIO()
        failed = attempt(lambda: validate_invalid(InvalidInput(reason, message), as_json, stream))
        out[f"cli/validate_invalid/{reason}/{len(message)}/{as_json}"] = stream.getvalue() + (dump(failed) if failed else "")
    changes = [c for c in CHANGES if c["transition"]]
    broken = [{"link": "L3", "environment": None, "username": NASTY, "reason": "credentials"},
              {"link": "L12345678", "environment": DUTCH, "username": "a@b.nl", "reason": None}]
    failures = [{"link": "L9", "reason": "decrypt", "username": "z@y.nl"}, {"link": "L10", "reason": NASTY, "username": ""}]
    alert_sets = ({"slack": True, "teams": True, "delivered": 4, "waiting": 0}, {"slack": True, "delivered": 1, "waiting": 2},
                  {"slack": False, "teams": True, "delivered": 0, "waiting": 1}, {"slack": False, "delivered": 0, "waiting": 5})
    for n, failed, confirmations, resumed, with_broken, (i, alerts), elapsed in itertools.product(
            (0, 1, len(changes)), (0, 2), (0, 3), (False, True), (False, True), enumerate(alert_sets), (0.04, 12.345)):
        run = RunSummary(run_id=7, started_at=T0, finished_at=T1, checked=n + 3, failed=failed,
                         counts={"active": 3, "broken": 0, "<x>": n} if n or failed else {"active": 0},
                         changes=changes[:n], confirmations=confirmations, resumed=resumed,
                         broken=broken if with_broken else [], failures=failures[:failed])
        out[f"cli/recheck/{n}/{failed}/{confirmations}/{resumed}/{with_broken}/{i}/{elapsed}"] = dump(
            attempt(lambda: recheck_render(run, elapsed=elapsed, alerts=alerts)))
    out["cli/recheck/none_transition"] = dump(attempt(lambda: recheck_render(
        RunSummary(run_id=1, started_at=T0, finished_at=T1, checked=1, counts={}, changes=CHANGES[4:5], failed=0),
        elapsed=1.0, alerts=alert_sets[0])))
    cli_database(out)
