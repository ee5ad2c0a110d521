"""Email out: the durable outbox against aiosmtpd (SMTP) and dovecot (the Sent folder)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from email import message_from_bytes, policy
from pathlib import Path

import mail_samples as samples
import pytest
from conftest import eventually

from agentdesk.connectors.email import EmailConnector, mime
from agentdesk.connectors.email.state import MailState
from agentdesk.delivery import ChannelHost, DeliverySettings
from agentdesk.store import Store

ROOT = Path(__file__).resolve().parents[1]


def mail_state(store: Store) -> MailState:
    """The email connectors' tables in ``store`` (outbox entries are keyed by reply)."""
    return MailState(store.connector_data(EmailConnector.name), store)


@pytest.fixture
def mail(dovecot, smtp_server, tmp_path, desk_target):
    """``(store, host, connector, settings)`` with a fresh Sent folder and SMTP log, on
    each engine (the outbox once never sent a reply from a desk on PostgreSQL)."""
    smtp_server.reset()
    sent = f"Sent-{tmp_path.name}"
    settings = dovecot.settings(
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_security="starttls",
        sent_folder=sent,
    )
    store = Store(desk_target)
    connector = EmailConnector(settings)
    host = ChannelHost(store, [connector])
    yield store, host, connector, settings
    store.close()


def customer_mail(store: Store, raw: bytes) -> tuple[int, int]:
    return store.messages.record_inbound(mime.parse(raw))


def queue_reply(store: Store, raw: bytes, text: str = "We are on it.") -> int:
    conversation_id, _ = customer_mail(store, raw)
    return store.replies.add(conversation_id, "alice", text, delivery="queued")


def delivery(store: Store, message_id: int) -> str:
    with store.db.read() as conn:
        return conn.execute("SELECT delivery FROM messages WHERE id = ?", (message_id,)).fetchone()[
            0
        ]


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


async def test_reply_is_threaded_sent_once_and_saved_to_sent(mail, smtp_server, dovecot):
    store, host, connector, settings = mail
    first = samples.plain(1, message_id="<thread-1@example.com>")
    conversation_id, _ = customer_mail(store, first)
    customer_mail(
        store,
        samples.plain(2, message_id="<thread-2@example.com>", in_reply_to="<thread-1@example.com>"),
    )
    reply_id = store.replies.add(
        conversation_id, "alice", "Your parcel left today.", delivery="queued"
    )

    result = await host.deliver(reply_id)

    assert result.ok, result
    assert len(smtp_server.received) == 1 and smtp_server.logins == [dovecot.user]
    sent = parsed(smtp_server.received[0])
    assert sent["In-Reply-To"] == "<thread-2@example.com>"
    assert sent["References"] == "<thread-1@example.com> <thread-2@example.com>"
    assert sent["Subject"] == "Re: Order 1 did not arrive"
    assert sent["To"].addresses[0].addr_spec == "carol@example.com"
    assert sent.get_content().strip() == "Your parcel left today."
    entry = mail_state(store).outbox_entry(reply_id)
    assert entry.state == "done" and sent["Message-ID"] == entry.message_id_header
    assert delivery(store, reply_id) == "sent"
    saved = dovecot.mailbox_messages(settings["sent_folder"])
    assert [parsed(raw)["Message-ID"] for raw in saved] == [entry.message_id_header]
    # The customer's answer to our reply threads into the same conversation.
    answer = customer_mail(store, samples.plain(3, in_reply_to=entry.message_id_header))
    assert answer[0] == conversation_id
    # Delivering again sends nothing more.
    assert (await host.deliver(reply_id)).ok and len(smtp_server.received) == 1


async def test_newline_in_encoded_subject_creates_no_header(mail, smtp_server):
    store, host, _, _ = mail
    reply_id = queue_reply(store, samples.NEWLINE_SUBJECT)
    assert (await host.deliver(reply_id)).ok
    raw = smtp_server.received[0]
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":", 1)[0].lower()
        for line in header_block.split(b"\r\n")
        if line and not line[:1].isspace()
    ]
    assert b"bcc" not in names and names.count(b"subject") == 1
    assert parsed(raw)["Subject"] == "Re: Help Bcc: victim@example.com"


async def test_451_is_retried_with_backoff_then_sent(mail, smtp_server):
    store, host, connector, _ = mail
    smtp_server.replies.append("451 4.3.0 Mailbox busy, try later")
    reply_id = queue_reply(store, samples.plain(5))
    await connector.start()
    try:
        result = await host.deliver(reply_id)
        assert result.state == "retry" and "451 4.3.0 Mailbox busy" in result.detail
        assert delivery(store, reply_id).startswith("retry: 451 4.3.0 Mailbox busy")
        assert mail_state(store).outbox_entry(reply_id).state == "queued"
        await eventually(lambda: delivery(store, reply_id) == "sent", 10, "the second try")
    finally:
        await connector.stop()
    assert delivery(store, reply_id) == "sent"
    assert len(smtp_server.received) == 1
    assert mail_state(store).outbox_entry(reply_id).attempts == 2


async def test_a_reply_withdrawn_while_waiting_to_retry_is_never_sent(mail, smtp_server):
    """Issue 12.8: the connector's own outbox retries a 451 by itself; once the agent
    withdrew the reply (u), that retry finds it withdrawn and sends nothing."""
    store, host, connector, _ = mail
    smtp_server.replies.append("451 4.3.0 Mailbox busy, try later")
    reply_id = queue_reply(store, samples.plain(7), "First version.")
    await connector.start()
    try:
        assert (await host.deliver(reply_id)).state == "retry"
        assert store.replies.withdraw(reply_id) == "First version."
        await eventually(
            lambda: mail_state(store).outbox_entry(reply_id).state == "failed", 10, "the retry"
        )
        assert (await host.deliver(reply_id)).detail == "withdrawn by the agent"
    finally:
        await connector.stop()
    assert smtp_server.received == []  # the 451 attempt was refused; nothing since
    assert delivery(store, reply_id) == "withdrawn"


async def test_550_returns_the_reply_with_the_server_words(mail, smtp_server):
    store, host, connector, _ = mail
    smtp_server.replies.append("550 5.1.1 <carol@example.com>: Recipient address rejected")
    reply_id = queue_reply(store, samples.plain(6))
    await connector.start()
    try:
        result = await host.deliver(reply_id)
        await asyncio.sleep(1.5)  # the outbox loop must not try again
    finally:
        await connector.stop()
    assert result.state == "failed"
    assert result.detail == "550 5.1.1 <carol@example.com>: Recipient address rejected"
    assert delivery(store, reply_id) == f"failed: {result.detail}"
    assert mail_state(store).outbox_entry(reply_id).state == "failed"
    assert smtp_server.received == []


CRASH_SCRIPT = """
import asyncio, json, os, sys
from agentdesk.connectors.email import EmailConnector
from agentdesk.connectors.email.imap import ImapClient
from agentdesk.delivery import ChannelHost
from agentdesk.store import Store

def die(*args, **kwargs):
    os._exit(9)  # killed after SMTP accepted, before the copy reaches Sent

ImapClient.append = die
settings, db, reply_id = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store(db)
connector = EmailConnector(settings)
host = ChannelHost(store, [connector])
asyncio.run(host.deliver(reply_id))
"""


async def test_killed_after_accept_before_sent_delivers_at_most_once(mail, smtp_server, dovecot):
    store, _, _, settings = mail
    reply_id = queue_reply(store, samples.plain(7))
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-c",
            CRASH_SCRIPT,
            json.dumps(settings),
            store.path,
            str(reply_id),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr.decode()
    assert len(smtp_server.received) == 1
    assert mail_state(store).outbox_entry(reply_id).state == "accepted"
    assert dovecot.mailbox_messages(settings["sent_folder"]) == []

    restarted = EmailConnector(settings)  # the desk starts again
    ChannelHost(store, [restarted])
    await restarted.start()
    try:
        await eventually(
            lambda: mail_state(store).outbox_entry(reply_id).state == "done", 10, "the Sent copy"
        )
    finally:
        await restarted.stop()
    assert mail_state(store).outbox_entry(reply_id).state == "done"
    assert len(smtp_server.received) == 1
    assert len(dovecot.mailbox_messages(settings["sent_folder"])) == 1
    assert delivery(store, reply_id) == "sent"


async def test_sending_found_in_sent_is_not_sent_again(mail, smtp_server, dovecot):
    store, host, connector, settings = mail
    reply_id = queue_reply(store, samples.plain(8))
    entry = connector.outbox.enqueue(store.replies.outgoing(reply_id), settings["address"], "Desk")
    mail_state(store).outbox_set(reply_id, "sending", attempt=True)
    mail_state(store).outbox_data_sent(reply_id)  # crashed during DATA ...
    dovecot.deliver(entry.raw, settings["sent_folder"])  # ... and the server kept a copy

    result = await host.deliver(reply_id)

    assert result.ok
    assert smtp_server.received == []
    assert mail_state(store).outbox_entry(reply_id).state == "done"
    assert delivery(store, reply_id) == "sent"


async def test_sending_not_in_sent_is_sent_once(mail, smtp_server, dovecot):
    store, host, connector, settings = mail
    reply_id = queue_reply(store, samples.plain(9))
    entry = connector.outbox.enqueue(store.replies.outgoing(reply_id), settings["address"], "Desk")
    mail_state(store).outbox_set(reply_id, "sending", attempt=True)
    mail_state(store).outbox_data_sent(reply_id)  # crashed during DATA; Sent knows nothing

    first = await host.deliver(reply_id)
    assert first.ok and "may have been delivered twice" in first.detail
    assert (await host.deliver(reply_id)).ok
    assert smtp_server.message_ids() == [entry.message_id_header]
    assert len(dovecot.mailbox_messages(settings["sent_folder"])) == 1
    assert delivery(store, reply_id).startswith("sent · may have been delivered twice")
    kinds = [
        e["kind"]
        for e in store.events.read(
            store.conversations.id_for_uid(store.replies.outgoing(reply_id).conversation_uid)
        )
    ]
    assert kinds.count("reply") == 1


async def test_sending_answered_by_the_customer_is_not_sent_again(mail, smtp_server, dovecot):
    store, host, connector, settings = mail
    reply_id = queue_reply(store, samples.plain(11, message_id="<ask-11@example.com>"))
    entry = connector.outbox.enqueue(store.replies.outgoing(reply_id), settings["address"], "Desk")
    mail_state(store).outbox_set(reply_id, "sending", attempt=True)
    mail_state(store).outbox_data_sent(reply_id)  # crashed during DATA; then ...
    customer_mail(
        store,
        samples.plain(
            12, message_id="<thanks-12@example.com>", in_reply_to=entry.message_id_header
        ),
    )  # ... an answer

    assert (await host.deliver(reply_id)).ok
    assert smtp_server.received == []
    assert delivery(store, reply_id) == "sent"
    assert len(dovecot.mailbox_messages(settings["sent_folder"])) == 1


async def test_accepted_already_in_sent_is_not_saved_twice(mail, smtp_server, dovecot):
    store, host, connector, settings = mail
    reply_id = queue_reply(store, samples.plain(13))
    entry = connector.outbox.enqueue(store.replies.outgoing(reply_id), settings["address"], "Desk")
    mail_state(store).outbox_set(
        reply_id, "accepted"
    )  # the server took it; the APPEND was in flight
    store.replies.mark_sent(reply_id)
    dovecot.deliver(entry.raw, settings["sent_folder"])  # ... and it completed

    await connector.resume()  # what the connector's outbox loop does at start
    assert smtp_server.received == []
    assert len(dovecot.mailbox_messages(settings["sent_folder"])) == 1
    assert mail_state(store).outbox_entry(reply_id).state == "done"


async def test_untrusted_smtp_certificate_is_refused_before_login(mail, smtp_server, dovecot):
    store, _, _, settings = mail
    connector = EmailConnector({**settings, "ca_file": str(dovecot.ca.other_ca_file)})
    host = ChannelHost(store, [connector])
    reply_id = queue_reply(store, samples.plain(10))
    result = await host.deliver(reply_id)
    assert result.state == "retry" and "certificate not trusted" in result.detail
    assert smtp_server.logins == [] and smtp_server.received == []
    assert mail_state(store).outbox_entry(reply_id).state == "queued"


def test_compose_keeps_cr_lf_out_of_headers():
    from agentdesk.connectors.email.outbox import compose
    from agentdesk.domain import Outgoing

    reply = Outgoing(
        message_id=1,
        conversation_uid="c1",
        channel="email",
        to_address="eve@example.com",
        to_name="Eve\r\nX-Injected: 1",
        subject="Refund\r\nBcc: victim@example.com\nX-Also: 2",
        text="Done.",
        agent="alice",
        in_reply_to="<a@x>\r\nX-Bad: 3",
        references=("<a@x>", "not an id\r\nX-Bad: 4"),
    )
    raw = compose(reply, "help@desk.test", "Help\nDesk", "<r1@desk.test>")
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode()
    names = [
        line.split(":", 1)[0].lower()
        for line in header_block.split("\r\n")
        if line and not line[0].isspace()
    ]
    assert sorted(names) == sorted(
        [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "in-reply-to",
            "references",
            "content-type",
            "content-transfer-encoding",
            "mime-version",
        ]
    )
    message = parsed(raw)
    assert message["Subject"] == "Re: Refund Bcc: victim@example.com X-Also: 2"
    assert message["In-Reply-To"] == "<a@x>" and message["References"] == "<a@x>"
    assert message["To"].addresses[0].display_name == "Eve X-Injected: 1"


async def test_a_desk_that_lost_the_lease_leaves_a_waiting_reply_to_the_new_holder(
    mail, smtp_server
):
    """A lease holder stalled past its lease (the bench, at load 30) still sent, from
    its retry loops, the replies the new holder was delivering."""
    store, _, connector, _ = mail
    slow = DeliverySettings(retry_first=60.0, retry_max=60.0)
    host = ChannelHost(store, [connector], slow, leased=True)
    assert host.leading is not None
    host.leading.add(id(connector))  # as keep_leases does when this desk holds the lease
    reply_id = queue_reply(store, samples.plain(21))
    smtp_server.replies.append("451 4.3.0 Try again later")
    loop = asyncio.create_task(host.keep_delivering(reply_id))
    await eventually(lambda: delivery(store, reply_id).startswith("retry"), 10, "a retry")
    host.leading.discard(id(connector))  # another desk holds the lease now
    assert await host.keep_delivering(reply_id) is None  # (wakes the waiting loop)
    assert await asyncio.wait_for(loop, 10) is None
    assert smtp_server.received == []
    assert store.replies.undelivered() == [reply_id]  # the new holder's to deliver


def second_desk(desk_target, settings, name: str, claim_seconds: float):
    """Another desk of the team on the same database: its store, host and connector, the
    connector's lease held (as ``keep_leases`` marks it) and its sends claimed as ``name``."""
    store = Store(desk_target)
    connector = EmailConnector(settings)
    host = ChannelHost(store, [connector], leased=True)
    assert host.leading is not None
    host.leading.add(id(connector))
    store.replies.send_as(name, claim_seconds)
    return store, host, connector


async def test_a_lease_that_moves_mid_send_never_sends_the_reply_twice(
    mail, smtp_server, desk_target
):
    """At 50 desks the lease moved while its holder was sending; the new holder found the
    reply ``sending``, its outbox entry past DATA and not in Sent, and sent it again (up
    to 9 times). The sending desk's claim now keeps every other desk off it."""
    store, _, _, settings = mail
    store_a, host_a, _ = second_desk(desk_target, settings, "desk-a", 30.0)
    store_b, host_b, connector_b = second_desk(desk_target, settings, "desk-b", 30.0)
    reply_id = queue_reply(store, samples.plain(22))
    in_data, go_on = threading.Event(), threading.Event()
    smtp_server.hooks["data"] = lambda: (in_data.set(), go_on.wait(30))
    try:
        sending = asyncio.create_task(host_a.keep_delivering(reply_id))
        await eventually(in_data.is_set, 15, "desk A in DATA")
        # Desk B holds the lease now: its delivery and its outbox's crash recovery run.
        retrying = asyncio.create_task(host_b.keep_delivering(reply_id))
        await connector_b.resume()
        await asyncio.sleep(1.0)  # a window in which desk B must leave the send alone
        assert delivery(store, reply_id) == "sending"
        entry = mail_state(store).outbox_current(reply_id)
        assert (entry.state, entry.uncertain) == ("sending", False)  # left alone by desk B
    finally:
        go_on.set()
    result = await asyncio.wait_for(sending, 15)
    assert result is not None and result.state == "sent"
    await connector_b.resume()
    host_b.reconnect()
    assert await host_b.keep_delivering(reply_id) is None  # (wakes its waiting loop)
    await asyncio.wait_for(retrying, 40)
    assert len(smtp_server.received) == 1
    assert delivery(store, reply_id) == "sent"
    store_a.close()
    store_b.close()


async def test_a_reply_whose_sending_desk_died_is_sent_once_its_claim_ends(
    mail, smtp_server, desk_target
):
    """A desk killed mid-send stops renewing its claim; once the claim ends the desk
    holding the lease sends the reply (with the outbox's crash guarantees)."""
    store, _, _, settings = mail
    store_a, _, _ = second_desk(desk_target, settings, "desk-a", 1.0)
    store_b, host_b, _ = second_desk(desk_target, settings, "desk-b", 30.0)
    reply_id = queue_reply(store, samples.plain(23))
    assert store_a.replies.start_delivery(reply_id) == 1  # desk A began, then died
    assert store_b.replies.claimed_elsewhere(reply_id) is not None
    result = await asyncio.wait_for(host_b.keep_delivering(reply_id), 15)
    assert result is not None and result.state == "sent"
    assert len(smtp_server.received) == 1
    assert store_b.replies.claimed_elsewhere(reply_id) is None
    store_a.close()
    store_b.close()
