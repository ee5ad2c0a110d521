"""Pilot tests: the inbox list, its filters, sort and search, driven by keys."""

from __future__ import annotations

from conftest import Notices, run_command, screen_lines, screen_strips, screen_text, until
from textual.widgets import Input

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store
from agentdesk.widgets.inbox_list import InboxList


def app_for(desk, alice):
    path, _ = desk
    return make_app(alice, path, [DemoConnector()])


async def searched(pilot) -> None:
    """Let a search started by the last keys finish (it runs in a worker) and show."""
    await pilot.pause()
    await until(
        pilot,
        lambda: (
            not any(
                w.group in ("inbox-search-check", "inbox-search") and not w.is_finished
                for w in pilot.app.workers
            )
        ),
    )
    await pilot.pause()


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
        await searched(pilot)
        assert sorted(rows(app)) == ["Hi, any news on my kettle refund?", "Refund for order 1042"]
        assert (
            "Search kettle in All · status: active · channel: all · oldest waiting first  ·  "
            "2 conversations" in screen_text(app)
        )
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"channel:chat kettle", "enter")
        await searched(pilot)
        assert rows(app) == ["Hi, any news on my kettle refund?"]
        assert "channel: chat · oldest waiting first  ·  1 conversation" in screen_text(app)
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"from:jose status:open", "enter")
        await searched(pilot)
        assert rows(app) == ["Invoice wrong"]
        await pilot.press("escape")  # clears the search
        await searched(pilot)
        assert len(rows(app)) == 5


async def test_search_runs_within_the_view_and_minus_excludes(desk, alice):
    """Issue 12.3: a search keeps the view's filters (the header lists them), a field the
    search names replaces the view's, and -word / -field:value leave conversations out."""
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("c")  # channel: chat
        await searched(pilot)
        assert len(rows(app)) == 2
        await pilot.press("slash", *"kettle", "enter")
        await searched(pilot)
        assert rows(app) == ["Hi, any news on my kettle refund?"]  # not the email one
        assert "Search kettle in All · status: active · channel: chat" in screen_text(app)
        await pilot.press("o")  # the sort changes within the search
        await searched(pilot)
        assert "channel: chat · newest first  ·  1 conversation" in screen_text(app)
        await pilot.press("slash")  # the box holds the search shown, to edit
        assert app.screen.query_one("#search", Input).value == "kettle"
        await pilot.press("ctrl+a", "ctrl+k", *"channel:email kettle", "enter")
        await searched(pilot)
        assert rows(app) == ["Refund for order 1042"]  # the search's channel wins
        assert "channel: email" in screen_text(app)
        await pilot.press("escape")  # back to the view as it was
        await searched(pilot)
        assert len(rows(app)) == 2 and "Inbox All · status: active · channel: chat" in (
            screen_text(app)
        )
        await pilot.press("c", "c")  # all channels again
        await searched(pilot)
        await pilot.press("slash", *"-tag:billing -channel:chat", "enter")
        await searched(pilot)
        assert sorted(rows(app)) == [
            "Refund for order 1042",
            "Win [link=http://evil]prize[/link] red",
        ]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"-agent:alice", "enter")
        await searched(pilot)  # the unassigned ones stay: only alice's is left out
        assert len(rows(app)) == 4 and "Invoice wrong" not in rows(app)
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"from:ann -kettle", "enter")
        await searched(pilot)
        assert rows(app) == []  # both of Ann's active ones mention the kettle
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"from:ann -kettle status:resolved")
        await pilot.press("enter")
        await searched(pilot)
        assert rows(app) == ["Delivery address"]
        assert "status: resolved" in screen_text(app)


async def test_search_finds_customers_by_name_and_html_mail_text(desk, alice):
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("slash", *"Zoë", "enter")
        await searched(pilot)
        assert rows(app) == ["I can't log in, the code never arrives"]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"INV-77", "enter")
        await searched(pilot)
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


async def test_wide_characters_keep_the_columns_aligned(desk, alice):
    """Issue 12.6: a CJK name and an emoji subject take two cells a character; an emoji
    whose width terminals disagree on is drawn in its one-cell form."""
    from rich.cells import cell_len

    from agentdesk.domain import Inbound
    from agentdesk.store import Store

    path, _ = desk
    with Store(path) as store:
        store.messages.record_inbound(
            Inbound(
                channel="chat",
                address="@lee:chat.example",
                name="李小龙 (Bruce Lee) from the 香港 office",
                text="hi",
                subject="🎉🎉 订单 1042 没有到 🎉🎉 and more words to fill the subject column",
                at="2026-01-07T11:55:00Z",
                thread_key="lee",
                ext_id="lee-1",
            )
        )
        store.messages.record_inbound(
            Inbound(
                channel="email",
                address="heart@example.com",
                name="Zoë ❤️ Lin",
                text="hi",
                subject="❤️ thanks ⚠️ late",
                at="2026-01-07T11:56:00Z",
                thread_key="heart",
                ext_id="heart-1",
            )
        )
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        lines = [line for line in screen_lines(app) if " open " in line]
        assert any("李小龙" in line for line in lines) and len(lines) >= 2
        columns = {cell_len(line[: line.index(" open ")]) for line in lines}
        assert len(columns) == 1, lines  # "open" starts in the same cell on every row
        # ❤️ is one cell in some terminals (tmux) and two in others: the row shows ❤,
        # one cell in every terminal.
        assert any("Zoë ❤ Lin" in line and "❤ thanks ⚠ late" in line for line in lines)
        assert not any("\ufe0f" in line for line in lines)


async def test_rows_cut_by_a_narrow_terminal_fill_it_and_end_in_an_ellipsis(desk, alice):
    """At 64 columns the fixed columns alone need 80: each row is cut to the list's
    width and ends in …, on every row and the cursor's."""
    from rich.cells import cell_len

    app = app_for(desk, alice)
    async with app.run_test(size=(64, 20)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        width = inbox.scrollable_content_region.width
        rows = [inbox.render_line(y).text for y in range(min(inbox.total, inbox.size.height))]
        assert len(rows) > 3
        assert all(cell_len(row) == width and row.endswith("…") for row in rows), rows


async def test_saved_views_switch_count_and_save(desk, tmp_path):
    """Issue 12.1: [[views]] from the config on 1-9 with their counts; the palette's
    "Save view as…" appends the current inbox to the config file."""
    from agentdesk.config import load_config

    path, _ = desk
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '# my desk\n[agent]\nname = "alice"\n\n'
        '[[views]]\nname = "Chat"\nchannel = "chat"\n\n'
        '[[views]]\nname = "Kettles"\nsearch = "kettle"\n',
        encoding="utf-8",
    )
    app, notices = make_app(load_config(config_file), path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await until(pilot, lambda: "1 Chat (2)" in screen_text(app))
        assert "2 Kettles (2)" in screen_text(app)
        await pilot.press("1")  # a digit with no motion after it: the view
        await until(pilot, lambda: "Inbox view: Chat · All" in screen_text(app))
        assert sorted(rows(app)) == [
            "Hi, any news on my kettle refund?",
            "I can't log in, the code never arrives",
        ]
        await pilot.press("2")
        await until(pilot, lambda: "Search kettle in view: Kettles · All" in screen_text(app))
        await pilot.press("3")
        await until(pilot, lambda: notices.matching("No view 3"))
        await pilot.press("1")
        await until(pilot, lambda: "view: Chat" in screen_text(app))
        await pilot.press("o")  # a filter change: the list is no saved view any more
        await pilot.pause()
        assert "view: Chat" not in screen_text(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Save view as", "enter")
        await pilot.pause()
        await pilot.press(*"Chat, newest", "enter")
        await until(pilot, lambda: "3 Chat, newest (2)" in screen_text(app))
        await run_command(pilot, "View: Kettles")  # the palette lists the views
        await until(pilot, lambda: "Search kettle in view: Kettles · All" in screen_text(app))
    saved = load_config(config_file)
    assert [v.name for v in saved.views] == ["Chat", "Kettles", "Chat, newest"]
    assert (saved.views[2].channel, saved.views[2].sort) == ("chat", "newest")
    assert config_file.read_text(encoding="utf-8").startswith("# my desk\n")


def highlighted_rows(app) -> list[int]:
    """The screen lines drawn in the inbox cursor's colour."""
    inbox = app.screen.query_one(InboxList)
    cursor = inbox.get_component_rich_style("inbox-list--cursor").bgcolor
    return [
        y
        for y, strip in enumerate(screen_strips(app))
        if any(segment.style and segment.style.bgcolor == cursor for segment in strip)
    ]


async def test_the_cursor_is_drawn_on_one_row_wherever_it_moves(desk, alice):
    """A move draws the two rows the cursor left and reached, not the whole list: the
    row it left is drawn plain again, also across a scroll and a jump to the end."""
    path, _ = desk
    with Store(path) as store:
        for n in range(60):  # more rows than the list shows
            store.messages.record_inbound(
                Inbound(
                    channel="email",
                    address=f"c{n}@example.com",
                    text=f"Hello {n}",
                    at=f"2020-01-01T00:{n:02d}:00Z",
                )
            )
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        top = highlighted_rows(app)
        assert len(top) == 1
        last = inbox.total - 1
        moves = ((("j", "j", "j"), 3), (("k",), 2), (("G",), last), (("k", "k"), last - 2))
        for keys, row in moves:  # the last ones inside a view scrolled to the end
            await pilot.press(*keys)
            await pilot.pause()
            assert inbox.cursor == row
            first_shown = top[0] - inbox.scroll_offset.y
            assert highlighted_rows(app) == [first_shown + row]
        await pilot.press("home")
        await pilot.pause()
        assert inbox.cursor == 0 and highlighted_rows(app) == top


async def test_count_prefixes_move_several_rows(desk, alice):
    """Issue 12.2: 3j, 2k, 4G as in vim and aerc; a lone digit is a saved view."""
    app, notices = app_for(desk, alice), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        await pilot.press("3", "j")
        assert inbox.cursor == 3 and " 4/5" in screen_text(app)  # what the agent sees
        await pilot.press("2", "k")
        assert inbox.cursor == 1 and " 2/5" in screen_text(app)
        await pilot.press("5", "k")  # beyond the start: the first row
        assert inbox.cursor == 0
        await pilot.press("j")
        await pilot.press("4", "G")
        assert inbox.cursor == 3
        await pilot.press("1", "0", "G")  # beyond the end: the last row
        assert inbox.cursor == inbox.total - 1
        await pilot.press("g", "2", "escape", "j")  # another key drops the count
        assert inbox.cursor == 1
        await pilot.press("7")
        await until(pilot, lambda: notices.matching("No view 7"))
        assert inbox.cursor == 1


async def test_search_says_what_cannot_match_and_recalls_earlier_searches(desk, alice):
    """Issue 12.3: an unknown status, an empty tag:, a channel the desk has never seen, a
    tag no conversation has or an agent nobody is is one line and the box stays open; ↑
    and ↓ walk this session's searches."""
    app, notices = app_for(desk, alice), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await pilot.press("slash", *"status:bogus kettle", "enter")
        await searched(pilot)
        last = notices.messages[-1]
        assert last == "Search: status:bogus is not a status (open, pending, snoozed, resolved)"
        search = app.screen.query_one("#search", Input)
        assert search.display and search.value == "status:bogus kettle"
        await pilot.press("ctrl+a", "ctrl+k", *"tag:", "enter")
        await searched(pilot)
        assert "tag: needs a value" in notices.messages[-1]
        await pilot.press("ctrl+a", "ctrl+k", *"channel:fax", "enter")
        await searched(pilot)
        assert "no conversations on channel 'fax'" in notices.messages[-1]
        await pilot.press("ctrl+a", "ctrl+k", *"tag:biling", "enter")  # a tag nobody has
        await searched(pilot)
        assert notices.messages[-1] == "Search: no conversation has the tag 'biling' (billing)"
        await pilot.press("ctrl+a", "ctrl+k", *"agent:zed", "enter")
        await searched(pilot)
        assert notices.messages[-1] == "Search: no agent 'zed' (alice, bob, none)"
        assert search.display and search.value == "agent:zed"
        for text in ("kettle", "from:jose"):
            await pilot.press("ctrl+a", "ctrl+k", *text, "enter")
            await searched(pilot)
            await pilot.press("slash")
        await pilot.press("ctrl+a", "ctrl+k", "up")
        assert search.value == "from:jose"
        await pilot.press("up")
        assert search.value == "kettle"
        await pilot.press("up")  # the oldest stays
        assert search.value == "kettle"
        await pilot.press("down", "down")
        assert search.value == ""
        await pilot.press("up", "enter")
        await searched(pilot)
        assert rows(app) == ["Invoice wrong"]
        said = len(notices.messages)
        for known in ("tag:billing", "agent:bob", "agent:Alice", "agent:none"):
            await pilot.press("slash", "ctrl+a", "ctrl+k", *known, "enter")
            await searched(pilot)
            assert f"Search {known} in" in screen_text(app)  # searched, nothing said
        assert len(notices.messages) == said


async def test_bulk_changes_on_marked_conversations(desk, tmp_path):
    """Issue 12.4/12.5: space marks, * marks the view; x, A, #, z and a macro change all
    marked conversations and say how many changed; a macro's canned reply is drafted."""
    from agentdesk.config import load_config
    from agentdesk.store import Store

    path, ids = desk
    with Store(path) as store:
        store.canned.save("refund-sent", "Hi {customer.first_name}, your refund is on its way.")
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[agent]\nname = "alice"\n\n[[macros]]\nname = "Refund sent"\nstatus = "pending"\n'
        'tags = ["refund", "-billing"]\nassign = "me"\ncanned = "refund-sent"\n',
        encoding="utf-8",
    )
    app, notices = make_app(load_config(config_file), path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        first, second = inbox.row_at(0).id, inbox.row_at(1).id
        await pilot.press("space", "space")
        assert inbox.marked == {first, second} and "2 marked" in screen_text(app)
        assert screen_lines(app)[3].lstrip().startswith("●")  # the marker on the row
        await pilot.press("number_sign")
        await pilot.pause()
        await pilot.press(*"vip", "enter")
        await until(pilot, lambda: notices.matching("Tags changed on 2"))
        assert not inbox.marked
        await pilot.press("g", "space", "space", "M")
        await pilot.pause()
        await pilot.press("enter")  # the one macro
        await until(
            pilot,
            lambda: notices.matching("Macro 'Refund sent' applied to 2"),
        )
        await pilot.press("asterisk")
        await until(pilot, lambda: bool(inbox.marked))  # the view's ids are read in a worker
        assert len(inbox.marked) == inbox.total
        await pilot.press("asterisk")
        assert not inbox.marked
        await pilot.press("g", "x")  # nothing marked: the row under the cursor
        await until(
            pilot,
            lambda: any(m.startswith("Resolved 1 conversation") for m in notices.messages),
        )
    with Store(path) as store:
        for cid in (first, second):
            conversation = store.conversations.get(cid)
            assert "vip" in conversation.tags and "refund" in conversation.tags
            assert "billing" not in conversation.tags and conversation.assignee == "alice"
            assert store.drafts.get(cid).endswith("your refund is on its way.")


async def test_marked_conversations_are_assigned_snoozed_and_resolved_together(desk, alice):
    """Issue 12.4: A, z and x change every marked conversation, say how many changed, and
    the rows show it (the assignee; snoozed and resolved ones leave the active view)."""
    from agentdesk.store import Store

    path, _ = desk
    app, notices = app_for(desk, alice), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        first, second = inbox.row_at(0).id, inbox.row_at(1).id
        await pilot.press("space", "space", "A")
        await pilot.pause()
        await pilot.press(*"bob", "enter")
        await until(pilot, lambda: notices.matching("Assigned to bob: 2 conversations."))
        await pilot.pause()
        assert all(" open      bob " in line for line in screen_lines(app)[2:4])
        assert "marked" not in screen_text(app)  # the marks are cleared once applied
        await pilot.press("g", "space", "space", "z")
        await pilot.pause()
        await pilot.press(*"3d", "enter")
        await until(pilot, lambda: notices.matching("Snoozed 2 conversations."))
        await until(pilot, lambda: "3 conversations" in screen_text(app))
        assert first not in [inbox.row_at(n).id for n in range(inbox.total)]
        await pilot.press("asterisk")
        await until(pilot, lambda: "3 marked" in screen_text(app))
        await pilot.press("x")
        await until(pilot, lambda: notices.matching("Resolved 3 conversations."))
        await until(pilot, lambda: "0 conversations" in screen_text(app))
    with Store(path) as store:
        assert {store.conversations.get(cid).status for cid in (first, second)} == {"snoozed"}


async def test_a_row_with_an_unsent_draft_shows_a_marker(desk, alice):
    """Issue 12.6: ✎ before the subject while a reply draft waits in the conversation."""
    from agentdesk.store import Store

    path, ids = desk
    with Store(path) as store:
        store.drafts.save(ids["refund"], "reply", "Hi Ann, about your refund")
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        marked = [line for line in screen_lines(app) if "✎" in line]
        assert len(marked) == 1 and "✎ Refund for order 1042" in marked[0]


async def test_back_from_a_conversation_the_inbox_draws_the_rows_that_changed(desk, alice):
    """Back from a conversation the inbox shows what changed in it (its draft, its
    assignee), and the rows below it as they were. (That a re-read draws only the rows
    that changed: tests/test_inbox_list.py.)"""
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        before = screen_lines(app)
        assert not any("✎" in line for line in before)
        await pilot.press("enter", "m", "r", *"Hi Ann", "escape", "escape")  # take it, draft
        await until(
            pilot, lambda: any("✎ Refund for order 1042" in line for line in screen_lines(app))
        )
        after = screen_lines(app)
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        refund = next(y for y, line in enumerate(after) if "✎ Refund for order 1042" in line)
        assert refund in changed and "alice" in after[refund]
        assert all(before[y] == after[y] for y in range(refund + 1, refund + 5))


async def test_only_the_agents_own_draft_marks_a_row(desk, alice):
    """On a team desk a row is marked for this agent's draft (or an ownerless one from
    before drafts had owners), never for another agent's: Bob's draft is his alone."""
    from agentdesk.store import Store

    path, ids = desk
    with Store(path) as store:
        store.drafts.save(ids["refund"], "reply", "Hi Ann, Bob here", "bob")
        store.drafts.save(ids["login"], "reply", "Hi Zoë, Alice here", "alice")
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        marked = [line for line in screen_lines(app) if "✎" in line]
        assert len(marked) == 1 and "Refund for order 1042" not in marked[0]
        with Store(path) as store:  # a change elsewhere re-reads the rows the same way
            store.drafts.save(ids["refund"], "reply", "Hi Ann, Bob again", "bob")
            store.conversations.set_tag(ids["refund"], "vip", True, "bob")
        await until(pilot, lambda: any("vip" in line for line in screen_lines(app)))
        marked = [line for line in screen_lines(app) if "✎" in line]
        assert len(marked) == 1 and "Refund for order 1042" not in marked[0]


async def test_the_cursor_stays_on_its_conversation_when_the_order_changes(desk, alice):
    """Issue 12.6: after a filter or sort change the cursor is on the same conversation
    when it is still listed, not on the same row number, however far down it moves."""
    from desk_data import at

    from agentdesk.domain import Inbound
    from agentdesk.store import Store

    path, _ = desk
    with Store(path) as store:  # 250 more waiting customers, one a minute, oldest first
        for n in range(250):
            store.messages.record_inbound(
                Inbound(
                    channel="email",
                    address=f"c{n}@example.com",
                    text="Where is my order?",
                    at=at(2000 - n),
                    thread_key=f"many-{n}",
                )
            )
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        await pilot.press("j")
        chosen = inbox.current.id
        await pilot.press("o")  # newest first: the order turns round, it goes near the end
        await pilot.pause()
        assert inbox.current.id == chosen and inbox.cursor > 200
        await pilot.press("f")  # status open: still listed
        await pilot.pause()
        assert inbox.current.id == chosen


async def test_a_resized_terminal_redraws_the_inbox_and_the_screen_under_a_conversation(
    desk, alice
):
    """The desk skips Textual's second layout for a resize to the size it has
    (``DeskScreen._screen_resized``); a real resize still lays every screen out again,
    the inbox under an open conversation included once it shows."""
    app = app_for(desk, alice)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = screen_lines(app)
        assert (len(before), len(before[0])) == (30, 100)
        assert "Stats" not in before[-1]  # no room for it on the key line
        status_at = before[1].index("status")
        await pilot.resize_terminal(150, 40)
        await until(pilot, lambda: len(screen_lines(app)) == 40)  # after Textual's debounce
        lines = screen_lines(app)
        assert (len(lines), len(lines[0])) == (40, 150)
        assert lines[-1].startswith("⏎ Open") and "S Stats" in lines[-1]
        assert lines[1].index("status") > status_at  # the subject column took the width
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.resize_terminal(110, 32)
        await until(pilot, lambda: len(screen_lines(app)) == 32)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConversationScreen))
        await pilot.pause()
        lines = screen_lines(app)
        assert (len(lines), len(lines[0])) == (32, 110)
        assert lines[-1].startswith("⏎ Open") and "Refund for order 1042" in screen_text(app)


async def test_a_theme_chosen_in_a_conversation_shows_on_the_inbox_after_esc(desk, alice):
    """A desk screen is not restyled each time it shows (``DeskScreen._on_screen_resume``)
    but a theme changed while it was covered still reaches it."""
    app = app_for(desk, alice)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        dark = inbox.rich_style.bgcolor
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        conversation = app.screen
        app.theme = "textual-light"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConversationScreen))
        await pilot.pause()
        light = inbox.rich_style.bgcolor
        assert light != dark
        drawn = {segment.style.bgcolor for segment in screen_strips(app)[5]}
        assert light in drawn and dark not in drawn
        app.theme = "textual-dark"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is conversation)
        await pilot.pause()
        assert conversation.query_one("#thread").rich_style.bgcolor != light
