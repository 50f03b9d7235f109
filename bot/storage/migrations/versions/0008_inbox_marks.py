"""The unanswered-questions inbox (issue 15): clusters staff marked done or ignored, one row per question
signature, kept as its SHA-256 (never the text).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_marks",
        sa.Column("signature_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("marked_by", sa.String(length=200), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cluster_key", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("signature_digest", name=op.f("pk_inbox_marks")),
    )


def downgrade() -> None:
    op.drop_table("inbox_marks")
