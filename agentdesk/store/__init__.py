"""The store: the only module that speaks SQL. One SQLite file per agent desk."""

from __future__ import annotations

from pathlib import Path

from agentdesk.store.bulk import BulkMixin
from agentdesk.store.db import DeskFile, Locked, StoreError, open_database, probe
from agentdesk.store.kb import KbMixin
from agentdesk.store.mail import MailMixin
from agentdesk.store.matrix import MatrixMixin
from agentdesk.store.metrics import MetricsMixin
from agentdesk.store.reads import SEARCH_LIMIT, ReadsMixin
from agentdesk.store.schema import DEMO_APPLICATION_ID, SCHEMA_VERSION
from agentdesk.store.transfer import TransferMixin
from agentdesk.store.writes import WritesMixin

__all__ = ["SCHEMA_VERSION", "SEARCH_LIMIT", "DeskFile", "Store", "StoreError", "probe"]


class Store(
    WritesMixin, ReadsMixin, KbMixin, MailMixin, MatrixMixin, TransferMixin, MetricsMixin, BulkMixin
):
    """A desk database. Safe to share between the UI thread and workers.

    ``readonly`` opens an existing desk with SQLite's ``mode=ro`` and never migrates it;
    otherwise a missing file becomes a new desk (``created`` says so).
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = str(path)
        conn, self.created = open_database(path, readonly=readonly)
        self.db = Locked(conn)

    def mark_demo(self) -> None:
        """Record in the file that ``agentdesk demo`` made it (``--regenerate`` may replace it)."""
        with self.db.lock:
            self.db.conn.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")

    def close(self) -> None:
        with self.db.lock:
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
