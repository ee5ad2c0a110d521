"""Weekly trends: each agent's first response and resolution time (medians), FCR and
CSAT (percentages), week by week."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentdesk.metrics.collect import collect
from agentdesk.metrics.facts import CSAT, DURATIONS, FCR, FRT, RESOLUTION, Fact
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings

if TYPE_CHECKING:
    from agentdesk.store import Store

# The metrics with a trend, and what their weekly value is.
TREND_METRICS = {
    FRT: "median first response time",
    RESOLUTION: "median resolution time",
    FCR: "first contact resolution %",
    CSAT: "satisfied customers (CSAT %)",
}


@dataclass(frozen=True)
class Trend:
    """One agent's weekly values of one metric, oldest week first (None: no facts)."""

    agent: str
    metric: str
    weekly: list[float | None]


def week_edges(now: datetime, weeks: int) -> list[datetime]:
    """The boundaries of the last ``weeks`` seven-day weeks up to ``now``, oldest first."""
    return [now - timedelta(weeks=weeks - i) for i in range(weeks + 1)]


def weekly_trends(facts: list[Fact], edges: list[datetime], metric: str = FRT) -> list[Trend]:
    """Per agent and week: the median (durations) or percentage (rates) of ``metric``;
    a fact counts in the week its ``end`` falls in."""
    stamps = [edge.timestamp() for edge in edges]
    per_agent: dict[str, list[list[float]]] = {}
    for fact in facts:
        if fact.metric != metric or fact.agent is None or fact.value is None or fact.end is None:
            continue
        index = bisect_right(stamps, fact.end) - 1  # the week starting at or before its end
        if 0 <= index < len(stamps) - 1:
            buckets = per_agent.get(fact.agent)
            if buckets is None:
                buckets = per_agent[fact.agent] = [[] for _ in stamps[1:]]
            buckets[index].append(fact.value)
    summary = _median if metric in DURATIONS else _percent
    return [
        Trend(agent, metric, [summary(b) if b else None for b in buckets])
        for agent, buckets in sorted(per_agent.items())
    ]


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _percent(values: list[float]) -> float:
    return round(100 * sum(1 for v in values if v) / len(values), 1)


def trends(
    store: Store, now: datetime, weeks: int, settings: MetricsSettings
) -> dict[str, list[Trend]]:
    """Every trend metric's per-agent trends over the last ``weeks`` weeks of one desk."""
    edges = week_edges(now, weeks)
    # Only the queries these metrics come from: 8 weeks of every query took 1.3 s of
    # CPU on 1M messages, in a thread beside the table just shown.
    facts = collect([store], Period(edges[0], now), settings, metrics=TREND_METRICS)
    return {metric: weekly_trends(facts, edges, metric) for metric in TREND_METRICS}
