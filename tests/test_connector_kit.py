"""The conformance kit catches misbehaving connectors, each in one readable failed test.

Each connector below runs through the kit in a pytest of its own (``pytester``), as a
plugin author would run it; a hung one must fail within its time limit.
"""

from __future__ import annotations

import re
import time

import pytest

pytest_plugins = ["pytester"]

CONNECTORS = '''
import asyncio
import time

from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.testing import ConnectorContract, table


class Scripted(DemoConnector):
    """The demo channel, with a state to show."""

    async def start(self):
        self.set_state("scripted: connected")


class HungSend(Scripted):
    async def send(self, reply):
        await asyncio.Event().wait()


class BlockingSend(Scripted):
    async def send(self, reply):
        time.sleep(30)  # blocking I/O in a coroutine: the event loop stops


class RaisingSend(Scripted):
    async def send(self, reply):
        raise ConnectionError("smtp.example.com refused the connection")


class Contract(ConnectorContract):
    kind = Scripted
    channel = "chat"
    at = "2026-11-20T09:00:00Z"
    timeout = 5.0
    call_timeout = 1.0
    settle = 0.05

    def make_connector(self, workdir):
        return self.kind(self.kind.validate(table({"type": "demo"})))

    def produce(self, connector, workdir, texts, thread_key=None, copy=""):
        connector.script += [Inbound(channel=self.channel, address="kim@example.com",
                                     text=text, at=self.at, ext_id=f"m:{text}{copy}",
                                     thread_key=thread_key)
                             for text in texts]

    def delivered(self, connector, workdir):
        return [reply.text for reply in connector.sent]

    def produce_threads(self, connector, workdir, threads):
        for n, texts in enumerate(threads):
            self.produce(connector, workdir, texts, thread_key=f"room-{n}")

    def redeliver(self, connector, workdir, texts):
        self.produce(connector, workdir, texts)


class TestGood(Contract):
    pass


class TestHungSend(Contract):
    kind = HungSend


class TestBlockingSend(Contract):
    kind = BlockingSend


class TestBadTime(Contract):
    at = "yesterday-ish"


class TestUndeclaredChannel(Contract):
    channel = "sms"


class TestOneThreadForAll(Contract):
    def produce_threads(self, connector, workdir, threads):
        for texts in threads:  # keyed by the customer: their two threads become one
            self.produce(connector, workdir, texts, thread_key="kim@example.com")


class TestCopyWithNewId(Contract):
    def redeliver(self, connector, workdir, texts):
        self.produce(connector, workdir, texts, copy="#copy")  # an id made per delivery


class TestRaisingSend(Contract):
    kind = RaisingSend

    def make_unreachable(self, workdir):
        return self.make_connector(workdir)

    def make_unavailable(self, connector, workdir):
        pass
'''

RECEIVING = (
    "test_messages_arrive_in_order_with_ids",
    "test_redelivery_after_restart_is_idempotent",
    "test_redelivered_message_is_stored_once",
    "test_threads_become_conversations",
    "test_send_returns_a_delivery_result",
)
SENDING = (
    "test_send_returns_a_delivery_result",
    "test_send_while_unavailable_returns_retry",
    "test_channel_errors_are_returned_not_raised",
)


def run_kit(pytester: pytest.Pytester, case: str) -> tuple[pytest.RunResult, float]:
    pytester.makepyfile(test_kit=CONNECTORS)
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        "-p", "agentdesk.testing", "-p", "no:cacheprovider", "-rf", f"test_kit.py::{case}"
    )
    return result, time.monotonic() - started


def failed(result: pytest.RunResult) -> set[str]:
    return set(re.findall(r"^FAILED test_kit\.py::\w+::(\w+)", result.stdout.str(), re.M))


@pytest.mark.parametrize(
    "case, fails, says",
    [
        ("TestGood", (), ()),
        (
            "TestHungSend",
            ("test_send_returns_a_delivery_result",),
            ("send() did not return within 1 s; connector state: 'scripted: connected'",),
        ),
        (
            "TestBlockingSend",
            ("test_send_returns_a_delivery_result",),
            (
                "send() did not return within 1 s, and blocks the event loop",
                "connector state: 'scripted: connected'",
            ),
        ),
        (
            "TestBadTime",
            RECEIVING,
            (
                "the desk would skip message 1: at: 'yesterday-ish' is not an ISO-8601 time with a"
                ' time zone; connector state: "demo: skipped a bad message',
            ),
        ),
        (
            "TestUndeclaredChannel",
            RECEIVING,
            ("the desk would skip message 1: channel 'sms' is not one of email, chat;",),
        ),
        (
            "TestOneThreadForAll",
            ("test_threads_become_conversations",),
            (
                "each thread must be one conversation of its own",
                "conversations per thread [[1], [1]]",
                "thread_key='kim@example.com'",
            ),
        ),
        (
            "TestCopyWithNewId",
            ("test_redelivered_message_is_stored_once",),
            (
                "a message delivered twice must keep its ext_id, so the desk stores it once;"
                " connector state: 'scripted: connected'; received 6:",
            ),
        ),
        (
            "TestRaisingSend",
            SENDING,
            (
                "send() raised ConnectionError: smtp.example.com refused the connection (at"
                " test_kit.py:",
                " in send); connector state: 'scripted: connected'",
                # the kit's own asserts are rewritten: the values that differ are shown
                "assert 'retry' == 'sent'",
            ),
        ),
    ],
)
@pytest.mark.slow  # pytest in a child process
def test_the_kit_fails_a_misbehaving_connector_readably(pytester, case, fails, says):
    result, seconds = run_kit(pytester, case)
    outcomes = result.parseoutcomes()
    assert failed(result) == set(fails), result.stdout.str()
    assert outcomes.get("failed", 0) == len(fails)
    assert outcomes["passed"] + outcomes.get("skipped", 0) == 10 - len(fails)
    for text in says:
        assert text in result.stdout.str()
    assert seconds < 15, f"the kit took {seconds:.1f} s"  # a hang would be 30 s or more
