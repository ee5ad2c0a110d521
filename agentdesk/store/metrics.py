"""Queries behind the metrics (docs/metrics.md): the event log cut into cycles and waits.

Every query reads the append-only ``events`` table (plus the conversation's uid, channel
and customer), or what ``metric_cycles`` keeps of it (``agentdesk.store.cycles``). Times
come back as UTC epoch seconds. Nothing here depends on the metrics settings (FCR
window, idle cut-off is a parameter of one query only), so changing a setting
recomputes from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from agentdesk import clock
from agentdesk.domain import EventKind
from agentdesk.store import cycles
from agentdesk.store.database import SIDE_READERS, Connection, Database, Row
from agentdesk.store.schema import CYCLES_VERSION, DERIVED_CONVERSATION_KEY, KEYS_VERSION

REFRESH_CHUNK = 500  # conversations recomputed per statement

# Correlated subqueries compare ``dialect.by_conversation("kind")`` so that SQLite looks
# them up by conversation (events_conversation_at) instead of scanning every event of
# that kind; PostgreSQL plans them well with the plain column.


@dataclass(frozen=True)
class PeriodReads:
    """A period's rows, each query's as it is read (see ``MetricQueries`` for each)."""

    waits_and_resolves: Future[list[Row]]
    replies: Future[list[Row]]
    created: Future[list[Row]]
    csat: Future[list[Row]]
    ces: Future[list[Row]]
    surveys: Future[list[Row]]
    assist_uses: Future[list[Row]]
    handle: Future[list[Row]]

    def cancel(self) -> None:
        """Drop the queries not started yet (a failed one made the rest useless)."""
        for name in self.__dataclass_fields__:
            getattr(self, name).cancel()


def _done(query: Callable[[], list[Row]]) -> Future[list[Row]]:
    """``query``'s rows (or its error), read now, as a finished future."""
    future: Future[list[Row]] = Future()
    try:
        future.set_result(query())
    except Exception as error:
        future.set_exception(error)
    return future


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
        dialect = self.db.dialect
        kept = self.db.version >= CYCLES_VERSION
        sql = cycles.kept_sql(dialect) if kept else cycles.live_sql(dialect)
        # The kept rows are read by index; only a computation over many conversations
        # needs the planner told (0.26 s of CPU with the defaults, 0.44 s without nested
        # loops, for 30 days on 1M messages on PostgreSQL).
        with self._read([] if kept else dialect.cycle_settings()) as conn:
            return conn.execute(sql, {"since": since, "until": until}).fetchall()

    def _read(self, settings: list[str] | None = None) -> AbstractContextManager[Connection]:
        """A connection of its own for one period query (they run side by side:
        ``read_period``), with the engine's planner settings for the metrics
        (``dialect.metric_settings``) and ``settings``."""
        return self.db.side_read([*self.db.dialect.metric_settings(), *(settings or [])])

    def read_period(
        self, since: str, until: str, cutoff: float, only: Collection[str] | None = None
    ) -> PeriodReads:
        """Every period query at once (``only``: just the ones named, the others give no
        rows), each in a thread on its own connection; their rows arrive as they are
        read (``Future.result()``), so the caller works on one while the others are
        still read, and cancels the rest if it stops (``cancel``). Side by side, 30 days
        on 1M messages took 0.46-0.50 s instead of 0.69-0.76 s on 2 cores (SQLite). The
        slowest are started first. An in-memory desk, with one connection, reads them
        one after another here."""
        queries: dict[str, Callable[[], list[Row]]] = {
            "waits_and_resolves": partial(self.waits_and_resolves, since, until),
            "handle": partial(self.handle, since, until, cutoff),
            "replies": partial(self.replies, since, until),
            "created": partial(self.created, since, until),
            "csat": partial(self.csat, since, until),
            "ces": partial(self.csat, since, until, "ces"),
            "surveys": partial(self.surveys, since, until),
            "assist_uses": partial(self.assist_uses, since, until),
        }
        skipped = {name: _done(list) for name in queries if only is not None and name not in only}
        wanted = {name: query for name, query in queries.items() if name not in skipped}
        if not self.db.side_by_side:
            return PeriodReads(**skipped, **{name: _done(query) for name, query in wanted.items()})
        pool = ThreadPoolExecutor(SIDE_READERS, thread_name_prefix="metrics")
        try:
            return PeriodReads(**skipped, **{name: pool.submit(q) for name, q in wanted.items()})
        finally:
            pool.shutdown(wait=False)  # its threads end with the last query

    def refresh(self) -> int:
        """Recompute the kept cycles of the conversations noted dirty; how many.

        Only the dirty rows this transaction sees go: one noted by a transaction still
        open stays for the next refresh (its events are not visible here yet).
        """
        with self.db.transaction() as conn:
            # One refresh at a time: the row lock holds a second one on PostgreSQL
            # (SQLite's write transactions are one at a time anyway).
            conn.execute("UPDATE metric_refresh SET refreshed_at = ?", (clock.now_iso(),))
            ids = sorted(
                {r[0] for r in conn.execute("DELETE FROM metric_dirty RETURNING conversation_id")}
            )
            if not ids:
                return 0
            for statement in self.db.dialect.cycle_settings():
                conn.execute(statement)
            for start in range(0, len(ids), REFRESH_CHUNK):
                chunk = ids[start : start + REFRESH_CHUNK]
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM metric_cycles WHERE conversation_id IN ({marks})", chunk)
                conn.execute(cycles.insert_sql(self.db.dialect, len(chunk)), chunk)
        return len(ids)

    def rebuild(self) -> None:
        """Recompute every conversation's kept cycles (after a bulk load)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE metric_refresh SET refreshed_at = ?", (clock.now_iso(),))
            conn.execute("DELETE FROM metric_dirty")
            conn.execute("DELETE FROM metric_cycles")
            for statement in self.db.dialect.cycle_settings():
                conn.execute(statement)
            conn.execute(cycles.insert_sql(self.db.dialect, None))

    def replies(self, since: str, until: str) -> list[Row]:
        """Every reply event in the period with its assist payload (``ai_assisted``,
        ``edit_distance``)."""
        dialect = self.db.dialect
        with self._read() as conn:
            return conn.execute(
                "SELECT e.agent, e.conversation_id AS cid, c.uid, c.channel,"
                f" {dialect.epoch('e.at')} AS at, {dialect.json_flag('e.payload', 'ai_assisted')}"
                f" AS assisted, {dialect.json_number('e.payload', 'edit_distance')} AS distance"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind = 'reply' AND e.at >= ? AND e.at < ?",
                (since, until),
            ).fetchall()

    def assist_uses(self, since: str, until: str) -> list[Row]:
        """Rewrites used and articles inserted in the period (their events, payload as
        stored)."""
        with self._read() as conn:
            return conn.execute(
                "SELECT e.kind, e.agent, e.conversation_id AS cid, c.uid, c.channel,"
                f" {self.db.dialect.epoch('e.at')} AS at, e.payload"
                " FROM events e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.kind IN (?, ?) AND e.at >= ? AND e.at < ?",
                (str(EventKind.REWRITE_USED), str(EventKind.ARTICLE_INSERTED), since, until),
            ).fetchall()

    def created(self, since: str, until: str) -> list[Row]:
        """Conversations created in the period, with their first qualifying reply if any."""
        dialect = self.db.dialect
        kind = dialect.by_conversation("kind")
        with self._read() as conn:
            # Each first reply's id once, then that reply: joined on the sub-query,
            # PostgreSQL ran it twice per conversation (as Memoize's key and inside it).
            return conn.execute(
                "WITH made AS MATERIALIZED (SELECT e.conversation_id AS cid, e.at,"
                "   (SELECT id FROM events WHERE conversation_id = e.conversation_id"
                f"    AND {kind} = 'reply' ORDER BY at, id LIMIT 1) AS reply_id"
                "   FROM events e WHERE e.kind = 'created' AND e.at >= ? AND e.at < ?)"
                f" SELECT m.cid, c.uid, c.channel, {dialect.epoch('m.at')} AS at, r.agent,"
                f" {dialect.epoch('r.at')} AS reply_at"
                " FROM made m JOIN conversations c ON c.id = m.cid"
                " LEFT JOIN events r ON r.id = m.reply_id",
                (since, until),
            ).fetchall()

    def csat(self, since: str, until: str, kind: str = "csat") -> list[Row]:
        """Ratings in the period with the agent of the latest resolve before each (and
        the payload: a survey answer's comment); ``kind="ces"``: effort scores."""
        dialect = self.db.dialect
        with self._read() as conn:
            return conn.execute(
                f"SELECT e.conversation_id AS cid, c.uid, c.channel, {dialect.epoch('e.at')} AS at,"
                f" {dialect.json_number('e.payload', 'rating')} AS rating, e.payload, r.agent,"
                f" {dialect.epoch('r.at')} AS resolved_at"
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
        with self._read() as conn:
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
        dialect = self.db.dialect
        focus, epoch = dialect.json_flag("e.payload", "focus"), dialect.epoch
        day_after = clock.to_iso(clock.parse_iso(until) + timedelta(days=1))
        # Epoch seconds only where needed (each interval's two ends, each group's first and
        # last), and the conversation joined to the groups, not to every interval: 0.45 s
        # of 0.9 s server CPU of `stats --since 30d` on 1M messages on PostgreSQL was this
        # query (bench/README.md). Grouped in the window's order, the intervals need no
        # second sort (24 of 236 ms on PostgreSQL).
        length = f"({epoch('v.next_at')} - {epoch('v.at')})"
        with self._read() as conn:
            return conn.execute(
                "SELECT h.agent, h.cid, c.uid, c.channel, h.intervals,"
                f" {epoch('h.first_at')} AS first, {epoch('h.last_at')} AS last, h.seconds"
                " FROM (SELECT v.agent, v.cid, count(*) AS intervals, min(v.at) AS first_at,"
                "   max(v.at) AS last_at,"
                f"   sum(CASE WHEN v.next_focus = 0 THEN {length}"
                f"     WHEN {length} < :cutoff THEN {length} ELSE :cutoff END) AS seconds"
                f"   FROM (SELECT e.agent, e.conversation_id AS cid, e.at, {focus} AS focus,"
                f"     lead(e.at) OVER w AS next_at, lead({focus}) OVER w AS next_focus"
                "     FROM events e WHERE e.kind = 'viewed' AND e.at >= :since"
                "       AND e.at < :day_after AND e.agent IS NOT NULL"
                "     WINDOW w AS (PARTITION BY e.conversation_id, e.agent ORDER BY e.at, e.id)) v"
                "   WHERE v.focus = 1 AND v.at < :until GROUP BY v.cid, v.agent) h"
                " JOIN conversations c ON c.id = h.cid",
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
