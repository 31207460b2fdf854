"""Events: meetings, visits, exercises, deals... each with participants and evidence."""

from collections.abc import Callable
from functools import partial

from fastapi import Request, Response

from app.api import stored_lists
from app.api.conditional import etag_response
from app.api.deps import (
    CodecDep,
    EventIdPath,
    SessionDep,
    SessionOpenerDep,
    opened,
    run_point_read,
    run_read,
)
from app.api.pages import ETAG_HEADER, LINK_HEADER, page_answer
from app.api.params import EventListParams
from app.api.routers.prefixed import PrefixedRouter
from app.kb import events as kb_events
from app.kb import pages as kb_pages
from app.kb.sql.pagination import Page as KbPage
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.events import EventDetail, EventRead

router = PrefixedRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=Page[EventRead],
    summary="List events in date order",
    responses={200: {"headers": LINK_HEADER}},
)
async def list_events(
    open_session: SessionOpenerDep,
    codec: CodecDep,
    request: Request,
    query: EventListParams,
) -> Response:
    if not query.filtered:
        # Every event: its stored items, read in the event loop (else built in a thread).
        answer = await stored_lists.events_answer(
            request, limit=query.limit, cursor=query.cursor, codec=codec
        )
        if answer is not None:
            return answer
    async with opened(request, open_session) as session:
        return await run_read(
            _events_answer,
            session,
            request,
            partial(
                kb_events.list_events,
                type=query.type,
                entity_ids=list(dict.fromkeys(query.entity)),
                status=query.status,
                date_from=query.date_from,
                date_to=query.date_to,
                location_id=query.location,
                q=query.q or None,  # an empty q filters nothing: the cursors of every event's list
                limit=query.limit,
                cursor=query.cursor,
                codec=codec,
            ),
        )


def _events_answer(
    session: SessionDep,
    request: Request,
    list_events: Callable[[SessionDep], KbPage[bytes]],
) -> Response:
    page = list_events(session)
    return page_answer(request, page.items, page.next_cursor)


@router.get(
    "/{event_id}",
    response_model=EventDetail,
    summary="One event with its evidence and articles",
    responses={200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified"}},
)
async def get_event(event_id: EventIdPath, session: SessionDep, request: Request) -> Response:
    """The event with its participants, amounts, the article spans that report it and those
    articles. Answers with an `ETag` (`If-None-Match` → 304)."""
    page = await run_point_read(request, kb_pages.event_page, session, event_id)
    return etag_response(request, EventDetail.model_validate(page))
