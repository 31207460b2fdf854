"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence

from app.extract.nlp import ZoneDoc
from app.extract.types import Entity, Quote


def extract_quotes(docs: Sequence[ZoneDoc], entities: Sequence[Entity]) -> list[Quote]:
    return []
