"""A file-drop channel: customer messages are JSON files in a folder, replies are files too.

Each ``*.json`` file in ``inbox_dir`` is one customer message::

    {"from": "kim@example.com", "name": "Kim", "subject": "Hi", "text": "Where is my order?"}

Files are read in the order they were written. Replies are written atomically to
``outbox_dir/<reply id>.json``. The file name is the message's ``ext_id``, so the desk
recognises a file it already stored; and the newest stored file is kept as the
connector's state (committed with that message), so a restart reads only newer files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.domain import Inbound, Outgoing
from agentdesk.store import Store
from agentdesk.store.connector_data import ConnectorData

__version__ = "0.1.0"


class FileDropConnector(Connector):
    """Customer messages from JSON files; replies to JSON files."""

    name = "filedrop"
    channels = ("filedrop",)
    options = (
        Option("inbox_dir", required=True, help="folder customer messages are dropped in"),
        Option("outbox_dir", required=True, help="folder replies are written to"),
        Option("poll_seconds", float, default=1.0, help="how often to look for new files"),
    )
    capabilities = Capabilities(can_send=True, supports_push=False, supports_threads=False)

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self.inbox = Path(settings["inbox_dir"]).expanduser()
        self.outbox = Path(settings["outbox_dir"]).expanduser()
        self._stopping = asyncio.Event()
        self.data: ConnectorData | None = None  # set by attach(); None outside a desk
        self._positions: dict[str, list[object]] = {}  # ext_id -> [mtime_ns, file name]

    def attach(self, store: Store) -> None:
        self.data = store.connector_data(self.desk_name)

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        """Keep the newest file handed over; in the transaction that stored it."""
        position = self._positions.pop(message.ext_id or "", None)
        if position is not None and self.data is not None:
            self.data.put("last_file", position)

    async def start(self) -> None:
        if not self.inbox.is_dir():
            raise OSError(f"inbox_dir {self.inbox} is not a folder")
        self._stopping.clear()
        self.set_state(f"{self.label or self.name}: watching {self.inbox}")

    async def stop(self) -> None:
        self._stopping.set()

    async def incoming(self) -> AsyncIterator[Inbound]:
        seen: set[str] = set()
        last = tuple(self.data.get("last_file", [0, ""])) if self.data else (0, "")
        while not self._stopping.is_set():
            for path in await asyncio.to_thread(self._new_files, seen, last):
                seen.add(path.name)
                message = self._read(path)
                if message is not None:
                    yield message
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings["poll_seconds"])

    def _new_files(self, seen: set[str], last: tuple[object, ...]) -> list[Path]:
        """Files not yet read, oldest first, after the newest one stored before."""
        files = [
            (p.stat().st_mtime_ns, p.name, p)
            for p in self.inbox.glob("*.json")
            if p.name not in seen
        ]
        return [p for mtime, name, p in sorted(files) if (mtime, name) > last]

    def _read(self, path: Path) -> Inbound | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            sender, text = str(data["from"]), str(data["text"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            self.set_state(f"{self.label or self.name}: skipped {path.name}: {error}")
            return None
        stat = path.stat()
        at = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._positions[f"filedrop:{path.name}"] = [stat.st_mtime_ns, path.name]
        return Inbound(
            channel="filedrop",
            address=sender,
            name=str(data.get("name", "")),
            subject=str(data.get("subject", "")),
            text=text,
            at=at,
            ext_id=f"filedrop:{path.name}",
        )

    async def send(self, reply: Outgoing) -> DeliveryResult:
        target = self.outbox / f"{reply.message_id}.json"
        body = json.dumps(
            {
                "to": reply.to_address,
                "subject": reply.subject,
                "text": reply.text,
                "agent": reply.agent,
            }
        )
        try:
            await asyncio.to_thread(_write_atomically, target, body)
        except OSError as error:  # a channel error is returned, never raised
            return DeliveryResult("retry", f"cannot write {target}: {error.strerror or error}")
        return DeliveryResult("sent", external_id=target.name)


def _write_atomically(target: Path, body: str) -> None:
    partial = target.with_suffix(".part")
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, target)
