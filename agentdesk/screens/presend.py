"""What to know before a reply goes out (the pre-send check's findings, or what other
agents wrote meanwhile): Enter sends, Esc goes back."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class PresendScreen(ModalScreen[bool]):
    """Lists ``lines`` (each one line, already cleaned) under ``title``; dismisses with
    True (send anyway) or False (back)."""

    BINDINGS = [
        Binding("enter", "decide(True)", "Send anyway", id="presend.send"),
        Binding("escape", "decide(False)", "Back to the reply", id="presend.back"),
    ]

    def __init__(self, lines: list[str], title: str = "Before you send") -> None:
        super().__init__()
        self.lines, self.heading = lines, title

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Label(Text(self.heading), classes="picker-title")
            lines = Text()
            for line in self.lines:
                lines.append("• ", style="bold yellow")
                lines.append(f"{line}\n")
            lines.append("Enter: send anyway · Esc: back to the reply", style="dim")
            yield Static(lines, id="presend-findings")

    def action_decide(self, send: bool) -> None:
        self.dismiss(send)
