"""Store unit tests: threading, reopening, idempotence, the event log, search, migrations."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time

import pytest
from desk_data import build_desk

from agentdesk.config import Config
from agentdesk.domain import Inbound, InboxFilter, SearchQuery, Status
from agentdesk.metrics.collect import collect
from agentdesk.metrics.period import preset
from agentdesk.metrics.settings import metrics_settings
from agentdesk.store import DATABASE_ERRORS, SCHEMA_VERSION, Store, StoreError
from agentdesk.store.database import SIDE_READERS
from agentdesk.store.db import apply_migrations, connect
from agentdesk.store.postgres import schema_version
from agentdesk.store.schema import APPLICATION_ID


def mail(**fields) -> Inbound:
    base = dict(
        channel="email",
        address="ann@example.com",
        name="Ann Lee",
        text="hi",
        at="2026-01-05T09:00:00Z",
        subject="Refund",
    )
    return Inbound(**{**base, **fields})


@pytest.fixture
def store(desk_target):
    """A new desk, once per engine (SQLite file, PostgreSQL database)."""
    with Store(desk_target) as store:
        yield store


def test_database_is_wal_with_foreign_keys_and_current_version(store):
    if store.db.dialect.name == "postgresql":
        with store.db.read() as conn:
            assert schema_version(conn) == SCHEMA_VERSION == store.db.version
        return
    with store.db.read() as conn:
        check_pragmas(conn)


def test_side_reads_have_connections_of_their_own_that_see_what_was_committed(store):
    """The metrics' period queries run side by side, each on a read-only connection of
    its own (``Database.side_read``, under the metrics' planner settings: on PostgreSQL a
    transaction of its own), kept for the next read unless one failed."""
    settings = store.db.dialect.metric_settings()
    side = store.db.side_read
    with side(settings) as first, side(settings) as second:
        assert first is not second
        with store.db.read() as shared:
            assert shared is not first and shared is not second
        with pytest.raises(DATABASE_ERRORS):
            first.execute("INSERT INTO agents (name) VALUES ('zed')")
    store.messages.record_inbound(mail())  # committed after the readers were made
    with side(settings) as again:
        assert again in (first, second)  # kept, and it sees the new conversation
        assert again.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    with pytest.raises(DATABASE_ERRORS), side(settings) as broken:
        broken.execute("SELECT no_such_column FROM conversations")
    with side(settings) as third, side(settings) as fourth:
        assert broken not in (third, fourth)  # closed after its error, not kept
        assert third.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    store.close()
    assert closed(third) and closed(fourth)  # closing the desk closes its readers
    with pytest.raises(StoreError, match="closed"), side(settings):
        pass  # and opens none after


def closed(conn) -> bool:
    """Whether the store closed ``conn`` (a PostgreSQL connection would connect again)."""
    if hasattr(conn, "raw"):
        return conn.raw.closed
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_at_most_three_side_readers_are_open_and_kept(store):
    """However many figures are computed at once (a lead flicking through the periods),
    a desk holds at most ``SIDE_READERS`` connections for them; the rest wait."""
    inside, most, used = [0], [0], set()
    lock, hold = threading.Lock(), threading.Event()

    def read() -> None:
        with store.db.side_read([]) as conn:
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                used.add(id(conn))
            hold.wait(10)
            conn.execute("SELECT count(*) FROM conversations").fetchone()
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=read) for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while most[0] < SIDE_READERS and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # a fourth would be in by now if it could
    assert most[0] == SIDE_READERS
    hold.set()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert most[0] == SIDE_READERS and len(used) == SIDE_READERS  # reused, never a fourth


def test_a_side_reader_the_server_dropped_is_made_again(store):
    if store.db.dialect.name != "postgresql":
        pytest.skip("a SQLite file has no server to drop a connection")
    settings = store.db.dialect.metric_settings()
    with store.db.side_read(settings) as reader:
        pid = reader.execute("SELECT pg_backend_pid()").fetchone()[0]
    with store.db.read() as shared:  # e.g. idle_session_timeout, or a restart
        assert shared.execute("SELECT pg_terminate_backend(?)", (pid,)).fetchone()[0]
    with store.db.side_read(settings) as again:
        assert again is reader  # the kept one, connected again
        assert again.execute("SELECT pg_backend_pid()").fetchone()[0] != pid


def test_an_in_memory_desk_reads_the_figures_on_its_one_connection(frozen_clock):
    with Store(":memory:") as store:
        with store.db.side_read([]) as side, store.db.read() as shared:
            assert side is shared
        build_desk(store)
        facts = collect([store], preset("30d", None), metrics_settings(Config()))
        assert {fact.metric for fact in facts} >= {"first_response_time", "replies"}


def check_pragmas(conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reply_threads_by_in_reply_to_and_references(store):
    first, _ = store.messages.record_inbound(mail(message_id_header="<a@x>"))
    second, _ = store.messages.record_inbound(
        mail(
            text="again", at="2026-01-05T10:00:00Z", in_reply_to="<a@x>", message_id_header="<b@x>"
        )
    )
    third, _ = store.messages.record_inbound(
        mail(text="more", at="2026-01-05T11:00:00Z", references=("<zzz@elsewhere>", "<b@x>"))
    )
    unrelated, _ = store.messages.record_inbound(
        mail(text="new topic", at="2026-01-05T12:00:00Z", subject="Other")
    )
    assert first == second == third
    assert unrelated != first


def test_customer_writing_to_resolved_conversation_reopens_it(store):
    conversation, _ = store.messages.record_inbound(mail(message_id_header="<a@x>"))
    store.replies.add(conversation, "alice", "done", at="2026-01-05T09:30:00Z")
    store.conversations.set_status(conversation, "resolved", "alice", at="2026-01-05T09:31:00Z")
    store.messages.record_inbound(
        mail(text="not fixed", at="2026-01-06T09:00:00Z", in_reply_to="<a@x>")
    )
    kinds = [(e["kind"], e["payload"].get("to")) for e in store.events.read(conversation)]
    assert kinds == [
        ("created", None),
        ("inbound", None),
        ("reply", None),
        ("status", "resolved"),
        ("inbound", None),
        ("status", "open"),
    ]
    assert store.conversations.get(conversation).waiting_since == "2026-01-06T09:00:00Z"


def test_auto_reply_neither_reopens_nor_starts_a_wait(store):
    conversation, _ = store.messages.record_inbound(mail(message_id_header="<a@x>"))
    store.replies.add(conversation, "alice", "done", at="2026-01-05T09:30:00Z")
    store.conversations.set_status(conversation, "resolved", "alice", at="2026-01-05T09:31:00Z")
    store.messages.record_inbound(
        mail(text="Out of office", at="2026-01-05T09:32:00Z", in_reply_to="<a@x>", auto=True)
    )
    assert store.conversations.get(conversation).status == "resolved"
    assert store.conversations.get(conversation).waiting_since is None
    assert store.events.read(conversation)[-1]["payload"] == {"auto": True}


def test_redelivered_message_is_stored_once(store):
    assert store.messages.record_inbound(mail(ext_id="imap:1")) is not None
    assert store.messages.record_inbound(mail(ext_id="imap:1")) is None
    assert len(store.messages.thread(1)) == 1
    assert [e["kind"] for e in store.events.read()] == ["created", "inbound"]


def test_events_are_append_only(store):
    store.messages.record_inbound(mail())
    with store.db.read() as conn:
        with pytest.raises(DATABASE_ERRORS, match="append-only"):
            conn.execute("UPDATE events SET agent = 'x'")
        with pytest.raises(DATABASE_ERRORS, match="append-only"):
            conn.execute("DELETE FROM events")


def test_snooze_wakes_when_due_and_on_customer_reply(store):
    conversation, _ = store.messages.record_inbound(mail(message_id_header="<a@x>"))
    store.conversations.set_status(conversation, "snoozed", "alice", until="2026-01-05T10:00:00Z")
    assert store.conversations.wake_snoozed("2026-01-05T09:59:59Z") == []
    assert store.conversations.wake_snoozed("2026-01-05T10:00:00Z") == [conversation]
    store.conversations.set_status(conversation, "snoozed", "alice", until_reply=True)
    store.messages.record_inbound(
        mail(text="hello?", at="2026-01-05T11:00:00Z", in_reply_to="<a@x>")
    )
    assert store.conversations.get(conversation).status == "open"


def test_queued_reply_counts_only_once_sent(store):
    conversation, _ = store.messages.record_inbound(mail())
    message = store.replies.add(conversation, "alice", "hi", delivery="queued", ai_assisted=True)
    assert [e["kind"] for e in store.events.read()] == ["created", "inbound"]
    assert store.replies.undelivered() == [message]
    assert store.replies.mark_sent(message, at="2026-01-05T09:10:00Z")
    assert not store.replies.mark_sent(message)  # a second acceptance adds nothing
    reply = store.events.read()[-1]
    assert (reply["kind"], reply["payload"]) == ("reply", {"ai_assisted": True})
    assert store.replies.undelivered() == []


def test_delivery_attempts_retries_and_the_channels_id_are_kept(store):
    conversation, _ = store.messages.record_inbound(mail())
    message = store.replies.add(conversation, "alice", "hi", delivery="queued")
    assert store.replies.start_delivery(message) == 1
    store.replies.set_delivery(message, "retry: 451 busy", "2026-01-05T09:11:00Z")
    assert store.replies.undelivered() == [message]  # a retry is resumed at start
    assert store.replies.start_delivery(message) == 2
    store.replies.set_delivery(message, "failed: 550 no such user")
    (failed,) = store.replies.unsent(conversation)
    assert (failed.delivery, failed.attempts, failed.next_attempt_at) == (
        "failed: 550 no such user",
        2,
        None,
    )
    assert store.replies.undelivered() == []  # a failure waits for the agent (R)
    assert store.replies.start_delivery(message) == 3
    assert store.replies.mark_sent(message)  # as the email outbox does, without an id
    assert not store.replies.mark_sent(message, external_id="<r1@desk.example>")
    assert store.replies.start_delivery(message) is None  # sent: never sent again
    (sent,) = [m for m in store.messages.thread(conversation) if m.id == message]
    assert (sent.delivery, sent.attempts, sent.external_id) == ("sent", 3, "<r1@desk.example>")
    assert store.replies.unsent() == []


def test_a_sent_reply_is_never_marked_unsent_again(store):
    """A desk that lost the race to another desk's delivery (its outbox finds the reply
    sent) reports 'failed: not sent'; the bench found that line replacing 'sent'."""
    conversation, _ = store.messages.record_inbound(mail())
    message = store.replies.add(conversation, "alice", "hi", delivery="queued")
    assert store.replies.mark_sent(message)
    store.replies.set_delivery(message, "failed: not sent: it was sent already")
    store.replies.set_delivery(message, "retry: 451 busy", "2026-01-05T09:11:00Z")
    assert store.messages.get(message).delivery == "sent"
    store.replies.set_delivery(message, "sent · may have been delivered twice")
    assert store.messages.get(message).delivery == "sent · may have been delivered twice"
    assert store.replies.unsent() == []


def test_identity_link_merges_customers_across_channels(store):
    store.messages.record_inbound(mail())
    store.messages.record_inbound(
        Inbound(
            channel="chat",
            address="@ann:example.org",
            text="hey",
            at="2026-01-04T09:00:00Z",
            thread_key="room",
        )
    )
    assert len({store.conversations.get(i).customer_id for i in (1, 2)}) == 2
    customer = store.customers.link_identity("ann@example.com", "chat", "@ann:example.org")
    assert {store.conversations.get(i).customer_id for i in (1, 2)} == {customer}
    profile = store.customers.get(customer)
    assert profile.first_seen == "2026-01-04T09:00:00Z"
    assert profile.conversation_count == 2
    assert [i.channel for i in profile.identities] == ["email", "chat"]


def test_search_terms_and_fts_syntax_in_user_text(store):
    store.messages.record_inbound(mail(text="My parcel is late"))
    store.messages.record_inbound(
        mail(address="bo@example.com", name="Bo", text="Password reset", subject="Login")
    )
    assert store.inbox.search(SearchQuery.parse("parcel"))[0] == [1]
    assert store.inbox.search(SearchQuery.parse("pass"))[0] == [2]  # prefix while typing
    assert store.inbox.search(SearchQuery.parse('from:bo "password reset"'))[0] == [2]
    assert (
        store.inbox.search(SearchQuery.parse('NEAR( "AND OR * parcel'))[0] == []
    )  # no syntax error
    assert store.inbox.search(SearchQuery.parse("status:open channel:email"))[0] == [2, 1]
    # "-" excludes: a word matched whole, a field term, the customer's name too
    assert store.inbox.search(SearchQuery.parse("-parcel"))[0] == [2]
    assert store.inbox.search(SearchQuery.parse("-parc"))[0] == [2, 1]  # whole words only
    assert store.inbox.search(SearchQuery.parse("-bo"))[0] == [1]
    assert store.inbox.search(SearchQuery.parse('-"NEAR( AND" -from:bo'))[0] == [1]
    assert store.inbox.search(SearchQuery.parse("-status:open"))[0] == []


def test_an_exclusion_reads_every_matching_message(store, monkeypatch):
    """An inclusion looks at the newest matching messages only; an exclusion must not,
    or a conversation whose match is older would slip through."""
    from agentdesk.store import inbox

    monkeypatch.setattr(inbox, "_FTS_MESSAGE_LIMIT", 1)
    store.messages.record_inbound(mail(text="refund please"))
    store.messages.record_inbound(mail(address="bo@example.com", text="refund now", name="Bo"))
    assert store.inbox.search(SearchQuery.parse("refund"))[0] == [2]  # the newest only
    assert store.inbox.search(SearchQuery.parse("-refund"))[0] == []


@pytest.mark.parametrize("sparse", [True, False])
def test_a_search_reads_the_newest_matches_either_way(store, monkeypatch, sparse):
    """PostgreSQL reads a rare phrase's matches through its index and walks the newest
    messages for a common one (``dialect.is_sparse``); both give the newest matches."""
    from agentdesk.store import inbox

    monkeypatch.setattr(inbox, "_FTS_MESSAGE_LIMIT", 2)
    monkeypatch.setattr(type(store.db.dialect), "is_sparse", lambda *args: sparse)
    for n in range(4):
        store.messages.record_inbound(
            mail(
                address=f"c{n}@example.com",
                subject="Hi",
                text=f"refund {n}",
                at=f"2026-01-0{n + 1}T09:00:00Z",
            )
        )
    store.messages.record_inbound(mail(address="z@example.com", subject="Hi", text="other"))
    assert store.inbox.search(SearchQuery.parse("refu"))[0] == [4, 3]  # the newest two
    assert store.inbox.search(SearchQuery.parse("refund 1"))[0] == [2]
    assert store.inbox.search(SearchQuery.parse("-refund"))[0] == [5]


def test_a_huge_body_is_stored_quickly_with_a_short_clean_preview(store):
    body = "\x1b[31mMy parcel never came\x1b[0m\n" + "log line: parcel scanned\n" * 360_000
    started = time.process_time()  # CPU: a loaded machine does not count
    conversation, _ = store.messages.record_inbound(mail(text=body))  # 8.6 MB
    # 1.4 s while the preview cleaned and split the whole body (twice); 0.2 s now
    assert time.process_time() - started < 1.0
    row = store.inbox.page(InboxFilter(), 0, 10)[0]
    assert row.preview.startswith("My parcel never came log line:") and len(row.preview) == 200
    assert store.messages.thread(conversation)[0].body == body  # stored whole, and searchable
    assert store.inbox.search(SearchQuery.parse("scanned"))[0] == [conversation]


def test_inbox_paging_is_stable_and_ordered(store):
    for n in range(250):
        store.messages.record_inbound(
            mail(
                address=f"c{n}@example.com",
                at=f"2026-01-05T{n // 60:02d}:{n % 60:02d}:00Z",
                subject=f"n{n}",
            )
        )
    filters = InboxFilter()
    assert store.inbox.count(filters) == 250
    first = store.inbox.page(filters, 0, 100) + store.inbox.page(filters, 100, 100)
    assert [r.subject for r in first[:3]] == ["n0", "n1", "n2"]
    assert len({r.id for r in first}) == 200


def test_a_page_near_the_end_is_read_from_the_end_and_is_the_same_page(store):
    """Given the list's length, a page past the middle is reached from the end (an
    OFFSET walks the index row by row): the same rows in the same order, on both engines,
    for each order, with conversations not waiting (NULL) and equal times among them."""
    for n in range(250):
        minute = n // 2  # two conversations a minute: ties, ordered by id
        store.messages.record_inbound(
            mail(
                address=f"c{n}@example.com",
                at=f"2026-01-05T{minute // 60:02d}:{minute % 60:02d}:00Z",
                subject=f"n{n}",
            )
        )
    for conversation in range(1, 251, 3):  # resolved: not waiting
        store.conversations.set_status(conversation, Status.RESOLVED, "bob")
    for filters in (InboxFilter(status="any"), InboxFilter(status="any", sort="newest")):
        total = store.inbox.count(filters)
        whole = store.inbox.page(filters, 0, total)
        assert len(whole) == total == 250 and sum(r.waiting_since is None for r in whole) == 84
        for offset in range(0, total + 60, 30):
            assert (
                store.inbox.page(filters, offset, 100, total=total) == whole[offset : offset + 100]
            )


def test_an_inbox_row_carries_its_address_tags_and_draft_alike_everywhere(store):
    """The page, rows by id and a customer's history give the same rows: the customer's
    first address on the conversation's channel, the tags in order, and whether a reply
    draft (nobody's in particular) waits; on both engines."""
    first, _ = store.messages.record_inbound(mail(address="ann@example.com"))
    customer = store.conversations.get(first).customer_id
    store.customers.add_address(customer, "email", "ann.lee@work.example", "bob")
    store.customers.add_address(customer, "sms", "+15550100", "bob")
    second, _ = store.messages.record_inbound(
        mail(channel="sms", address="+15550100", at="2026-01-05T10:00:00Z", subject="")
    )
    for tag in ("vip", "billing", "late"):
        store.conversations.set_tag(first, tag, True, "bob")
    store.conversations.set_tag(first, "late", False, "bob")
    store.drafts.save(first, "reply", "On its way")
    store.drafts.save(second, "note", "call back")  # a note is no reply draft
    rows = store.inbox.page(InboxFilter(), 0, 10)
    shown = [(r.id, r.customer_address, r.tags, r.draft) for r in rows]
    assert shown == [
        (first, "ann@example.com", ("billing", "vip"), True),
        (second, "+15550100", (), False),
    ]
    assert store.inbox.rows_by_id([second, first]) == rows[::-1]
    assert store.inbox.history(customer) == rows[::-1]  # newest first
    assert store.conversations.get(first).tags == ("billing", "vip")
    store.drafts.save(first, "reply", "")  # emptied: no draft
    assert not store.inbox.page(InboxFilter(), 0, 1)[0].draft


def test_older_database_is_backed_up_then_migrated(tmp_path):
    path = tmp_path / "old.db"
    conn = connect(path)
    apply_migrations(conn, target=1)
    conn.execute("INSERT INTO agents (name, display_name) VALUES ('alice', 'Alice')")
    conn.close()
    with Store(path) as store:
        assert store.agents.all()[0].name == "alice"
        with store.db.read() as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    backup = tmp_path / "old.db.v1.bak"
    probe = sqlite3.connect(backup)
    assert probe.execute("PRAGMA user_version").fetchone()[0] == 1
    assert probe.execute("SELECT name FROM agents").fetchall() == [("alice",)]


def test_newer_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("*.bak"))


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not an agentdesk database"):
        Store(path)


def test_resolving_ends_the_customers_wait(store):
    conversation, _ = store.messages.record_inbound(mail())
    assert store.conversations.get(conversation).waiting_since == "2026-01-05T09:00:00Z"
    store.conversations.set_status(conversation, "resolved", "alice", at="2026-01-05T09:05:00Z")
    assert store.conversations.get(conversation).waiting_since is None


def test_another_programs_file_is_refused_untouched_and_an_empty_one_is_a_new_desk(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="a SQLite file of another program"):
            Store(other, readonly=readonly)
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    empty = tmp_path / "empty.db"
    empty.touch()
    with Store(empty) as store:
        assert store.created
        with store.db.read() as conn:
            assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    with Store(empty) as store:
        assert not store.created


def test_readonly_never_creates_nor_migrates(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()
    path = tmp_path / "v4.db"
    conn = connect(path)
    apply_migrations(conn, target=4)  # before the marker: known by its tables
    conn.close()
    with Store(path, readonly=True) as store:
        assert store.kb.count() == 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.agents.ensure("alice", "Alice", "")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 4


@pytest.mark.parametrize("sort", ["waiting", "newest"])
@pytest.mark.parametrize("status", ["active", "any", "resolved"])
def test_a_conversations_position_is_its_place_in_the_list(desk, sort, status):
    """inbox.position agrees with inbox.page for every row (the cursor follows it)."""
    path, ids = desk
    with Store(path) as store:
        store.conversations.set_status(ids["login"], Status.RESOLVED, "bob")
        filters = InboxFilter(status=status, sort=sort)
        listed = [row.id for row in store.inbox.page(filters, 0, 100)]
        assert [store.inbox.position(filters, cid) for cid in listed] == list(range(len(listed)))
        for missing in set(ids.values()) - set(listed):
            assert store.inbox.position(filters, missing) is None


def test_a_reply_is_withdrawn_only_before_it_leaves_and_its_text_becomes_the_draft(store):
    conversation, _ = store.messages.record_inbound(mail())
    store.drafts.save(conversation, "reply", "Also: your tracking number.")
    reply = store.replies.add(conversation, "alice", "Sorry!", delivery="queued")
    assert store.drafts.get(conversation) == ""  # sent: its draft was discarded
    store.drafts.save(conversation, "reply", "P.S. hi")
    assert store.replies.withdraw(reply) == "Sorry!\n\nP.S. hi"  # before the newer draft
    assert store.drafts.get(conversation) == "Sorry!\n\nP.S. hi"
    assert store.replies.withdraw(reply) is None  # once
    assert store.replies.start_delivery(reply) is None  # no send starts any more
    assert store.replies.claim(reply) is False
    store.replies.set_delivery(reply, "failed: 550")  # a late report changes nothing
    assert store.messages.get(reply).delivery == "withdrawn"
    assert store.replies.unsent(conversation) == [] and store.replies.undelivered() == []
    assert [m.id for m in store.messages.thread(conversation)] == [1]
    sending = store.replies.add(conversation, "alice", "In flight", delivery="queued")
    assert store.replies.start_delivery(sending) == 1
    assert store.replies.withdraw(sending) is None  # being handed over: not taken back
    store.replies.mark_sent(sending)
    assert store.replies.withdraw(sending) is None
