"""Corpus readers: lazy, ordered, titles, dates and pasted text as a user would see it."""

from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest

from app.corpora import CorpusDoc, _reuters_date, iter_bbc, iter_reuters, iter_wikinews, read_text
from tests.corpus import FIXTURE_CORPUS, corpus_path, fixture_articles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wikinews"


def test_corpus_doc_is_frozen() -> None:
    doc = CorpusDoc(path="x", title=None, published_at=None, text="body")
    with pytest.raises(AttributeError):
        doc.text = "changed"  # type: ignore[misc]


@pytest.mark.corpus
def test_bbc_reads_every_file() -> None:
    assert sum(1 for _ in iter_bbc(corpus_path("bbc"))) == 2225


@pytest.mark.corpus
def test_bbc_text_starts_with_title_line() -> None:
    for doc in islice(iter_bbc(corpus_path("bbc")), 20):
        assert doc.title
        assert doc.text.startswith(doc.title + "\n")
        assert doc.published_at is None


@pytest.mark.corpus
def test_bbc_latin1_file_decodes() -> None:
    doc = next(d for d in iter_bbc(corpus_path("bbc")) if d.path.endswith("sport/199.txt"))
    assert "\ufffd" not in doc.text
    assert len(doc.text) > 500


def test_read_text_falls_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Müller".encode("latin-1"))
    assert read_text(path) == "Müller"


def test_wikinews_fixtures_have_title_and_date() -> None:
    docs = list(iter_wikinews(FIXTURES))
    assert len(docs) == 5
    for doc in docs:
        assert doc.published_at == datetime.fromisoformat(Path(doc.path).name[:10]).replace(
            tzinfo=UTC
        )
        assert doc.text.startswith(f"{doc.title}\n\n")
        assert "Date:" not in doc.text.split("\n\n", 1)[0]


def test_fixture_corpus_is_attributed_and_described() -> None:
    """Every shipped text has its metadata and its line in the attribution."""
    articles = fixture_articles()
    attribution = (FIXTURE_CORPUS / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert len(articles) == 50
    assert "licensed under CC BY 2.5" in attribution
    for article in articles:
        name = Path(article.doc.path).name
        assert f"| `{name}` |" in attribution and article.url in attribution
        assert article.url.startswith("https://en.wikinews.org/wiki/")
        assert article.doc.published_at and article.section
    assert 2 <= sum(not a.dated for a in articles) < 10


@pytest.mark.corpus
def test_wikinews_reads_every_file() -> None:
    assert sum(1 for _ in iter_wikinews(corpus_path("wikinews"))) == 317


@pytest.mark.corpus
def test_reuters_first_story() -> None:
    doc = next(iter_reuters(corpus_path("reuters21578")))
    assert doc.title == "BAHIA COCOA REVIEW"
    assert doc.published_at == datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)
    assert doc.text.startswith("BAHIA COCOA REVIEW\n\nSALVADOR, Feb 26 - Showers continued")
    assert "&lt;" not in doc.text and "\x03" not in doc.text


@pytest.mark.corpus
def test_reuters_is_lazy_and_ordered() -> None:
    first_two = list(islice(iter_reuters(corpus_path("reuters21578")), 2))
    assert [doc.path.rsplit("#", 1)[1] for doc in first_two] == ["1", "2"]


@pytest.mark.corpus
def test_reuters_file_with_latin1_byte_reads() -> None:
    root = corpus_path("reuters21578")
    docs = [doc for doc in iter_reuters(root) if "reut2-017.sgm" in doc.path]
    assert len(docs) > 800
    assert all(doc.text for doc in docs)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)),
        (" 3-MAR-1987 04:05:02.28", datetime(1987, 3, 3, 4, 5, 2, tzinfo=UTC)),  # days 1 to 9
        ("3-MAR-1987 04:05:02.28", datetime(1987, 3, 3, 4, 5, 2, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_reuters_dates_are_read_on_every_day_of_the_month(
    stamp: str, expected: datetime | None
) -> None:
    assert _reuters_date(stamp) == expected
