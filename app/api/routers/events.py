"""Events: meetings, visits, exercises, deals... each with participants and evidence."""

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.conditional import etag_response
from app.api.deps import (
    CodecDep,
    CursorQuery,
    EventIdPath,
    LimitQuery,
    SessionDep,
    run_point_read,
    run_read,
)
from app.api.pages import ETAG_HEADER, LINK_HEADER, items_answer, link_next
from app.api.params import ParticipantIds
from app.extract.types import EventStatus, EventType
from app.kb import events as kb_events
from app.kb import pages as kb_pages
from app.kb.sql.pagination import Page as KbPage
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.events import EventDetail, EventRead

router = APIRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=Page[EventRead],
    summary="List events in date order",
    responses={200: {"headers": LINK_HEADER}},
)
async def list_events(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    type: Annotated[EventType | None, Query(description="Only this type.")] = None,
    entity: ParticipantIds = [],  # noqa: B006  (FastAPI copies defaults)
    status: Annotated[EventStatus | None, Query(description="occurred, ongoing, expected")] = None,
    date_from: Annotated[date | None, Query(description="Events ending on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Events starting on or before.")] = None,
    location: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Entity id of the place.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Every word occurs in the summary (any case)."),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    q = q or None  # an empty q filters nothing: the cursors of the list of every event
    if not (type or entity or status or date_from or date_to or location or q):
        # Every event: its stored items, read in the event loop (else built in a thread).
        reader = request.app.state.answer_reader
        page = await reader.read_events(limit=limit, cursor=cursor, codec=codec)
        if page is not None:
            link_next(request, response, page.next_cursor)
            return items_answer(page.items, page.next_cursor, response)
    return await run_read(
        _events_answer,
        session,
        request,
        response,
        partial(
            kb_events.list_events,
            type=type,
            entity_ids=list(dict.fromkeys(entity)),
            status=status,
            date_from=date_from,
            date_to=date_to,
            location_id=location,
            q=q,
            limit=limit,
            cursor=cursor,
            codec=codec,
        ),
    )


def _events_answer(
    session: SessionDep,
    request: Request,
    response: Response,
    list_events: Callable[[SessionDep], KbPage[bytes]],
) -> Response:
    page = list_events(session)
    link_next(request, response, page.next_cursor)
    return items_answer(page.items, page.next_cursor, response)


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
