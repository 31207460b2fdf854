"""Watches: saved searches matched against every new article, inside the ingest transaction.

A watch is a query in the ``/v1/articles`` syntax (``app.kb.search.webquery``) with filters.
``record_matches`` is the one call the ingest use case makes: it evaluates every watch against
the just-stored article with the search's own SQL, restricted to that article's id (one
statement per ``_WATCHES_PER_STATEMENT`` watches; the primary key picks the row, then FTS5 or
the ``tsvector`` decides the words), records each match once (unique ``(watch_id,
article_id)``), and queues a webhook delivery per match of an active watch with a URL. Nothing
is sent here: ``app.kb.webhooks`` delivers from a thread of its own, so an ingest never waits
for a receiver.
"""

from __future__ import annotations

import json
import logging
import secrets
import typing
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    event,
    exists,
    func,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session, selectinload

from app.db.base import utcnow
from app.db.models import (
    Article,
    EntityArticle,
    Event,
    EventEvidence,
    Source,
    Watch,
    WatchDelivery,
    WatchMatch,
)
from app.errors import InvalidInput, InvalidQuery, NotFound
from app.kb.search import webquery
from app.kb.search.articles import ArticleFilters, filtered
from app.kb.search.relevance import Match
from app.kb.sql.dialect import insert_ignore, insert_rows
from app.kb.sql.pagination import CursorCodec, Page, SortKey, keyset_page
from app.kb.sql.transaction import committing

__all__ = ["Watch", "WatchDelivery", "WatchFilters", "record_matches"]  # and the rest, public

logger = logging.getLogger("newskb.watches")

# SQLite allows 500 SELECTs in one compound statement; far fewer keep each statement short.
_WATCHES_PER_STATEMENT = 50
PAUSED_BY_CLIENT = "Paused by a client."


@dataclass(frozen=True)
class WatchFilters:
    """What an article must also be, besides matching ``q`` (every given filter holds)."""

    entity_ids: tuple[int, ...] = ()  # every one mentioned
    entity_types: tuple[str, ...] = ()  # an entity of any of these types mentioned
    event_types: tuple[str, ...] = ()  # an event of any of these types reported
    sources: tuple[str, ...] = ()  # any of these sources (case-insensitive)
    section: str | None = None
    tag: str | None = None
    language: str | None = None
    published_from: date | None = None
    published_to: date | None = None

    def is_empty(self) -> bool:
        return self == WatchFilters()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("published_from", "published_to"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in data.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WatchFilters:
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in ("published_from", "published_to"):
                values[name] = date.fromisoformat(value) if value else None
            elif isinstance(value, list):
                values[name] = tuple(value)
            else:
                values[name] = value
        return cls(**values)

    def article_filters(self) -> ArticleFilters:
        """The part ``/v1/articles`` has, applied by the search's own ``filtered``."""
        return ArticleFilters(
            entity_ids=self.entity_ids,
            section=self.section,
            tag=self.tag,
            language=self.language,
            published_from=self.published_from,
            published_to=self.published_to,
        )


@dataclass(frozen=True)
class CreatedWatch:
    watch: Watch
    secret: str  # returned once, at creation


@dataclass(frozen=True)
class WatchChanges:
    """A ``PATCH``: only the fields that were sent (``unset`` marks one that was not)."""

    status: str | None = None
    name: str | None = None
    webhook_url: str | None = None
    set_name: bool = False
    set_webhook_url: bool = False


@dataclass
class MatchRow:
    match: WatchMatch
    article: Article


@dataclass(frozen=True)
class Claim:
    """A due delivery taken by one delivery thread (``claim_due``), with what sending needs."""

    id: int
    watch_id: int
    url: str
    secret: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    response_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    pause_after: int

    def delay(self, attempts: int) -> timedelta:
        """Exponential backoff: ``backoff``, then twice as long after each further failure."""
        return timedelta(seconds=self.backoff_seconds * 2 ** max(attempts - 1, 0))


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_query(q: str | None, filters: WatchFilters) -> webquery.WebQuery | None:
    """Parse ``q`` as ``/v1/articles`` does (``InvalidQuery`` when it has nothing to look for);
    a watch with neither a query nor a filter would match every article."""
    parsed = webquery.parse(q) if q is not None and q.strip() else None
    if parsed is None and filters.is_empty():
        raise InvalidInput(
            "A watch needs a query `q` or at least one filter: it would match every article.",
            errors=[{"loc": ["body", "q"], "msg": "q or a filter is required", "type": "missing"}],
        )
    return parsed


def create_watch(
    session: Session,
    *,
    q: str | None,
    filters: WatchFilters,
    name: str | None = None,
    webhook_url: str | None = None,
) -> CreatedWatch:
    """Save a watch; it matches articles ingested from now on. The URL was checked by the
    caller (``app.kb.webhooks.check_url``), since only it knows whether private targets are
    allowed."""
    check_query(q, filters)
    secret = new_secret()
    with committing(session):
        watch = Watch(
            name=name,
            q=q.strip() if q and q.strip() else None,
            filters=filters.to_json(),
            webhook_url=webhook_url,
            secret=secret,
            status="active",
            consecutive_failures=0,
        )
        session.add(watch)
        session.flush()
    return CreatedWatch(watch, secret)


def get_watch(session: Session, watch_id: int) -> Watch:
    watch = session.get(Watch, watch_id)
    if watch is None:
        raise NotFound(f"Watch {watch_id} does not exist.")
    return watch


def list_watches(
    session: Session, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[Watch]:
    return keyset_page(
        session,
        select(Watch),
        scope="watches",
        keys=[SortKey(Watch.id)],
        row_values=lambda watch: (watch.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def update_watch(session: Session, watch_id: int, changes: WatchChanges) -> Watch:
    """Pause, resume, rename, or change the webhook URL. Resuming clears the failure count and
    makes pending deliveries due now."""
    with committing(session):
        watch = get_watch(session, watch_id)
        if changes.set_name:
            watch.name = changes.name
        if changes.set_webhook_url:
            watch.webhook_url = changes.webhook_url
        if changes.status == "paused" and watch.status != "paused":
            watch.status, watch.paused_reason = "paused", PAUSED_BY_CLIENT
        elif changes.status == "active" and watch.status != "active":
            watch.status, watch.paused_reason, watch.consecutive_failures = "active", None, 0
            session.execute(
                update(WatchDelivery)
                .where(WatchDelivery.watch_id == watch_id, WatchDelivery.status == "pending")
                .values(next_attempt_at=utcnow())
            )
        watch.updated_at = utcnow()
        session.flush()
    return watch


def delete_watch(session: Session, watch_id: int) -> None:
    """Delete a watch with its matches and delivery log (the articles stay)."""
    with committing(session):
        watch = get_watch(session, watch_id)
        session.delete(watch)


def record_matches(session: Session, article: Article) -> list[int]:
    """Record the matches of a just-stored article, inside the caller's transaction.

    Returns the ids of the watches it matched. Called once per new article by
    ``app.kb.ingest.ingest_article``; only watches that exist now see it, so a watch matches
    only articles ingested after it was created.
    """
    rows = session.execute(
        select(
            Watch.id, Watch.q, Watch.filters, Watch.webhook_url, Watch.status == "active"
        ).order_by(Watch.id)
    ).all()
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    keys = [(id_, q or "", json.dumps(data, sort_keys=True)) for id_, q, data, _, _ in rows]
    matched: list[int] = []
    if dialect == "postgresql":  # watches with a query and no filter: one statement for all
        words = [(id_, _websearch(id_, q)) for id_, q, data in keys if data == _NO_FILTERS]
        matched += _percolate(session, article.id, [(i, w) for i, w in words if w is not None])
        keys = [key for key in keys if key[2] != _NO_FILTERS]
    for start in range(0, len(keys), _WATCHES_PER_STATEMENT):
        statement = _statement(
            session, dialect, tuple(keys[start : start + _WATCHES_PER_STATEMENT])
        )
        if statement is not None:
            found: list[Any] = list(session.execute(statement, {"article_id": article.id}))
            matched += [int(row[0]) for row in found]
    if not matched:
        return []
    now = utcnow()
    inserted = insert_ignore(
        session,
        WatchMatch.__table__,  # type: ignore[arg-type]
        [{"watch_id": w, "article_id": article.id, "matched_at": now} for w in matched],
        ["watch_id", "article_id"],
        returning=(WatchMatch.id, WatchMatch.watch_id),
    )
    deliver = {id_ for id_, _, _, url, active in rows if url and active}
    pairs: list[Any] = list(inserted)
    queued = [(int(row[0]), int(row[1])) for row in pairs if row[1] in deliver]
    if queued:
        summary = article_payload(session, article)
        insert_rows(
            session,
            WatchDelivery.__table__,  # type: ignore[arg-type]
            [
                {
                    "watch_id": watch_id,
                    "match_id": match_id,
                    "body": _body(watch_id, match_id, now, summary),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for match_id, watch_id in queued
            ],
        )
        _wake_after_commit(session)
    return sorted(set(matched))


_NO_FILTERS = json.dumps(WatchFilters().to_json(), sort_keys=True)
# The tsvector of one article against the tsquery of every watch, on PostgreSQL: the query is
# parsed by the same ``websearch_to_tsquery`` as the search's (``Match``), one row is read.
_PERCOLATE = text(
    "SELECT w.id FROM articles AS a,"
    " unnest(CAST(:ids AS integer[]), CAST(:words AS text[])) AS w(id, words)"
    " WHERE a.id = :article_id"
    " AND a.search_vector @@ websearch_to_tsquery('english'::regconfig, w.words)"
)


def _percolate(session: Session, article_id: int, watches: list[tuple[int, str]]) -> list[int]:
    if not watches:
        return []
    found = session.execute(
        _PERCOLATE,
        {
            "article_id": article_id,
            "ids": [id_ for id_, _ in watches],
            "words": [words for _, words in watches],
        },
    )
    return [int(id_) for id_ in found.scalars()]


@lru_cache(maxsize=4096)
def _websearch(watch_id: int, q: str) -> str | None:
    query = _stored_query(watch_id, q)
    return query.websearch() if query is not None else None


_WatchKey = tuple[int, str, str]  # id, query, filters as JSON: what the statement depends on
_STATEMENTS: dict[tuple[str, tuple[_WatchKey, ...]], Select[Any] | None] = {}
_MAX_STATEMENTS = 256


def _statement(session: Session, dialect: str, keys: tuple[_WatchKey, ...]) -> Select[Any] | None:
    """The matching statement of a group of watches (None: none can match anything), built
    once per process and group: building the expressions cost more than running them."""
    cache_key = (dialect, keys)
    if cache_key in _STATEMENTS:
        return _STATEMENTS[cache_key]
    parts = []
    for watch_id, q, data in keys:
        query = _stored_query(watch_id, q)
        filters = WatchFilters.from_json(json.loads(data))
        if query is not None or not filters.is_empty():
            parts.append(_matching(session, watch_id, query, filters, dialect))
    statement = typing.cast("Select[Any]", union_all(*parts)) if parts else None
    if len(_STATEMENTS) >= _MAX_STATEMENTS:
        _STATEMENTS.clear()
    _STATEMENTS[cache_key] = statement
    return statement


def _stored_query(watch_id: int, q: str | None) -> webquery.WebQuery | None:
    if not q:
        return None
    try:
        return webquery.parse(q)
    except InvalidQuery:  # the syntax changed since it was saved: it matches nothing
        logger.warning("watch %s has a query that no longer parses: %r", watch_id, q)
        return None


def _matching(
    session: Session,
    watch_id: int,
    query: webquery.WebQuery | None,
    filters: WatchFilters,
    dialect: str,
) -> Select[Any]:
    """The search's own statement for one watch, restricted to one article (the
    ``article_id`` parameter): the watch's id when the article matches, no row otherwise."""
    article_id = bindparam("article_id", type_=Integer)
    statement = typing.cast(
        "Select[Any]",
        select(literal(watch_id).label("watch_id")).select_from(Article),
    ).where(Article.id == article_id)
    statement = filtered(statement, filters.article_filters(), dialect)
    if filters.sources:
        names = [name.lower() for name in filters.sources]
        statement = statement.where(
            Article.source_id.in_(select(Source.id).where(func.lower(Source.name).in_(names)))
        )
    if filters.entity_types:
        statement = statement.where(
            exists().where(
                EntityArticle.article_id == article_id,
                EntityArticle.entity_type.in_(filters.entity_types),
            )
        )
    if filters.event_types:
        statement = statement.where(
            exists()
            .where(EventEvidence.article_id == article_id)
            .where(Event.id == EventEvidence.event_id, Event.type.in_(filters.event_types))
        )
    if query is not None:
        statement = Match(session.get_bind().dialect.name, query).apply(statement)
    return statement


def article_payload(session: Session, article: Article) -> dict[str, Any]:
    """The article summary a webhook carries."""
    source = session.get(Source, article.source_id) if article.source_id else None
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "teaser": article.teaser,
        "source": source.name if source else None,
        "section": article.section,
        "published_at": _iso(article.published_at),
        "ingested_at": _iso(article.created_at),
    }


def _body(watch_id: int, match_id: int, at: datetime, article: dict[str, Any]) -> str:
    payload = {
        "type": "watch.match",
        "watch_id": watch_id,
        "match": {"id": match_id, "matched_at": _iso(at)},
        "article": article,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _wake_after_commit(session: Session) -> None:
    from app.kb import webhooks  # it imports this module

    def wake(_: Session) -> None:
        webhooks.wake_deliverers()

    event.listen(session, "after_commit", wake, once=True)


def list_matches(
    session: Session, watch_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[MatchRow]:
    """A watch's matches, oldest first; ``resume_cursor`` continues after the last one later."""
    get_watch(session, watch_id)
    statement = typing.cast(
        "Select[Any]",
        select(WatchMatch, Article)
        .join(Article, Article.id == WatchMatch.article_id)
        .where(WatchMatch.watch_id == watch_id)
        .options(selectinload(Article.source)),
    )
    page = keyset_page(
        session,
        statement,
        scope=f"watch-matches:{watch_id}",
        keys=[SortKey(WatchMatch.id)],
        row_values=lambda row: (row[0].id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
        last_cursor=True,
        rows=True,
    )
    items = [MatchRow(match, article) for match, article in page.items]
    return Page(items, page.next_cursor, page.resume_cursor)


def list_deliveries(
    session: Session, watch_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[WatchDelivery]:
    """A watch's delivery log, newest first."""
    get_watch(session, watch_id)
    return keyset_page(
        session,
        select(WatchDelivery).where(WatchDelivery.watch_id == watch_id),
        scope=f"watch-deliveries:{watch_id}",
        keys=[SortKey(WatchDelivery.id, descending=True)],
        row_values=lambda delivery: (delivery.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def claim_due(session: Session, *, limit: int, lease: timedelta) -> list[Claim]:
    """Take up to ``limit`` due deliveries of active watches: their next attempt moves
    ``lease`` ahead, so another delivery thread (another worker process) skips them while
    this one sends; a thread that dies leaves them due again when the lease ends."""
    now = utcnow()
    with committing(session):
        statement = (
            select(WatchDelivery, Watch.webhook_url, Watch.secret)
            .join(Watch, Watch.id == WatchDelivery.watch_id)
            .where(
                WatchDelivery.status == "pending",
                WatchDelivery.next_attempt_at <= now,
                Watch.status == "active",
                Watch.webhook_url.is_not(None),
            )
            .order_by(WatchDelivery.next_attempt_at, WatchDelivery.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(of=WatchDelivery, skip_locked=True)
        claims = []
        for delivery, url, secret in session.execute(statement).all():
            delivery.next_attempt_at = now + lease
            claims.append(
                Claim(
                    delivery.id,
                    delivery.watch_id,
                    url or "",
                    secret,
                    delivery.body,
                    delivery.attempts,
                )
            )
    return claims


def record_outcome(session: Session, claim: Claim, outcome: Outcome, policy: RetryPolicy) -> None:
    """Log an attempt: delivered, retried later (exponential backoff), or failed for good;
    the watch is paused after ``policy.pause_after`` consecutive failed attempts."""
    now = utcnow()
    with committing(session):
        delivery = session.get(WatchDelivery, claim.id, with_for_update=_for_update(session))
        watch = session.get(Watch, claim.watch_id, with_for_update=_for_update(session))
        if delivery is None or watch is None:  # deleted meanwhile
            return
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.response_status
        delivery.error = outcome.error
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                "delivered",
                now,
                None,
            )
            watch.consecutive_failures = 0
            return
        if delivery.attempts >= policy.max_attempts:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + policy.delay(delivery.attempts)
        watch.consecutive_failures += 1
        if watch.status == "active" and watch.consecutive_failures >= policy.pause_after:
            watch.status = "paused"
            watch.paused_reason = (
                f"Paused after {watch.consecutive_failures} consecutive failed deliveries; "
                f"the last: {outcome.error or outcome.response_status}."
            )


def _for_update(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def any_due(session: Session) -> bool:
    """Whether a delivery is due now: a plain read, so that an idle delivery thread never
    takes SQLite's write lock (``claim_due`` does)."""
    statement = (
        select(WatchDelivery.id)
        .join(Watch, Watch.id == WatchDelivery.watch_id)
        .where(
            WatchDelivery.status == "pending",
            WatchDelivery.next_attempt_at <= utcnow(),
            Watch.status == "active",
            Watch.webhook_url.is_not(None),
        )
    )
    return session.scalars(statement.limit(1)).first() is not None


def match_ids(session: Session, watch_id: int) -> Sequence[int]:
    """The article ids a watch matched, in match order (tests and the CLI)."""
    return session.scalars(
        select(WatchMatch.article_id).where(WatchMatch.watch_id == watch_id).order_by(WatchMatch.id)
    ).all()
