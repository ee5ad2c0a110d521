"""Sending one message with smtplib over verified TLS (blocking; call it from a thread).

Errors are classified for the outbox: ``TemporaryFailure`` (4xx replies, network and
TLS trouble: retry with backoff) and ``PermanentFailure`` (5xx: the reply goes back
to the agent with the server's words).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable

from agentdesk.connectors.email.security import MailError, check_security


class TemporaryFailure(Exception):
    """Try again later; the message is one line (the server's words when it spoke)."""


class PermanentFailure(Exception):
    """The server refused for good; the message is its reply, one line."""


def _words(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def _failure(code: int, message: bytes | str) -> Exception:
    words = _words(code, message)
    return PermanentFailure(words) if 500 <= code < 600 else TemporaryFailure(words)


def send(
    host: str,
    port: int,
    security: str,
    context: ssl.SSLContext,
    username: str,
    password: Callable[[], str],
    sender: str,
    recipient: str,
    raw: bytes,
    timeout: float = 60.0,
    before_data: Callable[[], None] = lambda: None,
) -> str:
    """Hand ``raw`` to the server for ``recipient``; returns its final reply line.

    ``before_data()`` runs once the recipient is accepted, just before DATA: from
    then on the server may have the message even if its reply never arrives.
    """
    try:
        check_security("smtp", host, security)
    except MailError as error:
        raise TemporaryFailure(str(error)) from None
    try:
        client: smtplib.SMTP
        if security == "tls":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            client.ehlo()
            if security == "starttls":
                if not client.has_extn("starttls"):
                    raise TemporaryFailure(f"smtp {host}: server does not offer STARTTLS")
                client.starttls(context=context)
                client.ehlo()
            if username:
                client.login(username, password())
            client.mail(sender)
            code, message = client.rcpt(recipient)
            if code not in (250, 251):
                client.rset()
                raise _failure(code, message)
            before_data()
            code, message = client.data(raw)
            if code != 250:
                raise _failure(code, message)
            return _words(code, message)
    except (TemporaryFailure, PermanentFailure):
        raise
    except smtplib.SMTPAuthenticationError as error:
        raise TemporaryFailure(
            f"smtp login refused: {_words(error.smtp_code, error.smtp_error)}"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise _failure(error.smtp_code, error.smtp_error) from None
    except ssl.SSLCertVerificationError as error:
        raise TemporaryFailure(
            f"smtp {host}:{port}: certificate not trusted "
            f"({error.verify_message}); set ca_file for a private CA"
        ) from None
    except MailError as error:
        raise TemporaryFailure(str(error)) from None
    except (OSError, smtplib.SMTPException) as error:
        raise TemporaryFailure(
            f"smtp {host}:{port}: {' '.join(str(error).split()) or type(error).__name__}"
        ) from None
