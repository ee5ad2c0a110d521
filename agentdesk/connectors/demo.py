"""The demo channel: serves email and chat offline so the whole flow works without a network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.domain import Inbound, Outgoing


class DemoConnector(Connector):
    """Accepts every reply as delivered; can replay scripted customer messages."""

    name = "demo"
    channels = ("email", "chat")
    options = (
        Option(
            "interval",
            float,
            default=0.0,
            help="seconds between scripted customer messages (0: none)",
        ),
    )
    capabilities = Capabilities(can_send=True, supports_push=True, supports_threads=True)

    def __init__(self, settings: dict | None = None, script: list[Inbound] | None = None) -> None:
        super().__init__(settings or {})
        self.script = list(script or [])
        self.sent: list[Outgoing] = []

    async def incoming(self) -> AsyncIterator[Inbound]:
        interval = float(self.settings.get("interval") or 0.0)
        for message in self.script:
            if interval:
                await asyncio.sleep(interval)
            yield message

    async def send(self, reply: Outgoing) -> DeliveryResult:
        self.sent.append(reply)
        return DeliveryResult("sent", external_id=f"demo-{reply.message_id}")
