"""``agentdesk open``: the desk on the configured database."""

from __future__ import annotations

import argparse

from agentdesk.commands import (
    add_agent_option,
    add_db_option,
    as_agent,
    database_path,
    tell_if_new,
)
from agentdesk.config import Config


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk open``."""
    add_db_option(parser)
    add_agent_option(parser, "[agent] name in the config")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.app import make_app

    config = as_agent(config, args.agent)
    app = make_app(config, database_path(args, config))
    tell_if_new(app.store)
    app.run()
    return app.return_code or 0
