"""The feedback loop over email, against the real dovecot and SMTP servers: the survey
leaves by SMTP threaded on the conversation, and the customer's emailed rating comes
back by IMAP as CSAT with its comment while the conversation stays resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import mail_samples as samples
from conftest import NO_PRESEND, until

from agentdesk.app import make_app
from agentdesk.config import parse_config
from agentdesk.metrics import Period, Rate, build_facts, summarize
from agentdesk.metrics.facts import CSAT, CSAT_RESPONSE
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.surveys.questions import QUESTIONS
from agentdesk.widgets.inbox_list import InboxList


def received(smtp_server) -> list:
    return [message_from_bytes(raw, policy=policy.default) for raw in smtp_server.received]


async def test_survey_by_smtp_and_the_rating_back_by_imap(dovecot, smtp_server, tmp_path):
    smtp_server.reset()
    folder = f"Csat-{tmp_path.name}"[:40]
    with dovecot.client() as client:
        client.create(folder)
    settings = dovecot.settings(
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_security="starttls",
        folders=[folder],
        sent_folder=f"Sent-{tmp_path.name}"[:40],
    )
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "connectors": [{"type": "email", "name": "support", **settings}],
            "csat": {"connectors": {"support": True}},
            **NO_PRESEND,
        }
    )
    app = make_app(config, tmp_path / "desk.db")
    async with app.run_test(size=(160, 40)) as pilot:
        inbox = app.screen.query_one(InboxList)
        await until(pilot, lambda: app.host.connectors[0].state == "support: connected")
        dovecot.deliver(
            samples.plain(
                3,
                message_id="<parcel3@example.com>",
                body="Hallo, mein Paket ist noch nicht angekommen und ich warte schon lange.\n",
            ),
            folder,
        )
        await until(pilot, lambda: inbox.total == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.press("r", *"Es ist heute rausgegangen.", "ctrl+s")
        await until(pilot, lambda: len(smtp_server.received) == 1)
        await pilot.press("x")
        await until(pilot, lambda: len(smtp_server.received) == 2)
        reply, survey = received(smtp_server)
        assert survey["In-Reply-To"] == reply["Message-ID"]
        assert survey["To"].addresses[0].addr_spec == "carol@example.com"
        assert survey.get_body(("plain",)).get_content().strip() == QUESTIONS["de"]

        dovecot.deliver(
            samples.plain(
                4,
                subject="Re: Order 3 did not arrive",
                body="sehr gut – schnell und freundlich\n\n> Wie zufrieden waren Sie mit uns?\n",
                in_reply_to=survey["Message-ID"],
                date=datetime.now(UTC),
            ),
            folder,
        )
        await until(pilot, lambda: "csat" in [e["kind"] for e in app.store.events.read(1)])
        conversation = app.store.conversations.get(1)
        assert conversation.status == "resolved" and conversation.waiting_since is None
    kinds = [e["kind"] for e in app.store.events.read(1)]
    assert kinds.count("reply") == 1 and kinds.count("survey_sent") == 1
    (csat,) = [e for e in app.store.events.read(1) if e["kind"] == "csat"]
    assert csat["payload"]["rating"] == 5
    assert csat["payload"]["comment"] == "schnell und freundlich"
    now = datetime.now(UTC)
    period = Period(now - timedelta(days=1), now + timedelta(minutes=1))
    (alice, _team) = summarize(build_facts(app.store, period, MetricsSettings(), now.timestamp()))
    assert alice.rates[CSAT_RESPONSE] == Rate(1, 1) and alice.rates[CSAT] == Rate(1, 1)
