"""Whole-desk reads for export and the demo summary, and import's bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator

from agentdesk.store.database import Database, Row
from agentdesk.store.schema import DERIVED_CONVERSATION_KEY, KEYS_VERSION

_COUNTED = (
    "agents",
    "customers",
    "identities",
    "conversations",
    "messages",
    "events",
    "attachments",
    "canned_replies",
)


class Transfer:
    def __init__(self, db: Database) -> None:
        self.db = db

    def table_counts(self) -> dict[str, int]:
        """Row counts of the main tables, plus customers with identities on 2+ channels."""
        with self.db.read() as conn:
            counts = {
                table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in _COUNTED
            }
            counts["linked_customers"] = int(
                conn.execute(
                    "SELECT count(*) FROM (SELECT customer_id FROM identities GROUP BY customer_id"
                    " HAVING count(DISTINCT channel) > 1) AS linked"
                ).fetchone()[0]
            )
        return counts

    def rows(self) -> Iterator[Row]:
        """Every event in log order with its conversation, customer and message."""
        key = "c.key" if self.db.version >= KEYS_VERSION else DERIVED_CONVERSATION_KEY
        with self.db.read() as conn:
            yield from conn.execute(
                f"SELECT e.kind, e.at, e.agent, e.payload, c.uid, {key} AS key, c.channel,"
                " c.subject AS conversation_subject, cu.name AS customer_name,"
                " coalesce((SELECT address FROM identities WHERE customer_id = c.customer_id"
                "   AND channel = c.channel ORDER BY id LIMIT 1),"
                "  (SELECT address FROM identities WHERE customer_id = c.customer_id"
                "   ORDER BY id LIMIT 1)) AS customer,"
                " m.id AS message_id, m.direction, m.author, m.subject, m.body, m.body_html,"
                " m.ext_id, m.message_id_header, m.in_reply_to, m.refs, m.auto,"
                " (SELECT count(*) FROM attachments WHERE message_id = m.id) AS attachments"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " JOIN customers cu ON cu.id = c.customer_id"
                " LEFT JOIN messages m ON m.id = e.message_id ORDER BY e.id"
            )

    def remember_key(self, key: str) -> bool:
        """True the first time ``key`` is seen (import idempotence)."""
        with self.db.transaction() as conn:
            return bool(
                conn.execute(
                    "INSERT INTO import_keys (key) VALUES (?) ON CONFLICT DO NOTHING", (key,)
                ).rowcount
            )
