"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence

from app.extract.nlp import ZoneDoc
from app.extract.types import Entity, Role


def extract_entities(docs: Sequence[ZoneDoc]) -> tuple[list[Entity], list[Role]]:
    return [], []
