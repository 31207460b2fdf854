"""An answer as stored and served (``app.kb.answers``): its bytes, ETag and what it shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from app import __version__
from app.kb.shown import Shown

# Bump when an answer's bytes change while its schema does not (an order, a rounding).
ANSWER_REVISION = 1


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    etag: str
    shown: Shown | str  # a stored answer's is its JSON, read only if the read cache keeps it


def strong_etag(body: bytes) -> str:
    """The ETag of an answer's bytes (any single resource's, not only a stored one)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@cache
def format_of(model: type[BaseModel]) -> str:
    """The code that builds ``model``'s answers: NewsKB's version, the schema, the revision.
    A stored answer of another format is never served."""
    schema = json.dumps(model.model_json_schema(mode="serialization"), sort_keys=True)
    digest = hashlib.sha256(f"{__version__}\n{ANSWER_REVISION}\n{schema}".encode()).hexdigest()
    return f"{__version__}-{ANSWER_REVISION}-{digest[:16]}"
