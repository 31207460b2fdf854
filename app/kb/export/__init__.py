"""Exports of the whole knowledge base, streamed as text chunks (never built in memory).

| format         | what                                             | media type              |
|----------------|--------------------------------------------------|-------------------------|
| `jsonl`        | one article per line, with every fact and span   | application/x-ndjson    |
| `jsonld`       | schema.org NewsArticle / entity / Event graph    | application/ld+json     |
| `ftm`          | FollowTheMoney entities, one per line (extra)    | application/x-ndjson    |
| `csv-entities` | one row per live entity                          | text/csv                |
| `csv-events`   | one row per event                                | text/csv                |
| `graphml`      | entities, events, articles and their edges       | application/graphml+xml |
| `neo4j-nodes`  | the same nodes, for `neo4j-admin database import` | text/csv                |
| `neo4j-relationships` | the same edges, for `neo4j-admin`         | text/csv                |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal, get_args

from sqlalchemy.orm import Session

from app.errors import ExportUnavailable, InvalidInput
from app.kb.export import csv, graphml, jsonl, jsonld, neo4j
from app.kb.export.loader import BATCH_SIZE

ExportFormat = Literal[
    "jsonl",
    "jsonld",
    "ftm",
    "csv-entities",
    "csv-events",
    "graphml",
    "neo4j-nodes",
    "neo4j-relationships",
]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
MEDIA_TYPES: dict[str, str] = {
    "jsonl": "application/x-ndjson",
    "jsonld": "application/ld+json",
    "ftm": "application/x-ndjson",
    "csv-entities": "text/csv; charset=utf-8",
    "csv-events": "text/csv; charset=utf-8",
    "graphml": "application/graphml+xml",
    "neo4j-nodes": "text/csv; charset=utf-8",
    "neo4j-relationships": "text/csv; charset=utf-8",
}
FILE_NAMES: dict[str, str] = {
    "jsonl": "newskb-articles.jsonl",
    "jsonld": "newskb.jsonld",
    "ftm": "newskb.ftm.json",
    "csv-entities": "newskb-entities.csv",
    "csv-events": "newskb-events.csv",
    "graphml": "newskb.graphml",
    "neo4j-nodes": "newskb-nodes.csv",
    "neo4j-relationships": "newskb-relationships.csv",
}
CHUNK_CHARS = 64 * 1024
Writer = Callable[..., Iterator[str]]


def check_format(fmt: str) -> None:
    """Raise before anything is streamed: an unknown format, or FtM without its package."""
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if fmt == "ftm":
        try:
            import followthemoney  # noqa: F401
        except ImportError as exc:
            raise ExportUnavailable(
                "The ftm export needs the followthemoney package: "
                "install NewsKB with the ftm extra (pip install 'newskb[ftm]')."
            ) from exc


def stream_export(
    session: Session, fmt: str, *, batch_size: int = BATCH_SIZE, chunk_chars: int = CHUNK_CHARS
) -> Iterator[str]:
    """The export as text chunks of about ``chunk_chars``; rows are read ``batch_size`` at a
    time. Checks ``fmt`` now, reads nothing until the first chunk is asked for."""
    check_format(fmt)
    return _chunks(_writer(fmt)(session, batch_size=batch_size), chunk_chars)


def _writer(fmt: str) -> Writer:
    if fmt == "ftm":
        from app.kb.export import ftm  # the optional extra: imported only when asked for

        return ftm.iter_lines
    writers: dict[str, Writer] = {
        "jsonl": jsonl.iter_lines,
        "jsonld": jsonld.iter_document,
        "csv-entities": csv.iter_entity_rows,
        "csv-events": csv.iter_event_rows,
        "graphml": graphml.iter_document,
        "neo4j-nodes": neo4j.iter_node_rows,
        "neo4j-relationships": neo4j.iter_relationship_rows,
    }
    return writers[fmt]


def _chunks(pieces: Iterable[str], size: int) -> Iterator[str]:
    """Join small pieces into chunks of about ``size`` characters (fewer, larger writes)."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)
