"""Articles keep the place of their dateline ("LOS ANGELES (Reuters) -" → "LOS ANGELES").

The parser removes the dateline from the body; existing rows have none until re-extracted.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("dateline", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite it would copy "articles" and drop the old table, which deletes
    # every row that references it (ON DELETE CASCADE). SQLite drops a column since 3.35.
    op.drop_column("articles", "dateline")
