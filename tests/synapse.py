"""A real Synapse homeserver on loopback for the Matrix tests and the bench.

Synapse lives in its own virtual environment (``.venv-synapse``, made by
``scripts/test.sh``; ``AGENTDESK_SYNAPSE_PYTHON`` names another interpreter). The
config is written here: SQLite, one client listener on a free 127.0.0.1 port,
open registration and rate limits raised so bursts are never throttled.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "desk.test"

_UNLIMITED = {"per_second": 100000, "burst_count": 100000}

_LOG_CONFIG = """\
version: 1
formatters:
  plain:
    format: '%(asctime)s %(name)s %(levelname)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: plain
    filename: {log}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


def synapse_python() -> Path | None:
    """The interpreter that has Synapse installed, or None."""
    override = os.environ.get("AGENTDESK_SYNAPSE_PYTHON")
    candidate = Path(override) if override else ROOT / ".venv-synapse" / "bin" / "python"
    return candidate if candidate.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(directory: Path, port: int) -> str:
    import json

    limits = {
        "rc_message": _UNLIMITED,
        "rc_registration": _UNLIMITED,
        "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
        "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
        "rc_joins_per_room": _UNLIMITED,
        "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
        "rc_room_creation": _UNLIMITED,
        "rc_3pid_validation": _UNLIMITED,
        "rc_admin_redaction": _UNLIMITED,
    }
    settings = {
        "server_name": SERVER_NAME,
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "report_stats": False,
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "registration_shared_secret": secrets.token_hex(16),
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "use_presence": False,
        "url_preview_enabled": False,
        **limits,
    }
    # JSON is YAML: no PyYAML needed on the test side.
    return json.dumps(settings, indent=1)


class Synapse:
    """A homeserver in a temp dir; ``start``/``stop``/``restart`` keep its database."""

    def __init__(self, python: Path, directory: Path) -> None:
        self.python = python
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        (directory / "log.yaml").write_text(_LOG_CONFIG.format(log=directory / "homeserver.log"))
        (directory / "homeserver.yaml").write_text(_config(directory, self.port))

    def start(self, timeout: float = 90.0) -> None:
        with open(self.directory / "stdout.log", "ab") as output:
            self.process = subprocess.Popen(
                [
                    str(self.python),
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(self.directory / "homeserver.yaml"),
                ],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        (self.directory / "server.pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"synapse exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"synapse did not answer within {timeout:.0f} s:\n{self.logs()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Kill the server and remove its data: nothing is kept, so no shutdown to wait
        for (a graceful one can take 20 s while a client's long-poll is still open)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def logs(self) -> str:
        text = ""
        for name in ("stdout.log", "homeserver.log"):
            path = self.directory / name
            if path.exists():
                text += path.read_text(errors="replace")[-4000:]
        return text

    def register(self, username: str, password: str = "secret-pass") -> dict:
        """Register ``username``; returns the /register answer (user_id, access_token)."""
        response = httpx.post(
            f"{self.url}/_matrix/client/v3/register",
            json={
                "username": username,
                "password": password,
                "auth": {"type": "m.login.dummy"},
                "inhibit_login": False,
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


PREFIX = "agentdesk-synapse-"


def _base_dir() -> str:
    """Memory-backed when available: the homeserver's SQLite fsyncs cost nothing there."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError):
        return True  # unreadable or not ours: leave it alone
    return True


def reap_stale() -> None:
    """End homeservers left by runs killed before their teardown (owner process gone)."""
    for root in Path(_base_dir()).glob(PREFIX + "*"):
        owner, server = root / "owner", root / "server.pid"
        if not owner.exists() or _alive(owner):
            continue
        if server.exists() and _alive(server):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(server.read_text()), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def start_synapse() -> Synapse:
    """Start a fresh homeserver (raises when Synapse is not installed)."""
    python = synapse_python()
    if python is None:
        raise RuntimeError(
            "Synapse is not installed: run scripts/test.sh "
            "(or python3 -m venv .venv-synapse && "
            ".venv-synapse/bin/pip install matrix-synapse)"
        )
    reap_stale()
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=_base_dir()))
    (root / "owner").write_text(str(os.getpid()))
    server = Synapse(python, root)
    server.start()
    return server


_shared: dict = {"server": None, "users": 0}


@pytest.fixture(scope="session")
def synapse() -> Synapse:
    """One homeserver for the whole session; skipped (failed under CI) without Synapse.

    Each test module that imports this fixture gets its own session-scoped copy from
    pytest, so the server itself is shared here and stopped by the last one to finish.
    """
    if synapse_python() is None:
        message = "Synapse not installed (.venv-synapse); scripts/test.sh installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if _shared["server"] is None:
        _shared["server"] = start_synapse()
    _shared["users"] += 1
    yield _shared["server"]
    _shared["users"] -= 1
    if _shared["users"] == 0:
        server, _shared["server"] = _shared["server"], None
        server.destroy()


class MatrixUser:
    """A registered account driven over the client API (the customer's side in tests)."""

    def __init__(
        self, server: Synapse, username: str, display_name: str = "", password: str = "secret-pass"
    ) -> None:
        answer = server.register(username, password)
        self.server, self.password = server, password
        self.user_id, self.token = answer["user_id"], answer["access_token"]
        self.http = httpx.Client(
            base_url=f"{server.url}/_matrix/client/v3",
            timeout=30,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        self._txn = 0
        if display_name:
            self.call(
                "PUT", f"/profile/{quote(self.user_id)}/displayname", {"displayname": display_name}
            )

    def call(
        self, method: str, path: str, body: dict | None = None, params: dict | None = None
    ) -> dict:
        response = self.http.request(method, path, json=body, params=params)
        response.raise_for_status()
        return response.json()

    def login(self) -> str:
        """A new access token (a new device) for this account."""
        return httpx.post(
            f"{self.server.url}/_matrix/client/v3/login",
            timeout=30,
            json={
                "type": "m.login.password",
                "password": self.password,
                "identifier": {"type": "m.id.user", "user": self.user_id},
            },
        ).json()["access_token"]

    def open_chat(self, invite: str, name: str = "") -> str:
        """Create a private room inviting ``invite``; returns the room id."""
        body: dict = {"preset": "trusted_private_chat", "invite": [invite], "is_direct": True}
        if name:
            body["name"] = name
        return self.call("POST", "/createRoom", body)["room_id"]

    def send(self, room_id: str, content: dict | str) -> str:
        """Send a message (a string is an ``m.text``); returns its event id."""
        if isinstance(content, str):
            content = {"msgtype": "m.text", "body": content}
        self._txn += 1
        return self.call(
            "PUT",
            f"/rooms/{quote(room_id)}/send/m.room.message/t{self._txn}-{secrets.token_hex(4)}",
            content,
        )["event_id"]

    def react(self, room_id: str, event_id: str, key: str) -> str:
        """React to an event with ``key`` (an emoji); returns the reaction's event id."""
        self._txn += 1
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return self.call(
            "PUT",
            f"/rooms/{quote(room_id)}/send/m.reaction/t{self._txn}-{secrets.token_hex(4)}",
            {"m.relates_to": relation},
        )["event_id"]

    def leave(self, room_id: str) -> None:
        self.call("POST", f"/rooms/{quote(room_id)}/leave", {})

    def messages(self, room_id: str, sender: str | None = None) -> list[dict]:
        """The room's ``m.room.message`` events, oldest first (optionally by one sender)."""
        found, start = [], None
        while True:
            params = {"dir": "b", "limit": "100"}
            if start:
                params["from"] = start
            page = self.call("GET", f"/rooms/{quote(room_id)}/messages", params=params)
            found += [
                e
                for e in page["chunk"]
                if e["type"] == "m.room.message" and (sender is None or e["sender"] == sender)
            ]
            start = page.get("end")
            if not page["chunk"] or not start:
                return list(reversed(found))

    def members(self, room_id: str) -> dict[str, str]:
        """user id -> membership for the room."""
        chunk = self.call("GET", f"/rooms/{quote(room_id)}/members")["chunk"]
        return {e["state_key"]: e["content"]["membership"] for e in chunk}

    def ephemeral(self, room_id: str) -> list[dict]:
        """The room's typing and receipt events from a fresh initial sync."""
        data = self.call("GET", "/sync", params={"timeout": "0"})
        return (
            data.get("rooms", {})
            .get("join", {})
            .get(room_id, {})
            .get("ephemeral", {})
            .get("events", [])
        )

    def close(self) -> None:
        self.http.close()
