"""Events the app records as they happen (focus for handle time, assist use).

Each is written in a thread of its own, in the order recorded, with the time it was
recorded, once the agent pauses (``QUIET`` seconds with nothing recorded, as drafts are
written after a pause in typing; ``LONGEST`` at most), those waiting in one
transaction: no key waits for the writes (two PostgreSQL transactions per ``j``
before), and they seldom run beside one. One the database cannot take now (a
PostgreSQL server away, a full disk) is kept and tried again every ``RETRY_DELAY``
seconds: the fact is never lost. The app writes what is left as it closes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from agentdesk import clock
from agentdesk.store import Store

log = logging.getLogger(__name__)

# Writes one event at the ISO time it is given (e.g. a partial of ``store.events.view``).
Write = Callable[..., object]
QUIET = 0.3  # seconds with nothing recorded before the events are written
LONGEST = 2.0  # seconds an event waits at most while others keep coming
RETRY_DELAY = 2.0  # seconds between tries while the database cannot take them


class EventWriter:
    """Writes the recorded events in a thread, oldest first, those waiting in one
    transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._last_recorded = 0.0  # monotonic time of the newest event
        self._pending: list[tuple[Write, str]] = []  # recorded, not written yet
        self._lock = threading.Condition()  # notified when the pending ones are written
        self._wake = threading.Event()
        self._hurry = threading.Event()  # write without waiting for a pause (flush, close)
        self._closing = False
        self._thread: threading.Thread | None = None

    @property
    def unwritten(self) -> list[tuple[Write, str]]:
        """The events recorded and not written yet (the database may be away)."""
        with self._lock:
            return list(self._pending)

    def record(self, write: Write) -> None:
        """Have ``write(at=now)`` called in the writer's thread (after those before it)."""
        with self._lock:
            self._pending.append((write, clock.now_iso()))
            self._last_recorded = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="agentdesk-events", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def flush(self, timeout: float = 2.0) -> None:
        """Write what is recorded now, and wait for it (at most ``timeout`` seconds): a
        reader of the events (the stats screen) sees what the agent just did."""
        self._hurry.set()
        self._wake.set()
        with self._lock:
            self._lock.wait_for(lambda: not self._pending, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is recorded (the app is closing), waiting at most ``timeout``
        seconds; the thread ends."""
        with self._lock:
            self._closing = True
            thread = self._thread
        self._hurry.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _wait_for_a_pause(self) -> None:
        """Until nothing was recorded for ``QUIET`` seconds, ``LONGEST`` at most (at once
        when hurried)."""
        deadline = time.monotonic() + LONGEST
        while not self._hurry.is_set():
            with self._lock:
                until = min(self._last_recorded + QUIET, deadline)
            if until <= time.monotonic():
                return
            self._hurry.wait(until - time.monotonic())

    def _run(self) -> None:
        failed = False
        while True:
            if failed:
                self._hurry.wait(RETRY_DELAY)
            else:
                self._wake.wait()
                self._wait_for_a_pause()
            self._wake.clear()  # before the batch is taken: a later record wakes it again
            self._hurry.clear()
            with self._lock:
                batch, closing = list(self._pending), self._closing
            failed = False
            if batch:
                try:
                    with self.store.atomic():
                        for write, at in batch:
                            write(at=at)
                except Exception as error:  # DATABASE_ERRORS above all: kept, tried again
                    log.warning("events not written yet (%d kept): %s", len(batch), error)
                    failed = True
                else:
                    with self._lock:
                        del self._pending[: len(batch)]
                        self._lock.notify_all()
            if closing:
                return
