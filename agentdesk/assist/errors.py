"""How a model's reply can fail or stop short (no openai import: the panel and the
offline path use these without loading the client)."""

from __future__ import annotations


class LLMError(Exception):
    """The endpoint failed; ``str(error)`` is one line naming what happened."""

    reason = "failed"


class LLMCutOff(LLMError):
    """The stream ended before the model finished (no finish reason)."""

    reason = "cut off"


class LLMLengthLimit(LLMError):
    """The model stopped at ``max_tokens``."""

    reason = "length"
