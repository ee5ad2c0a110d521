"""What changed since a desk last looked: the tails of the append-only tables, by id.

Every change another desk makes writes an event (a reply only once it is sent) or a
message row (a queued reply, a note, an inbound message), so reading both tables past
the last ids seen names every conversation that changed, cheaply: each read is a range
scan of a primary key.

On PostgreSQL ids are handed out at insert and committed in any order: a row with a
lower id can appear after a higher one was read. The ids skipped in a read are kept as
holes and looked up again on every later read (until ``HOLE_WINDOW`` newer ids have
passed: a rolled-back insert leaves a hole that never fills).
"""

from __future__ import annotations

from dataclasses import dataclass

from agentdesk.domain import UNSHOWN_EVENTS
from agentdesk.store.database import Connection, Database, Row

TAIL_LIMIT = 5000  # rows read per table and look; a longer burst is read over several
HOLE_WINDOW = 2000  # ids behind the newest for which a skipped id is still looked for


@dataclass(frozen=True)
class Mark:
    """How far a desk has read: the last event and message ids it has seen."""

    event_id: int = 0
    message_id: int = 0
    event_holes: tuple[int, ...] = ()  # ids below event_id not seen yet
    message_holes: tuple[int, ...] = ()


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

        ``viewed`` events (presence has its own table) and assist use change nothing
        another desk shows.
        """
        with self.db.read() as conn:
            events, event_end, event_holes = _tail(
                conn, "events", "id, conversation_id, kind", mark.event_id, mark.event_holes
            )
            messages, message_end, message_holes = _tail(
                conn, "messages", "id, conversation_id", mark.message_id, mark.message_holes
            )
        changed = {row[1] for row in events if row[2] not in UNSHOWN_EVENTS}
        changed.update(row[1] for row in messages)
        return changed, Mark(event_end, message_end, event_holes, message_holes)


def _tail(
    conn: Connection, table: str, columns: str, end: int, holes: tuple[int, ...]
) -> tuple[list[Row], int, tuple[int, ...]]:
    """The rows of ``table`` after ``end`` and in ``holes``; the new end and holes."""
    rows = conn.execute(
        f"SELECT {columns} FROM {table} WHERE id > ? ORDER BY id LIMIT ?", (end, TAIL_LIMIT)
    ).fetchall()
    filled: list[Row] = []
    if holes:
        marks = ",".join("?" * len(holes))
        filled = conn.execute(
            f"SELECT {columns} FROM {table} WHERE id IN ({marks})", holes
        ).fetchall()
    new_end = rows[-1][0] if rows else end
    read = {row[0] for row in rows}
    skipped = [i for i in range(max(end, new_end - HOLE_WINDOW) + 1, new_end) if i not in read]
    found = {row[0] for row in filled}
    kept = [i for i in holes if i not in found and i > new_end - HOLE_WINDOW]
    return [*filled, *rows], new_end, tuple(sorted({*kept, *skipped}))
