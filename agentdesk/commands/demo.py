"""``agentdesk demo``: the desk on generated demo data in its own database file."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from agentdesk import config as config_module
from agentdesk.config import Config

DEMO_AGENT = ("alice", "Alice Martin")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="open the desk on built-in demo data (never touches your real desk)")
    parser.add_argument("--db", help="demo database file (default: demo.db in the data dir)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument("--regenerate", action="store_true",
                        help="delete the demo database and generate it again")
    parser.add_argument("--no-open", action="store_true",
                        help="only generate the data; do not open the app")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.db) if args.db else config_module.demo_database_path()
    if args.regenerate:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    prepare(path, args.seed)
    if args.no_open:
        return 0
    app = demo_app(config, path)
    app.run()
    return app.return_code or 0


def demo_app(config: Config, path: Path):
    """The app on the demo database as Alice, with only the offline demo channel.

    The user's own connectors never run against demo data.
    """
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    name, display = DEMO_AGENT
    demo_config = dataclasses.replace(
        config, agent_name=name, agent_display_name=display,
        agent_email=f"{name}@kestrel.example", database=path)
    return make_app(demo_config, path, [DemoConnector()])


def prepare(path: Path, seed: int) -> None:
    """Generate the demo data into ``path`` unless it already has conversations."""
    import agentdesk.demo
    from agentdesk.assist.kbimport import import_kb
    from agentdesk.demo import generate_demo
    from agentdesk.store import Store

    with Store(path) as store:
        if not store.kb_count():
            articles = import_kb(store, Path(agentdesk.demo.__file__).parent / "kb")
            print(f"Demo help centre: {articles.added} articles imported.")
        existing = store.table_counts()["conversations"]
        if existing:
            print(f"Demo database {path}: {existing} conversations "
                  "(use --regenerate for fresh data).")
            return
        summary = generate_demo(store, seed=seed)
    print(f"Demo database {path}: generated {summary.line()} in {summary.seconds:.1f} s.")
