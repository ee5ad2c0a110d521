"""The key bar: the screen's bindings on one line, drawn as one widget.

Textual's ``Footer`` mounts a widget per key and mounts them all again whenever the
bindings change (each focus change), which cost 0.3-0.5 s per screen here. This bar
only re-renders its line. A click on a key presses it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """Footer line: ``key description`` for each shown binding, the palette key on the right."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: 1; text-wrap: nowrap; text-overflow: clip;
        color: $footer-foreground; background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[tuple[int, int, str]] = []  # (start, end, key) as last drawn
        self._drawn: Text | None = None  # the line as last drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        """Draw again only when the line changes: Textual says the bindings changed
        after every focus move, often after a frame that already drew the new line."""
        if self._line() != self._drawn:
            self.refresh()

    def render(self) -> Text:
        self._drawn = self._line()
        return self._drawn

    def _line(self) -> Text:
        """Shown bindings in their order (screens list the most used first), each whole:
        those that do not fit before the palette key are left out, never cut."""
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        active = self.screen.active_bindings
        line, self._keys, seen = Text(), [], set()

        def add(key: str, display: str, description: str, enabled: bool) -> None:
            start = len(line)
            line.append(display, key_style)
            line.append(f" {description}", description_style)
            if not enabled:
                line.stylize("dim", start)
            self._keys.append((start, len(line), key))

        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        room = self.size.width
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            binding = palette[1]
            room -= len(f"{self.app.get_key_display(binding)} {binding.description}") + 1
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            if len(line) + len(f"{display} {binding.description}") > room:
                break  # this one and the less used after it
            add(binding.key, display, binding.description, enabled)
            line.append(" ")
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE and room > 0:
            _node, binding, enabled, _tooltip = palette
            line.pad_right(room + 1 - len(line))  # the palette key stays on the right
            add(binding.key, self.app.get_key_display(binding), binding.description, enabled)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
