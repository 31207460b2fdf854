"""Events: trigger words (``triggers``) plus arguments from the parse (``event_args``), then the
mentions of one event within an article merged into one ``Event`` with several evidence spans.

Two drafts are the same event when they have the same type and either name the same event
entity ("Zapad-2021"), or share a participant with compatible dates and locations. Drafts with
no participant, no name (and, for most types, no place) are dropped: too vague to be useful.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from app.extract.event_args import ArgumentReader, read_amounts, read_date, read_status
from app.extract.failures import guard
from app.extract.mention_index import EntityIndex
from app.extract.nlp import ZoneDoc
from app.extract.quotes import extract_quotes, find_quote_groups
from app.extract.triggers import find_trigger, is_negated
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


def _drafts_of_zone(
    zdoc: ZoneDoc,
    index: EntityIndex,
    timexes: Sequence[Timex],
    amounts: Sequence[Amount],
    published: date | None,
) -> list[_Draft]:
    reader = ArgumentReader(zdoc, index)
    quoted = [(p.start, p.end) for g in find_quote_groups(zdoc.text) for p in g.pieces]
    zone_timexes = [t for t in timexes if _same_zone(t.span, zdoc)]
    drafts: list[_Draft] = []
    for sent in zdoc.doc.sents:
        for token in sent:
            if any(s <= token.idx < e for s, e in quoted):
                continue  # what someone says will happen is not reported fact
            trigger = find_trigger(token)
            if trigger is None or is_negated(token):
                continue
            with guard("events", zdoc, token.idx, token.idx + len(token)):  # this trigger only
                args = reader.read(trigger)
                segment = _segment(zdoc.text, sent.start_char, sent.end_char, token.idx)
                start, end, precision = read_date(reader, trigger, zone_timexes, segment)
                status = read_status(reader, trigger, zdoc.zone)
                if published is not None:
                    if start is not None and start > published and status != "expected":
                        status = "expected"
                    elif end is not None and end < published:
                        status = "occurred"  # all of it lies before publication
                drafts.append(
                    _Draft(
                        type=trigger.type,
                        status=status,
                        participants=args.participants,
                        location_key=args.location_key,
                        name_key=args.name_key,
                        date_start=start,
                        date_end=end,
                        precision=precision,
                        amounts=list(read_amounts(reader, trigger, amounts)),
                        evidence=[zdoc.span(*segment)],
                        evidence_text=[zdoc.text[segment[0] : segment[1]]],
                    )
                )
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
    if draft.participants or draft.name_key:
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
    if a.name_key and b.name_key:
        return a.name_key == b.name_key
    if not (a.keys & b.keys) or not _dates_compatible(a, b):
        return False
    return a.location_key is None or b.location_key is None or a.location_key == b.location_key


def _merge_into(target: _Draft, other: _Draft) -> None:
    for key, role in other.participants:
        if key not in target.keys:
            target.participants.append((key, role))
            target.keys.add(key)
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
    drafts: list[_Draft] = []
    for zdoc in docs:
        drafts.extend(_drafts_of_zone(zdoc, index, timexes, amounts, published))
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
            confidence=round(d.confidence, 2),
        )
        for d in merged
    ]
