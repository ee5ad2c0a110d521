"""Opening a desk database: pragmas, version checks, backup and migration."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from agentdesk import clock
from agentdesk.store.schema import MIGRATIONS, SCHEMA_VERSION


class StoreError(Exception):
    """A database that cannot be used; the message is one line for the user."""


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=10.0, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.create_function("is_time", 1, _is_time, deterministic=True)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _is_time(value: object) -> bool:
    """SQL ``is_time(value)``: 1 if the desk can read ``value`` as a time (``clock``)."""
    return clock.try_parse_iso(value) is not None


def open_database(path: Path | str, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    A file from a newer agentdesk is refused before anything is written; an older
    one is copied to ``<name>.v<N>.bak`` and then migrated.
    """
    path_text = str(path)
    exists = path_text != ":memory:" and Path(path_text).exists()
    if exists:
        version = _peek_version(path_text)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path_text}: database schema version {version} is newer than this "
                f"agentdesk supports ({SCHEMA_VERSION}); upgrade agentdesk. Nothing was written."
            )
        if 0 < version < SCHEMA_VERSION and migrate:
            backup = Path(f"{path_text}.v{version}.bak")
            _backup(path_text, backup)
    elif path_text != ":memory:":
        Path(path_text).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path_text)
    if migrate:
        apply_migrations(conn)
    return conn


def _peek_version(path: str) -> int:
    try:
        probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return probe.execute("PRAGMA user_version").fetchone()[0]
        finally:
            probe.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path}: not an agentdesk database ({error})") from None


def _backup(source: str, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(str(target))
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    if not target.exists():  # pragma: no cover - backup API always writes
        shutil.copyfile(source, target)


def apply_migrations(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Apply migrations after the current ``user_version`` up to ``target``."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number in range(current + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise


def _split(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


class Locked:
    """A connection shared by the UI thread and workers, serialised by one lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self):
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (nested calls join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def read(self):
        with self.lock:
            yield self.conn
