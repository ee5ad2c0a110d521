"""The ``[web]`` config table, validated: where ``agentdesk web`` listens, the address a
browser reaches it by, and where its token comes from."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from agentdesk import credentials
from agentdesk.config import Config
from agentdesk.hosts import is_loopback

TOKEN_MIN_LENGTH = 16  # a token from token_command shorter than this is refused
# What a token may hold: URL-unreserved characters pass through an address and a cookie
# unchanged (a "+" in a query would come back as a space, a ";" would end the cookie).
TOKEN = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class WebSettings:
    """``host`` and ``port`` to listen on (port 0: any free one), ``public_url`` (the
    address the browser uses, e.g. a TLS reverse proxy's; empty: the one it asked for)
    and ``token_command`` (prints the token; empty: one is generated when needed)."""

    host: str = "127.0.0.1"
    port: int = 8765
    public_url: str = ""
    token_command: str = ""

    @property
    def reachable_from_elsewhere(self) -> bool:
        """True unless both the bind address and the public address are loopback."""
        public_host = urlsplit(self.public_url).hostname if self.public_url else None
        return not is_loopback(self.host) or (
            public_host is not None and not is_loopback(public_host)
        )

    def token(self) -> str | None:
        """The token browsers must present: ``token_command``'s line when set (on
        loopback too), else a new random one when the desk is reachable from elsewhere,
        else None. A failing command raises ``credentials.CredentialError``."""
        if self.token_command:
            token = credentials.from_command(self.token_command, "web.token_command").strip()
            if len(token) < TOKEN_MIN_LENGTH:
                raise credentials.CredentialError(
                    "web.token_command", f"the token must be at least {TOKEN_MIN_LENGTH} characters"
                )
            if not TOKEN.fullmatch(token):
                raise credentials.CredentialError(
                    "web.token_command", "the token may hold only letters, digits and - . _ ~"
                )
            return token
        if self.reachable_from_elsewhere:
            return secrets.token_urlsafe(24)
        return None


def listen_host(text: str) -> str:
    """An address to listen on as written, an IPv6 one without its brackets (``[::1]``)."""
    host = text.strip()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def web_settings(config: Config) -> WebSettings:
    """Read ``[web]``; a bad value is one line naming the file and key."""
    table = config.table("web")
    table.reject_unknown({"host", "port", "public_url", "token_command"})
    defaults = WebSettings()
    host = listen_host(table.get("host", str, defaults.host))
    if not host:
        raise table.error("host", "must not be empty (127.0.0.1 listens on this machine only)")
    port = table.get("port", int, defaults.port)
    if not 0 <= port <= 65535:
        raise table.error("port", f"must be from 0 to 65535, got {port}")
    public_url = table.get("public_url", str, "").strip().rstrip("/")
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise table.error(
                "public_url", f"expected an http:// or https:// address, got {public_url!r}"
            )
        if parts.query or parts.fragment:
            raise table.error("public_url", "must have no ?query or #fragment")
    return WebSettings(host, port, public_url, table.get("token_command", str, "").strip())
