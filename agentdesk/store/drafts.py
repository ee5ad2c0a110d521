"""Composer drafts (one reply and one note per conversation and agent) and canned replies."""

from __future__ import annotations

from agentdesk import clock
from agentdesk.store.database import Database


class Drafts:
    """Each agent's own drafts: on a shared database two agents in one conversation
    never load or overwrite each other's text. A draft from before drafts had an owner
    (``agent`` '') is anyone's until someone saves or sends over it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, conversation_id: int, kind: str = "reply", agent: str | None = None) -> str:
        """``agent``'s draft (else the ownerless one); None: the newest of anyone's."""
        mine = "" if agent is None else " AND agent IN (?, '')"
        params = (conversation_id, kind) if agent is None else (conversation_id, kind, agent)
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT body FROM drafts WHERE conversation_id = ? AND kind = ?{mine}"
                " ORDER BY agent = '', updated_at DESC LIMIT 1",
                params,
            ).fetchone()
        return row[0] if row else ""

    def save(self, conversation_id: int, kind: str, body: str, agent: str = "") -> None:
        """Upsert ``agent``'s composer text; an empty body removes the draft."""
        with self.db.transaction() as conn:
            if not body.strip():
                self.discard(conversation_id, kind, agent)
                return
            conn.execute(
                "INSERT INTO drafts (conversation_id, kind, agent, body, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, kind, agent)"
                " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (conversation_id, kind, agent, body, clock.now_iso()),
            )
            if agent:  # the ownerless draft it was loaded from is this agent's now
                conn.execute(
                    "DELETE FROM drafts WHERE conversation_id = ? AND kind = ? AND agent = ''",
                    (conversation_id, kind),
                )

    def discard(self, conversation_id: int, kind: str, agent: str = "") -> None:
        """Remove ``agent``'s draft and an ownerless one (a sent reply or note takes its
        place)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM drafts WHERE conversation_id = ? AND kind = ? AND agent IN (?, '')",
                (conversation_id, kind, agent),
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
