"""Matrix without a homeserver: events as messages, config, backoff, an unreachable server."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from conftest import eventually

from agentdesk import clock
from agentdesk.config import ConfigError, Table, load_config
from agentdesk.connectors.matrix import MatrixConnector
from agentdesk.connectors.matrix.connector import Backoff
from agentdesk.connectors.matrix.events import departure, inbound, message_parts
from agentdesk.delivery import ChannelHost
from agentdesk.store import Store

ROOM = "!room:example.org"
DESK = "@desk:example.org"


def event(content: dict, kind: str = "m.room.message", **extra) -> dict:
    return {
        "type": kind,
        "event_id": "$e1",
        "sender": "@dana:example.org",
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
        **extra,
    }


def test_plain_text_message_becomes_an_inbound():
    message = inbound(
        event({"msgtype": "m.text", "body": "Hi \x1b[31mthere"}), ROOM, "Dana", "Orders"
    )
    assert (message.channel, message.address, message.name) == ("chat", "@dana:example.org", "Dana")
    assert (message.thread_key, message.ext_id, message.subject) == (ROOM, "$e1", "Orders")
    assert message.at == "2023-11-14T22:13:20Z"
    assert message.text == "Hi \x1b[31mthere"  # kept as data; the screen cleans it
    assert not message.auto


def test_formatted_message_without_plain_body_is_converted_to_text():
    text, html, _, _ = message_parts(
        {
            "msgtype": "m.text",
            "body": "",
            "format": "org.matrix.custom.html",
            "formatted_body": "<p>Order <b>#42</b></p><script>alert(1)</script>",
        }
    )
    assert text == "Order #42"
    assert html.startswith("<p>")


def test_reply_fallback_is_stripped_and_edits_are_marked():
    reply = {
        "msgtype": "m.text",
        "body": "> <@desk:example.org> Which order?\n\n#42",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    assert message_parts(reply)[0] == "#42"
    quote_only = {"msgtype": "m.text", "body": "> just a quote I typed"}
    assert message_parts(quote_only)[0] == "> just a quote I typed"
    edit = {
        "msgtype": "m.text",
        "body": "* #43",
        "m.new_content": {"msgtype": "m.text", "body": "#43"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
    }
    assert message_parts(edit)[0] == "(edited) #43"


def test_files_are_listed_with_name_and_size():
    text, _, (attachment,), _ = message_parts(
        {
            "msgtype": "m.file",
            "body": "See the invoice",
            "filename": "invoice.pdf",
            "info": {"size": 120_000, "mimetype": "application/pdf"},
            "url": "mxc://x/y",
        }
    )
    assert text == "[file: invoice.pdf]\nSee the invoice"
    assert (attachment.filename, attachment.size, attachment.content_type) == (
        "invoice.pdf",
        120_000,
        "application/pdf",
    )
    assert attachment.data is None  # listed, never downloaded
    _, _, (odd,), _ = message_parts({"msgtype": "m.video", "body": 7, "info": {"size": "big"}})
    assert (odd.filename, odd.size) == ("video", 0)


def test_hostile_or_odd_content_never_raises():
    assert message_parts({"msgtype": ["x"], "body": {"a": 1}})[0] == ""
    assert message_parts({"msgtype": "m.notice", "body": "bridge: connected"})[3] is True
    assert message_parts({"msgtype": "m.emote", "body": "waves"})[0] == "* waves"
    assert inbound(event({}), ROOM, "", "") is None  # redacted
    assert inbound({"type": "m.room.message", "content": {"body": "x"}}, ROOM, "", "") is None
    assert inbound(event({"membership": "join"}, "m.room.member"), ROOM, "", "") is None
    encrypted = inbound(
        event({"algorithm": "m.megolm.v1.aes-sha2"}, "m.room.encrypted"), ROOM, "", ""
    )
    assert "encrypted" in encrypted.text
    late = inbound(event({"msgtype": "m.text", "body": "x"}, origin_server_ts="soon"), ROOM, "", "")
    assert late.at.endswith("Z")
    future = inbound(
        event({"msgtype": "m.text", "body": "x"}, origin_server_ts=4_000_000_000_000), ROOM, "", ""
    )
    assert future.at <= clock.now_iso()


@pytest.mark.parametrize(
    ("content", "sender", "target", "expected"),
    [
        ({"membership": "leave"}, "@dana:example.org", "@dana:example.org", "Dana left the room"),
        (
            {"membership": "leave", "reason": "spam"},
            DESK,
            "@dana:example.org",
            "Dana was removed from the room by @desk:example.org (spam)",
        ),
        (
            {"membership": "ban"},
            "@mod:example.org",
            "@dana:example.org",
            "Dana was banned from the room",
        ),
        (
            {"membership": "leave"},
            "@dana:example.org",
            DESK,
            "The desk was removed from the room by Dana",
        ),
        ({"membership": "join"}, "@dana:example.org", "@dana:example.org", None),
    ],
)
def test_departures_become_auto_notes(content, sender, target, expected):
    names = {"@dana:example.org": "Dana"}
    note = departure(
        event(content, "m.room.member", sender=sender, state_key=target),
        ROOM,
        DESK,
        names,
        "@dana:example.org",
    )
    if expected is None:
        assert note is None
        return
    assert note.text == expected
    assert note.auto and note.address == "@dana:example.org" and note.thread_key == ROOM


def table(**values) -> Table:
    return Table({"type": "matrix", **values}, "config.toml", "connectors[0]")


def test_config_is_validated_with_the_key_named():
    good = MatrixConnector.validate(
        table(
            homeserver="https://matrix.example.org",
            user="@support:example.org",
            password_env="MATRIX_PASSWORD",
        )
    )
    assert good["auto_join"] is True and good["sync_timeout"] == 30.0
    cases = {
        "connectors[0].homeserver: plain http is only allowed for a loopback": dict(
            homeserver="http://matrix.example.org", user="@s:e.org", password_env="P"
        ),
        "connectors[0].user: expected a Matrix id": dict(
            homeserver="https://m.e.org", user="support", password_env="P"
        ),
        "connectors[0].access_token_env: set exactly one of": dict(
            homeserver="https://m.e.org", user="@s:e.org", password_env="P", access_token_env="T"
        ),
        "connectors[0].auto_join: expected bool": dict(
            homeserver="https://m.e.org", user="@s:e.org", password_env="P", auto_join="yes"
        ),
        "connectors[0].room: unknown key": dict(
            homeserver="https://m.e.org", user="@s:e.org", password_env="P", room="!x"
        ),
        "connectors[0].homeserver: required": dict(user="@s:e.org", password_env="P"),
    }
    for expected, values in cases.items():
        with pytest.raises(ConfigError) as error:
            MatrixConnector.validate(table(**values))
        assert f"config.toml: {expected}" in str(error.value)
    loopback = MatrixConnector.validate(
        table(homeserver="http://127.0.0.1:8008", user="@s:e.org", access_token_env="T")
    )
    assert loopback["homeserver"] == "http://127.0.0.1:8008"


def test_backoff_grows_and_is_capped():
    backoff = Backoff(cap=8)
    delays = [backoff.next() for _ in range(8)]
    assert 0.8 <= delays[0] <= 1 and 1.6 <= delays[1] <= 2 and 3.2 <= delays[2] <= 4
    assert all(6.4 <= d <= 8 for d in delays[3:])
    for _ in range(5000):  # a long outage
        assert backoff.next() <= 8
    backoff.reset()
    assert backoff.next() <= 1


def test_example_config_matrix_table_is_valid():
    example = Path(__file__).parent.parent / "config.example.toml"
    config = load_config(example, required=True)
    tables = [
        t for t in Table(config.raw, example).tables("connectors") if t.data.get("type") == "matrix"
    ]
    assert len(tables) == 1
    settings = MatrixConnector.validate(tables[0])
    assert settings["user"] == "@support:example.org"
    assert settings["password_env"] == "AGENTDESK_MATRIX_PASSWORD"


async def test_unreachable_homeserver_is_a_state_and_a_retry(tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("MATRIX_TEST_TOKEN", "syt_x")
    connector = MatrixConnector(
        {
            "homeserver": f"http://127.0.0.1:{port}",
            "user": DESK,
            "access_token_env": "MATRIX_TEST_TOKEN",
            "max_backoff": 1.0,
        }
    )
    with Store(tmp_path / "desk.db") as store:
        host = ChannelHost(store, [connector])
        await connector.start()  # unreachable is not a refusal: incoming() keeps trying
        receiving = asyncio.create_task(host.receive(connector))
        await eventually(lambda: connector.state.startswith("chat: reconnecting in "), 2)
        assert connector.state == "chat: reconnecting in 1 s"
        conversation_id = store.conversations.start_outbound(
            "chat", "@dana:example.org", "alice", "", uid=ROOM
        )
        reply_id = store.replies.add(conversation_id, "alice", "hello", delivery="queued")
        result = await host.deliver(reply_id)
        await connector.stop()
        await asyncio.wait_for(receiving, 5)
        assert result.state == "retry" and result.detail.startswith("chat: ")
        assert store.messages.thread(conversation_id)[-1].delivery.startswith("retry: chat: ")
        assert connector.saved.send_record(reply_id, ROOM).attempts == 0  # never left


def test_a_reaction_names_the_event_it_reacts_to():
    from agentdesk.connectors.matrix.events import inbound

    def reaction(relates):
        event = {"type": "m.reaction", "event_id": "$r", "sender": "@erin:hs", "content": {}}
        event["content"]["m.relates_to"] = relates
        return inbound(event, "!room", "Erin", "")

    thumbs = reaction({"rel_type": "m.annotation", "event_id": "$survey", "key": "👍"})
    assert (thumbs.text, thumbs.reaction_to, thumbs.thread_key) == ("👍", "$survey", "!room")
    assert reaction({"rel_type": "m.reference", "event_id": "$s", "key": "👍"}) is None
    assert reaction({"rel_type": "m.annotation", "key": "👍"}) is None
    assert reaction({"rel_type": "m.annotation", "event_id": "$s", "key": 5}) is None
