"""Local stand-ins for Nmbrs' identity server (OAuth 2.0) and REST API, over real HTTP.

    with start_rest_standin(redirect_uris=["http://127.0.0.1:8080/connect/nmbrs/callback"]) as nmbrs:
        nmbrs.add_user("hr@acme.nl", "pw", name="Hanna de Vries",
                       debtor=RestDebtor(101, "Acme Holding"),
                       companies=[RestCompany(1, "Acme B.V.")])
        # settings: TOKENDESK_NMBRS_IDENTITY_URL=nmbrs.identity_url, TOKENDESK_NMBRS_REST_URL=nmbrs.api_url,
        # NMBRS_CLIENT_ID/SECRET=PRACTICE_CLIENT_ID/SECRET, NMBRS_SUBSCRIPTION_KEY=PRACTICE_SUBSCRIPTION_KEY
        # the customer's browser on the URL the desk redirects to; returns the callback URL
        location = await consent(start_redirect_location, email="hr@acme.nl", password="pw")
        ...
        nmbrs.fail_next("throttled", endpoint="companies", retry_after=7)
        nmbrs.revoke_consent("hr@acme.nl")           # the next refresh answers invalid_grant
        assert nmbrs.calls["token.refresh_token"] == 1

Two aiohttp apps, the identity server (`identity_url`: /connect/authorize, /connect/token,
/connect/revocation) and the API (`api_url`: /api/user/info, /api/debtors, /api/debtors/info,
/api/companies), each on its own port, on one event loop in a background thread. Checks are
strict: registered redirect URIs match exactly, client authentication is HTTP Basic with each half
percent-encoded (RFC 6749 §2.3.1; the practice secret needs it), codes are single use and live 5
minutes, PKCE S256 is verified when a challenge was sent, refresh tokens rotate and a spent one is
dead. Shapes follow /work/shared/reference/nmbrs-rest/ (README and OpenAPI document). Where Nmbrs
documents nothing, the stand-in chose, and a client must not rely on the choice:
- a missing or wrong X-Subscription-Key: 401, code 40100 (the status and type are what matter);
- a token without the endpoint's scope: 403, code 40301;
- `state` is required on /connect/authorize (`require_state = False` lifts it);
- a refresh token lives 30 days from its issue, sliding with each rotation; replaying a spent one
  answers invalid_grant and kills the consent only with `ledger.reuse_revokes_grant = True`;
- revoking a refresh token ends its consent and, unless `ledger.revocation_kills_access = False`,
  its access tokens; `revoke_consent(email)` kills access tokens too unless told not to.
The clock is `time.time` plus `advance(seconds)`, or any `clock=` given to the constructor.

Controls (thread-safe, from any thread while it serves): `add_client`, `add_user`, `remove_user`,
`revoke_consent`, `set_environment_disabled`, `expire_access_tokens`, `advance`, `set_down(True |
"503" | "refused" | False)`, `fail_next(kind, count, endpoint, retry_after=)` (kinds in INJECTIONS),
knobs `latency_s`, `hang_s`, `omit_scope`, `omit_refresh_token`, `require_state`, `ledger.*`, and
`reset()` between tests. What it saw: `calls` per endpoint ("authorize", "consent",
"token.authorization_code", "token.refresh_token", "revocation", "user/info", "debtors",
"debtors/info", "companies"), `token_errors`, `auth_failures` (why a client was refused, e.g. a
secret sent without percent-encoding), `requests` (RecordedRestRequest, secrets redacted),
`live_refresh_tokens(email)`, `in_flight`/`max_in_flight`.
"""

from bot.standins.nmbrs_rest.accounts import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    SCOPES,
    PracticeUser,
    RegisteredClient,
    RestCompany,
    RestDebtor,
)
from bot.standins.nmbrs_rest.browser import ConsentPageError, consent
from bot.standins.nmbrs_rest.grants import s256
from bot.standins.nmbrs_rest.server import NmbrsRestStandIn, start_rest_standin
from bot.standins.nmbrs_rest.traffic import INJECTIONS, RecordedRestRequest

__all__ = [
    "INJECTIONS",
    "PRACTICE_CLIENT_ID",
    "PRACTICE_CLIENT_SECRET",
    "PRACTICE_SUBSCRIPTION_KEY",
    "SCOPES",
    "ConsentPageError",
    "NmbrsRestStandIn",
    "PracticeUser",
    "RecordedRestRequest",
    "RegisteredClient",
    "RestCompany",
    "RestDebtor",
    "consent",
    "s256",
    "start_rest_standin",
]
