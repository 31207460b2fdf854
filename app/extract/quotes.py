"""Quotes: text between double quote marks, with the speaker named by an attribution verb.

A quote group is one quotation, possibly over several paragraphs (each paragraph reopens the
quote and only the last one closes it). Every paragraph piece becomes one ``Quote``; the group
shares its speaker, channel and direct/partial reading. The speaker comes from the subject of a
cue verb (``patterns/quotes.json``, by lemma) outside the quote marks in the same sentence
("..., he said."), "according to X", "X was quoted as saying", or from the sentence just before
("X said: ..."); ``speakers.py`` resolves that subject to an entity or keeps the description of
an unnamed speaker. Quoted titles of works ("the film "Parasite"") are not quotes.
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
from app.extract.ranges import Ranges
from app.extract.speakers import People, Speaker, SpeakerResolver, word_set
from app.extract.types import Entity, Quote

_OPEN = {"“": "”", '"': '"', "„": "“"}  # opening mark → its closing mark
# Words that may stand lowercase inside a title of a work ("Game of Thrones").
_TITLE_SMALL_WORDS = frozenset(
    "a an the of and or in on at to for with from by de la le del von van is".split()
)
_MAX_TITLE_WORDS = 8


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
    paragraph reopens a quote. A quote reopened after a sentence end inside an open quote
    ('"... done. "Next ...') is the same quotation going on, as over a paragraph break that
    was lost (a straight mark with a space before it and a word after it opens)."""
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
            elif opened_at is not None and _reopens(text, opened_at, i, end):
                carry = carry or _Group()
                carry.pieces.append(_Piece(opened_at, i))
                if len(carry.pieces) == 1:
                    groups.append(carry)
                opened_at = i + 1
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


def _reopens(text: str, opened_at: int, i: int, line_end: int) -> bool:
    """An opening mark at ``i`` inside a quote opened at ``opened_at``, right after the end of a
    sentence: "“” for typographic marks, a space before and a word after for straight ones."""
    ch = text[i]
    if ch not in '“"' or i + 1 >= line_end:
        return False
    before = text[opened_at:i].rstrip()
    if not before.endswith((".", "!", "?", "…")) or before == text[opened_at:i]:
        return False
    return ch == "“" or (text[i - 1].isspace() and text[i + 1].isalnum())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _outside(group: _Group, token: Token) -> bool:
    return not any(p.start <= token.idx < p.end for p in group.pieces)


def _inside(token: Token, quoted: Ranges) -> bool:
    return token.idx in quoted


def _spans(groups: Sequence[_Group]) -> Ranges:
    """Every quoted stretch of a zone, closing marks included."""
    return Ranges((p.start - 1, p.end + 1) for g in groups for p in g.pieces)


_NO_QUOTES = Ranges(())


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


def _subject(verb: Token, quoted: Ranges = _NO_QUOTES) -> Token | None:
    """The speaker token of a speech verb: its subject, "X was quoted as saying", or the
    subject of the verb it is coordinated with ("praised ... and said") or that it follows as
    a participle ("X expressed a view, saying"). A subject inside
    quotes ('"A literate population," insisted Mr Sener,') gives way to one outside."""
    head = verb
    if (
        verb.dep_ == "pcomp"
        and verb.head.lower_ == "as"
        and verb.head.head.lemma_ in ("quote", "cite")
    ):
        head = verb.head.head
    for _ in range(3):
        subjects = [
            child
            for child in head.children
            if child.dep_ == "nsubj"
            or (child.dep_ == "nsubjpass" and head.lemma_ in ("quote", "cite"))
        ]
        if subjects:
            outside = [c for c in subjects if not _inside(c, quoted)]
            return (outside or subjects)[0]
        participle = head.dep_ in ("advcl", "xcomp") and head.tag_ == "VBG"  # "..., saying"
        if (head.dep_ == "conj" or participle) and head.head.pos_ in ("VERB", "AUX"):
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
                obj.lower_ in word_set("channel_nouns")
                or obj.lemma_.lower() in word_set("channel_nouns")
                or (prep in ("on", "to", "via") and obj.pos_ == "PROPN")
            ):
                return _phrase(obj)
    return None


def _phrase(token: Token) -> str:
    doc = token.doc
    return doc[token.left_edge.i : token.right_edge.i + 1].text.strip(' ,.;:"“”')


def _speech_verbs(tokens: Sequence[Token], quoted: Ranges) -> list[Token]:
    verbs = word_set("speech_verbs")
    return [
        t
        for t in tokens
        if t.lemma_.lower() in verbs and t.pos_ in ("VERB", "AUX") and not _inside(t, quoted)
    ]


def _colon_verb(zdoc: ZoneDoc, group: _Group) -> Token | None:
    """ "X addressed the public: "...": the verb of a clause that introduces the quote with a
    colon, whatever the verb."""
    lead = zdoc.text[: group.start - 1].rstrip()
    if not lead.endswith(":"):
        return None
    colon = zdoc.doc.char_span(len(lead) - 1, len(lead), alignment_mode="expand")
    if colon is None:
        return None
    head = colon[0].head
    if head.pos_ in ("VERB", "AUX") and head.i < colon[0].i:
        return head
    # The parser hung the colon on the quote's verb: climb from the word before the colon to
    # the first finite verb with a subject ("saw", not "to resolve" in "X saw compromise as the
    # way for the two nations to resolve their differences:").
    token = zdoc.doc[colon[0].i - 1] if colon[0].i > 0 else colon[0]
    while token.i < colon[0].i:
        finite = token.tag_ in ("VBD", "VBZ", "VBP")
        if finite and any(c.dep_ in ("nsubj", "nsubjpass") for c in token.children):
            return token
        if token.head.i == token.i:  # the root (Token objects are made afresh: no "is")
            break
        token = token.head
    return None


def _after_a_full_stop(zdoc: ZoneDoc, group: _Group, verb: Token) -> bool:
    """A verb after a quote that ends its sentence inside the marks ('..." Some analysts
    maintain') belongs to the next sentence: attribution after a quote follows a comma, or
    comes right after a question or exclamation ('"Why?" asked Smith')."""
    if verb.idx < group.end:
        return False
    quoted = zdoc.text[group.pieces[-1].start : group.pieces[-1].end].rstrip()
    if quoted.endswith("."):
        return True
    words_between = len(zdoc.text[group.end : verb.idx].split())
    return quoted.endswith(("?", "!")) and words_between > 3


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


def _title_cased(text: str) -> bool:
    """ "Parasite", "Game of Thrones", "The Girl Who Played With Fire": every word capitalized
    but small ones, and no sentence punctuation inside."""
    words = text.strip(" ,.").split()
    if not 1 <= len(words) <= _MAX_TITLE_WORDS or not words[0][:1].isupper():
        return False
    if re.search(r"[.!?;:]\s", text.strip() + " ") and not text.strip().endswith("."):
        return False
    return all(
        w[:1].isupper() or w.lower() in _TITLE_SMALL_WORDS or not w[:1].isalpha() for w in words
    )


def _work_context(zdoc: ZoneDoc, group: _Group) -> bool:
    """A work noun just before the quote ("the film", "Netflix's series", "a book called"), or a
    verb of works governing it ("starring in", "won for", "directed")."""
    doc = zdoc.doc
    span = doc.char_span(group.start, group.end, alignment_mode="expand")
    if span is None:
        return False
    links = word_set("title_links")
    i = span.start - 1
    while i >= 0 and (doc[i].is_quote or doc[i].lower_ in links):
        i -= 1
    if i >= 0 and doc[i].lemma_.lower() in word_set("work_nouns"):
        return True
    head = span.root.head
    if head.dep_ == "prep" or head.pos_ == "ADP":
        head = head.head
    return not span.start <= head.i < span.end and head.lemma_.lower() in (
        word_set("work_verbs") | word_set("work_nouns")
    )


def _work_titles(zdoc: ZoneDoc, groups: Sequence[_Group]) -> set[str]:
    """Quoted texts that name a work somewhere in the zone: not quotes anywhere in it."""
    titles: set[str] = set()
    for group in groups:
        text = zdoc.text[group.start : group.end]
        if len(group.pieces) == 1 and _title_cased(text) and _work_context(zdoc, group):
            titles.add(text.strip(" ,.").casefold())
    return titles


def _governing_speech_verb(zdoc: ZoneDoc, group: _Group) -> Token | None:
    """For a partial quote: the first speech verb up the parse from the quoted words."""
    span = zdoc.doc.char_span(group.start, group.end, alignment_mode="expand")
    if span is None:
        return None
    verbs = word_set("speech_verbs") | word_set("partial_verbs")
    token = span.root
    for _ in range(8):
        if token.head.i == token.i:
            return None
        token = token.head
        if (
            _outside(group, token)
            and token.lemma_.lower() in verbs
            and token.pos_ == "VERB"
            and _subject(token) is not None
        ):
            return token
    return None


def _quotes_of_zone(zdoc: ZoneDoc, index: EntityIndex, people: People) -> list[Quote]:
    groups = [g for g in find_quote_groups(zdoc.text) if zdoc.text[g.start : g.end].strip()]
    quoted = _spans(groups)
    resolver = SpeakerResolver(zdoc, index, people, quoted)
    works = _work_titles(zdoc, groups)
    quotes: list[Quote] = []
    for group in groups:
        if zdoc.text[group.start : group.end].strip(" ,.").casefold() in works:
            continue
        with guard("quotes", zdoc, group.start, group.end):  # a quote that fails is dropped
            partial = _is_partial(zdoc, group)
            speaker, channel = _attribute(zdoc, group, resolver, quoted, partial)
            if partial and speaker.key is None and speaker.description is None:
                continue  # scare quotes, titles of works: not something anyone is quoted saying
            if speaker.key is not None:
                resolver.note(group.start, speaker.key)
            for piece in group.pieces:
                start, end = _trim(zdoc.text, piece.start, piece.end)
                if start >= end:
                    continue
                quotes.append(
                    Quote(
                        text=zdoc.text[start:end],
                        span=zdoc.span(start, end),
                        speaker_key=speaker.key,
                        channel=channel,
                        direct=not partial,
                        confidence=speaker.confidence,
                        speaker_description=speaker.description,
                    )
                )
    return quotes


def _attribute(
    zdoc: ZoneDoc,
    group: _Group,
    resolver: SpeakerResolver,
    quoted: Ranges,
    partial: bool,
) -> tuple[Speaker, str | None]:
    if partial:
        verb = _governing_speech_verb(zdoc, group)
        if verb is None or (subject := _subject(verb, quoted)) is None:
            return Speaker(confidence=0.5), None
        return resolver.resolve(subject, group.start), _channel(verb)
    sents = _sentences_around(zdoc, group)
    # Attribution lives in the quote's own paragraph(s); the sentence splitter may glue the next.
    first = zdoc.text.rfind("\n", 0, group.start) + 1
    last = zdoc.text.find("\n", group.end)
    last = len(zdoc.text) if last < 0 else last
    tokens = [t for s in sents for t in s if first <= t.idx < last]
    if (source := _according_to(tokens, group)) is not None:
        speaker = resolver.resolve(source, group.start)
        if speaker.key is not None or speaker.description is not None:
            return speaker, None
    verbs = [v for v in _speech_verbs(tokens, quoted) if not _after_a_full_stop(zdoc, group, v)]
    distance = {v.i: min(abs(v.idx - group.start), abs(v.idx - group.end)) for v in verbs}
    penalty = 1.0
    if (introducer := _colon_verb(zdoc, group)) is not None:
        # "X saw compromise as the answer: "..."": the clause right before the colon speaks,
        # unless a cue verb comes right after the quote ('"...," says Hammons, "...').
        right_after = [
            v
            for v in verbs
            if v.idx >= group.end
            and distance[v.i] < 30
            # 'X indicated ...: "...," he said': the pronoun is the colon clause's subject.
            and not ((subject := _subject(v, quoted)) is not None and subject.pos_ == "PRON")
        ]
        verbs = [*right_after, introducer]
        distance = {**distance, introducer.i: 30}
    if not verbs and sents:
        # "X said:" / "X added." just before the quote: in the sentence before it, or in the
        # previous paragraph when the parser glued that paragraph to the quote.
        glued = [t for t in sents[0] if t.idx < first]
        if glued or sents[0].start > 0:
            previous = glued or list(zdoc.doc[sents[0].start - 1].sent)
            if (source := _according_to(previous, group)) is not None:
                speaker = resolver.resolve(source, group.start)
                if speaker.key is not None or speaker.description is not None:
                    return Speaker(speaker.key, speaker.description, 0.7), None
            verbs = _speech_verbs(previous, quoted)
            distance = {v.i: group.start - v.idx for v in verbs}
            lead = zdoc.text[previous[0].idx : group.start].rstrip(' \n"“„')
            penalty = 1.0 if lead.endswith(":") else 0.7
    for verb in sorted(verbs, key=lambda v: distance[v.i]):
        subject = _subject(verb, quoted)
        if subject is not None and _inside(subject, quoted):
            # '"Our team" co-author Jane Doe said': the name in apposition to quoted words.
            subject = next(
                (c for c in subject.children if c.dep_ == "appos" and not _inside(c, quoted)),
                None,
            )
        if subject is None:
            continue
        speaker = resolver.resolve(subject, group.start)
        confidence = speaker.confidence * penalty
        return Speaker(speaker.key, speaker.description, confidence), _channel(verb)
    return Speaker(confidence=0.4), None


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
    people = People(docs, index)
    quotes: list[Quote] = []
    for zdoc in docs:
        quotes.extend(_quotes_of_zone(zdoc, index, people))
    return quotes
