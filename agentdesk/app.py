"""The Textual application and its factory (used by the CLI and the tests alike)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from agentdesk.assist.settings import AssistSettings
from agentdesk.collector import CollectorPause
from agentdesk.config import Config
from agentdesk.connectors.base import Connector, DeliveryResult
from agentdesk.delivery import ChannelHost, Holder
from agentdesk.domain import Agent, Presence
from agentdesk.event_writer import EventWriter
from agentdesk.handle_time import HandleTime
from agentdesk.live import Presences, Watcher
from agentdesk.store import Store, StoreError
from agentdesk.text import count_of, one_line

if TYPE_CHECKING:
    from agentdesk.screens.conversation import ConversationScreen

SNOOZE_CHECK_SECONDS = 30
IDLE_CHECK_SECONDS = 5
# Longest wait for a key to reach the screen before the next one is read: only a key
# whose way up was cut (a widget removed meanwhile) needs it; a busy loop (a long thread
# wrapped on a loaded machine) delays each step of the way, never the order.
KEY_WAIT = 10.0
# Longest the warm-up waits for the conversation screen to be built before the assist
# panel's imports (it takes 50 ms; only a stalled loop makes it longer).
BUILD_WAIT = 2.0
# Imported in a thread after the first paint: the conversation screen's modules (0.3-1 s
# of the first open when imported on Enter), then the assist panel's (openai and VADER
# take about 1 s), then the survey sending a resolve needs (7 ms the inbox need not wait).
HEAVY_MODULES = (
    "agentdesk.screens.conversation",
    "agentdesk.widgets.assist_panel",
    "agentdesk.surveys.sending",
)


class AgentDeskApp(App):
    """The desk: inbox, conversations, and the workers that talk to channels.

    Screens hear about changes through signals (``desk_changed`` with a conversation id
    or None for everything, ``channels_changed``); the app never calls into a screen
    but the one conversation screen it shows conversations in.
    """

    TITLE = "agentdesk"
    # Every screen's stylesheet, read with the app's: a screen's own CSS_PATH makes
    # Textual parse every stylesheet again when the screen is first shown (0.1-0.2 s
    # of the first open of a conversation).
    CSS_PATH = ["app.tcss", "screens/conversation.tcss", "screens/stats.tcss"]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit agentdesk"),
        Binding(
            "S",
            "stats",
            "Stats",
            id="app.stats",
            tooltip="Stats screen: response times, FCR, CSAT per agent",
        ),
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
        self.host = ChannelHost(store, list(connectors), config.delivery, leased=True)
        self.problems = [*problems, *self.host.problems]
        self.event_writer = EventWriter(store)  # facts recorded as they happen
        self.handle_time = HandleTime(
            self.event_writer, self.agent.name, config.metrics.idle_cutoff_seconds
        )
        self.desk_changed: Signal[int | None] = Signal(self, "desk-changed")
        self.channels_changed: Signal[str] = Signal(self, "channels-changed")
        self.live_changed: Signal[frozenset[int]] = Signal(self, "live-changed")
        self.presence_changed: Signal[frozenset[int]] = Signal(self, "presence-changed")
        team = config.team
        self.presences = Presences(store, self.agent.name, team.presence_timeout, team.heartbeat)
        self.others: dict[int, tuple[Presence, ...]] = {}  # who else is in each conversation
        self.watcher = Watcher(
            store,
            self._changed_elsewhere,
            store.wakeup(team.poll_interval, team.fallback_poll),
            presences=self.presences,
            on_presence=self._presence_elsewhere,
        )
        self._watching = threading.Thread(target=self.watcher.run, name="live", daemon=True)
        self._leases: asyncio.Task[None] | None = None  # keeps connector leases from mount
        self._connector_runs: dict[int, Worker] = {}  # id(connector) -> its run_connector worker
        self._conversation_screen: ConversationScreen | None = None  # built once, reused
        self._building = False  # ... and keys wait while it is
        self._keys: deque[events.Key] = deque()  # pressed, not handled yet
        self._key_in_flight: object | None = None  # token of the key being handled
        self._warm_up: Worker | None = None
        self._froze_heap = False  # the warm-up froze the heap (gc.freeze), unmount thaws it
        self._collector_pause = CollectorPause()  # from load to the warm-up's end (on_load)
        self._heap_lock = threading.Lock()  # the warm-up's thread and on_unmount, in turn
        self._unmounted = False
        self._conversation_built = threading.Event()  # its Ready, or the app is closing

    def on_load(self) -> None:
        """Python's cycle collector pauses until the warm-up: its full passes over the
        freshly imported heap took 15-25 ms of the inbox's first paint (one in the
        middle of the first frame). The warm-up collects once and freezes the heap
        (``_import_heavy_modules``); a pause made before the load stays as it was."""
        self._collector_pause.start()

    def on_mount(self) -> None:
        from agentdesk.screens.inbox import InboxScreen

        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.store.conversations.wake_snoozed()
        inbox = InboxScreen()
        self.push_screen(inbox)
        for problem in self.problems:
            self.notify(problem, severity="error", timeout=10)
        inbox.call_after_refresh(self._start_services)  # after the first paint
        inbox.call_after_refresh(self.warm_up)

    def _start_services(self) -> None:
        """Once the inbox is drawn: the channels (through their leases), the replies
        left undelivered by an earlier run, the watcher of other desks' changes and the
        timers. None of it is on the first screen, and each would hold the UI thread
        (or, in its own thread, the interpreter) while the inbox paints."""
        if self.watcher.stopped.is_set():  # the app closed before its first paint
            return
        for connector in self.host.connectors:
            connector.on_state = self.channel_state_changed
        team = self.config.team
        holder = Holder(self.presences.desk, self.agent.name, team.lease_ttl, team.lease_renew)
        self._leases = asyncio.create_task(
            self.host.keep_leases(holder, self._start_connector, self._stop_connector, self.deliver)
        )
        waiting = self.store.replies.undelivered()  # queued, sending (interrupted) and retry
        for message_id in waiting:
            self.deliver(message_id)
        if waiting:
            self.notify(
                f"Delivering {count_of(len(waiting), 'earlier reply', 'earlier replies')}"
                " not sent yet (Ctrl+P: Stuck replies).",
                severity="warning",
            )
        self._watching.start()  # reads what other desks change while the app runs
        self.set_interval(SNOOZE_CHECK_SECONDS, self.wake_snoozed)
        self.set_interval(IDLE_CHECK_SECONDS, self.handle_time.check_idle)

    @property
    def _background_screens(self) -> list[Screen]:
        """The screens that show through the top one: none under an opaque one.

        Textual (8.2) counts the screen under the top one as visible whatever the top
        one's background, and repaints the top screen wherever that one changes: the
        inbox's cursor follows j/k under an open conversation, so each key redrew the
        whole conversation screen twice. A covered screen is then like any deeper one:
        Textual redraws it (and lays it out at a new size) when it is shown again.
        """
        stack = self._screen_stack
        if stack and stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens

    async def on_unmount(self) -> None:
        """Disconnect every channel (stopping twice is safe), so no thread outlives the app."""
        self._conversation_built.set()  # a warm-up waiting for it goes on
        with self._heap_lock:  # a warm-up still running neither freezes nor pauses after
            self._unmounted = True
            self._collector_pause.stop()  # closed before the warm-up ended
            if self._froze_heap:  # what the warm-up kept from the collector goes with the app
                gc.unfreeze()
                self._froze_heap = False
        if self._leases is not None:  # released for the next desk
            self._leases.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leases
        self.watcher.stop()
        if self._watching.is_alive():  # it says this desk is gone as it ends
            await asyncio.to_thread(self._watching.join, 5)
        for connector in self.host.connectors:
            try:
                await connector.stop()
            except Exception as error:  # closing must never turn into a traceback
                self.log.error(f"stopping {connector.name}: {error}")
        await asyncio.to_thread(self.event_writer.close)  # the last focus ended, written

    # ---- conversations ---------------------------------------------------------------
    def open_conversation(
        self, conversation_id: int, step: Callable[[int], int | None] | None = None
    ) -> None:
        """Show a conversation (from the inbox, the stats drill-down or a notification).

        There is one conversation screen, built while the inbox waits after the warm-up
        (or by the first open); keys pressed before it is built wait until it shows the
        conversation.
        """
        screen = self._conversation()
        if not screen.is_mounted:
            self._building = True
        # Already showing one and no new list to step through: j/k keep their list.
        screen.show(conversation_id, step if step or self.screen is not screen else False)
        if screen in self.screen_stack:
            while self.screen is not screen:  # e.g. opened from the stats screen above it
                self.pop_screen()
        else:
            self.push_screen(screen)

    async def on_conversation_screen_ready(self, event) -> None:
        """The conversation screen is built: the keys pressed meanwhile go to it."""
        self._conversation_built.set()
        self._building = False
        await self._next_key()

    def refresh_views(self, conversation_id: int | None = None) -> None:
        """Something changed in the store: every screen that shows it redraws."""
        self.desk_changed.publish(conversation_id)

    def message_arrived(self, conversation_id: int) -> None:
        """A connector stored a message: the watcher looks now (a burst is read in one
        look, and shown as any other desk's change: only the rows it touched). After a
        CSAT answer, the effort question follows (``[csat] ces``)."""
        from agentdesk.surveys.sending import queue_effort_question  # see HEAVY_MODULES

        if self.config.csat.ces and (
            question := queue_effort_question(self.store, self.config.csat, conversation_id)
        ):
            self.deliver(question)
        self.watcher.poke()

    def _changed_elsewhere(self, conversation_ids: frozenset[int]) -> None:
        """(In the watcher's thread.) The screens showing these conversations refresh them."""
        self.call_from_thread(self.live_changed.publish, conversation_ids)

    def _presence_elsewhere(
        self, others: dict[int, tuple[Presence, ...]], conversation_ids: frozenset[int]
    ) -> None:
        """(In the watcher's thread.) Someone came to, left or typed in these conversations."""
        self.call_from_thread(self._show_presence, others, conversation_ids)

    def _show_presence(
        self, others: dict[int, tuple[Presence, ...]], conversation_ids: frozenset[int]
    ) -> None:
        self.others = others
        self.presence_changed.publish(conversation_ids)

    def here(self, conversation_id: int | None, activity: str = "viewing") -> None:
        """This desk now shows ``conversation_id`` (None: the inbox), the agent
        ``viewing`` it or typing (``replying``, ``noting``): other desks see it at once."""
        if self.presences.here != (conversation_id, activity):
            self.presences.here = (conversation_id, activity)
            self.watcher.poke()

    @work(thread=True, group="snooze", exclusive=True, exit_on_error=False)
    def wake_snoozed(self) -> None:
        """Reopen the conversations whose snooze ended (periodically, off the UI thread)."""
        if self.store.conversations.wake_snoozed():
            self.call_from_thread(self.refresh_views)

    def action_online(self) -> None:
        """Who is online: every desk, what it shows, who types (docs/teams.md)."""
        from agentdesk.screens.online import OnlineScreen

        if not isinstance(self.screen, OnlineScreen):
            self.push_screen(OnlineScreen())

    def action_stats(self) -> None:
        """The stats screen (docs/metrics.md), from anywhere."""
        from agentdesk.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            flush = self.event_writer.flush  # what the agent just did is counted
            self.push_screen(StatsScreen(self.store, self.config, before_reading=flush))

    # ---- channels --------------------------------------------------------------------
    @work(group="connectors", exit_on_error=False)
    async def run_connector(self, connector: Connector) -> None:
        """Receive from one connector for as long as the app runs, once this desk holds
        its lease (``keep_leases``; another desk may run it: the state says whose).

        A connector that cannot start shows its one-line state; the desk keeps working.
        """
        await self.host.run(
            connector, on_message=self.message_arrived, on_failure=self.channel_failed
        )

    def _start_connector(self, connector: Connector) -> None:
        """This desk now holds the connector's lease: it runs here."""
        self._connector_runs[id(connector)] = self.run_connector(connector)

    def _stop_connector(self, connector: Connector) -> None:
        """Another desk holds the connector's lease now: it stops here."""
        worker = self._connector_runs.pop(id(connector), None)
        if worker is not None:
            worker.cancel()

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
        """A connector's connection state changed (the inbox title shows it)."""
        self.channels_changed.publish(state)

    @work(group="deliver", exit_on_error=False)
    async def deliver(self, message_id: int) -> None:
        """Hand a reply to its channel until it is sent or fails for good (retries back
        off); the thread shows every attempt. Again for a waiting reply: try it now."""
        await self.host.keep_delivering(message_id, partial(self.delivery_attempted, message_id))

    def delivery_attempted(self, message_id: int, result: DeliveryResult, attempt: int) -> None:
        """Show the outcome: a failure, and the first retry of a reply, also as a
        notification (attempt 0: nothing was tried, e.g. the agent withdrew the reply; a
        survey's retries are shown in its thread only)."""
        message = self.store.messages.get(message_id)
        survey = message is not None and bool(message.survey)
        if attempt and (
            result.state == "failed" or (result.state == "retry" and attempt == 1 and not survey)
        ):
            self.notify(
                f"{'Survey' if survey else 'Reply'} not sent ({result.state}): {result.detail}",
                severity="error" if result.state == "failed" else "warning",
            )
        reply = self.store.replies.outgoing(message_id)
        conversation_id = (
            self.store.conversations.id_for_uid(reply.conversation_uid) if reply else None
        )
        self.refresh_views(conversation_id)

    def resolved(self, conversation_id: int) -> None:
        """A conversation was resolved here: send the survey ``[csat]`` asks for, if any
        (``surveys.sending``). Safe to call from a worker thread, and more than once."""
        from agentdesk.surveys.sending import queue_survey  # not at start: see HEAVY_MODULES

        survey = queue_survey(self.store, self.config.csat, conversation_id)
        if survey is None:
            return
        if threading.get_ident() == self._thread_id:
            self.deliver(survey)
        else:
            self.call_from_thread(self.deliver, survey)

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
        conversation = await asyncio.to_thread(self.store.conversations.get, conversation_id)
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

    # ---- keys, handle time, heavy imports ----------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        """Keys are handled one after another, as typed (see ``_next_key``)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.handle_time.key_pressed()
            self._keys.append(events.Key(event.key, event.character))
            await self._next_key()
            return
        await super().on_event(event)

    async def _next_key(self) -> None:
        """Handle the keys waiting, each once the one before it is done.

        Textual hands a key to the focused widget and reads the next one at once, so
        keys typed together ("r" then a reply) could reach the widget focused before
        the first one moved the focus. A key is done when it has bubbled up to the
        screen (and its binding ran), or after ``KEY_WAIT`` seconds; keys wait too while
        the conversation screen is first built.
        """
        while self._keys and self._key_in_flight is None and not self._building:
            key = self._keys.popleft()
            target = self.focused or self.screen
            await super().on_event(key)
            if key.is_forwarded:  # on its way through the widgets
                token = self._key_in_flight = object()
                self.set_timer(KEY_WAIT, partial(self._key_done, token))
                if not target.call_later(self._key_passed, target, token):
                    await self._key_done(token)  # the widget is gone: the next key

    @property
    def keys_pending(self) -> bool:
        """Keys were typed that are not handled yet."""
        return bool(self._keys) or self._key_in_flight is not None or self._building

    def _key_passed(self, node, token: object) -> None:
        """The key in flight left ``node``: follow it up to the screen, then the app."""
        parent = node.parent
        if isinstance(node, Screen) or parent is None or parent is self:
            self.call_later(self._key_done, token)
        elif not parent.call_later(self._key_passed, parent, token):
            self.call_later(self._key_done, token)  # the way up was cut

    async def _key_done(self, token: object) -> None:
        if self._key_in_flight is token:
            self._key_in_flight = None
            await self._next_key()

    def _conversation(self) -> ConversationScreen:
        """The one conversation screen (made, not built, on first use)."""
        from agentdesk.screens.conversation import ConversationScreen

        if self._conversation_screen is None:
            self._conversation_screen = ConversationScreen()
            self.install_screen(self._conversation_screen, "conversation")
        return self._conversation_screen

    def _build_conversation_screen(self) -> None:
        """Compose and style the conversation screen before the first open, while the
        inbox waits for a key: that open then costs what any other does (it took 0.25-0.3
        s of CPU to build the screen's 40 widgets). Registering an installed screen is
        what Textual (8.2) does as it first pushes one; pushed later, it is not built
        again."""
        screen = self._conversation()
        if self.is_running and not screen.is_running:
            self._register(self, screen)

    def warm_up(self) -> Worker:
        """Import the conversation screen's and the assist panel's modules in a thread
        (once): never on the UI thread."""
        if self._warm_up is None:
            self._warm_up = self._import_heavy_modules()
        return self._warm_up

    async def assist_loaded(self) -> None:
        """Wait until the assist panel's modules are imported."""
        await self.warm_up().wait()

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _import_heavy_modules(self) -> None:
        try:
            self._import_and_build()
        finally:
            self._keep_heap_from_collector()

    def _import_and_build(self) -> None:
        """The conversation screen's modules, then the screen itself (ready 70-80 ms
        after the first paint instead of 145-215 ms, behind the assist panel's
        imports), then the other modules and what the first mood analysis loads."""
        screen_module, *others = HEAVY_MODULES
        importlib.import_module(screen_module)
        try:  # ahead of time only: the first open builds it otherwise
            self.call_from_thread(self._build_conversation_screen)
        except Exception as error:  # e.g. the app closed meanwhile
            self.log.error(f"building the conversation screen ahead: {error}")
        # The other imports wait for the screen to be built (ahead, or by an Enter
        # pressed at once): beside it, they took half the interpreter from the build.
        self._conversation_built.wait(BUILD_WAIT)
        for name in others:
            importlib.import_module(name)
        from agentdesk.assist.mood import prepare

        prepare()  # the first analysis's lexicon and patterns, before the heap is frozen

    def _keep_heap_from_collector(self) -> None:
        """What is loaded by now (modules, the inbox) lives as long as the app: kept out
        of the collector's full passes, which otherwise walk it all in the middle of a
        key (the slowest 5 % of opens and j/k: 145-180 ms CPU, 125-135 ms frozen).
        Garbage is collected first, so none is kept; on_unmount lets it all go again.
        Done once per process: where something froze the heap already (a test run
        freezes its imports once, tests/conftest.py), a second full pass here would
        walk that whole heap again for nothing. Then the collector runs again. Nothing
        is frozen once the app is gone (on_unmount)."""
        with self._heap_lock:
            if not self._unmounted and gc.get_freeze_count() == 0:
                gc.collect()
                gc.freeze()
                self._froze_heap = True
            self._collector_pause.stop()

    # ---- command palette --------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key binding active on this screen is also a palette command under its
        full name (its tooltip; the key bar shows the short description), beside
        "Stuck replies", "Channels", "Reconnect channels", the saved views and the
        macros."""
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
            "Who is online",
            "Every agent online now, what each views and whether they type (the lead's view)",
            self.action_online,
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
        use_macro = getattr(screen, "use_macro", None)  # the inbox's and a conversation's
        if use_macro is not None:
            for macro in self.config.macros:
                yield SystemCommand(
                    f"Macro: {one_line(macro.name, 60)}",
                    "Apply this macro ([[macros]] in the config; key M picks one)",
                    partial(use_macro, macro.name),
                )
        seen: set[str] = set()
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.description or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.tooltip or binding.description,  # the full name ("Next conversation")
                f"key {key} ({binding.description} in the key bar)",
                partial(self.run_action, binding.action, node),
            )


def make_app(
    config: Config, database: Path | str, connectors: Iterable[Connector] | None = None
) -> AgentDeskApp:
    """Open the store and build the app; ``connectors`` default to the configured ones."""
    assist = config.assist  # a bad [llm] / [privacy] / [kb] key stops before the store opens
    store = Store(database)
    login = store.agents.login_mismatch(config.agent_name)
    if login is not None:
        store.close()
        raise StoreError(
            f"database: you log in as {login}, so you work as {login} here, not as"
            f" {config.agent_name} (use --agent {login})"
        )
    store.agents.ensure(config.agent_name, config.agent_display_name, config.agent_email)
    problems: list[str] = []
    if connectors is None:
        from agentdesk.connectors.registry import load_connectors

        connectors, problems = load_connectors(config)
    return AgentDeskApp(config, store, assist, connectors, problems)
