"""The stats table as text, CSV or JSON (the CLI) and as cells (the stats screen)."""

from __future__ import annotations

import csv
import io
import json

from agentdesk.clock import humanize_duration
from agentdesk.metrics.aggregate import TEAM, Duration, Rate, StatsRow, summarize_one
from agentdesk.metrics.facts import (
    ANSWERED,
    ARTICLES,
    AS_IS,
    ASSISTED,
    CES,
    CSAT,
    CSAT_RESPONSE,
    DURATIONS,
    EDIT_DISTANCE,
    FCR,
    FRT,
    FULL_RESOLUTION,
    HANDLE,
    ONE_TOUCH,
    RATES,
    REOPEN,
    REPLY_TIME,
    RESOLUTION,
    REWRITES,
)
from agentdesk.metrics.period import Period
from agentdesk.text import aligned, one_line

# What a rate's ``hits`` are called in CSV / JSON.
HITS = {
    FCR: "success",
    ONE_TOUCH: "one_touch",
    REOPEN: "reopened",
    ANSWERED: "answered",
    CSAT: "positive",
    CSAT_RESPONSE: "answers",
    CES: "easy",
    ASSISTED: "assisted",
    AS_IS: "as_is",
}

# Plain counts, shown as they are: StatsRow attributes of the same name.
COUNTS = ("conversations", "replies", REWRITES, ARTICLES)

# Figures credited to nobody (an unanswered conversation has no agent): the team's rows
# only; an agent's row says so instead of "- (0)".
TEAM_ONLY = (ANSWERED,)

# Rates where a rise is bad news (for every duration it is).
LOWER_IS_BETTER = (REOPEN,)

# (header, metric key behind the cell) in table order, which is their priority: what a
# lead reads first comes first, so a narrow terminal cuts the least used. The key opens
# the drill-down. Durations are "median/p90 (n)", rates "percent (n)" (the title says so).
COLUMNS: list[tuple[str, str]] = [
    ("Agent", "agent"),
    ("Conv", "conversations"),
    ("Replies", "replies"),
    ("FRT", FRT),
    ("FCR (prov.)", FCR),
    ("CSAT", CSAT),
    ("Resolution", RESOLUTION),
    ("Reply", REPLY_TIME),
    ("Handle", HANDLE),  # its median alone (FORMS)
    ("Answered", ANSWERED),
    ("CSAT resp.", CSAT_RESPONSE),  # how many answer the survey: after the figures
    ("1-touch", ONE_TOUCH),
    ("Reopen", REOPEN),
    ("Full res. med", FULL_RESOLUTION),
    ("CES easy", CES),
    ("Assisted", ASSISTED),
    ("As is", AS_IS),
    ("Edits med", EDIT_DISTANCE),
    ("Rewrites", REWRITES),
    ("Articles", ARTICLES),
]


FORMS = (
    "durations median/p90 (n), Handle median (n), rates % (n), n = count behind the figure,"
    " wait. = not answered yet"
)


def duration_text(seconds: float | None) -> str:
    return "-" if seconds is None else humanize_duration(seconds)


def cell(row: StatsRow, key: str) -> str:
    """The text of one table cell."""
    if key == "agent":  # names come from the event log: no control sequences
        name = row.agent if row.channel is None else f"{row.agent} / {row.channel}"
        return one_line(name, 40)
    if key in COUNTS:
        return str(getattr(row, key))
    if key == EDIT_DISTANCE:
        edits = row.edit_distance
        return "-" if edits.median is None else f"{edits.median:g} words ({edits.count})"
    figure = row.figures[key]
    if isinstance(figure, Duration):
        waiting = f", {figure.waiting} wait." if figure.waiting else ""  # (FORMS)
        if key in (FULL_RESOLUTION, HANDLE):
            return f"{duration_text(figure.median)} ({figure.count}{waiting})"
        return (
            f"{duration_text(figure.median)}/{duration_text(figure.p90)} ({figure.count}{waiting})"
        )
    if key in TEAM_ONLY and row.agent != TEAM:
        return "team only"
    percent = "-" if figure.percent is None else f"{figure.percent:g}%"
    if key == FCR and figure.provisional:
        return f"{percent} ({figure.count}, {figure.provisional} prov.)"
    return f"{percent} ({figure.count})"


def change(row: StatsRow, before: StatsRow | None, key: str) -> tuple[str, bool | None]:
    """How a cell's figure moved since ``before`` (the same row in the previous period):
    ``+12m``, ``-3.2 pt``, ``+4``, and whether that is better (None: neither, or unknown)."""
    if (
        before is None
        or key in ("agent", EDIT_DISTANCE)
        or (key in TEAM_ONLY and row.agent != TEAM)
    ):
        return "", None
    if key in COUNTS:
        now, then = getattr(row, key), getattr(before, key)
        return (f"{now - then:+d}" if now != then else "±0"), None
    figure, old = row.figures[key], before.figures[key]
    if isinstance(figure, Duration) and isinstance(old, Duration):
        if figure.median is None or old.median is None:
            return "", None
        moved = figure.median - old.median
        text = ("+" if moved > 0 else "-" if moved < 0 else "±") + duration_text(abs(moved))
        return text, None if not moved else moved < 0
    if isinstance(figure, Rate) and isinstance(old, Rate):
        if figure.percent is None or old.percent is None:
            return "", None
        moved = round(figure.percent - old.percent, 1)
        better = None if not moved else (moved < 0) == (key in LOWER_IS_BETTER)
        return (f"{moved:+g} pt" if moved else "±0 pt"), better
    return "", None


def to_table(rows: list[StatsRow], period: Period, basis: str, note: str = "") -> str:
    """An aligned plain-text table with a heading line (and a note when given)."""
    lines = [f"Stats {period.label} ({basis} time; {FORMS})"]
    grid = [[header for header, _ in COLUMNS]] + [
        [cell(row, key) for _, key in COLUMNS] for row in rows
    ]
    lines += aligned(grid)
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


def as_dict(row: StatsRow, period: Period, basis: str, mean: bool = False) -> dict[str, object]:
    """One row as JSON-ready data: metric names as keys, durations in seconds."""
    data: dict[str, object] = {
        "agent": row.agent,
        "channel": row.channel,
        "since": period.since_iso,
        "until": period.until_iso,
        "time": basis,
        "conversations": row.conversations,
        "replies": row.replies,
        REWRITES: row.rewrites_used,
        ARTICLES: row.articles_inserted,
    }
    for metric in DURATIONS:
        figure = row.durations[metric]
        item: dict[str, object] = {
            "count": figure.count,
            "median": figure.median,
            "p90": figure.p90,
        }
        if mean:
            item["mean"] = figure.mean
        if metric in (FRT, REPLY_TIME):
            item["waiting"] = figure.waiting
        data[metric] = item
    for metric in RATES:
        ratio = row.rates[metric]
        item = {"count": ratio.count, HITS[metric]: ratio.hits, "percent": ratio.percent}
        if metric == FCR:
            item["provisional"] = ratio.provisional
        if metric == AS_IS:
            item["edited"] = ratio.count - ratio.hits
        data[metric] = item
    edits = row.edit_distance
    data[EDIT_DISTANCE] = {"count": edits.count, "median": edits.median, "p90": edits.p90}
    return data


def to_json(rows: list[StatsRow], period: Period, basis: str, mean: bool = False) -> str:
    return json.dumps([as_dict(row, period, basis, mean) for row in rows], indent=2) + "\n"


def to_csv(rows: list[StatsRow], period: Period, basis: str, mean: bool = False) -> str:
    """One line per row; nested figures flattened as ``metric_field`` columns."""
    flat = []
    for row in rows:
        line: dict[str, object] = {}
        for key, value in as_dict(row, period, basis, mean).items():
            if isinstance(value, dict):
                line.update({f"{key}_{name}": item for name, item in value.items()})
            else:
                line[key] = value
        flat.append(line)
    out = io.StringIO()
    header = list(flat[0]) if flat else _header(period, basis, mean)
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def _header(period: Period, basis: str, mean: bool) -> list[str]:
    """CSV columns when there is no row to take them from."""
    empty = summarize_one("", None, [])
    return [
        f"{key}_{name}" if isinstance(value, dict) else key
        for key, value in as_dict(empty, period, basis, mean).items()
        for name in (value if isinstance(value, dict) else [None])
    ]
