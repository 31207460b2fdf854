"""A sample of every news corpus goes through extraction with no exception and no failure.

The whole corpora take about an hour on two busy cores: ``python -m benchmarks.crashfree``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crashfree import iter_conll, run
from tests.corpus import corpus_path


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "every"), [("bbc", 50), ("reuters", 200), ("wikinews", 10)])
def test_a_sample_of_each_corpus_extracts_without_failures(name: str, every: int) -> None:
    tally = run(name, corpus_path(), conll=Path("unused"), every=every)
    assert tally.documents >= 30
    assert tally.escaped == [], tally.escaped
    assert tally.failed_articles == 0, tally.examples


def test_conll_stories_are_joined_tokens_and_lines(tmp_path: Path) -> None:
    data = tmp_path / "valid.txt"
    data.write_text(
        "-DOCSTART- -X- -X- O\n\nRAIN NN B-NP O\nFALLS VBZ B-VP O\n\nIt PRP B-NP O\n"
        "rained VBD B-VP O\n. . O O\n\n-DOCSTART- -X- -X- O\n\nDry JJ B-NP O\n",
        "utf-8",
    )
    assert [doc.text for doc in iter_conll(data)] == ["RAIN FALLS\nIt rained .", "Dry"]
