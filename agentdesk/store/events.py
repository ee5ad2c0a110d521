"""The append-only event log (docs/metrics.md): its one writer and its reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

from agentdesk import clock
from agentdesk.domain import EventKind
from agentdesk.store.database import Database, inserted


class EventLog:
    """``append`` is the only code that writes the ``events`` table (repositories call it
    inside their own transaction, which it joins)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(
        self,
        conversation_id: int,
        kind: EventKind | str,
        at: str,
        agent: str | None = None,
        message_id: int | None = None,
        payload: dict[str, object] | None = None,
    ) -> int:
        """Append one event (in the caller's transaction, if any); returns its id.

        Each event gets a globally unique ``key``, so logs from several databases merge.
        """
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO events (key, conversation_id, kind, at, agent, message_id, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    str(uuid.uuid4()),
                    conversation_id,
                    str(kind),
                    at,
                    agent,
                    message_id,
                    json.dumps(payload or {}, sort_keys=True),
                ),
            )
            return inserted(cursor)

    def csat(
        self, conversation_id: int, rating: int, *, at: str | None = None, comment: str = ""
    ) -> None:
        """The customer rated the conversation 1 to 5 (with a comment, from a survey)."""
        if not 1 <= int(rating) <= 5:
            raise ValueError("a CSAT rating is 1 to 5")
        payload: dict[str, object] = {"rating": int(rating)}
        if comment:
            payload["comment"] = comment
        self.append(conversation_id, EventKind.CSAT, at or clock.now_iso(), payload=payload)

    def view(
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
        self.append(conversation_id, EventKind.VIEWED, at or clock.now_iso(), agent, None, payload)

    def read(self, conversation_id: int | None = None) -> list[dict[str, Any]]:
        """Events in log order (all, or one conversation's), payload decoded."""
        sql = (
            "SELECT e.id, e.key, c.uid AS conversation, e.conversation_id, e.kind, e.at,"
            " e.agent, e.message_id, e.payload FROM events e"
            " JOIN conversations c ON c.id = e.conversation_id"
        )
        params: tuple[object, ...] = ()
        if conversation_id is not None:
            sql += " WHERE e.conversation_id = ?"
            params = (conversation_id,)
        with self.db.read() as conn:
            return [
                {**dict(r), "payload": json.loads(r["payload"])}
                for r in conn.execute(sql + " ORDER BY e.id", params)
            ]
