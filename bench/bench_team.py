"""A team of desks on one database, end to end on loopback (issue 11).

    python bench/bench_team.py [--db postgresql | --db sqlite | --db FILE | --db URL]
        [--desks 50] [--apps 2] [--emails 1000] [--burst 50] [--gap 3] [--think 0.5]

Starts one PostgreSQL (``--db postgresql``, the default: a private cluster as the tests
start it; ``--db sqlite`` or a file path: one SQLite file on this host; a URL: that
database, emptied), one dovecot and one SMTP sink (the fixtures of ``tests/``). Then:

- two ``agentdesk serve`` processes (the first takes the email connector's lease, the
  second stands by; every desk takes part in the same lease);
- ``--desks`` desks: ``--apps`` real apps under Pilot (``bench/team_app.py``) and the rest
  headless (``bench/team_desk.py``: store, watcher, claims, the composer's send, leases
  and delivery, no Textual);
- ``--emails`` customer emails, one conversation each, appended to dovecot's INBOX in
  bursts of about ``--burst`` every ``--gap`` seconds; halfway through, the desk holding
  the connector's lease is killed with SIGKILL and the next burst follows at once;
- every 2 s a probe: a tag on one conversation nobody works (``p0001``…), whose arrival
  the apps look for on their screens.

Each desk takes unassigned conversations (one of the first few, as agents take from the
top of the queue, so claims collide) and answers them through the app's send path; the
reply leaves through the lease holder's outbox to the SMTP sink. When every
conversation has its reply delivered (or ``--timeout``), everything is stopped and the
bench prints: replies at the SMTP sink per conversation, claim conflicts and how each
ended, the time a change takes to reach the other desks (p50, p95), the failover, the
messages in dovecot against those stored, and CPU seconds (the database server's, the
desks'), with the load average beside the wall times.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import contextlib
import json
import logging
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import mail_samples  # noqa: E402
from mailservers import make_ca, start_dovecot, start_smtp_server  # noqa: E402
from postgres import PostgresServer  # noqa: E402

from agentdesk.assist.presend import RULES  # noqa: E402
from agentdesk.store import Store, is_url  # noqa: E402
from bench import target  # noqa: E402

PYTHON = sys.executable
CONNECTOR = "support"
PROBE_SENDER = "probe@example.com"


def load() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of them read the same in TOML


def write_config(path: Path, mail: dict, smtp_port: int) -> None:
    connector = {
        **mail,
        "type": "email",
        "name": CONNECTOR,
        "smtp_host": "localhost",
        "smtp_port": smtp_port,
        "smtp_security": "starttls",
    }
    lines = ["[agent]", 'name = "bench"', "", "[presend]"]
    lines += [f"{rule} = false" for rule in RULES]
    lines += ["", "[[connectors]]"]
    lines += [f"{key} = {toml(value)}" for key, value in connector.items()]
    path.write_text("\n".join(lines) + "\n")


def customer(n: int) -> str:
    return f"customer{n:04d}@example.com"


class Desks:
    """The child processes: serve, headless desks and apps, each logging to a file."""

    def __init__(self, folder: Path, config: Path, db: str) -> None:
        self.folder, self.config, self.db = folder, config, db
        self.procs: dict[str, subprocess.Popen] = {}
        self.cpu: dict[str, float] = {}  # CPU seconds, read just before each was stopped

    def start(self, name: str, command: list[str]) -> None:
        err = open(self.folder / f"{name}.err", "w")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )

    def serve(self, name: str) -> None:
        self.start(
            name,
            [PYTHON, "-m", "agentdesk", "--config", str(self.config), "serve", "--db", self.db]
            + ["--agent", name],
        )

    def desk(self, script: str, name: str, seed: int, *extra: str) -> None:
        log = str(self.folder / f"{name}.jsonl")
        self.start(
            name,
            [PYTHON, str(ROOT / "bench" / script), str(self.config), self.db, name, log]
            + ["--seed", str(seed), *extra],
        )

    def log(self, name: str) -> list[dict]:
        path = self.folder / f"{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def ready(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(names)
        while waiting:
            for name in list(waiting):
                if self.procs[name].poll() is not None:
                    raise SystemExit(f"{name} exited: {(self.folder / f'{name}.err').read_text()}")
                if any("ready" in line for line in self.log(name)):
                    waiting.discard(name)
            if time.monotonic() > deadline:
                raise SystemExit(f"not ready after {timeout:g} s: {sorted(waiting)}")
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        self.cpu[name] = target.process_cpu(self.procs[name].pid)
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                with contextlib.suppress(OSError):  # (it just ended)
                    self.cpu[name] = target.process_cpu(proc.pid)
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop on SIGTERM; killed")
                proc.kill()
                proc.wait()

    def codes(self) -> collections.Counter:
        return collections.Counter(proc.returncode for proc in self.procs.values())


def lease(store: Store) -> tuple[str, str] | None:
    """(desk id, agent) holding the connector's lease now."""
    with store.db.read() as conn:
        row = conn.execute(
            "SELECT desk, agent FROM connector_leases WHERE connector = ?", (CONNECTOR,)
        ).fetchone()
    return (row[0], row[1]) if row else None


def inbound_count(store: Store) -> int:
    with store.db.read() as conn:
        return conn.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0]


def progress(store: Store) -> dict[str, int]:
    with store.db.read() as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "stored": one("SELECT count(*) FROM messages WHERE direction = 'in'"),
            "assigned": one("SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL"),
            "replied": one("SELECT count(*) FROM messages WHERE direction = 'out'"),
            "sent": one(
                "SELECT count(*) FROM messages WHERE direction = 'out' AND delivery LIKE 'sent%'"
            ),
        }


class Probes(threading.Thread):
    """Every ``every`` seconds, a new tag on the probe conversation (and the last one
    taken off), each committed at a known time."""

    def __init__(self, store: Store, conversation_id: int, every: float) -> None:
        super().__init__(daemon=True)
        self.store, self.conversation_id, self.every = store, conversation_id, every
        self.committed: dict[str, float] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        last = None
        for n in range(1, 10_000):
            if self.stopped.wait(self.every):
                return
            word = f"p{n:04d}"
            with self.store.atomic():
                self.store.conversations.set_tag(self.conversation_id, word, True, "lead")
                if last:
                    self.store.conversations.set_tag(self.conversation_id, last, False, "lead")
            self.committed[word] = time.time()
            last = word


def deliver(dovecot, numbers: range, rng: random.Random) -> None:
    """Append one customer email per number to INBOX, as the MTA delivers them."""
    with dovecot.client() as client:
        for n in numbers:
            raw = mail_samples.plain(
                n,
                sender=customer(n),
                subject=f"Order {n:04d} has not arrived",
                body=f"Hello, order {n:04d} is late. " * rng.randint(1, 6),
                message_id=f"<bench-{n:04d}@example.com>",
            )
            client.append("INBOX", None, None, raw)


def wait_for(condition, timeout: float, every: float = 0.05, start: float | None = None):
    """Seconds from ``start`` (default: now, monotonic) until ``condition()`` holds
    (None: not within ``timeout``)."""
    start = time.monotonic() if start is None else start
    while not condition():
        if time.monotonic() - start > timeout:
            return None
        time.sleep(every)
    return time.monotonic() - start


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "no samples"
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"n={len(ms)}  p50 {statistics.median(ms):.0f} ms  p95 {p95:.0f} ms  max {ms[-1]:.0f} ms"


def seen_after(looks: dict[int, list[tuple[float, float]]], cid: int, at: float) -> float | None:
    """Seconds from ``at`` until the end of the first look that began after ``at`` and
    named ``cid`` (a look that began earlier may have read the table before the commit)."""
    runs = looks.get(cid, [])
    i = bisect.bisect_right(runs, (at, float("inf")))
    return runs[i][1] - at if i < len(runs) else None


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="bench-team-"))
    say(f"bench folder {folder}; {load()}")
    ca = make_ca(folder)
    dovecot = start_dovecot(ca)
    smtp = start_smtp_server(ca)
    pg = None
    try:
        if args.db == "postgresql":
            pg = PostgresServer()
            pg.start()
            db = pg.new_database()
        elif is_url(args.db):
            target.remove(args.db)
            db = args.db
        else:
            db = str(folder / "team.db") if args.db == "sqlite" else args.db
            target.remove(db)
        engine = "PostgreSQL" if is_url(db) else "SQLite"
        return bench(args, rng, folder, dovecot, smtp, db, engine)
    finally:
        smtp.stop()
        dovecot.destroy()
        if pg is not None:
            pg.stop()


def bench(args, rng, folder, dovecot, smtp, db: str, engine: str) -> int:
    config = folder / "config.toml"
    write_config(config, dovecot.settings(), smtp.port)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    store = Store(db)
    store.agents.ensure("lead")
    server_cpu = target.server_clock(db)
    cpu0 = server_cpu() if server_cpu else 0.0
    wall0, load0 = time.monotonic(), load()
    desks = Desks(folder, config, db)
    try:
        return _bench(args, rng, folder, dovecot, smtp, db, engine, store, desks, locals())
    finally:
        desks.stop_all()
        store.close()


def _bench(args, rng, folder, dovecot, smtp, db, engine, store, desks, started) -> int:
    desks.serve("serve1")
    if wait_for(lambda: (lease(store) or ("", ""))[1] == "serve1", 120) is None:
        raise SystemExit(f"serve1 never took the lease: {(folder / 'serve1.err').read_text()}")
    desks.serve("serve2")
    with dovecot.client() as client:  # the probe conversation, which nobody works
        client.append("INBOX", None, None, mail_samples.plain(0, sender=PROBE_SENDER))
    if wait_for(lambda: inbound_count(store) == 1, 120) is None:
        raise SystemExit("the probe message was never stored")
    with store.db.read() as conn:
        probe_id = conn.execute("SELECT min(id) FROM conversations").fetchone()[0]
    store.conversations.assign(probe_id, "lead", "lead")
    apps = [f"app{n:02d}" for n in range(1, args.apps + 1)]
    headless = [f"desk{n:02d}" for n in range(1, args.desks - args.apps + 1)]
    for n, name in enumerate(headless):
        desks.desk("team_desk.py", name, args.seed + n, "--think", str(args.think))
    for n, name in enumerate(apps):
        desks.desk("team_app.py", name, args.seed + 100 + n)
    t = time.monotonic()
    desks.ready([*headless, *apps], 600)
    say(
        f"{len(headless)} headless desks and {len(apps)} apps ready in"
        f" {time.monotonic() - t:.0f} s; {load()}"
    )
    probes = Probes(store, probe_id, 2.0)
    probes.start()

    failover: dict[str, object] = {}
    next_n, killed = 1, False
    while next_n <= args.emails:
        size = min(
            rng.randint(max(1, args.burst // 2), args.burst * 3 // 2), args.emails - next_n + 1
        )
        deliver(dovecot, range(next_n, next_n + size), rng)
        next_n += size
        say(f"delivered {next_n - 1} emails; {progress(store)}; {load()}")
        if not killed and next_n > args.emails // 2:
            killed = True
            failover = kill_leader(store, desks, dovecot, rng, next_n, args)
            next_n = failover.pop("next_n")  # type: ignore[assignment]
            continue
        time.sleep(rng.uniform(args.gap / 2, args.gap * 3 / 2))

    said = [time.monotonic()]

    def done() -> bool:
        state = progress(store)
        if time.monotonic() - said[0] > 30:
            said[0] = time.monotonic()
            say(f"{state}; the lease: {(lease(store) or ('', 'nobody'))[1]}; {load()}")
        return state["stored"] >= args.emails + 1 and state["sent"] >= args.emails

    took = wait_for(done, args.timeout, 1.0)
    say(f"{'all answered' if took is not None else 'timed out'}: {progress(store)}; {load()}")
    time.sleep(5)  # a reply sent twice would arrive now
    probes.stopped.set()
    wall = time.monotonic() - started["wall0"]
    server = started["server_cpu"]() - started["cpu0"] if started["server_cpu"] else None
    load1 = load()
    desks.stop_all()
    report(
        args,
        engine,
        db,
        store,
        dovecot,
        smtp,
        desks,
        probes,
        probe_id,
        headless,
        apps,
        failover,
        wall,
        server,
        started["load0"],
        load1,
        took is not None,
    )
    return 0


def kill_leader(store, desks, dovecot, rng, next_n: int, args) -> dict[str, object]:
    """SIGKILL the desk holding the lease, deliver a burst at once; time the takeover."""
    holder = lease(store)
    assert holder is not None
    victim = next(
        (name for name, proc in desks.procs.items() if f"/{proc.pid}/" in holder[0]), None
    )
    if victim is None:
        raise SystemExit(f"no process of this bench holds the lease: {holder}")
    before = inbound_count(store)
    killed_at = time.monotonic()
    desks.kill(victim)
    size = max(1, args.burst)
    size = min(size, args.emails - next_n + 1)
    deliver(dovecot, range(next_n, next_n + size), rng)
    taken = wait_for(lambda: (lease(store) or ("",))[0] != holder[0], 120, start=killed_at)
    new = lease(store)
    stored = wait_for(lambda: inbound_count(store) > before, 120, start=killed_at)
    all_in = wait_for(lambda: inbound_count(store) >= next_n + size, 120, start=killed_at)
    say(
        f"killed {victim} (held the lease); {new[1] if new else 'nobody'} took it after"
        f" {taken} s; {load()}"
    )
    return {
        "victim": victim,
        "new": new[1] if new else None,
        "lease": taken,
        "first_stored": stored,
        "burst_stored": all_in,
        "before": before,
        "burst": size,
        "load": load(),
        "next_n": next_n + size,
    }


def report(
    args,
    engine,
    db,
    store,
    dovecot,
    smtp,
    desks,
    probes,
    probe_id,
    headless,
    apps,
    failover,
    wall,
    server,
    load0,
    load1,
    finished,
) -> None:
    print()
    print(
        f"== {engine}: {len(headless)} headless desks + {len(apps)} apps + 2 serve,"
        f" {args.emails} emails =="
    )
    print(
        f"wall {wall:.0f} s ({'all answered' if finished else 'TIMED OUT'}); {load0} at the"
        f" start, {load1} at the end"
    )

    # Replies at the SMTP sink, per conversation.
    received = [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]
    per_customer = collections.Counter(str(m["To"].addresses[0].addr_spec) for m in received)
    ids = collections.Counter(str(m["Message-ID"]) for m in received)
    distribution = collections.Counter(
        per_customer.get(customer(n), 0) for n in range(1, args.emails + 1)
    )
    print(
        f"replies at the SMTP sink per conversation: {dict(sorted(distribution.items()))}"
        f" ({len(received)} received, {sum(1 for c in ids.values() if c > 1)} Message-IDs"
        f" twice, {per_customer.get(PROBE_SENDER, 0)} to the probe)"
    )

    # Claims.
    logs = {name: desks.log(name) for name in [*headless, *apps]}
    claims = [(name, line) for name, lines in logs.items() for line in lines if "claim" in line]
    won = collections.Counter(line["claim"] for _, line in claims if line["won"])
    lost = [(name, line) for name, line in claims if not line["won"]]
    with store.db.read() as conn:
        assigned = collections.Counter(
            row[0]
            for row in conn.execute(
                "SELECT conversation_id FROM events WHERE kind = 'assigned' AND conversation_id != ?",
                (probe_id,),
            )
        )
        replies = collections.Counter(
            row[0]
            for row in conn.execute("SELECT conversation_id FROM messages WHERE direction = 'out'")
        )
        author_is_holder = conn.execute(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " JOIN agents a ON a.id = c.assignee_id WHERE m.direction = 'out'"
            " AND m.author = a.name"
        ).fetchone()[0]
    ended = collections.Counter()
    for name, line in lost:
        after = [x for x in logs[name] if "claim" in x and x["t"] > line["t"]]
        ended["took another" if any(x["won"] for x in after) else "took none after"] += 1
    told = [line["line"] for _, line in lost if line.get("line")]
    print(
        f"claims: {len(claims)} ({sum(won.values())} won, {len(lost)} lost to another desk on"
        f" {len({line['claim'] for _, line in lost})} conversations); winners per"
        f" conversation {dict(collections.Counter(won.values()))}; 'assigned' events per"
        f" conversation {dict(collections.Counter(assigned.values()))}"
    )
    print(
        f"  each lost claim: changed nothing, the loser was told who holds it"
        f" ({len(told)} with a line such as {told[0] if told else '-'!r}), then"
        f" {dict(ended)}"
    )
    collisions = [line for lines in logs.values() for line in lines if "collision" in line]
    errors = [line for lines in logs.values() for line in lines if "error" in line]
    print(
        f"  replies stored per conversation {dict(collections.Counter(replies.values()))};"
        f" written by the holder: {author_is_holder}; collision checks that stopped a"
        f" reply: {len(collisions)}; desk errors: {len(errors)}"
    )
    for line in errors[:5]:
        print(f"    {line}")

    # Change to other desks.
    looks: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for name in headless:
        by_cid: dict[int, list[tuple[float, float]]] = collections.defaultdict(list)
        for line in logs[name]:
            if "look" in line:
                for cid in line["look"]:
                    by_cid[cid].append((line["began"], line["ended"]))
        looks[name] = by_cid
    claim_seen, missed = [], 0
    for name, line in claims:
        if not line["won"]:
            continue
        for other in headless:
            if other != name:
                took = seen_after(looks[other], line["claim"], line["t"])
                if took is None:
                    missed += 1
                else:
                    claim_seen.append(took)
    probe_seen = [
        took
        for word, at in probes.committed.items()
        for other in headless
        if (took := seen_after(looks[other], probe_id, at)) is not None
    ]
    screen_seen = [
        line["t"] - probes.committed[line["probe"]]
        for name in apps
        for line in logs[name]
        if "probe" in line
        and line["probe"] in probes.committed
        and probes.committed[line["probe"]] >= line["since"]
    ]
    print("change to the other desks (commit to the watcher's look, headless desks):")
    print(
        f"  a claim:                    {percentiles(claim_seen)} ({missed} not seen: desk stopped first)"
    )
    print(f"  a probe tag:                {percentiles(probe_seen)}")
    print(f"  a probe tag on the screen of the apps (Pilot): {percentiles(screen_seen)}")

    # Failover.
    if failover:
        print(
            f"failover: SIGKILL to {failover['victim']} (it held the lease); {failover['new']}"
            f" holds it after {fmt(failover['lease'])}, the first message stored after"
            f" {fmt(failover['first_stored'])}, the burst of {failover['burst']} delivered"
            f" with the kill all stored after {fmt(failover['burst_stored'])} ({failover['load']})"
        )
    held = dovecot_ids(dovecot)
    with store.db.read() as conn:
        stored = collections.Counter(
            row[0]
            for row in conn.execute("SELECT message_id_header FROM messages WHERE direction = 'in'")
        )
    print(
        f"dovecot holds {len(held)} messages, the desk stored {sum(stored.values())}:"
        f" {len(held - set(stored))} lost, {sum(c - 1 for c in stored.values() if c > 1)}"
        f" duplicated, {len(set(stored) - held)} stored that dovecot does not hold"
    )
    if held - set(stored):
        print(f"  not stored: {sorted(held - set(stored))[:10]}")

    # CPU.
    spent = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    per = {name: desks.cpu.get(name) for name in desks.procs}
    head = [per[n] for n in headless if per[n] is not None]
    print(
        f"CPU: database server {fmt(server, 'no server (SQLite: in each desk)')};"
        f" all desks {spent.ru_utime + spent.ru_stime:.0f} s (headless mean"
        f" {statistics.mean(head):.1f} s, max {max(head):.1f} s; apps"
        f" {', '.join(f'{per[n]:.0f} s' for n in apps if per[n] is not None)}; serve"
        f" {', '.join(f'{per[n]:.0f} s' for n in ('serve1', 'serve2') if per[n] is not None)});"
        f" this bench (SMTP sink, IMAP appends, probes) {own.ru_utime + own.ru_stime:.0f} s;"
        f" wall {wall:.0f} s"
    )
    print(f"exit codes of the desks: {dict(desks.codes())} (-9: the one killed)")


def fmt(seconds: object, none: str = "never") -> str:
    return none if seconds is None else f"{seconds:.1f} s"


def dovecot_ids(dovecot) -> set[str]:
    with dovecot.client() as client:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    return {
        str(message_from_bytes(item[1], policy=policy.default)["Message-ID"])
        for item in data
        if isinstance(item, tuple)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql", help="postgresql, sqlite, a file or a URL")
    parser.add_argument("--desks", type=int, default=50, help="desks in all, apps included")
    parser.add_argument("--apps", type=int, default=2, help="of them, real apps under Pilot")
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=50, help="emails per burst, on average")
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between bursts")
    parser.add_argument(
        "--think", type=float, default=0.5, help="a headless agent's reading and typing"
    )
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.apps >= args.desks:
        parser.error("--apps must be fewer than --desks")
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd: a warning per login
    sys.exit(run(args))


if __name__ == "__main__":
    main()
