"""Agent replies: stored, queued, delivered through their channel and counted once sent."""

from __future__ import annotations

import json
from datetime import timedelta

from agentdesk import clock
from agentdesk.domain import WITHDRAWN, Direction, EventKind, Message, Outgoing
from agentdesk.store.database import Connection, Database
from agentdesk.store.drafts import Drafts
from agentdesk.store.events import EventLog
from agentdesk.store.messages import MESSAGE_COLUMNS, insert_message, message_from

# The delivery states a reply can be taken back from: nothing is handing it to the
# channel now (``sending``) and the channel has not accepted it (``sent…``).
_WITHDRAWABLE = "(delivery = 'queued' OR delivery LIKE 'retry%' OR delivery LIKE 'failed%')"
# Not being sent by another live desk of the team (parameters: this desk, now): a desk's
# claim on a reply it is sending holds until ``sending_until``, renewed while it lives.
_NOT_ELSEWHERE = (
    "(delivery != 'sending' OR sending_desk IS NULL OR sending_desk = ? OR sending_until < ?)"
)


class Replies:
    def __init__(self, db: Database, events: EventLog, drafts: Drafts) -> None:
        self.db = db
        self.events = events
        self.drafts = drafts
        self.desk: str | None = None  # the team desk whose sends are claimed (send_as)
        self.claim_seconds = 0.0
        self.claimed = False  # this desk has claimed a reply (so it has claims to renew)

    def send_as(self, desk: str, seconds: float) -> None:
        """Claim each reply sent through this store for ``desk`` (one of a team's desks),
        ``seconds`` at a time, renewed by ``renew_claims`` while the desk lives: while
        a claim holds, no other desk starts a send of that reply or changes its state
        (a desk that took over a connector does not send again what its predecessor is
        still sending). Without it (one desk alone) sends are not claimed."""
        self.desk, self.claim_seconds = desk, seconds

    def _claim(self) -> tuple[str | None, str | None, str, str]:
        """``sending_desk``, ``sending_until`` and the ``_NOT_ELSEWHERE`` parameters of a
        send starting now."""
        now = clock.now()
        until = clock.to_iso(now + timedelta(seconds=self.claim_seconds)) if self.desk else None
        return self.desk, until, self.desk or "", clock.to_iso(now)

    def add(
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
        hold_until: str | None = None,
    ) -> int:
        """Record an agent's public reply and discard its draft.

        ``delivery='sent'`` (import, history) also writes the reply event now. Live
        replies are stored ``queued`` and get their event from ``mark_reply_sent``
        once the channel accepted them, so a reply that never left is never counted.
        ``hold_until`` (undo send) keeps a queued reply from its channel until then,
        stored with it, so a restart keeps the time and the agent can still withdraw it.
        """
        at = at or clock.now_iso()
        payload: dict[str, object] = {"ai_assisted": ai_assisted}
        if edit_distance is not None:
            payload["edit_distance"] = edit_distance
        with self.db.transaction() as conn:
            message_id = insert_message(
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
            if hold_until is not None:
                conn.execute(
                    "UPDATE messages SET next_attempt_at = ? WHERE id = ?", (hold_until, message_id)
                )
            self.drafts.discard(conversation_id, "reply", agent)
            if delivery == "sent":
                self._reply_event(conn, conversation_id, message_id, agent, at, payload)
            return message_id

    def mark_sent(
        self, message_id: int, at: str | None = None, external_id: str | None = None
    ) -> bool:
        """The channel accepted a queued reply: mark it and append its reply event once
        (a survey's ``survey_sent`` event instead).

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
                "SELECT 1 FROM events WHERE conversation_id = ? AND kind IN (?, ?)"
                " AND message_id = ?",
                (
                    row["conversation_id"],
                    str(EventKind.REPLY),
                    str(EventKind.SURVEY_SENT),
                    message_id,
                ),
            ).fetchone():
                return False  # (its delivery state may say more than 'sent': keep it)
            conn.execute("UPDATE messages SET delivery = 'sent' WHERE id = ?", (message_id,))
            payload = json.loads(row["reply_payload"] or "{}")
            if "survey" in payload:  # the desk asked for feedback: not an agent's reply
                self.events.append(
                    row["conversation_id"],
                    EventKind.SURVEY_SENT,
                    at,
                    row["author"],
                    message_id,
                    payload,
                )
            else:
                self._reply_event(
                    conn, row["conversation_id"], message_id, row["author"], at, payload
                )
            return True

    def start_delivery(self, message_id: int) -> int | None:
        """A send of this reply begins: count the attempt and show ``sending``.

        Returns the attempt's number, or None when the reply is sent, withdrawn, being
        sent by another desk (``claimed_elsewhere``) or not a reply: this conditional
        update is what a withdrawal, and another desk's send, race against.
        """
        desk, until, *free = self._claim()
        with self.db.transaction() as conn:
            row = conn.execute(
                "UPDATE messages SET delivery = 'sending', next_attempt_at = NULL,"
                " delivery_attempts = delivery_attempts + 1, sending_desk = ?,"
                " sending_until = ? WHERE id = ? AND direction = 'out'"
                f" AND delivery NOT LIKE 'sent%' AND delivery != ? AND {_NOT_ELSEWHERE}"
                " RETURNING delivery_attempts",
                (desk, until, message_id, WITHDRAWN, *free),
            ).fetchone()
        self.claimed = self.claimed or (row is not None and desk is not None)
        return row[0] if row else None

    def set_delivery(self, message_id: int, state: str, next_attempt_at: str | None = None) -> None:
        """Record a reply's delivery state as the connector reports it (not an event);
        a withdrawn reply stays withdrawn, and a sent one sent (only a ``sent …`` state
        may say more: another desk's late failure to send it again changes nothing).

        ``next_attempt_at``: when a ``retry: …`` reply is tried again (kept if not given;
        cleared for any other state).
        """
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET delivery = ?, next_attempt_at = CASE WHEN ? LIKE 'retry%'"
                " THEN coalesce(?, next_attempt_at) END WHERE id = ? AND delivery != ?"
                f" AND (delivery NOT LIKE 'sent%' OR ? LIKE 'sent%') AND {_NOT_ELSEWHERE}",
                (state, state, next_attempt_at, message_id, WITHDRAWN, state) + self._claim()[2:],
            )

    def claim(self, message_id: int) -> bool:
        """A connector's own retry is about to hand this reply over: show ``sending``.

        False when the agent withdrew it (then it must not be sent), it is sent, or
        another desk is sending it (``claimed_elsewhere``).
        """
        desk, until, *free = self._claim()
        with self.db.transaction() as conn:
            taken = (
                conn.execute(
                    "UPDATE messages SET delivery = 'sending', sending_desk = ?,"
                    " sending_until = ? WHERE id = ? AND direction = 'out'"
                    f" AND delivery NOT LIKE 'sent%' AND delivery != ? AND {_NOT_ELSEWHERE}"
                    " RETURNING id",
                    (desk, until, message_id, WITHDRAWN, *free),
                ).fetchone()
                is not None
            )
        self.claimed = self.claimed or (taken and desk is not None)
        return taken

    def claimed_elsewhere(self, message_id: int) -> str | None:
        """Until when another live desk's claim on this reply holds (it is sending it
        now), or None."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT sending_until FROM messages WHERE id = ? AND delivery = 'sending'"
                " AND sending_desk IS NOT NULL AND sending_desk != ? AND sending_until >= ?",
                (message_id, *self._claim()[2:]),
            ).fetchone()
        return str(row[0]) if row else None

    def end_claims(self, desk: str) -> None:
        """``desk`` is known to be dead (its process is gone): its claims end now."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET sending_desk = NULL WHERE direction = 'out'"
                " AND delivery NOT LIKE 'sent%' AND delivery = 'sending' AND sending_desk = ?",
                (desk,),
            )

    def renew_claims(self, desk: str, until: str) -> int:
        """``desk`` lives: its claims on the replies it is sending hold until ``until``;
        returns how many it holds."""
        with self.db.transaction() as conn:
            return conn.execute(
                "UPDATE messages SET sending_until = ? WHERE direction = 'out'"
                " AND delivery NOT LIKE 'sent%' AND delivery = 'sending' AND sending_desk = ?",
                (until, desk),
            ).rowcount

    def withdraw(self, message_id: int, *, to_draft: bool = True) -> str | None:
        """Take back a reply its channel has not accepted (held, queued, to retry or
        failed): it is marked withdrawn, so no send starts any more, and its text goes
        into the conversation's reply draft (before a draft already there; not with
        ``to_draft=False``, for a survey no agent wrote), in one transaction. Returns the
        draft's text; None when the reply cannot be taken back (being sent at this
        moment, sent, withdrawn already, not a reply).
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "UPDATE messages SET delivery = ?, next_attempt_at = NULL WHERE id = ?"
                f" AND direction = 'out' AND {_WITHDRAWABLE}"
                " RETURNING conversation_id, body, author",
                (WITHDRAWN, message_id),
            ).fetchone()
            if row is None:
                return None
            conversation_id, body, author = row
            if not to_draft:
                return str(body)
            earlier = self.drafts.get(conversation_id, "reply", author)
            text = f"{body}\n\n{earlier}" if earlier.strip() else body
            self.drafts.save(conversation_id, "reply", text, author)
            return text

    def _reply_event(
        self,
        conn: Connection,
        conversation_id: int,
        message_id: int,
        agent: str,
        at: str,
        payload: dict[str, object],
    ) -> None:
        self.events.append(conversation_id, EventKind.REPLY, at, agent, message_id, payload)
        conn.execute(
            "UPDATE conversations SET waiting_since = NULL,"
            " last_message_at = CASE WHEN last_message_at > ? THEN last_message_at ELSE ? END"
            " WHERE id = ?",
            (at, at, conversation_id),
        )

    def unsent(self, conversation_id: int | None = None) -> list[Message]:
        """Agent replies their channel has not accepted (``failed`` ones too), oldest
        first: all of them, or one conversation's."""
        where, params = "", tuple[int, ...]()
        if conversation_id is not None:
            where, params = " AND conversation_id = ?", (conversation_id,)
        with self.db.read() as conn:
            return [
                message_from(r)
                for r in conn.execute(
                    f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE direction = 'out'"
                    f" AND delivery NOT LIKE 'sent%' AND delivery != ?{where} ORDER BY id",
                    (WITHDRAWN, *params),
                )
            ]

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

    def routes(self) -> list[tuple[int, str, str | None]]:
        """``(reply id, channel, via)`` of every reply still to deliver (queued, sending or
        to retry; not failed), oldest first, in one query: what a lease holder reads at
        each renewal to find the replies its connectors send."""
        with self.db.read() as conn:
            return [
                (r[0], r[1], r[2])
                for r in conn.execute(
                    "SELECT m.id, c.channel, c.via FROM messages m"
                    " JOIN conversations c ON c.id = m.conversation_id"
                    " WHERE m.direction = 'out' AND m.delivery NOT LIKE 'sent%'"
                    " AND m.delivery NOT LIKE 'failed%' AND m.delivery != ? ORDER BY m.id",
                    (WITHDRAWN,),
                )
            ]

    def undelivered(self) -> list[int]:
        """Replies still to deliver (queued, sending or to retry; not failed), oldest first."""
        return [m.id for m in self.unsent() if not m.delivery_failed]

    def answered(self, message_id: int, header: str) -> bool:
        """True if the customer answered reply ``message_id`` (Message-ID ``header``): the
        proof that it was delivered."""
        with self.db.read() as conn:
            return bool(
                conn.execute(
                    "SELECT 1 FROM messages WHERE conversation_id ="
                    " (SELECT conversation_id FROM messages WHERE id = ?) AND direction = 'in'"
                    f" AND (in_reply_to = ? OR {self.db.dialect.contains('refs')}) LIMIT 1",
                    (message_id, header, header),
                ).fetchone()
            )

    def set_header(self, message_id: int, header: str) -> None:
        """Give a reply its Message-ID (once), so the customer's answer threads on it."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET message_id_header = ? WHERE id = ?"
                " AND message_id_header IS NULL",
                (header, message_id),
            )
