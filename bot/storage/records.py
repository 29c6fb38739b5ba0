"""Rows read with Core as plain records, changed in Python, and written back with executemany.

The drip confirms hundreds of deliveries a second: each changes a few columns of its ledger row
and of its subscriber. As ORM objects, loading them into the identity map and letting the unit of
work find the changes at the commit cost about a quarter of a drip message's Python calls
(docs/PERFORMANCE.md). A `Record` has the row's columns as attributes and remembers what it was
read with; `write_changes` sends one `UPDATE ... WHERE id` per set of changed columns, each an
executemany in id order, and nothing for a record unchanged. (The subscribers' rows are locked,
in id order, when they are read, so the order of the writes cannot deadlock two processes.)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select


class Record:
    """One row: its columns as attributes, which the caller may change."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.__dict__["_read"] = values

    def changes(self) -> dict[str, Any]:
        read = self.__dict__["_read"]
        return {name: value for name, value in vars(self).items() if name in read and read[name] != value}


async def load(session: AsyncSession, query: Select, parameters: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a Core query as records (typed Any: they stand in for the mapped classes,
    whose attributes they have)."""
    result = await session.execute(query, parameters)
    names = tuple(result.keys())
    return [Record(dict(zip(names, row))) for row in result]


async def write_changes(session: AsyncSession, table: Table, records: Iterable[Any]) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: r.id):
        if changed := record.changes():
            groups.setdefault(tuple(sorted(changed)), []).append(
                {"row_id": record.id, **{f"new_{name}": value for name, value in changed.items()}}
            )
    for columns, parameters in groups.items():
        await session.execute(_update(table, columns), parameters)


@lru_cache(maxsize=128)
def _update(table: Table, columns: tuple[str, ...]):
    # (A bound parameter may not share its column's name in an UPDATE's SET.)
    return update(table).where(table.c.id == bindparam("row_id")).values({c: bindparam(f"new_{c}") for c in columns})
