"""CSV of entities and of events, one row each; list cells are joined with ``;``.

Text cells that a spreadsheet would read as a formula are neutralised as OWASP's "CSV
Injection" page recommends: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return (and NUL, per ASVS 1.2.10) gets a leading ``'``. Every text cell is treated alike, even
"-5": names and summaries are text, and the numeric columns (ids, counts) are integers written
by us, never escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.db.models import Event
from app.kb.export.loader import EntityBundle, iter_entities, iter_events

ENTITY_COLUMNS = (
    "id",
    "type",
    "name",
    "aliases",
    "mention_count",
    "article_count",
    "first_seen",
    "last_seen",
    "country_code",
    "wikidata_id",
    "stands_for_id",
    "curated",
    "description",
)
EVENT_COLUMNS = (
    "id",
    "type",
    "trigger",  # the word that reports it ("win", "theft"), for ``other`` events above all
    "status",
    "summary",
    "date_start",
    "date_end",
    "date_precision",
    "location_id",
    "location_name",
    "name_entity_id",  # the named-event entity ("Zapad"), if any
    "participants",  # "Alexander Lukashenko (buyer); Russia (seller)"
    "participant_ids",  # "7:buyer;9:seller"
    "article_ids",  # "1;4"
    "main_article_ids",  # the articles that report it as their main event
)
Cell = str | int | bool | date | datetime | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def _rows(header: tuple[str, ...], rows: Iterable[list[Cell]]) -> Iterator[str]:
    """Format with the csv module (quoting, embedded newlines), one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(cell) for cell in row])
        yield buffer.getvalue()


def entity_row(bundle: EntityBundle) -> list[Cell]:
    e, stats = bundle.entity, bundle.stats
    return [
        e.id,
        e.type,
        e.name,
        ";".join(sorted({a.alias for a in e.aliases})),
        stats.mentions,
        stats.articles,
        stats.first_seen,
        stats.last_seen,
        e.country_code,
        e.wikidata_id,
        e.stands_for_id,
        e.curated,
        e.description,
    ]


def event_row(event: Event) -> list[Cell]:
    participants = sorted(event.participants, key=lambda p: (p.entity_id, p.role))
    return [
        event.id,
        event.type,
        event.trigger,
        event.status,
        event.summary,
        event.date_start,
        event.date_end,
        event.date_precision,
        event.location_id,
        event.location.name if event.location else None,
        event.name_entity_id,
        "; ".join(f"{p.entity.name} ({p.role})" for p in participants),
        ";".join(f"{p.entity_id}:{p.role}" for p in participants),
        ";".join(str(i) for i in sorted({v.article_id for v in event.evidence})),
        ";".join(str(i) for i in sorted({v.article_id for v in event.evidence if v.main})),
    ]


def iter_entity_rows(session: Session, *, batch_size: int) -> Iterator[str]:
    rows = (entity_row(b) for b in iter_entities(session, batch_size=batch_size))
    return _rows(ENTITY_COLUMNS, rows)


def iter_event_rows(session: Session, *, batch_size: int) -> Iterator[str]:
    rows = (event_row(e) for e in iter_events(session, batch_size=batch_size))
    return _rows(EVENT_COLUMNS, rows)
