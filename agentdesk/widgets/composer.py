"""The reply composer: a TextArea whose text is saved as a draft while the agent types."""

from __future__ import annotations

from textual.widgets import TextArea

MODES = {"reply": "Reply to customer", "note": "Internal note (customer never sees it)"}


class Composer(TextArea):
    """Reply or note text; the screen saves it (debounced) and sends it."""

    DEFAULT_CSS = """
    Composer { height: 8; border: round $secondary; }
    Composer.note { border: round $warning; background: $warning 10%; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.mode = "reply"

    def set_mode(self, mode: str) -> None:
        """Reply or note: the border's title and colour say which (a title set again
        draws the composer again, so the same mode changes nothing)."""
        if mode == self.mode and self.border_title:
            return
        self.mode = mode
        self.set_class(mode == "note", "note")
        self.border_title = MODES[mode]
