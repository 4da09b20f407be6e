"""Re-encrypting every stored token under the first key, in committed batches, resumable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqlalchemy import or_

from storage.cipher import Sealed, TokenCipher, pending_row, revocation_row
from storage.connect import reseal_verifiers
from storage.links import open_token, seal_onto
from storage.models import Link, PendingConversation, PendingIntake, PendingRevocation
from storage.pending_intakes import reseal
from storage.rest_links import open_access, open_refresh, seal_access, seal_refresh

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    links: int = 0
    pending: int = 0
    revocations: int = 0
    intakes: int = 0
    """Pending intakes (acknowledged, not yet answered) re-encrypted."""
    states: int = 0
    """PKCE verifiers of consents in progress re-encrypted."""

    @property
    def changed(self) -> int:
        return self.links + self.pending + self.revocations + self.intakes + self.states


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher, *, batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> RotationReport:
    """Re-seal rows not yet under the primary key. Each batch commits on its own, so an
    interrupted run keeps its progress and a second run picks up only what is left.
    A row that fails to open stops the run before anything of its batch is written.
    `progress(done, total)` hears the count after each committed batch (and 0 at the start)."""
    report = RotationReport()
    primary = cipher.primary_key_id
    last_id = 0
    total = 0
    if progress is not None:
        async with sessions() as session:
            total = await _count_to_rotate(session, primary)
        progress(0, total)
    while True:
        async with sessions() as session, session.begin():
            links = (
                await session.scalars(
                    select(Link)
                    .where(or_(Link.token_ciphertext.is_not(None) & (Link.token_key_id != primary),
                               Link.access_ciphertext.is_not(None) & (Link.access_key_id != primary)),
                           Link.id > last_id)
                    .order_by(Link.id)
                    .limit(batch_size)
                    .with_for_update()
                )
            ).all()
            if not links:
                break
            for link in links:
                if not link.is_rest:
                    seal_onto(link, open_token(link, cipher), cipher)
                    continue
                # REST: the refresh and access tokens, each under its own purpose.
                if link.token_ciphertext is not None:
                    seal_refresh(link, open_refresh(link, cipher), cipher)
                access = open_access(link, cipher)
                if access is not None and link.access_expires_at is not None:
                    seal_access(link, access, link.access_expires_at, cipher)
            last_id = links[-1].id
            report.links += len(links)
        log.info("key rotation: %d links re-encrypted so far", report.links)
        if progress is not None:
            progress(report.changed, total := max(total, report.changed))
    async with sessions() as session, session.begin():
        pendings = (
            await session.scalars(
                select(PendingConversation).where(
                    PendingConversation.token_ciphertext.is_not(None),
                    PendingConversation.token_key_id != primary,
                )
            )
        ).all()
        for pending in pendings:
            row = pending_row(pending.id)
            plain = cipher.open(Sealed(pending.token_key_id or "", pending.token_ciphertext or b""), row=row)
            sealed = cipher.seal(plain, row=row)
            pending.token_ciphertext, pending.token_key_id = sealed.ciphertext, sealed.key_id
            report.pending += 1
        intakes = (
            await session.scalars(select(PendingIntake).where(PendingIntake.token_key_id != primary))
        ).all()
        for intake in intakes:
            reseal(intake, cipher)
            report.intakes += 1
        report.states = await reseal_verifiers(session, cipher)
    async with sessions() as session, session.begin():
        queued = (await session.scalars(
            select(PendingRevocation).where(PendingRevocation.token_key_id != primary).with_for_update()
        )).all()
        for entry in queued:
            row = revocation_row(entry.id)
            sealed = cipher.seal(cipher.open(Sealed(entry.token_key_id, entry.token_ciphertext), row=row), row=row)
            entry.token_ciphertext, entry.token_key_id = sealed.ciphertext, sealed.key_id
            report.revocations += 1
    if progress is not None:
        progress(report.changed, max(total, report.changed))
    return report


async def _count_to_rotate(session: AsyncSession, primary: str) -> int:
    """Links and pending conversations whose token is sealed under another key than `primary`."""
    links = await session.scalar(select(func.count()).select_from(Link).where(
        Link.token_ciphertext.is_not(None), Link.token_key_id != primary))
    pendings = await session.scalar(select(func.count()).select_from(PendingConversation).where(
        PendingConversation.token_ciphertext.is_not(None), PendingConversation.token_key_id != primary))
    return (links or 0) + (pendings or 0)
