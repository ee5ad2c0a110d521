"""CLI commands, one module each, registered in ``agentdesk.cli.COMMANDS``."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentdesk.config import Config, load_config


def load(args: argparse.Namespace) -> Config:
    """The config named by ``--config`` (required then) or the default one."""
    return load_config(args.config, required=bool(args.config))


def database_path(args: argparse.Namespace, config: Config) -> Path:
    return Path(args.db) if getattr(args, "db", None) else config.database
