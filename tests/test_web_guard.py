"""The gate in front of ``agentdesk web`` over real HTTP on loopback (the token, the host
and websocket-origin checks), the ``[web]`` settings, and the command's one-line errors."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from agentdesk.config import ConfigError, parse_config
from agentdesk.credentials import CredentialError
from agentdesk.web.guard import COOKIE, make_guard, page_headers
from agentdesk.web.settings import WebSettings

TOKEN = "a-token-of-the-right-length-0123"


async def served(token: str | None, public_url: str = "") -> TestClient:
    """A small app behind the guard and with the page headers; its handler answers
    "the app" (reached)."""

    async def app_handler(request: web.Request) -> web.Response:
        return web.Response(text="the app")

    app = web.Application(middlewares=[make_guard(token, public_url)])
    app.on_response_prepare.append(page_headers(public_url))
    app.router.add_get("/{tail:.*}", app_handler)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade"}


async def test_without_a_token_only_loopback_names_reach_the_desk():
    client = await served(None)
    try:
        assert await (await client.get("/")).text() == "the app"
        answer = await client.get("/", headers={"Host": f"localhost:{client.port}"})
        assert answer.status == 200
        # A site whose name was re-pointed at 127.0.0.1 (DNS rebinding) is refused.
        answer = await client.get("/", headers={"Host": f"evil.example:{client.port}"})
        assert answer.status == 403
        assert "loopback only" in await answer.text()
    finally:
        await client.close()


async def test_a_websocket_opened_by_another_site_is_refused():
    client = await served(None)
    try:
        own = f"http://127.0.0.1:{client.port}"
        for origin in ("http://evil.example", f"http://127.0.0.1:{client.port + 1}", None):
            headers = {**WEBSOCKET, **({"Origin": origin} if origin else {})}
            answer = await client.get("/ws", headers=headers)
            assert answer.status == 403, origin
            assert "another site" in await answer.text()
        answer = await client.get("/ws", headers={**WEBSOCKET, "Origin": own})
        assert await answer.text() == "the app"
    finally:
        await client.close()


async def test_the_token_is_taken_once_from_the_address_then_from_a_cookie():
    client = await served(TOKEN)
    try:
        for path in ("/", "/static/js/textual.js", f"/?token={TOKEN[:-1]}x", "/?token="):
            answer = await client.get(path, allow_redirects=False)
            assert answer.status == 403, path
            assert TOKEN not in await answer.text()

        answer = await client.get(f"/?fontsize=20&token={TOKEN}", allow_redirects=False)
        assert answer.status == 302
        assert answer.headers["Location"] == "/?fontsize=20"  # the token left the address
        cookie = answer.cookies[COOKIE]
        assert cookie.value == TOKEN
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
        client.session.cookie_jar.clear()  # from here each request names its own cookie

        answer = await client.get("/ws", headers={**WEBSOCKET, "Cookie": f"{COOKIE}={TOKEN}"})
        assert answer.status == 403  # a websocket's origin is checked with a token too
        own = {"Origin": f"http://127.0.0.1:{client.port}", **WEBSOCKET}
        answer = await client.get("/ws", headers={**own, "Cookie": f"{COOKIE}={TOKEN}"})
        assert await answer.text() == "the app"
        answer = await client.get("/ws", headers={**own, "Cookie": f"{COOKIE}=x{TOKEN}"})
        assert answer.status == 403
        # With a token any Host is fine: the desk is reached by names it cannot know.
        answer = await client.get(
            "/", headers={"Host": "desk.example", "Cookie": f"{COOKIE}={TOKEN}"}
        )
        assert await answer.text() == "the app"
    finally:
        await client.close()


async def test_no_other_site_may_frame_the_desk_or_feed_its_page():
    client = await served(None)
    try:
        for answer in (await client.get("/"), await client.get("/", headers={"Host": "x.example"})):
            policy = answer.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
            assert "connect-src 'self';" in policy
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert answer.headers["Referrer-Policy"] == "no-referrer"
    finally:
        await client.close()


async def test_behind_a_tls_proxy_the_cookie_is_secure_and_the_redirect_keeps_its_path():
    client = await served(TOKEN, "https://help.example/desk")
    try:
        answer = await client.get(f"/?token={TOKEN}", allow_redirects=False)
        assert answer.headers["Location"] == "/desk/"
        assert answer.cookies[COOKIE]["secure"]
        headers = {**WEBSOCKET, "Origin": "https://help.example", "Cookie": f"{COOKIE}={TOKEN}"}
        answer = await client.get("/ws", headers=headers)
        assert answer.status == 200
        assert "connect-src 'self' wss://help.example;" in answer.headers["Content-Security-Policy"]
    finally:
        await client.close()


def test_web_settings_are_checked_with_the_config():
    assert parse_config({}).web == WebSettings()
    web = parse_config({"web": {"host": "[::1]", "port": 0}}).web
    assert (web.host, web.port) == ("::1", 0)
    for table, problem in [
        ({"hots": "x"}, "web.hots: unknown key"),
        ({"port": 70000}, "web.port: must be from 0 to 65535"),
        ({"port": "80"}, "web.port: expected int"),
        ({"public_url": "desk.example"}, "web.public_url: expected an http:// or https://"),
        ({"public_url": "https://x/?a=1"}, "web.public_url: must have no ?query"),
        ({"host": " "}, "web.host: must not be empty"),
    ]:
        with pytest.raises(ConfigError, match=problem.replace("?", r"\?")):
            parse_config({"web": table})


def test_a_token_is_needed_unless_the_desk_is_reached_only_on_loopback():
    assert WebSettings().token() is None
    assert WebSettings(host="localhost").token() is None
    first, second = WebSettings(host="0.0.0.0").token(), WebSettings(host="0.0.0.0").token()
    assert first and second and first != second and len(first) >= 32
    assert WebSettings(host="192.0.2.7").token()
    # On loopback behind a proxy that others reach: a token too.
    assert WebSettings(public_url="https://help.example").token()
    assert WebSettings(public_url="http://127.0.0.1:9000").token() is None


def test_the_token_command_is_run_on_loopback_too_and_must_print_a_long_token():
    assert WebSettings(token_command=f"echo {TOKEN}").token() == TOKEN
    with pytest.raises(CredentialError, match="at least 16 characters"):
        WebSettings(token_command="echo short").token()
    with pytest.raises(CredentialError, match="only letters, digits and - . _ ~"):
        WebSettings(token_command="echo 'a long token; with a semicolon'").token()
    with pytest.raises(CredentialError, match="exit status 3"):
        WebSettings(token_command="exit 3").token()


def agentdesk(tmp_path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdesk", "--config", str(tmp_path / "c.toml"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow  # child processes
def test_the_command_says_in_one_line_why_it_cannot_serve(tmp_path):
    (tmp_path / "c.toml").write_text('[web]\ntoken_command = "exit 4"\n')
    db = str(tmp_path / "desk.db")
    done = agentdesk(tmp_path, "web", "--db", db, "--port", "70000")
    assert (done.returncode, done.stderr) == (
        2,
        "agentdesk: --port 70000: must be from 0 to 65535\n",
    )
    done = agentdesk(tmp_path, "web", "--db", db, "--port", "0")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "agentdesk: web.token_command: failed (exit status 4)"
    (tmp_path / "c.toml").write_text("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = agentdesk(tmp_path, "web", "--db", db, "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(
        f"agentdesk: cannot listen on 127.0.0.1 port {port}:"
    )
