"""A blocking IMAP client on imaplib2 with verified TLS (call it from a thread).

imaplib2 neither checks the certificate chain nor the host name by itself, so the
socket is wrapped here with an ``ssl.SSLContext`` from ``security.tls_context``, for
implicit TLS and for STARTTLS alike. The password is asked for only once TLS is up.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import imaplib2

from agentdesk.connectors.email.security import MailError, check_security

CLOSE_ATTEMPTS = 20  # x 0.25 s: how long close() waits for a clean LOGOUT
_UID = re.compile(rb"UID (\d+)")
_MESSAGE_ID = re.compile(rb"<[^<>\s]+>")


@dataclass(frozen=True)
class MailboxStatus:
    """What SELECT/EXAMINE reported."""

    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None


class _VerifiedIMAP(imaplib2.IMAP4):
    """imaplib2 with our SSL context for implicit TLS and STARTTLS."""

    sock: socket.socket
    host: str

    def __init__(
        self, host: str, port: int, context: ssl.SSLContext, implicit: bool, timeout: float
    ) -> None:
        self._context, self._implicit, self._connect_timeout = context, implicit, timeout
        super().__init__(host, port, timeout=timeout, identifier="")

    def open_socket(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=self._connect_timeout)

    def open(self, host: str | None = None, port: int | None = None) -> None:
        super().open(host, port)
        if self._implicit:
            self.ssl_wrap_socket()
        keepalive(self.sock)
        self.sock.settimeout(None)  # the reader thread polls; blocking reads from here on

    def ssl_wrap_socket(self) -> None:
        self.sock.settimeout(self._connect_timeout)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)
        self.sock.settimeout(None)
        self.read_fd = self.sock.fileno()
        keepalive(self.sock)


def keepalive(sock: socket.socket) -> None:
    """TCP keepalive probes, so a half-open connection (even in IDLE) fails in ~90 s."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


class ImapClient:
    """One logged-in IMAP connection."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        context: ssl.SSLContext,
        username: str,
        password: Callable[[], str],
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.context, self.username, self.password = context, username, password
        self.timeout = timeout
        self.imap: _VerifiedIMAP | None = None
        self.condstore = False

    # ---- connection ---------------------------------------------------------------------
    def connect(self) -> None:
        """Connect, secure, log in; raises ``MailError`` (one line) on failure."""
        check_security("imap", self.host, self.security)
        try:
            imap = _VerifiedIMAP(
                self.host, self.port, self.context, self.security == "tls", self.timeout
            )
        except ssl.SSLCertVerificationError as error:
            raise MailError(
                f"imap {self.host}:{self.port}: certificate not trusted "
                f"({error.verify_message}); set ca_file for a private CA"
            ) from None
        except (OSError, imaplib2.IMAP4.error) as error:
            raise MailError(f"imap {self.host}:{self.port}: {_why(error)}") from None
        self.imap = imap
        try:
            if self.security == "starttls":
                if "STARTTLS" not in imap.capabilities:
                    raise MailError(f"imap {self.host}: server does not offer STARTTLS")
                imap.starttls()
            imap.login(self.username, self.password())
            if "CONDSTORE" in imap.capabilities and "ENABLE" in imap.capabilities:
                imap.enable("CONDSTORE")
                self.condstore = True
        except ssl.SSLCertVerificationError as error:
            self.close()
            raise MailError(
                f"imap {self.host}:{self.port}: certificate not trusted "
                f"({error.verify_message}); set ca_file for a private CA"
            ) from None
        except (OSError, imaplib2.IMAP4.error) as error:
            self.close()
            raise MailError(f"imap {self.host}:{self.port}: {_why(error)}") from None
        except MailError:
            self.close()
            raise

    def close(self) -> None:
        """Log out (or drop the socket); safe to call twice and from another thread."""
        imap, self.imap = self.imap, None
        if imap is None:
            return
        logged_out = threading.Event()

        def logout() -> None:
            with contextlib.suppress(Exception):
                imap.logout()
            logged_out.set()

        threading.Thread(target=logout, name="imap-logout", daemon=True).start()
        # An IDLE in another thread holds imaplib2's command lock, and it may start just
        # after a first DONE: keep ending it until the logout gets through, then, if the
        # server still does not answer, drop the socket so no thread waits forever.
        for _ in range(CLOSE_ATTEMPTS):
            imap._end_idle()
            if logged_out.wait(0.25):
                return
        with contextlib.suppress(Exception):
            imap.shutdown()
        imap.Terminate = True

    def _ok(self, result: tuple, what: str) -> list:
        typ, data = result
        if typ != "OK":
            raise MailError(f"imap {what}: {_text(data)}")
        return data

    # ---- reading ------------------------------------------------------------------------
    def select(self, mailbox: str) -> MailboxStatus:
        """EXAMINE a mailbox (read-only: flags are never changed by agentdesk)."""
        imap = self._imap()
        count = self._ok(imap.select(_mailbox(mailbox), readonly=True), f"EXAMINE {mailbox}")
        uidvalidity = _number(imap.response("UIDVALIDITY"))
        uidnext = _number(imap.response("UIDNEXT"))
        modseq = _number(imap.response("HIGHESTMODSEQ"))
        if uidvalidity is None:
            raise MailError(f"imap EXAMINE {mailbox}: no UIDVALIDITY")
        exists = int(count[0] or 0) if count and count[0] else 0
        return MailboxStatus(uidvalidity, uidnext or 1, exists, modseq)

    def uids_from(self, start: int) -> list[int]:
        """UIDs >= ``start`` in the selected mailbox, ascending."""
        data = self._ok(self._imap().uid("SEARCH", f"UID {start}:*"), "UID SEARCH")
        uids = sorted(int(n) for n in b" ".join(d for d in data if d).split())
        return [uid for uid in uids if uid >= start]

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """``(uid, raw bytes)`` for ``uids`` (without setting \\Seen)."""
        if not uids:
            return
        data = self._ok(self._imap().uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])"), "UID FETCH")
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            match = _UID.search(item[0])
            if match is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
                match = _UID.search(data[index + 1])
            if match:
                yield int(match.group(1)), item[1]

    def message_ids(self) -> dict[int, str | None]:
        """Every UID in the selected mailbox with its Message-ID (headers only)."""
        data = self._ok(
            self._imap().uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"),
            "UID FETCH",
        )
        found: dict[int, str | None] = {}
        for item in data:
            if isinstance(item, tuple):
                uid = _UID.search(item[0])
                header = _MESSAGE_ID.search(item[1] or b"")
                if uid:
                    found[int(uid.group(1))] = header.group(0).decode() if header else None
        return found

    def idle(self, seconds: float) -> None:
        """Wait in IDLE until the server reports a change or ``seconds`` pass."""
        self._ok(self._imap().idle(timeout=max(1, int(seconds))), "IDLE")

    def noop(self) -> None:
        self._ok(self._imap().noop(), "NOOP")

    # ---- the Sent folder ----------------------------------------------------------------
    def has_message_id(self, mailbox: str, message_id: str) -> bool:
        """True if ``mailbox`` holds a message with this Message-ID."""
        imap = self._imap()
        typ, data = imap.select(_mailbox(mailbox), readonly=True)
        if typ != "OK":
            return False
        data = self._ok(
            imap.uid("SEARCH", "HEADER", "Message-ID", _quote(message_id)), "UID SEARCH"
        )
        return bool(b" ".join(d for d in data if d).split())

    def append(self, mailbox: str, raw: bytes) -> None:
        """Save ``raw`` in ``mailbox`` as seen, creating the mailbox if the server asks."""
        imap = self._imap()
        typ, data = imap.append(_mailbox(mailbox), r"(\Seen)", None, raw)
        if typ != "OK" and "TRYCREATE" in _text(data).upper():
            imap.create(_mailbox(mailbox))
            typ, data = imap.append(_mailbox(mailbox), r"(\Seen)", None, raw)
        if typ != "OK":
            raise MailError(f"imap APPEND {mailbox}: {_text(data)}")

    def _imap(self) -> _VerifiedIMAP:
        if self.imap is None:
            raise MailError("imap: not connected")
        return self.imap


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_name(name: str) -> str:
    """``name`` in IMAP's modified UTF-7 (RFC 3501 5.1.3), as servers expect mailbox
    names: printable ASCII stays (``&`` is ``&-``); other text is ``&``, base64 of its
    UTF-16 with ``,`` for ``/``, then ``-`` (``Réclamations`` -> ``R&AOk-clamations``)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _mailbox(name: str) -> str:
    return _quote(mailbox_name(name))


def _uid_set(uids: list[int]) -> str:
    """Compact ``1:5,7,9:12`` form of sorted UIDs."""
    ranges: list[str] = []
    start = previous = -1
    for uid in sorted(uids):
        if start < 0:
            start = previous = uid
        elif uid == previous + 1:
            previous = uid
        else:
            ranges.append(f"{start}:{previous}" if start != previous else str(start))
            start = previous = uid
    if start >= 0:
        ranges.append(f"{start}:{previous}" if start != previous else str(start))
    return ",".join(ranges)


def _number(response: tuple) -> int | None:
    _, data = response
    for item in data or ():
        if item:
            match = re.search(rb"\d+", item if isinstance(item, bytes) else str(item).encode())
            if match:
                return int(match.group(0))
    return None


def _text(data: object) -> str:
    if isinstance(data, list | tuple):
        data = b" ".join(d if isinstance(d, bytes) else str(d).encode() for d in data if d)
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return " ".join(str(data).split())


def _why(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
