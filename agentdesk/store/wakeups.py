"""What ends a live watcher's wait (``agentdesk.live``), one kind per engine.

SQLite (``DataVersion``): every ``poll`` seconds ``PRAGMA data_version``, which changes
when another connection committed to the file; nothing else is read while it stays the
same. PostgreSQL (``Listener``): ``LISTEN agentdesk`` on a connection of its own; the
schema's triggers (migration 16) send ``NOTIFY agentdesk`` in the transaction of every
insert into events or messages and every presence change, so the wait ends when another
desk commits; ``fallback`` says how often the watcher looks without one (a NOTIFY sent
while the connection is being made again is missed; SQLite misses no commit).
``Dialect.wakeup`` picks one; both also end on ``wake()`` (this desk knows something
changed) and after the timeout the watcher gives.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from agentdesk.store.database import StoreError

if TYPE_CHECKING:
    import psycopg

    from agentdesk.store.database import Database

log = logging.getLogger(__name__)

CHANNEL = "agentdesk"  # the NOTIFY channel of postgres_schema's agentdesk_notify()
RETRY_SECONDS = 2.0  # between tries to listen again after the connection was lost
MIN_GAP = 0.1  # a burst of NOTIFYs ends at most one wait per this many seconds


class Wakeup(Protocol):
    """Ends the watcher's wait when something may have changed."""

    fallback: float  # seconds the watcher may go without a look (inf: nothing is missed)

    def wait(self, timeout: float) -> None:
        """Return on a wake-up, or after ``timeout`` seconds."""

    def wake(self) -> None:
        """End the current (or the next) wait now: this desk knows something changed."""

    def close(self) -> None:
        """The watcher stopped: let go of what the waits used."""


class DataVersion:
    """SQLite's wake-up: another connection committed to the file (checked every ``poll``
    seconds with ``PRAGMA data_version``, which reads no table)."""

    fallback = float("inf")

    def __init__(self, db: Database, poll: float) -> None:
        self.db, self.poll = db, poll
        self._woken = threading.Event()
        self._version: int | None = None

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if self._woken.wait(min(self.poll, remaining)):
                break
            if self._committed_elsewhere():
                break
        self._woken.clear()

    def _committed_elsewhere(self) -> bool:
        try:
            with self.db.read() as conn:
                version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:  # the look that follows says what is wrong
            return True
        changed, self._version = version != self._version, version
        return changed

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        """Nothing to let go of: the checks use the desk's own connection."""


class Listener:
    """PostgreSQL's wake-up: a NOTIFY on ``CHANNEL``, heard on a connection of its own.

    The connection is made in the first ``wait`` (the watcher's thread, never the UI's).
    When it is lost (the server restarted, an administrator ended it), waits fall back to
    their timeout and try to listen again every ``RETRY_SECONDS``, logging one line each
    way; a wait that has just (re)connected ends at once, because a NOTIFY sent meanwhile
    was missed and the watcher should look.
    """

    def __init__(self, url: str, fallback: float) -> None:
        self.url, self.fallback = url, fallback
        self._conn: psycopg.Connection[Any] | None = None
        self._retry_at = 0.0
        self._lost = False  # logged as lost, not back yet
        self._last = float("-inf")  # when the last wait ended on a NOTIFY
        self._woken, self._waker = socket.socketpair()
        self._woken.setblocking(False)
        self._waker.setblocking(False)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if self._conn is None and time.monotonic() >= self._retry_at and self._listen():
            return
        # A burst of commits: the changes they made are read together in the next look.
        settle = self._last + MIN_GAP - time.monotonic()
        if settle > 0 and self._sleep(settle):
            return
        sources: list[Any] = [self._woken] + ([self._conn] if self._conn is not None else [])
        ready, _, _ = select.select(sources, [], [], max(0.0, deadline - time.monotonic()))
        if self._woken in ready:
            self._drain_wakes()
        if self._conn is not None and self._conn in ready:
            self._drain_notifies()
            self._last = time.monotonic()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless woken first; whether it was woken."""
        ready, _, _ = select.select([self._woken], [], [], seconds)
        if ready:
            self._drain_wakes()
        return bool(ready)

    def _listen(self) -> bool:
        """Connect and LISTEN; whether it worked (a failure is logged once per outage)."""
        import psycopg

        from agentdesk.store.postgres import listening
        from agentdesk.store.urls import where

        self._retry_at = time.monotonic() + RETRY_SECONDS
        try:
            conn = listening(self.url, CHANNEL)
        except (StoreError, psycopg.Error) as error:
            if not self._lost:
                log.warning("live updates: cannot listen on %s (%s)", where(self.url), _line(error))
                self._lost = True
            return False
        if self._lost:
            log.warning("live updates: listening on %s again", where(self.url))
            self._lost = False
        self._conn = conn
        return True

    def _drain_notifies(self) -> None:
        """Read every NOTIFY that has come (a burst counts once); a connection that broke
        is dropped, to be made again by a later wait."""
        import psycopg

        from agentdesk.store.urls import where

        assert self._conn is not None
        try:
            for _ in self._conn.notifies(timeout=0):
                pass
        except psycopg.Error as error:
            log.warning(
                "live updates: lost the connection to %s (%s)", where(self.url), _line(error)
            )
            self._lost = True
            self._drop()

    def _drain_wakes(self) -> None:
        with contextlib.suppress(OSError):  # BlockingIOError: nothing more to read
            while self._woken.recv(4096):
                pass

    def wake(self) -> None:
        # A full buffer means a wake-up is pending anyway; a closed one, the watcher stopped.
        with contextlib.suppress(OSError):
            self._waker.send(b"\0")

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        self._drop()
        self._woken.close()
        self._waker.close()


def _line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__
