"""The store: the only module that speaks SQL. One SQLite file per agent desk."""

from __future__ import annotations

from pathlib import Path

from agentdesk.store.bulk import BulkMixin
from agentdesk.store.db import Locked, StoreError, open_database
from agentdesk.store.kb import KbMixin
from agentdesk.store.mail import MailMixin
from agentdesk.store.matrix import MatrixMixin
from agentdesk.store.metrics import MetricsMixin
from agentdesk.store.reads import SEARCH_LIMIT, ReadsMixin
from agentdesk.store.schema import SCHEMA_VERSION
from agentdesk.store.transfer import TransferMixin
from agentdesk.store.writes import WritesMixin

__all__ = ["SCHEMA_VERSION", "SEARCH_LIMIT", "Store", "StoreError"]


class Store(WritesMixin, ReadsMixin, KbMixin, MailMixin, MatrixMixin, TransferMixin, MetricsMixin, BulkMixin):
    """A desk database. Safe to share between the UI thread and workers."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.db = Locked(open_database(path))

    def close(self) -> None:
        with self.db.lock:
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
