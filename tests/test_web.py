"""``agentdesk web`` in a real headless Chromium: the inbox and the stats screen of a demo
desk, and a desk on a non-loopback address that refuses every request without its token."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest
from browser import TERMINAL_HOOK, non_loopback_address, press, screen_text, wait_for_screen

from agentdesk.cli import main
from agentdesk.web.guard import COOKIE


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory):
    """A config (working as alice) and a demo database made by ``agentdesk demo``."""
    tmp_path = tmp_path_factory.mktemp("web")
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "alice"\n')
    database = tmp_path / "demo.db"
    assert main(["--config", str(config), "demo", "--db", str(database), "--no-open"]) == 0
    return config, database


def inbox_shown(text: str) -> bool:
    """The inbox's header, a row and the key bar are drawn."""
    header = re.search(r"Inbox .* \d+ conversations", text)
    return bool(header) and " unassigned " in text and "S Stats" in text


def status(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """The status and body of a GET that follows no redirect."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_browser_shows_the_inbox_and_opens_the_stats_screen(
    demo_desk, web_desk, chromium, tmp_path
):
    config, database = demo_desk
    desk = web_desk("--config", str(config), "web", "--db", str(database), "--port", "0")
    assert re.match(r"http://127\.0\.0\.1:\d+/$", desk.url), desk.line  # loopback: no token
    assert "as alice" in desk.line

    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(TERMINAL_HOOK)
    fetched: list[str] = []  # what the page fetched, and what was refused it and why
    refused: list[tuple[str, str | None]] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    page.on("requestfailed", lambda request: refused.append((request.url, request.failure)))
    started = time.monotonic()
    answer = page.goto(desk.url)
    inbox = wait_for_screen(page, inbox_shown, "the inbox")
    print(f"page load to inbox shown: {time.monotonic() - started:.2f} s")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert fetched and all(url.startswith(desk.url) for url in fetched), fetched
    assert all(why == "csp" for _, why in refused), refused  # textual-serve's font CDN
    assert re.search(r"^ .*(✉ email|◆ chat) .* alice ", inbox, re.M)  # a row of alice's
    assert len(desk.desk_processes()) >= 1  # the tab's own `agentdesk open`
    page.screenshot(path=str(tmp_path / "inbox.png"))

    press(page, "S")
    team_row = re.compile(r"^ \(team\)\s+\d+", re.M)  # the figures come from a worker
    stats = wait_for_screen(page, team_row.search, "the stats screen's figures")
    assert re.search(r"^ Stats .*7 days", stats, re.M) and "FCR (prov.)" in stats
    page.screenshot(path=str(tmp_path / "stats.png"))
    assert (tmp_path / "stats.png").read_bytes().startswith(b"\x89PNG")

    press(page, "Escape")
    wait_for_screen(page, inbox_shown, "the inbox again")

    # Another page framing the desk (to take the lead's keys) gets nothing: no desk starts.
    before = desk.desk_processes()
    framer = chromium.new_page()
    framer.set_content(f'<iframe src="{desk.url}" width="800" height="600"></iframe>')
    framer.wait_for_timeout(3000)
    assert framer.frames[-1].locator(".xterm").count() == 0
    assert desk.desk_processes() == before
    desk.stop()  # with the tab still open: its desk process ends too (checked in stop)


def test_a_desk_off_loopback_refuses_every_request_without_its_token(demo_desk, web_desk, chromium):
    config, database = demo_desk
    host = non_loopback_address() or "0.0.0.0"
    desk = web_desk(
        "--config", str(config), "web", "--db", str(database), "--host", host, "--port", "0"
    )
    token = re.search(r"\?token=([\w-]+)$", desk.url).group(1)
    port = int(re.search(r":(\d+)/", desk.url).group(1))
    base = f"http://{host if host != '0.0.0.0' else '127.0.0.1'}:{port}"

    for path in ("/", "/static/js/textual.js", "/ws", "/?token=" + "x" * len(token)):
        code, body = status(base + path)
        assert code == 403, path
        assert token not in body
    code, _ = status(f"{base}/ws", {"Cookie": f"{COOKIE}=wrong"})
    assert code == 403
    assert not desk.desk_processes()  # nothing refused ever reached the app

    page = chromium.new_page()
    page.add_init_script(TERMINAL_HOOK)
    answer = page.goto(f"{base}/")
    assert answer.status == 403
    assert "needs its token" in page.content()

    page.goto(f"{base}/?token={token}")
    assert page.url == f"{base}/"  # the token left the address bar for a cookie
    wait_for_screen(page, inbox_shown, "the inbox with the token")
    cookie = {c["name"]: c for c in page.context.cookies()}[COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    stranger = chromium.new_context().new_page()  # another browser: no cookie
    assert stranger.goto(f"{base}/").status == 403
    stranger.context.close()
    assert screen_text(page)  # the lead's tab still works
