"""``GET /``: a small index of the API, so a first request finds its way to the docs and /v1."""

from fastapi import APIRouter, Request

from app import __version__
from app.schemas.index import ApiIndex

router = APIRouter(tags=["index"])


@router.get("/", response_model=ApiIndex, summary="Where to start")
def get_index(request: Request) -> ApiIndex:
    """Links to the interactive docs, the OpenAPI schema, the probes, the metrics and every
    `/v1` collection (read from the app's OpenAPI paths, so the list cannot go stale)."""
    app = request.app
    resources: dict[str, str] = {}
    for path in app.openapi()["paths"]:  # built once, then cached by the app
        if path.startswith("/v1/"):
            name = path.split("/")[2]
            resources.setdefault(name, f"/v1/{name}")
    links = {
        "docs": "/docs",  # served by fastapi-offline, which leaves ``app.docs_url`` unset
        "redoc": "/redoc",
        "openapi": app.openapi_url,
        "health": "/healthz",
        "ready": "/readyz",
        "metrics": "/metrics",
    }
    return ApiIndex(
        name=app.title,
        version=__version__,
        description="News articles turned into a knowledge base with provenance.",
        links={name: url for name, url in links.items() if url},
        resources=resources,
    )
