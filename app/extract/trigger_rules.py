"""Trigger rules as data: a ``Rule`` names a construction ("sign-agreement": *sign* with an
agreement as object), the words it is keyed on and the checks its syntactic company must pass.

A ``RuleBook`` holds an ordered table of rules. For a token, the rules keyed on its lemma (or,
for ``forms``, on its lowercased text) are tried in table order; the first whose checks all
pass decides. A rule with ``type=None`` is a veto: the word in that company is no event ("met
the deadline", "a heart attack"), and no later rule is tried. The checks are small named
predicates on the token (``objects_include(ARMS_WORDS)``), so that a table row reads as the
construction it stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Token

from app.extract.types import EventType

Check = Callable[[Token], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # the construction, e.g. "sign-agreement"; tests name it too
    type: EventType | None  # None: a veto
    lemmas: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()  # lowercased surface forms ("talks", "games")
    when: tuple[Check, ...] = ()
    family: str = ""  # ``other`` families: legal, office, vote, award, disaster
    direction: str = ""  # arms deals: "buy" (the subject buys), "sell"

    def applies(self, token: Token) -> bool:
        return all(check(token) for check in self.when)


def rule(
    name: str,
    type_: EventType | None,
    lemmas: Iterable[str] = (),
    *,
    forms: Iterable[str] = (),
    when: Sequence[Check] = (),
    family: str = "",
    direction: str = "",
) -> Rule:
    return Rule(name, type_, frozenset(lemmas), frozenset(forms), tuple(when), family, direction)


class RuleBook:
    """An ordered rule table, indexed by the words its rules are keyed on."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._by_lemma: dict[str, list[int]] = {}
        self._by_form: dict[str, list[int]] = {}
        for order, item in enumerate(self.rules):
            for word in item.lemmas:
                self._by_lemma.setdefault(word, []).append(order)
            for word in item.forms:
                self._by_form.setdefault(word, []).append(order)

    def candidates(self, token: Token) -> list[Rule]:
        orders = self._by_lemma.get(lemma(token), []) + self._by_form.get(token.lower_, [])
        return [self.rules[i] for i in sorted(set(orders))]

    def decide(self, token: Token) -> Rule | None:
        """The first rule keyed on the token whose checks pass (a veto included), else None."""
        return next((r for r in self.candidates(token) if r.applies(token)), None)


# --- small helpers on the parse ------------------------------------------------------------


def lemma(token: Token) -> str:
    return token.lemma_.lower()


def words(tokens: Iterable[Token]) -> set[str]:
    """Lemmas and lowercased forms of the tokens."""
    items = list(tokens)
    return {lemma(t) for t in items} | {t.lower_ for t in items}


def np_modifiers(token: Token) -> list[Token]:
    return [c for c in token.children if c.dep_ in ("amod", "compound", "nmod", "npadvmod")]


def subjects(verb: Token) -> list[Token]:
    return [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]


def has_child(token: Token, dep: str, word: str | None = None) -> bool:
    return any(c.dep_ == dep and (word is None or c.lower_ == word) for c in token.children)


# --- check factories -----------------------------------------------------------------------


def unless(check: Check) -> Check:
    return lambda token: not check(token)


def modifiers_include(vocabulary: Iterable[str]) -> Check:
    """ "war games", "martial law", "air strike": a modifier of the noun is in the vocabulary."""
    wanted = frozenset(vocabulary)
    return lambda token: bool(words(np_modifiers(token)) & wanted)


def has_particle(word: str) -> Check:
    """ "step down", "sworn in"."""
    return lambda token: has_child(token, "prt", word)


def has_prep(word: str) -> Check:
    """ "charged with": a preposition of the token."""
    return lambda token: has_child(token, "prep", word)


def has_word_child(word: str) -> Check:
    """ "travel to", "the killing of": a child with this text, whatever its label (the small
    model labels these inconsistently)."""
    return lambda token: any(c.lower_ == word for c in token.children)


def has_subject(token: Token) -> bool:
    return has_child(token, "nsubj")


def subject_in(vocabulary: Iterable[str]) -> Check:
    """ "the court ruled", "a plane crashed": a subject's word is in the vocabulary."""
    wanted = frozenset(vocabulary)
    return lambda token: any(words([s]) & wanted for s in subjects(token))


def is_verb(token: Token) -> bool:
    return token.pos_ == "VERB"


def form_in(*forms: str) -> Check:
    return lambda token: token.lower_ in forms
