"""``[delivery]``: the time limit on one send and the retry backoff (``agentdesk.delivery``
sends). A module of its own: the config checks it at every start, and the sending
machinery is not needed for that."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdesk.config import Config


@dataclass(frozen=True)
class DeliverySettings:
    """How replies are sent: the time limit on one ``send`` and the retry backoff."""

    send_timeout: float = 120.0  # above the connectors' own network timeouts (email: 30 s)
    retry_first: float = 5.0
    retry_max: float = 300.0


def delivery_settings(config: Config) -> DeliverySettings:
    """Read ``[delivery]``; errors name the file and key."""
    table = config.table("delivery")
    table.reject_unknown({"send_timeout", "retry_first", "retry_max"})
    defaults = DeliverySettings()
    settings = DeliverySettings(
        table.positive("send_timeout", defaults.send_timeout),
        table.positive("retry_first", defaults.retry_first),
        table.positive("retry_max", defaults.retry_max),
    )
    if settings.retry_max < settings.retry_first:
        raise table.error("retry_max", "must not be less than retry_first")
    return settings
