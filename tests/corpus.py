"""The corpora tests read: the fixture corpus that ships, and the research-only corpora.

The fixture corpus (``tests/fixtures/corpus``) is 50 Wikinews articles (CC BY 2.5) with the
metadata the tests need in its ``manifest.json``. The research corpora (BBC, Reuters, the whole
of Wikinews) may not ship: they are at ``NEWSKB_CORPUS_DIR`` (default ``../shared/data/news``),
and the tests that read them carry the ``corpus`` marker, so ``-m "not corpus"`` selects what
runs on a fresh clone. Without them, ``tests/conftest.py`` skips every marked test with one
reason.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.corpora import CorpusDoc, iter_wikinews

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
CORPUS_MISSING = (
    f"needs the research corpora, not found at {CORPUS_DIR} "
    "(set NEWSKB_CORPUS_DIR; -m 'not corpus' leaves these tests out)"
)


def corpus_path(*parts: str) -> Path:
    """A path inside the research corpora; a test that calls this must be marked ``corpus``.

    Marked tests never get here without the corpora (they are skipped first), so reaching this
    without them means the marker is missing. A part missing from present corpora skips.
    """
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"this test reads the research corpora: mark it @pytest.mark.corpus ({parts})")
    path = CORPUS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (set NEWSKB_CORPUS_DIR to the news corpora)")
    return path


@dataclass(frozen=True)
class FixtureArticle:
    """One article of the fixture corpus with its metadata from ``manifest.json``."""

    doc: CorpusDoc
    url: str
    section: str
    dated: bool


def fixture_articles() -> list[FixtureArticle]:
    """The fixture corpus, in file name order."""
    manifest = json.loads((FIXTURE_CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entries = {entry["file"]: entry for entry in manifest}
    docs = list(iter_wikinews(FIXTURE_CORPUS))
    assert sorted(entries) == [Path(doc.path).name for doc in docs], "manifest ≠ folder"
    return [
        FixtureArticle(
            doc=doc,
            url=entries[Path(doc.path).name]["url"],
            section=entries[Path(doc.path).name]["section"],
            dated=entries[Path(doc.path).name].get("dated", True),
        )
        for doc in docs
    ]


def fixture_texts(max_bytes: int | None = None) -> list[Path]:
    """The fixture corpus's files in name order, those under ``max_bytes`` when given."""
    paths = sorted(FIXTURE_CORPUS.glob("*.txt"))
    return [p for p in paths if max_bytes is None or p.stat().st_size < max_bytes]
