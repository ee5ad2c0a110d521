"""Drafts are each agent's own: two agents in one conversation never share a composer."""

from __future__ import annotations

from conftest import NO_PRESEND, until

from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store


def test_each_agent_keeps_a_draft_and_an_older_ownerless_one_is_taken_over(desk):
    path, ids = desk
    refund = ids["refund"]
    with Store(path) as store:
        store.drafts.save(refund, "reply", "from before teams")  # no owner
        assert store.drafts.get(refund, "reply", "alice") == "from before teams"
        store.drafts.save(refund, "reply", "alice's", "alice")  # alice saves over it
        assert store.drafts.get(refund, "reply", "bob") == ""
        store.drafts.save(refund, "reply", "bob's", "bob")
        assert store.drafts.get(refund, "reply", "alice") == "alice's"
        store.replies.add(refund, "bob", "Sent by bob", delivery="queued")
        assert store.drafts.get(refund, "reply", "bob") == ""
        assert store.drafts.get(refund, "reply", "alice") == "alice's"


async def test_two_agents_in_one_conversation_each_see_only_their_own_draft(desk):
    path, ids = desk
    apps = [make_app(Config(agent_name=name, raw=NO_PRESEND), path, []) for name in ("a", "b")]
    alice, bob = apps
    async with alice.run_test(size=(160, 40)) as one, bob.run_test(size=(160, 40)) as two:
        for pilot, app in ((one, alice), (two, bob)):
            await pilot.pause()
            await pilot.press("enter")
            await until(pilot, lambda app=app: isinstance(app.screen, ConversationScreen))
        await one.press("r", *"Alice writes")
        await until(one, lambda: alice.store.drafts.get(ids["refund"], "reply", "a"))
        await two.press("r")
        await two.pause()
        assert bob.screen.composer.text == ""
        await two.press(*"Bob writes")
        await until(two, lambda: bob.store.drafts.get(ids["refund"], "reply", "b"))
        await one.press("escape", "escape")  # alice leaves: her draft is saved as hers
        await until(one, lambda: not isinstance(alice.screen, ConversationScreen))
    with Store(path) as store:
        assert store.drafts.get(ids["refund"], "reply", "a") == "Alice writes"
        assert store.drafts.get(ids["refund"], "reply", "b") == "Bob writes"
