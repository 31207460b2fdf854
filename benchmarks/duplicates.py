"""How well the near-duplicate threshold separates copies from distinct articles.

Run ``python -m benchmarks.duplicates [--bbc DIR]``. It measures ``app.kb.duplicates`` without a
database: the estimated similarity (MinHash signatures) of

- **rewrites** of each of the 50 Wikinews fixture articles (``tests/fixtures/corpus``), as an
  outlet re-running a wire story would make them: another headline, a byline and dateline
  added, the first paragraph rewritten, the last paragraph cut, and all of these at once;
- **distinct pairs**: every pair of different fixture articles (1,225 pairs);
- with ``--bbc``, every pair of the BBC research corpus (2,225 articles) that shares an LSH
  band, to count the near-duplicates that corpus really holds (paths only: the BBC text is
  research-only and never printed or stored).

Prints, for the threshold in use and its neighbours, the share of rewrites found and of
distinct pairs wrongly linked.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from app.corpora import iter_bbc, iter_wikinews
from app.kb import duplicates

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

# A first paragraph as another outlet would write it (ours, not from any corpus).
NEW_LEAD = (
    "In a development that drew attention from around the world this week, officials and "
    "observers offered their first reactions as details of the story emerged on Monday."
)
BYLINE = "By Staff Reporter, Wire Services\n\nLONDON (Newswire) -"


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


def other_headline(title: str, body: str) -> str:
    return body  # only the headline differs; the body is compared


def byline(title: str, body: str) -> str:
    return f"{BYLINE} {body}"


def new_lead(title: str, body: str) -> str:
    return "\n\n".join([NEW_LEAD, *paragraphs(body)[1:]])


def cut_end(title: str, body: str) -> str:
    return "\n\n".join(paragraphs(body)[:-1])


def everything(title: str, body: str) -> str:
    return byline(title, cut_end(title, new_lead(title, body)))


REWRITES: dict[str, Callable[[str, str], str]] = {
    "other headline": other_headline,
    "byline and dateline": byline,
    "first paragraph rewritten": new_lead,
    "last paragraph cut": cut_end,
    "all of these": everything,
}


def fixture_bodies() -> list[tuple[str, str]]:
    """(title, body) of each fixture article of three paragraphs or more (a rewrite cuts
    one and rewrites another), its title line left out of the body."""
    found = []
    for doc in iter_wikinews(FIXTURE_CORPUS):
        title, _, body = doc.text.partition("\n\n")
        if len(paragraphs(body)) >= 3:
            found.append((title, body))
    return found


def signature(text: str) -> bytes:
    found = duplicates.fingerprint(text)
    assert found is not None, "every fixture article is long enough"
    return found.signature


def rewrite_scores(articles: list[tuple[str, str]]) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = {}
    for name, rewrite in REWRITES.items():
        scores[name] = []
        for title, body in articles:
            copy = rewrite(title, body)
            scores[name].append(duplicates.similarity(signature(body), signature(copy)))
    return scores


def distinct_scores(articles: list[tuple[str, str]]) -> list[float]:
    signatures = [signature(body) for _, body in articles]
    return [duplicates.similarity(a, b) for a, b in itertools.combinations(signatures, 2)]


def share(values: Iterable[float], threshold: float, *, above: bool) -> float:
    values = list(values)
    hits = sum(1 for v in values if (v >= threshold) == above)
    return hits / len(values) if values else 0.0


def bbc_pairs(root: Path) -> list[tuple[float, str, str]]:
    """Pairs of BBC articles sharing an LSH band, with their similarity (paths, no text)."""
    prints: dict[str, duplicates.Fingerprint] = {}
    for doc in iter_bbc(root):
        _, _, body = doc.text.partition("\n")
        if (found := duplicates.fingerprint(body)) is not None:
            prints[doc.path] = found
    buckets: dict[int, list[str]] = defaultdict(list)
    for path, found in prints.items():
        for key in found.band_keys:
            buckets[key].append(path)
    pairs = {
        tuple(sorted(pair))
        for paths in buckets.values()
        for pair in itertools.combinations(paths, 2)
    }
    return sorted(
        ((duplicates.similarity(prints[a].signature, prints[b].signature), a, b) for a, b in pairs),
        reverse=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bbc", type=Path, help="the BBC corpus folder (research only)")
    args = parser.parse_args(argv)

    articles = fixture_bodies()
    rewrites = rewrite_scores(articles)
    distinct = distinct_scores(articles)
    print(f"Fixture corpus: {len(articles)} Wikinews articles, {len(distinct)} distinct pairs")
    print(f"Shingles of {duplicates.SHINGLE_WORDS} words, {duplicates.NUM_PERM} permutations")
    print()
    print("| rewrite | min | median | found at " + " | ".join(map(str, THRESHOLDS)) + " |")
    print("|---|---|---|" + "---|" * len(THRESHOLDS))
    for name, values in rewrites.items():
        ordered = sorted(values)
        found = " | ".join(f"{share(values, t, above=True):.0%}" for t in THRESHOLDS)
        print(f"| {name} | {ordered[0]:.2f} | {ordered[len(ordered) // 2]:.2f} | {found} |")
    wrong = " | ".join(f"{share(distinct, t, above=True):.2%}" for t in THRESHOLDS)
    print(f"| distinct pairs linked (max {max(distinct):.2f}) | | | {wrong} |")
    if args.bbc:
        pairs = bbc_pairs(args.bbc)
        print()
        print(f"BBC: {len(pairs)} candidate pairs (sharing an LSH band)")
        for low, high in ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.3, 0.5), (0.0, 0.3)):
            count = sum(1 for s, _, _ in pairs if low <= s < high)
            print(f"  similarity {low:.1f}-{min(high, 1.0):.1f}: {count} pairs")
        for score, a, b in pairs:
            if 0.2 <= score < 0.9:
                print(
                    f"  {score:.2f} {Path(a).relative_to(args.bbc)} {Path(b).relative_to(args.bbc)}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
