"""What the REST gateway makes of Nmbrs' answers: the API's error bodies and the token endpoint's
errors as the domain's Rejected/Unreachable, and the API's data as a RestView."""

from __future__ import annotations

from typing import Any

import httpx

from handlers.model import (
    Company,
    Debtor,
    Rejected,
    RejectionCategory,
    RestUser,
    RestView,
    Unreachable,
    UnreachableCause,
)

#: 401 from the API: the access token is not (or no longer) accepted.
INVALID_TOKEN = 40102
#: 403: the environment is disabled (no valid subscription): definitive.
ENVIRONMENT_DISABLED = 40304
#: 429: the call volume quota is spent; transient, with the server's delay.
QUOTA_EXCEEDED = 42909


def retry_after(response: httpx.Response | None) -> float | None:
    raw = response.headers.get("retry-after", "") if response is not None else ""
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def api_failure(response: httpx.Response, latency_s: float, operation: str) -> Rejected | Unreachable:
    status = response.status_code
    body = _body(response)
    code = body.get("code") if isinstance(body.get("code"), int) else None
    said = str(body.get("title") or body.get("detail") or f"HTTP {status}")[:200]
    if "html" in response.headers.get("content-type", "").lower():
        return Unreachable(UnreachableCause.HTML, f"an HTML page (HTTP {status})", latency_s, code=code,
                           operation=operation)
    if status == 401:
        return Rejected(code or INVALID_TOKEN, RejectionCategory.CONSENT, said, latency_s, operation=operation)
    if status == 403 and code == ENVIRONMENT_DISABLED:
        return Rejected(code, RejectionCategory.SUBSCRIPTION, said, latency_s, operation=operation)
    if status == 429 or code == QUOTA_EXCEEDED:
        return Unreachable(UnreachableCause.HTTP_ERROR, f"rate limited by Nmbrs (HTTP {status})", latency_s,
                           code=code, operation=operation, retry_after_s=retry_after(response))
    if status >= 500 or status == 408:
        return Unreachable(UnreachableCause.HTTP_ERROR, f"HTTP {status}", latency_s, code=code, operation=operation,
                           retry_after_s=retry_after(response))
    if status == 200:
        return Unreachable(UnreachableCause.MALFORMED, "not a JSON object", latency_s, operation=operation)
    # Anything else says nothing known about the consent: unexpected, the link keeps its state.
    return Rejected(code, RejectionCategory.OTHER, said, latency_s, operation=operation)


def token_failure(
    error: str | None, status: int | None, response: httpx.Response | None, latency_s: float, operation: str
) -> Rejected | Unreachable:
    if error == "invalid_grant":
        return Rejected(None, RejectionCategory.CONSENT, "invalid_grant", latency_s, operation=operation)
    if error in ("invalid_client", "unauthorized_client"):
        return Unreachable(UnreachableCause.MISCONFIGURED, f"the identity server refused our app ({error})",
                           latency_s, operation=operation)
    if error:
        return Rejected(None, RejectionCategory.OTHER, error[:64], latency_s, operation=operation)
    if status == 429 or (status is not None and status >= 500):
        return Unreachable(UnreachableCause.HTTP_ERROR, f"HTTP {status}", latency_s, operation=operation,
                           retry_after_s=retry_after(response))
    return Unreachable(UnreachableCause.MALFORMED, f"HTTP {status} without an OAuth error", latency_s,
                       operation=operation)


def _debtor(raw: dict[str, Any]) -> Debtor:
    inner = raw.get("debtor") if isinstance(raw.get("debtor"), dict) else raw
    return Debtor(id=str(inner["debtorId"]), number=inner.get("number"), name=str(inner.get("name") or ""))


def as_view(user: dict[str, Any], debtor: dict[str, Any], companies: list[dict[str, Any]], latency_s: float) -> RestView:
    info = user["data"][0] if isinstance(user.get("data"), list) else user
    found = debtor["data"][0] if isinstance(debtor.get("data"), list) else debtor
    return RestView(
        user=RestUser(user_id=str(info["userId"]), email=str(info["email"]), name=str(info.get("name") or ""),
                      debtor_id=str(info.get("debtorId") or "")),
        debtor=_debtor(found),
        companies=tuple(Company(id=str(c["companyId"]), number=c.get("number"), name=str(c.get("name") or ""),
                                debtor_id=str(c.get("debtorId") or "") or None) for c in companies),
        latency_s=latency_s,
    )
