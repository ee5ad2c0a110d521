"""The few Matrix client-server API calls the desk needs, over httpx.

Every call returns the decoded JSON body or raises: ``httpx.TransportError`` when
the homeserver could not be reached, ``MatrixHTTPError`` when it answered with an
error (``temporary`` tells a retry apart from a refusal).
"""

from __future__ import annotations

import json
import ssl
from typing import Any
from urllib.parse import quote

import httpx

API = "/_matrix/client/v3"


class MatrixError(Exception):
    """A Matrix problem explained in one line (never containing a secret)."""


class MatrixHTTPError(MatrixError):
    """The homeserver answered with an error status."""

    def __init__(
        self, status: int, errcode: str, error: str, retry_after: float | None = None
    ) -> None:
        words = f"{errcode}: {error}" if errcode else error or f"HTTP {status}"
        super().__init__(f"HTTP {status} {words}".strip())
        self.status, self.errcode, self.error = status, errcode, error
        self.retry_after = retry_after

    @property
    def temporary(self) -> bool:
        """Worth retrying later: rate limits and server-side failures."""
        return self.status == 429 or self.status >= 500 or self.errcode == "M_LIMIT_EXCEEDED"


def _part(value: str) -> str:
    """One URL path segment (room, event and user ids carry ``!$@:``)."""
    return quote(value, safe="")


class MatrixClient:
    """An authenticated session with one homeserver (the token lives only in memory)."""

    def __init__(
        self, homeserver: str, verify: ssl.SSLContext | bool = True, read_timeout: float = 60.0
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=homeserver.rstrip("/"),
            verify=verify,
            timeout=httpx.Timeout(30.0, read=read_timeout),
            headers={"User-Agent": "agentdesk"},
        )
        self.token: str | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.request(
            method,
            API + path,
            params=params,
            json=body,
            headers=headers,
            timeout=httpx.Timeout(30.0, read=timeout) if timeout else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if response.status_code >= 400 or not isinstance(data, dict):
            data = data if isinstance(data, dict) else {}
            retry = data.get("retry_after_ms")
            raise MatrixHTTPError(
                response.status_code,
                str(data.get("errcode") or ""),
                " ".join(str(data.get("error") or response.reason_phrase).split())[:300],
                retry / 1000 if isinstance(retry, int) else None,
            )
        return data

    # ---- session ------------------------------------------------------------------
    async def login(
        self, user: str, password: str, device_id: str | None, device_name: str
    ) -> dict:
        """Password login; keeps the token and returns ``user_id``/``device_id``."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
            "initial_device_display_name": device_name,
        }
        if device_id:
            body["device_id"] = device_id
        data = await self.request("POST", "/login", body=body)
        self.token = data.get("access_token")
        return data

    async def whoami(self) -> dict:
        return await self.request("GET", "/account/whoami")

    # ---- receiving ------------------------------------------------------------------
    async def sync(self, since: str | None, filter_json: str, timeout: float) -> dict:
        """One ``/sync``; long-polls up to ``timeout`` seconds when ``since`` is set."""
        params = {"filter": filter_json, "timeout": str(int(timeout * 1000)) if since else "0"}
        if since:
            params["since"] = since
        return await self.request("GET", "/sync", params=params, timeout=timeout + 30)

    async def messages(
        self,
        room_id: str,
        *,
        start: str | None = None,
        end: str | None = None,
        direction: str = "b",
        limit: int = 100,
        filter_json: str | None = None,
    ) -> dict:
        """One page of a room's history (``/messages``)."""
        params = {"dir": direction, "limit": str(limit)}
        if start:
            params["from"] = start
        if end:
            params["to"] = end
        if filter_json:
            params["filter"] = filter_json
        return await self.request("GET", f"/rooms/{_part(room_id)}/messages", params=params)

    async def join(self, room_id: str) -> dict:
        return await self.request("POST", f"/join/{_part(room_id)}", body={})

    # ---- sending ----------------------------------------------------------------------
    async def send_message(self, room_id: str, txn_id: str, content: dict) -> str:
        """PUT one ``m.room.message``; the homeserver answers a repeated txn id once."""
        data = await self.request(
            "PUT", f"/rooms/{_part(room_id)}/send/m.room.message/{_part(txn_id)}", body=content
        )
        event_id = data.get("event_id")
        if not isinstance(event_id, str):
            raise MatrixHTTPError(502, "", "homeserver answered without an event_id")
        return event_id

    async def typing(self, room_id: str, user_id: str, typing: bool, timeout: float) -> None:
        body: dict[str, Any] = {"typing": typing}
        if typing:
            body["timeout"] = int(timeout * 1000)
        await self.request("PUT", f"/rooms/{_part(room_id)}/typing/{_part(user_id)}", body=body)

    async def receipt(self, room_id: str, event_id: str) -> None:
        await self.request(
            "POST", f"/rooms/{_part(room_id)}/receipt/m.read/{_part(event_id)}", body={}
        )
