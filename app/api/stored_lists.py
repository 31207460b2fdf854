"""The two lists whose items are stored: ``GET /v1/events`` without filters and an entity's
timeline, read in the event loop (``app.kb.answers.AnswerReader``) and answered here.

Their routes answer through these functions, and so does ``app.api.middleware.stored_lists``
before routing, for the plain pages that need nothing of FastAPI's: the same function, the
same bytes and headers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.api.pages import page_answer
from app.kb import timeline as kb_timeline
from app.kb.sql.pagination import CursorCodec, Page
from app.schemas.events import TIMELINE_ARTICLE, EventArticle, TimelineItem

# Set in the scope by the middleware when it read the page and the session must answer it.
LEFT_TO_SESSION = "newskb.stored_list_left_to_session"


async def events_answer(
    request: Request, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Response | None:
    """A page of every event from its stored items; None when the session must answer (an
    item not stored, a cursor that does not fit, the read failed)."""
    if request.scope.get(LEFT_TO_SESSION):
        return None
    reader = request.app.state.answer_reader
    page = await reader.read_events(limit=limit, cursor=cursor, codec=codec)
    if page is None:
        return None
    return page_answer(request, page.items, page.next_cursor)


async def timeline_answer(
    request: Request, entity_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Response | None:
    """A page of the entity's timeline with its stored event items; None when the session
    must answer (a merged or missing entity, an item not stored, a cursor that does not fit,
    the read failed)."""
    if request.scope.get(LEFT_TO_SESSION):
        return None
    reader = request.app.state.answer_reader
    page = await reader.read_timeline(entity_id, limit=limit, cursor=cursor, codec=codec)
    if page is None:
        return None
    return timeline_page_answer(request, page)


def timeline_page_answer(request: Request, page: Page[kb_timeline.TimelineItem]) -> Response:
    return page_answer(request, [timeline_item(item) for item in page.items], page.next_cursor)


def timeline_item(item: kb_timeline.TimelineItem) -> bytes:
    """``TimelineItem``'s JSON around an event's stored item, or built for an article."""
    if item.event is not None:
        day = item.day.isoformat().encode("ascii")
        return b'{"kind":"event","date":"%s","event":%s,"article":null}' % (day, item.event)
    if isinstance(item.article, dict):  # read in the event loop: its fields, already typed
        fields = {"kind": "article", "date": item.day, "event": None, "article": item.article}
        return TIMELINE_ARTICLE.dump_json(fields)  # type: ignore[arg-type]
    article = EventArticle.model_validate(item.article) if item.article else None
    model = TimelineItem(kind=item.kind, date=item.day, event=None, article=article)
    return model.model_dump_json().encode("utf-8")
