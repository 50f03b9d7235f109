"""The office console (issue 16): knowledge drafts, an editor's changed files until they are published.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_drafts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=True),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("published_revision", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_drafts")),
    )
    op.create_index(op.f("ix_knowledge_drafts_status"), "knowledge_drafts", ["status"])
    op.create_index(op.f("ix_knowledge_drafts_created_by"), "knowledge_drafts", ["created_by"])


def downgrade() -> None:
    op.drop_table("knowledge_drafts")
