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
from typing import Any, cast

from agentdesk import __version__

# Each command: the function in agentdesk.commands that adds its arguments (its module is
# imported only when that command runs or shows its own help) and the line
# `agentdesk --help` shows for it.
COMMANDS = {
    "open": ("open:arguments", "open the desk (the default command)"),
    "demo": (
        "demo:arguments",
        "open the desk on built-in demo data (never touches your real desk)",
    ),
    "serve": (
        "serve:arguments",
        "run the connectors and reply delivery for the team, with no UI",
    ),
    "web": ("web:arguments", "serve the desk to a browser (loopback by default)"),
    "import": (
        "transfer:import_arguments",
        "import conversations from a JSON Lines file (docs/import-format.md)",
    ),
    "export": (
        "transfer:export_arguments",
        "export every conversation and event to a JSON Lines file",
    ),
    "copy": (
        "transfer:copy_arguments",
        "copy a desk into another database (a SQLite file or a postgresql:// URL),"
        " as export then import",
    ),
    "kb": ("kb:arguments", "import and search help-centre articles"),
    "draft": ("draft:arguments", "print the assist draft for a conversation"),
    "stats": (
        "stats:arguments",
        "per-agent response times, FCR, CSAT … for a period (docs/metrics.md)",
    ),
    "online": (
        "online:arguments",
        "who is online now, what each agent views and types (docs/teams.md)",
    ),
    "connectors": ("connectors:arguments", "list installed channel connectors, versions and state"),
}


CONFIG_HELP = "config file (default: platform config dir, or $AGENTDESK_CONFIG)"


class CommandParser(argparse.ArgumentParser):
    """A command's parser (and its actions'): ``--config`` is taken after the command
    name too (``agentdesk open --config f``), and wins over one given before it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)


class Commands(argparse._SubParsersAction):
    """The commands, each listed with its help line from the start; a command's own
    arguments are added when it is chosen, so a run imports only its command's module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: dict[str, str] = {}

    def add_command(self, name: str, arguments: str, help: str) -> None:
        """List ``name``; ``arguments`` (``module:function`` in agentdesk.commands) adds
        its arguments to its parser once it is chosen."""
        self.add_parser(name, help=help)
        self.pending[name] = arguments

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        arguments = self.pending.pop(values[0], None)
        if arguments is not None:
            module, function = arguments.split(":")
            add = getattr(importlib.import_module(f"agentdesk.commands.{module}"), function)
            add(self.choices[values[0]])
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdesk", description="A keyboard-first terminal agent desk."
    )
    parser.add_argument("--version", action="version", version=f"agentdesk {__version__}")
    parser.add_argument("--config", help=CONFIG_HELP)
    commands = cast(
        Commands,
        parser.add_subparsers(
            action=Commands, dest="command", metavar="COMMAND", parser_class=CommandParser
        ),
    )
    for name, (arguments, help) in COMMANDS.items():
        commands.add_command(name, arguments, help)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:  # plain `agentdesk` opens the desk
        args = parser.parse_args([*(["--config", args.config] if args.config else []), "open"])
    # Imported once the arguments are read: `--help` and `--version` need none of them.
    from agentdesk.commands import UsageError
    from agentdesk.config import ConfigError, load_config
    from agentdesk.store import StoreError

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
