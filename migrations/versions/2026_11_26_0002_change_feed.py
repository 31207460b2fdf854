"""Change feed: the ``changes`` table, back-filled with what is already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_at"), ["at"], unique=False)
        batch_op.create_index("ix_changes_kind_object_id", ["kind", "object_id"], unique=False)
    # Existing rows enter the feed as created (or merged), oldest first.
    op.execute(
        "INSERT INTO changes (kind, object_id, action, merged_into_id, at) "
        "SELECT 'article', id, 'created', NULL, created_at FROM articles ORDER BY id"
    )
    op.execute(
        "INSERT INTO changes (kind, object_id, action, merged_into_id, at) "
        "SELECT 'entity', id, CASE WHEN merged_into_id IS NULL THEN 'created' ELSE 'merged' END, "
        "merged_into_id, created_at FROM entities ORDER BY id"
    )


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_kind_object_id")
        batch_op.drop_index(batch_op.f("ix_changes_at"))
    op.drop_table("changes")
