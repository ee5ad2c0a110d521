"""The Matrix chat connector: each room with a customer is a chat conversation.

Receiving is a ``/sync`` long-poll (``sync.SyncReader``). The ``since`` token of a
batch is stored only once every message of the batch is stored (in the same
transaction as the last one, through ``recorded``), and every message carries its
event id as ``ext_id``, so a restart or a crash neither misses nor repeats one.

Sending uses a transaction id made once per reply and committed before the first
attempt; a retry reuses it, and a retry after an earlier attempt first looks for
the reply in the room (the id is also in the event content) before posting again,
which also covers a new device or a homeserver that forgot the transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from agentdesk import clock
from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.connectors.matrix import events
from agentdesk.connectors.matrix.client import MatrixClient, MatrixError, MatrixHTTPError
from agentdesk.connectors.matrix.session import Session
from agentdesk.connectors.matrix.state import MatrixState
from agentdesk.connectors.matrix.sync import SyncReader
from agentdesk.domain import Inbound, Outgoing
from agentdesk.hosts import is_loopback
from agentdesk.text import error_line

if TYPE_CHECKING:
    from agentdesk.config import Table
    from agentdesk.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

TXN_KEY = "agentdesk.txn_id"  # the reply's transaction id, also kept in the event content
FIND_PAGES = 5  # pages of the desk's own messages searched before a resend


class _Stopped(Exception):
    """``stop()`` was called while waiting."""


class Backoff:
    """Capped, jittered exponential delays: about 1, 2, 4 … ``cap`` seconds."""

    def __init__(self, cap: float, first: float = 1.0) -> None:
        self.cap, self.first, self.failures = cap, first, 0

    def next(self) -> float:
        delay = clock.backoff(self.failures, self.cap, self.first)
        self.failures = min(self.failures + 1, 32)  # days of failures must not overflow
        return delay

    def reset(self) -> None:
        self.failures = 0


class MatrixConnector(Connector):
    """Chat over the Matrix client-server API (httpx, no SDK)."""

    name = "matrix"
    channels = ("chat",)
    options = (
        Option(
            "homeserver", str, required=True, help="homeserver URL, e.g. https://matrix.example.org"
        ),
        Option("user", str, required=True, help="the desk's Matrix id, e.g. @support:example.org"),
        Option("access_token_env", str, help="environment variable holding an access token"),
        Option("password_env", str, help="environment variable holding the password"),
        Option(
            "password_command",
            str,
            secret=True,
            help="command printing the password on its first line",
        ),
        Option("ca_file", str, help="CA certificates for a homeserver with a private CA"),
        Option("device_name", str, default="agentdesk", help="device name a login shows"),
        Option("auto_join", bool, default=True, help="accept room invites automatically"),
        Option(
            "typing_notifications",
            bool,
            default=True,
            help="tell customers when an agent is typing",
        ),
        Option(
            "read_receipts",
            bool,
            default=True,
            help="send read receipts when an agent reads a conversation",
        ),
        Option("sync_timeout", float, default=30.0, help="seconds one /sync long-poll waits"),
        Option(
            "timeline_limit",
            int,
            default=100,
            help="events per room and sync; a longer gap is fetched page by page",
        ),
        Option("max_backoff", float, default=60.0, help="longest wait between reconnects"),
    )
    capabilities = Capabilities(can_send=True, supports_push=True, supports_threads=True)

    @classmethod
    def validate(cls, table: Table) -> dict[str, Any]:
        """Settings from a ``[[connectors]]`` table; errors name the key.

        Checks the type of every given key, then required keys (base class), then the
        URL, the user id and that exactly one source of credentials is set.
        """
        for option in cls.options:
            table.get(option.name, option.kind)
        settings = super().validate(table)
        url = urlsplit(settings["homeserver"])
        if url.scheme not in ("http", "https") or not url.hostname:
            raise table.error(
                "homeserver", "expected an http(s) URL such as https://matrix.example.org"
            )
        if url.scheme == "http" and not is_loopback(url.hostname):
            raise table.error(
                "homeserver", "plain http is only allowed for a loopback homeserver; use https"
            )
        user = settings["user"]
        if not (user.startswith("@") and ":" in user):
            raise table.error(
                "user", f"expected a Matrix id such as @support:example.org, got {user!r}"
            )
        sources = [
            name
            for name in ("access_token_env", "password_env", "password_command")
            if settings.get(name)
        ]
        if len(sources) != 1:
            raise table.error(
                "access_token_env",
                "set exactly one of access_token_env, password_env, password_command",
            )
        for name in ("sync_timeout", "max_backoff", "timeline_limit"):
            if settings[name] <= 0:
                raise table.error(name, f"must be greater than 0, got {settings[name]}")
        return settings

    def __init__(self, settings: dict[str, Any]) -> None:
        defaults = {option.name: option.default for option in self.options}
        super().__init__({**defaults, **settings})
        self.user_id: str = self.settings["user"]
        self.store: Store | None = None
        self.session: Session | None = None
        self.reader: SyncReader | None = None
        self.saved: MatrixState  # set by attach(store), before incoming() or send()
        self.backoff = Backoff(float(self.settings["max_backoff"]))
        self._stopping = asyncio.Event()
        self._batch_end: tuple[str, str] | None = None  # (ext_id of last message, token)

    # ---- lifecycle ------------------------------------------------------------------
    def attach(self, store: Store) -> None:
        self.store = store
        self.saved = MatrixState(store.connector_data(self.desk_name), self.user_id)
        self.session = Session(self.settings, self.saved)
        self.reader = SyncReader(
            self.user_id,
            store,
            int(self.settings["timeline_limit"]),
            bool(self.settings["auto_join"]),
        )

    async def start(self) -> None:
        """Log in; an unreachable homeserver is retried by ``incoming``, a refusal raises."""
        self._stopping = asyncio.Event()  # bound to this start's event loop
        self._show("connecting")
        try:
            await self._client()
        except httpx.TransportError as error:
            log.warning(
                "matrix: %s unreachable at start: %s",
                self.settings["homeserver"],
                error_line(error),
            )
        except MatrixHTTPError as error:
            if not error.temporary:
                raise MatrixError(f"matrix {self.user_id}: {error}") from None

    async def stop(self) -> None:
        """End ``incoming`` (even mid long-poll) and close the connection; safe twice."""
        self._stopping.set()
        if self.session is not None:
            await self.session.close()
        self._show("stopped")

    @property
    def _where(self) -> str:
        """How states and results name this connector: its config ``name`` or "chat"."""
        return self.label if self.label not in ("", self.name) else "chat"

    def _show(self, state: str) -> None:
        text = f"{self._where}: {state}"
        if text != self.state:
            self.set_state(text)

    async def _client(self) -> MatrixClient:
        if self.session is None:
            raise MatrixError("matrix: no desk store attached (run it through ChannelHost)")
        return await self.session.get()

    # ---- receiving ----------------------------------------------------------------------
    async def incoming(self) -> AsyncIterator[Inbound]:
        """Customer messages from ``/sync`` until ``stop()``; reconnects with backoff."""
        store, reader = self.store, self.reader
        if store is None or reader is None:
            raise MatrixError("matrix: no desk store attached (run it through ChannelHost)")
        timeout = float(self.settings["sync_timeout"])
        while not self._stopping.is_set():
            since = self.saved.since()
            try:
                token, messages = await self._until_stopped(self._batch(reader, since, timeout))
            except _Stopped:
                return
            except (httpx.TransportError, MatrixError) as error:
                if not await self._wait_after(error):
                    return
                continue
            self.backoff.reset()
            self._show("connected")
            if messages:
                self._batch_end = (messages[-1].ext_id or "", token)
            for message in messages:
                yield message
            self._batch_end = None
            self.saved.set_since(token)

    async def _batch(
        self, reader: SyncReader, since: str | None, timeout: float
    ) -> tuple[str, list[Inbound]]:
        return await reader.batch(await self._client(), since, timeout)

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        """Commit the batch's token with its last message (same transaction)."""
        if self._batch_end and message.ext_id == self._batch_end[0]:
            self.saved.set_since(self._batch_end[1])

    async def _wait_after(self, error: Exception) -> bool:
        """Show the state, wait the backoff; False when stopped meanwhile."""
        unauthorised = isinstance(error, MatrixHTTPError) and error.status == 401
        if unauthorised and self.session is not None:
            self.session.refused()  # log in again (a password) or report (a token)
        delay = self.backoff.next()
        if isinstance(error, MatrixHTTPError) and error.retry_after:
            delay = max(delay, error.retry_after)
        log.warning("matrix: sync failed (%s); retrying in %.1f s", error_line(error), delay)
        seconds = max(1, round(delay))
        if isinstance(error, httpx.TransportError) or getattr(error, "temporary", False):
            self._show(f"reconnecting in {seconds} s")
        else:  # a refusal the agent must see (wrong password, revoked token, ...)
            self._show(f"{error_line(error)}; retrying in {seconds} s")
        await self.wait_to_reconnect(delay, self._stopping)
        return not self._stopping.is_set()

    async def _until_stopped(self, work: Awaitable[T]) -> T:
        """Await ``work`` unless ``stop()`` comes first (then cancel it, raise _Stopped)."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, stopper):
                if not pending.done():
                    pending.cancel()
        if not task.done() or task.cancelled():
            raise _Stopped
        return task.result()

    # ---- sending --------------------------------------------------------------------------
    async def send(self, reply: Outgoing) -> DeliveryResult:
        """Post the reply to its room once, whatever retries and crashes came before."""
        room_id = reply.conversation_uid
        if not room_id.startswith("!"):
            return DeliveryResult("failed", f"{room_id} is not a Matrix room id")
        if self.store is None:
            return DeliveryResult("retry", "matrix: no desk store attached")
        record = self.saved.send_record(reply.message_id, room_id)
        if record.event_id:
            return DeliveryResult("sent", external_id=record.event_id)
        content = {"msgtype": "m.text", "body": reply.text, TXN_KEY: record.txn_id}
        try:
            client = await self._client()
            event_id = None
            if record.attempts:  # an earlier try may have reached the room
                event_id = await self._posted(client, room_id, record.txn_id)
            if event_id is None:
                self.saved.send_attempt(reply.message_id)
                event_id = await client.send_message(room_id, record.txn_id, content)
        except httpx.TransportError as error:
            return DeliveryResult("retry", f"{self._where}: {error_line(error)}")
        except MatrixHTTPError as error:
            if error.status == 401 and self.session is not None:
                self.session.refused()
            return DeliveryResult(
                "retry" if error.temporary or error.status == 401 else "failed",
                f"{self._where}: {error}",
            )
        except MatrixError as error:
            return DeliveryResult("retry", str(error))
        self.saved.send_done(reply.message_id, event_id)
        return DeliveryResult("sent", external_id=event_id)

    async def _posted(self, client: MatrixClient, room_id: str, txn_id: str) -> str | None:
        """The event id of the desk's message carrying ``txn_id``, if it reached the room."""
        start = None
        own = json.dumps({"senders": [self.user_id], "types": [events.MESSAGE]})
        for _ in range(FIND_PAGES):
            page = await client.messages(room_id, start=start, filter_json=own)
            for event in page.get("chunk") or []:
                content = event.get("content") if isinstance(event, dict) else None
                unsigned = event.get("unsigned") if isinstance(event, dict) else None
                if (isinstance(content, dict) and content.get(TXN_KEY) == txn_id) or (
                    isinstance(unsigned, dict) and unsigned.get("transaction_id") == txn_id
                ):
                    return events.text_of(event.get("event_id")) or None
            start = page.get("end")
            if not page.get("chunk") or not isinstance(start, str):
                break
        return None

    # ---- presence in the room -----------------------------------------------------------------
    async def typing(self, room_id: str, typing: bool, timeout: float = 30.0) -> bool:
        """Show (or stop showing) that the desk is typing; False if off or it failed."""
        if not self.settings["typing_notifications"]:
            return False
        return await self._quietly(
            lambda client: client.typing(room_id, self.user_id, typing, timeout)
        )

    async def mark_read(self, room_id: str, event_id: str | None = None) -> bool:
        """Send a read receipt up to ``event_id`` (default: the newest customer message)."""
        if not self.settings["read_receipts"]:
            return False
        if event_id is None and self.store is not None:
            event_id = self.store.messages.last_inbound_ext_id(room_id, "$")
        if not event_id:
            return False
        return await self._quietly(lambda client: client.receipt(room_id, event_id))

    async def _quietly(self, call: Callable[[MatrixClient], Awaitable[None]]) -> bool:
        """Courtesy calls never raise: a failure is logged and reported as False."""
        try:
            await call(await self._client())
        except (httpx.TransportError, MatrixError) as error:
            log.info("matrix: %s", error_line(error))
            return False
        return True
