"""Fault texts and raw HTTP answers mapped to outcomes, without a server."""

from __future__ import annotations

import pytest

from bot.nmbrs.failures import classify_fault, screen_response
from handlers.model import RejectionCategory, UnreachableCause

NO_ACTION = "Unable to handle request without a valid action parameter. Please supply a valid soap action."


@pytest.mark.parametrize(
    ("code", "text", "category", "number", "message"),
    [
        ("soap:Server", "Server was unable to process request. ---> 1001: Invalid Authentication",
         RejectionCategory.CREDENTIALS, 1001, "Invalid Authentication"),
        ("soap:Receiver", "Server was unable to process request. ---&gt; 1002: Unauthorized access",
         RejectionCategory.RIGHTS, 1002, "Unauthorized access"),
        ("soap:Server", "--->1003:Unauthorized access data",
         RejectionCategory.RIGHTS, 1003, "Unauthorized access data"),
        ("soap:Server", "x ---> 1004: Disabled, no valid subscription", RejectionCategory.SUBSCRIPTION, 1004,
         "Disabled, no valid subscription"),
        # Outside 1001-1004 a code is unexpected (issue 12 finding 5), even one the reference names.
        ("soap:Server", "x ---> 2009: No rights on debtor", RejectionCategory.OTHER, 2009, "No rights on debtor"),
        ("soap:Server", "x ---> 20421: something new", RejectionCategory.OTHER, 20421, "something new"),
        # A code wins over the fault kind: Nmbrs' own number is the more specific statement.
        ("soap:Client", "x ---> 1001: Invalid Authentication", RejectionCategory.CREDENTIALS, 1001,
         "Invalid Authentication"),
        ("soap:Server", "x ---> 1000: Invalid Email or Password", RejectionCategory.OTHER, 1000,
         "Invalid Email or Password"),
    ],
)
def test_coded_faults_are_rejections(
    code: str, text: str, category: RejectionCategory, number: int, message: str
) -> None:
    failure = classify_fault(code, text)
    assert (failure.category, failure.code, failure.text) == (category, number, message)
    assert not failure.retryable


@pytest.mark.parametrize("number", [9999, 1006])
def test_transient_codes(number: int) -> None:
    failure = classify_fault("soap:Server", f"Server was unable to process request. ---> {number}: Unknown error")
    assert (failure.cause, failure.code) == (UnreachableCause.NMBRS_ERROR, number)
    assert failure.retryable and failure.category is None


@pytest.mark.parametrize("code", ["soap:Client", "soap:Sender", "s:VersionMismatch", "Client"])
def test_client_faults_are_misconfiguration(code: str) -> None:
    failure = classify_fault(code, NO_ACTION)
    assert failure.cause is UnreachableCause.MISCONFIGURED and not failure.retryable
    assert NO_ACTION in failure.text


def test_server_fault_without_code_is_transient() -> None:
    failure = classify_fault("soap:Server", "Server was unable to process request. ---> Object reference not set")
    assert failure.cause is UnreachableCause.NMBRS_ERROR and failure.code is None and failure.retryable


@pytest.mark.parametrize("text", [
    "The Nmbrs SOAP API v3 has been retired and is no longer available.",
    "This web service is discontinued; use the REST API",
    "Server was unable to process request. ---> 9999: The SOAP service has been switched off",
    "De SOAP API is uitgefaseerd",
])
def test_a_fault_naming_the_service_gone_is_a_switch_off_sign(text: str) -> None:
    failure = classify_fault("soap:Server", text)
    assert failure.cause is UnreachableCause.SERVICE_GONE and failure.category is None and not failure.retryable


@pytest.mark.parametrize("text", [
    "Service temporarily unavailable, please try again later",  # maintenance: an ordinary outage
    "Server was unable to process request. ---> Object reference not set",
    "Server was unable to process request. ---> 1001: Invalid Authentication. The API is no longer available",
])
def test_other_faults_are_not_switch_off_signs(text: str) -> None:
    assert classify_fault("soap:Server", text).cause is not UnreachableCause.SERVICE_GONE


def test_long_fault_texts_are_shortened() -> None:
    failure = classify_fault("soap:Server", "---> 1001: " + "x" * 5000)
    assert len(failure.text) <= 300


FAULT_11 = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
    b"<faultcode>soap:Server</faultcode><faultstring>x</faultstring></soap:Fault></soap:Body></soap:Envelope>"
)
FAULT_12 = (
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault>'
    b"<soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code></soap:Fault></soap:Body></soap:Envelope>"
)
OK_11 = b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>'


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/xml; charset=utf-8", OK_11),
        (500, "text/xml; charset=utf-8", FAULT_11),
        (500, "application/soap+xml; charset=utf-8", FAULT_12),
    ],
)
def test_answers_for_zeep(status: int, content_type: str, body: bytes) -> None:
    assert screen_response(status, content_type, body) is None


@pytest.mark.parametrize(
    ("status", "content_type", "body", "cause"),
    [
        (503, "text/html", b"<!DOCTYPE html><html><body>Maintenance</body></html>", UnreachableCause.HTML),
        (200, "text/html; charset=utf-8", b"<html><body>Login</body></html>", UnreachableCause.HTML),
        (502, "text/plain", b"  <!doctype HTML>\n<html>", UnreachableCause.HTML),
        (404, "text/html", b"<!DOCTYPE html><html>Not found</html>", UnreachableCause.SERVICE_GONE),
        (404, "", b"", UnreachableCause.SERVICE_GONE),
        (410, "text/plain", b"Gone", UnreachableCause.SERVICE_GONE),
        (301, "text/html", b"", UnreachableCause.MISCONFIGURED),
        (415, "text/plain", b"Unsupported Media Type", UnreachableCause.MISCONFIGURED),
        (500, "", b"", UnreachableCause.HTTP_ERROR),
        (503, "text/plain", b"busy", UnreachableCause.HTTP_ERROR),
        (429, "application/json", b'{"error": "slow down"}', UnreachableCause.HTTP_ERROR),
        (500, "text/xml", OK_11, UnreachableCause.HTTP_ERROR),
        (200, "text/xml", b"<soap:Envelope", UnreachableCause.MALFORMED),
        (200, "text/xml", b"", UnreachableCause.MALFORMED),
        (200, "application/json", b"{}", UnreachableCause.MALFORMED),
    ],
)
def test_answers_that_are_failures_by_themselves(
    status: int, content_type: str, body: bytes, cause: UnreachableCause
) -> None:
    failure = screen_response(status, content_type, body)
    assert failure is not None and failure.cause is cause
    assert str(status) in failure.text
