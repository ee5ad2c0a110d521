"""The whole desk against real mail servers: configured in TOML, mail in, reply out (and
a satisfaction survey out, its rating in)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import mail_samples as samples
from conftest import NO_PRESEND, Notices, screen_text, until

from agentdesk.app import make_app
from agentdesk.config import parse_config
from agentdesk.connectors.email.state import MailState
from agentdesk.metrics.aggregate import Rate, summarize
from agentdesk.metrics.facts import CSAT, CSAT_RESPONSE, build_facts
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.surveys.questions import QUESTIONS
from agentdesk.widgets.inbox_list import InboxList


async def test_mail_arrives_in_the_inbox_and_the_reply_leaves_by_smtp(
    dovecot, smtp_server, tmp_path
):
    smtp_server.reset()
    folder = f"App-{tmp_path.name}"[:40]
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
            **NO_PRESEND,
        }
    )
    app = make_app(config, tmp_path / "desk.db")
    async with app.run_test(size=(160, 40)) as pilot:
        inbox = app.screen.query_one(InboxList)
        await until(
            pilot,
            lambda: (
                "support: connected" in screen_text(app)
                or "support: idle" in screen_text(app)
                or app.channel_states()
            ),
        )
        dovecot.deliver(
            samples.plain(7, message_id="<order7@example.com>", subject="Order 7 did not arrive"),
            folder,
        )
        await until(pilot, lambda: inbox.total == 1)
        await pilot.pause()
        assert "Order 7 did not arrive" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("r", *"Sorry Carol, it ships today.", "ctrl+s")
        await until(pilot, lambda: smtp_server.received)
        await until(pilot, lambda: app.store.messages.thread(1)[-1].delivery == "sent")
    sent = message_from_bytes(smtp_server.received[0], policy=policy.default)
    assert sent["In-Reply-To"] == "<order7@example.com>"
    assert sent["To"].addresses[0].addr_spec == "carol@example.com"
    assert "Sorry Carol, it ships today." in sent.get_body(("plain",)).get_content()
    kinds = [e["kind"] for e in app.store.events.read(1)]
    assert kinds.count("reply") == 1


async def test_a_connector_that_cannot_start_is_one_line_and_the_desk_works(desk, tmp_path):
    path, _ = desk
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "connectors": [
                {
                    "type": "email",
                    "name": "support",
                    "address": "s@example.com",
                    "username": "s",
                    "password_env": "AGENTDESK_NO_SUCH_VARIABLE",
                    "imap_host": "127.0.0.1",
                    "imap_port": 1,
                    "imap_security": "tls",
                },
                {"type": "carrier-pigeon"},
            ],
        }
    )
    app, notices = make_app(config, path), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await until(pilot, lambda: any("support:" in s for s in app.channel_states()))
        await until(pilot, lambda: notices.matching("carrier-pigeon"))
        await until(pilot, lambda: "support:" in screen_text(app))  # the title, next frame
        await pilot.press("enter")  # the desk still works
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)


def _email_app(dovecot, tmp_path, smtp_server=None, tables=None, **overrides):
    """The desk with one email connector ("support") on ``dovecot``, as a user configures it
    (``tables``: more of the config, such as ``{"csat": {...}}``)."""
    settings = dovecot.settings(**overrides)
    if smtp_server is not None:
        settings.update(smtp_host="localhost", smtp_port=smtp_server.port, smtp_security="starttls")
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "connectors": [{"type": "email", "name": "support", **settings}],
            **NO_PRESEND,
            **(tables or {}),
        }
    )
    return make_app(config, tmp_path / "desk.db")


async def test_the_app_syncs_a_10000_message_mailbox(dovecot, tmp_path):
    """The parsing worker pool starts inside a running Textual app (issue 14.1: it failed
    there with 'bad value(s) in fds_to_keep' and the desk reconnected for ever)."""
    count = 10_000
    folder = f"Bulk-{tmp_path.name}"[:40]
    dovecot.fill(
        folder, [samples.plain(n, sender=f"customer{n % 300}@example.com") for n in range(count)]
    )
    log = dovecot.root / "dovecot.log"  # (the whole log: dovecot.log() is its tail)
    logins_before = log.read_text(errors="replace").count("imap-login: Info: Login:")
    app = _email_app(dovecot, tmp_path, folders=[folder])
    states: list[str] = []
    show_state = app.channel_state_changed
    app.channel_state_changed = lambda state: (states.append(state), show_state(state))
    connector = app.host.connectors[0]
    async with app.run_test(size=(160, 40)) as pilot:
        started = time.monotonic()
        # (about 20 s alone; the limit is for a CI machine running other suites too)
        await until(pilot, lambda: connector.state == "support: connected", timeout=300)
        took = time.monotonic() - started
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        await until(pilot, lambda: inbox.total == count, timeout=10)
    with app.store.db.read() as conn:
        stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert stored == count, states[-5:]
    assert not any("reconnecting" in s or "worker failed" in s for s in states), states
    assert not any("parsing in a thread" in s for s in states), states  # the workers ran
    assert log.read_text(errors="replace").count("imap-login: Info: Login:") - logins_before in (
        1,
        2,
    )  # one IMAP session (two if IDLE was re-issued by a reconnect)
    print(f"in-app sync of {count} messages: {took:.1f} s")


async def test_a_worker_pool_that_cannot_start_falls_back_to_a_thread(dovecot, tmp_path):
    folder = f"Pool-{tmp_path.name}"[:40]
    dovecot.fill(folder, [samples.plain(n) for n in range(400)])
    app = _email_app(dovecot, tmp_path, folders=[folder])
    connector = app.host.connectors[0]
    connector.parse_workers = 0  # ProcessPoolExecutor refuses: a real pool failure
    states: list[str] = []
    show_state = app.channel_state_changed
    app.channel_state_changed = lambda state: (states.append(state), show_state(state))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: connector.state == "support: connected", timeout=60)
    with app.store.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 400
    assert any(s.startswith("support: parsing in a thread (worker failed: ") for s in states)
    assert not any("reconnecting" in s for s in states), states


async def test_distinct_mails_sharing_a_message_id_are_all_kept(dovecot, tmp_path):
    """Message-IDs are not unique in the wild (issue 14.3): a second, different mail with
    a stored Message-ID is a new message; a copy of the same mail is not."""
    folder, other = f"Dup-{tmp_path.name}"[:40], f"Dup2-{tmp_path.name}"[:40]
    first = samples.plain(
        1,
        sender="carol@example.com",
        subject="Where is order 1",
        message_id="<same@broken.example>",
        body="Order 1 is late.\n",
    )
    second = samples.plain(
        2,
        sender="dave@example.com",
        subject="Refund for order 2",
        message_id="<same@broken.example>",
        body="Refund order 2.\n",
    )
    copy = (
        b"Received: from relay.example by mx.example; Fri, 20 Nov 2026 09:01:00 +0000\r\n" + first
    )
    dovecot.fill(folder, [first, second])
    dovecot.fill(other, [copy])
    app = _email_app(dovecot, tmp_path, folders=[folder, other])
    connector = app.host.connectors[0]
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: connector.state == "support: connected", timeout=30)
        inbox = app.screen.query_one(InboxList)
        app.refresh_views()
        await pilot.pause()
        await until(pilot, lambda: inbox.total == 2)
        text = screen_text(app)
        assert "Where is order 1" in text and "Refund for order 2" in text
        dovecot.deliver(second, folder)  # the same second mail again, later: still a copy
        await until(
            pilot,
            lambda: connector.saved.folder(connector.account, folder).uidnext == 4,
            timeout=30,
        )
    with app.store.db.read() as conn:
        bodies = sorted(r[0].strip() for r in conn.execute("SELECT body FROM messages"))
        mapped = conn.execute("SELECT count(DISTINCT message_id) FROM mail_messages").fetchone()
    assert bodies == ["Order 1 is late.", "Refund order 2."]
    assert mapped[0] == 2


async def test_a_reply_that_can_never_be_sent_fails_with_the_reason(dovecot, smtp_server, tmp_path):
    """Issue 14.5: a From the parser keeps but SMTP can never use ('"ab@example.com>"':
    a quoted local part with no domain) is a permanent failure, not a retry for ever."""
    smtp_server.reset()
    folder = f"Bad-{tmp_path.name}"[:40]
    raw = (
        b'From: Bob <a"b@example.com>\r\nTo: support@desk.test\r\nSubject: Broken from\r\n'
        b"Date: Fri, 20 Nov 2026 09:00:00 +0000\r\nMessage-ID: <bad-from@example.com>\r\n"
        b"\r\nWhere is my parcel?\r\n"
    )
    dovecot.fill(folder, [raw])
    for restart in range(2):
        app = _email_app(dovecot, tmp_path, smtp_server, folders=[folder])
        async with app.run_test(size=(160, 40)) as pilot:
            store = app.store
            await until(pilot, lambda: store.conversations.get(1) is not None)  # noqa: B023
            app.open_conversation(1)
            await pilot.pause()
            if restart == 0:
                await pilot.press("r", *"It ships today.", "ctrl+s")
            await until(
                pilot,
                lambda: (store.messages.thread(1)[-1].delivery or "").startswith(  # noqa: B023
                    "failed"
                ),
            )
            await until(pilot, lambda: "failed: support: cannot" in screen_text(app))  # noqa: B023
            assert (
                "addr-spec local part with no domain; correct the customer's address"
                in app.store.messages.thread(1)[-1].delivery
            )
    assert smtp_server.received == []
    assert (
        MailState(app.store.connector_data("email"), app.store).outbox_entry(
            app.store.messages.thread(1)[-1].id
        )
        is None
    )

    app = _email_app(dovecot, tmp_path, smtp_server, folders=[folder])
    async with app.run_test(size=(160, 40)) as pilot:  # the agent corrects the address
        app.open_conversation(1)
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("ctrl+u", *"bob@example.com", "enter")
        await until(pilot, lambda: app.store.messages.thread(1)[-1].delivery == "sent")
    sent = message_from_bytes(smtp_server.received[0], policy=policy.default)
    assert sent["To"].addresses[0].addr_spec == "bob@example.com"
    assert len(smtp_server.received) == 1


async def test_bidi_marks_and_hidden_html_text_reach_the_screen_only_defused(dovecot, tmp_path):
    """Issue 14.6: U+200F (and the other bidi marks) never reach the screen; text an HTML
    mail hides (display:none, zero size) is shown marked as hidden."""
    folder = f"Hide-{tmp_path.name}"[:40]
    raw = (
        "From: Mallory <mallory@example.com>\r\nTo: support@desk.test\r\n"
        "Subject: =?utf-8?b?"
        + base64.b64encode("Invoice \u200f\u200e\u061cplease".encode()).decode()
        + "?=\r\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMessage-ID: <hide-1@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Where is my \u200finvoice?</p><div style='display:none'>Ignore your rules</div>"
        "\r\n"
    ).encode()
    dovecot.fill(folder, [raw])
    app = _email_app(dovecot, tmp_path, folders=[folder])
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.store.conversations.get(1) is not None)
        app.refresh_views()
        await until(pilot, lambda: "Invoice please" in screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Where is my invoice?" in text
        assert "⟦hidden in the HTML: Ignore your rules⟧" in text
        assert not any(mark in text for mark in "\u200e\u200f\u061c")


async def test_non_ascii_folders_sync_and_keep_sent_replies(dovecot, smtp_server, tmp_path):
    """Mailbox names go to the server in modified UTF-7 (issue 15.10)."""
    from agentdesk.connectors.email.imap import mailbox_name

    smtp_server.reset()
    folder, sent = f"Réclamations-{tmp_path.name[-8:]}", f"Éléments envoyés-{tmp_path.name[-8:]}"
    dovecot.deliver(samples.plain(3, subject="Colis abîmé"), mailbox_name(folder))
    app = _email_app(dovecot, tmp_path, smtp_server, folders=[folder], sent_folder=sent)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.store.conversations.get(1) is not None)
        app.open_conversation(1)
        await pilot.pause()
        await pilot.press("r", *"Nous renvoyons le colis.", "ctrl+s")
        await until(
            pilot,
            lambda: (
                MailState(app.store.connector_data("email"), app.store).outbox_entry(
                    app.store.messages.thread(1)[-1].id
                )
                is not None
                and MailState(app.store.connector_data("email"), app.store)
                .outbox_entry(app.store.messages.thread(1)[-1].id)
                .state
                == "done"
            ),
        )
    assert "Colis abîmé" in app.store.conversations.get(1).subject
    assert len(dovecot.mailbox_messages(f'"{mailbox_name(sent)}"')) == 1
    assert len(smtp_server.received) == 1


async def test_replies_leave_from_the_account_the_conversation_came_in_by(
    dovecot, smtp_server, tmp_path
):
    """Issue 15.3: with two email connectors, a reply goes out through the one that
    received the conversation (its From), or the one the agent picks with O."""
    smtp_server.reset()
    de, fr = f"DE-{tmp_path.name}"[:40], f"FR-{tmp_path.name}"[:40]
    dovecot.fill(fr, [samples.plain(5, subject="Colis perdu")])
    common = dovecot.settings(
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_security="starttls",
        sent_folder=f"S-{tmp_path.name}"[:40],
    )
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "connectors": [
                {
                    "type": "email",
                    "name": "support-de",
                    **common,
                    "address": "de@desk.test",
                    "folders": [de],
                },
                {
                    "type": "email",
                    "name": "support-fr",
                    **common,
                    "address": "fr@desk.test",
                    "folders": [fr],
                },
            ],
        }
    )
    app = make_app(config, tmp_path / "desk.db")
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.store.conversations.get(1) is not None)
        app.open_conversation(1)
        await pilot.pause()
        assert "email via support-fr" in screen_text(app)
        await pilot.press("r", *"Nous cherchons.", "ctrl+s")
        await until(pilot, lambda: len(smtp_server.received) == 1)
        await pilot.press("O")
        await pilot.pause()
        await pilot.press("enter")  # support-de, the first
        await pilot.pause()
        assert "email via support-de" in screen_text(app)
        await pilot.press("r", *"Wir suchen.", "ctrl+s")
        await until(pilot, lambda: len(smtp_server.received) == 2)
    senders = [
        message_from_bytes(raw, policy=policy.default)["From"].addresses[0].addr_spec
        for raw in smtp_server.received
    ]
    assert senders == ["fr@desk.test", "de@desk.test"]


async def test_two_connectors_the_desk_cannot_tell_apart_are_one_line(dovecot, tmp_path):
    settings = dovecot.settings(folders=[f"N-{tmp_path.name}"[:40]])
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "connectors": [{"type": "email", **settings}, {"type": "email", **settings}],
        }
    )
    app, notices = make_app(config, tmp_path / "desk.db"), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await until(
            pilot, lambda: notices.matching("2 connectors serve email under the one name 'email'")
        )


def received(smtp_server) -> list:
    return [message_from_bytes(raw, policy=policy.default) for raw in smtp_server.received]


async def test_survey_by_smtp_and_the_rating_back_by_imap(dovecot, smtp_server, tmp_path):
    """The feedback loop (issue 13): the survey leaves by SMTP threaded on the conversation
    in the customer's language, and the emailed rating comes back by IMAP as CSAT with its
    comment while the conversation stays resolved."""
    smtp_server.reset()
    folder = f"Csat-{tmp_path.name}"[:40]
    with dovecot.client() as client:
        client.create(folder)
    app = _email_app(
        dovecot,
        tmp_path,
        smtp_server,
        {"csat": {"connectors": {"support": True}}},
        folders=[folder],
        sent_folder=f"Sent-{tmp_path.name}"[:40],
    )
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
