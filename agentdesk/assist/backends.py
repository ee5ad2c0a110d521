"""Draft backends: where a draft, rewrite or summary comes from, as a stream of events.

A backend's ``generate(job)`` yields a ``Source`` (which backend writes, and why),
text fragments, and one ``End`` saying how it ended. The panel and ``agentdesk draft``
show these states; neither needs to know whether a model is configured:

- ``OfflineBackend`` composes the text without a model (``offline``);
- ``LLMBackend`` streams it from the endpoint (``Assistant``, which masks personal data);
- ``FallbackBackend`` tries the model and, when it failed before any text arrived,
  hands over to the offline backend, saying why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from agentdesk.assist import offline, structure
from agentdesk.assist.context import AssistContext
from agentdesk.assist.errors import LLMError

if TYPE_CHECKING:  # made by the panel in a thread (it loads openai when a model is set)
    from agentdesk.assist.service import Assistant

KINDS = ("draft", "rewrite", "summary")


@dataclass(frozen=True)
class Job:
    """What to write: a ``draft`` or ``summary`` of ``context``, or a ``rewrite`` of
    ``original`` in ``tone``."""

    kind: str
    context: AssistContext | None = None
    tone: str = ""
    original: str = ""

    @property
    def about(self) -> AssistContext:
        """The conversation a draft or summary is about (a rewrite has none)."""
        if self.context is None:
            raise ValueError(f"a {self.kind} needs the conversation's context")
        return self.context


@dataclass(frozen=True)
class Source:
    """Who writes the text from here on: the model, or the offline rules (``note``
    says why, e.g. no endpoint; ``fallback``: the endpoint failed with ``note``)."""

    offline: bool
    note: str = ""
    fallback: bool = False


@dataclass(frozen=True)
class End:
    """How the text ended: ``complete``, ``unchanged`` (a rewrite with nothing to
    change), ``length``, ``cut off`` or ``failed``; ``notice`` is one line saying so."""

    reason: str
    notice: str = ""

    @property
    def complete(self) -> bool:
        return self.reason == "complete"


Event = Source | End | str


class DraftBackend(Protocol):
    def generate(self, job: Job) -> AsyncIterator[Event]:
        """``Source``, then text fragments, then one ``End``."""
        ...


class OfflineBackend:
    """Text composed by rules from the analysis and the KB (no model)."""

    def __init__(self, note: str = "") -> None:
        self.note = note

    async def generate(self, job: Job) -> AsyncIterator[Event]:
        yield Source(True, self.note)
        if job.kind == "rewrite":
            text = offline.rewrite(job.original, job.tone)
            if text == job.original:
                yield job.original
                yield End("unchanged", offline.NOTHING_TO_CHANGE[job.tone])
                return
        elif job.kind == "summary":
            text = offline.summary(job.about)
        else:
            composed = offline.compose(job.about)
            yield composed.text
            yield End("complete", composed.note)
            return
        yield text
        yield End("complete")


class LLMBackend:
    """Text streamed from the configured endpoint. A rewrite sends only the body: the
    greeting and signature are kept as they are around the streamed body."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    async def generate(self, job: Job) -> AsyncIterator[Event]:
        yield Source(False)
        reply = structure.split(job.original)
        if job.kind == "rewrite":
            stream = self.assistant.rewrite(reply.body or job.original, job.tone)
        elif job.kind == "summary":
            stream = self.assistant.summarise(job.about)
        else:
            stream = self.assistant.draft(job.about)
        streamed: list[str] = []
        try:
            async for text in stream:
                if not streamed and job.kind == "rewrite" and reply.greeting and reply.body:
                    yield f"{reply.greeting}\n\n"
                streamed.append(text)
                yield text
        except LLMError as error:
            yield End(error.reason, str(error))
            return
        if job.kind == "rewrite" and reply.body and reply.signature:
            yield f"\n\n{reply.signature}"
        if job.kind == "rewrite" and "".join(streamed).strip() == (reply.body or job.original):
            yield End("unchanged", offline.NOTHING_TO_CHANGE[job.tone])
            return
        yield End("complete")


class FallbackBackend:
    """The model first; the offline backend when the model failed before any text."""

    def __init__(self, first: DraftBackend) -> None:
        self.first = first

    async def generate(self, job: Job) -> AsyncIterator[Event]:
        wrote = False
        async for event in self.first.generate(job):
            if isinstance(event, End) and event.reason == "failed" and not wrote:
                yield Source(True, event.notice, fallback=True)
                async for offline_event in OfflineBackend().generate(job):
                    if not isinstance(offline_event, Source):
                        yield offline_event
                return
            wrote = wrote or (isinstance(event, str) and bool(event.strip()))
            yield event


def backend_for(assistant: Assistant, offline_only: bool = False) -> DraftBackend:
    """The model with the offline fallback, or offline alone (asked for, or no model)."""
    if offline_only:
        return OfflineBackend()
    if not assistant.online:
        return OfflineBackend("no LLM endpoint configured")
    return FallbackBackend(LLMBackend(assistant))
