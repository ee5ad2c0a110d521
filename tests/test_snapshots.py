"""Snapshot tests for the main screens, on fixed data with a frozen clock.

Update after an intended visual change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from conftest import until

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector


@pytest.fixture
def desk_target(tmp_path) -> str:
    """The screens on SQLite only: one snapshot per screen. They draw the same on
    PostgreSQL (the Pilot tests of tests/test_app_*.py run on both engines)."""
    return str(tmp_path / "desk.db")


def test_inbox_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30))


async def press_and_settle(pilot, keys: tuple[str, ...], workers: str) -> None:
    """Press ``keys``, then wait until the workers whose group starts with ``workers``
    have finished and the screen is drawn."""
    await pilot.pause()
    await pilot.press(*keys)
    await pilot.pause()
    await until(
        pilot, lambda: all(w.is_finished for w in pilot.app.workers if w.group.startswith(workers))
    )
    await pilot.pause()


async def open_second(pilot) -> None:
    """Open the second conversation and wait for the assist panel's analysis and draft."""
    await press_and_settle(pilot, ("j", "enter"), "assist")


def test_conversation_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]), terminal_size=(160, 30), run_before=open_second
    )


def test_conversation_snapshot_tall_shows_the_whole_assist_panel(desk, alice, snap_compare):
    """The assist panel with its mood, articles and offline draft, nothing cut off."""
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]), terminal_size=(160, 50), run_before=open_second
    )


def test_inbox_snapshot_narrow(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(make_app(alice, path, [DemoConnector()]), terminal_size=(100, 30))


def test_conversation_snapshot_narrow(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]), terminal_size=(100, 30), run_before=open_second
    )


async def open_stats(pilot) -> None:
    """Open the stats screen and wait for its table and trends."""
    await press_and_settle(pilot, ("S",), "stats")


def test_stats_snapshot(desk, alice, snap_compare):
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]), terminal_size=(160, 40), run_before=open_stats
    )


async def search_customers(pilot) -> None:
    """Open the first conversation, then search every customer for "example" (L)."""
    await press_and_settle(pilot, ("enter",), "assist")
    await press_and_settle(pilot, ("L", *"example"), "picker")
    await until(pilot, lambda: pilot.app.screen.answered == "example")
    await pilot.pause()


def test_customer_picker_snapshot(desk, alice, snap_compare):
    """Link or merge customer: each found customer's name, addresses, channels, last
    contact; the hostile name as plain text."""
    path, _ = desk
    assert snap_compare(
        make_app(alice, path, [DemoConnector()]),
        terminal_size=(160, 40),
        run_before=search_customers,
    )


def with_views(alice):
    """Alice's config with two saved views, as ``[[views]]`` gives them."""
    from dataclasses import replace

    from agentdesk.domain import SavedView

    views = (SavedView("Chat", channel="chat"), SavedView("Kettles", search="kettle"))
    return replace(alice, views=views)


async def show_view_1(pilot) -> None:
    """Wait for the views' counts, then switch to view 1."""
    await until(
        pilot, lambda: "1 Chat (2)" in str(pilot.app.screen.query_one("#inbox-views").render())
    )
    await pilot.press("1")
    await until(pilot, lambda: pilot.app.screen.view_name == "Chat")
    await press_and_settle(pilot, (), "inbox")


def with_views_app(desk, alice):
    """The desk as alice, with the saved views of ``with_views``."""
    path, _ = desk
    return make_app(with_views(alice), path, [DemoConnector()])


def test_inbox_views_snapshot(desk, alice, snap_compare):
    """Saved views: the line of views with their counts, view 1 shown and named in the
    header (issue 12.1)."""
    assert snap_compare(
        with_views_app(desk, alice), terminal_size=(160, 30), run_before=show_view_1
    )


async def mark_two_and_ask_for_tags(pilot) -> None:
    """Mark the first and third rows, then ask for tags to add to both."""
    await press_and_settle(pilot, ("space", "j", "space"), "inbox")
    await press_and_settle(pilot, ("number_sign",), "inbox")


def test_inbox_bulk_snapshot(desk, alice, snap_compare):
    """Bulk changes: marked rows (●), "2 marked" in the header and the tags prompt for
    both (issue 12.4)."""
    assert snap_compare(
        with_views_app(desk, alice),
        terminal_size=(160, 30),
        run_before=mark_two_and_ask_for_tags,
    )
