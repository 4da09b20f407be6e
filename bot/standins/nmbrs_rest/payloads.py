"""The JSON the REST stand-in answers: API data and error bodies in the shapes of Nmbrs' OpenAPI
document, pagination, and the identity server's RFC 6749 token and error answers."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from bot.standins.nmbrs_rest.accounts import PracticeUser, RestCompany, RestDebtor

DOC_URL = "https://developer.nmbrs.com/api/docs/errors"

# kind -> (HTTP status, type, code, title, detail). Texts of the spec's `components.responses`
# examples where it has one; the rows marked "ours" are not in the spec and are marked so in the
# README of the stand-in: a client must not rely on their code or words, only on the status.
API_ERRORS: dict[str, tuple[int, str, int, str, str]] = {
    "missing_token": (
        401,
        "authenticationError",
        40101,
        "Missing_Token",
        "Token is missing on the authentication",
    ),
    "invalid_token": (401, "authenticationError", 40102, "Invalid_Token", "Token is invalid."),
    # ours: Nmbrs does not document the answer to a missing or wrong subscription key
    "subscription_key": (
        401,
        "authenticationError",
        40100,
        "Invalid_Subscription_Key",
        "Access denied due to a missing or invalid subscription key.",
    ),
    # ours: the spec lists the scopes per path but not the answer when one is missing
    "insufficient_scope": (
        403,
        "authenticationError",
        40301,
        "Insufficient_Scope",
        "The access token does not carry a scope this endpoint requires.",
    ),
    "access_data": (
        403,
        "authenticationError",
        40303,
        "Unauthorized_AccessData",
        "You do not have access for the debtor or company you are trying to reach.",
    ),
    "disabled": (
        403,
        "authenticationError",
        40304,
        "Invalid_Subscription",
        "This environment is disabled, there is no valid subscription.",
    ),
    # 40306 is seen in a third-party SDK only; title and words are ours
    "several_debtors": (
        403,
        "authenticationError",
        40306,
        "Multiple_Debtors",
        "This consent gives access to several debtors; list the companies per debtor.",
    ),
    "invalid_param": (400, "validationError", 40033, "Parameter_Invalid", "Invalid parameter."),
    "not_found": (
        404,
        "invalidRequestError",
        40401,
        "Not_Found",
        "The requested resource could not be found.",
    ),
    "throttled": (
        429,
        "throttlingError",
        42908,
        "Too_Many_Calls",
        "The amount of calls is above the threshold for your subscription plan.",
    ),
    "quota": (429, "throttlingError", 42909, "Quota_Exceeded", "Out of call volume quota."),
    "http500": (500, "apiError", 50001, "Unkown", "An unexpected error has occurred."),  # sic, as in the spec
    "http502": (502, "apiError", 50201, "Bad_Gateway", "A gateway error has ocurred."),
    "http503": (
        503,
        "apiError",
        50301,
        "Service_Unavailable",
        "The API is not available, it can be because of an update or an unexpected error.",
    ),
}


def api_error(kind: str, *, invalid_params: list[dict[str, str]] | None = None) -> tuple[int, dict[str, Any]]:
    status, type_, code, title, detail = API_ERRORS[kind]
    body: dict[str, Any] = {
        "type": type_,
        "httpStatus": status,
        "code": code,
        "title": title,
        "detail": detail,
    }
    if invalid_params:
        body["invalid-params"] = invalid_params
    body["docUrl"] = "https://status.nmbrs.com/" if kind == "http503" else DOC_URL
    return status, body


def page_of(items: list[dict[str, Any]], *, base_url: str, path: str, page: int, size: int) -> dict[str, Any]:
    """`{"pagination", "data"}` for one page; links absolute, next/previous null at the ends."""
    total = len(items)
    pages = max(1, math.ceil(total / size))

    def link(number: int) -> str:
        return f"{base_url.rstrip('/')}{path}?{urlencode({'pageNumber': number, 'pageSize': size})}"

    return {
        "pagination": {
            "pageNumber": page,
            "pageSize": size,
            "firstPage": link(1),
            "lastPage": link(pages),
            "totalPages": pages,
            "totalRecords": total,
            "nextPage": link(page + 1) if page < pages else None,
            "previousPage": link(page - 1) if 1 < page <= pages + 1 else None,
        },
        "data": items[(page - 1) * size : page * size],
    }


def user_info(user: PracticeUser) -> dict[str, Any]:
    # The spec's example writes the language in capitals ("EN").
    return {
        "name": user.name,
        "email": user.email,
        "language": user.language.upper(),
        "debtorId": user.debtor.id,
        "userId": user.id,
    }


def debtor(d: RestDebtor) -> dict[str, Any]:
    return {"debtorId": d.id, "number": str(d.number), "name": d.name}


def debtor_info(d: RestDebtor) -> dict[str, Any]:
    return {
        "debtor": debtor(d),
        "address": {
            "addressId": f"ad{d.id[2:]}",
            "isDefault": True,
            "type": "debtorAddress",
            "street": "Naritaweg",
            "houseNumber": "70",
            "houseNumberAddition": None,
            "postalCode": "1043BZ",
            "city": "Amsterdam",
            "stateProvince": "Noord-Holland",
            "countryISOCode": "NL",
            "period": {"year": 2021, "period": 1},
            "createdAt": "2021-01-04T08:00:00Z",
        },
    }


def company(c: RestCompany, d: RestDebtor) -> dict[str, Any]:
    return {"companyId": c.id, "number": str(c.number), "name": c.name, "debtorId": d.id}


def token_answer(
    *, access: str, refresh: str | None, expires_in: int, scopes: tuple[str, ...], with_scope: bool
) -> dict[str, Any]:
    answer: dict[str, Any] = {"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}
    if refresh is not None:
        answer["refresh_token"] = refresh
    if with_scope:
        answer["scope"] = " ".join(scopes)
    return answer


def oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}
