"""The connector interface every channel implements (built-in or plugin).

A connector turns a channel into two streams: an async iterator of customer
messages (``incoming``) and ``send`` for agent replies. It never touches the UI or
the database directly; the app runs it in a Textual worker and stores what it yields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

from agentdesk.domain import Inbound, Outgoing


@dataclass(frozen=True)
class Option:
    """A setting a connector declares; validated from its ``[[connectors]]`` table."""

    name: str
    kind: type = str
    required: bool = False
    default: Any = None
    help: str = ""
    secret: bool = False


@dataclass(frozen=True)
class Capabilities:
    can_send: bool = True
    supports_push: bool = False
    supports_threads: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one ``send``.

    ``state``: ``sent`` (the channel accepted it), ``retry`` (temporary failure, try
    again later) or ``failed`` (permanent; ``detail`` holds the channel's words).
    """

    state: str
    detail: str = ""
    external_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "sent"


class Connector(ABC):
    """Base class for channel connectors."""

    name: ClassVar[str]
    channels: ClassVar[tuple[str, ...]]
    options: ClassVar[tuple[Option, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect; raise with a one-line message if that is impossible."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect and release resources; must be safe to call twice."""

    @abstractmethod
    def incoming(self) -> AsyncIterator[Inbound]:
        """Customer messages in arrival order; re-delivery must reuse ``ext_id``."""

    @abstractmethod
    async def send(self, reply: Outgoing) -> DeliveryResult:
        """Deliver an agent reply; never raise for channel errors, return them."""
