"""Running connectors: store what they receive, deliver the replies agents queue.

No Textual here: the app runs these coroutines in workers and is told about new
conversations and delivery states through callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar, cast

from agentdesk import clock
from agentdesk.connectors.base import DELIVERY_STATES, Connector, DeliveryResult
from agentdesk.delivery_settings import DeliverySettings
from agentdesk.domain import SENDING_ELSEWHERE, WITHDRAWN, Direction, Inbound, Lease, Outgoing
from agentdesk.intake import InvalidInbound, checked_inbound
from agentdesk.store import DATABASE_ERRORS, Store, StoreError
from agentdesk.team import desk_is_gone
from agentdesk.text import error_line

log = logging.getLogger(__name__)
T = TypeVar("T")
# What a lease round meets while the database is away: a failed statement, or a lease
# connection that cannot be opened.
LEASE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StoreError)


@dataclass(frozen=True)
class Holder:
    """A desk that may run connectors for the team: its id and agent, and its leases'
    length and renewal period (``[team] lease_ttl``, ``lease_renew``)."""

    desk: str
    agent: str
    ttl: float
    renew: float


class _LeaseThread:
    """Where lease statements run: a thread and a database connection of their own. In
    the shared thread pool and on the desk's one connection they queued behind IMAP IDLE,
    the sends and the receiving transactions, and at 50 desks a renewal outlasted its
    lease. The connection opens on first use (the database may be away at first)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._own: Store | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="leases")

    async def run(self, call: Callable[[Store], T]) -> T:
        """``call(store)`` on the lease thread's connection; database errors propagate."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._call, call)

    def _call(self, call: Callable[[Store], T]) -> T:
        if self._own is None:
            self._own = self.store.another()
        return call(self._own)

    def close(self) -> None:
        """Close the connection (on its thread, after any statement running there)."""
        own, self._own = self._own, None
        if own is not None and own is not self.store:
            self._thread.submit(own.close)
        self._thread.shutdown(wait=False)


class ChannelHost:
    """Connects the store to the connectors that serve each channel.

    ``leased``: desks share the database, so each connector runs (receives and sends)
    only on the desk holding its lease (``keep_leases``); the others leave their replies
    queued for that desk.
    """

    group_limit = 100  # messages per transaction at most, while a connector has more ready
    # Sends at once: each holds a worker thread and connections to the mail server, and
    # hundreds waiting at once (a takeover with a full outbox) starved the lease renewal.
    send_limit = 4
    restart_first = 2.0  # seconds before restarting a connector that failed
    restart_max = 300.0

    def __init__(
        self,
        store: Store,
        connectors: list[Connector],
        settings: DeliverySettings | None = None,
        *,
        leased: bool = False,
    ) -> None:
        self.store = store
        # id() of the connectors this desk runs (None: no leases, it runs them all).
        self.leading: set[int] | None = set() if leased else None
        self.connectors = connectors
        self.settings = settings or DeliverySettings()
        self._sending: dict[int, asyncio.Lock] = {}  # one send per reply at a time
        self._sends = asyncio.Semaphore(self.send_limit)
        self._waiting: dict[int, asyncio.Event] = {}  # replies in keep_delivering, to wake
        self._held_surveys: dict[str, set[int]] = {}  # by conversation uid: behind a reply
        self._restarting: dict[int, asyncio.Event] = {}  # id(connector) -> wakes its restart
        self.by_channel: dict[str, Connector] = {}
        for connector in connectors:
            for channel in connector.channels:
                self.by_channel.setdefault(channel, connector)
            connector.attach(store)
        self.problems = _indistinct(connectors)

    def senders(self, channel: str) -> list[Connector]:
        """The connectors that can send on ``channel``, in config order."""
        return [c for c in self.connectors if channel in c.channels and c.capabilities.can_send]

    def sender(self, channel: str, via: str | None) -> Connector | None:
        """The connector a reply leaves through: the one its conversation came in by
        (``via``), else the first that can send on ``channel`` (None: none can)."""
        able = self.senders(channel)
        return next((c for c in able if c.desk_name == via), able[0] if able else None)

    async def run(
        self,
        connector: Connector,
        on_message: Callable[[int], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        """Start ``connector`` and store what it yields; restart it when it fails.

        Run one per connector in a worker, for as long as the desk runs. Failures never
        propagate: a failure to start, or an ``incoming()`` that raises, becomes the
        connector's one-line ``state`` (``email: failed to start: … · restarting in 4 s``)
        and a restart after a capped, jittered backoff (``restart_first`` …
        ``restart_max`` seconds; ``reconnect()`` cuts it short). ``on_failure(line)``
        hears of the first failure after a good run. A connector whose ``incoming()``
        ends by itself (or is stopped) is done.
        """
        label = connector.desk_name
        failures = 0
        while True:
            started = time.monotonic()
            try:
                await connector.start()
            except Exception as error:
                problem = f"{label}: failed to start: {error_line(error)}"
            else:
                try:
                    await self.receive(connector, on_message)
                    return
                except Exception as error:
                    log.exception("connector %s stopped", label)
                    problem = f"{label}: stopped: {error_line(error)}"
                finally:
                    await connector.stop()
            if time.monotonic() - started > self.restart_max:
                failures = 0  # it ran well for a while: a new run of failures
            if failures == 0 and on_failure is not None:
                on_failure(problem)
            delay = clock.backoff(failures, self.restart_max, self.restart_first)
            failures += 1
            log.warning("%s; restarting in %.1f s", problem, delay)
            connector.set_state(f"{problem} · restarting in {max(1, round(delay))} s")
            wake = self._restarting[id(connector)] = asyncio.Event()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)
            finally:
                del self._restarting[id(connector)]

    async def keep_leases(
        self,
        holder: Holder,
        start: Callable[[Connector], object],
        stop: Callable[[Connector], object],
        deliver: Callable[[int], object],
    ) -> None:
        """Take and renew each connector's lease for ``holder``, for as long as the desk
        runs; released when cancelled.

        Every ``holder.renew`` seconds each lease is taken or renewed (a lease row in
        the database, ``store.leases``). ``start(connector)`` runs a connector this
        desk gained (``run`` it), ``stop(connector)`` stops one it lost (it stalled past
        its lease). While another desk holds one, its state says who runs it (``email:
        run by bob's desk``); when that desk stops renewing (it quit or died) this one
        takes over within ``holder.ttl`` plus ``holder.renew`` seconds (at its next
        renewal when the holder was a process on this host that is gone). Replies waiting
        for a connector this desk runs (queued on any desk) go to ``deliver``, each once.
        While the database is away each lease is tried again every round, and a connector
        this desk runs is stopped once its lease may have ended (``holder.ttl`` seconds
        without a renewal), so two desks never both run it.
        """
        leading = self.leading if self.leading is not None else set()
        self.store.replies.send_as(holder.desk, holder.ttl)
        thread = _LeaseThread(self.store)
        renewed: dict[int, float] = {}  # monotonic time each lease this desk holds was renewed
        try:
            while True:
                for connector in self.connectors:
                    key = id(connector)
                    try:
                        await self._take_lease(
                            connector, holder, leading, start, stop, deliver, thread
                        )
                    except LEASE_ERRORS as error:  # the database is away: try next round
                        self._lease_not_renewed(connector, holder, leading, stop, renewed, error)
                    else:
                        if key in leading:
                            renewed[key] = time.monotonic()
                if self.store.replies.claimed:  # (a desk that never sent has none)
                    with contextlib.suppress(*LEASE_ERRORS):  # (they end unless renewed)
                        await thread.run(partial(self._renew_claims, holder))
                await asyncio.sleep(holder.renew)
        finally:
            held = [c.desk_name for c in self.connectors if id(c) in leading]
            leading.clear()

            def release(store: Store) -> None:
                for name in held:
                    store.leases.release(name, holder.desk)

            with contextlib.suppress(Exception):  # they expire anyway
                await thread.run(release)
            thread.close()

    @staticmethod
    def _renew_claims(holder: Holder, store: Store) -> None:
        """This desk lives: its claims on the replies it is sending hold a lease's length
        more (another desk takes them over only once this one stopped renewing)."""
        until = clock.to_iso(clock.now() + timedelta(seconds=holder.ttl))
        store.replies.renew_claims(holder.desk, until)

    async def _take_lease(
        self,
        connector: Connector,
        holder: Holder,
        leading: set[int],
        start: Callable[[Connector], object],
        stop: Callable[[Connector], object],
        deliver: Callable[[int], object],
        thread: _LeaseThread,
    ) -> None:
        name, key, now = connector.desk_name, id(connector), clock.now()
        times = (clock.to_iso(now), clock.to_iso(now + timedelta(seconds=holder.ttl)))

        def hold(store: Store, gone: str = "") -> Lease:
            return store.leases.hold(name, holder.desk, holder.agent, *times, gone)

        lease = await thread.run(hold)
        if lease.desk != holder.desk and desk_is_gone(lease.desk):  # killed here: no waiting
            gone = lease.desk
            lease = await thread.run(partial(hold, gone=gone))
            if lease.desk == holder.desk:  # nor for the replies it was sending
                await thread.run(lambda store: store.replies.end_claims(gone))
        if lease.desk == holder.desk:
            if key not in leading:
                log.info("%s: this desk runs it", name)
                leading.add(key)
                connector.set_state("")  # (no longer another desk's)
                start(connector)
            for message_id in await thread.run(partial(self._waiting_for, connector)):
                deliver(message_id)
            return
        if key in leading:
            log.warning("%s: now run by %s's desk", name, lease.agent)
            leading.discard(key)
            stop(connector)
        connector.set_state(f"{name}: run by {lease.agent}'s desk")

    @staticmethod
    def _lease_not_renewed(
        connector: Connector,
        holder: Holder,
        leading: set[int],
        stop: Callable[[Connector], object],
        renewed: dict[int, float],
        error: Exception,
    ) -> None:
        """A lease could not be taken or renewed: the connector says so, and one this desk
        runs stops once its lease may have ended, so two desks never both run it."""
        name, key = connector.desk_name, id(connector)
        if key in leading:
            if time.monotonic() - renewed.get(key, 0.0) <= holder.ttl:
                return  # still this desk's: renewed at the next round
            log.warning(
                "%s: lease not renewed for %g s; stopped until it is taken", name, holder.ttl
            )
            leading.discard(key)
            stop(connector)
        connector.set_state(f"{name}: waiting for the database ({error_line(error)})")

    def _waiting_for(self, connector: Connector, store: Store) -> list[int]:
        """Replies ``connector`` sends that wait for it and are not being delivered (one
        query: a query per reply made a renewal outlast the lease with a full outbox)."""
        return [
            message_id
            for message_id, channel, via in store.replies.routes()
            if message_id not in self._waiting and self.sender(channel, via) is connector
        ]

    def _sender_of(self, message_id: int) -> Connector | None:
        reply = self.store.replies.outgoing(message_id)
        return self.sender(reply.channel, reply.via) if reply is not None else None

    def reconnect(self) -> int:
        """Restart now every connector waiting to restart, and cut the reconnect waits of
        the running ones short; returns how many were waiting to restart."""
        for connector in self.connectors:
            connector.reconnect()
        waiting = list(self._restarting.values())
        for wake in waiting:
            wake.set()
        return len(waiting)

    async def receive(
        self, connector: Connector, on_message: Callable[[int], None] | None = None
    ) -> None:
        """Store everything ``connector`` yields until it stops; re-deliveries are ignored.

        The connector's ``recorded`` hook runs in the same transaction, so its sync
        progress is committed together with the message. While the connector says more
        messages are ``ready`` (already fetched: an initial sync), up to ``group_limit``
        of them share one transaction; a message that arrives alone is committed alone.
        A message that fails ``checked_inbound`` is skipped (one state line, one log
        entry); the rest of its group is stored and the connector keeps running.
        """
        # If incoming() fails mid-group, neither the group nor its progress was stored,
        # so the connector fetches those messages again.
        label = connector.desk_name
        group: list[object] = []
        skipped = 0
        async for message in connector.incoming():
            group.append(message)
            if len(group) < self.group_limit and connector.ready():
                continue
            group, done = [], group
            problems = self._store(connector, done, on_message)
            for problem in problems:
                skipped += 1
                log.warning("connector %s: skipped a message: %s", label, problem)
            if problems:
                what = "a bad message" if skipped == 1 else f"{skipped} bad messages"
                connector.set_state(f"{label}: skipped {what} ({problems[-1]})")

    def _store(
        self, connector: Connector, group: list[object], on_message: Callable[[int], None] | None
    ) -> list[str]:
        """Store ``group`` in one transaction; returns why each skipped message was bad.

        A skipped ``Inbound`` still reaches ``recorded`` (as not stored), so the
        connector's progress moves past it.
        """
        from agentdesk.surveys.answers import message_answer  # with the first message

        stored, problems = [], []
        with self.store.atomic():
            for item in group:
                try:
                    message = checked_inbound(item, connector.channels)
                except InvalidInbound as error:
                    problems.append(str(error))
                    if isinstance(item, Inbound):
                        connector.recorded(item, None)
                    continue
                stored.append(
                    self.store.messages.record_inbound(
                        message, via=connector.desk_name, rate=message_answer
                    )
                )
                # The object it yielded (checked above: an Inbound), not the checked copy.
                connector.recorded(cast(Inbound, item), stored[-1])
        if on_message:
            for done in stored:
                if done:
                    on_message(done[0])
        return problems

    async def deliver(self, message_id: int) -> DeliveryResult:
        """One attempt to send a reply through its channel's connector; the outcome
        (and for a ``retry`` the next try's time) is recorded on the reply."""
        return (await self._attempt(message_id))[0]

    async def keep_delivering(
        self,
        message_id: int,
        on_attempt: Callable[[DeliveryResult, int], None] | None = None,
    ) -> DeliveryResult | None:
        """Deliver a reply until it is sent or fails for good; returns the last result.

        After a ``retry`` the reply waits a capped, jittered backoff
        (``retry_first`` … ``retry_max`` seconds, counted from its stored attempts, so a
        restart continues the series). ``on_attempt(result, attempt)`` hears of every
        outcome. One such loop per reply: a second call while one waits wakes it to try
        now, and returns None; so does a call on a desk that does not run the reply's
        connector (``leased``): the one that does delivers it. A loop whose desk lost
        that connector's lease while it waited ends before its next attempt.
        """
        if message_id in self._waiting:
            self._waiting[message_id].set()
            return None
        if not self._runs_sender(message_id):
            return None  # the desk running that connector delivers it
        wake = self._waiting[message_id] = asyncio.Event()
        try:
            await self._hold(message_id, wake)
            while True:
                if not self._runs_sender(message_id):  # the lease moved while it waited
                    return None
                result, attempt, delay = await self._attempt(message_id)
                if on_attempt is not None:
                    on_attempt(result, attempt)
                if result.state != "retry":
                    return result
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)
        finally:
            del self._waiting[message_id]

    def _runs_sender(self, message_id: int) -> bool:
        """This desk runs the connector the reply leaves by (always, without leases)."""
        if self.leading is None:
            return True
        sender = self._sender_of(message_id)
        return sender is None or id(sender) in self.leading

    async def _hold(self, message_id: int, wake: asyncio.Event) -> None:
        """Wait until a held reply's time (undo send: a ``queued`` reply's
        ``next_attempt_at``), or until woken; the reply may be withdrawn meanwhile."""
        reply = self.store.messages.get(message_id)
        if reply is None or reply.delivery != "queued" or not reply.next_attempt_at:
            return
        wait = -(clock.since(reply.next_attempt_at) or 0.0)
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)

    async def _attempt(self, message_id: int) -> tuple[DeliveryResult, int, float]:
        """Send once (never two sends of one reply at a time, and ``send_limit`` sends
        at most); returns the result, the attempt's number and, for a retry, the seconds
        until the next one."""
        async with self._sends, self._sending.setdefault(message_id, asyncio.Lock()):
            reply = self.store.replies.outgoing(message_id)
            if reply is None:
                return DeliveryResult("failed", f"no reply {message_id}"), 0, 0.0
            attempt = self.store.replies.start_delivery(message_id)
            if attempt is None:
                return self._not_started(message_id)
            connector = self.sender(reply.channel, reply.via)
            held = self._survey_held(message_id)
            if held is not None:
                result = held
                if held.state == "retry":
                    self._held_surveys.setdefault(reply.conversation_uid, set()).add(message_id)
            elif connector is None:
                result = DeliveryResult("retry", f"no connector can send on {reply.channel} yet")
            else:
                result = await self._send(connector, reply)
            delay = 0.0
            if result.ok:
                self.store.replies.mark_sent(message_id, external_id=result.external_id)
                self._wake_surveys(reply.conversation_uid)
            elif result.state == "retry":
                delay = clock.backoff(
                    attempt - 1, self.settings.retry_max, self.settings.retry_first
                )
                self.store.replies.set_delivery(
                    message_id,
                    f"retry: {result.detail}",
                    clock.to_iso(clock.now() + timedelta(seconds=delay)),
                )
            else:
                self.store.replies.set_delivery(message_id, f"{result.state}: {result.detail}")
                self._wake_surveys(reply.conversation_uid)
            return result, attempt, delay

    def _not_started(self, message_id: int) -> tuple[DeliveryResult, int, float]:
        """Why a send could not begin (attempt 0: nothing was tried): another desk of the
        team is sending the reply (tried again once its claim may have ended), the agent
        withdrew it, or it is sent."""
        until = self.store.replies.claimed_elsewhere(message_id)
        if until is not None:
            wait = max(1.0, -(clock.since(until) or 0.0))
            return DeliveryResult("retry", SENDING_ELSEWHERE), 0, wait
        current = self.store.messages.get(message_id)
        if current is not None and current.delivery == WITHDRAWN:
            return DeliveryResult("failed", "withdrawn by the agent"), 0, 0.0
        return DeliveryResult("sent", "already sent"), 0, 0.0

    def _survey_held(self, message_id: int) -> DeliveryResult | None:
        """Why a survey is not sent now, or None (and always None for a reply). The
        customer reads the answer first, then the question about it: a survey waits
        (``retry``) while an agent reply before it is still to be sent, and fails for
        good when the newest reply before it failed for good: it would ask about an
        answer the customer never got. Resending that reply (``R``, or ``E`` with a
        corrected address) sends the survey again after it."""
        message = self.store.messages.get(message_id)
        if message is None or not message.survey:
            return None
        earlier = [
            m
            for m in self.store.messages.thread(message.conversation_id)
            if m.direction == Direction.OUT and not m.survey and m.id < message_id
        ]
        if any(not m.delivered and not m.delivery_failed for m in earlier):
            return DeliveryResult("retry", "a survey waits until the reply before it is sent")
        if earlier and max(earlier, key=lambda m: m.id).delivery_failed:
            return DeliveryResult("failed", "the reply before it was not sent")
        return None

    def _wake_surveys(self, conversation_uid: str) -> None:
        """A message of the conversation was sent or failed for good: the surveys held
        behind a reply there try again now (to follow the reply, or to learn that it
        failed), not at their next backoff."""
        for survey in self._held_surveys.pop(conversation_uid, set()):
            if survey in self._waiting:
                self._waiting[survey].set()

    async def _send(self, connector: Connector, reply: Outgoing) -> DeliveryResult:
        """``connector.send`` within ``send_timeout``; a raise, a timeout or an answer
        that is not a ``DeliveryResult`` is a ``retry`` (a connector bug must not lose
        the reply)."""
        label = connector.desk_name
        timeout = self.settings.send_timeout
        try:
            async with asyncio.timeout(timeout):  # in this task: no reordering around send
                result = await connector.send(reply)
        except TimeoutError:
            log.warning("connector %s: send of reply %s timed out", label, reply.message_id)
            return DeliveryResult("retry", f"{label}: no answer within {timeout:g} s")
        except Exception as error:
            log.exception("connector %s failed to send", label)
            return DeliveryResult("retry", f"{label}: {error_line(error)}")
        if not isinstance(result, DeliveryResult) or result.state not in DELIVERY_STATES:
            return DeliveryResult("retry", f"{label}: send returned {result!r:.80}")
        return result

    async def courtesy(
        self, channel: str, thread_key: str, what: str, active: bool = False
    ) -> bool:
        """Send a typing notice (``what='typing'``) or read receipt (``'read'``), if the
        channel's connector supports it; never raises."""
        connector = self.by_channel.get(channel)
        if connector is None:
            return False
        try:
            if what == "typing":
                return await connector.typing(thread_key, active)
            return await connector.mark_read(thread_key)
        except Exception:  # a courtesy must never disturb the agent
            log.exception("connector %s: %s failed", connector.name, what)
            return False


def _indistinct(connectors: list[Connector]) -> list[str]:
    """One line for each name that two connectors of one channel share: the desk could
    not tell which account a conversation came in by."""
    seen: dict[tuple[str, str], int] = {}
    for connector in connectors:
        for channel in connector.channels:
            key = (channel, connector.desk_name)
            seen[key] = seen.get(key, 0) + 1
    return [
        f"{count} connectors serve {channel} under the one name {name!r}: give each "
        f"[[connectors]] table its own name, so replies leave from the account that "
        f"received the conversation"
        for (channel, name), count in seen.items()
        if count > 1
    ]
