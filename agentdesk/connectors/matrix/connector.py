"""The Matrix chat connector: each room with a customer is a chat conversation.

Receiving is a ``/sync`` long-poll. The ``since`` token of a batch is stored only
once every message of the batch is stored (in the same transaction as the last one,
through ``recorded``), and every message carries its event id as ``ext_id``, so a
restart or a crash neither misses nor repeats a message. A timeline the homeserver
cut short (``limited``) is filled page by page from ``/messages`` back to the
previous token.

Sending uses a transaction id made once per reply and committed before the first
attempt; a retry reuses it, and a retry after an earlier attempt first looks for
the reply in the room (the id is also in the event content) before posting again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import random
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.connectors.matrix import events
from agentdesk.connectors.matrix.client import MatrixClient, MatrixError, MatrixHTTPError
from agentdesk.domain import Inbound, Outgoing

if TYPE_CHECKING:
    from agentdesk.config import Table
    from agentdesk.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

TXN_KEY = "agentdesk.txn_id"  # the reply's transaction id, also kept in the event content
_TIMELINE_TYPES = [events.MESSAGE, events.MEMBER, events.ENCRYPTED, events.ROOM_NAME]
_HISTORY_PAGES = 20  # at most this many /messages pages to fill one room's gap
_FIND_PAGES = 5  # pages of the desk's own messages searched before a resend


class _Stopped(Exception):
    """``stop()`` was called while waiting."""


def _sync_filter(timeline_limit: int) -> str:
    room_events = {"types": _TIMELINE_TYPES, "lazy_load_members": True,
                   "include_redundant_members": True}
    return json.dumps({
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "account_data": {"types": []},
            "ephemeral": {"types": []},
            "state": {"types": [events.MEMBER, events.ROOM_NAME], "lazy_load_members": True,
                      "include_redundant_members": True},
            "timeline": {**room_events, "limit": timeline_limit},
        },
    }, separators=(",", ":"))


def _history_filter() -> str:
    return json.dumps({"types": _TIMELINE_TYPES, "lazy_load_members": True},
                      separators=(",", ":"))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


class Backoff:
    """Capped, jittered exponential delays: about 1, 2, 4 … ``cap`` seconds."""

    def __init__(self, cap: float, first: float = 1.0) -> None:
        self.cap, self.first, self.failures = cap, first, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2 ** self.failures)
        self.failures += 1
        return max(0.1, delay * random.uniform(0.8, 1.0))

    def reset(self) -> None:
        self.failures = 0


class MatrixConnector(Connector):
    """Chat over the Matrix client-server API (httpx, no SDK)."""

    name = "matrix"
    channels = ("chat",)
    options = (
        Option("homeserver", str, required=True,
               help="homeserver URL, e.g. https://matrix.example.org"),
        Option("user", str, required=True, help="the desk's Matrix id, e.g. @support:example.org"),
        Option("access_token_env", str, help="environment variable holding an access token"),
        Option("password_env", str, help="environment variable holding the password"),
        Option("password_command", str, secret=True,
               help="command printing the password on its first line"),
        Option("ca_file", str, help="CA certificates for a homeserver with a private CA"),
        Option("device_name", str, default="agentdesk", help="device name a login shows"),
        Option("auto_join", bool, default=True, help="accept room invites automatically"),
        Option("typing_notifications", bool, default=True,
               help="tell customers when an agent is typing"),
        Option("read_receipts", bool, default=True,
               help="send read receipts when an agent reads a conversation"),
        Option("sync_timeout", float, default=30.0, help="seconds one /sync long-poll waits"),
        Option("timeline_limit", int, default=100,
               help="events per room and sync; a longer gap is fetched page by page"),
        Option("max_backoff", float, default=60.0, help="longest wait between reconnects"),
    )
    capabilities = Capabilities(can_send=True, supports_push=True, supports_threads=True)

    @classmethod
    def validate(cls, table: Table) -> dict[str, Any]:
        """Check types (base class), then URL, user id and one source of credentials."""
        settings = super().validate(table)
        url = urlsplit(settings["homeserver"])
        if url.scheme not in ("http", "https") or not url.hostname:
            raise table.error("homeserver", "expected an http(s) URL such as "
                                            "https://matrix.example.org")
        if url.scheme == "http" and not _is_loopback(url.hostname):
            raise table.error("homeserver", "plain http is only allowed for a loopback "
                                            "homeserver; use https")
        user = settings["user"]
        if not (user.startswith("@") and ":" in user):
            raise table.error("user", f"expected a Matrix id such as @support:example.org, "
                                      f"got {user!r}")
        sources = [name for name in ("access_token_env", "password_env", "password_command")
                   if settings.get(name)]
        if len(sources) != 1:
            raise table.error("access_token_env", "set exactly one of access_token_env, "
                                                  "password_env, password_command")
        for name in ("sync_timeout", "max_backoff", "timeline_limit"):
            if settings[name] <= 0:
                raise table.error(name, f"must be greater than 0, got {settings[name]}")
        return settings

    def __init__(self, settings: dict[str, Any]) -> None:
        defaults = {option.name: option.default for option in self.options}
        super().__init__({**defaults, **settings})
        self.user_id: str = self.settings["user"]
        self.store: Store | None = None
        self.client: MatrixClient | None = None
        self.backoff = Backoff(float(self.settings["max_backoff"]))
        self._login_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._names: dict[str, dict[str, str]] = {}  # room -> user -> display name
        self._room_names: dict[str, str] = {}
        self._batch_end: tuple[str, str] | None = None  # (ext_id of last message, token)

    # ---- lifecycle ------------------------------------------------------------------
    def attach(self, store: Store) -> None:
        self.store = store

    async def start(self) -> None:
        """Log in; an unreachable homeserver is retried by ``incoming``, a refusal raises."""
        self._stopping.clear()
        self.set_state("chat: connecting")
        try:
            await self._session()
        except httpx.TransportError as error:
            log.warning("matrix: %s unreachable at start: %s", self.settings["homeserver"],
                        _one_line(error))
        except MatrixHTTPError as error:
            if not error.temporary:
                raise MatrixError(f"matrix {self.user_id}: {error}") from None

    async def stop(self) -> None:
        self._stopping.set()
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        self.set_state("chat: stopped")

    async def _session(self) -> MatrixClient:
        """The logged-in client, made on first use (also by ``send`` before ``start``)."""
        async with self._login_lock:
            if self.client is None:
                self.client = MatrixClient(self.settings["homeserver"], self._verify(),
                                           float(self.settings["sync_timeout"]) + 30)
            if self.client.token is None:
                await self._login(self.client)
            return self.client

    def _verify(self) -> ssl.SSLContext | bool:
        ca_file = self.settings.get("ca_file")
        if not ca_file:
            return True
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as error:
            raise MatrixError(f"matrix: ca_file {ca_file}: {_one_line(error)}") from None

    async def _login(self, client: MatrixClient) -> None:
        store = self._store()
        variable = self.settings.get("access_token_env")
        if variable:
            client.token = os.environ.get(variable) or None
            if client.token is None:
                raise MatrixError(f"matrix: environment variable {variable} "
                                  "(access_token_env) is not set")
            try:
                who = await client.whoami()
            except MatrixHTTPError:
                client.token = None
                raise
            if who.get("user_id") != self.user_id:
                client.token = None
                raise MatrixError(f"matrix: the access token belongs to {who.get('user_id')}, "
                                  f"not {self.user_id}")
            return
        answer = await client.login(self.user_id, self._password(),
                                    store.matrix_device(self.user_id),
                                    self.settings["device_name"])
        if isinstance(answer.get("device_id"), str):
            store.set_matrix_device(self.user_id, answer["device_id"])

    def _password(self) -> str:
        command = self.settings.get("password_command")
        if command:
            try:
                done = subprocess.run(command, shell=True, capture_output=True, timeout=60,
                                      check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise MatrixError(f"matrix: password_command could not run: "
                                  f"{type(error).__name__}") from None
            lines = done.stdout.decode("utf-8", errors="replace").splitlines()
            if done.returncode != 0 or not lines or not lines[0]:
                raise MatrixError(f"matrix: password_command failed (exit status "
                                  f"{done.returncode}, {len(lines)} lines printed)")
            return lines[0]
        variable = self.settings["password_env"]
        value = os.environ.get(variable)
        if not value:
            raise MatrixError(f"matrix: environment variable {variable} (password_env) "
                              "is not set")
        return value

    def _store(self) -> Store:
        if self.store is None:
            raise MatrixError("matrix: no desk store attached (run it through ChannelHost)")
        return self.store

    # ---- receiving ----------------------------------------------------------------------
    async def incoming(self) -> AsyncIterator[Inbound]:
        """Customer messages from ``/sync`` until ``stop()``; reconnects with backoff."""
        store = self._store()
        while not self._stopping.is_set():
            since = store.matrix_since(self.user_id)
            try:
                token, messages = await self._until_stopped(self._batch(since))
            except _Stopped:
                return
            except (httpx.TransportError, MatrixError) as error:
                if not await self._wait_after(error):
                    return
                continue
            self.backoff.reset()
            if self.state != "chat: connected":
                self.set_state("chat: connected")
            if messages:
                self._batch_end = (messages[-1].ext_id or "", token)
            for message in messages:
                yield message
            self._batch_end = None
            store.set_matrix_since(self.user_id, token)

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        """Commit the batch's token with its last message (same transaction)."""
        if self._batch_end and message.ext_id == self._batch_end[0]:
            self._store().set_matrix_since(self.user_id, self._batch_end[1])

    async def _wait_after(self, error: Exception) -> bool:
        """Show the state, wait the backoff; False when stopped meanwhile."""
        if isinstance(error, MatrixHTTPError) and error.status == 401 and self.client:
            self.client.token = None  # log in again (a password) or report (a token)
        delay = self.backoff.next()
        if isinstance(error, MatrixHTTPError) and error.retry_after:
            delay = max(delay, error.retry_after)
        log.warning("matrix: sync failed (%s); retrying in %.1f s", _one_line(error), delay)
        seconds = max(1, round(delay))
        if isinstance(error, httpx.TransportError) or getattr(error, "temporary", False):
            self.set_state(f"chat: reconnecting in {seconds} s")
        else:  # a refusal the agent must see (wrong password, revoked token, ...)
            self.set_state(f"chat: {_one_line(error)}; retrying in {seconds} s")
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
        except TimeoutError:
            return True
        return False

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

    async def _batch(self, since: str | None) -> tuple[str, list[Inbound]]:
        """One sync: accept invites, fill gaps, convert events; returns (next token, messages)."""
        client = await self._session()
        data = await client.sync(since, _sync_filter(int(self.settings["timeline_limit"])),
                                 float(self.settings["sync_timeout"]))
        token = data.get("next_batch")
        if not isinstance(token, str):
            raise MatrixHTTPError(502, "", "sync answered without next_batch")
        rooms = data.get("rooms") if isinstance(data.get("rooms"), dict) else {}
        messages: list[Inbound] = []
        for section in ("join", "leave"):
            entries = rooms.get(section) if isinstance(rooms.get(section), dict) else {}
            for room_id, room in entries.items():
                if isinstance(room, dict):
                    messages += await self._room(client, room_id, room, since)
        invites = rooms.get("invite") if isinstance(rooms.get("invite"), dict) else {}
        if invites and self.settings["auto_join"]:
            for room_id in invites:
                await self._accept(client, room_id)
        return token, messages

    async def _room(self, client: MatrixClient, room_id: str, room: dict,
                    since: str | None) -> list[Inbound]:
        state = room.get("state") if isinstance(room.get("state"), dict) else {}
        self._learn(room_id, state.get("events") or [])
        timeline = room.get("timeline") if isinstance(room.get("timeline"), dict) else {}
        timeline_events = [e for e in timeline.get("events") or [] if isinstance(e, dict)]
        if timeline.get("limited") and since and isinstance(timeline.get("prev_batch"), str):
            timeline_events = await self._history(client, room_id, timeline["prev_batch"],
                                                  since) + timeline_events
        return self._convert(room_id, timeline_events)

    async def _history(self, client: MatrixClient, room_id: str, start: str,
                       end: str) -> list[dict]:
        """Events between two sync tokens that a limited timeline left out, oldest first."""
        older: list[dict] = []
        for _ in range(_HISTORY_PAGES):
            page = await client.messages(room_id, start=start, end=end,
                                         filter_json=_history_filter())
            chunk = [e for e in page.get("chunk") or [] if isinstance(e, dict)]
            self._learn(room_id, page.get("state") or [])
            older += chunk
            start = page.get("end")
            if not chunk or not isinstance(start, str):
                break
        else:
            log.warning("matrix: %s: gap longer than %d pages; older messages skipped",
                        room_id, _HISTORY_PAGES)
        return list(reversed(older))

    def _learn(self, room_id: str, state_events: list) -> None:
        """Remember display names and the room name from state events."""
        for event in state_events:
            if isinstance(event, dict):
                self._note_state(room_id, event)

    def _note_state(self, room_id: str, event: dict) -> None:
        content = event.get("content") if isinstance(event.get("content"), dict) else {}
        if event.get("type") == events.MEMBER:
            user, name = events.text_of(event.get("state_key")), content.get("displayname")
            if user and isinstance(name, str) and name.strip():
                self._names.setdefault(room_id, {})[user] = name
        elif event.get("type") == events.ROOM_NAME:
            self._room_names[room_id] = events.text_of(content.get("name"))

    def _convert(self, room_id: str, timeline: list[dict]) -> list[Inbound]:
        """Customer messages and departures of one room's timeline, in order."""
        messages: list[Inbound] = []
        for event in timeline:
            if "state_key" in event:
                self._note_state(room_id, event)
            names = self._names.get(room_id, {})
            sender = events.text_of(event.get("sender"))
            if event.get("type") == events.MEMBER:
                customer = (messages[0].address if messages
                            else self._store().matrix_room_customer(room_id))
                note = (events.departure(event, room_id, self.user_id, names, customer)
                        if customer else None)
                if note:
                    messages.append(note)
            elif sender != self.user_id:
                message = events.inbound(event, room_id, names.get(sender, ""),
                                         self._room_names.get(room_id, ""))
                if message:
                    messages.append(message)
        return messages

    async def _accept(self, client: MatrixClient, room_id: str) -> None:
        """Join a room we were invited to; a refused invite is logged and skipped."""
        try:
            await client.join(room_id)
        except MatrixHTTPError as error:
            if error.temporary:
                raise
            log.warning("matrix: could not join %s: %s", room_id, error)

    # ---- sending --------------------------------------------------------------------------
    async def send(self, reply: Outgoing) -> DeliveryResult:
        """Post the reply to its room once, whatever retries and crashes came before."""
        room_id = reply.conversation_uid
        if not room_id.startswith("!"):
            return DeliveryResult("failed", f"{room_id} is not a Matrix room id")
        store = self._store()
        record = store.matrix_send_record(reply.message_id, room_id)
        if record.event_id:
            return DeliveryResult("sent", external_id=record.event_id)
        content = {"msgtype": "m.text", "body": reply.text, TXN_KEY: record.txn_id}
        try:
            client = await self._session()
            event_id = await self._posted(client, room_id, record.txn_id) if record.attempts \
                else None
            if event_id is None:
                store.matrix_send_attempt(reply.message_id)
                event_id = await client.send_message(room_id, record.txn_id, content)
        except httpx.TransportError as error:
            return DeliveryResult("retry", f"chat: {_one_line(error)}")
        except MatrixHTTPError as error:
            if error.status == 401 and self.client:
                self.client.token = None
            return DeliveryResult("retry" if error.temporary or error.status == 401
                                  else "failed", f"chat: {error}")
        except MatrixError as error:
            return DeliveryResult("retry", str(error))
        store.matrix_send_done(reply.message_id, event_id)
        return DeliveryResult("sent", external_id=event_id)

    async def _posted(self, client: MatrixClient, room_id: str, txn_id: str) -> str | None:
        """The event id of the desk's message carrying ``txn_id``, if it reached the room."""
        start = None
        own = json.dumps({"senders": [self.user_id], "types": [events.MESSAGE]})
        for _ in range(_FIND_PAGES):
            page = await client.messages(room_id, start=start, filter_json=own)
            for event in page.get("chunk") or []:
                content = event.get("content") if isinstance(event, dict) else None
                unsigned = event.get("unsigned") if isinstance(event, dict) else None
                if (isinstance(content, dict) and content.get(TXN_KEY) == txn_id) or (
                        isinstance(unsigned, dict) and unsigned.get("transaction_id") == txn_id):
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
        return await self._quietly(lambda client: client.typing(room_id, self.user_id,
                                                                typing, timeout))

    async def mark_read(self, room_id: str, event_id: str | None = None) -> bool:
        """Send a read receipt up to ``event_id`` (default: the newest customer message)."""
        if not self.settings["read_receipts"]:
            return False
        event_id = event_id or self._store().matrix_last_inbound_event(room_id)
        if not event_id:
            return False
        return await self._quietly(lambda client: client.receipt(room_id, event_id))

    async def _quietly(self, call) -> bool:
        """Courtesy calls never raise: a failure is logged and reported as False."""
        try:
            await call(await self._session())
        except (httpx.TransportError, MatrixError) as error:
            log.info("matrix: %s", _one_line(error))
            return False
        return True
