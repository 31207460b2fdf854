"""Roles: a title next to a person's name ("Polish Prime Minister Mateusz Morawiecki").

Two shapes are read. A title that pre-modifies the name, found by walking left from the name
over title words ("Prime Minister"), "of"-phrases ("Secretary of State") and one qualifier
mention (a country, demonym or organization: "Polish", "US", "Google"). And a title in
apposition ("X, the chief executive of Acme Corp," / "Belarus's president, X"), found through
the dependency parse, with its "of"/possessive/adjective qualifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from app.extract.nlp import ZoneDoc
from app.extract.types import Role


def words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string."""
    return frozenset(text.split())


# Words that head a title: a role ends with one of these, right before the name.
TITLE_HEADS = words(
    """president vice-president president-elect premier minister chancellor king queen prince
    princess emperor empress ceo cfo coo cto chief executive chairman chairwoman chairperson chair
    spokesman spokeswoman spokesperson secretary secretary-general governor mayor general admiral
    colonel commander senator congressman congresswoman ambassador envoy coach manager director
    leader head founder co-founder judge justice prosecutor attorney-general sheriff pope
    cardinal archbishop bishop ayatollah sheikh emir sultan monarch lawmaker legislator mp speaker
    commissioner treasurer captain lieutenant sergeant chief-of-staff premier-elect adviser
    advisor counsel marshal owner editor-in-chief editor professor dean rector provost"""
)
# Words that modify a title ("Prime", "Foreign", "Deputy"): allowed inside, never alone.
TITLE_MODIFIERS = words(
    """prime foreign defense defence deputy vice first executive chief general state interior
    finance economy economic health education justice home trade energy environment
    agriculture labor labour transport culture affairs opposition party national security
    supreme former acting interim senior managing assistant associate lieutenant major
    attorney press presidential military army navy naval air force police opposition
    communications digital development industry science technology sports youth women
    information emergency emergencies internal external european regional local
    district federal county city club team technical policy"""
)
# Time qualifiers kept out of the title itself (see the gold README).
NOT_PART_OF_TITLE = frozenset({"former", "outgoing", "caretaker", "then", "late", "incoming"})
_TITLE_PREFIXES = frozenset({"co", "vice", "ex", "deputy"})
_CONNECTORS = frozenset({"of", "for", "and", "&"})
_SMALL_WORDS = frozenset({"of", "for", "and", "the", "on", "in", "to"})
QUALIFIER_TYPES = frozenset({"country", "organization", "place", "group"})


@dataclass(frozen=True, slots=True)
class KeyedMention:
    """A cleaned mention located by tokens in one zone, with its entity key and type."""

    doc_index: int
    start: int  # token offsets in the zone's Doc
    end: int
    key: str
    type: str


def is_title_word(token: Token) -> bool:
    return token.lower_ in TITLE_HEADS or token.lower_ in TITLE_MODIFIERS


def normalize_title(words: Sequence[str]) -> str:
    """Title case, keeping acronyms ("CEO") and small words ("of") as they should be."""
    out: list[str] = []
    for i, word in enumerate(words):
        if word.isupper() and len(word) > 1:
            out.append(word)
        elif word.lower() in _SMALL_WORDS and i > 0:
            out.append(word.lower())
        else:
            out.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(out)


class _Locator:
    """Finds which keyed mention covers a token of a zone."""

    def __init__(self, mentions: Sequence[KeyedMention]) -> None:
        self._by_token: dict[tuple[int, int], KeyedMention] = {}
        for m in mentions:
            for i in range(m.start, m.end):
                self._by_token[(m.doc_index, i)] = m

    def at(self, doc_index: int, token: Token) -> KeyedMention | None:
        return self._by_token.get((doc_index, token.i))


def extract_roles(docs: Sequence[ZoneDoc], mentions: Sequence[KeyedMention]) -> list[Role]:
    locator = _Locator(mentions)
    roles: list[Role] = []
    seen: set[tuple[str, str, str | None]] = set()
    for person in (m for m in mentions if m.type == "person"):
        zd = docs[person.doc_index]
        found = (
            _premodifier_role(zd, person, locator),
            _appositive_role(zd, person, locator),
            _copula_role(zd, person, locator),
        )
        for role in found:
            if role is None:
                continue
            identity = (role.person_key, role.title.casefold(), role.of_key)
            if identity not in seen:
                seen.add(identity)
                roles.append(role)
    stated = {(r.person_key, r.title.casefold()) for r in roles if r.of_key is not None}
    return [r for r in roles if r.of_key or (r.person_key, r.title.casefold()) not in stated]


def _premodifier_role(zd: ZoneDoc, person: KeyedMention, locator: _Locator) -> Role | None:
    doc = zd.doc
    sent_start = doc[person.start].sent.start
    i = person.start - 1
    while i >= sent_start and doc[i].is_space:
        i -= 1
    if i < sent_start or not (is_title_word(doc[i]) or doc[i].is_title):
        return None
    words: list[Token] = []
    qualifier: KeyedMention | None = None
    while i >= sent_start:
        token = doc[i]
        found = locator.at(person.doc_index, token)
        if found is not None and found.type in QUALIFIER_TYPES:
            if words and words[0].lower_ in _CONNECTORS:  # "Secretary of State" vs "of Google"
                break
            qualifier = found
            i = found.start - 1
            break
        if token.is_space:
            pass
        elif is_title_word(token) or (token.is_title and not token.is_sent_start):
            words.insert(0, token)
        elif token.text == "-" and i > sent_start and doc[i - 1].lower_ in _TITLE_PREFIXES:
            words[:0] = [doc[i - 1], token]
            i -= 1
        elif token.lower_ in _CONNECTORS and i > sent_start and is_title_word(doc[i - 1]):
            words.insert(0, token)
        elif token.lower_ in {"'s", "’s"} and i > sent_start:
            owner = locator.at(person.doc_index, doc[i - 1])
            if owner is not None and owner.type in QUALIFIER_TYPES:
                qualifier = owner
                i = owner.start - 1
            break
        else:
            break
        i -= 1
    while words and not (is_title_word(words[0]) or words[0].lower_ in _TITLE_PREFIXES):
        words.pop(0)
    of_key, title_tokens = _split_of_phrase(words, person.doc_index, locator)
    if not title_tokens:
        return None
    of_key = of_key or (qualifier.key if qualifier else None)
    start_token = doc[qualifier.start] if qualifier else title_tokens[0]
    if words and words[0].i < start_token.i:
        start_token = words[0]
    return _role(zd, person, title_tokens, of_key, start_token.idx)


def _split_of_phrase(
    words: list[Token], doc_index: int, locator: _Locator
) -> tuple[str | None, list[Token]]:
    """ "President of France" → (France's key, [President]); "Secretary of State" stays whole."""
    for j, token in enumerate(words):
        if token.lower_ != "of" or j + 1 >= len(words):
            continue
        found = locator.at(doc_index, words[j + 1])
        if found is not None and found.type in QUALIFIER_TYPES:
            return found.key, words[:j]
    return None, words


def _appositive_role(zd: ZoneDoc, person: KeyedMention, locator: _Locator) -> Role | None:
    doc = zd.doc
    span = doc[person.start : person.end]
    root = span.root
    heads = [t for t in root.children if t.dep_ == "appos" and t.i >= person.end]
    if root.dep_ == "appos" and root.head.i < person.start:
        heads.append(root.head)  # "Belarus's president, Alexander Lukashenko"
    for head in heads:
        if head.lower_ not in TITLE_HEADS:
            continue
        title_tokens = _title_chain(doc, head)
        of_key = _qualifier_of(head, person.doc_index, locator)
        start = min(t.idx for t in [*title_tokens, doc[person.start]])
        for child in head.children:
            found = locator.at(person.doc_index, child)
            if child.dep_ in ("poss", "amod", "compound") and found is not None:
                start = min(start, doc[found.start].idx)
        end_token = max([*title_tokens, doc[person.end - 1]], key=lambda t: t.i)
        if of_key is not None:
            for sub in head.subtree:
                if locator.at(person.doc_index, sub) is not None and sub.i > end_token.i:
                    end_token = sub
        return _role(zd, person, title_tokens, of_key, start, end_token.idx + len(end_token))
    return None


def _copula_role(zd: ZoneDoc, person: KeyedMention, locator: _Locator) -> Role | None:
    """ "X is the president of Y", "X became prime minister": a title as the complement of a
    copula whose subject is the person (not a "who" clause, not a negated one)."""
    doc = zd.doc
    root = doc[person.start : person.end].root
    verb = root.head
    if root.dep_ != "nsubj" or verb.lemma_ not in ("be", "become", "remain"):
        return None
    if any(c.dep_ == "neg" for c in verb.children):
        return None
    for head in (c for c in verb.children if c.dep_ in ("attr", "acomp", "oprd")):
        if head.lower_ not in TITLE_HEADS or head.i < person.end:
            continue
        title_tokens = _title_chain(doc, head)
        of_key = _qualifier_of(head, person.doc_index, locator)
        end_token = max(head.subtree, key=lambda t: t.i)
        return _role(
            zd, person, title_tokens, of_key, doc[person.start].idx, end_token.idx + len(end_token)
        )
    return None


def _title_chain(doc: Doc, head: Token) -> list[Token]:
    """The head title word and the title words that pre-modify it ("chief executive")."""
    tokens = [head]
    i = head.i - 1
    while i >= 0 and is_title_word(doc[i]) and doc[i].head.i in {t.i for t in tokens}:
        tokens.insert(0, doc[i])
        i -= 1
    return tokens


def _qualifier_of(head: Token, doc_index: int, locator: _Locator) -> str | None:
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in ("of", "at", "for"):
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    found = _mention_in(pobj, doc_index, locator)
                    if found is not None:
                        return found.key
        if child.dep_ in ("poss", "amod", "compound", "nmod"):
            found = locator.at(doc_index, child)
            if found is not None and found.type in QUALIFIER_TYPES:
                return found.key
    return None


def _mention_in(token: Token, doc_index: int, locator: _Locator) -> KeyedMention | None:
    for sub in token.subtree:
        found = locator.at(doc_index, sub)
        if found is not None and found.type in QUALIFIER_TYPES:
            return found
    return None


def _role(
    zd: ZoneDoc,
    person: KeyedMention,
    title_tokens: Sequence[Token],
    of_key: str | None,
    start: int,
    end: int | None = None,
) -> Role | None:
    if of_key == person.key:
        of_key = None
    words: list[str] = []
    for t in title_tokens:  # "co", "-", "founder" → "co-founder"
        glued = words and (t.text == "-" or words[-1].endswith("-")) and not t.nbor(-1).whitespace_
        if glued:
            words[-1] += t.text
        else:
            words.append(t.text)
    while words and words[0].lower() in NOT_PART_OF_TITLE:
        words.pop(0)  # "former Foreign Secretary" held the title "Foreign Secretary"
    head_at = [i for i, w in enumerate(words) if w.lower() in TITLE_HEADS]
    if not head_at or (head_at[-1] != len(words) - 1 and words[head_at[-1] + 1].lower() != "of"):
        return None  # the title must end with a head word or its "of"-phrase
    last = zd.doc[person.end - 1]
    end = end if end is not None else last.idx + len(last)
    return Role(
        person_key=person.key,
        title=normalize_title(words),
        of_key=of_key,
        span=zd.span(start, end),
        text=zd.text[start:end],
    )
