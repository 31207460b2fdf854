"""Conditional GETs: a strong ``ETag`` on single resources, ``If-None-Match`` → 304."""

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

from app.api import cache_tags


def etag_response(request: Request, model: BaseModel) -> Response:
    """Serialize ``model``; answer 304 when the client already holds this representation.

    The model is left for the read cache, which tags the answer with what it shows.
    """
    cache_tags.show(request.scope, model)
    body = model.model_dump_json().encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates
