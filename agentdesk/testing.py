"""Conformance tests for connectors, as a pytest plugin: point them at your connector.

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

Installing agentdesk registers this module as a pytest plugin (entry point
``agentdesk.testing`` in the ``pytest11`` group), so pytest rewrites its asserts and a
failure shows what differed, the connector's ``state`` and what it yielded. Without
the entry point, load it with ``pytest_plugins = ["agentdesk.testing"]`` in a
``conftest.py`` (or ``-p agentdesk.testing``).

Every call into the connector (``start``, ``send``, ``stop``, waiting on ``incoming``)
has a time limit and runs on an event loop in a thread of its own, so a connector
that hangs, even one that blocks the loop, fails one test instead of the run. Each
message it yields is checked as the host checks it before storing
(``agentdesk.intake.checked_inbound``: an ``Inbound`` on a declared channel, with an
``at`` in ISO-8601 with a time zone...): where the desk would skip a message, the kit
fails. The tests are plain functions, with or without pytest-asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from agentdesk.config import ConfigError, Table
from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.delivery import ChannelHost
from agentdesk.domain import Inbound
from agentdesk.intake import InvalidInbound, checked_inbound
from agentdesk.store import Store

T = TypeVar("T")


def table(data: dict, where: str = "connectors[0]") -> Table:
    """A ``[[connectors]]`` table as the config loader hands it to ``validate``."""
    return Table(data, Path("config.toml"), where)


def _summary(item: object) -> str:
    if not isinstance(item, Inbound):
        return f"{type(item).__name__} {item!r:.80}"
    text = item.text.strip() if isinstance(item.text, str) else item.text
    return (
        f"{text!r:.50} channel={item.channel!r} at={item.at!r:.40} ext_id={item.ext_id!r:.60}"
        f" thread_key={item.thread_key!r:.60} in_reply_to={item.in_reply_to!r:.60}"
    )


class ConnectorContract:
    """The behaviour every connector must have. Implement the hooks marked below."""

    timeout: float = 15.0  # seconds to wait for produced messages to arrive
    call_timeout: float = 10.0  # seconds start(), send() and stop() may each take
    settle: float = 1.0  # seconds a running connector gets to show anything extra

    # ---- hooks ------------------------------------------------------------------------
    def make_connector(self, workdir: Path) -> Connector:
        """A new, unstarted connector. Called twice with the same ``workdir`` for a restart."""
        raise NotImplementedError

    def produce(self, connector: Connector, workdir: Path, texts: list[str]) -> None:
        """Make customer messages with these bodies appear on the channel, in this order.

        Called before ``connector.start()``: the messages are waiting when it connects.
        """
        raise NotImplementedError

    def delivered(self, connector: Connector, workdir: Path) -> list[str]:
        """Bodies of the replies the channel received (only for ``can_send`` connectors)."""
        raise NotImplementedError

    def make_unreachable(self, workdir: Path) -> Connector | None:
        """A connector whose channel cannot be reached (``None`` skips that test)."""
        return None

    def produce_threads(
        self, connector: Connector, workdir: Path, threads: list[list[str]]
    ) -> None:
        """Optional, for channels with threads: make each list of bodies one customer
        thread (the first message starts it, the rest belong to it), before ``start()``."""
        raise NotImplementedError

    def redeliver(self, connector: Connector, workdir: Path, texts: list[str]) -> None:
        """Optional: make the channel deliver the messages ``produce`` made with these
        bodies once more (a webhook retrying, a copy of a mail), before ``start()``."""
        raise NotImplementedError

    def make_unavailable(self, connector: Connector, workdir: Path) -> None:
        """Optional: make the channel of this started connector temporarily unavailable
        (the service answers 'try later'), so that ``send`` returns ``retry``."""
        raise NotImplementedError

    # ---- harness ----------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _kit(self):
        self._received: list[object] = []  # everything the connector yielded in this test
        self._problems: list[str] = []  # why the desk would skip some of it
        self._pending: tuple[str, float] | None = None  # the limited wait now running

    def _implements(self, hook: str) -> bool:
        return getattr(type(self), hook) is not getattr(ConnectorContract, hook)

    def _context(self, connector: Connector) -> str:
        """The connector's state and what it yielded, for a failure message."""
        received = "".join(f"\n  {n}. {_summary(item)}" for n, item in enumerate(self._received, 1))
        return (
            f"connector state: {connector.state!r}; received {len(self._received)}"
            f"{':' if received else ''}{received}"
        )

    def _fail(self, connector: Connector, what: str) -> NoReturn:
        """Fail the test with ``what`` and the connector's context, without a traceback
        of the kit's own (the message says it all)."""
        raise pytest.fail.Exception(f"{what}; {self._context(connector)}", pytrace=False) from None

    def _run(self, connector: Connector, scenario: Coroutine[Any, Any, T]) -> T:
        """Run ``scenario`` on a new event loop in its own thread, watching it: a call
        that blocks the loop (so its own time limit cannot fire) fails the test."""
        outcome: list[tuple[bool, Any]] = []

        def main() -> None:
            try:
                outcome.append((True, asyncio.run(scenario)))
            except BaseException as error:  # handed to the test's thread below
                outcome.append((False, error))

        worker = threading.Thread(target=main, name=f"contract-{connector.name}", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
            pending = self._pending
            if pending is not None and time.monotonic() > pending[1] + 2.0:  # its timeout
                # would have fired by now, had the loop been free to run it
                self._fail(
                    connector,
                    f"{pending[0]}, and blocks the event loop (run blocking"
                    " work with asyncio.to_thread)",
                )
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    @contextlib.asynccontextmanager
    async def _limit(self, connector: Connector, what: str, seconds: float) -> AsyncIterator[None]:
        """Fail with ``what`` (and the context) unless the block ends within ``seconds``."""
        what = f"{what} within {seconds:g} s"
        self._pending = (what, time.monotonic() + seconds)
        try:
            async with asyncio.timeout(seconds) as scope:
                yield
        except TimeoutError:
            if not scope.expired():
                raise
            self._fail(connector, what)
        finally:
            self._pending = None

    async def _call(
        self,
        connector: Connector,
        name: str,
        call: Awaitable[T],
        may_raise: bool = False,
        late: str = "did not return",
    ) -> T:
        """Await one call into the connector within ``call_timeout``; a raise fails the
        test (unless ``may_raise``) with the connector's context."""
        async with self._limit(connector, f"{name} {late}", self.call_timeout):
            try:
                return await call
            except Exception as error:
                if may_raise:
                    raise
                where = traceback.extract_tb(error.__traceback__)[-1]
                self._fail(
                    connector,
                    f"{name} raised {type(error).__name__}: {error} (at"
                    f" {Path(where.filename).name}:{where.lineno} in {where.name})",
                )

    @staticmethod
    def _stored(store: Store) -> list[tuple[str, str | None, int]]:
        """(body, ext_id, conversation id) of every stored customer message, in order."""
        return store.messages.inbound()

    def _tap(self, connector: Connector) -> None:
        """Note (and check, as the host does) everything ``incoming()`` yields."""
        incoming = connector.incoming

        async def tapped() -> AsyncIterator[object]:
            async for item in incoming():
                self._received.append(item)
                try:
                    checked_inbound(item, connector.channels)
                except InvalidInbound as error:
                    self._problems.append(f"message {len(self._received)}: {error}")
                yield item

        connector.incoming = tapped  # type: ignore[method-assign, assignment]  # the instance's own: the class stays untouched

    async def _receive(self, connector: Connector, store: Store, count: int) -> None:
        """Run ``connector`` as the desk does until ``count`` messages are stored."""
        host = ChannelHost(store, [connector])
        self._tap(connector)
        try:
            await self._call(connector, "start()", connector.start())
            task = asyncio.create_task(host.receive(connector))
            try:
                async with self._limit(
                    connector, f"incoming() did not yield {count} storable messages", self.timeout
                ):
                    while len(self._stored(store)) < count and not task.done():
                        self._check_storable(connector)
                        await asyncio.sleep(0.02)
                self._check_storable(connector)
                if len(self._stored(store)) < count:
                    self._fail(
                        connector,
                        f"incoming() ended after {len(self._stored(store))} of {count} messages",
                    )
                await asyncio.sleep(self.settle)  # anything extra (a duplicate) can show up
                self._check_storable(connector)
            finally:
                await self._call(connector, "stop()", connector.stop())
                await self._call(connector, "incoming()", task, late="did not end after stop()")
        finally:
            del connector.incoming

    def _check_storable(self, connector: Connector) -> None:
        if self._problems:
            self._fail(connector, f"the desk would skip {self._problems[0]}")

    def _bodies(self, store: Store) -> list[str]:
        return [body.strip() for body, _, _ in self._stored(store)]

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
            self._run(connector, self._receive(connector, store, len(texts)))
            stored = self._stored(store)
        assert [body.strip() for body, _, _ in stored] == texts, self._context(connector)
        ids = [ext_id for _, ext_id, _ in stored]
        assert all(ids), f"every message needs a stable ext_id; {self._context(connector)}"
        assert len(set(ids)) == len(ids), f"ext_ids must differ; {self._context(connector)}"

    def test_redelivery_after_restart_is_idempotent(self, tmp_path):
        texts = [f"once only {n} {tmp_path.name}" for n in range(3)]
        first = self.make_connector(tmp_path)
        self.produce(first, tmp_path, texts)
        with Store(tmp_path / "contract.db") as store:
            self._run(first, self._receive(first, store, len(texts)))
            again = self.make_connector(tmp_path)  # the desk restarts on the same channel
            self.produce(again, tmp_path, [])
            self._run(again, self._receive(again, store, len(texts)))
            bodies = self._bodies(store)
        assert bodies == texts, f"stored twice after a restart? {self._context(again)}"

    def test_redelivered_message_is_stored_once(self, tmp_path):
        if not self._implements("redeliver"):
            pytest.skip("redeliver() not implemented")
        texts = [f"delivered twice {n} {tmp_path.name}" for n in range(3)]
        connector = self.make_connector(tmp_path)
        self.produce(connector, tmp_path, texts)
        self.redeliver(connector, tmp_path, texts)
        with Store(tmp_path / "contract.db") as store:
            self._run(connector, self._receive(connector, store, len(texts)))
            bodies = self._bodies(store)
        assert bodies == texts, (
            "a message delivered twice must keep its ext_id, so the desk"
            f" stores it once; {self._context(connector)}"
        )

    def test_threads_become_conversations(self, tmp_path):
        if not self._implements("produce_threads"):
            pytest.skip("produce_threads() not implemented")
        threads = [[f"thread {t} message {n} {tmp_path.name}" for n in range(2)] for t in range(2)]
        connector = self.make_connector(tmp_path)
        self.produce_threads(connector, tmp_path, threads)
        with Store(tmp_path / "contract.db") as store:
            self._run(connector, self._receive(connector, store, 4))
            conversation = {body.strip(): cid for body, _, cid in self._stored(store)}
        if not any(
            isinstance(item, Inbound) and (item.thread_key or item.in_reply_to)
            for item in self._received
        ):
            pytest.skip("the connector sets neither thread_key nor in_reply_to")
        found = [sorted({conversation.get(text) for text in thread}) for thread in threads]
        assert [len(ids) for ids in found] == [1, 1] and found[0] != found[1], (
            "each thread must be one conversation of its own (the same thread_key, or"
            f" in_reply_to naming an earlier message's message_id_header): conversations"
            f" per thread {found}; {self._context(connector)}"
        )

    def test_send_returns_a_delivery_result(self, tmp_path):
        connector = self.make_connector(tmp_path)
        if not connector.capabilities.can_send:
            pytest.skip("connector cannot send")
        text = f"agent reply {tmp_path.name}"
        with Store(tmp_path / "contract.db") as store:
            reply_id = self._queue_reply(connector, tmp_path, store, text)
            result = self._run(connector, self._deliver(connector, store, reply_id))
            reply = store.messages.get(reply_id)
            state, external_id = (reply.delivery, reply.external_id) if reply else (None, None)
        assert result.state == "sent", f"send() gave {result}; {self._context(connector)}"
        assert result.external_id is None or isinstance(result.external_id, str), (
            f"external_id, the channel's id for the reply, is text: {result}"
        )
        assert (state, external_id) == ("sent", result.external_id)
        delivered = [body.strip() for body in self.delivered(connector, tmp_path)]
        assert delivered == [text], f"the channel received {delivered}; {self._context(connector)}"

    def _queue_reply(self, connector: Connector, workdir: Path, store: Store, text: str) -> int:
        """A reply queued in the conversation of one produced customer message."""
        self.produce(connector, workdir, [f"question {workdir.name}"])
        self._run(connector, self._receive(connector, store, 1))
        conversation_id = store.conversations.all_ids()[0]
        return store.replies.add(conversation_id, "agent", text, delivery="queued")

    async def _deliver(self, connector: Connector, store: Store, reply_id: int) -> DeliveryResult:
        host = ChannelHost(store, [connector])
        await self._call(connector, "start()", connector.start())
        try:
            return await self._call(connector, "send()", host.deliver(reply_id))
        finally:
            await self._call(connector, "stop()", connector.stop())

    async def _send(self, connector: Connector, store: Store, reply_id: int) -> DeliveryResult:
        """``connector.send`` itself (not through the host, which would hide a raise)."""
        outgoing = store.replies.outgoing(reply_id)
        assert outgoing is not None, f"reply {reply_id} is not in the store"
        result = await self._call(connector, "send()", connector.send(outgoing))
        assert isinstance(result, DeliveryResult), (
            f"send() returned {result!r}, not a DeliveryResult; {self._context(connector)}"
        )
        return result

    def test_send_while_unavailable_returns_retry(self, tmp_path):
        if not self._implements("make_unavailable"):
            pytest.skip("make_unavailable() not implemented")
        connector = self.make_connector(tmp_path)
        with Store(tmp_path / "contract.db") as store:
            reply_id = self._queue_reply(connector, tmp_path, store, f"later {tmp_path.name}")

            async def attempt() -> DeliveryResult:
                await self._call(connector, "start()", connector.start())
                try:
                    self.make_unavailable(connector, tmp_path)
                    return await self._send(connector, store, reply_id)
                finally:
                    await self._call(connector, "stop()", connector.stop())

            result = self._run(connector, attempt())
        assert result.state == "retry" and result.detail, (
            f"an unavailable channel must give retry with a reason, got {result};"
            f" {self._context(connector)}"
        )

    def test_channel_errors_are_returned_not_raised(self, tmp_path):
        connector = self.make_unreachable(tmp_path)
        if connector is None:
            pytest.skip("no unreachable variant given")
        with Store(tmp_path / "contract.db") as store:
            conversation_id = store.conversations.start_outbound(
                connector.channels[0], "someone@example.com", "agent", "Hello"
            )
            reply_id = store.replies.add(conversation_id, "agent", "hi", delivery="queued")
            ChannelHost(store, [connector])  # attaches the store

            async def attempt() -> DeliveryResult:
                with contextlib.suppress(Exception):  # start may refuse: that is allowed
                    await self._call(connector, "start()", connector.start(), may_raise=True)
                try:
                    return await self._send(connector, store, reply_id)
                finally:
                    await self._call(connector, "stop()", connector.stop())
                    await self._call(connector, "a second stop()", connector.stop())

            result = self._run(connector, attempt())
        assert result.state in ("retry", "failed") and result.detail, (
            f"an unreachable channel must give retry or failed with a reason, got {result};"
            f" {self._context(connector)}"
        )

    def test_stop_before_start_is_safe(self, tmp_path):
        connector = self.make_connector(tmp_path)

        async def stop_twice() -> None:
            await self._call(connector, "stop()", connector.stop())
            await self._call(connector, "a second stop()", connector.stop())

        self._run(connector, stop_twice())
