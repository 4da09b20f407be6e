"""scrub secrets: mask token-shaped words already stored in link labels, audit details and alerts

Before issue 12 finding 8 a token pasted into `/nmbrs label` or `/nmbrs status` was kept in clear in
links.label, in audit_log.detail (the label, the previous label, the status query) and in the
queued alerts' payloads. This replaces every such word with [redacted]; nothing else changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REDACTED = "[redacted]"
MAX_LABEL = 200
BATCH = 500

# The rule of handlers.redact.holds_credential as it stood when this migration was written, copied
# on purpose: a migration must do the same thing whenever it runs, whatever the code becomes (and
# storage may not import handlers). tests/storage/test_scrub_secrets.py checks the two agree.
_PATTERNS = [
    re.compile(r"\bx(?:ox[abprse]|app)-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b[0-9a-f]{32}\b"),
    re.compile(r"(?i)\b(token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
]
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
_MIXED_RUN = re.compile(r"[A-Za-z0-9]{16,}")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\S+")
_EDGES = "\"'“”„‘’`.,;:!?()[]{}<>*_"


def _credential_like(word: str) -> bool:
    word = word.strip(_EDGES)
    if len(word) < 8 or not _TOKEN_CHARS.fullmatch(word) or "@" in word or "://" in word:
        return False
    if not (_DIGIT.search(word) and _LETTER.search(word)):
        return False
    return any(_DIGIT.search(run) and _LETTER.search(run) for run in _MIXED_RUN.findall(word))


def mask(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1[redacted]" if pattern.groups == 1 else REDACTED, text)
    return _WORD.sub(lambda m: REDACTED if _credential_like(m.group()) else m.group(), text)


def scrub(value: Any) -> Any:
    """A JSON value with every string in it masked (keys are ours, never typed by anyone)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    return value


def _batches(bind: sa.Connection, table: sa.TableClause, column: sa.ColumnClause[Any]):  # type: ignore[no-untyped-def]
    """(id, value) of every row with a value, in id order, a batch at a time (audit logs grow large)."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, column).where(table.c.id > last, column.is_not(None))
            .order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _scrub_json(bind: sa.Connection, name: str, column_name: str) -> None:
    table = sa.table(name, sa.column("id", sa.Integer), sa.column(column_name, sa.JSON))
    column = table.c[column_name]
    for rows in _batches(bind, table, column):
        for row_id, value in rows:
            cleaned = scrub(value)
            if cleaned != value:
                bind.execute(sa.update(table).where(table.c.id == row_id).values({column_name: cleaned}))


def upgrade() -> None:
    bind = op.get_bind()
    links = sa.table("links", sa.column("id", sa.Integer), sa.column("label", sa.String))
    for rows in _batches(bind, links, links.c.label):
        for row_id, label in rows:
            cleaned = mask(label)
            if cleaned != label:
                bind.execute(sa.update(links).where(links.c.id == row_id).values(label=cleaned[:MAX_LABEL]))
    _scrub_json(bind, "audit_log", "detail")
    _scrub_json(bind, "alerts", "payload")


def downgrade() -> None:
    # What was masked is gone on purpose; the schema did not change.
    pass
