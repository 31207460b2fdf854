"""The ceiling of the read benchmark: a bare FastAPI route answering precomputed JSON bytes.

    uvicorn benchmarks.ceiling:create_app --factory   (NEWSKB_CEILING_FILE=answer.json)

It serves the bytes of a real ``GET /v1/articles/{id}`` answer saved by ``benchmarks.load``,
so the body has the same size; no database, no middleware, no validation: what uvicorn and
FastAPI cost on their own, under the same uvicorn command and workers as the real app.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response


def create_app() -> FastAPI:
    body = Path(os.environ["NEWSKB_CEILING_FILE"]).read_bytes()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/ceiling")
    async def ceiling() -> Response:
        return Response(body, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app
