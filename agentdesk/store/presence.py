"""Presence: which desks are running, who works each, what it shows and types (not events)."""

from __future__ import annotations

from agentdesk.domain import Online, Presence
from agentdesk.store.database import Database, Row

_COLUMNS = "p.desk, p.agent, p.conversation_id, p.activity, p.seen_at"


class PresenceTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def beat(
        self,
        desk: str,
        agent: str,
        conversation_id: int | None,
        activity: str,
        at: str,
        online_since: str | None = None,
        here_since: str | None = None,
    ) -> None:
        """Desk ``desk`` is alive at ``at``, worked by ``agent`` since ``online_since``,
        showing ``conversation_id`` since ``here_since`` (both default to ``at``)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO presence (desk, agent, conversation_id, activity, seen_at,"
                " online_since, here_since) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (desk) DO UPDATE SET"
                " agent = excluded.agent, conversation_id = excluded.conversation_id,"
                " activity = excluded.activity, seen_at = excluded.seen_at,"
                " online_since = excluded.online_since, here_since = excluded.here_since",
                (desk, agent, conversation_id, activity, at, online_since or at, here_since or at),
            )

    def leave(self, desk: str) -> None:
        """Desk ``desk`` closed."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM presence WHERE desk = ?", (desk,))

    def alive(self, since: str) -> list[Presence]:
        """Every desk heard from at ``since`` or later (older rows are gone desks)."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, p.online_since, p.here_since FROM presence p"
                " WHERE p.seen_at >= ? ORDER BY p.agent, p.desk",
                (since,),
            ).fetchall()
        return [_presence(r) for r in rows]

    def online(self, since: str) -> list[Online]:
        """``alive``, with the customer and subject of the conversation each desk shows."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, p.online_since, p.here_since, cu.name, c.subject"
                " FROM presence p LEFT JOIN conversations c ON c.id = p.conversation_id"
                " LEFT JOIN customers cu ON cu.id = c.customer_id"
                " WHERE p.seen_at >= ? ORDER BY p.agent, p.desk",
                (since,),
            ).fetchall()
        return [Online(_presence(r), r[7] or "", r[8] or "") for r in rows]

    def forget(self, before: str) -> int:
        """Remove the rows of desks gone since before ``before``; how many."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM presence WHERE seen_at < ?", (before,)).rowcount


def _presence(row: Row) -> Presence:
    return Presence(row[0], row[1], row[2], row[3], row[4], row[5], row[6])
