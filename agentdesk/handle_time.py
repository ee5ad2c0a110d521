"""Handle time: the focus intervals of the conversation the agent is viewing.

A conversation's interval starts when it is shown and ends when the agent leaves it, or
after ``idle_cutoff`` seconds without a key press; the next key starts it again
(``docs/metrics.md``). Each start and end is a ``viewed`` event in the store; one the
database cannot take now (a PostgreSQL server away) is kept, with its time, and written
before the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agentdesk import clock
from agentdesk.store import DATABASE_ERRORS


class HandleTime:
    """Which conversation is in focus, and the idle cut-off that ends its interval."""

    def __init__(
        self,
        store,
        agent: str,
        idle_cutoff: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.agent, self.idle_cutoff = store, agent, idle_cutoff
        self.monotonic = monotonic
        self.viewing: int | None = None
        self.idle = False
        self._last_key = monotonic()
        self._unwritten: list[tuple[int, bool, str | None, str]] = []

    def _view(self, conversation_id: int, focus: bool, reason: str | None = None) -> None:
        """Record a ``viewed`` event, after any the database could not take before."""
        events = [*self._unwritten, (conversation_id, focus, reason, clock.now_iso())]
        try:
            with self.store.atomic():
                for cid, gained, why, at in events:
                    self.store.events.view(cid, self.agent, gained, at=at, reason=why)
        except DATABASE_ERRORS:
            self._unwritten = events
        else:
            self._unwritten = []

    def start(self, conversation_id: int) -> None:
        """The agent is now looking at ``conversation_id``."""
        self._view(conversation_id, True)
        self.viewing, self.idle = conversation_id, False
        self._last_key = self.monotonic()

    def end(self, conversation_id: int, reason: str) -> None:
        """The agent left ``conversation_id`` (``switch``, ``back``, ``exit``)."""
        if self.viewing == conversation_id:
            self._view(conversation_id, False, reason)
            self.viewing, self.idle = None, False

    def key_pressed(self) -> None:
        """A key ends an idle pause: the interval starts again (reason ``active``)."""
        self._last_key = self.monotonic()
        if self.idle and self.viewing is not None:
            self.idle = False
            self._view(self.viewing, True, "active")

    def check_idle(self) -> None:
        """End the interval once the idle cut-off passed without a key (run periodically)."""
        if (
            self.viewing is not None
            and not self.idle
            and self.monotonic() - self._last_key >= self.idle_cutoff
        ):
            self.idle = True
            self._view(self.viewing, False, "idle")
