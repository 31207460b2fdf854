"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence
from datetime import date

from app.extract.nlp import ZoneDoc
from app.extract.types import Amount, Entity, Event, Quote, Role, Timex


def extract_entities(docs: Sequence[ZoneDoc]) -> tuple[list[Entity], list[Role]]:
    return [], []
