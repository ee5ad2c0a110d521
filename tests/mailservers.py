"""Real mail servers on loopback for the email tests and the sync benchmark.

- A test CA and a server certificate for ``localhost`` / 127.0.0.1 (``cryptography``).
- dovecot (IMAP, STARTTLS on one port, implicit TLS on another) with a generated
  config, a static password file and maildirs, all in a temp dir.
- aiosmtpd as the SMTP server (STARTTLS with the same CA, AUTH, scripted replies).

Its fixtures (``test_ca``, ``dovecot``, ``smtp_server``) are
registered in ``conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import imaplib
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

USER, PASSWORD = "support@desk.test", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- certificates -----------------------------------------------------------------------
@dataclass(frozen=True)
class TestCA:
    ca_file: Path
    cert_file: Path
    key_file: Path
    other_ca_file: Path  # a CA that did not sign the server certificate


def make_ca(directory: Path) -> TestCA:
    """A CA, a server certificate it signs (localhost, 127.0.0.1) and an unrelated CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def ca(common_name: str):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(common_name))
            .issuer_name(name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return key, cert

    ca_key, ca_cert = ca("agentdesk test CA")
    _, other_cert = ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TestCA(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
        directory / "other-ca.pem",
    )
    files.ca_file.write_bytes(ca_cert.public_bytes(pem))
    files.other_ca_file.write_bytes(other_cert.public_bytes(pem))
    files.cert_file.write_bytes(cert.public_bytes(pem))
    files.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


# ---- dovecot ----------------------------------------------------------------------------
@dataclass
class Dovecot:
    """A running dovecot; ``imap_port`` speaks STARTTLS, ``imaps_port`` implicit TLS."""

    root: Path
    config: Path
    imap_port: int
    imaps_port: int
    ca: TestCA
    user: str = USER
    password: str = PASSWORD

    def start(self) -> None:
        subprocess.run([_binary("dovecot"), "-c", str(self.config)], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as sock,
            ):
                if sock.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        """Kill this instance at once, open sessions included (like a crash or reboot)."""
        pids = self._pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self._pids() and time.monotonic() < deadline:
            time.sleep(0.02)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    def _pids(self) -> list[int]:
        """Processes of this instance (the master by its config path, the rest by title)."""
        titles = (
            f"dovecot-agentdesk-test-{self.imap_port}/".encode(),
            f"-c\0{self.config}\0".encode(),
        )
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    cmdline = (entry / "cmdline").read_bytes()
                    if cmdline.startswith(titles[0]) or (
                        b"dovecot" in cmdline.split(b"\0")[0] and titles[1] in cmdline
                    ):
                        pids.append(int(entry.name))
        return pids

    def destroy(self) -> None:
        """Stop and remove everything (config, mail, logs)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        done = subprocess.run(
            [_binary("doveadm"), "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def client(self) -> imaplib.IMAP4_SSL:
        """A plain stdlib client (the 'other mail program') logged in over TLS."""
        context = ssl.create_default_context(cafile=str(self.ca.ca_file))
        client = imaplib.IMAP4_SSL("localhost", self.imaps_port, ssl_context=context)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put a message in a mailbox, as the MTA would."""
        with self.client() as client:
            client.create(mailbox)
            typ, data = client.append(mailbox, None, None, raw)
            assert typ == "OK", data

    def fill(self, mailbox: str, raws: list[bytes]) -> None:
        """Drop many messages into a mailbox at once, as a local MTA writing the maildir
        would (thousands a second), then let dovecot index them once, so the first client
        of the test does not race dovecot's first scan of them."""
        with self.client() as client:
            client.create(mailbox)
        folder = self.root / "mail" / self.user / f".{mailbox.replace('/', '.')}"
        owner = (folder / "cur").stat()
        tmp, new = folder / "tmp", folder / "new"
        for n, raw in enumerate(raws):
            name = f"{int(time.time())}.agentdesk{os.getpid()}_{n}.fill"
            (tmp / name).write_bytes(raw.replace(b"\r\n", b"\n"))
            os.chown(tmp / name, owner.st_uid, owner.st_gid)
            (tmp / name).rename(new / name)
        with self.client() as client:
            client.select(mailbox, readonly=True)  # dovecot gives them their UIDs now

    def mailbox_messages(self, mailbox: str) -> list[bytes]:
        with self.client() as client:
            typ, _ = client.select(mailbox, readonly=True)
            if typ != "OK":
                return []
            _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
        return [item[1] for item in data if isinstance(item, tuple)]

    def clear(self, mailbox: str = "INBOX") -> None:
        self.doveadm("expunge", "-u", self.user, "mailbox", mailbox, "all")

    def settings(self, **overrides) -> dict:
        """Email connector settings for this server (password from an env variable)."""
        os.environ["AGENTDESK_TEST_MAIL_PASSWORD"] = self.password
        settings = {
            "address": self.user,
            "from_name": "Desk Support",
            "username": self.user,
            "password_env": "AGENTDESK_TEST_MAIL_PASSWORD",
            "imap_host": "localhost",
            "imap_port": self.imaps_port,
            "imap_security": "tls",
            "ca_file": str(self.ca.ca_file),
            "backoff_max": 1.0,
            "timeout": 10.0,
        }
        settings.update(overrides)
        return settings


def _binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/test.sh installs dovecot-imapd)")
    return path


def _dovecot_config(root: Path, ca: TestCA, imap_port: int, imaps_port: int) -> str:
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:  # dovecot refuses root for mail; use its own unprivileged account
        mail_user, internal, login, group = pwd.getpwnam("dovecot"), "dovecot", "dovenull", ""
    else:
        mail_user, internal, login = me, me.pw_name, me.pw_name
        group = f"default_internal_group = {me.pw_gid}"
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = agentdesk-test-{imap_port}
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
ssl = yes
ssl_cert = <{ca.cert_file}
ssl_key = <{ca.key_file}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {internal}
{group}
default_login_user = {login}
first_valid_uid = {min(mail_user.pw_uid, 100)}
mail_location = maildir:{root}/mail/%u
mail_uid = {mail_user.pw_uid}
mail_gid = {mail_user.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
"""


PREFIX = "agentdesk-dovecot-"


def reap_stale() -> None:
    """End dovecots left by test runs that were killed before their teardown ran.

    An instance belongs to the process in its ``owner`` file; when that process is gone
    (or, without the file, after ten minutes) the instance is stopped and removed.
    """
    for root in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        owner = root / "owner"
        try:
            if owner.exists():
                os.kill(int(owner.read_text()), 0)
                continue  # its test run is alive
            if time.time() - root.stat().st_mtime < 600:
                continue
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        config = root / "dovecot.conf"
        port = (
            next(
                (
                    line.rsplit("-", 1)[1]
                    for line in config.read_text().splitlines()
                    if line.startswith("instance_name")
                ),
                None,
            )
            if config.exists()
            else None
        )
        if port and port.isdigit():
            Dovecot(root, config, int(port), 0, None).destroy()
        else:
            shutil.rmtree(root, ignore_errors=True)


def start_dovecot(ca: TestCA) -> Dovecot:
    """A new dovecot on free loopback ports, in its own temp dir (``destroy()`` ends it)."""
    _binary("dovecot")
    reap_stale()
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / "owner").write_text(str(os.getpid()))
    root.chmod(0o755)
    (root / "mail").mkdir()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "users").chmod(0o644)
    server = Dovecot(root, root / "dovecot.conf", free_port(), free_port(), ca)
    if os.getuid() == 0:
        owner = pwd.getpwnam("dovecot")
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
        for path in (ca.cert_file, ca.key_file):
            path.chmod(0o644)
    server.config.write_text(_dovecot_config(root, ca, server.imap_port, server.imaps_port))
    server.start()
    return server


@pytest.fixture(scope="session")
def dovecot(test_ca):
    """A dovecot on loopback for the whole session (restarted by tests that stop it)."""
    server = start_dovecot(test_ca)
    yield server
    server.destroy()


# ---- SMTP (aiosmtpd) --------------------------------------------------------------------
@dataclass
class SmtpServer:
    """aiosmtpd with STARTTLS and AUTH; ``replies`` scripts DATA answers (then 250).

    ``hooks`` run in the server's thread at a step of the dialogue: ``"ehlo"`` (before
    answering EHLO), ``"data"`` (the message is received, before the 250) and
    ``"after_data"`` (just after the 250 went out), for tests that stop the client there.
    """

    port: int
    received: list[bytes] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    hooks: dict[str, Callable[[], None]] = field(default_factory=dict)
    controller: Any = None  # aiosmtpd's Controller, once started

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        self.received.clear()
        self.replies.clear()
        self.logins.clear()
        self.hooks.clear()

    def message_ids(self) -> list[str]:
        from email import message_from_bytes, policy

        return [
            str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
            for raw in self.received
        ]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def _hook(self, step: str) -> None:
        hook = self.server.hooks.get(step)
        if hook is not None:
            hook()

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):  # noqa: N802
        self._hook("ehlo")
        session.host_name = hostname
        return responses

    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.server.replies:
            return self.server.replies.pop(0)
        self.server.received.append(envelope.original_content or envelope.content)
        self._hook("data")
        if "after_data" in self.server.hooks:
            asyncio.get_running_loop().call_soon(self._hook, "after_data")
        return "250 2.0.0 OK queued"


def start_smtp_server(ca: TestCA) -> SmtpServer:
    """aiosmtpd on a free loopback port, in a thread of this process (``stop()`` ends it)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    server = SmtpServer(free_port())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(ca.cert_file, ca.key_file)

    def authenticate(smtp, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        if ok:
            server.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    server.controller = Controller(
        _Handler(server),
        hostname="127.0.0.1",
        port=server.port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        auth_require_tls=True,
        authenticator=authenticate,
        decode_data=False,
    )
    server.controller.start()
    return server


@pytest.fixture(scope="session")
def smtp_server(test_ca):
    server = start_smtp_server(test_ca)
    yield server
    server.stop()
