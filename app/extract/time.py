"""PLACEHOLDER: being written (see issue 3)."""

from collections.abc import Sequence
from datetime import date

from app.extract.nlp import ZoneDoc
from app.extract.types import Timex


def extract_timexes(docs: Sequence[ZoneDoc], *, published: date | None) -> list[Timex]:
    return []
