"""Liveness and readiness."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and migrated",
    responses={503: {"description": "Not ready: database down or not migrated"}},
)
def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": exc.__class__.__name__},
            status_code=503,
        )
    head = head_revision()
    if revision != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "not migrated",
                "revision": revision,
                "head": head,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "revision": revision})
