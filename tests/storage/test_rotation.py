"""Key rotation: thousands of links, batches committed as it goes, interrupted and resumed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from storage.cipher import TokenCipher, generate_key_line, link_row, parse_keys
from storage.links import open_token
from storage.models import Link, utcnow
from storage.rotation import rotate_keys

N = 3000


def _token(i: int) -> str:
    return f"{i:032x}"


async def _fill(sessions, cipher: TokenCipher, n: int = N) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    rows = []
    for i in range(1, n + 1):
        sealed = cipher.seal(_token(i), row=link_row(i))
        rows.append(dict(
            id=i, username=f"u{i}@x.nl", environment=f"e{i}", token_ciphertext=sealed.ciphertext,
            token_key_id=sealed.key_id, token_last4=_token(i)[-4:], state="active", debtors=[], companies=[],
            platform="slack", failed_checks=0, created_at=now, updated_at=now, state_changed_at=now,
        ))
    async with sessions() as session, session.begin():
        await session.execute(insert(Link), rows)


async def _count_by_key(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.execute(select(Link.token_key_id, func.count()).group_by(Link.token_key_id))
        return dict(rows.all())


class _FailingAfter(TokenCipher):
    """A cipher that dies after sealing `limit` tokens, like a process killed mid-rotation."""

    def __init__(self, keys: dict[str, bytes], limit: int) -> None:
        super().__init__(keys)
        self.left = limit

    def seal(self, plaintext: str, *, row: str):  # type: ignore[no-untyped-def]
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        return super().seal(plaintext, row=row)


async def test_rotation_reencrypts_everything_and_old_key_can_go(sessions) -> None:  # type: ignore[no-untyped-def]
    old, new = generate_key_line("old"), generate_key_line("new")
    await _fill(sessions, TokenCipher(parse_keys(old)))
    both = TokenCipher(parse_keys(f"{new},{old}"))
    report = await rotate_keys(sessions, both, batch_size=700)
    assert report.links == N
    assert await _count_by_key(sessions) == {"new": N}
    again = await rotate_keys(sessions, both, batch_size=700)
    assert again.changed == 0
    only_new = TokenCipher(parse_keys(new))
    async with sessions() as session:
        links = (await session.scalars(select(Link).where(Link.id.in_([1, 1500, N])))).all()
        assert [open_token(link, only_new) for link in links] == [_token(1), _token(1500), _token(N)]


async def test_interrupted_rotation_keeps_progress_and_resumes(sessions) -> None:  # type: ignore[no-untyped-def]
    old, new = generate_key_line("old"), generate_key_line("new")
    await _fill(sessions, TokenCipher(parse_keys(old)))
    keys = parse_keys(f"{new},{old}")
    with pytest.raises(KeyboardInterrupt):
        await rotate_keys(sessions, _FailingAfter(keys, limit=1250), batch_size=500)
    # Two full batches were committed; the third died before its commit and wrote nothing.
    assert await _count_by_key(sessions) == {"new": 1000, "old": N - 1000}
    report = await rotate_keys(sessions, TokenCipher(keys), batch_size=500)
    assert report.links == N - 1000
    assert await _count_by_key(sessions) == {"new": N}
    only_new = TokenCipher(parse_keys(new))
    async with sessions() as session:
        for link in (await session.scalars(select(Link).where(Link.id % 250 == 0))).all():
            assert open_token(link, only_new) == _token(link.id)


async def test_rotation_stops_on_a_row_it_cannot_open(sessions) -> None:  # type: ignore[no-untyped-def]
    from storage.cipher import DecryptionError

    stranger = TokenCipher(parse_keys(generate_key_line("lost")))
    await _fill(sessions, stranger, n=10)
    with pytest.raises(DecryptionError, match="link L1 was encrypted with key lost, which is not in TOKENDESK_KEYS"):
        await rotate_keys(sessions, TokenCipher(parse_keys(generate_key_line("new"))))
    assert await _count_by_key(sessions) == {"lost": 10}


async def test_rotation_reseals_pending_intakes(sessions) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 finding 3: an intake acknowledged and not yet answered holds a sealed token too."""
    from storage import pending_intakes
    from storage.cipher import DecryptionError
    from storage.models import PendingIntake

    old, new = generate_key_line("old"), generate_key_line("new")
    async with sessions() as session, session.begin():
        for i in range(3):
            await pending_intakes.add(session, TokenCipher(parse_keys(old)), source="dm", now=utcnow(),
                                      target=pending_intakes.Target("slack", "T", f"U{i}", "D"),
                                      username=f"u{i}@x.nl", token=_token(i))
    report = await rotate_keys(sessions, TokenCipher(parse_keys(f"{new},{old}")))
    assert report.intakes == 3 and report.changed == 3
    only_new = TokenCipher(parse_keys(new))
    async with sessions() as session:
        intakes = (await session.scalars(select(PendingIntake).order_by(PendingIntake.id))).all()
        assert [row.token_key_id for row in intakes] == ["new"] * 3
        assert [pending_intakes.open_token(row, only_new) for row in intakes] == [_token(i) for i in range(3)]
        # Bound to its row: another row's ciphertext does not open here.
        intakes[0].token_ciphertext = intakes[1].token_ciphertext
        with pytest.raises(DecryptionError, match="copied from another row"):
            pending_intakes.open_token(intakes[0], only_new)
    assert (await rotate_keys(sessions, TokenCipher(parse_keys(f"{new},{old}")))).changed == 0
