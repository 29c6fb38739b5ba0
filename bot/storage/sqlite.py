"""SQLite through aiosqlite with one trip to its thread per statement.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes four
calls for a SELECT (make a cursor, execute, fetch all rows, close the cursor) and three for an
INSERT or UPDATE. Each is a round trip between threads: a queue put, a wake-up of the event loop
through its self-pipe, a loop turn. About 30 µs of CPU each, it was most of what a small
statement cost (docs/PERFORMANCE.md). The cursor here does all of it in one trip: on the
connection's thread it executes, fetches every row (SQLAlchemy fetches them all at once on
aiosqlite anyway) and closes the sqlite3 cursor, then answers SQLAlchemy's later calls from what
it brought back. Errors are sqlite3's own, raised by the awaited call as before.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite


def _run(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> tuple[Any, int, Any, list[Any]]:
    """On the connection's thread: the whole statement, and everything the caller may ask after."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        # Read after the rows: SQLite counts an UPDATE ... RETURNING's rows as they are stepped.
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The part of aiosqlite's `Cursor` that SQLAlchemy uses, one thread trip per statement."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._execute(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> OneTripCursor:
        return await self._execute(True, sql, parameters)

    async def _execute(self, many: bool, sql: str, parameters: Any) -> OneTripCursor:
        # `_conn` raises "no active connection" here, in the caller, as aiosqlite's own calls do.
        result = await self._connection._execute(_run, self._connection._conn, many, sql, parameters)
        self.description, self.rowcount, self.lastrowid, rows = result
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are `OneTripCursor`s; everything else is aiosqlite's."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def use_one_trip_cursors(driver_connection: aiosqlite.Connection) -> None:
    """Called as SQLAlchemy connects: the connection aiosqlite made, with these cursors. (Its class
    is changed rather than the connection made here, so SQLAlchemy's own connect arguments and
    thread set-up stay exactly as they are.)"""
    driver_connection.__class__ = OneTripConnection


def rollback_if_in_transaction(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    """The pool's reset of a connection handed back, for an engine made with
    `pool_reset_on_return=None`. SQLAlchemy rolls back every connection handed back, even one
    whose transaction was just committed (it cannot tell); on aiosqlite each rollback is one more
    trip to the connection's thread, one in five of a small transaction's. SQLite itself knows
    whether a transaction is open (`in_transaction`; nothing else runs on the connection while it
    is handed back), so only then is it rolled back, as the pool would have done."""
    if reset_state.terminate_only or not reset_state.asyncio_safe:
        return  # being discarded, or outside the event loop: the pool itself would not roll back either
    driver = dbapi_connection.driver_connection
    if driver is not None and driver._conn is not None and driver._conn.in_transaction:
        dbapi_connection.rollback()
