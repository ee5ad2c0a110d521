"""Where a desk is: a SQLite file path or a PostgreSQL URL, and how messages show it.

Apart from ``postgres.py`` so that a desk on SQLite never imports PostgreSQL's modules
(its dialect, its schema, the connection class): 2.5-3.5 ms of every first paint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return str(target).startswith(URL_SCHEMES)


def where(url: str) -> str:
    """``host:port`` (or the socket directory) of ``url``, for messages; never the password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}"


def shown(target: object) -> str:
    """A desk's file path or URL as messages show it: a URL without its password."""
    return redact(str(target)) if is_url(target) else str(target)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
