"""PostgreSQL's side of ``agentdesk.store.dialect``: JSON fields, full-text search
(``tsvector`` with the schema's ``agentdesk_fold``), the customer search index, bulk
loading and the live watcher's LISTEN."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk.store.dialect import CUSTOMER_TEXTS, Dialect, marks

if TYPE_CHECKING:
    from agentdesk.store.database import Connection, Database
    from agentdesk.store.wakeups import Wakeup

_WORD = re.compile(r"[^\W_]+")


def _tokens(words: list[str]) -> list[list[str]]:
    """Each word's letter-and-digit runs, the tokens both engines index."""
    return [tokens for tokens in (_WORD.findall(word.lower()) for word in words) if tokens]


# Tables whose ids a bulk load gives explicitly (PostgreSQL's sequences must follow).
_IDENTITY_TABLES = (
    "agents",
    "customers",
    "identities",
    "conversations",
    "messages",
    "attachments",
    "events",
    "canned_replies",
)


def _fold(token: str) -> str:
    """``token`` without accents, as PostgreSQL's ``unaccent`` gives it."""
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


@dataclass(frozen=True)
class PostgresDialect(Dialect):
    def by_conversation(self, column: str) -> str:
        return column  # the planner weighs both indexes itself

    def script(self, conn: Connection, sql: str) -> None:
        conn.execute(sql)  # psycopg runs several statements when there are no parameters

    def epoch(self, column: str) -> str:
        # The schema's unixepoch() is declared IMMUTABLE around a STABLE cast, so the
        # planner never inlines it: each call ran as a function of its own, 5x the cost
        # of this expression (0.4 s of `stats --since 30d` on 1M messages, bench/README.md).
        return f"floor(date_part('epoch', ({column})::timestamptz))::bigint"

    def joined(self, column: str, rows: str) -> str:
        # Built in: the schema's group_concat calls an SQL function for each value, a
        # third of the tag sub-selects of a 100-row inbox page; an ordered string_agg
        # sorts each row's values apart, where ARRAY reads them in the index's order
        # (0.4 ms of a 100-row page, bench/README.md).
        return f"array_to_string(ARRAY(SELECT {column} {rows} ORDER BY {column}), ' ')"

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')"

    def contains(self, column: str) -> str:
        return f"strpos({column}, ?) > 0"

    def json_flag(self, column: str, key: str) -> str:
        return f"coalesce(({column} ->> '{key}')::boolean::int, 0)"

    def json_number(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')::float8"

    def message_conversations(self, limited: bool = True, sparse: bool = False) -> str:
        # The conversation straight from the matching row: looking each message up again
        # by id took a third of a search on 1M messages (bench/README.md). A sparse phrase
        # orders by ``id + 0``, which no index gives: every match is read through the GIN
        # index and the newest kept; otherwise the primary key is walked backwards,
        # testing each message, until enough match.
        order = "id + 0" if sparse else "id"
        newest = f" ORDER BY {order} DESC LIMIT ?" if limited else ""
        return f"SELECT conversation_id FROM messages WHERE search @@ ?::tsquery{newest}"

    def is_sparse(self, conn: Connection, phrase: str, limit: int) -> bool:
        # The planner estimates the matches well but prices testing a message's tsvector
        # far below its cost: it walked 330,000 messages backwards (230 ms) for a word
        # in 1 message of 63, where reading its 15,761 matches takes 45 ms. On 1M
        # messages reading a match cost about 4x testing one message (bench/README.md),
        # so read the matches when 4 * matches < messages walked (limit * total / matches).
        if not phrase:
            return True
        plan = conn.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages WHERE search @@ ?::tsquery", (phrase,)
        ).fetchone()[0]
        matches = float(json.loads(plan)[0]["Plan"]["Plan Rows"])
        total = conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass"
        ).fetchone()[0]
        return 4 * matches * matches < limit * max(float(total), matches)

    def among(self, column: str, subquery: str) -> str:
        # An array of ids is looked up by the primary key; "IN (...)" hashed the few
        # thousand ids and scanned every conversation against them (15-25 ms a search).
        return f"{column} = ANY (ARRAY({subquery}))"

    def customer_match(self) -> str:
        return "SELECT id FROM customers WHERE search @@ ?::tsquery"

    def index_customer(self, conn: Connection, customer_id: int, text: str) -> None:
        conn.execute(
            "UPDATE customers SET search = to_tsvector('simple', agentdesk_fold(?)) WHERE id = ?",
            (text, customer_id),
        )

    def search_phrase(self, words: list[str], prefix: bool = True) -> str:
        # Tokens are letters and digits only, so quoting them as lexemes leaves no syntax; they
        # are folded as the index folds text (agentdesk_fold in the PostgreSQL schema).
        phrases = [[f"'{_fold(t)}'" for t in tokens] for tokens in _tokens(words)]
        if not phrases:
            return ""  # the empty query: matches nothing ("''" is a syntax error)
        if prefix:
            phrases[-1][-1] += ":*"
        return " & ".join("(" + " <-> ".join(p) + ")" for p in phrases)

    def wakeup(self, db: Database, target: str, poll: float, fallback: float) -> Wakeup:
        from agentdesk.store.wakeups import Listener

        return Listener(target, fallback)

    def cycle_settings(self) -> list[str]:
        # The planner guesses a handful of resolves where a month has thousands and joins
        # the materialized cycles to them by nested loops: 62 s for 30 days on 1M
        # messages, 7.6 s with hash joins (bench/README.md).
        return ["SET LOCAL enable_nestloop = off"]

    def metric_settings(self) -> list[str]:
        # The metrics read a few thousand rows of a period and join each to its
        # conversation. Priced as disk seeks (random_page_cost = 4) those lookups lost to
        # hashing all 100,000 conversations, and to parallel workers that scanned them
        # (`stats --since 30d` on 1M messages: 0.8 s of server CPU, 0.6 s with these;
        # bench/README.md). A desk's tables are read from memory.
        return ["SET LOCAL random_page_cost = 1.1", "SET LOCAL max_parallel_workers_per_gather = 0"]

    def search_settings(self) -> list[str]:
        # Two parallel workers read a sparse phrase's matches beside the backend: the
        # same wall time on two cores, twice the CPU (parcel: 210 ms against 68 ms).
        return ["SET LOCAL max_parallel_workers_per_gather = 0"]

    def bulk_settings(self) -> tuple[list[str], list[str]]:
        return ["SET synchronous_commit = off"], ["RESET synchronous_commit"]

    def bulk_finish(self) -> list[str]:
        sequences = [
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            for table in _IDENTITY_TABLES
        ]
        return [
            "UPDATE customers SET search = to_tsvector('simple', agentdesk_fold(t.text))"
            f" FROM ({CUSTOMER_TEXTS}) t WHERE customers.id = t.id",
            *sequences,
        ]

    def kb_any(self, terms: list[str]) -> tuple[str, list[str]]:
        return "(" + " || ".join(["plainto_tsquery('english', ?)"] * len(terms)) + ")", terms

    def kb_term(self, term: str) -> str:
        return term

    def kb_pool(self, any_sql: str) -> str:
        # ts_rank's weights are {D, C, B, A}: body (D) 0.1, tags (B) 0.5, title (A) 1.
        return (
            "SELECT id, -ts_rank('{0.1, 0, 0.5, 1}', search, query.q) AS rank"
            f" FROM kb_articles, (SELECT {any_sql} AS q) AS query WHERE search @@ query.q"
            " ORDER BY rank, id LIMIT ?"
        )

    def kb_having(self, ids: int) -> str:
        return (
            "SELECT id FROM kb_articles WHERE search @@ plainto_tsquery('english', ?)"
            f" AND id IN ({marks(ids)})"
        )

    def kb_hit(self, any_sql: str) -> str:
        return (
            "SELECT a.*, ts_headline('english', a.body, query.q,"
            ' \'StartSel="", StopSel="", MaxWords=24, MinWords=8\') AS snip'
            f" FROM kb_articles a, (SELECT {any_sql} AS q) AS query WHERE a.id = ?"
        )

    def kb_count(self) -> str:
        return "SELECT count(*) FROM kb_articles WHERE search @@ plainto_tsquery('english', ?)"


POSTGRES = PostgresDialect("postgresql", "BEGIN")
