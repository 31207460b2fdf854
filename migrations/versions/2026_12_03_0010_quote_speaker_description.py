"""Quotes keep an unnamed speaker's description ("a spokesperson", "one GOP operative").

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speaker_description", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("quotes", "speaker_description")  # not batch mode: see 0007
