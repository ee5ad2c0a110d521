"""The desk app with a Matrix connector: a customer's chat shows up, the reply reaches them."""

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
        await pilot.press("r", *"It clears tomorrow, Erin.", "ctrl+s")
        for _ in range(200):
            await asyncio.sleep(0.05)
            if customer.messages(room, sender=desk.user_id):
                break
    (reply,) = customer.messages(room, sender=desk.user_id)
    assert reply["content"]["body"] == "It clears tomorrow, Erin."
    desk.close()
    customer.close()
