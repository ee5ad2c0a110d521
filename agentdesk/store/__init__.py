"""The store: the only package that speaks SQL. A desk is a SQLite file (one agent, or a
shared host) or a PostgreSQL database (a team): ``Store("desk.db")`` or
``Store("postgresql://agent@db.internal/desk")``.

``Store`` opens the database and holds one small repository per area; callers read as
``store.inbox.page(...)`` or ``store.events.append(...)``. ``atomic()`` groups calls
into one commit; nothing outside this package sees a connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from agentdesk.store import db as sqlite_file
from agentdesk.store.agents import Agents
from agentdesk.store.bulk import Bulk
from agentdesk.store.changes import Changes
from agentdesk.store.connector_data import ConnectorData
from agentdesk.store.conversations import Conversations
from agentdesk.store.customers import Customers
from agentdesk.store.database import DATABASE_ERRORS, Database, StoreError
from agentdesk.store.db import DeskFile, connect, open_database
from agentdesk.store.dialect import SQLITE
from agentdesk.store.drafts import CannedReplies, Drafts
from agentdesk.store.events import EventLog
from agentdesk.store.inbox import SEARCH_LIMIT, Inbox
from agentdesk.store.kb import KnowledgeBase
from agentdesk.store.leases import Leases
from agentdesk.store.messages import Messages
from agentdesk.store.metrics import MetricQueries
from agentdesk.store.presence import PresenceTable
from agentdesk.store.replies import Replies
from agentdesk.store.schema import DEMO_APPLICATION_ID, PRESENCE_TIMES_VERSION, SCHEMA_VERSION
from agentdesk.store.surveys import Surveys
from agentdesk.store.transfer import Transfer
from agentdesk.store.urls import is_url, shown
from agentdesk.store.wakeups import Wakeup

__all__ = [
    "DATABASE_ERRORS",
    "PRESENCE_TIMES_VERSION",
    "SCHEMA_VERSION",
    "SEARCH_LIMIT",
    "DeskFile",
    "Store",
    "drop_demo",
    "StoreError",
    "is_url",
    "probe",
]


def probe(target: Path | str) -> DeskFile:
    """What is at a desk's file path or PostgreSQL URL, found without writing anything;
    anything that is not an agentdesk desk raises ``StoreError``."""
    if is_url(target):
        from agentdesk.store import postgres

        return postgres.probe(str(target))
    return sqlite_file.probe(target)


def drop_demo(target: Path | str) -> None:
    """Delete a demo desk (``demo --regenerate``): its file, or its PostgreSQL tables."""
    if is_url(target):
        from agentdesk.store import postgres

        postgres.drop_demo(str(target))
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


class Store:
    """A desk database. Safe to share between the UI thread and workers.

    ``readonly`` opens an existing desk read-only (SQLite's ``mode=ro``, PostgreSQL's
    read-only transactions) and never migrates it; otherwise a missing file or an empty
    PostgreSQL database becomes a new desk (``created`` says so).
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = str(path)
        if is_url(path):  # PostgreSQL's modules are imported for a desk on it only
            from agentdesk.store import postgres
            from agentdesk.store.postgres_dialect import POSTGRES

            pg, version, self.created = postgres.open_postgres(self.path, readonly=readonly)
            url = self.path
            self._attach(
                Database(pg, POSTGRES, version, lambda: postgres.connect(url, readonly=True))
            )
            return
        conn, self.created = open_database(path, readonly=readonly)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        reader = None if self.path == ":memory:" else partial(connect, path, readonly=True)
        self._attach(Database(conn, SQLITE, version, reader))

    @property
    def where(self) -> str:
        """The desk for messages: the file path, or the PostgreSQL URL without a password."""
        return shown(self.path)

    def _attach(self, db: Database) -> None:
        """Build the repositories on ``db``."""
        self.db = db
        self.events = EventLog(self.db)
        self.agents = Agents(self.db)
        self.customers = Customers(self.db, self.events)
        self.drafts = Drafts(self.db)
        self.canned = CannedReplies(self.db)
        self.conversations = Conversations(self.db, self.events, self.agents, self.customers)
        self.inbox = Inbox(self.db)
        self.surveys = Surveys(self.db, self.events, self.conversations)
        self.messages = Messages(
            self.db, self.events, self.customers, self.conversations, self.drafts, self.surveys
        )
        self.replies = Replies(self.db, self.events, self.drafts)
        self.kb = KnowledgeBase(self.db)
        self.metrics = MetricQueries(self.db)
        self.transfer = Transfer(self.db)
        self.bulk = Bulk(self.db)
        self.changes = Changes(self.db)
        self.presence = PresenceTable(self.db)
        self.leases = Leases(self.db)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Everything the repositories write inside commits together, or not at all."""
        with self.db.transaction():
            yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside ``atomic()``: a part undone alone if its body raises."""
        with self.db.savepoint():
            yield

    def queue_reply(
        self,
        conversation_id: int,
        agent: str,
        text: str,
        *,
        assign: bool,
        hold_until: str | None = None,
        ai_assisted: bool = False,
        edit_distance: int | None = None,
    ) -> int:
        """An agent's reply as the composer sends it: stored ``queued`` for its channel
        (held until ``hold_until``, undo send) and, with ``assign`` (``[team]
        assign_on_reply``), the conversation taken by the replier if nobody holds it (a
        claim lost to a taker leaves it theirs), in one transaction. Returns its id."""
        with self.atomic():
            message_id = self.replies.add(
                conversation_id,
                agent,
                text,
                delivery="queued",
                hold_until=hold_until,
                ai_assisted=ai_assisted,
                edit_distance=edit_distance,
            )
            if assign:
                self.conversations.claim(conversation_id, agent, agent, expected=None)
        return message_id

    def wakeup(self, poll: float, fallback: float) -> Wakeup:
        """What ends the live watcher's wait on this engine: PostgreSQL's NOTIFY (and a
        look every ``fallback`` seconds, for one missed), or on SQLite another
        connection's commit, checked every ``poll`` seconds."""
        return self.db.dialect.wakeup(self.db, self.path, poll, fallback)

    def connector_data(self, name: str) -> ConnectorData:
        """The keyed state and tables of the connector configured as ``name``."""
        return ConnectorData(self.db, name)

    def mark_demo(self) -> None:
        """Record in the desk that ``agentdesk demo`` made it (``--regenerate`` may replace it)."""
        if self.db.dialect is not SQLITE:  # PostgreSQL: a row in its meta table
            with self.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO agentdesk_meta (key, value) VALUES ('demo', '1')"
                    " ON CONFLICT (key) DO NOTHING"
                )
            return
        with self.db.outside_transaction() as conn:
            conn.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")

    def another(self) -> Store:
        """A second connection to this desk, with a lock of its own (this store itself for
        an in-memory one, which no second connection can see)."""
        return self if self.path == ":memory:" else Store(self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
