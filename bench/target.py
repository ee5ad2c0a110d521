"""A bench's ``--db``: a SQLite file path or a ``postgresql://`` URL, treated alike.

``exists``, ``remove`` (``--replace``: the file and its WAL, or the database dropped and
created again, empty) and ``size`` (the file with its WAL, or ``pg_database_size``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from agentdesk.store.postgres import _quoted, connect, is_url, probe


def exists(db: str) -> bool:
    """Whether ``db`` already holds something: a file, or a desk in the database (a
    PostgreSQL database that is not there yet is created, empty)."""
    if not is_url(db):
        return Path(db).exists()
    server, name = _maintenance(db)
    conn = connect(server)
    try:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = ?", (name,)).fetchone()
        if found is None:
            conn.execute(f"CREATE DATABASE {_quoted(name)}")
            return False
    finally:
        conn.close()
    return probe(db).exists


def _maintenance(url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database, and the database name of ``url``."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise SystemExit(f"{url}: name a database of its own for the bench (not 'postgres')")
    return parts._replace(path="/postgres").geturl(), name


def remove(db: str) -> None:
    """Delete the SQLite file (and WAL), or drop and re-create the PostgreSQL database."""
    if not is_url(db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return
    server, name = _maintenance(db)
    conn = connect(server)
    try:
        conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)}")
        conn.execute(f"CREATE DATABASE {_quoted(name)}")
    finally:
        conn.close()


def size(db: str) -> int:
    """Bytes on disk: the file with its WAL, or the PostgreSQL database's size."""
    if is_url(db):
        conn = connect(db, readonly=True)
        try:
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        finally:
            conn.close()
    return sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
