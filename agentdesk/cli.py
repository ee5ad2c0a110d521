"""Command line: ``agentdesk [COMMAND]``. Each command lives in ``agentdesk.commands``.

The config is loaded and validated once, before any command runs. Errors the user can
fix (config, database, input) print one line and exit 2. A reader that closes the pipe
early (``| head``) is a normal end: exit 0, nothing on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from agentdesk import __version__
from agentdesk.commands import UsageError
from agentdesk.config import ConfigError, load_config
from agentdesk.store import StoreError

# Modules in agentdesk.commands; each has register(subparsers) and sets args.run.
COMMANDS = [
    "open",
    "demo",
    "serve",
    "web",
    "transfer",
    "kb",
    "draft",
    "stats",
    "online",
    "connectors",
]


CONFIG_HELP = "config file (default: platform config dir, or $AGENTDESK_CONFIG)"


class CommandParser(argparse.ArgumentParser):
    """A command's parser (and its actions'): ``--config`` is taken after the command
    name too (``agentdesk open --config f``), and wins over one given before it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdesk", description="A keyboard-first terminal agent desk."
    )
    parser.add_argument("--version", action="version", version=f"agentdesk {__version__}")
    parser.add_argument("--config", help=CONFIG_HELP)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=CommandParser
    )
    for name in COMMANDS:
        importlib.import_module(f"agentdesk.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:  # plain `agentdesk` opens the desk
        args = parser.parse_args([*(["--config", args.config] if args.config else []), "open"])
    try:
        config = load_config(args.config, required=bool(args.config))
        code = int(args.run(args, config) or 0)
        sys.stdout.flush()
        return code
    except (ConfigError, StoreError, UsageError) as error:
        print(f"agentdesk: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left; later flushes (at exit too) go to /dev/null, not a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
