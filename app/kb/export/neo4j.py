"""CSV for ``neo4j-admin database import``: one file of nodes, one of relationships, with the
tool's header syntax (``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``, ``:TYPE``, typed
properties such as ``mention_count:int``, ``aliases:string[]`` split on ``;``).

Unlike the spreadsheet CSVs (``csv.py``), cells are written as they are, with no ``'`` before
a leading ``=``/``-``/``@``: these files are read by the import tool, where a changed value
would be a wrong name ("@handle"), and an empty cell is a missing property.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.kb.export.graph import Value, iter_edges, iter_nodes

# (header cell, property) in column order.
NODE_COLUMNS = (
    ("id:ID", None),
    (":LABEL", None),
    ("name", "name"),
    ("type", "type"),
    ("aliases:string[]", "aliases"),
    ("country_code", "country_code"),
    ("wikidata_id", "wikidata_id"),
    ("mention_count:int", "mention_count"),
    ("article_count:int", "article_count"),
    ("status", "status"),
    ("summary", "summary"),
    ("date_start:date", "date_start"),
    ("date_end:date", "date_end"),
    ("trigger", "trigger"),
    ("title", "title"),
    ("url", "url"),
    ("published_at:datetime", "published_at"),
    ("source", "source"),
)
RELATIONSHIP_COLUMNS = (
    (":START_ID", None),
    (":END_ID", None),
    (":TYPE", None),
    ("id", None),
    ("articles:int", "articles"),
    ("sentences:int", "sentences"),
    ("weight:int", "weight"),
    ("role", "role"),
    ("quote_id:int", "quote_id"),
    ("text", "text"),
    ("direct:boolean", "direct"),
    ("main:boolean", "main"),
)


def iter_node_rows(session: Session, *, batch_size: int) -> Iterator[str]:
    rows = (
        [node.id, ";".join(node.labels), *(node.props.get(p) for _, p in NODE_COLUMNS[2:] if p)]
        for node in iter_nodes(session, batch_size=batch_size)
    )
    return _lines([header for header, _ in NODE_COLUMNS], rows)


def iter_relationship_rows(session: Session, *, batch_size: int) -> Iterator[str]:
    rows = (
        [
            edge.source,
            edge.target,
            edge.label,
            edge.id,
            *(edge.props.get(p) for _, p in RELATIONSHIP_COLUMNS[4:] if p),
        ]
        for edge in iter_edges(session, batch_size=batch_size)
    )
    return _lines([header for header, _ in RELATIONSHIP_COLUMNS], rows)


def _lines(header: list[str], rows: Iterable[list[Value]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
