"""Customers in the store, on both engines: search over every customer, merging two
into one (recorded as events, refused into itself or once gone) and tag edits."""

from __future__ import annotations

import json
import threading

import pytest

from agentdesk.domain import Inbound, SearchQuery
from agentdesk.store import Store
from agentdesk.store.customers import CustomerGone
from agentdesk.transfer import export_lines, import_lines


@pytest.fixture
def store(desk_target):
    with Store(desk_target) as store:
        yield store


def arrive(store: Store, channel: str, address: str, name: str, at: str, **fields) -> int:
    """A customer message; returns its conversation's customer id."""
    conversation, _ = store.messages.record_inbound(
        Inbound(channel=channel, address=address, name=name, text="hello", at=at, **fields)
    )
    return store.conversations.get(conversation).customer_id


def two_anns(store: Store) -> tuple[int, int]:
    """Ann Lee by email (two conversations, #vip) and "Ann L." on chat (#refund, #vip)."""
    ann = arrive(store, "email", "ann@example.com", "Ann Lee", "2026-01-05T09:00:00Z")
    arrive(store, "email", "ann@example.com", "Ann Lee", "2026-01-06T09:00:00Z", subject="Again")
    chat = arrive(
        store, "chat", "@ann:example.org", "Ann L.", "2026-01-07T09:00:00Z", thread_key="room"
    )
    store.customers.set_tags(ann, ["vip"])
    store.customers.set_tags(chat, ["refund", "vip"])
    return ann, chat


def test_search_finds_a_customer_by_name_email_or_chat_handle_newest_contact_first(store):
    ann, chat = two_anns(store)
    bo = arrive(store, "email", "bo@example.net", "Bo Annersen", "2026-01-04T09:00:00Z")
    assert [c.id for c in store.customers.search("ann")[0]] == [chat, ann, bo]  # prefix
    assert store.customers.search("ann")[1] == 3
    assert [c.id for c in store.customers.search("ann@example.com")[0]] == [ann]
    assert [c.id for c in store.customers.search("@ann:example.org")[0]] == [chat]
    assert [c.id for c in store.customers.search("lee")[0]] == [ann]
    found, total = store.customers.search("ann", limit=1)
    assert ([c.id for c in found], total) == ([chat], 3)
    (ann_found,) = store.customers.search("Lee")[0]
    assert ann_found.last_contact == "2026-01-06T09:00:00Z"
    assert ann_found.conversation_count == 2
    assert [i.address for i in ann_found.identities] == ["ann@example.com"]
    for nothing in ("", "   ", "zzz", '"', 'NEAR( "AND OR *', "@@@"):
        assert store.customers.search(nothing) == ([], 0)
    assert store.inbox.search(SearchQuery.parse("@@@"))[0] == []  # no token: no match


def test_merge_moves_conversations_addresses_and_tags_and_records_what_moved(store):
    ann, chat = two_anns(store)
    kept, merged = store.customers.merge(ann, chat, "alice", at="2026-01-08T10:00:00Z")
    assert (kept.name, merged.name) == ("Ann Lee", "Ann L.")
    assert store.customers.get(chat) is None
    now = store.customers.get(ann)
    assert now.name == "Ann Lee" and now.conversation_count == 3
    assert [(i.channel, i.address) for i in now.identities] == [
        ("email", "ann@example.com"),
        ("chat", "@ann:example.org"),
    ]
    assert now.tags == ("refund", "vip")
    assert [r.id for r in store.inbox.history(ann)] == [3, 2, 1]  # one history now
    assert [c.id for c in store.customers.search("ann l")[0]] == [ann]  # its index too
    assert store.customers.search("example.org")[0][0].id == ann
    events = [e for e in store.events.read() if e["kind"] == "customer_merged"]
    assert [(e["conversation_id"], e["agent"], e["at"]) for e in events] == [
        (i, "alice", "2026-01-08T10:00:00Z") for i in (1, 2, 3)
    ]
    assert [e["payload"]["moved"] for e in events] == [False, False, True]
    assert {k: v for k, v in events[0]["payload"].items() if k != "moved"} == {
        "kept": ann,
        "kept_name": "Ann Lee",
        "merged": chat,
        "merged_name": "Ann L.",
        "conversations": 1,
        "identities": [{"channel": "chat", "address": "@ann:example.org"}],
        "tags": ["refund"],
    }


def test_merge_into_itself_is_refused_and_a_gone_customer_is_said_so(store):
    ann, chat = two_anns(store)
    with pytest.raises(ValueError, match="itself"):
        store.customers.merge(ann, ann, "alice")
    store.customers.merge(ann, chat, "alice")
    for keep, drop in ((ann, chat), (chat, ann)):
        with pytest.raises(CustomerGone):
            store.customers.merge(keep, drop, "bob")
    assert store.customers.get(ann).conversation_count == 3  # nothing else changed
    assert len([e for e in store.events.read() if e["kind"] == "customer_merged"]) == 3


def test_two_desks_merging_the_same_pair_at_once_merge_it_once(desk_target):
    """Each desk has its own connection: one merge wins, the other finds a customer gone."""
    with Store(desk_target) as setup:
        ann, chat = two_anns(setup)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def merge(keep: int, drop: int) -> None:
        with Store(desk_target) as desk:
            barrier.wait()
            try:
                desk.customers.merge(keep, drop, "alice")
                outcomes.append("merged")
            except CustomerGone:
                outcomes.append("gone")

    threads = [threading.Thread(target=merge, args=pair) for pair in ((ann, chat), (chat, ann))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["gone", "merged"]
    with Store(desk_target) as after:
        survivors = [c for c in (after.customers.get(ann), after.customers.get(chat)) if c]
        assert [c.conversation_count for c in survivors] == [3]


def test_customer_tag_edits_are_events_on_each_of_their_conversations(store):
    ann, _ = two_anns(store)
    assert store.customers.change_tags(ann, ["Churn Risk", "vip"], ["gone"], "alice")
    assert store.customers.get(ann).tags == ("churn-risk", "vip")
    assert not store.customers.change_tags(ann, ["vip"], ["nothing"], "alice")  # no change
    assert store.customers.change_tags(ann, [], ["vip"], "bob")
    events = [
        (e["conversation_id"], e["agent"], e["payload"])
        for e in store.events.read()
        if e["kind"] == "customer_tags"
    ]
    added = {"customer": ann, "added": ["churn-risk"], "removed": []}
    removed = {"customer": ann, "added": [], "removed": ["vip"]}
    assert events == [
        (1, "alice", added),
        (2, "alice", added),
        (1, "bob", removed),
        (2, "bob", removed),
    ]
    changed, _ = store.changes.since(store.changes.mark().__class__())
    assert {1, 2} <= changed  # other desks re-read these conversations


def test_export_and_import_keep_a_merge_and_its_events(store, tmp_path):
    ann, chat = two_anns(store)
    store.customers.merge(ann, chat, "alice", at="2026-01-08T10:00:00Z")
    lines = list(export_lines(store))
    assert sum(line.get("kind") == "customer_merged" for line in lines) == 3
    with Store(str(tmp_path / "copy.db")) as copy:
        report = import_lines(copy, [json.dumps(line) for line in lines])
        assert not report.errors
        (customer,) = copy.customers.search("ann")[0]
        assert customer.conversation_count == 3
        assert customer.tags == ("refund", "vip")
        kinds = [e["kind"] for e in copy.events.read()]
        assert kinds.count("customer_merged") == 3


def test_an_address_nobody_has_is_linked_and_new_mail_from_it_joins_the_customer(store):
    ann, chat = two_anns(store)
    assert store.customers.add_address(ann, "email", "ann@work.example", "alice") is None
    assert store.customers.channels() == ["chat", "email"]
    assert [c.id for c in store.customers.search("ann@work.example")[0]] == [ann]
    assert arrive(store, "email", "ANN@work.example", "", "2026-01-09T09:00:00Z") == ann
    linked = [e for e in store.events.read() if e["kind"] == "customer_linked"]
    assert [(e["conversation_id"], e["agent"]) for e in linked] == [(1, "alice"), (2, "alice")]
    assert linked[0]["payload"] == {
        "customer": ann,
        "channel": "email",
        "address": "ann@work.example",
    }
    # someone's already: nothing changes, whose it is comes back
    assert store.customers.add_address(ann, "email", "ann@example.com", "alice") == ann
    assert store.customers.add_address(ann, "chat", "@ann:example.org", "alice") == chat
    assert store.customers.get(chat).conversation_count == 1
    store.customers.merge(ann, chat, "alice")
    with pytest.raises(CustomerGone):
        store.customers.add_address(chat, "chat", "@other:example.org", "alice")
