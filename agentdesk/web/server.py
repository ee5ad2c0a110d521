"""The desk served to browsers: textual-serve's server, one ``agentdesk open`` process per
browser tab, with the guard in front of every request and its own start and stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web
from textual_serve.server import Server

from agentdesk.web.guard import make_guard, page_headers
from agentdesk.web.settings import WebSettings


class DeskServer(Server):
    """Serves ``command`` (the desk's own command line) at ``settings``' address; browsers
    present ``token`` unless it is None (loopback only)."""

    def __init__(self, command: str, settings: WebSettings, token: str | None, title: str):
        super().__init__(
            command,
            host=settings.host,
            port=settings.port,
            title=title,
            public_url=settings.public_url or None,
        )
        self.settings, self.token = settings, token
        self.sessions: set[asyncio.Task[Any]] = set()  # one websocket handler per tab

    async def handle_index(self, request: web.Request) -> Any:
        """The page; its websocket address is built from the public address, else from
        the address this browser asked for (right for a 0.0.0.0 bind too). textual-serve
        reads ``public_url`` before its first await, so one request never sees another's."""
        self.public_url = self.settings.public_url or f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A tab's session (its own desk process), kept so that stopping can end it."""
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions.discard(task)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: ``run`` says where the desk is (textual-serve prints its logo here)."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every tab's session now: textual-serve then tells its desk process to quit
        and waits for it (aiohttp alone would wait for the tabs to close)."""
        sessions = list(self.sessions)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)

    async def run(self, started: Callable[[int], None]) -> None:
        """Listen until SIGTERM or SIGINT, calling ``started(port)`` once listening; on the
        way out every browser's desk process is told to quit and waited for."""
        app = await self._make_app()
        app.middlewares.append(make_guard(self.token, self.settings.public_url))
        app.on_response_prepare.append(page_headers(self.settings.public_url))
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stopping.set)
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            started(runner.addresses[0][1])
            await stopping.wait()
        finally:
            await runner.cleanup()
