"""Maintenance over stored articles: find those a newer extractor should revisit, re-extract them.

Re-extraction batches the NLP like bulk ingest does (``nlp.pipe``, optionally several
processes); each article's facts are then swapped in their own transaction, so a failure
leaves that article as it was and the others done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.db.models import Article
from app.extract.document import EXTRACTOR_VERSION
from app.kb.ingest import extract_many, parsed_from_row, replace_facts
from app.kb.sql.batches import batches


@dataclass
class ReextractReport:
    updated: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def list_stale_article_ids(session: Session, *, version: str = EXTRACTOR_VERSION) -> list[int]:
    """Ids of the articles stored by an extractor other than ``version`` (the running one)."""
    query = select(Article.id).where(Article.extractor_version != version).order_by(Article.id)
    return list(session.scalars(query))


def list_article_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Article.id).order_by(Article.id)))


def reextract_articles(
    sessions: sessionmaker[Session],
    article_ids: Iterable[int],
    *,
    model_names: str,
    batch_size: int = 64,
    n_process: int = 1,
    on_done: Callable[[int, str], None] | None = None,
) -> ReextractReport:
    """Run the current extractor over stored articles and replace their facts.

    ``on_done(article_id, outcome)`` reports each article (``updated`` or ``failed``).
    """
    report = ReextractReport()

    def done(article_id: int, outcome: str, reason: str | None = None) -> None:
        if reason is None:
            report.updated.append(article_id)
        else:
            report.failed.append((article_id, reason))
        if on_done is not None:
            on_done(article_id, outcome)

    for batch in batches(article_ids, batch_size):
        with sessions() as session:
            query = (
                select(Article).where(Article.id.in_(batch)).options(selectinload(Article.source))
            )
            rows = {article.id: article for article in session.scalars(query)}
            parsed = {aid: parsed_from_row(row, row.source) for aid, row in rows.items()}
        for aid in batch:
            if aid not in rows:
                done(aid, "failed", f"Article {aid} does not exist.")
        ids = [aid for aid in batch if aid in parsed]
        extracted = extract_many(
            [parsed[aid] for aid in ids],
            model_names=model_names,
            batch_size=batch_size,
            n_process=n_process,
        )
        for aid, result in zip(ids, extracted, strict=True):
            try:
                with sessions() as session:
                    replace_facts(session, aid, result)
            except Exception as exc:  # one bad article must not stop the others
                done(aid, "failed", f"{exc.__class__.__name__}: {exc}")
                continue
            done(aid, "updated")
    return report
