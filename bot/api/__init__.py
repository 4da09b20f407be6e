"""The hand-off API under /api/v1: link metadata and, for holders of an API key, credentials."""

from bot.api.app import PREFIX, api_mount, build_api

__all__ = ["PREFIX", "api_mount", "build_api"]
