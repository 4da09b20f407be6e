"""What a Teams configuration still lacks, checked by `tokendesk serve` before it starts (no SDK import)."""

from __future__ import annotations

from bot.config import Settings


def teams_problems(settings: Settings) -> list[str]:
    """One line per missing or malformed TEAMS_* variable; empty when Teams is off or complete."""
    given = {
        "TEAMS_CLIENT_ID": settings.teams_client_id,
        "TEAMS_CLIENT_SECRET": settings.teams_client_secret,
        "TEAMS_TENANT_ID": settings.teams_tenant_id,
    }
    if not any(given.values()) and not settings.teams_support_channel:
        return []
    problems = [f"{name}: required when Teams is configured" for name, value in given.items() if not value]
    channel = settings.teams_support_channel
    if not channel:
        problems.append("TOKENDESK_TEAMS_SUPPORT_CHANNEL: required for Teams (a channel id like 19:…@thread.tacv2)")
    elif not channel.startswith("19:"):
        problems.append("TOKENDESK_TEAMS_SUPPORT_CHANNEL: expected a channel id like 19:…@thread.tacv2, not a name")
    return problems
