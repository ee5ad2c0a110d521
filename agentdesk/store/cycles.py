"""The event log cut into cycles and waits (docs/metrics.md), and the table that keeps them.

One SQL text computes, for a scope of conversations, every wait (an inbound answered by
a reply, or not answered yet) and every resolve with what the metrics need of its cycle
(``cycle_rows``). What it computes for a conversation depends on that conversation's
events only, so the desk keeps the result in ``metric_cycles`` (migration 17): a
trigger on ``events`` notes each conversation whose cycle events grew in
``metric_dirty``; ``refresh`` recomputes those. The metrics read the kept rows of the
clean conversations placed in the period (``placed_at``, indexed) and compute the dirty
ones live, in the same statement, so a figure never waits for a refresh and never
differs from the live computation. What depends on other conversations (the customer's
next self-opened conversation, for FCR) and on the conversation row (uid, channel) is
always read live.
"""

from __future__ import annotations

from functools import cache

from agentdesk.store.dialect import Dialect

CYCLE_KINDS = "('created', 'inbound', 'reply', 'status')"

# Migration 17's tables, the same SQL on both engines (the trigger is each engine's own).
# ``metric_refresh`` is one row, locked by a refresh so that refreshes go one at a time.
METRIC_CYCLES_TABLES = """
    CREATE TABLE metric_cycles (
        conversation_id BIGINT NOT NULL REFERENCES conversations(id),
        kind TEXT NOT NULL CHECK (kind IN ('wait', 'resolve')),
        placed_at TEXT NOT NULL,
        cycle BIGINT NOT NULL,
        is_first INTEGER,
        started BIGINT,
        ended BIGINT,
        agent TEXT,
        replies BIGINT,
        created BIGINT,
        last_cycle BIGINT,
        first_reply BIGINT,
        first_agent TEXT,
        late_inbound BIGINT,
        reopen BIGINT
    );
    CREATE INDEX metric_cycles_placed ON metric_cycles(placed_at);
    CREATE INDEX metric_cycles_conversation ON metric_cycles(conversation_id);
    CREATE TABLE metric_dirty (conversation_id BIGINT NOT NULL);
    CREATE INDEX metric_dirty_conversation ON metric_dirty(conversation_id);
    CREATE TABLE metric_refresh (id INTEGER PRIMARY KEY CHECK (id = 1), refreshed_at TEXT);
    INSERT INTO metric_refresh (id) VALUES (1);
"""


# The events that shape cycles, each conversation in order. ``k`` is one of: created,
# in (a substantive inbound), reply, resolved (status -> resolved), reopen (status change
# out of resolved). A reopen sorts before other events of the same second, because the
# inbound that reopens a conversation is logged in the same second just before it.
# ``{scope}`` selects the conversations (``cid``); ``{to}``, ``{from_}`` and ``{auto}``
# are the dialect's reads of the event payload.
_SEQUENCE = f"""
WITH scope AS MATERIALIZED ({{scope}}),
ev AS (
    SELECT e.conversation_id AS cid, e.id, e.at, e.agent,
        CASE e.kind WHEN 'inbound' THEN 'in'
            WHEN 'status' THEN CASE WHEN {{to}} = 'resolved' THEN 'resolved' ELSE 'reopen' END
            ELSE e.kind END AS k
    FROM scope JOIN events e ON e.conversation_id = scope.cid
    WHERE e.kind IN {CYCLE_KINDS} AND (
        e.kind IN ('created', 'reply')
        OR (e.kind = 'inbound' AND {{auto}} = 0)
        OR (e.kind = 'status' AND ({{to}} = 'resolved' OR {{from_}} = 'resolved')))
),
seq AS MATERIALIZED (
    -- One ordered pass per conversation, one running sum packing three counters:
    -- ``cycle`` (reopens so far), ``post`` (1 from the cycle's resolve on: a cycle has at
    -- most one resolve and cycle c starts after the c-th resolve) and ``rb`` (replies
    -- before the row).
    SELECT cid, id, at, agent, k, packed % 1048576 AS cycle,
        (packed >> 20) % 1048576 - packed % 1048576 AS post,
        (packed >> 40) - CASE WHEN k = 'reply' THEN 1 ELSE 0 END AS rb
    FROM (SELECT ev.*, CAST(sum(CASE k WHEN 'reopen' THEN 1 WHEN 'resolved' THEN 1048576
                                       WHEN 'reply' THEN 1099511627776 ELSE 0 END)
                    OVER (PARTITION BY cid ORDER BY at, CASE WHEN k = 'reopen' THEN 0 ELSE 1 END,
                          id) AS BIGINT) AS packed
          FROM ev) AS running
),
groups AS MATERIALIZED (
    -- Before a cycle's resolve: the substantive inbounds after the rb-th reply, the
    -- (rb+1)-th reply, and (in the group holding it) the cycle's start. ``resolved``
    -- marks the group the cycle's resolve came in (its last one).
    SELECT cid, cycle, rb,
        min(CASE WHEN k = 'in' AND post = 0 THEN at END) AS wait_at,
        min(CASE WHEN k = 'reply' AND post = 0 THEN at END) AS reply_at,
        max(CASE WHEN k = 'reply' AND post = 0 THEN agent END) AS agent,
        min(CASE WHEN k IN ('created', 'reopen') THEN at END) AS start_at,
        max(CASE WHEN k = 'resolved' THEN 1 ELSE 0 END) AS resolved
    FROM seq GROUP BY cid, cycle, rb
),
waits AS MATERIALIZED (
    -- A wait is the cycle's first response when no reply came since the cycle began.
    SELECT groups.*, CASE WHEN rb = min(rb) OVER (PARTITION BY cid, cycle) THEN 1 ELSE 0 END
        AS first FROM groups
),
starts AS MATERIALIZED (SELECT cid, cycle, start_at FROM groups WHERE start_at IS NOT NULL),
res AS MATERIALIZED (
    SELECT s.cid, s.at, s.agent, s.cycle, s.rb AS replies, st.start_at AS cycle_start,
        s0.start_at AS conv_start, n.last_cycle
    FROM seq s LEFT JOIN starts st ON st.cid = s.cid AND st.cycle = s.cycle
    LEFT JOIN starts s0 ON s0.cid = s.cid AND s0.cycle = 0
    JOIN (SELECT cid, max(cycle) AS last_cycle FROM starts GROUP BY cid) n ON n.cid = s.cid
    WHERE s.k = 'resolved'
),
cycle_rows AS (
    -- What ``metric_cycles`` keeps. A wait is placed at its reply, or at its start while
    -- it waits unanswered (one left unanswered by a resolve is never placed); a resolve
    -- at itself. For a first cycle's resolve, FCR's evidence: its first reply and agent
    -- (when the cycle began with a substantive inbound), the first substantive inbound
    -- after that reply (``late_inbound``) and the reopen that ended the cycle.
    SELECT w.cid AS conversation_id, 'wait' AS kind, coalesce(w.reply_at, w.wait_at)
        AS placed_at, w.cycle, w.first AS is_first, unixepoch(w.wait_at) AS started,
        unixepoch(w.reply_at) AS ended, w.agent, NULL AS replies, NULL AS created,
        NULL AS last_cycle, NULL AS first_reply, NULL AS first_agent, NULL AS late_inbound,
        NULL AS reopen
    FROM waits w WHERE w.wait_at IS NOT NULL AND (w.reply_at IS NOT NULL OR w.resolved = 0)
    UNION ALL
    SELECT r.cid, 'resolve', r.at, r.cycle, NULL, unixepoch(r.cycle_start), unixepoch(r.at),
        r.agent, r.replies, unixepoch(r.conv_start), r.last_cycle, unixepoch(w0.reply_at),
        w0.agent, unixepoch(w1.wait_at), unixepoch(ro.start_at)
    FROM res r
    LEFT JOIN waits w0 ON r.cycle = 0 AND w0.cid = r.cid AND w0.cycle = 0 AND w0.rb = 0
        AND w0.wait_at IS NOT NULL AND w0.first = 1
    LEFT JOIN waits w1 ON r.cycle = 0 AND w1.cid = r.cid AND w1.cycle = 0 AND w1.rb = 1
    LEFT JOIN starts ro ON r.cycle = 0 AND ro.cid = r.cid AND ro.cycle = 1
)
"""

COLUMNS = (
    "conversation_id, kind, placed_at, cycle, is_first, started, ended, agent, replies,"
    " created, last_cycle, first_reply, first_agent, late_inbound, reopen"
)

# The rows of ``{source}`` (``cycle_rows`` or ``metric_cycles``) placed in the period,
# as ``MetricQueries.waits_and_resolves`` returns them, with the customer's next
# self-opened conversation after a first cycle's resolve (``next_contact``).
_PLACED = """
SELECT f.kind AS row, f.conversation_id AS cid, c.uid, c.channel, f.cycle, f.is_first AS first,
    f.started AS start, f.ended AS end, f.agent, f.replies, f.created, f.last_cycle,
    f.first_reply, f.first_agent, f.late_inbound, f.reopen,
    CASE WHEN f.kind = 'resolve' AND f.cycle = 0 THEN (
        SELECT unixepoch(min(o.created_at)) FROM conversations o
        WHERE o.customer_id = c.customer_id AND o.created_at > f.placed_at
          AND o.id != f.conversation_id
          AND EXISTS (SELECT 1 FROM events oc WHERE oc.conversation_id = o.id
                      AND {oc_kind} = 'created' AND oc.agent IS NULL)) END AS next_contact
FROM {source} f JOIN conversations c ON c.id = f.conversation_id
WHERE f.placed_at >= :since AND f.placed_at < :until
"""

# Scopes. The conversations with a cycle event in the period (a desk without the table);
# the dirty ones among them (beside the table); given ids (a refresh); all (a rebuild).
_IN_PERIOD = f"""SELECT DISTINCT conversation_id AS cid FROM events
    WHERE kind IN {CYCLE_KINDS} AND at >= :since AND at < :until"""
_DIRTY_IN_PERIOD = f"""SELECT DISTINCT d.conversation_id AS cid FROM metric_dirty d
    WHERE EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = d.conversation_id
                  AND e.kind IN {CYCLE_KINDS} AND e.at >= :since AND e.at < :until)"""
_ALL = "SELECT id AS cid FROM conversations"


def _sequence(dialect: Dialect, scope: str) -> str:
    return (
        _SEQUENCE.replace("{scope}", scope)
        .replace("{to}", dialect.json_text("e.payload", "to"))
        .replace("{from_}", dialect.json_text("e.payload", "from"))
        .replace("{auto}", dialect.json_flag("e.payload", "auto"))
    )


def _placed(dialect: Dialect, source: str) -> str:
    return _PLACED.replace("{source}", source).replace(
        "{oc_kind}", dialect.by_conversation("oc.kind")
    )


@cache
def live_sql(dialect: Dialect) -> str:
    """Waits and resolves placed in ``:since``–``:until``, all computed from the events
    (a desk read at a schema before ``metric_cycles``)."""
    return _sequence(dialect, _IN_PERIOD) + _placed(dialect, "cycle_rows")


@cache
def kept_sql(dialect: Dialect) -> str:
    """The same rows as ``live_sql``: kept ones for clean conversations, live ones for
    the conversations in ``metric_dirty``."""
    clean = (
        " AND NOT EXISTS (SELECT 1 FROM metric_dirty d WHERE d.conversation_id = f.conversation_id)"
    )
    return (
        _sequence(dialect, _DIRTY_IN_PERIOD)
        + _placed(dialect, "cycle_rows")
        + "UNION ALL"
        + _placed(dialect, "metric_cycles")
        + clean
    )


@cache
def insert_sql(dialect: Dialect, ids: int | None) -> str:
    """Insert the ``cycle_rows`` of ``ids`` conversations (``?`` parameters), or of every
    conversation when ``ids`` is None."""
    scope = _ALL if ids is None else f"{_ALL} WHERE id IN ({','.join('?' * ids)})"
    return (
        _sequence(dialect, scope)
        + f"INSERT INTO metric_cycles ({COLUMNS}) SELECT {COLUMNS} FROM cycle_rows"
    )
