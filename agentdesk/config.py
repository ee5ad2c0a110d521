"""Configuration: TOML read with tomllib, validated into typed settings.

Every error names the file, the key and what is wrong, in one line. Feature modules
(assist, metrics, connectors) validate their own tables with the helpers here;
``parse_config`` runs them all, so every command stops at start on the same error.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from agentdesk.domain import (
    LOW_CSAT_VIEW,
    SORTS,
    STATUSES,
    VIEWS,
    Macro,
    SavedView,
    tag_changes,
)

if TYPE_CHECKING:
    from agentdesk.assist.settings import AssistSettings
    from agentdesk.delivery_settings import DeliverySettings
    from agentdesk.metrics.settings import MetricsSettings
    from agentdesk.surveys.settings import CsatSettings
    from agentdesk.team import TeamSettings
    from agentdesk.web.settings import WebSettings

APP_NAME = "agentdesk"


class ConfigError(Exception):
    """A configuration problem (a config key or a setting such as ``--db``), shown to
    the user as one line (exit code 2)."""

    def __init__(self, path: Path | str | None, key: str, problem: str) -> None:
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{key}: {problem}" if key else f"{where}{problem}")
        self.path, self.key, self.problem = path, key, problem


def default_config_path() -> Path:
    override = os.environ.get("AGENTDESK_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "desk.db"


def demo_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "demo.db"


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


# A desk: the path of a SQLite file, or a PostgreSQL URL (``postgresql://...``).
DeskTarget = Path | str


def database_target(text: str, path: Path | str | None = None, key: str = "--db") -> DeskTarget:
    """The desk a ``database`` key or ``--db`` names: a SQLite file path, or a
    ``postgresql://`` URL kept as text. Another scheme is refused (only the scheme is
    shown: a URL may hold a password), and so is a password written in the config file."""
    url = _URL.match(text)
    if not url:
        return Path(text).expanduser()
    if url[1].lower() not in ("postgresql", "postgres"):
        raise ConfigError(
            path,
            key,
            f"{url[1]}:// databases are not supported; give the path of a SQLite file"
            " or a postgresql:// URL",
        )
    if key == "database" and _PASSWORD.match(text):
        raise ConfigError(
            path,
            key,
            "a password does not belong in the config file; leave it out of the URL and"
            " use ~/.pgpass (PGPASSFILE) or PGPASSWORD (docs/database.md)",
        )
    return text


_PASSWORD = re.compile(r"^[^:]+://[^@/]*:[^@/]*@")


class Table:
    """A TOML table with typed, key-naming getters (``where`` is its dotted name)."""

    def __init__(self, data: dict[str, Any], path: Path | str | None, where: str = "") -> None:
        self.data, self.path, self.where = data, path, where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), problem)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.data.get(name, default)
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.error(name, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def positive(self, name: str, default: float) -> float:
        value = self.get(name, float, default)
        if value <= 0:
            raise self.error(name, f"must be greater than 0, got {value}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(name, str, default)
        if value not in choices:
            raise self.error(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def table(self, name: str) -> Table:
        value = self.get(name, dict, {})
        return Table(value, self.path, self.key(name))

    def tables(self, name: str) -> list[Table]:
        value = self.get(name, list, [])
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(f"{name}[{index}]", "expected a table")
            result.append(Table(item, self.path, f"{self.key(name)}[{index}]"))
        return result

    def reject_unknown(self, known: set[str]) -> None:
        for name in self.data:
            if name not in known:
                raise self.error(name, f"unknown key (known: {', '.join(sorted(known))})")


@dataclass(frozen=True)
class SlaTarget:
    """Waiting-time colours: green below ``warn``, yellow below ``breach``, red beyond."""

    warn: float = 3600.0
    breach: float = 4 * 3600.0


@dataclass
class Config:
    path: Path | None = None
    agent_name: str = "me"
    agent_display_name: str = "Me"
    agent_email: str = ""
    database: DeskTarget = field(default_factory=default_database_path)
    sla: dict[str, SlaTarget] = field(default_factory=dict)
    editor: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    views: tuple[SavedView, ...] = ()
    macros: tuple[Macro, ...] = ()
    undo_seconds: float = 0.0  # [compose]: how long a sent reply waits, to be taken back
    attachments_folder: Path | None = None  # [attachments] folder: where saving proposes
    opener: str | None = None  # [attachments] opener: the command that opens a file
    raw: dict[str, Any] = field(default_factory=dict)

    def sla_for(self, channel: str) -> SlaTarget:
        return self.sla.get(channel) or self.sla.get("default") or SlaTarget()

    def table(self, name: str) -> Table:
        """A feature's own table, for that feature to validate."""
        return Table(self.raw, self.path).table(name)

    @cached_property
    def assist(self) -> AssistSettings:
        """``[llm]``, ``[privacy]`` and ``[kb]``, validated by the assist layer."""
        from agentdesk.assist.settings import assist_settings

        return assist_settings(self)

    @cached_property
    def metrics(self) -> MetricsSettings:
        """``[metrics]`` and ``[business_hours]``, validated by the metrics layer."""
        from agentdesk.metrics.settings import metrics_settings

        return metrics_settings(self)

    @cached_property
    def delivery(self) -> DeliverySettings:
        """``[delivery]``: the time limit on a send and the retry backoff."""
        from agentdesk.delivery_settings import delivery_settings

        return delivery_settings(self)

    @cached_property
    def csat(self) -> CsatSettings:
        """``[csat]``: satisfaction surveys on resolve (where, in which words, how often)."""
        from agentdesk.surveys.settings import csat_settings

        return csat_settings(self)

    @cached_property
    def team(self) -> TeamSettings:
        """``[team]``: claims, live updates and presence between desks."""
        from agentdesk.team import team_settings

        return team_settings(self)

    @cached_property
    def web(self) -> WebSettings:
        """``[web]``: where ``agentdesk web`` listens and where its token comes from."""
        from agentdesk.web.settings import web_settings

        return web_settings(self)


_TOP_LEVEL = {
    "agent",
    "database",
    "sla",
    "editor",
    "keymap",
    "assist",
    "llm",
    "kb",
    "metrics",
    "business_hours",
    "connectors",
    "privacy",
    "delivery",
    "team",
    "presend",
    "views",
    "macros",
    "csat",
    "compose",
    "attachments",
    "web",
}

UNDO_MAX_SECONDS = 600

# Statuses a macro can set (snoozing needs a time, which a macro cannot know).
MACRO_STATUSES = ("open", "pending", "resolved")


def load_config(path: Path | str | None = None, *, required: bool = False) -> Config:
    """Read and validate the config file; a missing optional file gives the defaults."""
    path = Path(path) if path else default_config_path()
    if not path.exists():
        if required:
            raise ConfigError(path, "", "file not found")
        return Config()
    import tomllib  # only with a file to read: a desk without one never loads it

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, "", f"invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, "", f"cannot read: {error}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> Config:
    """The whole config validated: the core keys here, then every feature's tables."""
    root = Table(raw, path)
    root.reject_unknown(_TOP_LEVEL)
    agent = root.table("agent")
    agent.reject_unknown({"name", "display_name", "email"})
    name = agent.get("name", str, "me").strip()
    if not name or any(ch.isspace() for ch in name):
        raise agent.error("name", "must be a single word such as 'alice'")
    database = root.get("database", str)
    sla: dict[str, SlaTarget] = {}
    sla_table = root.table("sla")
    for channel in sla_table.data:
        target = sla_table.table(channel)
        target.reject_unknown({"warn_minutes", "breach_minutes"})
        warn = target.positive("warn_minutes", 60) * 60
        breach = target.positive("breach_minutes", 240) * 60
        if breach <= warn:
            raise target.error("breach_minutes", "must be greater than warn_minutes")
        sla[channel] = SlaTarget(warn, breach)
    keymap = root.get("keymap", dict, {})
    for action, keys in keymap.items():
        if not isinstance(keys, str):
            raise root.table("keymap").error(action, "expected a key such as 'ctrl+r'")
    compose = root.table("compose")
    compose.reject_unknown({"undo_seconds"})
    undo_seconds = compose.get("undo_seconds", float, 0.0)
    if not 0 <= undo_seconds <= UNDO_MAX_SECONDS:
        raise compose.error(
            "undo_seconds", f"must be from 0 to {UNDO_MAX_SECONDS} seconds, got {undo_seconds}"
        )
    attachments = root.table("attachments")
    attachments.reject_unknown({"folder", "opener"})
    folder = attachments.get("folder", str)
    config = Config(
        path=path,
        agent_name=name,
        agent_display_name=agent.get("display_name", str, name.capitalize()),
        agent_email=agent.get("email", str, ""),
        database=database_target(database, path, "database")
        if database
        else default_database_path(),
        sla=sla,
        editor=root.get("editor", str),
        keymap=dict(keymap),
        views=_views(root),
        macros=_macros(root, name),
        undo_seconds=undo_seconds,
        attachments_folder=Path(folder).expanduser() if folder else None,
        opener=attachments.get("opener", str),
        raw=raw,
    )
    _validate_features(config)
    config.views = _with_low_csat_view(config)
    return config


def _with_low_csat_view(config: Config) -> tuple[SavedView, ...]:
    """The views, and after them the built-in "Low CSAT" one (every conversation rated
    ``LOW_RATING`` or less, newest first) once surveys are on somewhere, unless a view
    has its name or all nine keys are taken."""
    csat = config.csat
    surveys_on = csat.enabled or any(csat.channels.values()) or any(csat.connectors.values())
    views = config.views
    if not surveys_on or len(views) >= 9 or any(v.name == LOW_CSAT_VIEW.name for v in views):
        return views
    return (*views, LOW_CSAT_VIEW)


def save_view(config: Config, view: SavedView) -> Path:
    """Append ``view`` as a ``[[views]]`` table to the config file (made if missing; the
    rest of the file is left as it is) and to ``config.views``; the file's path."""
    if any(saved.name == view.name for saved in config.views):
        raise ConfigError(config.path, "views", f"a view named {view.name!r} exists already")
    if len(config.views) >= 9:
        raise ConfigError(config.path, "views", "at most 9 views (keys 1-9)")
    path = config.path or default_config_path()
    lines = ["", "[[views]]", f"name = {_toml_string(view.name)}"]
    defaults = SavedView(view.name)
    for key in ("view", "status", "channel", "tag", "sort", "search"):
        value = getattr(view, key)
        if value and value != getattr(defaults, key):
            lines.append(f"{key} = {_toml_string(value)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as error:
        raise ConfigError(path, "views", f"cannot save the view ({error.strerror})") from None
    config.views = (*config.views, view)
    return path


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _macros(root: Table, me: str) -> tuple[Macro, ...]:
    """``[[macros]]``: named sets of actions (``status``, ``tags`` where ``-tag`` removes,
    ``assign`` with ``me`` or ``none``, ``canned``), applied from the palette or with M."""
    macros: list[Macro] = []
    for table in root.tables("macros"):
        table.reject_unknown({"name", "status", "tags", "assign", "canned"})
        name = table.get("name", str, "").strip()
        if not name:
            raise table.error("name", "required: the macro's name as the palette shows it")
        if any(macro.name == name for macro in macros):
            raise table.error("name", f"a macro named {name!r} is defined twice")
        status = table.get("status", str)
        if status is not None and status not in MACRO_STATUSES:
            raise table.error(
                "status", f"must be one of {', '.join(MACRO_STATUSES)}, got {status!r}"
            )
        tags = table.get("tags", list, [])
        if not all(isinstance(tag, str) and tag.strip("+-#") for tag in tags):
            raise table.error("tags", 'expected tag names, such as ["refund", "-urgent"]')
        assign = table.get("assign", str)
        if assign is not None:
            assign = {"me": me, "none": ""}.get(assign.strip().lower(), assign.strip())
        add_tags, remove_tags = tag_changes(tags)
        macro = Macro(
            name=name,
            status=status,
            add_tags=tuple(add_tags),
            remove_tags=tuple(remove_tags),
            assign=assign,
            canned=table.get("canned", str),
        )
        if macro == Macro(name):
            raise table.error(
                "name", "the macro does nothing: give it a status, tags, assign or canned"
            )
        macros.append(macro)
    return tuple(macros)


def _views(root: Table) -> tuple[SavedView, ...]:
    """``[[views]]``: named inboxes, switched to with 1-9 in their order."""
    views: list[SavedView] = []
    for table in root.tables("views"):
        table.reject_unknown({"name", "view", "status", "channel", "tag", "sort", "search"})
        name = table.get("name", str, "").strip()
        if not name:
            raise table.error("name", "required: the view's name as the inbox shows it")
        if any(view.name == name for view in views):
            raise table.error("name", f"a view named {name!r} is defined twice")
        views.append(
            SavedView(
                name=name,
                view=table.choice("view", VIEWS, "all"),
                status=table.choice("status", STATUSES, "active"),
                channel=table.get("channel", str) or None,
                tag=table.get("tag", str) or None,
                sort=table.choice("sort", SORTS, "waiting"),
                search=table.get("search", str, "").strip(),
            )
        )
    if len(views) > 9:
        raise root.error("views", f"at most 9 views (keys 1-9), got {len(views)}")
    return tuple(views)


def connector_tables(config: Config) -> list[Table]:
    """The ``[[connectors]]`` tables of the config (shape checked)."""
    return Table(config.raw, config.path).tables("connectors")


def _validate_features(config: Config) -> None:
    """Each feature checks its tables now; the typed settings stay on the config.

    ``[[connectors]]`` is checked as a list of tables here; each connector's own keys are
    checked when it loads, and a problem there is that connector's state, not a stop.
    """
    connector_tables(config)
    _ = config.assist, config.metrics, config.delivery, config.csat, config.team, config.web
