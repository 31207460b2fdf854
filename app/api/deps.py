"""Dependencies shared by the routers, declared once as named ``Annotated`` aliases."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from app.errors import UnsupportedMediaType
from app.kb.jobs import JobQueue
from app.kb.sql.pagination import CursorCodec
from app.settings import Settings

READS = frozenset({"GET", "HEAD"})


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, closed after the response; kb decides when to commit.

    Reads get the read statement budget (``db_read_timeout_ms``), writes the statement one.
    """
    factory = (
        request.app.state.read_sessionmaker
        if request.method in READS
        else request.app.state.sessionmaker
    )
    with factory() as session:
        yield session


SessionFactory = Callable[[], AbstractContextManager[Session]]


def get_session_factory(request: Request) -> SessionFactory:
    """The app's sessionmaker: a streamed body outlives the request's own session."""
    factory: SessionFactory = request.app.state.sessionmaker
    return factory


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


def get_job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


def require_json(request: Request) -> None:
    """A JSON body must say so (or say nothing): FastAPI hands any other body to the model as
    bytes and answers 422, where the documented answer is 415."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send application/json, not {media_type!r}.")


JsonBody = Depends(require_json)
SessionDep = Annotated[Session, Depends(get_session)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CodecDep = Annotated[CursorCodec, Depends(get_codec)]
JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]

MAX_ID = 2**31 - 1
ArticleIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Article id", examples=[1])]
EntityIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Entity id", examples=[1])]
EventIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Event id", examples=[1])]
LimitQuery = Annotated[int, Query(ge=1, le=100, description="Page size (1 to 100).", examples=[20])]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Opaque cursor from a previous page's `next_cursor`.",
    ),
]
