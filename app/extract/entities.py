"""Entities of one article: clean spaCy's mentions, type them, cluster them, read roles.

Mentions from every zone of the article (body, title, teaser, captions) are clustered together:
"Belarusian President Alexander Lukashenko", "Alexander Lukashenko" and "Lukashenko" are one
person; "Belarusian" is a mention of Belarus; "the North Atlantic Treaty Organization (NATO)"
and "NATO" are one organization. Titles next to names become roles (see ``roles.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan
from spacy.vocab import Vocab

from app.extract.countries import (
    Country,
    country_by_capital,
    country_by_demonym,
    country_by_name,
    is_ambiguous_country_word,
    is_nation,
    is_seat_of_government,
)
from app.extract.given_names import Gender, given_name_gender, is_given_name, looks_like_person
from app.extract.nlp import ZoneDoc
from app.extract.roles import (
    ABBREVIATIONS,
    TITLE_HEADS,
    TITLE_MODIFIERS,
    KeyedMention,
    extract_roles,
    is_title_word,
    words,
)
from app.extract.types import Entity, EntityType, Mention, Role

_DROPPED_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL"})
_LABEL_TYPES: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "WEAPON": "weapon",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
    "LAW": "other",
    "LANGUAGE": "other",
}
# Ties in a type vote go to the first type here.
_TYPE_PRIORITY: tuple[EntityType, ...] = (
    "country", "weapon", "event", "person", "organization", "place", "product", "work", "group",
    "other",
)  # fmt: skip
_HONORIFICS = words(
    "mr mr. mrs mrs. ms ms. miss dr dr. sir dame lord lady prof prof. professor rev rev. "
    "reverend president-elect"
)
_ARTICLES = frozenset({"the", "a", "an"})
_HONORIFIC_GENDER: dict[str, Gender] = {
    **dict.fromkeys(words("mrs mrs. ms ms. miss madam dame lady"), "f"),
    **dict.fromkeys(words("mr mr. sir lord"), "m"),
}
# Words that introduce a relative of someone already named: "his wife, Debbie Meadows".
_KIN = words(
    "wife husband son daughter brother sister mother father widow widower spouse partner "
    "fiancee fiancée fiance fiancé girlfriend boyfriend cousin nephew niece uncle aunt twin "
    "grandson granddaughter grandmother grandfather stepson stepdaughter stepmother stepfather "
    "child children sons daughters brothers sisters parents"
)
# Words that stand before a person's name only: "Mr Wang", "President Chen", "Sen. Doe".
_PERSON_TITLES = _HONORIFICS | words(
    "president premier chancellor senator sen sen. rep rep. gov gov. governor mayor judge "
    "ambassador spokesman spokeswoman congressman congresswoman pope ayatollah sheikh "
    "captain capt capt. lt lt. col col. gen gen. sgt sgt. mp"
)
_POSSESSIVES = frozenset({"'s", "’s", "'", "’"})
# News-page furniture that NER takes for names.
_JUNK = frozenset(
    {"image", "images", "photo", "photos", "picture", "video", "getty images", "picture alliance"}
    | {"ap photo", "skip", "share", "advertisement", "copyright", "read more", "related topics"}
)
_GLUED_CREDIT = re.compile(r"(?<=[a-z])Image$")
_YEAR_SUFFIX = re.compile(r"[\s-]+(?:19|20)?\d{2}$")
_DESIGNATION_PLURAL = re.compile(r"^([A-Za-z]+-\d+[A-Za-z0-9]*?\d)s$")
_INITIAL = re.compile(r"^[A-Z]\.$")
_ACRONYM = re.compile(r"^[A-Z][A-Z&.]{1,7}$")
_ACRONYM_STOPWORDS = frozenset({"of", "the", "and", "for", "de", "on", "in", "&"})
_AGENT_PREPS = frozenset({"with", "against", "between"})
# Verbs whose subject and object are the two sides of a match.
_MATCH_VERBS = words(
    "beat defeat edge rout thrash trounce overcome eliminate dismiss outplay outscore upset "
    "down whip crush hammer draw tie lose host"
)
# Words that name a kind of work: the name right after one is a title ("the film Parasite").
_WORK_NOUNS = words(
    "film movie series show sitcom drama documentary album song single record book novel "
    "memoir play musical opera painting sculpture podcast video game miniseries"
)
# Verbs whose quoted object is a work: "won best picture for 'Parasite'", "starring in 'Judy'".
_WORK_VERBS = words("star direct produce write release publish premiere screen win nominate")
# Last words of names of occasions: "the Academy Awards", "the Golden Globes", "Davos Summit".
_OCCASION_HEADS = words(
    "awards globes oscars baftas emmys grammys ceremony festival summit conference games "
    "olympics championship championships tournament cup open marathon gala expo fair"
)
_NAMED_LABELS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT", "PERSON", "LAW", "GPE"})
_DATELINE_PARAGRAPHS = 3  # a dateline opens one of the body's first paragraphs
_VERSUS = words("v v. vs vs. versus")
_PLACE_PREPS = words("in at to from into across near via outside inside throughout toward towards")
_CALENDAR_WORDS = words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday"
)


@dataclass
class _Mention:
    doc_index: int
    start: int  # tokens
    end: int
    start_char: int
    end_char: int
    text: str
    label: str
    type: EntityType
    country: Country | None = None


@dataclass
class _Cluster:
    mentions: list[_Mention] = field(default_factory=list)
    type: EntityType = "other"
    country: Country | None = None
    team: bool = False  # typed an organization because it plays ("Surrey beat Kent")

    def surfaces(self) -> list[str]:
        return [m.text for m in self.mentions]


def extract_entities(docs: Sequence[ZoneDoc]) -> tuple[list[Entity], list[Role]]:
    """Entities and roles of one article whose zones are ``docs`` (body first)."""
    mentions = [
        m
        for index, zd in enumerate(docs)
        for ent in _joined_names(zd.doc)
        if ent.label_ not in _DROPPED_LABELS
        for m in _clean(index, zd, ent)
    ]
    mentions = _with_dateline_places(mentions, docs)
    mentions.extend(_repeated_names(mentions, docs))
    clusters = _cluster(mentions, docs)
    keys = {id(c): f"e{n}" for n, c in enumerate(clusters, start=1)}
    entities = [_entity(c, keys[id(c)], docs, clusters, keys) for c in clusters]
    keyed = [
        KeyedMention(m.doc_index, m.start, m.end, keys[id(c)], c.type)
        for c in clusters
        for m in c.mentions
    ]
    keyed.sort(key=lambda k: (k.doc_index, k.start))
    return entities, extract_roles(docs, keyed)


# --- cleaning and typing one mention -------------------------------------------------------


def _joined_names(doc: Doc) -> list[SpacySpan]:
    """The entity spans, with a person's name that NER cut in two made whole again: "Michael R."
    (PERSON) + "Bloomberg" (ORG) is the person "Michael R. Bloomberg". The first part must end
    with an initial or a given name, the second be one or two capitalized words right after."""
    ents = list(doc.ents)
    out: list[SpacySpan] = []
    i = 0
    while i < len(ents):
        ent = ents[i]
        nxt = ents[i + 1] if i + 1 < len(ents) else None
        if (
            nxt is not None
            and ent.label_ == "PERSON"
            and nxt.start == ent.end
            and nxt.label_ not in _DROPPED_LABELS
            and len(nxt) <= 2
            and all(t.is_title for t in nxt)
            and "\n" not in ent[-1].whitespace_
            and (_INITIAL.match(ent[-1].text) or is_given_name(ent[-1].text))
        ):
            out.append(SpacySpan(doc, ent.start, nxt.end, label="PERSON"))
            i += 2
            continue
        out.append(ent)
        i += 1
    return out


def _clean(doc_index: int, zd: ZoneDoc, ent: SpacySpan) -> list[_Mention]:
    """The mentions an entity span holds: usually one, two where NER joined the sides of a match
    ("Leicester v Swansea", "Rochdale 3 Barnsley 1"), plus a nationality swallowed into a
    PERSON span."""
    return [
        m
        for start, end in _sides(ent.doc, *_best_line(ent))
        for m in _clean_piece(doc_index, zd, start, end, ent.label_)
    ]


def _sides(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut at a "v"/"vs" or at a score standing between two names."""
    pieces: list[tuple[int, int]] = []
    piece = start
    for i in range(start + 1, end - 1):
        token = doc[i]
        between_names = doc[i - 1].is_alpha and doc[i + 1].text[:1].isupper()
        plain_score = _is_score(token) and ":" not in token.text and "." not in token.text
        if between_names and (token.lower_ in _VERSUS or plain_score):
            pieces.append((piece, i))
            piece = i + 1
    pieces.append((piece, end))
    return pieces


def _clean_piece(doc_index: int, zd: ZoneDoc, start: int, end: int, label: str) -> list[_Mention]:
    doc = zd.doc
    found: list[_Mention] = []
    keep_article = _article_in_name(doc[start:end])
    while start < end and (
        doc[start].is_punct
        or doc[start].is_space
        or (doc[start].lower_ in _ARTICLES and not keep_article)
        or (label == "PERSON" and _is_person_prefix(doc[start].text))
    ):
        if label == "PERSON" and (nationality := _mention(doc_index, zd, start, start + 1, "NORP")):
            found.extend(m for m in [nationality] if m.type == "country")
        start += 1
    end = _without_score(doc, start, end, label)
    while end > start and (
        doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].lower_ in _POSSESSIVES
    ):
        end -= 1
    if (split := _country_prefix(doc, start, end)) is not None:
        # "President of Ukraine Volodymyr Zelenskyy": a country, then the person.
        found.extend(m for m in [_mention(doc_index, zd, start, split, "GPE")] if m)
        start, label = split, "PERSON"
    if start < end and (named := _mention(doc_index, zd, start, end, label)) is not None:
        found.append(named)
    return found


def _without_score(doc: Doc, start: int, end: int, label: str) -> int:
    """Where a name ends when NER glued a number to it: "J. Smith 63", "Mexico 2-0", "Durham
    114", "SEOUL 1996-08-30". A person's name never ends in a number; other names keep a short
    plain one ("Channel 4", "Route 66")."""
    if label not in ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"):
        return end
    cut = end
    while cut > start + 1 and not any(ch.isalpha() for ch in doc[cut - 1].text):
        cut -= 1
    tail = doc[cut:end].text
    if not any(ch.isdigit() for ch in tail):
        return end
    if label == "PERSON" or not tail.isdigit() or len(tail) >= 3:
        return cut
    return end


def _article_in_name(span: SpacySpan) -> bool:
    """ "The Hague": a place whose name needs its article; "the United States" does not."""
    if len(span) < 2 or span[0].lower_ not in _ARTICLES:
        return False
    rest = span[1:].text
    if country_by_name(rest) is not None or country_by_capital(rest) is not None:
        return False
    return country_by_name(span.text) is not None or country_by_capital(span.text) is not None


def _country_prefix(doc: Doc, start: int, end: int) -> int | None:
    """Where the name starts in "[of] Ukraine Volodymyr Zelenskyy", a span that glues a title's
    country to the name after it; None when the span is not like that."""
    if start < 2 or doc[start - 1].lower_ != "of" or not is_title_word(doc[start - 2]):
        return None
    for split in range(min(start + 3, end - 2), start, -1):
        rest = doc[split:end]
        if country_by_name(doc[start:split].text) is None or not 2 <= len(rest) <= 3:
            continue
        if all(t.is_title for t in rest):
            return split
    return None


def _mention(doc_index: int, zd: ZoneDoc, start: int, end: int, label: str) -> _Mention | None:
    doc = zd.doc
    start_char = doc[start].idx
    end_char = doc[end - 1].idx + len(doc[end - 1])
    text = zd.text[start_char:end_char]
    if glued := _GLUED_CREDIT.search(text):
        end_char -= len(glued.group())
        text = text[: glued.start()]
    if text.endswith(("'s", "’s")):
        end_char -= 2
        text = text[:-2]
    if _is_junk(text, doc[start:end]) or _is_title_part(doc[start:end]):
        return None
    if label in ("ORG", "GPE", "PRODUCT", "NORP") and _follows_title(doc[start:end]):
        label = "PERSON"  # "Chancellor Olaf Scholz" tagged ORG
    if _names_a_work(doc[start:end]):
        label = "WORK_OF_ART"  # the film "Joker", "Parasite" tagged PERSON or ORG
    elif label in _NAMED_LABELS and doc[end - 1].lower_ in _OCCASION_HEADS:
        label = "EVENT"  # "the Academy Awards", "the Edinburgh Festival"
    mention_type, country = _type_of(text, label)
    return _Mention(doc_index, start, end, start_char, end_char, text, label, mention_type, country)


def _names_a_work(span: SpacySpan) -> bool:
    """A title: right after a word for a work ("the film Parasite", "the series 'Fleabag'"), or
    alone between quotation marks as the object of starring, directing, winning..."""
    doc = span.doc
    before = span.start - 1
    quoted = before >= 0 and doc[before].is_quote
    if quoted:
        before -= 1
    if before >= 0 and doc[before].lemma_.casefold() in _WORK_NOUNS:
        return True
    closed = span.end < len(doc) and doc[span.end].is_quote
    if not (quoted and closed) or len(span) > 6:
        return False
    head = span.root.head
    return span.root.dep_ in ("dobj", "pobj", "nsubjpass") and (
        head.lemma_.casefold() in _WORK_VERBS or head.head.lemma_.casefold() in _WORK_VERBS
    )


def _best_line(ent: SpacySpan) -> tuple[int, int]:
    """spaCy sometimes joins two lines into one name: keep the line with the most words."""
    if "\n" not in ent.text:
        return ent.start, ent.end
    pieces: list[tuple[int, int]] = []
    piece_start = ent.start
    for token in ent:
        if "\n" in token.text or "\n" in token.whitespace_:
            stop = token.i if "\n" in token.text else token.i + 1
            pieces.append((piece_start, stop))
            piece_start = token.i + 1
    pieces.append((piece_start, ent.end))
    return max(reversed(pieces), key=lambda p: sum(t.is_alpha for t in ent.doc[p[0] : p[1]]))


def _is_person_prefix(word: str) -> bool:
    """Titles, honorifics and nationalities that spaCy swallows into a PERSON span."""
    lower = word.casefold()
    return (
        lower in _HONORIFICS
        or lower.removesuffix(".") in ABBREVIATIONS  # "Supt", "Lt Col" glued to a name
        or lower in TITLE_HEADS
        or lower in TITLE_MODIFIERS
        or country_by_demonym(word) is not None
        or country_by_name(word) is not None
    )


def _is_junk(text: str, span: SpacySpan) -> bool:
    if not any(ch.isalpha() for ch in text) or len(text) > 80:
        return True
    if any(bad in text for bad in ("/", "http", "@", "\n", "www.")):
        return True
    if len(span) == 1 and text.islower():
        return True
    return text.casefold() in _JUNK


def _is_title_part(span: SpacySpan) -> bool:
    """ "State" in "Secretary of State", "Transport" in "Transport Secretary": a word of a
    title, not an organization."""
    if not all(t.lower_ in TITLE_MODIFIERS or t.lower_ in TITLE_HEADS for t in span):
        return False
    after = span.doc[span.end] if span.end < len(span.doc) else None
    if after is not None and after.lower_ in TITLE_HEADS:
        return True
    before = span.doc[max(span.start - 2, 0) : span.start]
    return (
        len(before) == 2 and before[1].lower_ in ("of", "for") and before[0].lower_ in TITLE_HEADS
    )


def _follows_title(span: SpacySpan) -> bool:
    """A two- or three-word capitalized name right after a title word is a person."""
    if not 2 <= len(span) <= 3 or not all(t.is_title for t in span) or span.start == 0:
        return False
    previous = span.doc[span.start - 1]
    return previous.lower_ in TITLE_HEADS and not any(_is_person_prefix(t.text) for t in span)


def _type_of(text: str, label: str) -> tuple[EntityType, Country | None]:
    """Our type for a spaCy label, with countries found by name or demonym."""
    if label in ("WEAPON", "EVENT"):
        return _LABEL_TYPES[label], None
    if label == "NORP" or (label != "PERSON" and text[:1].isupper() and " " not in text):
        demonym = country_by_demonym(text)
        if demonym is not None:
            return "country", demonym
    country = country_by_name(text)
    if country is not None and not (label == "PERSON" and is_ambiguous_country_word(text)):
        return "country", country
    if label in ("ORG", "PERSON", "PRODUCT") and country_by_capital(text) is not None:
        return "place", None
    return _LABEL_TYPES.get(label, "other"), None


# --- datelines -----------------------------------------------------------------------------


def _with_dateline_places(mentions: list[_Mention], docs: Sequence[ZoneDoc]) -> list[_Mention]:
    """The place of a dateline opening one of the body's first paragraphs, whatever NER made of
    it in capitals: "BELGRADE 1996-08-30", "LOS ANGELES (Reuters) -", "KYIV, Ukraine (AP) —",
    "LONDON, Jan 5 (Reuters) -". The place and the region after its comma are places; the date
    and the agency are left to the other extractors."""
    body = next((zd for zd in docs if zd.zone == "body"), None)
    if body is None:
        return mentions
    doc_index = docs.index(body)
    places: list[_Mention] = []
    for start in _paragraph_starts(body.doc, _DATELINE_PARAGRAPHS):
        for first, last in _dateline_parts(body.doc, start):
            places.extend(m for m in [_mention(doc_index, body, first, last, "GPE")] if m)
    if not places:
        return mentions
    kept = [
        m
        for m in mentions
        if m.doc_index != doc_index or not any(p.start <= m.start < p.end for p in places)
    ]
    return kept + places


def _paragraph_starts(doc: Doc, limit: int) -> list[int]:
    starts = [0] if len(doc) else []
    for token in doc:
        if len(starts) >= limit:
            break
        breaks = "\n" in token.whitespace_ or (token.is_space and "\n" in token.text)
        if breaks and token.i + 1 < len(doc) and not doc[token.i + 1].is_space:
            starts.append(token.i + 1)
    return starts[:limit]


def _dateline_parts(doc: Doc, start: int) -> list[tuple[int, int]]:
    """``[(first, last)]`` token ranges of the place (and region) a dateline at ``start`` names,
    or ``[]`` when the paragraph does not open with a dateline."""
    end = start
    while end < len(doc) and end - start < 4 and _is_capitals(doc[end]):
        end += 1
    if end == start:
        return []
    parts = [(start, end)]
    cursor = end
    if cursor < len(doc) and doc[cursor].text == ",":
        region = cursor + 1
        while region < len(doc) and region - cursor <= 3 and doc[region].is_title:
            region += 1
        if region > cursor + 1 and doc[cursor + 1].ent_type_ != "DATE":
            parts.append((cursor + 1, region))
            cursor = region
        elif doc[cursor + 1 : cursor + 2] and doc[cursor + 1].ent_type_ == "DATE":
            cursor += 1
    if cursor >= len(doc):
        return []
    after = doc[cursor]
    if after.ent_type_ == "DATE" or after.text in ("(", "-", "--", "—", "–"):
        return parts
    return []


def _is_capitals(token: Token) -> bool:
    letters = [ch for ch in token.text if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters) and token.text[0].isalpha()


# --- names the model found once, found again -----------------------------------------------


def _repeated_names(mentions: list[_Mention], docs: Sequence[ZoneDoc]) -> list[_Mention]:
    """Where NER missed a name it found elsewhere in the article ("Alexander Lebed" ...
    "Lebed said"): a later occurrence of a found name, or of a found person's surname, is a
    mention too, with the label most of the found ones had.

    Only whole names standing alone are taken: not inside another entity span, not glued to
    another capitalized word ("Washington Post" is not "Washington"), written as a name (title
    case, or all capitals in a capitalized headline), and never a one-word stop word or a month.
    """
    labels: dict[tuple[str, ...], Counter[str]] = {}
    for m in mentions:
        if m.type in ("weapon", "event", "product", "work", "other"):
            continue
        span = docs[m.doc_index].doc[m.start : m.end]
        names = [tuple(t.text for t in span)]
        if m.label == "PERSON" and len(span) > 1 and span[-1].is_title:
            names.append((span[-1].text,))  # the surname alone
        for name in names:
            if len(name) > 1 or _is_name_word(span.doc.vocab, name[0]):
                labels.setdefault(tuple(w.casefold() for w in name), Counter())[m.label] += 1
    if not labels:
        return []
    longest = max(len(name) for name in labels)
    found: list[_Mention] = []
    for index, zd in enumerate(docs):
        doc = zd.doc
        taken = [False] * len(doc)
        for ent in doc.ents:
            taken[ent.start : ent.end] = [True] * len(ent)
        i = 0
        while i < len(doc):
            hit = _name_at(doc, i, taken, labels, longest)
            if hit is None:
                i += 1
                continue
            end, label = hit
            if (again := _mention(index, zd, i, end, label)) is not None:
                found.append(again)
            i = end
    return found


def _is_name_word(vocab: Vocab, word: str) -> bool:
    lower = word.casefold()
    return (
        len(word) > 1
        and word[:1].isupper()
        and word.replace("-", "").isalpha()
        and not vocab[lower].is_stop
        and lower not in _CALENDAR_WORDS
    )


def _name_at(
    doc: Doc,
    i: int,
    taken: list[bool],
    labels: dict[tuple[str, ...], Counter[str]],
    longest: int,
) -> tuple[int, str] | None:
    """The longest found name starting at token ``i`` (its end and label), if it stands alone."""
    if taken[i] or not doc[i].text[:1].isupper():
        return None
    for size in range(min(longest, len(doc) - i), 0, -1):
        end = i + size
        if any(taken[i:end]):
            continue
        tokens = doc[i:end]
        counts = labels.get(tuple(t.lower_ for t in tokens))
        if counts is None:
            continue
        shouting = all(t.is_upper for t in tokens if t.is_alpha)
        if not shouting and not all(t.text[:1].isupper() or not t.is_alpha for t in tokens):
            return None
        if _glued_to_name(doc, i, end):
            return None
        return end, counts.most_common(1)[0][0]
    return None


def _glued_to_name(doc: Doc, start: int, end: int) -> bool:
    """A capitalized word right before or after: part of a longer name ("Washington Post")."""
    before = doc[start - 1] if start > 0 else None
    after = doc[end] if end < len(doc) else None
    if after is not None and after.is_title and after.is_alpha and not after.is_sent_start:
        return True
    return (
        before is not None
        and before.is_title
        and before.is_alpha
        and before.lower_ not in _PERSON_TITLES
        and not doc[start].is_sent_start
        and not before.is_sent_start
    )


# --- clustering ----------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace(".", "")
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    if match := _DESIGNATION_PLURAL.match(text):
        text = match.group(1)
    return " ".join(text.split()).casefold()


def _cluster(mentions: list[_Mention], docs: Sequence[ZoneDoc]) -> list[_Cluster]:
    groups: dict[str, _Cluster] = {}
    for m in mentions:
        key = f"country:{m.country.code}" if m.country else _norm(m.text)
        cluster = groups.setdefault(key, _Cluster())
        cluster.mentions.append(m)
    clusters = list(groups.values())
    for cluster in clusters:
        votes = Counter(m.type for m in cluster.mentions)
        if "country" not in votes and any(_after_honorific(m, docs) for m in cluster.mentions):
            # "Mr Wang", "President Chen": a title or honorific before a name is a person's.
            votes["person"] = len(cluster.mentions)
        best = max(votes.values())
        cluster.type = next(t for t in _TYPE_PRIORITY if votes.get(t) == best)
        cluster.country = next((m.country for m in cluster.mentions if m.country), None)
        if cluster.type != "country":
            cluster.country = None
    _retype_people(clusters)
    clusters = _merge_surnames(clusters, docs)
    _retype_teams(clusters, docs)
    clusters = _merge_acronyms(clusters, docs)
    clusters = _merge_event_years(clusters)
    clusters = _merge_same_names(clusters)
    for cluster in clusters:
        cluster.mentions.sort(key=lambda m: (m.doc_index, m.start_char))
    clusters.sort(key=lambda c: (c.mentions[0].doc_index, c.mentions[0].start_char))
    return clusters


def _after_honorific(m: _Mention, docs: Sequence[ZoneDoc]) -> bool:
    doc = docs[m.doc_index].doc
    if m.start == 0:
        return False
    return doc[m.start - 1].lower_ in _PERSON_TITLES


def _absorb(into: _Cluster, other: _Cluster) -> None:
    into.mentions.extend(other.mentions)
    other.mentions = []


def _retype_people(clusters: list[_Cluster]) -> None:
    """ "Alistair Cragg" typed ORG by NER, then "Cragg" alone: a given name and a surname used
    on its own make a person (see ``given_names``)."""
    singles = {
        _norm(s) for c in clusters if c.type != "group" for s in c.surfaces() if len(s.split()) == 1
    }
    for c in clusters:
        if c.type not in ("organization", "place", "product"):
            continue
        if any(looks_like_person(s) and _norm(s).split()[-1] in singles for s in c.surfaces()):
            c.type = "person"


def _retype_teams(clusters: list[_Cluster], docs: Sequence[ZoneDoc]) -> None:
    """A town, county or person-like name that plays is a team, an organization: "Leicestershire
    beat Somerset", "Chicago 4 Houston 3", "Benetton v Dinamo". Countries stay countries (a
    national side is written as its country)."""
    for c in clusters:
        if c.type not in ("place", "person", "organization"):
            continue
        # Players are followed by their scores too ("G. Kersey 63"): a person needs a verb.
        scores = c.type != "person"
        if c.type == "person" and any(len(s.split()) > 1 or is_given_name(s) for s in c.surfaces()):
            continue
        if any(is_nation(s) for s in c.surfaces()):
            continue  # "England beat Wales": the side is written as its nation
        if any(_plays(docs[m.doc_index].doc, m.start, m.end, scores) for m in c.mentions):
            c.type = "organization"
            c.team = True


def _plays(doc: Doc, start: int, end: int, scores: bool = True) -> bool:
    """The name at ``doc[start:end]`` is a side in a match: a score follows it, it stands on
    either side of "v"/"vs", or it is the subject or object of a verb of winning and losing
    whose other side is a name too."""
    after = doc[end] if end < len(doc) else None
    if scores and after is not None and _is_score(after):
        following = doc[end + 1] if end + 1 < len(doc) else None
        if following is None or not (following.is_alpha and following.is_lower):
            return True
    if (after is not None and after.lower_ in _VERSUS) or (
        start > 0 and doc[start - 1].lower_ in _VERSUS
    ):
        return True
    root = doc[start:end].root
    if root.dep_ not in ("nsubj", "dobj") or root.head.lemma_.casefold() not in _MATCH_VERBS:
        return False
    other = "dobj" if root.dep_ == "nsubj" else "nsubj"
    return any(t.dep_ == other and t.pos_ == "PROPN" for t in root.head.children)


def _is_score(token: Token) -> bool:
    """ "4", "92-81", "429-7": a number that is not a year."""
    text = token.text
    if not text[:1].isdigit() or any(ch.isalpha() for ch in text):
        return False
    if token.ent_type_ in ("DATE", "TIME") or text.count("-") > 1 or text.count("/") > 1:
        return False  # "1996-08-30", "12/05/2020": a dateline's date
    return not (len(text) == 4 and text.isdigit() and 1800 <= int(text) <= 2099)


def _merge_surnames(clusters: list[_Cluster], docs: Sequence[ZoneDoc]) -> list[_Cluster]:
    """A one-word name joins the one person whose full name starts or ends with it: "Lukashenko"
    joins "Alexander Lukashenko", "Wang" joins "Wang Donghai", "Mark" joins "Mark Meadows",
    whatever type NER gave the lone word. Two people it could be ("Doe" with "John Doe" and his
    son "Jim Doe") keep it apart. A country or place joins only where no mention of it reads
    as a place ("in Jordan")."""
    people: dict[str, list[_Cluster]] = {}
    for c in clusters:
        if c.type == "person":
            parts = {
                part
                for s in c.surfaces()
                if len(tokens := _norm(s).split()) > 1
                for part in (tokens[0], tokens[-1])
            }
            for part in parts:
                people.setdefault(part, []).append(c)
    for c in clusters:
        if c.type in ("weapon", "event") or not c.mentions:
            continue
        if any(len(s.split()) > 1 for s in c.surfaces()):
            continue
        owners = [o for o in people.get(_norm(c.surfaces()[0]), []) if o is not c]
        if len(owners) > 1:
            _share_surname(c, owners, docs)
            continue
        if len(owners) != 1:
            continue
        if c.type in ("country", "place") and any(_reads_as_place(m, docs) for m in c.mentions):
            continue
        _absorb(owners[0], c)
    return [c for c in clusters if c.mentions]


def _share_surname(lone: _Cluster, owners: list[_Cluster], docs: Sequence[ZoneDoc]) -> None:
    """A surname several people of the article bear ("Mark Meadows", his wife "Debbie Meadows",
    their son "Blake Meadows"): each lone mention goes to the one person it can be. An honorific
    gives the gender ("Mrs. Meadows"); news style names relatives by their first name after the
    first mention, so a plain "Meadows" is the one person not introduced as someone's relative.
    Mentions still open to two people stay apart."""
    if lone.type != "person" and any(_reads_as_place(m, docs) for m in lone.mentions):
        return
    anchors = [o for o in owners if not _introduced_as_kin(o, docs)]
    kept: list[_Mention] = []
    for m in lone.mentions:
        candidates = owners
        doc = docs[m.doc_index].doc
        gender = _HONORIFIC_GENDER.get(doc[m.start - 1].lower_) if m.start > 0 else None
        if gender is not None:
            candidates = [o for o in owners if _given_gender(o) == gender]
        elif len(anchors) == 1:
            candidates = anchors
        if len(candidates) == 1:
            candidates[0].mentions.append(m)
        else:
            kept.append(m)
    lone.mentions = kept


def _introduced_as_kin(person: _Cluster, docs: Sequence[ZoneDoc]) -> bool:
    """ "his wife, Debbie Meadows", "her sister Venus Williams": a kinship word just before the
    person's first full name."""
    first = next((m for m in person.mentions if len(m.text.split()) > 1), None)
    if first is None:
        return False
    doc = docs[first.doc_index].doc
    return any(t.lower_ in _KIN for t in doc[max(0, first.start - 3) : first.start])


def _given_gender(person: _Cluster) -> Gender | None:
    genders = {given_name_gender(s.split()[0]) for s in person.surfaces() if len(s.split()) > 1} - {
        None
    }
    return genders.pop() if len(genders) == 1 else None


def _reads_as_place(m: _Mention, docs: Sequence[ZoneDoc]) -> bool:
    """ "in Jordan", "to Washington", "Jordanian": a mention that can only be a place."""
    doc = docs[m.doc_index].doc
    if m.label == "NORP" or country_by_demonym(m.text) is not None:
        return True
    return m.start > 0 and doc[m.start - 1].lower_ in _PLACE_PREPS


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.casefold() not in _ACRONYM_STOPWORDS]
    return "".join(w[0] for w in words).upper()


def _merge_acronyms(clusters: list[_Cluster], docs: Sequence[ZoneDoc]) -> list[_Cluster]:
    """ "North Atlantic Treaty Organization" and "NATO": defined in parentheses or initials."""
    by_norm = {_norm(s): c for c in clusters for s in c.surfaces()}
    for c in clusters:
        if c.type in ("person", "country") or not c.mentions:
            continue
        for m in c.mentions:
            after = docs[m.doc_index].text[m.end_char : m.end_char + 14]
            defined = re.match(r"\s*\(([A-Z][A-Za-z.&]{1,9})\)", after)
            target = by_norm.get(_norm(defined.group(1))) if defined else None
            if target is not None and target is not c and target.mentions:
                _absorb(c, target)
    acronyms = [c for c in clusters if c.mentions and all(_ACRONYM.match(s) for s in c.surfaces())]
    for acronym in acronyms:
        letters = acronym.surfaces()[0].replace(".", "")
        longs = [
            c
            for c in clusters
            if c is not acronym
            and c.mentions
            and c.type in ("organization", "other", "place", "event")
            and any(len(s.split()) > 1 and _initials(s) == letters for s in c.surfaces())
        ]
        if len(longs) == 1:
            _absorb(longs[0], acronym)
    return [c for c in clusters if c.mentions]


def _merge_event_years(clusters: list[_Cluster]) -> list[_Cluster]:
    """ "Zapad" joins "Zapad-2021" when the article names one such edition."""
    editions: dict[str, list[_Cluster]] = {}
    for c in clusters:
        if c.type == "event":
            for s in {
                _YEAR_SUFFIX.sub("", _norm(s)) for s in c.surfaces() if _YEAR_SUFFIX.search(s)
            }:
                editions.setdefault(s, []).append(c)
    for c in clusters:
        if c.type != "event" or not c.mentions or any(_YEAR_SUFFIX.search(s) for s in c.surfaces()):
            continue
        owners = editions.get(_norm(c.surfaces()[0]), [])
        if len(owners) == 1:
            _absorb(owners[0], c)
    return [c for c in clusters if c.mentions]


def _merge_same_names(clusters: list[_Cluster]) -> list[_Cluster]:
    seen: dict[tuple[str, str], _Cluster] = {}
    for c in clusters:
        identity = (c.type, _norm(_canonical(c)))
        if identity in seen:
            _absorb(seen[identity], c)
        else:
            seen[identity] = c
    return [c for c in clusters if c.mentions]


# --- building entities ---------------------------------------------------------------------


def _canonical(c: _Cluster) -> str:
    if c.country is not None:
        return c.country.name
    surfaces = [_norm_plural(s, c.type) for s in c.surfaces()]
    counts = Counter(surfaces)
    if c.type == "person":
        return max(surfaces, key=lambda s: (len(s.split()), counts[s]))
    if c.type in ("organization", "event", "other", "place"):
        longs = [s for s in surfaces if not _ACRONYM.match(s)]
        if longs and len(longs) < len(surfaces):  # an acronym and its long name
            return max(longs, key=lambda s: (len(s), counts[s]))
    if c.type == "event":
        return max(surfaces, key=lambda s: (len(s), counts[s]))
    return max(surfaces, key=lambda s: (counts[s], len(s)))


def _norm_plural(text: str, entity_type: EntityType) -> str:
    if entity_type == "weapon" and (match := _DESIGNATION_PLURAL.match(text)):
        return match.group(1)
    return text


def _entity(
    c: _Cluster,
    key: str,
    docs: Sequence[ZoneDoc],
    clusters: list[_Cluster],
    keys: dict[int, str],
) -> Entity:
    name = _canonical(c)
    aliases: dict[str, str] = {}
    for surface in c.surfaces():
        if _norm(surface) != _norm(name) or surface.casefold() != name.casefold():
            aliases.setdefault(surface.casefold(), surface)
    aliases.pop(name.casefold(), None)
    return Entity(
        key=key,
        type=c.type,
        name=name,
        mentions=tuple(
            Mention(m.text, docs[m.doc_index].span(m.start_char, m.end_char)) for m in c.mentions
        ),
        aliases=tuple(aliases.values()),
        country_code=c.country.code if c.country else None,
        stands_for=_stands_for(c, name, docs, clusters, keys),
    )


def _stands_for(
    c: _Cluster,
    name: str,
    docs: Sequence[ZoneDoc],
    clusters: list[_Cluster],
    keys: dict[int, str],
) -> str | None:
    """The country a capital or a seat of government speaks for, when the article names it."""
    if c.type != "place":
        return None
    country = next((found for s in [name, *c.surfaces()] if (found := country_by_capital(s))), None)
    if country is None:
        return None
    target = next((k for k in clusters if k.country and k.country.code == country.code), None)
    if target is None:
        return None
    seat = any(is_seat_of_government(s) for s in c.surfaces())
    if seat or any(_is_agentive(docs[m.doc_index].doc[m.start : m.end]) for m in c.mentions):
        return keys[id(target)]
    return None


def _is_agentive(span: SpacySpan) -> bool:
    """ "Moscow said", "Moscow's decision", "a deal with Moscow": the place acts as a state."""
    root = span.root
    if root.dep_ in ("nsubj", "nsubjpass", "poss"):
        return True
    return root.dep_ == "pobj" and root.head.lower_ in _AGENT_PREPS
