"""French extraction on the hand-annotated French texts, against bare fr_core_news_sm.

Floors a few points below the figures of ``python -m benchmarks.french`` (docs/extraction.md):
the texts were written alongside the French patterns, so these guard against regressions
rather than measure unseen text.
"""

import pytest

from benchmarks.french import score
from benchmarks.scoring import PRF


@pytest.fixture(scope="module")
def totals() -> dict[str, dict[str, PRF]]:
    return score()


def test_french_entities_beat_bare_spacy(totals: dict[str, dict[str, PRF]]) -> None:
    ours = totals["NewsKB"]["entities (text, type)"]
    bare = totals["bare fr_core_news_sm"]["entities (text, type)"]
    assert ours.f1 >= 1.3 * bare.f1
    assert ours.precision >= bare.precision


def test_french_dates_floor(totals: dict[str, dict[str, PRF]]) -> None:
    assert totals["NewsKB"]["dates (text, value)"].f1 >= 0.85


def test_french_quotes_floor(totals: dict[str, dict[str, PRF]]) -> None:
    assert totals["NewsKB"]["quotes (text, speaker)"].f1 >= 0.85
