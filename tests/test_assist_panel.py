"""Pilot tests: the assist panel in a small host app, streaming from a real SSE server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from assist_data import write_kb
from conftest import eventually, screen_text, until
from openai_server import Reply
from textual.app import App, ComposeResult
from textual.widgets import TextArea

from agentdesk.assist.kbimport import import_kb
from agentdesk.assist.settings import AssistSettings, LLMSettings
from agentdesk.store import Store
from agentdesk.widgets.assist_panel import AssistPanel, word_diff


class Host(App):
    """A composer and the panel, wired the way the conversation screen wires them."""

    def __init__(self, store: Store, settings: AssistSettings, conversation_id: int) -> None:
        super().__init__()
        self.store, self.settings, self.conversation_id = store, settings, conversation_id

    def compose(self) -> ComposeResult:
        yield TextArea(id="composer")
        yield AssistPanel(
            self.store, self.settings, composer_text=lambda: self.query_one(TextArea).text
        )

    def on_mount(self) -> None:
        panel = self.query_one(AssistPanel)
        panel.show_conversation(self.conversation_id)
        panel.focus()

    def on_assist_panel_insert(self, event: AssistPanel.Insert) -> None:
        composer = self.query_one(TextArea)
        if event.replace:
            composer.load_text(event.text)
        else:
            composer.insert(event.text)


@pytest.fixture
def store(desk, tmp_path):
    path, ids = desk
    with Store(path) as store:
        import_kb(store, write_kb(tmp_path / "kb"))
        yield store, ids


def online(server) -> AssistSettings:
    return AssistSettings(
        LLMSettings(base_url=server.base_url, model="m", timeout=5, max_retries=0),
        agent_display_name="Alice Martin",
    )


async def settle(app, pilot) -> None:
    """Wait until no assist or delivery worker runs (cancelled ones included), then
    for the screen; connector workers run for as long as the app does."""
    groups = ("assist", "assist-analysis", "deliver")
    await until(
        pilot, lambda: all(worker.is_finished for worker in app.workers if worker.group in groups)
    )
    await pilot.pause()


def panel_of(app) -> AssistPanel:
    return app.query_one(AssistPanel)


async def test_draft_streams_in_with_mood_and_kb_then_accept(store, openai_server):
    db, ids = store
    tokens = [
        "Hi Ann,\n\n",
        "I'm so sorry ",
        "about the wait. ",
        "Your refund ",
        "is on its way: https://help.example.com/refunds\n\nAlice",
    ]
    openai_server.script(Reply.stream(tokens, delay=0.15))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        panel = panel_of(app)
        await eventually(lambda: panel.text)
        await pilot.pause()
        partial = panel.text
        assert panel.streaming and partial and partial != "".join(tokens)
        text = screen_text(app)
        assert "frustrated · refund · waited 5 hours" in text
        assert "How refunds work" in text and "matches: refund" in text
        await settle(app, pilot)
        assert panel.text == "".join(tokens)
        assert "is on its way" in screen_text(app)
        assert "draft · Enter: replace composer" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TextArea).text == "".join(tokens).strip()
        assert panel.accepted_text == "".join(tokens).strip()


async def test_escape_cancels_and_keeps_what_streamed(store, openai_server):
    db, ids = store
    tokens = [f"word{n} " for n in range(30)]
    openai_server.script(Reply.stream(tokens, delay=0.1))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        panel = panel_of(app)
        await eventually(lambda: "word2 " in panel.text)
        await pilot.press("escape")
        await settle(app, pilot)
        kept = panel.text
        assert kept.startswith("word0 ") and "word29" not in kept
        assert "stopped; kept what had streamed" in screen_text(app)
        await asyncio.sleep(0.3)  # three more tokens' time: nothing arrives after the cancel
        assert panel.text == kept
        await pilot.press("i")  # the partial draft can still be used
        await pilot.pause()
        assert app.query_one(TextArea).text == kept.strip()


async def test_endpoint_error_shows_one_line_and_the_offline_draft(store, openai_server):
    db, ids = store
    openai_server.script(Reply.status(500))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "LLM endpoint failed (500 from 127.0.0.1:" in text
        assert "showing offline draft" in text
        assert "Offline draft" in text
        assert panel_of(app).text.startswith("Hi Ann,")
        assert "Traceback" not in text


async def test_cut_stream_keeps_partial_and_offers_offline(store, openai_server):
    db, ids = store
    openai_server.script(Reply.cut(["Hi Ann, your refund"]))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = panel_of(app)
        assert panel.text == "Hi Ann, your refund"
        assert "LLM stream was cut off mid-way; kept the partial text" in screen_text(app)
        await pilot.press("d")
        await settle(app, pilot)
        assert "Offline draft" in screen_text(app)
        assert "https://help.example.com/refunds" in panel.text


@pytest.mark.parametrize(
    ("finish", "line"),
    [
        (None, "LLM stream was cut off: it ended before the model finished; kept the partial"),
        ("length", "stopped at the length limit (800 tokens); kept the partial text"),
    ],
)
async def test_an_unfinished_stream_is_never_shown_as_a_finished_draft(
    store, openai_server, finish, line
):
    db, ids = store
    openai_server.script(Reply.ending(["Hi Ann, your refund"], finish, done=True))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        panel = panel_of(app)
        assert panel.text == "Hi Ann, your refund"
        assert line in screen_text(app) and "d: offline draft" in screen_text(app)
        assert "Enter: replace composer" not in screen_text(app)
        await pilot.press("d")
        await settle(app, pilot)
        assert "Offline draft" in screen_text(app)


async def test_a_hung_endpoint_gives_up_at_the_timeout(store, openai_server):
    db, ids = store
    openai_server.script(*[Reply.hang(5)] * 3)
    settings = AssistSettings(
        LLMSettings(base_url=openai_server.base_url, model="m", timeout=0.5, max_retries=2),
        agent_display_name="Alice Martin",
    )
    app = Host(db, settings, ids["refund"])
    async with app.run_test(size=(160, 40)) as pilot:
        started = asyncio.get_running_loop().time()
        await until(pilot, lambda: "showing offline draft" in panel_of(app).status)
        assert asyncio.get_running_loop().time() - started < 2.5
        assert panel_of(app).status.startswith(
            "LLM endpoint did not answer for 0.5 s (timeout 0.5 s), showing offline draft"
        )
        await settle(app, pilot)


async def test_offline_mode_without_endpoint(store):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice Martin"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = panel_of(app)
        assert "offline draft (no LLM endpoint configured)" in screen_text(app)
        assert panel.text.startswith(
            "Hi Ann,\n\nI'm really sorry about the trouble with your "
            "refund, and that this has now been going on for 14 days"
        )
        assert "Alice Martin" in panel.text


async def test_a_language_not_covered_offline_is_answered_all_in_english_and_said(store):
    """Dutch: every sentence in English, never a mix, and the status line says why."""
    from desk_data import at

    from agentdesk.domain import Inbound

    db, _ = store
    dutch, _ = db.messages.record_inbound(
        Inbound(
            channel="email",
            address="bram@example.nl",
            name="Bram de Vries",
            subject="Pakket",
            text="Hallo, mijn pakket is nog steeds niet aangekomen. Waar blijft het?",
            at=at(30),
        )
    )
    app = Host(db, AssistSettings(agent_display_name="Alice Martin"), dutch)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "written in English: Dutch is not covered offline" in screen_text(app)
        draft = panel_of(app).text
        assert draft.startswith("Hi Bram,\n\n") and "Best regards,\nAlice Martin" in draft
        for dutch_words in ("Hallo", "Beste", "Met vriendelijke groet", "Bedankt", "pakket"):
            assert dutch_words not in draft, draft


async def test_rewrite_is_shown_as_a_diff_before_it_is_accepted(store, openai_server):
    db, ids = store
    openai_server.script(
        Reply.stream(["ok"]), Reply.stream(["Dear Ann, ", "your refund ", "has been issued."])
    )
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one(TextArea).load_text("hey ann, refund's done")
        await pilot.press("F")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Rewrite: more formal" in text
        # Old words struck through in red beside the new ones in green.
        assert "heyDear annAnn, your refund's donehas been issued." in text
        assert app.query_one(TextArea).text == "hey ann, refund's done"  # not yet
        request = openai_server.requests[1]["json"]["messages"]
        assert "hey ann, refund's done" in request[1]["content"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TextArea).text == "Dear Ann, your refund has been issued."


def test_word_diff_marks_removed_and_added_words():
    diff = word_diff("hey ann, refund's done", "Dear Ann, your refund has been issued.")
    removed = "".join(diff.plain[s.start : s.end] for s in diff.spans if s.style == "red strike")
    added = "".join(diff.plain[s.start : s.end] for s in diff.spans if s.style == "green bold")
    assert removed == "heyann'sdone"
    assert added == "DearAnnyour has been issued."
    assert diff.plain.startswith("heyDear")


async def test_rewrite_can_be_discarded(store):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one(TextArea).load_text("Hi Ann,\n\nI'm sorry, it's done!")
        await pilot.press("F")
        await settle(app, pilot)
        assert "I am sorry" in panel_of(app).text
        await pilot.press("escape")
        await pilot.press("enter")  # nothing to accept any more
        await pilot.pause()
        assert app.query_one(TextArea).text == "Hi Ann,\n\nI'm sorry, it's done!"
        assert "rewrite discarded" in screen_text(app)


async def test_kb_insert_and_links(store):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("1")
        await pilot.pause()
        composer = app.query_one(TextArea)
        assert composer.text.startswith("How refunds work:\n1. We check the returned item")
        assert composer.text.endswith("More details: https://help.example.com/refunds")
        composer.load_text("")
        await pilot.press("l")
        await pilot.pause()
        assert composer.text.splitlines()[0] == "How refunds work: https://help.example.com/refunds"


async def test_an_article_is_inserted_before_the_signature(store):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        composer = app.query_one(TextArea)
        composer.load_text("Hi Ann,\n\nHere is how it works.\n\nBest regards,\nAlice Martin")
        await pilot.press("1")
        await pilot.pause()
        assert composer.text.startswith("Hi Ann,\n\nHere is how it works.\n\nHow refunds work:")
        assert composer.text.endswith(
            "More details: https://help.example.com/refunds\n\nBest regards,\nAlice Martin"
        )


async def test_a_rewrite_that_changes_nothing_says_so(store, openai_server):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one(TextArea).load_text("Hi Ann,\n\nThe refund is done.\n\nBest,\nBo")
        await pilot.press("c")
        await settle(app, pilot)
        assert "nothing to shorten; the composer is unchanged" in screen_text(app)
        await pilot.press("enter")  # nothing to accept
        await pilot.pause()
        assert app.query_one(TextArea).text == "Hi Ann,\n\nThe refund is done.\n\nBest,\nBo"


async def test_a_model_rewrite_changes_only_the_body(store, openai_server):
    db, ids = store
    openai_server.script(Reply.stream(["ok"]), Reply.stream(["Your refund ", "is done."]))
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one(TextArea).load_text("Hi Ann,\n\nrefund's done\n\nBest regards,\nAlice")
        await pilot.press("f")
        await settle(app, pilot)
        sent = openai_server.requests[1]["json"]["messages"][1]["content"]
        assert "refund's done" in sent and "Hi Ann" not in sent and "Best regards" not in sent
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TextArea).text == (
            "Hi Ann,\n\nYour refund is done.\n\nBest regards,\nAlice"
        )


async def test_summary(store):
    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert "Offline summary" in screen_text(app)
        assert "Asked: Hello, I returned the blue kettle" in panel_of(app).text
        app.query_one(TextArea).load_text("My note: ")
        app.query_one(TextArea).move_cursor((0, 9))
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TextArea).text.startswith("My note: - Ann Lee (email)")


async def test_switching_conversation_cancels_the_stream(store, openai_server):
    db, ids = store
    openai_server.script(
        Reply.stream([f"old{n} " for n in range(20)], delay=0.1), Reply.stream(["Hi Zoë"])
    )
    app = Host(db, online(openai_server), ids["refund"])
    async with app.run_test(size=(120, 40)) as pilot:
        panel = panel_of(app)
        await eventually(lambda: "old1 " in panel.text)
        panel.show_conversation(ids["login"])
        await settle(app, pilot)
        await asyncio.sleep(0.3)  # three more tokens' time: nothing of the old stream arrives
        assert panel.text == "Hi Zoë"
        assert "old" not in screen_text(app)
        assert panel.status.startswith("draft · Enter")  # not the cancelled stream's line
        assert "account access" in screen_text(app)


def test_every_panel_binding_is_documented():
    keys = (Path(__file__).parent.parent / "docs" / "keys.md").read_text()
    for binding in AssistPanel.BINDINGS:
        assert f"`{binding.id}` | `{binding.key}`" in keys, binding.id


# ---- through the real app -----------------------------------------------------------------
async def test_real_app_streams_accepts_and_records_an_assisted_reply(
    desk, tmp_path, openai_server
):
    from agentdesk.app import make_app
    from agentdesk.config import parse_config
    from agentdesk.connectors.demo import DemoConnector
    from agentdesk.screens.conversation import ConversationScreen

    path, ids = desk
    with Store(path) as db:
        import_kb(db, write_kb(tmp_path / "kb"))
    config = parse_config(
        {
            "agent": {"name": "alice", "display_name": "Alice Martin"},
            "llm": {"base_url": openai_server.base_url, "model": "m", "max_retries": 0},
        }
    )
    draft = "Hi Ann, I'm sorry about the wait. Your refund is on its way."
    openai_server.script(Reply.stream([w + " " for w in draft.split()], delay=0.02))
    app = make_app(config, path, [DemoConnector()])
    async with app.run_test(size=(170, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the oldest-waiting conversation: Ann's refund
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        panel = screen.query_one(AssistPanel)
        assert panel.display and panel.text.strip() == draft
        assert "How refunds work" in screen_text(app)
        panel.focus()
        await pilot.press("enter")  # use the draft
        await pilot.pause()
        assert screen.composer.text == draft
        await pilot.press("end", *" Alice", "ctrl+s")
        await settle(app, pilot)
    with Store(path) as db:
        reply = [e for e in db.events.read(ids["refund"]) if e["kind"] == "reply"][-1]
    assert reply["payload"] == {"ai_assisted": True, "edit_distance": 1}


async def test_real_app_analyses_off_the_ui_thread_and_drops_a_stale_result(desk, alice):
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(170, 40)) as pilot:
        await pilot.pause()
        # Hold the database as a long write would: the UI thread may still use it (the
        # lock is re-entrant), the analysis thread waits.
        with app.store.db.read():
            await pilot.press("enter")  # Ann's refund
            await pilot.pause()
            panel = app.screen.query_one(AssistPanel)
            assert "Reading the conversation…" in screen_text(app)
            await pilot.press("r", *"On it", "escape", "j")  # the desk answers meanwhile
            await pilot.pause()
            assert app.screen.conversation_id == ids["html"]
            assert panel.context is None and "Reading the conversation…" in screen_text(app)
        await settle(app, pilot)
        assert panel.context.conversation.id == ids["html"]  # the refund's result is gone
        assert "billing" in screen_text(app) and "refund" not in panel.context.mood.line()
    with Store(path) as db:
        assert db.drafts.get(ids["refund"]) == "On it"


async def test_real_app_shows_none_of_the_last_conversation_while_it_reads_the_next(desk, alice):
    """j while the next conversation is read: the last one's articles, draft and status
    are gone from the screen at once, and the next one's show once read."""
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(170, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Ann's refund
        await until(pilot, lambda: getattr(getattr(app.screen, "assist", None), "text", ""))
        await settle(app, pilot)
        before = screen_text(app)
        assert "Hi Ann," in before and "Refund" in before and "Enter: replace" in before
        with app.store.db.read():  # the analysis thread waits: the panel is reading
            await pilot.press("j")
            await pilot.pause()
            text = screen_text(app)
            assert app.screen.conversation_id == ids["html"]
            assert "Reading the conversation…" in text
            assert "Hi Ann," not in text and "Refund" not in text
            assert "Enter: replace" not in text
        await settle(app, pilot)
        assert "Enter: replace" in screen_text(app) and "Hi Ann," not in screen_text(app)


@pytest.mark.parametrize("width", [170, 120])
async def test_real_app_a_shows_focuses_and_hides_the_panel(desk, alice, width):
    """Wide: shown at start, a focuses it. Narrow: hidden until a. Focused: a hides it."""
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        if width >= 160:  # wide: shown at start, mounted once its modules are imported
            await until(pilot, lambda: bool(app.screen.query(AssistPanel)))
            panel = app.screen.query_one(AssistPanel)
            assert panel.display and app.screen.focused is not panel
        else:
            assert not app.screen.query(AssistPanel)  # mounted the first time it is shown
        await pilot.press("a")
        async with asyncio.timeout(10):
            while not app.screen.query(AssistPanel):
                await asyncio.sleep(0.01)
        await settle(app, pilot)
        panel = app.screen.query_one(AssistPanel)
        assert panel.display and app.screen.focused is panel
        assert "Offline draft" in screen_text(app)
        await pilot.press("g")  # its keys work at once
        await settle(app, pilot)
        assert "Offline draft" in screen_text(app)
        await pilot.press("escape")  # nothing to cancel: back to the thread
        await pilot.press("a")  # shown but not focused: a focuses it, no "a a"
        await pilot.pause()
        assert panel.display and app.screen.focused is panel
        await pilot.press("a")  # focused: a hides it
        await pilot.pause()
        assert not panel.display and app.screen.focused is not panel


async def test_a_new_customer_message_refreshes_mood_and_suggestions(store):
    from desk_data import at

    from agentdesk.domain import Inbound

    db, ids = store
    app = Host(db, AssistSettings(agent_display_name="Alice"), ids["login"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = panel_of(app)
        assert "account access" in screen_text(app)
        db.messages.record_inbound(
            Inbound(
                channel="chat",
                address="@zoe:example.org",
                name="Zoë",
                text="Forget the code. I want to cancel and close my account, this is useless!!",
                at=at(1),
                thread_key="chat-zoe",
            )
        )
        panel.refresh_analysis(ids["login"])
        await settle(app, pilot)
        text = screen_text(app)
        assert "frustrated · cancel" in text or "angry · cancel" in text
        assert "Close your account" in text
        assert "the customer wrote again · g: draft again" in text
