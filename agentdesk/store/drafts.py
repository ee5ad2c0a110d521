"""Composer drafts (one reply and one note per conversation) and canned replies."""

from __future__ import annotations

from agentdesk import clock
from agentdesk.store.database import Database


class Drafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, conversation_id: int, kind: str = "reply") -> str:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM drafts WHERE conversation_id = ? AND kind = ?",
                (conversation_id, kind),
            ).fetchone()
        return row[0] if row else ""

    def save(self, conversation_id: int, kind: str, body: str) -> None:
        """Upsert the composer text; an empty body removes the draft."""
        with self.db.transaction() as conn:
            if body.strip():
                conn.execute(
                    "INSERT INTO drafts (conversation_id, kind, body, updated_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (conversation_id, kind) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at",
                    (conversation_id, kind, body, clock.now_iso()),
                )
            else:
                self.discard(conversation_id, kind)

    def discard(self, conversation_id: int, kind: str) -> None:
        """Remove the draft (a sent reply or note takes its place)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM drafts WHERE conversation_id = ? AND kind = ?", (conversation_id, kind)
            )


class CannedReplies:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            return [
                (r[0], r[1])
                for r in conn.execute("SELECT name, body FROM canned_replies ORDER BY name")
            ]

    def save(self, name: str, body: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO canned_replies (name, body) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                (name, body),
            )
