"""Conversations: their status, assignee, tags and channel; each change with its event."""

from __future__ import annotations

import json
import uuid

from agentdesk import clock
from agentdesk.domain import Claim, Conversation, EventKind, Status
from agentdesk.store.agents import Agents
from agentdesk.store.customers import Customers
from agentdesk.store.database import Connection, Database, inserted
from agentdesk.store.events import EventLog
from agentdesk.text import one_line, tag_text

# The tags of conversation ``c``, read in the key order (conversation_id, tag).
TAGS_OF_C = "FROM conversation_tags WHERE conversation_id = c.id"


class Conversations:
    def __init__(
        self, db: Database, events: EventLog, agents: Agents, customers: Customers
    ) -> None:
        self.db = db
        self.events = events
        self.agents = agents
        self.customers = customers

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
            customer_id = self.customers.for_address(conn, channel, address, name, at)
            conversation_id = inserted(
                conn.execute(
                    "INSERT INTO conversations (uid, key, channel, customer_id, subject, created_at,"
                    " last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        uid or new_uid(),
                        str(uuid.uuid4()),
                        channel,
                        customer_id,
                        one_line(subject, 300),
                        at,
                        at,
                    ),
                )
            )
            self.events.append(conversation_id, EventKind.CREATED, at, agent)
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
        reason: str | None = None,
    ) -> bool:
        """Change status (snooze takes ``until`` and/or ``until_reply``; ``reason`` goes in
        the event, e.g. "snooze ended" from an import); False if unchanged."""
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            return self.change_status(
                conn,
                conversation_id,
                Status(status),
                at,
                agent,
                until=until,
                until_reply=until_reply,
                reason=reason,
            )

    def change_status(
        self,
        conn: Connection,
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
        self.events.append(conversation_id, EventKind.STATUS, at, agent, None, payload)
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
                self.change_status(
                    conn, conversation_id, Status.OPEN, at, None, reason="snooze ended"
                )
            return due

    def assign(
        self, conversation_id: int, assignee: str | None, by: str | None, *, at: str | None = None
    ) -> bool:
        """Assign to ``assignee`` (None unassigns) whoever holds it; False if unchanged."""
        with self.db.transaction():
            return self.claim(
                conversation_id, assignee, by, expected=self.assignee(conversation_id), at=at
            ).changed

    def claim(
        self,
        conversation_id: int,
        assignee: str | None,
        by: str | None,
        *,
        expected: str | None,
        at: str | None = None,
    ) -> Claim:
        """Assign to ``assignee`` only if ``expected`` still holds the conversation (None:
        nobody): a compare-and-set, so of many desks taking it at once exactly one wins.

        The ``UPDATE ... WHERE assignee_id`` matches ``expected`` decides by its row
        count (PostgreSQL re-checks that condition after a concurrent update too).
        """
        at = at or clock.now_iso()
        with self.db.transaction() as conn:
            if assignee == expected:  # nothing to change, if it is still so
                current = self.assignee(conversation_id)
                if current == expected:
                    return Claim(won=True, holder=current)
                return self._lost(conn, conversation_id, current)
            assignee_id = self.agents.ensure(assignee) if assignee else None
            params: list[object] = [assignee_id, conversation_id]
            if expected is None:
                holder_is = "assignee_id IS NULL"
            else:
                holder_is = "assignee_id = (SELECT id FROM agents WHERE name = ?)"
                params.append(expected)
            won = conn.execute(
                f"UPDATE conversations SET assignee_id = ? WHERE id = ? AND {holder_is}", params
            ).rowcount
            if not won:
                return self._lost(conn, conversation_id, self.assignee(conversation_id))
            if assignee:
                self.events.append(
                    conversation_id,
                    EventKind.ASSIGNED,
                    at,
                    assignee,
                    None,
                    {"by": by, "from": expected},
                )
            else:
                self.events.append(
                    conversation_id, EventKind.UNASSIGNED, at, expected, None, {"by": by}
                )
            return Claim(won=True, changed=True, holder=assignee, by=by, at=at)

    def _lost(self, conn: Connection, conversation_id: int, holder: str | None) -> Claim:
        """A lost claim: who holds the conversation now, and who gave it to them when."""
        last = conn.execute(
            "SELECT kind, agent, payload, at FROM events WHERE conversation_id = ?"
            " AND kind IN ('assigned', 'unassigned') ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
        if last is None:
            return Claim(won=False, holder=holder)
        by = json.loads(last["payload"]).get("by") or last["agent"]
        return Claim(won=False, holder=holder, by=by, at=last["at"])

    def assignee(self, conversation_id: int) -> str | None:
        """The name of the agent the conversation is assigned to (None: nobody)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT c.id, a.name FROM conversations c LEFT JOIN agents a"
                " ON a.id = c.assignee_id WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise KeyError(f"no conversation {conversation_id}")
        return row[1]  # type: ignore[no-any-return]

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
        tag = tag_text(tag)
        if not tag:
            return False
        with self.db.transaction() as conn:
            if present:
                changed = conn.execute(
                    "INSERT INTO conversation_tags VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (conversation_id, tag),
                ).rowcount
            else:
                changed = conn.execute(
                    "DELETE FROM conversation_tags WHERE conversation_id = ? AND tag = ?",
                    (conversation_id, tag),
                ).rowcount
            if changed:
                kind = EventKind.TAGGED if present else EventKind.UNTAGGED
                self.events.append(conversation_id, kind, at, agent, None, {"tag": tag})
            return bool(changed)

    def get(self, conversation_id: int) -> Conversation | None:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT c.*, a.name AS assignee, {self.db.dialect.joined('tag', TAGS_OF_C)} AS tags"
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
            key=row["key"] or "",
        )

    def all_ids(self) -> list[int]:
        """Every conversation's id, oldest first."""
        with self.db.read() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM conversations ORDER BY id")]

    def set_key(self, conversation_id: int, key: str) -> None:
        """Give an imported conversation the key it had in the desk it came from."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE conversations SET key = ? WHERE id = ?", (key, conversation_id))

    def id_for_key(self, key: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def customer_address(self, uid: str) -> str | None:
        """The address of the customer of conversation ``uid`` on its channel, if any."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT i.address FROM conversations c JOIN identities i"
                " ON i.customer_id = c.customer_id AND i.channel = c.channel"
                " WHERE c.uid = ? ORDER BY i.id LIMIT 1",
                (uid,),
            ).fetchone()
        return row[0] if row else None

    def id_for_uid(self, uid: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT id FROM conversations WHERE uid = ?", (uid,)).fetchone()
        return row[0] if row else None

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


def new_uid() -> str:
    """A conversation's uid when its connector gives no thread key."""
    return uuid.uuid4().hex[:16]
