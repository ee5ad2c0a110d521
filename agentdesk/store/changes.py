"""What changed since a desk last looked: the tails of the append-only tables, by id.

Every change another desk makes writes an event (a reply only once it is sent) or a
message row (a queued reply, a note, an inbound message), so reading both tables past
the last ids seen names every conversation that changed, cheaply: each read is a range
scan of a primary key.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentdesk.domain import EventKind
from agentdesk.store.database import Database

TAIL_LIMIT = 5000  # rows read per table and look; a longer burst is read over several


@dataclass(frozen=True)
class Mark:
    """How far a desk has read: the last event and message ids it has seen."""

    event_id: int = 0
    message_id: int = 0


class Changes:
    def __init__(self, db: Database) -> None:
        self.db = db

    def mark(self) -> Mark:
        """The ends of the tables now: changes made after this are ``since`` it."""
        with self.db.read() as conn:
            event = conn.execute("SELECT max(id) FROM events").fetchone()[0]
            message = conn.execute("SELECT max(id) FROM messages").fetchone()[0]
        return Mark(event or 0, message or 0)

    def since(self, mark: Mark) -> tuple[set[int], Mark]:
        """The conversations changed after ``mark``, and the mark to read from next.

        ``viewed`` events change nothing another desk shows (presence has its own table).
        """
        changed: set[int] = set()
        with self.db.read() as conn:
            events = conn.execute(
                "SELECT id, conversation_id, kind FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (mark.event_id, TAIL_LIMIT),
            ).fetchall()
            messages = conn.execute(
                "SELECT id, conversation_id FROM messages WHERE id > ? ORDER BY id LIMIT ?",
                (mark.message_id, TAIL_LIMIT),
            ).fetchall()
        changed.update(row[1] for row in events if row[2] != EventKind.VIEWED)
        changed.update(row[1] for row in messages)
        return changed, Mark(
            events[-1][0] if events else mark.event_id,
            messages[-1][0] if messages else mark.message_id,
        )
