"""Each documented error status shows its own problem example in /openapi.json (and /docs)."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.schemas.common import Problem


def problem_examples(client: TestClient) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/problem+json")
                if content is not None:
                    found.append((path, method, status, content.get("example")))
    return found


def test_every_problem_status_has_an_example_of_that_status(client: TestClient) -> None:
    examples = problem_examples(client)
    assert len({status for _, _, status, _ in examples}) >= 8
    for path, method, status, example in examples:
        assert example is not None, (path, method, status)
        Problem.model_validate(example)
        assert example["status"] == int(status), (path, method, status)


def test_no_two_statuses_of_an_operation_share_an_example(client: TestClient) -> None:
    by_operation: dict[tuple[str, str], list[str]] = {}
    for path, method, _, example in problem_examples(client):
        by_operation.setdefault((path, method), []).append(example["type"] + example["detail"])
    for operation, shown in by_operation.items():
        assert len(shown) == len(set(shown)), operation


def test_a_404_is_documented_only_where_an_id_is_in_the_path(client: TestClient) -> None:
    for path, method, status, example in problem_examples(client):
        if status == "404":
            assert "{" in path, (path, method)
            assert example["instance"] == re.sub(r"\{[a-z_]+\}", "42", path)


def example_of(client: TestClient, path: str, method: str, status: int) -> dict[str, Any]:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    example: dict[str, Any] = operation["responses"][str(status)]["content"][
        "application/problem+json"
    ]["example"]
    return example


@pytest.mark.parametrize(
    ("path", "method", "status", "request_args"),
    [
        ("/v1/articles/{article_id}", "get", 404, ("get", "/v1/articles/42", {})),
        ("/v1/entities/{entity_id}", "get", 404, ("get", "/v1/entities/42", {})),
        ("/v1/articles", "get", 422, ("get", "/v1/articles?limit=101", {})),
        ("/v1/articles", "get", 400, ("get", "/v1/articles?cursor=forged", {})),
        ("/v1/articles", "post", 401, ("post", "/v1/articles", {"json": {"text": "x"}})),
        (
            "/v1/articles",
            "post",
            415,
            (
                "post",
                "/v1/articles",
                {"content": "<a/>", "headers": {"content-type": "application/xml"}},
            ),
        ),
    ],
)
def test_the_example_is_what_the_server_answers(
    client: TestClient,
    path: str,
    method: str,
    status: int,
    request_args: tuple[str, str, dict[str, Any]],
) -> None:
    verb, url, kwargs = request_args
    if status == 401:
        del client.headers["Authorization"]  # the fixture's client sends the write key
    answer = client.request(verb, url, **kwargs)
    assert answer.status_code == status
    example = example_of(client, path, method, status)
    actual = answer.json()
    for field in ("type", "title", "status", "detail", "instance"):
        assert actual[field] == example[field], field
    assert [e["loc"] for e in actual["errors"]] == [e["loc"] for e in example["errors"]]
