"""Prometheus scrape endpoint."""

from fastapi import APIRouter, Request, Response

from app import metrics
from app.api.deps import SessionDep
from app.kb import jobs as kb_jobs
from app.schemas.common import Problem

router = APIRouter(tags=["monitoring"])
TEXT_FORMATS = ("text/plain", "application/openmetrics-text")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The metrics in the Prometheus text format, or OpenMetrics when the "
            "`Accept` header asks for it.",
            "content": {media: {"schema": {"type": "string"}} for media in TEXT_FORMATS},
        },
        401: {
            "description": "Reads are behind an API key and it is missing or not valid",
            "model": Problem,
            "content": {"application/problem+json": {}},
        },
    },
)
def get_metrics(request: Request, session: SessionDep) -> Response:
    """HTTP requests by route template, method and status; request latency; single-article
    ingests by outcome and their duration; extraction errors; the ingest queue (jobs by state
    and outcome, the age of the oldest waiting); process CPU, memory and GC.

    Open like other reads: put it behind a key with `NEWSKB_REQUIRE_KEY_FOR_READS`.
    """
    if (queue := kb_jobs.queue_stats(session)) is not None:
        metrics.observe_queue(queue.by_state, queue.outcomes, queue.retrying, queue.ages)
    body, content_type = metrics.exposition(request.headers.get("accept"))
    return Response(body, media_type=content_type)
