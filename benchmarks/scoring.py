"""Matching extracted facts against gold annotations: the rules of tests/fixtures/gold/README.md."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from app.extract.types import Entity, ExtractedArticle

KINDS = (
    "entities",
    "entities_any_type",
    "roles",
    "timexes",
    "amounts",
    "quotes",
    "quotes_text_only",
    "events",
)
Gold = dict[str, Any]


@dataclass
class PRF:
    """True positives, false positives and false negatives, with the usual ratios."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


# --- normalization -------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w\s]")
_LEADING_THE = re.compile(r"^the\s+")
_TIMEX_STOPWORDS = frozenset({"the", "on", "in", "at", "of", "a", "an", "by", "to", "since"})


def normalize_name(text: str) -> str:
    """Case, accents, punctuation and a leading "the" do not count: "the U.S." == "US"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"'s\b", "", plain)
    plain = " ".join(_NON_WORD.sub(lambda m: "" if m.group() == "." else " ", plain).split())
    return _LEADING_THE.sub("", plain)


def tokens(text: str) -> list[str]:
    return normalize_name(text).split()


_UNIT_SYNONYMS = {
    "feet": "foot", "ft": "foot", "metre": "meter", "m": "meter", "kilometer": "km",
    "kilometre": "km", "centimeter": "cm", "centimetre": "cm", "mi": "mile", "kph": "km/h",
    "kmh": "km/h", "kilometers per hour": "km/h", "kilometres per hour": "km/h",
    "miles per hour": "mph", "mile per hour": "mph", "per cent": "percent", "%": "percent",
    "percentage": "percent", "inches": "inch", "in": "inch",
}  # fmt: skip


def normalize_unit(unit: str) -> tuple[str, ...]:
    """A unit as singular words: "people killed" → ("people", "killed"), "feet" → ("foot",)."""
    text = unit.strip().casefold()
    text = _UNIT_SYNONYMS.get(text, text)
    if text in {"km/h", "mph", "percent"}:
        return (text,)
    words = [_UNIT_SYNONYMS.get(w, w) for w in tokens(text)]
    return tuple(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
    )


def units_match(gold_unit: str, predicted_unit: str) -> bool:
    """Currency codes must be equal; counted nouns match on their head or on word containment."""
    gold, predicted = normalize_unit(gold_unit), normalize_unit(predicted_unit)
    if not gold or not predicted:
        return gold == predicted
    if gold == predicted or gold[-1] == predicted[-1]:
        return True
    return set(gold) <= set(predicted) or set(predicted) <= set(gold)


def title_matches(gold_title: str, predicted_title: str) -> bool:
    """Equal titles, or one ends the other ("caretaker Prime Minister" vs "Prime Minister")."""
    gold, predicted = tokens(gold_title), tokens(predicted_title)
    if not gold or not predicted:
        return False
    shorter, longer = sorted((gold, predicted), key=len)
    return longer[-len(shorter) :] == shorter


def iso_range(value: str | None) -> tuple[date, date] | None:
    """The inclusive day range of an ISO value: "2021", "2021-09", "2021-09-13", "a/b"."""
    if not value:
        return None
    if "/" in value:
        start, end = (iso_range(part) for part in value.split("/", 1))
        return (start[0], end[1]) if start and end else None
    value = value.split("T", 1)[0]
    try:
        if re.fullmatch(r"\d{4}", value):
            return date(int(value), 1, 1), date(int(value), 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = int(value[:4]), int(value[5:])
            first_next = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), first_next - timedelta(days=1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            return day, day
    except ValueError:
        return None
    return None


def timex_values_match(gold_value: str, predicted_value: str | None) -> bool:
    if predicted_value is None:
        return False
    if gold_value == predicted_value or predicted_value.startswith(gold_value + "T"):
        return True
    gold_days, predicted_days = iso_range(gold_value), iso_range(predicted_value)
    return gold_days is not None and gold_days == predicted_days and "T" not in gold_value


def texts_overlap(gold_text: str, predicted_text: str) -> bool:
    """Two surface texts share a content word (or, lacking any, one contains the other)."""
    gold = set(tokens(gold_text)) - _TIMEX_STOPWORDS
    predicted = set(tokens(predicted_text)) - _TIMEX_STOPWORDS
    if gold and predicted:
        return bool(gold & predicted)
    a, b = normalize_name(gold_text), normalize_name(predicted_text)
    return bool(a and b) and (a in b or b in a)


def quote_texts_overlap(gold_prefix: str, predicted_text: str, run: int = 4) -> bool:
    """The texts share a run of ``run`` consecutive words (fewer when either text is shorter)."""
    gold, predicted = tokens(gold_prefix), tokens(predicted_text)
    need = min(run, len(gold), len(predicted))
    if need == 0:
        return False
    grams = {tuple(predicted[i : i + need]) for i in range(len(predicted) - need + 1)}
    return any(tuple(gold[i : i + need]) in grams for i in range(len(gold) - need + 1))


# --- matching ------------------------------------------------------------------------------


def gold_names(gold: Gold) -> dict[str, set[str]]:
    """Every gold entity's normalized name and aliases, keyed by its normalized name."""
    return {
        normalize_name(e["name"]): {normalize_name(n) for n in (e["name"], *e.get("aliases", []))}
        for e in gold.get("entities", [])
    }


def names_of_gold(name: str | None, table: dict[str, set[str]]) -> set[str]:
    """The names a gold reference ("Lukashenko" or "Alexander Lukashenko") stands for."""
    if not name:
        return set()
    key = normalize_name(name)
    if key in table:
        return table[key]
    return next((names for names in table.values() if key in names), {key})


def predicted_names(entity: Entity) -> set[str]:
    surface = (entity.name, *entity.aliases, *(m.text for m in entity.mentions))
    return {n for n in (normalize_name(s) for s in surface) if n}


def match_count(
    gold_items: Sequence[Any], predicted_items: Sequence[Any], same: Callable[[Any, Any], bool]
) -> PRF:
    """Greedy one-to-one matching in order: each gold item takes the first free match."""
    free = list(range(len(predicted_items)))
    tp = 0
    for gold_item in gold_items:
        hit = next((i for i in free if same(gold_item, predicted_items[i])), None)
        if hit is not None:
            free.remove(hit)
            tp += 1
    return PRF(tp, len(predicted_items) - tp, len(gold_items) - tp)


def _score_entities(gold: Gold, extracted: ExtractedArticle, typed: bool) -> PRF:
    gold_entities = gold.get("entities", [])
    names = [names_of_gold(e["name"], gold_names(gold)) for e in gold_entities]
    predicted = [(e, predicted_names(e)) for e in extracted.entities]
    # Match on canonical names first, so an alias overlap cannot steal an exact match.
    order = sorted(
        range(len(gold_entities)),
        key=lambda i: (
            not any(
                normalize_name(gold_entities[i]["name"]) == normalize_name(p.name)
                for p, _ in predicted
            )
        ),
    )

    def same(i: int, item: tuple[Entity, set[str]]) -> bool:
        entity, surface = item
        if typed and entity.type != gold_entities[i]["type"]:
            return False
        return bool(names[i] & surface)

    return match_count(order, predicted, same)


def score(gold: Gold, extracted: ExtractedArticle) -> dict[str, PRF]:
    """Precision/recall counts of one article's extraction against its gold annotation."""
    table = gold_names(gold)
    by_key = {e.key: predicted_names(e) for e in extracted.entities}

    def same_entity(gold_name: str | None, predicted_key: str | None) -> bool:
        if gold_name is None or predicted_key is None:
            return gold_name is None and predicted_key is None
        return bool(names_of_gold(gold_name, table) & by_key.get(predicted_key, set()))

    def same_role(g: dict[str, Any], p: Any) -> bool:
        return (
            same_entity(g["person"], p.person_key)
            and title_matches(g["title"], p.title)
            and same_entity(g.get("of"), p.of_key)
        )

    def same_timex(g: dict[str, Any], p: tuple[str, list[str]]) -> bool:
        value, texts = p
        return timex_values_match(g["value"], value) and any(
            texts_overlap(g["text"], t) for t in texts
        )

    def same_amount(g: dict[str, Any], p: Any) -> bool:
        value_ok = abs(g["value"] - p.value) <= 1e-6 * max(abs(g["value"]), 1.0)
        return value_ok and units_match(g["unit"], p.unit)

    def same_quote_text(g: dict[str, Any], p: Any) -> bool:
        return quote_texts_overlap(g["text"], p.text)

    def same_quote(g: dict[str, Any], p: Any) -> bool:
        return same_quote_text(g, p) and same_entity(g.get("speaker"), p.speaker_key)

    def same_event(g: dict[str, Any], p: Any) -> bool:
        if g["type"] != p.type:
            return False
        gold_people = [names_of_gold(n, table) for n in g.get("participants", [])]
        predicted_people = set().union(*(by_key.get(x.entity_key, set()) for x in p.participants))
        if gold_people and not any(names & predicted_people for names in gold_people):
            return False
        gold_days = iso_range(g.get("date"))
        if gold_days and p.date_start:
            end = p.date_end or p.date_start
            return p.date_start <= gold_days[1] and gold_days[0] <= end
        return True

    return {
        "entities": _score_entities(gold, extracted, typed=True),
        "entities_any_type": _score_entities(gold, extracted, typed=False),
        "roles": match_count(gold.get("roles", []), _unique_roles(extracted), same_role),
        "timexes": match_count(
            gold.get("timexes", []),
            _unique_timexes(extracted, dated=bool(gold.get("published"))),
            same_timex,
        ),
        "amounts": match_count(gold.get("amounts", []), _unique_amounts(extracted), same_amount),
        "quotes": match_count(gold.get("quotes", []), extracted.quotes, same_quote),
        "quotes_text_only": match_count(gold.get("quotes", []), extracted.quotes, same_quote_text),
        "events": match_count(gold.get("events", []), extracted.events, same_event),
    }


def _unique_by(items: Iterable[Any], key: Callable[[Any], object]) -> list[Any]:
    seen: dict[object, Any] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def _unique_roles(extracted: ExtractedArticle) -> list[Any]:
    """Gold lists a (person, title, of) once; so repeated predictions count once."""
    return _unique_by(extracted.roles, lambda r: (r.person_key, normalize_name(r.title), r.of_key))


def _unique_timexes(extracted: ExtractedArticle, dated: bool) -> list[tuple[str, list[str]]]:
    """Gold lists each value once: group predictions by value, keeping all their texts.

    Without a published date (``dated`` false) gold holds only absolute dates, so predictions
    left without a value (relative expressions that could not be resolved) are not counted."""
    by_value: dict[str, list[str]] = {}
    for timex in extracted.timexes:
        if timex.value is None and not dated:
            continue
        by_value.setdefault(timex.value or f"?{timex.text}", []).append(timex.text)
    return list(by_value.items())


def _unique_amounts(extracted: ExtractedArticle) -> list[Any]:
    return _unique_by(extracted.amounts, lambda a: (round(a.value, 6), normalize_unit(a.unit)))


def total(per_article: Iterable[dict[str, PRF]]) -> dict[str, PRF]:
    """Micro-average: sum the counts of every article."""
    sums = {kind: PRF() for kind in KINDS}
    for scores in per_article:
        for kind in KINDS:
            sums[kind] = sums[kind] + scores[kind]
    return sums
