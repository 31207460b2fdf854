"""Document the problems every ``/v1`` operation can answer, whoever wrote its router.

Middleware and app-wide dependencies (API keys, rate limits, the body limit, the database
handler) can answer 401, 403, 413, 415, 429 and 503 on routes that never mention them. They are
added here, once, to each operation's documented responses, so the schema tells the truth and
schemathesis can hold the server to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.api.middleware.routes import route_table
from app.api.middleware.security import require_read_key, require_write_key
from app.schemas.articles import ArticleCreate

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
}
EVERY_V1 = {
    400: "Bad request: a malformed cursor or query, or a NUL character in the URL",
    401: "API key missing or not valid (writes always; reads when they are put behind a key)",
    429: "Too many requests from this client or key: wait `Retry-After` seconds",
    503: "The database cannot be reached right now: retry after `Retry-After` seconds",
}
WRITES = {
    403: "No API key is configured and the request does not come from this machine",
    409: "The write conflicts with the current state (e.g. merging entities of two types)",
}
WITH_BODY = {
    400: "The body cannot be read (not JSON, not UTF-8, NUL characters)",
    413: "The body is larger than `NEWSKB_MAX_BODY_BYTES`",
    415: "The body's media type is not accepted",
}
METHODS = {"get", "put", "post", "delete", "patch"}
# Bodies read by hand (several media types) are documented by reference through
# ``openapi_extra``; FastAPI never sees their models, so their schemas are added here.
BODY_MODELS: tuple[type[BaseModel], ...] = (ArticleCreate,)


def _problem(description: str, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def add_body_models(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in BODY_MODELS:
        if model.__name__ not in components:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
    return schema


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/v1/") and path != "/v1":
            continue
        for method, operation in item.items():
            if method not in METHODS:
                continue
            wanted = dict(EVERY_V1)
            if method != "get":
                wanted |= WRITES
            if "requestBody" in operation:
                wanted |= WITH_BODY
            responses = operation.setdefault("responses", {})
            for status, description in wanted.items():
                responses.setdefault(str(status), _problem(description, status))
            for response in responses.values():
                # Routers list problem+json without a schema: give it one, so it is checked.
                problem_content = response.get("content", {}).get("application/problem+json")
                if problem_content is not None and "schema" not in problem_content:
                    problem_content["schema"] = PROBLEM_REF
    return schema


def keep_security_where_needed(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Bearer security on the operations that need a key only: every router depends on the
    read-key check, which declares it even when reads are open."""
    reads_need_key = app.state.settings.require_key_for_reads
    needed = {
        (route.path, method.lower())
        for route in route_table(app)
        if require_write_key in route.guards
        or (reads_need_key and require_read_key in route.guards)
        for method in route.methods
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if (path, method) not in needed:
                operation.pop("security", None)
    return schema


def document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = add_body_models(add_problem_responses(build()))
            app.openapi_schema = keep_security_where_needed(schema, app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
