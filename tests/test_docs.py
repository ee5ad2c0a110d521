"""Docs stay true: every key binding id is documented."""

from __future__ import annotations

from pathlib import Path

from agentdesk.app import AgentDeskApp
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.screens.inbox import InboxScreen
from agentdesk.screens.online import OnlineScreen
from agentdesk.screens.stats import DrillDownScreen, StatsScreen
from agentdesk.widgets.inbox_list import InboxList

KEYS = (Path(__file__).parent.parent / "docs" / "keys.md").read_text()


def test_every_binding_has_an_id_and_is_documented():
    for owner in (
        AgentDeskApp,
        InboxScreen,
        InboxList,
        ConversationScreen,
        StatsScreen,
        DrillDownScreen,
        OnlineScreen,
    ):
        for binding in owner.BINDINGS:
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"
            assert f"`{binding.id}` | `{binding.key}`" in KEYS, binding.id
