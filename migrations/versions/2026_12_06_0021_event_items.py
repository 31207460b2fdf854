"""Stored event items: each event's JSON as lists show it (``app.kb.event_items``).

Created empty: until an event's item is stored (by its next write, or by ``newskb
answers``), ``/v1/events`` and timelines build it as before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_items",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        # No foreign key to events: ``app.db.models.answers.EventItem`` says why.
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_items")),
    )
    op.create_table(
        "event_item_shows",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event_items.event_id"],
            name=op.f("fk_event_item_shows_event_id_event_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "object_id", "event_id", name=op.f("pk_event_item_shows")),
    )
    op.create_index("ix_event_item_shows_event_id", "event_item_shows", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_item_shows_event_id", table_name="event_item_shows")
    op.drop_table("event_item_shows")
    op.drop_table("event_items")
