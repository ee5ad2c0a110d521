"""Weekly trends: each agent's median first response time, week by week."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentdesk.metrics import collect
from agentdesk.metrics.facts import FRT, Fact
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings

if TYPE_CHECKING:
    from agentdesk.store import Store


@dataclass(frozen=True)
class Trend:
    """An agent's weekly median first response time, oldest week first (0 = no reply)."""

    agent: str
    weekly: list[float]


def week_edges(now: datetime, weeks: int) -> list[datetime]:
    """The boundaries of the last ``weeks`` seven-day weeks up to ``now``, oldest first."""
    return [now - timedelta(weeks=weeks - i) for i in range(weeks + 1)]


def weekly_trends(facts: list[Fact], edges: list[datetime]) -> list[Trend]:
    """Median FRT per agent per week; a reply counts in the week its ``end`` falls in."""
    stamps = [edge.timestamp() for edge in edges]
    per_agent: dict[str, list[list[float]]] = {}
    for fact in facts:
        if fact.metric != FRT or fact.agent is None or fact.value is None or fact.end is None:
            continue
        for index in range(len(stamps) - 1):
            if stamps[index] <= fact.end < stamps[index + 1]:
                buckets = per_agent.setdefault(fact.agent, [[] for _ in stamps[1:]])
                buckets[index].append(fact.value)
                break
    return [
        Trend(agent, [float(statistics.median(b)) if b else 0.0 for b in buckets])
        for agent, buckets in sorted(per_agent.items())
    ]


def trends(store: Store, now: datetime, weeks: int, settings: MetricsSettings) -> list[Trend]:
    """Every agent's trend over the last ``weeks`` weeks of one desk."""
    edges = week_edges(now, weeks)
    return weekly_trends(collect([store], Period(edges[0], now), settings), edges)
