"""What a connector keeps in the desk database: keyed state and its own versioned tables.

Built-in connectors (email, Matrix) and plugins use the same ``ConnectorData``, which
the host's store hands out per configured connector (``store.connector_data(name)``).
Every call joins the transaction in progress, so state written in ``recorded()`` (which
the host calls inside the transaction that stores the message) commits with the
message, or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from agentdesk import clock
from agentdesk.store.database import Database, Row

# One migration: SQL both engines take, or the SQL of each engine by its name
# ({"sqlite": ..., "postgresql": ...}) where they differ (ids, types).
Migration = str | Mapping[str, str]


class ConnectorData:
    """The state of the connector configured as ``name`` (its ``[[connectors]]`` name)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name

    # ---- keyed state -------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, else ``default``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT value FROM connector_state WHERE connector = ? AND key = ?",
                (self.name, key),
            ).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (anything ``json.dumps`` takes) under ``key``."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO connector_state (connector, key, value, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (connector, key) DO UPDATE SET"
                " value = excluded.value, updated_at = excluded.updated_at",
                (self.name, key, json.dumps(value, sort_keys=True), clock.now_iso()),
            )

    def delete(self, key: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM connector_state WHERE connector = ? AND key = ?", (self.name, key)
            )

    # ---- the connector's own tables ----------------------------------------------------------
    def tables(self, owner: str, migrations: Sequence[Migration]) -> None:
        """Bring the tables of connector type ``owner`` to ``len(migrations)``.

        Migration N (1-based) runs once per database, in one transaction with the
        version it reaches; never edit a released one, append. A migration is SQL both
        engines take, or a mapping of engine name (``sqlite``, ``postgresql``) to SQL.
        Name the tables after ``owner`` (``filedrop_sent``); every connector configured
        with this type shares them.
        """
        dialect = self.db.dialect
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT version FROM connector_schema WHERE owner = ?", (owner,)
            ).fetchone()
            current = row[0] if row else 0
            for number in range(current + 1, len(migrations) + 1):
                migration = migrations[number - 1]
                if not isinstance(migration, str):
                    if dialect.name not in migration:
                        raise ValueError(f"{owner} migration {number} has no {dialect.name} SQL")
                    migration = migration[dialect.name]
                dialect.script(conn, migration)
            if len(migrations) > current:
                conn.execute(
                    "INSERT INTO connector_schema (owner, version) VALUES (?, ?)"
                    " ON CONFLICT (owner) DO UPDATE SET version = excluded.version",
                    (owner, len(migrations)),
                )

    def execute(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> int:
        """Run one statement on the connector's tables; returns the rows it changed."""
        with self.db.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[Row]:
        """The rows of one query on the connector's tables."""
        with self.db.read() as conn:
            return conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> Row | None:
        with self.db.read() as conn:
            row: Row | None = conn.execute(sql, params).fetchone()
        return row

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Several calls that commit together (joined to the host's transaction, if any)."""
        with self.db.transaction():
            yield
