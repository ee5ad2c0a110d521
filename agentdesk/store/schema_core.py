"""Migration 1 on SQLite: the core desk (agents; customers, their tags and identities;
conversations and their tags; messages and attachments; drafts; canned replies; the
append-only events; import keys; the full-text indexes). ``schema.py`` lists it first;
never edit it: append a migration."""

CORE_SCHEMA = """
    CREATE TABLE agents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        email TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL
    );
    CREATE TABLE customer_tags (
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (customer_id, tag)
    ) WITHOUT ROWID;
    CREATE TABLE identities (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        address TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (channel, address)
    );
    CREATE INDEX identities_customer ON identities(customer_id);
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        subject TEXT NOT NULL DEFAULT '',
        preview TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
        assignee_id INTEGER REFERENCES agents(id),
        snoozed_until TEXT,
        snooze_until_reply INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        last_message_at TEXT NOT NULL,
        waiting_since TEXT
    );
    CREATE INDEX conversations_queue
        ON conversations(status, waiting_since IS NULL, waiting_since, id);
    CREATE INDEX conversations_queue_all
        ON conversations(waiting_since IS NULL, waiting_since, id);
    CREATE INDEX conversations_recent ON conversations(status, last_message_at, id);
    CREATE INDEX conversations_recent_all ON conversations(last_message_at, id);
    CREATE INDEX conversations_assignee
        ON conversations(assignee_id, status, waiting_since IS NULL, waiting_since, id);
    CREATE INDEX conversations_customer ON conversations(customer_id, created_at);
    CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE status = 'snoozed';
    CREATE TABLE conversation_tags (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (conversation_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX conversation_tags_tag ON conversation_tags(tag, conversation_id);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
        author TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        body_html TEXT,
        ext_id TEXT UNIQUE,
        message_id_header TEXT,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '',
        auto INTEGER NOT NULL DEFAULT 0,
        delivery TEXT,
        reply_payload TEXT
    );
    CREATE INDEX messages_conversation ON messages(conversation_id, at);
    CREATE INDEX messages_header ON messages(message_id_header)
        WHERE message_id_header IS NOT NULL;
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        filename TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
        data BLOB
    );
    CREATE INDEX attachments_message ON attachments(message_id);
    CREATE TABLE drafts (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        kind TEXT NOT NULL CHECK (kind IN ('reply', 'note')),
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (conversation_id, kind)
    );
    CREATE TABLE canned_replies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        agent TEXT,
        message_id INTEGER REFERENCES messages(id),
        payload TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_conversation_at ON events(conversation_id, at);
    CREATE INDEX events_kind_at ON events(kind, at);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TABLE import_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;

    CREATE VIRTUAL TABLE messages_fts USING fts5(
        subject, body, content='messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, subject, body)
            VALUES ('delete', old.id, old.subject, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, subject, body)
            VALUES ('delete', old.id, old.subject, old.body);
        INSERT INTO messages_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body);
    END;
    CREATE VIRTUAL TABLE customers_fts USING fts5(
        name, addresses, tokenize='unicode61 remove_diacritics 2'
    );
"""
