"""Writing the audit log: every support command, refusal and hand-off of credentials."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def audit(
    session: AsyncSession,
    *,
    platform: str,
    actor: str,
    action: str,
    team_id: str | None = None,
    link_id: int | None = None,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        platform=platform, actor=actor, action=action, team_id=team_id, link_id=link_id,
        result=result, detail=detail or {}, client_address=client_address,
    )
    session.add(entry)
    return entry
