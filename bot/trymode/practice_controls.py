"""The knobs of the practice Nmbrs on the /try page: reset a token, take a company out of a login's
filter, switch its API calls off, make Nmbrs unreachable, and run the nightly check now."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING, Any

from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import NmbrsRestStandIn
from bot.trymode import render
from bot.trymode.console import Refused
from bot.trymode.practice import ConsentLogin, PracticeLogin, disable_calls
from bot.trymode.settings import CONFIRM_DELAY_S

if TYPE_CHECKING:
    from handlers.recheck import Recheck

log = logging.getLogger(__name__)


class Practice:
    """The practice Nmbrs (None when the user pointed try mode at a real Nmbrs) and the re-check."""

    def __init__(self, *, nmbrs: NmbrsStandIn | None, logins: list[PracticeLogin], recheck: Recheck | None,
                 rest: NmbrsRestStandIn | None = None, consent_logins: list[ConsentLogin] | None = None) -> None:
        self.nmbrs = nmbrs
        self.logins = logins
        self.rest = rest
        self.consent_logins = consent_logins or []
        self.recheck = recheck
        self.reachable = True
        self.status = "The nightly check has not run yet."
        self._task: asyncio.Task[None] | None = None

    def _login(self, username: str) -> PracticeLogin:
        login = next((item for item in self.logins if item.username == username), None)
        if login is None or self.nmbrs is None:
            raise Refused("no such practice login")
        return login

    async def control(self, name: str, username: str = "", company: int | None = None) -> None:
        if name == "recheck":
            self.run_recheck()
            return
        if self.nmbrs is None:
            raise Refused("try mode talks to a real Nmbrs: there is no practice Nmbrs to change")
        if name == "unreachable":
            await self.set_reachable(not self.reachable)
            return
        if name in ("revoke_consent", "toggle_subscription"):
            await self._consent_control(name, username)
            return
        login = self._login(username)
        if name == "reset_token":
            login.token = secrets.token_hex(16)
            self.nmbrs.set_token(login.username, login.token)
        elif name == "toggle_calls":
            login.disabled = not login.disabled
            if login.disabled:
                disable_calls(self.nmbrs, login.username)
            else:
                self.nmbrs.account_fault(login.username, None, "CompanyService")
        elif name == "remove_company":
            login.companies = [c for c in login.companies if c.id != company]
            account = self.nmbrs.accounts[login.username.lower()]
            account.companies = list(login.companies)
        else:
            raise Refused("no such control")

    async def _consent_control(self, name: str, email: str) -> None:
        login = next((item for item in self.consent_logins if item.email == email), None)
        if login is None or self.rest is None:
            raise Refused("no such practice consent login")
        if name == "revoke_consent":
            # The customer withdrew the desk's access in Nmbrs: the next renewal answers invalid_grant.
            await asyncio.to_thread(self.rest.revoke_consent, login.email)
            login.revoked = True
        else:
            login.ended = not login.ended
            await asyncio.to_thread(self.rest.set_environment_disabled, login.email, login.ended)

    async def set_reachable(self, reachable: bool) -> None:
        assert self.nmbrs is not None
        if reachable == self.reachable:
            return
        # Stopped, the port refuses connections: what the desk sees when Nmbrs is down. It comes
        # back on the same port, accounts as they were. The REST identity server goes with it.
        await asyncio.to_thread(self.nmbrs.start if reachable else self.nmbrs.stop)
        if self.rest is not None:
            await asyncio.to_thread(self.rest.set_down, False if reachable else "refused")
        self.reachable = reachable

    def run_recheck(self) -> None:
        if self.recheck is None:
            raise Refused("the re-check is not running in this process")
        if self._task is not None and not self._task.done():
            raise Refused("the nightly check is running already")
        self.status = (f"The nightly check is running… a failure is confirmed after {CONFIRM_DELAY_S:.0f} s "
                       "(300 s in production) before anyone is alerted.")
        self._task = asyncio.get_running_loop().create_task(self._recheck())

    async def _recheck(self) -> None:
        assert self.recheck is not None
        try:
            summary = await self.recheck.run(trigger="manual")
        except Exception as exc:  # noqa: BLE001 - shown on the page; the desk logged the details
            self.status = f"The nightly check failed ({type(exc).__name__})."
            return
        states = ", ".join(f"{n} {state}" for state, n in summary.counts.items() if n) or "no links yet"
        failures = "1 failure" if summary.confirmations == 1 else f"{summary.confirmations} failures"
        self.status = f"The nightly check ran: {summary.checked} checked, {failures} confirmed; links now: {states}."

    def html(self) -> str:
        if self.nmbrs is None:
            return ('<p class="note">Try mode is talking to the Nmbrs at TOKENDESK_NMBRS_URL with your own '
                    "credentials: there are no practice logins.</p>") + self._recheck_html()
        rows = []
        for login in self.logins:
            user = render.esc(login.username)
            companies = "".join(f'<option value="{c.id}">{render.esc(c.name)}</option>' for c in login.companies)
            rows.append(
                f'<div class="login" data-username="{user}"><div class="login-head"><b>{user}</b> '
                f'<span class="about">{render.esc(login.about)}</span></div>'
                f'<div>token <code class="token">{render.esc(login.token)}</code> · environment '
                f'{render.esc(login.subdomain)} · {len(login.debtors)} debtor(s), {len(login.companies)} '
                f'compan{"y" if len(login.companies) == 1 else "ies"}'
                f'{" · <b>API calls disabled</b>" if login.disabled else ""}</div>'
                '<div class="login-buttons">'
                '<button type="button" data-control="use">Send as the customer</button>'
                '<button type="button" data-control="reset_token">Reset token</button>'
                f'<button type="button" data-control="toggle_calls">{"Enable" if login.disabled else "Disable"} '
                "API calls</button>"
                + (f'<select class="company">{companies}</select>'
                   '<button type="button" data-control="remove_company">Remove from filter</button>'
                   if companies else "")
                + "</div></div>")
        network = ("Nmbrs is reachable" if self.reachable else "<b>Nmbrs is unreachable</b>")
        return (f'<div class="logins">{"".join(rows)}</div>{self._consent_html()}<div class="network">{network} '
                f'<button type="button" data-control="unreachable">'
                f'{"Make Nmbrs unreachable" if self.reachable else "Make Nmbrs reachable again"}</button></div>'
                + self._recheck_html())

    def _consent_html(self) -> str:
        """The REST side: who can log in on the practice consent page behind "Connect with Nmbrs"."""
        if not self.consent_logins:
            return ""
        rows = []
        for login in self.consent_logins:
            email = render.esc(login.email)
            marks = ((" · <b>consent withdrawn</b>" if login.revoked else "")
                     + (" · <b>subscription ended</b>" if login.ended else ""))
            rows.append(
                f'<div class="login consent" data-username="{email}"><div class="login-head"><b>{email}</b> '
                f'<span class="about">{render.esc(login.about)}</span></div>'
                f'<div>password <code class="password">{render.esc(login.password)}</code> · debtor '
                f'{render.esc(login.debtor.number)} {render.esc(login.debtor.name)}{marks}</div>'
                '<div class="login-buttons">'
                '<button type="button" data-control="revoke_consent">Withdraw consent in Nmbrs</button>'
                f'<button type="button" data-control="toggle_subscription">'
                f'{"Restore" if login.ended else "End"} subscription</button></div></div>')
        return ('<h3>Nmbrs consent page (REST)</h3><p class="note">"Connect with Nmbrs" opens the practice '
                "Nmbrs consent page: log in there with one of these. REST access is per debtor, so an "
                "accountant's clients each have their own login.</p>"
                f'<div class="logins">{"".join(rows)}</div>')

    def _recheck_html(self) -> str:
        return ('<div class="recheck"><button type="button" data-control="recheck">Run the nightly check now'
                f'</button> <span class="recheck-status">{render.esc(self.status)}</span>'
                f'<p class="note">In try mode a definitive failure is confirmed after {CONFIRM_DELAY_S:.0f} s '
                "instead of 300 s.</p></div>")

    def state(self) -> dict[str, Any]:
        return {"practice": self.html()}
