"""SQL for import/export and the demo summary: full-log reads, savepoints, raw status/events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from agentdesk.domain import Attachment, Status


class TransferMixin:
    """Whole-database reads and the few writes that import needs beyond live use."""

    db: object  # Locked, set by Store

    def table_counts(self) -> dict[str, int]:
        """Row counts of the main tables, plus customers with identities on 2+ channels."""
        with self.db.read() as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in (
                    "agents",
                    "customers",
                    "identities",
                    "conversations",
                    "messages",
                    "events",
                    "attachments",
                    "canned_replies",
                )
            }
            counts["linked_customers"] = conn.execute(
                "SELECT count(*) FROM (SELECT customer_id FROM identities GROUP BY customer_id"
                " HAVING count(DISTINCT channel) > 1)"
            ).fetchone()[0]
        return counts

    # ---- export --------------------------------------------------------------------------
    def iter_transfer_rows(self) -> Iterator[sqlite3.Row]:
        """Every event in log order with its conversation, customer and message."""
        with self.db.read() as conn:
            yield from conn.execute(
                "SELECT e.kind, e.at, e.agent, e.payload, c.uid, c.channel,"
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

    def attachments_with_data(self, message_id: int) -> list[Attachment]:
        """A message's attachments including their bytes."""
        with self.db.read() as conn:
            return [
                Attachment(r[0], r[1], r[2], r[3])
                for r in conn.execute(
                    "SELECT filename, size, content_type, data FROM attachments"
                    " WHERE message_id = ? ORDER BY id",
                    (message_id,),
                )
            ]

    def customer_tags_by_address(self) -> list[tuple[str, list[str]]]:
        """``(first address, tags)`` for every customer with tags."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT (SELECT address FROM identities WHERE customer_id = t.customer_id"
                " ORDER BY id LIMIT 1), group_concat(t.tag, ' ') FROM"
                " (SELECT customer_id, tag FROM customer_tags ORDER BY customer_id, tag) t"
                " GROUP BY t.customer_id ORDER BY t.customer_id"
            ).fetchall()
        return [(address, tags.split()) for address, tags in rows if address]

    # ---- import ----------------------------------------------------------------------------
    @contextmanager
    def savepoint(self):
        """A nested unit inside ``db.transaction()``: undone alone if its body raises."""
        with self.db.transaction() as conn:
            conn.execute("SAVEPOINT import_line")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK TO import_line")
                conn.execute("RELEASE import_line")
                raise
            conn.execute("RELEASE import_line")

    def message_ext_exists(self, ext_id: str) -> bool:
        with self.db.read() as conn:
            return (
                conn.execute("SELECT 1 FROM messages WHERE ext_id = ?", (ext_id,)).fetchone()
                is not None
            )

    def customer_id_for_address(self, address: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT customer_id FROM identities WHERE address = ? ORDER BY id LIMIT 1",
                (address,),
            ).fetchone()
        return row[0] if row else None

    def import_status(
        self,
        conversation_id: int,
        status: Status | str,
        agent: str | None,
        *,
        at: str,
        until: str | None = None,
        until_reply: bool = False,
        reason: str | None = None,
    ) -> bool:
        """``set_status`` that also keeps the event's ``reason`` (e.g. "snooze ended")."""
        with self.db.transaction() as conn:
            return self._set_status(
                conn,
                conversation_id,
                Status(status),
                at,
                agent,
                until=until,
                until_reply=until_reply,
                reason=reason,
            )

    def import_event(
        self, conversation_id: int, kind: str, at: str, agent: str | None, payload: dict
    ) -> None:
        """Append an event of a kind this version has no action for (kept verbatim)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO events (conversation_id, kind, at, agent, payload)"
                " VALUES (?, ?, ?, ?, ?)",
                (conversation_id, kind, at, agent, json.dumps(payload, sort_keys=True)),
            )
