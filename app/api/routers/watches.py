"""Watches: saved searches that record every new matching article, pushed to a webhook."""

from typing import Annotated

from fastapi import Path, Request, Response, status

from app.api.deps import (
    CodecDep,
    CursorQuery,
    JsonBody,
    LimitQuery,
    SessionDep,
    SettingsDep,
)
from app.api.middleware.security import WriteKey
from app.api.pages import LINK_HEADER, link_next
from app.api.routers.prefixed import PrefixedRouter
from app.kb import watches as kb_watches
from app.kb import webhooks as kb_webhooks
from app.schemas.articles import ArticleSummary
from app.schemas.common import MAX_ID, PROBLEM_RESPONSES, Page
from app.schemas.watches import (
    WatchCreate,
    WatchCreated,
    WatchDeliveryRead,
    WatchFilters,
    WatchMatchPage,
    WatchMatchRead,
    WatchRead,
    WatchUpdate,
)

# Every watch route needs the key, reads included: a watch holds its owner's webhook URL.
router = PrefixedRouter(
    prefix="/v1/watches",
    tags=["watches"],
    responses=PROBLEM_RESPONSES,
    dependencies=[WriteKey],
)
WatchIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Watch id", examples=[1])]


def _read(watch: kb_watches.Watch) -> WatchRead:
    return WatchRead(
        id=watch.id,
        name=watch.name,
        q=watch.q,
        filters=WatchFilters.model_validate(watch.filters),
        webhook_url=watch.webhook_url,
        status="paused" if watch.status == "paused" else "active",
        paused_reason=watch.paused_reason,
        consecutive_failures=watch.consecutive_failures,
        created_at=watch.created_at,
        updated_at=watch.updated_at,
    )


def _filters(body: WatchFilters) -> kb_watches.WatchFilters:
    return kb_watches.WatchFilters(
        entity_ids=tuple(dict.fromkeys(body.entity_ids)),
        entity_types=tuple(dict.fromkeys(body.entity_types)),
        event_types=tuple(dict.fromkeys(body.event_types)),
        sources=tuple(dict.fromkeys(body.sources)),
        section=body.section,
        tag=body.tag,
        language=body.language,
        published_from=body.published_from,
        published_to=body.published_to,
    )


@router.post(
    "",
    response_model=WatchCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Save a search and be told of new matches",
    dependencies=[JsonBody],
)
def create_watch(
    body: WatchCreate,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> WatchCreated:
    """Every article ingested from now on that matches `q` and the filters is recorded once
    as a match (`GET /v1/watches/{id}/matches`) and, with a `webhook_url`, POSTed there,
    signed with the `secret` of this answer (shown only here)."""
    url = body.webhook_url
    if url is not None:
        url = kb_webhooks.check_url(url, allow_private=settings.webhook_allow_private)
    created = kb_watches.create_watch(
        session, q=body.q, filters=_filters(body), name=body.name, webhook_url=url
    )
    response.headers["Location"] = str(request.url_for("get_watch", watch_id=created.watch.id))
    return WatchCreated(**_read(created.watch).model_dump(), secret=created.secret)


@router.get(
    "",
    response_model=Page[WatchRead],
    summary="List watches",
    responses={200: {"headers": LINK_HEADER}},
)
def list_watches(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[WatchRead]:
    """Oldest first."""
    page = kb_watches.list_watches(session, limit=limit, cursor=cursor, codec=codec)
    link_next(request, response, page.next_cursor)
    return Page[WatchRead](items=[_read(w) for w in page.items], next_cursor=page.next_cursor)


@router.get("/{watch_id}", response_model=WatchRead, summary="One watch")
def get_watch(watch_id: WatchIdPath, session: SessionDep) -> WatchRead:
    return _read(kb_watches.get_watch(session, watch_id))


@router.patch(
    "/{watch_id}",
    response_model=WatchRead,
    summary="Pause, resume or change a watch",
    dependencies=[JsonBody],
)
def update_watch(
    watch_id: WatchIdPath, body: WatchUpdate, session: SessionDep, settings: SettingsDep
) -> WatchRead:
    """`status: paused` stops deliveries, `active` resumes them (what was pending is sent);
    `webhook_url` replaces the URL (null removes it)."""
    given = body.model_fields_set
    url = body.webhook_url
    if url is not None:
        url = kb_webhooks.check_url(url, allow_private=settings.webhook_allow_private)
    watch = kb_watches.update_watch(
        session,
        watch_id,
        kb_watches.WatchChanges(
            status=body.status,
            name=body.name,
            webhook_url=url,
            set_name="name" in given,
            set_webhook_url="webhook_url" in given,
        ),
    )
    return _read(watch)


@router.delete("/{watch_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a watch")
def delete_watch(watch_id: WatchIdPath, session: SessionDep) -> Response:
    """With its matches and delivery log; the articles stay."""
    kb_watches.delete_watch(session, watch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{watch_id}/matches",
    response_model=WatchMatchPage,
    summary="The articles that matched a watch",
    responses={200: {"headers": LINK_HEADER}},
)
def list_matches(
    watch_id: WatchIdPath,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> WatchMatchPage:
    """Oldest first. Keep `resume_cursor` and pass it as `cursor` later: the answer then
    holds only the matches recorded since (pull instead of a webhook)."""
    page = kb_watches.list_matches(session, watch_id, limit=limit, cursor=cursor, codec=codec)
    link_next(request, response, page.next_cursor)
    return WatchMatchPage(
        items=[
            WatchMatchRead(
                id=row.match.id,
                matched_at=row.match.matched_at,
                article=ArticleSummary.model_validate(row.article),
            )
            for row in page.items
        ],
        next_cursor=page.next_cursor,
        resume_cursor=page.resume_cursor,
    )


@router.get(
    "/{watch_id}/deliveries",
    response_model=Page[WatchDeliveryRead],
    summary="A watch's webhook delivery log",
    responses={200: {"headers": LINK_HEADER}},
)
def list_deliveries(
    watch_id: WatchIdPath,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[WatchDeliveryRead]:
    """Newest first: each delivery with its attempts, the last answer's status or error, and
    when it is tried next."""
    page = kb_watches.list_deliveries(session, watch_id, limit=limit, cursor=cursor, codec=codec)
    link_next(request, response, page.next_cursor)
    return Page[WatchDeliveryRead](
        items=[WatchDeliveryRead.model_validate(d) for d in page.items],
        next_cursor=page.next_cursor,
    )
