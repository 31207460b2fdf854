"""Stored article answers: each article's JSON answer and what it shows (``app.kb.answers``).

Created empty: until an article's answer is stored (by its next write, or by
``newskb answers``), ``GET /v1/articles/{id}`` builds it as before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_answers",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_answers_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_answers")),
    )
    op.create_table(
        "article_answer_shows",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article_answers.article_id"],
            name=op.f("fk_article_answer_shows_article_id_article_answers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "kind", "object_id", "article_id", name=op.f("pk_article_answer_shows")
        ),
    )
    op.create_index(
        "ix_article_answer_shows_article_id", "article_answer_shows", ["article_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_article_answer_shows_article_id", table_name="article_answer_shows")
    op.drop_table("article_answer_shows")
    op.drop_table("article_answers")
