"""Typed mention F1 on CoNLL-2003 against bare spaCy with the same model, in the same run.

Run ``python -m benchmarks.conll [--data FILE] [--model NAME_OR_PATH] [--limit N] [--errors]``.

The data is research-only and never in the repo: by default the development split (eng.testa)
at ``../shared/data/eval/conll2003/valid.txt`` (``NEWSKB_EVAL_DIR`` overrides the folder).

Each story becomes the text a user would paste: the headline, a blank line, then one paragraph
per CoNLL sentence (tokens joined by single spaces). That text goes through the real path
(``parse_text`` → ``with_overrides(published_at=...)`` → ``extract_parsed``); every stored
mention is mapped back to the story's characters and typed as CoNLL types it: person → PER,
organization → ORG, country and place → LOC, anything else → MISC, and a nationality word stored
as a mention of its country ("Belarusian") → MISC. A predicted mention counts when its span and
its type equal a gold one's (exact match, micro-averaged over all stories).

The baseline is bare ``nlp.pipe`` of the same model (no entity patterns, no rules) over the same
story texts, with OntoNotes labels mapped the same way: PERSON → PER, ORG → ORG, GPE/LOC/FAC →
LOC, NORP/EVENT/PRODUCT/WORK_OF_ART/LAW/LANGUAGE → MISC; numeric labels are not names.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import spacy
from spacy.language import Language

from benchmarks.scoring import PRF

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "data" / "eval"

Gold = tuple[int, int, str]  # [start, end) in the story text, CoNLL type

_ONTONOTES_TO_CONLL = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
_OURS_TO_CONLL = {"person": "PER", "organization": "ORG", "country": "LOC", "place": "LOC"}


@dataclass
class Story:
    """One CoNLL story as text, with its gold mentions as character spans."""

    text: str
    gold: list[Gold] = field(default_factory=list)
    published: datetime | None = None


def read_conll(path: Path) -> list[Story]:
    """Stories of a CoNLL-2003 file (``WORD POS CHUNK NER`` lines, IOB tags)."""
    stories: list[list[list[tuple[str, str]]]] = []
    sentence: list[tuple[str, str]] = []
    for line in path.read_text("utf-8").splitlines():
        parts = line.split()
        if not parts:
            if sentence and stories:
                stories[-1].append(sentence)
            elif sentence:
                stories.append([sentence])  # a file without -DOCSTART- lines is one story
            sentence = []
        elif parts[0] == "-DOCSTART-":
            stories.append([])
        else:
            sentence.append((parts[0], parts[-1]))
    if sentence:
        stories[-1].append(sentence)
    return [_story(sentences) for sentences in stories if sentences]


def _story(sentences: list[list[tuple[str, str]]]) -> Story:
    text = ""
    gold: list[Gold] = []
    for n, sentence in enumerate(sentences):
        if n:
            text += "\n\n"
        open_span: list[int | str] | None = None
        for i, (word, tag) in enumerate(sentence):
            if i:
                text += " "
            start = len(text)
            text += word
            inside = tag.startswith("I-") and open_span is not None and open_span[2] == tag[2:]
            if inside and open_span is not None:
                open_span[1] = len(text)
                continue
            if open_span is not None:
                gold.append((int(open_span[0]), int(open_span[1]), str(open_span[2])))
                open_span = None
            if tag != "O":
                open_span = [start, len(text), tag[2:]]
        if open_span is not None:
            gold.append((int(open_span[0]), int(open_span[1]), str(open_span[2])))
    return Story(text, gold, _dateline_date(sentences))


def _dateline_date(sentences: list[list[tuple[str, str]]]) -> datetime | None:
    """Reuters stories of 1996 carry the date in their dateline sentence ("LONDON 1996-08-30")."""
    for sentence in sentences[:3]:
        for word, _ in sentence:
            if len(word) == 10 and word[:4].isdigit() and word[4] == "-" and word[7] == "-":
                try:
                    return datetime.fromisoformat(word).replace(tzinfo=UTC)
                except ValueError:
                    continue
    return None


# --- where a zone's text sits in the story -------------------------------------------------


def _locate(zone_text: str, story: str) -> list[tuple[int, int]]:
    """(zone offset, story offset) pairs, one per paragraph of the zone found in the story."""
    anchors: list[tuple[int, int]] = []
    cursor = 0
    zone_cursor = 0
    for paragraph in zone_text.split("\n"):
        if paragraph.strip():
            at = story.find(paragraph, cursor)
            if at >= 0:
                anchors.append((zone_cursor, at))
                cursor = at + len(paragraph)
        zone_cursor += len(paragraph) + 1
    return anchors


def _to_story(
    anchors: list[tuple[int, int]], zone_text: str, start: int, end: int, story: str
) -> tuple[int, int] | None:
    for zone_at, story_at in reversed(anchors):
        if zone_at <= start:
            mapped = story_at + (start - zone_at)
            if story[mapped : mapped + end - start] == zone_text[start:end]:
                return mapped, mapped + end - start
            return None
    return None


# --- the two systems -------------------------------------------------------------------------


def run_ours(stories: Sequence[Story], model: str) -> tuple[list[set[Gold]], int]:
    """Mentions the pipeline stores, as story spans with CoNLL types; and how many were lost
    because their zone text could not be found in the story (parse rewrote it)."""
    from app.extract.countries import country_by_demonym
    from app.extract.parse import parse_text
    from app.extract.pipeline import extract_parsed, with_overrides

    parsed = [with_overrides(parse_text(s.text), published_at=s.published) for s in stories]
    extracted = extract_parsed(parsed, model_names=model)
    out: list[set[Gold]] = []
    unmapped = 0
    for story, article in zip(stories, extracted, strict=True):
        zones = {(z, i): t for z, i, t in article.parsed.zone_texts()}
        anchors = {key: _locate(text, story.text) for key, text in zones.items()}
        found: set[Gold] = set()
        for entity in article.entities:
            for mention in entity.mentions:
                zone = "body" if mention.span.zone == "subhead" else mention.span.zone
                key = (zone, mention.span.zone_index)
                text = zones[key]
                at = _to_story(anchors[key], text, mention.span.start, mention.span.end, story.text)
                if at is None:
                    unmapped += 1
                    continue
                conll = _OURS_TO_CONLL.get(entity.type, "MISC")
                if conll == "LOC" and country_by_demonym(mention.text) is not None:
                    conll = "MISC"
                found.add((at[0], at[1], conll))
        out.append(found)
    return out, unmapped


def run_bare(stories: Sequence[Story], model: str) -> list[set[Gold]]:
    nlp = load_bare(model)
    out = []
    for doc in nlp.pipe((s.text for s in stories), batch_size=64):
        out.append(
            {
                (e.start_char, e.end_char, _ONTONOTES_TO_CONLL[e.label_])
                for e in doc.ents
                if e.label_ in _ONTONOTES_TO_CONLL
            }
        )
    return out


def load_bare(model: str) -> Language:
    """The first model of a comma-separated list that loads, without our entity patterns."""

    for name in (n.strip() for n in model.split(",") if n.strip()):
        try:
            return spacy.load(name)
        except OSError:
            continue
    raise SystemExit(f"no spaCy model could be loaded from {model!r}")


def score(gold: Sequence[Sequence[Gold]], predicted: Sequence[set[Gold]]) -> dict[str, PRF]:
    """Micro P/R/F1 overall and per CoNLL type (exact span and type)."""
    rows: dict[str, PRF] = {}
    for kind in ("ALL", "PER", "ORG", "LOC", "MISC"):
        tp = fp = fn = 0
        for g, p in zip(gold, predicted, strict=True):
            gs = {x for x in g if kind in ("ALL", x[2])}
            ps = {x for x in p if kind in ("ALL", x[2])}
            tp += len(gs & ps)
            fp += len(ps - gs)
            fn += len(gs - ps)
        rows[kind] = PRF(tp, fp, fn)
    untyped_tp = sum(
        len({x[:2] for x in g} & {x[:2] for x in p}) for g, p in zip(gold, predicted, strict=True)
    )
    n_gold = sum(len(g) for g in gold)
    n_pred = sum(len(p) for p in predicted)
    rows["spans"] = PRF(untyped_tp, n_pred - untyped_tp, n_gold - untyped_tp)
    return rows


def errors(stories: Sequence[Story], predicted: Sequence[set[Gold]]) -> Iterator[str]:
    """Each wrong or missed mention with its text, for reading (not for writing rules)."""
    counts: Counter[str] = Counter()
    for story, p in zip(stories, predicted, strict=True):
        g = set(story.gold)
        for s, e, t in sorted(p - g):
            counts[f"FP {t:<4} {story.text[s:e]!r}"] += 1
        for s, e, t in sorted(g - p):
            counts[f"FN {t:<4} {story.text[s:e]!r}"] += 1
    for line, n in counts.most_common():
        yield f"{n:4d}  {line}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conll", description=__doc__)
    default = Path(os.environ.get("NEWSKB_EVAL_DIR", DEFAULT_EVAL)) / "conll2003" / "valid.txt"
    parser.add_argument("--data", type=Path, default=default, help=f"default: {default}")
    parser.add_argument(
        "--model",
        default=None,
        help="spaCy model name(s) or path, for both systems (default: the pipeline's default)",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N stories")
    parser.add_argument("--errors", type=Path, help="write every FP/FN with its count here")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"CoNLL data not found at {args.data} (use --data)", file=sys.stderr)
        return 2

    from app.extract.nlp import DEFAULT_MODELS

    model = args.model or DEFAULT_MODELS
    stories = read_conll(args.data)[: args.limit]
    gold = [s.gold for s in stories]
    words = sum(len(s.text.split()) for s in stories)

    started = time.perf_counter()
    bare = run_bare(stories, model)
    bare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ours, unmapped = run_ours(stories, model)
    ours_seconds = time.perf_counter() - started

    rows = {"bare spaCy": score(gold, bare), "NewsKB": score(gold, ours)}
    print(f"CoNLL-2003 {args.data.name}: {len(stories)} stories, {words} words, "
          f"{sum(len(g) for g in gold)} gold mentions; model {model}")  # fmt: skip
    print(f"{'system':<12} {'type':<6} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>6} {'fn':>6}")
    for system, table in rows.items():
        for kind, prf in table.items():
            print(
                f"{system:<12} {kind:<6} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f}"
                f" {prf.tp:6d} {prf.fp:6d} {prf.fn:6d}"
            )
    base, new = rows["bare spaCy"]["ALL"], rows["NewsKB"]["ALL"]
    print(
        f"typed F1 ratio NewsKB / bare spaCy: {new.f1 / base.f1:.3f}"
        f" (precision {new.precision:.3f} vs {base.precision:.3f})"
    )
    print(
        f"speed: bare {words / bare_seconds:,.0f} words/s, NewsKB {words / ours_seconds:,.0f}"
        f" words/s (ratio {bare_seconds / ours_seconds:.2f}); mentions not mapped back: {unmapped}"
    )
    if args.errors:
        args.errors.write_text("\n".join(errors(stories, ours)) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
