"""The Textual application and its factory (used by the CLI and the tests alike)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from agentdesk.assist.settings import AssistSettings
from agentdesk.config import Config
from agentdesk.connectors.base import Connector, DeliveryResult
from agentdesk.delivery import ChannelHost
from agentdesk.domain import Agent
from agentdesk.store import Store
from agentdesk.text import count_of, one_line

SNOOZE_CHECK_SECONDS = 30
IDLE_CHECK_SECONDS = 5
REFRESH_COALESCE_SECONDS = 0.25


class AgentDeskApp(App):
    """The desk: inbox, conversations, and the workers that talk to channels."""

    TITLE = "agentdesk"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("S", "stats", "Stats", id="app.stats"),
    ]

    def __init__(
        self,
        config: Config,
        store: Store,
        assist: AssistSettings,
        connectors: Iterable[Connector] = (),
        problems: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.assist_settings = assist
        self.agent = Agent(config.agent_name, config.agent_display_name, config.agent_email)
        self.host = ChannelHost(store, list(connectors), config.delivery)
        self.problems = [*problems, *self.host.problems]
        self.viewing: int | None = None  # conversation in focus, for handle time
        self.idle_cutoff = config.metrics.idle_cutoff_seconds
        self._last_key = time.monotonic()
        self._idle = False
        self._refresh_pending = False

    def on_mount(self) -> None:
        from agentdesk.screens.inbox import InboxScreen

        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.store.conversations.wake_snoozed()
        self.push_screen(InboxScreen())
        for problem in self.problems:
            self.notify(problem, severity="error", timeout=10)
        for connector in self.host.connectors:
            self.run_connector(connector)
        waiting = self.store.replies.undelivered()  # queued, sending (interrupted) and retry
        for message_id in waiting:
            self.deliver(message_id)
        if waiting:
            self.notify(
                f"Delivering {count_of(len(waiting), 'earlier reply', 'earlier replies')}"
                " not sent yet (Ctrl+P: Stuck replies).",
                severity="warning",
            )
        self.set_interval(SNOOZE_CHECK_SECONDS, self.wake_snoozed)
        self.set_interval(IDLE_CHECK_SECONDS, self.end_idle_focus)

    async def on_unmount(self) -> None:
        """Disconnect every channel (stopping twice is safe), so no thread outlives the app."""
        for connector in self.host.connectors:
            try:
                await connector.stop()
            except Exception as error:  # closing must never turn into a traceback
                self.log.error(f"stopping {connector.name}: {error}")

    # ---- conversations ---------------------------------------------------------------
    def open_conversation(self, conversation_id: int, step=None) -> None:
        """Show a conversation (from the inbox, the stats drill-down or a notification)."""
        from agentdesk.screens.conversation import ConversationScreen

        if isinstance(self.screen, ConversationScreen):
            self.screen.show(conversation_id)
        else:
            self.push_screen(ConversationScreen(conversation_id, step))

    def refresh_views(self, conversation_id: int | None = None) -> None:
        """Something changed in the store: redraw what shows it."""
        from agentdesk.screens.conversation import ConversationScreen
        from agentdesk.screens.inbox import InboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.refresh_list()
            elif isinstance(screen, ConversationScreen) and (
                conversation_id is None or screen.conversation_id == conversation_id
            ):
                screen.reload()

    def message_arrived(self, conversation_id: int) -> None:
        """A connector stored a message; bursts are coalesced into one redraw."""
        if not self._refresh_pending:
            self._refresh_pending = True
            self.set_timer(REFRESH_COALESCE_SECONDS, self._refresh_after_arrivals)

    def _refresh_after_arrivals(self) -> None:
        self._refresh_pending = False
        self.refresh_views()

    def wake_snoozed(self) -> None:
        if self.store.conversations.wake_snoozed():
            self.refresh_views()

    def action_stats(self) -> None:
        """The stats screen (docs/metrics.md), from anywhere."""
        from agentdesk.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.store, self.config))

    # ---- channels --------------------------------------------------------------------
    @work(group="connectors", exit_on_error=False)
    async def run_connector(self, connector: Connector) -> None:
        """Receive from one connector for as long as the app runs.

        A connector that cannot start shows its one-line state; the desk keeps working.
        """
        connector.on_state = self.channel_state_changed
        await self.host.run(
            connector, on_message=self.message_arrived, on_failure=self.channel_failed
        )

    def channel_failed(self, problem: str) -> None:
        """A connector failed after working (or at start): say so once; it restarts."""
        self.notify(
            f"{problem} (restarting; Ctrl+P: Reconnect channels)", severity="warning", timeout=10
        )

    def action_reconnect(self) -> None:
        """Reconnect every channel now instead of waiting out its backoff."""
        waiting = self.host.reconnect()
        self.notify(
            f"Reconnecting {count_of(len(self.host.connectors), 'channel')}"
            f"{f' ({waiting} restarting now)' if waiting else ''}."
        )

    def action_channels(self) -> None:
        """Every channel's state in full (the inbox title may cut it short)."""
        from agentdesk.screens.pickers import ChoiceScreen

        if not self.host.connectors:
            self.notify("No channels are configured.")
            return

        def chosen(choice: str | None) -> None:
            if choice == "reconnect":
                self.action_reconnect()

        self.push_screen(
            ChoiceScreen(
                "Channels (Enter on the last line reconnects them)",
                [
                    *(
                        (
                            str(n),
                            one_line(c.state or f"{c.desk_name}: not started", 500)
                            + f" ({c.capabilities.summary()})",
                        )
                        for n, c in enumerate(self.host.connectors)
                    ),
                    ("reconnect", "Reconnect channels now"),
                ],
            ),
            chosen,
        )

    def channel_state_changed(self, state: str) -> None:
        """A connector's connection state changed: update the inbox title."""
        from agentdesk.screens.inbox import InboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen) and screen.is_mounted:
                screen.update_title()

    @work(group="deliver", exit_on_error=False)
    async def deliver(self, message_id: int) -> None:
        """Hand a reply to its channel until it is sent or fails for good (retries back
        off); the thread shows every attempt. Again for a waiting reply: try it now."""
        await self.host.keep_delivering(message_id, partial(self.delivery_attempted, message_id))

    def delivery_attempted(self, message_id: int, result: DeliveryResult, attempt: int) -> None:
        """Show the outcome: a failure, and the first retry, also as a notification."""
        if result.state == "failed" or (result.state == "retry" and attempt == 1):
            self.notify(
                f"Reply not sent ({result.state}): {result.detail}",
                severity="error" if result.state == "failed" else "warning",
            )
        reply = self.store.replies.outgoing(message_id)
        conversation_id = (
            self.store.conversations.id_for_uid(reply.conversation_uid) if reply else None
        )
        self.refresh_views(conversation_id)

    def action_stuck_replies(self) -> None:
        """Pick one of the replies not delivered yet to open its conversation."""
        from agentdesk.screens.pickers import ChoiceScreen
        from agentdesk.widgets.thread import delivery_text

        stuck = self.store.replies.unsent()
        if not stuck:
            self.notify("Every reply has been delivered.")
            return
        where = {str(reply.id): reply.conversation_id for reply in stuck}

        def open_it(choice: str | None) -> None:
            if choice is not None:
                self.open_conversation(where[choice])

        self.push_screen(
            ChoiceScreen(
                "Replies not delivered (Enter opens the conversation)",
                [
                    (str(reply.id), f"{delivery_text(reply)} · {one_line(reply.body, 60)}")
                    for reply in stuck
                ],
            ),
            open_it,
        )

    @work(group="courtesy", exit_on_error=False)
    async def tell_channel(self, conversation_id: int, what: str, active: bool = False) -> None:
        """Typing notice or read receipt for a conversation, where its channel has them."""
        conversation = self.store.conversations.get(conversation_id)
        if conversation is not None:
            await self.host.courtesy(conversation.channel, conversation.uid, what, active)

    def channel_states(self) -> list[str]:
        """One short state per connector (``support: connected``, ``chat: reconnecting…``)."""
        return [state for c in self.host.connectors if (state := getattr(c, "state", ""))]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker error becomes one line on screen; the app keeps running."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name or 'background task'} failed: {error}",
                severity="error",
                timeout=10,
            )

    # ---- handle time -----------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key = time.monotonic()
            if self._idle and self.viewing is not None:
                self._idle = False
                self.store.events.view(self.viewing, self.agent.name, True, reason="active")
        await super().on_event(event)

    def end_idle_focus(self) -> None:
        """End the focus interval after the idle cut-off without a key press."""
        if (
            self.viewing is not None
            and not self._idle
            and (time.monotonic() - self._last_key >= self.idle_cutoff)
        ):
            self._idle = True
            self.store.events.view(self.viewing, self.agent.name, False, reason="idle")

    def exit(self, *args, **kwargs) -> None:
        """Quit: save open drafts and end the focus interval first."""
        from agentdesk.screens.conversation import ConversationScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen) and screen.is_mounted:
                screen.leave("exit")
        super().exit(*args, **kwargs)

    # ---- command palette --------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key binding active on this screen is also a palette command, beside
        "Stuck replies", "Channels" and "Reconnect channels"."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Stuck replies",
            "Replies not delivered yet: retrying, queued or"
            " failed (R in a conversation sends again)",
            self.action_stuck_replies,
        )
        yield SystemCommand(
            "Channels", "Every channel's connection state in full", self.action_channels
        )
        yield SystemCommand(
            "Reconnect channels",
            "Reconnect every channel now instead of waiting out its backoff",
            self.action_reconnect,
        )
        from agentdesk.screens.inbox import InboxScreen

        if isinstance(screen, InboxScreen):
            for number, view in enumerate(self.config.views, start=1):
                yield SystemCommand(
                    f"View: {one_line(view.name, 60)}",
                    f"Show the saved view {number} (key {number})",
                    partial(screen.action_saved_view, number - 1),
                )
            yield SystemCommand(
                "Save view as…",
                "Save the inbox's filters, search and sort as a view (written to the config)",
                screen.action_save_view,
            )
        seen: set[str] = set()
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.description or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.description} ({key})",
                partial(self.run_action, binding.action, node),
            )


def make_app(
    config: Config, database: Path | str, connectors: Iterable[Connector] | None = None
) -> AgentDeskApp:
    """Open the store and build the app; ``connectors`` default to the configured ones."""
    assist = config.assist  # a bad [llm] / [privacy] / [kb] key stops before the store opens
    store = Store(database)
    store.agents.ensure(config.agent_name, config.agent_display_name, config.agent_email)
    problems: list[str] = []
    if connectors is None:
        from agentdesk.connectors.registry import load_connectors

        connectors, problems = load_connectors(config)
    return AgentDeskApp(config, store, assist, connectors, problems)
