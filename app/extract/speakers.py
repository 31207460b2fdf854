"""Who a quote's speaker is, from the subject of its cue verb.

The subject can be a name ("Joe Biden", or a lone surname that spaCy missed: "King said"), a
pronoun (he/she: the last person of a compatible gender mentioned as a subject outside quotes;
they: the last organization or plural subject), or a description. A definite description ("the
Conservative MP", "the duchess") is the person it was attached to earlier in the article: by
apposition ("Jane Doe, a Conservative MP,"), as a title before the name ("Conservative MP Jane
Doe") or as a predicate ("Doe is a Conservative MP"). Any other description ("one GOP operative",
"a spokesperson for the ministry") is an unnamed speaker: the quote keeps the description and no
entity, so that an organization or party named inside it never becomes the speaker.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from spacy.tokens import Doc, Token

from app.extract.given_names import Gender, given_name_gender, looks_like_person
from app.extract.mention_index import EntityIndex
from app.extract.nlp import ZoneDoc
from app.extract.ranges import Ranges
from app.extract.roles import TITLE_HEADS

PATTERNS_FILE = Path(__file__).parent / "patterns" / "quotes.json"
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_PREMODIFIER_DEPS = frozenset({"compound", "amod", "nmod", "npadvmod", "nummod", "poss"})
_DETERMINERS = frozenset({"det", "poss", "nummod", "predet"})
_DEFINITE = frozenset({"the", "this", "that", "his", "her", "their", "its", "our", "my", "your"})
_MAX_DESCRIPTION = 12  # tokens of a description kept whole, relative clause and all


@cache
def patterns() -> dict[str, list[str]]:
    """The word tables of ``patterns/quotes.json`` (keys starting with "_" are comments)."""
    data = json.loads(PATTERNS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


@cache
def word_set(name: str) -> frozenset[str]:
    return frozenset(patterns()[name])


@cache
def _synonyms() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for group in patterns()["description_synonyms"]:
        for word in group:
            table[word] = table.get(word, frozenset()) | frozenset(group)
    return table


def _forms(token: Token) -> set[str]:
    return {token.lower_, token.lemma_.lower()}


def _gender_of_words(words: Iterable[str]) -> Gender | None:
    found = set(words)
    female = bool(found & word_set("female_words"))
    male = bool(found & word_set("male_words"))
    if female != male:
        return "f" if female else "m"
    return None


@dataclass(frozen=True, slots=True)
class Speaker:
    """A resolved speaker: an entity key, or a description of someone the text does not name."""

    key: str | None = None
    description: str | None = None
    confidence: float = 0.5


@dataclass
class _Profile:
    """What an article says about one person: the words describing them and their gender."""

    name: str
    words: set[str] = field(default_factory=set)
    heads: set[str] = field(default_factory=set)  # head nouns of what describes them
    last_words: set[str] = field(default_factory=set)
    gender: Gender | None = None


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A person, organization or description that a later pronoun may refer to."""

    position: int
    key: str | None
    kind: str  # "person", "organization", "plural"
    subject: bool
    text: str = ""


class People:
    """The persons of one article: descriptions and gender read from every zone."""

    def __init__(self, docs: Sequence[ZoneDoc], index: EntityIndex) -> None:
        self.index = index
        self.profiles: dict[str, _Profile] = {}
        # (zone, zone_index) → [(char offset, key)] of every described person mention.
        self.mentions: dict[tuple[str, int], list[tuple[int, str]]] = {}
        for zdoc in docs:
            self._read_zone(zdoc)
        for profile in self.profiles.values():
            if profile.gender is None:
                first = profile.name.split()[0] if profile.name.split() else ""
                if len(profile.name.split()) > 1:
                    profile.gender = given_name_gender(first)

    def _read_zone(self, zdoc: ZoneDoc) -> None:
        doc = zdoc.doc
        found = self.mentions.setdefault((zdoc.zone, zdoc.zone_index), [])
        for ref in self.index.mentions_in(zdoc):
            if ref.type != "person" and not looks_like_person(self.index.name_of(ref.key)):
                continue
            span = doc.char_span(ref.start, ref.end, alignment_mode="expand")
            if span is None:
                continue
            profile = self.profiles.get(ref.key)
            if profile is None:
                profile = _Profile(self.index.name_of(ref.key))
                profile.last_words.add(profile.name.split()[-1] if profile.name.split() else "")
                self.profiles[ref.key] = profile
            words = {t.lower_ for t in span if t.is_alpha}
            profile.last_words.add(span[-1].text)
            described = (
                _premodifiers(doc, span.start, span.end)
                | _appositions(span.root, span.start, span.end)
                | _predicates(span.root)
            )
            profile.words |= words | described
            profile.heads |= _description_heads(doc, span.root, span.start)
            honorific = _premodifiers(doc, span.start, span.end, honorifics_only=True)
            if len(span) > 1:  # "Mrs Robin Park": a title word that NER kept in the name
                honorific |= _forms(span[0])
            gender = _gender_of_words(described | honorific)
            if gender is not None:
                profile.gender = gender if profile.gender in (None, gender) else None
            found.append((ref.start, ref.key))

    def describe(self, zdoc: ZoneDoc, head: Token, before: int) -> str | None:
        """The person a definite description ("the Conservative MP") refers to: the latest one
        described by its head noun and every modifier; else the only one with its head noun."""
        heads = _synonyms().get(head.lower_, frozenset()) | _forms(head)
        times = word_set("time_modifiers")
        modifiers = [
            c.lower_
            for c in head.children
            if c.dep_ in ("compound", "amod", "nmod") and c.is_alpha and c.lower_ not in times
        ]
        described = {k: p for k, p in self.profiles.items() if p.words & heads}
        strict = [k for k, p in described.items() if all(m in p.words for m in modifiers)]
        if strict:
            return self._latest(zdoc, strict, before)
        return next(iter(described)) if len(described) == 1 else None

    def _latest(self, zdoc: ZoneDoc, keys: Sequence[str], before: int) -> str | None:
        wanted = set(keys)
        here = self.mentions.get((zdoc.zone, zdoc.zone_index), [])
        earlier = [key for start, key in here if start < before and key in wanted]
        if earlier:
            return earlier[-1]
        return keys[0] if not any(key in wanted for _, key in here) else None

    def by_surname(self, zdoc: ZoneDoc, word: str, before: int) -> str | None:
        """The person whose name ends with ``word`` ("King" → "Gayle King"), latest first."""
        keys = [k for k, p in self.profiles.items() if word in p.last_words]
        return self._latest(zdoc, keys, before) if keys else None


def _premodifiers(doc: Doc, start: int, end: int, *, honorifics_only: bool = False) -> set[str]:
    """Words left of a name inside its noun phrase: "Conservative MP" in "Conservative MP Jane
    Doe", "Mr" in "Mr Smith" (only the word right before the name with ``honorifics_only``)."""
    words: set[str] = set()
    i = start - 1
    while i >= 0:
        token = doc[i]
        if token.is_punct and token.text != ".":
            break
        if token.dep_ not in _PREMODIFIER_DEPS or not i < token.head.i < end:
            break
        if token.is_alpha:
            words |= _forms(token)
        if honorifics_only:
            break
        i -= 1
    return words


def _description_heads(doc: Doc, root: Token, start: int) -> set[str]:
    """Head nouns describing a name: "drummer" in "X, the band's drummer," or "X is a
    drummer", "MP" in "Conservative MP X" (lowercase)."""
    heads = {c.lemma_.lower() for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"}
    if root.dep_ == "appos" and root.head.pos_ == "NOUN":
        heads.add(root.head.lemma_.lower())
    if root.dep_ in SUBJECT_DEPS and root.head.lemma_ == "be":
        heads |= {c.lemma_.lower() for c in root.head.children if c.dep_ == "attr"}
    if start > 0 and doc[start - 1].lower_ in TITLE_HEADS:
        heads.add(doc[start - 1].lower_)
    return heads


def _subtree_words(token: Token, skip: range) -> set[str]:
    words: set[str] = set()
    for t in token.subtree:
        if t.i in skip or t.dep_ == "relcl" or not t.is_alpha:
            continue
        words |= _forms(t)
    return words


def _appositions(root: Token, start: int, end: int) -> set[str]:
    """ "Jane Doe, a Conservative MP," and "the MP, Jane Doe,": the noun phrase beside a name."""
    name = range(start, end)
    words: set[str] = set()
    for child in root.children:
        if child.dep_ == "appos" and child.i not in name and child.pos_ in ("NOUN", "PROPN"):
            words |= _subtree_words(child, name)
    head = root.head
    if root.dep_ == "appos" and head.pos_ in ("NOUN", "PROPN") and head.i not in name:
        words |= {
            w
            for t in [head, *head.children]
            if t.i not in name and t.dep_ != "appos"
            for w in (_forms(t) if t.is_alpha else set())
        }
    return words


def _predicates(root: Token) -> set[str]:
    """ "Doe is a Conservative MP": the predicate noun of a copula whose subject is the name."""
    if root.dep_ not in SUBJECT_DEPS or root.head.lemma_ != "be":
        return set()
    words: set[str] = set()
    for child in root.head.children:
        if child.dep_ == "attr" and child.pos_ in ("NOUN", "PROPN"):
            words |= _subtree_words(child, range(0))
    return words


def _description_text(token: Token, quoted: Ranges) -> str:
    tokens = [t for t in token.subtree if not _inside(t.idx, quoted)]
    if len(tokens) > _MAX_DESCRIPTION:
        tokens = [t for t in tokens if t.i <= token.i]
    while tokens and tokens[-1].dep_ == "cc":
        tokens.pop()
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space) and tokens[-1].text != ")":
        tokens.pop()
    while tokens and (tokens[0].is_punct or tokens[0].is_space):
        tokens.pop(0)
    if not tokens:
        return token.text
    doc = token.doc
    return doc[tokens[0].i : tokens[-1].i + 1].text


def _inside(offset: int, quoted: Ranges) -> bool:
    return offset in quoted


def is_interpreter(token: Token) -> bool:
    """A name that belongs to an interpreter: "through interpreter Anna Smith", "his
    translator, Anna Smith"."""
    nouns = word_set("interpreter_nouns")
    near = [token.head, token.head.head, *token.children]
    return any(t.lemma_.lower() in nouns for t in near if t.i != token.i)


class SpeakerResolver:
    """Resolves speaker tokens of one zone; remembers the speakers it has credited so far."""

    def __init__(
        self,
        zdoc: ZoneDoc,
        index: EntityIndex,
        people: People,
        quoted: Ranges,
    ) -> None:
        self.zdoc, self.index, self.people = zdoc, index, people
        self.quoted = quoted
        self.credited: list[_Candidate] = []
        self._candidates = self._read_candidates()

    def note(self, position: int, key: str) -> None:
        """A quote at ``position`` was credited to ``key``: a later "he added" may mean them."""
        kind = "person" if self.index.type_of(key) == "person" else "organization"
        self.credited.append(_Candidate(position, key, kind, True))

    def resolve(self, token: Token, before: int) -> Speaker:
        """The speaker a subject token stands for; ``before`` is where the quote starts."""
        before = min(before, token.idx)
        lower = token.lower_
        if lower in ("he", "she"):
            return self._personal_pronoun("m" if lower == "he" else "f", before)
        if lower == "they":
            return self._plural_pronoun(before)
        if lower in ("who", "that", "which") and token.head.dep_ == "relcl":
            return self.resolve(token.head.head, before)
        if token.pos_ == "PRON":
            return Speaker(confidence=0.5)
        named = self._named(token, before)
        if named is not None:
            return named
        return self._described(token, before)

    # --- names ------------------------------------------------------------------------------

    def _named(self, token: Token, before: int) -> Speaker | None:
        key = self.index.token_key(self.zdoc, token)
        if key is not None and self.index.type_of(key) != "person" and token.pos_ == "PROPN":
            # "King said", where NER took the surname for something else.
            person = self.people.by_surname(self.zdoc, token.text, before)
            if person is not None and not any(c.dep_ == "det" for c in token.children):
                return Speaker(person, confidence=0.9)
        if key is not None and not _is_description_head(token, key, self.index):
            return Speaker(key, confidence=1.0)
        for child in token.children:
            if child.dep_ in ("compound", "appos", "conj"):
                child_key = self.index.token_key(self.zdoc, child)
                # Only a person in the phrase names the speaker: "GOP" in "one GOP operative"
                # or "Kremlin" in "a Kremlin spokesman" is who they speak for. An apposition
                # names them whatever NER made of it ("a spokesperson, Morgan Ortagus,").
                if child_key is not None and (child.dep_ == "appos" or self._is_person(child_key)):
                    return Speaker(child_key, confidence=1.0)
        if (titled := self._title_of_place_name(token)) is not None:
            return Speaker(titled, confidence=0.9)
        if (author := self._author_of_channel(token)) is not None:
            return Speaker(author, confidence=0.9)
        if key is None and token.pos_ == "PROPN" and token.is_title and not _has_determiner(token):
            person = self.people.by_surname(self.zdoc, token.text, before)
            if person is not None:
                return Speaker(person, confidence=0.9)
        return None

    def _title_of_place_name(self, token: Token) -> str | None:
        """ "President of Ukraine Volodymyr Zelenskyy", "Ambassador to the UN Nikki Haley": a
        title, a preposition, a country or organization and right after it the person's name
        ("a spokesman for John Smith" is not: a preposition, not a name, comes before him)."""
        if token.lower_ not in TITLE_HEADS:
            return None
        for prep in token.children:
            if prep.dep_ != "prep":
                continue
            previous: tuple[str | None, int] = (None, -2)  # (key, index of its last token)
            for t in sorted(prep.subtree, key=lambda t: t.i):
                key = self.index.token_key(self.zdoc, t)
                if key is None or key == previous[0]:
                    previous = (previous[0], t.i) if key is not None else previous
                    continue
                if previous[1] == t.i - 1 and self._is_person(key):
                    return key
                previous = (key, t.i)
        return None

    def _author_of_channel(self, token: Token) -> str | None:
        """ "Judge Miller's statement reads", "a statement from the ministry said": whoever
        issued the statement, letter or post is the speaker."""
        if token.lemma_.lower() not in word_set("channel_nouns"):
            return None
        owners = [c for c in token.children if c.dep_ == "poss"]
        if token.dep_ == "dobj" and token.head.lemma_ in ("release", "issue", "publish", "post"):
            # "Facebook released a statement which read": who released it.
            owners += [c for c in token.head.children if c.dep_ == "nsubj"]
        owners += [
            g
            for c in token.children
            if c.dep_ == "prep" and c.lower_ in ("from", "by", "of")
            for g in c.children
            if g.dep_ == "pobj"
        ]
        for owner in owners:
            if (key := self.index.token_key(self.zdoc, owner)) is not None:
                return key
        return None

    def _is_person(self, key: str) -> bool:
        """A person, or a name NER typed otherwise that is written as a person's name."""
        return self.index.type_of(key) == "person" or looks_like_person(self.index.name_of(key))

    # --- descriptions -----------------------------------------------------------------------

    def _described(self, token: Token, before: int) -> Speaker:
        text = _description_text(token, self.quoted)
        if _is_definite(token):
            key = self.people.describe(self.zdoc, token, before)
            if key is not None:
                return Speaker(key, confidence=0.8)
            if _is_person_noun(token) and (key := self._recent_undescribed(token, before)):
                return Speaker(key, confidence=0.6)
        if (collective := self._collective(token)) is not None:
            return Speaker(collective, confidence=0.6)
        if not _can_speak(token):
            return Speaker(confidence=0.4)
        return Speaker(None, text, confidence=0.7)

    def _recent_undescribed(self, head: Token, before: int) -> str | None:
        """ "Simon Le Bon said ... "...," the singer said": a definite description that nothing
        in the article attached to anyone is the person last named as a subject in the three
        sentences before, when nothing describes that person as something else."""
        sentences = list(self.zdoc.doc.sents)
        here = next((n for n, s in enumerate(sentences) if s.start_char <= before < s.end_char), 0)
        since = sentences[max(here - 3, 0)].start_char
        heads = _synonyms().get(head.lower_, frozenset()) | _forms(head)
        kinds = word_set("speaker_nouns") | TITLE_HEADS
        wanted = _gender_of_words(_forms(head))
        for candidate in self._before(before):
            if candidate.position < since:
                return None
            if candidate.kind != "person" or not candidate.subject or candidate.key is None:
                continue
            profile = self.people.profiles.get(candidate.key)
            if profile is None:
                return candidate.key
            other = ((profile.words & kinds) | profile.heads) - heads
            if other or (wanted and profile.gender not in (None, wanted)):
                return None
            return candidate.key
        return None

    def _collective(self, token: Token) -> str | None:
        """ "Iranian officials", "representatives from Iran": the plural envoys of one state or
        organization speak for it (a single unnamed "official" stays unnamed)."""
        if token.tag_ not in ("NNS", "NNPS") or token.lemma_.lower() not in word_set(
            "collective_speakers"
        ):
            return None
        qualifiers = [c for c in token.children if c.dep_ in ("compound", "amod", "nmod")]
        qualifiers += [
            g
            for c in token.children
            if c.dep_ == "prep" and c.lower_ in ("from", "of", "for", "at", "in")
            for g in c.children
            if g.dep_ == "pobj"
        ]
        keys = {
            key
            for q in qualifiers
            if (key := self.index.token_key(self.zdoc, q)) is not None
            and self.index.type_of(key) in ("country", "organization")
        }
        return keys.pop() if len(keys) == 1 else None

    # --- pronouns ---------------------------------------------------------------------------

    def _read_candidates(self) -> list[_Candidate]:
        doc = self.zdoc.doc
        found: list[_Candidate] = []
        for ref in self.index.mentions_in(self.zdoc):
            if _inside(ref.start, self.quoted):
                continue
            span = doc.char_span(ref.start, ref.end, alignment_mode="expand")
            if span is None:
                continue
            root = span.root
            if ref.type not in ("person", "organization"):
                continue
            kind = "person" if ref.type == "person" or _person_like(root) else "organization"
            if kind == "person" and is_interpreter(root):
                continue
            found.append(_Candidate(ref.start, ref.key, kind, root.dep_ in SUBJECT_DEPS))
        for token in doc:
            if (
                token.dep_ in SUBJECT_DEPS
                and token.tag_ in ("NNS", "NNPS")
                and self.index.token_key(self.zdoc, token) is None
                and not _inside(token.idx, self.quoted)
                and _can_speak(token)
            ):
                text = _description_text(token, self.quoted)
                found.append(_Candidate(token.idx, None, "plural", True, text))
        return sorted(found, key=lambda c: c.position)

    def _before(self, before: int) -> list[_Candidate]:
        merged = [c for c in [*self._candidates, *self.credited] if c.position < before]
        return sorted(merged, key=lambda c: c.position, reverse=True)

    def _personal_pronoun(self, gender: Gender, before: int) -> Speaker:
        people = [c for c in self._before(before) if c.kind == "person" and c.key]
        compatible = [
            c
            for c in people
            if (profile := self.people.profiles.get(c.key or "")) is None
            or profile.gender in (None, gender)
        ]
        for candidate in compatible:
            if candidate.subject:
                return Speaker(candidate.key, confidence=0.8)
        if compatible:
            return Speaker(compatible[0].key, confidence=0.6)
        return Speaker(confidence=0.4)

    def _plural_pronoun(self, before: int) -> Speaker:
        for candidate in self._before(before):
            if not candidate.subject:
                continue
            if candidate.kind == "organization":
                return Speaker(candidate.key, confidence=0.6)
            if candidate.kind == "plural":
                return Speaker(None, candidate.text, confidence=0.6)
            return Speaker(confidence=0.4)
        return Speaker(confidence=0.4)


def _can_speak(token: Token) -> bool:
    """A description head that can be a speaker: a name nobody linked ("Moyes"), a title
    word, an age ("the 30-year-old") or a noun of ``speaker_nouns`` ("a spokesperson")."""
    if token.pos_ == "PROPN" and token.is_title and not _has_determiner(token):
        # A name nobody linked: "Moyes", "Mr Davies"; not "Republic Act No. 3846".
        name = [t for t in token.subtree if t.i <= token.i]
        return len(name) <= 4 and all(t.is_title or t.text.rstrip(".").isalpha() for t in name)
    if token.lower_ == "old" and any(c.lower_ in ("year", "years") for c in token.children):
        return True
    if token.tag_ in ("NNP", "JJ") and _has_determiner(token) and token.ent_type_ == "NORP":
        return True  # "the American", "the Frenchman"
    speakers = word_set("speaker_nouns") | word_set("organization_nouns") | TITLE_HEADS
    return bool(_forms(token) & speakers)


def _is_person_noun(token: Token) -> bool:
    """A description of one person that may stand for the person just named ("the singer");
    not a body ("the party") nor someone usually left unnamed ("the spokesman")."""
    forms = _forms(token)
    if forms & (word_set("organization_nouns") | word_set("never_last_subject")):
        return False
    return bool(forms & (word_set("speaker_nouns") | TITLE_HEADS))


def _person_like(root: Token) -> bool:
    """A name NER typed otherwise that stands beside a title: "a spokesperson, Morgan Ortagus"."""
    return root.dep_ == "appos" and root.head.lower_ in TITLE_HEADS


def _has_determiner(token: Token) -> bool:
    return any(c.dep_ in _DETERMINERS for c in token.children)


def _is_definite(token: Token) -> bool:
    return any(c.dep_ in ("det", "poss") and c.lower_ in _DEFINITE for c in token.children)


def _is_description_head(token: Token, key: str, index: EntityIndex) -> bool:
    """ "the Conservative MP": a determiner before a title word that NER glued to a group."""
    if index.type_of(key) == "person" or not _has_determiner(token):
        return False
    demonym = index.type_of(key) in ("country", "group") and token.text not in index.name_of(key)
    return token.pos_ == "NOUN" or token.lower_ in TITLE_HEADS or demonym
