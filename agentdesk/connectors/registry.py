"""Finding connectors: entry points in the ``agentdesk.connectors`` group.

Names are listed from package metadata without importing anything; only the
connectors named in the config's ``[[connectors]]`` tables are imported. A connector
that cannot be imported or configured becomes one line in ``problems`` and the rest
of the desk still works.

The built-in connectors are also known by module path, so a source checkout that
was never ``pip install``-ed still finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from agentdesk.config import ConfigError, connector_tables
from agentdesk.connectors.base import Connector
from agentdesk.text import error_line

if TYPE_CHECKING:
    from agentdesk.config import Config

GROUP = "agentdesk.connectors"
BUILTIN = {
    "demo": "agentdesk.connectors.demo:DemoConnector",
    "email": "agentdesk.connectors.email:EmailConnector",
    "matrix": "agentdesk.connectors.matrix:MatrixConnector",
}


@dataclass(frozen=True)
class Installed:
    """A connector known from metadata (nothing imported)."""

    name: str
    target: str  # "module:Class"
    distribution: str
    version: str


def installed() -> dict[str, Installed]:
    """Every connector name installed, with its package and version, without importing."""
    from agentdesk import __version__

    found = {
        name: Installed(name, target, "agentdesk", __version__) for name, target in BUILTIN.items()
    }
    for point in entry_points(group=GROUP):
        dist = point.dist
        found[point.name] = Installed(
            point.name,
            point.value,
            dist.metadata["Name"] if dist else "?",
            dist.version if dist else "?",
        )
    return found


def import_connector(item: Installed) -> type[Connector]:
    """Import one connector class; raises ``ImportError`` with a one-line reason."""
    try:
        cls = EntryPoint(item.name, item.target, GROUP).load()
    except Exception as error:  # any failure inside a plugin's import
        raise ImportError(f"{type(error).__name__}: {error}") from error
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ImportError(f"{item.target} is not a Connector subclass")
    return cls


def load_connectors(config: Config) -> tuple[list[Connector], list[str]]:
    """Import, validate and build the configured connectors (not started).

    Returns ``(connectors, problems)``: each problem is one line such as
    ``connector email (support): config.toml: connectors[0].imap_port: expected int, got
    str '993'``.
    Disabled tables (``enabled = false``) are skipped.
    """
    known = installed()
    connectors: list[Connector] = []
    problems: list[str] = []
    for table in connector_tables(config):
        kind = table.data.get("type")
        label = str(table.data.get("name") or kind)
        who = f"connector {kind}" + (f" ({label})" if label != kind else "")
        if not isinstance(kind, str) or not kind:
            problems.append(
                str(
                    table.error(
                        "type",
                        "required (a connector name such as 'email'; see `agentdesk connectors`)",
                    )
                )
            )
            continue
        if table.data.get("enabled") is False:
            continue
        if kind not in known:
            problems.append(f"{who}: not installed (known: {', '.join(sorted(known))})")
            continue
        try:
            cls = import_connector(known[kind])
            settings = cls.validate(table)
            connector = cls(settings)
        except ConfigError as error:
            problems.append(f"{who}: {error}")
            continue
        except Exception as error:  # a broken plugin must not stop the desk
            problems.append(f"{who}: failed to load: {error_line(error)}")
            continue
        connector.label = label
        connectors.append(connector)
    return connectors, problems
