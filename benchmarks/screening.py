"""Watchlist screening at scale: 500 names against 100,000 synthetic entities.

The entities (people and organizations, with aliases, accents and Cyrillic spellings) are
generated from a fixed seed and inserted into a fresh database (SQLite in a temporary folder,
or the PostgreSQL server of ``--database-url``), so the screening reads them as it reads real
ones. The 500 names are variants of stored names (case and accents, reordered words,
initials, Cyrillic, one or two typos, an organization's acronym) and names that are not there.

Timed in the same run, on the same names:
- ``screen_names`` cold: read every entity and alias and build the index (the first screening
  after a change of the knowledge base), then match; reading and building are also timed
  alone (``of_which_read_s``, ``of_which_build_s``);
- ``screen_names`` warm: the cached index (every later screening at the same version);
- the baseline: ``rapidfuzz.process.extract`` of each name over every stored name and alias
  (ASCII-folded, ``token_sort_ratio``), the obvious all-pairs approach.

Recall: the share of variant names whose entity is among the top 5 matches.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import insert

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Entity, EntityAlias
from app.kb.normalize import normalize_name
from app.kb.screening import IndexCache, NameQuery, load_entities, screen_names
from app.kb.screening.index import ScreeningIndex
from app.kb.screening.keys import ascii_key

FIRST = (
    "Anna Maria Elena Olga Irina Sofia Laura Marta Eva Nina Julia Clara Alice Ingrid Zoë "
    "Agnieszka Małgorzata Hélène Françoise Renée Chloé Inès Søren Björn Jürgen Łukasz José "
    "Andrés João Ramón Émile Frédéric Alexander Vladimir Dmitri Sergei Mikhail Pavel Ivan Oleg "
    "Yuri Boris Peter John James Robert Michael David Richard Thomas Charles Daniel Paul Mark "
    "George Kenji Hiroshi Wei Li Chen Ahmed Omar Yusuf Ali Hassan Karim Tariq Samir Nadia "
    "Fatima Aisha Leila Amina Priya Ravi Arjun Sanjay Anil Kwame Kofi Ama Chinedu Ngozi Tendai"
).split()
SYLLABLES = (
    "ko va len mar tin shen ber ro sa mi dor gal ner vik lu pet ras hol bra dan kin zel fer "
    "gor tal ben mor sto kai ren vol dri nov cas lin zar pol hen mas tor bel fin gra"
).split()
ENDINGS = ("ov", "ova", "enko", "son", "sen", "ez", "ski", "ska", "i", "er", "ani", "", "", "")
ORG_WORDS = (
    "Northern Southern Atlantic Pacific United National Global Eastern Western Central Royal "
    "Federal Continental Baltic Alpine Coastal Steel Energy Shipping Mining Grain Textile "
    "Pharma Logistics Aviation Chemical Insurance Media Telecom Water Timber Cement Freight"
).split()
ORG_KINDS = "Holdings Group Bank Trust Company Corporation Partners Fund Agency Union".split()
CYRILLIC = dict(
    zip(
        "abvgdezijklmnoprstufhcy",
        "абвгдезийклмнопрстуфхцы",
        strict=True,
    )
)


def surname(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
    return (word + rng.choice(ENDINGS)).capitalize()


def synthetic_entities(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` entities, 70 % people, as rows with their aliases."""
    entities = []
    for number in range(1, count + 1):
        if rng.random() < 0.7:
            name = f"{rng.choice(FIRST)} {surname(rng)}"
            if rng.random() < 0.15:
                name = f"{rng.choice(FIRST)} {name}"
            aliases = [name.split()[-1]] if rng.random() < 0.3 else []
            kind = "person"
        else:
            words = rng.sample(ORG_WORDS, rng.choice((1, 2, 3)))
            name = " ".join([*words, rng.choice(ORG_KINDS)])
            if rng.random() < 0.5:
                name = f"{surname(rng)} {name}"
            aliases = ["".join(w[0] for w in name.split()).upper()] if rng.random() < 0.2 else []
            kind = "organization"
        entities.append({"id": number, "type": kind, "name": name, "aliases": aliases})
    return entities


def insert_entities(url: str, entities: list[dict[str, Any]]) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with make_sessionmaker(engine)() as session:
            for start in range(0, len(entities), 10_000):
                batch = entities[start : start + 10_000]
                session.execute(
                    insert(Entity),
                    [
                        {
                            "id": e["id"],
                            "type": e["type"],
                            "name": e["name"],
                            "normalized_name": normalize_name(e["name"]),
                        }
                        for e in batch
                    ],
                )
                aliases = [
                    {"entity_id": e["id"], "alias": a, "normalized": normalize_name(a)}
                    for e in batch
                    for a in e["aliases"]
                ]
                if aliases:
                    session.execute(insert(EntityAlias), aliases)
            session.commit()
    finally:
        engine.dispose()


def typo(text: str, rng: random.Random) -> str:
    """One letter dropped, doubled or swapped with the next, in the longest word."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    at = rng.randrange(1, len(word) - 1)
    change = rng.choice(("drop", "double", "swap"))
    if change == "drop":
        word = word[:at] + word[at + 1 :]
    elif change == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    words[longest] = word
    return " ".join(words)


def variant(entity: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    """A name a watchlist might hold for this entity, and how it differs."""
    name: str = entity["name"]
    words = name.split()
    if entity["type"] == "organization":
        how = rng.choice(("folded", "reordered", "typo", "acronym"))
        if how == "acronym" and len(words) >= 3:
            return "".join(w[0] for w in words).upper(), how
        how = "typo" if how == "acronym" else how
    else:
        how = rng.choice(("folded", "reordered", "initials", "cyrillic", "typo", "typo"))
    if how == "folded":
        return ascii_key(name).upper(), how
    if how == "reordered":
        return " ".join([words[-1], *words[:-1]]), how
    if how == "initials":
        return " ".join([*(w[0] + "." for w in words[:-1]), words[-1]]), how
    if how == "cyrillic":
        return "".join(CYRILLIC.get(c, c) for c in ascii_key(name)), how
    return typo(name, rng), how


def absent_name(rng: random.Random) -> str:
    return f"{rng.choice(('Quentin', 'Ximena', 'Ulrike', 'Yolanda'))} {surname(rng)}q"


def baseline(entities: list[dict[str, Any]], names: list[NameQuery]) -> list[list[int]]:
    """All pairs: every name against every stored name and alias of its kind."""
    forms: dict[str, tuple[list[str], list[int]]] = {"person": ([], []), "organization": ([], [])}
    for e in entities:
        texts, owners = forms[e["type"]]
        for text in (e["name"], *e["aliases"]):
            texts.append(ascii_key(text))
            owners.append(e["id"])
    found = []
    for query in names:
        texts, owners = forms[query.kind]
        best = process.extract(ascii_key(query.name), texts, scorer=fuzz.token_sort_ratio, limit=5)
        found.append([owners[position] for _, _, position in best])
    return found


def run(url: str | None, entity_count: int, name_count: int) -> dict[str, Any]:
    rng = random.Random(19)
    entities = synthetic_entities(entity_count, rng)
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'screening.db'}"
        started = time.perf_counter()
        insert_entities(url, entities)
        inserted = time.perf_counter() - started
        present = rng.sample(entities, name_count * 4 // 5)
        expected: list[int | None] = []
        names: list[NameQuery] = []
        kinds: list[str] = []
        for entity in present:
            text, how = variant(entity, rng)
            names.append(NameQuery(text, entity["type"]))
            expected.append(entity["id"])
            kinds.append(how)
        for _ in range(name_count - len(present)):
            names.append(NameQuery(absent_name(rng), "person"))
            expected.append(None)
            kinds.append("absent")
        engine = make_engine(url)
        cache = IndexCache()
        try:
            with make_sessionmaker(engine)() as session:
                started, cpu = time.perf_counter(), time.process_time()
                rows = load_entities(session)
                load_s, load_cpu = time.perf_counter() - started, time.process_time() - cpu
                started, cpu = time.perf_counter(), time.process_time()
                ScreeningIndex.build(rows)
                build_s, build_cpu = time.perf_counter() - started, time.process_time() - cpu
                del rows
                started, cpu = time.perf_counter(), time.process_time()
                cold = screen_names(session, names, cache=cache)
                cold_s, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
                started, cpu = time.perf_counter(), time.process_time()
                warm = screen_names(session, names, cache=cache)
                warm_s, warm_cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            engine.dispose()
    started, cpu = time.perf_counter(), time.process_time()
    base = baseline(entities, names)
    base_s, base_cpu = time.perf_counter() - started, time.process_time() - cpu
    ours = [[m.id for m in r.matches] for r in warm.results]
    assert ours == [[m.id for m in r.matches] for r in cold.results]
    recall: dict[str, list[int]] = {}
    base_recall: dict[str, list[int]] = {}
    for how, want, got, other in zip(kinds, expected, ours, base, strict=True):
        if want is not None:
            recall.setdefault(how, []).append(want in got)
            base_recall.setdefault(how, []).append(want in other)
    absent = [bool(got) for how, got in zip(kinds, ours, strict=True) if how == "absent"]
    return {
        "database": url.split(":", 1)[0],
        "entities": cold.entities,
        "names": len(names),
        "insert_s": round(inserted, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "cold_s": round(cold_s, 2),
        "of_which_read_s": round(load_s, 2),
        "of_which_build_s": round(build_s, 2),
        "warm_s": round(warm_s, 2),
        "baseline_s": round(base_s, 2),
        "speedup_warm_vs_baseline": round(base_s / warm_s, 1),
        "cpu_s": {
            "cold": round(cold_cpu, 2),
            "read": round(load_cpu, 2),
            "build": round(build_cpu, 2),
            "warm": round(warm_cpu, 2),
            "baseline": round(base_cpu, 2),
        },
        "recall_at_5": {h: round(sum(v) / len(v), 3) for h, v in sorted(recall.items())},
        "baseline_recall_at_5": {
            h: round(sum(v) / len(v), 3) for h, v in sorted(base_recall.items())
        },
        "absent_names_with_a_match": sum(absent),
        "absent_names": len(absent),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to fill (default: SQLite)")
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=500)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.database_url, args.entities, args.names), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
