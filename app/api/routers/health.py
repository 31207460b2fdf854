"""Liveness and readiness."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.kb import health as kb_health

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
    ready, body = kb_health.readiness(request.app.state.health_engine)
    return JSONResponse(body, status_code=200 if ready else 503)
