"""Stored entity answers: each entity's JSON answer around its counts (``app.kb.answers``).

Created empty: until an entity's answer is stored (by its next write, or by
``newskb answers``), ``GET /v1/entities/{id}`` builds it as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_answers",
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("head", sa.LargeBinary(), nullable=False),
        sa.Column("tail", sa.LargeBinary(), nullable=False),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_answers_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_entity_answers")),
    )
    op.create_table(
        "entity_answer_shows",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entity_answers.entity_id"],
            name=op.f("fk_entity_answer_shows_entity_id_entity_answers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "object_id", "entity_id", name=op.f("pk_entity_answer_shows")),
    )
    op.create_index(
        "ix_entity_answer_shows_entity_id", "entity_answer_shows", ["entity_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_entity_answer_shows_entity_id", table_name="entity_answer_shows")
    op.drop_table("entity_answer_shows")
    op.drop_table("entity_answers")
