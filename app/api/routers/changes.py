"""The change feed, for clients that mirror the knowledge base incrementally."""

from typing import Annotated, Literal

from fastapi import Query, Request, Response

from app.api.deps import CodecDep, CursorQuery, LimitQuery, SessionDep
from app.api.pages import LINK_HEADER, link_next
from app.api.routers.prefixed import PrefixedRouter
from app.kb import changes as kb_changes
from app.schemas.changes import ChangePage, ChangeRead
from app.schemas.common import PROBLEM_RESPONSES

router = PrefixedRouter(prefix="/v1/changes", tags=["changes"], responses=PROBLEM_RESPONSES)
HREF = {"article": "/v1/articles/{}", "entity": "/v1/entities/{}"}


@router.get(
    "",
    response_model=ChangePage,
    summary="What changed since a point in time or a cursor",
    responses={200: {"headers": LINK_HEADER}},
)
def list_changes(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    since: Annotated[
        str | None,
        Query(
            max_length=512,
            description="An ISO 8601 time (changes at or after it) or a `resume_cursor` / "
            "`next_cursor` from an earlier answer. Leave out to read the feed from the start.",
            examples=["2021-09-12T00:00:00Z"],
        ),
    ] = None,
    kind: Annotated[
        Literal["article", "entity"] | None, Query(description="Only this kind of object.")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> ChangePage:
    """Created, updated, merged and deleted articles and entities, oldest first.

    A deletion stays in the feed as a tombstone (`action: deleted`, no `href`). To mirror the
    knowledge base, read from the start, apply each change, and keep `resume_cursor`: passed
    as `since`, it returns only what changed after it.
    """
    page = kb_changes.list_changes(
        session, since=since, kind=kind, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    return ChangePage(
        items=[
            ChangeRead(
                seq=c.id,
                at=c.at,
                kind=c.kind,
                id=c.object_id,
                action=c.action,
                merged_into=c.merged_into_id,
                href=None if c.action == "deleted" else HREF[c.kind].format(c.object_id),
            )
            for c in page.items
        ],
        next_cursor=page.next_cursor,
        resume_cursor=page.resume_cursor,
    )
