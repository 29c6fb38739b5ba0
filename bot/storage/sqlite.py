"""SQLite through aiosqlite, with each statement run where it costs least.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes four
calls for a SELECT (make a cursor, execute, fetch all rows, close the cursor) and three for an
INSERT or UPDATE. Each is a round trip between threads: a queue put, a wake-up of the event loop
through its self-pipe, a loop turn, and the two threads taking turns at the GIL. The cursor here
does the whole statement in one call (execute, fetch every row, close the sqlite3 cursor) and
answers SQLAlchemy's later calls from what it brought back.

That call runs on the event loop's thread: the bot's statements take microseconds, and the trip
to the thread cost more than the statement (a third of an enrolment's CPU, docs/PERFORMANCE.md).
The one thing that can make a statement wait is a lock: another connection or process writing.
So the connections are opened without a busy timeout: a statement that meets a lock fails at once
with SQLITE_BUSY, having done nothing, and is run again on the connection's thread, waiting for
the lock as before (`LOCK_WAIT_MS`) while the event loop goes on. Commits take the same two paths.
While anything of a connection's is on its thread (a caller cancelled while waiting does not stop
it there), the connection's next calls queue behind it on the thread, in order, and the event
loop never waits on SQLite's mutex. Errors are sqlite3's own, raised by the awaited call as before.

Batches of hundreds of rows (the drip's claims and confirmations) take tens of milliseconds, long
enough to hold up everyone's replies: statements inside `long_statements()` run on the thread, as
aiosqlite's all did, and the event loop goes on meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite

LOCK_WAIT_MS = 30_000  # how long a statement waits for another writer's lock, on the thread


# sqlite3 connections are made on aiosqlite's thread and used on both; each is used by one caller
# at a time (SQLAlchemy awaits every call), and SQLite's own mutex serialises it in any case.
SQLITE_CONNECT_ARGS = {"timeout": 0, "check_same_thread": False}


_LONG = ContextVar("sqlite_long_statements", default=False)


@contextmanager
def long_statements(long: bool = True) -> Iterator[None]:
    """The statements of this block, in this task, run on their connection's thread; with False,
    where they cost least, even in a task started inside such a block (tasks inherit it)."""
    token = _LONG.set(long)
    try:
        yield
    finally:
        _LONG.reset(token)


def _met_a_lock(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY, with or without its extended code: the statement did nothing and may be retried."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_BUSY


def _waiting_for_locks(connection: sqlite3.Connection, work: Any, *args: Any) -> Any:
    """On the connection's thread: `work(connection, *args)`, with SQLite's busy handler waiting
    for the lock."""
    connection.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    try:
        return work(connection, *args)
    finally:
        connection.execute("PRAGMA busy_timeout=0")


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


class WholeStatementCursor:
    """The part of aiosqlite's `Cursor` that SQLAlchemy uses, each statement in one call."""

    def __init__(self, connection: LoopFirstConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> WholeStatementCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> WholeStatementCursor:
        return await self._execute(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> WholeStatementCursor:
        return await self._execute(True, sql, parameters)

    async def _execute(self, many: bool, sql: str, parameters: Any) -> WholeStatementCursor:
        result = await self._connection.run_here_or_wait(_run, many, sql, parameters)
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


class LoopFirstConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements (`WholeStatementCursor`), commits and rollbacks run
    on the event loop's thread unless they must wait; everything else is aiosqlite's."""

    def cursor(self) -> WholeStatementCursor:  # type: ignore[override]
        return WholeStatementCursor(self)

    _sent_to_thread = 0  # written by the event loop's thread only
    _done_on_thread = 0  # written by the connection's thread only

    async def run_here_or_wait(self, work: Any, *args: Any) -> Any:
        """`work(connection, *args)` on this thread; on aiosqlite's, waiting for the lock, if it met
        one here, if the connection still has something on its thread, or in `long_statements()`."""
        # `_conn` raises "no active connection" here, in the caller, as aiosqlite's own calls do.
        connection = self._conn
        if self._sent_to_thread == self._done_on_thread and not _LONG.get():
            was_in_transaction = connection.in_transaction
            try:
                return work(connection, *args)
            except sqlite3.OperationalError as error:
                if not _met_a_lock(error):
                    raise
                if not was_in_transaction and connection.in_transaction:
                    # Only the BEGIN sqlite3 put before this first write: its read snapshot would
                    # make SQLite refuse at once, without waiting, when the write is tried again.
                    connection.rollback()
        self._sent_to_thread += 1
        return await self._execute(self._on_thread, connection, work, *args)

    def _on_thread(self, connection: sqlite3.Connection, work: Any, *args: Any) -> Any:
        try:
            return _waiting_for_locks(connection, work, *args)
        finally:
            self._done_on_thread += 1

    async def commit(self) -> None:
        await self.run_here_or_wait(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        await self.run_here_or_wait(sqlite3.Connection.rollback)


def run_statements_on_the_loop(driver_connection: aiosqlite.Connection) -> None:
    """Called as SQLAlchemy connects: the connection aiosqlite made, made a `LoopFirstConnection`. (Its class
    is changed rather than the connection made here, so SQLAlchemy's own connect arguments and
    thread set-up stay exactly as they are.) The connection must have been opened with
    `check_same_thread=False` and a busy timeout of 0 (`SQLITE_CONNECT_ARGS`)."""
    driver_connection.__class__ = LoopFirstConnection


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
