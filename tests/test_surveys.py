"""Surveys without the UI: when one is queued, how it is delivered and logged, what
counts as its answer, the response rate in `agentdesk stats`, and the [csat] table."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
from datetime import timedelta

import pytest
from conftest import eventually
from desk_data import NOW

from agentdesk import cli, clock
from agentdesk.commands.serve import serve
from agentdesk.config import Config, ConfigError, parse_config
from agentdesk.connectors.base import DeliveryResult
from agentdesk.connectors.demo import DemoConnector
from agentdesk.delivery import ChannelHost
from agentdesk.domain import LOW_CSAT_VIEW, Inbound
from agentdesk.metrics.aggregate import Rate, summarize
from agentdesk.metrics.facts import CES, CSAT, CSAT_RESPONSE, FRT, build_facts
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.store import Store
from agentdesk.surveys.questions import CES_QUESTIONS, QUESTIONS
from agentdesk.surveys.sending import queue_effort_question, queue_survey
from agentdesk.surveys.settings import CsatSettings, csat_settings
from agentdesk.transfer import export_file, import_file

ON = CsatSettings(enabled=True)


@pytest.fixture
def store(desk):
    path, ids = desk
    with Store(path) as store:
        yield store, ids


def resolve(store, conversation_id: int, agent: str = "alice") -> None:
    store.conversations.set_status(conversation_id, "resolved", agent)


def kinds(store, conversation_id: int) -> list[str]:
    return [e["kind"] for e in store.events.read(conversation_id)]


def later(minutes: float) -> str:
    """Move the clock ``minutes`` past the desk's now; returns that time."""
    clock.set_now(NOW + timedelta(minutes=minutes))
    return clock.now_iso()


def facts_until(store, minutes: float) -> list:
    """Every fact of the day up to ``minutes`` past the desk's now."""
    period = Period(NOW - timedelta(days=1), NOW + timedelta(minutes=minutes))
    return build_facts(store, period, MetricsSettings(), 0)


async def customer_says(store, text: str, thread_key: str = "chat-zoe", **fields) -> None:
    """A customer message arrives through a connector, as the app stores it."""
    message = Inbound(
        channel="chat",
        address="@zoe:example.org",
        text=text,
        at=later(fields.pop("minutes", 5)),
        thread_key=thread_key,
        **fields,
    )
    await ChannelHost(store, []).receive(DemoConnector(script=[message]))


async def send_survey(store, conversation_id: int, settings: CsatSettings = ON) -> int:
    resolve(store, conversation_id)
    survey = queue_survey(store, settings, conversation_id)
    assert survey is not None
    result = await ChannelHost(store, [DemoConnector()]).deliver(survey)
    assert result.ok
    return survey


async def test_a_sent_survey_is_logged_as_survey_sent_never_as_a_reply(store):
    store, ids = store
    before = facts_until(store, 0)
    survey = await send_survey(store, ids["login"])
    assert kinds(store, ids["login"])[-1] == "survey_sent"
    assert kinds(store, ids["login"]).count("reply") == 1  # bob's
    host = ChannelHost(store, [channel := DemoConnector()])
    assert (await host.deliver(survey)).detail == "already sent" and channel.sent == []
    (message,) = [m for m in store.messages.thread(ids["login"]) if m.survey]
    assert (message.author, message.body, message.delivery) == ("alice", QUESTIONS["en"], "sent")
    after = facts_until(store, 1)

    def first_responses(facts):  # in any order: the engines return rows as they find them
        return sorted((f for f in facts if f.metric == FRT), key=repr)

    assert first_responses(after) == first_responses(before)
    assert summarize(after)[-1].replies == summarize(before)[-1].replies


async def test_a_survey_waits_for_the_reply_before_it(store):
    store, ids = store
    reply = store.replies.add(ids["login"], "alice", "Fixed now!", delivery="queued")
    resolve(store, ids["login"])
    survey = queue_survey(store, ON, ids["login"])
    host = ChannelHost(store, [channel := DemoConnector()])
    assert (await host.deliver(survey)).state == "retry" and channel.sent == []
    await host.deliver(reply)
    await host.deliver(survey)
    assert [r.text for r in channel.sent] == ["Fixed now!", QUESTIONS["en"]]


class Refusing(DemoConnector):
    """The demo channel, refusing every send for good (a mailbox that does not exist)."""

    async def send(self, reply):
        return DeliveryResult("failed", "550 mailbox unavailable")


async def test_a_survey_behind_a_reply_that_failed_for_good_fails_too(store):
    """It would ask about an answer the customer never got: it is recorded as not sent
    (not retried for ever), asks nobody for the cool-down, and once the reply is resent
    the survey goes out after it."""
    store, ids = store
    reply = store.replies.add(ids["login"], "alice", "Fixed now!", delivery="queued")
    resolve(store, ids["login"])
    survey = queue_survey(store, ON, ids["login"])
    refusing = ChannelHost(store, [Refusing()])
    assert (await refusing.deliver(survey)).state == "retry"  # the reply is still to send
    assert (await refusing.deliver(reply)).state == "failed"
    result = await refusing.deliver(survey)
    assert (result.state, result.detail) == ("failed", "the reply before it was not sent")
    assert store.messages.get(survey).delivery == "failed: the reply before it was not sent"
    assert "survey_sent" not in kinds(store, ids["login"])
    assert queue_survey(store, ON, ids["login"]) is None  # this resolve asked already
    host = ChannelHost(store, [channel := DemoConnector()])
    await host.deliver(reply)  # R: both again
    await host.deliver(survey)
    assert [r.text for r in channel.sent] == ["Fixed now!", QUESTIONS["en"]]


async def test_a_reply_that_failed_for_good_holds_no_later_survey(store):
    """A newer reply reached the customer: an old failed one before it does not stop the
    survey, and the failed survey of an earlier resolve is no cool-down."""
    store, ids = store
    old = store.replies.add(ids["login"], "alice", "Old answer", delivery="queued")
    resolve(store, ids["login"])
    first = queue_survey(store, ON, ids["login"])
    refusing = ChannelHost(store, [Refusing()])
    await refusing.deliver(old)
    assert (await refusing.deliver(first)).state == "failed"
    store.conversations.set_status(ids["login"], "open", "alice")
    later(1)
    new = store.replies.add(ids["login"], "alice", "New answer", delivery="queued")
    later(2)
    resolve(store, ids["login"])
    second = queue_survey(store, ON, ids["login"])
    assert second is not None  # the failed survey asked nobody
    host = ChannelHost(store, [channel := DemoConnector()])
    await host.deliver(new)
    assert (await host.deliver(second)).ok
    assert [r.text for r in channel.sent] == ["New answer", QUESTIONS["en"]]


def test_when_no_survey_is_sent(store):
    store, ids = store
    assert queue_survey(store, ON, ids["login"]) is None  # not resolved
    resolve(store, ids["refund"])
    assert queue_survey(store, ON, ids["refund"]) is None  # nobody replied
    resolve(store, ids["login"])
    assert queue_survey(store, CsatSettings(), ids["login"]) is None  # off
    assert queue_survey(store, CsatSettings(True, {"chat": False}), ids["login"]) is None
    off_here = CsatSettings(False, {"chat": True}, {"matrix-desk": False})
    store.conversations.set_via(ids["login"], "matrix-desk")
    assert queue_survey(store, off_here, ids["login"]) is None  # its connector says no
    on_here = CsatSettings(False, {}, {"matrix-desk": True})
    assert queue_survey(store, on_here, ids["login"]) is not None
    assert queue_survey(store, on_here, ids["login"]) is None  # once per resolve
    store.conversations.set_tag(ids["done"], "spam", True, "alice")
    assert queue_survey(store, ON, ids["done"]) is None


async def test_never_after_an_auto_reply(store):
    store, ids = store
    await customer_says(store, "I am out of the office until Monday.", auto=True)
    resolve(store, ids["login"])
    assert queue_survey(store, ON, ids["login"]) is None


async def test_cool_down_counts_every_conversation_of_the_customer(store):
    store, ids = store
    await send_survey(store, ids["done"])  # Ann, email
    store.replies.add(ids["ann_chat"], "bob", "It is on its way.")
    resolve(store, ids["ann_chat"])
    assert queue_survey(store, ON, ids["ann_chat"]) is None  # Ann was asked today
    later(31 * 24 * 60)
    assert queue_survey(store, ON, ids["ann_chat"]) is not None
    store.conversations.set_status(ids["done"], "open", "alice")
    resolve(store, ids["done"])
    assert queue_survey(store, CsatSettings(True, cooldown_days=0), ids["done"]) is not None


def test_the_question_is_in_the_customers_language_with_overrides(store):
    store, ids = store
    store.messages.record_inbound(
        Inbound(
            "chat",
            "@lea:example.org",
            "Hallo, mein Paket ist nicht da und ich warte",
            later(1),
            thread_key="chat-lea",
        )
    )
    lea = store.conversations.id_for_uid("chat-lea")
    store.replies.add(lea, "alice", "Es ist unterwegs.")
    resolve(store, lea)
    survey = queue_survey(store, CsatSettings(True, texts={"de": "Wie war's? 1-5"}), lea)
    assert store.messages.get(survey).body == "Wie war's? 1-5"


async def test_a_pure_rating_is_csat_with_its_comment_and_does_not_reopen(store):
    store, ids = store
    survey = await send_survey(store, ids["login"])
    await customer_says(store, "5 – super fast, thanks")
    conversation = store.conversations.get(ids["login"])
    assert (conversation.status, conversation.waiting_since) == ("resolved", None)
    csat = store.events.read(ids["login"])[-1]
    assert (csat["kind"], csat["message_id"]) == ("csat", survey)
    assert csat["payload"] | {"answer": 0} == {
        "rating": 5,
        "comment": "super fast, thanks",
        "answer": 0,
    }
    await customer_says(store, "5", minutes=9)  # not answering a survey any more: reopens
    assert kinds(store, ids["login"]).count("csat") == 1
    assert store.conversations.get(ids["login"]).status == "open"


async def test_a_rating_with_a_question_reopens(store):
    store, ids = store
    await send_survey(store, ids["login"])
    await customer_says(store, "3 - ok, but when does the refund arrive?")
    (csat,) = [e for e in store.events.read(ids["login"]) if e["kind"] == "csat"]
    assert csat["payload"]["comment"] == "ok, but when does the refund arrive?"
    assert store.conversations.get(ids["login"]).status == "open"


@pytest.mark.parametrize(
    "text",
    ["2 items are missing", "Ok, but I still cannot log in", "5.99 was charged twice"],
)
async def test_ambiguous_text_is_a_normal_message_that_reopens(store, text):
    store, ids = store
    await send_survey(store, ids["login"])
    await customer_says(store, text)
    assert store.messages.thread(ids["login"])[-1].body == text  # in the survey's thread
    assert "csat" not in kinds(store, ids["login"])
    conversation = store.conversations.get(ids["login"])
    assert conversation.status == "open" and conversation.waiting_since is not None


async def test_an_auto_reply_does_not_use_up_the_survey_and_low_ratings_are_tagged(store):
    store, ids = store
    await send_survey(store, ids["login"])
    await customer_says(store, "Auto: I am away", auto=True)
    await customer_says(store, "1 - nobody helped", minutes=7)
    conversation = store.conversations.get(ids["login"])
    assert "low-csat" in conversation.tags and conversation.status == "resolved"
    rows = store.inbox.page(LOW_CSAT_VIEW.filters("alice"), 0, 10)
    assert [row.id for row in rows] == [ids["login"]]


async def test_response_rate_per_agent_and_team_in_every_format(store, tmp_path, capsys):
    store, ids = store
    await send_survey(store, ids["login"])
    await send_survey(store, ids["done"])
    await customer_says(store, "4")
    facts = facts_until(store, 10)
    rows = {row.agent: row for row in summarize(facts)}
    alice, team = rows["alice"], rows["(team)"]
    assert alice.rates[CSAT_RESPONSE].count == 2 and rows["bob"].rates[CSAT_RESPONSE].count == 0
    assert (team.rates[CSAT_RESPONSE].hits, team.rates[CSAT_RESPONSE].percent) == (1, 50.0)
    assert alice.rates[CSAT].count == 1
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "alice"\n', encoding="utf-8")
    args = ["--config", str(config), "stats", "--db", store.path]
    assert cli.main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0][CSAT_RESPONSE] == {"count": 2, "answers": 1, "percent": 50.0}
    assert cli.main([*args, "--format", "csv"]) == 0
    (first, *_) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert (first["csat_response_rate_count"], first["csat_response_rate_answers"]) == ("2", "1")
    assert cli.main(args) == 0
    assert "CSAT resp." in capsys.readouterr().out
    assert cli.main([*args, "--explain", CSAT_RESPONSE]) == 0
    out = capsys.readouterr().out
    assert "unanswered" in out and "rating 4" in out


@pytest.mark.parametrize(
    ("csat", "problem"),
    [
        ({"enabled": "yes"}, "csat.enabled: expected bool, got str 'yes'"),
        ({"cooldown_days": -1}, "csat.cooldown_days: must be 0 or more days, got -1"),
        ({"channels": {"chat": 1}}, "csat.channels.chat: expected bool, got int 1"),
        ({"texts": {"it": "Come va?"}}, "csat.texts.it: unknown key (known: de, en, es, fr)"),
        ({"texts": {"de": "  "}}, "csat.texts.de: the survey question must not be empty"),
        ({"every": 3}, "csat.every: unknown key"),
        ({"ces": 1}, "csat.ces: expected bool, got int 1"),
        ({"ces_texts": {"nl": "Hoe?"}}, "csat.ces_texts.nl: unknown key"),
    ],
)
def test_bad_csat_settings_are_one_line(csat, problem):
    with pytest.raises(ConfigError) as error:
        parse_config({"csat": csat})
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_settings_and_the_built_in_low_csat_view():
    config = parse_config(
        {
            "csat": {
                "channels": {"chat": True},
                "connectors": {"support": False},
                "texts": {"en": "Rate us!"},
            }
        }
    )
    assert csat_settings(config).asks_on("chat", None)
    assert not csat_settings(config).asks_on("email", None)
    assert not csat_settings(config).asks_on("chat", "support")
    assert config.views[-1] == LOW_CSAT_VIEW
    assert LOW_CSAT_VIEW not in parse_config({}).views


async def test_an_answer_keeps_its_comment_through_export_and_import(store, tmp_path):
    store, ids = store
    await send_survey(store, ids["login"])
    await customer_says(store, "2 - slow, but fine in the end")
    export_file(store, tmp_path / "desk.jsonl")
    with Store(tmp_path / "copy.db") as copy:
        import_file(copy, tmp_path / "desk.jsonl")
        (csat,) = [e for e in copy.events.read() if e["kind"] == "csat"]
        assert csat["payload"] == {"rating": 2, "comment": "slow, but fine in the end"}
        assert [e["kind"] for e in copy.events.read()].count("survey_sent") == 1


async def test_a_comment_in_the_drill_down_is_one_clean_line(store):
    store, ids = store
    await send_survey(store, ids["login"])
    await customer_says(store, "2 - slow \x1b[2J[bold]support[/bold]\nreally")
    (fact,) = [f for f in facts_until(store, 10) if f.metric == CSAT]
    assert fact.state == 'rating 2: "slow [bold]support[/bold] really"'


async def test_a_reaction_is_kept_only_as_the_rating_of_its_survey(store):
    store, ids = store
    survey = await send_survey(store, ids["login"])
    before = len(store.messages.thread(ids["login"]))
    await customer_says(store, "👍", reaction_to="demo-1", ext_id="r1")  # another message
    await customer_says(store, "❤️", reaction_to=f"demo-{survey}", ext_id="r2")  # no rating
    assert len(store.messages.thread(ids["login"])) == before
    await customer_says(store, "⭐⭐", reaction_to=f"demo-{survey}", ext_id="r3")
    (csat,) = [e for e in store.events.read(ids["login"]) if e["kind"] == "csat"]
    assert csat["payload"]["rating"] == 2 and csat["message_id"] == survey
    conversation = store.conversations.get(ids["login"])
    assert conversation.status == "resolved" and "low-csat" in conversation.tags


async def test_the_effort_question_follows_a_rating_and_its_score_is_ces(store):
    store, ids = store
    with_ces = CsatSettings(True, ces=True)
    await send_survey(store, ids["login"], with_ces)
    assert queue_effort_question(store, with_ces, ids["login"]) is None  # not answered yet
    await customer_says(store, "5")
    assert queue_effort_question(store, CsatSettings(True), ids["login"]) is None  # off
    question = queue_effort_question(store, with_ces, ids["login"])
    assert store.messages.get(question).body == CES_QUESTIONS["en"]
    assert store.messages.get(question).survey == "ces"
    assert queue_effort_question(store, with_ces, ids["login"]) is None  # once
    await ChannelHost(store, [DemoConnector()]).deliver(question)
    await customer_says(store, "6 - easy", minutes=8)
    assert queue_effort_question(store, with_ces, ids["login"]) is None  # never a third
    (ces,) = [e for e in store.events.read(ids["login"]) if e["kind"] == "ces"]
    assert (ces["payload"]["rating"], ces["message_id"]) == (6, question)
    assert store.conversations.get(ids["login"]).status == "resolved"
    rows = {row.agent: row for row in summarize(facts_until(store, 10))}
    assert rows["alice"].rates[CES] == Rate(1, 1) and rows["alice"].rates[CSAT] == Rate(1, 1)
    assert rows["alice"].rates[CSAT_RESPONSE] == Rate(1, 1)  # the effort question is not CSAT


async def test_serve_asks_the_effort_question_after_a_rating_it_received(store):
    """`agentdesk serve` runs the team's connectors: the answer to a survey comes in
    there, and so the effort question must leave from there too."""
    store, ids = store
    await send_survey(store, ids["login"])
    answer = Inbound("chat", "@zoe:example.org", "5", later(3), thread_key="chat-zoe")
    channel = DemoConnector(script=[answer])
    config = Config(agent_name="serve", raw={"csat": {"enabled": True, "ces": True}})
    running = asyncio.create_task(serve(store, [channel], config))
    try:
        await eventually(lambda: channel.sent, what="the effort question sent")
        assert [r.text for r in channel.sent] == [CES_QUESTIONS["en"]]
        os.kill(os.getpid(), signal.SIGTERM)  # as systemd stops it
        assert await asyncio.wait_for(running, 15) == 0
    finally:
        running.cancel()
    assert [
        e["payload"]["survey"]
        for e in store.events.read(ids["login"])
        if e["kind"] == "survey_sent"
    ] == ["csat", "ces"]


async def test_once_an_agent_reopened_it_a_number_is_a_message(store):
    store, ids = store
    await send_survey(store, ids["login"])
    store.conversations.set_status(ids["login"], "open", "alice")
    await customer_says(store, "5")
    assert "csat" not in kinds(store, ids["login"])
