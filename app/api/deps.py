"""Dependencies shared by the routers, declared once as named ``Annotated`` aliases."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.errors import UnsupportedMediaType
from app.kb.jobs import JobQueue
from app.kb.sql.pagination import MAX_LIMIT, CursorCodec
from app.schemas.common import MAX_ID
from app.settings import Settings

READS = frozenset({"GET", "HEAD"})
SessionOpener = Callable[[], Session]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request, closed after the response; kb decides when to commit.

    Reads get the read statement budget (``db_read_timeout_ms``), writes the statement one.
    Opened in the event loop: a session connects on its first statement, in the route's
    thread, and a sync dependency would cost two thread hops per request, each about as much
    CPU as a small query.
    """
    async with opened(request, _sessionmaker(request)) as session:
        yield session


async def get_session_opener(request: Request) -> SessionOpener:
    """What opens the request's session (``opened``), for a route that needs one only when
    its stored answer cannot answer: FastAPI's exit stack around ``get_session``, a
    generator, cost about 0.08 ms of CPU per request, as much as the stored read itself."""
    return _sessionmaker(request)


@asynccontextmanager
async def opened(request: Request, open_session: SessionOpener) -> AsyncIterator[Session]:
    """The session ``open_session`` makes, closed as ``get_session`` closes its own; one
    joined to an outer connection (the tests' rolled-back one) is left open."""
    session = open_session()
    try:
        yield session
    finally:
        if isinstance(session.get_bind(), Engine):
            await _close(request, session)


def _sessionmaker(request: Request) -> SessionOpener:
    factory: SessionOpener = (
        request.app.state.read_sessionmaker
        if request.method in READS
        else request.app.state.sessionmaker
    )
    return factory


async def _close(request: Request, session: Session) -> None:
    """Closing returns the connection (a rollback): on SQLite a local call, done here; on a
    server it is a round trip that a hung database could stall, so it goes to a thread, never
    blocking the loop."""
    # Nothing to end (SQLite, or a point read gave its connection back): close here.
    if request.app.state.engine.dialect.name == "sqlite" or not session.in_transaction():
        session.close()
    else:
        await run_in_threadpool(session.close)


SessionFactory = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")
P = ParamSpec("P")


async def run_point_read(
    request: Request, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a bounded read (one page: a few indexed queries, a few ms) for an async route.

    On SQLite it runs right here in the event loop: the query is local CPU work, and a thread
    hop costs about as much CPU as a small query, while 16 requests sharing the GIL in threads
    finish in an arbitrary order (p99 three times p50). Queued in the loop they finish first
    come, first served. On a database server the statements are round trips that a hung
    server could stall, so they run in a thread as sync routes do. Lists and searches, whose
    cost grows with what they match, run in a thread on every database (``run_read``). A GET's
    read runs outside a transaction (``_read_alone``).
    """
    dialect = request.app.state.engine.dialect.name
    if request.method in READS:
        sessions = [a for a in args if isinstance(a, Session) and isinstance(a.get_bind(), Engine)]
        alone = partial(_read_alone, partial(read, *args, **kwargs), sessions, dialect)
        return alone() if dialect == "sqlite" else await run_in_threadpool(alone)
    if dialect == "sqlite":
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)


# A point read runs outside a transaction: PostgreSQL in autocommit, SQLite without ``BEGIN``.
_ALONE: dict[str, dict[str, str]] = {
    "postgresql": {"isolation_level": "AUTOCOMMIT"},
    "sqlite": {"sqlite_begin": "none"},
}


def _read_alone(read: Callable[[], T], sessions: list[Session], dialect: str) -> T:
    """A GET's point read, outside a transaction; on a database server the connection then
    goes straight back to the pool, in the read's own thread.

    A page is one statement (``app.kb.sql.bundle``), and one statement reads one snapshot on
    its own: PostgreSQL's default isolation (read committed) gives every statement of a
    transaction its own snapshot anyway, and SQLite runs a statement outside ``BEGIN`` in an
    implicit transaction of its own. A transaction would only add ``BEGIN`` and ``ROLLBACK``
    (two round trips on PostgreSQL; on SQLite a statement and its deadline's hooks). On
    PostgreSQL closing the session here spares the session dependency a thread hop; on SQLite
    the session stays open for the request's next read (a timeline after its entity's merge
    check: a second checkout cost more than the ``BEGIN`` saved) and the dependency closes it.
    The read budget holds outside a transaction too (on PostgreSQL the connection's own,
    ``Deadlines.connection_ms``; on SQLite the progress handler armed per statement). A
    session joined to an outer connection (the tests' rolled-back one) is left as it is.
    """
    options = _ALONE.get(dialect)
    for session in sessions:
        if options is not None and not session.in_transaction():
            session.connection(execution_options=options)
    try:
        return read()
    finally:
        if dialect != "sqlite":  # SQLite: a local close, left to the session dependency
            for session in sessions:
                session.close()


async def run_read(read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a list's or a search's read and build its answer in one worker thread.

    Their cost grows with what they match, so they never run in the event loop (unlike a point
    read on SQLite). A sync route would cost two or three thread hops: its body, then FastAPI's
    validation of its return value (``serialize_response`` runs it in a thread for a sync
    route), then on PostgreSQL the session's closing; here the route is ``async``, ``read``
    builds the answer's bytes (``app.api.pages.json_answer``) and the session is closed in the
    same thread once it is done. A session joined to an outer connection (the tests'
    rolled-back one) is left open.
    """
    sessions = [a for a in args if isinstance(a, Session) and isinstance(a.get_bind(), Engine)]
    return await run_in_threadpool(_then_close, partial(read, *args, **kwargs), sessions)


def _then_close(read: Callable[[], T], sessions: list[Session]) -> T:
    try:
        return read()
    finally:
        for session in sessions:
            session.close()


async def get_session_factory(request: Request) -> SessionFactory:
    """The app's sessionmaker: a streamed body outlives the request's own session."""
    factory: SessionFactory = request.app.state.sessionmaker
    return factory


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


async def get_job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


async def require_json(request: Request) -> None:
    """A JSON body must say so (or say nothing): FastAPI hands any other body to the model as
    bytes and answers 422, where the documented answer is 415."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send application/json, not {media_type!r}.")


JsonBody = Depends(require_json)
SessionDep = Annotated[Session, Depends(get_session)]
SessionOpenerDep = Annotated[SessionOpener, Depends(get_session_opener)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CodecDep = Annotated[CursorCodec, Depends(get_codec)]
JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]

ArticleIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Article id", examples=[1])]
EntityIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Entity id", examples=[1])]
EventIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Event id", examples=[1])]
JobIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Job id", examples=[1])]
# A page's parameters, also fields of the query models (``app.api.params``).
LIMIT_DESCRIPTION = f"Page size (1 to {MAX_LIMIT})."
CURSOR_DESCRIPTION = "Opaque cursor from a previous page's `next_cursor`."
MAX_CURSOR_LENGTH = 512
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=LIMIT_DESCRIPTION, examples=[20])]
CursorQuery = Annotated[
    str | None, Query(max_length=MAX_CURSOR_LENGTH, description=CURSOR_DESCRIPTION)
]
