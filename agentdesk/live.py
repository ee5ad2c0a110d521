"""Live updates between desks on one database: a watcher that reads what changed.

The watcher runs in a worker thread. It waits for a wake-up, reads the conversations
changed since it last looked (``store.changes``) and hands their ids, coalesced, to
``on_change``; with a ``Presences`` it also keeps this desk's presence row beating and
reads everyone else's. What ends the wait is the engine's (``store.wakeup``, a
``Wakeup``): PostgreSQL's LISTEN/NOTIFY as soon as another desk commits, SQLite's
``PRAGMA data_version`` polled. After ``wakeup.fallback`` seconds without one the
watcher looks anyway (PostgreSQL: a NOTIFY missed while reconnecting), and presence has
it look when its heartbeat is due or another desk's row times out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from agentdesk import clock
from agentdesk.domain import Presence
from agentdesk.store import Store
from agentdesk.store.changes import Mark
from agentdesk.store.wakeups import Wakeup
from agentdesk.team import desk_id

log = logging.getLogger(__name__)

MIN_WAIT = 0.05  # the shortest wait between looks that presence asks for


class Presences:
    """This desk's presence and everyone else's.

    The UI sets ``here`` (the conversation shown, None in the inbox, and ``viewing``,
    ``replying`` or ``noting``); ``tick`` (in the watcher's thread) writes it when it
    changed and at least every ``heartbeat`` seconds, and reads the other desks heard
    from within ``timeout`` seconds: a desk that died drops out after that long.
    """

    def __init__(
        self,
        store: Store,
        agent: str,
        timeout: float,
        heartbeat: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.agent = store, agent
        self.timeout, self.heartbeat, self.monotonic = timeout, heartbeat, monotonic
        self.desk = desk_id()  # this run of the desk
        self.online_since = clock.now_iso()
        self.here: tuple[int | None, str] = (None, "viewing")
        self._here_since = self.online_since  # when ``here`` came to its conversation
        self.others: dict[int, tuple[Presence, ...]] = {}  # conversation id -> who is there
        self._written: tuple[int | None, str] | None = None
        self._beaten = float("-inf")

    def tick(self) -> frozenset[int]:
        """Write this desk's row if due, read the others'; the conversations whose
        viewers or typists changed."""
        here, now = self.here, clock.now()
        if here != self._written or self.monotonic() - self._beaten >= self.heartbeat:
            if self._written is not None and here[0] != self._written[0]:
                self._here_since = clock.to_iso(now)
            self.store.presence.beat(
                self.desk,
                self.agent,
                here[0],
                here[1],
                clock.to_iso(now),
                self.online_since,
                self._here_since,
            )
            if self.monotonic() - self._beaten >= self.heartbeat:
                self.store.presence.forget(clock.to_iso(now - timedelta(seconds=self.timeout)))
            self._written, self._beaten = here, self.monotonic()
        since = clock.to_iso(now - timedelta(seconds=self.timeout))
        others: dict[int, list[Presence]] = {}
        for presence in self.store.presence.alive(since):
            if presence.desk != self.desk and presence.conversation_id is not None:
                others.setdefault(presence.conversation_id, []).append(presence)
        seen = {cid: tuple(rows) for cid, rows in others.items()}
        changed = {
            cid
            for cid in seen.keys() | self.others.keys()
            if _shown(seen.get(cid, ())) != _shown(self.others.get(cid, ()))
        }
        self.others = seen
        return frozenset(changed)

    def due(self) -> float:
        """Seconds until this desk's next heartbeat, or until another desk shown now times
        out (its row older than ``timeout``): the watcher looks by then."""
        now = clock.now()
        ages = [clock.since(p.seen_at, now) for rows in self.others.values() for p in rows]
        expiries = [self.timeout - age for age in ages if age is not None]
        beat = self._beaten + self.heartbeat - self.monotonic()
        return max(MIN_WAIT, min([beat, *expiries]))

    def leave(self) -> None:
        """This desk closes: its row goes at once."""
        self.store.presence.leave(self.desk)


def _shown(presences: tuple[Presence, ...]) -> set[tuple[str, str]]:
    """What a screen shows of a conversation's presence (heartbeat times aside)."""
    return {(p.agent, p.activity) for p in presences}


class Watcher:
    """Reads what other desks changed on each wake-up (and every ``wakeup.fallback`` s)."""

    def __init__(
        self,
        store: Store,
        on_change: Callable[[frozenset[int]], None],
        wakeup: Wakeup,
        presences: Presences | None = None,
        on_presence: Callable[[dict[int, tuple[Presence, ...]], frozenset[int]], None]
        | None = None,
    ) -> None:
        self.store, self.on_change = store, on_change
        self.presences, self.on_presence = presences, on_presence
        self.stopped = threading.Event()
        self.wakeup = wakeup
        self.mark: Mark = store.changes.mark()  # what was there before this desk looked

    def look(self) -> frozenset[int]:
        """Read the changes since the last look once; tell ``on_change`` if any (and
        ``on_presence`` when someone came, went or started typing somewhere)."""
        changed, self.mark = self.store.changes.since(self.mark)
        if changed:
            self.on_change(frozenset(changed))
        if self.presences is not None:
            moved = self.presences.tick()
            if moved and self.on_presence is not None:
                self.on_presence(self.presences.others, moved)
        return frozenset(changed)

    def run(self) -> None:
        """Look until ``stop``; a failed look (a locked or closed file) is logged and retried."""
        while not self.stopped.is_set():
            fallback = self.wakeup.fallback
            self.wakeup.wait(min(fallback, self.presences.due()) if self.presences else fallback)
            if self.stopped.is_set():
                break
            try:
                self.look()
            except Exception as error:  # the next look tries again
                log.warning("live updates: %s", error)
        self.wakeup.close()
        if self.presences is not None:
            try:
                self.presences.leave()
            except Exception as error:  # gone after the timeout anyway
                log.warning("presence: %s", error)

    def poke(self) -> None:
        """Look now rather than at the next wake-up (a channel stored a message)."""
        self.wakeup.wake()

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.wake()
