"""The assistant the panel drives: context, streamed LLM text and the offline fallbacks.

Personal data is masked before a request leaves the machine (when configured and the
endpoint is not on loopback) and restored in the streamed text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from agentdesk.assist import offline, prompts
from agentdesk.assist.context import AssistContext, load_context
from agentdesk.assist.llm import LLMClient, LLMError
from agentdesk.assist.pii import Masker, Restorer
from agentdesk.assist.settings import AssistSettings

__all__ = ["Assistant", "LLMError"]


class Assistant:
    """Drafts, rewrites and summaries for one desk (``store``) and its settings."""

    def __init__(self, store, settings: AssistSettings) -> None:
        self.store = store
        self.settings = settings
        self.client = LLMClient(settings.llm) if settings.llm.enabled else None

    @property
    def online(self) -> bool:
        """True when an endpoint is configured (otherwise everything is offline)."""
        return self.client is not None

    def context(self, conversation_id: int) -> AssistContext | None:
        return load_context(
            self.store, conversation_id, self.settings.agent_display_name, self.settings.suggestions
        )

    async def _stream(
        self, build: Callable[[Callable[[str], str]], list[dict]]
    ) -> AsyncIterator[str]:
        if self.client is None:
            raise LLMError("no LLM endpoint configured")
        masker = Masker() if self.settings.masks_pii else None
        messages = build(masker.mask if masker else str)
        restorer = Restorer(masker) if masker else None
        try:
            async for token in self.client.stream(messages):
                text = restorer.feed(token) if restorer else token
                if text:
                    yield text
        except LLMError:
            if restorer and (rest := restorer.flush()):
                yield rest
            raise
        if restorer and (rest := restorer.flush()):
            yield rest

    def draft(self, context: AssistContext) -> AsyncIterator[str]:
        """Streamed reply from the endpoint (raises ``LLMError`` on failure)."""
        return self._stream(lambda mask: prompts.draft_messages(context, mask))

    def rewrite(self, text: str, tone: str) -> AsyncIterator[str]:
        return self._stream(lambda mask: prompts.rewrite_messages(text, tone, mask))

    def summarise(self, context: AssistContext) -> AsyncIterator[str]:
        return self._stream(lambda mask: prompts.summary_messages(context, mask))

    @staticmethod
    def offline_draft(context: AssistContext) -> str:
        return offline.draft(context)

    @staticmethod
    def offline_rewrite(text: str, tone: str) -> str:
        return offline.rewrite(text, tone)

    @staticmethod
    def offline_summary(context: AssistContext) -> str:
        return offline.summary(context)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
