"""Facts: one figure's worth of evidence each (a wait, a resolve, a rating …).

The store hands over rows cut from the event log; this module applies the definitions
of docs/metrics.md to them (which wait is a first response, whether an FCR holds, who is
credited). Aggregation (medians, rates, per agent / channel) is in ``aggregate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from agentdesk import clock
from agentdesk.domain import EventKind
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.text import one_line

if TYPE_CHECKING:
    from agentdesk.store import Store
    from agentdesk.store.metrics import PeriodReads

FRT = "first_response_time"
REPLY_TIME = "reply_time"
RESOLUTION = "resolution_time"
FULL_RESOLUTION = "full_resolution_time"
FCR = "fcr"
ONE_TOUCH = "one_touch_rate"
REOPEN = "reopen_rate"
HANDLE = "handle_time"
ANSWERED = "answered_rate"
CSAT = "csat"
CSAT_RESPONSE = "csat_response_rate"  # surveys answered / surveys sent
CES = "ces"  # effort scores of 5 to 7 (easy) / all, from the optional second question
EASY_CES = 5
ASSISTED = "assisted_rate"
AS_IS = "accepted_as_is_rate"
EDIT_DISTANCE = "edit_distance"  # words an agent changed in an assist draft (not seconds)
REPLIES = "replies"
REWRITES = "rewrites_used"  # assist rewrites accepted into the composer (a count)
ARTICLES = "articles_inserted"  # KB articles (answer or link) put in the composer (a count)
# Counts: a figure is how many facts there are (each is one use).
USES = {EventKind.REWRITE_USED: REWRITES, EventKind.ARTICLE_INSERTED: ARTICLES}

# Durations whose business-time variant is meaningful (handle time is calendar only).
BUSINESS_DURATIONS = (FRT, REPLY_TIME, RESOLUTION, FULL_RESOLUTION)
DURATIONS = (*BUSINESS_DURATIONS, HANDLE)
RATES = (FCR, ONE_TOUCH, REOPEN, ANSWERED, CSAT, CSAT_RESPONSE, CES, ASSISTED, AS_IS)
METRICS = (*DURATIONS, *RATES, EDIT_DISTANCE, REPLIES, REWRITES, ARTICLES)
# The period query (``store.metrics.PeriodReads``) each metric's facts are built from.
_CYCLES = (FRT, REPLY_TIME, RESOLUTION, FULL_RESOLUTION, FCR, ONE_TOUCH, REOPEN)
SOURCE_QUERY = {
    **dict.fromkeys(_CYCLES, "waits_and_resolves"),
    **dict.fromkeys((REPLIES, ASSISTED, AS_IS, EDIT_DISTANCE), "replies"),
    **dict.fromkeys((REWRITES, ARTICLES), "assist_uses"),
    ANSWERED: "created",
    CSAT: "csat",
    CES: "ces",
    CSAT_RESPONSE: "surveys",
    HANDLE: "handle",
}


class Fact(NamedTuple):
    """One contribution to one metric (a tuple: a 30-day report on 1M messages makes
    70,000 of them, and a frozen dataclass took 0.2 s of CPU to build them).

    ``value`` is seconds for durations, 1/0 for rates, a count for ``replies``, None for
    a wait with no reply yet. ``start``/``end`` are the epoch seconds of the two events the
    figure is measured between (``what`` names them); ``end`` also places the fact in the
    period unless the fact is a waiting one. ``agent`` is None for team-only facts.
    """

    metric: str
    agent: str | None
    channel: str
    uid: str
    conversation_id: int
    start: int | None
    end: int | None
    value: float | None
    what: str
    state: str = ""
    source: int = 0


def build_facts(
    store: Store,
    period: Period,
    settings: MetricsSettings,
    now: float,
    source: int = 0,
    metrics: Iterable[str] | None = None,
) -> list[Fact]:
    """Every fact placed in ``period`` from one desk database (with ``metrics``, at least
    theirs: only the queries they come from are read)."""
    only = None if metrics is None else {SOURCE_QUERY[metric] for metric in metrics}
    reads = store.metrics.read_period(
        period.since_iso, period.until_iso, settings.idle_cutoff_seconds, only
    )
    try:
        return _facts(reads, settings, now, source)
    finally:
        reads.cancel()  # after an error, the queries not started yet do not run


def _facts(reads: PeriodReads, settings: MetricsSettings, now: float, source: int) -> list[Fact]:
    """The facts of the period's rows, built from each query's as they arrive."""
    facts: list[Fact] = []
    add, add_all = facts.append, facts.extend
    last_resolve: dict[int, Any] = {}  # conversation id -> its latest resolve row
    for row in reads.waits_and_resolves.result():
        if row["row"] == "wait":
            metric = FRT if row["first"] else REPLY_TIME
            if row["end"] is None:
                add(
                    Fact(
                        metric,
                        None,
                        row["channel"],
                        row["uid"],
                        row["cid"],
                        row["start"],
                        None,
                        None,
                        "inbound -> (no reply yet)",
                        "waiting",
                        source,
                    )
                )
            else:
                add(
                    Fact(
                        metric,
                        row["agent"],
                        row["channel"],
                        row["uid"],
                        row["cid"],
                        row["start"],
                        row["end"],
                        row["end"] - row["start"],
                        "inbound -> reply",
                        "",
                        source,
                    )
                )
            continue
        add(
            Fact(
                RESOLUTION,
                row["agent"],
                row["channel"],
                row["uid"],
                row["cid"],
                row["start"],
                row["end"],
                row["end"] - row["start"],
                "cycle start -> resolved" if row["cycle"] else "created -> resolved",
                f"cycle {row['cycle'] + 1}",
                source,
            )
        )
        previous = last_resolve.get(row["cid"])
        if previous is None or row["end"] > previous["end"]:
            last_resolve[row["cid"]] = row
        if row["cycle"] == 0 and row["first_reply"] is not None:
            add(_fcr(row, settings, now, source))
    for row in last_resolve.values():
        agent, channel, uid, cid = row["agent"], row["channel"], row["uid"], row["cid"]
        add(
            Fact(
                FULL_RESOLUTION,
                agent,
                channel,
                uid,
                cid,
                row["created"],
                row["end"],
                row["end"] - row["created"],
                "created -> last resolved",
                "",
                source,
            )
        )
        add(
            Fact(
                ONE_TOUCH,
                agent,
                channel,
                uid,
                cid,
                row["created"],
                row["end"],
                float(row["replies"] == 1),
                "created -> resolved",
                f"{row['replies']} replies",
                source,
            )
        )
        reopened = row["last_cycle"] > 0
        add(
            Fact(
                REOPEN,
                agent,
                channel,
                uid,
                cid,
                row["created"],
                row["end"],
                float(reopened),
                "created -> resolved",
                f"reopened {row['last_cycle']}x" if reopened else "not reopened",
                source,
            )
        )
    replies = reads.replies.result()
    add_all(_reply_counts(replies, source))
    for row in replies:
        assisted = bool(row["assisted"])
        distance = row["distance"]
        what = "reply drafted with assist" if assisted else "reply written without assist"
        add(_instant(ASSISTED, row, float(assisted), what, "", source))
        if assisted and distance is not None:
            what = "assist draft sent as it was" if distance == 0 else "assist draft edited"
            add(
                _instant(
                    AS_IS, row, float(distance == 0), what, f"{distance} word(s) edited", source
                )
            )
            what = "words inserted, deleted or replaced in the assist draft"
            add(_instant(EDIT_DISTANCE, row, float(distance), what, "", source))
    for row in reads.assist_uses.result():
        payload = json.loads(row["payload"])
        if row["kind"] == EventKind.REWRITE_USED:  # state: "concise (model)"
            what, keys = "rewrite accepted into the composer", ("tone", "by")
        else:  # "billing/refunds (answer)"
            what, keys = "article put in the composer", ("article", "as")
        state = one_line(f"{payload.get(keys[0], '')} ({payload.get(keys[1], '')})", 200)
        add(_instant(USES[EventKind(row["kind"])], row, 1.0, what, state, source))
    for row in reads.created.result():
        answered = row["reply_at"] is not None
        add(
            Fact(
                ANSWERED,
                None,
                row["channel"],
                row["uid"],
                row["cid"],
                row["at"],
                row["reply_at"],
                float(answered),
                "created -> first reply" if answered else "created (no reply)",
                f"answered by {row['agent']}" if answered else "unanswered",
                source,
            )
        )
    # CSAT (4-5 of 5 is positive) and the optional effort question (5-7 of 7 is easy).
    for metric, good, between, what, ratings in (
        (CSAT, 4, "resolved -> rating", "", reads.csat),
        (CES, EASY_CES, "resolved -> effort score", "effort ", reads.ces),
    ):
        for row in ratings.result():
            rating = int(row["rating"])
            add(
                Fact(
                    metric,
                    row["agent"],
                    row["channel"],
                    row["uid"],
                    row["cid"],
                    row["resolved_at"],
                    row["at"],
                    float(rating >= good),
                    between,
                    _rating_state(rating, json.loads(row["payload"]), what),
                    source,
                )
            )
    for row in reads.surveys.result():
        if json.loads(row["survey"]).get("survey") != CSAT:
            continue  # the effort question has no response rate of its own
        sent = _epoch(row["at"])
        answer = json.loads(row["payload"]) if row["answered"] else None
        add(
            Fact(
                CSAT_RESPONSE,
                row["agent"] or None,
                row["channel"],
                row["uid"],
                row["cid"],
                sent,
                _epoch(row["answered"]) if answer is not None else sent,
                float(answer is not None),
                "survey sent -> answer" if answer is not None else "survey sent (no answer)",
                _rating_state(answer["rating"], answer) if answer is not None else "unanswered",
                source,
            )
        )
    for row in reads.handle.result():
        add(
            Fact(
                HANDLE,
                row["agent"],
                row["channel"],
                row["uid"],
                row["cid"],
                row["first"],
                row["last"],
                float(row["seconds"]),
                "focus intervals",
                f"{row['intervals']} intervals",
                source,
            )
        )
    return facts


def _reply_counts(replies: list[Any], source: int) -> list[Fact]:
    """One ``replies`` fact per agent and conversation: how many of the period's reply
    events (counted here from the rows the assist facts read anyway, not by a query of
    their own), from the first to the last."""
    groups: dict[tuple[str | None, int], list[Any]] = {}  # -> [row, count, first, last]
    for row in replies:
        at, group = row["at"], groups.get((row["agent"], row["cid"]))
        if group is None:
            groups[row["agent"], row["cid"]] = [row, 1, at, at]
        else:
            group[1] += 1
            group[2], group[3] = min(group[2], at), max(group[3], at)
    return [
        Fact(
            REPLIES,
            agent,
            row["channel"],
            row["uid"],
            cid,
            first,
            last,
            float(count),
            "first -> last reply in period",
            "",
            source,
        )
        for (agent, cid), (row, count, first, last) in groups.items()
    ]


def _instant(metric: str, row: Any, value: float, what: str, state: str, source: int) -> Fact:
    """A fact about one event (a reply's assist payload, an assist use): it starts and
    ends at the event."""
    return Fact(
        metric,
        row["agent"],
        row["channel"],
        row["uid"],
        row["cid"],
        row["at"],
        row["at"],
        value,
        what,
        state,
        source,
    )


def _rating_state(rating: int, payload: dict[str, Any], what: str = "") -> str:
    """``rating 2: "nobody answered"`` (a survey answer's comment, when it has one, as one
    clean line: it is the customer's text); ``what`` goes first (``effort rating 6``)."""
    comment = one_line(payload.get("comment"), 300)
    return f'{what}rating {rating}: "{comment}"' if comment else f"{what}rating {rating}"


def _epoch(iso: str) -> int:
    return int(clock.parse_iso(iso).timestamp())


def _fcr(row: Any, settings: MetricsSettings, now: float, source: int) -> Fact:
    """First contact resolution of a conversation whose first cycle resolved in the period."""
    resolved, window = row["end"], settings.fcr_window_seconds
    reasons = []
    if row["replies"] != 1:
        reasons.append(f"{row['replies']} replies")
    if row["late_inbound"] is not None:
        reasons.append("customer wrote again before the resolve")
    if row["reopen"] is not None and row["reopen"] - resolved <= window:
        reasons.append("reopened within the window")
    if (
        settings.fcr_cross_channel
        and row["next_contact"] is not None
        and row["next_contact"] - resolved <= window
    ):
        reasons.append("customer opened another conversation within the window")
    if reasons:
        state = "failure: " + ", ".join(reasons)
    elif now < resolved + window:
        state = "provisional"
    else:
        state = "success"
    return Fact(
        FCR,
        row["first_agent"],
        row["channel"],
        row["uid"],
        row["cid"],
        row["first_reply"],
        resolved,
        float(not reasons),
        "first reply -> resolved",
        state,
        source,
    )
