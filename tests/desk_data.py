"""A small, fixed desk for UI and snapshot tests (times relative to a frozen clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentdesk import clock
from agentdesk.domain import Attachment, Inbound
from agentdesk.store import Store

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
HOSTILE_NAME = "[bold red]Mallory[/] \x1b]52;c;aGk=\x07"
HOSTILE_SUBJECT = "Win \x1b[2J[link=http://evil]prize[/link] \x1b[31mred"


def at(minutes_ago: float) -> str:
    return clock.to_iso(NOW - timedelta(minutes=minutes_ago))


def build_desk(store: Store) -> dict[str, int]:
    """Six conversations over email and chat; returns their ids by nickname."""
    ids: dict[str, int] = {}
    store.agents.ensure("alice", "Alice Martin", "alice@desk.example")
    store.agents.ensure("bob", "Bob Stone", "bob@desk.example")
    ids["refund"], _ = store.messages.record_inbound(
        Inbound(
            channel="email",
            address="ann@example.com",
            name="Ann Lee",
            subject="Refund for order 1042",
            text="Hello, I returned the blue kettle two weeks ago and still have no refund.",
            at=at(300),
            message_id_header="<r1@example.com>",
        )
    )
    store.messages.record_inbound(
        Inbound(
            channel="chat",
            address="@ann:example.org",
            name="Ann Lee",
            text="Hi, any news on my kettle refund?",
            at=at(30),
            thread_key="chat-ann",
        )
    )
    store.customers.link_identity("ann@example.com", "chat", "@ann:example.org")
    ids["ann_chat"] = store.conversations.id_for_uid("chat-ann")
    ids["login"], _ = store.messages.record_inbound(
        Inbound(
            channel="chat",
            address="@zoe:example.org",
            name="Zoë Ångström",
            text="I can't log in, the code never arrives",
            at=at(50),
            thread_key="chat-zoe",
        )
    )
    store.messages.add_note(
        ids["login"], "bob", "Checked: SMS provider had an outage this morning.", at=at(45)
    )
    store.replies.add(
        ids["login"], "bob", "Sorry about that, Zoë! Could you try again now?", at=at(40)
    )
    ids["html"], _ = store.messages.record_inbound(
        Inbound(
            channel="email",
            address="jose@example.com",
            name="José Núñez",
            subject="Invoice wrong",
            text="",
            html="<p>My invoice <b>INV-77</b> charges me twice.</p><ul><li>once</li>"
            "<li>twice</li></ul>",
            at=at(100),
            attachments=(Attachment("invoice-77.pdf", 48213, "application/pdf", b"%PDF-1.4"),),
        )
    )
    store.conversations.assign(ids["html"], "alice", "alice", at=at(90))
    store.conversations.set_tag(ids["html"], "billing", True, "alice", at=at(90))
    ids["hostile"], _ = store.messages.record_inbound(
        Inbound(
            channel="email",
            address="mallory@example.net",
            name=HOSTILE_NAME,
            subject=HOSTILE_SUBJECT,
            text="[b]not bold[/b] \x1b[2J\x1b]0;title\x07 body",
            at=at(20),
        )
    )
    ids["done"], _ = store.messages.record_inbound(
        Inbound(
            channel="email",
            address="ann@example.com",
            name="Ann Lee",
            subject="Delivery address",
            text="Please change my delivery address.",
            at=at(3000),
        )
    )
    store.replies.add(ids["done"], "alice", "Done, Ann!", at=at(2990))
    store.conversations.set_status(ids["done"], "resolved", "alice", at=at(2989))
    store.canned.save(
        "greeting", "Hi {customer.first_name},\n\nThanks for reaching out.\n\n{agent.name}"
    )
    store.canned.save(
        "refund-timeline", "Refunds reach your account 3-5 working days after we receive the item."
    )
    return ids
