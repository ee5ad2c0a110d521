"""The facts behind one figure, for the stats drill-down and ``agentdesk stats --explain``:
each with its conversation's customer and subject, its value in words and in seconds,
as rows for a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agentdesk import clock
from agentdesk.metrics.facts import (
    ARTICLES,
    BUSINESS_DURATIONS,
    DURATIONS,
    EDIT_DISTANCE,
    REWRITES,
    Fact,
)
from agentdesk.metrics.report import duration_text
from agentdesk.text import one_line

if TYPE_CHECKING:
    from agentdesk.store import Store

Business = Callable[[float, float], float]

COLUMNS = (
    "conversation",
    "customer",
    "subject",
    "channel",
    "agent",
    "value",
    "seconds",
    "between",
    "from",
    "to",
    "state",
)


@dataclass(frozen=True)
class Explained:
    """One fact behind a figure, with what an agent recognises the conversation by."""

    fact: Fact
    customer: str
    subject: str
    value: str  # "12m", "yes", "waiting", "3 replies"
    seconds: float | None  # durations only (business seconds when asked for)

    def row(self, when: Callable[[float | None], str]) -> dict[str, object]:
        """The fact as one row of ``COLUMNS``; ``when`` formats its two instants."""
        fact = self.fact
        return {
            "conversation": fact.uid,
            "customer": one_line(self.customer, 200),
            "subject": one_line(self.subject, 200),
            "channel": fact.channel,
            "agent": fact.agent or "",
            "value": self.value,
            "seconds": None if self.seconds is None else int(self.seconds),
            "between": fact.what,
            "from": when(fact.start),
            "to": when(fact.end),
            "state": fact.state,
        }


def explained(stores: list[Store], facts: list[Fact], business: Business | None) -> list[Explained]:
    """``facts`` in time order with their conversations' customer and subject (a
    conversation without one, as a chat, by its first line, as the inbox shows it)."""
    ordered = sorted(facts, key=lambda f: (f.end or f.start or 0, f.uid))
    names: dict[tuple[int, int], tuple[str, str]] = {}
    for source, store in enumerate(stores):
        ids = sorted({f.conversation_id for f in ordered if f.source == source})
        for start in range(0, len(ids), 500):
            for row in store.inbox.rows_by_id(ids[start : start + 500]):
                names[source, row.id] = (
                    row.customer_name or row.customer_address,
                    row.subject or row.preview,
                )
    result = []
    for fact in ordered:
        customer, subject = names.get((fact.source, fact.conversation_id), ("", ""))
        seconds = _seconds(fact, business)
        result.append(Explained(fact, customer, subject, _value(fact, seconds), seconds))
    return result


def _seconds(fact: Fact, business: Business | None) -> float | None:
    if fact.metric not in DURATIONS or fact.value is None:
        return None
    if business and fact.metric in BUSINESS_DURATIONS and fact.start is not None:
        return business(fact.start, fact.end if fact.end is not None else fact.start)
    return fact.value


def _value(fact: Fact, seconds: float | None) -> str:
    if fact.value is None:
        return "waiting"
    if seconds is not None:
        return duration_text(seconds)
    if fact.metric == "replies":
        return f"{int(fact.value)} replies"
    if fact.metric == EDIT_DISTANCE:
        return f"{int(fact.value)} words"
    if fact.metric in (REWRITES, ARTICLES):
        return "used"
    return "yes" if fact.value else "no"


def utc_text(epoch: float | None) -> str:
    """An instant as stored (ISO, UTC), for machine-readable output."""
    return "" if epoch is None else clock.to_iso(datetime.fromtimestamp(epoch, UTC))


def local_text(epoch: float | None) -> str:
    """An instant in this machine's time zone, as an agent reads it."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).astimezone().strftime("%a %d %b %H:%M")


def to_csv(items: list[Explained]) -> str:
    """The facts as CSV; a cell a spreadsheet would run as a formula starts with ``'``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({key: _inert(value) for key, value in item.row(utc_text).items()})
    return out.getvalue()


def _inert(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_json(items: list[Explained], metric: str, agent: str, period_label: str) -> str:
    document = {
        "metric": metric,
        "agent": agent,
        "period": period_label,
        "facts": [item.row(utc_text) for item in items],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def table_cells(item: Explained) -> list[str]:
    """The drill-down's cells: customer text cut to one line, times local."""
    row = item.row(local_text)
    return [one_line(str(row[key] if row[key] is not None else ""), 60) for key in COLUMNS]
