"""The token never reaches a log line, an exception, or a repr — whatever the outcome."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.nmbrs import NmbrsGateway, TokenRedactionFilter
from bot.nmbrs.failures import classify_fault
from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.model import InvalidInput
from handlers.redact import redact_tokens
from tests.bot.nmbrs.accounts import TOKEN, USERNAME, GatewayFactory

ZEEP_LOGGERS = ["zeep", "zeep.transports", "zeep.wsdl.bindings.soap", "zeep.xsd", "httpx", "httpcore"]


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything logged anywhere at DEBUG: caplog, a formatted root handler, and lastResort."""
    caplog.set_level(logging.DEBUG)
    for name in ZEEP_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    last_resort = logging.lastResort
    logging.lastResort = handler
    try:
        yield text
    finally:
        logging.lastResort = last_resort
        root.removeHandler(handler)


def _assert_clean(caplog: pytest.LogCaptureFixture, text: io.StringIO) -> None:
    assert caplog.records, "expected the gateway to log something at DEBUG"
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert TOKEN not in repr(record.args)
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text
    assert TOKEN not in text.getvalue()


async def test_no_token_in_logs_on_any_path(
    nmbrs: NmbrsStandIn,
    make_gateway: GatewayFactory,
    caplog: pytest.LogCaptureFixture,
    every_log_line: io.StringIO,
) -> None:
    nmbrs.hang_s = 1.0
    for soap_version in (11, 12):
        gateway = make_gateway(soap_version=soap_version, read_timeout_s=0.2, retries=1)
        await gateway.validate(USERNAME, TOKEN)  # valid
        await gateway.validate(USERNAME, TOKEN[::-1])  # rejected
        for kind in ("timeout", "html503", "malformed", "reset", "http500", "fault"):
            nmbrs.fail_next(kind, count=2)  # type: ignore[arg-type]
            await gateway.validate(USERNAME, TOKEN)
        nmbrs.account_fault(USERNAME, 1002, "CompanyService")
        await gateway.validate(USERNAME, TOKEN)
        nmbrs.account_fault(USERNAME, None, "CompanyService")
    _assert_clean(caplog, every_log_line)


async def test_nothing_in_a_failing_hook_traceback(
    nmbrs: NmbrsStandIn,
    make_gateway: GatewayFactory,
    caplog: pytest.LogCaptureFixture,
    every_log_line: io.StringIO,
) -> None:
    def hook(operation: str, outcome: str, latency_s: float) -> None:
        raise RuntimeError("metrics down")

    await make_gateway(on_call=hook).validate(USERNAME, TOKEN)
    assert any(r.exc_info for r in caplog.records)
    _assert_clean(caplog, every_log_line)


def test_zeep_transport_debug_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    # What a plain zeep transport would print; the guard installed by the gateway blanks it.
    NmbrsGateway(base_url="https://api.nmbrs.nl/soap/v3/")
    caplog.set_level(logging.DEBUG, logger="zeep.transports")
    envelope = (
        b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header>'
        b'<ns0:AuthHeader xmlns:ns0="https://api.nmbrs.nl/soap/v3/DebtorService"><ns0:Username>hr@acme.nl'
        b"</ns0:Username><ns0:Token>" + TOKEN.encode() + b"</ns0:Token></ns0:AuthHeader></soap-env:Header>"
        b"</soap-env:Envelope>"
    )
    logging.getLogger("zeep.transports").debug("HTTP Post to %s:\n%s", "https://x/", envelope)
    assert TOKEN not in caplog.text
    assert "<ns0:Token>[redacted]</ns0:Token>" in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        f"<Token>{TOKEN}</Token>",
        f"<d:Token>{TOKEN}</d:Token>",
        f'<ns0:Token xmlns:ns0="x">\n{TOKEN}\n</ns0:Token >',
        f"{{'AuthHeader': {{'Username': 'a@b.nl', 'Token': '{TOKEN}'}}}}",
        f'{{"Token": "{TOKEN}"}}',
    ],
)
def test_redact_tokens(text: str) -> None:
    assert TOKEN not in redact_tokens(text)
    assert "[redacted]" in redact_tokens(text)


def test_redaction_filter_keeps_the_record_and_unrelated_text() -> None:
    record = logging.LogRecord(
        "zeep.transports", logging.DEBUG, __file__, 1, "sent %s", (f"<Token>{TOKEN}</Token>",), None
    )
    assert TokenRedactionFilter().filter(record) is True
    assert record.getMessage() == "sent <Token>[redacted]</Token>"
    plain = logging.LogRecord("zeep", logging.INFO, __file__, 1, "GetToken2 %s", ("ok",), None)
    TokenRedactionFilter().filter(plain)
    assert plain.getMessage() == "GetToken2 ok"


async def test_no_token_in_results_or_their_repr(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(retries=0)
    results = [await gateway.validate(USERNAME, TOKEN), await gateway.validate(USERNAME, "0" * 32)]
    nmbrs.fail_next("reset")
    results.append(await gateway.validate(USERNAME, TOKEN))
    for result in results:
        for shown in (repr(result), str(result), str(result.to_dict())):
            assert TOKEN not in shown and "0" * 32 not in shown
    assert TOKEN not in repr(gateway)


def test_no_token_in_invalid_input() -> None:
    from handlers.shape import clean_token

    for bad in (f"{TOKEN} {TOKEN}", TOKEN * 9, TOKEN + "é"):
        with pytest.raises(InvalidInput) as caught:
            clean_token(bad)
        assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)


def test_a_fault_that_echoes_the_token_is_blanked() -> None:
    failure = classify_fault(
        "soap:Server", f"Server was unable to process request. ---> 2042: user {TOKEN} in two environments", token=TOKEN
    )
    assert TOKEN not in str(failure) and TOKEN not in repr(failure) and TOKEN not in failure.text
    assert failure.code == 2042


async def test_failures_do_not_keep_httpx_or_zeep_exceptions(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    # httpx exceptions hold the request (token in the body); ours must not chain to them.
    from bot.nmbrs import failures as failures_module

    gateway = make_gateway(retries=0)
    seen: list[BaseException] = []
    original = failures_module.CallFailed.to_result

    def spy(self: failures_module.CallFailed, latency_s: float):  # type: ignore[no-untyped-def]
        seen.append(self)
        return original(self, latency_s)

    failures_module.CallFailed.to_result = spy  # type: ignore[method-assign]
    try:
        for kind in ("reset", "malformed", "fault", "html503"):
            nmbrs.fail_next(kind)  # type: ignore[arg-type]
            await gateway.validate(USERNAME, TOKEN)
        await gateway.validate(USERNAME, TOKEN[::-1])
    finally:
        failures_module.CallFailed.to_result = original  # type: ignore[method-assign]
    assert len(seen) == 5
    for failure in seen:
        assert failure.__cause__ is None and failure.__context__ is None
