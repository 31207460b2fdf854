"""Quotes with their speakers."""

from typing import Annotated

from fastapi import Query, Request, Response

from app.api.deps import CodecDep, CursorQuery, LimitQuery, SessionDep
from app.api.pages import link_next
from app.api.routers.prefixed import PrefixedRouter
from app.kb import quotes as kb_quotes
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.facts import QuoteRead

router = PrefixedRouter(prefix="/v1/quotes", tags=["quotes"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[QuoteRead], summary="List quotes, optionally by speaker")
def list_quotes(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    speaker: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Speaker entity id.")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[QuoteRead]:
    page = kb_quotes.list_quotes(
        session, speaker_id=speaker, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    return Page[QuoteRead](
        items=[QuoteRead.model_validate(q) for q in page.items], next_cursor=page.next_cursor
    )
