"""What differs between the two engines, in one place each: JSON fields, full-text
search, the customer search index, bulk loading and what wakes the live watcher. The
interface and SQLite's are here, PostgreSQL's in ``postgres_dialect``.

Everything else in the store is one SQL text for both (``?`` placeholders, ``ON
CONFLICT`` upserts, ``RETURNING id``, ``unixepoch`` and ``group_concat``, which the
PostgreSQL schema defines). Repositories ask ``db.dialect`` for the rest.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk.store.fts import fts_phrase, fts_quote

if TYPE_CHECKING:
    from agentdesk.store.database import Connection, Database
    from agentdesk.store.wakeups import Wakeup


@dataclass(frozen=True)
class Dialect:
    """One engine's SQL for the parts the two engines spell differently."""

    name: str
    begin: str  # opens a write transaction

    def script(self, conn: Connection, sql: str) -> None:
        """Run ``sql``, several statements, in the transaction in progress."""
        raise NotImplementedError

    def by_conversation(self, column: str) -> str:
        """``column`` in a correlated sub-query that should be looked up by conversation
        (the events_conversation_at index), not by ``column``'s own index."""
        raise NotImplementedError

    def epoch(self, column: str) -> str:
        """SQL for the ISO-8601 text ``column`` as whole UTC epoch seconds (``unixepoch``)."""
        return f"unixepoch({column})"

    def joined(self, column: str, rows: str) -> str:
        """A scalar sub-query: the values of ``column`` in ``rows`` (``FROM … WHERE …``)
        joined by spaces, in the order read (NULL or '' when there are none): in
        ascending order when the rows are read through an index on ``column`` (SQLite
        before 3.44 has no ORDER BY in an aggregate; it does not promise that order)."""
        return f"(SELECT group_concat({column}, ' ') {rows})"

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text (or SQL NULL) at ``key`` of a JSON ``column``."""
        raise NotImplementedError

    def contains(self, column: str) -> str:
        """SQL true when the text ``column`` holds one parameter's text anywhere (no
        pattern: ``%`` and ``_`` are themselves)."""
        raise NotImplementedError

    def json_flag(self, column: str, key: str) -> str:
        """SQL for a JSON boolean at ``key`` as 0 or 1 (missing: 0)."""
        raise NotImplementedError

    def json_number(self, column: str, key: str) -> str:
        """SQL for a JSON number at ``key`` (missing: NULL)."""
        raise NotImplementedError

    def message_conversations(self, limited: bool = True, sparse: bool = False) -> str:
        """A sub-query of the conversation ids of the messages matching one phrase
        parameter (``search_phrase``); when ``limited``, of the newest matching messages
        only, up to a second parameter. ``sparse``: few messages match (``is_sparse``)."""
        raise NotImplementedError

    def is_sparse(self, conn: Connection, phrase: str, limit: int) -> bool:
        """Whether so few messages match ``phrase`` that reading every match beats walking
        the messages newest first until ``limit`` of them match."""
        return False

    def among(self, column: str, subquery: str) -> str:
        """SQL true when ``column`` is one of the ids ``subquery`` gives (for a clause
        that is never negated)."""
        return f"{column} IN ({subquery})"

    def customer_match(self) -> str:
        """A sub-query of customer ids whose name or addresses match one phrase parameter."""
        raise NotImplementedError

    def index_customer(self, conn: Connection, customer_id: int, text: str) -> None:
        """Make ``text`` (name and addresses) what finds the customer in ``customer_match``."""
        raise NotImplementedError

    def unindex_customer(self, conn: Connection, customer_id: int) -> None:
        """Take a customer that is about to be deleted out of the search index."""

    def search_phrase(self, words: list[str], prefix: bool = True) -> str:
        """The parameter for ``message_conversations``/``customer_match``: every word required,
        the last one also as a prefix when ``prefix``; user text is never query syntax."""
        raise NotImplementedError

    def cycle_settings(self) -> list[str]:
        """Planner settings for the metrics' cycle query, set for its transaction only."""
        return []

    def metric_settings(self) -> list[str]:
        """Planner settings for every metrics query, set for its transaction only."""
        return []

    def search_settings(self) -> list[str]:
        """Planner settings for a search, set for its transaction only."""
        return []

    def wakeup(self, db: Database, target: str, poll: float, fallback: float) -> Wakeup:
        """What ends the live watcher's wait on the desk at ``target`` (store.wakeups):
        ``poll`` seconds between checks where the engine cannot notify, a look every
        ``fallback`` seconds where a notification can be missed."""
        raise NotImplementedError

    # ---- bulk loading (bench/generate.py) -------------------------------------------------
    def bulk_settings(self) -> tuple[list[str], list[str]]:
        """Statements outside any transaction before a bulk load, and after it."""
        raise NotImplementedError

    def bulk_finish(self) -> list[str]:
        """After a bulk load: index every customer for search, move id sequences on."""
        raise NotImplementedError

    # ---- knowledge base: ranked search, title over tags over body ---------------------
    def kb_any(self, terms: list[str]) -> tuple[str, list[str]]:
        """SQL standing for "any of ``terms``" in ``kb_pool``/``kb_hit``, and its parameters."""
        raise NotImplementedError

    def kb_term(self, term: str) -> str:
        """The parameter standing for one term in ``kb_having``/``kb_count``."""
        raise NotImplementedError

    def kb_pool(self, any_sql: str) -> str:
        """``(id, rank)`` of the articles matching ``any_sql``, best (lowest rank) first;
        after its parameters, one more: the limit."""
        raise NotImplementedError

    def kb_having(self, ids: int) -> str:
        """The ids among ``ids`` parameters (after one term) whose article has the term."""
        raise NotImplementedError

    def kb_hit(self, any_sql: str) -> str:
        """The article row plus its ``snip``; after ``any_sql``'s parameters, the id."""
        raise NotImplementedError

    def kb_count(self) -> str:
        """How many articles contain one term."""
        raise NotImplementedError


@dataclass(frozen=True)
class SqliteDialect(Dialect):
    def by_conversation(self, column: str) -> str:
        return f"{column} || ''"  # an expression: SQLite's planner then skips its index

    def script(self, conn: Connection, sql: str) -> None:
        for statement in split_statements(sql):
            conn.execute(statement)

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '$.{key}')"

    def contains(self, column: str) -> str:
        return f"instr({column}, ?) > 0"

    def json_flag(self, column: str, key: str) -> str:
        return f"coalesce({column} ->> '$.{key}', 0)"

    def json_number(self, column: str, key: str) -> str:
        return f"({column} ->> '$.{key}')"

    def message_conversations(self, limited: bool = True, sparse: bool = False) -> str:
        newest = " ORDER BY rowid DESC LIMIT ?" if limited else ""
        return (
            "SELECT conversation_id FROM messages WHERE id IN"
            f" (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?{newest})"
        )

    def customer_match(self) -> str:
        return "SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?"

    def index_customer(self, conn: Connection, customer_id: int, text: str) -> None:
        self.unindex_customer(conn, customer_id)
        conn.execute("INSERT INTO customers_fts (rowid, name) VALUES (?, ?)", (customer_id, text))

    def unindex_customer(self, conn: Connection, customer_id: int) -> None:
        conn.execute("DELETE FROM customers_fts WHERE rowid = ?", (customer_id,))

    def search_phrase(self, words: list[str], prefix: bool = True) -> str:
        return fts_phrase(words) if prefix else " ".join(fts_quote(w) for w in words)

    def wakeup(self, db: Database, target: str, poll: float, fallback: float) -> Wakeup:
        from agentdesk.store.wakeups import DataVersion

        return DataVersion(db, poll)  # misses no commit: no fallback look

    def bulk_settings(self) -> tuple[list[str], list[str]]:
        relax = [
            "PRAGMA journal_mode = MEMORY",
            "PRAGMA synchronous = OFF",
            "PRAGMA cache_size = -262144",  # 256 MB
            "PRAGMA temp_store = MEMORY",
        ]
        return relax, ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"]

    def bulk_finish(self) -> list[str]:
        return [
            "DELETE FROM customers_fts",
            f"INSERT INTO customers_fts (rowid, name) {CUSTOMER_TEXTS}",
            "INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
            "INSERT INTO customers_fts(customers_fts) VALUES ('optimize')",
        ]

    def kb_any(self, terms: list[str]) -> tuple[str, list[str]]:
        return "?", [" OR ".join(fts_quote(t) for t in terms)]

    def kb_term(self, term: str) -> str:
        return fts_quote(term)

    def kb_pool(self, any_sql: str) -> str:
        return f"SELECT rowid, rank FROM kb_fts WHERE kb_fts MATCH {any_sql} ORDER BY rank LIMIT ?"

    def kb_having(self, ids: int) -> str:
        return f"SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? AND rowid IN ({marks(ids)})"

    def kb_hit(self, any_sql: str) -> str:
        return (
            "SELECT a.*, snippet(kb_fts, 2, '', '', '…', 24) AS snip FROM kb_fts"
            f" JOIN kb_articles a ON a.id = kb_fts.rowid WHERE kb_fts MATCH {any_sql}"
            " AND kb_fts.rowid = ?"
        )

    def kb_count(self) -> str:
        return "SELECT count(*) FROM kb_fts WHERE kb_fts MATCH ?"


# Every customer's searchable text: the name and every address.
CUSTOMER_TEXTS = (
    "SELECT c.id, c.name || ' ' || coalesce(group_concat(i.address, ' '), '') AS text"
    " FROM customers c LEFT JOIN identities i ON i.customer_id = c.id GROUP BY c.id"
)


def split_statements(script: str) -> list[str]:
    """Split a SQLite script into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def marks(n: int) -> str:
    """``n`` placeholders, comma-separated."""
    return ",".join("?" * n)


SQLITE = SqliteDialect("sqlite", "BEGIN IMMEDIATE")
