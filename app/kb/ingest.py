"""Store an extracted article and its facts in one transaction; re-ingesting changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import metrics
from app.db.engine import end_transaction
from app.db.models import (
    Amount,
    Article,
    EntityArticle,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Role,
    Source,
    Timex,
)
from app.errors import ArticleTooLong, ExtractionTooSlow, NotFound
from app.extract import types as x
from app.extract.budget import TooSlow, time_budget
from app.extract.document import MAX_TEXT_CHARS, too_long
from app.extract.languages import language_was_detected
from app.kb import answers, changes, duplicates, entity_stats, watches
from app.kb.resolve import (
    EventCandidate,
    EventReport,
    resolve_entities,
    stored_event_candidates,
)
from app.kb.sql.dialect import insert_ignore, insert_rows, lock_names
from app.kb.sql.transaction import committing

logger = logging.getLogger("newskb.ingest")


@dataclass(frozen=True)
class IngestResult:
    """``created``: a new article. ``duplicate_of``: the first copy a new article repeats
    (``app.kb.duplicates``). ``version``: the number of the new text stored for an existing
    article (``app.kb.versions``)."""

    article: Article
    created: bool
    duplicate_of: duplicates.Link | None = None
    version: int | None = None


@metrics.observed_extraction
def extract_many(
    articles: list[x.ParsedArticle], *, model_names: str, batch_size: int = 64, n_process: int = 1
) -> list[x.ExtractedArticle]:
    """Run extraction; imported here so that read-only processes never import spaCy."""
    from app.extract.pipeline import extract_parsed

    for article in articles:
        check_length(article)

    return extract_parsed(
        articles, model_names=model_names, batch_size=batch_size, n_process=n_process
    )


def check_length(article: x.ParsedArticle) -> None:
    """``ArticleTooLong`` (422) for a text longer than the language model reads at once."""
    if too_long(article):
        raise ArticleTooLong(
            f"The article's text is longer than {MAX_TEXT_CHARS:,} characters, the most the "
            "language model reads at once."
        )


def iter_extract(
    articles: list[x.ParsedArticle], *, model_names: str, batch_size: int = 64
) -> Iterator[x.ExtractedArticle]:
    """``extract_many``, one article at a time as spaCy finishes it (progress per article)."""
    from app.extract.pipeline import iter_extracted

    try:
        yield from iter_extracted(articles, model_names=model_names, batch_size=batch_size)
    except Exception as exc:  # counted as ``extract_many`` counts them
        metrics.EXTRACTION_ERRORS.labels(error=exc.__class__.__name__).inc()
        raise


def load_model(model_names: str) -> None:
    """Load the spaCy model now (seconds), so that a caller can say so before its work starts."""
    from app.extract.nlp import get_nlp

    get_nlp(model_names)


@contextmanager
def within_budget(seconds: float, what: str) -> Iterator[None]:
    """``time_budget`` for pure work (never around database calls), as a 422 when exceeded."""
    try:
        with time_budget(seconds, what):
            yield
    except TooSlow as exc:
        raise ExtractionTooSlow(
            f"{exc} Send a shorter article, or plain text instead of a whole page."
        ) from exc


def find_existing(session: Session, *, content_hash: str, url: str | None) -> Article | None:
    """The stored article with the same content or the same URL, if any."""
    condition = Article.content_hash == content_hash
    if url:
        condition = or_(condition, Article.url == url)
    return session.scalars(select(Article).where(condition).limit(1)).first()


def ingest_article(
    session: Session,
    extracted: x.ExtractedArticle,
    *,
    raw_text: str | None = None,
    then: Callable[[Session, IngestResult], None] | None = None,
) -> IngestResult:
    """Store an article and its facts; ingesting the same text or URL again changes nothing.

    ``raw_text`` is the text as sent (the cleaned body when not given); ``then`` runs in the
    same transaction once the article is stored, so what it writes commits with the article.
    The unique constraints on the content hash and the URL decide, not a look-up first: the
    callers (``intake.ingest_document``, bulk loads) have checked before paying for NLP, so a
    duplicate here is rare (a race, a direct call) and costs one failed INSERT instead of every
    ingest paying a SELECT.
    """
    url = extracted.parsed.url
    report_failures(extracted)
    try:
        with committing(session):
            article = _store_article(session, extracted, raw_text)
            # Hook: near-duplicates (app.kb.duplicates), before the facts (lock order).
            copy_of = duplicates.link_copy(session, article.id, article.body)
            entity_ids = _store_facts(session, article, extracted)
            changes.record_article(session, article.id, "created", entity_ids=entity_ids)
            answers.mark_article(session, article.id, created=True)
            watches.record_matches(session, article)
            entity_stats.add_article(session, article.id, entity_ids)  # last: hot row locks
            if then is not None:
                then(session, IngestResult(article, created=True, duplicate_of=copy_of))
    except IntegrityError:
        # The article was stored before, or by a concurrent ingest that won the race.
        existing = find_existing(session, content_hash=extracted.content_hash, url=url)
        if existing is None:
            raise
        # Hook: versions (app.kb.versions): a new text at a stored article's URL.
        from app.kb import versions

        if versions.is_new_text(session, existing, url=url, content_hash=extracted.content_hash):
            return versions.store_version(
                session, existing.id, extracted, raw_text=raw_text, then=then
            )
        return IngestResult(existing, created=False)
    return IngestResult(article, created=True, duplicate_of=copy_of)


def report_failures(extracted: x.ExtractedArticle) -> None:
    """Log and count each fact an extractor dropped by failing; the article is stored anyway."""
    parsed = extracted.parsed
    for failure in extracted.failures:
        metrics.EXTRACTOR_FAILURES.labels(extractor=failure.extractor).inc()
        span = failure.span
        logger.warning(
            "extractor failed: %s dropped a fact of the article",
            failure.extractor,
            extra={
                "extractor": failure.extractor,
                "error": failure.error,
                "content_hash": extracted.content_hash,
                "title": parsed.title,
                "url": parsed.url,
                "zone": span.zone if span else None,
                "start": span.start if span else None,
                "end": span.end if span else None,
                "text": failure.text,
            },
        )


def find_existing_ids(
    session: Session, *, content_hashes: Iterable[str], urls: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Stored article ids by content hash and by URL, for a whole batch in one query."""
    hashes, links = set(content_hashes), set(urls)
    if not hashes and not links:
        return {}, {}
    query = select(Article.id, Article.content_hash, Article.url).where(
        or_(Article.content_hash.in_(hashes), Article.url.in_(links))
    )
    by_hash: dict[str, int] = {}
    by_url: dict[str, int] = {}
    for id_, digest, url in session.execute(query):
        by_hash[digest] = id_
        if url:
            by_url[url] = id_
    return by_hash, by_url


def parsed_from_row(article: Article, source: Source | None = None) -> x.ParsedArticle:
    """Rebuild the cleaned article from its stored row, to run a newer extractor over it."""
    return x.ParsedArticle(
        body=article.body,
        title=article.title,
        teaser=article.teaser,
        published_at=article.published_at,
        url=article.url,
        source_name=source.name if source else None,
        source_domain=source.domain if source else None,
        section=article.section,
        dateline=article.dateline,
        tags=tuple(article.tags),
        authors=tuple(article.authors),
        agencies=tuple(article.agencies),
        images=tuple(x.Image(i["caption"], i.get("credit")) for i in article.images),
        subheads=tuple(article.subheads),
        subhead_spans=tuple((s, e) for s, e in article.subhead_spans),
        # Languages (issue 20): an article stored before languages were detected is detected
        # again; a later one keeps its stated or detected language.
        language=article.language if language_was_detected(article.extractor_version) else None,
    )


def reextract_article(session: Session, article_id: int, *, model_names: str) -> Article:
    """Run the current extractor over a stored article and replace its facts."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    source = session.get(Source, article.source_id) if article.source_id else None
    end_transaction(session)
    extracted = extract_many([parsed_from_row(article, source)], model_names=model_names)[0]
    return replace_facts(session, article_id, extracted)


def replace_facts(session: Session, article_id: int, extracted: x.ExtractedArticle) -> Article:
    """Re-extraction: swap an article's facts for newer ones in one transaction."""
    report_failures(extracted)
    with committing(session):
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"Article {article_id} does not exist.")
        swap_facts(session, article, extracted)
    return article


def swap_facts(session: Session, article: Article, extracted: x.ExtractedArticle) -> None:
    """Replace an article's facts inside the caller's transaction (recorded as updated)."""
    article_id = article.id
    before = changes.entity_ids_of_article(session, article_id)
    counted = entity_stats.entity_ids_of_article(session, article_id)
    # Before the events it reported are gone; its persons are locked by the call after the
    # resolution (entity rows first, then their answers' locks, as a curation takes them).
    answers.mark_article(session, article_id, lock_entities=False)
    _delete_facts(session, article_id)
    article.extractor_version = extracted.extractor_version
    article.language = extracted.parsed.language or article.language  # languages (issue 20)
    after = _store_facts(session, article, extracted)
    answers.mark_article(session, article_id)  # and the events it reports now
    changes.record_article(session, article_id, "updated", entity_ids=before | after)
    entity_stats.refresh(session, counted | after)  # last: hot row locks


def delete_article(session: Session, article_id: int) -> None:
    """Delete an article, its facts, and events that no other article reports."""
    with committing(session):
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"Article {article_id} does not exist.")
        changes.record_article(session, article_id, "deleted")
        answers.mark_article(session, article_id)
        for copy_id in duplicates.unlink_copies(session, article_id):  # hook: app.kb.duplicates
            answers.mark_article(session, copy_id)
        counted = entity_stats.entity_ids_of_article(session, article_id)
        session.delete(article)
        session.flush()
        _delete_orphan_events(session)
        entity_stats.refresh(session, counted)


def _delete_facts(session: Session, article_id: int) -> None:
    for model in (EntityArticle, Mention, Role, Timex, Amount, Quote, EventEvidence):
        session.execute(delete(model).where(model.article_id == article_id))
    _delete_orphan_events(session)


def _delete_orphan_events(session: Session) -> None:
    session.execute(delete(Event).where(~Event.id.in_(select(EventEvidence.event_id).distinct())))


def _source_id(session: Session, parsed: x.ParsedArticle) -> int | None:
    if not parsed.source_name:
        return None
    query = select(Source.id).where(Source.name == parsed.source_name)
    if (found := session.scalars(query).first()) is not None:
        return found  # the usual case: a source sends many articles
    row = {"name": parsed.source_name, "domain": parsed.source_domain}
    insert_ignore(session, Source.__table__, [row], ["name"])  # type: ignore[arg-type]
    return session.scalars(query).one()


def _store_article(
    session: Session, extracted: x.ExtractedArticle, raw_text: str | None
) -> Article:
    parsed = extracted.parsed
    article = Article(
        source_id=_source_id(session, parsed),
        url=parsed.url,
        content_hash=extracted.content_hash,
        title=parsed.title,
        teaser=parsed.teaser,
        section=parsed.section,
        dateline=parsed.dateline,
        tags=list(parsed.tags),
        authors=list(parsed.authors),
        agencies=list(parsed.agencies),
        images=[{"caption": i.caption, "credit": i.credit} for i in parsed.images],
        subheads=list(parsed.subheads),
        subhead_spans=[list(span) for span in parsed.subhead_spans],
        published_at=parsed.published_at,
        # Set by extraction (stated or detected); "und" (undetermined) only for a caller that
        # built an ExtractedArticle by hand.
        language=parsed.language or "und",
        body=parsed.body,
        raw_text=parsed.body if raw_text is None else raw_text,
        word_count=len(parsed.body.split()),
        extractor_version=extracted.extractor_version,
    )
    session.add(article)
    session.flush()
    return article


def _span(span: x.Span, version: str, confidence: float) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "zone": span.zone,
        "zone_index": span.zone_index,
        "sentence": span.sentence,
        "confidence": confidence,
        "extractor_version": version,
    }


def _store_facts(session: Session, article: Article, extracted: x.ExtractedArticle) -> set[int]:
    """Store the facts; the ids of every entity they resolved to (for ``entity_stats``)."""
    version, aid = extracted.extractor_version, article.id
    ids = resolve_entities(session, extracted.entities)

    def bulk(model: type[Any], rows: list[dict[str, Any]]) -> None:
        # Core on the table: the ORM bulk path costs more per row and splits rows by which
        # keys are None; every row here has every column, so the rows are the same.
        insert_rows(session, model.__table__, rows)

    bulk(
        Mention,
        [
            {"article_id": aid, "entity_id": ids[e.key], "text": m.text}
            | _span(m.span, version, m.confidence)
            for e in extracted.entities
            for m in e.mentions
        ],
    )
    entity_stats.link_article(session, article)
    bulk(
        Role,
        [
            {
                "article_id": aid,
                "person_id": ids[r.person_key],
                "of_id": ids.get(r.of_key) if r.of_key else None,
                "title": r.title,
                "qualifier": r.qualifier,
                "text": r.text,
            }
            | _span(r.span, version, r.confidence)
            for r in extracted.roles
            if r.person_key in ids
        ],
    )
    bulk(
        Timex,
        [
            {
                "article_id": aid,
                "text": t.text,
                "value": t.value,
                "precision": t.precision,
                "anchor": t.anchor,
                "range_start": t.range_start,
                "range_end": t.range_end,
                "imputed": t.imputed,
                "ambiguous": t.ambiguous,
            }
            | _span(t.span, version, t.confidence)
            for t in extracted.timexes
        ],
    )
    bulk(
        Quote,
        [
            {
                "article_id": aid,
                "speaker_id": ids.get(q.speaker_key) if q.speaker_key else None,
                "text": q.text,
                "channel": q.channel,
                "direct": q.direct,
                "speaker_description": q.speaker_description,
            }
            | _span(q.span, version, q.confidence)
            for q in extracted.quotes
        ],
    )
    event_of_amount = _store_events(session, aid, extracted, ids)
    bulk(
        Amount,
        [
            {
                "article_id": aid,
                "event_id": event_of_amount.get(index),
                "text": a.text,
                "value": a.value,
                "unit": a.unit,
                "kind": a.kind,
                "same_as_group": a.same_as_group,
                "approximate": a.approximate,
            }
            | _span(a.span, version, a.confidence)
            for index, a in enumerate(extracted.amounts)
        ],
    )
    session.flush()
    return set(ids.values())


def _store_events(
    session: Session, article_id: int, extracted: x.ExtractedArticle, ids: dict[str, int]
) -> dict[int, int]:
    """Store events (joining ones already reported elsewhere); returns amount index → event id.

    A few statements per article, not per event: one query finds what every event may join,
    new events go in one INSERT, their participants in another. An event may also join one
    created for an earlier event of the same article, as it would have found it stored.
    """
    lock_names(session, _event_lock_names(extracted.events, ids))
    reports = [
        EventReport(
            event=event,
            participants=tuple(
                dict.fromkeys(
                    (ids[p.entity_key], p.role) for p in event.participants if p.entity_key in ids
                )
            ),
            name_entity_id=ids.get(event.name_key) if event.name_key else None,
        )
        for event in extracted.events
    ]
    created: list[EventCandidate] = []
    targets: list[EventCandidate] = []
    for report, stored in zip(reports, stored_event_candidates(session, reports), strict=True):
        pool = [*stored, *created] if report.can_join else []
        target = next((candidate for candidate in pool if candidate.joined_by(report)), None)
        if target is None:
            target = _new_event(report, ids)
            created.append(target)
        target.participant_ids |= report.participant_ids
        targets.append(target)
    if created:
        session.add_all([candidate.new_row for candidate in created if candidate.new_row])
        session.flush()
    insert_ignore(
        session,
        EventParticipant.__table__,  # type: ignore[arg-type]
        [
            {"event_id": target.id, "entity_id": entity_id, "role": role}
            for report, target in zip(reports, targets, strict=True)
            for entity_id, role in report.participants
        ],
        ["event_id", "entity_id", "role"],
    )
    links: list[tuple[int, date | None, list[int]]] = []
    evidence: list[dict[str, Any]] = []
    event_of_amount: dict[int, int] = {}
    for report, target in zip(reports, targets, strict=True):
        event = report.event
        links.append((target.id, target.date_start, [e for e, _ in report.participants]))
        texts = event.evidence_text or ("",) * len(event.evidence)
        evidence.extend(
            {"event_id": target.id, "article_id": article_id, "text": text, "main": event.main}
            | _span(span, extracted.extractor_version, event.confidence)
            for span, text in zip(event.evidence, texts, strict=False)
        )
        event_of_amount.update(dict.fromkeys(event.amount_indexes, target.id))
    entity_stats.link_events(session, links)
    insert_rows(session, EventEvidence.__table__, evidence)  # type: ignore[arg-type]
    return event_of_amount


def _new_event(report: EventReport, ids: dict[str, int]) -> EventCandidate:
    event = report.event
    row = Event(
        type=event.type,
        status=event.status,
        summary=event.summary,
        date_start=event.date_start,
        date_end=event.date_end,
        date_precision=event.date_precision,
        location_id=ids.get(event.location_key) if event.location_key else None,
        name_entity_id=report.name_entity_id,
        trigger=event.trigger or None,
    )
    return EventCandidate(
        type=event.type,
        name_entity_id=report.name_entity_id,
        date_start=event.date_start,
        date_end=event.date_end,
        participant_ids=set(),
        new_row=row,
    )


def _event_lock_names(events: Sequence[x.Event], ids: dict[str, int]) -> Iterator[str]:
    """Names that any two reports of one event share: its type with a participant or its name."""
    for event in events:
        keys = [p.entity_key for p in event.participants]
        keys += [event.name_key] if event.name_key else []
        for key in keys:
            if key in ids:
                yield f"event:{event.type}:{ids[key]}"
