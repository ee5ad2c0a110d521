"""The connector interface every channel implements (built-in or plugin).

A connector turns a channel into two streams: an async iterator of customer
messages (``incoming``) and ``send`` for agent replies. It never touches the UI; the
app runs it in a Textual worker and the ``ChannelHost`` stores what it yields.

The history of this interface is in CHANGELOG.md ("Connector API").
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from agentdesk.domain import Inbound, Outgoing

if TYPE_CHECKING:
    from agentdesk.config import Table
    from agentdesk.store import Store

# Keys of a [[connectors]] table that belong to agentdesk, not to the connector.
RESERVED_KEYS = frozenset({"type", "name", "enabled"})


@dataclass(frozen=True)
class Option:
    """A setting a connector declares; validated from its ``[[connectors]]`` table."""

    name: str
    kind: type = str
    required: bool = False
    default: Any = None
    help: str = ""
    secret: bool = False
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do; the app hides what it cannot.

    ``can_send`` decides which connectors reply; the others are shown to the agent
    (``agentdesk connectors --options NAME``, the palette's "Channels").
    """

    can_send: bool = True
    supports_push: bool = False  # new messages arrive as they come (IDLE, /sync), not polled
    supports_threads: bool = False  # replies continue the customer's thread

    def summary(self) -> str:
        """What the channel does, in words."""
        return ", ".join(
            (
                "sends replies" if self.can_send else "receives only",
                "live" if self.supports_push else "polled",
                "threaded" if self.supports_threads else "no threads",
            )
        )


DELIVERY_STATES = ("sent", "retry", "failed")


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
    """Base class for channel connectors.

    Lifecycle: ``validate`` (class method, config) -> ``__init__(settings)`` ->
    ``attach(store)`` -> ``start()`` -> ``incoming()`` / ``send()`` -> ``stop()``.
    """

    name: ClassVar[str]
    channels: ClassVar[tuple[str, ...]]
    options: ClassVar[tuple[Option, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()

    label: str = ""  # the config table's ``name`` (defaults to ``name``)
    state: str = ""
    on_state: Callable[[str], None] | None = None
    _retry_now: asyncio.Event | None = None  # set while waiting to reconnect

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    @classmethod
    def validate(cls, table: Table) -> dict[str, Any]:
        """Settings from a ``[[connectors]]`` table: typed, defaulted, unknown keys refused.

        Raises ``ConfigError`` naming the file and key.
        """
        known = {option.name for option in cls.options}
        table.reject_unknown(known | RESERVED_KEYS)
        settings: dict[str, Any] = {}
        for option in cls.options:  # what is there must be right, before what is missing
            value = table.get(option.name, option.kind, option.default)
            if option.choices and value is not None and value not in option.choices:
                allowed = ", ".join(str(choice) for choice in option.choices)
                raise table.error(option.name, f"must be one of {allowed}, got {value!r}")
            settings[option.name] = value
        for option in cls.options:
            if settings[option.name] is None and option.required:
                raise table.error(option.name, f"required ({option.help or option.kind.__name__})")
        return settings

    @property
    def desk_name(self) -> str:
        """The connector's name on the desk (its table's ``name``, else ``name``): states
        start with it, and replies are routed by it."""
        return self.label or self.name

    def set_state(self, text: str) -> None:
        """Record the one-line connection state and tell ``on_state`` (never raises)."""
        self.state = text
        if self.on_state is not None:
            with contextlib.suppress(Exception):  # a UI callback must not stop the channel
                self.on_state(text)

    def attach(self, store: Store) -> None:  # noqa: B027 - optional hook
        """Receive the desk store before ``start`` (only connectors with sync state need it)."""

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:  # noqa: B027
        """Called in the transaction that stored ``message``.

        ``stored`` is ``None`` when nothing was stored: a re-delivery, a reaction that
        rates no survey, or a message the host skipped as invalid (see
        ``agentdesk.intake``); progress may move past it.
        """

    def ready(self) -> bool:
        """True if ``incoming()`` can yield its next message without waiting."""
        return False

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

    def reconnect(self) -> None:
        """Cut a wait before reconnecting short (the desk's "Reconnect channels")."""
        if self._retry_now is not None:
            self._retry_now.set()

    async def wait_to_reconnect(self, seconds: float, stopping: asyncio.Event) -> None:
        """Wait ``seconds`` before reconnecting; ``reconnect()`` or ``stopping`` end it early.

        Connectors with their own reconnect loop wait here, so the desk can hurry them.
        """
        self._retry_now = asyncio.Event()
        waits = [
            asyncio.ensure_future(self._retry_now.wait()),
            asyncio.ensure_future(stopping.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            self._retry_now = None

    async def typing(self, thread_key: str, active: bool) -> bool:
        """Show the customer that the agent is (or stopped) typing; False if unsupported."""
        return False

    async def mark_read(self, thread_key: str) -> bool:
        """Tell the customer the agent read their messages; False if unsupported."""
        return False
