"""``agentdesk connectors``: installed connectors, their versions and their state.

Names come from package metadata (nothing imported); only connectors named in the
config's ``[[connectors]]`` tables are imported and validated, and each one that
cannot be is shown as one line while the others are listed as usual. When the desk
exists (it is never created here), each configured connector also says which desk runs
it for the team now, from the desk's connector leases.
"""

from __future__ import annotations

import argparse
import sys

from agentdesk import clock
from agentdesk.commands import UsageError, add_db_option, database_path
from agentdesk.config import Config
from agentdesk.connectors.base import Connector
from agentdesk.connectors.registry import installed, load_connectors
from agentdesk.store import DATABASE_ERRORS, Store, StoreError, probe
from agentdesk.text import error_line

_UNREADABLE: tuple[type[Exception], ...] = (StoreError, *DATABASE_ERRORS)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk connectors``."""
    parser.add_argument(
        "--options", metavar="NAME", help="show the options a connector declares (imports it)"
    )
    add_db_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    known = installed()
    if args.options:
        return _options(args.options, known)
    connectors, problems = load_connectors(config)
    runners = _runners(args, config, connectors) if connectors else {}
    states: dict[str, list[str]] = {}
    for connector in connectors:
        runner = runners.get(connector.desk_name, "")
        states.setdefault(connector.name, []).append(f"configured ({connector.label}){runner}")
    for problem in problems:
        name = next((n for n in known if problem.startswith(f"connector {n}")), None)
        if name is not None:
            states.setdefault(name, []).append(problem)
    rows = [
        (
            item.name,
            item.distribution,
            item.version,
            "; ".join(states.get(item.name, ["installed, not configured"])),
        )
        for item in sorted(known.values(), key=lambda i: i.name)
    ]
    widths = [
        max(len(row[i]) for row in [("NAME", "PACKAGE", "VERSION", ""), *rows]) for i in range(3)
    ]
    print(f"{'NAME':<{widths[0]}}  {'PACKAGE':<{widths[1]}}  {'VERSION':<{widths[2]}}  STATE")
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    for problem in problems:
        if not any(problem.startswith(f"connector {n}") for n in known):
            print(problem)
    return 1 if problems else 0


def _runners(
    args: argparse.Namespace, config: Config, connectors: list[Connector]
) -> dict[str, str]:
    """``", run by bob's desk"`` per connector name whose lease a desk holds now, or a
    line saying why nobody could be asked; nothing when the desk does not exist yet."""
    target = database_path(args, config)
    try:
        if not probe(target).exists:
            return {}
        with Store(target, readonly=True) as store:
            leases = store.leases.held(clock.to_iso(clock.now()))
    except _UNREADABLE as error:
        print(
            f"agentdesk: {error_line(error)}; who runs each connector is not known", file=sys.stderr
        )
        return {}
    return {lease.connector: f", run by {lease.agent}'s desk ({lease.desk})" for lease in leases}


def _options(name: str, known: dict) -> int:
    from agentdesk.connectors.registry import import_connector

    if name not in known:
        raise UsageError(f"no connector {name!r} (installed: {', '.join(sorted(known))})")
    try:
        cls = import_connector(known[name])
    except ImportError as error:
        raise UsageError(f"connector {name}: failed to load: {error}") from None
    print(f"# {name}: {cls.capabilities.summary()}")
    for option in cls.options:
        flags = ", ".join(
            flag for flag, on in (("required", option.required), ("secret", option.secret)) if on
        )
        default = "" if option.default in (None, "") else f" (default {option.default!r})"
        choices = f" [{'|'.join(map(str, option.choices))}]" if option.choices else ""
        print(
            f"{option.name} = <{option.kind.__name__}>{choices}{default}"
            f"{' ' + flags if flags else ''}: {option.help}"
        )
    return 0
