"""The webhook pattern of docs/plugins.md: a push channel answers a post only once the
desk stored its message, and passes the conformance kit (produce runs before start)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from mailservers import free_port

from agentdesk.connectors.base import Connector, DeliveryResult, Option
from agentdesk.delivery import ChannelHost
from agentdesk.domain import Inbound, Outgoing
from agentdesk.store import Store
from agentdesk.testing import ConnectorContract, table


class HookConnector(Connector):
    """Customer messages POSTed as JSON by a provider, which retries until it gets a 200."""

    name = "hook"
    channels = ("hook",)
    options = (Option("port", int, required=True, help="port the webhook listens on"),)

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self._arrived: asyncio.Queue | None = None  # (message, future) from the handler
        self._waiting: dict[int, asyncio.Future] = {}  # id(message) -> its future
        self._runner: web.AppRunner | None = None
        self.sent: list[Outgoing] = []

    async def start(self) -> None:
        self._arrived = asyncio.Queue()
        app = web.Application()
        app.router.add_post("/hook", self._post)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.settings["port"]).start()
        self.set_state(f"hook: listening on {self.settings['port']}")

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
            self._arrived.put_nowait(None)  # incoming() ends

    async def _post(self, request: web.Request) -> web.Response:
        payload = await request.json()
        message = Inbound(
            channel="hook",
            address=payload["from"],
            text=payload["text"],
            at=payload["time"],
            ext_id=f"hook:{payload['id']}",
        )
        stored = asyncio.get_running_loop().create_future()
        await self._arrived.put((message, stored))
        await stored  # set by recorded(): resumes once the transaction committed
        return web.Response(status=200)

    async def incoming(self):
        while (item := await self._arrived.get()) is not None:
            message, stored = item
            self._waiting[id(message)] = stored
            yield message

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        future = self._waiting.pop(id(message), None)
        if future is not None and not future.done():
            future.set_result(stored)  # None: a retried post the desk already has

    async def send(self, reply: Outgoing) -> DeliveryResult:
        self.sent.append(reply)
        return DeliveryResult("sent", external_id=f"hook-{reply.message_id}")


def committed(database: Path, ext_id: str) -> bool:
    """Whether another connection sees the message, i.e. its transaction committed."""
    with sqlite3.connect(database) as conn:
        return (
            conn.execute("SELECT 1 FROM messages WHERE ext_id = ?", (ext_id,)).fetchone()
            is not None
        )


def payload(key: str, text: str) -> dict:
    return {"id": key, "from": "kim@example.com", "text": text, "time": "2026-11-20T09:00:00Z"}


class Provider:
    """The channel's side: posts each payload in order, retrying until it gets a 200
    (so it may post before the desk listens, and posts a message again if asked)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.payloads: list[dict] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._post_all, daemon=True)
        self._thread.start()

    def post(self, payloads: list[dict]) -> None:
        with self._changed:
            self.payloads.extend(payloads)
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join(30)

    def _post_all(self) -> None:
        posted = 0
        with httpx.Client(timeout=20.0) as client:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda n=posted: self._closed or n < len(self.payloads))
                    if self._closed:
                        return
                    body = self.payloads[posted]
                try:
                    answer = client.post(f"http://127.0.0.1:{self.port}/hook", json=body)
                except httpx.TransportError:  # the desk is not listening (yet): try again
                    with self._changed:  # a provider's retry pause
                        self._changed.wait_for(lambda: self._closed, timeout=0.05)
                    continue
                posted += answer.status_code == 200


class TestHookContract(ConnectorContract):
    settle = 0.3

    @pytest.fixture(autouse=True)
    def providers(self):
        self.providers: dict[Path, Provider] = {}
        yield
        for provider in self.providers.values():
            provider.close()

    def provider(self, workdir: Path) -> Provider:
        if workdir not in self.providers:
            self.providers[workdir] = Provider()
        return self.providers[workdir]

    def make_connector(self, workdir):
        port = self.provider(workdir).port
        return HookConnector(HookConnector.validate(table({"type": "hook", "port": port})))

    def produce(self, connector, workdir, texts):
        self.provider(workdir).post([payload(f"{workdir.name}-{text}", text) for text in texts])

    def redeliver(self, connector, workdir, texts):
        provider = self.provider(workdir)
        provider.post([p for p in provider.payloads if p["text"] in texts])

    def delivered(self, connector, workdir):
        return [reply.text for reply in connector.sent]


async def test_a_post_is_answered_only_once_its_message_is_stored(tmp_path):
    database = tmp_path / "desk.db"
    port = free_port()
    connector = HookConnector(HookConnector.validate(table({"type": "hook", "port": port})))
    with Store(database) as store:
        host = ChannelHost(store, [connector])
        await connector.start()
        receiving = asyncio.create_task(host.receive(connector))
        # Another writer holds the database for a moment: the desk's transaction waits.
        blocker = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        threading.Timer(0.5, blocker.rollback).start()

        def post_twice() -> list[tuple[int, bool]]:  # the provider missed the first 200
            with httpx.Client(timeout=10.0) as client:
                return [
                    (
                        client.post(
                            f"http://127.0.0.1:{port}/hook", json=payload("1", "Where is my order?")
                        ).status_code,
                        committed(database, "hook:1"),
                    )
                    for _ in range(2)
                ]

        answers = await asyncio.to_thread(post_twice)
        blocker.close()
        await connector.stop()
        await asyncio.wait_for(receiving, 10.0)
        with store.db.read() as conn:
            count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert answers == [(200, True), (200, True)]  # each 200 came after the commit
    assert count == 1
