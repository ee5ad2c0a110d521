"""Snapshot tests for the main screens, on fixed data with a frozen clock.

Update after an intended visual change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector


def test_inbox_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30))


def test_conversation_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30),
                        press=["j", "enter"])
