"""Burst: 1,000 customer messages across 100 rooms reach the desk store (target: 10 s).

Starts a real Synapse on loopback (``.venv-synapse``, as the tests do), registers
the desk and 100 customers, each opening a room with the desk, lets the connector
join them all, then times a burst of customer messages (50 requests in flight) from
the first send until the last message is in the SQLite store, and each message's
delay from the homeserver accepting it to the store. A second round sends another
burst while the desk is stopped and times the catch-up of a new connector instance
on the same database. The customers send from another process, so their HTTP work
does not slow the desk's event loop.

Usage: python bench/bench_matrix.py [--rooms 100] [--per-room 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from synapse import MatrixUser, Synapse, start_synapse  # noqa: E402

from agentdesk.connectors.matrix import MatrixConnector  # noqa: E402
from agentdesk.delivery import ChannelHost  # noqa: E402
from agentdesk.domain import Inbound  # noqa: E402
from agentdesk.store import Store  # noqa: E402


class TimedConnector(MatrixConnector):
    """The real connector, noting when each message was stored (wall clock)."""

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self.stored_at: dict[str, float] = {}

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        super().recorded(message, stored)
        if stored and message.ext_id:
            self.stored_at[message.ext_id] = time.time()


async def _burst(
    url: str, senders: list[tuple[str, str]], per_room: int, label: str
) -> dict[str, float]:
    limit = asyncio.Semaphore(50)
    accepted: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=f"{url}/_matrix/client/v3", timeout=60) as http:

        async def one(token: str, room: str, n: int) -> None:
            async with limit:
                response = await http.put(
                    f"/rooms/{quote(room, safe='')}/send/m.room.message/{label}-{n}",
                    json={"msgtype": "m.text", "body": f"{label} message {n} in {room}"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                response.raise_for_status()
                accepted[response.json()["event_id"]] = time.time()

        await asyncio.gather(
            *(one(token, room, n) for n in range(per_room) for token, room in senders)
        )
    return accepted


def send_burst(
    url: str, senders: list[tuple[str, str]], per_room: int, label: str
) -> dict[str, float]:
    """In the customers' process: send; returns event id -> when the server accepted it."""
    return asyncio.run(_burst(url, senders, per_room, label))


async def burst(
    pool: ProcessPoolExecutor,
    server: Synapse,
    customers: list[tuple[MatrixUser, str]],
    per_room: int,
    label: str,
) -> dict[str, float]:
    senders = [(user.token, room) for user, room in customers]
    return await asyncio.get_running_loop().run_in_executor(
        pool, send_burst, server.url, senders, per_room, label
    )


async def until_stored(connector: TimedConnector, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while len(connector.stored_at) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def delays(accepted: dict[str, float], stored_at: dict[str, float]) -> str:
    """Server-accepted-to-stored delays: median, 95th percentile, maximum."""
    values = sorted(stored_at[e] - t for e, t in accepted.items() if e in stored_at)
    if len(values) < 2:
        return "n/a"
    p95 = statistics.quantiles(values, n=20)[-1]
    return (
        f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {values[-1] * 1000:.0f} ms"
    )


async def run(rooms: int, per_room: int) -> None:
    print(f"starting synapse and registering {rooms + 1} users …", flush=True)
    server = start_synapse()
    pool = ProcessPoolExecutor(1)
    pool.submit(time.sleep, 0).result()  # the customers' process is up before any timing
    workdir = Path(tempfile.mkdtemp(prefix="agentdesk-bench-matrix-"))
    try:
        desk = MatrixUser(server, "desk", "Support")
        os.environ["BENCH_MATRIX_PASSWORD"] = desk.password
        settings = {
            "homeserver": server.url,
            "user": desk.user_id,
            "password_env": "BENCH_MATRIX_PASSWORD",
            "max_backoff": 2.0,
        }
        customers = []
        for n in range(rooms):
            user = MatrixUser(server, f"customer{n}", f"Customer {n}")
            customers.append((user, user.open_chat(desk.user_id)))
        store = Store(workdir / "desk.db")
        total = rooms * per_room

        connector = TimedConnector(settings)
        host = ChannelHost(store, [connector])
        await connector.start()
        receiving = asyncio.create_task(host.receive(connector))
        deadline = time.monotonic() + 60
        while len(desk.call("GET", "/joined_rooms")["joined_rooms"]) < rooms:
            if time.monotonic() > deadline:
                raise SystemExit("the desk did not join every room within 60 s")
            await asyncio.sleep(0.2)

        print(f"live burst: {total} messages across {rooms} rooms …", flush=True)
        started = time.monotonic()
        accepted = await burst(pool, server, customers, per_room, "live")
        sent = time.monotonic() - started
        complete = await until_stored(connector, total, 120)
        done = time.monotonic() - started
        await connector.stop()
        await receiving
        print(f"  homeserver accepted all in {sent:.2f} s ({total / sent:.0f} msg/s)")
        print(
            f"  all {len(connector.stored_at)} stored {done:.2f} s after the first send "
            f"({done - sent:.2f} s after the last was accepted)"
            f"{'' if complete else '  INCOMPLETE'}"
        )
        print(f"  accepted -> stored: {delays(accepted, connector.stored_at)}")
        print(
            f"  first send to all stored within 10 s: "
            f"{'yes' if complete and done <= 10 else 'no'} (the homeserver's own intake "
            f"took {sent:.2f} s of it)"
        )

        print(
            f"offline burst: {total} more while the desk is stopped, then a restart …", flush=True
        )
        started = time.monotonic()
        await burst(pool, server, customers, per_room, "offline")
        print(f"  homeserver accepted all in {time.monotonic() - started:.2f} s (no desk syncing)")
        restarted = TimedConnector(settings)
        host = ChannelHost(store, [restarted])
        started = time.monotonic()
        await restarted.start()
        receiving = asyncio.create_task(host.receive(restarted))
        complete = await until_stored(restarted, total, 120)
        catch_up = time.monotonic() - started
        await asyncio.sleep(1.0)  # anything repeated would be counted now
        await restarted.stop()
        await receiving
        right = complete and len(restarted.stored_at) == total
        print(
            f"  catch-up after restart (login included): {len(restarted.stored_at)} stored "
            f"in {catch_up:.2f} s{'' if right else '  WRONG COUNT'}; within 10 s: "
            f"{'yes' if right and catch_up <= 10 else 'no'}"
        )
        store.close()
        for user, _room in customers:
            user.close()
        desk.close()
    finally:
        pool.shutdown()
        server.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--per-room", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.rooms, args.per_room))


if __name__ == "__main__":
    main()
