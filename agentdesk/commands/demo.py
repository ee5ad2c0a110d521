"""``agentdesk demo``: the desk on generated demo data in its own database file."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from agentdesk import config as config_module
from agentdesk.commands import UsageError, add_agent_option, add_db_option, as_agent
from agentdesk.config import Config, DeskTarget

DEMO_AGENT = ("alice", "Alice Martin")


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk demo``."""
    add_db_option(parser, "demo.db in the data dir")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="delete the demo database and generate it again (only a file `agentdesk demo` made)",
    )
    parser.add_argument(
        "--no-open", action="store_true", help="only generate the data; do not open the app"
    )
    add_agent_option(parser, f"{DEMO_AGENT[0]}; the demo's team is alice, bob, carmen and dev")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    as_agent(config, args.agent)  # a bad --agent is one line before anything is written
    path = demo_file(
        config_module.database_target(args.db) if args.db else config_module.demo_database_path()
    )
    if args.regenerate:
        from agentdesk.store import drop_demo, probe

        if probe(path).exists:
            drop_demo(path)
    prepare(path, args.seed)
    if args.no_open:
        return 0
    app = demo_app(config, path, args.agent)
    app.run()
    return app.return_code or 0


def demo_file(path: DeskTarget) -> DeskTarget:
    """``path`` if demo data may go there: a new file or database, or one ``agentdesk
    demo`` made.

    The default demo file is always the demo's, so one made before the demo marker
    (migration 6) is still used and regenerated; elsewhere such a file is refused.
    """
    from agentdesk.store import is_url, probe
    from agentdesk.store.urls import shown

    found = probe(path)  # another program's file or not a database: StoreError
    default = not is_url(path) and (
        Path(path).resolve() == config_module.demo_database_path().resolve()
    )
    if found.exists and not found.demo and not default:
        raise UsageError(
            f"{shown(path)}: an agentdesk desk that `agentdesk demo` did not make; "
            "demo data never goes into it (choose another --db)"
        )
    return path


def demo_app(config: Config, path: DeskTarget, agent: str | None = None):
    """The app on the demo database as Alice (or ``agent``), with only the offline demo
    channel. The user's own connectors never run against demo data."""
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector
    from agentdesk.demo.texts import AGENTS

    name = agent or DEMO_AGENT[0]
    demo_config = dataclasses.replace(
        as_agent(config, name, dict(AGENTS).get(name)),
        agent_email=f"{name}@kestrel.example",
        database=path,
    )
    return make_app(demo_config, path, [DemoConnector()])


def prepare(path: DeskTarget, seed: int) -> None:
    """Generate the demo data into ``path`` unless it already has conversations."""
    import agentdesk.demo
    from agentdesk.assist.kbimport import import_kb
    from agentdesk.commands import tell_if_new
    from agentdesk.demo import generate_demo
    from agentdesk.store import Store

    with tell_if_new(Store(path)) as store:
        store.mark_demo()
        if not store.kb.count():
            articles = import_kb(store, Path(agentdesk.demo.__file__).parent / "kb")
            print(f"Demo help centre: {articles.added} articles imported.")
        existing = store.transfer.table_counts()["conversations"]
        if existing:
            print(
                f"Demo database {store.where}: {existing} conversations"
                " (use --regenerate for fresh data)."
            )
            return
        summary = generate_demo(store, seed=seed)
    print(f"Demo database {store.where}: generated {summary.line()} in {summary.seconds:.1f} s.")
