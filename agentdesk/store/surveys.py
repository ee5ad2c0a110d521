"""Satisfaction surveys: the question queued on resolve, and the customer's answer.

A survey is an outgoing message whose ``reply_payload`` says ``{"survey": "csat"}`` (or
``"ces"``, the effort question). It is delivered like any reply (``Replies.mark_sent``),
but once sent it is logged as ``survey_sent``, never as a ``reply``: metrics never count
it as an agent's answer.
"""

from __future__ import annotations

import json

from agentdesk import clock
from agentdesk.domain import LOW_CSAT_TAG, LOW_RATING, Direction, EventKind, Rating, Status
from agentdesk.store.conversations import Conversations
from agentdesk.store.database import Database
from agentdesk.store.events import EventLog
from agentdesk.store.messages import insert_message

# What each survey's answer is logged as.
ANSWER_EVENTS = {"csat": EventKind.CSAT, "ces": EventKind.CES}


class Surveys:
    def __init__(self, db: Database, events: EventLog, conversations: Conversations) -> None:
        self.db = db
        self.events = events
        self.conversations = conversations

    def queue(
        self,
        conversation_id: int,
        agent: str,
        text: str,
        *,
        survey: str = "csat",
    ) -> int:
        """Store the ``survey`` question ``text`` (``csat``, or ``ces`` for the effort
        question) as a queued outgoing message from ``agent`` (who resolved the
        conversation, and keeps the credit); returns its id."""
        with self.db.transaction() as conn:
            return insert_message(
                conn,
                conversation_id,
                Direction.OUT,
                author=agent,
                at=clock.now_iso(),
                body=text,
                delivery="queued",
                reply_payload=json.dumps({"survey": survey}, sort_keys=True),
            )

    def last_asked(self, customer_id: int) -> str | None:
        """When this customer was last sent a survey (in any conversation), if ever."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT max(e.at) FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE c.customer_id = ? AND e.kind = ?",
                (customer_id, str(EventKind.SURVEY_SENT)),
            ).fetchone()
        return row[0] if row else None

    def awaiting_answer(self, conversation_id: int) -> tuple[int, str] | None:
        """The sent survey the conversation's next customer message may answer, and its
        kind: the latest one, when no substantive customer message came after it and the
        conversation is still resolved (checked first: most messages go to open ones)."""
        with self.db.read() as conn:
            status = conn.execute(
                "SELECT status FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if status is None or status[0] != Status.RESOLVED:
                return None
            row = conn.execute(
                "SELECT s.message_id, s.payload FROM events s"
                " WHERE s.conversation_id = ? AND s.kind = ?"
                " AND NOT EXISTS (SELECT 1 FROM events i JOIN messages m ON m.id = i.message_id"
                "   WHERE i.conversation_id = s.conversation_id AND i.kind = ? AND i.id > s.id"
                "   AND m.auto = 0)"
                " ORDER BY s.id DESC LIMIT 1",
                (conversation_id, str(EventKind.SURVEY_SENT), str(EventKind.INBOUND)),
            ).fetchone()
        return (row[0], str(json.loads(row[1]).get("survey", "csat"))) if row else None

    def last_answered(self, conversation_id: int) -> tuple[int, str, str] | None:
        """The conversation's latest sent survey, when it has its answer: its id, kind
        and who it credits."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT s.message_id, s.payload, s.agent,"
                " EXISTS (SELECT 1 FROM events a WHERE a.conversation_id = s.conversation_id"
                "   AND a.kind IN (?, ?) AND a.message_id = s.message_id) AS answered"
                " FROM events s WHERE s.conversation_id = ? AND s.kind = ?"
                " ORDER BY s.id DESC LIMIT 1",
                (
                    str(EventKind.CSAT),
                    str(EventKind.CES),
                    conversation_id,
                    str(EventKind.SURVEY_SENT),
                ),
            ).fetchone()
        if row is None or not row["answered"]:
            return None
        return row[0], str(json.loads(row[1]).get("survey", "csat")), row[2] or ""

    def external_id(self, survey_id: int | None) -> str | None:
        """The channel's id for a sent survey (what a reaction to it names)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT external_id FROM messages WHERE id = ?", (survey_id,)
            ).fetchone()
        return row[0] if row else None

    def record_answer(
        self,
        conversation_id: int,
        survey_id: int,
        survey: str,
        answer_id: int,
        answer: Rating,
        at: str,
    ) -> None:
        """The customer's message ``answer_id`` rated survey ``survey_id``: a ``csat``
        (or ``ces``) event about the survey, the answer and its comment in the payload;
        a CSAT rating of ``LOW_RATING`` or less tags the conversation ``low-csat``."""
        with self.db.transaction():
            self.events.append(
                conversation_id,
                ANSWER_EVENTS[survey],
                at,
                None,
                survey_id,
                {"rating": answer.rating, "comment": answer.comment, "answer": answer_id},
            )
            if survey == "csat" and answer.rating <= LOW_RATING:
                self.conversations.set_tag(conversation_id, LOW_CSAT_TAG, True, None, at=at)
