"""Figures from facts: median / p90 / mean with counts, rates, per agent or per channel."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from agentdesk.metrics.facts import (
    ARTICLES,
    BUSINESS_DURATIONS,
    DURATIONS,
    EDIT_DISTANCE,
    HANDLE,
    RATES,
    REPLIES,
    RESOLUTION,
    REWRITES,
    Fact,
)

TEAM = "(team)"
# Facts that make an agent count a conversation as handled in the period.
HANDLED = (REPLIES, RESOLUTION, HANDLE)
_VALUE, _STATE = attrgetter("value"), attrgetter("state")


@dataclass(frozen=True)
class Duration:
    """Median and 90th percentile (nearest rank) of ``count`` durations, in seconds (or
    of other counts: ``StatsRow.edit_distance`` is in words)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None
    waiting: int = 0


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``count`` as a percentage; ``provisional`` counts outcomes not final yet."""

    count: int
    hits: int
    provisional: int = 0

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.hits / self.count, 1) if self.count else None


@dataclass
class StatsRow:
    """One line of the stats table: an agent (or the team), optionally one channel."""

    agent: str
    channel: str | None
    conversations: int
    replies: int
    durations: dict[str, Duration]
    rates: dict[str, Rate]
    facts: list[Fact] = field(default_factory=list, repr=False)
    edit_distance: Duration = field(default_factory=lambda: Duration(0, None, None, None, 0))
    rewrites_used: int = 0  # assist rewrites accepted into the composer
    articles_inserted: int = 0  # KB articles (answers or links) put in the composer

    @property
    def figures(self) -> dict[str, Duration | Rate]:
        """Every figure by metric name, durations and rates together."""
        return {**self.durations, **self.rates}

    def facts_for(self, metric: str) -> list[Fact]:
        """The facts behind one figure (``conversations`` gives the handled ones)."""
        if metric == "conversations":
            return [f for f in self.facts if f.metric in HANDLED]
        return [f for f in self.facts if f.metric == metric]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values`` (p90 of 10 values is the 9th)."""
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


def median(values: list[float]) -> float:
    """The median of sorted ``values`` (the mean of the middle two for an even count)."""
    middle = len(values) // 2
    if len(values) % 2:
        return float(values[middle])
    return (values[middle - 1] + values[middle]) / 2


def duration(
    facts: Sequence[Fact], business: Callable[[float, float], float] | None = None
) -> Duration:
    """Count, median, p90 and mean of the facts' values (``business``: of the business
    seconds between each fact's start and end instead); facts with no value are waiting."""
    if business:
        values = [
            business(f.start, f.end) if f.start is not None and f.end is not None else f.value
            for f in facts
            if f.value is not None
        ]
    else:
        values = [f.value for f in facts if f.value is not None]
    waiting = len(facts) - len(values)
    if not values:
        return Duration(0, None, None, None, waiting)
    values.sort()
    return Duration(
        len(values),
        median(values),
        float(percentile(values, 0.9)),
        round(statistics.fmean(values), 1),
        waiting,
    )


def rate(facts: Sequence[Fact]) -> Rate:
    """How many of the facts hold (a true value), and how many are provisional."""
    hits = sum(map(bool, map(_VALUE, facts)))
    return Rate(len(facts), hits, list(map(_STATE, facts)).count("provisional"))


def summarize_one(
    agent: str,
    channel: str | None,
    facts: list[Fact],
    business: Callable[[float, float], float] | None = None,
) -> StatsRow:
    """All figures over ``facts``; with ``business`` durations are in business seconds."""
    by_metric: defaultdict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_metric[fact.metric].append(fact)
    durations = {
        metric: duration(
            by_metric.get(metric, ()), business if metric in BUSINESS_DURATIONS else None
        )
        for metric in DURATIONS
    }
    rates = {metric: rate(by_metric.get(metric, ())) for metric in RATES}
    handled = {(f.source, f.conversation_id) for m in HANDLED for f in by_metric.get(m, ())}
    replies = int(sum(f.value or 0 for f in by_metric.get(REPLIES, ())))
    edits = duration(by_metric.get(EDIT_DISTANCE, ()))
    return StatsRow(
        agent,
        channel,
        len(handled),
        replies,
        durations,
        rates,
        facts,
        edits,
        len(by_metric.get(REWRITES, ())),
        len(by_metric.get(ARTICLES, ())),
    )


def summarize(
    facts: list[Fact],
    *,
    agent: str | None = None,
    by_channel: bool = False,
    business: Callable[[float, float], float] | None = None,
) -> list[StatsRow]:
    """Rows per agent plus a team row; or, ``by_channel``, one row per channel.

    With ``agent`` only that agent's facts count (and there is no team row unless
    ``by_channel``, where each channel row is that agent's). Team-only facts (waiting,
    answered rate, system resolves) count in team rows.
    """
    if agent is not None:
        facts = [f for f in facts if f.agent == agent]
    if by_channel:
        channels: defaultdict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            channels[fact.channel].append(fact)
        return [
            summarize_one(agent or TEAM, name, channels[name], business)
            for name in sorted(channels)
        ]
    agents: defaultdict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.agent is not None:  # else a team-only fact
            agents[fact.agent].append(fact)
    rows = [summarize_one(name, None, agents[name], business) for name in sorted(agents)]
    if agent is None:
        rows.append(summarize_one(TEAM, None, facts, business))
    elif not rows:
        rows.append(summarize_one(agent, None, [], business))
    return rows
