"""Path expansion and file loading of ``newskb ingest`` (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.cli.inputs import Failure, expand_paths, load_file
from app.kb.bulk import Document
from tests.cli.conftest import FIXTURES


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """news/a.txt, news/deep/b.html, news/c.pdf, news/.hidden/d.txt, feed.jsonl (cwd = tmp)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "news" / "deep").mkdir(parents=True)
    (tmp_path / "news" / ".hidden").mkdir()
    (tmp_path / "news" / "a.txt").write_text("A")
    (tmp_path / "news" / "deep" / "b.html").write_text("<p>B</p>")
    (tmp_path / "news" / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / "news" / ".hidden" / "d.txt").write_text("D")
    (tmp_path / "feed.jsonl").write_text("")
    return tmp_path


def test_folder_is_read_recursively_skipping_other_and_hidden_files(tree: Path) -> None:
    files, failures = expand_paths(["news"])
    assert files == [Path("news/a.txt"), Path("news/deep/b.html")]
    assert failures == []


def test_glob_matches_and_each_file_is_read_once(tree: Path) -> None:
    files, failures = expand_paths(["news/**/*.html", "news", "feed.jsonl", "./feed.jsonl"])
    assert files == [Path("news/deep/b.html"), Path("news/a.txt"), Path("feed.jsonl")]
    assert failures == []


def test_missing_path_unmatched_glob_and_unknown_suffix_fail(tree: Path) -> None:
    files, failures = expand_paths(["nope.txt", "news/*.xml", "news/c.pdf"])
    assert files == []
    assert [f.name for f in failures] == ["nope.txt", "news/*.xml", "news/c.pdf"]
    assert "no such file" in failures[0].reason
    assert "matches" in failures[1].reason
    assert ".jsonl" in failures[2].reason


def test_text_and_html_files_become_one_document_each(tree: Path) -> None:
    assert load_file(Path("news/a.txt")) == [Document(name="news/a.txt", text="A")]
    assert load_file(Path("news/deep/b.html")) == [
        Document(name="news/deep/b.html", html="<p>B</p>")
    ]


def test_jsonl_bad_lines_fail_with_their_line_number_and_others_load(tmp_path: Path) -> None:
    good = {
        "text": FIXTURES[0].read_text(),
        "url": "https://en.wikinews.org/wiki/IE6",
        "title": "IE6",
        "published_at": "2011-03-08T00:00:00Z",
        "source": "Wikinews",
    }
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps(good), "", "{oops", json.dumps({"text": "a", "html": "b"}), "[1]"]
    path.write_text("\n".join(lines))
    items = load_file(path)
    assert items[0] == Document(
        name=f"{path}:1",
        text=good["text"],
        url="https://en.wikinews.org/wiki/IE6",
        title="IE6",
        published_at=datetime(2011, 3, 8, tzinfo=UTC),
        source="Wikinews",
    )
    failures = items[1:]
    assert all(isinstance(f, Failure) for f in failures)
    assert [f.name for f in failures] == [f"{path}:3", f"{path}:4", f"{path}:5"]
    assert [f.reason.split(":")[0] for f in failures] == ["line 3", "line 4", "line 5"]
    assert "not valid JSON" in failures[0].reason
    assert "exactly one of `text` or `html`" in failures[1].reason
    assert "not list" in failures[2].reason


def test_json_array_items_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([{"html": "<p>one</p>"}, {"text": "two", "url": "not a url"}]))
    first, second = load_file(path)
    assert first == Document(name=f"{path}[1]", html="<p>one</p>")
    assert isinstance(second, Failure)
    assert second.name == f"{path}[2]"
    assert second.reason.startswith("item 2: invalid article: `url`")


def test_same_checks_as_the_api_apply(tmp_path: Path) -> None:
    nul = tmp_path / "nul.json"
    nul.write_text(json.dumps({"text": "bad\u0000text"}))
    markup = tmp_path / "markup.txt"
    markup.write_text("<b>Bold</b> claim")
    [refused] = load_file(nul)
    assert isinstance(refused, Failure)
    assert "NUL" in refused.reason
    assert load_file(markup) == [Document(name=str(markup), text="Bold claim")]


def test_empty_or_broken_json_files_fail(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    broken = tmp_path / "broken.json"
    broken.write_text('{"text": ')
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"text": "café"}'.encode("latin-1"))
    assert load_file(empty) == [Failure(str(empty), "holds no article")]
    [bad_json] = load_file(broken)
    assert isinstance(bad_json, Failure)
    assert bad_json.reason.startswith("not valid JSON")
    assert load_file(latin) == [Failure(str(latin), "not UTF-8 (byte 13)")]


def test_text_file_that_is_not_utf8_fails_naming_the_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café owners in São Paulo met on Tuesday, paying £5.".encode("latin-1"))
    [refused] = load_file(latin)
    assert isinstance(refused, Failure)
    assert refused.name == str(latin)
    assert refused.reason.startswith("not UTF-8 (byte 3) and no charset declared")


def test_text_file_with_a_utf8_bom_is_read_without_it(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_bytes("\ufeffCafé owners met on Tuesday.".encode())
    assert load_file(story) == [Document(name=str(story), text="Café owners met on Tuesday.")]


def test_html_file_is_read_in_the_charset_it_declares(tmp_path: Path) -> None:
    page = tmp_path / "legacy.html"
    html = '<html><head><meta charset="windows-1252"></head><body><p>Café “owners” – €5</p>'
    page.write_bytes(html.encode("cp1252"))
    assert load_file(page) == [Document(name=str(page), html=html)]
