"""The unified inbox: every channel in one list, filters, sort and search."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from agentdesk.config import ConfigError, save_view
from agentdesk.domain import STATUSES, VIEWS, InboxFilter, SavedView, SearchQuery
from agentdesk.screens.pickers import ChoiceScreen, PromptScreen
from agentdesk.store import SEARCH_LIMIT
from agentdesk.text import count_of, one_line
from agentdesk.widgets.inbox_list import IdSource, InboxList, QuerySource

VIEW_LABELS = {"all": "All", "mine": "Mine", "unassigned": "Unassigned"}


class InboxScreen(Screen):
    """The list an agent works from; Enter opens a conversation."""

    BINDINGS = [
        Binding("slash", "search", "Search", id="inbox.search"),
        Binding("escape", "clear_search", "Clear search", show=False, id="inbox.clear_search"),
        Binding("v", "cycle_view", "Mine/Unassigned/All", id="inbox.view"),
        Binding("f", "cycle_status", "Status filter", id="inbox.status"),
        Binding("c", "cycle_channel", "Channel", id="inbox.channel"),
        Binding("t", "pick_tag", "Tag", id="inbox.tag"),
        Binding("o", "toggle_sort", "Sort", id="inbox.sort"),
        Binding("R", "refresh", "Refresh", show=False, id="inbox.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = InboxFilter()
        self.search_text = ""
        self.search_more = False
        self.view_name: str | None = None  # the saved view shown, until a filter changes

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield Static(id="inbox-views")
        yield Input(
            placeholder="search: words, from:, channel:, status:, tag:, agent:  (Esc clears)",
            id="search",
        )
        yield Static(id="inbox-columns")
        yield InboxList(
            QuerySource(self.app.store, self.filters), self.app.config.sla_for, id="inbox-list"
        )
        yield Static(id="inbox-status")
        yield Footer(compact=True)

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def on_mount(self) -> None:
        self.filters.me = self.app.config.agent_name
        self.query_one("#search").display = False
        self.query_one("#inbox-views").display = bool(self.app.config.views)
        self.inbox.reload()
        self.inbox.focus()
        self.set_interval(30, self.inbox.refresh)  # waiting times age on screen
        self.update_title()

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def on_resize(self) -> None:
        width = self.inbox.scrollable_content_region.width
        self.query_one("#inbox-columns", Static).update(self.inbox.header(width))

    # ---- list source ----------------------------------------------------------------------
    def refresh_list(self) -> None:
        """Re-run the current filter or search, keeping the cursor on the same conversation."""
        current = self.inbox.current
        keep = current.id if current else None
        if self.search_text:
            ids, self.search_more = self.app.store.search(SearchQuery.parse(self.search_text))
            self.inbox.set_source(IdSource(self.app.store, ids), keep)
        else:
            self.inbox.set_source(QuerySource(self.app.store, self.filters), keep)
        self.update_title()
        if self.app.config.views:
            self.count_views(self.app.config.views)

    # ---- saved views ----------------------------------------------------------------------
    def on_inbox_list_count_unused(self, event: InboxList.CountUnused) -> None:
        """A digit with no motion after it: ``1``-``9`` are the saved views."""
        if 1 <= event.number <= 9:
            self.action_saved_view(event.number - 1)

    def action_saved_view(self, index: int) -> None:
        """``1``-``9``: the saved view in that place of ``[[views]]``."""
        views = self.app.config.views
        if index >= len(views):
            self.notify(
                f"No view {index + 1}: define [[views]] in the config, or save one "
                "(palette: Save view as…).",
                severity="warning",
            )
            return
        view = views[index]
        self.filters = view.filters(self.app.config.agent_name)
        self.search_text = view.search
        self.view_name = view.name
        self.refresh_list()

    def action_save_view(self) -> None:
        """Ask for a name, then save the current filters, search and sort as a view."""

        def save(name: str | None) -> None:
            name = (name or "").strip()
            if not name:
                return
            f = self.filters
            view = SavedView(name, f.view, f.status, f.channel, f.tag, f.sort, self.search_text)
            try:
                path = save_view(self.app.config, view)
            except ConfigError as error:
                self.notify(f"View not saved: {error}", severity="error")
                return
            number = len(self.app.config.views)
            self.notify(f"View {number} {name!r} saved to {path}.")
            self.query_one("#inbox-views").display = True
            self.view_name = name
            self.refresh_list()

        self.app.push_screen(PromptScreen("Save this inbox as the view named"), save)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-views")
    def count_views(self, views: tuple[SavedView, ...]) -> None:
        """How many conversations each saved view holds (off the UI thread)."""
        store, me = self.app.store, self.app.config.agent_name
        counts = [
            len(store.search(SearchQuery.parse(view.search))[0])
            if view.search
            else store.count_inbox(view.filters(me))
            for view in views
        ]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_views, views, counts)

    def show_views(self, views: tuple[SavedView, ...], counts: list[int]) -> None:
        line = Text()
        for number, (view, count) in enumerate(zip(views, counts, strict=True), start=1):
            label = Text.assemble((f"{number}", "bold"), f" {one_line(view.name, 30)} ({count})")
            if view.name == self.view_name:
                label.stylize("reverse")
            line.append_text(label)
            line.append("   ")
        self.query_one("#inbox-views", Static).update(line)

    def update_title(self) -> None:
        f = self.filters
        if self.search_text:
            found = count_of(self.inbox.total, "conversation")
            if self.search_more:
                found = f"{self.inbox.total} of >{SEARCH_LIMIT} conversations"
            title = Text.assemble(
                ("Search ", "bold"),
                (f"{self.view_name}: " if self.view_name else "", "bold"),
                (self.search_text, "italic"),
                f"  ·  {found}, newest first",
            )
        else:
            parts = [VIEW_LABELS[f.view], f"status: {f.status}", f"channel: {f.channel or 'all'}"]
            if self.view_name:
                parts.insert(0, f"view: {one_line(self.view_name, 30)}")
            if f.tag:
                parts.append(f"tag: {f.tag}")
            parts.append("oldest waiting first" if f.sort == "waiting" else "newest first")
            title = Text.assemble(
                ("Inbox ", "bold"),
                " · ".join(parts),
                f"  ·  {count_of(self.inbox.total, 'conversation')}",
            )
        states = self.app.channel_states()
        if states:
            title.append("   " + " · ".join(states), style="yellow")
        self.query_one("#inbox-title", Static).update(title)

    # ---- actions --------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search")
    def run_search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        if not self.search_text:
            event.input.display = False
        self._filters_changed()
        self.inbox.cursor = 0
        self.inbox.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        if self.search_text:
            self.search_text = ""
            self._filters_changed()
        self.inbox.focus()

    def action_cycle_view(self) -> None:
        self.filters.view = VIEWS[(VIEWS.index(self.filters.view) + 1) % len(VIEWS)]
        self._filters_changed()

    def action_cycle_status(self) -> None:
        self.filters.status = STATUSES[(STATUSES.index(self.filters.status) + 1) % len(STATUSES)]
        self._filters_changed()

    def action_cycle_channel(self) -> None:
        options: list[str | None] = [None, *self.app.store.channels()]
        index = options.index(self.filters.channel) if self.filters.channel in options else 0
        self.filters.channel = options[(index + 1) % len(options)]
        self._filters_changed()

    def action_pick_tag(self) -> None:
        choices = [("", "(any tag)")] + [(tag, f"#{tag}") for tag in self.app.store.tags()]

        def chosen(tag: str | None) -> None:
            if tag is not None:
                self.filters.tag = tag or None
                self._filters_changed()

        self.app.push_screen(ChoiceScreen("Filter by tag", choices), chosen)

    def action_toggle_sort(self) -> None:
        self.filters.sort = "newest" if self.filters.sort == "waiting" else "waiting"
        self._filters_changed()

    def action_refresh(self) -> None:
        self.refresh_list()

    def _filters_changed(self) -> None:
        """A filter, the sort or the search changed: the list is no saved view any more."""
        self.view_name = None
        self.refresh_list()

    # ---- list events ----------------------------------------------------------------------
    def on_inbox_list_opened(self, event: InboxList.Opened) -> None:
        self.app.open_conversation(event.row.id, step=self.step)

    def on_inbox_list_moved(self, event: InboxList.Moved) -> None:
        status = f" {event.index + 1 if event.total else 0}/{event.total}"
        self.query_one("#inbox-status", Static).update(Text(status, style="dim"))

    def step(self, delta: int) -> int | None:
        """Move the inbox cursor (for j/k inside a conversation); the new row's id."""
        before = self.inbox.cursor
        row = self.inbox.move(delta)
        return row.id if row is not None and self.inbox.cursor != before else None
