"""Ids in batches: statements with bounded parameter lists, transactions of bounded size."""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter); ``itertools.batched`` in 3.12."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
