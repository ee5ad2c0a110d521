"""A bench's ``--db``: a SQLite file path or a ``postgresql://`` URL, treated alike.

``exists``, ``remove`` (``--replace``: the file and its WAL, or the database dropped and
created again, empty), ``size`` (the file with its WAL, or ``pg_database_size``) and
``cpu_clock`` (CPU seconds of the bench and of a local PostgreSQL server), ``server_clock``
(the server's alone) and ``process_cpu`` (one process's).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from agentdesk.store.postgres import _quoted, connect, probe
from agentdesk.store.urls import is_url


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


def cpu_clock(db: str) -> Callable[[], float]:
    """A clock of CPU seconds spent by this process, its finished children (the CLI runs)
    and, for a PostgreSQL server on this machine, every process of that server (read from
    /proc: the postmaster with its reaped children, plus the live ones). Wall times on a
    shared machine swing with the load; CPU seconds barely do."""
    server = server_clock(db)

    def clock() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        return seconds + (server() if server is not None else 0.0)

    return clock


def server_clock(db: str) -> Callable[[], float] | None:
    """A clock of the CPU seconds spent by every process of the PostgreSQL server of
    ``db`` on this machine; None for SQLite (the database runs in each desk's process) or
    a server on another machine."""
    postmaster = _postmaster(db) if is_url(db) else None
    if postmaster is None:
        return None
    return lambda: _server_cpu(postmaster)


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) a running process has spent so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postmaster(url: str) -> int | None:
    conn = connect(url, readonly=True)
    try:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # Read while the backend lives: once closed it may be gone, and the server's CPU
        # would silently go uncounted.
        return int(_stat(backend)[1])  # the backend's parent
    except OSError:
        return None  # a server on another machine: its CPU is not counted
    finally:
        conn.close()


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def _server_cpu(postmaster: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = _stat(postmaster)
    total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == postmaster:
                total += int(child[11]) + int(child[12])
    return total / ticks
