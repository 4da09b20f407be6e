"""A mistyped TOKENDESK_NMBRS_URL answers HTTP 404 like a switched-off SOAP API: the operator is told both
readings, and `tokendesk validate` probes without credentials which one it is (the SOAP stand-in over HTTP)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys

import pytest

from bot.cli.validate import run_soap_url, run_validate
from bot.nmbrs.failures import gone_status
from bot.nmbrs.soap_url import shown
from bot.standins.nmbrs.server import NmbrsStandIn
from tests.bot.nmbrs.accounts import TOKEN, USERNAME, GatewayFactory

SECRET = "hunter2-in-the-url"


def wrong_path(nmbrs: NmbrsStandIn) -> str:
    """The stand-in's URL with a typo in the path (and a password in it, which nothing may show)."""
    return nmbrs.base_url.replace("/soap/v3/", "/soap/v3x/").replace("http://", f"http://operator:{SECRET}@")


def reading(nmbrs: NmbrsStandIn, path: str, status: int) -> str:
    return (f"the Nmbrs SOAP URL http://127.0.0.1:{nmbrs.port}{path} answered HTTP {status}: either "
            "TOKENDESK_NMBRS_URL is wrong (expected …/soap/v3/, such as https://api.nmbrs.nl/soap/v3/) or Nmbrs "
            "has switched the SOAP API off")


def test_the_status_and_the_url_shown() -> None:
    assert gone_status("HTTP 404 with an HTML page") == 404
    assert gone_status("HTTP 410 with an empty body") == 410
    assert gone_status("HTTP 503 with an HTML page") is None
    assert gone_status("connection refused by the Nmbrs host") is None
    assert gone_status("SOAP fault naming the service gone: HTTP 404 ") is None
    assert shown("https://ops:pw@api.nmbrs.nl:8443/soap/v3/?key=1#x") == "https://api.nmbrs.nl:8443/soap/v3/"


async def test_validate_names_both_readings_and_finds_the_typo(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")  # httpx's own request lines stay out, as `serve` keeps them
    url = wrong_path(nmbrs)
    gateway = make_gateway(base_url=url)
    out = io.StringIO()
    code = await run_validate(base_url=url, username=USERNAME, token=TOKEN, as_json=False, out=out, gateway=gateway)
    text = out.getvalue()
    assert code == 4
    assert "unreachable (service_gone) at DebtorService.Environment_Get: HTTP 404 with an HTML page" in text
    assert reading(nmbrs, "/soap/v3x/", 404) in text
    assert (f"http://127.0.0.1:{nmbrs.port}/soap/v3x/DebtorService.asmx?WSDL answered HTTP 404; "
            f"http://127.0.0.1:{nmbrs.port}/soap/v3/DebtorService.asmx?WSDL answered HTTP 200 with the service's WSDL. "
            f"TOKENDESK_NMBRS_URL is wrong: set it to http://127.0.0.1:{nmbrs.port}/soap/v3/.") in text
    # The log line of the failed check says the same, once, without the URL's password or the token.
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert reading(nmbrs, "/soap/v3x/", 404) in warning.getMessage()
    assert "tokendesk validate --soap-url" in warning.getMessage()
    await gateway.validate(USERNAME, TOKEN)  # a second failure within the hour: not told again
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert SECRET not in text + caplog.text and TOKEN not in text + caplog.text
    assert nmbrs.wsdl_requests == 1  # the probe's GET at Nmbrs' own path; the checks never ask for it


async def test_validate_json_carries_the_probe(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    url = wrong_path(nmbrs)
    out = io.StringIO()
    code = await run_validate(base_url=url, username=USERNAME, token=TOKEN, as_json=True, out=out,
                              gateway=make_gateway(base_url=url))
    data = json.loads(out.getvalue())
    assert code == 4 and data["cause"] == "service_gone"
    assert data["soap_url"]["reading"] == reading(nmbrs, "/soap/v3x/", 404)
    assert data["soap_url"]["verdict"] == "url_wrong"
    assert data["soap_url"]["configured"] == {
        "url": f"http://127.0.0.1:{nmbrs.port}/soap/v3x/DebtorService.asmx?WSDL", "status": 404, "wsdl": False,
        "error": None}
    assert SECRET not in out.getvalue()


async def test_a_switched_off_api_has_no_wsdl_either(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.switch_off("http410")
    out = io.StringIO()
    code = await run_validate(base_url=nmbrs.base_url, username=USERNAME, token=TOKEN, as_json=False, out=out,
                              gateway=make_gateway())
    text = out.getvalue()
    assert code == 4
    assert reading(nmbrs, "/soap/v3/", 410) in text
    assert (f"http://127.0.0.1:{nmbrs.port}/soap/v3/DebtorService.asmx?WSDL answered HTTP 410. No SOAP service "
            "answers there: either TOKENDESK_NMBRS_URL is wrong") in text


async def test_other_failures_get_no_url_reading(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.switch_off("retired")  # a fault naming the service gone: a sign, but not what a wrong URL answers
    out = io.StringIO()
    code = await run_validate(base_url=nmbrs.base_url, username=USERNAME, token=TOKEN, as_json=False, out=out,
                              gateway=make_gateway())
    assert code == 4 and "unreachable (service_gone)" in out.getvalue()
    assert "TOKENDESK_NMBRS_URL" not in out.getvalue() and nmbrs.wsdl_requests == 0


async def test_soap_url_probe_without_credentials(nmbrs: NmbrsStandIn) -> None:
    out = io.StringIO()
    assert await run_soap_url(base_url=nmbrs.base_url, as_json=False, out=out) == 0
    assert "answered HTTP 200 with the service's WSDL. TOKENDESK_NMBRS_URL points at the SOAP service" in out.getvalue()
    out = io.StringIO()
    assert await run_soap_url(base_url=wrong_path(nmbrs), as_json=True, out=out) == 2
    data = json.loads(out.getvalue())
    assert data["url"] == f"http://127.0.0.1:{nmbrs.port}/soap/v3x/" and data["verdict"] == "url_wrong"
    assert data["expected"]["wsdl"] is True and SECRET not in out.getvalue()
    nmbrs.switch_off("http404")
    out = io.StringIO()
    assert await run_soap_url(base_url=wrong_path(nmbrs), as_json=False, out=out) == 4
    assert "or Nmbrs has switched the SOAP API off." in out.getvalue()
    assert (nmbrs.total_calls, nmbrs.wsdl_requests, sum(nmbrs.calls.values())) == (5, 3, 0)  # GETs, no SOAP call


async def test_soap_url_probe_of_a_closed_port() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    out = io.StringIO()
    assert await run_soap_url(base_url=f"http://127.0.0.1:{port}/soap/v3/", as_json=False, out=out) == 4
    assert out.getvalue() == (
        f"Probe without credentials (GET of the DebtorService WSDL): http://127.0.0.1:{port}/soap/v3/"
        "DebtorService.asmx?WSDL did not answer (ConnectError). The probe could not reach the host in "
        "TOKENDESK_NMBRS_URL.\n")


def test_the_command_as_an_operator_runs_it(nmbrs: NmbrsStandIn) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_"))}
    # Settings refuse a password in the URL, and do not echo it.
    with_password = subprocess.run([sys.executable, "-m", "bot.cli", "validate", "--soap-url"], capture_output=True,
                                   text=True, env={**base, "TOKENDESK_NMBRS_URL": wrong_path(nmbrs)}, timeout=60,
                                   stdin=subprocess.DEVNULL)
    assert with_password.returncode == 2 and "without a user name or password" in with_password.stderr
    assert SECRET not in with_password.stdout + with_password.stderr
    env = {**base, "TOKENDESK_NMBRS_URL": wrong_path(nmbrs).replace(f"operator:{SECRET}@", "")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "validate", "--soap-url"], capture_output=True,
                            text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert f"TOKENDESK_NMBRS_URL is wrong: set it to http://127.0.0.1:{nmbrs.port}/soap/v3/." in result.stdout
    assert SECRET not in result.stdout + result.stderr
    neither = subprocess.run([sys.executable, "-m", "bot.cli", "validate"], capture_output=True, text=True, env=env,
                             timeout=60, stdin=subprocess.DEVNULL)
    assert neither.returncode == 2 and "one of the arguments --username --soap-url is required" in neither.stderr
