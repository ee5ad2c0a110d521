"""Handle time: the focus intervals of the conversation the agent is viewing.

A conversation's interval starts when it is shown and ends when the agent leaves it, or
after ``idle_cutoff`` seconds without a key press; the next key starts it again
(``docs/metrics.md``). Each start and end is a ``viewed`` event in the store, recorded
with its time through the app's ``EventWriter``, which writes it off the UI thread once
the agent pauses (and keeps it while the database cannot take it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from agentdesk.event_writer import EventWriter


class HandleTime:
    """Which conversation is in focus, and the idle cut-off that ends its interval."""

    def __init__(
        self,
        events: EventWriter,
        agent: str,
        idle_cutoff: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.events, self.agent, self.idle_cutoff = events, agent, idle_cutoff
        self.monotonic = monotonic
        self.viewing: int | None = None
        self.idle = False
        self._last_key = monotonic()

    def _view(self, conversation_id: int, focus: bool, reason: str | None = None) -> None:
        """Record a ``viewed`` event."""
        store = self.events.store
        self.events.record(
            partial(store.events.view, conversation_id, self.agent, focus, reason=reason)
        )

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
