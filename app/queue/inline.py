"""The queue without a broker: each job runs at once, in the session that submitted it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.kb import jobs as kb_jobs
from app.settings import Settings


class InlineQueue:
    """Runs a job as it is sent: one attempt, its failure recorded on the job."""

    asynchronous = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, session: Session, job_ids: Sequence[int]) -> None:
        for job_id in job_ids:
            kb_jobs.run_job(
                session,
                job_id,
                model_names=self.settings.spacy_model,
                budget_seconds=self.settings.extraction_budget_seconds,
                max_attempts=1,
            )

    def close(self) -> None:
        """Nothing to close: the inline queue holds no connection."""
