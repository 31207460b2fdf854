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
from pathlib import Path

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
    district federal county city club team technical policy business treasury housing
    communities pensions work employment immigration brexit commerce transportation homeland
    veterans climate media shadow junior cabinet equalities tourism fisheries infrastructure
    welfare detective rear brigadier staff"""
)


def _load_titles(path: Path) -> dict[str, dict[str, str]]:
    """``patterns/titles.tsv`` by kind: abbreviations, qualifiers and party words."""
    tables: dict[str, dict[str, str]] = {
        k: {} for k in ("abbrev", "qualifier", "party", "honorific")
    }
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, written, meaning = [*line.split("\t"), ""][:3]
        tables[kind][written.strip().casefold()] = meaning.strip()
    return tables


_TITLES = _load_titles(Path(__file__).parent / "patterns" / "titles.tsv")
# "Sen." → "Senator", "Lt." → "Lieutenant": abbreviated titles and honorifics, expanded.
ABBREVIATIONS: dict[str, str] = _TITLES["abbrev"]
# "former", "ex", "then", "acting"... → the qualifier kept on the role ("ex" is "former").
QUALIFIERS: dict[str, str] = _TITLES["qualifier"]
# "Conservative", "Labour": a party before a legislator's title is not part of the title.
PARTY_WORDS = frozenset(_TITLES["party"])
# "Doctor", "Reverend": titles of address, given way to any other title before them.
HONORIFIC_TITLES = frozenset(_TITLES["honorific"])
# Modifiers that name an organization of their own ("Army sergeant"): when NER found them as
# one, they stay the title's "of" rather than a word of the title.
_ORGANIZATION_MODIFIERS = words("army navy naval air force police military party club team")
# Titles a party word qualifies ("Labour MP") rather than names a portfolio ("Labour Minister").
LEGISLATOR_HEADS = words(
    """mp mps mep msp mla td senator congressman congresswoman representative lawmaker
    legislator councillor councilor peer candidate leader member"""
)
# Titles written after the name ("Jane Doe MP").
POSTPOSED_TITLES = frozenset({"MP", "MEP", "MSP", "MLA"})
TITLE_HEADS = TITLE_HEADS | words(
    """representative inspector superintendent constable detective doctor reverend mep msp"""
)
# Heads that only an abbreviation makes a title ("Maj. Jane Doe", not "major Hollywood studio").
_ABBREVIATED_HEADS = frozenset(m.casefold() for m in ABBREVIATIONS.values())
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


def abbreviation(token: Token) -> str | None:
    """The title an abbreviation written before a name stands for ("Sen." → "Senator")."""
    if not token.text[:1].isupper():
        return None
    return ABBREVIATIONS.get(token.text.removesuffix(".").casefold())


def qualifier_at(doc: Doc, i: int) -> str | None:
    """The qualifier the word at ``i`` gives a title after it ("former", "ex-" → "former").

    "then" counts only where it cannot be the adverb: glued to the title ("then-President") or
    after a determiner ("the then prime minister")."""
    meaning = QUALIFIERS.get(doc[i].lower_)
    if meaning is None or doc[i].lower_ != "then":
        return meaning
    glued = i + 1 < len(doc) and doc[i + 1].text == "-" and not doc[i].whitespace_
    after_determiner = i > 0 and doc[i - 1].lower_ in ("the", "a", "an", "his", "her", "their")
    return meaning if glued or after_determiner else None


def _is_role_word(doc: Doc, i: int) -> bool:
    token = doc[i]
    return (
        is_title_word(token) or abbreviation(token) is not None or qualifier_at(doc, i) is not None
    )


def _split_abbreviation_dot(doc: Doc, i: int) -> bool:
    """The "." the tokenizer split from an abbreviation ("Supt", ".")."""
    return (
        doc[i].text == "."
        and i > 0
        and not doc[i - 1].whitespace_
        and abbreviation(doc[i - 1]) is not None
    )


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
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for person in (m for m in mentions if m.type == "person"):
        zd = docs[person.doc_index]
        found = (
            _premodifier_role(zd, person, locator),
            _postposed_role(zd, person, locator),
            _appositive_role(zd, person, locator),
            _copula_role(zd, person, locator),
        )
        for role in found:
            if role is None:
                continue
            identity = (role.person_key, role.title.casefold(), role.of_key, role.qualifier)
            if identity not in seen:
                seen.add(identity)
                roles.append(role)
    stated = {
        (r.person_key, r.title.casefold(), r.qualifier) for r in roles if r.of_key is not None
    }
    # "Dr. Jane Roe, director of ...": a title of address says nothing once a post is stated.
    positioned = {r.person_key for r in roles if r.title.casefold() not in HONORIFIC_TITLES}
    return [
        r
        for r in roles
        if (r.of_key or (r.person_key, r.title.casefold(), r.qualifier) not in stated)
        and not _read_qualified_elsewhere(r, roles)
        and not (r.title.casefold() in HONORIFIC_TITLES and r.person_key in positioned)
    ]


def _read_qualified_elsewhere(role: Role, roles: Sequence[Role]) -> bool:
    """An unqualified role that another reading of the same words gave with its qualifier (the
    parse's apposition missed the "ex-" that the walk over the title kept)."""
    return role.qualifier is None and any(
        other.qualifier is not None
        and (other.person_key, other.title.casefold(), other.of_key)
        == (role.person_key, role.title.casefold(), role.of_key)
        and other.span.zone == role.span.zone
        and other.span.zone_index == role.span.zone_index
        and other.span.start < role.span.end
        and role.span.start < other.span.end
        for other in roles
    )


def _premodifier_role(zd: ZoneDoc, person: KeyedMention, locator: _Locator) -> Role | None:
    doc = zd.doc
    sent_start = doc[person.start].sent.start
    while sent_start > 1 and _split_abbreviation_dot(doc, sent_start - 1):
        sent_start = doc[sent_start - 2].sent.start  # "Sgt", "." taken for a sentence end
    i = person.start - 1
    while i >= sent_start and (doc[i].is_space or _split_abbreviation_dot(doc, i)):
        i -= 1
    if i < sent_start:
        return None
    if (abbreviation(doc[i]) or doc[i].text).casefold() in HONORIFIC_TITLES:
        # "MAB spokesman Dr Azzam Tamimi": the title before the honorific, else the honorific.
        before = _title_before(zd, person, locator, i - 1, sent_start)
        return before or _role(zd, person, [doc[i]], None, doc[i].idx)
    return _title_before(zd, person, locator, i, sent_start)


def _title_before(
    zd: ZoneDoc, person: KeyedMention, locator: _Locator, i: int, sent_start: int
) -> Role | None:
    """The title written right before the name, walking left from token ``i``."""
    doc = zd.doc
    while i >= sent_start and (doc[i].is_space or _split_abbreviation_dot(doc, i)):
        i -= 1
    if i < sent_start:
        return None
    if not (_is_role_word(doc, i) or doc[i].is_title or _split_abbreviation_dot(doc, i)):
        return None
    words: list[Token] = []
    qualifier: KeyedMention | None = None
    while i >= sent_start:
        token = doc[i]
        found = locator.at(person.doc_index, token)
        if found is not None and found.type in QUALIFIER_TYPES:
            if _names_a_portfolio(doc, found, words):  # "Transport" of "Transport Secretary"
                words[:0] = list(doc[found.start : found.end])
                i = found.start - 1
                continue
            if words and words[0].lower_ in _CONNECTORS:  # "Secretary of State" vs "of Google"
                break
            qualifier = found
            i = found.start - 1
            words[:0] = _qualifier_before(doc, i, sent_start)  # "former US President"
            break
        if token.is_space or _split_abbreviation_dot(doc, i):
            pass
        elif _is_role_word(doc, i) or (token.is_title and not token.is_sent_start):
            words.insert(0, token)
        elif token.text == "-" and i > sent_start and _glues_a_prefix(doc, i - 1):
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
    while words and not (_is_role_word(doc, words[0].i) or words[0].lower_ in _TITLE_PREFIXES):
        words.pop(0)
    of_key, title_tokens = _split_of_phrase(words, person.doc_index, locator)
    if not title_tokens:
        return None
    of_key = of_key or (qualifier.key if qualifier else None)
    start_token = doc[qualifier.start] if qualifier else title_tokens[0]
    if words and words[0].i < start_token.i:
        start_token = words[0]
    return _role(zd, person, title_tokens, of_key, start_token.idx)


def _names_a_portfolio(doc: Doc, found: KeyedMention, words: list[Token]) -> bool:
    """A mention made only of title modifiers right before a title word ("Transport",
    "Justice" in "Justice Secretary" tagged ORG): a word of the title, not its organization."""
    if not words or not is_title_word(words[0]) or words[0].lower_ in _CONNECTORS:
        return False
    legislator = _is_legislator(words[-1])  # "Labour MP": the party; "Labor Secretary": a post
    return all(
        t.lower_ in TITLE_MODIFIERS
        and not (legislator and t.lower_ in PARTY_WORDS)
        and t.lower_ not in _ORGANIZATION_MODIFIERS
        for t in doc[found.start : found.end]
    )


def _is_legislator(head: Token) -> bool:
    return (abbreviation(head) or head.text).casefold() in LEGISLATOR_HEADS


def _qualifier_before(doc: Doc, i: int, sent_start: int) -> list[Token]:
    """A qualifier written before the country or organization of a title ("former US
    President", "ex-Google chief"), as the tokens to add in front of the title."""
    if i - 1 >= sent_start and doc[i].text == "-" and qualifier_at(doc, i - 1) is not None:
        return [doc[i - 1], doc[i]]
    if i >= sent_start and qualifier_at(doc, i) is not None:
        return [doc[i]]
    return []


def _glues_a_prefix(doc: Doc, i: int) -> bool:
    """ "co-", "vice-", "ex-", "then-" written before a title word."""
    return not doc[i].whitespace_ and (
        doc[i].lower_ in _TITLE_PREFIXES or qualifier_at(doc, i) is not None
    )


def _postposed_role(zd: ZoneDoc, person: KeyedMention, locator: _Locator) -> Role | None:
    """ "Jane Doe MP", "Jane Doe MP for Bristol West": a legislator's title after the name."""
    doc = zd.doc
    if person.end >= len(doc) or doc[person.end].text not in POSTPOSED_TITLES:
        return None
    title = doc[person.end]
    end_token = title
    of_key: str | None = None
    after = title.i + 1
    if after + 1 < len(doc) and doc[after].lower_ == "for":
        found = locator.at(person.doc_index, doc[after + 1])
        if found is not None and found.type in QUALIFIER_TYPES and found.start == after + 1:
            of_key = found.key
            end_token = doc[found.end - 1]
    return _role(zd, person, [title], of_key, doc[person.start].idx, end_token.idx + len(end_token))


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
        title_tokens = _title_chain(doc, head) + _portfolio_after(doc, head, person, locator)
        of_key = _qualifier_of(head, person.doc_index, locator)
        if any(_key_at(t, person.doc_index, locator) == of_key for t in title_tokens):
            of_key = None  # "Cabinet Secretary": a word of the title, not its organization
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
        title_tokens = _title_chain(doc, head) + _portfolio_after(doc, head, person, locator)
        of_key = _qualifier_of(head, person.doc_index, locator)
        if any(_key_at(t, person.doc_index, locator) == of_key for t in title_tokens):
            of_key = None  # "Cabinet Secretary": a word of the title, not its organization
        end_token = max(head.subtree, key=lambda t: t.i)
        return _role(
            zd, person, title_tokens, of_key, doc[person.start].idx, end_token.idx + len(end_token)
        )
    return None


def _portfolio_after(doc: Doc, head: Token, person: KeyedMention, locator: _Locator) -> list[Token]:
    """ "of Transportation" in "the Secretary of Transportation": an "of"-phrase made only of
    title modifiers (and no named country or organization) belongs to the title."""
    i = head.i + 1
    if i >= len(doc) or doc[i].lower_ != "of":
        return []
    end = i + 1
    while end < len(doc) and (
        doc[end].lower_ in TITLE_MODIFIERS or (doc[end].lower_ == "and" and end > i + 1)
    ):
        found = locator.at(person.doc_index, doc[end])
        if found is not None and found.type in QUALIFIER_TYPES:
            return []
        end += 1
    while end > i + 1 and doc[end - 1].lower_ == "and":
        end -= 1
    return list(doc[i:end]) if end > i + 1 else []


def _is_party_word(tokens: Sequence[Token], n: int, legislator: bool) -> bool:
    """A party word inside a title ("Tory education secretary", "Labour MP"): not a word of the
    title. "Labour" right before its head word names a portfolio ("Labour Minister") unless the
    title is a legislator's."""
    word = tokens[n].lower_
    if word not in PARTY_WORDS or n == len(tokens) - 1:
        return False
    if word in TITLE_MODIFIERS and not legislator:
        return n + 1 != len(tokens) - 1
    return True


def _title_chain(doc: Doc, head: Token) -> list[Token]:
    """The head title word and the title words and qualifiers that pre-modify it ("chief
    executive", "former president", "ex-president")."""
    tokens = [head]
    chain = {head.i}
    i = head.i - 1
    while i >= 0:
        token = doc[i]
        if token.text == "-" and i > 0 and _glues_a_prefix(doc, i - 1):
            tokens[:0] = [doc[i - 1], token]
            chain.update((i - 1, i))
            i -= 2
            continue
        modifies = token.head.i in chain
        if not (modifies and (is_title_word(token) or qualifier_at(doc, i) is not None)):
            break
        tokens.insert(0, token)
        chain.add(i)
        i -= 1
    return tokens


def _key_at(token: Token, doc_index: int, locator: _Locator) -> str | None:
    found = locator.at(doc_index, token)
    return found.key if found is not None else None


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
    doc = zd.doc
    qualifier: str | None = None
    words: list[str] = []
    heads: set[int] = set()  # indexes into words of words that can end a title
    legislator = _is_legislator(title_tokens[-1])
    skip_hyphen = False
    for n, t in enumerate(title_tokens):
        if skip_hyphen and t.text == "-":
            skip_hyphen = False
            continue
        skip_hyphen = False
        if n < len(title_tokens) - 1 and (meaning := qualifier_at(doc, t.i)) is not None:
            qualifier = qualifier or meaning  # "former", "then-": kept apart from the title
            skip_hyphen = True
            continue
        if _is_party_word(title_tokens, n, legislator):
            skip_hyphen = True  # "ex-Tory education secretary"
            continue
        expanded = abbreviation(t)
        text = expanded or t.text
        # "co", "-", "founder" → "co-founder"
        glued = words and (t.text == "-" or words[-1].endswith("-")) and not t.nbor(-1).whitespace_
        if glued:
            words[-1] += text
        else:
            words.append(text)
        if expanded is not None or words[-1].lower().split("-")[-1] in TITLE_HEADS:
            heads.add(len(words) - 1)
        else:
            heads.discard(len(words) - 1)
    last_head = max(heads) if heads else -1
    if last_head < 0 or (last_head != len(words) - 1 and words[last_head + 1].lower() != "of"):
        return None  # the title must end with a head word or its "of"-phrase
    last = doc[person.end - 1]
    end = end if end is not None else last.idx + len(last)
    return Role(
        person_key=person.key,
        title=normalize_title(words),
        of_key=of_key,
        span=zd.span(start, end),
        text=zd.text[start:end],
        qualifier=qualifier,
    )
