"""Conditional GETs: a strong ``ETag`` on single resources, ``If-None-Match`` → 304."""

from fastapi import Request, Response
from pydantic import BaseModel

from app.api import cache_tags
from app.kb.answers import Answer, strong_etag


def etag_response(request: Request, model: BaseModel) -> Response:
    """Serialize ``model``; answer 304 when the client already holds this representation.

    The model is left for the read cache, which tags the answer with what it shows.
    """
    cache_tags.show(request.scope, model)
    body = model.model_dump_json().encode("utf-8")
    return _conditional(request, body, strong_etag(body))


def answer_response(request: Request, answer: Answer) -> Response:
    """``etag_response`` for an answer built or stored before (``app.kb.answers``)."""
    cache_tags.show(request.scope, answer.shown)
    return _conditional(request, answer.body, answer.etag)


def _conditional(request: Request, body: bytes, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates
