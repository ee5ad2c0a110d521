"""Building event logs for the metrics tests through the Store API, at explicit instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentdesk.domain import Inbound
from agentdesk.store import Store

# Monday 2 November 2026, 00:00 UTC: "Mon" in the worked example of docs/metrics.md.
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}


def at(when: str) -> str:
    """``"Tue 08:10"`` (week of MONDAY), ``"+1 Mon 09:00"`` (a week later) as ISO text."""
    weeks = 0
    if when.startswith("+"):
        offset, when = when[1:].split(" ", 1)
        weeks = int(offset)
    day, hhmm = when.split()
    hours, minutes = map(int, hhmm.split(":"))
    instant = MONDAY + timedelta(weeks=weeks, days=DAYS[day], hours=hours, minutes=minutes)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Desk:
    """A real desk database with short verbs for writing a conversation's history."""

    def __init__(self, path) -> None:
        self.store = Store(path)
        self.ids: dict[str, int] = {}

    def inbound(
        self,
        uid: str,
        when: str,
        channel: str = "email",
        address: str | None = None,
        auto: bool = False,
    ) -> int:
        address = address or f"{uid.lower()}@customer.example"
        cid, _ = self.store.messages.record_inbound(
            Inbound(
                channel=channel,
                address=address,
                text="hello",
                at=at(when),
                thread_key=uid,
                auto=auto,
                ext_id=f"{uid}-{when}-{auto}",
            )
        )
        self.ids[uid] = cid
        return cid

    def reply(self, uid: str, agent: str, when: str) -> None:
        self.store.replies.add(self.ids[uid], agent, "answer", at=at(when))

    def note(self, uid: str, agent: str, when: str) -> None:
        self.store.messages.add_note(self.ids[uid], agent, "internal", at=at(when))

    def resolve(self, uid: str, agent: str | None, when: str) -> None:
        assert self.store.conversations.set_status(self.ids[uid], "resolved", agent, at=at(when))

    def assign(self, uid: str, agent: str, by: str, when: str) -> None:
        self.store.conversations.assign(self.ids[uid], agent, by, at=at(when))

    def csat(self, uid: str, rating: int, when: str) -> None:
        self.store.events.csat(self.ids[uid], rating, at=at(when))

    def view(
        self,
        uid: str,
        agent: str,
        focus: bool,
        when: str,
        reason: str | None = None,
        seconds: int = 0,
    ) -> None:
        instant = datetime.strptime(at(when), "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
        self.store.events.view(
            self.ids[uid], agent, focus, at=instant.strftime("%Y-%m-%dT%H:%M:%SZ"), reason=reason
        )

    def close(self) -> None:
        self.store.close()


def worked_example(desk: Desk) -> None:
    """The three conversations of the worked example in docs/metrics.md."""
    desk.inbound("C1", "Mon 09:00")
    desk.reply("C1", "alice", "Mon 09:30")
    desk.resolve("C1", "alice", "Mon 09:31")

    desk.inbound("C2", "Mon 10:00", channel="chat")
    desk.note("C2", "bob", "Mon 10:05")
    desk.reply("C2", "bob", "Mon 10:20")
    desk.inbound("C2", "Mon 10:25", channel="chat")
    desk.reply("C2", "bob", "Mon 10:40")
    desk.resolve("C2", "bob", "Mon 10:41")

    desk.inbound("C3", "Tue 08:00")
    desk.reply("C3", "alice", "Tue 08:10")
    desk.resolve("C3", "alice", "Tue 08:11")
    desk.inbound("C3", "Wed 12:00")  # the customer writes again: the store reopens C3
    desk.reply("C3", "alice", "Wed 12:30")
    desk.resolve("C3", "alice", "Wed 12:31")
