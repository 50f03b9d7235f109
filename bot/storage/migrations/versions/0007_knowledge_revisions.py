"""Knowledge as published revisions (issue 15): the knowledge folder's files per revision, their texts stored
once by digest, who published each revision and why.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_blobs",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_knowledge_blobs")),
    )
    op.create_table(
        "knowledge_revisions",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("drafted_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("check_summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_knowledge_revisions")),
    )
    op.create_table(
        "knowledge_revision_files",
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob"],
            ["knowledge_blobs.digest"],
            name=op.f("fk_knowledge_revision_files_blob_knowledge_blobs"),
        ),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["knowledge_revisions.number"],
            name=op.f("fk_knowledge_revision_files_revision_knowledge_revisions"),
        ),
        sa.PrimaryKeyConstraint("revision", "path", name=op.f("pk_knowledge_revision_files")),
    )


def downgrade() -> None:
    op.drop_table("knowledge_revision_files")
    op.drop_table("knowledge_revisions")
    op.drop_table("knowledge_blobs")
