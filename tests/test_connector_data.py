"""Connector-owned state: keyed JSON per configured connector, and versioned tables."""

from __future__ import annotations

import sqlite3

import pytest

from agentdesk.domain import Inbound
from agentdesk.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "desk.db") as store:
        yield store


def mail(n: int) -> Inbound:
    return Inbound(
        channel="email", address="kim@example.com", text=f"hello {n}", at="2026-11-02T09:00:00Z",
        ext_id=f"m{n}",
    )  # fmt: skip


def test_keyed_state_is_scoped_to_the_configured_connector(tmp_path, store):
    support, sales = store.connector_data("support"), store.connector_data("sales")
    support.put("cursor", {"uid": 7, "folders": ["INBOX"]})
    assert support.get("cursor") == {"uid": 7, "folders": ["INBOX"]}
    assert sales.get("cursor") is None and sales.get("cursor", 0) == 0
    support.put("cursor", {"uid": 8})
    support.delete("other")
    with Store(tmp_path / "desk.db") as again:  # committed, seen from another connection
        assert again.connector_data("support").get("cursor") == {"uid": 8}


def test_state_commits_with_its_message_or_not_at_all(store):
    data = store.connector_data("support")
    with store.atomic():  # what the host does around a connector's recorded()
        store.messages.record_inbound(mail(1))
        data.put("cursor", 1)
    with pytest.raises(RuntimeError), store.atomic():
        store.messages.record_inbound(mail(2))
        data.put("cursor", 2)
        raise RuntimeError("the desk died before the commit")
    assert data.get("cursor") == 1
    assert [m[1] for m in store.messages.inbound()] == ["m1"]


def test_connector_tables_migrate_once_each_in_order(tmp_path, store):
    first = ["CREATE TABLE sms_sent (message_id INTEGER PRIMARY KEY, provider_id TEXT)"]
    data = store.connector_data("sms")
    data.tables("sms", first)
    data.tables("sms", first)  # at version 1 already: nothing runs again
    assert data.execute("INSERT INTO sms_sent VALUES (1, 'p1')") == 1
    later = [*first, "ALTER TABLE sms_sent ADD COLUMN cost INTEGER NOT NULL DEFAULT 0"]
    with Store(tmp_path / "desk.db") as again:
        again.connector_data("sms-2").tables("sms", later)  # another sms connector
        assert [tuple(r) for r in again.connector_data("sms").query("SELECT * FROM sms_sent")] == [
            (1, "p1", 0)
        ]
    with pytest.raises(sqlite3.OperationalError, match="incomplete input"):
        data.tables("sms", [*later, "CREATE TABLE broken ("])
    assert data.query_one("SELECT count(*) FROM sms_sent")[0] == 1  # nothing half-applied
    data.tables("sms", [*later, "CREATE TABLE sms_log (line TEXT)"])
    assert data.query("SELECT * FROM sms_log") == []
