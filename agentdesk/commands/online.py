"""``agentdesk online``: who is online on the desk's database, and what each desk shows."""

from __future__ import annotations

import argparse
import sys

from agentdesk.commands import add_db_option, database_path
from agentdesk.config import Config
from agentdesk.online import online_now, to_csv, to_json, to_table
from agentdesk.store import PRESENCE_TIMES_VERSION, Store, StoreError


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk online``."""
    add_db_option(parser)
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    with Store(database_path(args, config), readonly=True) as store:
        if store.db.version < PRESENCE_TIMES_VERSION:
            raise StoreError(
                f"{store.where}: schema version {store.db.version} does not record who is"
                " online; open it once with `agentdesk open` to upgrade it"
            )
        rows = online_now(store, config.team.presence_timeout)
    form = {"json": to_json, "csv": to_csv}.get(args.format, to_table)
    sys.stdout.write(form(rows))
    return 0
