"""The fan-out of stored article answers: how many other answers an ingest or a curation changes.

    python -m benchmarks.fanout --db URL [--answers 300] [--seed 17]
    python -m benchmarks.fanout --feed FILE.jsonl [--files 3]  # write a feed

An article's answer (``ArticleRead``) shows its events with every article's evidence of them,
and the names and types of the entities it mentions, its roles and quotes name, and its
events' participants and locations name. So if each answer were stored with the write
(decision 0010, option 1):

* an ingest rebuilds the answers of the articles with a lower id (stored before it) that
  report one of its events: the **ingest fan-out**, per article, from ``event_evidence``;
* a rename, retype or merge of an entity rebuilds the answers of the articles that mention it
  (``mentions``, as the 0010 amendment counted), or more exactly of every article whose answer
  names it (mentions, roles, quotes, events' participants and locations): the **curation
  fan-out**.

It prints markdown tables of these distributions, events per article, articles per event, the
largest events and entities, then the CPU (``time.process_time``) of building one answer
in-process (``pages.article_page`` then ``ArticleRead`` to JSON) over random articles, and of
rebuilding, answer by answer, the other answers of the worst ingest and of the worst curation.

``--feed`` writes the first ``--files`` Reuters-21578 ``.sgm`` files, in file order, as a
``newskb ingest`` JSONL feed with each story's ``<DATE>`` as ``published_at``, then stops.
Reuters-21578 is research-only: keep the feed outside the repo.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.corpora import iter_reuters
from app.db.engine import make_engine, make_sessionmaker
from app.kb.pages import article_page
from app.schemas.articles import ArticleRead
from benchmarks import readdb

# Per article: other articles sharing an event, those stored before it, and its events.
FAN_OUT = """
WITH pairs AS (
    SELECT DISTINCT x.article_id AS a, y.article_id AS b
    FROM event_evidence x
    JOIN event_evidence y ON y.event_id = x.event_id AND y.article_id <> x.article_id
)
SELECT articles.id,
       COALESCE(SUM(CASE WHEN pairs.b < articles.id THEN 1 ELSE 0 END), 0),
       COUNT(pairs.b),
       (SELECT COUNT(DISTINCT e.event_id) FROM event_evidence e WHERE e.article_id = articles.id)
FROM articles LEFT JOIN pairs ON pairs.a = articles.id
GROUP BY articles.id
ORDER BY articles.id
"""
ARTICLES_PER_EVENT = """
SELECT events.id, events.type, events.summary, COUNT(DISTINCT event_evidence.article_id)
FROM events JOIN event_evidence ON event_evidence.event_id = events.id
GROUP BY events.id, events.type, events.summary
"""
# Per entity: articles that mention it, and articles whose answer names it at all.
MENTIONED = "SELECT entity_id, article_id FROM mentions"
NAMED = f"""
{MENTIONED}
UNION SELECT person_id, article_id FROM roles
UNION SELECT of_id, article_id FROM roles WHERE of_id IS NOT NULL
UNION SELECT speaker_id, article_id FROM quotes WHERE speaker_id IS NOT NULL
UNION SELECT p.entity_id, e.article_id
      FROM event_participants p JOIN event_evidence e ON e.event_id = p.event_id
UNION SELECT v.location_id, e.article_id
      FROM events v JOIN event_evidence e ON e.event_id = v.id WHERE v.location_id IS NOT NULL
"""
# Per event and article: its type, the article's publication day and a key entity.
SAME_DAY_KEYS = """
SELECT v.id, e.article_id, v.type, DATE(a.published_at), p.entity_id
FROM events v
JOIN event_evidence e ON e.event_id = v.id
JOIN articles a ON a.id = e.article_id
LEFT JOIN (
    SELECT event_id, entity_id FROM event_participants
    UNION SELECT id, name_entity_id FROM events WHERE name_entity_id IS NOT NULL
) AS p ON p.event_id = v.id
ORDER BY v.id
"""
PER_ENTITY = """
SELECT entities.id, entities.name, entities.type, COUNT(DISTINCT pairs.article_id)
FROM ({pairs}) AS pairs
JOIN entities ON entities.id = pairs.entity_id
GROUP BY entities.id, entities.name, entities.type
"""


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def dist(values: Sequence[float], qs: Iterable[float] = (0.5, 0.9, 0.99)) -> str:
    parts = [f"p{q * 100:g} {pct(values, q):g}" for q in qs]
    return ", ".join([*parts, f"max {max(values):g}"])


def write_feed(target: Path, files: int) -> int:
    """The stories with a body of ``reut2-000.sgm`` .. the ``files``-th file, in file order,
    with their ``<DATE>`` as ``published_at``."""
    root = readdb.CORPUS / "reuters21578"
    names = [f"reut2-{i:03d}.sgm" for i in range(files)]
    count = 0
    with target.open("w") as out:
        for doc in iter_reuters(root):
            if Path(doc.path).name.partition("#")[0] not in names:
                break
            published = doc.published_at.isoformat() if doc.published_at else None
            row = {"text": doc.text, "title": doc.title, "source": "Reuters"}
            out.write(json.dumps(row | {"published_at": published}) + "\n")
            count += 1
    return count


def same_day_bound(session: Session) -> list[int]:
    """Per article (id order), the earlier articles an ingest could join if every event were
    dated by its article's publication day: events of one type and day that share a
    participant (or the name) are joined transitively. An upper bound for such a resolver,
    which also needs two shared participants when both sides have two or more."""
    rows = session.execute(text(SAME_DAY_KEYS)).all()
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            node = parent[node] = parent[parent[node]]
        return node

    first: dict[tuple[str, str, int], int] = {}
    for event_id, _, type_, day, entity_id in rows:
        if day is not None and entity_id is not None:
            parent[root(event_id)] = root(first.setdefault((type_, str(day), entity_id), event_id))
    members: dict[int, set[int]] = {}
    for event_id, article_id, *_ in rows:
        members.setdefault(root(event_id), set()).add(article_id)
    ids = session.execute(text("SELECT id FROM articles ORDER BY id")).scalars().all()
    others: dict[int, set[int]] = {i: set() for i in ids}
    for articles in members.values():
        for article_id in articles:
            others[article_id] |= {b for b in articles if b < article_id}
    return [len(others[i]) for i in ids]


def answer_cpu_ms(session: Session, ids: Iterable[int]) -> list[float]:
    """CPU ms to build each article's answer, as the API serialises it."""
    spent = []
    for article_id in ids:
        started = time.process_time()
        ArticleRead.model_validate(article_page(session, article_id)).model_dump_json()
        spent.append((time.process_time() - started) * 1000)
    return spent


def report(session: Session, answers: int, seed: int) -> None:
    rows = session.execute(text(FAN_OUT)).all()
    earlier = [r[1] for r in rows]
    anyid = [r[2] for r in rows]
    events_per = [r[3] for r in rows]
    with_events = [r for r in rows if r[3]]
    print(f"{len(rows)} articles, {len(with_events)} with at least one event\n")
    print("| other answers per article | share with 0 | mean | distribution |")
    print("|---|---|---|---|")
    for label, values in (
        ("per ingest (lower ids), all articles", earlier),
        ("per ingest (lower ids), articles with events", [r[1] for r in with_events]),
        ("final DB (any id), all articles", anyid),
        ("what-if, events dated by publication day (bound)", same_day_bound(session)),
    ):
        zero = sum(1 for v in values if v == 0) / len(values)
        mean = statistics.fmean(values)
        print(f"| {label} | {zero:.1%} | {mean:.2f} | {dist(values, (0.5, 0.9, 0.99))} |")

    per_event = session.execute(text(ARTICLES_PER_EVENT)).all()
    counts = [r[3] for r in per_event]
    shared = sum(1 for c in counts if c > 1)
    print(f"\n{len(per_event)} events, {shared} reported by more than one article\n")
    print("| distribution | p50 | p90 | p99 | max | mean |\n|---|---|---|---|---|---|")
    for label, values in (
        ("events per article (all articles)", events_per),
        ("events per article (with events)", [r[3] for r in with_events]),
        ("articles per event", counts),
    ):
        cells = " | ".join(f"{pct(values, q):g}" for q in (0.5, 0.9, 0.99))
        print(f"| {label} | {cells} | {max(values)} | {statistics.fmean(values):.2f} |")
    print("\n| largest events (shared ones) | type | articles |\n|---|---|---|")
    for row in sorted((r for r in per_event if r[3] > 1), key=lambda r: (-r[3], r[0]))[:10]:
        print(f"| {row[0]}: {row[2][:60]} | {row[1]} | {row[3]} |")

    for label, pairs in (("mention it", MENTIONED), ("name it (answer)", NAMED)):
        entities = session.execute(text(PER_ENTITY.format(pairs=pairs))).all()
        values = [r[3] for r in entities]
        top = sorted(entities, key=lambda r: (-r[3], r[0]))[:5]
        print(f"\nArticles per entity, those that {label}: {len(entities)} entities, ", end="")
        print(dist(values, (0.5, 0.9, 0.99, 0.999)))
        print("top 5: " + "; ".join(f"{r[1]} ({r[2]}) {r[3]}" for r in top))

    ids = [r[0] for r in rows]
    answer_cpu_ms(session, ids[:20])  # warm up: statement caches, pydantic
    sample = random.Random(seed).sample(ids, min(answers, len(ids)))
    spent = answer_cpu_ms(session, sample)
    print(f"\nCPU per answer over {len(sample)} random articles: median {pct(spent, 0.5):.2f} ms,")
    print(f"p90 {pct(spent, 0.9):.2f} ms, mean {statistics.fmean(spent):.2f} ms")

    worst = max(rows, key=lambda r: (r[1], -r[0]))
    others = session.execute(
        text(
            "SELECT DISTINCT y.article_id FROM event_evidence x JOIN event_evidence y"
            " ON y.event_id = x.event_id WHERE x.article_id = :id AND y.article_id < :id"
        ),
        {"id": worst[0]},
    ).scalars()
    rebuild(session, f"Worst ingest (article {worst[0]}): {{n}} other answers", list(others))
    top_entity = max(
        session.execute(text(PER_ENTITY.format(pairs=NAMED))).all(), key=lambda r: r[3]
    )
    named = session.execute(
        text(f"SELECT DISTINCT article_id FROM ({NAMED}) AS n WHERE entity_id = :id"),
        {"id": top_entity[0]},
    ).scalars()
    rebuild(session, f"Worst curation ({top_entity[1]}): {{n}} answers", list(named))


def rebuild(session: Session, label: str, article_ids: list[int]) -> None:
    """Print the CPU of building these answers one by one (``label`` names ``{n}``)."""
    rebuilt = answer_cpu_ms(session, article_ids)
    print(
        label.format(n=len(rebuilt)) + f", rebuilt one by one in {sum(rebuilt):.0f} ms of CPU"
        f" (median {pct(rebuilt, 0.5):.2f} ms each)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="the database URL to measure")
    parser.add_argument("--answers", type=int, default=300, help="random answers to time")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--feed", type=Path, help="write a Reuters JSONL feed here and stop")
    parser.add_argument("--files", type=int, default=3, help="reut2-*.sgm files in the feed")
    args = parser.parse_args(argv)
    if args.feed:
        count = write_feed(args.feed, args.files)
        print(f"{count} stories written to {args.feed}")
        return 0
    if not args.db:
        parser.error("--db URL is required (or --feed FILE)")
    engine = make_engine(args.db)
    try:
        with make_sessionmaker(engine)() as session:
            report(session, args.answers, args.seed)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
