"""TLS and credentials shared by IMAP and SMTP.

TLS is always verified (certificate chain and host name) with the system CAs or the
configured ``ca_file``. Plain connections are allowed only when ``security = "none"``
is set explicitly and the host is loopback. The password comes from
``password_command`` or an environment variable; it is read only after TLS is up,
never stored by agentdesk and never put in a message or log line.
"""

from __future__ import annotations

import ssl

from agentdesk import credentials
from agentdesk.hosts import is_loopback

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


def check_security(kind: str, host: str, security: str) -> None:
    """Refuse ``security = "none"`` anywhere but loopback."""
    if security == "none" and not is_loopback(host):
        raise MailError(
            f'{kind}: security = "none" is only allowed for a loopback host, not {host}'
        )


def password(settings: dict) -> str:
    """The account password from ``password_command`` or ``password_env``."""
    try:
        if settings.get("password_command"):
            return credentials.from_command(settings["password_command"], "password_command")
        if settings.get("password_env"):
            return credentials.from_environment(settings["password_env"], "password_env")
    except credentials.CredentialError as error:
        raise MailError(str(error)) from None
    raise MailError("set password_command or password_env")
