"""``agentdesk serve``: the team's connectors and reply delivery, with no UI.

For a server or a systemd unit: it takes part in the same connector leases as the desks
(docs/teams.md), logs one line per event on stderr and stops cleanly on SIGTERM (or
Ctrl+C): connectors stopped, leases released, exit code 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from functools import partial

from agentdesk import clock
from agentdesk.commands import (
    add_agent_option,
    add_db_option,
    as_agent,
    database_path,
    tell_if_new,
)
from agentdesk.config import Config

SERVE_AGENT = "serve"  # the name other desks show: "email: run by serve's desk"


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk serve``."""
    add_db_option(parser)
    add_agent_option(parser, SERVE_AGENT)
    parser.set_defaults(run=run)


class OneLine(logging.Formatter):
    """``2026-12-01T17:42:05Z message``: one line per record, tracebacks left out."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{clock.now_iso()} {' '.join(record.getMessage().split())}"


def log_to_stderr() -> None:
    """agentdesk's log records from INFO on, one line each, on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    root = logging.getLogger("agentdesk")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def say(text: str) -> None:
    logging.getLogger("agentdesk.serve").info(text)


def run(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.connectors.registry import load_connectors
    from agentdesk.store import Store

    config = as_agent(config, args.agent or SERVE_AGENT)
    log_to_stderr()
    store = tell_if_new(Store(database_path(args, config)))
    try:
        connectors, problems = load_connectors(config)
        for problem in problems:
            say(problem)
        return asyncio.run(serve(store, connectors, config))
    finally:
        store.close()


async def serve(store, connectors, config: Config) -> int:
    """Run ``connectors`` under their leases until SIGTERM or SIGINT."""
    from agentdesk.delivery import ChannelHost, Holder
    from agentdesk.surveys.sending import queue_effort_question
    from agentdesk.team import desk_id

    host = ChannelHost(store, connectors, config.delivery, leased=True)
    team = config.team
    holder = Holder(desk_id(), config.agent_name, team.lease_ttl, team.lease_renew)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    deliveries: set[asyncio.Task[object]] = set()

    def delivered(message_id: int, result, attempt: int) -> None:
        say(f"reply {message_id}: {result.state}{f': {result.detail}' if result.detail else ''}")

    def deliver(message_id: int) -> None:
        task = asyncio.create_task(host.keep_delivering(message_id, partial(delivered, message_id)))
        deliveries.add(task)
        task.add_done_callback(deliveries.discard)

    running: dict[int, asyncio.Task[None]] = {}

    def stored(conversation_id: int) -> None:
        """A message came in; after a CSAT answer the effort question follows ([csat] ces)."""
        say(f"stored a message in conversation {conversation_id}")
        if config.csat.ces and (
            question := queue_effort_question(store, config.csat, conversation_id)
        ):
            deliver(question)

    def start(connector) -> None:
        running[id(connector)] = asyncio.create_task(host.run(connector, on_message=stored))

    def stop(connector) -> None:
        task = running.pop(id(connector), None)
        if task is not None:
            task.cancel()

    def state(line: str) -> None:
        if line:  # (a state cleared on taking a lease is no event)
            say(line)

    for connector in connectors:
        connector.on_state = state
    leases = asyncio.create_task(host.keep_leases(holder, start, stop, deliver))
    say(
        f"serving {len(connectors)} connector(s) on {store.path} as {config.agent_name}'s"
        f" desk (pid {os.getpid()})"
    )
    await stopping.wait()
    say("stopping")
    tasks = [leases, *running.values(), *deliveries]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for connector in connectors:
        try:
            await connector.stop()
        except Exception as error:  # stopping must end in a clean exit
            say(f"stopping {connector.desk_name}: {error}")
    say("stopped")
    return 0
