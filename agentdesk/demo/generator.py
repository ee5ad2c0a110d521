"""Deterministic, realistic demo data written through the Store API.

``generate_demo`` first *plans* every conversation as a script of timed steps (customer
messages, agent replies, notes, assignments, status changes, ratings), cut off at ``now``
so recent conversations are still waiting, pending or snoozed. Then it runs all steps in
time order through the same Store methods live use calls, so the event log is exactly
what a real desk would have written. Same seed and same ``now`` give the same database.
"""

from __future__ import annotations

import contextlib
import math
import random
import struct
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agentdesk import clock
from agentdesk.demo import texts
from agentdesk.domain import Attachment, Inbound, Status

DAYS_OF_HISTORY = 42
SHIFT_START, SHIFT_END = 9, 17  # hours (UTC) the demo agents work, Monday to Friday
CUSTOMERS = 170
CONVERSATIONS = 440


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote (counted in the database afterwards)."""

    agents: int
    customers: int
    conversations: int
    messages: int
    events: int
    linked_customers: int
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.conversations} conversations, {self.messages} messages, "
            f"{self.customers} customers ({self.linked_customers} on both channels), "
            f"{self.agents} agents, {self.events} events"
        )


@dataclass
class _Customer:
    name: str
    email: str | None
    chat: str | None

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def mail_address(self) -> str:
        """The customer's email, or one made from their chat id (for the story texts)."""
        return self.email or f"{(self.chat or '')[1:].split(':')[0]}@example.com"

    @property
    def both(self) -> bool:
        return bool(self.email and self.chat)

    def address(self, channel: str) -> str:
        return (self.email if channel == "email" else self.chat) or ""


@dataclass
class _Spec:
    """One conversation to script."""

    uid: str
    customer: _Customer
    channel: str
    intent: str
    mood: str
    start: datetime
    agent: str
    flags: set[str] = field(default_factory=set)


class _Stop(Exception):
    """The script reached ``now``: the rest of this conversation has not happened yet."""


class _Plan:
    """Timed steps of every conversation, run later in global time order."""

    def __init__(self, store, now: datetime) -> None:
        self.store, self.now = store, now
        self.steps: list[tuple[datetime, int, int, Callable[[], None]]] = []
        self.ids: dict[str, int] = {}

    def add(self, at: datetime, order: int, action: Callable[[], None]) -> None:
        if at >= self.now:
            raise _Stop
        self.steps.append((at, order, len(self.steps), action))

    def run(self) -> None:
        for _at, _order, _seq, action in sorted(self.steps, key=lambda s: s[:3]):
            action()


def generate_demo(store, seed: int = 7, now: datetime | None = None) -> DemoSummary:
    """Fill ``store`` with demo data relative to ``now`` (default: the clock); deterministic."""
    started = datetime.now(UTC)
    now = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    with store.atomic():
        for name, display in texts.AGENTS:
            store.agents.ensure(name, display, f"{name}@{texts.SUPPORT_DOMAIN}")
        for name, body in texts.CANNED:
            store.canned.save(name, body)
        customers = _customers(rng)
        specs = _specs(rng, customers, now)
        plan = _Plan(store, now)
        _plan_links(plan, specs)
        for index, spec in enumerate(specs):
            with contextlib.suppress(_Stop):
                _Script(plan, rng, spec, index).run()
        plan.run()
        _tag_customers(store, rng, plan, specs)
    store.metrics.refresh()
    counts = store.transfer.table_counts()
    return DemoSummary(
        agents=counts["agents"],
        customers=counts["customers"],
        conversations=counts["conversations"],
        messages=counts["messages"],
        events=counts["events"],
        linked_customers=counts["linked_customers"],
        seconds=(datetime.now(UTC) - started).total_seconds(),
    )


# ---- who writes ------------------------------------------------------------------------
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".")


def _customers(rng: random.Random) -> list[_Customer]:
    """Customers: 55 % email only, 20 % chat only, 25 % on both channels."""
    people: list[tuple[str, str]] = list(texts.SPECIAL_CUSTOMERS)
    seen = {name for name, _ in people}
    while len(people) < CUSTOMERS:
        name = f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}"
        if name not in seen:
            seen.add(name)
            first, last = name.split()
            people.append((name, f"{_ascii(first)}.{_ascii(last)}"))
    customers = []
    for index, (name, handle) in enumerate(people):
        kind = index % 20  # 0-10 email, 11-14 chat, 15-19 both
        email = f"{handle}@{texts.EMAIL_DOMAINS[index % len(texts.EMAIL_DOMAINS)]}"
        chat = f"@{handle.replace('.', '')}:{texts.CHAT_DOMAIN}"
        if index < 3:  # the unicode names are on both channels
            kind = 15
        customers.append(
            _Customer(
                name, email if kind < 11 or kind >= 15 else None, chat if kind >= 11 else None
            )
        )
    return customers


def _specs(rng: random.Random, customers: list[_Customer], now: datetime) -> list[_Spec]:
    """Which customer writes when, on which channel, about what, in which mood."""
    per_customer = {id(c): 1 for c in customers}
    weights = [rng.choice((1, 1, 1, 2, 3, 6)) for _ in customers]
    for customer in rng.choices(customers, weights, k=CONVERSATIONS - len(customers)):
        per_customer[id(customer)] += 1
    agents = [name for name, _ in texts.AGENTS]
    specs: list[_Spec] = []
    backlog_left = 32
    for customer in customers:
        count = per_customer[id(customer)]
        channels = ["email" if customer.email else "chat"] * count
        if customer.both:
            channels = [rng.choice(("email", "chat")) for _ in range(count)]
            if count == 1:
                channels = [rng.choice(("email", "chat"))]
            elif len(set(channels)) == 1:
                channels[-1] = "chat" if channels[0] == "email" else "email"
        starts = sorted(
            now - timedelta(minutes=rng.uniform(30, DAYS_OF_HISTORY * 24 * 60))
            for _ in range(count)
        )
        backlog = bool(backlog_left) and rng.random() < 0.2
        if backlog:  # the newest one is still unanswered
            starts[-1] = now - timedelta(minutes=_log_uniform(rng, 3, 3 * 24 * 60))
            starts.sort()
            backlog_left -= 1
        for position, (channel, start) in enumerate(zip(channels, starts, strict=True)):
            spec = _Spec(
                uid="",
                customer=customer,
                channel=channel,
                intent=rng.choice(texts.INTENTS),
                mood=rng.choices(texts.MOODS, (5, 3, 2))[0],
                start=start.replace(microsecond=0),
                agent=rng.choices(agents, (3, 3, 2, 2))[0],
            )
            if backlog and position == count - 1:
                spec.flags.add("backlog")
            specs.append(spec)
    specs.sort(key=lambda s: s.start)
    for index, spec in enumerate(specs):
        spec.uid = f"dm{index + 1:04d}"
    _mark_tricky(rng, specs, now)
    return specs


def _mark_tricky(rng: random.Random, specs: list[_Spec], now: datetime) -> None:
    """Flag the conversations that carry tricky content."""
    older = [s for s in specs if now - s.start > timedelta(days=20) and "backlog" not in s.flags]
    for spec in rng.sample(older, 3):  # long threads
        spec.flags.add("long")
        spec.mood, spec.intent = "angry", rng.choice(("complaint", "delivery", "billing"))
    email = [s for s in specs if s.channel == "email" and not s.flags]
    for spec in rng.sample(email, 10):
        spec.flags.add("html")
    for spec in rng.sample([s for s in email if not s.flags], 6):
        spec.flags.add("attachment")
        spec.intent = rng.choice(("complaint", "billing"))
    for spec in rng.sample([s for s in email if not s.flags], 6):
        spec.flags.add("outbound")
    for spec in rng.sample([s for s in email if not s.flags], 14):
        spec.flags.add("autoreply")
    for spec in rng.sample([s for s in specs if not s.flags], 50):
        spec.flags.add("reopen")


def _plan_links(plan: _Plan, specs: list[_Spec]) -> None:
    """Link each two-channel customer's identities when they first write."""
    linked: set[int] = set()
    for index, spec in enumerate(specs):
        customer = spec.customer
        if customer.both and id(customer) not in linked and "outbound" not in spec.flags:
            linked.add(id(customer))
            other = "chat" if spec.channel == "email" else "email"
            at = spec.start + timedelta(seconds=30)
            with contextlib.suppress(_Stop):
                plan.add(at, index, _link_action(plan, customer, spec.channel, other))


def _link_action(plan: _Plan, customer: _Customer, channel: str, other: str):
    def link() -> None:
        plan.store.customers.link_identity(
            customer.address(channel), other, customer.address(other)
        )

    return link


def _tag_customers(store, rng: random.Random, plan: _Plan, specs: list[_Spec]) -> None:
    tagged: set[int] = set()
    for spec in specs:
        if spec.uid in plan.ids and id(spec.customer) not in tagged and rng.random() < 0.08:
            tagged.add(id(spec.customer))
            conversation = store.conversations.get(plan.ids[spec.uid])
            store.customers.set_tags(
                conversation.customer_id, rng.sample(("vip", "b2b", "newsletter", "wholesale"), 1)
            )


# ---- one conversation ---------------------------------------------------------------------
def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class _Script:
    """Plans the steps of one conversation from its spec."""

    def __init__(self, plan: _Plan, rng: random.Random, spec: _Spec, index: int) -> None:
        self.plan, self.rng, self.spec, self.index = plan, rng, spec, index
        self.t = spec.start
        self.chat = spec.channel == "chat"
        self.agent = spec.agent
        self.inbound_count = 0
        self.reply_count = 0
        self.used: set[str] = set()
        self.values = self._values()
        self.subject = "" if self.chat else self._fill(rng.choice(texts.SUBJECTS[spec.intent]))

    # ---- helpers ---------------------------------------------------------------------------
    def _values(self) -> dict[str, str]:
        rng, customer = self.rng, self.spec.customer
        weekday = (self.spec.start + timedelta(days=rng.randint(1, 4))).strftime("%A")
        values = {
            "order": f"#KH{rng.randint(100000, 999999)}",
            "product": rng.choice(texts.PRODUCTS),
            "amount": f"€{rng.choice((19, 24, 39, 49, 79, 89, 129, 249, 399))}.{rng.choice(('00', '90', '99', '50'))}",
            "tracking": f"{rng.choice(('JD', '1Z', 'RR', 'CX'))}{rng.randint(10**9, 10**10 - 1)}",
            "carrier": rng.choice(texts.CARRIERS),
            "days": str(rng.randint(3, 16)),
            "weekday": weekday,
            "invoice": f"INV-{self.spec.start.year}-{rng.randint(1000, 9999)}",
            "last4": f"{rng.randint(0, 9999):04d}",
            "plan": rng.choice(texts.PLANS),
            "browser": rng.choice(texts.BROWSERS),
            "device": rng.choice(texts.DEVICES),
            "email": customer.mail_address,
            "first": customer.first,
            "company": texts.COMPANY,
        }
        self.values = values
        self._new_detail()
        return values

    def _new_detail(self) -> None:
        """A fresh detail sentence for templates that quote one (``{detail}``)."""
        detail = self._pick(texts.DETAILS[self.spec.intent])
        self.values["detail"] = detail
        self.values["detail_lower"] = detail[0].lower() + detail[1:]

    def _fill(self, template: str) -> str:
        return template.format_map(self.values)

    def _pick(self, options) -> str:
        """A template from ``options``, avoiding ones this conversation already used."""
        fresh = [option for option in options if option not in self.used] or list(options)
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return self._fill(choice)

    def _advance(self, low_minutes: float, high_minutes: float) -> datetime:
        self.t += timedelta(
            seconds=max(1, round(60 * _log_uniform(self.rng, low_minutes, high_minutes)))
        )
        return self.t

    def _to_shift(self) -> None:
        """Agents work Monday to Friday, 09:00-17:00 UTC (the default business hours):
        what arrives outside them waits for the next morning's catch-up."""
        t = self.t
        if t.weekday() < 5 and SHIFT_START <= t.hour < SHIFT_END:
            return
        day = (t if t.hour < SHIFT_START else t + timedelta(days=1)).replace(
            hour=SHIFT_START, minute=0, second=0
        )
        while day.weekday() >= 5:
            day += timedelta(days=1)
        self.t = day + timedelta(seconds=round(60 * _log_uniform(self.rng, 1, 90)))

    def _step(self, action: Callable[[], None]) -> None:
        self.plan.add(self.t, self.index, action)

    @property
    def _cid(self) -> int:
        return self.plan.ids[self.spec.uid]

    # ---- what people write ------------------------------------------------------------------
    def _first_text(self) -> str:
        spec, rng = self.spec, self.rng
        opener = self._pick(texts.OPENERS[(spec.intent, spec.mood)])
        details = rng.sample(texts.DETAILS[spec.intent], rng.randint(1, 2))
        body = " ".join([opener, *(self._fill(d) for d in details)])
        if "attachment" in spec.flags:
            body += " I've attached a photo so you can see what I mean."
        if self.chat:
            return body
        closing = rng.choice(texts.MOOD_CLOSINGS[spec.mood])
        greeting = (
            ""
            if spec.mood == "angry" and rng.random() < 0.5
            else (rng.choice(texts.EMAIL_GREETINGS) + "\n\n")
        )
        return f"{greeting}{body}\n\n{closing}\n{spec.customer.first}"

    def _followup_text(self) -> str:
        self._new_detail()
        text = self._pick(texts.CUSTOMER_FOLLOWUPS[self.spec.mood])
        return text if self.chat else f"{text}\n\n{self.spec.customer.first}"

    def _agent_text(self, body: str) -> str:
        display = dict(texts.AGENTS)[self.agent]
        if self.chat:
            return f"{self._pick(texts.CHAT_AGENT_OPENERS)} {body}"
        signoff = self.rng.choice(texts.AGENT_SIGNOFF_LINES)
        closing = self.rng.choice(texts.AGENT_CLOSINGS)
        parts = [
            f"Hi {self.spec.customer.first},",
            body,
            signoff,
            f"{closing}\n{display.split()[0]}\n{texts.COMPANY} support",
        ]
        return "\n\n".join(p for p in parts if p)

    # ---- steps --------------------------------------------------------------------------------
    def _inbound(
        self,
        text: str,
        *,
        html: str | None = None,
        auto: bool = False,
        subject: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        spec = self.spec
        self.inbound_count += 1
        number = self.inbound_count
        if subject is None:
            subject = self.subject if number == 1 or not self.subject else f"Re: {self.subject}"
        message = Inbound(
            channel=spec.channel,
            address=spec.customer.address(spec.channel),
            name=spec.customer.name,
            text=text,
            html=html,
            at=clock.to_iso(self.t),
            subject=subject,
            ext_id=f"demo-{spec.uid}-in{number}",
            thread_key=spec.uid,
            message_id_header=None
            if self.chat
            else f"<{spec.uid}.{number}@{spec.customer.mail_address.split('@')[1]}>",
            auto=auto,
            attachments=attachments,
        )

        def record() -> None:
            result = self.plan.store.messages.record_inbound(message)
            if result:
                self.plan.ids.setdefault(spec.uid, result[0])

        self._step(record)

    def _reply(self, body: str) -> None:
        store, at, agent = self.plan.store, clock.to_iso(self.t), self.agent
        self.reply_count += 1
        text = self._agent_text(body)
        subject = f"Re: {self.subject}" if self.subject else ""
        header = (
            None if self.chat else f"<{self.spec.uid}.r{self.reply_count}@{texts.SUPPORT_DOMAIN}>"
        )
        self._step(
            lambda: store.replies.add(self._cid, agent, text, at=at, subject=subject, header=header)
        )

    def _note(self, text: str) -> None:
        store, at, agent = self.plan.store, clock.to_iso(self.t), self.agent
        self._step(lambda: store.messages.add_note(self._cid, agent, text, at=at))

    def _status(
        self,
        status: Status,
        agent: str | None,
        until: datetime | None = None,
        until_reply: bool = False,
    ) -> None:
        store, at = self.plan.store, clock.to_iso(self.t)
        until_iso = clock.to_iso(until) if until else None
        self._step(
            lambda: store.conversations.set_status(
                self._cid, status, agent, at=at, until=until_iso, until_reply=until_reply
            )
        )

    def _assign(self, assignee: str, by: str) -> None:
        store, at = self.plan.store, clock.to_iso(self.t)
        self._step(lambda: store.conversations.assign(self._cid, assignee, by, at=at))

    def _tag(self, tag: str) -> None:
        store, at, agent = self.plan.store, clock.to_iso(self.t), self.agent
        self._step(lambda: store.conversations.set_tag(self._cid, tag, True, agent, at=at))

    def _view(self, focus: bool) -> None:
        store, at, agent = self.plan.store, clock.to_iso(self.t), self.agent
        self._step(lambda: store.events.view(self._cid, agent, focus, at=at))

    def _csat(self, rating: int) -> None:
        store, at = self.plan.store, clock.to_iso(self.t)
        self._step(lambda: store.events.csat(self._cid, rating, at=at))

    def _wake(self) -> None:
        store, at = self.plan.store, clock.to_iso(self.t)
        self._step(lambda: store.conversations.wake_snoozed(at=at))

    # ---- the story ------------------------------------------------------------------------------
    def run(self) -> None:
        spec, rng = self.spec, self.rng
        if "outbound" in spec.flags:
            self._outbound()
        else:
            self._opening()
        if "backlog" in spec.flags:
            self._backlog()
            return
        self._triage()
        rounds = {
            "calm": rng.choice((1, 1, 2)),
            "confused": rng.choice((2, 2, 3)),
            "angry": rng.choice((2, 3, 4)),
        }[spec.mood]
        if "long" in spec.flags:
            rounds = 9
        self._rounds(rounds, followup="outbound" in spec.flags)
        self._ending()
        if "reopen" in spec.flags:
            self._reopen()

    def _opening(self) -> None:
        spec, rng = self.spec, self.rng
        if self.chat and rng.random() < 0.3:
            self._inbound(rng.choice(texts.CHAT_OPENERS))
            self.t += timedelta(seconds=rng.randint(8, 70))
        text = self._first_text()
        html = None
        attachments: tuple[Attachment, ...] = ()
        if "html" in spec.flags:
            html = _html_mail(text, rng.choice(texts.HTML_SIGNATURES), self.values)
            text = ""
        if "attachment" in spec.flags:
            attachments = (_attachment(rng, spec),)
        self._inbound(text, html=html, attachments=attachments)
        if self.chat and rng.random() < 0.35:
            self.t += timedelta(seconds=rng.randint(15, 120))
            self._inbound(self._pick(texts.DETAILS[spec.intent]))

    def _outbound(self) -> None:
        spec = self.spec
        subject, body = self.rng.choice(texts.OUTBOUND_SUBJECTS)
        self.subject = self._fill(subject)
        self.values["agent"] = dict(texts.AGENTS)[self.agent].split()[0]
        store, at, agent = self.plan.store, clock.to_iso(self.t), self.agent
        customer, uid, text = spec.customer, spec.uid, self._fill(body)
        title = self.subject

        def start() -> None:
            self.plan.ids[uid] = store.conversations.start_outbound(
                "email", customer.email, agent, title, name=customer.name, at=at, uid=uid
            )
            store.replies.add(
                self.plan.ids[uid],
                agent,
                text,
                at=at,
                subject=title,
                header=f"<{uid}.r0@{texts.SUPPORT_DOMAIN}>",
            )

        self._step(start)
        self._advance(1, 5)
        self._assign(self.agent, self.agent)
        self._advance(60, 36 * 60)
        self._inbound(self._pick(texts.CUSTOMER_FOLLOWUPS["calm"]) + f"\n\n{customer.first}")

    def _backlog(self) -> None:
        """Not answered yet: at most triaged (assigned, tagged) or nudged by the customer."""
        rng = self.rng
        if rng.random() < 0.5:
            self._advance(2, 40)
            self._assign(self.agent, rng.choice((self.agent, "alice")))
            self._tag(self.spec.intent)
        if rng.random() < 0.3:
            self._advance(20, 600) if not self.chat else self._advance(2, 20)
            self._inbound(
                rng.choice(texts.CHAT_NUDGES)
                if self.chat
                else "Any update on this? " + self._pick(texts.DETAILS[self.spec.intent])
            )

    def _triage(self) -> None:
        rng = self.rng
        self._advance(0.5, 6) if self.chat else self._advance(3, 120)
        self._to_shift()
        if "outbound" not in self.spec.flags:
            self._assign(self.agent, "alice" if rng.random() < 0.4 else self.agent)
        self._advance(0.1, 0.5)
        self._tag(self.spec.intent)
        if rng.random() < 0.25 or self.spec.mood == "angry" and rng.random() < 0.4:
            self._advance(0.1, 0.5)
            self._tag("urgent" if self.spec.mood == "angry" else rng.choice(texts.TAG_EXTRAS))

    def _answer(self, body: str) -> None:
        """The agent opens the conversation, maybe notes something, replies, leaves."""
        rng = self.rng
        self._to_shift()
        self._view(True)
        self._advance(0.3, 3) if self.chat else self._advance(1, 8)
        if rng.random() < 0.3:
            self._note(self._pick(texts.NOTES[self.spec.intent]))
            self._advance(0.2, 2)
        self._reply(body)
        self._advance(0.1, 1)
        self._view(False)

    def _rounds(self, rounds: int, followup: bool = False) -> None:
        spec, rng = self.spec, self.rng
        for number in range(rounds):
            if self.chat:
                self._advance(0.5, 12)
            else:
                self._advance(10, 9 * 60)
            if number == 2 and rng.random() < 0.3:
                self._handover()
            body = (
                self._pick(texts.AGENT_FIRST[spec.intent])
                if number == 0 and not followup
                else self._followup_reply()
            )
            self._answer(body)
            if number == 0 and "autoreply" in spec.flags:
                self.t += timedelta(seconds=rng.randint(3, 40))
                subject, text = rng.choice(texts.AUTO_REPLIES)
                self._inbound(self._fill(text), auto=True, subject=subject)
            if number == rounds - 1:
                return
            self._advance(0.3, 6) if self.chat else self._advance(30, 30 * 60)
            self._inbound(self._followup_text())
            if self.chat and spec.mood == "angry" and rng.random() < 0.4:
                self.t += timedelta(seconds=rng.randint(20, 90))
                self._inbound(rng.choice(texts.CHAT_NUDGES))

    def _followup_reply(self) -> str:
        pool = texts.AGENT_INTENT_FOLLOWUPS[self.spec.intent]
        return self._pick(pool if self.rng.random() < 0.6 else texts.AGENT_FOLLOWUPS)

    def _handover(self) -> None:
        rng = self.rng
        others = [name for name, _ in texts.AGENTS if name != self.agent]
        new = rng.choice(others)
        display = dict(texts.AGENTS)[new].split()[0]
        self._note(
            f"Handing over to {display} – {rng.choice(('I am off tomorrow', 'they know the payment system better', 'needs a second opinion', 'shift change'))}."
        )
        self._advance(0.1, 1)
        self._assign(new, self.agent)
        self.agent = new
        self._advance(5, 90)

    def _ending(self) -> None:
        rng = self.rng
        recent = self.plan.now - self.t < timedelta(days=4)
        outcome = rng.choices(
            ("resolve", "thanks", "pending", "snooze", "open"),
            (20, 15, 30, 30, 5) if recent else (50, 25, 10, 9, 6),
        )[0]
        if outcome == "resolve":
            self._advance(0.3, 5)
            self._resolve()
        elif outcome == "thanks":
            self._advance(1, 20) if self.chat else self._advance(20, 20 * 60)
            self._inbound(self._pick(texts.CUSTOMER_THANKS))
            self._advance(1, 90)
            self._resolve()
        elif outcome == "pending":
            self._advance(0.1, 1)
            self._status(Status.PENDING, self.agent)
            if rng.random() < 0.5:
                self._advance(60, 40 * 60)
                self._inbound(self._pick(texts.CUSTOMER_THANKS))
                self._advance(5, 120)
            else:
                self._advance(3 * 24 * 60, 4 * 24 * 60)
                self._note("No answer from the customer for 3 days – closing.")
            self._resolve()
        elif outcome == "snooze":
            self._advance(0.1, 1)
            if rng.random() < 0.4:
                self._status(Status.SNOOZED, self.agent, until_reply=True)
                self._advance(60, 48 * 60)
                self._inbound(self._pick(texts.CUSTOMER_THANKS))
            else:
                until = (self.t + timedelta(days=rng.randint(1, 3))).replace(
                    hour=8, minute=0, second=0
                )
                self._status(Status.SNOOZED, self.agent, until=until)
                self.t = until
                self._wake()
            self._advance(5, 180)
            self._answer(self._followup_reply())
            self._advance(0.5, 5)
            self._resolve()
        # "open": the agent replied and left it open; nothing more happens.

    def _resolve(self) -> None:
        rng, mood = self.rng, self.spec.mood
        self._status(Status.RESOLVED, self.agent)
        if rng.random() < 0.45:
            self._advance(10, 2 * 24 * 60)
            weights = {
                "calm": (1, 1, 3, 10, 25),
                "confused": (1, 2, 5, 10, 12),
                "angry": (8, 6, 6, 5, 4),
            }[mood]
            self._csat(rng.choices((1, 2, 3, 4, 5), weights)[0])

    def _reopen(self) -> None:
        rng = self.rng
        self._advance(24 * 60, 6 * 24 * 60)
        if rng.random() < 0.2:  # the agent reopens after a phone call
            self._view(True)
            self._status(Status.OPEN, self.agent)
            self._advance(0.2, 2)
            self._note("Customer called: the problem is back. Reopening.")
            self._advance(0.1, 1)
            self._view(False)
        else:
            self._new_detail()
            self._inbound(self._pick(texts.CUSTOMER_REOPEN))
        self._rounds(1, followup=True)
        self._advance(0.5, 10)
        self._resolve()


# ---- tricky content -----------------------------------------------------------------------------
def _html_mail(text: str, signature: str, values: dict[str, str]) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    return (
        "<html><head><style>p{margin:0 0 8px}</style></head><body>"
        f'<div dir="ltr">{paragraphs}'
        '<table border="1" cellpadding="4"><tr><th>Order</th><th>Item</th></tr>'
        f"<tr><td>{values['order']}</td><td>{values['product']}</td></tr></table>"
        f"<p><i>{signature}</i></p></div>"
        '<img src="https://tracker.example/pixel.gif" width="1" height="1"></body></html>'
    )


def _attachment(rng: random.Random, spec: _Spec) -> Attachment:
    """A small but real PNG (a solid-colour photo stand-in)."""
    width = height = 16
    colour = bytes(rng.randrange(256) for _ in range(3))
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    name = (
        f"IMG_{rng.randint(1000, 9999)}.png"
        if spec.intent == "complaint"
        else f"statement-{spec.start:%Y-%m}.png"
    )
    return Attachment(filename=name, size=len(data), content_type="image/png", data=data)
