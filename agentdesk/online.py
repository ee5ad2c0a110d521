"""Who is online: the lead's view of every desk on the database, for the screen and the
CLI (``agentdesk online``) alike.

Each row is a desk heard from within ``[team] presence_timeout``: its agent, how long it
has been online, the conversation it shows (customer and subject, cleaned: they are
customer text), for how long, and whether the agent is typing there.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta

from agentdesk import clock
from agentdesk.domain import Online
from agentdesk.metrics.report import duration_text
from agentdesk.store import Store
from agentdesk.text import aligned, one_line

DOING = {"viewing": "viewing", "replying": "typing a reply", "noting": "typing a note"}
HEADERS = ("Agent", "Online", "Shows", "For", "Doing")


@dataclass(frozen=True)
class OnlineRow:
    """One desk online now, as the lead's view shows it."""

    agent: str
    desk: str
    online_seconds: float | None  # None: a desk from before migration 16
    conversation_id: int | None  # None: the inbox
    customer: str  # cleaned, one line
    subject: str  # cleaned, one line
    here_seconds: float | None  # how long it has shown this conversation (or the inbox)
    activity: str  # viewing, replying, noting
    seen_at: str  # its last heartbeat

    @property
    def shows(self) -> str:
        if self.conversation_id is None:
            return "inbox"
        return " · ".join(part for part in (self.customer, self.subject) if part) or (
            f"conversation {self.conversation_id}"
        )

    def cells(self) -> tuple[str, ...]:
        """The row's cells, in ``HEADERS`` order."""
        return (
            self.agent,
            duration_text(self.online_seconds),
            self.shows,
            duration_text(self.here_seconds),
            DOING.get(self.activity, self.activity),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "agent": self.agent,
            "desk": self.desk,
            "online_seconds": _seconds(self.online_seconds),
            "conversation_id": self.conversation_id,
            "customer": self.customer,
            "subject": self.subject,
            "shows_seconds": _seconds(self.here_seconds),
            "activity": self.activity,
            "last_seen": self.seen_at,
        }


def online_now(store: Store, timeout: float) -> list[OnlineRow]:
    """Every desk heard from in the last ``timeout`` seconds, by agent."""
    now = clock.now()
    since = clock.to_iso(now - timedelta(seconds=timeout))
    return [_row(found, now) for found in store.presence.online(since)]


def _row(found: Online, now) -> OnlineRow:
    p = found.presence
    return OnlineRow(
        agent=one_line(p.agent, 60),
        desk=one_line(p.desk, 200),
        online_seconds=clock.since(p.online_since, now),
        conversation_id=p.conversation_id,
        customer=one_line(found.customer, 60),
        subject=one_line(found.subject, 80),
        here_seconds=clock.since(p.here_since, now),
        activity=p.activity,
        seen_at=p.seen_at,
    )


def _seconds(seconds: float | None) -> int | None:
    return None if seconds is None else max(0, int(seconds))


def to_table(rows: list[OnlineRow]) -> str:
    """An aligned plain-text table with a heading line."""
    lines = [f"Online now: {len(rows)} desk{'' if len(rows) == 1 else 's'}"]
    if rows:
        lines += aligned([HEADERS, *(row.cells() for row in rows)])
    return "\n".join(lines) + "\n"


def to_csv(rows: list[OnlineRow]) -> str:
    """One line per desk, the JSON fields as columns."""
    out = io.StringIO()
    fields = list(OnlineRow("", "", None, None, "", "", None, "", "").as_dict())
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.as_dict() for row in rows)
    return out.getvalue()


def to_json(rows: list[OnlineRow]) -> str:
    return json.dumps([row.as_dict() for row in rows], indent=2) + "\n"
