"""Import and export: round trip between real database files, idempotence, bad lines."""

from __future__ import annotations

import json
import sqlite3

import pytest
from desk_data import HOSTILE_NAME, at, build_desk

from agentdesk import clock
from agentdesk.cli import main
from agentdesk.demo import generate_demo
from agentdesk.domain import Inbound
from agentdesk.store import Store
from agentdesk.transfer import export_file, import_file


def snapshot(target) -> dict:
    """Everything import must reproduce, keyed by stable values (not row ids), read the
    same way on either engine (payloads compared as JSON, blobs as hex)."""
    with Store(target, readonly=True) as store, store.db.read() as conn:

        def rows(sql):
            return [tuple(r) for r in conn.execute(sql)]

        def attachments(message_id):
            return " ".join(
                f"{r[0]}/{r[1]}/{r[2]}/{bytes(r[3] or b'').hex()}"
                for r in conn.execute(
                    "SELECT filename, size, content_type, data FROM attachments"
                    " WHERE message_id = ? ORDER BY id",
                    (message_id,),
                )
            )

        customer_key = (
            "(SELECT group_concat(channel || ':' || address, ' ') FROM"
            " (SELECT channel, address FROM identities WHERE customer_id = {}"
            " ORDER BY channel, address) AS i)"
        )
        return {
            "events": [
                (*row[:4], json.loads(row[4]), *row[5:])
                for row in rows(
                    "SELECT c.uid, e.kind, e.at, e.agent, e.payload,"
                    " m.direction, m.body FROM events e"
                    " JOIN conversations c ON c.id = e.conversation_id"
                    " LEFT JOIN messages m ON m.id = e.message_id ORDER BY e.id"
                )
            ],
            "messages": sorted(
                (*row[1:], attachments(row[0]))
                for row in rows(
                    "SELECT m.id, c.uid, m.direction, m.author, m.at, m.subject, m.body,"
                    " m.body_html, m.message_id_header, m.in_reply_to, m.refs, m.auto,"
                    " m.delivery FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                )
            ),
            "conversations": sorted(
                rows(
                    "SELECT c.uid, c.channel, c.subject, c.preview, c.status, a.name,"
                    " c.snoozed_until, c.snooze_until_reply, c.created_at, c.last_message_at,"
                    " c.waiting_since, (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM"
                    " conversation_tags WHERE conversation_id = c.id ORDER BY tag) AS t), "
                    + customer_key.format("c.customer_id")
                    + " FROM conversations c LEFT JOIN agents a ON a.id = c.assignee_id"
                )
            ),
            "customers": sorted(
                rows(
                    "SELECT name, first_seen, "
                    + customer_key.format("cu.id")
                    + ", (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM customer_tags"
                    " WHERE customer_id = cu.id ORDER BY tag) AS t) FROM customers cu"
                ),
                key=repr,
            ),
            "agents": rows("SELECT name, display_name, email FROM agents ORDER BY name"),
            "canned": rows("SELECT name, body FROM canned_replies ORDER BY name"),
        }


def build_rich_desk(store: Store) -> None:
    """The UI test desk plus every action export has to carry."""
    ids = build_desk(store)
    store.conversations.assign(ids["html"], "bob", "alice", at=at(80))
    store.conversations.assign(ids["html"], None, "bob", at=at(79))
    store.conversations.set_tag(ids["html"], "billing", False, "bob", at=at(78))
    store.conversations.set_tag(ids["html"], "vip", True, "bob", at=at(78))
    store.events.view(ids["login"], "bob", True, at=at(39))
    store.events.view(ids["login"], "bob", False, at=at(38), reason="idle")
    store.replies.add(
        ids["login"], "bob", "Draft-based answer", at=at(37), ai_assisted=True, edit_distance=0
    )
    store.conversations.set_status(ids["login"], "snoozed", "bob", at=at(36), until_reply=True)
    store.messages.record_inbound(
        Inbound(
            channel="chat",
            address="@zoe:example.org",
            text="works now!",
            at=at(35),
            thread_key="chat-zoe",
            name="Zoë Ångström",
        )
    )
    store.conversations.set_status(ids["refund"], "snoozed", "alice", at=at(290), until=at(100))
    store.conversations.wake_snoozed(at=at(100))
    store.events.csat(ids["done"], 4, at=at(2900))
    outbound = store.conversations.start_outbound(
        "email",
        "new@example.com",
        "alice",
        "Your order is late",
        name="Nia Obi",
        at=at(200),
        uid="out-1",
    )
    store.replies.add(
        outbound, "alice", "Sorry, it ships Friday.", at=at(200), header="<out-1@desk.example>"
    )
    store.events.append(ids["hostile"], "sla_breached", at(10), None, None, {"target": 3600})
    customer = store.customers.id_for_address("ann@example.com")
    store.customers.set_tags(customer, ["vip", "b2b"])


@pytest.fixture
def rich_desk(tmp_path, frozen_clock):
    path = tmp_path / "source.db"
    with Store(path) as store:
        build_rich_desk(store)
    return path


def test_export_then_import_reproduces_the_desk(tmp_path, rich_desk, desk_target):
    """A SQLite desk moves to a new desk on either engine (export, then import)."""
    exported = tmp_path / "desk.jsonl"
    with Store(rich_desk) as store:
        count = export_file(store, exported)
    kinds = {json.loads(line)["type"] for line in exported.read_text().splitlines()}
    assert (
        count > 20
        and {
            "message",
            "created",
            "status",
            "assign",
            "unassign",
            "tag",
            "untag",
            "viewed",
            "csat",
            "identity",
            "customer",
            "agent",
            "canned",
            "event",
        }
        <= kinds
    )
    with Store(desk_target) as store:
        report = import_file(store, exported)
    assert report.errors == [] and report.imported == count
    original, copy = snapshot(rich_desk), snapshot(desk_target)
    for part in original:
        assert copy[part] == original[part], part
    assert any(c[0] == HOSTILE_NAME for c in copy["customers"])  # untrusted text kept verbatim
    with Store(rich_desk) as store, Store(desk_target) as moved:
        keys = set(store.metrics.keys())  # the same conversations: stats counts them once
        assert len(keys) > 3 and set(moved.metrics.keys()) == keys


def test_demo_desk_round_trips(tmp_path, frozen_clock):
    with Store(tmp_path / "demo.db") as store:
        generate_demo(store, seed=11)
        export_file(store, tmp_path / "demo.jsonl")
    with Store(tmp_path / "copy.db") as store:
        report = import_file(store, tmp_path / "demo.jsonl")
    assert report.errors == []
    original, copy = snapshot(tmp_path / "demo.db"), snapshot(tmp_path / "copy.db")
    assert len(original["events"]) > 5000
    for part in original:
        assert copy[part] == original[part], part


def test_importing_twice_adds_nothing(tmp_path, rich_desk, desk_target):
    exported = tmp_path / "desk.jsonl"
    with Store(rich_desk) as store:
        export_file(store, exported)
    target = desk_target
    with Store(target) as store:
        first = import_file(store, exported)
        before = snapshot(target)
        second = import_file(store, exported)
    assert second.imported == 0 and second.present == first.imported
    assert snapshot(target) == before


ISSUE_EXAMPLE = [
    {
        "type": "message",
        "conversation": "C1",
        "channel": "email",
        "customer": "ann@example.com",
        "customer_name": "Ann Lee",
        "direction": "in",
        "at": "2026-01-05T09:00:00Z",
        "subject": "Refund",
        "text": "Where is my refund?",
    },
    {
        "type": "message",
        "conversation": "C1",
        "channel": "email",
        "customer": "ann@example.com",
        "direction": "out",
        "agent": "alice",
        "at": "2026-01-05T09:30:00Z",
        "text": "Sent today.",
    },
    {
        "type": "message",
        "conversation": "C1",
        "channel": "email",
        "customer": "ann@example.com",
        "direction": "note",
        "agent": "alice",
        "at": "2026-01-05T09:30:30Z",
        "text": "Refund #88",
    },
    {
        "type": "status",
        "conversation": "C1",
        "status": "resolved",
        "agent": "alice",
        "at": "2026-01-05T09:31:00Z",
    },
    {"type": "assign", "conversation": "C1", "agent": "alice", "at": "2026-01-05T09:31:10Z"},
    {"type": "csat", "conversation": "C1", "rating": 5, "at": "2026-01-05T10:00:00Z"},
    {
        "type": "identity",
        "customer": "ann@example.com",
        "also": "@ann:example.org",
        "channel": "chat",
    },
]


def write_lines(path, lines) -> None:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )


def events_of(path, uid):
    conn = sqlite3.connect(path)
    try:
        return [
            (r[0], r[1], r[2], json.loads(r[3]))
            for r in conn.execute(
                "SELECT e.kind, e.at, e.agent, e.payload FROM events e JOIN conversations c"
                " ON c.id = e.conversation_id WHERE c.uid = ? ORDER BY e.id",
                (uid,),
            )
        ]
    finally:
        conn.close()


def test_issue_example_and_reopen_on_inbound(tmp_path, capsys):
    source, db = tmp_path / "in.jsonl", tmp_path / "desk.db"
    reopen = {
        "type": "message",
        "conversation": "C1",
        "channel": "email",
        "customer": "ann@example.com",
        "direction": "in",
        "at": "2026-01-06T08:00:00Z",
        "text": "It never arrived.",
    }
    write_lines(source, [*ISSUE_EXAMPLE, reopen])
    assert main(["import", str(source), "--db", str(db)]) == 0
    assert "8 lines imported" in capsys.readouterr().out
    events = events_of(db, "C1")
    assert [(kind, agent) for kind, _, agent, _ in events] == [
        ("created", None),
        ("inbound", None),
        ("reply", "alice"),
        ("note", "alice"),
        ("status", "alice"),
        ("assigned", "alice"),
        ("csat", None),
        ("inbound", None),
        ("status", None),
    ]
    assert events[4][3] == {"from": "open", "to": "resolved"}
    assert events[-1][1] == "2026-01-06T08:00:00Z"
    assert events[-1][3] == {"from": "resolved", "to": "open", "reason": "customer replied"}
    with Store(db) as store:
        conversation = store.conversations.get(store.conversations.id_for_uid("C1"))
        customer = store.customers.get(conversation.customer_id)
    assert conversation.status == "open" and conversation.waiting_since == "2026-01-06T08:00:00Z"
    assert {(i.channel, i.address) for i in customer.identities} == {
        ("email", "ann@example.com"),
        ("chat", "@ann:example.org"),
    }


def test_bad_lines_are_reported_and_good_lines_still_import(tmp_path, capsys):
    source, db = tmp_path / "mixed.jsonl", tmp_path / "desk.db"
    write_lines(
        source,
        [
            ISSUE_EXAMPLE[0],
            '{"type": "message", "conversation": ',
            {
                "type": "status",
                "conversation": "C9",
                "status": "resolved",
                "at": "2026-01-05T10:00Z",
            },
            {
                "type": "message",
                "conversation": "C1",
                "channel": "email",
                "customer": "ann@example.com",
                "direction": "sideways",
                "at": "2026-01-05T10:00:00Z",
                "text": "?",
            },
            {"type": "csat", "conversation": "C1", "rating": 9, "at": "2026-01-05T10:00:00Z"},
            {"type": "status", "conversation": "C1", "status": "resolved", "at": "yesterday"},
            {"type": "teleport", "conversation": "C1"},
            ["not", "an", "object"],
            "",
            {
                "type": "message",
                "conversation": "C1",
                "channel": "email",
                "customer": "ann@example.com",
                "direction": "out",
                "at": "2026-01-05T09:30:00Z",
                "text": "no agent",
            },
            ISSUE_EXAMPLE[1],
        ],
    )
    with open(source, "ab") as handle:
        handle.write(b'{"type": "csat", "conversation": "C1", "rating": 4, "at": "\xff"}\n')
    assert main(["import", str(source), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    new, *errors = captured.err.splitlines()
    assert new == f"new desk created at {db}"
    assert [line.split(": ")[0] for line in errors] == [
        f"{source}:{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 12)
    ]
    assert "invalid JSON" in errors[0]
    assert "unknown conversation 'C9'" in errors[1]
    assert '"direction" must be one of in, out, note' in errors[2]
    assert '"rating" must be a whole number from 1 to 5, got 9' in errors[3]
    assert '"at" is not an ISO-8601 time' in errors[4]
    assert "unknown type 'teleport'" in errors[5]
    assert "expected a JSON object" in errors[6]
    assert 'missing "agent"' in errors[7]
    assert "not UTF-8" in errors[8]
    assert "2 lines imported" in captured.out and "9 failed" in captured.out
    kinds = [kind for kind, *_ in events_of(db, "C1")]
    assert kinds == ["created", "inbound", "reply"]  # nothing from the failed lines


def test_failed_line_leaves_no_import_key(tmp_path):
    """A line that fails can be fixed and imported later (its key was rolled back)."""
    source, db = tmp_path / "one.jsonl", tmp_path / "desk.db"
    status = {
        "type": "status",
        "conversation": "C1",
        "status": "resolved",
        "agent": "alice",
        "at": "2026-01-05T09:31:00Z",
    }
    write_lines(source, [status])
    assert main(["import", str(source), "--db", str(db)]) == 1
    write_lines(source, [ISSUE_EXAMPLE[0], status])
    assert main(["import", str(source), "--db", str(db)]) == 0
    assert [kind for kind, *_ in events_of(db, "C1")] == ["created", "inbound", "status"]


def test_unreadable_file_and_missing_database(tmp_path, capsys):
    assert main(["import", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "d.db")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "out.jsonl"), "--db", str(tmp_path / "none.db")]) == 2
    assert "no such database" in capsys.readouterr().err


def test_export_command_writes_one_object_per_line(tmp_path, rich_desk, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["export", str(out), "--db", str(rich_desk)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"exported {len(lines)} lines" in capsys.readouterr().out
    parsed = [json.loads(line) for line in lines]
    messages = [p for p in parsed if p["type"] == "message"]
    assert [m["at"] for m in messages if m["conversation"] == "chat-zoe"] == sorted(
        m["at"] for m in messages if m["conversation"] == "chat-zoe"
    )
    html = next(m for m in messages if m.get("html"))
    assert html["text"] and html["attachments"][0]["filename"] == "invoice-77.pdf"
    assert clock.parse_iso(parsed[-1].get("at", "2026-01-01T00:00:00Z"))


def test_people_first_imports_in_any_order(tmp_path, capsys):
    """Issue 12.20: exports from other helpdesks list people first. A line about a customer
    not seen yet waits for the end of the file; one never seen is one error."""
    source, db = tmp_path / "people-first.jsonl", tmp_path / "desk.db"
    write_lines(
        source,
        [
            {
                "type": "identity",
                "customer": "ann@example.com",
                "also": "@annie:example.org",
                "channel": "chat",
            },
            {"type": "customer", "customer": "ann@example.com", "tags": ["vip"]},
            {
                "type": "identity",
                "customer": "ghost@example.com",
                "also": "@g:example.org",
                "channel": "chat",
            },
            *ISSUE_EXAMPLE,
        ],
    )
    assert main(["import", str(source), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    errors = captured.err.splitlines()[1:]
    assert errors == [
        f"{source}:3: unknown customer 'ghost@example.com' (no message of theirs in the desk"
        ' or the file; with "customer_channel" the line creates them)'
    ]
    assert f"{len(ISSUE_EXAMPLE) + 2} lines imported" in captured.out and "1 failed" in captured.out
    with Store(db) as store:
        customer = store.customers.get(store.customers.id_for_address("ann@example.com"))
        assert "vip" in customer.tags
        assert ("chat", "@annie:example.org") in {
            (i.channel, i.address) for i in customer.identities
        }
    assert main(["import", str(source), "--db", str(db)]) == 1  # again: nothing new
    assert f"0 lines imported, {len(ISSUE_EXAMPLE) + 2} already present" in capsys.readouterr().out


def test_copy_moves_a_desk_in_one_command(rich_desk, desk_target, capsys):
    """`agentdesk copy SOURCE TARGET`: export then import without a file; again adds nothing."""
    from agentdesk.cli import main

    assert main(["copy", str(rich_desk), desk_target]) == 0
    out = capsys.readouterr().out
    assert " 0 already present, 0 failed, into " in out
    original, copy = snapshot(rich_desk), snapshot(desk_target)
    for part in original:
        assert copy[part] == original[part], part
    assert main(["copy", str(rich_desk), desk_target]) == 0
    assert " 0 lines imported" in capsys.readouterr().out and snapshot(desk_target) == copy


def test_a_people_file_creates_the_customers_their_messages_come_to_later(tmp_path, capsys):
    """Issue 12.20: a people file imported before the conversations' file creates each
    customer its lines name with their address's channel; their messages, imported
    later, come to that customer, linked to their chat handle, with their tags."""
    people, messages, db = tmp_path / "people.jsonl", tmp_path / "messages.jsonl", tmp_path / "d.db"
    write_lines(
        people,
        [
            {
                "type": "identity",
                "customer": "ann@example.com",
                "customer_channel": "email",
                "name": "Ann Lee",
                "also": "@annie:example.org",
                "channel": "chat",
            },
            {"type": "customer", "customer": "bo@example.com", "channel": "email", "tags": ["vip"]},
        ],
    )
    write_lines(
        messages,
        [
            *ISSUE_EXAMPLE[:1],
            {
                "type": "message",
                "conversation": "C2",
                "channel": "chat",
                "customer": "@annie:example.org",
                "direction": "in",
                "at": "2026-01-06T09:00:00Z",
                "text": "Any news?",
            },
            {
                "type": "message",
                "conversation": "C3",
                "channel": "email",
                "customer": "bo@example.com",
                "customer_name": "Bo Berg",
                "direction": "in",
                "at": "2026-01-06T10:00:00Z",
                "text": "Hello",
            },
        ],
    )
    assert main(["import", str(people), "--db", str(db)]) == 0
    assert "2 lines imported, 0 already present, 0 failed" in capsys.readouterr().out
    exported, copy = tmp_path / "people-only.jsonl", tmp_path / "copy.db"
    assert main(["export", str(exported), "--db", str(db)]) == 0
    assert main(["import", str(exported), "--db", str(copy)]) == 0  # no conversation: made again
    capsys.readouterr()
    with Store(copy) as store:
        assert store.customers.id_for_address("@annie:example.org") is not None
        assert store.customers.get(store.customers.id_for_address("bo@example.com")).tags == (
            "vip",
        )
    assert main(["import", str(messages), "--db", str(db)]) == 0
    capsys.readouterr()
    with Store(db) as store:
        ann = store.customers.get(store.customers.id_for_address("ann@example.com"))
        assert ann.name == "Ann Lee" and ann.first_seen == "2026-01-05T09:00:00Z"
        assert {(i.channel, i.address) for i in ann.identities} == {
            ("email", "ann@example.com"),
            ("chat", "@annie:example.org"),
        }
        assert ann.conversation_count == 2  # the mail and the chat: one customer
        bo = store.customers.get(store.customers.id_for_address("bo@example.com"))
        assert bo.name == "Bo Berg" and bo.tags == ("vip",)
