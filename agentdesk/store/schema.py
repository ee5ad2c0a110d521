"""Schema migrations, applied in order; ``PRAGMA user_version`` is the index reached.

Never edit a released migration: append a new one.
"""

from __future__ import annotations

from agentdesk.store.cycles import CYCLE_KINDS, METRIC_CYCLES_TABLES, insert_sql
from agentdesk.store.dialect import SQLITE
from agentdesk.store.schema_core import CORE_SCHEMA

# ``PRAGMA application_id`` of every agentdesk database ("AgDk" in ASCII), and of one made
# by ``agentdesk demo`` ("AgDm"), the only kind ``demo --regenerate`` replaces.
APPLICATION_ID = 0x4167446B
DEMO_APPLICATION_ID = 0x4167446D

# The key migration 10 gives a conversation that had none, from what the row holds; the
# readers compute the same on an older file they read without migrating it.
DERIVED_CONVERSATION_KEY = """identity_key('conversation', c.uid || ' ' || c.created_at
    || ' ' || coalesce((SELECT min(address) FROM identities
                        WHERE customer_id = c.customer_id), ''))"""

ACTIVE_QUEUE_INDEXES = """
    CREATE INDEX conversations_active ON conversations((waiting_since IS NULL), waiting_since, id)
        WHERE status IN ('open', 'pending');
    CREATE INDEX conversations_mine ON conversations(assignee_id, (waiting_since IS NULL),
        waiting_since, id) WHERE status IN ('open', 'pending');
"""

MIGRATIONS: list[str] = [
    # 1: the core desk (schema_core.py).
    CORE_SCHEMA,
    # 2: knowledge-base articles, FTS5 ranked by BM25 with title > tags > body.
    """
    CREATE TABLE kb_articles (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE kb_fts USING fts5(
        title, tags, body, content='kb_articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    INSERT INTO kb_fts(kb_fts, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)');
    CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_articles BEGIN
        INSERT INTO kb_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
    END;
    CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_articles BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, title, tags, body)
            VALUES ('delete', old.id, old.title, old.tags, old.body);
    END;
    CREATE TRIGGER kb_fts_update AFTER UPDATE OF title, tags, body ON kb_articles BEGIN
        INSERT INTO kb_fts(kb_fts, rowid, title, tags, body)
            VALUES ('delete', old.id, old.title, old.tags, old.body);
        INSERT INTO kb_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
    END;
    """,
    # 3: email sync state (per account/mailbox/UIDVALIDITY/UID) and the SMTP outbox.
    """
    CREATE TABLE mail_folders (
        account TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uidnext INTEGER NOT NULL DEFAULT 1,
        highestmodseq INTEGER,
        synced_at TEXT,
        PRIMARY KEY (account, mailbox)
    ) WITHOUT ROWID;
    CREATE TABLE mail_messages (
        account TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        message_id_header TEXT,
        body_hash TEXT NOT NULL,
        message_id INTEGER REFERENCES messages(id),
        PRIMARY KEY (account, mailbox, uidvalidity, uid)
    ) WITHOUT ROWID;
    CREATE INDEX mail_messages_header ON mail_messages(account, message_id_header);
    CREATE INDEX mail_messages_hash ON mail_messages(account, body_hash);
    CREATE TABLE mail_outbox (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
        account TEXT NOT NULL,
        message_id_header TEXT NOT NULL UNIQUE,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        raw BLOB NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'accepted', 'saved', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX mail_outbox_pending ON mail_outbox(account, state)
        WHERE state NOT IN ('done', 'failed');
    """,
    # 4: Matrix chat state: the sync token per account and a transaction id per reply.
    """
    CREATE TABLE matrix_accounts (
        account TEXT PRIMARY KEY,
        since TEXT,
        device_id TEXT
    ) WITHOUT ROWID;
    CREATE TABLE matrix_outbox (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
        room_id TEXT NOT NULL,
        txn_id TEXT NOT NULL UNIQUE,
        attempts INTEGER NOT NULL DEFAULT 0,
        event_id TEXT
    );
    """,
    # 5: outbox crash windows: whether the current attempt reached SMTP DATA, and
    # whether an entry was resent after a crash left an attempt's outcome unknown.
    """
    ALTER TABLE mail_outbox ADD COLUMN data_sent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE mail_outbox ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
    UPDATE mail_outbox SET data_sent = 1 WHERE state = 'sending';
    """,
    # 6: the file says it is an agentdesk database (older ones are known by their tables).
    f"""
    PRAGMA application_id = {APPLICATION_ID};
    """,
    # 7: repair times a connector once stored unchecked ("yesterday-ish"): a value that
    # is_time() (clock.try_parse_iso, registered in db.connect) cannot read takes its
    # neighbours' time, else the migration time. Messages first (the previous, else the
    # next message of the conversation), then
    # conversations (from their messages), customers (their first conversation) and
    # events (their message, else the previous event); this once, the append-only
    # trigger is lifted for the repair.
    """
    UPDATE messages SET at = coalesce(
        (SELECT p.at FROM messages p WHERE p.conversation_id = messages.conversation_id
            AND p.id < messages.id AND is_time(p.at) ORDER BY p.id DESC LIMIT 1),
        (SELECT n.at FROM messages n WHERE n.conversation_id = messages.conversation_id
            AND n.id > messages.id AND is_time(n.at) ORDER BY n.id LIMIT 1),
        (SELECT created_at FROM conversations WHERE id = messages.conversation_id
            AND is_time(created_at)),
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    WHERE NOT is_time(at);
    UPDATE conversations SET created_at = coalesce(
        (SELECT min(at) FROM messages WHERE conversation_id = conversations.id),
        CASE WHEN is_time(last_message_at) THEN last_message_at END,
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    WHERE NOT is_time(created_at);
    UPDATE conversations SET last_message_at = coalesce(
        (SELECT max(at) FROM messages WHERE conversation_id = conversations.id), created_at)
    WHERE NOT is_time(last_message_at);
    UPDATE conversations SET waiting_since = coalesce(
        (SELECT max(at) FROM messages WHERE conversation_id = conversations.id
            AND direction = 'in'), last_message_at)
    WHERE waiting_since IS NOT NULL AND NOT is_time(waiting_since);
    UPDATE conversations SET snoozed_until = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    WHERE snoozed_until IS NOT NULL AND NOT is_time(snoozed_until);
    UPDATE customers SET first_seen = coalesce(
        (SELECT min(created_at) FROM conversations WHERE customer_id = customers.id),
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    WHERE NOT is_time(first_seen);
    DROP TRIGGER events_append_only_update;
    UPDATE events SET at = coalesce(
        (SELECT at FROM messages WHERE id = events.message_id),
        (SELECT p.at FROM events p WHERE p.conversation_id = events.conversation_id
            AND p.id < events.id AND is_time(p.at) ORDER BY p.id DESC LIMIT 1),
        (SELECT created_at FROM conversations WHERE id = events.conversation_id),
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    WHERE NOT is_time(at);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    """,
    # 8: delivery of agent replies: attempts so far, when the host tries again, and the
    # channel's own id for a sent reply (DeliveryResult.external_id). The partial index
    # holds only unsent replies: finding them at start reads a handful of rows.
    """
    ALTER TABLE messages ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN next_attempt_at TEXT;
    ALTER TABLE messages ADD COLUMN external_id TEXT;
    CREATE INDEX messages_unsent ON messages(id)
        WHERE direction = 'out' AND delivery NOT LIKE 'sent%';
    """,
    # 9: which connector (its config name) a conversation came in through, so replies
    # leave from that account when several serve one channel.
    """
    ALTER TABLE conversations ADD COLUMN via TEXT;
    """,
    # 10: globally unique keys for conversations and events (UUIDs), so the logs of
    # several databases merge (``stats --db A --db B``, import into another desk) and a
    # shared database never collides; ``uid`` stays the connector's thread key and the
    # short id people see. Existing rows get a key derived from what they hold
    # (``identity_key``, a UUIDv5 registered in db.connect), so two copies of one file
    # agree and two different files (two demo desks both numbering dm0001...) do not.
    # Event keys have no index: nothing looks an event up by key, and an index of 2.8M
    # random UUIDs would be a large share of a big desk's file and of its load time.
    f"""
    ALTER TABLE conversations ADD COLUMN key TEXT;
    UPDATE conversations AS c SET key = {DERIVED_CONVERSATION_KEY};
    CREATE UNIQUE INDEX conversations_key ON conversations(key);
    ALTER TABLE events ADD COLUMN key TEXT;
    DROP TRIGGER events_append_only_update;
    UPDATE events SET key = identity_key('event', (SELECT key FROM conversations
        WHERE id = events.conversation_id) || ' ' || id);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    """,
    # 11: what connectors keep (agentdesk.store.connector_data): keyed JSON state per
    # configured connector, and the version each connector type's own tables are at.
    # The email and Matrix tables (migrations 3 to 5) are those connectors' version 1.
    """
    CREATE TABLE connector_state (
        connector TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (connector, key)
    ) WITHOUT ROWID;
    CREATE TABLE connector_schema (
        owner TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO connector_schema (owner, version) VALUES ('email', 1), ('matrix', 1);
    """,
    # 12: presence (agentdesk.store.presence): one row per running desk, saying which
    # agent works it, the conversation it shows (NULL: the inbox) and whether a reply or
    # a note is being typed there; ``seen_at`` is its last heartbeat. Not events: who
    # looks at what is never counted as anyone's handle time.
    """
    CREATE TABLE presence (
        desk TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
        activity TEXT NOT NULL DEFAULT 'viewing'
            CHECK (activity IN ('viewing', 'replying', 'noting')),
        seen_at TEXT NOT NULL
    );
    """,
    # 13: drafts belong to an agent (agentdesk.store.drafts): on a shared database two
    # agents in one conversation each keep their own. Drafts from before have agent ''
    # (anyone's, until someone saves or sends over one).
    """
    CREATE TABLE drafts_by_agent (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        kind TEXT NOT NULL CHECK (kind IN ('reply', 'note')),
        agent TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (conversation_id, kind, agent)
    );
    INSERT INTO drafts_by_agent (conversation_id, kind, agent, body, updated_at)
        SELECT conversation_id, kind, '', body, updated_at FROM drafts;
    DROP TABLE drafts;
    ALTER TABLE drafts_by_agent RENAME TO drafts;
    """,
    # 14: connector leases (agentdesk.store.leases): the one desk (or ``serve``) that runs
    # each configured connector, until ``expires_at`` unless it renews; another desk
    # takes a lease that expired.
    """
    CREATE TABLE connector_leases (
        connector TEXT PRIMARY KEY,
        desk TEXT NOT NULL,
        agent TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """,
    # 15: the active inbox (open + pending, the default view) and "mine" have an index of
    # their own: the planners' statistics (SQLite's average rows per status) miss that
    # 95 % are resolved, so deep pages scanned the whole queue (300 ms on 100,000
    # conversations, bench/README.md). Same SQL on PostgreSQL (postgres_schema.py).
    ACTIVE_QUEUE_INDEXES,
    # 16: the lead's view of who is online (agentdesk.store.presence): since when each
    # desk runs and since when it shows what it shows. (On PostgreSQL this migration also
    # adds the NOTIFY triggers of live updates, postgres_schema.py.)
    """
    ALTER TABLE presence ADD COLUMN online_since TEXT;
    ALTER TABLE presence ADD COLUMN here_since TEXT;
    """,
    # 17: the cycles and waits behind the metrics, kept (agentdesk.store.cycles): computed
    # here for every conversation, then recomputed for the conversations a trigger notes
    # in ``metric_dirty`` when their cycle events grow. ``stats --since 30d`` on 1M
    # messages read them again from the events on every run (3.5 s, bench/README.md).
    METRIC_CYCLES_TABLES
    + f"""
    CREATE TRIGGER events_metric_dirty AFTER INSERT ON events WHEN NEW.kind IN {CYCLE_KINDS}
        BEGIN INSERT INTO metric_dirty (conversation_id) VALUES (NEW.conversation_id); END;
    """
    + insert_sql(SQLITE, None)
    + ";",
    # 18: a reply being sent names the desk sending it and until when that desk's claim
    # holds (renewed while it lives): another desk of the team leaves it alone meanwhile.
    # At 50 desks the connector lease moved and each new holder sent again the replies
    # its predecessor was still sending (bench/README.md, bench_team).
    """
    ALTER TABLE messages ADD COLUMN sending_desk TEXT;
    ALTER TABLE messages ADD COLUMN sending_until TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
KEYS_VERSION = 10  # conversations and events have their ``key``
PRESENCE_TIMES_VERSION = 16  # presence says since when each desk is online
CYCLES_VERSION = 17  # the metrics' cycles are kept in ``metric_cycles``
# The oldest schema the reading commands (stats, export, kb search) understand without
# migrating; raise it when a migration adds something they read.
READ_SCHEMA_VERSION = 4
