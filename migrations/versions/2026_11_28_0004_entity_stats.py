"""Per-entity statistics and per-entity article and event lists, kept by the write paths.

``entity_articles``: one row per (entity, article) with the mention count and the article's
dates, so that an entity's articles can be read in date order (timeline, the newest articles
of ``related``) without reading every mention. ``entity_events``: one row per (entity, event)
with the event's start date, the same for the events of a timeline. ``entity_stats``: mention
and article counts and
the newest article's time per entity, with an index per list order, so that the entity page and
``GET /v1/entities`` read stored values instead of counting. Both are back-filled here from
``mentions`` with set-based SQL (the dates per dialect: ``AT TIME ZONE`` on PostgreSQL,
``date()`` on SQLite). Roles get a ``(person_id, id)`` index for the paged role list; it
replaces the ``person_id`` index it starts with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NEVER_SEEN of app.db.models.entities, as each dialect stores it.
_NEVER = {
    "postgresql": "TIMESTAMPTZ '1900-01-01 00:00:00+00'",
    "sqlite": "'1900-01-01 00:00:00.000000'",
}
_PUBLISHED_ON = {
    "postgresql": "CAST(a.published_at AT TIME ZONE 'UTC' AS DATE)",
    "sqlite": "date(a.published_at)",
}


def _backfill(dialect: str) -> list[str]:
    return [
        # Mentions are grouped on their (entity_id, article_id) index before the joins.
        "INSERT INTO entity_articles"
        " (entity_id, article_id, entity_type, mention_count, seen_at, published_on)"
        " SELECT m.entity_id, m.article_id, e.type, m.n,"
        f" COALESCE(a.published_at, a.created_at), {_PUBLISHED_ON[dialect]}"
        " FROM (SELECT entity_id, article_id, count(*) AS n FROM mentions"
        " GROUP BY entity_id, article_id) m"
        " JOIN articles a ON a.id = m.article_id JOIN entities e ON e.id = m.entity_id",
        "INSERT INTO entity_events (entity_id, event_id, date_start)"
        " SELECT DISTINCT p.entity_id, p.event_id, e.date_start"
        " FROM event_participants p JOIN events e ON e.id = p.event_id",
        # Every entity gets its row, mentioned or not (the list sorts read only this table).
        "INSERT INTO entity_stats (entity_id, type, mention_count, article_count, last_seen_at)"
        " SELECT e.id, e.type, COALESCE(s.mentions, 0), COALESCE(s.articles, 0),"
        f" COALESCE(s.last_seen, {_NEVER[dialect]})"
        " FROM entities e LEFT JOIN (SELECT entity_id, sum(mention_count) AS mentions,"
        " count(*) AS articles, max(seen_at) AS last_seen FROM entity_articles"
        " GROUP BY entity_id) s ON s.entity_id = e.id",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "entity_articles",
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_entity_articles_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_articles_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "article_id", name=op.f("pk_entity_articles")),
    )
    op.create_table(
        "entity_events",
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("date_start", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_events_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_entity_events_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "event_id", name=op.f("pk_entity_events")),
    )
    op.create_table(
        "entity_stats",
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_stats_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_entity_stats")),
    )
    if dialect == "postgresql":  # the grouping and the index builds of a large corpus
        op.execute("SET LOCAL work_mem = '256MB'")
        op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in _backfill(dialect):
        op.execute(statement)
    # Secondary indexes after the back-fill: one sorted build each, not row by row.
    op.create_index(
        "ix_entity_articles_article_id",
        "entity_articles",
        ["article_id", "entity_type", "entity_id"],
    )
    op.create_index(
        "ix_entity_articles_entity_id_seen_at",
        "entity_articles",
        ["entity_id", "seen_at", "article_id"],
    )
    op.create_index(
        "ix_entity_articles_entity_id_published_on",
        "entity_articles",
        ["entity_id", "published_on", "article_id"],
    )
    op.create_index(
        "ix_entity_events_entity_id_date_start",
        "entity_events",
        ["entity_id", "date_start", "event_id"],
    )
    op.create_index("ix_entity_events_event_id", "entity_events", ["event_id"])
    op.create_index(
        "ix_entity_stats_type_mention_count",
        "entity_stats",
        ["type", sa.text("mention_count DESC"), "entity_id"],
    )
    op.create_index(
        "ix_entity_stats_mention_count",
        "entity_stats",
        [sa.text("mention_count DESC"), "entity_id"],
    )
    op.create_index(
        "ix_entity_stats_type_last_seen_at",
        "entity_stats",
        ["type", sa.text("last_seen_at DESC"), "entity_id"],
    )
    op.create_index(
        "ix_entity_stats_last_seen_at",
        "entity_stats",
        [sa.text("last_seen_at DESC"), "entity_id"],
    )
    op.create_index("ix_roles_person_id_id", "roles", ["person_id", "id"])
    op.drop_index("ix_roles_person_id", table_name="roles")


def downgrade() -> None:
    op.create_index("ix_roles_person_id", "roles", ["person_id"])
    op.drop_index("ix_roles_person_id_id", table_name="roles")
    op.drop_table("entity_stats")  # its indexes go with it
    op.drop_table("entity_events")
    op.drop_table("entity_articles")
