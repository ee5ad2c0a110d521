"""Logging the desk into its homeserver: an access token or a password, held in memory.

The token comes from an environment variable, or a password from ``password_env``
or ``password_command`` is exchanged for one. Neither is stored by agentdesk or
written to a log; only the device id is kept, so every password login reuses the
same device.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from typing import TYPE_CHECKING, Any

import httpx

from agentdesk import credentials
from agentdesk.connectors.matrix.client import MatrixClient, MatrixError, MatrixHTTPError

if TYPE_CHECKING:
    from agentdesk.connectors.matrix.state import MatrixState


class Session:
    """One logged-in client, made on first use and again after the token is refused."""

    def __init__(self, settings: dict[str, Any], saved: MatrixState) -> None:
        self.settings, self.saved = settings, saved
        self.user_id: str = settings["user"]
        self.client: MatrixClient | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> MatrixClient:
        """The logged-in client; raises transport, HTTP or one-line ``MatrixError``s."""
        async with self._lock:
            if self.client is None:
                self.client = MatrixClient(
                    self.settings["homeserver"],
                    self._verify(),
                    float(self.settings["sync_timeout"]) + 30,
                )
            if self.client.token is None:
                await self._login(self.client)
            return self.client

    def refused(self) -> None:
        """The homeserver no longer accepts the token: log in again on next use."""
        if self.client is not None:
            self.client.token = None

    async def close(self) -> None:
        """Log out a password session and close the connection.

        A token from a password login would otherwise stay valid on the homeserver
        with nobody holding it; a configured access token is left alone. The next
        ``get`` (even in another event loop) starts anew.
        """
        client, self.client = self.client, None
        self._lock = asyncio.Lock()
        if client is None:
            return
        if client.token and not self.settings.get("access_token_env"):
            with contextlib.suppress(httpx.TransportError, MatrixError, TimeoutError):
                await asyncio.wait_for(client.request("POST", "/logout", body={}), 5)
        await client.close()

    def _verify(self) -> ssl.SSLContext | bool:
        ca_file = self.settings.get("ca_file")
        if not ca_file:
            return True  # httpx verifies chain and host name against the system CAs
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as error:
            raise MatrixError(f"matrix: ca_file {ca_file}: {error}") from None

    async def _login(self, client: MatrixClient) -> None:
        variable = self.settings.get("access_token_env")
        if variable:
            token = os.environ.get(variable)
            if not token:
                raise MatrixError(
                    f"matrix: environment variable {variable} (access_token_env) is not set"
                )
            client.token = token
            try:
                who = await client.whoami()
            except BaseException:
                client.token = None
                raise
            if who.get("user_id") != self.user_id:
                client.token = None
                raise MatrixError(
                    f"matrix: the access token belongs to {who.get('user_id')}, not {self.user_id}"
                )
            return
        password = await asyncio.to_thread(self._password)
        answer = await client.login(
            self.user_id,
            password,
            self.saved.device(),
            self.settings["device_name"],
        )
        if not client.token:
            raise MatrixHTTPError(502, "", "login answered without an access token")
        if isinstance(answer.get("device_id"), str):
            self.saved.set_device(answer["device_id"])

    def _password(self) -> str:
        try:
            if self.settings.get("password_command"):
                command = self.settings["password_command"]
                return credentials.from_command(command, "password_command")
            variable = self.settings.get("password_env") or ""
            return credentials.from_environment(variable, "password_env")
        except credentials.CredentialError as error:
            raise MatrixError(f"matrix: {error}") from None
