"""The one rule for "is this host on this machine" (plain-text IMAP/SMTP, plain-http
Matrix and unmasked LLM prompts are allowed only there).

The rule reads the host as written and never resolves it: what a name resolves to can
change between the check and the connection.
"""

from __future__ import annotations

import ipaddress

_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` (any case, a trailing dot, ``*.localhost`` as RFC 6761
    reserves it) and for loopback addresses: ``127.0.0.0/8``, ``::1``, bracketed
    (``[::1]``), with a zone (``::1%lo``) or IPv4-mapped (``::ffff:127.0.0.1``)."""
    if not host:
        return False
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.removesuffix(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
