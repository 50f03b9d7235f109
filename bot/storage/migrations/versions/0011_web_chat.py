"""The web chat of the office's website (issue 17): the replies given per browser message, and the messages
waiting for a browser's event stream.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_chat_replies",
        sa.Column("session", sa.String(length=80), nullable=False),
        sa.Column("client_msg_id", sa.String(length=64), nullable=False),
        sa.Column("said", sa.Text(), nullable=False),
        sa.Column("replies", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session", "client_msg_id", name=op.f("pk_web_chat_replies")),
    )
    op.create_index(op.f("ix_web_chat_replies_created_at"), "web_chat_replies", ["created_at"])
    op.create_table(
        "web_chat_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=80), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_chat_outbox")),
    )
    op.create_index(op.f("ix_web_chat_outbox_session"), "web_chat_outbox", ["session"])
    op.create_index(op.f("ix_web_chat_outbox_created_at"), "web_chat_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_table("web_chat_outbox")
    op.drop_table("web_chat_replies")
