"""Events the app records as they happen (focus for handle time, assist use).

Each is written in a thread of its own, in the order recorded, with the time it was
recorded, a tenth of a second later (those recorded together in one transaction: the
focus that ends and the one that starts on ``j``): the UI thread does not wait for the
writes (two PostgreSQL transactions per ``j`` before), and they come after the screen
is drawn. One the database cannot take now (a PostgreSQL server away, a full disk) is
kept and tried again every ``RETRY_DELAY`` seconds: the fact is never lost. The app
writes what is left as it closes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from agentdesk import clock
from agentdesk.store import Store

# Writes one event at the ISO time it is given (e.g. a partial of ``store.events.view``).
Write = Callable[..., object]
BATCH_DELAY = 0.1  # seconds from the first event recorded to the writing
RETRY_DELAY = 2.0  # seconds between tries while the database cannot take them


class EventWriter:
    """Writes the recorded events in a thread, oldest first, those waiting in one
    transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[tuple[Write, str]] = []  # recorded, not written yet
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
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
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="agentdesk-events", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is recorded (the app is closing), waiting at most ``timeout``
        seconds; the thread ends."""
        self._closing.set()
        with self._lock:
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        failed = False
        while True:
            if not failed:
                self._wake.wait()
            # (at once when the app closes)
            self._closing.wait(RETRY_DELAY if failed else BATCH_DELAY)
            self._wake.clear()  # before the batch is taken: a later record wakes it again
            closing = self._closing.is_set()
            with self._lock:
                batch = list(self._pending)
            failed = False
            if batch:
                try:
                    with self.store.atomic():
                        for write, at in batch:
                            write(at=at)
                except Exception:  # DATABASE_ERRORS above all: kept, tried again
                    failed = True
                else:
                    with self._lock:
                        del self._pending[: len(batch)]
            if closing:
                return
