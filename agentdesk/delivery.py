"""Running connectors: store what they receive, deliver the replies agents queue.

No Textual here: the app runs these coroutines in workers and is told about new
conversations and delivery states through callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agentdesk.connectors.base import Connector, DeliveryResult
from agentdesk.domain import Inbound
from agentdesk.intake import InvalidInbound, checked_inbound
from agentdesk.store import Store
from agentdesk.text import error_line

log = logging.getLogger(__name__)


class ChannelHost:
    """Connects the store to the connectors that serve each channel."""

    group_limit = 100  # messages per transaction at most, while a connector has more ready

    def __init__(self, store: Store, connectors: list[Connector]) -> None:
        self.store = store
        self.connectors = connectors
        self.by_channel: dict[str, Connector] = {}
        for connector in connectors:
            for channel in connector.channels:
                self.by_channel.setdefault(channel, connector)
            connector.attach(store)

    async def run(self, connector: Connector,
                  on_message: Callable[[int], None] | None = None) -> None:
        """Start ``connector``, store what it yields until it ends, then stop it.

        Run one per connector in a worker. Failures never propagate: they become the
        connector's one-line ``state`` (``email: failed to start: ...``).
        """
        label = connector.label or connector.name
        try:
            await connector.start()
        except Exception as error:
            connector.set_state(f"{label}: failed to start: {error_line(error)}")
            return
        try:
            await self.receive(connector, on_message)
        except Exception as error:
            log.exception("connector %s stopped", label)
            connector.set_state(f"{label}: stopped: {error_line(error)}")
        finally:
            await connector.stop()

    async def receive(self, connector: Connector,
                      on_message: Callable[[int], None] | None = None) -> None:
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
        label = connector.label or connector.name
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

    def _store(self, connector: Connector, group: list[object],
               on_message: Callable[[int], None] | None) -> list[str]:
        """Store ``group`` in one transaction; returns why each skipped message was bad.

        A skipped ``Inbound`` still reaches ``recorded`` (as not stored), so the
        connector's progress moves past it.
        """
        stored, problems = [], []
        with self.store.db.transaction():
            for item in group:
                try:
                    message = checked_inbound(item, connector.channels)
                except InvalidInbound as error:
                    problems.append(str(error))
                    if isinstance(item, Inbound):
                        connector.recorded(item, None)
                    continue
                stored.append(self.store.record_inbound(message))
                connector.recorded(item, stored[-1])  # the object it yielded
        if on_message:
            for done in stored:
                if done:
                    on_message(done[0])
        return problems

    async def deliver(self, message_id: int) -> DeliveryResult:
        """Send one queued reply through its channel's connector and record the outcome."""
        reply = self.store.outgoing(message_id)
        if reply is None:
            return DeliveryResult("failed", f"no reply {message_id}")
        connector = self.by_channel.get(reply.channel)
        if connector is None or not connector.capabilities.can_send:
            result = DeliveryResult("retry", f"no connector can send on {reply.channel} yet")
        else:
            try:
                result = await connector.send(reply)
            except Exception as error:  # a connector bug must not lose the reply
                log.exception("connector %s failed to send", connector.name)
                result = DeliveryResult("retry", f"{connector.name}: {error}")
        if result.ok:
            self.store.mark_reply_sent(message_id)
        else:
            self.store.set_delivery(message_id, f"{result.state}: {result.detail}")
        return result

    async def courtesy(self, channel: str, thread_key: str, what: str,
                       active: bool = False) -> bool:
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
