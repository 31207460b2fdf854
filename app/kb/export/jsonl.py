"""JSON Lines: one article per line, shaped like ``GET /v1/articles/{id}`` plus its mentions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sqlalchemy.orm import Session

from app.kb.export.loader import ArticleBundle, iter_articles
from app.schemas.articles import ArticleEntity
from app.schemas.entities import MentionRead
from app.schemas.events import EventRead
from app.schemas.export import ArticleExport


def article_record(bundle: ArticleBundle) -> ArticleExport:
    article = bundle.article
    record = ArticleExport.model_validate(article)
    counts = Counter(m.entity_id for m in article.mentions)
    entities = {m.entity_id: m.entity for m in article.mentions}
    record.entities = [
        ArticleEntity(id=e.id, name=e.name, type=e.type, mention_count=counts[e.id])
        for e in sorted(entities.values(), key=lambda e: (-counts[e.id], e.name))
    ]
    record.events = [EventRead.model_validate(e) for e in bundle.events]
    record.mentions = [
        MentionRead.model_validate(m)
        for m in sorted(article.mentions, key=lambda m: (m.zone, m.zone_index, m.start, m.id))
    ]
    return record


def iter_lines(session: Session, *, batch_size: int) -> Iterator[str]:
    for bundle in iter_articles(session, batch_size=batch_size):
        yield article_record(bundle).model_dump_json() + "\n"
