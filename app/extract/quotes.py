"""Quotes: text between double quote marks, with the speaker named by an attribution verb.

A quote group is one quotation, possibly over several paragraphs (each paragraph reopens the
quote and only the last one closes it). Every paragraph piece becomes one ``Quote``; the group
shares its speaker, channel and direct/partial reading. The speaker comes from the subject of a
speech verb outside the quote marks in the same sentence ("..., he said."), "according to X",
"X was quoted as saying", or from the sentence just before ("X said: ..."). Pronouns resolve to
the nearest preceding person mentioned as a subject; anything unclear stays ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Span as SpacySpan
from spacy.tokens import Token

from app.extract.failures import guard
from app.extract.mention_index import EntityIndex
from app.extract.nlp import ZoneDoc
from app.extract.types import Entity, Quote


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPEECH_VERBS = _words(
    "say tell add warn stress ask write tweet post state insist explain note declare "
    "announce claim argue reply respond comment continue conclude urge emphasize "
    "emphasise remark recall acknowledge admit suggest quote cite complain predict "
    "promise vow pledge threaten caution assert maintain confirm deny reiterate told "
    "answer observe describe call"
)
# Verbs that govern a short partial quote: "warned of 'provocations'", "called it a 'farce'".
PARTIAL_VERBS = SPEECH_VERBS | _words(
    "denounce condemn accuse dub label brand term criticize criticise praise hail slam "
    "blast describe characterize characterise decry reject"
)
CHANNEL_NOUNS = _words(
    "statement interview post tweet letter message speech address conference briefing "
    "broadcast video op-ed article column communique communiqué podcast blog channel "
    "television tv radio twitter facebook telegram instagram website newspaper show "
    "programme program session meeting hearing call"
)
PERSONAL_PRONOUNS = frozenset({"he", "she"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_OPEN = {"“": "”", '"': '"', "„": "“"}  # opening mark → its closing mark


@dataclass
class _Piece:
    start: int  # first char of the quoted text (after the opening mark)
    end: int  # end of the quoted text (before the closing mark, or end of paragraph)


@dataclass
class _Group:
    pieces: list[_Piece] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.pieces[0].start

    @property
    def end(self) -> int:
        return self.pieces[-1].end


def find_quote_groups(text: str) -> list[_Group]:
    """Quoted stretches of ``text``, paragraph by paragraph; unclosed ones continue if the next
    paragraph reopens a quote."""
    groups: list[_Group] = []
    carry: _Group | None = None  # a group whose last paragraph ended without a closing mark
    for line in re.finditer(r"[^\n]+", text):
        pos, end = line.start(), line.end()
        opened_at: int | None = None
        closing = ""
        first_mark = True
        for i in range(pos, end):
            ch = text[i]
            if opened_at is None and ch in _OPEN:
                at_start = not text[pos:i].strip()
                if carry is not None and not (first_mark and at_start):
                    carry = None  # the previous paragraph's quote did not continue here
                opened_at, closing = i + 1, _OPEN[ch]
                first_mark = False
            elif opened_at is not None and (ch == closing or (ch in '”"' and closing in '”"')):
                piece = _Piece(opened_at, i)
                group = carry or _Group()
                group.pieces.append(piece)
                if carry is None:
                    groups.append(group)
                carry, opened_at = None, None
        if opened_at is not None:  # open at the end of the paragraph
            group = carry or _Group()
            group.pieces.append(_Piece(opened_at, end))
            if carry is None:
                groups.append(group)
            carry = group
        elif first_mark:
            carry = None
    return groups


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _outside(group: _Group, token: Token) -> bool:
    return not any(p.start <= token.idx < p.end for p in group.pieces)


def _sentences_around(zdoc: ZoneDoc, group: _Group) -> list[SpacySpan]:
    """Sentences overlapping the quote, plus a sentence the parser split off right after the
    closing mark ("...," / he said.)."""
    sents = [
        s for s in zdoc.doc.sents if s.start_char <= group.end + 1 and s.end_char >= group.start - 1
    ]
    if sents:
        following = sents[-1].end
        if following < len(zdoc.doc):
            nxt = zdoc.doc[following].sent
            gap = zdoc.text[group.end : nxt.start_char]
            if len(gap) <= 3 and "\n" not in gap:
                sents.append(nxt)
    return sents


def _subject(verb: Token) -> Token | None:
    """The speaker token of a speech verb: its subject, "X was quoted as saying", or the
    subject of the verb it is coordinated with ("praised ... and said")."""
    head = verb
    if (
        verb.dep_ == "pcomp"
        and verb.head.lower_ == "as"
        and verb.head.head.lemma_ in ("quote", "cite")
    ):
        head = verb.head.head
    for _ in range(3):
        for child in head.children:
            if child.dep_ == "nsubj" or (
                child.dep_ == "nsubjpass" and head.lemma_ in ("quote", "cite")
            ):
                return child
        if head.dep_ == "conj" and head.head.pos_ in ("VERB", "AUX"):
            head = head.head
        else:
            return None
    return None


def _channel(verb: Token) -> str | None:
    heads = [verb]
    if verb.dep_ == "pcomp" and verb.head.head.lemma_ in ("quote", "cite"):
        heads.append(verb.head.head)
    # "was quoted as saying by X": the agent may hang off "saying".
    heads.extend(
        g for c in verb.children if c.lower_ == "as" for g in c.children if g.dep_ == "pcomp"
    )
    quoted = any(h.lemma_ in ("quote", "cite") for h in heads)
    for head in heads:
        for child in head.children:
            if (
                child.dep_ in ("dobj", "dative")
                and head.lemma_ == "tell"
                and child.pos_ in ("PROPN", "NOUN")
            ):
                return _phrase(child)
            if child.dep_ != "prep" or not (
                objects := [c for c in child.children if c.dep_ == "pobj"]
            ):
                continue
            obj = objects[0]
            prep = child.lower_
            if prep == "by" and quoted:
                return _phrase(obj)
            if prep in ("in", "on", "at", "during", "to", "via") and (
                obj.lower_ in CHANNEL_NOUNS
                or obj.lemma_.lower() in CHANNEL_NOUNS
                or (prep in ("on", "to", "via") and obj.pos_ == "PROPN")
            ):
                return _phrase(obj)
    return None


def _phrase(token: Token) -> str:
    doc = token.doc
    return doc[token.left_edge.i : token.right_edge.i + 1].text.strip(' ,.;:"“”')


class _Attributor:
    def __init__(self, zdoc: ZoneDoc, index: EntityIndex) -> None:
        self.zdoc, self.index = zdoc, index

    def speaker_key(self, token: Token, before: int) -> tuple[str | None, float]:
        """The entity of a speaker token, with a confidence; pronouns look back for a subject."""
        if token.lower_ in PERSONAL_PRONOUNS:
            key = self._previous_subject_person(before)
            return key, 0.8
        if token.pos_ == "PRON":
            return None, 0.5
        for candidate in [token, *(c for c in token.children if c.dep_ in ("compound", "appos"))]:
            key = self.index.token_key(self.zdoc, candidate)
            if key is not None:
                return key, 1.0
        # "a spokesman for the Kremlin": the organization or country the speaker speaks for.
        for child in token.children:
            if child.dep_ in ("prep", "poss", "amod", "compound"):
                keys = self.index.keys_in_tokens(self.zdoc, child.subtree)
                if keys:
                    return keys[0], 0.7
        return None, 0.5

    def _previous_subject_person(self, before: int) -> str | None:
        doc = self.zdoc.doc
        for ref in reversed(self.index.mentions_in(self.zdoc)):
            if ref.start >= before or ref.type != "person":
                continue
            span = doc.char_span(ref.start, ref.end, alignment_mode="expand")
            if span is not None and (span.root.dep_ in SUBJECT_DEPS):
                return ref.key
        return None


def _speech_verbs(tokens: Sequence[Token], group: _Group, verbs: frozenset[str]) -> list[Token]:
    found = []
    for token in tokens:
        if not _outside(group, token):
            continue
        if token.lemma_.lower() in verbs and token.pos_ in ("VERB", "AUX"):
            found.append(token)
    return found


def _according_to(tokens: Sequence[Token], group: _Group) -> Token | None:
    for token in tokens:
        if token.lower_ == "according" and _outside(group, token):
            for prep in token.children:
                for obj in prep.children:
                    if prep.lower_ == "to" and obj.dep_ == "pobj":
                        return obj
            nxt = token.nbor(1) if token.i + 1 < len(token.doc) else None
            if nxt is not None and nxt.lower_ == "to":
                for obj in nxt.children:
                    if obj.dep_ == "pobj":
                        return obj
    return None


def _is_partial(zdoc: ZoneDoc, group: _Group) -> bool:
    text = zdoc.text[group.start : group.end]
    words = re.findall(r"[^\W\d_]+", text)
    span = zdoc.doc.char_span(group.start, group.end, alignment_mode="expand")
    has_verb = span is not None and any(t.pos_ in ("VERB", "AUX") for t in span)
    return len(words) < 4 or not has_verb


def _governing_speech_verb(zdoc: ZoneDoc, group: _Group) -> Token | None:
    """For a partial quote: the first speech verb up the parse from the quoted words."""
    span = zdoc.doc.char_span(group.start, group.end, alignment_mode="expand")
    if span is None:
        return None
    token = span.root
    for _ in range(8):
        if token.head is token:
            return None
        token = token.head
        if (
            _outside(group, token)
            and token.lemma_.lower() in PARTIAL_VERBS
            and token.pos_ == "VERB"
            and _subject(token) is not None
        ):
            return token
    return None


def _quotes_of_zone(zdoc: ZoneDoc, index: EntityIndex) -> list[Quote]:
    attributor = _Attributor(zdoc, index)
    quotes: list[Quote] = []
    for group in find_quote_groups(zdoc.text):
        with guard("quotes", zdoc, group.start, group.end):  # a quote that fails is dropped
            if not zdoc.text[group.start : group.end].strip():
                continue
            partial = _is_partial(zdoc, group)
            speaker, confidence, channel = _attribute(zdoc, group, attributor, partial)
            if partial and speaker is None:
                continue  # scare quotes, titles of works: not something anyone is quoted saying
            for piece in group.pieces:
                start, end = _trim(zdoc.text, piece.start, piece.end)
                if start >= end:
                    continue
                quotes.append(
                    Quote(
                        text=zdoc.text[start:end],
                        span=zdoc.span(start, end),
                        speaker_key=speaker,
                        channel=channel,
                        direct=not partial,
                        confidence=confidence,
                    )
                )
    return quotes


def _attribute(
    zdoc: ZoneDoc, group: _Group, attributor: _Attributor, partial: bool
) -> tuple[str | None, float, str | None]:
    if partial:
        verb = _governing_speech_verb(zdoc, group)
        if verb is None or (subject := _subject(verb)) is None:
            return None, 0.5, None
        key, confidence = attributor.speaker_key(subject, group.start)
        return key, confidence, _channel(verb)
    sents = _sentences_around(zdoc, group)
    # Attribution lives in the quote's own paragraph(s); the sentence splitter may glue the next.
    first = zdoc.text.rfind("\n", 0, group.start) + 1
    last = zdoc.text.find("\n", group.end)
    last = len(zdoc.text) if last < 0 else last
    tokens = [t for s in sents for t in s if first <= t.idx < last]
    if (source := _according_to(tokens, group)) is not None:
        key, confidence = attributor.speaker_key(source, group.start)
        return key, confidence, None
    verbs = _speech_verbs(tokens, group, SPEECH_VERBS)
    distance = {v.i: min(abs(v.idx - group.start), abs(v.idx - group.end)) for v in verbs}
    penalty = 1.0
    if not verbs and sents and sents[0].start > 0:
        # "X said:" / "X added." in the sentence just before the quote.
        previous = zdoc.doc[sents[0].start - 1].sent
        verbs = _speech_verbs(list(previous), group, SPEECH_VERBS)
        distance = {v.i: group.start - v.idx for v in verbs}
        penalty = 1.0 if previous.text.rstrip().endswith(":") else 0.7
    for verb in sorted(verbs, key=lambda v: distance[v.i]):
        subject = _subject(verb)
        if subject is None:
            continue
        key, confidence = attributor.speaker_key(subject, group.start)
        return key, confidence * penalty, _channel(verb)
    return None, 0.4, None


# The last article's quotes: events read statements off the same quotes the pipeline has just
# extracted. Strong references keep the ids of the compared objects from being reused.
_last: list[tuple[tuple[ZoneDoc, ...], tuple[Entity, ...], list[Quote]]] = []


def extract_quotes(docs: Sequence[ZoneDoc], entities: Sequence[Entity]) -> list[Quote]:
    """Direct and partial quotes of one article's zones, with speaker entity keys."""
    if _last:
        last_docs, last_entities, last_quotes = _last[0]
        same_docs = len(last_docs) == len(docs) and all(
            a is b for a, b in zip(last_docs, docs, strict=True)
        )
        same_entities = len(last_entities) == len(entities) and all(
            a is b for a, b in zip(last_entities, entities, strict=True)
        )
        if same_docs and same_entities:
            return list(last_quotes)
    quotes = _extract_quotes(docs, entities)
    _last[:] = [(tuple(docs), tuple(entities), quotes)]
    return list(quotes)


def _extract_quotes(docs: Sequence[ZoneDoc], entities: Sequence[Entity]) -> list[Quote]:
    index = EntityIndex(entities)
    quotes: list[Quote] = []
    for zdoc in docs:
        quotes.extend(_quotes_of_zone(zdoc, index))
    return quotes
