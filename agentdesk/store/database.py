"""The desk's database connection: one lock, one transaction API, the SQL dialect's name.

Every repository in ``agentdesk.store`` reads and writes through a ``Database``; nothing
outside the store package sees the connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

Connection = sqlite3.Connection
Row = sqlite3.Row


def inserted(cursor: sqlite3.Cursor) -> int:
    """The id of the row an ``INSERT`` just made."""
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT always sets it
        raise RuntimeError("no row was inserted")
    return cursor.lastrowid


class Database:
    """A connection shared by the UI thread and workers, serialised by one lock."""

    dialect = "sqlite"

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # The schema version (``PRAGMA user_version``); below the latest only for a file
        # opened read-only, which is never migrated.
        self.version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        self._lock = threading.RLock()
        self._depth = 0

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
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
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
    def outside_transaction(self) -> Iterator[Connection]:
        """The connection for statements SQLite refuses inside a transaction (pragmas)."""
        with self._lock:
            if self._depth:
                raise RuntimeError("not allowed inside a transaction")
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
