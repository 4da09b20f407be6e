"""The practice world of try mode: Nmbrs logins (with their debtors and companies) and the Slack
people and channel the /try page plays. Tokens are random per directory, kept in its practice file."""

from __future__ import annotations

import json
import secrets
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


def load_logins(directory: Path) -> list[PracticeLogin]:
    """The practice logins; their tokens are made once per directory and kept (mode 0600), so a
    link made in an earlier run still checks out."""
    path = directory / "practice-tokens.json"
    tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    logins = []
    for username, subdomain, about, debtors, companies, disabled in _layout():
        token = tokens.get(username) or secrets.token_hex(16)
        tokens[username] = token
        logins.append(PracticeLogin(username, token, subdomain, about, debtors, companies, disabled))
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    return logins


def seed_nmbrs(nmbrs: NmbrsStandIn, logins: list[PracticeLogin]) -> None:
    for login in logins:
        nmbrs.add_account(login.username, login.token, login.subdomain,
                          debtors=login.debtors, companies=login.companies)
        if login.disabled:
            disable_calls(nmbrs, login.username)


def disable_calls(nmbrs: NmbrsStandIn, username: str) -> None:
    """The API user template switches the company calls off: Nmbrs answers them with 1002."""
    nmbrs.account_fault(username, 1002, "CompanyService")


def seed_rest(rest: NmbrsRestStandIn, logins: list[PracticeLogin]) -> None:
    """The same people as REST logins (password: their practice token), each with their first debtor,
    ready for the REST links once the desk offers them in try mode."""
    for login in logins:
        debtor = login.debtors[0]
        rest.add_user(login.username, login.token, debtor=RestDebtor(debtor.number or debtor.id, debtor.name),
                      companies=[RestCompany(c.number, c.name) for c in login.companies if c.debtor_id == debtor.id])


def seed_slack(slack: SlackStandIn) -> None:
    for customer in CUSTOMERS:
        slack.add_user(customer.user_id, name=customer.user_id[3:].lower(), real_name=customer.name,
                       locale=customer.locale)
    slack.add_user(SUPPORT_USER, name="support", real_name="Support (you)", locale="en-GB")
