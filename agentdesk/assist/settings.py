"""The ``[llm]``, ``[privacy]``, ``[kb]`` and ``[presend]`` config tables, validated into typed settings.

API keys are never part of the settings: only the name of the environment variable or
the command that prints the key, resolved when a request is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agentdesk import credentials
from agentdesk.config import Config, ConfigError, Table
from agentdesk.hosts import is_loopback

# The pre-send check's rules (agentdesk.assist.presend), each one a key of ``[presend]``;
# here, so reading the config does not import the checks (and their word lists).
RULES = (
    "unanswered_question",
    "empathy",
    "payment_numbers",
    "attachment",
    "placeholder",
    "unedited_draft",
)
DEFAULT_OFF = frozenset({"unedited_draft"})


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible endpoint; ``base_url`` empty means offline drafts only."""

    base_url: str = ""
    model: str = ""
    api_key_env: str = ""
    api_key_command: str = ""
    timeout: float = 20.0
    max_retries: int = 2
    temperature: float = 0.4
    max_tokens: int = 800  # a long support reply is 300-500 tokens
    config_path: Path | str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)

    @property
    def is_loopback(self) -> bool:
        """True when the endpoint runs on this machine (customer data never leaves it)."""
        return is_loopback(urlsplit(self.base_url).hostname)

    def api_key(self) -> str:
        """The key from the environment variable or command; a placeholder when none is set.

        Local servers (Ollama, llama.cpp, LM Studio) ignore the key, the client needs one.
        """
        try:
            if self.api_key_env:
                return credentials.from_environment(self.api_key_env, "api_key_env")
            if self.api_key_command:
                return credentials.from_command(self.api_key_command, "api_key_command")
        except credentials.CredentialError as error:
            raise ConfigError(self.config_path, f"llm.{error.key}", error.reason) from None
        return "not-needed"


@dataclass(frozen=True)
class AssistSettings:
    """Everything the assist layer needs from the config."""

    llm: LLMSettings = field(default_factory=LLMSettings)
    mask_personal_data: str = "remote"  # remote | always | never
    kb_dir: Path | None = None
    suggestions: int = 3
    agent_name: str = "me"
    agent_display_name: str = "Me"
    presend: frozenset[str] = field(default_factory=lambda: frozenset(RULES) - DEFAULT_OFF)

    @property
    def masks_pii(self) -> bool:
        """Personal data is masked for remote endpoints ("remote"), always, or never."""
        if self.mask_personal_data == "always":
            return True
        return self.mask_personal_data == "remote" and not self.llm.is_loopback


def llm_settings(table: Table) -> LLMSettings:
    if "api_key" in table.data:
        raise table.error(
            "api_key",
            "keys are never stored in the config file; use api_key_env or api_key_command",
        )
    table.reject_unknown(
        {
            "base_url",
            "model",
            "api_key_env",
            "api_key_command",
            "timeout",
            "max_retries",
            "temperature",
            "max_tokens",
        }
    )
    base_url = table.get("base_url", str, "").strip()
    if base_url and urlsplit(base_url).scheme not in ("http", "https"):
        raise table.error("base_url", f"expected an http:// or https:// URL, got {base_url!r}")
    model = table.get("model", str, "").strip()
    if base_url and not model:
        raise table.error("model", "required when base_url is set")
    if table.get("api_key_env", str) and table.get("api_key_command", str):
        raise table.error("api_key_command", "set api_key_env or api_key_command, not both")
    retries = table.get("max_retries", int, 2)
    if retries < 0:
        raise table.error("max_retries", f"must be 0 or more, got {retries}")
    temperature = table.get("temperature", float, 0.4)
    if not 0 <= temperature <= 2:
        raise table.error("temperature", f"must be between 0 and 2, got {temperature}")
    max_tokens = table.get("max_tokens", int, 800)
    if not 16 <= max_tokens <= 32768:
        raise table.error("max_tokens", f"must be between 16 and 32768, got {max_tokens}")
    return LLMSettings(
        base_url=base_url,
        model=model,
        api_key_env=table.get("api_key_env", str, ""),
        api_key_command=table.get("api_key_command", str, ""),
        timeout=table.positive("timeout", 20.0),
        max_retries=retries,
        temperature=temperature,
        max_tokens=max_tokens,
        config_path=table.path,
    )


def assist_settings(config: Config) -> AssistSettings:
    """Validate ``[llm]``, ``[privacy]`` and ``[kb]``; errors name the file and key."""
    llm = llm_settings(config.table("llm"))
    privacy = config.table("privacy")
    privacy.reject_unknown({"mask_personal_data"})
    kb = config.table("kb")
    kb.reject_unknown({"dir", "suggestions"})
    kb_dir = kb.get("dir", str)
    count = kb.get("suggestions", int, 3)
    if not 1 <= count <= 9:
        raise kb.error("suggestions", f"must be between 1 and 9, got {count}")
    mask = privacy.choice("mask_personal_data", ("remote", "always", "never"), "remote")
    presend = config.table("presend")
    presend.reject_unknown(set(RULES))
    rules = frozenset(rule for rule in RULES if presend.get(rule, bool, rule not in DEFAULT_OFF))
    return AssistSettings(
        llm=llm,
        mask_personal_data=mask,
        kb_dir=Path(kb_dir).expanduser() if kb_dir else None,
        suggestions=count,
        agent_name=config.agent_name,
        agent_display_name=config.agent_display_name,
        presend=rules,
    )
