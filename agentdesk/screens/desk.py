"""The screens' typed view of the running desk: the services the app holds.

Screens read them as ``self.desk.store``, ``self.desk.config`` … instead of untyped
``self.app`` attributes; the app (``agentdesk.app.AgentDeskApp``) provides them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from textual import events
from textual.geometry import Size
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.signal import Signal
    from textual.worker import Worker

    from agentdesk.assist.settings import AssistSettings
    from agentdesk.config import Config
    from agentdesk.delivery import ChannelHost
    from agentdesk.domain import Agent, Presence
    from agentdesk.event_writer import EventWriter
    from agentdesk.handle_time import HandleTime
    from agentdesk.store import Store


class Desk(Protocol):
    """What the screens use of the app."""

    store: Store
    config: Config
    agent: Agent
    host: ChannelHost
    assist_settings: AssistSettings
    event_writer: EventWriter  # facts recorded as they happen (kept while the database is away)
    handle_time: HandleTime
    desk_changed: Signal[int | None]
    channels_changed: Signal[str]
    live_changed: Signal[frozenset[int]]  # conversations changed, maybe by another desk
    presence_changed: Signal[frozenset[int]]  # ... where someone came, went or typed
    others: dict[int, tuple[Presence, ...]]  # who else (other desks) is in each conversation

    def here(self, conversation_id: int | None, activity: str = "viewing") -> None: ...

    def deliver(self, message_id: int) -> Worker[None]: ...

    def resolved(self, conversation_id: int) -> None: ...

    def tell_channel(
        self, conversation_id: int, what: str, active: bool = False
    ) -> Worker[None]: ...

    def channel_states(self) -> list[str]: ...

    def open_conversation(
        self, conversation_id: int, step: Callable[[int], int | None] | None = None
    ) -> None: ...

    async def assist_loaded(self) -> None: ...


class DeskScreen(Screen[None]):
    """A screen of the desk: ``self.desk`` is the app's services, typed.

    It is styled and laid out only when something changed: Textual 8.2 restyles a
    screen it pushes and lays a screen out again for a resize to the size it has, so
    the inbox's first paint styled its widgets twice and laid them out once too often.
    """

    @property
    def desk(self) -> Desk:
        return cast("Desk", self.app)

    def _on_mount(self, event: events.Mount) -> None:
        """Just styled: its widgets took the app's styles as they were mounted."""
        self._css_update_count = self.app._css_update_count

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Shown (again): Textual restyles every widget of a screen it pushes, but a
        desk screen's styles are kept current while it waits (a class change applies at
        once, on any screen), so it is restyled only when the app's CSS changed since
        (a theme change). Runs before ``Screen._on_screen_resume``."""
        if self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False
        self._css_update_count = self.app._css_update_count

    def _screen_resized(self, size: Size) -> None:
        """The terminal's size changed: laid out again, unless laid out at that size
        already (the terminal's first resize event gives the size the desk started
        at). A widget that asked for a layout meanwhile still gets it, on its own.
        The size laid out at is the compositor's: ``self.size`` already has the new one."""
        if size != self._compositor.size:
            super()._screen_resized(size)


class ReadOrder:
    """Reads made in workers, begun in order but ending in any order: ``begin`` numbers
    a read as it starts; ``current`` says whether it may still be shown (no read begun
    after it is shown yet: an older one may hold the state before) and counts it shown."""

    def __init__(self) -> None:
        self._begun = 0
        self._shown = 0

    def begin(self) -> int:
        self._begun += 1
        return self._begun

    def current(self, number: int) -> bool:
        if number < self._shown:
            return False
        self._shown = number
        return True
