"""Metrics computed from the event log alone (definitions: docs/metrics.md).

``collect`` gathers the facts placed in a period from one or more desk databases (a
conversation present in several files counts once, by its uid); ``summarize`` turns
them into per-agent or per-channel figures. No Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentdesk import clock
from agentdesk.metrics.aggregate import TEAM, Duration, Rate, StatsRow, summarize
from agentdesk.metrics.business_hours import BusinessClock
from agentdesk.metrics.facts import METRICS, Fact, build_facts
from agentdesk.metrics.period import Period, PeriodError, parse_period, preset
from agentdesk.metrics.settings import MetricsSettings, metrics_settings

if TYPE_CHECKING:
    from agentdesk.store import Store

__all__ = [
    "METRICS",
    "TEAM",
    "BusinessClock",
    "Duration",
    "Fact",
    "MetricsSettings",
    "Period",
    "PeriodError",
    "Rate",
    "StatsRow",
    "collect",
    "metrics_settings",
    "parse_period",
    "preset",
    "summarize",
]


def collect(
    stores: list[Store], period: Period, settings: MetricsSettings, now: float | None = None
) -> list[Fact]:
    """Facts from every store; a conversation in several files counts once.

    The copy with the most events wins (the earlier file on a tie), so a conversation
    handed from one desk to another is measured on its fuller log.
    """
    now = clock.now().timestamp() if now is None else now
    per_store = [
        build_facts(store, period, settings, now, source) for source, store in enumerate(stores)
    ]
    if len(stores) == 1:
        return per_store[0]
    owner = _owners(stores)
    return [
        fact
        for facts in per_store
        for fact in facts
        if owner.get(fact.uid, fact.source) == fact.source
    ]


def _owners(stores: list[Store]) -> dict[str, int]:
    """For each uid present in more than one store, the index of the store that counts."""
    ids = [store.metric_uids() for store in stores]
    seen: dict[str, list[int]] = {}
    for source, uids in enumerate(ids):
        for uid in uids:
            seen.setdefault(uid, []).append(source)
    shared = {uid: sources for uid, sources in seen.items() if len(sources) > 1}
    counts = [
        stores[source].metric_event_counts(
            [ids[source][uid] for uid, sources in shared.items() if source in sources]
        )
        for source in range(len(stores))
    ]
    return {
        uid: max(sources, key=lambda s: (counts[s].get(ids[s][uid], 0), -s))
        for uid, sources in shared.items()
    }
