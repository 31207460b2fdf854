"""Export: the whole knowledge base as one streamed file."""

from collections.abc import Iterator
from itertools import chain
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import StreamingResponse

from app.api.deps import SessionFactoryDep
from app.api.routers.prefixed import PrefixedRouter
from app.kb import export as kb_export
from app.schemas.common import PROBLEM_RESPONSES, Problem

router = PrefixedRouter(prefix="/v1/export", tags=["export"], responses=PROBLEM_RESPONSES)

FormatQuery = Annotated[
    kb_export.ExportFormat,
    Query(
        alias="format",
        description="`jsonl`, `jsonld`, `ftm` (needs the `ftm` extra), `csv-entities`, "
        "`csv-events`, `graphml`, `neo4j-nodes` or `neo4j-relationships`.",
        examples=["jsonl"],
    ),
]
STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed as it is read (chunked transfer encoding).",
        "content": {
            # JSON-LD is one JSON document (a graph); the others are lines, CSV or XML text.
            media_type: {"schema": {"type": "object" if media_type.endswith("+json") else "string"}}
            for media_type in dict.fromkeys(kb_export.MEDIA_TYPES.values())
        },
        "headers": {
            "Content-Disposition": {
                "description": 'A file name: `attachment; filename="newskb-articles.jsonl"`.',
                "schema": {"type": "string"},
            }
        },
    },
    501: {
        "model": Problem,
        "content": {"application/problem+json": {}},
        "description": "`format=ftm` on a server without the `followthemoney` package "
        "(install `newskb[ftm]`)",
    },
}


@router.get(
    "",
    response_class=StreamingResponse,
    summary="Export articles, entities and events",
    responses=STREAMED,
)
def export(fmt: FormatQuery, sessions: SessionFactoryDep) -> StreamingResponse:
    """The whole knowledge base in one format, streamed: rows are read in batches while the
    answer is written, so memory stays flat whatever the size.

    - `jsonl`: one article per line with its mentions, entities, roles, dates, amounts,
      quotes and events, each with its span.
    - `jsonld`: one schema.org graph (`NewsArticle` with `mentions`, `about`, `author`,
      `datePublished`; entities; `Event`s), inline context, spans in a `newskb:` namespace.
    - `ftm`: FollowTheMoney entities for Aleph and OpenSanctions tools.
    - `csv-entities`, `csv-events`: one row per live entity, or per event.
    - `graphml`: the graph of entities, events and articles, with co-mention edges (weighted
      by shared articles and sentences), participation edges (roles), quote and report edges.
    - `neo4j-nodes`, `neo4j-relationships`: the same graph as the two CSV files of
      `neo4j-admin database import`.

    The first chunk is read before the status line is sent, so a format that is not available
    (501), a database that cannot be reached (503) or any error on the first rows is a problem
    document, never a 200 with an empty or partial body; an error after the first bytes cannot
    become a problem document: the connection is cut. `curl --fail -o FILE` keeps no file then.
    """
    kb_export.check_format(fmt)

    def body() -> Iterator[str]:
        with sessions() as session:
            yield from kb_export.stream_export(session, fmt)

    chunks = body()
    first = next(chunks, "")  # here, before the answer starts: its errors are still problems
    return StreamingResponse(
        chain([first], chunks),
        media_type=kb_export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kb_export.FILE_NAMES[fmt]}"'},
    )
