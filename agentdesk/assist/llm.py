"""Streaming chat completions from an OpenAI-compatible endpoint (``AsyncOpenAI``).

Every failure becomes an ``LLMError`` whose message is one line for the status bar;
no exception from the HTTP stack escapes ``stream``. A stream that is not finished
(no finish reason: the server closed it, or cut it off to serve another client) raises
``LLMCutOff``, one stopped by ``max_tokens`` raises ``LLMLengthLimit``: a stream only
ends quietly when the model said it was done. ``timeout`` bounds the whole wait for the
answer to start (retries included) and every pause between two chunks.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

import openai

from agentdesk.assist.errors import LLMCutOff, LLMError, LLMLengthLimit
from agentdesk.assist.settings import LLMSettings
from agentdesk.config import ConfigError

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe(error: BaseException, settings: LLMSettings, started: bool, waited: float) -> str:
    """One line for ``error`` raised before (``started`` False) or during the stream,
    ``waited`` seconds after the request (or the last chunk)."""
    host = urlsplit(settings.base_url).netloc or settings.base_url
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        what = "stopped sending" if started else "did not answer"
        return f"LLM endpoint {what} for {waited:.1f} s (timeout {settings.timeout:g} s)"
    if isinstance(error, json.JSONDecodeError):
        return "LLM endpoint sent invalid JSON in the stream"
    if isinstance(error, openai.AuthenticationError):
        return f"LLM endpoint rejected the API key (401 from {host})"
    if isinstance(error, openai.PermissionDeniedError):
        return f"LLM endpoint denied access (403 from {host})"
    if isinstance(error, openai.NotFoundError):
        return f"LLM model {settings.model!r} or URL not found (404 from {host})"
    if isinstance(error, openai.RateLimitError):
        return (
            f"LLM endpoint is rate limiting (429 from {host}, {settings.max_retries} retries used)"
        )
    if isinstance(error, openai.APIStatusError):
        return f"LLM endpoint failed ({error.status_code} from {host})"
    if isinstance(error, openai.APIConnectionError | openai.APIError) and started:
        return "LLM stream was cut off mid-way"
    if isinstance(error, openai.APIConnectionError):
        causes = _causes(error)
        if any(isinstance(c, socket.gaierror) for c in causes) or any(
            "name or service not known" in str(c).lower()
            or "name resolution" in str(c).lower()
            or "nodename nor servname" in str(c).lower()
            for c in causes
        ):
            return f"LLM endpoint host not found (DNS lookup failed for {host})"
        if any(isinstance(c, ConnectionRefusedError) for c in causes) or any(
            "connection refused" in str(c).lower() or "errno 111" in str(c).lower() for c in causes
        ):
            return f"LLM endpoint refused the connection ({host})"
        return f"cannot reach LLM endpoint {host}"
    if isinstance(error, ConfigError):
        return str(error)
    return f"LLM request failed: {type(error).__name__}"


class LLMClient:
    """One endpoint. ``stream(messages)`` yields text fragments as they arrive."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self._client: openai.AsyncOpenAI | None = None

    def _make_client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                base_url=self.settings.base_url,
                api_key=self.settings.api_key(),
                timeout=self.settings.timeout,
                max_retries=self.settings.max_retries,
            )
        return self._client

    async def stream(self, messages: list[dict]) -> AsyncIterator[str]:
        """Content deltas of one streamed chat completion; raises only ``LLMError``.

        Each wait has its own deadline (the request with its retries, then each chunk),
        and text is yielded outside them, so the consumer's time never counts.
        """
        loop = asyncio.get_running_loop()
        started, finish = False, None
        since = loop.time()
        try:
            async with asyncio.timeout_at(since + self.settings.timeout):
                response = await self._make_client().chat.completions.create(
                    model=self.settings.model,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    stream=True,
                    temperature=self.settings.temperature,
                    max_tokens=self.settings.max_tokens,
                )
            started = True
            chunks = aiter(response)
            while True:
                async with asyncio.timeout_at(since + self.settings.timeout):
                    chunk = await anext(chunks, None)
                if chunk is None:
                    break
                since = loop.time()
                if chunk.choices:
                    finish = chunk.choices[0].finish_reason or finish
                    if chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except (
            openai.OpenAIError,
            json.JSONDecodeError,
            ConfigError,
            OSError,
            ValueError,
            TimeoutError,
        ) as error:
            line = describe(error, self.settings, started, loop.time() - since)
            broken = started and isinstance(error, openai.APIError | TimeoutError)
            raise (LLMCutOff if broken else LLMError)(line) from error
        if finish is None:
            raise LLMCutOff("LLM stream was cut off: it ended before the model finished")
        if finish == "length":
            raise LLMLengthLimit(f"stopped at the length limit ({self.settings.max_tokens} tokens)")
        if finish != "stop":
            raise LLMError(f"LLM endpoint stopped the reply ({finish})")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
