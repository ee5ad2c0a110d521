"""Opening a SQLite desk file: what a file is, pragmas, version checks, backup, migration."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agentdesk import clock
from agentdesk.store.database import StoreError
from agentdesk.store.dialect import split_statements
from agentdesk.store.schema import (
    APPLICATION_ID,
    DEMO_APPLICATION_ID,
    MIGRATIONS,
    READ_SCHEMA_VERSION,
    SCHEMA_VERSION,
)


@dataclass(frozen=True)
class DeskFile:
    """What is at a database path, found without writing anything (``probe``)."""

    exists: bool  # False: no file, or an empty SQLite file (nothing in it to lose)
    version: int = 0
    demo: bool = False  # made by ``agentdesk demo``


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the desk's pragmas; ``readonly`` opens ``path`` with ``mode=ro``."""
    target = _uri(path, "ro") if readonly else str(path)
    conn = sqlite3.connect(
        target, timeout=10.0, isolation_level=None, check_same_thread=False, uri=readonly
    )
    conn.row_factory = sqlite3.Row
    conn.create_function("is_time", 1, _is_time, deterministic=True)
    conn.create_function("identity_key", 2, identity_key, deterministic=True)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:" and not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _uri(path: Path | str, mode: str) -> str:
    return f"{Path(path).absolute().as_uri()}?mode={mode}"


def _is_time(value: object) -> bool:
    """SQL ``is_time(value)``: 1 if the desk can read ``value`` as a time (``clock``)."""
    return clock.try_parse_iso(value) is not None


def identity_key(kind: str, content: str) -> str:
    """SQL ``identity_key(kind, content)``: a UUID derived from what a row holds."""
    return str(uuid.uuid5(_KEYS, f"{kind}:{content}"))


_KEYS = uuid.UUID("6f1d7c2e-5b0a-4c43-9a56-0d9f3e8a2b71")  # agentdesk's UUIDv5 namespace


def probe(path: Path | str) -> DeskFile:
    """Look at ``path`` read-only: nothing yet, or an agentdesk database.

    Anything else (another program's SQLite file, a file that is not a database, one
    from a newer agentdesk) raises ``StoreError`` and is left as it was. Files written
    before the marker (``PRAGMA application_id``, migration 6) are known by their tables.
    """
    if not Path(path).exists():
        return DeskFile(exists=False)
    if Path(path).is_dir():
        raise StoreError(f"{path}: is a directory, not a database file")
    try:
        conn = sqlite3.connect(_uri(path, "ro"), uri=True, timeout=10.0)
        try:
            marker = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"{path}: not an agentdesk database ({error}); nothing was written"
        ) from None
    if marker == version == 0 and not tables:
        return DeskFile(exists=False)
    if marker not in (APPLICATION_ID, DEMO_APPLICATION_ID) and not (
        marker == 0 and 0 < version <= SCHEMA_VERSION and _tables_at(version) <= tables
    ):
        raise StoreError(
            f"{path}: not an agentdesk database (a SQLite file of another "
            "program); nothing was written"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: database schema version {version} is newer than this "
            f"agentdesk supports ({SCHEMA_VERSION}); upgrade agentdesk. Nothing was written."
        )
    return DeskFile(exists=True, version=version, demo=marker == DEMO_APPLICATION_ID)


@cache
def _tables_at(version: int) -> frozenset[str]:
    """The tables an agentdesk database has at schema ``version``."""
    conn = connect(":memory:")
    try:
        apply_migrations(conn, target=version)
        return frozenset(
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    finally:
        conn.close()


def open_database(path: Path | str, *, readonly: bool = False) -> tuple[sqlite3.Connection, bool]:
    """Open the agentdesk database at ``path``; returns the connection and whether it is new.

    A missing (or empty) file becomes a new desk, unless ``readonly``: then it is an
    error, and an existing file is read as it is, never migrated (if its schema is at
    least ``READ_SCHEMA_VERSION``). Otherwise an older file is copied to
    ``<name>.v<N>.bak`` and then migrated.
    """
    found = probe(path)
    if readonly:
        if not found.exists:
            raise StoreError(f"{path}: no such database")
        if found.version < READ_SCHEMA_VERSION:
            raise StoreError(
                f"{path}: database schema version {found.version} is too old to read; open "
                f"it once with `agentdesk open --db {path}` to upgrade it"
            )
        return connect(path, readonly=True), False
    try:
        if found.exists and found.version < SCHEMA_VERSION:
            _backup(str(path), Path(f"{path}.v{found.version}.bak"))
        elif not found.exists:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
    except (OSError, sqlite3.OperationalError) as error:  # a folder or file we may not write
        raise StoreError(f"{path}: cannot write here ({error})") from None
    apply_migrations(conn)
    return conn, not found.exists


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
            for statement in split_statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
