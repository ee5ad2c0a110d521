"""The feedback loop in the app, on the demo channel: an agent resolves, the survey leaves
through the channel, the customer's rating comes back as CSAT with its comment, the
conversation stays resolved, and the stats screen shows the response rate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

from conftest import Notices, screen_text, until
from desk_data import NOW

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.connectors.base import DeliveryResult
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import LOW_CSAT_VIEW, Inbound, Macro, Outgoing
from agentdesk.metrics.facts import CSAT
from agentdesk.metrics.report import COLUMNS
from agentdesk.screens.inbox import InboxScreen
from agentdesk.screens.pickers import ChoiceScreen
from agentdesk.screens.stats import DrillDownScreen, StatsScreen
from agentdesk.store import Store
from agentdesk.surveys.questions import CES_QUESTIONS, QUESTIONS
from agentdesk.widgets.inbox_list import InboxList


class LiveDemo(DemoConnector):
    """The demo channel, with customer messages handed in while the app runs."""

    def __init__(self) -> None:
        super().__init__()
        self.customer: asyncio.Queue[Inbound] = asyncio.Queue()

    async def incoming(self) -> AsyncIterator[Inbound]:
        while True:
            yield await self.customer.get()

    async def stop(self) -> None:
        pass


async def say(channel: LiveDemo, text: str, minutes: float) -> None:
    """Zoë writes in her chat, ``minutes`` after the desk's now."""
    clock.set_now(NOW + timedelta(minutes=minutes))
    await channel.customer.put(
        Inbound("chat", "@zoe:example.org", text, clock.now_iso(), thread_key="chat-zoe")
    )


async def resolve_and_survey(app, pilot, channel: LiveDemo, conversation_id: int) -> None:
    """Open the conversation, resolve it with x, and wait for its survey to leave."""
    app.open_conversation(conversation_id)
    await pilot.pause()
    await pilot.press("x")
    await until(pilot, lambda: len(channel.sent) == 1)


def with_surveys(config, **csat):
    return replace(config, raw={**config.raw, "csat": {"enabled": True, **csat}})


def events(path, kind: str) -> list[dict]:
    with Store(path) as store:
        return [e for e in store.events.read() if e["kind"] == kind]


async def test_resolve_survey_answer_and_response_rate(desk, alice):
    path, ids = desk
    channel = LiveDemo()
    app = make_app(with_surveys(alice), path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        await pilot.press("x")
        await until(pilot, lambda: [r.text for r in channel.sent] == [QUESTIONS["en"]])
        await until(pilot, lambda: "satisfaction survey" in screen_text(app))
        (sent,) = events(path, "survey_sent")
        assert sent["agent"] == "alice"  # who resolved: the credit stays with them
        replies = [e for e in events(path, "reply") if e["conversation_id"] == ids["login"]]
        assert [e["agent"] for e in replies] == ["bob"]  # the survey is not a reply

        clock.set_now(NOW + timedelta(minutes=3))
        await channel.customer.put(
            Inbound(
                channel="chat",
                address="@zoe:example.org",
                text="4 – quick and kind",
                at=clock.now_iso(),
                thread_key="chat-zoe",
                ext_id="zoe-answer",
            )
        )
        await until(pilot, lambda: events(path, "csat"))
        (rating,) = events(path, "csat")
        assert rating["payload"]["rating"] == 4
        assert rating["payload"]["comment"] == "quick and kind"
        assert rating["message_id"] == sent["message_id"]
        with Store(path) as store:
            conversation = store.conversations.get(ids["login"])
            assert conversation.status == "resolved" and conversation.waiting_since is None
        await until(pilot, lambda: "4 – quick and kind" in screen_text(app))

        clock.set_now(NOW + timedelta(minutes=5))  # the period ends now: the answer is in it
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await until(pilot, lambda: "100% (1)" in screen_text(app))  # computed in a worker
        assert "CSAT resp." in screen_text(app)
        alice_row = next(line for line in screen_text(app).splitlines() if "alice" in line)
        assert alice_row.count("100% (1)") == 2  # CSAT and its response rate


async def test_a_low_rating_is_in_the_low_csat_view_and_the_drill_down(desk, alice):
    """Follow-up on a bad rating, as a lead does it: the view "Low CSAT" (key 1 here)
    lists the conversation, and the CSAT figure's drill-down shows the comment."""
    path, ids = desk
    channel = LiveDemo()
    config = replace(with_surveys(alice), views=(LOW_CSAT_VIEW,))  # as [csat] on gives
    app = make_app(config, path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        await resolve_and_survey(app, pilot, channel, ids["login"])
        await say(channel, "1 – nobody helped", minutes=3)
        await until(pilot, lambda: events(path, "csat"))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await until(pilot, lambda: "1 Low CSAT (1)" in screen_text(app))
        await pilot.press("1")  # a lone digit: the view of that number
        inbox = app.screen.query_one(InboxList)
        # The view's rows are read in a worker after its count: wait for the row itself.
        await until(pilot, lambda: inbox.total == 1 and inbox.cached_index(ids["login"]) == 0)

        clock.set_now(NOW + timedelta(minutes=5))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await until(pilot, lambda: "0% (1)" in screen_text(app))  # alice's CSAT, from a worker
        await pilot.press(*["right"] * [key for _, key in COLUMNS].index(CSAT))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DrillDownScreen))
        await until(pilot, lambda: 'rating 1: "nobody helped"' in screen_text(app))


async def test_no_survey_when_off_and_only_one_per_resolve(desk, alice):
    path, ids = desk
    channel = LiveDemo()
    app = make_app(with_surveys(alice, channels={"email": False}), path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["refund"])  # email: off
        await pilot.pause()
        await pilot.press("r", *"We refunded it today.", "ctrl+s")
        await until(pilot, lambda: len(channel.sent) == 1)
        await pilot.press("x")
        await pilot.pause(0.3)  # a window in which no survey may go out by email
        app.open_conversation(ids["login"])  # chat: on
        await pilot.pause()
        await pilot.press("x", "o", "x")  # resolve, reopen, resolve again
        await until(pilot, lambda: len(channel.sent) == 2)
        await pilot.pause(0.3)  # a window in which a second survey must not go out
    assert channel.sent[1].text == QUESTIONS["en"] and len(channel.sent) == 2
    assert len(events(path, "survey_sent")) == 1  # cool-down: not asked again


async def test_the_effort_question_follows_the_rating(desk, alice):
    path, ids = desk
    channel = LiveDemo()
    app = make_app(with_surveys(alice, ces=True), path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        await resolve_and_survey(app, pilot, channel, ids["login"])
        await say(channel, "5 – great", minutes=2)
        await until(pilot, lambda: len(channel.sent) == 2)  # the effort question
        await say(channel, "7", minutes=4)
        await until(pilot, lambda: events(path, "ces"))
        await until(pilot, lambda: "effort survey" in screen_text(app))
    assert channel.sent[1].text == CES_QUESTIONS["en"] and len(channel.sent) == 2
    assert [e["payload"]["rating"] for e in events(path, "ces")] == [7]
    with Store(path) as store:
        assert store.conversations.get(ids["login"]).status == "resolved"


async def test_a_macro_and_a_bulk_resolve_send_surveys_too(desk, alice):
    """The resolves of a macro in a conversation and of x on marked inbox rows (in a
    worker thread) ask for feedback like the conversation's own x."""
    path, ids = desk
    with Store(path) as store:
        store.replies.add(ids["html"], "alice", "The second charge is refunded.")
        store.replies.add(ids["refund"], "alice", "Your refund left today.")
    config = with_surveys(alice)
    config = replace(config, macros=(Macro("Close", status="resolved"),))
    channel = LiveDemo()
    app = make_app(config, path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["html"])
        await pilot.pause()
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("enter")
        await until(pilot, lambda: len(channel.sent) == 1)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("asterisk")
        inbox = app.screen.query_one(InboxList)
        await until(pilot, lambda: bool(inbox.marked))
        await pilot.press("x")
        await until(pilot, lambda: len(channel.sent) == 3)
    asked = sorted(r.conversation_uid for r in channel.sent)
    with Store(path) as store:
        uids = sorted(store.conversations.get(ids[n]).uid for n in ("html", "refund", "login"))
    assert asked == uids  # those an agent replied to; not ann_chat nor hostile
    assert {r.text for r in channel.sent} == {QUESTIONS["en"]}


async def test_taking_back_a_held_reply_takes_its_survey_back_too(desk, alice):
    """Undo send: the reply waits, the agent resolves (the survey waits for the reply),
    then u takes back the reply (not the survey) and the survey with it."""
    path, ids = desk
    channel = LiveDemo()
    app = make_app(replace(with_surveys(alice), undo_seconds=60), path, [channel])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        await pilot.press("r", *"Try once more, please.", "ctrl+s")
        await pilot.press("x")
        with Store(path) as store:
            await until(pilot, lambda: any(m.survey for m in store.replies.unsent(ids["login"])))
        await pilot.press("u")
        await until(pilot, lambda: app.screen.composer.text.strip() == "Try once more, please.")
        with Store(path) as store:
            assert store.replies.unsent(ids["login"]) == []  # both withdrawn
        await pilot.pause(0.3)  # a window in which nothing withdrawn may be sent
    assert channel.sent == []


class Bouncing(LiveDemo):
    """The demo channel, refusing for good the first send of each text in ``bounce``."""

    def __init__(self, *bounce: str) -> None:
        super().__init__()
        self.bounce = list(bounce)

    async def send(self, reply: Outgoing) -> DeliveryResult:
        if reply.text in self.bounce:
            self.bounce.remove(reply.text)
            return DeliveryResult("failed", "550 mailbox unavailable")
        return await super().send(reply)


async def test_a_survey_behind_a_reply_that_failed_for_good_is_not_sent_until_r(desk, alice):
    """The reply bounces for good, so the survey after it is recorded as not sent (it
    would ask about an answer the customer never got) instead of retrying for ever; R
    sends both again, the survey right after the reply. Backoff is a minute: only the
    reply's outcome can move the survey on within the test."""
    path, ids = desk
    channel = Bouncing("Try once more, please.")
    config = replace(with_surveys(alice), undo_seconds=1)
    config = replace(config, raw={**config.raw, "delivery": {"retry_first": 60, "retry_max": 60}})
    app, notices = make_app(config, path, [channel]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        await pilot.press("r", *"Try once more, please.", "ctrl+s")
        await pilot.press("x")  # the survey is queued while the reply is held
        await until(
            pilot, lambda: notices.matching("Survey not sent (failed): the reply before it")
        )
        assert channel.sent == [] and not events(path, "survey_sent")
        # the thread re-reads itself in a worker after the outcome is stored
        await until(
            pilot,
            lambda: (
                "failed: the reply before it was not sent"
                in "\n".join(str(line) for line in app.screen.thread.shown())
            ),
        )
        await pilot.press("R")
        await until(pilot, lambda: len(channel.sent) == 2)
        assert [r.text for r in channel.sent] == ["Try once more, please.", QUESTIONS["en"]]
        await until(pilot, lambda: events(path, "survey_sent"))
