"""The pre-send check's findings before a reply goes out: Enter sends, Esc goes back."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from agentdesk.assist.presend import Finding


class PresendScreen(ModalScreen[bool]):
    """Lists the findings; dismisses with True (send anyway) or False (back)."""

    BINDINGS = [
        Binding("enter", "decide(True)", "Send anyway", id="presend.send"),
        Binding("escape", "decide(False)", "Back to the reply", id="presend.back"),
    ]

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__()
        self.findings = findings

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Label(Text("Before you send"), classes="picker-title")
            lines = Text()
            for finding in self.findings:
                lines.append("• ", style="bold yellow")
                lines.append(f"{finding.line}\n")
            lines.append("Enter: send anyway · Esc: back to the reply", style="dim")
            yield Static(lines, id="presend-findings")

    def action_decide(self, send: bool) -> None:
        self.dismiss(send)
