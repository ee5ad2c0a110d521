"""CLI commands, one module each, registered in ``agentdesk.cli.COMMANDS``.

Each ``run(args, config)`` gets the config the CLI loaded and validated at start.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agentdesk.config import Config


def database_path(args: argparse.Namespace, config: Config) -> Path:
    return Path(args.db) if getattr(args, "db", None) else config.database
