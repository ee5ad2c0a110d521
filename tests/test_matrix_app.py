"""The desk app with a Matrix connector: a customer's chat shows up, the agent's typing
and reading are shown to them, and the reply reaches them."""

from __future__ import annotations

import asyncio
import time

from conftest import screen_text
from synapse import MatrixUser, Synapse, synapse  # noqa: F401 - the session fixture

from agentdesk.app import make_app
from agentdesk.connectors.matrix import MatrixConnector
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.widgets.inbox_list import InboxList


async def test_chat_arrives_and_the_reply_reaches_the_room(synapse, alice, tmp_path,  # noqa: F811
                                                           monkeypatch):
    stamp = int(time.time() * 1000) % 10**9
    desk = MatrixUser(synapse, f"appdesk{stamp}", "Support")
    customer = MatrixUser(synapse, f"appcust{stamp}", "Erin Example")
    monkeypatch.setenv("APP_MATRIX_PASSWORD", desk.password)
    room = customer.open_chat(desk.user_id)
    customer.send(room, "Hi, my parcel is stuck in customs")
    connector = MatrixConnector({"homeserver": synapse.url, "user": desk.user_id,
                                 "password_env": "APP_MATRIX_PASSWORD", "max_backoff": 1.0})
    app = make_app(alice, tmp_path / "desk.db", [connector])
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.screen.query_one(InboxList).total == 1:
                break
        assert app.screen.query_one(InboxList).total == 1
        assert "Erin Example" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert "parcel is stuck in customs" in screen_text(app)
        await pilot.press("r", *"It clears tomorrow, Erin.")

        def seen(kind: str) -> bool:
            events = [e["content"] for e in customer.ephemeral(room) if e["type"] == kind]
            return any(desk.user_id in str(content) for content in events)

        for _ in range(100):
            await pilot.pause(0.05)
            if seen("m.typing") and seen("m.receipt"):
                break
        assert seen("m.typing")  # the customer sees the agent typing
        assert seen("m.receipt")  # and that their message was read
        await pilot.press("ctrl+s")
        for _ in range(200):
            await asyncio.sleep(0.05)
            if customer.messages(room, sender=desk.user_id):
                break
    (reply,) = customer.messages(room, sender=desk.user_id)
    assert reply["content"]["body"] == "It clears tomorrow, Erin."
    desk.close()
    customer.close()
