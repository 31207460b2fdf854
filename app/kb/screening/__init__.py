"""Watchlist screening: which people and organizations of the knowledge base a list of names
may denote, each match with a score and the reason it matched.

The index (``index.py``) is built from every live person and organization with its aliases,
once per version of the knowledge base: ``IndexCache`` keeps it while the change feed's version
is unchanged, so a screening after the first costs only the lookups.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.db.models import Change, Entity, EntityAlias, EntityStats, Role
from app.errors import InvalidInput
from app.extract.countries import country_by_name
from app.kb.changes import VERSION_WINDOW
from app.kb.screening.index import EntityRow, Hit, ScreeningIndex, collector_paused

KINDS = ("person", "organization")
MAX_NAMES = 500
MAX_LIMIT = 50
# A known country of the entity that differs from the query's lowers the score by this much.
COUNTRY_MISMATCH_PENALTY = 0.1


@dataclass(frozen=True, slots=True)
class NameQuery:
    name: str
    kind: str  # person | organization
    country: str | None = None  # ISO code or name, as given
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    id: int
    name: str
    type: str
    score: float
    reason: str
    matched: str
    query: str
    country_match: bool | None


@dataclass(frozen=True, slots=True)
class Screened:
    """One query's answer: its country as an ISO code, its matches best first."""

    query: NameQuery
    country_code: str | None
    matches: list[Match]


@dataclass(frozen=True, slots=True)
class Screening:
    results: list[Screened]
    entities: int  # how many people and organizations were screened against


class IndexCache:
    """The last index built, with the knowledge-base version it was built at (thread-safe:
    concurrent screenings at a new version wait for one build)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._index: ScreeningIndex | None = None

    def get(self, session: Session) -> ScreeningIndex:
        version = kb_version(session)
        with self._lock:
            if self._index is None or self._version != version:
                self._index = build_index(session)
                self._version = version
            return self._index


def kb_version(session: Session) -> tuple[Any, ...]:
    """The change feed's newest id, its row count in the last window and its newest time: any
    committed write changes it (the time tells apart feeds rolled back to the same id)."""
    newest = session.scalar(select(func.max(Change.id)))
    if newest is None:
        return (0, 0, None)
    count, at = session.execute(
        select(func.count(Change.id), func.max(Change.at)).where(
            Change.id > newest - VERSION_WINDOW
        )
    ).one()
    return (newest, count, str(at))


def country_code(text: str) -> str | None:
    """An ISO 3166-1 code (alpha-2 or alpha-3) or a country's name → its alpha-2 code."""
    text = text.strip()
    if len(text) in (2, 3) and text.isalpha():
        code = text.upper()
        record = (
            pycountry.countries.get(alpha_2=code)
            if len(code) == 2
            else pycountry.countries.get(alpha_3=code)
        )
        if record is not None:
            return str(record.alpha_2)
    found = country_by_name(text)
    if found is not None:
        return found.code
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def screen_names(
    session: Session,
    queries: Sequence[NameQuery],
    *,
    limit: int = 5,
    threshold: float = 0.7,
    cache: IndexCache | None = None,
) -> Screening:
    """Match each query against the index; unknown kinds or countries are refused first."""
    codes = _check(queries, limit=limit, threshold=threshold)
    index = cache.get(session) if cache is not None else build_index(session)
    results = []
    for query, code in zip(queries, codes, strict=True):
        hits = index.kinds[query.kind].search((query.name, *query.aliases), threshold=threshold)
        matches = sorted(
            (m for m in (_match(hit, code) for hit in hits.values()) if m[0].score >= threshold),
            key=lambda pair: pair[1],
        )
        results.append(Screened(query, code, [m for m, _ in matches[:limit]]))
    return Screening(results, index.size)


def _check(queries: Sequence[NameQuery], *, limit: int, threshold: float) -> list[str | None]:
    if not 1 <= len(queries) <= MAX_NAMES:
        raise InvalidInput(f"Give between 1 and {MAX_NAMES} names, not {len(queries)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"`limit` is between 1 and {MAX_LIMIT}, not {limit}.")
    if not 0 <= threshold <= 1:
        raise InvalidInput(f"`threshold` is between 0 and 1, not {threshold}.")
    errors: list[dict[str, Any]] = []
    codes: list[str | None] = []
    for position, query in enumerate(queries):
        if not query.name.strip():
            errors.append(_error(position, "name", "The name is empty."))
        if query.kind not in KINDS:
            errors.append(_error(position, "kind", f"`kind` is one of {', '.join(KINDS)}."))
        code = country_code(query.country) if query.country else None
        if query.country and code is None:
            errors.append(_error(position, "country", f"Unknown country {query.country!r}."))
        codes.append(code)
    if errors:
        raise InvalidInput(
            f"{len(errors)} name(s) cannot be screened: {errors[0]['msg']}", errors=errors
        )
    return codes


def _error(position: int, key: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", "names", position, key], "msg": message, "type": "value_error"}


def _match(hit: Hit, code: str | None) -> tuple[Match, tuple[Any, ...]]:
    """The match and its sort key: score, then a country that agrees, then the better known."""
    entity = hit.entity
    agrees = None if code is None or not entity.countries else code in entity.countries
    score = hit.score - (COUNTRY_MISMATCH_PENALTY if agrees is False else 0.0)
    match = Match(
        id=entity.id,
        name=entity.name,
        type=entity.type,
        score=round(max(score, 0.0), 3),
        reason=hit.reason,
        matched=hit.matched,
        query=hit.query_form,
        country_match=agrees,
    )
    return match, (-match.score, agrees is not True, -entity.mentions, entity.id)


def build_index(session: Session) -> ScreeningIndex:
    """Read every live person and organization with aliases and countries, and index them."""
    with collector_paused():
        return ScreeningIndex.build(load_entities(session))


def load_entities(session: Session) -> list[EntityRow]:
    live = (Entity.merged_into_id.is_(None), Entity.type.in_(KINDS))
    aliases: dict[int, list[str]] = defaultdict(list)
    for entity_id, alias in session.execute(
        select(EntityAlias.entity_id, EntityAlias.alias)
        .join(Entity, Entity.id == EntityAlias.entity_id)
        .where(*live)
    ):
        aliases[entity_id].append(alias)
    countries: dict[int, set[str]] = defaultdict(set)
    country = aliased(Entity)
    for person_id, of_code in session.execute(
        select(Role.person_id, country.country_code)
        .join(country, country.id == Role.of_id)
        .where(country.type == "country", country.country_code.is_not(None))
        .distinct()
    ):
        countries[person_id].add(str(of_code))
    rows = session.execute(
        select(
            Entity.id,
            Entity.type,
            Entity.name,
            Entity.country_code,
            func.coalesce(EntityStats.mention_count, 0),
        )
        .outerjoin(EntityStats, EntityStats.entity_id == Entity.id)
        .where(*live)
        .order_by(Entity.id)
    )
    return [
        EntityRow(
            id=entity_id,
            type=type_,
            name=name,
            aliases=tuple(sorted(aliases.get(entity_id, ()))),
            countries=frozenset(countries.get(entity_id, set()) | ({code} if code else set())),
            mentions=mentions,
        )
        for entity_id, type_, name, code, mentions in rows
    ]
