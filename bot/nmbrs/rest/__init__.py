"""The Nmbrs REST gateway: Authlib's httpx client for the identity server, plain httpx for the API."""

from bot.nmbrs.rest.gateway import RestGateway

__all__ = ["RestGateway"]
