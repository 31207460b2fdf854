"""Ingest jobs: a batch to submit, and a job's state and outcome."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas.articles import ArticleCreate
from app.schemas.common import Schema

MAX_BATCH = 100

JobState = Literal["queued", "running", "done", "failed"]


class JobBatchCreate(Schema):
    """Documents to ingest through the queue, each as `POST /v1/articles` takes it (JSON)."""

    documents: list[ArticleCreate] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} articles; each becomes a job.",
    )


class JobProblem(Schema):
    """Why the job's last attempt failed (an RFC 9457 problem, as the API would answer)."""

    type: str = Field(examples=["https://newskb.dev/problems/empty-article"])
    title: str = Field(examples=["The article has no text"])
    status: int = Field(examples=[422])
    detail: str = Field(
        examples=["The article has no text once markup and whitespace are removed."]
    )


class JobRead(Schema):
    id: int = Field(description="The job's id.", examples=[1])
    state: JobState = Field(
        description="`queued` (waiting, or waiting for a retry), `running`, `done` or `failed` "
        "(for good: retry it with `POST /v1/jobs/{id}/retry`).",
        examples=["done"],
    )
    name: str = Field(
        description="Where the document came from, when its sender said (`newskb ingest "
        "--queue` gives the file and line); empty for the API's.",
        examples=["feeds/2021-09.jsonl:12"],
    )
    attempts: int = Field(description="Attempts started so far.", examples=[1])
    article_id: int | None = Field(
        description="Done: the stored article (new, the one it duplicates, or the one it is a "
        "new version of).",
        examples=[1],
    )
    duplicate: bool | None = Field(
        description="Done: true when the document repeated an article stored before (its "
        "content or its URL with the same text).",
        examples=[False],
    )
    version: int | None = Field(
        default=None,
        description="Done: the version number when the document was a new text at a stored "
        "article's URL (as `POST /v1/articles` answers it: 200 with the article's `version`); "
        "null otherwise.",
        examples=[None],
    )
    problem: JobProblem | None = Field(
        description="Failed, or waiting for a retry: why the last attempt failed."
    )
    created_at: datetime = Field(description="When the job was submitted.")
    started_at: datetime | None = Field(description="When its last attempt started.")
    finished_at: datetime | None = Field(description="When it was done or failed.")


class JobBatchRead(Schema):
    items: list[JobRead] = Field(description="One job per document, in the order sent.")
