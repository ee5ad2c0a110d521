"""The Matrix connector against a real Synapse on loopback (one server per session)."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
from synapse import MatrixUser, Synapse

from agentdesk.config import load_config
from agentdesk.connectors.matrix import MatrixConnector, MatrixError
from agentdesk.connectors.matrix.state import MatrixState
from agentdesk.connectors.registry import load_connectors
from agentdesk.delivery import ChannelHost
from agentdesk.store import Store

_names = itertools.count()


def saved(store: Store, desk: MatrixUser) -> MatrixState:
    """What the desk's Matrix connector (configured without a name) keeps in ``store``."""
    return MatrixState(store.connector_data(MatrixConnector.name), desk.user_id)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}x{int(time.time() * 1000) % 10**8}"


@pytest.fixture
def desk(synapse: Synapse) -> MatrixUser:
    user = MatrixUser(synapse, unique("desk"), "Support Desk")
    yield user
    user.close()


@pytest.fixture
def customer(synapse: Synapse) -> MatrixUser:
    user = MatrixUser(synapse, unique("cust"), "Dana Customer")
    yield user
    user.close()


@pytest.fixture
def store(tmp_path) -> Store:
    with Store(tmp_path / "desk.db") as db:
        yield db


def settings(server: Synapse, desk: MatrixUser, monkeypatch, **extra) -> dict:
    """Password login through an environment variable (the token is never stored)."""
    variable = f"MATRIX_PASS_{next(_names)}"
    monkeypatch.setenv(variable, desk.password)
    return {
        "homeserver": server.url,
        "user": desk.user_id,
        "password_env": variable,
        "sync_timeout": 5.0,
        "max_backoff": 1.0,
        **extra,
    }


class Running:
    """A connector started and receiving through a ChannelHost, stopped on exit."""

    def __init__(self, store: Store, config: dict) -> None:
        self.connector = MatrixConnector(config)
        self.host = ChannelHost(store, [self.connector])
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Running:
        await self.connector.start()
        self.task = asyncio.create_task(self.host.receive(self.connector))
        return self

    async def __aexit__(self, *exc: object) -> None:
        started = time.monotonic()
        await self.connector.stop()
        await asyncio.wait_for(self.task, 10)
        self.stop_seconds = time.monotonic() - started


async def until(condition, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def inbound_bodies(store: Store, room_id: str) -> list[str]:
    conversation_id = store.conversations.id_for_uid(room_id)
    if conversation_id is None:
        return []
    return [m.body for m in store.messages.thread(conversation_id) if m.direction == "in"]


async def test_customer_message_reaches_the_inbox(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    customer.send(room, "Hello, my order #1234 has not arrived")
    customer.send(
        room,
        {
            "msgtype": "m.text",
            "body": "",
            "format": "org.matrix.custom.html",
            "formatted_body": "<p>It was <b>express</b> shipping</p>",
        },
    )
    customer.send(
        room,
        {
            "msgtype": "m.image",
            "body": "parcel.jpg",
            "info": {"size": 48213, "mimetype": "image/jpeg"},
            "url": "mxc://desk.test/abc",
        },
    )
    async with Running(store, settings(synapse, desk, monkeypatch)) as run:
        await until(lambda: len(inbound_bodies(store, room)) == 3, what="three messages")
        assert run.connector.state == "chat: connected"
    assert customer.members(room)[desk.user_id] == "join"  # the invite was accepted
    conversation = store.conversations.get(store.conversations.id_for_uid(room))
    assert conversation.channel == "chat"
    messages = store.messages.thread(conversation.id)
    assert [m.body for m in messages] == [
        "Hello, my order #1234 has not arrived",
        "It was express shipping",
        "[image: parcel.jpg]",
    ]
    assert {m.author for m in messages} == {customer.user_id}
    assert messages[1].has_html
    (image,) = messages[2].attachments
    assert (image.filename, image.size, image.content_type) == ("parcel.jpg", 48213, "image/jpeg")
    person = store.customers.get(conversation.customer_id)
    assert person.name == "Dana Customer"
    assert [(i.channel, i.address) for i in person.identities] == [("chat", customer.user_id)]


async def test_reply_typing_and_receipt_reach_the_customer(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    asked = customer.send(room, "Can I change my delivery address?")
    async with Running(store, settings(synapse, desk, monkeypatch)) as run:
        await until(lambda: inbound_bodies(store, room), what="the question")
        conversation_id = store.conversations.id_for_uid(room)
        reply_id = store.replies.add(
            conversation_id, "alice", "Yes, send me the new one.", delivery="queued"
        )
        assert await run.connector.typing(room, True)
        assert await run.connector.mark_read(room)
        result = await run.host.deliver(reply_id)
        token = run.connector.session.client.token
    # stop() logged the password session out: its token is no longer valid.
    assert (
        httpx.get(
            f"{synapse.url}/_matrix/client/v3/account/whoami",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        == 401
    )
    assert result.ok, result.detail
    (posted,) = customer.messages(room, sender=desk.user_id)
    assert posted["content"]["body"] == "Yes, send me the new one."
    assert posted["event_id"] == result.external_id
    assert store.messages.thread(conversation_id)[-1].delivery == "sent"
    ephemeral = customer.ephemeral(room)
    receipts = [e["content"] for e in ephemeral if e["type"] == "m.receipt"]
    assert any(desk.user_id in c.get(asked, {}).get("m.read", {}) for c in receipts)
    typing = [e["content"]["user_ids"] for e in ephemeral if e["type"] == "m.typing"]
    assert typing and desk.user_id in typing[0]


async def test_restart_misses_and_repeats_nothing(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    config = settings(synapse, desk, monkeypatch, timeline_limit=4)
    customer.send(room, "first")
    async with Running(store, config):
        await until(lambda: inbound_bodies(store, room) == ["first"], what="first")
        customer.send(room, "second")
        await until(lambda: len(inbound_bodies(store, room)) == 2, what="second")
    # While the desk is down, more than a timeline's worth arrives (a gap to fill).
    offline = [f"offline {n}" for n in range(11)]
    for text in offline:
        customer.send(room, text)
    async with Running(store, config):  # a new instance on the same database
        await until(lambda: len(inbound_bodies(store, room)) >= 13, what="the gap")
        customer.send(room, "after restart")
        await until(lambda: len(inbound_bodies(store, room)) >= 14, what="live message")
        await asyncio.sleep(0.5)  # a repeat would show up now
    assert inbound_bodies(store, room) == ["first", "second", *offline, "after restart"]
    assert saved(store, desk).since()


async def test_homeserver_restart_mid_sync(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    customer.send(room, "before the outage")
    states: list[str] = []
    async with Running(store, settings(synapse, desk, monkeypatch)) as run:
        run.connector.on_state = states.append
        await until(lambda: inbound_bodies(store, room), what="first message")
        synapse.stop()  # drops the long-poll in flight
        try:
            await until(
                lambda: run.connector.state.startswith("chat: reconnecting in "),
                what="reconnecting state",
            )
        finally:
            synapse.start()
        customer.send(room, "after the outage")
        await until(
            lambda: len(inbound_bodies(store, room)) == 2, timeout=30, what="message after restart"
        )
        await until(lambda: run.connector.state == "chat: connected", what="connected")
    assert inbound_bodies(store, room) == ["before the outage", "after the outage"]
    assert any(s.startswith("chat: reconnecting in ") for s in states)


async def test_send_retried_after_a_crash_posts_once(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    customer.send(room, "Where is my refund?")
    config = settings(synapse, desk, monkeypatch)
    async with Running(store, config):
        await until(lambda: inbound_bodies(store, room), what="the question")
    conversation_id = store.conversations.id_for_uid(room)
    reply_id = store.replies.add(conversation_id, "alice", "Refunded today.", delivery="queued")

    # The process dies after the homeserver accepted the reply, before it was recorded.
    crashed = MatrixConnector(config)
    crashed.attach(store)

    def crash(message_id: int, event_id: str) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(crashed.saved, "send_done", crash)
    with pytest.raises(SystemExit):
        await crashed.send(store.replies.outgoing(reply_id))
    await crashed.stop()
    txn_id = saved(store, desk).send_record(reply_id, room).txn_id
    assert store.replies.undelivered() == [reply_id]

    # After the restart: a new login (another device, so the homeserver's own
    # transaction cache cannot help) delivers the queued reply again.
    token_variable = f"MATRIX_TOKEN_{next(_names)}"
    monkeypatch.setenv(token_variable, desk.login())
    restarted = MatrixConnector(
        {**config, "password_env": None, "access_token_env": token_variable}
    )
    host = ChannelHost(store, [restarted])
    result = await host.deliver(reply_id)
    await restarted.stop()
    assert result.ok, result.detail
    posted = customer.messages(room, sender=desk.user_id)
    assert [e["content"]["body"] for e in posted] == ["Refunded today."]
    assert posted[0]["content"]["agentdesk.txn_id"] == txn_id
    assert result.external_id == posted[0]["event_id"]
    assert store.replies.undelivered() == []


async def test_same_transaction_id_on_every_retry(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    """Each try after the first reuses the stored txn id; the room still gets one message."""
    room = customer.open_chat(desk.user_id)
    customer.send(room, "hi")
    config = settings(synapse, desk, monkeypatch)
    async with Running(store, config) as run:
        await until(lambda: inbound_bodies(store, room), what="hi")
        reply_id = store.replies.add(
            store.conversations.id_for_uid(room), "alice", "hello", delivery="queued"
        )
        first = saved(store, desk).send_record(reply_id, room)
        results = [await run.connector.send(store.replies.outgoing(reply_id)) for _ in range(3)]
    assert saved(store, desk).send_record(reply_id, room).txn_id == first.txn_id
    assert {r.external_id for r in results} == {results[0].external_id}
    assert len(customer.messages(room, sender=desk.user_id)) == 1


async def test_leaving_the_room_marks_the_conversation(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    customer.send(room, "thanks, bye")
    async with Running(store, settings(synapse, desk, monkeypatch, sync_timeout=30.0)) as run:
        await until(lambda: inbound_bodies(store, room), what="message")
        customer.leave(room)
        await until(lambda: len(inbound_bodies(store, room)) == 2, what="departure note")
        await asyncio.sleep(0.3)  # the next long-poll is waiting now
    assert run.stop_seconds < 2  # stop() ends a 30 s long-poll at once
    conversation_id = store.conversations.id_for_uid(room)
    note = store.messages.thread(conversation_id)[-1]
    assert note.body == "Dana Customer left the room"
    assert note.auto and note.author == customer.user_id
    assert store.conversations.get(conversation_id).status == "open"


async def test_refusals_are_one_line_results(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    stranger_room = customer.open_chat(unique("@nobody") + ":desk.test")
    connector = MatrixConnector(settings(synapse, desk, monkeypatch))
    host = ChannelHost(store, [connector])
    conversation_id = store.conversations.start_outbound(
        "chat", customer.user_id, "alice", "", uid=stranger_room
    )
    reply_id = store.replies.add(conversation_id, "alice", "hello?", delivery="queued")
    result = await host.deliver(reply_id)
    await connector.stop()
    assert result.state == "failed"
    assert "M_FORBIDDEN" in result.detail and "\n" not in result.detail

    monkeypatch.setenv("MATRIX_BAD_TOKEN", "syt_not_a_real_token")
    bad = MatrixConnector(
        {"homeserver": synapse.url, "user": desk.user_id, "access_token_env": "MATRIX_BAD_TOKEN"}
    )
    bad.attach(store)
    with pytest.raises(MatrixError) as refused:
        await bad.start()
    await bad.stop()
    assert "M_UNKNOWN_TOKEN" in str(refused.value)
    assert "syt_not_a_real_token" not in str(refused.value)


async def test_revoked_token_logs_in_again(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    room = customer.open_chat(desk.user_id)
    customer.send(room, "one")
    async with Running(store, settings(synapse, desk, monkeypatch)) as run:
        await until(lambda: inbound_bodies(store, room), what="one")
        client = run.connector.session.client
        revoked = client.token
        await client.request("POST", "/logout", body={})  # e.g. signed out from Element
        customer.send(room, "two")
        await until(lambda: len(inbound_bodies(store, room)) == 2, what="two")
        assert client.token and client.token != revoked
    assert inbound_bodies(store, room) == ["one", "two"]


async def test_configured_through_the_registry(
    synapse,
    desk,
    customer,
    store,
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("MATRIX_REGISTRY_PASSWORD", desk.password)
    path = tmp_path / "config.toml"
    path.write_text(f"""
[[connectors]]
type = "matrix"
name = "support-chat"
homeserver = "{synapse.url}"
user = "{desk.user_id}"
password_env = "MATRIX_REGISTRY_PASSWORD"
max_backoff = 1.0
""")
    connectors, problems = load_connectors(load_config(path, required=True))
    assert problems == []
    (connector,) = connectors
    assert isinstance(connector, MatrixConnector) and connector.label == "support-chat"
    room = customer.open_chat(desk.user_id)
    customer.send(room, "via the registry")
    host = ChannelHost(store, [connector])
    running = asyncio.create_task(host.run(connector))
    await until(lambda: inbound_bodies(store, room) == ["via the registry"], what="message")
    assert connector.state == "support-chat: connected"
    await connector.stop()
    await asyncio.wait_for(running, 10)


async def test_history_before_a_late_join_is_kept(
    synapse,
    desk,
    customer,
    store,
    monkeypatch,
):
    """auto_join off: an invite accepted later (from another client) brings its history."""
    config = settings(synapse, desk, monkeypatch, timeline_limit=4, auto_join=False)
    busy = MatrixUser(synapse, unique("other"))
    other_room = busy.open_chat(desk.user_id)
    desk.call("POST", f"/join/{other_room}", {})
    async with Running(store, config):
        await until(lambda: saved(store, desk).since(), what="a sync token")
        room = customer.open_chat(desk.user_id)
        early = [f"early {n}" for n in range(12)]
        for text in early:
            customer.send(room, text)
        busy.send(other_room, "wake the desk up")  # its token moves past the early ones
        await until(lambda: inbound_bodies(store, other_room), what="the other room")
    assert customer.members(room)[desk.user_id] == "invite"  # auto_join is off
    desk.call("POST", f"/join/{room}", {})  # accepted from another Matrix client
    async with Running(store, config):
        await until(lambda: len(inbound_bodies(store, room)) >= 12, what="early messages")
        await asyncio.sleep(0.5)
    assert inbound_bodies(store, room) == early
    busy.close()
