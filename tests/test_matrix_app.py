"""The desk app with a Matrix connector: a customer's chat shows up, the agent's typing
and reading are shown to them, and the reply reaches them."""

from __future__ import annotations

import time
from dataclasses import replace

from conftest import screen_text, until
from synapse import MatrixUser

from agentdesk.app import make_app
from agentdesk.connectors.matrix import MatrixConnector
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.surveys.questions import QUESTIONS
from agentdesk.widgets.inbox_list import InboxList


def erin_writes(synapse, monkeypatch, prefix: str):
    """The desk's account and Erin's, her room with her first message in it, and the
    desk's Matrix connector (its password from the environment, as a user sets it)."""
    stamp = int(time.time() * 1000) % 10**9
    desk = MatrixUser(synapse, f"{prefix}desk{stamp}", "Support")
    customer = MatrixUser(synapse, f"{prefix}cust{stamp}", "Erin Example")
    variable = f"{prefix.upper()}_MATRIX_PASSWORD"
    monkeypatch.setenv(variable, desk.password)
    room = customer.open_chat(desk.user_id)
    customer.send(room, "Hi, my parcel is stuck in customs")
    connector = MatrixConnector(
        {
            "homeserver": synapse.url,
            "user": desk.user_id,
            "password_env": variable,
            "max_backoff": 1.0,
        }
    )
    return desk, customer, room, connector


async def test_chat_arrives_and_the_reply_reaches_the_room(
    synapse,
    alice,
    tmp_path,
    monkeypatch,
):
    desk, customer, room, connector = erin_writes(synapse, monkeypatch, "app")
    app = make_app(alice, tmp_path / "desk.db", [connector])
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one(InboxList).total == 1)
        assert "Erin Example" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert "parcel is stuck in customs" in screen_text(app)
        await pilot.press("r", *"It clears tomorrow, Erin.")

        def seen(kind: str) -> bool:
            events = [e["content"] for e in customer.ephemeral(room) if e["type"] == kind]
            return any(desk.user_id in str(content) for content in events)

        await until(pilot, lambda: seen("m.typing"))  # the customer sees the agent typing
        await until(pilot, lambda: seen("m.receipt"))  # and that their message was read
        await pilot.press("ctrl+s")
        await until(pilot, lambda: customer.messages(room, sender=desk.user_id))
    (reply,) = customer.messages(room, sender=desk.user_id)
    assert reply["content"]["body"] == "It clears tomorrow, Erin."
    desk.close()
    customer.close()


async def test_a_reply_sent_while_the_homeserver_is_down_arrives_once_it_is_back(
    synapse, alice, tmp_path, monkeypatch
):
    stamp = int(time.time() * 1000) % 10**9
    desk = MatrixUser(synapse, f"downdesk{stamp}", "Support")
    customer = MatrixUser(synapse, f"downcust{stamp}", "Fay Example")
    monkeypatch.setenv("DOWN_MATRIX_PASSWORD", desk.password)
    room = customer.open_chat(desk.user_id)
    customer.send(room, "Is anyone there?")
    config = replace(
        alice,
        raw={
            "delivery": {"retry_first": 0.5, "retry_max": 1.0, "send_timeout": 5.0},
            **alice.raw,  # no pre-send check
        },
    )
    settings = {
        "homeserver": synapse.url,
        "user": desk.user_id,
        "password_env": "DOWN_MATRIX_PASSWORD",
        "max_backoff": 1.0,
    }

    def bodies() -> list[str]:
        return [e["content"]["body"] for e in customer.messages(room, sender=desk.user_id)]

    def stuck(app) -> str:
        return " | ".join(reply.delivery or "" for reply in app.store.replies.unsent())

    async def send_while_down(app, pilot, text: str) -> None:
        await until(pilot, lambda: app.screen.query_one(InboxList).total == 1, timeout=30)
        app.open_conversation(app.store.conversations.id_for_uid(room))
        await pilot.pause()
        synapse.stop()
        await pilot.press("r", *text, "ctrl+s")
        await until(pilot, lambda: stuck(app).startswith("retry: chat: "), timeout=30)
        # The thread re-reads in a worker after each attempt: it shows the state soon after.
        await until(
            pilot,
            lambda: "retry: chat: " in "".join(str(text) for text in app.screen.thread.shown()),
            timeout=10,
        )

    app = make_app(config, tmp_path / "desk.db", [MatrixConnector(dict(settings))])
    try:
        async with app.run_test(size=(220, 50)) as pilot:
            await send_while_down(app, pilot, "Yes, we are here.")
            synapse.start()  # the connector reconnects; the reply is retried
            await until(pilot, lambda: not stuck(app), timeout=30)
        assert bodies() == ["Yes, we are here."]

        app = make_app(config, tmp_path / "desk.db", [MatrixConnector(dict(settings))])
        async with app.run_test(size=(220, 50)) as pilot:
            await send_while_down(app, pilot, "Still here.")
    finally:
        if synapse.process is None:
            synapse.start()
    # the desk starts again with the homeserver back: the waiting reply goes out once
    again = make_app(config, tmp_path / "desk.db", [MatrixConnector(dict(settings))])
    async with again.run_test(size=(220, 50)) as pilot:
        await until(pilot, lambda: not stuck(again), timeout=30)
    assert bodies() == ["Yes, we are here.", "Still here."]
    desk.close()
    customer.close()


async def test_a_thumbs_up_on_the_survey_is_the_customers_rating(
    synapse, alice, tmp_path, monkeypatch
):
    """Issue 13: the survey reaches the room; a reaction on it is a rating (the
    conversation stays resolved), a reaction on anything else is kept nowhere."""
    desk, customer, room, connector = erin_writes(synapse, monkeypatch, "csat")
    config = replace(alice, raw={**alice.raw, "csat": {"channels": {"chat": True}}})
    app = make_app(config, tmp_path / "desk.db", [connector])
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one(InboxList).total == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.press("r", *"It clears tomorrow, Erin.", "ctrl+s")
        await until(pilot, lambda: len(customer.messages(room, sender=desk.user_id)) == 1)
        await pilot.press("x")
        await until(pilot, lambda: len(customer.messages(room, sender=desk.user_id)) == 2)
        reply, survey = customer.messages(room, sender=desk.user_id)
        assert survey["content"]["body"] == QUESTIONS["en"]
        customer.react(room, reply["event_id"], "👍")  # on the reply: not a rating
        customer.react(room, survey["event_id"], "❤️")  # no rating
        customer.react(room, survey["event_id"], "👍")

        def ratings() -> list[dict]:
            return [e for e in app.store.events.read(1) if e["kind"] == "csat"]

        await until(pilot, ratings)
        assert ratings()[0]["payload"]["rating"] == 5
        assert app.store.conversations.get(1).status == "resolved"
        customer_messages = [m.body for m in app.store.messages.thread(1) if m.direction == "in"]
        assert customer_messages == ["Hi, my parcel is stuck in customs", "👍"]
    desk.close()
    customer.close()
