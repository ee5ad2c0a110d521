"""Pilot tests: the inbox list, its filters, sort and search, driven by keys."""

from __future__ import annotations

from conftest import screen_text

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.widgets.inbox_list import InboxList


def app_for(desk, alice):
    path, _ = desk
    return make_app(alice, path, [DemoConnector()])


def rows(app) -> list[str]:
    inbox = app.screen.query_one(InboxList)
    return [inbox.row_at(i).subject or inbox.row_at(i).preview for i in range(inbox.total)]


async def test_inbox_lists_every_channel_oldest_waiting_first(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "✉ email" in text and "◆ chat" in text
        assert "5 conversations" in text  # the resolved one is not active
        assert rows(app)[0] == "Refund for order 1042"  # waiting 300 min: the oldest
        assert "5h00m" in text  # its waiting time, shown in the row
        await pilot.press("o")  # newest first
        assert rows(app)[0].startswith("Win")
        assert "newest first" in screen_text(app)


async def test_filters_view_status_channel_and_tag(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("v")  # mine
        assert rows(app) == ["Invoice wrong"]
        await pilot.press("v")  # unassigned
        assert "Invoice wrong" not in rows(app) and len(rows(app)) == 4
        await pilot.press("v", "f", "f", "f", "f")  # all, then status resolved
        assert rows(app) == ["Delivery address"]
        await pilot.press("f", "c")  # any status, first channel (chat)
        assert "channel: chat" in screen_text(app)
        assert len(rows(app)) == 2
        await pilot.press("c", "c", "t")  # back to all channels; open the tag picker
        await pilot.pause()
        await pilot.press("down", "enter")  # first tag: billing
        await pilot.pause()
        assert rows(app) == ["Invoice wrong"]


async def test_search_with_free_text_and_field_terms(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("slash")
        await pilot.press(*"kettle")
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(rows(app)) == ["Hi, any news on my kettle refund?", "Refund for order 1042"]
        assert "Search kettle  ·  2 conversations, newest first" in screen_text(app)
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"channel:chat kettle", "enter")
        await pilot.pause()
        assert rows(app) == ["Hi, any news on my kettle refund?"]
        assert "1 conversation, newest first" in screen_text(app)
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"from:jose status:open", "enter")
        await pilot.pause()
        assert rows(app) == ["Invoice wrong"]
        await pilot.press("escape")  # clears the search
        await pilot.pause()
        assert len(rows(app)) == 5


async def test_search_finds_customers_by_name_and_html_mail_text(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("slash", *"Zoë", "enter")
        await pilot.pause()
        assert rows(app) == ["I can't log in, the code never arrives"]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"INV-77", "enter")
        await pilot.pause()
        assert rows(app) == ["Invoice wrong"]


async def test_hostile_text_is_shown_as_text_without_escapes(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]Mallory[/]" in text  # markup shown literally, not interpreted
        assert "[link=http://evil]prize[/link]" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("o", "g", "enter")  # newest first: the hostile one, open it
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        text = screen_text(app)
        assert "[b]not bold[/b]" in text and "\x1b" not in text
