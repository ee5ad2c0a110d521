"""Conformance tests for connectors: point them at your connector and run pytest.

Subclass ``ConnectorContract`` in a test module (its name must start with ``Test``)
and implement the hooks; every ``test_*`` method below then runs against your
connector, through the same ``ChannelHost`` and real SQLite store the desk uses::

    from agentdesk.testing import ConnectorContract

    class TestMyChannel(ConnectorContract):
        def make_connector(self, workdir):
            return MyConnector(MyConnector.validate(table({"folder": str(workdir)})))

        def produce(self, connector, workdir, texts):
            for text in texts:  # make customer messages appear on the channel, in order
                ...

        def delivered(self, connector, workdir):
            return [...]  # the texts of replies the channel received

The tests are plain functions (they call ``asyncio.run`` themselves), so they work
with or without pytest-asyncio. What they check: declared options validate with
errors naming the key; messages arrive in order, each with an ``ext_id``;
re-delivery (a restart) never duplicates; ``send`` returns a ``DeliveryResult`` and
the channel gets the reply; channel errors are returned, never raised; ``stop`` is
safe twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from agentdesk.config import ConfigError, Table
from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.delivery import ChannelHost
from agentdesk.store import Store


def table(data: dict, where: str = "connectors[0]") -> Table:
    """A ``[[connectors]]`` table as the config loader hands it to ``validate``."""
    return Table(data, Path("config.toml"), where)


class ConnectorContract:
    """The behaviour every connector must have. Implement the hooks marked below."""

    timeout: float = 15.0  # seconds to wait for messages to arrive
    settle: float = 1.0  # seconds a running connector gets to show anything extra

    # ---- hooks ------------------------------------------------------------------------
    def make_connector(self, workdir: Path) -> Connector:
        """A new, unstarted connector. Called twice with the same ``workdir`` for a restart."""
        raise NotImplementedError

    def produce(self, connector: Connector, workdir: Path, texts: list[str]) -> None:
        """Make customer messages with these bodies appear on the channel, in this order."""
        raise NotImplementedError

    def delivered(self, connector: Connector, workdir: Path) -> list[str]:
        """Bodies of the replies the channel received (only for ``can_send`` connectors)."""
        raise NotImplementedError

    def make_unreachable(self, workdir: Path) -> Connector | None:
        """A connector whose channel cannot be reached (``None`` skips that test)."""
        return None

    # ---- harness ----------------------------------------------------------------------
    @staticmethod
    def _bodies(store: Store) -> list[tuple[str, str | None]]:
        with store.db.read() as conn:
            return [(r[0], r[1]) for r in conn.execute(
                "SELECT body, ext_id FROM messages WHERE direction = 'in' ORDER BY id")]

    async def _run_until(self, connector: Connector, store: Store, count: int) -> None:
        """Run ``connector`` as the desk does until ``count`` messages are stored."""
        host = ChannelHost(store, [connector])
        task = asyncio.create_task(host.run(connector))
        try:
            deadline = time.monotonic() + self.timeout
            while len(self._bodies(store)) < count:
                if task.done():
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"{connector.name}: {len(self._bodies(store))} of {count}"
                                f" messages after {self.timeout:g} s (state: {connector.state!r})")
                await asyncio.sleep(0.02)
            await asyncio.sleep(self.settle)  # anything extra (a duplicate) has time to show up
        finally:
            await connector.stop()
            try:
                await asyncio.wait_for(task, self.timeout)
            except TimeoutError:
                task.cancel()
                pytest.fail(f"{connector.name}: incoming() did not end after stop()")

    # ---- the contract -------------------------------------------------------------------
    def test_declares_itself(self, tmp_path):
        connector = self.make_connector(tmp_path)
        cls = type(connector)
        assert isinstance(cls.name, str) and cls.name.isidentifier(), "name: an identifier"
        assert cls.channels and all(isinstance(c, str) for c in cls.channels)
        assert isinstance(cls.capabilities, Capabilities)
        assert all(isinstance(option, Option) for option in cls.options)
        assert isinstance(connector.state, str)

    def test_options_name_the_key_in_errors(self, tmp_path):
        cls = type(self.make_connector(tmp_path))
        with pytest.raises(ConfigError, match=r"config\.toml: connectors\[0\]\.no_such_option"):
            cls.validate(table({"type": cls.name, "no_such_option": 1}))
        for option in cls.options:
            wrong = [] if option.kind is not list else "not a list"
            with pytest.raises(ConfigError, match=rf"connectors\[0\]\.{option.name}: "):
                cls.validate(table({"type": cls.name, option.name: wrong}))

    def test_messages_arrive_in_order_with_ids(self, tmp_path):
        texts = [f"conformance message {n} {tmp_path.name}" for n in range(5)]
        connector = self.make_connector(tmp_path)
        self.produce(connector, tmp_path, texts)
        with Store(tmp_path / "contract.db") as store:
            asyncio.run(self._run_until(connector, store, len(texts)))
            stored = self._bodies(store)
        assert [body.strip() for body, _ in stored] == texts
        ids = [ext_id for _, ext_id in stored]
        assert all(ids), "every message needs a stable ext_id"
        assert len(set(ids)) == len(ids)

    def test_redelivery_after_restart_is_idempotent(self, tmp_path):
        texts = [f"once only {n} {tmp_path.name}" for n in range(3)]
        first = self.make_connector(tmp_path)
        self.produce(first, tmp_path, texts)
        with Store(tmp_path / "contract.db") as store:
            asyncio.run(self._run_until(first, store, len(texts)))
            again = self.make_connector(tmp_path)  # the desk restarts on the same channel
            self.produce(again, tmp_path, [])
            asyncio.run(self._run_until(again, store, len(texts)))
            stored = self._bodies(store)
        assert [body.strip() for body, _ in stored] == texts

    def test_send_returns_a_delivery_result(self, tmp_path):
        connector = self.make_connector(tmp_path)
        if not connector.capabilities.can_send:
            pytest.skip("connector cannot send")
        text = f"agent reply {tmp_path.name}"
        with Store(tmp_path / "contract.db") as store:
            self.produce(connector, tmp_path, [f"question {tmp_path.name}"])
            asyncio.run(self._run_until(connector, store, 1))
            with store.db.read() as conn:
                conversation_id = conn.execute("SELECT id FROM conversations").fetchone()[0]
            reply_id = store.add_reply(conversation_id, "agent", text, delivery="queued")
            result = asyncio.run(self._deliver(connector, store, reply_id))
            assert isinstance(result, DeliveryResult) and result.state == "sent", result
            with store.db.read() as conn:
                state = conn.execute("SELECT delivery FROM messages WHERE id = ?",
                                     (reply_id,)).fetchone()[0]
        assert state == "sent"
        assert [body.strip() for body in self.delivered(connector, tmp_path)] == [text]

    async def _deliver(self, connector: Connector, store: Store, reply_id: int) -> DeliveryResult:
        host = ChannelHost(store, [connector])
        await connector.start()
        try:
            return await host.deliver(reply_id)
        finally:
            await connector.stop()

    def test_channel_errors_are_returned_not_raised(self, tmp_path):
        connector = self.make_unreachable(tmp_path)
        if connector is None:
            pytest.skip("no unreachable variant given")
        with Store(tmp_path / "contract.db") as store:
            conversation_id = store.start_outbound(connector.channels[0], "someone@example.com",
                                                   "agent", "Hello")
            reply_id = store.add_reply(conversation_id, "agent", "hi", delivery="queued")
            reply = store.outgoing(reply_id)
            ChannelHost(store, [connector])

            async def attempt() -> DeliveryResult:
                with contextlib.suppress(Exception):  # start may refuse: that is allowed
                    await connector.start()
                try:
                    return await asyncio.wait_for(connector.send(reply), self.timeout)
                finally:
                    await connector.stop()
                    await connector.stop()  # twice is safe

            result = asyncio.run(attempt())
        assert isinstance(result, DeliveryResult)
        assert result.state in ("retry", "failed") and result.detail

    def test_stop_before_start_is_safe(self, tmp_path):
        connector = self.make_connector(tmp_path)
        asyncio.run(connector.stop())
        asyncio.run(connector.stop())
