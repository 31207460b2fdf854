"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence

from app.extract.nlp import ZoneDoc
from app.extract.types import Amount


def extract_amounts(docs: Sequence[ZoneDoc]) -> list[Amount]:
    return []
