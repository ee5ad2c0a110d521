"""Queries behind the metrics (docs/metrics.md): the event log cut into cycles and waits.

Every query reads the append-only ``events`` table (plus the conversation's uid, channel
and customer). Times come back as UTC epoch seconds. Nothing here depends on the
metrics settings (FCR window, idle cut-off is a parameter of one query only), so
changing a setting recomputes from the same rows.
"""

from __future__ import annotations

import sqlite3

# The events that shape cycles, each conversation in order. ``k`` is one of: created,
# in (a substantive inbound), reply, resolved (status -> resolved), reopen (status change
# out of resolved). A reopen sorts before other events of the same second, because the
# inbound that reopens a conversation is logged in the same second just before it.
_SEQUENCE = """
WITH scope AS MATERIALIZED (
    SELECT DISTINCT conversation_id AS cid FROM events
    WHERE kind IN ('created', 'inbound', 'reply', 'status') AND at >= :since AND at < :until
),
ev AS (
    SELECT e.conversation_id AS cid, e.id, e.at, e.agent,
        CASE e.kind WHEN 'inbound' THEN 'in'
            WHEN 'status' THEN iif(e.payload ->> '$.to' = 'resolved', 'resolved', 'reopen')
            ELSE e.kind END AS k
    FROM scope JOIN events e ON e.conversation_id = scope.cid
    WHERE e.kind IN ('created', 'reply')
       OR (e.kind = 'inbound' AND NOT coalesce(e.payload ->> '$.auto', 0))
       OR (e.kind = 'status' AND (e.payload ->> '$.to' = 'resolved'
                                  OR e.payload ->> '$.from' = 'resolved'))
),
cyc AS (
    SELECT *, sum(k = 'reopen') OVER (
        PARTITION BY cid ORDER BY at, k = 'reopen' DESC, id) AS cycle
    FROM ev
),
seq AS MATERIALIZED (
    SELECT cid, id, at, agent, k, cycle,
        coalesce(sum(k = 'reply') OVER (PARTITION BY cid, cycle ORDER BY at, k = 'reopen' DESC, id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS grp,
        sum(k = 'resolved') OVER (PARTITION BY cid, cycle ORDER BY at, k = 'reopen' DESC, id
            ROWS UNBOUNDED PRECEDING) AS post,
        first_value(at) OVER (PARTITION BY cid, cycle ORDER BY at, k = 'reopen' DESC, id)
            AS cycle_start,
        sum(k = 'reply') OVER (PARTITION BY cid ORDER BY at, k = 'reopen' DESC, id
            ROWS UNBOUNDED PRECEDING) AS conv_replies,
        first_value(at) OVER (PARTITION BY cid ORDER BY at, k = 'reopen' DESC, id) AS conv_start,
        max(cycle) OVER (PARTITION BY cid) AS last_cycle
    FROM cyc
),
waits AS MATERIALIZED (
    -- grp g holds the substantive inbounds after the cycle's g-th reply and the (g+1)-th
    -- reply: g = 0 is the first response, g >= 1 a later reply time. Only events before
    -- the cycle's resolve count.
    SELECT cid, cycle, grp,
        min(iif(k = 'in', at, NULL)) AS wait_at,
        min(iif(k = 'reply', at, NULL)) AS reply_at,
        max(iif(k = 'reply', agent, NULL)) AS agent
    FROM seq WHERE post = 0 AND k IN ('in', 'reply')
    GROUP BY cid, cycle, grp
),
res AS MATERIALIZED (SELECT * FROM seq WHERE k = 'resolved')
"""

WAITS_AND_RESOLVES = _SEQUENCE + """
SELECT 'wait' AS row, w.cid, c.uid, c.channel, w.cycle, w.grp,
    unixepoch(w.wait_at) AS start, unixepoch(w.reply_at) AS end, w.agent,
    NULL AS replies, NULL AS created, NULL AS last_cycle, NULL AS first_reply,
    NULL AS first_agent, NULL AS late_inbound, NULL AS reopen, NULL AS next_contact
FROM waits w JOIN conversations c ON c.id = w.cid
LEFT JOIN res r ON r.cid = w.cid AND r.cycle = w.cycle
WHERE w.wait_at IS NOT NULL AND (
    (w.reply_at >= :since AND w.reply_at < :until)
    OR (w.reply_at IS NULL AND r.at IS NULL AND w.wait_at >= :since AND w.wait_at < :until))
UNION ALL
SELECT 'resolve', r.cid, c.uid, c.channel, r.cycle, NULL,
    unixepoch(r.cycle_start), unixepoch(r.at), r.agent,
    r.conv_replies, unixepoch(r.conv_start), r.last_cycle,
    unixepoch(w0.reply_at), w0.agent, unixepoch(w1.wait_at), unixepoch(ro.at),
    iif(r.cycle = 0, (
        SELECT unixepoch(min(o.created_at)) FROM conversations o
        WHERE o.customer_id = c.customer_id AND o.created_at > r.at AND o.id != r.cid
          AND EXISTS (SELECT 1 FROM events oc WHERE oc.conversation_id = o.id
                      AND oc.kind = 'created' AND oc.agent IS NULL)), NULL)
FROM res r JOIN conversations c ON c.id = r.cid
LEFT JOIN waits w0 ON r.cycle = 0 AND w0.cid = r.cid AND w0.cycle = 0 AND w0.grp = 0
    AND w0.wait_at IS NOT NULL
LEFT JOIN waits w1 ON r.cycle = 0 AND w1.cid = r.cid AND w1.cycle = 0 AND w1.grp = 1
LEFT JOIN seq ro ON r.cycle = 0 AND ro.cid = r.cid AND ro.cycle = 1 AND ro.k = 'reopen'
WHERE r.at >= :since AND r.at < :until
"""


class MetricsMixin:
    """Rows the metrics package turns into figures (see agentdesk/metrics)."""

    db: object  # Locked, set by Store

    def metric_waits_and_resolves(self, since: str, until: str) -> list[sqlite3.Row]:
        """Waits (first response / reply time / still waiting) and resolves in the period.

        ``wait`` rows: a wait started by a substantive inbound (``start``) and ended by a
        qualifying reply (``end``, ``agent``) in the period, or not answered at all (then
        ``end`` is NULL and the wait started in the period). ``grp`` 0 is a cycle's
        first response. ``resolve`` rows: every ``status -> resolved`` in the period with
        its cycle start, resolver, replies so far (``replies``), the conversation start
        (``created``) and, for a first cycle, what FCR needs: its first reply and agent
        (when the cycle began with a substantive inbound), the first substantive inbound
        after that reply (``late_inbound``), the reopen that ended it (``reopen``) and the
        customer's next self-opened conversation (``next_contact``).
        """
        with self.db.read() as conn:
            return conn.execute(WAITS_AND_RESOLVES, {"since": since, "until": until}).fetchall()

    def metric_replies(self, since: str, until: str) -> list[sqlite3.Row]:
        """Qualifying replies in the period, per agent and conversation."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.agent, e.conversation_id AS cid, c.uid, c.channel, count(*) AS n,"
                " unixepoch(min(e.at)) AS first, unixepoch(max(e.at)) AS last"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind = 'reply' AND e.at >= ? AND e.at < ?"
                " GROUP BY e.agent, e.conversation_id", (since, until)).fetchall()

    def metric_created(self, since: str, until: str) -> list[sqlite3.Row]:
        """Conversations created in the period, with their first qualifying reply if any."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.conversation_id AS cid, c.uid, c.channel, unixepoch(e.at) AS at,"
                " r.agent, unixepoch(r.at) AS reply_at"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " LEFT JOIN events r ON r.id = (SELECT id FROM events"
                "   WHERE conversation_id = e.conversation_id AND kind = 'reply'"
                "   ORDER BY at, id LIMIT 1)"
                " WHERE e.kind = 'created' AND e.at >= ? AND e.at < ?", (since, until)).fetchall()

    def metric_csat(self, since: str, until: str) -> list[sqlite3.Row]:
        """Ratings in the period with the agent of the latest resolve before each."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT e.conversation_id AS cid, c.uid, c.channel, unixepoch(e.at) AS at,"
                " e.payload ->> '$.rating' AS rating, r.agent, unixepoch(r.at) AS resolved_at"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " LEFT JOIN events r ON r.id = (SELECT id FROM events"
                "   WHERE conversation_id = e.conversation_id AND kind = 'status'"
                "   AND at <= e.at AND payload ->> '$.to' = 'resolved'"
                "   ORDER BY at DESC, id DESC LIMIT 1)"
                " WHERE e.kind = 'csat' AND e.at >= ? AND e.at < ?", (since, until)).fetchall()

    def metric_handle(self, since: str, until: str, cutoff: float) -> list[sqlite3.Row]:
        """Focus intervals that start in the period, summed per agent and conversation.

        An interval runs from ``viewed {focus: true}`` to the same agent's next ``viewed``
        event on that conversation when that one is ``focus: false`` (leave, idle, exit);
        an interval with no such end counts ``cutoff`` seconds at most.
        """
        with self.db.read() as conn:
            return conn.execute(
                "SELECT agent, cid, c.uid, c.channel, count(*) AS intervals,"
                " min(t) AS first, max(t) AS last,"
                " sum(iif(next_focus = 0, next_t - t, min(coalesce(next_t - t, :cutoff), :cutoff)))"
                "   AS seconds"
                " FROM (SELECT e.agent, e.conversation_id AS cid, e.at, unixepoch(e.at) AS t,"
                "   e.payload ->> '$.focus' AS focus,"
                "   lead(unixepoch(e.at)) OVER w AS next_t,"
                "   lead(e.payload ->> '$.focus') OVER w AS next_focus"
                "   FROM events e WHERE e.kind = 'viewed' AND e.at >= :since"
                "   AND e.at < strftime('%Y-%m-%dT%H:%M:%SZ', :until, '+1 day')"
                "   WINDOW w AS (PARTITION BY e.conversation_id, e.agent ORDER BY e.at, e.id))"
                " JOIN conversations c ON c.id = cid"
                " WHERE focus AND at < :until AND agent IS NOT NULL"
                " GROUP BY agent, cid",
                {"since": since, "until": until, "cutoff": cutoff}).fetchall()

    def metric_known_agent(self, name: str) -> bool:
        """Whether ``name`` is an agent of this desk or appears in its event log."""
        with self.db.read() as conn:
            return conn.execute(
                "SELECT EXISTS (SELECT 1 FROM agents WHERE name = ?)"
                " OR EXISTS (SELECT 1 FROM events WHERE agent = ?)", (name, name)).fetchone()[0]

    def metric_uids(self) -> dict[str, int]:
        """Every conversation's uid and id (to count a conversation once across files)."""
        with self.db.read() as conn:
            return dict(conn.execute("SELECT uid, id FROM conversations").fetchall())

    def metric_event_counts(self, ids: list[int]) -> dict[int, int]:
        """How many events each of these conversations has in this file."""
        result: dict[int, int] = {}
        with self.db.read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                result.update(conn.execute(
                    f"SELECT conversation_id, count(*) FROM events"
                    f" WHERE conversation_id IN ({marks}) GROUP BY conversation_id", chunk))
        return result
