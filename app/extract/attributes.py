"""spaCy's AttributeRuler with its patterns indexed: the same matches, a fraction of the cost.

The English models map fine-grained tags to coarse POS, morphology and a few lemmas with about
180 AttributeRuler patterns. spaCy's ``Matcher`` tries every one of them at every token: about
8 ms per news article, more than the tagger and the parser together, and most of the gap
between our extraction and bare spaCy (``benchmarks.queue``). Those patterns are fixed-length
sequences of token tests on TAG, LOWER, DEP and IS_SPACE, so they can be indexed: each token
tries only the patterns whose first token asks for its tag or its lowercase form, plus the few
that ask for neither. ``match`` returns the matches the Matcher would, in the order the
AttributeRuler applies them, and the AttributeRuler's own code applies them. A model with any
other kind of pattern (operators, other attributes) keeps the Matcher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

ATTRIBUTE_RULER = "attribute_ruler"
INDEXED_FACTORY = "newskb_indexed_attribute_ruler"

# What a token test reads, as a position in the per-token tuple built once per Doc.
_FEATURES = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3, "ORTH": 4, "TEXT": 4}
_INDEX_KEYS = ("LOWER", "DEP", "TAG", "IS_SPACE")
_Features = tuple[str, str, str, bool, str]
_Test = Callable[[_Features], bool]


class _Pattern:
    """One alternative of one AttributeRuler rule: a test per token."""

    __slots__ = ("rule", "tests")

    def __init__(self, rule: int, tests: Sequence[_Test]) -> None:
        self.rule = rule
        self.tests = tests

    def matches(self, features: Sequence[_Features], start: int) -> bool:
        tests = self.tests
        if len(tests) == 1:
            return tests[0](features[start])
        if start + len(tests) > len(features):
            return False
        return all(test(features[start + i]) for i, test in enumerate(tests))


class IndexedAttributeRuler(AttributeRuler):
    """An AttributeRuler whose ``match`` looks its rules up instead of trying them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: _Index | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # The index holds closures, which pickle cannot carry: rebuilt from the rules.
        state = {**self.__dict__, "_index": None}
        return (_restore, (type(self), state, self._index is not None))

    def index_patterns(self) -> bool:
        """Build the index from the rules added so far; False (Matcher kept) if one can't be."""
        self._index = _Index.build(self.patterns)
        return self._index is not None

    def match(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        if self._index is None:
            return super().match(doc)  # type: ignore[no-any-return]
        strings = self.vocab.strings
        found = self._index.find(doc)
        return [(rule, strings[str(rule)], start, end) for rule, start, end in found]


def _restore(
    cls: type[IndexedAttributeRuler], state: dict[str, Any], indexed: bool
) -> IndexedAttributeRuler:
    ruler = cls.__new__(cls)
    ruler.__dict__.update(state)
    if indexed:
        ruler.index_patterns()
    return ruler


@Language.factory(INDEXED_FACTORY)
def make_indexed_attribute_ruler(nlp: Language, name: str) -> IndexedAttributeRuler:
    return IndexedAttributeRuler(nlp.vocab, name)


def index_attribute_ruler(nlp: Language) -> bool:
    """Swap the model's AttributeRuler for the indexed one, with the same rules, when possible."""
    if ATTRIBUTE_RULER not in nlp.pipe_names:
        return False
    original = nlp.get_pipe(ATTRIBUTE_RULER)
    if type(original) is not AttributeRuler or _Index.build(original.patterns) is None:
        return False
    rules = original.patterns
    indexed = nlp.replace_pipe(ATTRIBUTE_RULER, INDEXED_FACTORY)
    assert isinstance(indexed, IndexedAttributeRuler)
    indexed.add_patterns(rules)
    return indexed.index_patterns()


class _Index:
    def __init__(self) -> None:
        # Keyed by the first token's most selective equality test: its lowercase form, else
        # its dependency, else its tag, else whether it is white space.
        self.tables: list[tuple[int, dict[Any, list[_Pattern]]]] = [
            (_FEATURES[key], {}) for key in _INDEX_KEYS
        ]
        self.others: list[_Pattern] = []

    @classmethod
    def build(cls, rules: Sequence[Any]) -> _Index | None:
        index = cls()
        for rule, entry in enumerate(rules):
            for alternative in entry["patterns"]:
                tests = [_token_test(spec) for spec in alternative]
                if not tests or any(test is None for test in tests):
                    return None
                index._add(alternative[0], _Pattern(rule, tests))  # type: ignore[arg-type]
        return index

    def _add(self, first: dict[str, Any], pattern: _Pattern) -> None:
        for key, (_, table) in zip(_INDEX_KEYS, self.tables, strict=True):
            values = _equal_to(first.get(key))
            if values is not None:
                for value in values:
                    table.setdefault(value, []).append(pattern)
                return
        self.others.append(pattern)

    def find(self, doc: Doc) -> list[tuple[int, int, int]]:
        """(rule, start, end) of every match, in the AttributeRuler's order of application."""
        features = [(t.tag_, t.lower_, t.dep_, t.is_space, t.orth_) for t in doc]
        found: set[tuple[int, int, int]] = set()
        none: list[_Pattern] = []
        tables, others = self.tables, self.others
        for start, token in enumerate(features):
            candidates = [p for position, table in tables for p in table.get(token[position], none)]
            for pattern in candidates + others if others else candidates:
                if pattern.matches(features, start):
                    found.add((pattern.rule, start, start + len(pattern.tests)))
        return sorted(found)


def _equal_to(value: Any) -> list[Any] | None:
    """The values a test accepts, when it accepts only listed values."""
    if isinstance(value, (bool, str)):
        return [value]
    if isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
        return list(value["IN"])
    return None


def _token_test(spec: Any) -> _Test | None:
    """One token's pattern as a function of its features, or None if not supported."""
    if not isinstance(spec, dict) or not spec:
        return None
    checks: list[_Test] = []
    for key, value in spec.items():
        position = _FEATURES.get(key)
        if position is None:
            return None
        check = _value_test(position, value)
        if check is None:
            return None
        checks.append(check)
    if len(checks) == 1:
        return checks[0]
    return lambda features: all(check(features) for check in checks)


def _value_test(position: int, value: Any) -> _Test | None:
    if isinstance(value, (bool, str)):
        return lambda features: features[position] == value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((operator, operand),) = value.items()
    if operator == "IN" and isinstance(operand, list):
        accepted = frozenset(operand)
        return lambda features: features[position] in accepted
    if operator == "NOT_IN" and isinstance(operand, list):
        refused = frozenset(operand)
        return lambda features: features[position] not in refused
    if operator == "REGEX" and isinstance(operand, str):
        search = re.compile(operand).search
        return lambda features: bool(search(str(features[position])))
    return None
