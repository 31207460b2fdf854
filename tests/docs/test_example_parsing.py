"""The example runner's own pieces: finding blocks, splitting commands, comparing answers."""

from pathlib import Path

import pytest

from tests.docs.examples import (
    ANY,
    MORE,
    differences,
    empty_lists,
    examples,
    parse_curl,
    parse_documented,
    shell_commands,
)

PAGE = """# A page

<!-- example: skip (starts a server) -->
```sh
newskb serve
```

Read one:

```sh
curl -s http://127.0.0.1:8000/v1/entities/8
```

```json
{"id": 8, …}
```

Prose between a command and a json block: the json answers nothing.

```sh
curl -s http://127.0.0.1:8000/v1/articles/42   # → 404
```

Some text.

```json
{"status": 404}
```

<!-- example: needs-extra ftm -->
```bash
curl -o kb.ftm.json 'http://127.0.0.1:8000/v1/export?format=ftm'
```

```yaml
not: an example
```

<!-- example: run it twice -->
```sh
curl -s http://127.0.0.1:8000/v1/stats
```
"""


def test_blocks_answers_and_markers_are_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    found = examples(page)
    assert [(e.line, e.language) for e in found] == [
        (4, "sh"),
        (10, "sh"),
        (20, "sh"),
        (26, "json"),
        (31, "bash"),
        (40, "sh"),
    ]
    serve, read, missing, standalone, ftm, bad = found
    assert serve.skip == "starts a server" and serve.commands == ()
    assert read.answer == '{"id": 8, …}' and read.answer_line == 14
    assert missing.answer is None and missing.commands[0].status == 404
    assert standalone.answer is None and standalone.commands == ()
    assert ftm.needs_extra == "ftm" and ftm.skip is None
    assert bad.error is not None and "unknown example marker" in bad.error


def test_commands_keep_their_comments_and_span_lines() -> None:
    block = """# Ingest (writes)
curl -s -X POST http://127.0.0.1:8000/v1/articles \\
  -H 'content-type: application/json' \\
  -d '{"text": "Storm # hits\\n\\nA storm.",
       "source": "Wire"}'
# → 201, Location: /v1/articles/2

curl -s http://127.0.0.1:8000/v1/articles/2   # → 200
# One call
curl -s http://127.0.0.1:8000/v1/search?q=storm"""
    post, read, search = shell_commands(block, first_line=10)
    assert post.line == 11 and post.leading == ("Ingest (writes)",)
    assert post.status == 201 and post.location == "/v1/articles/2"
    request = parse_curl(post.argv)
    assert request.method == "POST" and request.headers == {"content-type": "application/json"}
    assert request.data == '{"text": "Storm # hits\\n\\nA storm.",\n       "source": "Wire"}'
    assert post.writes and post.announced and not read.writes
    assert read.inline == "→ 200" and read.announced
    assert read.line == 17 and read.status == 200 and read.trailing == ("→ 200", "One call")
    assert search.leading == ("One call",) and search.status is None
    (unannounced, _) = shell_commands(
        "curl -X DELETE http://127.0.0.1:8000/v1/articles/2\n# (a note on the next command)\n"
        "curl http://127.0.0.1:8000/v1/articles",
        first_line=1,
    )
    assert unannounced.writes and not unannounced.announced


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (("curl", "-L", "http://127.0.0.1:8000/v1/stats"), "not understood"),
        (("curl", "https://example.org/v1/stats"), "quick start's server"),
    ],
)
def test_curl_commands_outside_the_convention_are_refused(
    argv: tuple[str, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        parse_curl(argv)


def test_cli_commands_that_only_read_are_told_apart() -> None:
    (export, stats, ingest) = shell_commands(
        "newskb export --format jsonl --output x.jsonl\nnewskb stats --json\nnewskb ingest a/",
        first_line=1,
    )
    assert not export.writes and not stats.writes and ingest.writes


def test_ellipsis_marks_other_keys_more_items_or_any_value() -> None:
    documented = parse_documented('{"a": 1, "b": …, …, "c": ["x …", …]}')
    assert documented == {"a": 1, "b": ANY, MORE: True, "c": ["x …", MORE]}
    with pytest.raises(ValueError, match="outside"):
        parse_documented("…")


def test_a_matching_answer_has_no_differences() -> None:
    documented = parse_documented('{"items": [{"id": 8, "score": …, …}, …], "next_cursor": null}')
    served = {
        "items": [{"id": 8, "score": 0.2, "name": "x"}, {"id": 9}],
        "next_cursor": None,
    }
    assert differences(documented, served) == []


@pytest.mark.parametrize(
    ("documented", "served", "found"),
    [
        ('{"mention_count": 7, …}', {"mention_count": 8}, "documented 7, served 8"),
        ('{"id": 8, …}', {"name": "x"}, "$.id: documented, missing"),
        ('{"id": 8}', {"id": 8, "name": "x"}, "keys the docs do not show"),
        ("[1, 2]", [1, 2, 3], "documented 2 items, served 3"),
        ("[1, 2, …]", [1], "documented 2 items, served 1"),
        ("[…, 2]", [1, 2], "must come last"),
        ('{"curated": false}', {"curated": 0}, "documented false, served 0"),
        ('{"items": [{"id": 1}]}', {"items": {"id": 1}}, "documented a list"),
    ],
)
def test_a_stale_answer_is_told(documented: str, served: object, found: str) -> None:
    assert any(
        found in difference for difference in differences(parse_documented(documented), served)
    )


def test_empty_lists_bare_or_in_an_envelope() -> None:
    assert empty_lists([]) and empty_lists({"items": [], "next_cursor": None})
    assert not empty_lists({"items": [1]}) and not empty_lists({"id": 1})
