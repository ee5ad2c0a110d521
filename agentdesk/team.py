"""Working as a team on one database: the ``[team]`` settings and desk ids (docs/teams.md)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from agentdesk.config import Config


@dataclass(frozen=True)
class TeamSettings:
    """How desks sharing one database work together."""

    assign_on_reply: bool = True  # a reply to an unassigned conversation takes it
    poll_interval: float = 0.25  # SQLite: seconds between checks for other desks' commits
    fallback_poll: float = 2.0  # PostgreSQL: seconds between looks when no NOTIFY came
    presence_timeout: float = 30.0  # a desk not heard of for this long is gone
    heartbeat: float = 10.0  # seconds between a desk's "still here"
    lease_ttl: float = 20.0  # a connector's lease lasts this long unless renewed
    lease_renew: float = 5.0  # seconds between renewals (and other desks' tries)


def team_settings(config: Config) -> TeamSettings:
    """Read ``[team]``; errors name the file and key."""
    table = config.table("team")
    table.reject_unknown(
        {
            "assign_on_reply",
            "poll_interval",
            "fallback_poll",
            "presence_timeout",
            "heartbeat",
            "lease_ttl",
            "lease_renew",
        }
    )
    defaults = TeamSettings()
    settings = TeamSettings(
        table.get("assign_on_reply", bool, defaults.assign_on_reply),
        table.positive("poll_interval", defaults.poll_interval),
        table.positive("fallback_poll", defaults.fallback_poll),
        table.positive("presence_timeout", defaults.presence_timeout),
        table.positive("heartbeat", defaults.heartbeat),
        table.positive("lease_ttl", defaults.lease_ttl),
        table.positive("lease_renew", defaults.lease_renew),
    )
    if settings.heartbeat >= settings.presence_timeout:
        raise table.error("heartbeat", "must be less than presence_timeout")
    if settings.lease_renew >= settings.lease_ttl:
        raise table.error("lease_renew", "must be less than lease_ttl")
    return settings


def desk_id() -> str:
    """An id for this run of a desk: ``host/pid/random``, so a desk on the same host can
    tell when the process behind a lease or a presence row is gone."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def desk_is_gone(desk: str) -> bool:
    """True when ``desk`` ran on this host in a process that no longer exists (killed,
    crashed); a desk elsewhere, or one whose process runs, may be alive."""
    host, _, rest = desk.partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: it runs
        return False
    return False
