"""What an answer shows, as the read cache's tags: the articles, entities and events in it.

A route that answers one resource (``etag_response``) leaves its model in the ASGI scope; the
read cache (``app.api.middleware.cache``) turns it into tags when it keeps the answer, so a
write drops only the answers that show something it wrote. A stored article answer
(``app.kb.answers``) leaves what it shows as it was stored with it.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.types import Scope

from app.kb.shown import Shown, shown_by

SCOPE_KEY = "newskb.shown"

__all__ = ["SCOPE_KEY", "Shown", "show", "shown_in"]


def show(scope: Scope, shown: BaseModel | Shown | str) -> None:
    """Record what an answer shows, for ``shown_in``: the model it serializes, or what a
    stored answer shows (``Shown``, or its JSON, read only if the cache keeps the answer)."""
    scope[SCOPE_KEY] = shown


def shown_in(scope: Scope) -> Shown | None:
    """What the answer built for ``scope`` shows; None (any write may change it) when the route
    recorded nothing: lists, searches, counts."""
    value = scope.get(SCOPE_KEY)
    if value is None or isinstance(value, Shown):
        return value
    if isinstance(value, str):
        return Shown.from_json(value)
    return shown_by(value)
