"""Watches: saved searches, the articles that matched them, and their webhook deliveries.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("q", sa.Text(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
    )
    op.create_table(
        "watch_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_watch_matches_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["watches.id"],
            name=op.f("fk_watch_matches_watch_id_watches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_matches")),
        sa.UniqueConstraint(
            "watch_id", "article_id", name=op.f("uq_watch_matches_watch_id_article_id")
        ),
    )
    op.create_index(
        op.f("ix_watch_matches_article_id"), "watch_matches", ["article_id"], unique=False
    )
    op.create_index(
        "ix_watch_matches_watch_id_id", "watch_matches", ["watch_id", "id"], unique=False
    )
    op.create_table(
        "watch_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["watch_matches.id"],
            name=op.f("fk_watch_deliveries_match_id_watch_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["watches.id"],
            name=op.f("fk_watch_deliveries_watch_id_watches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_deliveries")),
    )
    op.create_index(
        op.f("ix_watch_deliveries_match_id"), "watch_deliveries", ["match_id"], unique=False
    )
    op.create_index(
        "ix_watch_deliveries_status_next_attempt_at",
        "watch_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_watch_deliveries_watch_id_id", "watch_deliveries", ["watch_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_watch_deliveries_watch_id_id", table_name="watch_deliveries")
    op.drop_index("ix_watch_deliveries_status_next_attempt_at", table_name="watch_deliveries")
    op.drop_index(op.f("ix_watch_deliveries_match_id"), table_name="watch_deliveries")
    op.drop_table("watch_deliveries")
    op.drop_index("ix_watch_matches_watch_id_id", table_name="watch_matches")
    op.drop_index(op.f("ix_watch_matches_article_id"), table_name="watch_matches")
    op.drop_table("watch_matches")
    op.drop_table("watches")
