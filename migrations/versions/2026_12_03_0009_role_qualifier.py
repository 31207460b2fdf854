"""Roles keep their qualifier ("former", "then", "acting", ...) apart from the title.

Roles stored before have none (null): their title never held it either.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualifier", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("roles", "qualifier")  # not batch mode: see 0007
