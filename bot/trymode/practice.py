"""The practice world of try mode: Nmbrs logins (with their debtors and companies) and the Slack
people and channel the /try page plays. Tokens are random per directory, kept in its practice file."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import NmbrsRestStandIn, RestCompany, RestDebtor
from bot.standins.slack.server import SlackStandIn

SUPPORT_CHANNEL = "C0TRYSUPPORT"
SUPPORT_USER = "U0TRYSUPPORT"


@dataclass(frozen=True)
class Customer:
    """A Slack user the page can play: their DM with the bot is on the left."""

    user_id: str
    name: str
    locale: str


CUSTOMERS = (
    Customer("U0TRYANNE", "Anne de Vries (Bakkerij De Vries)", "nl-NL"),
    Customer("U0TRYMARK", "Mark Jansen (Jansen Accountants)", "en-GB"),
    Customer("U0TRYSARA", "Sara Bakker (Bakker Bouw)", "nl-NL"),
)


@dataclass
class PracticeLogin:
    """One practice Nmbrs login: what to type, and what it reaches."""

    username: str
    token: str
    subdomain: str
    about: str
    debtors: list[StandinDebtor]
    companies: list[StandinCompany]
    disabled: bool = False
    """Its API calls are switched off in its template (Nmbrs answers the company calls with fault 1002)."""


def _layout() -> list[tuple[str, str, str, list[StandinDebtor], list[StandinCompany], bool]]:
    return [
        ("anne@bakkerij-devries.nl", "bakkerijdevries", "a client login with one debtor",
         [StandinDebtor(41001, 1, "Bakkerij De Vries")],
         [StandinCompany(52001, 1, "Bakkerij De Vries B.V.", debtor_id=41001),
          StandinCompany(52002, 2, "De Vries Winkels B.V.", debtor_id=41001)], False),
        ("mark@jansen-accountants.nl", "jansenaccountants",
         "an accountant login with several debtors and companies",
         [StandinDebtor(42001, 10, "Jansen Accountants"), StandinDebtor(42002, 11, "Kapsalon Knip"),
          StandinDebtor(42003, 12, "Fietsenmaker Wiel & Zn.")],
         [StandinCompany(53001, 1, "Jansen Accountants B.V.", debtor_id=42001),
          StandinCompany(53002, 2, "Kapsalon Knip V.O.F.", debtor_id=42002),
          StandinCompany(53003, 3, "Knip Haarwerk B.V.", debtor_id=42002),
          StandinCompany(53004, 4, "Fietsenmaker Wiel B.V.", debtor_id=42003)], False),
        ("sara@bakker-bouw.nl", "bakkerbouw", "a login whose API calls are disabled in its template",
         [StandinDebtor(43001, 20, "Bakker Bouw")],
         [StandinCompany(54001, 1, "Bakker Bouw B.V.", debtor_id=43001)], True),
    ]


@dataclass
class ConsentLogin:
    """One practice login of the REST consent page: REST access is per debtor, so one debtor each."""

    email: str
    password: str
    debtor: StandinDebtor
    companies: list[StandinCompany]
    about: str
    seed: str
    """Makes the REST ids of its debtor and companies, the same in every run of this directory."""
    revoked: bool = False
    """The customer withdrew the desk's access in Nmbrs (refreshing answers invalid_grant)."""
    ended: bool = False
    """The debtor's subscription ended (every API call answers 403)."""


def _consent_layout(logins: list[PracticeLogin]) -> list[tuple[str, PracticeLogin, StandinDebtor, str]]:
    """Who can consent: each SOAP login's own debtor, and the payroll administrators of the
    accountant's clients (an accountant's master login cannot consent for them)."""
    by_name = {login.subdomain: login for login in logins}
    mark = by_name["jansenaccountants"]
    return [
        ("anne@bakkerij-devries.nl", by_name["bakkerijdevries"], by_name["bakkerijdevries"].debtors[0],
         "Anne's own administration"),
        ("mark@jansen-accountants.nl", mark, mark.debtors[0], "the accountant's own administration"),
        ("loon@kapsalon-knip.nl", mark, mark.debtors[1], "payroll administrator of the accountant's client"),
        ("loon@fietsenmaker-wiel.nl", mark, mark.debtors[2], "payroll administrator of the accountant's client"),
        ("sara@bakker-bouw.nl", by_name["bakkerbouw"], by_name["bakkerbouw"].debtors[0], "Sara's administration"),
    ]


def write_private(path: Path, text: str) -> None:
    """Write a practice file only its owner may read (mode 0600)."""
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text)


class _Secrets:
    """The practice file: random tokens and passwords made once per directory and kept (mode 0600),
    so a link made in an earlier run still checks out."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "practice-tokens.json"
        self.values: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: str) -> str:
        return self.values.setdefault(key, secrets.token_hex(16))

    def save(self) -> None:
        write_private(self.path, json.dumps(self.values, indent=2))


def load_logins(directory: Path) -> tuple[list[PracticeLogin], list[ConsentLogin]]:
    """The practice SOAP logins with their kept tokens, and the REST consent logins with their kept
    passwords (one read and one write of the practice file)."""
    kept = _Secrets(directory)
    logins = [PracticeLogin(username, kept.get(username), subdomain, about, debtors, companies, disabled)
              for username, subdomain, about, debtors, companies, disabled in _layout()]
    seed = kept.get("consent-ids")
    consents = [ConsentLogin(email, kept.get(f"consent:{email}"), debtor,
                             [c for c in login.companies if c.debtor_id == debtor.id], about, seed)
                for email, login, debtor, about in _consent_layout(logins)]
    kept.save()
    return logins, consents


def seed_nmbrs(nmbrs: NmbrsStandIn, logins: list[PracticeLogin]) -> None:
    for login in logins:
        nmbrs.add_account(login.username, login.token, login.subdomain,
                          debtors=login.debtors, companies=login.companies)
        if login.disabled:
            disable_calls(nmbrs, login.username)


def disable_calls(nmbrs: NmbrsStandIn, username: str) -> None:
    """The API user template switches the company calls off: Nmbrs answers them with 1002."""
    nmbrs.account_fault(username, 1002, "CompanyService")


def seed_rest(rest: NmbrsRestStandIn, logins: list[ConsentLogin]) -> None:
    """The consent logins, with the same debtor numbers and names as the SOAP side, so a consent
    started from a migration button covers its SOAP debtor."""
    rest.notice = ("Practice Nmbrs of tokendesk try mode: log in with a practice consent login "
                   "(e-mail and password are on the /try page and in the terminal).")
    for login in logins:
        def rest_id(what: object, login: ConsentLogin = login) -> str:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tokendesk-try:{login.seed}:{login.email}:{what}"))

        rest.add_user(login.email, login.password, name=login.email.partition("@")[0], language="nl",
                      debtor=RestDebtor(login.debtor.number or login.debtor.id, login.debtor.name, rest_id("debtor")),
                      companies=[RestCompany(c.number, c.name, rest_id(c.id)) for c in login.companies])


#: The practice Nmbrs' live REST consents, kept between runs like the SOAP tokens (mode 0600).
CONSENTS_FILE = "practice-consents.json"


def restore_consents(rest: NmbrsRestStandIn, directory: Path) -> None:
    """The consents an earlier run gave, so its REST links still renew (a real Nmbrs keeps them too)."""
    path = directory / CONSENTS_FILE
    if path.exists():
        rest.ledger.load(json.loads(path.read_text()))


def keep_consents(rest: NmbrsRestStandIn, directory: Path, *, unless: str | None = None) -> str:
    """Write the consents (unless they are `unless`, what was written last); returns what they are."""
    kept = json.dumps(rest.ledger.dump())
    if kept != unless:
        write_private(directory / CONSENTS_FILE, kept)
    return kept


async def keep_consents_while_running(rest: NmbrsRestStandIn, directory: Path, *, every_s: float = 2.0) -> None:
    """Keep the consents every few seconds, so a try mode that is killed rather than stopped loses
    at most the last seconds' consents and renewals (a normal stop writes them once more)."""
    kept = None
    while True:
        await asyncio.sleep(every_s)
        kept = keep_consents(rest, directory, unless=kept)


def seed_slack(slack: SlackStandIn) -> None:
    for customer in CUSTOMERS:
        slack.add_user(customer.user_id, name=customer.user_id[3:].lower(), real_name=customer.name,
                       locale=customer.locale)
    slack.add_user(SUPPORT_USER, name="support", real_name="Support (you)", locale="en-GB")
