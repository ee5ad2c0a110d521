"""Queries behind the inbox, search, the thread and the customer pane."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from agentdesk.domain import (
    Agent,
    Attachment,
    Conversation,
    Customer,
    Identity,
    InboxFilter,
    InboxRow,
    Message,
    Outgoing,
    SearchQuery,
)

SEARCH_LIMIT = 500  # search shows at most this many conversations ("500 of >500")
_FTS_MESSAGE_LIMIT = 5000  # newest matching messages considered per search

_ROW_COLUMNS = """
    c.id, c.uid, c.channel, cu.name AS customer_name,
    (SELECT address FROM identities WHERE customer_id = c.customer_id
        AND channel = c.channel ORDER BY id LIMIT 1) AS customer_address,
    c.subject, c.preview, c.status, a.name AS assignee,
    (SELECT group_concat(tag, ' ') FROM conversation_tags WHERE conversation_id = c.id) AS tags,
    c.waiting_since, c.last_message_at, c.snoozed_until
"""
_ROW_FROM = """
    FROM conversations c
    JOIN customers cu ON cu.id = c.customer_id
    LEFT JOIN agents a ON a.id = c.assignee_id
"""


def _row(row: sqlite3.Row) -> InboxRow:
    return InboxRow(
        id=row["id"],
        uid=row["uid"],
        channel=row["channel"],
        customer_name=row["customer_name"],
        customer_address=row["customer_address"] or "",
        subject=row["subject"],
        preview=row["preview"],
        status=row["status"],
        assignee=row["assignee"],
        tags=tuple((row["tags"] or "").split()),
        waiting_since=row["waiting_since"],
        last_message_at=row["last_message_at"],
        snoozed_until=row["snoozed_until"],
    )


def fts_quote(term: str) -> str:
    """``term`` as an FTS5 string: user text is never query syntax."""
    return '"' + term.replace('"', '""') + '"'


def fts_phrase(words: list[str]) -> str:
    """An FTS5 query matching all ``words``, each quoted so user text is never syntax.

    The last word also matches as a prefix, so results follow typing.
    """
    terms = [fts_quote(word) for word in words if word.strip()]
    if terms:
        terms[-1] += "*"
    return " ".join(terms)


_MESSAGE_COLUMNS = """
    id, conversation_id, direction, author, at, subject, body, body_html IS NOT NULL AS has_html,
    auto, delivery, delivery_attempts, next_attempt_at, external_id
"""


def _message(row: sqlite3.Row, attachments: tuple[Attachment, ...] = ()) -> Message:
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


class ReadsMixin:
    db: object  # Locked, set by Store

    # ---- inbox ----------------------------------------------------------------------
    def _where(self, filters: InboxFilter) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if filters.view == "mine":
            clauses.append("c.assignee_id = (SELECT id FROM agents WHERE name = ?)")
            params.append(filters.me or "")
        elif filters.view == "unassigned":
            clauses.append("c.assignee_id IS NULL")
        if filters.status == "active":
            clauses.append("c.status IN ('open', 'pending')")
        elif filters.status != "any":
            clauses.append("c.status = ?")
            params.append(filters.status)
        if filters.channel:
            clauses.append("c.channel = ?")
            params.append(filters.channel)
        if filters.tag:
            clauses.append("c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag = ?)")
            params.append(filters.tag)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    @staticmethod
    def _order(filters: InboxFilter) -> str:
        if filters.sort == "newest":
            return " ORDER BY c.last_message_at DESC, c.id DESC"
        return " ORDER BY c.waiting_since IS NULL, c.waiting_since, c.id"

    def count_inbox(self, filters: InboxFilter) -> int:
        where, params = self._where(filters)
        with self.db.read() as conn:
            return conn.execute(f"SELECT count(*) FROM conversations c{where}", params).fetchone()[
                0
            ]

    def inbox_page(self, filters: InboxFilter, offset: int, limit: int) -> list[InboxRow]:
        """One window of the inbox list, in list order."""
        where, params = self._where(filters)
        sql = (
            f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE c.id IN (SELECT c.id FROM conversations c"
            f"{where}{self._order(filters)} LIMIT ? OFFSET ?){self._order(filters)}"
        )
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(sql, [*params, limit, offset])]

    def search(
        self, query: SearchQuery, filters: InboxFilter | None = None
    ) -> tuple[list[int], bool]:
        """Conversation ids matching ``query``, newest activity first, at most SEARCH_LIMIT.

        Returns ``(ids, more)`` where ``more`` says the limit cut the list.
        Free text matches message subjects and bodies and customer names and addresses.
        """
        clauses: list[str] = []
        params: list[object] = []
        if query.text:
            phrase = fts_phrase(query.text)
            clauses.append(
                "(c.id IN (SELECT conversation_id FROM messages WHERE id IN"
                " (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
                "  ORDER BY rowid DESC LIMIT ?))"
                " OR c.customer_id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?))"
            )
            params += [phrase, _FTS_MESSAGE_LIMIT, phrase]
        for address in query.from_:
            clauses.append(
                "c.customer_id IN (SELECT customer_id FROM identities WHERE address LIKE ?"
                " UNION SELECT id FROM customers WHERE name LIKE ?)"
            )
            params += [f"%{address}%", f"%{address}%"]
        for field, column in (("channel", "c.channel"), ("status", "c.status")):
            values = getattr(query, field)
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params += [v.lower() for v in values]
        for tag in query.tag:
            clauses.append("c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag = ?)")
            params.append(tag.lower())
        for agent in query.agent:
            if agent.lower() in ("none", "unassigned"):
                clauses.append("c.assignee_id IS NULL")
            else:
                clauses.append(
                    "c.assignee_id IN (SELECT id FROM agents WHERE name = ? OR display_name LIKE ?)"
                )
                params += [agent, f"%{agent}%"]
        if filters is not None:
            extra, extra_params = self._where(filters)
            if extra:
                clauses.append(extra.removeprefix(" WHERE "))
                params += extra_params
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            f"SELECT c.id FROM conversations c{where}"
            " ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?"
        )
        with self.db.read() as conn:
            ids = [r[0] for r in conn.execute(sql, [*params, SEARCH_LIMIT + 1])]
        return ids[:SEARCH_LIMIT], len(ids) > SEARCH_LIMIT

    def rows_by_id(self, ids: list[int]) -> list[InboxRow]:
        """Inbox rows for ``ids``, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self.db.read() as conn:
            rows = {
                r["id"]: _row(r)
                for r in conn.execute(
                    f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE c.id IN ({marks})", ids
                )
            }
        return [rows[i] for i in ids if i in rows]

    # ---- one conversation -------------------------------------------------------------
    def conversation(self, conversation_id: int) -> Conversation | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT c.*, a.name AS assignee,"
                " (SELECT group_concat(tag, ' ') FROM conversation_tags"
                "  WHERE conversation_id = c.id) AS tags"
                " FROM conversations c LEFT JOIN agents a ON a.id = c.assignee_id"
                " WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            return None
        return Conversation(
            id=row["id"],
            uid=row["uid"],
            channel=row["channel"],
            customer_id=row["customer_id"],
            subject=row["subject"],
            status=row["status"],
            assignee=row["assignee"],
            tags=tuple((row["tags"] or "").split()),
            created_at=row["created_at"],
            last_message_at=row["last_message_at"],
            waiting_since=row["waiting_since"],
            snoozed_until=row["snoozed_until"],
            snooze_until_reply=bool(row["snooze_until_reply"]),
            via=row["via"],
        )

    def conversation_id_for_uid(self, uid: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT id FROM conversations WHERE uid = ?", (uid,)).fetchone()
        return row[0] if row else None

    def messages(self, conversation_id: int) -> list[Message]:
        """The thread, oldest first, with attachment names and sizes (not their bytes)."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                " ORDER BY at, id",
                (conversation_id,),
            ).fetchall()
            attachments: dict[int, list[Attachment]] = {}
            for a in conn.execute(
                "SELECT message_id, filename, size, content_type FROM attachments"
                " WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?)"
                " ORDER BY id",
                (conversation_id,),
            ):
                attachments.setdefault(a[0], []).append(Attachment(a[1], a[2], a[3]))
        return [_message(r, tuple(attachments.get(r["id"], ()))) for r in rows]

    def unsent_replies(self, conversation_id: int | None = None) -> list[Message]:
        """Agent replies their channel has not accepted (``failed`` ones too), oldest
        first: all of them, or one conversation's."""
        where, params = "", ()
        if conversation_id is not None:
            where, params = " AND conversation_id = ?", (conversation_id,)
        with self.db.read() as conn:
            return [
                _message(r)
                for r in conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE direction = 'out'"
                    f" AND delivery NOT LIKE 'sent%'{where} ORDER BY id",
                    params,
                )
            ]

    def customer(self, customer_id: int) -> Customer | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT id, name, first_seen,"
                " (SELECT count(*) FROM conversations WHERE customer_id = customers.id) AS n"
                " FROM customers WHERE id = ?",
                (customer_id,),
            ).fetchone()
            if row is None:
                return None
            identities = tuple(
                Identity(r[0], r[1])
                for r in conn.execute(
                    "SELECT channel, address FROM identities WHERE customer_id = ? ORDER BY id",
                    (customer_id,),
                )
            )
            tags = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag",
                    (customer_id,),
                )
            )
        return Customer(row["id"], row["name"], row["first_seen"], identities, row["n"], tags)

    def history(self, customer_id: int, exclude: int | None = None) -> list[InboxRow]:
        """The customer's other conversations on every channel, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE c.customer_id = ? AND c.id IS NOT ?"
                " ORDER BY c.created_at DESC, c.id DESC",
                (customer_id, exclude),
            ).fetchall()
        return [_row(r) for r in rows]

    def outgoing(self, message_id: int) -> Outgoing | None:
        """A stored agent reply as a connector sends it, threaded on the conversation."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT m.id, m.body, m.author, m.subject AS message_subject,"
                " m.message_id_header, c.id AS conversation_id, c.uid, c.channel, c.subject,"
                " c.via, cu.name,"
                " (SELECT address FROM identities WHERE customer_id = c.customer_id"
                "  AND channel = c.channel ORDER BY id LIMIT 1) AS address"
                " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " JOIN customers cu ON cu.id = c.customer_id"
                " WHERE m.id = ? AND m.direction = 'out'",
                (message_id,),
            ).fetchone()
            if row is None:
                return None
            headers = [
                r[0]
                for r in conn.execute(
                    "SELECT message_id_header FROM messages WHERE conversation_id = ? AND id < ?"
                    " AND message_id_header IS NOT NULL ORDER BY at, id",
                    (row["conversation_id"], message_id),
                )
            ]
        return Outgoing(
            message_id=row["id"],
            conversation_uid=row["uid"],
            channel=row["channel"],
            to_address=row["address"] or "",
            to_name=row["name"],
            subject=row["message_subject"] or row["subject"],
            text=row["body"],
            agent=row["author"],
            message_id_header=row["message_id_header"],
            in_reply_to=headers[-1] if headers else None,
            references=tuple(headers),
            via=row["via"],
        )

    def undelivered(self) -> list[int]:
        """Replies still to deliver (queued, sending or to retry; not failed), oldest first."""
        return [m.id for m in self.unsent_replies() if not m.delivery_failed]

    def draft(self, conversation_id: int, kind: str = "reply") -> str:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM drafts WHERE conversation_id = ? AND kind = ?",
                (conversation_id, kind),
            ).fetchone()
        return row[0] if row else ""

    # ---- reference data -----------------------------------------------------------------
    def agents(self) -> list[Agent]:
        with self.db.read() as conn:
            return [
                Agent(r[0], r[1], r[2])
                for r in conn.execute("SELECT name, display_name, email FROM agents ORDER BY name")
            ]

    def canned_replies(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            return [
                (r[0], r[1])
                for r in conn.execute("SELECT name, body FROM canned_replies ORDER BY name")
            ]

    def tags(self) -> list[str]:
        with self.db.read() as conn:
            return [
                r[0]
                for r in conn.execute("SELECT DISTINCT tag FROM conversation_tags ORDER BY tag")
            ]

    def channels(self) -> list[str]:
        with self.db.read() as conn:
            return [
                r[0]
                for r in conn.execute("SELECT DISTINCT channel FROM conversations ORDER BY channel")
            ]

    def events(self, conversation_id: int | None = None) -> list[dict]:
        """Events in log order (all, or one conversation's), payload decoded."""
        sql = (
            "SELECT e.id, c.uid AS conversation, e.conversation_id, e.kind, e.at, e.agent,"
            " e.message_id, e.payload FROM events e"
            " JOIN conversations c ON c.id = e.conversation_id"
        )
        params: tuple = ()
        if conversation_id is not None:
            sql += " WHERE e.conversation_id = ?"
            params = (conversation_id,)
        with self.db.read() as conn:
            return [
                {**dict(r), "payload": json.loads(r["payload"])}
                for r in conn.execute(sql + " ORDER BY e.id", params)
            ]

    def iter_identities(self) -> Iterator[tuple[str, str, str]]:
        """``(primary address, channel, other address)`` for every linked identity."""
        with self.db.read() as conn:
            yield from conn.execute(
                "SELECT p.address, i.channel, i.address FROM identities i"
                " JOIN identities p ON p.customer_id = i.customer_id"
                " AND p.id = (SELECT min(id) FROM identities WHERE customer_id = i.customer_id)"
                " WHERE i.id != p.id ORDER BY i.id"
            ).fetchall()
