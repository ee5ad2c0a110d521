"""``agentdesk stats``: per-agent metrics for a period, from one or more desk databases."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from agentdesk import clock
from agentdesk.commands import UsageError
from agentdesk.config import Config, database_file
from agentdesk.metrics import (
    METRICS,
    TEAM,
    BusinessClock,
    PeriodError,
    collect,
    parse_period,
    summarize,
)
from agentdesk.metrics.aggregate import summarize_one
from agentdesk.metrics.facts import BUSINESS_DURATIONS, DURATIONS, Fact
from agentdesk.metrics.report import duration_text, to_csv, to_json, to_table
from agentdesk.store import Store
from agentdesk.text import clean, one_line

EXPLAINABLE = ("conversations", *METRICS)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats", help="per-agent response times, FCR, CSAT … for a period (docs/metrics.md)"
    )
    parser.add_argument(
        "--db",
        action="append",
        metavar="PATH",
        help="database file; repeat to roll up several desks (default: from config)",
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
    paths = [database_file(p) for p in args.db] if args.db else [config.database]
    stores: list[Store] = []
    try:
        stores.extend(Store(path, readonly=True) for path in paths)
        if args.agent and not any(store.metrics.known_agent(args.agent) for store in stores):
            raise UsageError(
                f"unknown agent {args.agent!r} (not in {', '.join(str(p) for p in paths)})"
            )
        facts = collect(stores, period, settings)
        business = BusinessClock(settings.business_hours).seconds if args.business_hours else None
        if args.explain:
            return _print(explain(stores, facts, args.explain, args.agent, period, business))
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
    stores: list[Store], facts: list[Fact], metric: str, agent: str | None, period, business
) -> str:
    """Each fact behind ``metric`` for ``agent`` (or the team), with its events.

    Focus (``viewed``) events are listed for handle time only.
    """
    chosen = [f for f in facts if agent is None or f.agent == agent]
    behind = summarize_one(agent or TEAM, None, chosen).facts_for(metric)
    behind.sort(key=lambda f: (f.end or f.start or 0, f.uid))
    lines = [
        f"{metric} for {clean(agent or TEAM)}, {period.label}: {len(behind)} "
        f"fact{'s' * (len(behind) != 1)}"
    ]
    for fact in behind:
        lines.append(
            f"\n{one_line(fact.uid, 80)} ({clean(fact.channel)}): "
            f"{_value(fact, metric, business)}  {fact.what}  {_when(fact.start)} -> "
            f"{_when(fact.end)}{'  [' + fact.state + ']' if fact.state else ''}"
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


def _value(fact: Fact, metric: str, business) -> str:
    if fact.value is None:
        return "waiting"
    if metric in DURATIONS:
        seconds = (
            business(fact.start, fact.end)
            if business and metric in BUSINESS_DURATIONS
            else fact.value
        )
        return f"{int(seconds)} s ({duration_text(seconds)})"
    if metric in ("replies", "conversations"):
        return f"{int(fact.value)} {fact.metric}" if metric == "replies" else fact.metric
    return "yes" if fact.value else "no"


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else clock.to_iso(datetime.fromtimestamp(epoch, UTC))
