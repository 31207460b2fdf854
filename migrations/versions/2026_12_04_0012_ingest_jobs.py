"""Ingest jobs: the state and outcome of each document handed to the queue.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=True),
        sa.Column("problem", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_ingest_jobs_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_jobs")),
    )
    op.create_index("ix_ingest_jobs_state_id", "ingest_jobs", ["state", "id"], unique=False)
    op.create_index(op.f("ix_ingest_jobs_article_id"), "ingest_jobs", ["article_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ingest_jobs_article_id"), table_name="ingest_jobs")
    op.drop_index("ix_ingest_jobs_state_id", table_name="ingest_jobs")
    op.drop_table("ingest_jobs")
