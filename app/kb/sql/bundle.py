"""Several small reads sent as one statement: a ``UNION ALL`` of same-shaped rows.

A page made of a handful of small reads (an article's roles, quotes, events, their evidence...)
costs a round trip per read on a database server, and on PostgreSQL each round trip costs the
client more CPU than the rows it brings. A ``Bundle`` sends them together: every part becomes
a branch of one ``UNION ALL`` whose rows carry the part's number, its own sort key and its
columns in typed slots (a slot per column type, shared by the parts; ``NULL`` where a part has
fewer columns of that type). The slots of the first branch carry each type, so SQLAlchemy
reads every value as it reads the part's own column (dates, booleans, UTC datetimes). Each
part comes back as a list of named tuples, read by attribute as Core rows are, in its order.

Each part must read only what the shared parameters select (``WHERE article_id = :id``...),
never the rows another part returned: they all run in the same statement.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    cast,
    literal_column,
    null,
    union_all,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

_KIND, _ORDER = "bundle_part", "bundle_order"
# Type families: a slot holds values of one family; NULLs in it are cast to its type.
_FAMILIES: tuple[tuple[str, type[TypeEngine[Any]]], ...] = (
    ("bool", Boolean),
    ("int", Integer),
    ("float", Float),
    ("datetime", DateTime),
    ("date", Date),
    ("str", String),
    ("json", JSON),
)

_PLAIN: dict[str, TypeEngine[Any]] = {family: kind() for family, kind in _FAMILIES}


@dataclass(frozen=True)
class Part:
    """One read of a bundle: ``query``'s columns (their names are the tuple's fields), its
    FROM, WHERE and GROUP BY; ``order`` sorts its rows (a unique key, or ``row_number()``)."""

    query: Select[Any]
    order: ColumnElement[Any]


class Bundle:
    """Named parts read in one statement (built once, at import)."""

    def __init__(self, parts: Mapping[str, Part]) -> None:
        self.names = list(parts)
        columns = [list(part.query.selected_columns) for part in parts.values()]
        slot_types: dict[str, list[TypeEngine[Any]]] = {}
        placed: list[list[tuple[str, int]]] = []  # per part: (family, index) of each column
        for part_columns in columns:
            used: dict[str, int] = {}
            places = []
            for column in part_columns:
                family = _family(column.type)
                index = used.get(family, 0)
                used[family] = index + 1
                types = slot_types.setdefault(family, [])
                if index == len(types):  # NULLs cast to the family's plain type (no length)
                    types.append(_PLAIN.get(family, column.type))
                places.append((family, index))
            placed.append(places)
        slots = [(family, i) for family, types in slot_types.items() for i in range(len(types))]
        position = {slot: 2 + n for n, slot in enumerate(slots)}
        branches = []
        for number, (part, part_columns, places) in enumerate(
            zip(parts.values(), columns, placed, strict=True)
        ):
            own = dict(zip(places, part_columns, strict=True))
            values = [
                own[slot] if slot in own else cast(null(), slot_types[slot[0]][slot[1]])
                for slot in slots
            ]
            branches.append(
                part.query.with_only_columns(
                    literal_column(str(number), Integer).label(_KIND),
                    part.order.label(_ORDER),
                    *(value.label(f"s{n}") for n, value in enumerate(values)),
                    maintain_column_froms=True,
                )
            )
        union = union_all(*branches)
        self.statement: CompoundSelect[Any] = union.order_by(
            union.selected_columns[_KIND], union.selected_columns[_ORDER]
        )
        self._readers: list[tuple[Callable[[Iterable[Any]], Any], Callable[[Any], Any]]] = [
            (
                _row_type(f"{name}_row", [c.name for c in part_columns])._make,
                itemgetter(*(position[place] for place in places)),
            )
            for name, part_columns, places in zip(self.names, columns, placed, strict=True)
        ]

    def read(self, connection: Connection, parameters: Mapping[str, Any]) -> dict[str, list[Any]]:
        """Every part's rows, by part name (an empty list for a part without rows)."""
        found: list[list[Any]] = [[] for _ in self.names]
        readers = self._readers
        for row in connection.execute(self.statement, dict(parameters)):
            number = row[0]
            make, pick = readers[number]
            picked = pick(row)
            found[number].append(make(picked if isinstance(picked, tuple) else (picked,)))
        return dict(zip(self.names, found, strict=True))


def _row_type(name: str, fields: list[str]) -> Any:
    """A named tuple class: rows read by attribute (and ``_asdict()``), as Core rows are."""
    return namedtuple(name, fields)


def _family(type_: TypeEngine[Any]) -> str:
    if isinstance(type_, TypeDecorator):  # its own result processing: a family of its own
        return f"{type(type_).__module__}.{type(type_).__qualname__}"
    for family, kind in _FAMILIES:
        if isinstance(type_, kind):
            return family
    raise TypeError(f"No bundle slot for {type_!r}")
