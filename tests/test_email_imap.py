"""Email in: the connector against a real dovecot on loopback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time

import mail_samples as samples
import pytest
from conftest import eventually

from agentdesk.connectors.email import EmailConnector
from agentdesk.connectors.email.imap import ImapClient
from agentdesk.connectors.email.mime import UNPARSEABLE
from agentdesk.connectors.email.security import MailError, tls_context
from agentdesk.delivery import ChannelHost
from agentdesk.store import Store


@pytest.fixture
def folder(request, dovecot):
    """A mailbox of its own for each test (created empty)."""
    name = "T-" + re.sub(r"\W+", "-", request.node.name).strip("-")[:90]  # (one per engine)
    with dovecot.client() as client:
        client.create(name)
    return name


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "desk.db") as store:
        yield store


def inbound_rows(store: Store) -> list[sqlite3.Row]:
    with store.db.read() as conn:
        return conn.execute(
            "SELECT m.*, c.uid AS conversation FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            " WHERE direction = 'in' ORDER BY m.id"
        ).fetchall()


class Running:
    """A connector running through the ChannelHost, as the app runs it."""

    def __init__(self, store: Store, settings: dict) -> None:
        self.connector = EmailConnector(settings)
        self.states: list[str] = []
        self.connector.on_state = self.states.append
        self.host = ChannelHost(store, [self.connector])
        self.store = store
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.host.run(self.connector))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.connector.stop()
        await asyncio.wait_for(self.task, 15)

    async def until(self, predicate, timeout: float = 10.0) -> float:
        """Seconds until ``predicate`` holds (with the connector's last states if never)."""
        try:
            return await eventually(predicate, timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}; states: {self.states[-5:]}") from None

    def count(self) -> int:
        return len(inbound_rows(self.store))


async def test_initial_sync_of_varied_mail(dovecot, folder, store):
    first = samples.plain(1, message_id="<first@example.com>")
    corpus = [
        first,
        samples.HTML_ONLY,
        samples.ALTERNATIVE,
        samples.ATTACHMENTS,
        samples.UNKNOWN_CHARSET,
        samples.AUTO_REPLY,
        samples.BOUNCE,
        samples.GARBAGE,
        samples.plain(2, subject="Re: Order 1 did not arrive", in_reply_to="<first@example.com>"),
    ]
    for raw in corpus:
        dovecot.deliver(raw, folder)
    settings = dovecot.settings(folders=[folder], max_attachment_bytes=1000)
    async with Running(store, settings) as run:
        await run.until(lambda: run.count() == len(corpus))
    rows = {row["message_id_header"] or "garbage": row for row in inbound_rows(store)}

    html = rows["<html-1@example.org>"]
    assert "Where is my invoice?" in html["body"] and "alert" not in html["body"]
    assert "pixel.gif" not in html["body"] and html["body_html"]
    assert rows["<alt-1@example.net>"]["body"].strip() == "Café crème plain part"
    assert (
        "abc" in rows["<cs-1@example.com>"]["body"]
        and "\ufffd" in rows["<cs-1@example.com>"]["body"]
    )
    assert rows["<ooo-1@example.com>"]["auto"] == 1
    assert rows["<bounce-1@example.com>"]["auto"] == 1
    assert rows["<first@example.com>"]["auto"] == 0
    garbage = rows["garbage"]
    assert garbage["body"].startswith(UNPARSEABLE) and "not an email" in garbage["body"]
    reply = [r for r in rows.values() if r["subject"] == "Re: Order 1 did not arrive"][0]
    assert reply["conversation"] == rows["<first@example.com>"]["conversation"]

    with store.db.read() as conn:
        attachments = conn.execute(
            "SELECT filename, size, content_type, data IS NOT NULL FROM attachments ORDER BY id"
        ).fetchall()
        progress = conn.execute(
            "SELECT uidnext FROM mail_folders WHERE mailbox = ?", (folder,)
        ).fetchone()[0]
        mapped = conn.execute(
            "SELECT count(*) FROM mail_messages WHERE mailbox = ? AND message_id IS NOT NULL",
            (folder,),
        ).fetchone()[0]
    assert [tuple(a) for a in attachments] == [
        ("shot.png", 8, "image/png", 1),
        ("big.pdf", 1800, "application/pdf", 0),
    ]
    assert progress == len(corpus) + 1 and mapped == len(corpus)
    assert any(state.endswith(": connected") for state in run.states)


async def test_idle_push_arrives_within_two_seconds(dovecot, folder, store):
    dovecot.deliver(samples.plain(1), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 1)
        await run.until(lambda: run.connector.state.endswith(": connected"))
        await asyncio.sleep(0.2)  # nothing shows IDLE has begun: time to enter it
        dovecot.deliver(samples.plain(2, subject="Pushed"), folder)
        took = await run.until(lambda: run.count() == 2, timeout=5)
    assert took < 2.0
    assert inbound_rows(store)[-1]["subject"] == "Pushed"


async def test_restart_resumes_from_saved_progress(dovecot, folder, desk_target):
    """On each engine: the progress upsert once failed on PostgreSQL (an unqualified
    column beside ``excluded``), so nothing was ever stored there."""
    with Store(desk_target) as store:
        await restart_resumes(dovecot, folder, store)


async def restart_resumes(dovecot, folder, store):
    for n in range(3):
        dovecot.deliver(samples.plain(n), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 3)
    dovecot.deliver(samples.plain(9, subject="While away"), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 4)
        await run.until(lambda: run.connector.state.endswith(": connected"))
    assert [r["subject"] for r in inbound_rows(store)][-1] == "While away"
    assert run.count() == 4


class SlowStore:
    """The real store, taking a little longer per message (a busy desk)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def record_inbound(self, message, via=None):
        time.sleep(0.03)  # a slow disk: what the test needs
        return self._store.messages.record_inbound(message, via)


async def test_server_stopped_mid_sync_reconnects_without_loss_or_duplicates(
    dovecot, folder, store
):
    # 60 messages stored at 0.03 s each: the sync takes 1.8 s, so a busy machine still
    # stops the server mid-sync (with 30, one loaded CI run stored them all first).
    for n in range(60):
        dovecot.deliver(samples.plain(n), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        run.host.store = SlowStore(store)  # stores slowly, so the server stops mid-sync
        run.connector.fetch_batch = 5
        await run.until(lambda: run.count() >= 5)
        await asyncio.to_thread(dovecot.stop)
        try:
            assert run.count() < 60  # stopped mid-sync
            await run.until(lambda: "reconnecting in" in run.connector.state)
            await asyncio.sleep(0.3)  # the server stays down a while
        finally:  # the server is the worker's: its later tests need it running
            await asyncio.to_thread(dovecot.start)
        dovecot.deliver(samples.plain(999, subject="After restart"), folder)
        await run.until(lambda: run.count() == 61, timeout=30)
        await run.until(lambda: run.connector.state.endswith(": connected"))
    rows = inbound_rows(store)
    assert len(rows) == 61
    assert len({r["message_id_header"] for r in rows}) == 61
    assert any("reconnecting in" in state for state in run.states)


async def test_uidvalidity_change_remaps_without_duplicates(dovecot, folder, store):
    for n in range(4):
        dovecot.deliver(samples.plain(n), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 4)
    with store.db.read() as conn:
        conversations_before = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
        old = conn.execute(
            "SELECT uidvalidity FROM mail_folders WHERE mailbox = ?", (folder,)
        ).fetchone()[0]
    dovecot.doveadm("mailbox", "update", "-u", dovecot.user, "--uid-validity", str(old + 7), folder)
    dovecot.deliver(samples.plain(50, subject="New after renumbering"), folder)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 5)
        await run.until(lambda: run.connector.state.endswith(": connected"))
    with store.db.read() as conn:
        uidvalidity = conn.execute(
            "SELECT uidvalidity FROM mail_folders WHERE mailbox = ?", (folder,)
        ).fetchone()[0]
        mapped = conn.execute(
            "SELECT uidvalidity, count(*) FROM mail_messages"
            " WHERE mailbox = ? GROUP BY uidvalidity",
            (folder,),
        ).fetchall()
        conversations = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert uidvalidity == old + 7
    assert [tuple(r) for r in mapped] == [(old + 7, 5)]
    assert conversations == conversations_before + 1
    assert run.count() == 5


def test_untrusted_certificate_is_refused_before_the_password(dovecot, tmp_path):
    marker = tmp_path / "password-was-read"
    for ca_file in (None, str(dovecot.ca.other_ca_file)):
        for port, security in ((dovecot.imaps_port, "tls"), (dovecot.imap_port, "starttls")):
            client = ImapClient(
                "localhost",
                port,
                security,
                tls_context(ca_file),
                dovecot.user,
                lambda: marker.write_text("read") or dovecot.password,
                timeout=5,
            )
            with pytest.raises(MailError, match="certificate not trusted"):
                client.connect()
    assert not marker.exists()


def test_verified_tls_with_ca_file_logs_in(dovecot):
    for port, security in ((dovecot.imaps_port, "tls"), (dovecot.imap_port, "starttls")):
        client = ImapClient(
            "localhost",
            port,
            security,
            tls_context(str(dovecot.ca.ca_file)),
            dovecot.user,
            lambda: dovecot.password,
            timeout=5,
        )
        client.connect()
        assert client.select("INBOX").uidvalidity > 0
        client.close()


def test_plain_imap_refused_off_loopback():
    client = ImapClient("mail.example.com", 143, "none", tls_context(None), "u", lambda: "p")
    with pytest.raises(MailError, match="only allowed for a loopback host"):
        client.connect()


async def test_idle_is_reissued_on_schedule(dovecot, folder, store):
    settings = dovecot.settings(folders=[folder], idle_minutes=0.02)  # every 1.2 s
    async with Running(store, settings) as run:
        await run.until(lambda: run.connector.state.endswith(": connected"))
        # two more IDLEs after the first (1.2 s each; the bound allows for a busy machine)
        await run.until(lambda: sum(s.endswith(": connected") for s in run.states) >= 3, timeout=20)
    assert not any("reconnecting" in state for state in run.states)


async def test_mail_landing_as_a_sync_ends_is_fetched_without_waiting_for_more(
    dovecot, folder, store, monkeypatch
):
    """A message that lands after the sync's UID SEARCH and before IDLE is already in the
    mailbox IDLE starts from, so IDLE reports no change: it once waited for the next mail
    (or ``idle_minutes``); the bench lost the last of a burst that way."""
    dovecot.deliver(samples.plain(1), folder)
    search, landed = ImapClient.uids_from, []

    def search_then_deliver(client: ImapClient, start: int) -> list[int]:
        uids = search(client, start)
        if not landed:  # once: as the first sync has looked
            landed.append(True)
            dovecot.deliver(samples.plain(2, subject="Landed late"), folder)
        return uids

    monkeypatch.setattr(ImapClient, "uids_from", search_then_deliver)
    async with Running(store, dovecot.settings(folders=[folder])) as run:
        await run.until(lambda: run.count() == 2, timeout=10)
    assert [r["subject"] for r in inbound_rows(store)][-1] == "Landed late"
