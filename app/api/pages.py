"""Turn a kb page into the answer: ``items``, ``next_cursor`` and a ``Link: rel="next"`` header."""

import json
from collections.abc import Sequence

from fastapi import Request, Response
from pydantic import BaseModel

from app.kb.search.relevance import ArticleHit as ArticleHitRow
from app.schemas.search import ArticleHit


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor:
        response.headers["Link"] = next_link(request, next_cursor)


def next_link(request: Request, next_cursor: str) -> str:
    """The ``Link`` header's value for the next page: this URL with the next cursor."""
    return f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'


def json_answer(model: BaseModel, response: Response | None = None) -> Response:
    """``model``'s JSON sent as FastAPI sends a route's return value (the same bytes: its
    ``response_model`` is the model's own class), with the headers set on ``response`` (the
    route's ``Response`` parameter), for routes that build their answer in their worker thread
    (``app.api.deps.run_read``). The ``response_model`` stays on the route for the docs."""
    answer = Response(model.model_dump_json().encode("utf-8"), media_type="application/json")
    if response is not None:
        answer.headers.raw.extend(response.headers.raw)
    return answer


def page_answer(request: Request, items: Sequence[bytes], next_cursor: str | None) -> Response:
    """``json_answer`` of a ``Page`` whose items are JSON already (stored event items): the
    same bytes, without a model per item, with the ``Link`` header of the next page (as
    ``link_next`` sets it)."""
    body = b"".join(
        (b'{"items":[', b",".join(items), b'],"next_cursor":', _json(next_cursor), b"}")
    )
    answer = Response(body, media_type="application/json")
    if next_cursor:
        answer.headers["Link"] = next_link(request, next_cursor)
    return answer


def _json(value: str | None) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


LINK_HEADER = {
    "Link": {
        "description": 'The next page: `<url>; rel="next"` (absent on the last page).',
        "schema": {"type": "string"},
    }
}
ETAG_HEADER = {
    "ETag": {
        "description": "Version of this representation; send it in `If-None-Match` for a 304.",
        "schema": {"type": "string"},
    }
}


def article_hits(hits: list[ArticleHitRow]) -> list[ArticleHit]:
    """kb search hits → answer items: the summary plus score and snippet."""
    items = []
    for hit in hits:
        item = ArticleHit.model_validate(hit.article)
        item.score, item.snippet = hit.score, hit.snippet
        items.append(item)
    return items
