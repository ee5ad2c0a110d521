"""The pre-send check: rules on their own, then driven through the app with Ctrl+S."""

from __future__ import annotations

import time

from conftest import screen_text

from agentdesk.app import make_app
from agentdesk.assist.presend import check
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.screens.presend import PresendScreen
from agentdesk.store import Store

QUESTION = "My parcel is STILL not here!! Do you ship to Norway at all? And where is the invoice?"


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_each_rule_finds_what_it_names():
    reply = (
        "Hi {customer.first_name}, we ship to Norway. See the attached label. "
        "Card on file: 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00."
    )
    findings = check(reply, [QUESTION], upset=True)
    assert rules(findings) == [
        "unanswered_question",
        "empathy",
        "payment_numbers",
        "payment_numbers",
        "attachment",
        "placeholder",
    ]
    assert findings[0].line == "not answered: “And where is the invoice?”"  # Norway was
    assert findings[4].line == "says “attached” but nothing is attached"
    assert findings[5].line == "unfilled {customer.first_name}"
    good = "Hi Ann, I'm sorry it is late. Yes, we ship to Norway; your invoice is in Orders."
    assert check(good, [QUESTION], upset=True) == []
    assert check("Label attached.", [], upset=False, attachments=1) == []


def test_unedited_model_draft_is_off_unless_enabled_and_rules_can_be_turned_off():
    draft = "Hi Ann, your refund is on its way."
    assert check(draft, [], False, draft=draft, from_model=True) == []
    every = frozenset({"unedited_draft", "empathy"})
    assert rules(check(draft, [], False, draft=draft, from_model=True, enabled=every)) == [
        "unedited_draft"
    ]
    assert check("No empathy here.", [QUESTION], True, enabled=frozenset()) == []


def test_the_check_is_fast_on_a_long_reply():
    reply = ("We looked into your order and the courier. " * 200) + "4111 1111 1111 1111"
    texts = [QUESTION * 20, "older message " * 500]
    started = time.process_time()  # CPU: load does not count
    for _ in range(10):
        check(reply, texts, upset=True)
    assert (time.process_time() - started) / 10 < 0.05


def with_presend(**rules_on) -> Config:
    return Config(
        agent_name="alice",
        agent_display_name="Alice Martin",
        agent_email="alice@desk.example",
        raw={"presend": rules_on} if rules_on else {},
    )


async def open_question(app, pilot, path) -> int:
    from desk_data import at

    with Store(path) as store:
        conversation_id, _ = store.messages.record_inbound(
            Inbound(
                channel="email",
                address="ola@example.no",
                name="Ola Nordmann",
                subject="Norway",
                text=QUESTION,
                at=at(600),  # the oldest waiting: Enter opens it
            )
        )
    await pilot.pause()
    app.open_conversation(conversation_id)
    await pilot.pause()
    return conversation_id


async def test_findings_are_listed_esc_goes_back_enter_sends(desk):
    path, _ = desk
    demo = DemoConnector()
    app = make_app(with_presend(), path, [demo])
    async with app.run_test(size=(160, 40)) as pilot:
        conversation_id = await open_question(app, pilot, path)
        await pilot.press("r", *"We ship to Norway, see attached.", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PresendScreen)
        text = screen_text(app)
        assert "Before you send" in text
        assert "not answered: “And where is the invoice?”" in text
        assert "the customer is upset and the reply acknowledges nothing" in text
        assert "says “attached” but nothing is attached" in text
        await pilot.press("escape")  # back to the composer, nothing sent
        await pilot.pause()
        assert not isinstance(app.screen, PresendScreen)
        assert app.screen.focused is app.screen.composer
        assert app.screen.composer.text == "We ship to Norway, see attached."
        assert demo.sent == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")  # send anyway
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.text for r in demo.sent] == ["We ship to Norway, see attached."]
        assert app.screen.composer.text == ""
    with Store(path) as store:
        assert store.messages.thread(conversation_id)[-1].body == "We ship to Norway, see attached."


async def test_nothing_found_sends_at_once_and_rules_turn_off(desk):
    path, _ = desk
    demo = DemoConnector()
    app = make_app(with_presend(attachment=False, empathy=False), path, [demo])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_question(app, pilot, path)
        reply = "Yes, we ship to Norway, and the invoice is attached in Orders."
        await pilot.press("r", *reply, "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, PresendScreen)
        assert [r.text for r in demo.sent] == [reply]
