"""Every error leaves as RFC 9457 ``application/problem+json``: one renderer, one shape."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.middleware.context import error_headers
from app.errors import NewsKBError
from app.kb import health as kb_health

logger = logging.getLogger("newskb")
PROBLEM_BASE = "https://newskb.dev/problems/"
MEDIA_TYPE = "application/problem+json"

_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def problem(
    request: Request,
    *,
    status: int,
    type: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "errors": errors or [],
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _newskb_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NewsKBError)
    headers = {"WWW-Authenticate": 'Bearer realm="newskb"'} if exc.status == 401 else None
    if exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(
        request,
        status=exc.status,
        type=exc.type,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=headers,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    return problem(
        request,
        status=exc.status_code,
        type=slug,
        title=title,
        detail=str(exc.detail),
        headers=getattr(exc, "headers", None),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
    return problem(
        request,
        status=422,
        type="validation-error",
        title="Invalid input",
        detail=f"The request is not valid: {where}",
        errors=errors,
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A statement past its budget is a request too costly (422); a lost connection is an
    outage (503); any other driver error is a bug (500)."""
    if kb_health.too_expensive(exc):
        return await _too_expensive(request, exc)
    if kb_health.lost_connection(exc):
        return await _database_unavailable(request, exc)
    return await _unexpected(request, exc)


async def _too_expensive(request: Request, exc: Exception) -> JSONResponse:
    """422, not 503: the database is up, and the same request would cost as much again.

    Retrying later (``Retry-After``) does not help; asking for less does. Not 504 either: no
    upstream timed out, a budget of this API was spent.
    """
    logger.warning("statement budget spent on %s %s", request.method, request.url.path)
    return problem(
        request,
        status=422,
        type="query-too-expensive",
        title="Query too expensive",
        detail="The query this request asks for ran past its time budget; narrow it (fewer "
        "filters or terms, a smaller page) and try again.",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", exc.__class__.__name__)
    return problem(
        request,
        status=503,
        type="database-unavailable",
        title="Database unavailable",
        detail="The database cannot be reached right now; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette runs this handler outside every middleware, RequestContext included: the
    # request id comes from the scope, and so do the headers RequestContext would have added.
    headers = error_headers(request.scope)
    logger.exception(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        extra={"request_id": headers.get("X-Request-ID")},
    )
    return problem(
        request,
        status=500,
        type="internal-error",
        title="Internal error",
        detail="Something went wrong on our side; it has been logged.",
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NewsKBError, _newskb_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for database_error in kb_health.DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
