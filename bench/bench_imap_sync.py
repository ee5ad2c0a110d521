"""Initial IMAP sync: N messages from a dovecot on loopback into the desk, in the app.

Starts a real dovecot (as the tests do: generated config and test CA in a temp dir),
appends N varied messages to INBOX, then opens the desk (``make_app`` with the email
connector configured as a user would, run under Pilot at 160x50, so Textual owns
stdout and stderr as in ``agentdesk open``) and times from launch until every message
is stored and the connector says ``connected`` (TLS verified, parsing, threading, UID
progress in each message's transaction); the connector alone, without the app, is
timed first in the same run, so what the app adds shows. When ``mbsync`` (isync) and
``offlineimap`` are installed, the same mailbox is synced to a maildir with each and
timed in the same run. Peak memory (max RSS) of this process and of the parsing
worker processes is printed too.

Usage: python bench/bench_imap_sync.py [N]   (default 1,000)
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import mail_samples as samples  # noqa: E402
from mailservers import Dovecot, make_ca, start_dovecot  # noqa: E402

from agentdesk.app import make_app  # noqa: E402
from agentdesk.config import parse_config  # noqa: E402
from agentdesk.connectors.email import EmailConnector  # noqa: E402
from agentdesk.delivery import ChannelHost  # noqa: E402
from agentdesk.store import Store  # noqa: E402

VARIETY = [samples.HTML_ONLY, samples.ALTERNATIVE, samples.ATTACHMENTS, samples.AUTO_REPLY]


def fill(server: Dovecot, count: int) -> None:
    with server.client() as client:
        for n in range(count):
            raw = samples.plain(
                n,
                sender=f"customer{n % 300}@example.com",
                body=f"Message {n}: my order has not arrived.\n" * 8,
            )
            if n % 10 == 9:  # one in ten is HTML, multipart, with attachments, automatic
                raw = VARIETY[(n // 10) % len(VARIETY)].replace(
                    b"Message-ID: <", f"Message-ID: <bench{n}-".encode()
                )
            client.append("INBOX", None, None, raw)


async def sync_alone(server: Dovecot, db: Path, count: int) -> float:
    """The connector and the store without the app (what the app adds is the difference)."""
    with Store(db) as store:
        connector = EmailConnector(server.settings())
        host = ChannelHost(store, [connector])
        start = time.perf_counter()
        task = asyncio.create_task(host.run(connector))
        while connector.state != "email: connected":
            await asyncio.sleep(0.01)
        took = time.perf_counter() - start
        await connector.stop()
        await task
    return took


async def sync(server: Dovecot, db: Path, count: int) -> float:
    config = parse_config(
        {
            "agent": {"name": "bench"},
            "connectors": [{"type": "email", "name": "support", **server.settings()}],
        }
    )
    start = time.perf_counter()
    app = make_app(config, db)
    async with app.run_test(size=(160, 50)):
        connector = app.host.connectors[0]
        while connector.state != "support: connected":
            if "reconnecting" in connector.state:
                raise SystemExit(f"sync failed in the app: {connector.state}")
            await asyncio.sleep(0.01)
        took = time.perf_counter() - start
        stored = app.store.transfer.table_counts()["messages"]
    if stored != count:
        raise SystemExit(f"stored {stored} of {count} messages")
    return took


def mbsync(server: Dovecot, work: Path) -> float:
    config = work / "mbsyncrc"
    (work / "mbsync").mkdir()
    config.write_text(f"""IMAPAccount bench
Host localhost
Port {server.imaps_port}
User {server.user}
Pass {server.password}
SSLType IMAPS
CertificateFile {server.ca.ca_file}

IMAPStore remote
Account bench

MaildirStore local
Path {work}/mbsync/
Inbox {work}/mbsync/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState {work}/mbsync-state/
""")
    start = time.perf_counter()
    subprocess.run(["mbsync", "-q", "-c", str(config), "bench"], check=True)
    return time.perf_counter() - start


def offlineimap(server: Dovecot, work: Path) -> float:
    config = work / "offlineimaprc"
    config.write_text(f"""[general]
accounts = bench
metadata = {work}/offlineimap-meta
ui = quiet

[Account bench]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {work}/offlineimap

[Repository remote]
type = IMAP
remotehost = localhost
remoteport = {server.imaps_port}
remoteuser = {server.user}
remotepass = {server.password}
ssl = yes
sslcacertfile = {server.ca.ca_file}
folderfilter = lambda name: name == 'INBOX'
readonly = True
""")
    start = time.perf_counter()
    subprocess.run(["offlineimap", "-c", str(config), "-o", "-u", "quiet"], check=True)
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    work = Path(tempfile.mkdtemp(prefix="agentdesk-bench-imap-"))
    server = start_dovecot(make_ca(work))
    try:
        start = time.perf_counter()
        fill(server, count)
        print(f"filled INBOX with {count:,} messages in {time.perf_counter() - start:.1f} s")
        alone = asyncio.run(sync_alone(server, work / "alone.db", count))
        print(f"connector alone (no app): {count:,} messages in {alone:.2f} s")
        took = asyncio.run(sync(server, work / "desk.db", count))
        time.sleep(0.5)  # the parsing worker process is reaped after the sync
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"agentdesk (email connector in the running app): {count:,} messages in "
            f"{took:.2f} s ({count / took:,.0f} msg/s), peak RSS {peak:.0f} MB "
            f"+ parsing worker {worker:.0f} MB"
        )
        for name, run in (("mbsync", mbsync), ("offlineimap", offlineimap)):
            if shutil.which(name):
                print(f"{name} (to a maildir): {run(server, work):.2f} s")
            else:
                print(
                    f"{name}: not installed (apt-get install "
                    f"{'isync' if name == 'mbsync' else name}), skipped"
                )
    finally:
        server.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
