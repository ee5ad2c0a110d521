"""Messages: customer mail stored and threaded, notes, and the thread as read."""

from __future__ import annotations

import uuid

from agentdesk import clock
from agentdesk.domain import WITHDRAWN, Attachment, Direction, EventKind, Inbound, Message, Status
from agentdesk.store.conversations import Conversations, new_uid
from agentdesk.store.customers import Customers
from agentdesk.store.database import Connection, Database, Row, inserted
from agentdesk.store.drafts import Drafts
from agentdesk.store.events import EventLog
from agentdesk.text import html_to_text, one_line

MESSAGE_COLUMNS = """
    id, conversation_id, direction, author, at, subject, body, body_html IS NOT NULL AS has_html,
    auto, delivery, delivery_attempts, next_attempt_at, external_id
"""


def message_from(row: Row, attachments: tuple[Attachment, ...] = ()) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        direction=row["direction"],
        author=row["author"],
        at=row["at"],
        subject=row["subject"],
        body=row["body"],
        has_html=bool(row["has_html"]),
        auto=bool(row["auto"]),
        delivery=row["delivery"],
        attachments=attachments,
        attempts=row["delivery_attempts"],
        next_attempt_at=row["next_attempt_at"],
        external_id=row["external_id"],
    )


class Messages:
    def __init__(
        self,
        db: Database,
        events: EventLog,
        customers: Customers,
        conversations: Conversations,
        drafts: Drafts,
    ) -> None:
        self.db = db
        self.events = events
        self.customers = customers
        self.conversations = conversations
        self.drafts = drafts

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
            customer_id = self.customers.for_address(
                conn, message.channel, message.address, message.name, message.at
            )
            threaded = _thread(conn, message)
            body = message.text
            if not body.strip() and message.html:
                body = html_to_text(message.html)
            if threaded is not None:
                conversation_id = threaded
            else:
                conversation_id = inserted(
                    conn.execute(
                        "INSERT INTO conversations (uid, key, channel, customer_id, subject, preview,"
                        " created_at, last_message_at, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " RETURNING id",
                        (
                            message.thread_key or new_uid(),
                            str(uuid.uuid4()),
                            message.channel,
                            customer_id,
                            one_line(message.subject, 300),
                            one_line(body, 200),
                            message.at,
                            message.at,
                            via,
                        ),
                    )
                )
                self.events.append(conversation_id, EventKind.CREATED, message.at)
            message_id = insert_message(
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
            self.events.append(
                conversation_id,
                EventKind.INBOUND,
                message.at,
                None,
                message_id,
                {"auto": message.auto},
            )
            conn.execute(
                "UPDATE conversations SET last_message_at = CASE WHEN last_message_at > ?"
                " THEN last_message_at ELSE ? END,"
                " preview = CASE WHEN ? THEN preview ELSE ? END WHERE id = ?",
                (message.at, message.at, message.auto, one_line(body, 200), conversation_id),
            )
            if not message.auto:
                self._customer_wrote(conn, conversation_id, message.at)
            return conversation_id, message_id

    def _customer_wrote(self, conn: Connection, conversation_id: int, at: str) -> None:
        """A substantive inbound: start the wait and wake a non-open conversation."""
        status, waiting = conn.execute(
            "SELECT status, waiting_since FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if waiting is None:
            conn.execute(
                "UPDATE conversations SET waiting_since = ? WHERE id = ?", (at, conversation_id)
            )
        if status != Status.OPEN:
            self.conversations.change_status(
                conn, conversation_id, Status.OPEN, at, agent=None, reason="customer replied"
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
            message_id = insert_message(
                conn,
                conversation_id,
                Direction.NOTE,
                author=agent,
                at=at,
                body=text,
                ext_id=ext_id,
            )
            self.drafts.discard(conversation_id, "note")
            self.events.append(conversation_id, EventKind.NOTE, at, agent, message_id)
            return message_id

    def thread(self, conversation_id: int) -> list[Message]:
        """The thread, oldest first, with attachment names and sizes (not their bytes);
        replies the agent withdrew before they left are not part of it."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                " AND coalesce(delivery, '') != ? ORDER BY at, id",
                (conversation_id, WITHDRAWN),
            ).fetchall()
            attachments: dict[int, list[Attachment]] = {}
            for a in conn.execute(
                "SELECT message_id, filename, size, content_type FROM attachments"
                " WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?)"
                " ORDER BY id",
                (conversation_id,),
            ):
                attachments.setdefault(a[0], []).append(Attachment(a[1], a[2], a[3]))
        return [message_from(r, tuple(attachments.get(r["id"], ()))) for r in rows]

    def get(self, message_id: int) -> Message | None:
        """One message, without its attachments."""
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        return message_from(row) if row else None

    def inbound(self) -> list[tuple[str, str | None, int]]:
        """``(body, ext_id, conversation id)`` of every customer message, in storing order."""
        with self.db.read() as conn:
            return [
                (r[0], r[1], r[2])
                for r in conn.execute(
                    "SELECT body, ext_id, conversation_id FROM messages WHERE direction = 'in'"
                    " ORDER BY id"
                )
            ]

    def last_inbound_ext_id(self, conversation_uid: str, prefix: str = "") -> str | None:
        """The ``ext_id`` of the conversation's newest customer message starting with
        ``prefix`` (e.g. a chat's event id), if any."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT m.ext_id FROM messages m JOIN conversations c"
                " ON c.id = m.conversation_id WHERE c.uid = ? AND m.direction = 'in'"
                " AND substr(m.ext_id, 1, length(?)) = ? ORDER BY m.at DESC, m.id DESC LIMIT 1",
                (conversation_uid, prefix, prefix),
            ).fetchone()
        return row[0] if row else None

    def id_for_ext(self, ext_id: str) -> int | None:
        """The id of the message stored under ``ext_id``, if any."""
        with self.db.read() as conn:
            row = conn.execute("SELECT id FROM messages WHERE ext_id = ?", (ext_id,)).fetchone()
        return row[0] if row else None

    def ext_exists(self, ext_id: str) -> bool:
        with self.db.read() as conn:
            return (
                conn.execute("SELECT 1 FROM messages WHERE ext_id = ?", (ext_id,)).fetchone()
                is not None
            )

    def attachments_with_data(self, message_id: int) -> list[Attachment]:
        """A message's attachments including their bytes."""
        with self.db.read() as conn:
            return [
                Attachment(r[0], r[1], r[2], r[3])
                for r in conn.execute(
                    "SELECT filename, size, content_type, data FROM attachments"
                    " WHERE message_id = ? ORDER BY id",
                    (message_id,),
                )
            ]


def _thread(conn: Connection, message: Inbound) -> int | None:
    """The conversation a message belongs to, or None for a new one."""
    if message.thread_key:
        row = conn.execute(
            "SELECT id FROM conversations WHERE uid = ?", (message.thread_key,)
        ).fetchone()
        if row:
            return int(row[0])
    candidates = [message.in_reply_to] if message.in_reply_to else []
    candidates += list(reversed(message.references))
    for header in candidates:
        row = conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id_header = ? LIMIT 1",
            (header,),
        ).fetchone()
        if row:
            return int(row[0])
    return None


def insert_message(
    conn: Connection,
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
    """Insert one message row (its full-text index follows by trigger); returns its id."""
    cursor = conn.execute(
        "INSERT INTO messages (conversation_id, direction, author, at, subject, body,"
        " body_html, ext_id, message_id_header, in_reply_to, refs, auto, delivery,"
        " reply_payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    )
    return inserted(cursor)
