"""Ingest jobs record a new version: the number of the text a job stored at a known URL.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_jobs") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
    # Retention deletes finished jobs by age: the index the prune walks.
    op.create_index("ix_ingest_jobs_state_finished_at", "ingest_jobs", ["state", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_ingest_jobs_state_finished_at", table_name="ingest_jobs")
    with op.batch_alter_table("ingest_jobs") as batch:
        batch.drop_column("version")
