"""Events: trigger words (``triggers``) plus arguments from the parse (``event_args``), then the
mentions of one event within an article merged into one ``Event`` with several evidence spans.

Two drafts are the same event when they have the same type and either name the same event
entity ("Zapad-2021"), or share a participant with compatible dates and locations. Drafts with
no participant, no name (and, for most types, no place) are dropped: too vague to be useful.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Span as SpacySpan
from spacy.tokens import Token

from app.extract.event_args import ArgumentReader, read_amounts, read_date, read_status
from app.extract.failures import guard
from app.extract.main_event import main_trigger, same_event_token
from app.extract.mention_index import EntityIndex
from app.extract.nlp import ZoneDoc
from app.extract.quotes import extract_quotes, find_quote_groups
from app.extract.ranges import Ranges
from app.extract.triggers import Trigger, find_trigger, is_negated
from app.extract.types import (
    Amount,
    Entity,
    Event,
    EventStatus,
    EventType,
    Participant,
    Precision,
    Span,
    Timex,
)

LABELS: dict[str, str] = {
    "military_exercise": "military exercise",
    "arms_deal": "arms deal",
    "state_of_emergency": "state of emergency",
}
PLACE_ENOUGH = frozenset({"protest", "attack", "election", "state_of_emergency"})
SPEAKER_TYPES = frozenset({"person", "organization", "country", "group"})
# Roles that a more telling one of another report replaces (counterpart → seller).
LOOSE_ROLES = frozenset({"agent", "counterpart", "participant", "patient"})
INVOLVE_VERBS = frozenset(
    {"involve", "include", "comprise", "feature", "bring", "gather", "mobilize", "draw"}
)


@dataclass
class _Draft:
    type: EventType
    status: EventStatus
    participants: list[tuple[str, str]]
    location_key: str | None
    name_key: str | None
    date_start: date | None
    date_end: date | None
    precision: Precision | None
    amounts: list[int]
    evidence: list[Span]
    evidence_text: list[str]
    confidence: float = 0.8
    trigger: str = ""  # the trigger's lemma
    family: str = ""  # the trigger's family (``other_triggers``; "generic" for a main event)
    anchor: tuple[str, int, int] | None = None  # (zone, zone index, token index) of the trigger
    main: bool = False
    keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.keys = {k for k, _ in self.participants}


def _segment(text: str, start: int, end: int, anchor: int) -> tuple[int, int]:
    """The part of a sentence on the trigger's line (the parser glues subheads to sentences)."""
    line_start = text.rfind("\n", 0, anchor) + 1
    line_end = text.find("\n", anchor)
    line_end = len(text) if line_end < 0 else line_end
    start, end = max(start, line_start), min(end, line_end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _same_zone(span: Span, zdoc: ZoneDoc) -> bool:
    zone = "body" if span.zone == "subhead" else span.zone
    return (zone, span.zone_index) == (zdoc.zone, zdoc.zone_index)


class _ZoneReader:
    """What reading the events of one zone needs: its parse, entities, timexes and amounts."""

    def __init__(
        self,
        zdoc: ZoneDoc,
        index: EntityIndex,
        timexes: Sequence[Timex],
        amounts: Sequence[Amount],
        published: date | None,
    ) -> None:
        self.zdoc, self.amounts, self.published = zdoc, amounts, published
        self.reader = ArgumentReader(zdoc, index)
        pieces = (piece for group in find_quote_groups(zdoc.text) for piece in group.pieces)
        self.quoted = Ranges((piece.start, piece.end) for piece in pieces)
        self.timexes = [t for t in timexes if _same_zone(t.span, zdoc)]

    def in_quote(self, token: Token) -> bool:
        return token.idx in self.quoted

    def draft(self, trigger: Trigger) -> _Draft:
        """The event a trigger reports: its arguments, date and status, its sentence segment
        as evidence."""
        token, zdoc = trigger.token, self.zdoc
        sent = token.sent
        args = self.reader.read(trigger)
        segment = _segment(zdoc.text, sent.start_char, sent.end_char, token.idx)
        start, end, precision = read_date(self.reader, trigger, self.timexes, segment)
        status = _dated_status(
            read_status(self.reader, trigger, zdoc.zone), start, end, self.published
        )
        return _Draft(
            type=trigger.type,
            status=status,
            participants=args.participants,
            location_key=args.location_key,
            name_key=args.name_key,
            date_start=start,
            date_end=end,
            precision=precision,
            amounts=list(read_amounts(self.reader, trigger, self.amounts)),
            evidence=[zdoc.span(*segment)],
            evidence_text=[zdoc.text[segment[0] : segment[1]]],
            trigger=token.lemma_.lower(),
            family=trigger.family,
            anchor=(zdoc.zone, zdoc.zone_index, token.i),
        )


def _dated_status(
    status: EventStatus, start: date | None, end: date | None, published: date | None
) -> EventStatus:
    """A date after publication makes the event expected; one wholly before, occurred."""
    if published is not None:
        if start is not None and start > published and status != "expected":
            return "expected"
        if end is not None and end < published:
            return "occurred"  # all of it lies before publication
    return status


def _drafts_of_zone(zone: _ZoneReader) -> list[_Draft]:
    drafts: list[_Draft] = []
    for token in zone.zdoc.doc:
        if zone.in_quote(token):
            continue  # what someone says will happen is not reported fact
        trigger = find_trigger(token)
        if trigger is not None and not is_negated(token):
            with guard("events", zone.zdoc, token.idx, token.idx + len(token)):  # this one only
                drafts.append(zone.draft(trigger))
    return drafts


def _quote_statements(docs: Sequence[ZoneDoc], entities: Sequence[Entity]) -> list[_Draft]:
    """Someone quoted, in full or in part, made a statement: one draft per attributed quote,
    merged per speaker later. The quote's sentence is the evidence; quotes carry no date."""
    types = {e.key: e.type for e in entities}
    drafts: list[_Draft] = []
    for quote in extract_quotes(docs, entities):
        speaker = quote.speaker_key
        if speaker is None or types.get(speaker) not in SPEAKER_TYPES:
            continue
        with guard("events"):  # this quote's statement only
            zdoc = next((z for z in docs if _same_zone(quote.span, z)), None)
            if zdoc is None:
                continue
            sent = zdoc.doc.char_span(quote.span.start, quote.span.end, alignment_mode="expand")
            bounds = (sent.sent.start_char, sent.sent.end_char) if sent is not None else None
            start, end = bounds or (quote.span.start, quote.span.end)
            segment = _segment(zdoc.text, start, end, quote.span.start)
            drafts.append(
                _Draft(
                    type="statement",
                    status="occurred",
                    participants=[(speaker, "agent")],
                    location_key=None,
                    name_key=None,
                    date_start=None,
                    date_end=None,
                    precision=None,
                    amounts=[],
                    evidence=[zdoc.span(*segment)],
                    evidence_text=[zdoc.text[segment[0] : segment[1]]],
                    confidence=0.6,
                )
            )
    return drafts


def _keep(draft: _Draft) -> bool:
    if draft.main or draft.participants or draft.name_key:
        return True
    return draft.type in PLACE_ENOUGH and draft.location_key is not None


def _dates_compatible(a: _Draft, b: _Draft) -> bool:
    a_start, a_end = a.date_start or a.date_end, a.date_end or a.date_start
    b_start, b_end = b.date_start or b.date_end, b.date_end or b.date_start
    if a_start is None or b_start is None or a_end is None or b_end is None:
        return True
    return a_start <= b_end and b_start <= a_end


def _same_event(a: _Draft, b: _Draft) -> bool:
    if a.type != b.type:
        return False
    if "generic" in (a.family, b.family) and a.trigger != b.trigger:
        return False  # "X chose Y" and "X won Z" are two events
    if a.name_key and b.name_key:
        return a.name_key == b.name_key
    if not (a.keys & b.keys) or not _dates_compatible(a, b):
        return False
    return a.location_key is None or b.location_key is None or a.location_key == b.location_key


def _merge_participants(target: _Draft, other: _Draft) -> None:
    for key, role in other.participants:
        if key not in target.keys:
            target.participants.append((key, role))
            target.keys.add(key)
        elif role not in LOOSE_ROLES:  # "a deal with Russia" / "weapons from Russia": seller
            target.participants = [
                (k, role if k == key and r in LOOSE_ROLES else r) for k, r in target.participants
            ]


def _merge_into(target: _Draft, other: _Draft) -> None:
    _merge_participants(target, other)
    target.location_key = target.location_key or other.location_key
    target.name_key = target.name_key or other.name_key
    narrower = (other.date_start or other.date_end) is not None and (
        (target.date_start or target.date_end) is None
        or (other.precision == "day" and target.precision != "day")
    )
    if narrower:
        target.date_start, target.date_end = other.date_start, other.date_end
        target.precision = other.precision
    target.amounts.extend(i for i in other.amounts if i not in target.amounts)
    for span, text in zip(other.evidence, other.evidence_text, strict=True):
        if span not in target.evidence:
            target.evidence.append(span)
            target.evidence_text.append(text)
    target.main = target.main or other.main
    target.confidence = min(1.0, target.confidence + 0.1)


def _merge(drafts: list[_Draft]) -> list[_Draft]:
    merged: list[_Draft] = []
    for draft in drafts:
        for existing in merged:
            if _same_event(existing, draft):
                _merge_into(existing, draft)
                break
        else:
            merged.append(draft)
    return merged


def _named_event_mentions(
    zdoc: ZoneDoc, index: EntityIndex, amounts: Sequence[Amount], events: list[_Draft]
) -> None:
    """ "Zapad involves 200,000 troops": a sentence about a named event without a trigger word
    adds evidence and amounts to that event."""
    named = {d.name_key: d for d in events if d.name_key}
    for ref in index.mentions_in(zdoc):
        draft = named.get(ref.key)
        span = zdoc.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        if draft is None or span is None:
            continue
        root = span.root
        verb = root.head
        if root.dep_ != "nsubj" or verb.lemma_.lower() not in INVOLVE_VERBS:
            # A subject at the start of a line the parser glued to a subhead above it.
            nxt = zdoc.doc[span.end] if span.end < len(zdoc.doc) else None
            line_start = zdoc.text.rfind("\n", 0, ref.start) + 1
            if nxt is None or nxt.lemma_.lower() not in INVOLVE_VERBS:
                continue
            if zdoc.text[line_start : ref.start].strip():
                continue
            verb = nxt
        sent = root.sent
        segment = _segment(zdoc.text, sent.start_char, sent.end_char, root.idx)
        objects = [t for c in verb.children if c.dep_ == "dobj" for t in c.subtree]
        if objects:
            low, high = objects[0].idx, objects[-1].idx + len(objects[-1])
            for i, amount in enumerate(amounts):
                inside = _same_zone(amount.span, zdoc) and low <= amount.span.start < high
                if inside and i not in draft.amounts:
                    draft.amounts.append(i)
        evidence = zdoc.span(*segment)
        if evidence not in draft.evidence:
            draft.evidence.append(evidence)
            draft.evidence_text.append(zdoc.text[segment[0] : segment[1]])


def _summary(draft: _Draft, index: EntityIndex, amounts: Sequence[Amount]) -> str:
    label = LABELS.get(draft.type, draft.type)
    if draft.type == "other" and draft.trigger:
        label = draft.trigger  # "theft (occurred): ..."
    parts = []
    if draft.name_key:
        label = f"{label} {index.name_of(draft.name_key)}"
    names = [
        index.name_of(k) + (f" ({role})" if role in ("buyer", "seller", "host", "target") else "")
        for k, role in draft.participants
    ]
    if names:
        parts.append(", ".join(names))
    money = [amounts[i].text for i in draft.amounts if amounts[i].kind == "money"]
    counts = [amounts[i].text for i in draft.amounts if amounts[i].kind != "money"]
    parts.extend(money[:1] + counts[:1])
    if draft.location_key:
        parts.append(index.name_of(draft.location_key))
    when = _when(draft)
    if when:
        parts.append(when)
    return f"{label} ({draft.status}): " + " — ".join(parts)


def _when(draft: _Draft) -> str:
    if draft.date_start is None and draft.date_end is not None:
        return f"by {_date_text(draft.date_end, draft.precision)}"
    if draft.date_start is None:
        return ""
    start = _date_text(draft.date_start, draft.precision)
    end = _date_text(draft.date_end, draft.precision) if draft.date_end else start
    return start if start == end else f"{start}/{end}"


def _date_text(day: date, precision: Precision | None) -> str:
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _lead(zone: _ZoneReader, count: int = 2) -> list[SpacySpan]:
    """The first sentences of the body, subheads aside."""
    sents = (
        sent
        for sent in zone.zdoc.doc.sents
        if sent.text.strip() and zone.zdoc.span(sent.start_char, sent.end_char).zone == "body"
    )
    return list(itertools.islice(sents, count))


def _main_sources(zones: Sequence[_ZoneReader]) -> list[tuple[_ZoneReader, list[SpacySpan]]]:
    """Where the main event is read: the headline, then the lead's first sentence."""
    sources = [(z, list(z.zdoc.doc.sents)[:1]) for z in zones if z.zdoc.zone == "title"]
    sources += [(z, _lead(z)[:1]) for z in zones if z.zdoc.zone == "body"]
    return sources


def _main_draft(zones: Sequence[_ZoneReader]) -> _Draft | None:
    """The event the headline reports, else the lead's; the lead adds arguments and a date.
    Without a headline only a trigger of the taxonomy makes the lead's event the main one."""
    has_title = any(z.zdoc.zone == "title" for z in zones)
    body = next((z for z in zones if z.zdoc.zone == "body"), None)
    for zone, sents in _main_sources(zones):
        trigger = next((t for s in sents if (t := main_trigger(s, zone.quoted))), None)
        if trigger is None or (not has_title and trigger.rule.startswith("headline")):
            continue
        draft = zone.draft(trigger)
        if draft.type == "statement" and not draft.participants:
            continue  # "reports claim": no speaker, no statement
        draft.main = True
        if zone.zdoc.zone == "title" and body is not None:
            _support_from_lead(draft, trigger, body, _lead(body))
        return draft
    return None


def _support_from_lead(
    draft: _Draft, trigger: Trigger, body: _ZoneReader, lead: list[SpacySpan]
) -> None:
    """The lead restates the headline in full: its token of the same lemma, or its trigger of
    the same type, adds participants, place and date ("Ex-president dies" / "... died on
    Sunday in Paris")."""
    token = same_event_token(lead, trigger)
    if token is None or body.in_quote(token):
        return
    found = find_trigger(token)
    if found is None or found.type != trigger.type:
        found = Trigger(token, trigger.type, trigger.direction, trigger.family, trigger.rule)
    _merge_into(draft, body.draft(found))


def extract_events(
    docs: Sequence[ZoneDoc],
    *,
    entities: Sequence[Entity],
    timexes: Sequence[Timex],
    amounts: Sequence[Amount],
    published: date | None,
) -> list[Event]:
    """Events of one article's zones, one per real-world event, with evidence spans."""
    index = EntityIndex(entities)
    zones = [_ZoneReader(zdoc, index, timexes, amounts, published) for zdoc in docs]
    drafts = [d for zone in zones for d in _drafts_of_zone(zone)]
    main = _main_draft(zones)
    if main is not None:
        # The main event replaces the draft of its own trigger (it adds the lead's arguments)
        # and comes first, so that the other reports of it merge into it.
        drafts = [main, *(d for d in drafts if d.anchor != main.anchor)]
    drafts.extend(_quote_statements(docs, entities))
    merged = _merge([d for d in drafts if _keep(d)])
    for zdoc in docs:
        _named_event_mentions(zdoc, index, amounts, merged)
    return [
        Event(
            type=d.type,
            status=d.status,
            summary=_summary(d, index, amounts),
            evidence=tuple(d.evidence),
            evidence_text=tuple(d.evidence_text),
            participants=tuple(Participant(k, role) for k, role in d.participants),
            location_key=d.location_key,
            date_start=d.date_start,
            date_end=d.date_end,
            date_precision=d.precision,
            amount_indexes=tuple(sorted(d.amounts)),
            name_key=d.name_key,
            trigger=d.trigger,
            main=d.main,
            confidence=round(d.confidence, 2),
        )
        for d in merged
    ]
