"""Events: meetings, visits, exercises, deals... each with participants and evidence."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import CodecDep, CursorQuery, EventIdPath, LimitQuery, SessionDep
from app.api.pages import link_next
from app.kb import events as kb_events
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.events import EventRead

router = APIRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)

EventType = Literal[
    "meeting",
    "visit",
    "military_exercise",
    "arms_deal",
    "agreement",
    "statement",
    "state_of_emergency",
    "deployment",
    "attack",
    "election",
    "protest",
    "sanction",
    "other",
]
EventStatus = Literal["occurred", "ongoing", "expected"]


@router.get("", response_model=Page[EventRead], summary="List events in date order")
def list_events(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    type: Annotated[EventType | None, Query(description="Only this type.")] = None,
    entity: Annotated[
        list[Annotated[int, Query(ge=1, le=2**31 - 1)]],
        Query(description="Entity ids that must all take part (repeatable)."),
    ] = [],  # noqa: B006  (FastAPI copies defaults)
    status: Annotated[EventStatus | None, Query(description="occurred, ongoing, expected")] = None,
    date_from: Annotated[date | None, Query(description="Events ending on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Events starting on or before.")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[EventRead]:
    page = kb_events.list_events(
        session,
        type=type,
        entity_ids=entity,
        status=status,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
        codec=codec,
    )
    link_next(request, response, page.next_cursor)
    return Page[EventRead](
        items=[EventRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get("/{event_id}", response_model=EventRead, summary="One event")
def get_event(event_id: EventIdPath, session: SessionDep) -> EventRead:
    """The event with its participants, amounts and the article spans that report it."""
    return EventRead.model_validate(kb_events.get_event(session, event_id))
