"""A candidate index over entity names and aliases, so a screening never compares all pairs.

Each name and alias of an entity is filed under its keys (``keys.py``): dictionary lookups
find the exact, folded, transliterated, reordered and abbreviated forms at once. Only the edit
distance needs comparing strings, and it compares a query with the forms that share a word,
or a word's first or last three letters, with it (blocking), never with every name:
``rapidfuzz`` scores those candidates in C++.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from app.kb.screening import keys as k

# A blocking key shared by more forms than this says little ("p:mar"): it is used only while
# the candidates stay under MAX_CANDIDATES, the rarest keys first.
MAX_CANDIDATES = 2_000


@dataclass(frozen=True, slots=True)
class EntityRow:
    id: int
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()  # ISO alpha-2: its own code, its roles' countries
    mentions: int = 0


@dataclass(frozen=True, slots=True)
class Hit:
    """The best reason one entity matched one query."""

    entity: EntityRow
    score: float
    reason: str
    matched: str  # the entity's name or alias that matched
    query_form: str  # the query's name or alias that matched


Owner = tuple[int, str]  # (entity index, the entity's original name or alias)


@dataclass
class KindIndex:
    """The index of the entities of one kind (person, organization)."""

    kind: str
    entities: list[EntityRow] = field(default_factory=list)
    folded: dict[str, list[Owner]] = field(default_factory=lambda: defaultdict(list))
    forms: list[str] = field(default_factory=list)  # distinct ASCII forms
    form_ids: dict[str, int] = field(default_factory=dict)
    form_owners: list[list[Owner]] = field(default_factory=list)
    reordered: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    initials: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    abbreviated: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    acronyms: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    blocks: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, entity: EntityRow) -> None:
        index = len(self.entities)
        self.entities.append(entity)
        for text in dict.fromkeys((entity.name, *entity.aliases)):
            self._add_form(index, text)

    def _add_form(self, index: int, text: str) -> None:
        owner = (index, text)
        folded = k.folded_key(text)
        self.folded[folded].append(owner)  # exact matches are among these
        ascii_form = folded if text.isascii() else k.ascii_key(text)
        if not ascii_form:
            return
        form_id = self.form_ids.get(ascii_form)
        if form_id is not None:
            self.form_owners[form_id].append(owner)
            return
        form_id = self.form_ids[ascii_form] = len(self.forms)
        self.forms.append(ascii_form)
        self.form_owners.append([owner])
        tokens = ascii_form.split()
        self.reordered[k.sorted_key(ascii_form)].append(form_id)
        if self.kind == "person" and k.is_abbreviated(tokens):
            self.abbreviated[k.abbreviation_key(tokens)].append(form_id)
        elif self.kind == "person":
            for key in k.initials_keys(tokens):
                self.initials[key].append(form_id)
        elif (letters := k.acronym(tokens)) is not None:
            self.acronyms[letters].append(form_id)
        for key in k.blocking_keys(ascii_form):
            self.blocks[key].append(form_id)

    def search(self, forms: Iterable[str], *, threshold: float) -> dict[int, Hit]:
        """Every entity matching one of the query's ``forms`` with a score of at least
        ``threshold``, by its best reason."""
        best: dict[int, Hit] = {}

        def consider(owners: Iterable[Owner], reason: str, score: float, query: str) -> None:
            for index, text in owners:
                held = best.get(index)
                if held is None or score > held.score:
                    best[index] = Hit(self.entities[index], score, reason, text, query)

        def owners_of(form_ids: Iterable[int]) -> Iterable[Owner]:
            for form_id in form_ids:
                yield from self.form_owners[form_id]

        for query in forms:
            same_folded = self.folded.get(k.folded_key(query), [])
            exact = k.exact_key(query)
            same = [owner for owner in same_folded if k.exact_key(owner[1]) == exact]
            consider(same, k.EXACT, k.SCORES[k.EXACT], query)
            consider(same_folded, k.FOLDED, k.SCORES[k.FOLDED], query)
            ascii_form = k.ascii_key(query)
            if not ascii_form:
                continue
            form_id = self.form_ids.get(ascii_form)
            if form_id is not None:
                score = k.SCORES[k.TRANSLITERATION]
                consider(self.form_owners[form_id], k.TRANSLITERATION, score, query)
            same_words = self.reordered.get(k.sorted_key(ascii_form), ())
            consider(owners_of(same_words), k.TOKEN_ORDER, k.SCORES[k.TOKEN_ORDER], query)
            abbreviations = self._abbreviations(ascii_form.split())
            consider(owners_of(abbreviations), k.INITIALS, k.SCORES[k.INITIALS], query)
            if threshold <= k.EDIT_DISTANCE_CAP:
                for hit_id, similarity in self._similar(ascii_form, threshold):
                    score = min(k.EDIT_DISTANCE_CAP, round(similarity / 100, 3))
                    consider(self.form_owners[hit_id], k.EDIT_DISTANCE, score, query)
        return {i: hit for i, hit in best.items() if hit.score >= threshold}

    def _abbreviations(self, tokens: list[str]) -> list[int]:
        """Forms that abbreviate the query, or that the query abbreviates."""
        found: list[int] = []
        if self.kind == "person":
            if k.is_abbreviated(tokens):
                found += self.initials.get(k.abbreviation_key(tokens), ())
            else:
                for key in k.initials_keys(tokens):
                    found += self.abbreviated.get(key, ())
            return found
        if len(tokens) == 1:  # "nato": organizations whose initials these are
            found += self.acronyms.get(tokens[0], ())
        letters = k.acronym(tokens)
        if letters is not None and (form_id := self.form_ids.get(letters)) is not None:
            found.append(form_id)  # "north atlantic treaty organization" → the entity "NATO"
        return found

    def _similar(self, ascii_form: str, threshold: float) -> list[tuple[int, float]]:
        """Forms within edit distance: candidates by blocking, scored by ``rapidfuzz``."""
        postings = sorted(
            (self.blocks[key] for key in k.blocking_keys(ascii_form) if key in self.blocks),
            key=len,
        )
        candidates: set[int] = set()
        for posting in postings:
            if candidates and len(candidates) + len(posting) > MAX_CANDIDATES:
                break
            candidates.update(posting)
        if not candidates:
            return []
        ids = list(candidates)
        found = process.extract(
            ascii_form,
            [self.forms[i] for i in ids],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold * 100,
            limit=None,
        )
        return [(ids[position], similarity) for _, similarity, position in found]


@dataclass
class ScreeningIndex:
    """One index per kind of name that can be screened."""

    kinds: dict[str, KindIndex]

    @classmethod
    def build(cls, entities: Iterable[EntityRow]) -> ScreeningIndex:
        kinds = {kind: KindIndex(kind) for kind in ("person", "organization")}
        with collector_paused():
            for entity in entities:
                if entity.type in kinds:
                    kinds[entity.type].add(entity)
        return cls(kinds)

    @property
    def size(self) -> int:
        return sum(len(index.entities) for index in self.kinds.values())


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building allocates hundreds of thousands of small containers, none of them garbage:
    the cyclic collector would walk the whole heap (the previous index too) again and again,
    doubling the build time. It is paused for the build only (nested pauses are one pause)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
