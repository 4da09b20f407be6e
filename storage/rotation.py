"""Re-encrypting every stored token under the first key, in committed batches, resumable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.cipher import Sealed, TokenCipher, pending_row
from storage.links import open_token, seal_onto
from storage.models import Link, PendingConversation, PendingIntake
from storage.pending_intakes import reseal

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    links: int = 0
    pending: int = 0
    intakes: int = 0
    """Pending intakes (acknowledged, not yet answered) re-encrypted."""

    @property
    def changed(self) -> int:
        return self.links + self.pending + self.intakes


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher, *, batch_size: int = 500
) -> RotationReport:
    """Re-seal rows not yet under the primary key. Each batch commits on its own, so an
    interrupted run keeps its progress and a second run picks up only what is left.
    A row that fails to open stops the run before anything of its batch is written."""
    report = RotationReport()
    primary = cipher.primary_key_id
    last_id = 0
    while True:
        async with sessions() as session, session.begin():
            links = (
                await session.scalars(
                    select(Link)
                    .where(Link.token_ciphertext.is_not(None), Link.token_key_id != primary, Link.id > last_id)
                    .order_by(Link.id)
                    .limit(batch_size)
                    .with_for_update()
                )
            ).all()
            if not links:
                break
            for link in links:
                seal_onto(link, open_token(link, cipher), cipher)
            last_id = links[-1].id
            report.links += len(links)
        log.info("key rotation: %d links re-encrypted so far", report.links)
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
    return report
