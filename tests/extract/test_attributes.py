"""The indexed AttributeRuler finds exactly the matches spaCy's Matcher finds, faster."""

import pickle
from collections.abc import Iterator
from typing import Any

import pytest
import spacy
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

from app.corpora import iter_bbc, iter_wikinews
from app.extract.attributes import IndexedAttributeRuler, index_attribute_ruler
from app.extract.document import parse_document
from app.extract.nlp import DEFAULT_MODELS, get_nlp
from tests.corpus import FIXTURE_CORPUS, corpus_path


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def _model_rules(nlp: Language) -> list[dict[str, Any]]:
    return nlp.get_pipe("attribute_ruler").patterns  # type: ignore[attr-defined,no-any-return]


def _both(rules: list[dict[str, Any]], vocab: Any) -> tuple[AttributeRuler, IndexedAttributeRuler]:
    plain = AttributeRuler(vocab)
    plain.add_patterns(rules)
    indexed = IndexedAttributeRuler(vocab)
    indexed.add_patterns(rules)
    assert indexed.index_patterns()
    return plain, indexed


def _before_rules(nlp: Language, texts: list[str]) -> Iterator[Doc]:
    """Docs as the attribute rules see them: tagged and parsed, nothing after."""
    with nlp.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        yield from nlp.pipe(texts)


def _zone_texts(text: str, title: str) -> list[str]:
    return [t for _, _, t in parse_document(text=text, title=title).zone_texts()]


def test_the_loaded_pipeline_uses_the_indexed_rules(nlp: Language) -> None:
    ruler = nlp.get_pipe("attribute_ruler")
    assert isinstance(ruler, IndexedAttributeRuler)
    assert nlp.pipe_names.index("attribute_ruler") < nlp.pipe_names.index("lemmatizer")
    # the model's rules, all of them, in the model's order
    package = next(n for n in DEFAULT_MODELS.split(",") if spacy.util.is_package(n))
    original = spacy.load(package).get_pipe("attribute_ruler")
    assert _model_rules(nlp) == original.patterns  # type: ignore[attr-defined]


def test_same_matches_as_the_matcher_on_the_fixture_corpus(nlp: Language) -> None:
    plain, indexed = _both(_model_rules(nlp), nlp.vocab)
    texts = [t for doc in iter_wikinews(FIXTURE_CORPUS) for t in _zone_texts(doc.text, doc.title)]
    compared = 0
    for doc in _before_rules(nlp, texts):
        assert indexed.match(doc) == plain.match(doc)
        compared += len(plain.match(doc))
    assert compared > 1000  # the comparison saw real matches, not empty lists


@pytest.mark.corpus
def test_same_matches_as_the_matcher_on_bbc_news(nlp: Language) -> None:
    plain, indexed = _both(_model_rules(nlp), nlp.vocab)
    documents = list(iter_bbc(corpus_path("bbc")))[::10]
    texts = [t for d in documents for t in _zone_texts(d.text, d.title)]
    for doc in _before_rules(nlp, texts):
        assert indexed.match(doc) == plain.match(doc)


def _doc(words: list[str], tags: list[str], deps: list[str]) -> Doc:
    nlp = spacy.blank("en")
    heads = list(range(len(words)))
    return Doc(nlp.vocab, words=words, tags=tags, deps=deps, heads=heads)


# Each construction the English models' rules use, and rule order (later rules win).
RULES: list[dict[str, Any]] = [
    {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"POS": "VERB"}},
    {"patterns": [[{"TAG": "VBZ", "LOWER": {"IN": ["is", "'s"]}}]], "attrs": {"POS": "AUX"}},
    {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"LEMMA": "to"}, "index": 1},
    {"patterns": [[{"LOWER": {"REGEX": "^n[ou]thin'$"}}]], "attrs": {"LEMMA": "nothing"}},
    {
        "patterns": [[{"TAG": {"NOT_IN": ["TO", ""]}, "DEP": {"IN": ["aux"]}}]],
        "attrs": {"POS": "X"},
    },
    {
        "patterns": [[{"DEP": "expl"}, {"LOWER": {"IN": ["is", "are"]}}]],
        "attrs": {"POS": "VERB"},
        "index": 1,
    },
    {"patterns": [[{"IS_SPACE": True}]], "attrs": {"TAG": "_SP", "POS": "SPACE"}},
    {
        "patterns": [[{"TAG": "VBD", "LOWER": "got"}], [{"TAG": "VBZ", "LOWER": "gets"}]],
        "attrs": {"LEMMA": "get"},
    },
]


def test_each_construction_and_the_order_of_rules() -> None:
    doc = _doc(
        ["there", "is", "nothin'", "he", "gets", "gon", "na", "do", "\n", "is"],
        ["EX", "VBZ", "NN", "PRP", "VBZ", "VBG", "TO", "VB", "NN", "VBZ"],
        ["expl", "ROOT", "attr", "nsubj", "ccomp", "aux", "aux", "xcomp", "dep", "aux"],
    )
    plain, indexed = _both(RULES, doc.vocab)
    found = indexed.match(doc)
    assert found == plain.match(doc)
    by_rule = {(rule, start) for rule, _, start, _ in found}
    assert {(0, 1), (1, 1), (5, 0)} <= by_rule  # "is": a verb, then an auxiliary, then "there is"
    assert (2, 5) in by_rule and (3, 2) in by_rule and (6, 8) in by_rule and (7, 4) in by_rule
    assert (4, 5) in by_rule and (4, 6) not in by_rule  # "na" is TO: not in the NOT_IN rule
    indexed.set_annotations(doc, found)
    assert [t.pos_ for t in doc][1] == "VERB"  # "there is": rule 5 applied after rule 1
    assert doc[9].pos_ == "X" and doc[6].lemma_ == "to" and doc[8].tag_ == "_SP"


def test_a_rule_it_cannot_index_keeps_the_matcher() -> None:
    rules = [*RULES, {"patterns": [[{"LOWER": "very", "OP": "+"}]], "attrs": {"POS": "ADV"}}]
    doc = _doc(["very", "very", "good"], ["RB", "RB", "JJ"], ["advmod", "advmod", "ROOT"])
    indexed = IndexedAttributeRuler(doc.vocab)
    indexed.add_patterns(rules)
    assert not indexed.index_patterns()
    plain = AttributeRuler(doc.vocab)
    plain.add_patterns(rules)
    assert indexed.match(doc) == plain.match(doc) != []


def test_a_model_without_rules_it_can_index_is_left_alone() -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [{"patterns": [[{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}]], "attrs": {"POS": "X"}}]
    )
    assert not index_attribute_ruler(nlp)
    assert type(nlp.get_pipe("attribute_ruler")) is AttributeRuler


def test_the_indexed_rules_survive_pickling(nlp: Language) -> None:
    """spaCy pickles a pipeline to hand it to ``nlp.pipe(n_process=...)`` workers under spawn."""
    ruler = nlp.get_pipe("attribute_ruler")
    copy = pickle.loads(pickle.dumps(ruler))
    assert isinstance(copy, IndexedAttributeRuler)
    assert copy.index_patterns() and copy.patterns == ruler.patterns  # type: ignore[attr-defined]
    doc = next(_before_rules(nlp, ["There is nothin' they ain't gonna do."]))
    assert copy.match(doc) == ruler.match(doc) != []  # type: ignore[attr-defined]
