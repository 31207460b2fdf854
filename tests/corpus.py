"""Where the real news corpora are: ``NEWSKB_CORPUS_DIR`` (default ``../shared/data/news``)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))


def corpus_path(*parts: str) -> Path:
    """A path inside the corpora, or skip the test with the reason when it is absent."""
    path = CORPUS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (set NEWSKB_CORPUS_DIR to the news corpora)")
    return path
