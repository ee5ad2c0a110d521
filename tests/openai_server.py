"""A real HTTP server on loopback speaking the OpenAI chat-completions SSE protocol.

Runs aiohttp in its own thread and event loop (session-scoped); each test scripts the
replies it wants with ``server.script(...)`` and reads ``server.requests`` afterwards.
Its fixtures (``openai_server``, session-scoped ``openai_server_session``) are
registered in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def chunk(content: str, finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "test-model",
        "choices": [
            {"index": 0, "delta": {"content": content} if content else {}, "finish_reason": finish}
        ],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


class Reply:
    """Scripted answers: each is a coroutine handling one request."""

    @staticmethod
    def stream(tokens: list[str], delay: float = 0.0, sent: list | None = None) -> Handler:
        """A normal SSE stream of ``tokens``; ``sent`` collects (token, perf_counter())."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await _start(request)
            try:
                for token in tokens:
                    if delay:
                        await asyncio.sleep(delay)
                    await response.write(chunk(token))
                    if sent is not None:
                        sent.append((token, time.perf_counter()))
                await response.write(chunk("", "stop"))
                await response.write(b"data: [DONE]\n\n")
                await response.write_eof()
            except ConnectionResetError:  # the client cancelled: fine
                pass
            return response

        return handler

    @staticmethod
    def ending(tokens: list[str], finish: str | None, done: bool) -> Handler:
        """Stream ``tokens``, then a chunk with ``finish`` (none when None), then
        ``[DONE]`` when ``done``, and close the body cleanly."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await _start(request)
            for token in tokens:
                await response.write(chunk(token))
            if finish is not None:
                await response.write(chunk("", finish))
            if done:
                await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response

        return handler

    @staticmethod
    def stall(tokens: list[str], seconds: float) -> Handler:
        """Stream ``tokens``, then send nothing for ``seconds`` before finishing."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await _start(request)
            try:
                for token in tokens:
                    await response.write(chunk(token))
                await asyncio.sleep(seconds)
                await response.write(chunk("", "stop"))
                await response.write_eof()
            except ConnectionResetError:
                pass
            return response

        return handler

    @staticmethod
    def status(
        code: int, message: str = "scripted error", retry_after_ms: int | None = None
    ) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms else {}
            return web.json_response(
                {"error": {"message": message, "type": "test"}}, status=code, headers=headers
            )

        return handler

    @staticmethod
    def hang(seconds: float) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(seconds)
            return web.json_response({"error": {"message": "too late"}}, status=500)

        return handler

    @staticmethod
    def cut(tokens: list[str]) -> Handler:
        """Stream ``tokens`` then drop the connection without finishing the body."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await _start(request)
            for token in tokens:
                await response.write(chunk(token))
            await asyncio.sleep(0.05)
            request.transport.close()
            return response

        return handler

    @staticmethod
    def bad_json(tokens: list[str]) -> Handler:
        """Stream ``tokens`` then an event whose data is not JSON."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await _start(request)
            for token in tokens:
                await response.write(chunk(token))
            await response.write(b'data: {"choices": [oops\n\n')
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response

        return handler


async def _start(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    return response


class OpenAIServer:
    """The server; ``base_url`` ends in ``/v1`` like the real API."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[dict] = []
        self._script: deque[Handler] = deque()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *handlers: Handler) -> None:
        """The replies for the next requests, in order."""
        self._script.extend(handlers)

    def reset(self) -> None:
        self.requests.clear()
        self._script.clear()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace"),
                "json": json.loads(body) if body else None,
            }
        )
        if not self._script:
            return web.json_response({"error": {"message": "unscripted request"}}, status=599)
        return await self._script.popleft()(request)

    def start(self) -> None:
        self._thread.start()
        sock = socket.socket()
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]

        async def serve() -> None:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._handle)
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()

        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def refused_port() -> int:
    """A loopback port nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def non_loopback_address() -> str | None:
    """This machine's address on its default route (None when it has none)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("198.51.100.1", 9))  # no packet is sent for UDP connect
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


@pytest.fixture(scope="session", name="openai_server_session")
def openai_server_session_fixture():
    server = OpenAIServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="openai_server")
def openai_server_fixture(openai_server_session):
    """The session's server with an empty script and request log."""
    openai_server_session.reset()
    yield openai_server_session
    openai_server_session.reset()
