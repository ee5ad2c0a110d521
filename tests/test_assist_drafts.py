"""The offline draft test set (``tests/assist_sets/drafts.py``) over the demo help centre."""

from __future__ import annotations

from pathlib import Path

import pytest
from assist_sets.drafts import DRAFTS, FOREIGN
from desk_data import at

import agentdesk.demo
from agentdesk.assist.context import load_context
from agentdesk.assist.kbimport import import_kb
from agentdesk.assist.offline import compose
from agentdesk.domain import Inbound
from agentdesk.store import Store


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory):
    with Store(tmp_path_factory.mktemp("drafts") / "desk.db") as store:
        import_kb(store, Path(agentdesk.demo.__file__).parent / "kb")
        yield store


@pytest.mark.parametrize(("lang", "channel", "minutes", "text", "must", "must_not"), DRAFTS)
def test_offline_draft(demo_desk, frozen_clock, lang, channel, minutes, text, must, must_not):
    number = DRAFTS.index((lang, channel, minutes, text, must, must_not))
    address = f"kim{number}@example.com" if channel == "email" else f"@kim{number}:example.org"
    conversation_id, _ = demo_desk.messages.record_inbound(
        Inbound(
            channel=channel,
            address=address,
            name="Kim Park",
            subject="",
            text=text,
            at=at(minutes),
            thread_key=None if channel == "email" else f"chat-{number}",
        )
    )
    composed = compose(load_context(demo_desk, conversation_id, "Alice Martin"))
    draft = composed.text
    assert composed.language == lang
    for wanted in must:
        assert wanted in draft, (wanted, draft)
    for unwanted in (*must_not, *FOREIGN[lang]):
        assert unwanted not in draft, (unwanted, draft)
    assert draft.rstrip().endswith("Alice Martin")
    assert "{" not in draft and "[" not in draft
