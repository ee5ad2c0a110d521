"""Bulk loading for benchmark databases: executemany into the normal tables, relaxed durability.

Used by ``bench/generate.py`` only; the app writes through the repositories. Rows go into
the same tables the app uses, so triggers (message full-text index, append-only events)
fire as usual and the result is an ordinary desk database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from agentdesk.store.database import Database
from agentdesk.store.metrics import MetricQueries

_BULK_TABLES = {
    "agents",
    "customers",
    "identities",
    "conversations",
    "conversation_tags",
    "messages",
    "attachments",
    "events",
    "canned_replies",
}
_COLUMN = re.compile(r"^[a-z_]+$")


class Bulk:
    """``load()`` session and ``insert()`` of prepared rows with explicit ids."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def load(self) -> Iterator[None]:
        """One big transaction with durability relaxed (restored afterwards)."""
        relax, restore = self.db.dialect.bulk_settings()
        with self.db.outside_transaction() as conn:
            for statement in relax:
                conn.execute(statement)
            try:
                with self.db.transaction():
                    yield
            finally:
                for statement in restore:
                    conn.execute(statement)

    def insert(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]
    ) -> None:
        """``INSERT INTO table (columns) VALUES (...)`` for every row, in one executemany."""
        if table not in _BULK_TABLES or not all(_COLUMN.match(c) for c in columns):
            raise ValueError(f"bulk insert into {table}({', '.join(columns)}) is not allowed")
        marks = ", ".join("?" * len(columns))
        with self.db.transaction() as conn:
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def next_ids(self) -> dict[str, int]:
        """The next free id of each table with explicit ids (1 for an empty table)."""
        with self.db.read() as conn:
            return {
                table: conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
                for table in ("agents", "customers", "identities", "conversations", "messages")
            }

    def finish(self) -> None:
        """Index the customers for search, bring id sequences past the explicit ids,
        tidy the full-text indexes, compute the kept metric cycles and refresh planner
        statistics."""
        with self.db.transaction() as conn:
            for statement in self.db.dialect.bulk_finish():
                conn.execute(statement)
        MetricQueries(self.db).rebuild()
        with self.db.outside_transaction() as conn:
            conn.execute("ANALYZE")
