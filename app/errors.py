"""Domain errors: each carries its HTTP status, a problem ``type`` slug and a title.

``app.kb`` raises these without knowing about HTTP; ``app.api.middleware.problems`` renders them as
RFC 9457 ``application/problem+json``.
"""

from typing import Any


class NewsKBError(Exception):
    status: int = 500
    type: str = "internal-error"
    title: str = "Internal error"
    retry_after: int | None = None  # seconds, sent as ``Retry-After`` (503s)

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidBody(NewsKBError):
    status = 400
    type = "invalid-body"
    title = "The request body cannot be read"


class Unauthorized(NewsKBError):
    status = 401
    type = "unauthorized"
    title = "Unauthorized"


class Forbidden(NewsKBError):
    status = 403
    type = "forbidden"
    title = "Forbidden"


class NotFound(NewsKBError):
    status = 404
    type = "not-found"
    title = "Not found"


class InvalidInput(NewsKBError):
    status = 422
    type = "invalid-input"
    title = "Invalid input"


class EmptyArticle(InvalidInput):
    type = "empty-article"
    title = "The article has no text"


class ArticleTooLong(InvalidInput):
    type = "article-too-long"
    title = "The article is too long to extract"


class ExtractionTooSlow(InvalidInput):
    type = "extraction-too-slow"
    title = "The article takes too long to extract"


class UnsupportedMediaType(NewsKBError):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidCursor(NewsKBError):
    status = 400
    type = "invalid-cursor"
    title = "Invalid pagination cursor"


class InvalidQuery(NewsKBError):
    status = 400
    type = "invalid-query"
    title = "Invalid search query"


class Conflict(NewsKBError):
    status = 409
    type = "conflict"
    title = "Conflict"


class UnreadableText(NewsKBError):
    status = 400
    type = "invalid-body"
    title = "The request body cannot be read"


class ExportUnavailable(NewsKBError):
    """An export format whose optional package is not installed on this server."""

    status = 501
    type = "export-unavailable"
    title = "Export format not available"


class ServiceUnavailable(NewsKBError):
    status = 503
    type = "service-unavailable"
    title = "Service unavailable"


class QueueFull(NewsKBError):
    """Back-pressure: the queue holds more waiting jobs than ``NEWSKB_QUEUE_MAX_DEPTH``."""

    status = 503
    type = "queue-full"
    title = "The ingest queue is full"
    retry_after = 30


class QueueUnavailable(NewsKBError):
    """The broker cannot be reached: the jobs were not handed over (they are marked failed)."""

    status = 503
    type = "queue-unavailable"
    title = "The ingest queue is unavailable"
    retry_after = 10
