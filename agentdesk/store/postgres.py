"""A desk on PostgreSQL (psycopg 3): connecting, the schema, and the store's SQL on it.

The store writes one SQL text for both engines with SQLite's ``?`` and ``:name``
placeholders; ``PostgresConnection`` turns them into psycopg's, returns ``sqlite3.Row``
rows as SQLite does, and raises the store's own ``DatabaseError`` family. psycopg is
imported only when a desk is on PostgreSQL.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from agentdesk.store.database import (
    ConnectionLost,
    Cursor,
    DatabaseError,
    IntegrityError,
    StoreError,
)
from agentdesk.store.db import DeskFile
from agentdesk.store.postgres_schema import BASELINE, BASELINE_SQL, MIGRATIONS
from agentdesk.store.schema import SCHEMA_VERSION
from agentdesk.store.urls import redact, where

if TYPE_CHECKING:
    import psycopg

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|::|(\?)|:([A-Za-z_]\w*)|%""")


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``sql`` with ``?`` as ``%s``, ``:name`` as ``%(name)s`` and every ``%`` as ``%%``
    (psycopg reads ``%`` even inside string literals); a ``?`` or ``:`` in a string
    literal, a quoted name or a comment, and ``::`` casts, stay as they are."""

    def swap(match: re.Match[str]) -> str:
        if match.group(1):
            return "%s"
        if match.group(2):
            return f"%({match.group(2)})s"
        return match.group(0).replace("%", "%%")

    return _TOKENS.sub(swap, sql)


# Rows are ``sqlite3.Row`` (C), made from a cursor of an in-memory SQLite database that
# carries the column names: rows read the same on both engines (by position, by name,
# ``keys()``). A tuple subclass with a Python ``__getitem__`` took 0.45 us a read, 0.3 s
# of the 636,000 reads in a 30-day ``agentdesk stats`` on 1M messages.
_NAMES = sqlite3.connect(":memory:", check_same_thread=False)
_NAMES_LOCK = threading.Lock()


@lru_cache(maxsize=1024)
def _row_maker(names: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Any]:
    """A row maker for a result with these column names."""
    if not names:
        return tuple
    columns = ", ".join('NULL AS "{}"'.format(name.replace('"', '""')) for name in names)
    with _NAMES_LOCK:
        cursor = _NAMES.execute(f"SELECT {columns}")
        cursor.fetchall()  # ends the statement; the cursor keeps its description
    # psycopg's C transformer hands a tuple, its pure-Python one a list.
    return lambda values: sqlite3.Row(cursor, values if type(values) is tuple else tuple(values))


def _row_factory(cursor: Any) -> Any:
    return _row_maker(tuple(column.name for column in cursor.description or ()))


def _errors(error: Exception) -> DatabaseError:
    """The store's error for a psycopg one (constraint violations are IntegrityError)."""
    import psycopg

    kind = IntegrityError if isinstance(error, psycopg.IntegrityError) else DatabaseError
    return kind(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)


class PostgresConnection:
    """The store's connection API (``execute``, ``executemany``) on a psycopg connection.

    A connection the server dropped is made again on the next statement that starts
    outside a transaction (so the next read, or the next ``BEGIN``, works once the server
    is back); until then every statement raises ``ConnectionLost``. A transaction the
    drop cut off is lost whole: its caller sees ``ConnectionLost`` and nothing of it was
    committed.
    """

    def __init__(self, conn: psycopg.Connection[Any], url: str, readonly: bool) -> None:
        self.raw = conn
        self.url = url
        self.readonly = readonly

    def execute(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> Cursor:
        import psycopg

        self._reconnect_if_dropped()
        try:
            if params:
                return self.raw.execute(translate(sql), params)
            return self.raw.execute(sql)
        except psycopg.Error as error:
            raise self._lost(error) or _errors(error) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> Cursor:
        import psycopg

        self._reconnect_if_dropped()
        cursor = self.raw.cursor()
        try:
            cursor.executemany(translate(sql), rows)
        except psycopg.Error as error:
            raise self._lost(error) or _errors(error) from error
        return cursor

    def _reconnect_if_dropped(self) -> None:
        if not (self.raw.closed or self.raw.broken):
            return
        try:
            self.raw = _connect(self.url, self.readonly, timeout=3)
        except CannotConnect as error:
            message = f"database: reconnecting to {where(self.url)} ({error.reason})"
            raise ConnectionLost(message) from None

    def _lost(self, error: Exception) -> ConnectionLost | None:
        """``ConnectionLost`` when ``error`` means the server went away."""
        if not (self.raw.closed or self.raw.broken):
            return None
        return ConnectionLost(f"database: connection to {where(self.url)} lost ({_reason(error)})")

    def close(self) -> None:
        self.raw.close()


@cache
def _loaders() -> tuple[type[Any], type[Any]]:
    """Loaders for jsonb (its text, as SQLite's TEXT) and numeric (int or float, as
    SQLite's numbers: ``sum`` of integers is numeric in PostgreSQL)."""
    from psycopg.adapt import Loader

    class JsonText(Loader):
        def load(self, data: Any) -> str:
            return bytes(data).decode()

    class Number(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            return int(text) if text.lstrip("-").isdigit() else float(text)

    return JsonText, Number


def _adapt(conn: psycopg.Connection[Any]) -> None:
    """Text goes as ``unknown`` (the server casts it to jsonb, citext or tsquery as the
    column needs); jsonb and numeric come back as SQLite gives them."""
    from psycopg.types.string import StrDumperUnknown

    json_text, number = _loaders()
    conn.adapters.register_dumper(str, StrDumperUnknown)
    for name in ("json", "jsonb"):
        conn.adapters.register_loader(name, json_text)
    conn.adapters.register_loader("numeric", number)


def connect(url: str, *, readonly: bool = False) -> PostgresConnection:
    """A connection to ``url`` in autocommit mode (the store issues BEGIN/COMMIT itself);
    ``readonly`` makes every transaction read-only. An unreachable server is one line."""
    return PostgresConnection(_connect(url, readonly, timeout=10), url, readonly)


def listening(url: str, channel: str) -> psycopg.Connection[Any]:
    """A connection of its own that LISTENs on ``channel`` (``store.wakeups.Listener``),
    with TCP keepalives, so a server that vanished without a word is noticed within about
    a minute. Raises ``StoreError`` or a psycopg error."""
    keepalives = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
    conn = _connect(url, False, timeout=3, name="agentdesk live", **keepalives)
    try:
        conn.execute(f"LISTEN {channel}")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(
    url: str, readonly: bool, timeout: int, name: str = "agentdesk", **extra: Any
) -> psycopg.Connection[Any]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        raise StoreError("database: PostgreSQL needs psycopg (pip install psycopg)") from None
    # psycopg prepares a statement run five times; PostgreSQL may then plan it once for
    # any parameters ("generic plan"), and a search for a rare word read the whole
    # conversations table (0.5-0.8 s instead of 2 ms on 1M messages, bench/README.md).
    # No JIT: the metrics' queries cost enough (on paper) to be compiled, and compiling
    # them took 36 s of a 38 s cycle query for 30 days on 1M messages (bench/README.md).
    options = "-c plan_cache_mode=force_custom_plan -c jit=off"
    if readonly:
        options += " -c default_transaction_read_only=on"
    settings: dict[str, Any] = {"connect_timeout": timeout, "application_name": name}
    try:
        conn = psycopg.connect(
            url, autocommit=True, row_factory=_row_factory, options=options, **settings | extra
        )
    except psycopg.OperationalError as error:
        raise CannotConnect(where(url), _reason(error)) from None
    except psycopg.ProgrammingError as error:  # a malformed URL
        raise StoreError(f"database: {redact(url)}: {_reason(error)}") from None
    _adapt(conn)
    return conn


class CannotConnect(StoreError):
    """The server cannot be reached (or refuses the login); ``reason`` in libpq's words."""

    def __init__(self, place: str, reason: str) -> None:
        super().__init__(f"database: cannot connect to {place} ({reason})")
        self.reason = reason


def _reason(error: Exception) -> str:
    """The useful words of a libpq error ("connection refused", "database "desk" does not
    exist", "password authentication failed for user "bob"")."""
    text = " ".join(str(error).split())
    found = _REASONS.search(text)
    if found:
        return found[0].rstrip(".").lower()[:200]
    return text.split(": ", 1)[-1][:200] or type(error).__name__


_REASONS = re.compile(
    r"connection refused|timeout expired|(?:database|role) \"[^\"]*\" does not exist"
    r"|password authentication failed for user \"[^\"]*\"|no password supplied"
    r"|could not translate host name \"[^\"]*\" to address",
    re.IGNORECASE,
)


def open_postgres(url: str, *, readonly: bool = False) -> tuple[PostgresConnection, int, bool]:
    """Connect to ``url`` and bring its schema to ``SCHEMA_VERSION``; returns the
    connection, the schema version and whether the desk is new (an empty database).

    ``readonly`` never migrates: an empty database is an error there, and one with
    another program's tables is refused either way.
    """
    conn = connect(url, readonly=readonly)
    try:
        version = _desk_version(conn, url)
        if version is None and readonly:
            raise StoreError(f"database: {redact(url)} has no agentdesk desk yet")
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"database: schema version {version} is newer than this agentdesk supports"
                f" ({SCHEMA_VERSION}); upgrade agentdesk. Nothing was written."
            )
        if not readonly:
            migrate(conn)
        return conn, schema_version(conn) or 0, version is None
    except BaseException:
        conn.close()
        raise


def probe(url: str) -> DeskFile:
    """What the database at ``url`` holds, read-only: nothing yet, or a desk."""
    conn = connect(url, readonly=True)
    try:
        version = _desk_version(conn, url)
        if version is None:
            return DeskFile(exists=False)
        demo = conn.execute("SELECT 1 FROM agentdesk_meta WHERE key = 'demo'").fetchone()
        return DeskFile(exists=True, version=version, demo=demo is not None)
    finally:
        conn.close()


def drop_demo(url: str) -> None:
    """Delete the demo desk at ``url`` (``demo --regenerate``); only one ``agentdesk demo``
    made (``probe(url).demo``) is ever dropped."""
    if not probe(url).demo:
        raise StoreError(f"database: {redact(url)} is not a demo desk; nothing was dropped")
    conn = connect(url)
    try:
        with _transaction(conn):
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            conn.execute(f"DROP TABLE {', '.join(_quoted(t) for t in tables)} CASCADE")
            conn.execute(
                "DROP AGGREGATE IF EXISTS group_concat(TEXT, TEXT);"
                " DROP FUNCTION IF EXISTS agentdesk_concat, unixepoch, agentdesk_fold,"
                " events_append_only, agentdesk_notify, events_metric_dirty"
            )
    finally:
        conn.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _desk_version(conn: PostgresConnection, url: str) -> int | None:
    """The desk's schema version; None for an empty database. A database with another
    program's tables raises ``StoreError``."""
    version = schema_version(conn)
    if version is None and _has_tables(conn):
        raise StoreError(
            f"database: {redact(url)} holds another program's tables, not an agentdesk"
            " desk; nothing was written"
        )
    return version


def schema_version(conn: PostgresConnection) -> int | None:
    """The desk's schema version, or None when the database has no desk."""
    found = conn.execute("SELECT to_regclass('agentdesk_meta') IS NOT NULL").fetchone()
    if not found[0]:
        return None
    row = conn.execute("SELECT value FROM agentdesk_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def _has_tables(conn: PostgresConnection) -> bool:
    return bool(
        conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema())"
        ).fetchone()[0]
    )


def migrate(conn: PostgresConnection) -> None:
    """Create the baseline schema in an empty database, then apply later migrations, each
    in one transaction with the version it reaches (concurrent desks wait on a lock)."""
    with _transaction(conn):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('agentdesk schema'))")
        version = schema_version(conn)
        if version is None:
            conn.execute(BASELINE_SQL)
            _set_version(conn, BASELINE)
            version = BASELINE
        for number in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute(MIGRATIONS[number])
            _set_version(conn, number)


def _set_version(conn: PostgresConnection, number: int) -> None:
    conn.execute(
        "INSERT INTO agentdesk_meta (key, value) VALUES ('schema_version', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(number),),
    )


@contextmanager
def _transaction(conn: PostgresConnection) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
