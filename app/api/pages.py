"""Turn a kb page into the answer: ``items``, ``next_cursor`` and a ``Link: rel="next"`` header."""

from fastapi import Request, Response


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
