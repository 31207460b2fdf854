"""Events keep their trigger word; event evidence marks an article's main event.

``events.trigger`` is the lemma of the word that reported the event ("win", "theft"): what an
``other`` event is. ``event_evidence.main`` is true on the spans of an article that reports
the event as its main event (what its headline or lead report); events are shared between
articles, so the mark belongs to the article's evidence.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trigger", sa.String(length=64), nullable=True))
    with op.batch_alter_table("event_evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("main", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    # Not batch mode: on SQLite it copies the table and drops the old one, which deletes every
    # row that references it (ON DELETE CASCADE). SQLite drops a column since 3.35.
    op.drop_column("event_evidence", "main")
    op.drop_column("events", "trigger")
