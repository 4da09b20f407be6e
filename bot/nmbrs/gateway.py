"""The Nmbrs SOAP gateway: checks a login e-mail + API token and discovers what it reaches.

Built once per process by the composition root; every call goes through one shared CallLimiter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import zeep
from lxml import etree
from zeep import exceptions as zeep_errors
from zeep.proxy import AsyncServiceProxy

from bot.nmbrs.answers import parse_companies, parse_debtors, parse_environment
from bot.nmbrs.failures import DEBTOR_ACCESS_CODES, CallFailed, classify_fault, gone_status
from bot.nmbrs.limits import CallLimiter
from bot.nmbrs.redact import guard_zeep_logging
from bot.nmbrs.soap_url import gone_reading
from bot.nmbrs.transport import QuietTransport
from handlers.model import (
    Company,
    Credentials,
    Debtor,
    RejectionCategory,
    SoapLogin,
    UnreachableCause,
    Valid,
    Validation,
)
from handlers.shape import clean_token, clean_username

logger = logging.getLogger(__name__)

DEBTOR_NS = "https://api.nmbrs.nl/soap/v3/DebtorService"
COMPANY_NS = "https://api.nmbrs.nl/soap/v3/CompanyService"
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"

# Looking up each debtor's companies costs one call per debtor. Client logins (the usual
# customer) have one debtor, small accountants a handful: cheap, and support likes to see which
# company belongs to whom. Large accountants have hundreds of debtors; there the extra calls
# would dominate the shared call budget of the nightly re-check for a nicety, so debtor_id
# stays None. The scope digest ignores debtor_id, so crossing the threshold changes nothing else.
DEFAULT_MAP_DEBTORS_MAX = 20
#: Least seconds between two warnings that the SOAP URL answers 404/410.
GONE_TOLD_EVERY_S = 3600.0

_T = TypeVar("_T")

OnCall = Callable[[str, str, float], None]
"""(operation, outcome, latency_s) per HTTP attempt; outcome is "ok" or a category/cause value."""


@dataclass(frozen=True, slots=True)
class _Operation:
    service: str  # "DebtorService"
    name: str  # "List_GetAll"

    @property
    def label(self) -> str:
        return f"{self.service}.{self.name}"


ENVIRONMENT_GET = _Operation("DebtorService", "Environment_Get")
DEBTORS_GET_ALL = _Operation("DebtorService", "List_GetAll")
COMPANIES_GET_ALL = _Operation("CompanyService", "List_GetAll")
COMPANIES_BY_DEBTOR = _Operation("CompanyService", "List_GetByDebtor")


def _service_address(base_url: str, service: str) -> str:
    return base_url.rstrip("/") + f"/{service}.asmx"


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http(s) URL such as https://api.nmbrs.nl/soap/v3/")


class NmbrsGateway:
    """Validates Nmbrs credentials over SOAP: Environment_Get, then the debtor and company lists.

    The SOAP implementation of handlers.ports.Nmbrs. `validate` raises InvalidInput for local
    shape errors and otherwise always returns a Validation; it never raises for anything Nmbrs
    or the network does.
    """

    kind: Literal["soap"] = "soap"

    def __init__(
        self,
        *,
        base_url: str,
        limiter: CallLimiter | None = None,
        connect_timeout_s: float = 5,
        read_timeout_s: float = 20,
        retries: int = 2,
        backoff_s: float = 0.5,
        soap_version: int = 11,
        map_debtors_max: int = DEFAULT_MAP_DEBTORS_MAX,
        on_call: OnCall | None = None,
    ) -> None:
        _check_base_url(base_url)
        if soap_version not in (11, 12):
            raise ValueError("soap_version must be 11 or 12")
        if retries < 0 or backoff_s < 0 or connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("timeouts must be positive and retries/backoff not negative")
        guard_zeep_logging()
        self.base_url = base_url
        self.soap_version = soap_version
        # Defaults match TOKENDESK_RECHECK_CONCURRENCY / TOKENDESK_NMBRS_RATE; the app passes
        # its one shared limiter, this only keeps a stand-alone gateway (CLI) polite.
        self._limiter = limiter or CallLimiter(concurrency=8, rate_per_s=10)
        self._retries = retries
        self._backoff_s = backoff_s
        self._map_debtors_max = map_debtors_max
        self._on_call = on_call
        self._gone_told_at: float | None = None
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                read_timeout_s, connect=connect_timeout_s, write=read_timeout_s, pool=read_timeout_s
            ),
            follow_redirects=False,
            headers={"User-Agent": "tokendesk"},
        )
        transport = QuietTransport(self._http)
        # strict=False only relaxes the schema: the real services may send elements our WSDL
        # subset does not declare. Well-formedness is already enforced by screen_response.
        settings = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True)
        suffix = "Soap12" if soap_version == 12 else "Soap"
        self._proxies: dict[str, AsyncServiceProxy] = {}
        for service, namespace in (("DebtorService", DEBTOR_NS), ("CompanyService", COMPANY_NS)):
            client = zeep.AsyncClient(
                str(WSDL_DIR / f"{service}.wsdl"), transport=transport, settings=settings
            )
            binding = client.wsdl.bindings[f"{{{namespace}}}{service}{suffix}"]
            self._proxies[service] = AsyncServiceProxy(
                client, binding, address=_service_address(base_url, service)
            )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"NmbrsGateway(base_url={self.base_url!r}, soap_version={self.soap_version})"

    async def check(self, credentials: Credentials) -> Validation:
        """The port's check: a SOAP link's login e-mail and API token, as `validate` takes them."""
        if not isinstance(credentials, SoapLogin):
            # Only reachable once a REST kind joins Credentials: a wiring mistake, never Nmbrs' answer.
            raise TypeError(f"the SOAP gateway cannot check {type(credentials).__name__}")
        return await self.validate(credentials.username, credentials.token)

    async def validate(self, username: str, token: str) -> Validation:
        """Check the credentials; raise InvalidInput before any call if their shape is wrong."""
        username = clean_username(username)
        token = clean_token(token)
        started = time.monotonic()
        try:
            environment = await self._environment(username, token)
            debtors, companies = await self._scope(username, token, environment)
        except CallFailed as failure:
            result = failure.to_result(time.monotonic() - started)
            self._tell_operator(failure)
            logger.info(
                "nmbrs validation finished: %s (%s, code %s, at %s) in %.3f s",
                result.outcome,
                failure.label,
                failure.code,
                failure.operation,
                result.latency_s,
            )
            return result
        valid = Valid(
            username=username,
            environment=environment,
            debtors=debtors,
            companies=companies,
            latency_s=time.monotonic() - started,
        )
        logger.info(
            "nmbrs validation finished: valid (%d debtors, %d companies) in %.3f s",
            len(debtors),
            len(companies),
            valid.latency_s,
        )
        return valid

    async def _environment(self, username: str, token: str) -> str:
        headers = {"AuthHeader": {"Username": username, "Token": token}}
        return await self._call(ENVIRONMENT_GET, token, headers, parse_environment)

    async def _scope(
        self, username: str, token: str, environment: str
    ) -> tuple[tuple[Debtor, ...], tuple[Company, ...]]:
        headers = {
            "AuthHeaderWithDomain": {"Username": username, "Token": token, "Domain": environment}
        }
        debtors, companies = await _all(
            [
                self._call(DEBTORS_GET_ALL, token, headers, parse_debtors),
                self._call(COMPANIES_GET_ALL, token, headers, parse_companies),
            ]
        )
        if companies and 0 < len(debtors) <= self._map_debtors_max:
            debtors, companies = await self._with_debtors(token, headers, debtors, companies)
        return debtors, companies

    async def _with_debtors(
        self,
        token: str,
        headers: dict[str, Any],
        debtors: Sequence[Debtor],
        companies: tuple[Company, ...],
    ) -> tuple[tuple[Debtor, ...], tuple[Company, ...]]:
        """Fill Company.debtor_id with one List_GetByDebtor per debtor.

        A debtor whose list Nmbrs refuses for lack of rights on it (DEBTOR_ACCESS_CODES) is left
        out of the scope: the login still works, it just no longer reaches that debtor, which
        the re-check then reports as a scope change.
        """
        denied: set[int] = set()

        async def company_ids_of(debtor: Debtor) -> tuple[int, list[int]]:
            try:
                found = await self._call(
                    COMPANIES_BY_DEBTOR, token, headers, parse_companies, DebtorId=debtor.id
                )
            except CallFailed as failure:
                if failure.code in DEBTOR_ACCESS_CODES:
                    denied.add(debtor.id)
                    return debtor.id, []
                # The call switched off in the template (1002): the login is still good, its
                # companies just stay unattributed.
                if failure.category is RejectionCategory.RIGHTS:
                    return debtor.id, []
                raise
            return debtor.id, [company.id for company in found]

        owner: dict[int, int] = {}
        for debtor_id, company_ids in await _all([company_ids_of(d) for d in debtors]):
            owner.update(dict.fromkeys(company_ids, debtor_id))
        if denied:
            logger.info("nmbrs: %d debtor(s) refused their company list; left out of the scope", len(denied))
        kept = tuple(d for d in debtors if d.id not in denied)
        return kept, tuple(replace(c, debtor_id=owner.get(c.id)) for c in companies)

    async def _call(
        self,
        operation: _Operation,
        token: str,
        headers: dict[str, Any],
        parse: Callable[[Any], _T],
        **body: Any,
    ) -> _T:
        """One operation with retries: transient failures again after a jittered backoff."""
        attempt = 0
        while True:
            try:
                return await self._attempt(operation, token, headers, parse, body)
            except CallFailed as failure:
                failure.operation = operation.label
                if not failure.retryable or attempt >= self._retries:
                    raise
                delay = self._backoff_s * (2**attempt) * random.uniform(0.5, 1.5)
                logger.info(
                    "nmbrs call failed transiently, retrying: %s (%s), attempt %d, wait %.2f s",
                    operation.label,
                    failure.label,
                    attempt + 1,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)

    async def _attempt(
        self,
        operation: _Operation,
        token: str,
        headers: dict[str, Any],
        parse: Callable[[Any], _T],
        body: dict[str, Any],
    ) -> _T:
        """Exactly one HTTP request, inside the limiter; the one place each call is measured."""
        proxy = self._proxies[operation.service]
        failure: CallFailed | None = None
        async with self._limiter:
            started = time.monotonic()
            try:
                answer = await proxy[operation.name](_soapheaders=headers, **body)
            except CallFailed as exc:
                failure = exc
            except zeep_errors.Fault as exc:
                failure = classify_fault(exc.code, exc.message, token=token)
            except zeep_errors.ValidationError as exc:
                failure = CallFailed.unreachable(
                    UnreachableCause.MISCONFIGURED, f"request could not be built ({type(exc).__name__})"
                )
            except (zeep_errors.Error, etree.LxmlError, ValueError) as exc:
                # Well-formed XML that is not the envelope we expect (or not in its types).
                failure = CallFailed.unreachable(
                    UnreachableCause.MALFORMED, f"answer not understood ({type(exc).__name__})"
                )
            latency = time.monotonic() - started
        if failure is None:
            try:
                value = parse(answer)
            except CallFailed as exc:
                failure = exc
        # Raised after the except clauses, so no zeep or httpx exception rides along as __context__.
        self._record(operation.label, "ok" if failure is None else failure.label, latency)
        if failure is not None:
            raise failure
        return value

    def _tell_operator(self, failure: CallFailed) -> None:
        """A 404/410 from the SOAP URL is also what a mistyped TOKENDESK_NMBRS_URL gets: say so, in both
        readings, once in a while (a night of 404s would repeat it for every link)."""
        status = gone_status(failure.text) if failure.cause is UnreachableCause.SERVICE_GONE else None
        now = time.monotonic()
        if status is None or (self._gone_told_at is not None and now - self._gone_told_at < GONE_TOLD_EVERY_S):
            return
        self._gone_told_at = now
        logger.warning("nmbrs: %s (`tokendesk validate --soap-url` tells them apart)",
                       gone_reading(self.base_url, status))

    def _record(self, operation: str, outcome: str, latency_s: float) -> None:
        logger.debug("nmbrs call finished: %s %s in %.3f s", operation, outcome, latency_s)
        if self._on_call is None:
            return
        try:
            self._on_call(operation, outcome, latency_s)
        except Exception:
            # Metrics must never change a validation's outcome.
            logger.exception("nmbrs on_call hook failed")


async def _all(calls: Iterable[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run calls together; if any fails, cancel the rest and raise the most telling failure."""
    failures: Sequence[BaseException] = ()
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as errors:
        if not all(isinstance(e, CallFailed) for e in errors.exceptions):
            raise
        failures = errors.exceptions
    if failures:
        raise min((f for f in failures if isinstance(f, CallFailed)), key=lambda f: f.rank)
    return [task.result() for task in tasks]
