"""Ingest jobs: submit a batch, follow each job, list them by state, retry the failed."""

from typing import Annotated

from fastapi import Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.api.deps import (
    CodecDep,
    CursorQuery,
    JobIdPath,
    JobQueueDep,
    JsonBody,
    LimitQuery,
    SessionDep,
    SettingsDep,
)
from app.api.middleware.security import WriteKey
from app.api.pages import LINK_HEADER, link_next
from app.api.routers.prefixed import PrefixedRouter
from app.errors import NewsKBError
from app.kb import intake
from app.kb import jobs as kb_jobs
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.jobs import JobBatchCreate, JobBatchRead, JobRead, JobState

router = PrefixedRouter(prefix="/v1/jobs", tags=["jobs"], responses=PROBLEM_RESPONSES)

QUEUE_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {
        "description": "The queue is full (`queue-full`) or its broker unreachable "
        "(`queue-unavailable`); retry after `Retry-After` seconds",
    }
}


@router.post(
    "",
    response_model=JobBatchRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ingest many articles through the queue",
    dependencies=[WriteKey, JsonBody],
    responses=QUEUE_RESPONSES,
)
def submit_jobs(
    batch: JobBatchCreate, session: SessionDep, settings: SettingsDep, queue: JobQueueDep
) -> JobBatchRead:
    """One job per document, answered at once with their ids; workers ingest them.

    Each document is checked as `POST /v1/articles` checks it; one bad document refuses the
    whole batch (nothing is queued). Without a queue (`NEWSKB_QUEUE_URL` unset) the documents
    are ingested before the answer, and the jobs it lists are already done or failed.
    """
    documents = []
    for index, article in enumerate(batch.documents):
        try:
            documents.append(intake.document_from(intake.clean_article(article)))
        except NewsKBError as exc:
            exc.detail = f"Document {index}: {exc.detail}"
            exc.errors = [
                {**error, "loc": ["body", "documents", index, *error["loc"][1:]]}
                for error in exc.errors
            ]
            raise
    jobs = kb_jobs.submit_documents(
        session, documents, queue=queue, max_depth=settings.queue_max_depth
    )
    return JobBatchRead(items=[JobRead.model_validate(job) for job in jobs])


@router.get(
    "",
    response_model=Page[JobRead],
    summary="List jobs, newest first",
    responses={200: {"headers": LINK_HEADER}},
)
def list_jobs(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    state: Annotated[
        JobState | None,
        Query(description="Only jobs in this state (`failed`: the dead letters)."),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[JobRead]:
    """Every job, or those in one state; pages follow `next_cursor` (or the `Link` header)."""
    page = kb_jobs.list_jobs(session, state=state, limit=limit, cursor=cursor, codec=codec)
    link_next(request, response, page.next_cursor)
    return Page[JobRead](
        items=[JobRead.model_validate(job) for job in page.items], next_cursor=page.next_cursor
    )


@router.get("/{job_id}", response_model=JobRead, summary="One job: its state and outcome")
def get_job(job_id: JobIdPath, session: SessionDep) -> JobRead:
    """Queued, running, done (with the article stored, or the one it duplicates) or failed
    (with the problem, as the API would have answered it)."""
    return JobRead.model_validate(kb_jobs.get_job(session, job_id))


@router.post(
    "/{job_id}/retry",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a failed job again",
    dependencies=[WriteKey],
    responses={409: {"description": "The job is running or done"}, **QUEUE_RESPONSES},
)
def retry_job(
    job_id: JobIdPath, session: SessionDep, request: Request, queue: JobQueueDep
) -> JSONResponse:
    """A failed job (its dead-letter state) goes back to `queued`, its attempts from zero; a
    job still queued is sent to the workers again (a lost message; a repeat is harmless)."""
    job = JobRead.model_validate(kb_jobs.retry_job(session, job_id, queue=queue))
    location = str(request.url_for("get_job", job_id=job.id))
    return JSONResponse(
        job.model_dump(mode="json"), status_code=202, headers={"Location": location}
    )
