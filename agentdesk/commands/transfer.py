"""``agentdesk import FILE``, ``agentdesk export FILE`` (JSON Lines in and out) and
``agentdesk copy SOURCE TARGET`` (both at once: a desk moved to another database)."""

from __future__ import annotations

import argparse
import json
import sys

from agentdesk.commands import UsageError, add_db_option, database_path, tell_if_new
from agentdesk.config import Config, database_target


def import_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk import``."""
    parser.add_argument("file", metavar="FILE", help="JSON Lines file ('-' for stdin)")
    add_db_option(parser)
    parser.set_defaults(run=run_import)


def export_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk export``."""
    parser.add_argument("file", metavar="FILE", help="output file ('-' for stdout)")
    add_db_option(parser)
    parser.set_defaults(run=run_export)


def copy_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk copy``."""
    parser.add_argument("source", metavar="SOURCE", help="the desk to copy (read-only)")
    parser.add_argument("target", metavar="TARGET", help="the desk to copy into (made if new)")
    parser.set_defaults(run=run_copy)


def run_import(args: argparse.Namespace, config: Config) -> int:
    """Exit 0 when every line imported (or was already there), 1 if any line failed."""
    from agentdesk.store import Store
    from agentdesk.transfer import import_file, import_lines

    path = database_path(args, config)
    if args.file != "-":
        try:
            with open(args.file, "rb"):
                pass
        except OSError as error:
            raise UsageError(f"{args.file}: cannot read ({error.strerror})") from None
    with tell_if_new(Store(path)) as store:
        if args.file == "-":
            report = import_lines(store, sys.stdin.buffer, "<stdin>")
        else:
            report = import_file(store, args.file)
    for problem in report.errors:
        print(problem, file=sys.stderr)
    print(report.summary(args.file if args.file != "-" else "<stdin>"))
    return 1 if report.errors else 0


def run_export(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.store import Store
    from agentdesk.transfer import export_file, export_lines

    path = database_path(args, config)
    with Store(path, readonly=True) as store:
        if args.file == "-":
            for line in export_lines(store):
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            return 0
        try:
            count = export_file(store, args.file)
        except OSError as error:
            raise UsageError(f"{args.file}: cannot write ({error.strerror})") from None
    print(f"{args.file}: exported {count} lines from {store.where}")
    return 0


def run_copy(args: argparse.Namespace, config: Config) -> int:
    """Everything an export carries, from SOURCE into TARGET, without a file between;
    exit 1 if any line failed. Copying again adds nothing (import is idempotent)."""
    from agentdesk.store import Store
    from agentdesk.transfer import export_lines, import_lines

    source = database_target(args.source, key="SOURCE")
    target = database_target(args.target, key="TARGET")
    with Store(source, readonly=True) as src, tell_if_new(Store(target)) as dst:
        lines = (json.dumps(line, ensure_ascii=False) for line in export_lines(src))
        report = import_lines(dst, lines, src.where)
        where = dst.where
    for problem in report.errors:
        print(problem, file=sys.stderr)
    print(f"{report.summary(src.where)}, into {where}")
    return 1 if report.errors else 0
