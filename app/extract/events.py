"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence
from datetime import date

from app.extract.nlp import ZoneDoc
from app.extract.types import Amount, Entity, Event, Timex


def extract_events(
    docs: Sequence[ZoneDoc],
    *,
    entities: Sequence[Entity],
    timexes: Sequence[Timex],
    amounts: Sequence[Amount],
    published: date | None,
) -> list[Event]:
    return []
