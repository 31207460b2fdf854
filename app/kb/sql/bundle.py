"""Several small reads sent as one statement: a ``UNION ALL`` of same-shaped rows.

A page made of a handful of small reads (an article's roles, quotes, events, their evidence...)
costs a round trip per read on a database server, and on PostgreSQL each round trip costs the
client more CPU than the rows it brings. A ``Bundle`` sends them together: every part becomes
a branch of one ``UNION ALL`` whose rows carry the part's number, its own sort key and its
columns in typed slots (a slot per column type, shared by the parts; ``NULL`` where a part has
fewer columns of that type). Each part comes back as a list of named tuples, read by attribute
as Core rows are, in its order, every value read as the part's own column would be (dates,
booleans, JSON, UTC datetimes): the slot's type converts it. The statement's columns are
untyped, so the driver's values come back as they are and only a part's own columns are
converted, not the ``NULL`` of every other slot (on SQLite about a sixth of the page's read).

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
    LargeBinary,
    Select,
    String,
    cast,
    literal_column,
    null,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

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
    ("bytes", LargeBinary),
)

_PLAIN: dict[str, TypeEngine[Any]] = {family: kind() for family, kind in _FAMILIES}
# A part's row type, the itemgetter of its columns, and (index, converter) of its typed values.
_Reader = tuple[Callable[[Iterable[Any]], Any], Callable[[Any], Any], list[tuple[int, Any]]]


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
            if number == 0:  # the union's columns are typed as its first branch's are
                self._slot_types = [value.type for value in values]
            branches.append(
                part.query.with_only_columns(
                    literal_column(str(number), Integer).label(_KIND),
                    part.order.label(_ORDER),
                    *(
                        type_coerce(value, NullType()).label(f"s{n}")
                        for n, value in enumerate(values)
                    ),
                    maintain_column_froms=True,
                )
            )
        union = union_all(*branches)
        self.statement: CompoundSelect[Any] = union.order_by(
            union.selected_columns[_KIND], union.selected_columns[_ORDER]
        )
        self._parts = [
            (
                _row_type(f"{name}_row", [c.name for c in part_columns])._make,
                [position[place] for place in places],
            )
            for name, part_columns, places in zip(self.names, columns, placed, strict=True)
        ]
        self._readers: dict[tuple[Any, ...], list[_Reader]] = {}

    def read(self, connection: Connection, parameters: Mapping[str, Any]) -> dict[str, list[Any]]:
        """Every part's rows, by part name (an empty list for a part without rows)."""
        found: list[list[Any]] = [[] for _ in self.names]
        result = connection.execute(self.statement, dict(parameters))
        readers = self._readers_for(connection.dialect, result.cursor.description)
        for row in result:
            number = row[0]
            make, pick, convert = readers[number]
            values = pick(row)
            if not isinstance(values, tuple):
                values = (values,)
            if convert:
                values = list(values)
                for index, process in convert:
                    values[index] = process(values[index])
            found[number].append(make(values))
        return dict(zip(self.names, found, strict=True))

    def _readers_for(self, dialect: Dialect, description: Any) -> list[_Reader]:
        """Per part: its row type, the positions of its columns, and how each of its values
        is converted (the slot's type, as SQLAlchemy would convert a typed column), for the
        column types the driver reports (a PostgreSQL float's conversion depends on them)."""
        coltypes = tuple(column[1] for column in description)
        readers = self._readers.get(coltypes)
        if readers is None:
            processors = [
                type_.dialect_impl(dialect).result_processor(dialect, coltype)
                for type_, coltype in zip(self._slot_types, coltypes[2:], strict=True)
            ]
            readers = []
            for make, positions in self._parts:
                convert = [
                    (index, process)
                    for index, position in enumerate(positions)
                    if (process := processors[position - 2]) is not None
                ]
                readers.append((make, itemgetter(*positions), convert))
            self._readers[coltypes] = readers
        return readers


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
