"""Generate a large, realistic desk database for the scale benchmarks.

    python bench/generate.py --db /work/bench-data/large.db \
        --conversations 100000 --messages 1000000 [--agents 50] [--seed 1] [--replace]

Same tables, triggers (full-text index) and event kinds as live use, written in bulk
(``Store.bulk_insert``, executemany) instead of one action at a time. Each conversation
is simulated like the demo: a customer message, triage (assigned, tagged), replies with
``viewed`` focus events around them, notes, customer follow-ups, resolves, reopens,
CSAT, and recent ones still waiting or pending. About three events per message.
Conversations are processed in start order in chunks; ids within a chunk follow time.
Agents are named agent01, agent02, ...; prints counts, elapsed time and file size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agentdesk import clock  # noqa: E402
from agentdesk.demo import texts  # noqa: E402
from agentdesk.store import Store  # noqa: E402
from agentdesk.text import one_line  # noqa: E402
from bench import target  # noqa: E402

CHUNK = 2000  # conversations per batch
DAY = 86400

MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "direction",
    "author",
    "at",
    "subject",
    "body",
    "ext_id",
    "message_id_header",
    "auto",
    "delivery",
)
EVENT_COLUMNS = ("key", "conversation_id", "kind", "at", "agent", "message_id", "payload")
CONVERSATION_COLUMNS = (
    "id",
    "uid",
    "key",
    "channel",
    "customer_id",
    "subject",
    "preview",
    "status",
    "assignee_id",
    "snoozed_until",
    "created_at",
    "last_message_at",
    "waiting_since",
)

AUTO_FALSE = json.dumps({"auto": False})
AUTO_TRUE = json.dumps({"auto": True})
AI_FALSE = json.dumps({"ai_assisted": False})
FOCUS_ON = json.dumps({"focus": True})
FOCUS_OFF = json.dumps({"focus": False})
RESOLVE = json.dumps({"from": "open", "to": "resolved"})
PENDING = json.dumps({"from": "open", "to": "pending"})
REOPEN = json.dumps({"from": "resolved", "to": "open", "reason": "customer replied"})
UNPEND = json.dumps({"from": "pending", "to": "open", "reason": "customer replied"})


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Generator:
    """Builds rows for one chunk of conversations at a time."""

    def __init__(self, args: argparse.Namespace, now: float) -> None:
        self.args, self.now = args, now
        self.rng = random.Random(args.seed)
        self.agents = [
            (
                f"agent{i + 1:02d}",
                f"{texts.FIRST_NAMES[i % len(texts.FIRST_NAMES)]} "
                f"{texts.LAST_NAMES[i % len(texts.LAST_NAMES)]}",
            )
            for i in range(args.agents)
        ]
        self.agent_weights = [1 / (i + 3) for i in range(args.agents)]

    # ---- customers ----------------------------------------------------------------------
    def customers(self, count: int, first_seen: list[float]):
        """Rows for customers and identities, and the channels each customer is on."""
        rng = self.rng
        customers, identities, channels = [], [], []
        identity_id = 1
        for index in range(count):
            customer_id = index + 1
            first = rng.choice(texts.FIRST_NAMES)
            last = rng.choice(texts.LAST_NAMES)
            handle = f"{first}.{last}{customer_id}".lower()
            kind = rng.random()
            addresses = []
            if kind < 0.80:
                addresses.append(("email", f"{handle}@{rng.choice(texts.EMAIL_DOMAINS)}"))
            if kind >= 0.55:
                addresses.append(("chat", f"@{handle.replace('.', '')}:{texts.CHAT_DOMAIN}"))
            customers.append((customer_id, f"{first} {last}", iso(first_seen[index])))
            for channel, address in addresses:
                identities.append((identity_id, customer_id, channel, address))
                identity_id += 1
            channels.append(tuple(c for c, _ in addresses))
        return customers, identities, channels

    # ---- one conversation ------------------------------------------------------------------
    def conversation(
        self,
        conversation_id: int,
        customer: tuple,
        channels: tuple[str, ...],
        start: float,
        size: int,
        message_id: int,
    ):
        """Rows of one conversation: (conversation row, messages, events, tags)."""
        rng, now = self.rng, self.now
        customer_id, name, address_of = customer
        channel = rng.choice(channels)
        chat = channel == "chat"
        intent = rng.choice(texts.INTENTS)
        mood = rng.choices(texts.MOODS, (5, 3, 2))[0]
        agent_index = rng.choices(range(len(self.agents)), self.agent_weights)[0]
        agent = self.agents[agent_index][0]
        values = self._values(name)
        subject = "" if chat else rng.choice(texts.SUBJECTS[intent]).format_map(values)
        address = address_of[channel]
        uid = f"b{conversation_id:07d}"
        messages: list[tuple] = []
        events: list[tuple] = []
        state = {"status": "open", "waiting": None, "last": start, "preview": "", "latest": start}

        def message(at: float, direction: str, author: str, body: str, auto: bool = False):
            nonlocal message_id
            number = len(messages)
            header = None
            ext = None
            if direction == "in":
                ext = f"{uid}.{number}"
                header = None if chat else f"<{uid}.{number}@mail.example>"
            msg_subject = (
                ""
                if direction == "note" or chat
                else (subject if number == 0 else f"Re: {subject}")
            )
            messages.append(
                (
                    message_id,
                    conversation_id,
                    direction,
                    author,
                    iso(at),
                    msg_subject,
                    body,
                    ext,
                    header,
                    int(auto),
                    "sent" if direction == "out" else None,
                )
            )
            message_id += 1
            return message_id - 1

        def event(
            at: float,
            kind: str,
            who: str | None = None,
            mid: int | None = None,
            payload: str = "{}",
        ):
            state["latest"] = max(state["latest"], at)
            key = str(uuid.uuid4())  # globally unique, as the store's event log writes them
            events.append(
                (at, len(events), (key, conversation_id, kind, iso(at), who, mid, payload))
            )

        def inbound(at: float, body: str, auto: bool = False):
            mid = message(at, "in", address, body, auto)
            event(at, "inbound", None, mid, AUTO_TRUE if auto else AUTO_FALSE)
            state["last"] = max(state["last"], at)
            if not auto:
                state["preview"] = body
                if state["waiting"] is None:
                    state["waiting"] = at
                if state["status"] != "open":
                    event(
                        at,
                        "status",
                        None,
                        None,
                        REOPEN if state["status"] == "resolved" else UNPEND,
                    )
                    state["status"] = "open"

        t = start
        event(t, "created")
        inbound(t, self._first(values, intent, mood, chat))
        t += rng.uniform(30, 400) if chat else rng.uniform(120, 7200)
        assigned = t < now
        if assigned:
            event(
                t, "assigned", agent, None, json.dumps({"by": agent, "from": None}, sort_keys=True)
            )
            event(t + 5, "tagged", agent, None, json.dumps({"tag": intent}))
            t += 5
        remaining = size - 1
        replied_last = False
        while remaining > 0 and assigned:
            if not replied_last:
                t += rng.uniform(30, 900) if chat else rng.expovariate(1 / 7200) + 300
                if t >= now:
                    break
                opened = min(max(t - rng.uniform(20, 300), state["latest"] + 1), t - 15)
                event(opened, "viewed", agent, None, FOCUS_ON)
                if remaining > 1 and rng.random() < 0.12:
                    note = rng.choice(texts.NOTES[intent]).format_map(values)
                    event(t - 10, "note", agent, message(t - 10, "note", agent, note))
                    remaining -= 1
                body = rng.choice(
                    texts.AGENT_FIRST[intent] if len(messages) < 3 else texts.AGENT_FOLLOWUPS
                ).format_map(values)
                text = (
                    body if chat else f"Hi {values['first']},\n\n{body}\n\nBest regards,\n{agent}"
                )
                event(t, "reply", agent, message(t, "out", agent, text), AI_FALSE)
                event(t + rng.uniform(5, 60), "viewed", agent, None, FOCUS_OFF)
                state["waiting"], state["last"] = None, max(state["last"], t)
                remaining -= 1
                replied_last = True
                if remaining and rng.random() < 0.15:  # resolved, the customer comes back
                    t += rng.uniform(60, 600)
                    if t >= now:
                        break
                    event(t, "status", agent, None, RESOLVE)
                    state["status"] = "resolved"
                    t += rng.uniform(DAY, 5 * DAY)
            else:
                t += rng.uniform(20, 600) if chat else rng.expovariate(1 / 20000) + 600
                if t >= now:
                    break
                follow = (
                    rng.choice(
                        texts.CUSTOMER_THANKS if remaining == 1 else texts.CUSTOMER_FOLLOWUPS[mood]
                    )
                    .replace("{detail}", "{product}")
                    .replace("{detail_lower}", "{product}")
                )
                inbound(t, follow.format_map(values))
                if rng.random() < 0.5:  # read soon after it arrives
                    seen = t + rng.uniform(30, 600)
                    event(seen, "viewed", agent, None, FOCUS_ON)
                    event(seen + rng.uniform(10, 120), "viewed", agent, None, FOCUS_OFF)
                remaining -= 1
                replied_last = False
        if assigned and state["status"] == "open" and rng.random() < 0.95:  # 5 % left open
            t += rng.uniform(60, 900)
            if t < now - 3 * DAY or (t < now and rng.random() < 0.6):
                event(t, "status", agent, None, RESOLVE)
                state["status"] = "resolved"
                if rng.random() < 0.3 and t + 3600 < now:
                    event(
                        t + rng.uniform(600, DAY / 2) if t + DAY / 2 < now else t + 600,
                        "csat",
                        None,
                        None,
                        json.dumps({"rating": rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 5, 9))[0]}),
                    )
            elif t < now and replied_last:
                event(t, "status", agent, None, PENDING)
                state["status"] = "pending"
        row = (
            conversation_id,
            uid,
            str(uuid.uuid4()),
            channel,
            customer_id,
            one_line(subject, 300),
            one_line(state["preview"], 200),
            state["status"],
            agent_index + 1 if assigned else None,
            None,
            iso(start),
            iso(state["last"]),
            iso(state["waiting"]) if state["waiting"] is not None else None,
        )
        tags = [(conversation_id, intent)] if assigned else []
        return row, messages, events, tags, message_id

    def _values(self, name: str) -> dict[str, str]:
        rng = self.rng
        return {
            "order": f"#KH{rng.randint(100000, 999999)}",
            "product": rng.choice(texts.PRODUCTS),
            "amount": f"€{rng.choice((19, 39, 49, 89, 129, 249))}.{rng.choice(('00', '90'))}",
            "tracking": f"1Z{rng.randint(10**9, 10**10 - 1)}",
            "carrier": rng.choice(texts.CARRIERS),
            "days": str(rng.randint(3, 16)),
            "weekday": rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
            "invoice": f"INV-{rng.randint(1000, 9999)}",
            "last4": f"{rng.randint(0, 9999):04d}",
            "plan": rng.choice(texts.PLANS),
            "browser": rng.choice(texts.BROWSERS),
            "device": rng.choice(texts.DEVICES),
            "email": "you@example.com",
            "first": name.split()[0],
            "company": texts.COMPANY,
        }

    def _first(self, values: dict, intent: str, mood: str, chat: bool) -> str:
        rng = self.rng
        body = " ".join(
            (rng.choice(texts.OPENERS[(intent, mood)]), rng.choice(texts.DETAILS[intent]))
        ).format_map(values)
        if chat:
            return body
        return (
            f"{rng.choice(texts.EMAIL_GREETINGS)}\n\n{body}\n\n"
            f"{rng.choice(texts.MOOD_CLOSINGS[mood])}\n{values['first']}"
        )


def sizes(rng: random.Random, conversations: int, messages: int) -> list[int]:
    """Messages per conversation: skewed (many short, a few long), summing to ``messages``."""
    mean = max(messages / conversations - 1, 0.01)
    result = [1 + min(int(rng.expovariate(1 / mean)), 400) for _ in range(conversations)]
    difference = messages - sum(result)
    while difference:
        index = rng.randrange(conversations)
        if difference > 0:
            result[index] += 1
            difference -= 1
        elif result[index] > 1:
            result[index] -= 1
            difference += 1
    return result


def generate(args: argparse.Namespace) -> dict:
    now = clock.now().timestamp() // 1 if not args.now else clock.parse_iso(args.now).timestamp()
    gen = Generator(args, now)
    rng = gen.rng
    span = args.days * DAY
    starts = sorted(now - rng.random() * span for _ in range(args.conversations))
    customer_count = max(1, args.conversations * 2 // 5)
    owners = [min(int(customer_count * rng.random() ** 1.6), customer_count - 1) for _ in starts]
    first_seen = [now - rng.random() * span for _ in range(customer_count)]
    for start, owner in zip(starts, owners, strict=True):
        first_seen[owner] = min(first_seen[owner], start)
    message_sizes = sizes(rng, args.conversations, args.messages)
    store = Store(args.db)
    totals = {"messages": 0, "events": 0}
    with store.bulk.load():
        store.bulk.insert(
            "agents",
            ("id", "name", "display_name", "email"),
            [
                (i + 1, name, display, f"{name}@{texts.SUPPORT_DOMAIN}")
                for i, (name, display) in enumerate(gen.agents)
            ],
        )
        for name, body in texts.CANNED:
            store.bulk.insert("canned_replies", ("name", "body"), [(name, body)])
        customers, identities, channels = gen.customers(customer_count, first_seen)
        store.bulk.insert("customers", ("id", "name", "first_seen"), customers)
        store.bulk.insert("identities", ("id", "customer_id", "channel", "address"), identities)
        addresses: list[dict[str, str]] = [{} for _ in customers]
        for _, customer_id, channel, address in identities:
            addresses[customer_id - 1][channel] = address
        message_id = 1
        for chunk_start in range(0, args.conversations, CHUNK):
            rows, messages, events, tags = [], [], [], []
            for index in range(chunk_start, min(chunk_start + CHUNK, args.conversations)):
                owner = owners[index]
                row, msgs, evs, tgs, message_id = gen.conversation(
                    index + 1,
                    (owner + 1, customers[owner][1], addresses[owner]),
                    channels[owner],
                    starts[index] // 1,
                    message_sizes[index],
                    message_id,
                )
                rows.append(row)
                messages.extend(msgs)
                events.extend(evs)
                tags.extend(tgs)
            store.bulk.insert("conversations", CONVERSATION_COLUMNS, rows)
            store.bulk.insert("conversation_tags", ("conversation_id", "tag"), tags)
            store.bulk.insert("messages", MESSAGE_COLUMNS, messages)
            events.sort(key=lambda e: (e[0], e[2][1], e[1]))
            store.bulk.insert("events", EVENT_COLUMNS, (e[2] for e in events))
            totals["messages"] += len(messages)
            totals["events"] += len(events)
            if args.progress:
                print(
                    f"  {chunk_start + len(rows)} conversations, {totals['messages']} messages",
                    file=sys.stderr,
                )
    store.bulk.finish()
    totals["conversations"] = args.conversations
    totals["customers"] = customer_count
    store.close()
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", required=True, help="database file to create, or a postgresql:// URL"
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--days", type=int, default=730, help="history length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="ISO time the history ends at (default: now)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete an existing file (drop and re-create a PostgreSQL database) first",
    )
    parser.add_argument("--progress", action="store_true", help="print progress to stderr")
    args = parser.parse_args()
    if args.messages < args.conversations:
        parser.error("--messages must be at least --conversations")
    if target.exists(args.db):
        if not args.replace:
            parser.error(f"{args.db} exists (use --replace)")
        target.remove(args.db)
    started = time.perf_counter()
    totals = generate(args)
    elapsed = time.perf_counter() - started
    size = target.size(args.db)
    path = args.db
    print(
        f"{path}: {totals['conversations']} conversations, {totals['messages']} messages, "
        f"{totals['events']} events ({totals['events'] / max(totals['messages'], 1):.1f} per "
        f"message), {totals['customers']} customers, {args.agents} agents"
    )
    print(
        f"generated in {elapsed:.1f} s; size {size / 1e6:.0f} MB; "
        f"generated at {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
