"""Queries behind the metrics (docs/metrics.md): the event log cut into cycles and waits.

Every query reads the append-only ``events`` table (plus the conversation's uid, channel
and customer). Times come back as UTC epoch seconds. Nothing here depends on the
metrics settings (FCR window, idle cut-off is a parameter of one query only), so
changing a setting recomputes from the same rows.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from agentdesk import clock
from agentdesk.domain import EventKind
from agentdesk.store.database import Database, Row
from agentdesk.store.dialect import Dialect
from agentdesk.store.schema import DERIVED_CONVERSATION_KEY, KEYS_VERSION

# The events that shape cycles, each conversation in order. ``k`` is one of: created,
# in (a substantive inbound), reply, resolved (status -> resolved), reopen (status change
# out of resolved). A reopen sorts before other events of the same second, because the
# inbound that reopens a conversation is logged in the same second just before it.
# ``{to}``, ``{from_}`` and ``{auto}`` are the dialect's reads of the event payload.
_SEQUENCE = """
WITH scope AS MATERIALIZED (
    SELECT DISTINCT conversation_id AS cid FROM events
    WHERE kind IN ('created', 'inbound', 'reply', 'status') AND at >= :since AND at < :until
),
ev AS (
    SELECT e.conversation_id AS cid, e.id, e.at, e.agent,
        CASE e.kind WHEN 'inbound' THEN 'in'
            WHEN 'status' THEN CASE WHEN {to} = 'resolved' THEN 'resolved' ELSE 'reopen' END
            ELSE e.kind END AS k
    FROM scope JOIN events e ON e.conversation_id = scope.cid
    WHERE e.kind IN ('created', 'inbound', 'reply', 'status') AND (
        e.kind IN ('created', 'reply')
        OR (e.kind = 'inbound' AND {auto} = 0)
        OR (e.kind = 'status' AND ({to} = 'resolved' OR {from_} = 'resolved')))
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
)
"""

_WAITS_AND_RESOLVES = (
    _SEQUENCE
    + """
SELECT 'wait' AS row, w.cid, c.uid, c.channel, w.cycle, w.first,
    unixepoch(w.wait_at) AS start, unixepoch(w.reply_at) AS end, w.agent,
    NULL AS replies, NULL AS created, NULL AS last_cycle, NULL AS first_reply,
    NULL AS first_agent, NULL AS late_inbound, NULL AS reopen, NULL AS next_contact
FROM waits w JOIN conversations c ON c.id = w.cid
WHERE w.wait_at IS NOT NULL AND (
    (w.reply_at >= :since AND w.reply_at < :until)
    OR (w.reply_at IS NULL AND w.resolved = 0 AND w.wait_at >= :since AND w.wait_at < :until))
UNION ALL
SELECT 'resolve', r.cid, c.uid, c.channel, r.cycle, NULL,
    unixepoch(r.cycle_start), unixepoch(r.at), r.agent,
    r.replies, unixepoch(r.conv_start), r.last_cycle,
    unixepoch(w0.reply_at), w0.agent, unixepoch(w1.wait_at), unixepoch(ro.start_at),
    CASE WHEN r.cycle = 0 THEN (
        SELECT unixepoch(min(o.created_at)) FROM conversations o
        WHERE o.customer_id = c.customer_id AND o.created_at > r.at AND o.id != r.cid
          AND EXISTS (SELECT 1 FROM events oc WHERE oc.conversation_id = o.id
                      AND {oc_kind} = 'created' AND oc.agent IS NULL)) END
FROM res r JOIN conversations c ON c.id = r.cid
LEFT JOIN waits w0 ON r.cycle = 0 AND w0.cid = r.cid AND w0.cycle = 0 AND w0.rb = 0
    AND w0.wait_at IS NOT NULL AND w0.first = 1
LEFT JOIN waits w1 ON r.cycle = 0 AND w1.cid = r.cid AND w1.cycle = 0 AND w1.rb = 1
LEFT JOIN starts ro ON r.cycle = 0 AND ro.cid = r.cid AND ro.cycle = 1
WHERE r.at >= :since AND r.at < :until
"""
)


@cache
def waits_and_resolves_sql(dialect: Dialect) -> str:
    """The cycle query (``MetricQueries.waits_and_resolves``) in ``dialect``."""
    return (
        _WAITS_AND_RESOLVES.replace("{to}", dialect.json_text("e.payload", "to"))
        .replace("{from_}", dialect.json_text("e.payload", "from"))
        .replace("{auto}", dialect.json_flag("e.payload", "auto"))
        .replace("{oc_kind}", dialect.by_conversation("oc.kind"))
    )


# Correlated subqueries compare ``dialect.by_conversation("kind")`` so that SQLite looks
# them up by conversation (events_conversation_at) instead of scanning every event of
# that kind; PostgreSQL plans them well with the plain column.


class MetricQueries:
    """Rows the metrics package turns into figures (see agentdesk/metrics)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def waits_and_resolves(self, since: str, until: str) -> list[Row]:
        """Waits (first response / reply time / still waiting) and resolves in the period.

        ``wait`` rows: a wait started by a substantive inbound (``start``) and ended by a
        qualifying reply (``end``, ``agent``) in the period, or not answered at all (then
        ``end`` is NULL and the wait started in the period). ``first`` marks a cycle's
        first response. ``resolve`` rows: every ``status -> resolved`` in the period with
        its cycle start, resolver, replies so far (``replies``), the conversation start
        (``created``) and, for a first cycle, what FCR needs: its first reply and agent
        (when the cycle began with a substantive inbound), the first substantive inbound
        after that reply (``late_inbound``), the reopen that ended it (``reopen``) and the
        customer's next self-opened conversation (``next_contact``).
        """
        settings = self.db.dialect.cycle_settings()
        sql = waits_and_resolves_sql(self.db.dialect)
        if not settings:
            with self.db.read() as conn:
                return conn.execute(sql, {"since": since, "until": until}).fetchall()
        with self.db.transaction() as conn:  # SET LOCAL lasts until its COMMIT
            for statement in settings:
                conn.execute(statement)
            return conn.execute(sql, {"since": since, "until": until}).fetchall()

    def replies(self, since: str, until: str) -> list[Row]:
        """Qualifying replies in the period, per agent and conversation."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.agent, e.conversation_id AS cid, c.uid, c.channel, count(*) AS n,"
                " unixepoch(min(e.at)) AS first, unixepoch(max(e.at)) AS last"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind = 'reply' AND e.at >= ? AND e.at < ?"
                " GROUP BY e.agent, e.conversation_id, c.uid, c.channel",
                (since, until),
            ).fetchall()

    def assisted_replies(self, since: str, until: str) -> list[Row]:
        """Every reply event in the period with its assist payload (``ai_assisted``,
        ``edit_distance``)."""
        dialect = self.db.dialect
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.agent, e.conversation_id AS cid, c.uid, c.channel,"
                f" unixepoch(e.at) AS at, {dialect.json_flag('e.payload', 'ai_assisted')}"
                f" AS assisted, {dialect.json_number('e.payload', 'edit_distance')} AS distance"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind = 'reply' AND e.at >= ? AND e.at < ?",
                (since, until),
            ).fetchall()

    def assist_uses(self, since: str, until: str) -> list[Row]:
        """Rewrites used and articles inserted in the period (their events, payload as
        stored)."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.kind, e.agent, e.conversation_id AS cid, c.uid, c.channel,"
                " unixepoch(e.at) AS at, e.payload"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind IN (?, ?) AND e.at >= ? AND e.at < ?",
                (str(EventKind.REWRITE_USED), str(EventKind.ARTICLE_INSERTED), since, until),
            ).fetchall()

    def created(self, since: str, until: str) -> list[Row]:
        """Conversations created in the period, with their first qualifying reply if any."""
        kind = self.db.dialect.by_conversation("kind")
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.conversation_id AS cid, c.uid, c.channel, unixepoch(e.at) AS at,"
                " r.agent, unixepoch(r.at) AS reply_at"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " LEFT JOIN events r ON r.id = (SELECT id FROM events"
                f"   WHERE conversation_id = e.conversation_id AND {kind} = 'reply'"
                "   ORDER BY at, id LIMIT 1)"
                " WHERE e.kind = 'created' AND e.at >= ? AND e.at < ?",
                (since, until),
            ).fetchall()

    def csat(self, since: str, until: str, kind: str = "csat") -> list[Row]:
        """Ratings in the period with the agent of the latest resolve before each (and
        the payload: a survey answer's comment); ``kind="ces"``: effort scores."""
        dialect = self.db.dialect
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.conversation_id AS cid, c.uid, c.channel, unixepoch(e.at) AS at,"
                f" {dialect.json_number('e.payload', 'rating')} AS rating, e.payload, r.agent,"
                " unixepoch(r.at) AS resolved_at"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " LEFT JOIN events r ON r.id = (SELECT id FROM events"
                "   WHERE conversation_id = e.conversation_id"
                f" AND {dialect.by_conversation('kind')} = 'status'"
                f"   AND at <= e.at AND {dialect.json_text('payload', 'to')} = 'resolved'"
                "   ORDER BY at DESC, id DESC LIMIT 1)"
                " WHERE e.kind = ? AND e.at >= ? AND e.at < ?",
                (kind, since, until),
            ).fetchall()

    def surveys(self, since: str, until: str) -> list[Row]:
        """Surveys sent in the period (``at``, ISO; ``survey``: the sent event's payload
        naming its kind) with the resolver they credit (``agent``) and their CSAT answer,
        if one came: its time (``answered``) and payload."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT s.conversation_id AS cid, c.uid, c.channel, s.agent, s.at,"
                " s.payload AS survey, a.at AS answered, a.payload"
                " FROM events s JOIN conversations c ON c.id = s.conversation_id"
                " LEFT JOIN events a ON a.conversation_id = s.conversation_id"
                "   AND a.kind = 'csat' AND a.message_id = s.message_id"
                " WHERE s.kind = 'survey_sent' AND s.at >= ? AND s.at < ?"
                " ORDER BY s.at, s.id",
                (since, until),
            ).fetchall()

    def handle(self, since: str, until: str, cutoff: float) -> list[Row]:
        """Focus intervals that start in the period, summed per agent and conversation.

        An interval runs from ``viewed {focus: true}`` to the same agent's next ``viewed``
        event on that conversation when that one is ``focus: false`` (leave, idle, exit);
        an interval with no such end counts ``cutoff`` seconds at most.
        """
        focus = self.db.dialect.json_flag("e.payload", "focus")
        day_after = clock.to_iso(clock.parse_iso(until) + timedelta(days=1))
        with self.db.read() as conn:
            return conn.execute(
                "SELECT v.agent, v.cid, c.uid, c.channel, count(*) AS intervals,"
                " min(v.t) AS first, max(v.t) AS last,"
                " sum(CASE WHEN v.next_focus = 0 THEN v.next_t - v.t"
                "   WHEN v.next_t - v.t < :cutoff THEN v.next_t - v.t ELSE :cutoff END) AS seconds"
                " FROM (SELECT e.agent, e.conversation_id AS cid, e.at, unixepoch(e.at) AS t,"
                f"   {focus} AS focus, lead(unixepoch(e.at)) OVER w AS next_t,"
                f"   lead({focus}) OVER w AS next_focus"
                "   FROM events e WHERE e.kind = 'viewed' AND e.at >= :since AND e.at < :day_after"
                "   WINDOW w AS (PARTITION BY e.conversation_id, e.agent ORDER BY e.at, e.id)) v"
                " JOIN conversations c ON c.id = v.cid"
                " WHERE v.focus = 1 AND v.at < :until AND v.agent IS NOT NULL"
                " GROUP BY v.agent, v.cid, c.uid, c.channel",
                {"since": since, "until": until, "day_after": day_after, "cutoff": cutoff},
            ).fetchall()

    def known_agent(self, name: str) -> bool:
        """Whether ``name`` is an agent of this desk or appears in its event log."""
        with self.db.read() as conn:
            return bool(
                conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM agents WHERE name = ?)"
                    " OR EXISTS (SELECT 1 FROM events WHERE agent = ?)",
                    (name, name),
                ).fetchone()[0]
            )

    def keys(self) -> dict[str, int]:
        """Every conversation's key and id (to count a conversation once across files)."""
        key = "c.key" if self.db.version >= KEYS_VERSION else DERIVED_CONVERSATION_KEY
        with self.db.read() as conn:
            return {r[0]: r[1] for r in conn.execute(f"SELECT {key}, c.id FROM conversations c")}

    def event_counts(self, ids: list[int]) -> dict[int, int]:
        """How many events each of these conversations has in this file."""
        result: dict[int, int] = {}
        with self.db.read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                result.update(
                    conn.execute(
                        f"SELECT conversation_id, count(*) FROM events"
                        f" WHERE conversation_id IN ({marks}) GROUP BY conversation_id",
                        chunk,
                    )
                )
        return result
