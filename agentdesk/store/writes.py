"""Everything that changes a conversation, each change with its event, in one transaction."""

from __future__ import annotations

import json
import sqlite3
import uuid

from agentdesk import clock
from agentdesk.domain import Direction, EventKind, Inbound, Status
from agentdesk.text import html_to_text, one_line


class WritesMixin:
    """Mutations. Every public method appends the event(s) that metrics.md defines."""

    db: object  # Locked, set by Store

    # ---- events -------------------------------------------------------------------
    @staticmethod
    def _event(
        conn: sqlite3.Connection,
        conversation_id: int,
        kind: EventKind | str,
        at: str,
        agent: str | None = None,
        message_id: int | None = None,
        **payload: object,
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO events (conversation_id, kind, at, agent, message_id, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                str(kind),
                at,
                agent,
                message_id,
                json.dumps(payload, sort_keys=True),
            ),
        )
        return cursor.lastrowid

    # ---- agents and customers -----------------------------------------------------
    def ensure_agent(self, name: str, display_name: str = "", email: str = "") -> int:
        with self.db.transaction() as conn:
            return self._agent_id(conn, name, display_name, email)

    @staticmethod
    def _agent_id(
        conn: sqlite3.Connection, name: str, display_name: str = "", email: str = ""
    ) -> int:
        row = conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
        if row:
            if display_name or email:
                conn.execute(
                    "UPDATE agents SET display_name = coalesce(nullif(?, ''), display_name),"
                    " email = coalesce(nullif(?, ''), email) WHERE id = ?",
                    (display_name, email, row[0]),
                )
            return row[0]
        return conn.execute(
            "INSERT INTO agents (name, display_name, email) VALUES (?, ?, ?)",
            (name, display_name or name.capitalize(), email),
        ).lastrowid

    def _customer_for(
        self, conn: sqlite3.Connection, channel: str, address: str, name: str, at: str
    ) -> int:
        row = conn.execute(
            "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
            (channel, address),
        ).fetchone()
        if row:
            customer_id = row[0]
            conn.execute(
                "UPDATE customers SET first_seen = ? WHERE id = ? AND first_seen > ?",
                (at, customer_id, at),
            )
            if (
                not name
                or not conn.execute(
                    "UPDATE customers SET name = ? WHERE id = ? AND name = ''", (name, customer_id)
                ).rowcount
            ):
                return customer_id  # name and addresses unchanged: the search index holds
        else:
            customer_id = conn.execute(
                "INSERT INTO customers (name, first_seen) VALUES (?, ?)", (name, at)
            ).lastrowid
            conn.execute(
                "INSERT INTO identities (customer_id, channel, address) VALUES (?, ?, ?)",
                (customer_id, channel, address),
            )
        self._index_customer(conn, customer_id)
        return customer_id

    @staticmethod
    def _index_customer(conn: sqlite3.Connection, customer_id: int) -> None:
        name, addresses = conn.execute(
            "SELECT c.name, coalesce(group_concat(i.address, ' '), '') FROM customers c"
            " LEFT JOIN identities i ON i.customer_id = c.id WHERE c.id = ?",
            (customer_id,),
        ).fetchone()
        conn.execute("DELETE FROM customers_fts WHERE rowid = ?", (customer_id,))
        conn.execute(
            "INSERT INTO customers_fts (rowid, name, addresses) VALUES (?, ?, ?)",
            (customer_id, name, addresses),
        )

    def link_identity(self, address: str, channel: str, also: str) -> int:
        """Attach ``(channel, also)`` to the customer known by ``address``.

        If ``also`` already belongs to another customer, that customer is merged in.
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT customer_id FROM identities WHERE address = ? ORDER BY id LIMIT 1",
                (address,),
            ).fetchone()
            if row is None:
                raise KeyError(f"unknown customer {address!r}")
            customer_id = row[0]
            other = conn.execute(
                "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
                (channel, also),
            ).fetchone()
            if other is None:
                conn.execute(
                    "INSERT INTO identities (customer_id, channel, address) VALUES (?, ?, ?)",
                    (customer_id, channel, also),
                )
            elif other[0] != customer_id:
                self._merge_customers(conn, keep=customer_id, drop=other[0])
            self._index_customer(conn, customer_id)
            return customer_id

    def correct_address(self, customer_id: int, channel: str, old: str, new: str) -> None:
        """Replace a customer's ``old`` address on ``channel`` with ``new`` (replies go
        there from now on); a customer already known by ``new`` is merged in."""
        if new == old:
            return
        with self.db.transaction() as conn:
            other = conn.execute(
                "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
                (channel, new),
            ).fetchone()
            if other is not None and other[0] != customer_id:
                self._merge_customers(conn, keep=customer_id, drop=other[0])
            if other is None:
                conn.execute(
                    "UPDATE identities SET address = ? WHERE customer_id = ?"
                    " AND channel = ? AND address = ?",
                    (new, customer_id, channel, old),
                )
            else:
                conn.execute(
                    "DELETE FROM identities WHERE customer_id = ? AND channel = ? AND address = ?",
                    (customer_id, channel, old),
                )
            self._index_customer(conn, customer_id)

    @staticmethod
    def _merge_customers(conn: sqlite3.Connection, keep: int, drop: int) -> None:
        conn.execute("UPDATE identities SET customer_id = ? WHERE customer_id = ?", (keep, drop))
        conn.execute("UPDATE conversations SET customer_id = ? WHERE customer_id = ?", (keep, drop))
        conn.execute(
            "INSERT OR IGNORE INTO customer_tags SELECT ?, tag FROM customer_tags"
            " WHERE customer_id = ?",
            (keep, drop),
        )
        conn.execute(
            "UPDATE customers SET first_seen = min(first_seen,"
            " (SELECT first_seen FROM customers WHERE id = ?)),"
            " name = CASE WHEN name = '' THEN (SELECT name FROM customers WHERE id = ?)"
            " ELSE name END WHERE id = ?",
            (drop, drop, keep),
        )
        conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (drop,))
        conn.execute("DELETE FROM customers_fts WHERE rowid = ?", (drop,))
        conn.execute("DELETE FROM customers WHERE id = ?", (drop,))

    def set_customer_tags(self, customer_id: int, tags: list[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (customer_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO customer_tags VALUES (?, ?)",
                [(customer_id, tag) for tag in tags],
            )

    # ---- inbound ------------------------------------------------------------------
    def record_inbound(self, message: Inbound, via: str | None = None) -> tuple[int, int] | None:
        """Store a customer message and its events; thread it; reopen if needed.

        ``via``: the connector (config name) it came through; a new conversation keeps
        it, so replies leave from the same account. Returns ``(conversation_id,
        message_id)``, or ``None`` when ``ext_id`` was stored before (connectors may
        re-deliver; nothing is duplicated).
        """
        with self.db.transaction() as conn:
            if (
                message.ext_id
                and conn.execute(
                    "SELECT 1 FROM messages WHERE ext_id = ?", (message.ext_id,)
                ).fetchone()
            ):
                return None
            customer_id = self._customer_for(
                conn, message.channel, message.address, message.name, message.at
            )
            conversation_id = self._thread(conn, message)
            created = conversation_id is None
            body = message.text
            if not body.strip() and message.html:
                body = html_to_text(message.html)
            if created:
                conversation_id = conn.execute(
                    "INSERT INTO conversations (uid, channel, customer_id, subject, preview,"
                    " created_at, last_message_at, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        message.thread_key or _new_uid(),
                        message.channel,
                        customer_id,
                        one_line(message.subject, 300),
                        one_line(body, 200),
                        message.at,
                        message.at,
                        via,
                    ),
                ).lastrowid
                self._event(conn, conversation_id, EventKind.CREATED, message.at)
            message_id = self._insert_message(
                conn,
                conversation_id,
                Direction.IN,
                author=message.address,
                at=message.at,
                subject=message.subject,
                body=body,
                body_html=message.html,
                ext_id=message.ext_id,
                header=message.message_id_header,
                in_reply_to=message.in_reply_to,
                refs=" ".join(message.references),
                auto=message.auto,
            )
            for attachment in message.attachments:
                conn.execute(
                    "INSERT INTO attachments (message_id, filename, size, content_type, data)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        message_id,
                        attachment.filename,
                        attachment.size,
                        attachment.content_type,
                        attachment.data,
                    ),
                )
            self._event(
                conn,
                conversation_id,
                EventKind.INBOUND,
                message.at,
                message_id=message_id,
                auto=message.auto,
            )
            conn.execute(
                "UPDATE conversations SET last_message_at = max(last_message_at, ?),"
                " preview = CASE WHEN ? THEN preview ELSE ? END WHERE id = ?",
                (message.at, message.auto, one_line(body, 200), conversation_id),
            )
            if not message.auto:
                self._customer_wrote(conn, conversation_id, message.at)
            return conversation_id, message_id

    def _thread(self, conn: sqlite3.Connection, message: Inbound) -> int | None:
        """The conversation a message belongs to, or None for a new one."""
        if message.thread_key:
            row = conn.execute(
                "SELECT id FROM conversations WHERE uid = ?", (message.thread_key,)
            ).fetchone()
            if row:
                return row[0]
        candidates = [message.in_reply_to] if message.in_reply_to else []
        candidates += list(reversed(message.references))
        for header in candidates:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE message_id_header = ? LIMIT 1",
                (header,),
            ).fetchone()
            if row:
                return row[0]
        return None

    def _customer_wrote(self, conn: sqlite3.Connection, conversation_id: int, at: str) -> None:
        """A substantive inbound: start the wait and wake a non-open conversation."""
        status, waiting = conn.execute(
            "SELECT status, waiting_since FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if waiting is None:
            conn.execute(
                "UPDATE conversations SET waiting_since = ? WHERE id = ?", (at, conversation_id)
            )
        if status != Status.OPEN:
            self._set_status(
                conn, conversation_id, Status.OPEN, at, agent=None, reason="customer replied"
            )

    @staticmethod
    def _insert_message(
        conn: sqlite3.Connection,
        conversation_id: int,
        direction: Direction,
        *,
        author: str,
        at: str,
        subject: str = "",
        body: str = "",
        body_html: str | None = None,
        ext_id: str | None = None,
        header: str | None = None,
        in_reply_to: str | None = None,
        refs: str = "",
        auto: bool = False,
        delivery: str | None = None,
        reply_payload: str | None = None,
    ) -> int:
        return conn.execute(
            "INSERT INTO messages (conversation_id, direction, author, at, subject, body,"
            " body_html, ext_id, message_id_header, in_reply_to, refs, auto, delivery,"
            " reply_payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                str(direction),
                author,
                at,
                subject,
                body,
                body_html,
                ext_id,
                header,
                in_reply_to,
                refs,
                int(auto),
                delivery,
                reply_payload,
            ),
        ).lastrowid

    # ---- agent actions --------------------------------------------------------------
    def add_reply(
        self,
        conversation_id: int,
        agent: str,
        text: str,
        *,
        at: str | None = None,
        ext_id: str | None = None,
        ai_assisted: bool = False,
        edit_distance: int | None = None,
        delivery: str = "sent",
        header: str | None = None,
        subject: str = "",
    ) -> int:
        """Record an agent's public reply and discard its draft.

        ``delivery='sent'`` (import, history) also writes the reply event now. Live
        replies are stored ``queued`` and get their event from ``mark_reply_sent``
        once the channel accepted them, so a reply that never left is never counted.
        """
        at = at or clock.now_iso()
        payload: dict[str, object] = {"ai_assisted": ai_assisted}
        if edit_distance is not None:
            payload["edit_distance"] = edit_distance
        with self.db.transaction() as conn:
            message_id = self._insert_message(
                conn,
                conversation_id,
                Direction.OUT,
                author=agent,
                at=at,
                body=text,
                ext_id=ext_id,
                header=header,
                subject=subject,
                delivery=delivery,
                reply_payload=json.dumps(payload, sort_keys=True),
            )
            self._discard_draft(conn, conversation_id, "reply")
            if delivery == "sent":
                self._reply_event(conn, conversation_id, message_id, agent, at, payload)
            return message_id

    def mark_reply_sent(
        self, message_id: int, at: str | None = None, external_id: str | None = None
    ) -> bool:
        """The channel accepted a queued reply: mark it and append its reply event once.

        ``external_id`` (the channel's id for it) is kept even when the reply was
        already marked sent.
        """
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id, author, reply_payload FROM messages"
                " WHERE id = ? AND direction = 'out'",
                (message_id,),
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE messages SET external_id = coalesce(?, external_id),"
                " next_attempt_at = NULL WHERE id = ?",
                (external_id, message_id),
            )
            if conn.execute(
                "SELECT 1 FROM events WHERE conversation_id = ? AND kind = 'reply'"
                " AND message_id = ?",
                (row["conversation_id"], message_id),
            ).fetchone():
                return False  # (its delivery state may say more than 'sent': keep it)
            conn.execute("UPDATE messages SET delivery = 'sent' WHERE id = ?", (message_id,))
            self._reply_event(
                conn,
                row["conversation_id"],
                message_id,
                row["author"],
                at,
                json.loads(row["reply_payload"] or "{}"),
            )
            return True

    def start_delivery(self, message_id: int) -> int | None:
        """A send of this reply begins: count the attempt and show ``sending``.

        Returns the attempt's number, or None when the reply is sent (or not a reply).
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "UPDATE messages SET delivery = 'sending', next_attempt_at = NULL,"
                " delivery_attempts = delivery_attempts + 1 WHERE id = ? AND direction = 'out'"
                " AND delivery NOT LIKE 'sent%' RETURNING delivery_attempts",
                (message_id,),
            ).fetchone()
        return row[0] if row else None

    def set_delivery(self, message_id: int, state: str, next_attempt_at: str | None = None) -> None:
        """Record a reply's delivery state as the connector reports it (not an event).

        ``next_attempt_at``: when a ``retry: …`` reply is tried again (kept if not given;
        cleared for any other state).
        """
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET delivery = ?, next_attempt_at = CASE WHEN ? LIKE 'retry%'"
                " THEN coalesce(?, next_attempt_at) END WHERE id = ?",
                (state, state, next_attempt_at, message_id),
            )

    def _reply_event(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        message_id: int,
        agent: str,
        at: str,
        payload: dict[str, object],
    ) -> None:
        self._event(conn, conversation_id, EventKind.REPLY, at, agent, message_id, **payload)
        conn.execute(
            "UPDATE conversations SET waiting_since = NULL,"
            " last_message_at = max(last_message_at, ?) WHERE id = ?",
            (at, conversation_id),
        )

    def add_note(
        self,
        conversation_id: int,
        agent: str,
        text: str,
        *,
        at: str | None = None,
        ext_id: str | None = None,
    ) -> int:
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            message_id = self._insert_message(
                conn,
                conversation_id,
                Direction.NOTE,
                author=agent,
                at=at,
                body=text,
                ext_id=ext_id,
            )
            self._discard_draft(conn, conversation_id, "note")
            self._event(conn, conversation_id, EventKind.NOTE, at, agent, message_id)
            return message_id

    def start_outbound(
        self,
        channel: str,
        address: str,
        agent: str,
        subject: str,
        name: str = "",
        at: str | None = None,
        uid: str | None = None,
    ) -> int:
        """An agent starts a conversation (``created`` without an inbound)."""
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            customer_id = self._customer_for(conn, channel, address, name, at)
            conversation_id = conn.execute(
                "INSERT INTO conversations (uid, channel, customer_id, subject, created_at,"
                " last_message_at) VALUES (?, ?, ?, ?, ?, ?)",
                (uid or _new_uid(), channel, customer_id, one_line(subject, 300), at, at),
            ).lastrowid
            self._event(conn, conversation_id, EventKind.CREATED, at, agent)
            return conversation_id

    def set_via(self, conversation_id: int, via: str | None) -> None:
        """Send this conversation's replies through connector ``via`` (None: any)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE conversations SET via = ? WHERE id = ?", (via, conversation_id))

    def set_status(
        self,
        conversation_id: int,
        status: Status | str,
        agent: str | None,
        *,
        at: str | None = None,
        until: str | None = None,
        until_reply: bool = False,
    ) -> bool:
        """Change status (snooze takes ``until`` and/or ``until_reply``); False if unchanged."""
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            return self._set_status(
                conn,
                conversation_id,
                Status(status),
                at,
                agent,
                until=until,
                until_reply=until_reply,
            )

    def _set_status(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        status: Status,
        at: str,
        agent: str | None,
        *,
        until: str | None = None,
        until_reply: bool = False,
        reason: str | None = None,
    ) -> bool:
        current = conn.execute(
            "SELECT status, snoozed_until, snooze_until_reply FROM conversations WHERE id = ?",
            (conversation_id,),
        ).fetchone()
        if current is None:
            raise KeyError(f"no conversation {conversation_id}")
        same_snooze = (current["snoozed_until"], bool(current["snooze_until_reply"])) == (
            until,
            until_reply,
        )
        if current["status"] == status and (status != Status.SNOOZED or same_snooze):
            return False
        conn.execute(
            "UPDATE conversations SET status = ?, snoozed_until = ?, snooze_until_reply = ?,"
            " waiting_since = CASE WHEN ? THEN NULL ELSE waiting_since END WHERE id = ?",
            (
                str(status),
                until if status == Status.SNOOZED else None,
                int(until_reply and status == Status.SNOOZED),
                status == Status.RESOLVED,
                conversation_id,
            ),
        )
        payload: dict[str, object] = {"from": current["status"], "to": str(status)}
        if status == Status.SNOOZED:
            payload.update(until=until, until_reply=until_reply)
        if reason:
            payload["reason"] = reason
        self._event(conn, conversation_id, EventKind.STATUS, at, agent, **payload)
        return True

    def wake_snoozed(self, at: str | None = None) -> list[int]:
        """Reopen conversations whose snooze time has passed; returns their ids."""
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            due = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM conversations WHERE status = 'snoozed'"
                    " AND snoozed_until IS NOT NULL AND snoozed_until <= ?",
                    (at,),
                )
            ]
            for conversation_id in due:
                self._set_status(
                    conn, conversation_id, Status.OPEN, at, None, reason="snooze ended"
                )
            return due

    def assign(
        self, conversation_id: int, assignee: str | None, by: str | None, *, at: str | None = None
    ) -> bool:
        """Assign to ``assignee`` (None unassigns); False if nothing changed."""
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            current = conn.execute(
                "SELECT a.name FROM conversations c LEFT JOIN agents a ON a.id = c.assignee_id"
                " WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
            if current is None:
                raise KeyError(f"no conversation {conversation_id}")
            previous = current[0]
            if previous == assignee:
                return False
            assignee_id = self._agent_id(conn, assignee) if assignee else None
            conn.execute(
                "UPDATE conversations SET assignee_id = ? WHERE id = ?",
                (assignee_id, conversation_id),
            )
            if assignee:
                self._event(
                    conn,
                    conversation_id,
                    EventKind.ASSIGNED,
                    at,
                    assignee,
                    by=by,
                    **{"from": previous},
                )
            else:
                self._event(conn, conversation_id, EventKind.UNASSIGNED, at, previous, by=by)
            return True

    def set_tag(
        self,
        conversation_id: int,
        tag: str,
        present: bool,
        agent: str | None,
        *,
        at: str | None = None,
    ) -> bool:
        """Add or remove a conversation tag; False if nothing changed."""
        at = at or clock.now_iso()
        tag = one_line(tag, 40).lower().replace(" ", "-")
        if not tag:
            return False
        with self.db.transaction() as conn:
            if present:
                changed = conn.execute(
                    "INSERT OR IGNORE INTO conversation_tags VALUES (?, ?)", (conversation_id, tag)
                ).rowcount
            else:
                changed = conn.execute(
                    "DELETE FROM conversation_tags WHERE conversation_id = ? AND tag = ?",
                    (conversation_id, tag),
                ).rowcount
            if changed:
                kind = EventKind.TAGGED if present else EventKind.UNTAGGED
                self._event(conn, conversation_id, kind, at, agent, tag=tag)
            return bool(changed)

    def add_csat(self, conversation_id: int, rating: int, *, at: str | None = None) -> None:
        if not 1 <= int(rating) <= 5:
            raise ValueError("a CSAT rating is 1 to 5")
        with self.db.transaction() as conn:
            self._event(
                conn, conversation_id, EventKind.CSAT, at or clock.now_iso(), rating=int(rating)
            )

    def record_view(
        self,
        conversation_id: int,
        agent: str,
        focus: bool,
        *,
        at: str | None = None,
        reason: str | None = None,
    ) -> None:
        """A conversation gained (``focus=True``) or lost focus on ``agent``'s screen."""
        payload: dict[str, object] = {"focus": focus}
        if reason:
            payload["reason"] = reason
        with self.db.transaction() as conn:
            self._event(
                conn, conversation_id, EventKind.VIEWED, at or clock.now_iso(), agent, **payload
            )

    # ---- drafts and canned replies -------------------------------------------------
    def save_draft(self, conversation_id: int, kind: str, body: str) -> None:
        """Upsert the composer text; an empty body removes the draft."""
        with self.db.transaction() as conn:
            if body.strip():
                conn.execute(
                    "INSERT INTO drafts (conversation_id, kind, body, updated_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (conversation_id, kind) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at",
                    (conversation_id, kind, body, clock.now_iso()),
                )
            else:
                self._discard_draft(conn, conversation_id, kind)

    @staticmethod
    def _discard_draft(conn: sqlite3.Connection, conversation_id: int, kind: str) -> None:
        conn.execute(
            "DELETE FROM drafts WHERE conversation_id = ? AND kind = ?", (conversation_id, kind)
        )

    def save_canned(self, name: str, body: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO canned_replies (name, body) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                (name, body),
            )

    def remember_import_key(self, key: str) -> bool:
        """True the first time ``key`` is seen (import idempotence)."""
        with self.db.transaction() as conn:
            return bool(
                conn.execute("INSERT OR IGNORE INTO import_keys (key) VALUES (?)", (key,)).rowcount
            )


def _new_uid() -> str:
    return uuid.uuid4().hex[:16]
