"""Scale corpora for PostgreSQL: real extraction results, replicated with set-based SQL.

1. ``newskb_scale_base``: the seed and the 2,225 BBC articles through the real bulk ingest
   (``app.kb.bulk.ingest_documents``: spaCy and every extractor), built once and cached.
2. ``newskb_scale_<n>``: a copy of the base (``CREATE DATABASE … TEMPLATE``) migrated to head,
   in which the undated BBC articles get a day in 2004-2005, then ``INSERT … SELECT`` adds copies
   ``c = 1, 2, …`` of every article and every fact read from it until there are ``n`` articles.
   Copy ``c`` gets fresh ids (``id + c × max(id)`` per table), dates shifted by ``c × 73`` days,
   its own source ("Scale source c"), url and content hash. Entities are shared across copies,
   as real outlets name the same people and countries, except that in each copy a fixed fraction
   (10 %, by a hash of entity id and copy; countries never) is replaced by a new entity of the
   same name, so the entity table grows too and entity pages grow less than linearly.
   Events reported by a copied article are copied with it (shifted dates, mapped participants).
   The rows the write paths derive (``entity_articles``, ``entity_events``, ``entity_stats``:
   see ``app.kb.entity_stats``) are then derived again, set-based, from every mention and
   participation, as the migration that introduced them back-fills them.
   The plain (non-constraint) indexes of these tables are dropped before the copies and
   built again after them, as ``pg_restore`` does: grown row by row, the GIN and B-tree indexes
   of a million articles outgrow memory and each row costs more than the one before.
3. ``VACUUM ANALYZE``, so plans and index-only scans see real statistics.

Each scale database is built under a temporary name and renamed when complete, so an
interrupted build is never reused.
"""

# ruff: noqa: E501
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL

from app.corpora import iter_bbc
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.models.entities import NEVER_SEEN
from app.extract.nlp import DEFAULT_MODELS
from app.kb.bulk import Document, ingest_documents
from app.settings import Settings

BASE = "newskb_scale_base"
SHIFT_DAYS = 73
NEW_ENTITY_PERCENT = 10
NEVER_FORKED = ("country",)


def url_of(server: URL, name: str) -> str:
    return server.set(database=name).render_as_string(hide_password=False)


def _admin(server: URL, statement: str, **params: object) -> list[tuple[object, ...]]:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            result = connection.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        admin.dispose()


def database_exists(server: URL, name: str) -> bool:
    return bool(_admin(server, "SELECT 1 FROM pg_database WHERE datname = :n", n=name))


def database_size(server: URL, name: str) -> int:
    return int(str(_admin(server, "SELECT pg_database_size(:n)", n=name)[0][0]))


def base_documents(corpus: Path, seed_dir: Path) -> list[Document]:
    documents = [
        Document(name=str(p), text=p.read_text(encoding="utf-8"))
        for p in sorted(seed_dir.glob("*.txt"))
    ]
    documents += [
        Document(name=d.path, text=d.text, title=d.title, source="BBC")
        for d in iter_bbc(corpus / "bbc")
    ]
    return documents


def build_base(server: URL, corpus: Path, *, log: Callable[[str], None] = print) -> float:
    """Ingest the real articles through the real bulk path once; seconds spent (0 if cached)."""
    if database_exists(server, BASE):
        engine = make_engine(url_of(server, BASE))
        with engine.begin() as connection:
            _bbc_sections(connection, corpus)
        engine.dispose()
        return 0.0
    building = BASE + "_building"
    _admin(server, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{building}"')
    engine = make_engine(url_of(server, building))
    started = time.perf_counter()
    try:
        migrate.upgrade(engine)
        documents = base_documents(corpus, Settings().seed_dir)
        done = 0

        def progress(name: str, outcome: str) -> None:
            nonlocal done
            done += 1
            if done % 250 == 0:
                log(f"  base: {done}/{len(documents)} ({time.perf_counter() - started:.0f} s)")

        report = ingest_documents(
            make_sessionmaker(engine),
            documents,
            model_names=DEFAULT_MODELS,
            n_process=2,
            on_done=progress,
        )
        log(f"  base: {len(report.created)} created, {len(report.failed)} failed")
        with engine.begin() as connection:
            _bbc_sections(connection, corpus)
    finally:
        engine.dispose()
    _admin(server, f'ALTER DATABASE "{building}" RENAME TO "{BASE}"')
    return time.perf_counter() - started


def _bbc_sections(connection: Connection, corpus: Path) -> None:
    """The BBC topic folder is the article's section (bulk ingest takes no section)."""
    topics = {d.text: Path(d.path).parent.name.title() for d in iter_bbc(corpus / "bbc")}
    rows = connection.execute(text("SELECT id, raw_text FROM articles WHERE section IS NULL"))
    updates = [{"id": i, "s": topics[raw]} for i, raw in rows if raw in topics]
    if updates:
        connection.execute(text("UPDATE articles SET section = :s WHERE id = :id"), updates)


def build_scaled(server: URL, size: int, *, log: Callable[[str], None] = print) -> float:
    """``newskb_scale_<size>`` from the base; seconds spent (0 if it already exists)."""
    name = scaled_name(size)
    if database_exists(server, name):
        _upgrade(url_of(server, name))  # a reused database gets the indexes of newer migrations
        return 0.0
    building = name + "_building"
    started = time.perf_counter()
    _admin(server, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{building}" TEMPLATE "{BASE}"')
    engine = make_engine(url_of(server, building))
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            replicate(connection, size, log=log)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    _admin(server, f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return time.perf_counter() - started


def _upgrade(url: str) -> None:
    # A migration that builds an index on a million articles sorts in memory, not on disk.
    options = f"-c maintenance_work_mem={INDEX_BUILD_MEMORY}"
    engine = create_engine(url, connect_args={"options": options})
    try:
        if migrate.current_revision(engine) != migrate.head_revision():
            migrate.upgrade(engine)
            # VACUUM too: tables a migration fills have no visibility map yet, and index-only
            # scans of them would visit the heap for every row until autovacuum comes by.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def scaled_name(size: int) -> str:
    return f"newskb_scale_{size // 1000}k" if size % 1000 == 0 else f"newskb_scale_{size}"


TABLES = (
    "sources",
    "articles",
    "entities",
    "entity_aliases",
    "mentions",
    "roles",
    "timexes",
    "events",
    "event_participants",
    "event_evidence",
    "amounts",
    "quotes",
    "changes",
)
_SPAN = '"start", "end", zone, zone_index, sentence, confidence, extractor_version'
_SHIFT = f"make_interval(days => s.c * {SHIFT_DAYS})"


def _entity(column: str, fork: str) -> str:
    """The entity a copied row points to: the copy's new entity if forked, else the shared one."""
    return f"COALESCE({fork}.new_id, {column})"


def _statements(size: int, base: int) -> list[str]:
    copies = -(-(size - base) // base)
    return [
        # Undated articles (BBC) get a deterministic day and time in 2004-2005.
        "UPDATE articles SET published_at = timestamptz '2004-01-01 00:00:00+00'"
        " + make_interval(days => abs(hashtext(id::text)) % 730,"
        " secs => abs(hashtext(id::text || 't')) % 86400) WHERE published_at IS NULL",
        "CREATE TEMP TABLE m AS SELECT "
        + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t}) AS {t}" for t in TABLES),
        f"CREATE TEMP TABLE s AS SELECT c, a.id AS old_id, a.id + c * (SELECT articles FROM m) AS new_id"
        f" FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM articles) a"
        f" CROSS JOIN generate_series(1, {copies}) AS c WHERE (c - 1) * {base} + a.r <= {size - base}",
        "CREATE UNIQUE INDEX ON s (old_id, c)",
        # Forked entities: per copy, a new entity of the same name replaces a shared one.
        f"CREATE TEMP TABLE f AS SELECT e.id AS entity_id, c, e.id + c * (SELECT entities FROM m) AS new_id"
        f" FROM entities e CROSS JOIN generate_series(1, {copies}) AS c"
        f" WHERE e.merged_into_id IS NULL AND e.type NOT IN ({', '.join(repr(t) for t in NEVER_FORKED)})"
        f" AND abs(hashtext(e.id::text || ':' || c)) % 100 < {NEW_ENTITY_PERCENT}",
        "CREATE UNIQUE INDEX ON f (entity_id, c)",
        f"INSERT INTO sources (id, name, domain, created_at, updated_at)"
        f" SELECT (SELECT sources FROM m) + c, 'Scale source ' || c, 'scale-' || c || '.example', now(), now()"
        f" FROM generate_series(1, {copies}) AS c",
        "INSERT INTO entities (id, type, name, normalized_name, resolution_key, description,"
        " wikidata_id, country_code, stands_for_id, merged_into_id, curated, created_at, updated_at)"
        " SELECT f.new_id, e.type, e.name, e.normalized_name, e.resolution_key || '#' || f.c,"
        " e.description, NULL, e.country_code, e.stands_for_id, NULL, false, now(), now()"
        " FROM f JOIN entities e ON e.id = f.entity_id",
        "INSERT INTO entity_aliases (id, entity_id, alias, normalized)"
        " SELECT a.id + f.c * (SELECT entity_aliases FROM m), f.new_id, a.alias, a.normalized"
        " FROM f JOIN entity_aliases a ON a.entity_id = f.entity_id",
        "INSERT INTO articles (id, source_id, url, content_hash, title, teaser, section, tags,"
        " authors, agencies, images, subheads, subhead_spans, published_at, language, body,"
        " raw_text, word_count, extractor_version, created_at, updated_at)"
        " SELECT s.new_id, (SELECT sources FROM m) + s.c,"
        " 'https://scale-' || s.c || '.example/articles/' || a.id,"
        " encode(sha256(convert_to(a.content_hash || ':' || s.c, 'UTF8')), 'hex'),"
        " a.title, a.teaser, a.section, a.tags, a.authors, a.agencies, a.images, a.subheads,"
        f" a.subhead_spans, a.published_at + {_SHIFT}, a.language, a.body, a.raw_text,"
        f" a.word_count, a.extractor_version, a.created_at + {_SHIFT}, a.updated_at + {_SHIFT}"
        " FROM s JOIN articles a ON a.id = s.old_id",
        "INSERT INTO mentions (id, article_id, entity_id, text, " + _SPAN + ")"
        " SELECT x.id + s.c * (SELECT mentions FROM m), s.new_id, "
        + _entity("x.entity_id", "f")
        + ", x.text, "
        + _cols("x", _SPAN)
        + " FROM s JOIN mentions x ON x.article_id = s.old_id"
        " LEFT JOIN f ON f.entity_id = x.entity_id AND f.c = s.c",
        "INSERT INTO roles (id, article_id, person_id, of_id, title, text, " + _SPAN + ")"
        " SELECT x.id + s.c * (SELECT roles FROM m), s.new_id, "
        + _entity("x.person_id", "fp")
        + ", "
        + _entity("x.of_id", "fo")
        + ", x.title, x.text, "
        + _cols("x", _SPAN)
        + " FROM s JOIN roles x ON x.article_id = s.old_id"
        " LEFT JOIN f fp ON fp.entity_id = x.person_id AND fp.c = s.c"
        " LEFT JOIN f fo ON fo.entity_id = x.of_id AND fo.c = s.c",
        "INSERT INTO timexes (id, article_id, text, value, precision, anchor, range_start,"
        " range_end, imputed, ambiguous, " + _SPAN + ")"
        " SELECT x.id + s.c * (SELECT timexes FROM m), s.new_id, x.text, x.value, x.precision,"
        f" x.anchor + s.c * {SHIFT_DAYS}, x.range_start + s.c * {SHIFT_DAYS},"
        f" x.range_end + s.c * {SHIFT_DAYS}, x.imputed, x.ambiguous, "
        + _cols("x", _SPAN)
        + " FROM s JOIN timexes x ON x.article_id = s.old_id",
        # An event is copied into every copy that holds an article reporting it.
        "CREATE TEMP TABLE ev AS SELECT DISTINCT x.event_id AS old_id, s.c,"
        " x.event_id + s.c * (SELECT events FROM m) AS new_id"
        " FROM s JOIN event_evidence x ON x.article_id = s.old_id",
        "INSERT INTO events (id, type, status, summary, date_start, date_end, date_precision,"
        " location_id, name_entity_id, created_at, updated_at)"
        f" SELECT ev.new_id, e.type, e.status, e.summary, e.date_start + ev.c * {SHIFT_DAYS},"
        f" e.date_end + ev.c * {SHIFT_DAYS}, e.date_precision, "
        + _entity("e.location_id", "fl")
        + ", "
        + _entity("e.name_entity_id", "fn")
        + ", now(), now() FROM ev JOIN events e ON e.id = ev.old_id"
        " LEFT JOIN f fl ON fl.entity_id = e.location_id AND fl.c = ev.c"
        " LEFT JOIN f fn ON fn.entity_id = e.name_entity_id AND fn.c = ev.c",
        "INSERT INTO event_participants (id, event_id, entity_id, role)"
        " SELECT x.id + ev.c * (SELECT event_participants FROM m), ev.new_id, "
        + _entity("x.entity_id", "f")
        + ", x.role"
        " FROM ev JOIN event_participants x ON x.event_id = ev.old_id"
        " LEFT JOIN f ON f.entity_id = x.entity_id AND f.c = ev.c",
        "INSERT INTO event_evidence (id, event_id, article_id, text, " + _SPAN + ")"
        " SELECT x.id + s.c * (SELECT event_evidence FROM m),"
        " x.event_id + s.c * (SELECT events FROM m), s.new_id, x.text, "
        + _cols("x", _SPAN)
        + " FROM s JOIN event_evidence x ON x.article_id = s.old_id",
        "INSERT INTO amounts (id, article_id, event_id, text, value, unit, kind, same_as_group, "
        + _SPAN
        + ") SELECT x.id + s.c * (SELECT amounts FROM m), s.new_id, ev.new_id, x.text,"
        " x.value, x.unit, x.kind, x.same_as_group, "
        + _cols("x", _SPAN)
        + " FROM s JOIN amounts x ON x.article_id = s.old_id"
        " LEFT JOIN ev ON ev.old_id = x.event_id AND ev.c = s.c",
        "INSERT INTO quotes (id, article_id, speaker_id, text, channel, direct, " + _SPAN + ")"
        " SELECT x.id + s.c * (SELECT quotes FROM m), s.new_id, "
        + _entity("x.speaker_id", "f")
        + ", x.text, x.channel, x.direct, "
        + _cols("x", _SPAN)
        + " FROM s JOIN quotes x ON x.article_id = s.old_id"
        " LEFT JOIN f ON f.entity_id = x.speaker_id AND f.c = s.c",
        # The change feed lists the new rows as created, like an ingest would.
        "INSERT INTO changes (kind, object_id, action, merged_into_id, at)"
        " SELECT 'entity', new_id, 'created', NULL, now() FROM f ORDER BY new_id",
        "INSERT INTO changes (kind, object_id, action, merged_into_id, at)"
        " SELECT 'article', new_id, 'created', NULL, now() FROM s ORDER BY new_id",
        *_DERIVED,
        *(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
            for t in TABLES
        ),
    ]


# What ingest keeps per (entity, article), (entity, event) and entity, derived again from all:
# the copies have their own dates and forked entities, and the first statement above gave
# undated base articles a date after the migration had derived their rows.
_DERIVED = [
    "DELETE FROM entity_articles",
    "INSERT INTO entity_articles"
    " (entity_id, article_id, entity_type, mention_count, seen_at, published_on)"
    " SELECT x.entity_id, x.article_id, e.type, x.n, COALESCE(a.published_at, a.created_at),"
    " CAST(a.published_at AT TIME ZONE 'UTC' AS DATE)"
    " FROM (SELECT entity_id, article_id, count(*) AS n FROM mentions"
    " GROUP BY entity_id, article_id) x"
    " JOIN articles a ON a.id = x.article_id JOIN entities e ON e.id = x.entity_id",
    "DELETE FROM entity_events",
    "INSERT INTO entity_events (entity_id, event_id, date_start)"
    " SELECT DISTINCT p.entity_id, p.event_id, e.date_start"
    " FROM event_participants p JOIN events e ON e.id = p.event_id",
    "DELETE FROM entity_stats",
    "INSERT INTO entity_stats (entity_id, type, mention_count, article_count, last_seen_at)"
    " SELECT e.id, e.type, COALESCE(x.mentions, 0), COALESCE(x.articles, 0),"
    f" COALESCE(x.last_seen, TIMESTAMPTZ '{NEVER_SEEN.isoformat()}')"
    " FROM entities e LEFT JOIN (SELECT entity_id, sum(mention_count) AS mentions,"
    " count(*) AS articles, max(seen_at) AS last_seen FROM entity_articles"
    " GROUP BY entity_id) x ON x.entity_id = e.id",
]


def _cols(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


_DERIVED_TABLES = ("entity_articles", "entity_events", "entity_stats")
# Index builds sort in memory up to this much (the server's default is 64 MB).
INDEX_BUILD_MEMORY = "1GB"


def replicate(connection: Connection, size: int, *, log: Callable[[str], None] = print) -> None:
    base = int(connection.execute(text("SELECT count(*) FROM articles")).scalar_one())
    if size <= base:
        raise ValueError(f"The base has {base} articles already; ask for more than that.")
    # Adding rows to a large index one at a time costs more per row as the index outgrows
    # memory (a million articles: GIN trigram and text indexes, and B-trees of 30 M mentions
    # in random order), so, as pg_restore does, the plain indexes are dropped and built again
    # once the rows are in. Constraint indexes (keys, unique) stay: they check the copies.
    indexes = _plain_indexes(connection, TABLES + _DERIVED_TABLES)
    for name, _ in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    log(f"    dropped {len(indexes)} plain indexes")
    for statement in _statements(size, base):
        _run(connection, statement, log)
    connection.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
    for _, definition in indexes:
        _run(connection, definition, log)


def _plain_indexes(connection: Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of ``tables`` that back no constraint."""
    rows = connection.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            " ORDER BY i.tablename, i.indexname"
        ),
        {"tables": list(tables)},
    )
    return [(str(name), str(definition)) for name, definition in rows]


def _run(connection: Connection, statement: str, log: Callable[[str], None]) -> None:
    started = time.perf_counter()
    result = connection.execute(text(statement))
    label = " ".join(statement.split()[:4])
    log(f"    {label[:60]:<60} {result.rowcount:>9} rows {time.perf_counter() - started:7.1f} s")
