"""Articles: ingest, read, list, delete."""

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.api.conditional import answer_response
from app.api.deps import (
    ArticleIdPath,
    CodecDep,
    CursorQuery,
    JobQueueDep,
    LimitQuery,
    SessionDep,
    SessionOpenerDep,
    SettingsDep,
    opened,
    run_point_read,
    run_read,
)
from app.api.middleware.security import WriteKey
from app.api.pages import ETAG_HEADER, LINK_HEADER, article_hits, json_answer, link_next
from app.api.params import ArticleFiltersDep, SearchQuery, SortQuery
from app.api.routers.prefixed import PrefixedRouter
from app.errors import InvalidBody, InvalidInput, UnsupportedMediaType
from app.extract.encoding import UndecodableText, decode_document
from app.kb import answers as kb_answers
from app.kb import articles as kb_articles
from app.kb import ingest as kb_ingest
from app.kb import intake
from app.kb import jobs as kb_jobs
from app.kb import pages as kb_pages
from app.kb import versions as kb_versions
from app.kb.intake import clean_article
from app.kb.search import articles as kb_search
from app.kb.search.relevance import ArticleHit as ArticleHitRow
from app.kb.sql.pagination import Page as KbPage
from app.schemas.articles import ArticleCreate, ArticleRead
from app.schemas.common import MAX_ID, PROBLEM_RESPONSES, Page
from app.schemas.entities import MentionRead
from app.schemas.jobs import JobRead
from app.schemas.search import ArticleHit
from app.schemas.versions import ArticleVersionRead, ArticleVersionSummary

router = PrefixedRouter(prefix="/v1/articles", tags=["articles"], responses=PROBLEM_RESPONSES)


async def read_article_body(request: Request) -> ArticleCreate:
    """Accept JSON (`ArticleCreate`) or a raw `text/plain` / `text/html` body.

    JSON must be UTF-8; plain text is UTF-8 unless the `Content-Type` declares a charset (a
    byte-order mark also counts); an HTML page is read in the charset it declares (the
    `Content-Type` charset, a byte-order mark or the page's `<meta charset>`), as a browser would.
    Plain text in an unknown encoding is refused (400), never guessed.
    """
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    # Decoding, JSON and markup stripping of up to the body limit: not on the event loop.
    return await run_in_threadpool(_article_from_body, raw, content_type)


def _article_from_body(raw: bytes, content_type: str) -> ArticleCreate:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in ("text/plain", "text/html"):
        kind: Literal["text", "html"] = "html" if media_type == "text/html" else "text"
        try:
            text = decode_document(raw, kind, _charset(content_type))
        except UndecodableText as exc:
            raise InvalidBody(f"The body cannot be read as text: {exc}.") from exc
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBody(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    if "\x00" in text:
        raise InvalidBody("The body contains NUL characters.")
    if media_type in ("text/plain", "text/html"):
        kind = "html" if media_type == "text/html" else "text"
        return clean_article(ArticleCreate.model_validate({kind: text}))
    if media_type not in ("application/json", ""):
        raise UnsupportedMediaType(
            f"Send application/json, text/plain or text/html, not {media_type!r}."
        )
    try:
        payload: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidBody(f"The body is not valid JSON: {exc.msg} at position {exc.pos}.") from exc
    except RecursionError as exc:
        raise InvalidBody("The body is not valid JSON: nested too deeply.") from exc
    try:
        return clean_article(ArticleCreate.model_validate(payload))
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise InvalidInput(
            "The article is not valid: " + "; ".join(str(e["msg"]) for e in errors[:5]),
            errors=errors,
        ) from exc


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


ARTICLE_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ArticleCreate"}},
            "text/plain": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "",
    response_model=ArticleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Ingest an article",
    openapi_extra=ARTICLE_BODY_DOC,
    dependencies=[WriteKey],
    responses={
        200: {"model": ArticleRead, "description": "Already stored: the existing article"},
        202: {
            "model": JobRead,
            "description": "Queued (`Prefer: respond-async`, with a queue): the job, at `Location`",
        },
    },
)
def create_article(
    document: Annotated[ArticleCreate, Depends(read_article_body)],
    session: SessionDep,
    settings: SettingsDep,
    queue: JobQueueDep,
    request: Request,
    response: Response,
    prefer: Annotated[
        str | None,
        Header(
            description="`respond-async`: queue the article and answer 202 with the job at "
            "once (applied only where a queue is configured; `Preference-Applied` says so).",
            examples=["respond-async"],
        ),
    ] = None,
) -> ArticleRead | JSONResponse:
    """Clean the article, extract its facts and store them in one transaction.

    Answers 201 with a `Location` for a new article (with `duplicate_of` and `similarity` when
    it repeats a stored story at another URL), 200 with the stored one when the same content
    was ingested before (nothing new is written), and 200 with the article at its next
    `version` when a new text comes at the URL of a stored article (the earlier text stays
    readable at `/v1/articles/{id}/versions/{n}`; the facts are extracted again). With
    `Prefer: respond-async` and a queue, answers 202 with the job (`Location: /v1/jobs/{id}`).
    """
    if queue.asynchronous and _prefers_async(prefer):
        jobs = kb_jobs.submit_documents(
            session,
            [intake.document_from(document)],
            queue=queue,
            max_depth=settings.queue_max_depth,
        )
        job = JobRead.model_validate(jobs[0])
        headers = {
            "Location": str(request.url_for("get_job", job_id=job.id)),
            "Preference-Applied": "respond-async",
        }
        return JSONResponse(job.model_dump(mode="json"), status_code=202, headers=headers)
    result = intake.ingest_document(
        session,
        intake.document_from(document),
        model_names=settings.spacy_model,
        budget_seconds=settings.extraction_budget_seconds,
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_article", article_id=result.article.id))
    return _article_read(session, result.article.id)


def _prefers_async(prefer: str | None) -> bool:
    """RFC 7240: preferences are comma-separated tokens, each with optional parameters."""
    tokens = (p.split(";")[0].strip().lower() for p in (prefer or "").split(","))
    return "respond-async" in tokens


@router.get(
    "",
    response_model=Page[ArticleHit],
    summary="List and search articles",
    responses={200: {"headers": LINK_HEADER}},
)
async def list_articles(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    filters: ArticleFiltersDep,
    q: SearchQuery = None,
    sort: SortQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Newest first, or by relevance to `q` with a highlighted `snippet` per hit.

    Every filter combines with the others and with `q`. The same query means the same thing
    on SQLite (FTS5) and PostgreSQL (`tsvector`).
    """
    search = partial(
        kb_search.search_articles,
        q=q,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        codec=codec,
    )
    return await run_read(_articles_answer, session, request, response, search)


def _articles_answer(
    session: SessionDep,
    request: Request,
    response: Response,
    search: Callable[[SessionDep], KbPage[ArticleHitRow]],
) -> Response:
    page = search(session)
    link_next(request, response, page.next_cursor)
    hits = Page[ArticleHit](items=article_hits(page.items), next_cursor=page.next_cursor)
    return json_answer(hits, response)


@router.get(
    "/{article_id}",
    response_model=ArticleRead,
    summary="One article with its facts",
    responses={200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified"}},
)
async def get_article(
    article_id: ArticleIdPath, open_session: SessionOpenerDep, request: Request
) -> Response:
    """All metadata, the cleaned body, and every fact extracted from it with its span.

    Answers with an `ETag`; send it back in `If-None-Match` to get a 304 when unchanged.
    """
    answer = await request.app.state.answer_reader.read(article_id)  # stored: in the loop
    if answer is None:
        async with opened(request, open_session) as session:
            answer = await run_point_read(request, kb_answers.article_answer, session, article_id)
    return answer_response(request, answer)


@router.get(
    "/{article_id}/mentions",
    response_model=Page[MentionRead],
    summary="Every entity mention in an article",
    responses={200: {"headers": LINK_HEADER}},
)
def list_mentions(
    article_id: ArticleIdPath,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[MentionRead]:
    """In reading order: by zone (body, caption...), then by offset; each with its span."""
    page = kb_articles.list_mentions(session, article_id, limit=limit, cursor=cursor, codec=codec)
    link_next(request, response, page.next_cursor)
    return Page[MentionRead](
        items=[MentionRead.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/{article_id}/reextract",
    response_model=ArticleRead,
    summary="Re-run the current extractor over an article",
    dependencies=[WriteKey],
)
def reextract_article(
    article_id: ArticleIdPath, session: SessionDep, settings: SettingsDep
) -> ArticleRead:
    """Replace the article's facts with those of the current extractor, in one transaction."""
    kb_ingest.reextract_article(session, article_id, model_names=settings.spacy_model)
    return _article_read(session, article_id)


@router.get(
    "/{article_id}/versions",
    response_model=Page[ArticleVersionSummary],
    summary="Every text an article has had",
)
def list_versions(article_id: ArticleIdPath, session: SessionDep) -> Page[ArticleVersionSummary]:
    """Oldest first; the last is the current text (`current: true`). One page: an article
    has a handful of versions."""
    found = kb_versions.list_versions(session, article_id)
    return Page[ArticleVersionSummary](
        items=[ArticleVersionSummary.model_validate(v) for v in found], next_cursor=None
    )


@router.get(
    "/{article_id}/versions/{version_id}",
    response_model=ArticleVersionRead,
    summary="One text of an article",
)
def get_version(
    article_id: ArticleIdPath,
    version_id: Annotated[
        int, Path(ge=1, le=MAX_ID, description="Version number (1 is the first).", examples=[1])
    ],
    session: SessionDep,
) -> ArticleVersionRead:
    """The text of version `version_id` (its number: 1 is the first) as it was stored; facts
    are kept for the current text only."""
    found = kb_versions.get_version(session, article_id, version_id)
    return ArticleVersionRead.model_validate(
        {**vars(found.summary), "teaser": found.teaser, "published_at": found.published_at}
        | {"body": found.body}
    )


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an article",
    dependencies=[WriteKey],
)
def delete_article(article_id: ArticleIdPath, session: SessionDep) -> Response:
    """Delete the article and its facts; events no other article reports go too."""
    kb_ingest.delete_article(session, article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _article_read(session: SessionDep, article_id: int) -> ArticleRead:
    return ArticleRead.model_validate(kb_pages.article_page(session, article_id))
