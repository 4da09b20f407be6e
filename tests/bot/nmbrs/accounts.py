"""The login the Nmbrs tests use, shared by fixtures and tests (conftest modules are not for importing)."""

from __future__ import annotations

from collections.abc import Callable

from bot.nmbrs import NmbrsGateway

USERNAME = "hr@acme.nl"
TOKEN = "0123456789abcdef0123456789abcdef"  # shaped like the one public example: 32 lowercase hex
SUBDOMAIN = "acme"

GatewayFactory = Callable[..., NmbrsGateway]
"""make_gateway(**NmbrsGateway options) -> a gateway against the stand-in, closed after the test."""
