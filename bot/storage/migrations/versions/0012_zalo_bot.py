"""The Zalo Bot Platform channel (issue 17): the numbered choices last shown per chat, and the messages sent per
month.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_bot_choices",
        sa.Column("chat", sa.String(length=80), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_zalo_bot_choices")),
    )
    op.create_index(op.f("ix_zalo_bot_choices_updated_at"), "zalo_bot_choices", ["updated_at"])
    op.create_table(
        "zalo_bot_sends",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_zalo_bot_sends")),
    )


def downgrade() -> None:
    op.drop_table("zalo_bot_sends")
    op.drop_table("zalo_bot_choices")
