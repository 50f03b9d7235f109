"""The call-back promise (issue 14, item 6): a lead keeps the day and part of the day the citizen asked to be
called (`call_on`, `call_part`: am, pm, eve, any, h17) besides the text both sides read (`call_time`), and
the place a citizen outside the areas served typed (`place_typed`: "Nơi khác" no longer hides it).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("call_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("call_part", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("place_typed", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("place_typed")
        batch.drop_column("call_part")
        batch.drop_column("call_on")
