"""Presence: which desks are running, who works each, what it shows and types (not events)."""

from __future__ import annotations

from agentdesk.domain import Presence
from agentdesk.store.database import Database


class PresenceTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def beat(
        self, desk: str, agent: str, conversation_id: int | None, activity: str, at: str
    ) -> None:
        """Desk ``desk`` is alive, worked by ``agent``, showing ``conversation_id``."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO presence (desk, agent, conversation_id, activity, seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (desk) DO UPDATE SET"
                " agent = excluded.agent, conversation_id = excluded.conversation_id,"
                " activity = excluded.activity, seen_at = excluded.seen_at",
                (desk, agent, conversation_id, activity, at),
            )

    def leave(self, desk: str) -> None:
        """Desk ``desk`` closed."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM presence WHERE desk = ?", (desk,))

    def alive(self, since: str) -> list[Presence]:
        """Every desk heard from at ``since`` or later (older rows are gone desks)."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT desk, agent, conversation_id, activity, seen_at FROM presence"
                " WHERE seen_at >= ? ORDER BY agent, desk",
                (since,),
            ).fetchall()
        return [Presence(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def forget(self, before: str) -> int:
        """Remove the rows of desks gone since before ``before``; how many."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM presence WHERE seen_at < ?", (before,)).rowcount
