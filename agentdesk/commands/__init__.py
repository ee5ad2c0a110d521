"""CLI commands, one module each (``transfer`` holds three), listed in
``agentdesk.cli.COMMANDS`` with the function that adds a command's arguments; a module
is imported only when its command runs.

Each ``run(args, config)`` gets the config the CLI loaded and validated at start.
Commands that read (``stats``, ``export``, ``kb search``) open the database with
``Store(path, readonly=True)``; those that may create a desk (``open``, ``demo``,
``import``, ``kb import``) say so with ``tell_if_new``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.config import Config, DeskTarget, database_target
from agentdesk.store.urls import is_url

if TYPE_CHECKING:
    from agentdesk.store import Store


class UsageError(Exception):
    """Bad arguments or input: one line, exit code 2."""


def database_path(args: argparse.Namespace, config: Config) -> DeskTarget:
    """``--db`` if given (a file or a ``postgresql://`` URL), else the configured database."""
    return database_target(args.db) if getattr(args, "db", None) else config.database


def add_db_option(parser: argparse.ArgumentParser, default: str = "from config") -> None:
    """``--db``: the desk's SQLite file or ``postgresql://`` URL (``database_path`` reads it)."""
    parser.add_argument(
        "--db", help=f"database: a SQLite file or a postgresql:// URL (default: {default})"
    )


def add_agent_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``--agent NAME``: who works this desk, over ``[agent] name``."""
    parser.add_argument("--agent", metavar="NAME", help=f"work as this agent (default: {default})")


def as_agent(config: Config, name: str | None, display_name: str | None = None) -> Config:
    """``config`` with the agent ``name`` (None: unchanged); a name is one word."""
    if name is None:
        return config
    name = name.strip()
    if not name or any(ch.isspace() for ch in name):
        raise UsageError(f"--agent {name!r}: an agent name is one word, such as bob")
    if name == config.agent_name:
        return config
    return dataclasses.replace(
        config,
        agent_name=name,
        agent_display_name=display_name or name.capitalize(),
        agent_email="",
    )


def tell_if_new(store: Store) -> Store:
    """A line on stderr (never in machine output) when ``store`` was just created."""
    if store.created:
        where = store.where if is_url(store.path) else Path(store.path).absolute()
        print(f"new desk created at {where}", file=sys.stderr)
    return store
