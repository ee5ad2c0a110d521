"""Small modal screens: choose one of a list, type a line, or read a text."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain import Agent
from agentdesk.text import clean, error_line

# What a searching picker asks for the typed text (in a worker thread): the choices, and
# one line to show under the filter ("20 of 796 shown").
Search = Callable[[str], tuple[list[tuple[str, str]], str]]
SEARCH_DELAY = 0.15  # seconds of no typing before a searching picker asks again
TYPED = "\0typed"  # the id of the typed text offered as a choice (no choice's id)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one option; dismisses with its id, or None on Escape.

    Typing filters the list (every typed word must appear in a label, in any case).
    ``j``/``k`` move until filtering starts (``/`` starts it too, so a filter can begin
    with j or k); the arrow keys always move. Backspace edits the filter, Escape clears
    it, then closes.

    With ``search`` the picker searches instead of filtering a list it holds (every
    customer of a desk): the typed text (the empty one at once, then each once typing
    pauses for ``SEARCH_DELAY``) goes to ``search`` in a worker, and its answer replaces
    the list unless more was typed meanwhile.

    With ``offer`` the typed text itself can be a choice: ``offer(typed)`` gives its label
    (None: not one), listed first with the id ``TYPED``; ``typed`` holds the text.
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="picker.cancel")]

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str]],
        search: Search | None = None,
        hint: str = "type to filter",
        wide: bool = False,
        offer: Callable[[str], str | None] | None = None,
    ) -> None:
        """``choices`` are ``(id, label)`` pairs; labels are shown as plain text.
        ``hint`` says what typing does, before anything is typed; ``wide`` pickers have
        room for long labels."""
        super().__init__()
        self.wide, self.offer = wide, offer
        self.title_text = title
        self.choices = choices
        self.searcher, self.hint_text = search, hint
        self.search_note = ""  # the search's line about its answer
        self.answered: str | None = None  # the typed text whose search answer is listed
        self._search_timer: Timer | None = None
        self.typed = ""
        self.filtering = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker wide" if self.wide else "picker"):
            yield Label(Text(self.title_text), classes="picker-title")
            yield Label(self._filter_text(), classes="picker-filter")
            yield Label("", classes="picker-note")
            yield OptionList(*self._options())

    def on_mount(self) -> None:
        if self.searcher is not None:
            self._search(self.searcher, "")

    def _options(self) -> list[Option]:
        words = [] if self.searcher else self.typed.lower().split()  # (searched: as found)
        options = [
            Option(Text(label), id=key)
            for key, label in self.choices
            if all(word in label.lower() for word in words)
        ]
        typed = self.offer(self.typed) if self.offer and self.typed.strip() else None
        return options if typed is None else [Option(Text(typed), id=TYPED), *options]

    def _filter_text(self) -> Text:
        if not self.filtering:
            return Text(f"{self.hint_text} (/ for j or k) · j/k move · Enter chooses", style="dim")
        return Text.assemble(("filter: ", "dim"), self.typed)

    def _refilter(self) -> None:
        if (search := self.searcher) is not None:
            if self._search_timer is not None:
                self._search_timer.stop()
            self._search_timer = self.set_timer(
                SEARCH_DELAY, lambda: self._search(search, self.typed)
            )
            self.query_one(".picker-filter", Label).update(self._filter_text())
            return
        self._show_choices()

    def _show_choices(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = 0 if options.option_count else None
        self.query_one(".picker-filter", Label).update(self._filter_text())
        note = self.query_one(".picker-note", Label)
        note.update(Text(self.search_note, style="dim"))
        note.display = bool(self.search_note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="picker-search")
    def _search(self, search: Search, typed: str) -> None:
        try:
            choices, note = search(typed)
        except Exception as error:  # one line in the picker; it stays open
            choices, note = [], f"search failed: {error_line(error)}"
        self.app.call_from_thread(self._found, typed, choices, note)

    def _found(self, typed: str, choices: list[tuple[str, str]], note: str) -> None:
        if typed == self.typed and self.is_attached:
            self.choices, self.search_note, self.answered = choices, note, typed
            self._show_choices()

    def on_key(self, event: events.Key) -> None:
        options = self.query_one(OptionList)
        character = event.character if event.is_printable else None
        if not self.filtering and character in ("j", "k"):
            options.action_cursor_down() if character == "j" else options.action_cursor_up()
        elif not self.filtering and character == "/":
            self.filtering = True
            self._refilter()
        elif event.key == "backspace" and self.filtering:
            self.typed = self.typed[:-1]
            self.filtering = bool(self.typed)
            self._refilter()
        elif character and (self.filtering or character != " "):
            self.filtering = True
            self.typed += character
            self._refilter()
        else:
            return
        event.stop()
        event.prevent_default()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        if self.filtering:
            self.typed, self.filtering = "", False
            self._refilter()
        else:
            self.dismiss(None)


class PromptScreen(ModalScreen[str | None]):
    """Type one line; dismisses with the text, or None on Escape."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="prompt.cancel")]

    def __init__(
        self, title: str, placeholder: str = "", value: str = "", extend: bool = False
    ) -> None:
        """``value`` starts selected (typing replaces it); with ``extend`` it is a list
        to add to (tags): the cursor waits after it and a space, nothing selected."""
        super().__init__()
        self.title_text, self.placeholder, self.extend = title, placeholder, extend
        self.value = value + " " if extend and value and not value.endswith(" ") else value

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Label(Text(self.title_text), classes="picker-title")
            yield Input(
                value=self.value, placeholder=self.placeholder, select_on_focus=not self.extend
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class TextScreen(ModalScreen[None]):
    """A title and a text to read (scrolls); Escape closes. The text is untrusted: it is
    cleaned of control sequences and shown as plain text, never markup."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="text.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker text-screen"):
            yield Label(Text(self.title_text), classes="picker-title")
            with VerticalScroll():
                yield Static(Text(clean(self.text) or "(no output)"), id="text-screen-body")


def assignee_choices(agents: Iterable[Agent]) -> list[tuple[str, str]]:
    """The assign picker's entries: every agent, then "(unassign)" (id "")."""
    return [(a.name, f"{a.display_name} ({a.name})") for a in agents] + [("", "(unassign)")]
