"""Find which entity a token or character range of a zone refers to, by mention-span overlap.

Quotes and events read the dependency parse and need the entity behind a token; the entities
module reports mentions as spans, so this index maps one to the other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Token

from app.extract.nlp import ZoneDoc
from app.extract.types import Entity, EntityType


@dataclass(frozen=True, slots=True)
class MentionRef:
    start: int
    end: int
    key: str
    type: EntityType


def _zone_id(zone: str, zone_index: int) -> tuple[str, int]:
    # Subhead mentions carry body offsets: subheads stay in place in the body.
    return ("body", 0) if zone == "subhead" else (zone, zone_index)


class EntityIndex:
    """Entity mentions of one article, per zone, sorted by start offset."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.by_key: dict[str, Entity] = {e.key: e for e in entities}
        mentions: dict[tuple[str, int], list[MentionRef]] = defaultdict(list)
        for entity in entities:
            for mention in entity.mentions:
                zone = _zone_id(mention.span.zone, mention.span.zone_index)
                ref = MentionRef(mention.span.start, mention.span.end, entity.key, entity.type)
                mentions[zone].append(ref)
        self._mentions = {
            zone: sorted(refs, key=lambda r: r.start) for zone, refs in mentions.items()
        }

    def mentions_in(self, zdoc: ZoneDoc) -> list[MentionRef]:
        return self._mentions.get(_zone_id(zdoc.zone, zdoc.zone_index), [])

    def refs_at(self, zdoc: ZoneDoc, start: int, end: int) -> list[MentionRef]:
        """Mentions overlapping ``[start, end)``, largest overlap first."""
        hits = [r for r in self.mentions_in(zdoc) if r.start < end and start < r.end]
        return sorted(hits, key=lambda r: -(min(end, r.end) - max(start, r.start)))

    def key_at(self, zdoc: ZoneDoc, start: int, end: int) -> str | None:
        hits = self.refs_at(zdoc, start, end)
        return hits[0].key if hits else None

    def token_key(self, zdoc: ZoneDoc, token: Token) -> str | None:
        return self.key_at(zdoc, token.idx, token.idx + len(token.text))

    def type_of(self, key: str) -> EntityType | None:
        entity = self.by_key.get(key)
        return entity.type if entity else None

    def name_of(self, key: str) -> str:
        entity = self.by_key.get(key)
        return entity.name if entity else key

    def state_key(self, key: str) -> str:
        """The country a place stands for ("the Kremlin" → Russia) when it acts as an actor."""
        entity = self.by_key.get(key)
        if entity is not None and entity.stands_for and entity.stands_for in self.by_key:
            return entity.stands_for
        return key

    def keys_in_tokens(self, zdoc: ZoneDoc, tokens: Iterable[Token]) -> list[str]:
        """Entity keys mentioned by any of ``tokens``, in token order, without repeats."""
        keys: list[str] = []
        for token in tokens:
            key = self.token_key(zdoc, token)
            if key is not None and key not in keys:
                keys.append(key)
        return keys
