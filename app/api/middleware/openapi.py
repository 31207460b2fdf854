"""Document the problems every ``/v1`` operation can answer, whoever wrote its router.

Middleware and app-wide dependencies (API keys, rate limits, the body limit, the database
handler) can answer 401, 403, 413, 415, 429 and 503 on routes that never mention them. They are
added here, once, to each operation's documented responses, so the schema tells the truth and
schemathesis can hold the server to it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.api.middleware.routes import READS_SENT_AS_POST, route_table
from app.api.middleware.security import bearer, require_read_key, require_write_key
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
    401: "API key not valid (whenever one is sent), or missing (writes; reads behind a key)",
    429: "Too many requests from this client or key: wait `Retry-After` seconds",
    503: "The database cannot be reached right now, or every turn for lists is taken (`busy`): "
    "retry after `Retry-After` seconds",
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
# One realistic problem per status, as the handlers and middleware write them: `/docs` shows
# each status with its own example (the `Problem` schema's field examples are a 404's).
# `{noun}` and `{id}` come from the operation's path; `instance` is the path with ids filled.
EXAMPLES: dict[int, tuple[str, str, str, list[dict[str, Any]]]] = {
    400: (
        "invalid-cursor",
        "Invalid pagination cursor",
        "The cursor is not one this server issued.",
        [],
    ),
    401: (
        "unauthorized",
        "Unauthorized",
        "This operation needs an API key: `Authorization: Bearer <key>`.",
        [],
    ),
    403: (
        "forbidden",
        "Forbidden",
        "No API key is configured, so writes are accepted from this machine only. "
        "Set NEWSKB_API_KEYS to accept keyed writes from elsewhere.",
        [],
    ),
    404: ("not-found", "Not found", "{noun} {id} does not exist.", []),
    409: (
        "conflict",
        "Conflict",
        "Entity 42 is a person and 7 a country: only entities of the same type merge.",
        [],
    ),
    413: (
        "payload-too-large",
        "Payload too large",
        "The request body is larger than 1000000 bytes.",
        [],
    ),
    415: (
        "unsupported-media-type",
        "Unsupported media type",
        "Send application/json, text/plain or text/html, not 'application/xml'.",
        [],
    ),
    422: (
        "validation-error",
        "Invalid input",
        "The request is not valid: query.limit: Input should be less than or equal to 100",
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 100",
                "type": "less_than_equal",
            }
        ],
    ),
    429: (
        "rate-limited",
        "Too many requests",
        "Rate limit of 120 per 1 minute reached; retry after 12 s.",
        [],
    ),
    501: (
        "export-unavailable",
        "Export format not available",
        "The ftm export needs the followthemoney package: install NewsKB with the ftm extra "
        "(pip install 'newskb[ftm]').",
        [],
    ),
    503: (
        "database-unavailable",
        "Database unavailable",
        "The database cannot be reached right now; try again shortly.",
        [],
    ),
}
BODY_400 = (
    "invalid-body",
    "The request body cannot be read",
    "The body is not valid JSON: Expecting value at position 0.",
)
MERGED_409 = "Entity 42 was merged into 7."
_PATH_ID = re.compile(r"\{(?P<name>[a-z]+)_id\}")
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


def problem_example(status: int, path: str, *, with_body: bool = False) -> dict[str, Any] | None:
    """The example problem of ``status`` on the operation at ``path``; None if there is none."""
    if status not in EXAMPLES:
        return None
    slug, title, detail, errors = EXAMPLES[status]
    if status == 400 and with_body:
        slug, title, detail = BODY_400
    if status == 409 and not path.endswith("/merge"):
        detail = MERGED_409
    ids = _PATH_ID.findall(path)
    return {
        "type": f"https://newskb.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail.format(noun=(ids[0] if ids else "item").capitalize(), id=42),
        "instance": _PATH_ID.sub("42", path),
        "errors": errors,
    }


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
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if path.startswith("/v1/"):
                _add_v1_problems(path, method, operation, responses)
            for status, response in responses.items():
                # Routers list problem+json without a schema: give it one, so it is checked.
                problem_content = response.get("content", {}).get("application/problem+json")
                if problem_content is None:
                    continue
                problem_content.setdefault("schema", PROBLEM_REF)
                example = problem_example(int(status), path, with_body="requestBody" in operation)
                if example is not None:
                    problem_content["example"] = example
    return schema


def _add_v1_problems(
    path: str, method: str, operation: dict[str, Any], responses: dict[str, Any]
) -> None:
    wanted = dict(EVERY_V1)
    if method != "get" and path not in READS_SENT_AS_POST:
        wanted |= WRITES
        if not path.startswith("/v1/entities/"):  # only curation can conflict
            del wanted[409]
    if "requestBody" in operation:
        wanted |= WITH_BODY
    if "{" not in path:  # only an id in the path can name something absent
        responses.pop("404", None)
    for status, description in wanted.items():
        responses.setdefault(str(status), _problem(description, status))


def keep_security_where_needed(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Bearer security on the operations that need a key, and only on those: the write check
    declares it through its ``HTTPBearer`` dependency, even where no key is configured; the
    read check, run on every read, declares nothing (``require_read_key``), so it is written
    here when reads need the key."""
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
            if (path, method) in needed:
                _secure(operation)
            else:
                operation.pop("security", None)
    if needed:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.setdefault(
            bearer.scheme_name,
            bearer.model.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
    return schema


# What FastAPI writes first in an operation, before a dependency's ``security``.
_OPERATION_METADATA = frozenset({"tags", "summary", "description", "operationId", "deprecated"})


def _secure(operation: dict[str, Any]) -> None:
    """Bearer security on ``operation`` where FastAPI wrote it when the read check declared it
    (through a router's ``HTTPBearer`` dependency): after the metadata when the operation has
    parameters, else last; so the document's bytes stay what they were."""
    if "security" in operation:
        return
    requirement: list[dict[str, list[str]]] = [{bearer.scheme_name: []}]
    if "parameters" not in operation:
        operation["security"] = requirement
        return
    items = list(operation.items())
    at = 0
    while at < len(items) and items[at][0] in _OPERATION_METADATA:
        at += 1
    items.insert(at, ("security", requirement))
    operation.clear()
    operation.update(items)


def document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = add_body_models(add_problem_responses(build()))
            app.openapi_schema = keep_security_where_needed(schema, app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
