"""TLS and credentials shared by IMAP and SMTP.

TLS is always verified (certificate chain and host name) with the system CAs or the
configured ``ca_file``. Plain connections are allowed only when ``security = "none"``
is set explicitly and the host is loopback. The password comes from
``password_command`` or an environment variable; it is read only after TLS is up,
never stored by agentdesk and never put in a message or log line.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import subprocess

SECURITY = ("tls", "starttls", "none")


class MailError(Exception):
    """A mail problem explained in one line (never containing a secret)."""


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A client context that verifies the chain and the host name."""
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as error:
        raise MailError(f"ca_file {ca_file}: {error}") from None
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback addresses."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None)
        )
    except (OSError, ValueError):
        return False


def check_security(kind: str, host: str, security: str) -> None:
    """Refuse ``security = "none"`` anywhere but loopback."""
    if security == "none" and not is_loopback(host):
        raise MailError(
            f'{kind}: security = "none" is only allowed for a loopback host, not {host}'
        )


def password(settings: dict) -> str:
    """The account password from ``password_command`` or ``password_env``."""
    command = settings.get("password_command")
    if command:
        try:
            done = subprocess.run(command, shell=True, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise MailError(f"password_command could not run: {type(error).__name__}") from None
        if done.returncode != 0:
            raise MailError(f"password_command failed (exit status {done.returncode})")
        lines = done.stdout.decode("utf-8", errors="replace").splitlines()
        if not lines or not lines[0]:
            raise MailError("password_command printed nothing")
        return lines[0]
    variable = settings.get("password_env")
    if variable:
        value = os.environ.get(variable)
        if not value:
            raise MailError(f"environment variable {variable} (password_env) is not set")
        return value
    raise MailError("set password_command or password_env")
