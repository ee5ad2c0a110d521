"""Events the app records as they happen (focus for handle time, assist use).

One the database cannot take now (a PostgreSQL server away, a full disk) is kept, with
the time it happened, and written before the next one: the fact is never lost. Each is
written on the calling thread (the UI thread: one short statement; drafts, written far
more often, go through a worker in the conversation screen).
"""

from __future__ import annotations

from collections.abc import Callable

from agentdesk import clock
from agentdesk.store import DATABASE_ERRORS, Store

# Writes one event at the ISO time it is given (e.g. a partial of ``store.events.view``).
Write = Callable[..., object]


class EventWriter:
    """Writes each event in its own transaction, after any still unwritten."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.unwritten: list[tuple[Write, str]] = []

    def record(self, write: Write) -> None:
        """Call ``write(at=now)`` now, or later if the database cannot take it."""
        events = [*self.unwritten, (write, clock.now_iso())]
        try:
            with self.store.atomic():
                for each, at in events:
                    each(at=at)
        except DATABASE_ERRORS:
            self.unwritten = events
        else:
            self.unwritten = []
