"""The ``[csat]`` config table, validated: where surveys are sent, in which words, how often."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentdesk.config import Config, Table
from agentdesk.surveys.questions import QUESTIONS


@dataclass(frozen=True)
class CsatSettings:
    """Whether a resolve sends a survey (``enabled``, then per channel, then per connector,
    the most specific setting winning), the question per language (built-in ones
    overridden by ``texts``) and the days a customer is not asked again."""

    enabled: bool = False
    channels: dict[str, bool] = field(default_factory=dict)
    connectors: dict[str, bool] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    cooldown_days: float = 30.0
    ces: bool = False  # a rating is followed by the effort question (1-7)
    ces_texts: dict[str, str] = field(default_factory=dict)

    def asks_on(self, channel: str, connector: str | None) -> bool:
        """Whether a conversation on ``channel`` that came through ``connector`` is surveyed."""
        if connector is not None and connector in self.connectors:
            return self.connectors[connector]
        return self.channels.get(channel, self.enabled)


def csat_settings(config: Config) -> CsatSettings:
    """Read ``[csat]``; a bad value is one line naming the file and key."""
    table = config.table("csat")
    table.reject_unknown(
        {"enabled", "channels", "connectors", "texts", "cooldown_days", "ces", "ces_texts"}
    )
    cooldown = table.get("cooldown_days", float, 30.0)
    if cooldown < 0:
        raise table.error("cooldown_days", f"must be 0 or more days, got {cooldown:g}")
    return CsatSettings(
        enabled=table.get("enabled", bool, False),
        channels=_switches(table.table("channels")),
        connectors=_switches(table.table("connectors")),
        texts=_texts(table.table("texts")),
        cooldown_days=cooldown,
        ces=table.get("ces", bool, False),
        ces_texts=_texts(table.table("ces_texts")),
    )


def _texts(table: Table) -> dict[str, str]:
    """A question per language: ``en``, ``de``, ``fr`` or ``es``, none empty."""
    table.reject_unknown(set(QUESTIONS))
    return {lang: _text(table, lang) for lang in table.data}


def _switches(table: Table) -> dict[str, bool]:
    """``{name = true/false}``: surveys on or off for each channel or connector named."""
    return {name: bool(table.get(name, bool)) for name in table.data}


def _text(table: Table, lang: str) -> str:
    text: str = table.get(lang, str).strip()
    if not text:
        raise table.error(lang, "the survey question must not be empty")
    return text
