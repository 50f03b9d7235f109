"""Personal data outside consent (issue 12, item 2): each interaction keeps a keyed hash of its chat, so
/xoadulieu can delete a chat's questions without the log holding a chat id; the key is a random value made
once per installation and kept in `install_keys`. Indexes serve the retention sweeps: idle chat sessions,
sent outbox rows.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "install_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_install_keys")),
    )
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("chat_digest", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_interactions_chat_digest"), ["chat_digest"], unique=False)
    op.create_index(op.f("ix_chat_sessions_updated_at"), "chat_sessions", ["updated_at"], unique=False)
    op.create_index(op.f("ix_outbox_sent_at"), "outbox", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_sent_at"), table_name="outbox")
    op.drop_index(op.f("ix_chat_sessions_updated_at"), table_name="chat_sessions")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_index(batch.f("ix_interactions_chat_digest"))
        batch.drop_column("chat_digest")
    op.drop_table("install_keys")
