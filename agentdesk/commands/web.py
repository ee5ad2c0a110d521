"""``agentdesk web``: the desk served to a browser (docs/web.md).

Each browser tab gets its own ``agentdesk open`` process, run with the options given
here (``--config``, ``--db``, ``--agent``), so the browser shows the same desk the
terminal would. Loopback needs no token; any other address does (``[web]``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shlex
import socket
import sys

from agentdesk.commands import (
    UsageError,
    add_agent_option,
    add_db_option,
    as_agent,
    database_path,
    tell_if_new,
)
from agentdesk.config import Config
from agentdesk.credentials import CredentialError


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk web``."""
    parser.add_argument(
        "--host",
        help="address to listen on (default: [web] host, or 127.0.0.1; others need the token)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help="port to listen on, 0 for any free one (default: [web] port, or 8765)",
    )
    add_db_option(parser)
    add_agent_option(parser, "[agent] name in the config")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.app import make_app
    from agentdesk.web.server import DeskServer
    from agentdesk.web.settings import listen_host

    settings = config.web
    if args.host is not None:
        if not listen_host(args.host):
            raise UsageError("--host: give an address such as 127.0.0.1")
        settings = dataclasses.replace(settings, host=listen_host(args.host))
    if args.port is not None:
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port {args.port}: must be from 0 to 65535")
        settings = dataclasses.replace(settings, port=args.port)
    desk_config = as_agent(config, args.agent)
    # The desk opens here once, so a bad database or login is one line now, not a dead tab.
    app = make_app(desk_config, database_path(args, desk_config))
    tell_if_new(app.store)
    where = app.store.where
    app.store.close()
    try:
        token = settings.token()
    except CredentialError as error:
        raise UsageError(str(error)) from None
    server = DeskServer(desk_command(args, config), settings, token, f"agentdesk: {where}")

    def started(port: int) -> None:
        address = settings.public_url or f"http://{shown_host(settings.host)}:{port}"
        if token is None:
            secret = ""
        elif settings.token_command:
            secret = "?token=<the token [web] token_command prints>"
        else:
            secret = f"?token={token}"
        print(
            f"agentdesk web: {where} as {desk_config.agent_name} at {address}/{secret}"
            " (Ctrl+C stops)",
            flush=True,
        )

    try:
        asyncio.run(server.run(started))
    except OSError as error:
        raise UsageError(
            f"cannot listen on {settings.host} port {settings.port}: {error.strerror or error}"
        ) from None
    return 0


def desk_command(args: argparse.Namespace, config: Config) -> str:
    """The shell command each browser tab runs: ``agentdesk open`` with this command's
    options, on this interpreter (the tab sees what ``agentdesk open`` would show)."""
    words = [sys.executable, "-m", "agentdesk"]
    if config.path is not None:
        words += ["--config", str(config.path)]
    words.append("open")
    if args.db:
        words += ["--db", args.db]
    if args.agent:
        words += ["--agent", args.agent]
    return shlex.join(words)


def shown_host(host: str) -> str:
    """``host`` as a browser address: this machine's name for a wildcard bind, an IPv6
    address in brackets."""
    if host in ("", "0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
