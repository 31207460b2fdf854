"""Near-duplicates and versions: article signatures, LSH band keys, copy links, earlier texts.

``article_signatures`` and ``article_bands`` are back-filled from the stored bodies (in
batches, with ``app.kb.duplicates``), so that articles ingested from now on are compared with
those already stored; stored articles are not linked to each other.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.kb import duplicates

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_signatures_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_signatures")),
    )
    op.create_table(
        "article_bands",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "article_id", name=op.f("pk_article_bands")),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"], unique=False)
    op.create_table(
        "article_duplicates",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_duplicates_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["articles.id"],
            name=op.f("fk_article_duplicates_original_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_duplicates")),
    )
    op.create_index(
        op.f("ix_article_duplicates_original_id"),
        "article_duplicates",
        ["original_id"],
        unique=False,
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("teaser", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.String(length=32), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint(
            "article_id", "number", name=op.f("uq_article_versions_article_id_number")
        ),
    )
    _backfill()


def _backfill() -> None:
    """Fingerprint every stored article, ``BATCH`` at a time (bodies are read in id order)."""
    bind = op.get_bind()
    signatures = sa.table(
        "article_signatures", sa.column("article_id"), sa.column("signature", sa.LargeBinary)
    )
    bands = sa.table("article_bands", sa.column("key"), sa.column("article_id"))
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, body FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        found = [(id_, duplicates.fingerprint(body)) for id_, body in rows]
        prints = [(id_, f) for id_, f in found if f is not None]
        if prints:
            bind.execute(
                signatures.insert(),
                [{"article_id": id_, "signature": f.signature} for id_, f in prints],
            )
            bind.execute(
                bands.insert(),
                [{"key": key, "article_id": id_} for id_, f in prints for key in f.band_keys],
            )


def downgrade() -> None:
    op.drop_table("article_versions")
    op.drop_index(op.f("ix_article_duplicates_original_id"), table_name="article_duplicates")
    op.drop_table("article_duplicates")
    op.drop_index("ix_article_bands_article_id", table_name="article_bands")
    op.drop_table("article_bands")
    op.drop_table("article_signatures")
