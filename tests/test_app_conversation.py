"""Pilot tests: acting on a conversation from the keyboard; each action's events asserted."""

from __future__ import annotations

import asyncio
import gc
import re
import time

import pytest
from conftest import Notices, run_command, screen_lines, screen_text, until
from desk_data import at
from textual import events

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store
from agentdesk.text import one_line
from agentdesk.widgets.assist_panel import AssistPanel
from agentdesk.widgets.inbox_list import InboxList


def kinds(path, conversation_id) -> list[tuple]:
    with Store(path) as store:
        return [(e["kind"], e["agent"], e["payload"]) for e in store.events.read(conversation_id)]


async def open_first(pilot, app):
    """Open the oldest-waiting conversation (Ann's refund mail)."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ConversationScreen)
    return app.screen


async def test_conversation_shows_thread_customer_and_cross_channel_history(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        text = screen_text(app)
        assert "still have no refund" in text
        assert "ann@example.com" in text and "@ann:example.org" in text  # both identities
        assert "3 conversations" in text
        assert "Delivery address" in text  # history: an earlier email conversation
        await pilot.press("h", "down", "down", "enter")  # the older one, beside the thread
        await until(pilot, lambda: "Please change my delivery address." in screen_text(app))
        text = screen_text(app)
        assert "still have no refund" in text  # the current thread is still there
        await pilot.press("escape")
        await pilot.pause()
        assert "Please change my delivery address." not in screen_text(app)


async def test_the_history_keeps_its_height_until_a_peek_needs_the_room(desk, alice):
    """The history is 12 rows whatever it holds (another conversation lays the screen
    out once); an open peek takes the rows it does not use, in a short terminal too."""
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await open_first(pilot, app)
        history = screen.query_one("#history")
        assert history.option_count == 2 and history.size.height == 12
        await pilot.press("h", "down", "enter")  # the newest one, beside the thread
        await until(pilot, lambda: screen.query_one("#peek").display)
        await pilot.pause()
        assert history.size.height == history.virtual_size.height < 12  # its rows alone
        assert screen.query_one("#peek").size.height >= 13
        await pilot.press("escape")
        await pilot.pause()
        assert history.size.height == 12 and not screen.query_one("#peek").display


async def test_reply_is_delivered_through_the_demo_channel_and_recorded(desk, alice):
    path, ids = desk
    demo = DemoConnector()
    app = make_app(alice, path, [demo])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        await pilot.press("r", *"We are on it, Ann.", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "We are on it, Ann." in screen_text(app)
    assert [r.text for r in demo.sent] == ["We are on it, Ann."]
    assert demo.sent[0].to_address == "ann@example.com"
    events = [e for e in kinds(path, ids["refund"]) if e[0] != "viewed"]
    assert events[-1][:2] == ("reply", "alice")
    with Store(path) as store:
        assert store.conversations.get(ids["refund"]).waiting_since is None
        assert store.drafts.get(ids["refund"]) == ""


async def test_note_resolve_reopen_pending_and_their_events(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        await pilot.press("n", *"Customer is a VIP", "ctrl+s")
        await pilot.pause()
        assert "internal note" in screen_text(app)
        await pilot.press("x")
        await pilot.pause()
        assert "resolved" in screen_text(app)
        await pilot.press("o", "p")
        await pilot.pause()
    events = [e for e in kinds(path, ids["refund"]) if e[0] in ("note", "status")]
    assert events == [
        ("note", "alice", {}),
        ("status", "alice", {"from": "open", "to": "resolved"}),
        ("status", "alice", {"from": "resolved", "to": "open"}),
        ("status", "alice", {"from": "open", "to": "pending"}),
    ]


async def test_snooze_options_and_assign(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("enter")  # for 1 hour
        await pilot.pause()
        assert "snoozed until" in screen_text(app)
        await pilot.press("z", "down", "down", "enter")  # until the customer replies
        await pilot.pause()
        assert "until the customer replies" in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("down", "enter")  # second agent in the list: bob
        await pilot.pause()
        assert "bob" in screen_text(app)
    events = kinds(path, ids["refund"])
    snoozes = [e[2] for e in events if e[0] == "status"]
    assert snoozes[0]["to"] == "snoozed" and snoozes[0]["until"] == "2026-01-07T13:00:00Z"
    assert snoozes[1] == {"from": "snoozed", "to": "snoozed", "until": None, "until_reply": True}
    assigns = [(e[0], e[1], e[2]["from"]) for e in events if e[0] == "assigned"]
    assert assigns == [("assigned", "alice", None), ("assigned", "bob", "alice")]


async def test_canned_reply_fills_variables_and_tags_are_edited(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # "greeting"
        await pilot.pause()
        assert screen.composer.text.startswith("Hi Ann,")
        assert screen.composer.text.endswith("Alice Martin")
        await pilot.press("escape", "t")
        await pilot.pause()
        await pilot.press(*"refund vip", "enter")
        await pilot.pause()
        assert "#refund #vip" in screen_text(app)
    tags = [(e[0], e[2]["tag"]) for e in kinds(path, ids["refund"]) if "tag" in e[0]]
    assert tags == [("tagged", "refund"), ("tagged", "vip")]


async def test_typing_in_the_tag_prompt_adds_to_the_tags_it_shows(desk, alice):
    """The prompt shows the tags with the cursor after them: typed text adds, it does
    not replace (and so remove) them."""
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        await pilot.press("j")  # José's invoice mail, tagged #billing
        await until(pilot, lambda: screen.conversation_id == ids["html"])
        assert "#billing" in screen_lines(app)[0]
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"vip", "enter")
        await until(pilot, lambda: "#billing #vip" in screen_lines(app)[0])
        assert app.store.conversations.get(ids["html"]).tags == ("billing", "vip")


async def test_draft_survives_quitting_and_reopening(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        await pilot.press("r", *"Half-written answer")
        await until(pilot, lambda: app.store.drafts.get(ids["refund"]) == "Half-written answer")
    with Store(path) as store:
        assert store.drafts.get(ids["refund"]) == "Half-written answer"
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        assert screen.composer.text == "Half-written answer"


async def test_next_previous_and_viewed_events(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        await pilot.press("j")
        await pilot.pause()
        assert screen.conversation_id == ids["html"]
        assert "INV-77" in screen_text(app) and "invoice-77.pdf" in screen_text(app)
        await pilot.press("k")
        assert screen.conversation_id == ids["refund"]
        await pilot.press("escape")
        await pilot.pause()
    views = [
        (e[2]["focus"], e[2].get("reason")) for e in kinds(path, ids["refund"]) if e[0] == "viewed"
    ]
    assert views == [(True, None), (False, "switch"), (True, None), (False, "back")]


async def test_every_binding_is_in_the_command_palette(desk, alice):
    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        names = {c.title for c in app.get_system_commands(screen)}
        for binding in ConversationScreen.BINDINGS:
            if binding.show or binding.id == "conversation.take_back":
                assert binding.tooltip in names  # the full name: "Next conversation"
        assert {"Next conversation", "Previous conversation", "Quit agentdesk"} <= names
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Resolve", "enter")
        await pilot.pause()
        assert app.store.conversations.get(screen.conversation_id).status == "resolved"


async def test_keymap_from_config_remaps_an_action(desk, alice):
    path, ids = desk
    alice.keymap = {"conversation.resolve": "ctrl+r"}
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_first(pilot, app)
        await pilot.press("x")  # no longer bound
        await pilot.pause()
        assert app.store.conversations.get(screen.conversation_id).status == "open"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.store.conversations.get(screen.conversation_id).status == "resolved"


async def test_idle_cutoff_ends_focus_and_a_key_press_resumes_it(desk, alice):
    path, ids = desk
    alice.raw = {"metrics": {"idle_cutoff_seconds": 0.2}}
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, app)
        await pilot.pause(0.3)  # waits out the 0.2 s idle cutoff: what is under test
        app.handle_time.check_idle()  # the periodic check, run now
        app.handle_time.check_idle()  # a second check while idle writes nothing
        await pilot.press("pagedown")
        await pilot.pause()
        await pilot.press("ctrl+q")
    views = [
        (e[2]["focus"], e[2].get("reason")) for e in kinds(path, ids["refund"]) if e[0] == "viewed"
    ]
    assert views == [(True, None), (False, "idle"), (True, "active"), (False, "exit")]


def big_mail(path, size: int = 10_000_000) -> int:
    """Store a 10 MB mail (the oldest waiting, so Enter opens it) whose lines carry markup
    and escape sequences; returns its conversation id."""
    line = "{:07d} [b]parcel at depot[/b] \x1b[31mlate\x1b]0;t\x07\n"
    body = "My refund never came and I am STILL waiting!!\n\n" + "".join(
        line.format(n) for n in range(size // len(line.format(0)))
    )
    with Store(path) as store:
        return store.messages.record_inbound(
            Inbound(
                channel="email",
                address="big@example.com",
                name="Big Mail",
                subject="Huge log",
                text=body,
                at=at(400),
            )
        )[0]


async def timed(pilot, *keys: str) -> float:
    """CPU seconds the test process spends from pressing ``keys`` until the app has handled
    them and redrawn (CPU, not wall: other processes on a loaded machine do not count)."""
    started = time.process_time()
    await pilot.press(*keys)
    await pilot.pause()
    return time.process_time() - started


async def test_a_10_mb_mail_opens_at_once_and_keys_answer_at_once(desk, alice):
    """Bounds far above the figures (bench/bench_bigmail.py measures those) and far below
    the minutes of CPU a 10 MB body once took, in CPU time so a loaded machine cannot fail
    them."""
    path, ids = desk
    big = big_mail(path)
    app, notices = make_app(alice, path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 50), message_hook=notices) as pilot:
        await app.assist_loaded()  # the start-up imports (a thread) would count as key time
        await pilot.pause()
        assert await timed(pilot, "enter") < 3.0  # 104 s before the preview (0.9 s now)
        assert app.screen.conversation_id == big
        text = screen_text(app)
        assert "0000097 [b]parcel at depot[/b] late" in text  # markup shown as text
        assert "0000098" not in text  # the first 100 lines, then the marker
        assert re.search(r"… 9\.\d MB more · v: more · V: all in \$PAGER", text)
        assert "\x1b" not in text and "\x07" not in text
        # The assist panel reads the newest text only.
        await until(pilot, lambda: "angry · delivery · waited 6 hours" in screen_text(app), 5)
        # Scrolling and typing a reply: the big body is not laid out again (each took
        # seconds when it was).
        assert await timed(pilot, "pagedown") < 1.0
        await pilot.press("r")
        for key in "Hi":
            assert await timed(pilot, key) < 1.0
        for key in ("escape", "j", "k"):
            assert await timed(pilot, key) < 2.0
        assert app.screen.conversation_id == big
        assert await timed(pilot, "v") < 1.0  # 4x more: 400 lines
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        text = screen_text(app)
        assert "0000397 [b]parcel at depot[/b] late" in text and "0000398" not in text
        assert re.search(r"… 9\.\d MB more · v: more", text)
        await pilot.press("V")  # no terminal to hand over here: tests/test_terminal.py
        await pilot.pause()
        assert notices.matching("Cannot open the pager")


async def test_snooze_until_a_typed_time(desk, alice):
    """Issue 12.7: z, then a time as an agent writes it; a time that cannot be read is one
    line and changes nothing."""
    path, ids = desk
    app, notices = make_app(alice, path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await open_first(pilot, app)
        await pilot.press("z", "down", "down", "down", "enter")
        await pilot.pause()
        await pilot.press(*"next week", "enter")
        await pilot.pause()
        assert notices.messages[-1].startswith("Not snoozed: cannot read 'next week': try 3d")
        await pilot.press("z", "down", "down", "down", "enter")
        await pilot.pause()
        await pilot.press(*"mon 9:00", "enter")
        await pilot.pause()
        assert "Snoozed until Mon 12 Jan 09:00." in notices.messages
    snoozes = [e[2] for e in kinds(path, ids["refund"]) if e[0] == "status"]
    assert snoozes == [
        {"from": "open", "to": "snoozed", "until": "2026-01-12T09:00:00Z", "until_reply": False}
    ]


async def test_z_then_a_typed_time_snoozes_at_once(desk, alice):
    """Issue 12.7: z, then 17:30 or 3d typed straight away: the picker offers that time
    first, with the date it means, and Enter snoozes until then."""
    from agentdesk import clock

    path, ids = desk
    app, notices = make_app(alice, path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await open_first(pilot, app)
        await pilot.press("z", *"17:30")  # no entry says 17:30: the typed time is the one
        await pilot.pause()
        assert "Until Wed 07 Jan 17:30 (typed: 17:30)" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: "Snoozed until Wed 07 Jan 17:30." in notices.messages)
        await pilot.press("o", "z", *"3d", "enter")  # reopened, then snoozed for 3 days
        until_3d = clock.parse_later("3d").astimezone().strftime("%a %d %b %H:%M")
        await until(pilot, lambda: f"Snoozed until {until_3d}." in notices.messages)
        await pilot.press("o", "z", *"bogus", "enter")  # neither a time nor an entry
        await pilot.pause()
        from agentdesk.screens.pickers import ChoiceScreen

        assert isinstance(app.screen, ChoiceScreen)  # nothing to choose: the picker stays
        assert "filter: bogus" in screen_text(app)
    snoozes = [e[2]["until"] for e in kinds(path, ids["refund"]) if e[2].get("to") == "snoozed"]
    assert snoozes == ["2026-01-07T17:30:00Z", clock.to_iso(clock.parse_later("3d"))]


async def test_a_macro_in_a_conversation_drafts_its_canned_reply(desk, tmp_path):
    """Issue 12.5: M (or the macro's name in the palette) applies status, tags and
    assignee; the canned reply goes into the composer and nothing is sent."""
    from agentdesk.config import load_config
    from agentdesk.store import Store

    path, ids = desk
    with Store(path) as store:
        store.canned.save("refund-sent", "Hi {customer.first_name}, your refund is on its way.")
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[agent]\nname = "alice"\n\n[[macros]]\nname = "Refund sent"\nstatus = "pending"\n'
        'tags = ["refund"]\ncanned = "refund-sent"\n\n'
        '[[macros]]\nname = "Broken"\ncanned = "no-such-reply"\n',
        encoding="utf-8",
    )
    app, notices = make_app(load_config(config_file), path, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await open_first(pilot, app)
        await pilot.press("M")
        await pilot.pause()
        await pilot.press(*"broken", "enter")
        await pilot.pause()
        assert "no canned reply named 'no-such-reply'" in notices.messages[-1]
        await run_command(pilot, "Macro: Refund sent")  # the palette lists each macro
        await until(pilot, lambda: "Macro 'Refund sent' applied." in notices.messages)
        assert app.screen.composer.text.endswith("your refund is on its way.")
    with Store(path) as store:
        conversation = store.conversations.get(ids["refund"])
        assert conversation.status == "pending" and "refund" in conversation.tags
        assert not [m for m in store.messages.thread(ids["refund"]) if m.direction == "out"]


def typed_at_once(app, *keys: str) -> None:
    """Keys queued together, as a terminal delivers a burst (Pilot waits between keys)."""
    names = {"enter": "\r", "escape": "\x1b"}
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else names.get(key)))


async def assist_settled(app, pilot) -> None:
    """Until every key typed is handled and the assist panel has finished its work."""
    await pilot.pause()  # the keys posted reach the app's key queue
    await until(
        pilot,
        lambda: (
            not (
                app.keys_pending
                or not app.screen.query(AssistPanel)
                or any(not w.is_finished for w in app.workers if w.group.startswith("assist"))
            )
        ),
        timeout=10,
    )
    await pilot.pause()


async def test_quick_j_j_j_k_shows_one_conversation_in_thread_customer_pane_and_assist(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        rows = [inbox.row_at(n) for n in range(4)]
        screen = await open_first(pilot, app)
        await assist_settled(app, pilot)
        typed_at_once(app, "j", "j", "j", "k")
        await assist_settled(app, pilot)
        want = rows[2]
        assert screen.conversation_id == want.id
        with Store(path) as store:
            messages = store.messages.thread(want.id)
        assert [m.id for m in screen.thread.messages] == [m.id for m in messages]
        text = screen_text(app)
        assert one_line(messages[-1].body, 40)[:25] in text  # the newest message, drawn
        assert one_line(want.subject or want.preview, 40)[:30] in text  # the title
        card = str(screen.query_one("#customer").render())
        assert one_line(want.customer_name or want.customer_address, 30)[:20] in card
        assist = screen.assist
        assert assist is not None and assist.conversation_id == want.id
        assert assist.context is not None and assist.context.conversation.id == want.id


async def test_opening_at_every_moment_of_the_startup_never_fails(desk, alice):
    """A notification (or a script) may open a conversation while the conversation
    screen is built ahead or its assist panel mounts: every open shows the conversation."""
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 50)) as pilot:
        wanted = [ids["login"], ids["ann_chat"]]
        deadline = time.monotonic() + 30
        opens = 0
        while time.monotonic() < deadline:
            app.open_conversation(wanted[opens % 2])  # one open on every turn of the loop
            opens += 1
            await asyncio.sleep(0)
            screen = app.screen
            if isinstance(screen, ConversationScreen) and screen.assist is not None:
                break
        for _ in range(3):  # a few more once the panel is there
            app.open_conversation(wanted[opens % 2])
            opens += 1
            await pilot.pause()
        last = wanted[(opens - 1) % 2]
        await assist_settled(app, pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen) and screen.conversation_id == last
        assert screen.assist is not None and screen.assist.conversation_id == last
        assert screen.assist.context is not None
        assert screen.assist.context.conversation.id == last


async def test_the_collector_pauses_for_the_first_paint_and_runs_again_after_the_warm_up(
    desk, alice
):
    """The cycle collector is off from the app's load until its warm-up ends, and on
    again after it (or after an app closed before it); a pause the desk did not make
    stays as it was."""
    path, _ids = desk
    on_at_mount: list[bool] = []

    def at_mount(message) -> None:  # the first widget mounted, before the first paint
        if isinstance(message, events.Mount) and not on_at_mount:
            on_at_mount.append(gc.isenabled())

    assert gc.isenabled()
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 50), message_hook=at_mount):
        await app.warm_up().wait()
        assert gc.isenabled()
    assert on_at_mount == [False] and gc.isenabled()
    async with make_app(alice, path, [DemoConnector()]).run_test(size=(160, 50)):
        pass  # closed at once, the warm-up perhaps not started
    assert gc.isenabled()
    gc.disable()
    try:
        app = make_app(alice, path, [DemoConnector()])
        async with app.run_test(size=(160, 50)):
            await app.warm_up().wait()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_hides_and_a_shows_and_focuses_the_panel_while_it_is_still_mounting(desk, alice):
    """At 160 columns the panel is mounted as the first conversation opens, once its
    modules are imported; ``a`` ``a`` meanwhile (hide, then show and focus) ends with the
    panel shown and focused."""
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 50)) as pilot:
        app.open_conversation(ids["login"])
        deadline = time.monotonic() + 30
        while not (  # the screen asked for the panel (its on_mount), on every loop turn
            isinstance(app.screen, ConversationScreen)
            and app.screen.is_mounted
            and app.screen.query("#conversation-body.assist")
        ):
            assert time.monotonic() < deadline
            await asyncio.sleep(0)
        screen = app.screen
        if screen.assist is not None:
            pytest.skip("the panel was mounted before the test could ask for it twice")
        screen.action_toggle_assist()  # both while it mounts: no await in between
        screen.action_toggle_assist()
        await until(pilot, lambda: screen.assist is not None and app.focused is screen.assist)
        assert screen.assist.display and screen.assist.conversation_id == ids["login"]
        assert len(screen.query(AssistPanel)) == 1


def big_chat(path, count: int = 1000) -> int:
    """A chat conversation of about 256 KB in ``count`` messages, the oldest waiting."""
    text = "the parcel is still not here and nobody answers my messages, please help. " * 3
    with Store(path) as store:
        for n in range(count):
            conversation_id, _ = store.messages.record_inbound(
                Inbound(
                    channel="chat",
                    address="@big:example.org",
                    name="Big Chat",
                    text=f"{n:04d} {text}",
                    at=at(2000 - n),
                    thread_key="!big:example.org",
                    ext_id=f"$big{n}",
                )
            )
    return conversation_id


async def test_keys_typed_while_a_big_conversation_opens_land_in_the_composer(desk, alice):
    path, ids = desk
    big = big_chat(path)
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        typed_at_once(app, "enter", "r", *"WQK")  # the screen is built meanwhile
        await until(pilot, lambda: getattr(app.screen, "composer", None) is not None)
        screen = app.screen
        await until(pilot, lambda: screen.composer.text == "WQK", timeout=20)
        assert screen.conversation_id == big
        assert len(screen.thread.messages) == 1000
        assert len(screen.thread.shown()) == 31  # the newest laid out, under the earlier line
        typed_at_once(app, "escape", "escape", "enter", "r", *"ok")  # open again: built
        await until(pilot, lambda: screen.composer.text == "WQKok", timeout=20)
        typed_at_once(app, "escape", "j", "r", *"Hi")  # the next one gets the text
        await until(pilot, lambda: screen.composer.text == "Hi", timeout=20)
        assert screen.conversation_id != big
    with Store(path) as store:
        assert store.drafts.get(big) == "WQKok"


async def test_the_key_bar_fits_100_columns_most_used_first_and_the_palette_says_what(desk, alice):
    """Issue 12.14: at 100 columns the conversation's key bar shows the most used keys
    (snooze, tags, history, next/previous, assist and back included) whole, then the
    palette key with nothing after it; the palette names each action in full."""
    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        bar = screen_lines(app)[-1]
        assert bar.endswith("o Sort ^q Quit      ^p palette")  # "S Stats" left out whole
        screen = await open_first(pilot, app)
        first = screen.conversation_id
        bar = screen_lines(app)[-1]
        assert len(bar) == 100 and bar.endswith("esc Back   ^p palette")
        assert bar.startswith(
            "r Reply ^s Send x Resolve z Snooze t Tags j Next k Previous h History a Assist"
        )
        await run_command(pilot, "Next conversation")
        await until(pilot, lambda: app.screen.conversation_id != first)
        await run_command(pilot, "Assign the conversation to me")
        await until(pilot, lambda: app.store.conversations.get(app.screen.conversation_id).assignee)
