"""Citizens' replies go through the outbox (issue 12, item 5): `claimed_by` names the process whose handler
sends a reply right after its commit, and two partial indexes over the rows not yet sent serve the worker's
claims and a chat's order.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "sent_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
    for name, first in (("ix_outbox_due", "next_attempt_at"), ("ix_outbox_chat_pending", "chat_id")):
        op.create_index(
            name,
            "outbox",
            [first, "id"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_pending", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
