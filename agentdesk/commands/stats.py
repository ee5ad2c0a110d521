"""``agentdesk stats``: per-agent metrics for a period, from one or more desk databases."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agentdesk import clock
from agentdesk.commands import UsageError
from agentdesk.config import Config, database_target
from agentdesk.metrics.aggregate import TEAM, summarize, summarize_one
from agentdesk.metrics.business_hours import BusinessClock
from agentdesk.metrics.collect import collect
from agentdesk.metrics.facts import METRICS, Fact
from agentdesk.metrics.period import Period, PeriodError, parse_period
from agentdesk.metrics.report import to_csv, to_json, to_table
from agentdesk.store import Store
from agentdesk.text import clean, count_of, one_line

if TYPE_CHECKING:
    from agentdesk.metrics.explain import Business

EXPLAINABLE = ("conversations", *METRICS)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk stats``."""
    parser.add_argument(
        "--db",
        action="append",
        metavar="PATH",
        help="database file or postgresql:// URL; repeat to roll up several desks (default: from config)",
    )
    parser.add_argument(
        "--since", help="7d, 30d, 24h, 2w, YYYY-MM-DD or an ISO instant (default: 7d)"
    )
    parser.add_argument(
        "--until", help="same forms as --since; a date includes that day (default: now)"
    )
    parser.add_argument("--by", choices=["channel"], help="one row per channel")
    parser.add_argument("--agent", metavar="NAME", help="only this agent")
    parser.add_argument(
        "--business-hours",
        action="store_true",
        help="durations in business time ([business_hours] in config)",
    )
    parser.add_argument("--mean", action="store_true", help="also report means")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument(
        "--explain",
        metavar="METRIC",
        choices=EXPLAINABLE,
        help=f"list the conversations and events behind METRIC ({', '.join(EXPLAINABLE)})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    settings = config.metrics
    try:
        period = parse_period(args.since, args.until, settings.business_hours.zone)
    except PeriodError as error:
        raise UsageError(str(error)) from None
    paths = [database_target(p) for p in args.db] if args.db else [config.database]
    stores: list[Store] = []
    try:
        stores.extend(Store(path, readonly=True) for path in paths)
        if args.agent and not any(store.metrics.known_agent(args.agent) for store in stores):
            raise UsageError(
                f"unknown agent {args.agent!r} (not in {', '.join(s.where for s in stores)})"
            )
        facts = collect(stores, period, settings)
        business = BusinessClock(settings.business_hours).seconds if args.business_hours else None
        if args.explain:
            return _print(
                explain(stores, facts, args.explain, args.agent, period, business, args.format)
            )
        rows = (
            summarize(facts, agent=args.agent, by_channel=args.by == "channel", business=business)
            if facts
            else []
        )
    finally:
        for store in stores:
            store.close()
    basis = "business" if business else "calendar"
    if args.format == "json":
        return _print(to_json(rows, period, basis, args.mean))
    if args.format == "csv":
        return _print(to_csv(rows, period, basis, args.mean))
    return _print(to_table(rows, period, basis, "" if rows else "No events in this period."))


def _print(text: str) -> int:
    sys.stdout.write(text)
    return 0


def explain(
    stores: list[Store],
    facts: list[Fact],
    metric: str,
    agent: str | None,
    period: Period,
    business: Business | None,
    form: str,
) -> str:
    """Each fact behind ``metric`` for ``agent`` (or the team), as ``form`` (table: with
    the conversation's events in each fact's interval; focus events for handle time only)."""
    from agentdesk.metrics.explain import explained, utc_text
    from agentdesk.metrics.explain import to_csv as explain_csv
    from agentdesk.metrics.explain import to_json as explain_json

    who = agent or TEAM
    chosen = [f for f in facts if agent is None or f.agent == agent]
    items = explained(stores, summarize_one(who, None, chosen).facts_for(metric), business)
    if form == "csv":
        return explain_csv(items)
    if form == "json":
        return explain_json(items, metric, who, period.label)
    lines = [f"{metric} for {clean(who)}, {period.label}: {count_of(len(items), 'fact')}"]
    for item in items:
        fact = item.fact
        value = item.value if item.seconds is None else f"{int(item.seconds)} s ({item.value})"
        lines.append(
            f"\n{one_line(fact.uid, 80)} ({clean(fact.channel)}): {value}  {fact.what}  "
            f"{utc_text(fact.start) or '-'} -> {utc_text(fact.end) or '-'}"
            f"{'  [' + fact.state + ']' if fact.state else ''}"
        )
        low, high = fact.start or fact.end, fact.end or fact.start
        for event in stores[fact.source].events.read(fact.conversation_id):
            if event["kind"] == "viewed" and metric != "handle_time":
                continue
            at = clock.parse_iso(event["at"]).timestamp()
            if low is not None and high is not None and low <= at <= high:
                payload = " ".join(f"{k}={v}" for k, v in event["payload"].items())
                lines.append(
                    f"  {event['at']}  {event['kind']:<10} "
                    f"{one_line(event['agent'] or '-', 40):<12} "
                    f"{one_line(payload, 120)}"
                )
    return "\n".join(lines) + "\n"
