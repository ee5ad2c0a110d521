"""Snapshot tests for the main screens, on fixed data with a frozen clock.

Update after an intended visual change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from conftest import until

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector


def test_inbox_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30))


async def open_second(pilot) -> None:
    """Open the second conversation and wait for the assist panel's analysis and draft."""
    await pilot.pause()
    await pilot.press("j", "enter")
    await pilot.pause()
    await until(
        pilot,
        lambda: all(w.is_finished for w in pilot.app.workers if w.group.startswith("assist")),
    )
    await pilot.pause()


def test_conversation_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30), run_before=open_second
    )
