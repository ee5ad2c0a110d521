"""Burst: 1,000 customer messages across 100 rooms reach the desk store (target: 10 s).

Starts a real Synapse on loopback (``.venv-synapse``, as the tests do), registers
the desk and 100 customers, each opening a room with the desk, lets the connector
join them all, then times a burst of customer messages sent with 50 requests in
flight, from the first send until the last message is in the SQLite store. A
second round sends another burst while the desk is stopped and times the catch-up
of a new connector instance on the same database.

Usage: python bench/bench_matrix.py [--rooms 100] [--per-room 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from synapse import MatrixUser, Synapse, start_synapse  # noqa: E402

from agentdesk.connectors.matrix import MatrixConnector  # noqa: E402
from agentdesk.delivery import ChannelHost  # noqa: E402
from agentdesk.store import Store  # noqa: E402


async def burst(server: Synapse, customers: list[tuple[MatrixUser, str]], per_room: int,
                label: str) -> None:
    """Send ``per_room`` messages in every room, 50 requests in flight."""
    limit = asyncio.Semaphore(50)
    async with httpx.AsyncClient(base_url=f"{server.url}/_matrix/client/v3",
                                 timeout=60) as http:

        async def one(user: MatrixUser, room: str, n: int) -> None:
            async with limit:
                response = await http.put(
                    f"/rooms/{quote(room, safe='')}/send/m.room.message/{label}-{n}",
                    json={"msgtype": "m.text", "body": f"{label} message {n} in {room}"},
                    headers={"Authorization": f"Bearer {user.token}"})
                response.raise_for_status()

        await asyncio.gather(*(one(user, room, n) for n in range(per_room)
                               for user, room in customers))


async def wait_for(count: list[int], target: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while count[0] < target:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def run(rooms: int, per_room: int) -> None:
    print(f"starting synapse and registering {rooms + 1} users …", flush=True)
    server = start_synapse()
    workdir = Path(tempfile.mkdtemp(prefix="agentdesk-bench-matrix-"))
    try:
        desk = MatrixUser(server, "desk", "Support")
        os.environ["BENCH_MATRIX_PASSWORD"] = desk.password
        settings = {"homeserver": server.url, "user": desk.user_id,
                    "password_env": "BENCH_MATRIX_PASSWORD", "max_backoff": 2.0}
        customers = []
        for n in range(rooms):
            user = MatrixUser(server, f"customer{n}", f"Customer {n}")
            customers.append((user, user.open_chat(desk.user_id)))
        store = Store(workdir / "desk.db")
        stored = [0]

        def counted(_conversation_id: int) -> None:
            stored[0] += 1

        connector = MatrixConnector(settings)
        host = ChannelHost(store, [connector])
        await connector.start()
        receiving = asyncio.create_task(host.receive(connector, on_message=counted))
        deadline = time.monotonic() + 60
        while len(desk.call("GET", "/joined_rooms")["joined_rooms"]) < rooms:
            if time.monotonic() > deadline:
                raise SystemExit("the desk did not join every room within 60 s")
            await asyncio.sleep(0.2)

        total = rooms * per_room
        print(f"live burst: {total} messages across {rooms} rooms …", flush=True)
        started = time.monotonic()
        await burst(server, customers, per_room, "live")
        sent = time.monotonic() - started
        arrived = await wait_for(stored, total, 120)
        done = time.monotonic() - started
        await connector.stop()
        await receiving
        print(f"  sent in {sent:.2f} s; all {stored[0]} stored {done:.2f} s after the first send "
              f"({stored[0] / done:.0f} msg/s, {done - sent:.2f} s after the last send)"
              f"{'' if arrived else '  INCOMPLETE'}")
        print(f"  target: within 10 s -> {'met' if arrived and done <= 10 else 'MISSED'}")

        print(f"offline burst: {total} more while the desk is stopped, then a restart …",
              flush=True)
        started = time.monotonic()
        await burst(server, customers, per_room, "offline")
        print(f"  sent in {time.monotonic() - started:.2f} s with no desk syncing")
        stored[0] = 0
        restarted = MatrixConnector(settings)
        host = ChannelHost(store, [restarted])
        started = time.monotonic()
        await restarted.start()
        receiving = asyncio.create_task(host.receive(restarted, on_message=counted))
        arrived = await wait_for(stored, total, 120)
        catch_up = time.monotonic() - started
        await asyncio.sleep(1.0)  # anything repeated would be counted now
        await restarted.stop()
        await receiving
        print(f"  catch-up after restart: {stored[0]} stored in {catch_up:.2f} s"
              f"{'' if arrived and stored[0] == total else '  WRONG COUNT'}")
        store.close()
        for user, _room in customers:
            user.close()
        desk.close()
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--per-room", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.rooms, args.per_room))


if __name__ == "__main__":
    main()
