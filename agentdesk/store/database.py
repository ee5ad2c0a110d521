"""The desk's database connection: one lock, one transaction API, the engine's dialect.

Every repository in ``agentdesk.store`` reads and writes through a ``Database``; nothing
outside the store package sees the connection. The connection is a ``sqlite3``
connection or a ``PostgresConnection``; both take the store's SQL (``?`` placeholders)
and return rows that read by position and by name.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from agentdesk.store.dialect import Dialect


class StoreError(Exception):
    """A database that cannot be used; the message is one line for the user."""


class DatabaseError(Exception):
    """A statement PostgreSQL refused (SQLite raises ``sqlite3.Error``)."""


class IntegrityError(DatabaseError):
    """A constraint said no: a duplicate key, or a change to the append-only events."""


class ConnectionLost(DatabaseError):
    """The database server went away; the statement (and its transaction) did not run.
    The next statement tries to connect again."""


# What a failed statement raises on either engine.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, DatabaseError)


class Row(Protocol):
    """A result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ..., /
    ) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[object]], /) -> Cursor: ...
    def close(self) -> None: ...


def inserted(cursor: Cursor) -> int:
    """The id an ``INSERT ... RETURNING id`` made (the cursor is read to its end)."""
    rows = cursor.fetchall()
    if not rows:  # pragma: no cover - an INSERT ... RETURNING always returns its row
        raise RuntimeError("no row was inserted")
    return int(rows[0][0])


SIDE_READERS = 3  # read-only connections a desk opens for queries side by side, at most


class Database:
    """A connection shared by the UI thread and workers, serialised by one lock; and,
    when ``open_reader`` can make them, read-only connections of their own for queries
    that run side by side (``side_read``)."""

    def __init__(
        self,
        conn: Connection,
        dialect: Dialect,
        version: int,
        open_reader: Callable[[], Connection] | None = None,
    ) -> None:
        self._conn = conn
        self.dialect = dialect
        # The schema version; below the latest only for a desk opened read-only, which
        # is never migrated.
        self.version = version
        self._lock = threading.RLock()
        self._depth = 0
        self._open_reader = open_reader
        self._idle_readers: list[Connection] = []  # side readers between two uses
        self._readers_lock = threading.Lock()
        self._side_slots = threading.BoundedSemaphore(SIDE_READERS)
        self._closed = False

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error; nested calls join the
        outer one, so a caller's unit of work commits as one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute(self.dialect.begin)
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                with suppress(ConnectionLost):  # a dropped connection rolled back already
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A nested unit inside a transaction: undone alone if its body raises."""
        with self.transaction() as conn:
            conn.execute("SAVEPOINT unit")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                raise
            conn.execute("RELEASE unit")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """The connection for reads (inside the caller's transaction, if any)."""
        with self._lock:
            yield self._conn

    @contextmanager
    def read_with(self, settings: list[str]) -> Iterator[Connection]:
        """The connection for reads under planner ``settings`` (``SET LOCAL`` statements):
        in a transaction of their own (or the caller's), plain ``read`` when there are none."""
        if not settings:
            with self.read() as conn:
                yield conn
            return
        with self.transaction() as conn:  # SET LOCAL lasts until its COMMIT
            for statement in settings:
                conn.execute(statement)
            yield conn

    @property
    def side_by_side(self) -> bool:
        """Whether ``side_read`` gives connections of their own (not on an in-memory desk)."""
        return self._open_reader is not None

    @contextmanager
    def side_read(self, settings: list[str]) -> Iterator[Connection]:
        """A read-only connection of its own, under planner ``settings`` (``SET LOCAL``),
        so that several queries run at once, each in a thread (the engines work outside
        Python's lock: ``MetricQueries.read_period``). Each sees what was committed as it
        starts. At most ``SIDE_READERS`` are open at once (more wait their turn); each is
        kept for the next read, or closed after an error. The shared connection
        (``read_with``) where there is no reader to open (an in-memory desk).
        """
        if self._open_reader is None:
            with self.read_with(settings) as shared:
                yield shared
            return
        with self._side_slots:
            with self._readers_lock:
                if self._closed:
                    raise StoreError("the desk was closed")
                conn = self._idle_readers.pop() if self._idle_readers else None
            if conn is None:
                conn = self._open_reader()
            try:
                if settings:
                    try:
                        conn.execute("BEGIN")
                    except ConnectionLost:  # kept while the server dropped it: made again
                        conn.execute("BEGIN")
                    for statement in settings:
                        conn.execute(statement)
                yield conn
                if settings:
                    conn.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    conn.close()
                raise
            with self._readers_lock:
                if not self._closed:
                    self._idle_readers.append(conn)
                    return
            conn.close()  # the desk closed while it read

    @contextmanager
    def outside_transaction(self) -> Iterator[Connection]:
        """The connection for statements refused inside a transaction (pragmas, VACUUM)."""
        with self._lock:
            if self._depth:
                raise RuntimeError("not allowed inside a transaction")
            yield self._conn

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            readers, self._idle_readers = self._idle_readers, []
        for reader in readers:
            with suppress(Exception):
                reader.close()
        with self._lock:
            self._conn.close()
